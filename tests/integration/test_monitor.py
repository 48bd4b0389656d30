"""Supervisor monitoring from a phone, end to end with real baresip phones: the caller
(1001) plays 440 Hz, the agent (1002) 880 Hz, the supervisor (2001) 1320 Hz, and what
each phone hears is checked with Goertzel. *22 listen, keys 5 (whisper) and 6 (barge)
switch modes on the supervisor's phone, the supervisor hanging up leaves the call as it
was, the caller hanging up ends the supervisor's call; a phone that is no supervisor's,
and a supervisor dialling an agent outside their queues, are refused with 403. Every
session, mode change and refusal is in web_audit."""

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import suite as sm  # noqa: E402
from helpers.bus import wait_event, wait_until  # noqa: E402
from helpers.phones import assert_hears, tone_phones  # noqa: E402
from helpers.webclient import Browser, Http, browser_available, web_user  # noqa: E402

DAEMONS = ["sipproxy", "mediad", "acdd", "cdrd", "webd"]
PHONES = {"1001": 440, "1002": 880, "1003": 660, "2001": 1320, "2002": 1320}


@pytest.fixture(scope="module")
def mon(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_monitor", daemons=DAEMONS)
    uas = []
    try:
        for ext in PHONES:
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
            s.ccctl("route", "add", ext, "ext:" + ext, check=True)
        s.ccctl("queue", "add", "sales", "--number", "600", check=True)
        s.ccctl("queue", "add", "billing", "--number", "601", check=True)
        s.ccctl("agent", "add", "1002", "--queue", "sales", check=True)
        s.ccctl("agent", "add", "1003", "--queue", "billing", check=True)
        s.ccctl("web", "user", "add", "sue", "--role", "supervisor", "--queues", "sales",
                "--ext", "2001", "--password", "-", input="sue-password-1\n", check=True)
        web_user(s, "nophone", "supervisor", "nophone-password", queues="*")
        s.start()
        tone_phones(s, PHONES, uas)
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


def check(ua, want, not_want, what):
    assert_hears(ua, want, not_want, what)


def start_call(s, sub, a, b):
    s.ua[a].dial(b)
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    answered, seen = wait_event(sub, "call.answered", created["call_id"], timeout=10)
    assert answered, seen
    return created["call_id"]


def refused(s, sub, ext, number):
    """ext dials number; the call ends unanswered with 403."""
    s.ua[ext].dial(number)
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    ended, seen = wait_event(sub, "call.ended", created["call_id"], timeout=10)
    assert ended, seen
    assert ended["sip_code"] == 403 and ended["disposition"] == "failed", ended
    return ended


def test_listen_whisper_barge_and_hang_ups(mon):
    s = mon
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    cid = start_call(s, sub, "1001", "1002")
    time.sleep(1.0)
    caller, agent, sup = s.ua["1001"], s.ua["1002"], s.ua["2001"]

    # the wrong people are refused, and nothing changes for the call
    refused(s, sub, "2002", "*221002")  # no supervisor's phone
    refused(s, sub, "2001", "*221003")  # an agent of a queue sue does not supervise

    sup.dial("*221002")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    sid = created["call_id"]
    started, seen = wait_event(sub, "call.monitor", cid, timeout=10)
    assert started and started["action"] == "started" and started["mode"] == "listen", seen
    assert started["supervisor"] == "2001" and started["agent"] == "1002"
    assert started["supervisor_call_id"] == sid and started["supervisor_user"] == "sue"
    time.sleep(1.0)
    check(sup, [440, 880], [1320], "listen: the supervisor hears both")
    check(caller, [880], [1320, 440], "listen: the caller hears only the agent")
    check(agent, [440], [1320, 880], "listen: the agent hears only the caller")

    sup.command("sndcode", "5")
    ev, seen = wait_event(sub, "call.monitor", cid, timeout=5)
    assert ev and ev["action"] == "mode" and ev["mode"] == "whisper", seen
    time.sleep(0.5)  # the change is heard within a second of the key
    check(agent, [440, 1320], [880], "whisper: the agent hears the supervisor")
    check(caller, [880], [1320, 440], "whisper: the caller does not")

    sup.command("sndcode", "6")
    ev, seen = wait_event(sub, "call.monitor", cid, timeout=5)
    assert ev and ev["mode"] == "barge", seen
    time.sleep(0.5)
    check(caller, [880, 1320], [440], "barge: the caller hears the supervisor")
    check(agent, [440, 1320], [880], "barge: the agent hears the supervisor")
    check(sup, [440, 880], [1320], "barge: the supervisor hears both")

    # the supervisor hangs up: the call goes on as before
    sup.command("hangup")
    ev, seen = wait_event(sub, "call.monitor", cid, timeout=5)
    assert ev and ev["action"] == "stopped", seen
    ended, seen = wait_event(sub, "call.ended", sid, timeout=10)
    assert ended, seen
    time.sleep(0.5)
    check(caller, [880], [1320, 440], "after: the caller hears the agent")
    check(agent, [440], [1320, 880], "after: the agent hears the caller")

    # monitoring again, then the caller hangs up: the supervisor's call ends too
    sup.dial("*241002")
    ev, seen = wait_event(sub, "call.monitor", cid, timeout=10)
    assert ev and ev["action"] == "started" and ev["mode"] == "barge", seen
    sid2 = ev["supervisor_call_id"]
    time.sleep(1.0)
    check(caller, [880, 1320], [440], "barge from the start")
    caller.command("hangup")
    ended, seen = wait_event(sub, "call.ended", sid2, timeout=10)
    assert ended and ended["disposition"] == "answered", seen
    sub.close()

    rows = s.psql("SELECT actor, action, target, result, detail->>'mode' FROM web_audit "
                  "WHERE action LIKE 'monitor.%' ORDER BY id")
    assert rows == [
        ("ext:2002", "monitor.start", "ext:1002", "not_a_supervisor", "listen"),
        ("sue", "monitor.start", "ext:1003", "not_their_agent", "listen"),
        ("sue", "monitor.start", "ext:1002", "ok", "listen"),
        ("sue", "monitor.mode", "ext:1002", "ok", "whisper"),
        ("sue", "monitor.mode", "ext:1002", "ok", "barge"),
        ("sue", "monitor.start", "ext:1002", "ok", "barge"),
    ], rows


def test_agent_not_in_a_call_gets_480(mon):
    s = mon
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    s.ua["2001"].dial("*231002")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    ended, seen = wait_event(sub, "call.ended", created["call_id"], timeout=10)
    assert ended and ended["sip_code"] == 480, seen
    sub.close()


def test_console_rings_the_supervisor_then_monitors(mon):
    s = mon
    web = Http(s.http_port)
    web.login("sue", "sue-password-1")
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    cid = start_call(s, sub, "1001", "1002")
    caller, agent, sup = s.ua["1001"], s.ua["1002"], s.ua["2001"]

    # outside sue's queues, and a supervisor without a phone: refused, nothing rings
    r = web.post("/api/agents/1003/monitor", {"mode": "listen"})
    assert r.status == 403, r
    r = web.post("/api/agents/1002/monitor", {"mode": "spy"})
    assert r.status == 400 and r.error_field() == "mode", r
    other = Http(s.http_port)
    other.login("nophone", "nophone-password")
    r = other.post("/api/agents/1002/monitor", {"mode": "listen"})
    assert r.status == 409 and r.json["error"]["code"] == "no_phone", r

    r = web.post("/api/agents/1002/monitor", {"mode": "whisper"})
    assert r.status == 200 and r.json["state"] == "ringing_supervisor", r
    ev, seen = wait_event(sub, "call.monitor", cid, timeout=15)
    assert ev and ev["action"] == "started" and ev["mode"] == "whisper", seen
    assert ev["supervisor"] == "2001" and ev["supervisor_user"] == "sue"
    sid = ev["supervisor_call_id"]
    board = wait_until(lambda: [a for a in web.get("/api/agents").json["agents"]
                                if a["ext"] == "1002" and a["monitored"]], timeout=5,
                       what="1002 shown as monitored")
    assert board[0]["monitored"] == {"by": "sue", "mode": "whisper"}, board
    if browser_available():  # what the supervisor sees on the wallboard
        b = Browser(env=s.env(), artifacts=sm.REPO / "build" / "test-artifacts" / "monitor")
        try:
            b.page("sup")
            b.login("http://127.0.0.1:%d" % s.http_port, "sue", "sue-password-1", page="sup")
            b.wait("document.querySelector('[data-agent=\"1002\"] [data-field=\"monitored\"]')"
                   ".textContent === 'whisper · sue'", page="sup")
            b.screenshot("whispered.png", page="sup")
        finally:
            b.close()
    time.sleep(1.0)
    check(agent, [440, 1320], [880], "console whisper: the agent hears the supervisor")
    check(caller, [880], [1320, 440], "console whisper: the caller does not")

    sup.command("hangup")
    ev, seen = wait_event(sub, "call.monitor", cid, timeout=5)
    assert ev and ev["action"] == "stopped", seen
    wait_until(lambda: [a for a in web.get("/api/agents").json["agents"]
                        if a["ext"] == "1002" and a["monitored"] is None], timeout=5,
               what="1002 no longer monitored")
    ended, seen = wait_event(sub, "call.ended", sid, timeout=10)
    assert ended, seen
    caller.command("hangup")
    ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
    assert ended, seen
    sub.close()
    rows = s.psql("SELECT actor, result FROM web_audit WHERE action = 'monitor' ORDER BY id")
    assert ("sue", "ok") in rows, rows  # webd's own record of the console action
    rows = s.psql("SELECT actor, detail->>'via' FROM web_audit WHERE action = 'monitor.start' "
                  "AND result = 'ok' ORDER BY id DESC LIMIT 1")
    assert rows == [("sue", "console")], rows


def test_take_over_leaves_the_supervisor_with_the_caller(mon):
    s = mon
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    cid = start_call(s, sub, "1001", "1002")
    caller, sup = s.ua["1001"], s.ua["2001"]
    sup.dial("*241002")
    ev, seen = wait_event(sub, "call.monitor", cid, timeout=10)
    assert ev and ev["action"] == "started", seen
    sid = ev["supervisor_call_id"]
    time.sleep(1.0)
    sup.command("sndcode", "7")
    ev, seen = wait_event(sub, "call.monitor", cid, timeout=5)
    assert ev and ev["action"] == "takeover", seen
    ended, seen = wait_event(sub, "call.ended", sid, timeout=10)
    assert ended and "took over" in ended["reason"], seen
    time.sleep(1.0)
    check(caller, [1320], [440, 880], "after the takeover the caller hears the supervisor")
    check(sup, [440], [880, 1320], "and the supervisor hears the caller")
    caller.command("hangup")
    ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
    assert ended and ended["disposition"] == "answered", seen
    sub.close()
    rows = s.psql("SELECT actor, result FROM web_audit WHERE action = 'monitor.takeover'")
    assert rows == [("sue", "ok")], rows
