"""test_campaign_api.py - a campaign added through the web API (POST /api/campaigns) is the
campaign `ccctl campaign add` makes from the same settings (every column, retry rule and
disposition compared), dialerd lists it, and the action is audited. Bad settings get a 400
naming the setting and store nothing; a queue outside a supervisor's scope is refused, an
unknown queue or trunk named, a taken name 409, agents and requests without the CSRF token
403. The supervisor's page (/campaigns, in Debian's chromium) lists them, adds one through
its form, marks a refused field, starts and pauses one and shows its days."""

import pytest

import suite as sm
from helpers.bus import wait_until
from helpers.webclient import Browser, Http, browser_available, web_user

ART = sm.REPO / "build" / "test-artifacts" / "campaigns"

PW = "campaign-pw-1"
COLS = ("mode, queue, caller_id, trunk, hours, time_zone, tz_rule, abandon_cap_pct, ring_s, "
        "max_attempts, max_ratio, abandon_prompt, amd, amd_machine, amd_prompt, state")


@pytest.fixture(scope="module")
def ca(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_campaign_api", daemons=["dialerd", "webd"],
                 config={"dialerd.reload_s": "1"})
    try:
        s.ccctl("user", "add", "1001", "--password", "secret1001", check=True)
        s.ccctl("queue", "add", "sales", "--number", "640", "--no-announce", check=True)
        s.ccctl("queue", "add", "support", "--number", "641", "--no-announce", check=True)
        s.ccctl("trunk", "add", "carrier", "--host", "127.0.0.1:5999", check=True)
        web_user(s, "sup", "supervisor", PW, queues="sales")
        web_user(s, "boss", "admin", PW)
        web_user(s, "ada", "agent", PW, ext="1001")
        s.start()
        yield s
    finally:
        s.close()


def client(s, user):
    c = Http(s.http_port)
    c.login(user, PW)
    return c


def stored(s, name):
    """The campaign's row, retry rules and dispositions as Postgres holds them."""
    return (s.psql("SELECT %s FROM campaigns WHERE name = %%s" % COLS, (name,)),
            s.psql("SELECT outcome, min_gap_s, max_attempts FROM campaign_retries "
                   "WHERE campaign = %s ORDER BY outcome", (name,)),
            s.psql("SELECT code, label, adds_dnc, dnc_global FROM campaign_dispositions "
                   "WHERE campaign = %s ORDER BY code", (name,)))


def count(s):
    return s.psql("SELECT (SELECT count(*) FROM campaigns), (SELECT count(*) FROM "
                  "campaign_retries), (SELECT count(*) FROM campaign_dispositions)")[0]


def test_a_campaign_added_on_the_web_is_the_one_ccctl_adds(ca):
    sup = client(ca, "sup")
    r = sup.post("/api/campaigns", {
        "name": "web1", "queue": "sales", "caller_id": "+1 212 555 0199", "mode": "predictive",
        "trunk": "carrier", "hours": ["mon-fri 09:00-12:00", "mon-fri 14:00-18:00"],
        "time_zone": "Europe/Paris", "abandon_cap": 2.5, "ring": 25, "max_ratio": 3,
        "retries": ["busy:60:2"], "amd": "message",
        "dispositions": ['sale:Sale, "paid"', "stop:Do not call:dnc", "law:Regulator:dnc_global"]})
    assert r.status == 201, r
    assert r.json == {"campaign": "web1", "mode": "predictive", "queue": "sales",
                      "state": "paused"}, r
    ca.ccctl("campaign", "add", "cli1", "--queue", "sales", "--caller-id", "+1 212 555 0199",
             "--mode", "predictive", "--trunk", "carrier", "--hours", "mon-fri 09:00-12:00",
             "--hours", "mon-fri 14:00-18:00", "--time-zone", "Europe/Paris", "--abandon-cap",
             "2.5", "--ring", "25", "--max-ratio", "3", "--retry", "busy:60:2", "--amd", "message",
             "--disposition", 'sale:Sale, "paid"', "--disposition", "stop:Do not call:dnc",
             "--disposition", "law:Regulator:dnc_global", check=True)
    web, cli = stored(ca, "web1"), stored(ca, "cli1")
    assert web == cli, (web, cli)
    row = web[0][0]
    assert row[0] == "predictive" and row[2] == "+12125550199" and row[3] == "carrier", row
    assert row[-1] == "paused" and len(web[1]) == 5, web
    assert ("sale", 'Sale, "paid"', False, False) in web[2] and \
        ("law", "Regulator", True, True) in web[2], web[2]
    # the defaults are ccctl's too
    r = sup.post("/api/campaigns", {"name": "web2", "queue": "sales", "caller_id": "5550100"})
    assert r.status == 201 and r.json["mode"] == "progressive", r
    ca.ccctl("campaign", "add", "cli2", "--queue", "sales", "--caller-id", "5550100", check=True)
    assert stored(ca, "web2") == stored(ca, "cli2")
    # dialerd picks it up at its next reload, and the page's list shows it
    wait_until(lambda: "web1" in {c["name"] for c in sup.get("/api/campaigns").json["campaigns"]},
               timeout=10, what="dialerd to list the new campaign")
    assert ca.psql("SELECT actor, result FROM web_audit WHERE action = 'campaign.add' "
                   "ORDER BY at") == [("sup", "ok"), ("sup", "ok")]


@pytest.mark.parametrize("change, field, words", [
    ({"name": "bad name"}, "name", "holds a character"),
    ({"caller_id": "12a"}, "caller_id", "bad caller_id '12a'"),
    ({"mode": "auto"}, "mode", "preview, progressive or predictive"),
    ({"hours": ["fry 09:00-10:00"]}, "hours", "bad hours 'fry 09:00-10:00'"),
    ({"hours": "mon 09:00-10:00"}, "hours", "must be a list"),
    ({"ring": 10}, "ring", "a whole number 15-120"),
    ({"ring": 20.5}, "ring", "a whole number 15-120"),
    ({"ring": "20"}, "ring", "must be a number"),
    ({"abandon_cap": 0}, "abandon_cap", "a number 0.01-100"),
    ({"retries": ["busy:5"]}, "retries", "OUTCOME:GAP_S:MAX"),
    ({"dispositions": ["sale"]}, "dispositions", "CODE:LABEL"),
    ({"dispositions": ["a:One", "a:Two"]}, "dispositions", "given twice"),
    ({"time_zone": "Mars/Base"}, "time_zone", "not a tz database name"),
    ({"amd": "shout"}, "amd", "off, hangup or message"),
    ({"amd_prompt": "../../etc/passwd"}, "amd_prompt", "a prompt name"),
    ({"color": "red"}, "color", "unknown field"),
    ({"caller_id": None}, "caller_id", "is required"),
])
def test_bad_settings_are_named_and_store_nothing(ca, change, field, words):
    boss = client(ca, "boss")
    before = count(ca)
    body = dict({"name": "bad1", "queue": "sales", "caller_id": "5550100"}, **change)
    body = {k: v for k, v in body.items() if v is not None}
    r = boss.post("/api/campaigns", body)
    assert r.status == 400 and r.error_field() == field, r
    assert words in r.json["error"]["message"], r
    assert count(ca) == before


def test_scope_names_roles_and_csrf(ca):
    sup, boss, ada = client(ca, "sup"), client(ca, "boss"), client(ca, "ada")
    before = count(ca)
    base = {"name": "scoped", "caller_id": "5550100"}
    # a supervisor adds campaigns of its own queues only
    r = sup.post("/api/campaigns", dict(base, queue="support"))
    assert r.status == 403 and r.error_field() == "queue", r
    # unknown queue or trunk (an admin sees every queue): named
    r = boss.post("/api/campaigns", dict(base, queue="nosuch"))
    assert r.status == 400 and r.error_field() == "queue", r
    r = boss.post("/api/campaigns", dict(base, queue="support", trunk="nowhere"))
    assert r.status == 400 and r.error_field() == "trunk", r
    assert ada.post("/api/campaigns", dict(base, queue="sales")).status == 403
    raw = Http(ca.http_port)
    raw.login("sup", PW)
    raw.csrf = None
    assert raw.request("POST", "/api/campaigns", body=dict(base, queue="sales")).status == 403
    assert count(ca) == before
    # a name already taken: 409, the first one unchanged
    r = boss.post("/api/campaigns", dict(base, queue="support", mode="preview"))
    assert r.status == 201, r
    r = boss.post("/api/campaigns", dict(base, queue="sales"))
    assert r.status == 409 and r.error_field() == "name", r
    assert ca.psql("SELECT queue, mode FROM campaigns WHERE name = 'scoped'") == \
        [("support", "preview")]
    assert ("boss", "ok") in ca.psql("SELECT actor, result FROM web_audit "
                                     "WHERE action = 'campaign.add'")


def test_the_campaigns_page_adds_starts_pauses_and_shows_days(ca):
    if not browser_available():
        pytest.skip("chromium or playwright-core missing: run deploy/install-deps.sh")
    base = "http://127.0.0.1:%d" % ca.http_port
    ca.ccctl("campaign", "add", "pg_sales", "--queue", "sales", "--caller-id", "5550120", check=True)
    ca.ccctl("campaign", "add", "pg_support", "--queue", "support", "--caller-id", "5550121",
             check=True)
    b = Browser(env=ca.env(), artifacts=ART)
    try:
        b.page()
        b.login(base, "sup", PW)
        b.cmd("click", selector="a[href='/campaigns']")
        b.wait("location.pathname === '/campaigns' && window.__campaigns && "
               "window.__campaigns.names.includes('pg_sales')", timeout=20)
        # only the supervisor's queue: a campaign of queue support is not listed
        assert "pg_support" not in b.eval("window.__campaigns.names")
        assert b.eval("[...document.querySelectorAll('#add-queue option')].map(o => o.value)") \
            == ["sales"]

        # the form adds a campaign; a refusal marks the field it names
        b.cmd("fill", selector="#add input[name=name]", value="page1")
        b.cmd("fill", selector="#add input[name=caller_id]", value="555 0111")
        b.cmd("select", selector="#add select[name=mode]", value="predictive")
        b.cmd("fill", selector="#add input[name=ring]", value="10")
        b.cmd("fill", selector="#add textarea[name=hours]", value="mon-fri 09:00-17:00\nsat 10:00-12:00")
        b.cmd("fill", selector="#add textarea[name=dispositions]", value="sale:Sale\nstop:Stop:dnc")
        b.cmd("click", selector="#btn-add")
        b.wait("document.querySelector('#add input[name=ring]').getAttribute('aria-invalid') "
               "=== 'true' && !document.getElementById('toast').hidden")
        assert "15-120" in b.eval("document.getElementById('toast').textContent")
        assert ca.psql("SELECT count(*) FROM campaigns WHERE name = 'page1'") == [(0,)]
        b.screenshot("01-refused-field.png")
        b.cmd("fill", selector="#add input[name=ring]", value="30")
        b.cmd("click", selector="#btn-add")
        b.wait("window.__campaigns.names.includes('page1')", timeout=15)
        assert ca.psql("SELECT mode, caller_id, ring_s, hours, state FROM campaigns "
                       "WHERE name = 'page1'") == \
            [("predictive", "5550111", 30, ["mon-fri 09:00-17:00", "sat 10:00-12:00"], "paused")]
        assert ca.psql("SELECT code, label, adds_dnc FROM campaign_dispositions WHERE campaign = "
                       "'page1' ORDER BY code") == [("sale", "Sale", False), ("stop", "Stop", True)]

        # start and pause from the row's button: dialerd's state, and the button follows it
        row = "#rows tr[data-campaign='pg_sales']"
        b.cmd("click", selector=row + " button[data-action=start]")
        b.wait("document.querySelector(\"%s button[data-action=pause]\") !== null" % row,
               timeout=15)
        assert ca.psql("SELECT state FROM campaigns WHERE name = 'pg_sales'") == [("running",)]
        b.screenshot("02-running.png")
        b.cmd("click", selector=row + " button[data-action=pause]")
        b.wait("document.querySelector(\"%s button[data-action=start]\") !== null" % row,
               timeout=15)
        assert ca.psql("SELECT state FROM campaigns WHERE name = 'pg_sales'") == [("paused",)]

        # its figures: the days panel opens (no calls yet)
        b.cmd("click", selector=row + " button:not([data-action])")
        b.wait("!document.getElementById('days-panel').hidden && "
               "document.getElementById('days-name').textContent === 'pg_sales'")
        b.screenshot("03-figures.png")
        assert [a for a in ca.psql("SELECT actor, action FROM web_audit WHERE action IN "
                                   "('campaign.start', 'campaign.pause') ORDER BY at")] == \
            [("sup", "campaign.start"), ("sup", "campaign.pause")]
    finally:
        b.close()
