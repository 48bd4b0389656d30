"""Preview mode end to end (issue 17) and campaigns in webd's HTTP API, with real clients:
Debian's chromium (playwright-core) logged in as agent 1002 on /agent, baresip registered
as 1002 (answering by hand), and a sipp "customer" behind a trunk. The agent serves a
running preview campaign: the page shows the first lead in list order with its extra CSV
fields and attempt count; Skip puts it behind the due leads (not an attempt); Dial rings
the agent's phone first and, once it answers, the customer through the trunk, who echoes
what it hears (the agent hears its own tone: audio both ways); the wrap-up offers the
campaign's dispositions; the attempt and its outcome land in dialer_attempts. While the
agent dials, acdd holds it: a caller of the queue waits and is offered when the dial ends;
a hold left by a killed dialerd is released when it starts again. A lead shown to one agent
is reserved for it: a second agent is shown the next one. Bad input answers 4xx naming the field and
changes nothing; an agent acts only on leads of campaigns it serves. Supervisors list,
read, pause and start campaigns of their queues through dialerd's bus commands; an agent
gets 403; every action is audited. Screenshots land in build/test-artifacts/preview/."""

import subprocess
import time

import pytest

import suite as sm
from helpers.audio import make_tone
from helpers.bus import set_agents, wait_until
from helpers.desk import manual_agent_phone, open_desk
from helpers.phones import Baresip, assert_hears
from helpers.webclient import Http, browser_available, web_user

PW = "pw-for-preview"
ART = sm.REPO / "build" / "test-artifacts" / "preview"
SIPP_DIR = sm.REPO / "tests" / "sipp"
AGENT = "1002"
CALLER = "1009"  # calls the campaign's queue inbound while the agent dials a lead
OTHER = "1003"  # a second agent of the queue: shown another lead than AGENT
LEADS = [("9100001", "Ann", "A-1"), ("9100002", "Bob", "A-2"), ("9100003", "Cy", "A-3")]


@pytest.fixture(scope="module")
def pv(pg_cluster, bin_dir, tmp_path_factory):
    if not browser_available():
        pytest.skip("chromium or playwright-core missing: run deploy/install-deps.sh")
    work = tmp_path_factory.mktemp("preview")
    s = sm.Suite(pg_cluster, name="test_preview_dialer",
                 daemons=["sipproxy", "mediad", "acdd", "dialerd", "webd"],
                 config={"common.rtp_ports": sm.free_port_range(100), "dialerd.reload_s": "1",
                         "dialerd.tick_ms": "200", "mediad.media_timeout": "60"})
    uas, b = [], None
    try:
        for ext in (AGENT, OTHER, CALLER):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
        s.ccctl("queue", "add", "outq", "--number", "660", "--no-announce", check=True)
        s.ccctl("queue", "add", "elsewhere", "--number", "661", "--no-announce", check=True)
        s.ccctl("agent", "add", AGENT, "--queue", "outq", "--name", "Ada Agent", check=True)
        s.ccctl("agent", "add", OTHER, "--queue", "outq", "--name", "Bea Agent", check=True)
        s.trunk_port = sm.free_port()
        s.ccctl("trunk", "add", "cust", "--host", "127.0.0.1:%d" % s.trunk_port, check=True)
        s.ccctl("route", "add", "9.", "trunk:cust", check=True)
        csv = work / "leads.csv"
        csv.write_text("number,name,account\n" + "".join("%s,%s,%s\n" % x for x in LEADS))
        s.ccctl("campaign", "add", "pv", "--queue", "outq", "--caller-id", "5550000",
                "--mode", "preview", "--hours", "daily 00:00-24:00", "--ring", "20",
                "--disposition", "sale:Sale", "--disposition", "stop:Stop calling:dnc", check=True)
        s.ccctl("campaign", "import", "pv", csv, check=True)
        # a preview campaign of a queue 1002 does not serve
        other = work / "other.csv"
        other.write_text("number,name\n9100009,Zed\n")
        s.ccctl("campaign", "add", "other", "--queue", "elsewhere", "--caller-id", "5550001",
                "--mode", "preview", "--hours", "daily 00:00-24:00", check=True)
        s.ccctl("campaign", "import", "other", other, check=True)
        web_user(s, "ada", "agent", PW, ext=AGENT)
        web_user(s, "bea", "agent", PW, ext=OTHER)
        web_user(s, "sup", "supervisor", PW, queues="outq")
        web_user(s, "boss", "admin", PW)
        s.start()
        s.ccctl("campaign", "start", "pv", check=True)
        s.ccctl("campaign", "start", "other", check=True)
        manual_agent_phone(s, AGENT, 880, uas)
        s.lead = dict(s.psql("SELECT number, id FROM leads"))
        s.base = "http://127.0.0.1:%d" % s.http_port
        s.work = work
        b = open_desk(s, ART, "ada", PW)
        s.b = b
        yield s
    finally:
        if b:
            b.close()
        for ua in uas:
            ua.stop()
        s.close()


def echo_customer(s, msgs):
    """A sipp customer behind the trunk who answers one call after 1 s and echoes its audio
    (-rtp_echo), tracing SIP to `msgs`."""
    uas = subprocess.Popen(["sipp", "-sf", str(SIPP_DIR / "dialer_customer_answer.xml"),
                            "-i", "127.0.0.1", "-p", str(s.trunk_port), "-m", "1",
                            "-timeout", "60s", "-nostdin", "-trace_msg", "-message_file",
                            str(msgs), "-rtp_echo", "-mp", str(sm.free_port(tcp=False, span=4))],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           cwd=str(s.work))
    s.all_pids.append(uas.pid)
    return uas


def client(s, user):
    c = Http(s.http_port)
    c.login(user, PW)
    return c


def shown_lead(b):
    return b.eval("document.getElementById('pv-lead').hidden ? '' : "
                  "document.getElementById('pv-lead').dataset.leadId")


def wait_lead(s, number, timeout=15):
    want = str(s.lead[number])
    s.b.wait("!document.getElementById('pv-lead').hidden && "
             "document.getElementById('pv-lead').dataset.leadId === '%s'" % want, timeout=timeout)


def audited(s, action):
    return s.psql("SELECT actor, result FROM web_audit WHERE action = %s ORDER BY at", (action,))


# ---- the agent's panel: skip, then dial ------------------------------------------------------


def test_agent_skips_the_first_lead_and_dials_the_second(pv):
    s, b = pv, pv.b
    # the first lead in list order, with the list's extra fields and its attempts
    wait_lead(s, "9100001", timeout=20)
    assert b.eval("document.getElementById('pv-name').textContent") == "Ann"
    assert b.eval("document.getElementById('pv-number').textContent") == "9100001"
    assert b.eval("document.getElementById('pv-attempts').textContent") == "0"
    assert b.eval("document.getElementById('pv-campaign').textContent") == "pv"
    assert "A-1" in b.eval("document.getElementById('pv-fields').textContent")
    b.screenshot("01-first-lead.png")

    b.cmd("click", selector="#btn-pv-skip")
    wait_lead(s, "9100002")
    assert b.eval("document.getElementById('pv-name').textContent") == "Bob"
    # a skip is no attempt: Ann is still ready with no attempts, due again now
    assert s.psql("SELECT state, attempts, next_attempt_at IS NOT NULL FROM leads "
                  "WHERE number = '9100001'") == [("ready", 0, True)]
    assert s.psql("SELECT outcome, agent, mode FROM dialer_attempts WHERE lead_id = %s",
                  (s.lead["9100001"],)) == [("skipped", AGENT, "preview")]

    sub = s.subscribe(["sipproxy"], prefix="call.")
    msgs = s.work / "customer-msgs.log"
    uas = echo_customer(s, msgs)
    try:
        time.sleep(0.3)
        mark = len(s.ua[AGENT].text())
        b.cmd("click", selector="#btn-pv-dial")
        # the agent's phone first...
        wait_until(lambda: "Incoming call" in s.ua[AGENT].text()[mark:], timeout=15,
                   what="the agent's phone to ring")
        time.sleep(0.5)
        assert not msgs.exists() or "INVITE sip:" not in msgs.read_text(), \
            "the customer was called before the agent answered"
        assert s.psql("SELECT state, attempts FROM leads WHERE number = '9100002'") == \
            [("dialling", 1)]
        s.ua[AGENT].command("accept")
        # ...then the customer, through the trunk, who answers
        wait_until(lambda: "INVITE sip:9100002@" in msgs.read_text() if msgs.exists() else False,
                   timeout=15, what="the customer to be called through the trunk")
        got = sub.collect(10, until=lambda evs: sum(
            1 for e in evs if e[0] == "call.connect_result") >= 2)
        results = [(e[1]["target"], e[1]["result"]) for e in got
                   if e[0] == "call.connect_result"]
        assert results == [("ext:%s" % AGENT, "answered"), ("number:9100002", "answered")], got
        wait_until(lambda: s.psql("SELECT answered_at IS NOT NULL FROM dialer_attempts "
                                  "WHERE lead_id = %s", (s.lead["9100002"],)) == [(True,)],
                   timeout=10, what="the answer recorded")
        # audio both ways: the customer sends back what it hears, so the agent hearing its
        # own 880 Hz went to the customer and came back (nothing here plays 440 Hz)
        time.sleep(0.5)
        assert_hears(s.ua[AGENT], [880], [440], "the agent talking with the previewed customer")
        # the next lead is shown meanwhile: Cy, who was due before the skipped Ann
        wait_lead(s, "9100003")
        # the call's wrap-up offers the campaign's dispositions (the queue has no codes)
        b.wait("[...document.querySelectorAll('#wrap-code optgroup[data-campaign=\"pv\"] "
               "option')].map(o => o.value + '=' + o.textContent).join('|') === "
               "'sale=Sale|stop=Stop calling (do not call)'", timeout=10)
        b.screenshot("02-dialled.png")
        time.sleep(1.0)
        s.ua[AGENT].command("hangup")
        out, err = uas.communicate(timeout=20)
    finally:
        if uas.poll() is None:
            uas.kill()
            uas.wait()
        sub.close()
    assert uas.returncode == 0, "the sipp customer failed:\n%s" % err[-1500:]
    row = wait_until(lambda: s.psql(
        "SELECT attempt, mode, outcome, agent, answered_at IS NOT NULL, agent_at IS NOT NULL, "
        "ended_at IS NOT NULL, call_id IS NOT NULL, talk_ms > 0 FROM dialer_attempts "
        "WHERE lead_id = %s AND ended_at IS NOT NULL", (s.lead["9100002"],)),
        timeout=15, what="the attempt to end")
    assert row == [(1, "preview", "answered", AGENT, True, True, True, True, True)], row
    assert s.psql("SELECT state, attempts, last_outcome FROM leads WHERE number = '9100002'") \
        == [("done", 1, "answered")]
    # the agent picks the campaign's code on the page: the attempt gets it
    b.cmd("select", selector="#wrap-code", value="sale")
    b.cmd("click", selector="#btn-wrap-save")
    wait_until(lambda: s.psql("SELECT disposition FROM dialer_attempts WHERE lead_id = %s "
                              "AND outcome = 'answered'", (s.lead["9100002"],)) == [("sale",)],
               timeout=10, what="the campaign's disposition saved with the attempt")
    assert s.psql("SELECT w.code, w.agent FROM call_wrapups w JOIN dialer_attempts a "
                  "ON a.call_id = w.call_id WHERE a.lead_id = %s",
                  (s.lead["9100002"],)) == [("sale", AGENT)]
    # the skipped lead is still due, and the daily view counts the dial, not the skip
    assert s.psql("SELECT state, attempts FROM leads WHERE number = '9100001'") == \
        [("ready", 0)]
    assert s.psql("SELECT attempts, contacts, abandoned FROM v_campaign_daily "
                  "WHERE campaign = 'pv'", role="cc_bi") == [(1, 1, 0)]
    assert [a for a, r in audited(s, "me.preview_skip")] == ["ada"]
    assert [(a, r) for a, r in audited(s, "me.preview_dial")] == [("ada", "ok")]


def test_a_dial_the_agent_refuses_is_no_attempt(pv):
    """The agent's phone is rung first: refused there, the customer is never called, the
    attempt is given back and the lead goes behind the due ones (Ann, then Cy)."""
    s, b = pv, pv.b
    wait_lead(s, "9100003")
    sub = s.subscribe(["sipproxy"], prefix="call.")
    try:
        mark = len(s.ua[AGENT].text())
        b.cmd("click", selector="#btn-pv-dial")
        wait_until(lambda: "Incoming call" in s.ua[AGENT].text()[mark:], timeout=15,
                   what="the agent's phone to ring")
        s.ua[AGENT].command("hangup")  # reject the incoming call
        row = wait_until(lambda: s.psql(
            "SELECT outcome, agent, answered_at IS NULL FROM dialer_attempts "
            "WHERE lead_id = %s AND ended_at IS NOT NULL", (s.lead["9100003"],)),
            timeout=15, what="the refused dial to end")
        got = sub.collect(2)
    finally:
        sub.close()
    assert row == [("skipped", None, True)], row
    targets = [e[1].get("target") for e in got if e[0] == "call.connect_result"]
    assert "number:9100003" not in targets, got
    assert s.psql("SELECT state, attempts, last_outcome FROM leads WHERE number = '9100003'") \
        == [("ready", 0, "skipped")]
    # Ann was skipped before Cy: she comes first now
    wait_lead(s, "9100001")
    assert s.psql("SELECT attempts FROM v_campaign_daily WHERE campaign = 'pv'",
                  role="cc_bi") == [(1,)]


# ---- bad input: 4xx naming the field, nothing changed -----------------------------------------


def test_bad_preview_requests_are_refused_and_change_nothing(pv):
    s = pv
    ada = client(s, "ada")
    before = s.psql("SELECT id, state, attempts, next_attempt_at FROM leads ORDER BY id")
    rows_before = s.psql("SELECT count(*) FROM dialer_attempts")
    zed = s.psql("SELECT id FROM leads WHERE campaign = 'other'")[0][0]
    cases = [
        ("/api/me/preview/dial", {}, 400, "lead_id"),
        ("/api/me/preview/dial", {"lead_id": "abc"}, 400, "lead_id"),
        ("/api/me/preview/dial", {"lead_id": 0}, 400, "lead_id"),
        ("/api/me/preview/dial", {"lead_id": 99999999}, 404, "lead_id"),
        ("/api/me/preview/skip", {"lead_id": 99999999}, 404, "lead_id"),
        ("/api/me/preview/dial", {"lead_id": zed}, 403, "lead_id"),   # not my campaign
        ("/api/me/preview/skip", {"lead_id": zed}, 403, "lead_id"),
        ("/api/me/preview/dial", {"lead_id": s.lead["9100002"]}, 409, "lead_id"),  # done
        ("/api/me/preview/skip", {"lead_id": s.lead["9100002"]}, 409, "lead_id"),
        ("/api/me/preview/dial", {"lead_id": s.lead["9100001"], "ext": "1003"}, 400, "ext"),
    ]
    for path, body, status, field in cases:
        r = ada.post(path, body)
        assert r.status == status and r.error_field() == field, (path, body, r)
    r = ada.get("/api/me/preview?campaign=other")
    assert r.status == 403 and r.error_field() == "campaign", r
    r = ada.get("/api/me/preview?campaign=b%20d")
    assert r.status == 400 and r.error_field() == "campaign", r
    # without the CSRF token, nobody; a supervisor is no agent
    raw = Http(s.http_port)
    raw.login("ada", PW)
    raw.csrf = None
    assert raw.request("POST", "/api/me/preview/skip",
                       body={"lead_id": s.lead["9100001"]}).status == 403
    assert client(s, "sup").post("/api/me/preview/skip",
                                 {"lead_id": s.lead["9100001"]}).status == 403
    # nothing changed
    assert s.psql("SELECT id, state, attempts, next_attempt_at FROM leads ORDER BY id") == before
    assert s.psql("SELECT count(*) FROM dialer_attempts") == rows_before
    refused = [r for a, r in audited(s, "me.preview_dial") if r != "ok"]
    assert len(refused) >= 6, audited(s, "me.preview_dial")


# ---- campaigns in the HTTP API ------------------------------------------------------------------


def test_supervisors_list_pause_and_start_campaigns_agents_may_not(pv):
    s = pv
    sup, boss, ada = client(s, "sup"), client(s, "boss"), client(s, "ada")
    r = sup.get("/api/campaigns")
    assert r.status == 200, r
    by_name = {c["name"]: c for c in r.json["campaigns"]}
    # only the campaigns of the supervisor's queues; an admin sees all
    assert set(by_name) == {"pv"}, r.json
    assert by_name["pv"]["mode"] == "preview" and by_name["pv"]["state"] == "running"
    assert by_name["pv"]["queue"] == "outq" and by_name["pv"]["leads_ready"] >= 1
    assert {c["name"] for c in boss.get("/api/campaigns").json["campaigns"]} == {"pv", "other"}

    r = sup.get("/api/campaigns/pv/stats")
    assert r.status == 200 and r.json["campaign"]["name"] == "pv", r
    assert isinstance(r.json["days"], list)

    r = sup.post("/api/campaigns/pv/pause")
    assert r.status == 200 and r.json["state"] == "paused", r
    assert s.psql("SELECT state FROM campaigns WHERE name = 'pv'") == [("paused",)]
    # a paused campaign offers the agent nothing
    r = ada.get("/api/me/preview")
    assert r.status == 200 and "lead" not in r.json and r.json["campaigns"] == [], r
    r = ada.post("/api/me/preview/dial", {"lead_id": s.lead["9100003"]})
    assert r.status == 409 and r.error_field() == "lead_id", r

    r = sup.post("/api/campaigns/pv/start")
    assert r.status == 200 and r.json["state"] == "running", r
    assert s.psql("SELECT state FROM campaigns WHERE name = 'pv'") == [("running",)]
    r = ada.get("/api/me/preview")
    assert r.status == 200 and r.json["campaigns"] == ["pv"] and "lead" in r.json, r

    # out of scope, unknown, wrong role, no CSRF token
    for path in ("/api/campaigns/other/pause", "/api/campaigns/nosuch/start"):
        r = sup.post(path)
        assert r.status == 404 and r.error_field() == "campaign", (path, r)
    assert s.psql("SELECT state FROM campaigns WHERE name = 'other'") == [("running",)]
    assert ada.get("/api/campaigns").status == 403
    assert ada.post("/api/campaigns/pv/pause").status == 403
    assert ada.get("/api/campaigns/pv/stats").status == 403
    raw = Http(s.http_port)
    raw.login("sup", PW)
    raw.csrf = None
    assert raw.request("POST", "/api/campaigns/pv/pause", body={}).status == 403
    assert s.psql("SELECT state FROM campaigns WHERE name = 'pv'") == [("running",)]
    # the action is the route's, whatever the campaign is called
    s.ccctl("campaign", "add", "start", "--queue", "outq", "--caller-id", "5550002",
            "--mode", "progressive", check=True)
    r = sup.post("/api/campaigns/start/start")
    assert r.status == 200 and r.json == {"campaign": "start", "state": "running"}, r
    r = sup.post("/api/campaigns/start/pause")
    assert r.status == 200 and r.json["state"] == "paused", r
    assert s.psql("SELECT state FROM campaigns WHERE name = 'start'") == [("paused",)]
    assert [(a, r) for a, r in audited(s, "campaign.pause") if a == "sup"][0] == ("sup", "ok")
    assert ("sup", "ok") in audited(s, "campaign.start")


# ---- the agent is held while it dials ---------------------------------------------------------


def _agent(s, ext):
    agents = s.bus_call("acdd", "agent.list")["result"]["agents"]
    return next(a for a in agents if a["ext"] == ext)


def _outq(s):
    queues = s.bus_call("acdd", "queue.list")["result"]["queues"]
    return next(q for q in queues if q["name"] == "outq")


def test_an_agent_dialling_a_lead_is_offered_no_queue_call_until_the_dial_ends(pv):
    """The agent is ready in the campaign's queue and dials a lead: from the dial until the
    call ends acdd holds the agent (agent.hold), so a caller who rings the queue meanwhile
    waits instead of ringing the agent's phone on top of the lead's call, while the agent's
    phone rings and while it talks with the customer. The call ended, the hold ends and the
    waiting caller is offered to the agent at once."""
    s, b = pv, pv.b
    set_agents(s, ready=[AGENT], agents=[AGENT, OTHER])
    assert _agent(s, AGENT)["state"] == "ready" and not _agent(s, AGENT)["held"]
    tone = s.var_dir / "tone-caller.wav"
    make_tone(tone, 440, 60, 0.5)
    caller = Baresip(s, CALLER, "secret" + CALLER, tone, answer="manual")
    sub, uas = s.subscribe(["acdd"], prefix="queue."), None
    try:
        assert caller.wait_log("200 OK", 10), "%s did not register" % CALLER
        uas = echo_customer(s, s.work / "held-customer-msgs.log")
        # the page shows a lead and its Dial button (the panel as the agent sees it)
        b.wait("!document.getElementById('preview').hidden && "
               "!document.getElementById('pv-lead').hidden && "
               "document.getElementById('pv-lead').dataset.leadId !== '' && "
               "!document.getElementById('btn-pv-dial').disabled", timeout=15)
        lead = int(shown_lead(b))
        mark = len(s.ua[AGENT].text())
        b.cmd("click", selector="#btn-pv-dial")
        wait_until(lambda: "Incoming call" in s.ua[AGENT].text()[mark:], timeout=15,
                   what="the agent's phone to ring with the lead's call")
        held = _agent(s, AGENT)
        assert held["held"] and held["state"] == "ready", held
        # a caller rings the queue while the agent's phone rings with the lead's call
        caller.dial("660")
        entered = sub.collect(10, until=lambda evs: any(e[0] == "queue.entered" for e in evs))
        assert any(e[0] == "queue.entered" and e[1]["caller"] == CALLER for e in entered), entered
        s.ua[AGENT].command("accept")
        wait_until(lambda: s.psql("SELECT answered_at IS NOT NULL FROM dialer_attempts "
                                  "WHERE lead_id = %s AND ended_at IS NULL", (lead,)) == [(True,)],
                   timeout=15, what="the customer to answer")
        assert_hears(s.ua[AGENT], [880], [440], "the agent talking with the customer")
        # agent ringing, then talking: the caller was never offered, and still waits
        during = sub.collect(2)
        offers = [e for e in entered + during if e[0] == "queue.offered"]
        assert offers == [], "the caller was offered during the dial: %s" % offers
        q = _outq(s)
        assert q["waiting"] == 1 and q["ready"] == 0 and q["staffed"] == 1, q
        assert _agent(s, AGENT)["held"]
        # the agent hangs up on the customer: the hold ends, the caller is offered at once
        s.ua[AGENT].command("hangup")
        after = sub.collect(15, until=lambda evs: any(e[0] == "queue.offered" for e in evs))
        offered = [e[1] for e in after if e[0] == "queue.offered"]
        assert [o["agent"] for o in offered] == [AGENT], after
        assert not _agent(s, AGENT)["held"]
        assert s.psql("SELECT outcome FROM dialer_attempts WHERE lead_id = %s "
                      "AND outcome <> 'skipped'", (lead,)) == [("answered",)]
    finally:
        sub.close()
        if uas and uas.poll() is None:
            uas.kill()
            uas.wait()
        caller.stop()  # its call to the queue ends with it


def test_a_hold_left_by_a_killed_dialerd_is_released_when_it_starts(pv):
    """dialerd is killed (-9) while the agent's phone rings with a preview dial: acdd still
    holds the agent (nobody tells it the dial is over) and the lead stays 'dialling'.
    Started again, dialerd releases the holds of preview dials and closes the attempt as
    interrupted; the lead, whose customer was not reached, is due again after the campaign's
    no-answer gap (3600 s by default), not lost."""
    s, b = pv, pv.b
    set_agents(s, ready=[AGENT], agents=[AGENT, OTHER])
    b.wait("!document.getElementById('preview').hidden && "
           "!document.getElementById('pv-lead').hidden && "
           "document.getElementById('pv-lead').dataset.leadId !== '' && "
           "!document.getElementById('btn-pv-dial').disabled", timeout=20)
    lead = int(shown_lead(b))
    mark = len(s.ua[AGENT].text())
    b.cmd("click", selector="#btn-pv-dial")
    wait_until(lambda: "Incoming call" in s.ua[AGENT].text()[mark:], timeout=15,
               what="the agent's phone to ring with the lead's call")
    assert _agent(s, AGENT)["held"]
    code, _ = s.kill9("dialerd")
    assert code == -9, code
    s.ua[AGENT].command("hangup")  # the agent refuses the call dialerd can no longer follow
    time.sleep(1.0)
    assert _agent(s, AGENT)["held"], "acdd released the agent with nobody telling it to"
    assert s.psql("SELECT state FROM leads WHERE id = %s", (lead,)) == [("dialling",)]
    s.restart("dialerd")
    wait_until(lambda: not _agent(s, AGENT)["held"], timeout=15,
               what="the restarted dialerd to release the agent")
    assert _agent(s, AGENT)["state"] == "ready"
    row = s.psql("SELECT outcome, answered_at IS NULL, ended_at IS NOT NULL FROM dialer_attempts "
                 "WHERE lead_id = %s AND outcome IS DISTINCT FROM 'skipped'", (lead,))
    assert row == [("interrupted", True, True)], row
    (state, attempts, last, due_in), = s.psql(
        "SELECT state, attempts, last_outcome, extract(epoch FROM next_attempt_at - now()) "
        "FROM leads WHERE id = %s", (lead,))
    assert (state, attempts, last) == ("ready", 1, "interrupted"), (state, attempts, last)
    assert 3500 < due_in <= 3600, due_in
    # an operator ends a hold by hand, dialerd or not
    s.bus_call("acdd", "agent.hold", {"ext": AGENT, "reason": "preview"})
    assert _agent(s, AGENT)["held"]
    r = s.ccctl("agent", "unhold", AGENT, check=True)
    assert "agent %s: released (ready)" % AGENT in r.stdout, r.stdout
    assert not _agent(s, AGENT)["held"]
    r = s.ccctl("agent", "unhold", "12x")
    assert r.returncode != 0 and "bad extension" in r.stderr, r


# ---- a lead on one agent's screen is not on another's ---------------------------------------


def _reservations(s, ids):
    return s.psql("SELECT number, reserved_by, extract(epoch FROM reserved_until - now()) "
                  "FROM leads WHERE id = ANY(%s) ORDER BY number", (list(ids),))


def test_a_lead_shown_to_one_agent_is_not_shown_to_another(pv):
    """Two agents of the campaign's queue ask for their next lead: each is shown a different
    one, reserved for it for 90 s and renewed each time it asks; the other agent can neither
    dial nor skip it (409 naming lead_id, nothing changed). A reservation that ran out (a page
    closed without a word) is as none: the lead goes to whoever asks next, in list order,
    and that agent's previous lead is freed; a skip frees the lead too."""
    s = pv
    s.b.goto("about:blank")  # ada's page stops asking: her API client asks instead
    more = s.work / "more.csv"
    more.write_text("number,name,account\n9100006,Fay,A-6\n9100007,Gus,A-7\n")
    s.ccctl("campaign", "import", "pv", more, check=True)
    ids = dict(s.psql("SELECT number, id FROM leads WHERE number IN ('9100006', '9100007')"))
    fay, gus = ids["9100006"], ids["9100007"]
    ada, bea = client(s, "ada"), client(s, "bea")

    r = ada.get("/api/me/preview")
    assert r.status == 200 and r.json["lead"]["id"] == fay, r
    r = bea.get("/api/me/preview")
    assert r.status == 200 and r.json["lead"]["id"] == gus, r
    rows = _reservations(s, (fay, gus))
    assert [x[:2] for x in rows] == [("9100006", AGENT), ("9100007", OTHER)], rows
    assert all(80 < x[2] <= 90 for x in rows), rows
    # asking again: the same lead, the reservation renewed
    s.psql("UPDATE leads SET reserved_until = now() + interval '10 seconds' WHERE id = %s",
           (fay,))
    r = ada.get("/api/me/preview")
    assert r.status == 200 and r.json["lead"]["id"] == fay, r
    assert 80 < _reservations(s, (fay,))[0][2] <= 90

    # bea may not dial or skip ada's lead; nothing changes
    before = s.psql("SELECT state, attempts, next_attempt_at, reserved_by FROM leads "
                    "WHERE id = %s", (fay,))
    attempts = s.psql("SELECT count(*) FROM dialer_attempts")
    for what in ("dial", "skip"):
        r = bea.post("/api/me/preview/" + what, {"lead_id": fay})
        assert r.status == 409 and r.error_field() == "lead_id", (what, r)
        assert "another agent" in r.json["error"]["message"], r
    assert s.psql("SELECT state, attempts, next_attempt_at, reserved_by FROM leads "
                  "WHERE id = %s", (fay,)) == before
    assert s.psql("SELECT count(*) FROM dialer_attempts") == attempts

    # ada's reservation ran out (her page closed long ago): the lead is bea's next, in list
    # order, and the lead bea was shown before is free again
    s.psql("UPDATE leads SET reserved_until = now() - interval '1 second' WHERE id = %s",
           (fay,))
    r = bea.get("/api/me/preview")
    assert r.status == 200 and r.json["lead"]["id"] == fay, r
    assert [x[:2] for x in _reservations(s, (fay, gus))] == [("9100006", OTHER),
                                                             ("9100007", None)]
    # bea skips it: her own, so she may; the lead is nobody's
    r = bea.post("/api/me/preview/skip", {"lead_id": fay})
    assert r.status == 200, r
    assert [x[:2] for x in _reservations(s, (fay,))] == [("9100006", None)]
