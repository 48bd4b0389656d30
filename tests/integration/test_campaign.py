"""Outbound campaigns without calls (issue 17): the schema's BI views computed from
attempts written by hand, dialerd's status, and the campaign commands of ccctl against a
real Postgres: add/list/start/pause/stats, do-not-call lists, and `campaign import`, which
takes a CSV list whole or refuses it naming every bad line."""

import json

import pytest

import suite as sm


@pytest.fixture(scope="module")
def cc(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_campaign", daemons=["dialerd"])
    try:
        s.ccctl("queue", "add", "sales", "--number", "640", check=True)
        s.ccctl("trunk", "add", "carrier", "--host", "127.0.0.1:5999", check=True)
        s.start()
        yield s
    finally:
        s.close()


def _campaign_row(cc, name, **cols):
    keys = ["name", "queue", "caller_id"] + list(cols)
    vals = [name, "sales", "5550000"] + list(cols.values())
    cc.psql("INSERT INTO campaigns (%s) VALUES (%s)" % (", ".join(keys),
                                                        ", ".join(["%s"] * len(keys))), vals)


def test_daily_view_counts_abandons_by_the_two_second_rule(cc):
    _campaign_row(cc, "viewcheck", time_zone="Europe/Paris")
    lead = cc.psql("INSERT INTO leads (campaign, number) VALUES ('viewcheck', '5551000') "
                   "RETURNING id")[0][0]
    cc.psql("INSERT INTO leads (campaign, number) VALUES ('viewcheck', '5551001')")
    # (answered after s, agent after s, outcome, talk ms, wrap ms, agent wait ms)
    rows = [
        (5, 5.5, "answered", 60000, 5000, 12000),   # contact, agent in 0.5 s
        (4, 6.5, "answered", 30000, 4000, 1000),    # contact, agent in 2.5 s: abandoned
        (3, None, "abandoned", None, None, None),   # contact, never an agent: abandoned
        (6, None, "machine", None, None, None),     # answered by a machine: no contact
        (None, None, "no_answer", None, None, None),
        (None, None, "busy", None, None, None),
        (None, None, "skipped", None, None, None),  # preview skip: not an attempt
    ]
    for i, (ans, agent, outcome, talk, wrap, wait) in enumerate(rows):
        cc.psql("INSERT INTO dialer_attempts (campaign, lead_id, number, attempt, mode, "
                " started_at, answered_at, agent_at, ended_at, outcome, talk_ms, wrap_ms, "
                " agent_wait_ms) "
                "VALUES ('viewcheck', %s, '5551000', %s, 'progressive', "
                " '2026-03-02 10:00:00+01', "
                " '2026-03-02 10:00:00+01'::timestamptz + make_interval(secs => %s), "
                " '2026-03-02 10:00:00+01'::timestamptz + make_interval(secs => %s), "
                " '2026-03-02 10:05:00+01', %s, %s, %s, %s)",
                [lead, i + 1, ans, agent, outcome, talk, wrap, wait])
    got = cc.psql("SELECT day::text, attempts, contacts, contact_rate::float, abandoned, "
                  "abandon_rate::float, talk_s, wrap_s, agent_wait_s, "
                  "avg_answer_to_agent_ms::float, leads_remaining "
                  "FROM v_campaign_daily WHERE campaign = 'viewcheck'", role="cc_bi")
    assert got == [("2026-03-02", 6, 3, 0.5, 2, round(2 / 3, 4), 90, 9, 13, 1500.0, 2)], got


def test_dialerd_status_counts_campaigns(cc):
    code, st = cc.status()
    listed = [x for x in st["daemons"] if x["daemon"] == "dialerd"]
    assert listed and listed[0]["ready"], st
    reply = cc.bus_call("dialerd", "status")
    det = reply["result"]["details"]
    n = cc.psql("SELECT count(*) FROM campaigns")[0][0]
    assert n >= 1 and det["campaigns"] == n and det["running"] == 0, det


def test_campaign_add_list_start_pause(cc):
    r = cc.ccctl("campaign", "add", "renewals", "--queue", "sales", "--caller-id", "+1 212 555 0199",
                 "--mode", "predictive", "--trunk", "carrier", "--hours", "mon-fri 09:00-20:00",
                 "--hours", "sat 10:00-14:00", "--time-zone", "America/New_York",
                 "--abandon-cap", "2.5", "--retry", "busy:300:4",
                 "--disposition", "sale:Sold", "--disposition", "stop:Do not call:dnc")
    assert r.returncode == 0, r.stderr
    rows = cc.psql("SELECT mode, caller_id, trunk, hours, time_zone, abandon_cap_pct::float, "
                   "state FROM campaigns WHERE name = 'renewals'")
    assert rows == [("predictive", "+12125550199", "carrier",
                     ["mon-fri 09:00-20:00", "sat 10:00-14:00"], "America/New_York", 2.5,
                     "paused")]
    retries = dict((o, (g, m)) for o, g, m in cc.psql(
        "SELECT outcome, min_gap_s, max_attempts FROM campaign_retries "
        "WHERE campaign = 'renewals'"))
    assert retries["busy"] == (300, 4) and retries["abandoned"] == (259200, 3), retries
    assert cc.psql("SELECT code, adds_dnc FROM campaign_dispositions WHERE campaign = 'renewals' "
                   "ORDER BY code") == [("sale", False), ("stop", True)]
    r = cc.ccctl("campaign", "list", "--json", check=True)
    listed = {c["name"]: c for c in json.loads(r.stdout)}
    assert listed["renewals"]["state"] == "paused"
    assert cc.ccctl("campaign", "start", "renewals").returncode == 0
    assert cc.psql("SELECT state FROM campaigns WHERE name = 'renewals'") == [("running",)]
    assert cc.ccctl("campaign", "pause", "renewals").returncode == 0
    assert cc.psql("SELECT state FROM campaigns WHERE name = 'renewals'") == [("paused",)]
    r = cc.ccctl("campaign", "start", "nosuch")
    assert r.returncode == 1 and "no campaign 'nosuch'" in r.stderr, r.stderr


@pytest.mark.parametrize("args, message", [
    (["campaign", "add", "x"], "--queue and --caller-id are required"),
    (["campaign", "add", "x", "--queue", "sales", "--caller-id", "12a"], "bad --caller-id"),
    (["campaign", "add", "x", "--queue", "sales", "--caller-id", "555", "--mode", "auto"],
     "bad --mode 'auto'"),
    (["campaign", "add", "x", "--queue", "sales", "--caller-id", "555", "--hours", "fry 09:00-10:00"],
     "bad --hours 'fry 09:00-10:00'"),
    (["campaign", "add", "x", "--queue", "sales", "--caller-id", "555", "--ring", "10"],
     "bad --ring '10'"),
    (["campaign", "add", "x", "--queue", "sales", "--caller-id", "555", "--retry", "busy:5"],
     "bad --retry 'busy:5'"),
    (["campaign", "add", "x", "--queue", "sales", "--caller-id", "555", "--time-zone", "Mars/Base"],
     "bad --time-zone 'Mars/Base'"),
    (["campaign", "import", "x"], "missing"),
    (["campaign", "frobnicate"], "unknown sub-command 'frobnicate'"),
])
def test_campaign_bad_usage_exits_2_and_changes_nothing(cc, args, message):
    before = cc.psql("SELECT count(*) FROM campaigns")
    r = cc.ccctl(*args)
    assert r.returncode == 2 and message in r.stderr, (r.returncode, r.stderr)
    assert cc.psql("SELECT count(*) FROM campaigns") == before


def test_campaign_add_unknown_queue_refused(cc):
    r = cc.ccctl("campaign", "add", "orphan", "--queue", "nosuch", "--caller-id", "555")
    assert r.returncode == 1 and "no queue 'nosuch'" in r.stderr, r.stderr
    assert cc.psql("SELECT count(*) FROM campaigns WHERE name = 'orphan'") == [(0,)]


GOOD_CSV = ('number,name,time_zone,account,note\r\n'
            '+1 212 555 0100,"Doe, Jane",America/New_York,A-1,"said ""call after 5"""\r\n'
            '(212) 555-0101,Bob,,A-2,"two\r\nlines"\r\n'
            '2125550102,Cy,Europe/Paris,A-3,\r\n')


def _campaign(cc, name):
    cc.ccctl("campaign", "add", name, "--queue", "sales", "--caller-id", "5550000", check=True)


def test_import_bad_rows_refuses_whole_list_naming_every_line(cc, tmp_path):
    _campaign(cc, "imports")
    f = tmp_path / "bad.csv"
    f.write_text('number,name,time_zone\n'
                 '5550100,Ann,UTC\n'             # 2 good
                 '555-01O1,Bob,UTC\n'            # 3 letter O: bad number
                 '5550102,Cy,Mars/Olympus\n'     # 4 bad time zone
                 '555 0100,Ann twice,UTC\n'      # 5 duplicate of line 2
                 '5550103,Dee\n'                 # 6 wrong column count
                 '5550104,"E"ve,UTC\n'           # 7 text after a closing quote
                 '5550105,Fay,UTC\n')            # 8 good
    r = cc.ccctl("campaign", "import", "imports", f)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = [l for l in r.stderr.splitlines() if l.startswith(str(f) + ":")]
    named = {int(l.split(":")[1]): l.split(":", 2)[2] for l in lines}
    assert sorted(named) == [3, 4, 5, 6, 7], r.stderr
    assert "bad number '555-01O1'" in named[3]
    assert "bad time zone 'Mars/Olympus'" in named[4]
    assert "duplicate: number 5550100 is already on line 2" in named[5]
    assert "wrong column count: 2 fields, the header has 3" in named[6]
    assert "after a closing quote" in named[7]
    assert "refused whole: 5 bad lines, nothing imported" in r.stderr
    assert cc.psql("SELECT count(*) FROM leads WHERE campaign = 'imports'") == [(0,)]


def test_import_good_list_then_same_numbers_again_refused(cc, tmp_path):
    _campaign(cc, "goodlist")
    f = tmp_path / "good.csv"
    f.write_bytes(GOOD_CSV.encode())
    r = cc.ccctl("campaign", "import", "goodlist", f)
    assert r.returncode == 0 and "3 leads imported" in r.stdout, r.stderr
    rows = cc.psql("SELECT number, name, time_zone, fields, list_line, state FROM leads "
                   "WHERE campaign = 'goodlist' ORDER BY id")
    assert rows == [
        ("+12125550100", "Doe, Jane", "America/New_York",
         {"account": "A-1", "note": 'said "call after 5"'}, 2, "ready"),
        ("2125550101", "Bob", None, {"account": "A-2", "note": "two\r\nlines"}, 3, "ready"),
        ("2125550102", "Cy", "Europe/Paris", {"account": "A-3", "note": ""}, 5, "ready"),
    ], rows
    f2 = tmp_path / "again.csv"
    f2.write_text("number\n5559999\n212-555-0101\n")
    r = cc.ccctl("campaign", "import", "goodlist", f2)
    assert r.returncode == 2 and "%s:3: duplicate: number 2125550101 is already in campaign " \
        "goodlist" % f2 in r.stderr, r.stderr
    assert cc.psql("SELECT count(*) FROM leads WHERE campaign = 'goodlist'") == [(3,)]
    r = cc.ccctl("campaign", "import", "nosuch", f2)
    assert r.returncode == 1 and "no campaign 'nosuch'" in r.stderr
    r = cc.ccctl("campaign", "stats", "goodlist", "--json", check=True)
    st = json.loads(r.stdout)
    assert st["leads"]["ready"] == 3 and st["state"] == "paused", st


def test_dnc_global_and_per_campaign(cc):
    _campaign(cc, "dnccheck")
    assert cc.ccctl("campaign", "dnc", "add", "555-0142", "--reason", "asked").returncode == 0
    assert cc.ccctl("campaign", "dnc", "add", "5550143", "--campaign", "dnccheck").returncode == 0
    r = cc.ccctl("campaign", "dnc", "add", "5550142")
    assert r.returncode == 0 and "already on" in r.stdout
    r = cc.ccctl("campaign", "dnc", "add", "55x")
    assert r.returncode == 2 and "bad number" in r.stderr
    r = cc.ccctl("campaign", "dnc", "list", "--campaign", "dnccheck", "--json", check=True)
    got = sorted((d["list"], d["number"]) for d in json.loads(r.stdout))
    assert got == [("(global)", "5550142"), ("dnccheck", "5550143")], got
    assert cc.ccctl("campaign", "dnc", "del", "5550143", "--campaign", "dnccheck").returncode == 0
    r = cc.ccctl("campaign", "dnc", "del", "5550143", "--campaign", "dnccheck")
    assert r.returncode == 1 and "not on the dnccheck" in r.stderr


def test_json_commands_list_and_set_state(cc):
    _campaign(cc, "jsonapi")
    reply = cc.bus_call("dialerd", "campaign.list")
    listed = {c["name"]: c for c in reply["result"]["campaigns"]}
    assert listed["jsonapi"]["state"] == "paused" and listed["jsonapi"]["queue"] == "sales"
    assert listed["jsonapi"]["leads_ready"] == 0
    reply = cc.bus_call("dialerd", "campaign.set_state", {"name": "jsonapi", "state": "running"})
    assert reply["result"] == {"state": "running"}, reply
    assert cc.psql("SELECT state FROM campaigns WHERE name = 'jsonapi'") == [("running",)]
    listed = {c["name"]: c for c in
              cc.bus_call("dialerd", "campaign.list")["result"]["campaigns"]}
    assert listed["jsonapi"]["state"] == "running" and "ringing" in listed["jsonapi"], listed
    reply = cc.bus_call("dialerd", "campaign.set_state", {"name": "jsonapi", "state": "paused"})
    assert reply["result"] == {"state": "paused"}, reply
    reply = cc.bus_call("dialerd", "campaign.set_state", {"name": "nosuch", "state": "paused"})
    assert reply["error"]["code"] == "unknown_campaign", reply
    reply = cc.bus_call("dialerd", "campaign.set_state", {"name": "jsonapi", "state": "on"})
    assert reply["error"]["code"] == "bad_args", reply
    assert cc.psql("SELECT state FROM campaigns WHERE name = 'jsonapi'") == [("paused",)]
