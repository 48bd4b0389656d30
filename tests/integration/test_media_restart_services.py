"""test_media_restart_services.py - what the other daemons had set up on a call's media
comes back when mediad is killed (-9) and started again 1.5 s later, as systemd would:
sipproxy re-creates the endpoints on their ids and ports and publishes
call.media_restored, and

- recorderd taps them again: the recording goes on with both parties' tones, the outage
  is a gap in its index, and it is complete when the call ends normally; a call that ends
  while mediad is down leaves a recording marked incomplete with a gap up to its end;
- acdd plays the hold music again to a caller waiting in a queue;
- ivrd plays the prompt of the menu the caller is in again, and a key pressed after the
  restart routes the call.

What a phone heard after the restart is what its own recording (baresip's) grew by
meanwhile. test_crash_recovery.py covers the relay itself (the parties hear each other
again)."""

import json
import subprocess
import time

import pytest

import suite as sm
from helpers.audio import make_tone, rms, tone_share_samples, tone_windows_samples
from helpers.bus import wait_event
from helpers.phones import Baresip, event_time
from helpers.recording import channels, recording

DAEMONS = ["sipproxy", "mediad", "recorderd", "acdd", "ivrd"]
CALLER, CALLEE = "1001", "1002"   # a recorded call (policy ext:1001 always): 440 / 880 Hz
WAITER = "2001"                   # waits in a queue nobody serves (440 Hz)
IVR_CALLER = "2002"               # in the IVR menu (sends silence)
QUEUE_NUMBER, IVR_NUMBER = "610", "7000"
KILLED_FOR = 1.5                  # systemd's RestartSec


def menu_flow():
    """A greeting, then a menu whose 2 rings the callee (880 Hz); its prompt is long and
    its timeout longer, so that neither ends during a test."""
    return {
        "name": "restart", "language": "en", "start": "greeting",
        "nodes": {
            "greeting": {"kind": "play", "prompts": ["welcome"], "barge_in": True,
                         "next": "menu"},
            "menu": {"kind": "menu", "prompt": ["welcome", "main-menu"],
                     "options": {"2": "callee"}, "timeout": 20, "retries": 1,
                     "fallback": "bye"},
            "callee": {"kind": "route", "to": "ext", "target": CALLEE},
            "bye": {"kind": "hangup"},
        },
    }


@pytest.fixture(scope="module")
def mr(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_media_restart_services", daemons=DAEMONS,
                 config={"mediad.media_timeout": "0", "ivrd.path_flush_ms": "50"})
    uas = []
    try:
        for ext in (CALLER, CALLEE, WAITER, IVR_CALLER):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
            s.ccctl("route", "add", ext, "ext:" + ext, check=True)
        s.ccctl("recording", "policy", "ext:" + CALLER, "always", check=True)
        s.ccctl("queue", "add", "waiting", "--number", QUEUE_NUMBER, "--no-announce",
                check=True)
        s.ccctl("agent", "add", CALLEE, "--queue", "waiting", check=True)  # never logs in
        s.start()
        flow = s.var_dir / "restart.json"
        flow.write_text(json.dumps(menu_flow()))
        s.ccctl("ivr", "load", flow, "--number", IVR_NUMBER, check=True)
        s.wait_log("ivrd", r"event=ivr.flow_loaded .*flow=restart", timeout=10)
        t440, t880, quiet = (s.var_dir / n for n in ("t440.wav", "t880.wav", "quiet.wav"))
        make_tone(t440, 440, 120)
        make_tone(t880, 880, 120)
        subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(quiet), "trim",
                        "0", "120"], check=True)
        s.ua = {}
        for ext, tone in ((CALLER, t440), (CALLEE, t880), (WAITER, t440), (IVR_CALLER, quiet)):
            s.ua[ext] = Baresip(s, ext, "secret" + ext, tone)
            uas.append(s.ua[ext])
        for ua in uas:
            assert ua.wait_log("200 OK", 10), "%s did not register:\n%s" % (ua.ext,
                                                                            ua.text()[-2000:])
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


def kill_mediad(s):
    """kill -9 mediad; returns the (wall clock) time it died."""
    s.kill9("mediad")
    return time.time()


def start_mediad(s, sub, call_id):
    """Start mediad again after systemd's pause and wait for the call's
    call.media_restored; returns (the event, its time). sipproxy restores the endpoints as
    soon as the new mediad answers, which is before it is READY (it sits out the port
    quarantine first): the event's own time says when the media was back."""
    time.sleep(KILLED_FOR)
    s.start("mediad")
    ev, seen = wait_event(sub, "call.media_restored", call_id, timeout=10)
    if not ev:  # e.g. another process took the call's port while mediad was down
        about = [ln for ln in s.log("sipproxy").splitlines()
                 if "call=%s " % call_id in ln or "event=media." in ln]
        pytest.fail("no call.media_restored for %s; saw %s\nsipproxy:\n%s" % (
            call_id, [e.get("type") for e in seen], "\n".join(about[-20:])))
    return ev, event_time(ev)


def recorded_call_then_kill(s):
    """The caller calls the callee (recorded), they talk 2 s, mediad is killed. Returns the
    subscriber on sipproxy's call events, the call id, when it was answered (the recording
    starts then) and how long after that mediad died."""
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    s.ua[CALLER].dial(CALLEE)
    answered, seen = wait_event(sub, "call.answered", timeout=10)
    assert answered, seen
    t0 = event_time(answered)
    time.sleep(2)
    return sub, answered["call_id"], t0, kill_mediad(s) - t0


def test_recording_goes_on_with_the_outage_marked(mr):
    sub, cid, t0, t_kill = recorded_call_then_kill(mr)
    restored, t_back = start_mediad(mr, sub, cid)
    t_back -= t0
    time.sleep(3)
    mr.ua[CALLER].command("hangup")
    ended, _ = wait_event(sub, "call.ended", cid, timeout=10)
    sub.close()
    assert ended and ended["disposition"] == "answered", ended
    r = recording(mr, cid)
    print("killed at %.2f s, back at %.2f s (gap_ms %d); gaps %s, duration %d ms" % (
        t_kill, t_back, restored["gap_ms"], r["gaps"], r["duration_ms"]))
    assert r["complete"], r
    assert len(r["gaps"]) == 1, r["gaps"]
    start, end = r["gaps"][0]["start_ms"] / 1000, r["gaps"][0]["end_ms"] / 1000
    # the gap covers the outage: from at most the old tap's last batch before the kill to
    # the first frame of the new tap, soon after the restore (what the test's clock says
    # is off by the placement's anchor, a few tens of ms)
    assert t_kill - 0.6 < start < t_kill + 0.3 and t_kill + KILLED_FOR < end < t_back + 1, (
        start, end, t_kill, t_back)
    left, right = channels(r["path"])
    lo, hi = int(start * 8000) + 80, int(end * 8000) - 80
    assert rms(left[lo:hi]) == 0 and rms(right[lo:hi]) == 0, "the gap is silence"
    # both parties before and after, each on its channel: samples placed right across the
    # restart (timestamps running on), not shifted onto the other's or into the gap
    for part, (a, b) in (("before", (0, lo)), ("after", (hi, len(left)))):
        share_l, loud_l = tone_share_samples(left[a:b], 440)
        share_r, loud_r = tone_share_samples(right[a:b], 880)
        assert loud_l > 20 and share_l > 0.9, (part, "caller", share_l, loud_l)
        assert loud_r > 20 and share_r > 0.9, (part, "callee", share_r, loud_r)
    after_s = (len(left) - hi) / 8000
    assert after_s > 2.5, "only %.1f s recorded after the gap" % after_s
    assert "event=rec.media_restored" in mr.log("recorderd")


def test_call_ended_while_mediad_down_leaves_an_incomplete_recording(mr):
    sub, cid, t0, t_kill = recorded_call_then_kill(mr)
    time.sleep(0.5)
    mr.ua[CALLER].command("hangup")
    ended, _ = wait_event(sub, "call.ended", cid, timeout=10)
    sub.close()
    assert ended, "no call.ended while mediad was down"
    time.sleep(max(0.0, KILLED_FOR - (time.time() - t0 - t_kill)))
    mr.start("mediad")
    r = recording(mr, cid, timeout=10)
    print("killed at %.2f s; gaps %s, duration %d ms" % (t_kill, r["gaps"], r["duration_ms"]))
    assert not r["complete"], r
    assert r["gaps"], r
    last = r["gaps"][-1]
    assert t_kill - 0.6 < last["start_ms"] / 1000 < t_kill + 0.3, (last, t_kill)
    assert last["end_ms"] >= r["duration_ms"] - 1, (last, r["duration_ms"])
    assert "event=rec.tail_lost" in mr.log("recorderd")


def heard_for(ua, seconds):
    """What the phone hears over the next `seconds`, as tone_windows letters against 440 Hz
    (T: its own tone echoed, M: something else loud, .: quiet), and the samples."""
    mark = ua.heard_mark()
    time.sleep(seconds)
    heard = ua.heard_since(mark)
    return tone_windows_samples(heard, 440), heard


def test_waiting_caller_hears_music_again(mr):
    ua = mr.ua[WAITER]
    sub = mr.subscribe(["sipproxy", "acdd"])
    time.sleep(0.3)
    ua.dial(QUEUE_NUMBER)
    entered, seen = wait_event(sub, "queue.entered", timeout=10)
    assert entered, "%s\nacdd:\n%s" % ([e.get("type") for e in seen], mr.log_tail("acdd"))
    cid = entered["call_id"]
    time.sleep(2)
    kill_mediad(mr)
    start_mediad(mr, sub, cid)
    heard, _ = heard_for(ua, 3)
    ua.command("hangup")
    ended, _ = wait_event(sub, "call.ended", cid, timeout=10)
    sub.close()
    assert ended, "the waiting call did not end"
    print("after the restart the caller heard: %s" % heard)
    # 3 s of music (loud, not its own tone echoed back; its notes fade between them at its
    # start, where it begins again), never half a second of silence
    assert len(heard) >= 50, "the caller heard only %.1f s in 3 s" % (len(heard) / 20)
    assert heard.count("M") >= 0.6 * len(heard) and "." * 10 not in heard, heard
    assert "event=acd.media_restored" in mr.log("acdd")


def test_ivr_menu_prompt_again_and_a_key_still_routes(mr):
    ua = mr.ua[IVR_CALLER]
    sub = mr.subscribe(["sipproxy", "ivrd"])
    time.sleep(0.3)
    ua.dial(IVR_NUMBER)
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    menu = None
    deadline = time.monotonic() + 15
    while not menu and time.monotonic() < deadline:
        ev = sub.recv(0.5)
        if ev and ev[0] == "ivr.step" and (ev[1]["node"], ev[1]["input"]) == ("menu", ""):
            menu = ev[1]
    assert menu, "the menu was never reached; ivrd:\n%s" % mr.log_tail("ivrd")
    time.sleep(0.5)  # the menu prompt plays
    kill_mediad(mr)
    start_mediad(mr, sub, cid)
    prompt, _ = heard_for(ua, 1.5)  # the menu prompt again, from its start
    ua.command("sndcode", "2")
    routed = None
    deadline = time.monotonic() + 10
    while not routed and time.monotonic() < deadline:
        ev = sub.recv(0.5)
        if ev and ev[0] == "ivr.step" and ev[1]["node"] == "callee":
            routed = ev[1]
    assert routed and routed["input"] == "route:ext:%s" % CALLEE, (
        routed, mr.log_tail("ivrd"))
    answered, _ = wait_event(sub, "call.connect_result", cid, timeout=10)
    assert answered and answered["result"] == "answered", answered
    _, callee = heard_for(ua, 2)
    ua.command("hangup")
    ended, _ = wait_event(sub, "call.ended", cid, timeout=10)
    sub.close()
    assert ended
    print("1.5 s after the restart the caller heard: %s" % prompt)
    assert len(prompt) >= 25, "the caller heard only %.1f s in 1.5 s" % (len(prompt) / 20)
    assert prompt.count("M") >= 0.4 * len(prompt), "no menu prompt after the restart: " + prompt
    share, loud = tone_share_samples(callee, 880)
    assert loud > 20 and share > 0.8, "the callee's tone: %.2f of %d loud windows" % (share, loud)
    time.sleep(0.3)  # the path writer's flush
    steps = [tuple(r) for r in mr.psql(
        "SELECT node, input FROM ivr_path WHERE call_id = %s ORDER BY seq", (cid,))]
    assert ("menu", "media_restored") in steps and ("menu", "key:2") in steps, steps
    assert "event=ivr.media_restored" in mr.log("ivrd")
