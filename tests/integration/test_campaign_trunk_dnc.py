"""A campaign's trunk and dispositions that add to do-not-call (issue 17), with real clients:
two sipp "customers" each behind its own trunk (A, where the dialplan sends 9..., and B),
baresip as agent 1002 (auto-answer), dialerd, sipproxy, acdd and webd. A campaign with
--trunk B reaches customer B with its caller id even though the dialplan says A; one
without a trunk follows the dialplan to A as before; ccctl refuses an unknown trunk and
sipproxy's call.originate and call.connect an unknown trunk argument, and call.connect with a
trunk (preview's customer leg) rings that trunk. The agent saves a disposition flagged
dnc in the wrap-up of a campaign call (POST /api/me/wrapup): the number goes on the
campaign's list (row checked, audited), the attempt carries the code, and a later pass of
the campaign does not dial the number again."""

import subprocess
import time

import pytest

import suite as sm
from helpers.bus import bus_ok, set_agents
from helpers.phones import tone_phones
from helpers.webclient import Http, web_user

SIPP_DIR = sm.REPO / "tests" / "sipp"
AGENT = "1002"
PW = "pw-for-trunkdnc"


@pytest.fixture(scope="module")
def td(pg_cluster, bin_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("trunkdnc")
    s = sm.Suite(pg_cluster, name="test_campaign_trunk_dnc",
                 daemons=["sipproxy", "mediad", "acdd", "dialerd", "webd"],
                 config={"common.rtp_ports": sm.free_port_range(100), "dialerd.reload_s": "1",
                         "dialerd.tick_ms": "200"})
    uas, sipps = [], []
    try:
        s.ccctl("user", "add", AGENT, "--password", "secret" + AGENT, check=True)
        s.ccctl("queue", "add", "outq", "--number", "660", "--ring-timeout", "10",
                "--no-announce", check=True)
        s.ccctl("agent", "add", AGENT, "--queue", "outq", check=True)
        for name in ("A", "B"):
            port = sm.free_port()
            s.ccctl("trunk", "add", "cust" + name, "--host", "127.0.0.1:%d" % port, check=True)
            sipps.append(subprocess.Popen(
                ["sipp", "-sf", str(SIPP_DIR / "dialer_customer_answer.xml"), "-i",
                 "127.0.0.1", "-p", str(port), "-nostdin", "-timeout", "300",
                 "-rtp_echo", "-mp", str(sm.free_port()),
                 "-trace_msg", "-message_file", str(work / ("%s_msg.log" % name))],
                cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        s.ccctl("route", "add", "9.", "trunk:custA", check=True)
        web_user(s, "ada", "agent", PW, ext=AGENT)
        s.work = work
        s.start()
        tone_phones(s, {AGENT: 1000}, uas)
        set_agents(s, ready=[AGENT], agents=[AGENT])
        yield s
    finally:
        for p in sipps:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        for ua in uas:
            ua.stop()
        s.close()


def invites(s, name):
    p = s.work / ("%s_msg.log" % name)
    text = p.read_text(errors="replace") if p.exists() else ""
    return [block for block in text.split("\n\n") if "INVITE sip:" in block]


def add_campaign(s, tmp_path, name, number, *extra):
    csv = tmp_path / ("%s.csv" % name)
    csv.write_text("number,name\n%s,Lead of %s\n" % (number, name))
    s.ccctl("campaign", "add", name, "--queue", "outq", "--mode", "progressive",
            "--hours", "daily 00:00-24:00", "--ring", "15", *extra, check=True)
    s.ccctl("campaign", "import", name, csv, check=True)


def answered_call(s, campaign, number, timeout=30):
    """Start the campaign, wait for its call to reach the agent; the agent hangs up.
    Returns the call id."""
    s.ccctl("campaign", "start", campaign, check=True)
    deadline = time.time() + timeout
    rows = []
    while time.time() < deadline:
        rows = s.psql("SELECT call_id FROM dialer_attempts WHERE campaign = %s AND number = %s "
                      "AND agent_at IS NOT NULL", (campaign, number))
        if rows:
            break
        time.sleep(0.3)
    assert rows, "campaign %s: %s never reached the agent: %s" % (campaign, number, s.psql(
        "SELECT number, outcome, agent FROM dialer_attempts WHERE campaign = %s", (campaign,)))
    time.sleep(1)
    s.ua[AGENT].command("hangup")
    deadline = time.time() + 15
    while time.time() < deadline and s.psql(
            "SELECT 1 FROM dialer_attempts WHERE call_id = %s AND ended_at IS NULL", (rows[0][0],)):
        time.sleep(0.3)
    s.ccctl("campaign", "pause", campaign, check=True)
    return rows[0][0]


def test_ccctl_refuses_an_unknown_trunk(td):
    r = td.ccctl("campaign", "add", "nope", "--queue", "outq", "--caller-id", "5550009",
                 "--trunk", "nosuch")
    assert r.returncode != 0 and "nosuch" in r.stderr, (r.returncode, r.stderr)
    assert td.psql("SELECT count(*) FROM campaigns WHERE name = 'nope'") == [(0,)]


def test_originate_refuses_an_unknown_trunk(td):
    r = td.bus_call("sipproxy", "call.originate", {
        "target": "number:9100077", "caller": "5550000", "controller": "dialerd",
        "trunk": "nosuch"})
    assert not r.get("ok") and r["error"]["code"] == "bad_args", r
    assert "trunk" in r["error"]["message"] and "nosuch" in r["error"]["message"], r
    assert not any("9100077" in b for n in ("A", "B") for b in invites(td, n))


def test_campaign_trunk_then_dialplan_and_dnc_disposition(td, tmp_path):
    # with --trunk custB: the call goes to customer B with the campaign's caller id
    add_campaign(td, tmp_path, "viab", "9100001", "--caller-id", "5550001", "--trunk", "custB",
                 "--disposition", "sale:Sale", "--disposition", "stop:Do not call:dnc")
    call_id = answered_call(td, "viab", "9100001")
    b, a = invites(td, "B"), invites(td, "A")
    assert any("INVITE sip:9100001@" in x for x in b), "customer B got no INVITE: %s" % b
    assert not any("9100001" in x for x in a), "customer A was dialled: %s" % a
    assert any("sip:5550001@" in x.split("From:", 1)[-1].split("\n", 1)[0] for x in b), b

    # the agent saves the dnc disposition in the wrap-up
    web = Http(td.http_port)
    web.login("ada", PW)
    r = web.post("/api/me/wrapup", {"call_id": call_id, "code": "nosuch"})
    assert r.status == 400 and r.error_field() == "code", r
    assert td.psql("SELECT count(*) FROM dnc WHERE number = '9100001'") == [(0,)]
    r = web.post("/api/me/wrapup", {"call_id": call_id, "code": "stop", "notes": "asked"})
    assert r.status == 200, r
    assert r.json["dnc_added"] == "campaign:viab 9100001", r
    assert td.psql("SELECT campaign, number, added_by LIKE 'ada%%' FROM dnc") == [
        ("viab", "9100001", True)]
    assert td.psql("SELECT disposition FROM dialer_attempts WHERE call_id = %s",
                   (call_id,)) == [("stop",)]
    assert td.psql("SELECT code, code_label FROM v_call_wrapups WHERE call_id = %s",
                   (call_id,)) == [("stop", "Do not call")]
    audit = td.psql("SELECT actor, result, detail->>'dnc_added' FROM web_audit "
                    "WHERE action = 'me.wrapup' ORDER BY at")
    assert audit[-1] == ("ada", "ok", "campaign:viab 9100001"), audit

    # no trunk: the dialplan route (A) as before
    add_campaign(td, tmp_path, "plain", "9100002", "--caller-id", "5550002")
    answered_call(td, "plain", "9100002")
    assert any("INVITE sip:9100002@" in x for x in invites(td, "A")), invites(td, "A")
    assert not any("9100002" in x for x in invites(td, "B"))

    # a later pass of viab (the lead due again) never dials the number on its list
    td.psql("UPDATE leads SET state = 'ready', next_attempt_at = NULL "
            "WHERE campaign = 'viab'")
    td.ccctl("campaign", "start", "viab", check=True)
    deadline = time.time() + 10
    while time.time() < deadline and td.psql(
            "SELECT state FROM leads WHERE campaign = 'viab'") != [("dnc",)]:
        time.sleep(0.3)
    assert td.psql("SELECT state FROM leads WHERE campaign = 'viab'") == [("dnc",)]
    assert td.psql("SELECT count(*) FROM dialer_attempts WHERE campaign = 'viab' "
                   "AND outcome IS DISTINCT FROM 'dnc'") == [(1,)]
    assert sum("9100001" in x for x in invites(td, "B")) == 1


def test_connect_sends_a_number_out_on_the_named_trunk(td):
    """Preview's customer leg: call.connect with a trunk rings that trunk, not the route."""
    set_agents(td, ready=[], agents=[AGENT])  # acdd leaves the phone alone
    call_id = bus_ok(td, "sipproxy", "call.originate", {
        "target": "ext:" + AGENT, "caller": "5550003", "controller": "tester"})["call_id"]
    try:
        # once the agent answered, the trunk is the only thing wrong with this request
        deadline, r = time.time() + 10, None
        while time.time() < deadline:
            r = td.bus_call("sipproxy", "call.connect", {
                "call_id": call_id, "targets": ["number:9100005"], "trunk": "nosuch"})
            if r.get("ok") or r["error"]["code"] != "bad_state":
                break
            time.sleep(0.3)
        assert not r.get("ok") and r["error"]["code"] == "bad_args" and \
            "trunk" in r["error"]["message"], r
        bus_ok(td, "sipproxy", "call.connect", {
            "call_id": call_id, "targets": ["number:9100005"], "trunk": "custB"})
        deadline = time.time() + 10
        while time.time() < deadline and not any(
                "INVITE sip:9100005@" in x for x in invites(td, "B")):
            time.sleep(0.3)
        assert any("INVITE sip:9100005@" in x for x in invites(td, "B")), invites(td, "B")
        assert not any("9100005" in x for x in invites(td, "A")), invites(td, "A")
    finally:
        td.bus_call("sipproxy", "call.hangup", {"call_id": call_id})
