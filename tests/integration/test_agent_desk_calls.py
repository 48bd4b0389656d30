"""Call controls on the agent desktop with real clients: Debian's chromium (playwright-core)
logged in as agent 1002 on /agent while baresip is registered as 1002. A baresip caller
(440 Hz) reaches the agent (880 Hz) through the queue; from the page the agent holds (the
caller hears music and nothing of the agent, the agent nothing of the caller) and resumes
(both tones back); transfers blind to extension 1003 (660 Hz: caller and 1003 hear each
other, the agent is out); consults 1003 and completes (caller and 1003 talk) or cancels
(caller back with the agent, 1003's call gone). Bad input answers 4xx naming the field,
another agent cannot act on the call (403), every action is audited. Click-to-dial from
the page rings the agent's phone first, then the number through a trunk to a sipp UAS,
and the call gets its CDR. Screenshots land in build/test-artifacts/desk-calls/."""

import subprocess
import time

import pytest

import suite as sm
from helpers.audio import goertzel
from helpers.bus import bus_ok, wait_until
from helpers.desk import manual_agent_phone, open_desk
from helpers.phones import assert_hears, tone_phones
from helpers.webclient import Http, browser_available, web_user

pytestmark = pytest.mark.serial  # a browser page and tone checks: alone

PW = "pw-for-desk-calls"
ART = sm.REPO / "build" / "test-artifacts" / "desk-calls"
SIPP_DIR = sm.REPO / "tests" / "sipp"
QUEUE, QUEUE_NUMBER = "sales", "630"
AGENT, TARGET, OTHER, CALLER, NOBODY = "1002", "1003", "1004", "2001", "1005"
TONES = {AGENT: 880, TARGET: 660, OTHER: 1200, CALLER: 440}


@pytest.fixture(scope="module")
def desk(pg_cluster, bin_dir):
    if not browser_available():
        pytest.skip("chromium or playwright-core missing: run deploy/install-deps.sh")
    s = sm.Suite(pg_cluster, name="test_agent_desk_calls",
                 daemons=["sipproxy", "mediad", "acdd", "cdrd", "webd"],
                 config={"sipproxy.ring_timeout": "15", "mediad.media_timeout": "60"})
    uas, b = [], None
    try:
        for ext in TONES:
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
            s.ccctl("route", "add", ext, "ext:" + ext, check=True)
        # an extension with no phone registered: a consultation that cannot be reached
        s.ccctl("user", "add", NOBODY, "--password", "secret" + NOBODY, check=True)
        s.ccctl("route", "add", NOBODY, "ext:" + NOBODY, check=True)
        s.ccctl("queue", "add", QUEUE, "--number", QUEUE_NUMBER, "--ring-timeout", "15",
                "--wrapup", "1", "--no-announce", check=True)
        s.ccctl("agent", "add", AGENT, "--queue", QUEUE, "--name", "Ada Agent", check=True)
        s.ccctl("agent", "add", OTHER, "--queue", QUEUE, check=True)
        # the far end of click-to-dial: a carrier behind trunk 'far' that wants digest
        s.trunk_port = sm.free_port()
        s.ccctl("trunk", "add", "far", "--host", "127.0.0.1:%d" % s.trunk_port,
                "--user", "trunkuser", "--password", "trunkpass", check=True)
        s.ccctl("route", "add", "9.", "trunk:far", "--strip", "1", "--prefix", "00", check=True)
        web_user(s, "ada", "agent", PW, ext=AGENT)
        web_user(s, "odo", "agent", PW, ext=OTHER)
        s.ccctl("queue", "add", "elsewhere", "--number", "631", "--no-announce", check=True)
        web_user(s, "sup", "supervisor", PW, queues=QUEUE)
        web_user(s, "sup2", "supervisor", PW, queues="elsewhere")
        s.start()
        tone_phones(s, {x: f for x, f in TONES.items() if x != AGENT}, uas, seconds=240)
        # the agent answers by hand (queue_call), as an agent does
        manual_agent_phone(s, AGENT, TONES[AGENT], uas)
        bus_ok(s, "acdd", "agent.login", {"ext": AGENT})
        s.base = "http://127.0.0.1:%d" % s.http_port
        b = open_desk(s, ART, "ada", PW)
        s.b = b
        yield s
    finally:
        if b:
            b.close()
        for ua in uas:
            ua.stop()
        s.close()


def client(s, user):
    c = Http(s.http_port)
    c.login(user, PW)
    return c


def agent_state(s, ext=AGENT):
    for a in bus_ok(s, "acdd", "agent.list")["agents"]:
        if a["ext"] == ext:
            return a
    raise AssertionError("acdd does not list %s" % ext)


def wait_state(b, state, timeout=20):
    b.wait("document.getElementById('my-state').dataset.state === '%s'" % state,
           timeout=timeout)


def enabled(b, button):
    return b.eval("!document.getElementById('%s').disabled" % button)


def share(x, freq):
    """How much of x's energy is at freq: near 1.0 for a clean tone, near 0 without it."""
    total = sum(v * v for v in x)
    return goertzel(x, freq) / (total * len(x) / 2) if total else 0.0


def heard(ua, seconds=1.5):
    mark = ua.heard_mark()
    time.sleep(seconds)
    return ua.heard_since(mark)


def assert_music_only(ua, not_freqs, what):
    """ua hears something (hold music), and none of not_freqs (the parties' tones)."""
    x = heard(ua)
    assert len(x) > 8000, "%s: %s heard only %d samples" % (what, ua.ext, len(x))
    loud = (sum(v * v for v in x) / len(x)) ** 0.5
    assert loud > 300, "%s: %s heard silence (rms %.0f), not music" % (what, ua.ext, loud)
    for f in not_freqs:
        assert share(x, f) < 0.05, "%s: %s hears %d Hz (share %.2f)" % (what, ua.ext, f,
                                                                       share(x, f))


def assert_hears_nothing_of(ua, freq, what):
    x = heard(ua)
    assert len(x) < 4000 or share(x, freq) < 0.05, "%s: %s hears %d Hz (%d samples)" % (
        what, ua.ext, freq, len(x))


def queue_call(s, attempts=3):
    """The caller dials the queue; the agent's phone answers; the page shows the call.
    baresip 1.0's jitter buffer sometimes drops every packet after the stream it receives
    changes SSRC (queue music, then the agent's voice) when the new sequence numbers are
    below the old ones: then it hears nothing for the whole call. That call is hung up and
    placed again (at most `attempts` times in all), saying so."""
    for attempt in range(attempts):
        wait_until(lambda: agent_state(s)["state"] == "ready", timeout=20,
                   what="the agent ready")
        mark = len(s.ua[AGENT].text())
        s.ua[CALLER].dial(QUEUE_NUMBER)
        wait_until(lambda: "Incoming call" in s.ua[AGENT].text()[mark:], timeout=15,
                   what="the agent's phone to ring")
        time.sleep(1.0)  # the caller hears the queue's music meanwhile
        s.ua[AGENT].command("accept")
        wait_state(s.b, "on_call")
        s.b.wait("!document.getElementById('btn-hold').disabled")
        call_id = agent_state(s)["call_id"]
        time.sleep(1.0)
        if len(heard(s.ua[CALLER], 1.0)) > 4000 or attempt == attempts - 1:
            break
        print("the caller heard nothing in call %s (baresip jitter buffer): again" % call_id)
        s.ua[CALLER].command("hangup")
        wait_state(s.b, "wrap_up")
    assert_hears(s.ua[CALLER], [TONES[AGENT]], [TONES[TARGET]], "the queue call")
    assert_hears(s.ua[AGENT], [TONES[CALLER]], [TONES[TARGET]], "the queue call")
    return call_id


def hang_up_all(s):
    for ua in s.ua.values():
        ua.command("hangup")
    time.sleep(1.0)


def ended(s, call_id, timeout=15):
    return wait_until(lambda: s.psql("SELECT disposition FROM cdrs WHERE call_id = %s",
                                     (call_id,)), timeout=timeout, what="the CDR of %s" % call_id)


def audited(s, action):
    return s.psql("SELECT actor, result FROM web_audit WHERE action = %s ORDER BY id", (action,))


# ---- the controls follow the agent's state --------------------------------------------------


def test_controls_disabled_without_a_call(desk):
    s, b = desk, desk.b
    wait_state(b, "ready")
    for button in ("btn-hold", "btn-transfer", "btn-consult", "btn-hangup"):
        assert not enabled(b, button), button
    assert b.eval("document.getElementById('consult-bar').hidden") is True
    b.screenshot("01-ready-no-call.png")


def test_hold_from_the_page_plays_music_then_resume(desk):
    s, b = desk, desk.b
    call_id = queue_call(s)
    for button in ("btn-hold", "btn-transfer", "btn-consult"):
        assert enabled(b, button), button
    b.cmd("click", selector="#btn-hold")
    b.wait("document.body.dataset.held === '1' && "
           "document.getElementById('btn-hold').textContent === 'Resume'")
    s.wait_log("sipproxy", r"event=call.hold [^\n]*call=%s by=%s via=command" % (call_id, AGENT))
    time.sleep(0.8)
    b.screenshot("02-on-hold.png")
    assert_music_only(s.ua[CALLER], [TONES[AGENT]], "on hold")
    assert_hears_nothing_of(s.ua[AGENT], TONES[CALLER], "on hold")
    b.cmd("click", selector="#btn-hold")
    b.wait("document.body.dataset.held === '' && "
           "document.getElementById('btn-hold').textContent === 'Hold'")
    time.sleep(0.8)
    assert_hears(s.ua[CALLER], [TONES[AGENT]], [], "after resume")
    assert_hears(s.ua[AGENT], [TONES[CALLER]], [], "after resume")
    s.ua[CALLER].command("hangup")
    assert ended(s, call_id) == [("answered",)]
    wait_state(b, "ready")
    actors = [a for a, _ in audited(s, "me.hold")] + [a for a, _ in audited(s, "me.resume")]
    assert actors == ["ada", "ada"], actors


def test_blind_transfer_from_the_page_to_an_extension(desk):
    s, b = desk, desk.b
    call_id = queue_call(s)
    mark = len(s.ua[TARGET].text())
    b.cmd("fill", selector="#xfer-target", value=TARGET)
    b.cmd("click", selector="#btn-transfer")
    wait_until(lambda: "Call established" in s.ua[TARGET].text()[mark:], timeout=15,
               what="1003 to answer the transferred call")
    # the agent is out of the call (its leg got BYE): wrap-up, then ready again
    wait_until(lambda: agent_state(s)["state"] in ("wrap_up", "ready"), timeout=10,
               what="the agent to leave the call")
    time.sleep(1.0)
    assert_hears(s.ua[CALLER], [TONES[TARGET]], [TONES[AGENT]], "after the blind transfer")
    assert_hears(s.ua[TARGET], [TONES[CALLER]], [TONES[AGENT]], "after the blind transfer")
    b.screenshot("03-after-blind-transfer.png")
    s.ua[CALLER].command("hangup")
    assert ended(s, call_id) == [("answered",)]
    assert [a for a, _ in audited(s, "me.transfer")] == ["ada"]
    hang_up_all(s)


def consult(s, b):
    mark = len(s.ua[TARGET].text())
    b.cmd("fill", selector="#xfer-target", value=TARGET)
    b.cmd("click", selector="#btn-consult")
    b.wait("!document.getElementById('consult-bar').hidden")
    wait_until(lambda: "Call established" in s.ua[TARGET].text()[mark:], timeout=15,
               what="1003 to answer the consultation")
    b.wait("document.getElementById('consult-bar').dataset.state === 'answered' && "
           "!document.getElementById('btn-consult-complete').disabled")
    assert not enabled(b, "btn-hold") and not enabled(b, "btn-transfer")
    time.sleep(1.0)
    # the agent and 1003 talk; the caller hears music, nothing of either of them
    assert_hears(s.ua[AGENT], [TONES[TARGET]], [TONES[CALLER]], "consulting")
    assert_hears(s.ua[TARGET], [TONES[AGENT]], [TONES[CALLER]], "consulting")
    assert_music_only(s.ua[CALLER], [TONES[AGENT], TONES[TARGET]], "held while consulting")


def test_attended_transfer_consult_then_complete(desk):
    s, b = desk, desk.b
    sub = s.subscribe(["sipproxy"], prefix="call.")
    call_id = queue_call(s)
    consult(s, b)
    b.screenshot("04-consulting.png")
    b.cmd("click", selector="#btn-consult-complete")
    wait_until(lambda: agent_state(s)["state"] in ("wrap_up", "ready"), timeout=10,
               what="the agent to leave the call")
    time.sleep(1.0)
    assert_hears(s.ua[CALLER], [TONES[TARGET]], [TONES[AGENT]], "after completing")
    assert_hears(s.ua[TARGET], [TONES[CALLER]], [TONES[AGENT]], "after completing")
    # the consultation call ended (its target moved into the caller's call)
    evs = sub.collect(2)
    consult_ids = {e[1]["call_id"] for e in evs if e[0] == "call.created"
                   and e[1].get("caller") == AGENT}
    assert len(consult_ids) == 1, evs
    s.ua[TARGET].command("hangup")
    sub.close()
    assert ended(s, call_id) == [("answered",)]
    assert [a for a, _ in audited(s, "me.consult_complete")] == ["ada"]
    hang_up_all(s)


def test_attended_transfer_consult_then_cancel(desk):
    s, b = desk, desk.b
    call_id = queue_call(s)
    consult(s, b)
    mark = len(s.ua[TARGET].text())
    b.cmd("click", selector="#btn-consult-cancel")
    b.wait("document.getElementById('consult-bar').hidden && document.body.dataset.held === ''")
    wait_until(lambda: "terminated" in s.ua[TARGET].text()[mark:].lower(), timeout=10,
               what="1003's consultation call to end")
    time.sleep(1.0)
    assert_hears(s.ua[CALLER], [TONES[AGENT]], [TONES[TARGET]], "back with the agent")
    assert_hears(s.ua[AGENT], [TONES[CALLER]], [TONES[TARGET]], "back with the agent")
    assert agent_state(s)["state"] == "on_call"
    b.screenshot("05-consult-cancelled.png")
    s.ua[CALLER].command("hangup")
    assert ended(s, call_id) == [("answered",)]
    wait_state(b, "ready")


def test_consult_nobody_answers_caller_stays_on_hold_then_resume(desk):
    s, b = desk, desk.b
    call_id = queue_call(s)
    b.cmd("fill", selector="#xfer-target", value=NOBODY)
    b.cmd("click", selector="#btn-consult")
    # 1005 is not registered: the consultation ends at once (call.consult_state ended),
    # the page says so and the caller is still on hold
    s.wait_log("sipproxy", r"event=call.consult_ended [^\n]*of=%s" % call_id, timeout=10)
    b.wait("document.getElementById('consult-bar').hidden && "
           "document.body.dataset.held === '1' && "
           "!document.getElementById('btn-hold').disabled")
    b.screenshot("05b-consult-unreachable.png")
    assert_music_only(s.ua[CALLER], [TONES[AGENT]], "held after a failed consultation")
    b.cmd("click", selector="#btn-hold")  # "Resume"
    b.wait("document.body.dataset.held === ''")
    time.sleep(0.8)
    assert_hears(s.ua[CALLER], [TONES[AGENT]], [], "resumed after a failed consultation")
    assert_hears(s.ua[AGENT], [TONES[CALLER]], [], "resumed after a failed consultation")
    s.ua[CALLER].command("hangup")
    assert ended(s, call_id) == [("answered",)]
    wait_state(b, "ready")


def test_supervisor_holds_and_transfers_a_call_of_its_queue(desk):
    s, b = desk, desk.b
    sup, sup2 = client(s, "sup"), client(s, "sup2")
    call_id = queue_call(s)
    base = "/api/calls/%s/" % call_id
    # not its queue, not a supervisor, no target: refused, nothing changed
    assert sup2.post(base + "hold", {}).status == 403
    assert client(s, "odo").post(base + "hold", {}).status == 403
    r = sup.post(base + "transfer", {})
    assert r.status == 400 and r.json["error"]["field"] == "target", r
    assert sup.post("/api/calls/nosuch/hold", {}).status == 404
    r = sup.post(base + "hold", {})
    assert r.status == 200 and r.json == {"held": True, "call_id": call_id}, r
    time.sleep(0.8)
    assert_music_only(s.ua[CALLER], [TONES[AGENT]], "held by the supervisor")
    assert sup.post(base + "resume", {}).status == 200
    time.sleep(0.8)
    assert_hears(s.ua[CALLER], [TONES[AGENT]], [], "resumed by the supervisor")
    mark = len(s.ua[TARGET].text())
    assert sup.post(base + "transfer", {"target": TARGET}).status == 200
    wait_until(lambda: "Call established" in s.ua[TARGET].text()[mark:], timeout=15,
               what="1003 to answer the supervisor's transfer")
    time.sleep(1.0)
    assert_hears(s.ua[CALLER], [TONES[TARGET]], [TONES[AGENT]], "after the supervisor's transfer")
    assert_hears(s.ua[TARGET], [TONES[CALLER]], [TONES[AGENT]], "after the supervisor's transfer")
    rows = s.psql("SELECT actor, action, result FROM web_audit WHERE target LIKE %s "
                  "AND actor LIKE 'sup%%' ORDER BY id", ("%" + call_id + "%",))
    assert [(a, x) for a, x, r in rows if r == "ok"] == [
        ("sup", "call.hold"), ("sup", "call.resume"), ("sup", "call.transfer")], rows
    s.ua[CALLER].command("hangup")
    assert ended(s, call_id) == [("answered",)]
    hang_up_all(s)


# ---- bad input, other agents --------------------------------------------------------------


def test_bad_input_and_someone_elses_call(desk):
    s, b = desk, desk.b
    ada, odo = client(s, "ada"), client(s, "odo")
    # not in a call: nothing to act on
    for path, body in (("/api/me/hold", {}), ("/api/me/transfer", {"target": TARGET})):
        r = ada.post(path, body)
        assert r.status == 409 and r.json["error"]["code"] == "no_call", (path, r)
    call_id = queue_call(s)
    cases = [
        ("/api/me/transfer", {}, 400, "target"),
        ("/api/me/transfer", {"target": "abc"}, 400, "target"),
        ("/api/me/consult", {"target": ""}, 400, "target"),
        ("/api/me/consult", {"target": "1" * 32}, 400, "target"),
        ("/api/me/transfer", {"target": "5555"}, 404, "target"),     # no route
        ("/api/me/consult", {"target": QUEUE_NUMBER}, 400, "target"),  # a queue: blind only
        ("/api/me/hold", {"call_id": "nosuch"}, 404, "call_id"),
        ("/api/me/hold", {"call_id": call_id, "ext": OTHER}, 400, "ext"),
        ("/api/me/consult/complete", {}, 409, None),                  # nothing consulted
    ]
    for path, body, status, field in cases:
        r = ada.post(path, body)
        assert r.status == status and r.json["error"].get("field") == field, (path, body, r)
    # another agent names this call: refused by sipproxy (1004 is no party of it)
    for path, body in (("/api/me/hold", {"call_id": call_id}),
                       ("/api/me/transfer", {"call_id": call_id, "target": TARGET}),
                       ("/api/me/consult", {"call_id": call_id, "target": TARGET})):
        r = odo.post(path, body)
        assert r.status == 403 and r.json["error"]["field"] == "call_id", (path, r)
    # and without the CSRF token, nobody
    raw = Http(s.http_port)
    raw.login("ada", PW)
    raw.csrf = None
    assert raw.request("POST", "/api/me/hold", body={}).status == 403
    # nothing changed: the two still talk, nobody else rang
    assert_hears(s.ua[CALLER], [TONES[AGENT]], [TONES[TARGET]], "after the refusals")
    assert agent_state(s)["state"] == "on_call"
    refused = s.psql("SELECT actor, result FROM web_audit WHERE action IN ('me.transfer', "
                     "'me.hold', 'me.consult') AND actor = 'odo'")
    assert len(refused) == 3 and all(r != "ok" for _, r in refused), refused
    s.ua[CALLER].command("hangup")
    wait_state(b, "ready")


# ---- click-to-dial through a trunk ------------------------------------------------------------


def test_click_to_dial_rings_the_agent_then_the_number_through_a_trunk(desk):
    s, b = desk, desk.b
    sub = s.subscribe(["sipproxy"], prefix="call.")
    uas = subprocess.Popen(["sipp", "-sf", str(SIPP_DIR / "trunk_uas.xml"), "-i", "127.0.0.1",
                            "-p", str(s.trunk_port), "-m", "1", "-timeout", "40s", "-nostdin",
                            "-trace_msg", "-message_file", str(s.var_dir / "far-msgs.log"),
                            "-mp", str(sm.free_port(tcp=False, span=4))],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           cwd=str(s.var_dir))
    s.all_pids.append(uas.pid)
    try:
        time.sleep(0.3)
        mark = len(s.ua[AGENT].text())
        b.cmd("fill", selector="#dial-number", value="91234")
        b.cmd("click", selector="#btn-dial")
        # the agent's phone first, then the number through the trunk
        wait_until(lambda: "Incoming call" in s.ua[AGENT].text()[mark:], timeout=15,
                   what="the agent's phone to ring")
        time.sleep(0.5)
        msgs = s.var_dir / "far-msgs.log"
        assert not msgs.exists() or "INVITE sip:" not in msgs.read_text(), \
            "the number was called before the agent answered"
        s.ua[AGENT].command("accept")
        wait_until(lambda: "INVITE sip:001234@" in msgs.read_text() if msgs.exists() else False,
                   timeout=15, what="the number to be called through the trunk")
        got = sub.collect(10, until=lambda evs: sum(
            1 for e in evs if e[0] == "call.connect_result") >= 2)
        results = [e[1] for e in got if e[0] == "call.connect_result"]
        assert [(r["target"], r["result"]) for r in results] == [
            ("ext:%s" % AGENT, "answered"), ("number:91234", "answered")], got
        call_id = [e[1]["call_id"] for e in got if e[0] == "call.created"][0]
        time.sleep(1.0)
        b.screenshot("06-click-to-dial.png")
        s.ua[AGENT].command("hangup")
        out, err = uas.communicate(timeout=20)
    finally:
        if uas.poll() is None:
            uas.kill()
            uas.wait()
        sub.close()
    # the far end saw the right number with the trunk's credentials, and a BYE
    assert uas.returncode == 0, "sipp behind the trunk failed:\n%s" % err[-1500:]
    row = wait_until(lambda: s.psql("SELECT disposition, callee, answered_by FROM cdrs "
                                    "WHERE call_id = %s", (call_id,)),
                     timeout=15, what="the click-to-dial CDR")
    assert row[0][0] == "answered", row
    assert [a for a, _ in audited(s, "me.dial")] == ["ada"]


# ---- a call dialled straight to the agent: the controls work there too ------------------------


def test_direct_call_hold_and_hang_up_from_the_page(desk):
    s, b = desk, desk.b
    bus_ok(s, "acdd", "agent.logout", {"ext": AGENT})  # no queue call in between
    wait_state(b, "logged_out")
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    mark = len(s.ua[AGENT].text())
    s.ua[CALLER].dial(AGENT)
    wait_until(lambda: "Incoming call" in s.ua[AGENT].text()[mark:], timeout=15,
               what="the agent's phone to ring")
    s.ua[AGENT].command("accept")
    b.wait("!document.getElementById('btn-hangup').disabled && "
           "!document.getElementById('btn-hold').disabled", timeout=20)
    created = [e[1] for e in sub.collect(3) if e[0] == "call.created"]
    assert len(created) == 1, created
    call_id = created[0]["call_id"]
    time.sleep(0.8)
    assert_hears(s.ua[CALLER], [TONES[AGENT]], [TONES[TARGET]], "the direct call")
    b.cmd("click", selector="#btn-hold")
    b.wait("document.body.dataset.held === '1'")
    time.sleep(0.5)
    assert_music_only(s.ua[CALLER], [TONES[AGENT]], "a direct call on hold")
    b.cmd("click", selector="#btn-hold")
    b.wait("document.body.dataset.held === ''")
    # another agent cannot hang it up by naming it
    r = client(s, "odo").post("/api/me/hangup", {"call_id": call_id})
    assert r.status == 403 and r.json["error"]["field"] == "call_id", r
    time.sleep(0.5)
    assert_hears(s.ua[CALLER], [TONES[AGENT]], [TONES[TARGET]], "after the refused hang-up")
    b.screenshot("07-direct-call.png")
    b.cmd("click", selector="#btn-hangup")
    got = sub.collect(10, until=lambda evs: any(e[0] == "call.ended" for e in evs))
    ends = [e[1] for e in got if e[0] == "call.ended"]
    assert ends and ends[0]["call_id"] == call_id, got
    assert "hung up by agent %s" % AGENT in ends[0].get("reason", ""), ends
    b.wait("document.getElementById('btn-hangup').disabled")
    sub.close()
    assert ended(s, call_id) == [("answered",)]
    hang_up_all(s)
    bus_ok(s, "acdd", "agent.login", {"ext": AGENT})
