"""Calls through sipproxy + mediad (+ cdrd when present) with real baresip phones:
A calls B with a 440 Hz tone, B answers with 880 Hz, each recording holds the other's
tone; the call.* events on the bus (and the CDR when cdrd runs) carry the outcome.
Busy, no answer (ring timeout), caller cancel and unknown number give the right codes."""

import time

import pytest

import suite as sm
from helpers.audio import tone_share, tone_windows
from helpers.bus import wait_event
from helpers.phones import Baresip, five_phones

DAEMONS = ["sipproxy", "mediad", "cdrd"]
RING_TIMEOUT = 4
MEDIA_TIMEOUT = 3


# ---- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def calls(pg_cluster, bin_dir):
    daemons = [d for d in DAEMONS if (bin_dir / d).exists()]
    s = sm.Suite(pg_cluster, name="test_sip_calls", daemons=daemons,
                 config={"sipproxy.ring_timeout": str(RING_TIMEOUT),
                         "mediad.media_timeout": str(MEDIA_TIMEOUT)})
    uas = []
    try:
        for ext in ("1001", "1002", "1003", "1004", "1005"):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
            s.ccctl("route", "add", ext, "ext:" + ext, check=True)
        s.ccctl("user", "add", "1099", "--password", "secret1099", check=True)
        s.ccctl("route", "add", "1099", "ext:1099", check=True)  # a user that never registers
        s.start()
        five_phones(s, uas)
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


def cdr(calls, call_id, timeout=5):
    """The CDR row of call_id as a dict, None when cdrd is not part of this run; fails
    when cdrd runs and no row appears."""
    if not calls.running("cdrd"):
        print("cdrd not running: CDR not checked (call.* events were)")
        return None
    deadline = time.time() + timeout
    while time.time() < deadline:
        conn = calls.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT * FROM cdrs WHERE call_id = %s", (call_id,))
                r = cur.fetchone()
                if r:
                    return dict(zip([d[0] for d in cur.description], r))
        finally:
            conn.close()
        time.sleep(0.2)
    pytest.fail("no CDR for call %s after %d s; cdrd log:\n%s" % (call_id, timeout, calls.log_tail("cdrd")))


def call_events(sub, seconds):
    return [obj for _, obj, _ in sub.collect(seconds)]


# ---- tests -----------------------------------------------------------------------------


def test_a_calls_b_tones_both_ways(calls):
    sub = calls.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    a, b = calls.ua["1001"], calls.ua["1002"]
    t_answer = None
    a.dial("1002")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, "no call.created; saw %s\nsipproxy:\n%s" % (seen, calls.log_tail("sipproxy"))
    cid = created["call_id"]
    assert created["caller"] == "1001" and created["callee"] == "1002"
    assert created["direction"] == "internal"
    answered, seen = wait_event(sub, "call.answered", cid, timeout=10)
    assert answered, "no call.answered; saw %s\nsipproxy:\n%s\nB:\n%s" % (
        seen, calls.log_tail("sipproxy"), b.text()[-3000:])
    t_answer = time.monotonic()
    assert a.wait_log("Call established", 5), a.text()[-2000:]
    time.sleep(4)
    a.command("hangup")
    ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
    talk = time.monotonic() - t_answer
    assert ended, "no call.ended; saw %s" % seen
    assert ended["disposition"] == "answered" and ended["hangup_side"] == "caller", ended
    assert ended["sip_code"] == 200
    media = ended.get("media") or {}
    assert media.get("caller", {}).get("packets_in", 0) > 100, ended
    assert media.get("callee", {}).get("packets_in", 0) > 100, ended
    time.sleep(1)
    # each side heard the other's tone
    rec_b = b.recordings()
    rec_a = a.recordings()
    assert rec_b and rec_a, "no sndfile recordings: A %s B %s" % (rec_a, rec_b)
    share_b, loud_b = tone_share(rec_b[-1], 440)
    share_a, loud_a = tone_share(rec_a[-1], 880)
    assert loud_b > 20 and share_b > 0.8, "B heard 440 Hz in %.2f of %d windows" % (share_b, loud_b)
    assert loud_a > 20 and share_a > 0.8, "A heard 880 Hz in %.2f of %d windows" % (share_a, loud_a)
    # the CDR (cdrd), when cdrd is part of this build
    row = cdr(calls, cid)
    if row is not None:
        assert (row["caller"], row["callee"], row["disposition"]) == ("1001", "1002", "answered"), row
        assert abs(row["talk_ms"] / 1000.0 - talk) <= 1.0, "talk_ms %s, real %.2f s" % (row["talk_ms"], talk)
    sub.close()


def _outcome(calls, caller, number, action=None, timeout=15):
    sub = calls.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    calls.ua[caller].dial(number)
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, "no call.created; saw %s\n%s" % (seen, calls.log_tail("sipproxy"))
    if action:
        action()
    ended, seen = wait_event(sub, "call.ended", created["call_id"], timeout=timeout)
    sub.close()
    assert ended, "no call.ended; saw %s\n%s" % (seen, calls.log_tail("sipproxy"))
    row = cdr(calls, created["call_id"])
    if row is not None:
        assert (row["disposition"], row["sip_code"]) == (ended["disposition"], ended["sip_code"]), row
    return created, ended


def test_unknown_number_404(calls):
    created, ended = _outcome(calls, "1001", "5555")
    assert "route_kind" not in created
    assert (ended["disposition"], ended["sip_code"]) == ("not_found", 404), ended


def test_new_user_rings_without_a_route(calls):
    """Issue 14: an extension made with `ccctl user add` while the suite runs can be
    called at once, with no `route add`; once deleted, its number is unknown again."""
    s = calls
    s.ccctl("user", "add", "1006", "--password", "secret1006", check=True)
    r = s.ccctl("route", "test", "1006")
    assert r.returncode == 0 and "-> ext:1006" in r.stdout, (r.stdout, r.stderr)
    ua = Baresip(s, "1006", "secret1006", s.tone880, answer="auto")
    try:
        assert ua.wait_log("200 OK", 10), ua.text()[-2000:]
        sub = s.subscribe(["sipproxy"], prefix="call.")
        time.sleep(0.3)
        s.ua["1001"].dial("1006")
        created, seen = wait_event(sub, "call.created", timeout=10)
        assert created, "no call.created; saw %s" % seen
        assert (created["route_kind"], created["route_target"]) == ("ext", "1006"), created
        answered, seen = wait_event(sub, "call.answered", created["call_id"], timeout=10)
        assert answered and answered["answered_by"] == "1006", (answered, seen)
        time.sleep(1)
        s.ua["1001"].command("hangup")
        ended, seen = wait_event(sub, "call.ended", created["call_id"], timeout=10)
        sub.close()
        assert ended and ended["disposition"] == "answered", (ended, seen)
    finally:
        ua.stop()
    s.ccctl("user", "del", "1006", check=True)
    time.sleep(0.5)  # sipproxy reloads on the NOTIFY
    created, ended = _outcome(calls, "1001", "1006")
    assert (ended["disposition"], ended["sip_code"]) == ("not_found", 404), ended


def test_not_registered_480(calls):
    created, ended = _outcome(calls, "1001", "1099")
    assert (ended["disposition"], ended["sip_code"]) == ("unavailable", 480), ended


def test_busy_486(calls):
    callee = calls.ua["1003"]

    def reject():
        assert callee.wait_log("Incoming call", 10), callee.text()[-2000:]
        time.sleep(0.3)
        callee.command("hangup")
    created, ended = _outcome(calls, "1001", "1003", reject)
    assert ended["disposition"] in ("busy", "declined"), ended
    assert ended["sip_code"] in (486, 603), ended


def test_no_answer_ring_timeout_480(calls):
    t0 = time.monotonic()
    created, ended = _outcome(calls, "1002", "1004", timeout=RING_TIMEOUT + 10)
    took = time.monotonic() - t0
    assert (ended["disposition"], ended["sip_code"], ended["hangup_side"]) == \
        ("no_answer", 480, "system"), ended
    assert RING_TIMEOUT - 0.5 <= took <= RING_TIMEOUT + 3, took


def test_caller_cancel(calls):
    caller = calls.ua["1001"]

    def cancel():
        assert calls.ua["1003"].wait_log("Incoming call", 10)
        time.sleep(0.5)
        caller.command("hangup")
    created, ended = _outcome(calls, "1001", "1003", cancel)
    assert (ended["disposition"], ended["hangup_side"]) == ("cancelled", "caller"), ended


def test_hold_resume_reinvite_relayed(calls):
    sub = calls.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    a = calls.ua["1001"]
    a.dial("1002")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    answered, seen = wait_event(sub, "call.answered", cid, timeout=10)
    assert answered, seen
    time.sleep(1)
    before = calls.log("sipproxy").count("call=%s from=" % cid)
    a.command("hold")
    deadline = time.monotonic() + 5
    log = ""
    while time.monotonic() < deadline:
        log = calls.log("sipproxy")
        if "call=%s from=caller direction=sendonly" % cid in log:
            break
        time.sleep(0.1)
    assert "call=%s from=caller direction=sendonly" % cid in log, log[-2000:]
    time.sleep(MEDIA_TIMEOUT + 1.5)  # held longer than mediad's media timeout: call stays up
    a.command("resume")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if calls.log("sipproxy").count("call=%s from=" % cid) >= before + 2:
            break
        time.sleep(0.1)
    assert "call=%s from=caller direction=sendrecv" % cid in calls.log("sipproxy")
    # the re-INVITEs did not end the call
    ended, _ = wait_event(sub, "call.ended", cid, timeout=1)
    assert ended is None, ended
    a.command("hangup")
    ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
    assert ended and ended["disposition"] == "answered", (ended, seen)
    sub.close()


def test_hold_plays_music_then_resume(calls):
    """A holds: sipproxy answers the re-INVITE itself (B is not re-INVITEd) and mediad loops
    hold music to B; on resume B hears A's tone again."""
    sub = calls.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    a, b = calls.ua["1001"], calls.ua["1002"]
    b_reinvites = b.text().count("re-INVITE")
    a.dial("1002")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    answered, seen = wait_event(sub, "call.answered", cid, timeout=10)
    assert answered, seen
    assert answered["caller_endpoint"] > 0 and answered["callee_endpoint"] > 0, answered
    time.sleep(1.5)
    a.command("hold")
    calls.wait_log("sipproxy", "event=call.hold [^\\n]*call=%s by=caller" % cid, timeout=5)
    time.sleep(MEDIA_TIMEOUT + 1)  # longer than mediad's media timeout: the call stays up
    a.command("resume")
    calls.wait_log("sipproxy", "event=call.resume [^\\n]*call=%s by=caller" % cid, timeout=5)
    time.sleep(2)
    a.command("hangup")
    ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
    sub.close()
    assert ended and ended["disposition"] == "answered", (ended, seen)
    assert b.text().count("re-INVITE") == b_reinvites, "the hold was forwarded to B"
    time.sleep(1)
    w = tone_windows(b.recordings()[-1], 440)
    music = max((len(r) for r in w.replace(".", "M").split("T")), default=0)
    assert music >= 40, "B heard no music while held (%d windows): %s" % (music, w)
    tail = w.rstrip(".")[-20:]
    assert tail.count("T") >= 15, "B did not hear A's tone after resume: %s" % w


def test_media_timeout_ends_call(calls):
    """Last: kills UA 1005 mid-call; its media stops, mediad reports media.timeout and
    sipproxy ends the call (BYE to the callee) with disposition media_timeout."""
    sub = calls.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    calls.ua["1005"].dial("1002")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    answered, seen = wait_event(sub, "call.answered", cid, timeout=10)
    assert answered, seen
    time.sleep(1.5)
    calls.ua["1005"].proc.kill()
    ended, seen = wait_event(sub, "call.ended", cid, timeout=MEDIA_TIMEOUT + 8)
    sub.close()
    assert ended, "no call.ended after the caller's media stopped; saw %s\n%s" % (
        seen, calls.log_tail("sipproxy"))
    assert (ended["disposition"], ended["hangup_side"]) == ("media_timeout", "system"), ended
