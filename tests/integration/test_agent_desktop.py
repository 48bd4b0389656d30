"""The agent desktop (webd's /agent page) with real clients: Debian's chromium (playwright-core)
logged in as agent 1002 while baresip is registered as 1002. The page logs in to the queue,
goes ready and pauses with a reason from Postgres; a change made by a supervisor on the bus
shows at once. A baresip caller known in customers dials the IVR, which looks it up and
hands it to the queue: the pop shows the caller, the customer record, the IVR path and
variables before the agent answers; the agent answers on the phone, pauses and resumes the
recording and hangs up from the page; the queue requires a wrap-up code before ready; the code and notes are saved with the
call (call_wrapups, v_call_wrapups, /api/cdrs) and shown in the caller's next pop.
Click-to-dial rings the agent's phone, then the number; a call dialled straight to the
extension pops too. The agent's recording plays in the page (range requests, seeking);
another agent's recording answers 404; every fetch is audited. Also the API's bad input (4xx
naming the field, nothing changed), the role checks (an agent acts on itself only) and
ccctl's validation. Screenshots land in build/test-artifacts/desk/."""

import hashlib
import hmac
import http.server
import json
import threading
import time

import pytest

import suite as sm
from helpers.audio import make_tone
from helpers.bus import bus_ok, wait_until
from helpers.phones import Baresip
from helpers.webclient import Browser, Http, browser_available, web_user

# a browser page and its timing: alone, before the parallel part
pytestmark = pytest.mark.serial

PW = "pw-for-desk-1"
ART = sm.REPO / "build" / "test-artifacts" / "desk"
QUEUE, QUEUE_NUMBER, IVR_NUMBER = "support", "620", "7100"
AGENT, OTHER, CALLER, DIALLED = "1002", "1003", "2001", "2002"

FLOW = {
    "name": "desk-lookup", "language": "en", "start": "who",
    "nodes": {
        "who": {"kind": "lookup", "table": "customers", "key": "${caller}", "timeout": 2,
                "next": "queue", "not_found": "queue"},
        "queue": {"kind": "route", "to": "queue", "target": QUEUE},
    },
}


@pytest.fixture(scope="module")
def desk(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_agent_desktop",
                 daemons=["sipproxy", "mediad", "acdd", "ivrd", "recorderd", "cdrd", "webd"],
                 config={"sipproxy.ring_timeout": "20", "mediad.media_timeout": "60",
                         "ivrd.path_flush_ms": "50", "webd.hook_retry_ms": "200",
                         "webd.hook_max_attempts": "6"})
    uas = []
    try:
        for ext in (AGENT, OTHER, CALLER, DIALLED):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
            s.ccctl("route", "add", ext, "ext:" + ext, check=True)
        s.ccctl("queue", "add", QUEUE, "--number", QUEUE_NUMBER, "--ring-timeout", "20",
                "--wrapup", "60", "--no-announce", check=True)
        s.ccctl("agent", "add", AGENT, "--queue", QUEUE, "--name", "Ada Agent", check=True)
        s.ccctl("agent", "add", OTHER, "--queue", QUEUE, check=True)
        s.ccctl("agent", "reason", "add", "lunch", "--label", "Lunch break", check=True)
        s.ccctl("agent", "reason", "add", "coaching", "--label", "Coaching", check=True)
        s.ccctl("queue", "disposition", "add", QUEUE, "sale", "Sale made", check=True)
        s.ccctl("queue", "disposition", "add", QUEUE, "info", "Information only", check=True)
        s.ccctl("queue", "disposition", "require", QUEUE, "yes", check=True)
        s.ccctl("recording", "policy", "queue:" + QUEUE, "always", check=True)
        s.psql("INSERT INTO customers (number, name, tier, account) "
               "VALUES (%s, 'Grace Customer', 'gold', 'AC-4711')", (CALLER,))
        web_user(s, "ada", "agent", PW, ext=AGENT)
        web_user(s, "bob", "agent", PW, ext=OTHER)
        web_user(s, "sup", "supervisor", PW, queues="*")
        s.start()
        flow = s.var_dir / "desk-lookup.json"
        flow.write_text(json.dumps(FLOW))
        r = s.ccctl("ivr", "load", flow, "--number", IVR_NUMBER)
        assert r.returncode == 0, r.stderr
        s.wait_log("ivrd", r"event=ivr.flow_loaded daemon=ivrd flow=desk-lookup", timeout=15)
        tone = s.var_dir / "tone.wav"
        make_tone(tone, 440, 120)
        s.ua = {ext: Baresip(s, ext, "secret" + ext, tone, answer="manual")
                for ext in (AGENT, CALLER, DIALLED)}
        uas.extend(s.ua.values())
        for ua in uas:
            assert ua.wait_log("200 OK", 15), "%s did not register" % ua.ext
        wait_until(lambda: len(bus_ok(s, "acdd", "agent.list")["agents"]) == 2,
                   what="acdd to know the agents")
        s.base = "http://127.0.0.1:%d" % s.http_port
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


def client(s, user):
    c = Http(s.http_port)
    c.login(user, PW)
    return c


def agent_of(s, ext):
    for a in bus_ok(s, "acdd", "agent.list")["agents"]:
        if a["ext"] == ext:
            return a
    raise AssertionError("acdd does not list %s" % ext)


# ---- ccctl ------------------------------------------------------------------------------------


def test_ccctl_reasons_and_dispositions(desk):
    s = desk
    r = s.ccctl("agent", "reason", "list", "--json", check=True)
    assert {x["name"]: x["label"] for x in json.loads(r.stdout)} == {
        "lunch": "Lunch break", "coaching": "Coaching"}
    r = s.ccctl("queue", "disposition", "list", QUEUE, "--json", check=True)
    rows = json.loads(r.stdout)
    assert [(x["code"], x["label"], x["required"]) for x in rows] == [
        ("info", "Information only", True), ("sale", "Sale made", True)], rows
    # bad usage: exit 2, refused: exit 1; nothing written either way
    for args in (("agent", "reason", "add", "bad name"), ("agent", "reason", "add"),
                 ("agent", "reason", "add", "x" * 32),
                 ("queue", "disposition", "add", QUEUE, "ok"),
                 ("queue", "disposition", "add", QUEUE, "b@d", "label"),
                 ("queue", "disposition", "require", QUEUE, "maybe")):
        assert s.ccctl(*args).returncode == 2, args
    for args in (("queue", "disposition", "add", "nosuch", "x", "X"),
                 ("queue", "disposition", "del", QUEUE, "nosuch"),
                 ("agent", "reason", "del", "nosuch"),
                 ("agent", "reason", "add", "lunch")):
        r = s.ccctl(*args)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
    assert s.psql("SELECT count(*) FROM agent_pause_reasons")[0][0] == 2
    assert s.psql("SELECT count(*) FROM queue_wrapup_codes")[0][0] == 2
    s.ccctl("agent", "reason", "add", "temp", check=True)
    s.ccctl("agent", "reason", "del", "temp", check=True)
    assert "require" in s.ccctl("queue", "disposition", "--help").stdout


# ---- the API: bad input and roles ----------------------------------------------------------


def test_bad_input_names_the_field_and_changes_nothing(desk):
    s = desk
    bus_ok(s, "acdd", "agent.logout", {"ext": AGENT})
    c = client(s, "ada")
    me = c.get("/api/me")
    assert me.status == 200, me
    assert me.json["ext"] == AGENT and me.json["agent"]["state"] == "logged_out", me.json
    assert [x["name"] for x in me.json["reasons"]] == ["coaching", "lunch"]
    q = me.json["queues"]
    assert q[0]["queue"] == QUEUE and q[0]["code_required"] is True, q
    assert [x["code"] for x in q[0]["codes"]] == ["info", "sale"], q
    cases = [
        ("/api/me/state", {"state": "dance"}, 400, "state"),
        ("/api/me/state", {}, 400, "state"),
        ("/api/me/state", {"state": "pause"}, 400, "reason"),
        ("/api/me/state", {"state": "pause", "reason": "nap"}, 400, "reason"),
        ("/api/me/state", {"state": "pause", "reason": "no spaces"}, 400, "reason"),
        ("/api/me/state", {"state": "ready", "reason": "lunch"}, 400, "reason"),
        ("/api/me/state", {"state": "login", "ext": OTHER}, 400, "ext"),
        ("/api/me/wrapup", {"code": "sale"}, 400, "call_id"),
        ("/api/me/wrapup", {"call_id": "nope", "code": "sale"}, 404, "call_id"),
        ("/api/me/wrapup", {"call_id": "x", "notes": "n" * 2001}, 400, "notes"),
        ("/api/me/wrapup", {"call_id": "x", "code": "b@d"}, 400, "code"),
        ("/api/me/dial", {"number": "abc"}, 400, "number"),
        ("/api/me/dial", {}, 400, "number"),
        ("/api/me/recording", {"action": "stop"}, 400, "action"),
        ("/api/me/recording", {"action": "pause", "call_id": "x"}, 400, "call_id"),
    ]
    for path, body, status, field in cases:
        r = c.post(path, body)
        assert r.status == status and r.json["error"]["field"] == field, (path, body, r)
    for path, body in (("/api/me/hangup", {}), ("/api/me/recording", {"action": "pause"})):
        r = c.post(path, body)
        assert r.status == 409 and r.json["error"]["code"] == "no_call", (path, r)
    assert agent_of(s, AGENT)["state"] == "logged_out"
    assert s.psql("SELECT count(*) FROM call_wrapups")[0][0] == 0


def test_an_agent_acts_on_itself_only(desk):
    s = desk
    bob = client(s, "bob")
    # the console's routes take an extension: an agent may use none of them
    for method, path, body in (("POST", "/api/agents/%s/state" % AGENT, {"state": "login"}),
                               ("POST", "/api/originate", {"agent": AGENT, "number": "2002"}),
                               ("GET", "/api/agents", None), ("GET", "/api/cdrs", None)):
        r = bob.request(method, path, body=body)
        assert r.status == 403 and r.json["error"]["code"] == "forbidden", (path, r)
    # its own routes always mean its own extension
    r = bob.post("/api/me/state", {"state": "login"})
    assert r.status == 200, r
    wait_until(lambda: agent_of(s, OTHER)["state"] == "ready", what="1003 ready")
    assert agent_of(s, AGENT)["state"] == "logged_out"
    r = bob.post("/api/me/state", {"state": "logout"})
    assert r.status == 200, r
    # supervisors have no desktop routes; without CSRF an agent's post is refused
    sup = client(s, "sup")
    for path in ("/api/me", "/api/me/pop", "/agent"):
        assert sup.get(path).status == 403, path
    raw = Http(s.http_port)
    raw.login("bob", PW)
    raw.csrf = None
    r = raw.request("POST", "/api/me/state", body={"state": "login"})
    assert r.status == 403, r
    # the agent's stream: its own tile is there, and nothing of other queues
    r = bob.get("/api/board")
    assert r.status == 403, r
    assert agent_of(s, OTHER)["state"] == "logged_out"


# ---- the page, with a real call ----------------------------------------------------------------


def wait_state(b, state, timeout=15):
    b.wait("document.getElementById('my-state').dataset.state === '%s'" % state, timeout=timeout)


def test_desktop_state_pop_hangup_wrapup_and_next_pop(desk):
    s = desk
    if not browser_available():
        pytest.skip("chromium or playwright-core missing: run deploy/install-deps.sh")
    bus_ok(s, "acdd", "agent.logout", {"ext": AGENT})
    b = Browser(env=s.env(), artifacts=ART)
    try:
        b.page("main")
        b.goto(s.base + "/login")
        b.cmd("fill", selector="#name", value="ada")
        b.cmd("fill", selector="#password", value=PW)
        b.cmd("click", selector="#login-button")
        b.wait("location.pathname === '/agent' && window.__desk && window.__desk.connected",
               timeout=20)
        wait_state(b, "logged_out")
        b.screenshot("01-logged-out.png")
        # log in from the page: acdd makes the agent ready
        b.cmd("click", selector="#btn-login")
        wait_state(b, "ready")
        assert agent_of(s, AGENT)["state"] == "ready"
        # a supervisor's pause shows at once, with its reason
        bus_ok(s, "acdd", "agent.pause", {"ext": AGENT, "reason": "coaching"})
        wait_state(b, "not_ready")
        assert b.eval("document.getElementById('my-reason').textContent") == "coaching"
        # ready, then a pause from the page with a reason of the list
        b.cmd("click", selector="#btn-ready")
        wait_state(b, "ready")
        b.cmd("select", selector="#sel-reason", value="lunch")
        b.cmd("click", selector="#btn-pause")
        wait_state(b, "not_ready")
        a = agent_of(s, AGENT)
        assert (a["state"], a["reason"]) == ("not_ready", "lunch"), a
        b.screenshot("02-paused.png")
        b.cmd("click", selector="#btn-ready")
        wait_state(b, "ready")

        # a call through the IVR: the pop shows before the agent answers
        s.ua[CALLER].dial(IVR_NUMBER)
        assert s.ua[AGENT].wait_log("Incoming call", 15), s.log_tail("acdd")
        wait_state(b, "reserved")
        b.wait("document.getElementById('pop-caller').textContent === '%s'" % CALLER)
        assert agent_of(s, AGENT)["state"] == "reserved"  # still ringing
        pop = b.eval("({name: document.getElementById('pop-name').textContent,"
                     " queue: document.getElementById('pop-queue').textContent,"
                     " call: document.getElementById('pop').dataset.callId,"
                     " path: document.getElementById('pop-path').textContent,"
                     " cust: [...document.querySelectorAll('#pop-customer dd')]"
                     "   .map(e => e.dataset.key + '=' + e.textContent),"
                     " vars: [...document.querySelectorAll('#pop-vars dd')]"
                     "   .map(e => e.dataset.key + '=' + e.textContent),"
                     " history: document.querySelectorAll('#pop-history tr').length})")
        assert pop["name"] == "Grace Customer" and pop["queue"] == QUEUE, pop
        assert "account=AC-4711" in pop["cust"] and "tier=gold" in pop["cust"], pop
        assert "tier=gold" in pop["vars"] and "account=AC-4711" in pop["vars"], pop
        assert pop["history"] == 0, pop
        call_id = pop["call"]
        # the IVR's path as ivrd wrote it (a moment after the offer)
        b.wait("document.getElementById('pop-path').textContent.startsWith('who')")
        b.screenshot("03-pop-ringing.png")

        # answered on the phone; hung up from the page
        s.ua[AGENT].command("accept")
        wait_state(b, "on_call")
        b.wait("!document.getElementById('btn-hangup').disabled")
        time.sleep(1)
        b.screenshot("04-on-call.png")
        # the recording paused (a card number) and resumed from the page: recorderd says so
        sub = s.subscribe(["recorderd"], prefix="rec.")
        time.sleep(0.3)
        b.cmd("click", selector="#btn-rec-pause")
        got = sub.collect(10, until=lambda evs: any(e[0] == "rec.paused" for e in evs))
        assert any(e[0] == "rec.paused" and e[1].get("call_id") == call_id for e in got), got
        b.cmd("click", selector="#btn-rec-resume")
        got = sub.collect(10, until=lambda evs: any(e[0] == "rec.resumed" for e in evs))
        assert any(e[0] == "rec.resumed" and e[1].get("call_id") == call_id for e in got), got
        sub.close()
        mark = len(s.ua[CALLER].text())
        b.cmd("click", selector="#btn-hangup")
        wait_until(lambda: "terminated" in s.ua[CALLER].text()[mark:]
                   or "closed" in s.ua[CALLER].text()[mark:], timeout=10,
                   what="the caller's call to end")
        wait_state(b, "wrap_up")
        wait_until(lambda: s.psql("SELECT 1 FROM web_audit WHERE action = 'me.hangup' AND "
                                  "result = 'ok'"), what="the audited hang-up")

        # the queue requires a code: ready is refused until one is saved
        api = client(s, "ada")
        r = api.post("/api/me/state", {"state": "ready"})
        assert r.status == 409 and r.json["error"]["code"] == "disposition_required", r
        assert agent_of(s, AGENT)["state"] == "wrap_up"
        r = api.post("/api/me/wrapup", {"call_id": call_id, "code": "nosuch"})
        assert r.status == 400 and r.json["error"]["field"] == "code", r
        # another agent cannot wrap up (or even name) this call
        r = client(s, "bob").post("/api/me/wrapup", {"call_id": call_id, "code": "sale"})
        assert r.status == 404 and r.json["error"]["field"] == "call_id", r
        b.cmd("select", selector="#wrap-code", value="sale")
        b.cmd("fill", selector="#wrap-notes", value="Wants the gold upgrade.\nCall back Monday.")
        b.cmd("click", selector="#btn-wrap-save")
        b.wait("!document.getElementById('wrap-saved').hidden")
        b.screenshot("05-wrap-up.png")
        b.cmd("click", selector="#btn-endwrap")
        wait_state(b, "ready")
        rows = s.psql("SELECT queue, agent, code, notes, saved_by FROM call_wrapups "
                      "WHERE call_id = %s", (call_id,))
        assert rows == [(QUEUE, AGENT, "sale", "Wants the gold upgrade.\nCall back Monday.",
                         "ada")], rows
        # in the CDR views
        wait_until(lambda: s.psql("SELECT code, code_label, caller FROM v_call_wrapups "
                                  "WHERE call_id = %s AND caller IS NOT NULL", (call_id,)),
                   what="the CDR of the call", timeout=15)
        assert s.psql("SELECT code, code_label, caller FROM v_call_wrapups WHERE call_id = %s",
                      (call_id,), role="cc_bi") == [("sale", "Sale made", CALLER)]
        cdrs = client(s, "sup").get("/api/cdrs?number=%s" % CALLER).json["cdrs"]
        mine = [c for c in cdrs if c["call_id"] == call_id]
        assert mine and mine[0]["wrapup_code"] == "sale" and \
            mine[0]["wrapup_notes"].startswith("Wants"), cdrs

        # the call's recording: the agent's own, fetched in parts; nobody else's
        rec = wait_until(lambda: s.psql("SELECT id, size FROM recordings WHERE call_id = %s "
                                        "AND ended_at IS NOT NULL", (call_id,)),
                         timeout=15, what="the recording to be indexed")
        rec_id = rec[0][0]
        listed = api.get("/api/me/recordings")
        assert listed.status == 200, listed
        listed = listed.json["recordings"]
        assert [x["id"] for x in listed] == [rec_id], listed
        path = "/api/recordings/%d/audio" % rec_id
        whole = api.get(path)
        assert whole.status == 200 and whole.headers["Content-Type"] == "audio/wav", whole
        assert whole.headers["Accept-Ranges"] == "bytes" and whole.body.startswith("RIFF")
        size = int(whole.headers["Content-Length"])
        assert size > 8000, size  # seconds of 8 kHz stereo, decrypted
        part = api.get(path, headers={"Range": "bytes=0-99"})
        assert part.status == 206 and part.headers["Content-Length"] == "100", part
        assert part.headers["Content-Range"] == "bytes 0-99/%d" % size, part.headers
        tail = api.get(path, headers={"Range": "bytes=-10"})
        assert tail.headers["Content-Range"] == "bytes %d-%d/%d" % (size - 10, size - 1, size)
        r = api.get(path, headers={"Range": "bytes=%d-" % size})
        assert r.status == 416 and r.headers["Content-Range"] == "bytes */%d" % size, r
        for who, want in (("bob", 404), ("sup", 200)):
            assert client(s, who).get(path).status == want, who
        assert api.get("/api/recordings/999999/audio").status == 404
        # a supervisor's search by the agent's wrap-up code finds it
        sup = client(s, "sup")
        found = sup.get("/api/recordings?disposition=sale&agent=%s" % AGENT)
        assert found.status == 200, found
        assert [(x["id"], x["wrapup_code"]) for x in found.json["recordings"]] == [
            (rec_id, "sale")], found.json
        assert sup.get("/api/recordings?disposition=info").json["recordings"] == []
        assert api.get("/api/recordings").status == 403  # an agent: only its own list
        # ... and so does the supervisors' recordings page, which plays it
        b.page("sup")
        b.login(s.base, "sup", PW, page="sup")
        b.goto(s.base + "/recordings", page="sup")
        b.cmd("fill", page="sup", selector="#search input[name=\"disposition\"]", value="sale")
        b.cmd("click", page="sup", selector="#btn-search")
        b.wait("document.querySelectorAll('#rows tr').length === 1 && document.querySelector("
               "'#rows tr').dataset.recording === '%d'" % rec_id, page="sup")
        b.cmd("click", page="sup", selector="#rows tr button")
        b.wait("document.getElementById('player').readyState >= 1 && "
               "document.getElementById('player').duration > 1", page="sup")
        b.screenshot("05c-supervisor-recordings.png", page="sup")
        b.cmd("close_page", page="sup")
        listens = s.psql("SELECT actor, result FROM web_audit WHERE action = 'recording.listen' "
                         "AND target = %s ORDER BY id", ("id:%d" % rec_id,))
        actors = [a for a, _ in listens]
        # the agent's four fetches, bob refused, sup's API fetch, then the page's player
        assert actors[:6] == ["ada"] * 4 + ["bob", "sup"], listens
        assert len(actors) > 6 and set(actors[6:]) == {"sup"}, listens
        # the page's player loads the recording and seeks in it (range requests)
        b.wait("document.querySelector('#recs tr[data-recording=\"%d\"]') !== null" % rec_id)
        b.cmd("click", selector="#recs tr[data-recording=\"%d\"] button" % rec_id)
        b.wait("document.getElementById('player').readyState >= 1 && "
               "document.getElementById('player').duration > 1")
        b.eval("(() => { const p = document.getElementById('player'); p.pause(); "
               "p.currentTime = 1.0; return true; })()")
        b.wait("(() => { const p = document.getElementById('player'); return !p.seeking && "
               "p.currentTime >= 0.99; })()")
        b.screenshot("05b-recording-player.png")

        # the caller calls again: the pop shows the last call with its disposition and notes
        time.sleep(1)
        s.ua[CALLER].dial(IVR_NUMBER)
        wait_state(b, "reserved", timeout=20)
        b.wait("document.getElementById('pop').dataset.callId !== '%s' && "
               "document.querySelectorAll('#pop-history tr').length >= 1" % call_id)
        first = b.eval("(() => { const r = document.querySelector('#pop-history tr');"
                       " return {id: r.dataset.history, queue: r.children[1].textContent,"
                       " agent: r.children[2].textContent, outcome: r.children[3].textContent,"
                       " code: r.children[4].dataset.code, disp: r.children[4].textContent,"
                       " notes: r.children[5].textContent}; })()")
        assert first == {"id": call_id, "queue": QUEUE, "agent": AGENT, "outcome": "Answered",
                         "code": "sale", "disp": "Sale made",
                         "notes": "Wants the gold upgrade.\nCall back Monday."}, first
        b.screenshot("06-next-pop-with-history.png")
        s.ua[AGENT].command("accept")
        wait_state(b, "on_call")
        s.ua[CALLER].command("hangup")
        wait_state(b, "wrap_up")
        second_id = b.eval("document.getElementById('pop').dataset.callId")
        r = api.post("/api/me/wrapup", {"call_id": second_id, "code": "info", "notes": ""})
        assert r.status == 200, r
        b.cmd("click", selector="#btn-endwrap")
        wait_state(b, "ready")

        # my day: two calls handled, time in each state
        b.wait("document.querySelector('[data-today=\"handled\"]').textContent === '2'",
               timeout=20)
        assert b.eval("document.querySelectorAll('#today-states [data-state-s]').length") >= 3

        # click-to-dial: the agent's phone rings first, then the number
        b.cmd("fill", selector="#dial-number", value=DIALLED)
        mark = len(s.ua[AGENT].text())
        b.cmd("click", selector="#btn-dial")
        wait_until(lambda: "Incoming call" in s.ua[AGENT].text()[mark:], timeout=15,
                   what="the agent's phone to ring")
        s.ua[AGENT].command("accept")
        assert s.ua[DIALLED].wait_log("Incoming call", 15), s.log_tail("webd")
        s.ua[DIALLED].command("accept")
        time.sleep(1)
        for ext in (AGENT, DIALLED):
            s.ua[ext].command("hangup")
        b.screenshot("07-after-dial.png")
        # a call dialled straight to the extension pops too (no queue, no customer record)
        time.sleep(1)
        mark = len(s.ua[AGENT].text())
        s.ua[DIALLED].dial(AGENT)
        b.wait("document.getElementById('pop-caller').textContent === '%s' && "
               "document.getElementById('pop-badge').textContent === 'Direct call'" % DIALLED)
        wait_until(lambda: "Incoming call" in s.ua[AGENT].text()[mark:], timeout=10,
                   what="the agent's phone to ring")
        assert b.eval("document.getElementById('pop-customer-none').hidden") is False
        b.screenshot("08-direct-call-pop.png")
        s.ua[DIALLED].command("hangup")
        # notes go with a direct call too (no queue: no code); the last queue call stays
        # the agent's own to wrap up (the direct call did not take its place)
        direct_id = b.eval("document.getElementById('pop').dataset.callId")
        r = api.post("/api/me/wrapup", {"call_id": direct_id, "notes": "asked for Ada"})
        assert r.status == 200 and r.json["queue"] is None, r
        r = api.post("/api/me/wrapup", {"call_id": direct_id, "code": "sale"})
        assert r.status == 400 and r.json["error"]["field"] == "code", r
        r = api.post("/api/me/wrapup", {"call_id": second_id, "code": "sale", "notes": "upgraded"})
        assert r.status == 200, r
        # logged out from the page
        b.cmd("click", selector="#btn-logout")
        wait_state(b, "logged_out")
    except Exception:
        try:
            b.screenshot("99-failure.png")
        except Exception:
            pass
        raise
    finally:
        for ua in s.ua.values():
            ua.command("hangup")
        b.close()


# ---- webhooks -------------------------------------------------------------------------------


class Receiver:
    """A CRM's endpoint: records each post (headers, body) and answers 200."""

    def __init__(self, port):
        self.port, self.posts, self.server = port, [], None
        self.lock = threading.Lock()

    def start(self):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    outer.posts.append((dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        http.server.HTTPServer.allow_reuse_address = True
        self.server = http.server.HTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def states(self, ext):
        with self.lock:
            return [json.loads(b)["state"] for _, b in self.posts
                    if json.loads(b).get("type") == "agent.state" and json.loads(b)["ext"] == ext]


def test_webhooks_signed_in_order_retried_and_dead_reported(desk):
    s = desk
    port, dead_port = sm.free_port(udp=False), sm.free_port(udp=False)
    for args in (("web", "hook", "add", "ftp://x/y", "--events", "agent.state"),
                 ("web", "hook", "add", "http://127.0.0.1:1/x", "--events", "no.such"),
                 ("web", "hook", "add", "http://127.0.0.1:1/x")):
        assert s.ccctl(*args).returncode == 2, args
    assert s.ccctl("web", "hook", "revive", "999").returncode == 1
    r = s.ccctl("web", "hook", "add", "http://127.0.0.1:%d/crm" % port, "--events",
                "agent.state,queue.offered", check=True)
    secret = r.stdout.split("secret (shown once): ")[1].strip()
    assert len(secret) == 48 and secret not in s.log("webd")
    r = s.ccctl("web", "hook", "add", "http://127.0.0.1:%d/gone" % dead_port, "--events",
                "agent.state", check=True)
    dead_id = r.stdout.split()[1].rstrip(":")
    rx = Receiver(port)
    rx.start()
    # webd's delivery thread reads the hooks every 2 s
    s.wait_log("webd", r"event=webd.hooks daemon=webd hooks=2 live=2", timeout=15)
    try:
        for cmd, args in (("agent.login", {}), ("agent.pause", {"reason": "lunch"}),
                          ("agent.ready", {}), ("agent.logout", {})):
            bus_ok(s, "acdd", cmd, dict(args, ext=OTHER))
        want = ["ready", "not_ready", "ready", "logged_out"]
        wait_until(lambda: rx.states(OTHER) == want, timeout=10, what="the four posts")
        for headers, body in rx.posts:
            mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            assert headers["X-CC-Signature"] == "sha256=" + mac, headers
            assert headers["Content-Type"] == "application/json"
        # the receiver goes down: events wait, are retried, and arrive in order when it is back
        rx.stop()
        for cmd, args in (("agent.login", {}), ("agent.pause", {"reason": "coaching"}),
                          ("agent.logout", {})):
            bus_ok(s, "acdd", cmd, dict(args, ext=OTHER))
        time.sleep(1.5)
        rx = Receiver(port)
        rx.start()
        wait_until(lambda: rx.states(OTHER) == ["ready", "not_ready", "logged_out"],
                   timeout=15, what="the posts held back while the receiver was down")
        assert s.wait_log("webd", r"event=webd.hook_retry", timeout=1)
        # the hook that never answers is reported dead, not retried forever
        def state():
            hooks = json.loads(s.ccctl("web", "hook", "list", "--json", check=True).stdout)
            return [h["state"] for h in hooks if h["id"] == dead_id][0]
        wait_until(lambda: state().startswith("dead"), timeout=20, what="the dead hook")
        assert s.wait_log("webd", r"event=webd.hook_dead daemon=webd hook=%s" % dead_id, timeout=1)
        s.ccctl("web", "hook", "revive", dead_id, check=True)
        assert state() == "alive"
        deliveries = [h["X-CC-Delivery"] for h, _ in rx.posts]
        assert len(deliveries) == len(set(deliveries)), deliveries  # nothing twice
    finally:
        rx.stop()
        for h in json.loads(s.ccctl("web", "hook", "list", "--json", check=True).stdout):
            s.ccctl("web", "hook", "del", h["id"], check=True)
