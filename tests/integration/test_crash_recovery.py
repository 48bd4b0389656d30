"""test_crash_recovery.py - the call path survives its daemons' crashes:

- kill -9 sipproxy mid-load (sipp trunks holding calls) and start it again: within a few
  seconds mediad holds only endpoints of live calls (the dead sipproxy's are freed, not
  kept forever), and a following run at the same rate completes every call;
- kill -9 mediad while baresip pairs talk (440 Hz one way, 880 Hz the other) and start it
  again: sipproxy re-creates every call's endpoints on the same ids and ports, so each
  party hears the other's tone again within about a second (checked in what each phone
  recorded after the restart), and call.media_restored says so;
- a call whose endpoints cannot come back is ended with BYE and a CDR saying why.

The stale-stream case (a new call never relays audio aimed at a port just freed) is
mediad's own test (test_mediad_recovery.py)."""

import socket
import threading
import time

from helpers.audio import make_tone, tone_share_samples
from helpers.bus import wait_event, wait_until
from helpers.phones import Baresip
import pytest  # noqa: E402

# alone, before the parallel part: load and timing that other tests would disturb
pytestmark = pytest.mark.serial



def mediad_endpoints(s):
    return s.bus_call("mediad", "status")["result"]["details"]["endpoints"]


def sipproxy_calls(s):
    return s.bus_call("sipproxy", "status")["result"]["details"]["calls"]


def test_sipproxy_restart_frees_dead_calls_endpoints(trunk_suite):
    s, t = trunk_suite(**{"sipproxy.media_sync_interval": "2"})
    t.start_uas()
    placed = {}

    def run():  # 20 calls/s, each held 8 s: about 80 up when sipproxy dies
        placed.update(t.place(20, 120, "-d", "8000", timeout=120))
    th = threading.Thread(target=run, daemon=True)
    th.start()
    wait_until(lambda: sipproxy_calls(s) >= 60, timeout=20, what="60 calls up")
    before = mediad_endpoints(s)
    assert before >= 120, before
    s.kill9("sipproxy")
    time.sleep(1.5)  # as systemd would, RestartSec
    s.restart("sipproxy")
    # the new sipproxy's first contact with mediad frees its predecessor's endpoints
    wait_until(lambda: mediad_endpoints(s) == 2 * sipproxy_calls(s), timeout=8,
               what="mediad to hold only the endpoints of live calls")
    th.join(150)
    wait_until(lambda: sipproxy_calls(s) == 0 and mediad_endpoints(s) == 0, timeout=30,
               what="the rest of the first run to end")
    # the same rate again: every call completes
    res = t.place(20, 100, "-d", "1000", timeout=120)
    assert res["ok"] == 100 and res["failed"] == 0, res
    assert "media.synced" in s.log("sipproxy") or "freed" in s.log("mediad")


def test_mediad_restart_restores_audio_both_ways(make_suite):
    s = make_suite(daemons=["sipproxy", "mediad", "cdrd"],
                   config={"common.log_level": "info"})
    pairs = [("2001", "2002"), ("2003", "2004")]
    for a, b in pairs:
        for ext in (a, b):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
            s.ccctl("route", "add", ext, "ext:" + ext, check=True)
    s.start()
    t440, t880 = s.var_dir / "t440.wav", s.var_dir / "t880.wav"
    make_tone(t440, 440, seconds=60)
    make_tone(t880, 880, seconds=60)
    uas = {}
    try:
        for a, b in pairs:
            uas[a] = Baresip(s, a, "secret" + a, t440)
            uas[b] = Baresip(s, b, "secret" + b, t880)
        for ua in uas.values():
            assert ua.wait_log("200 OK", 10), ua.text()[-1500:]
        sub = s.subscribe(["sipproxy"], prefix="call.")
        time.sleep(0.3)
        calls = {}
        for a, b in pairs:
            uas[a].dial(b)
            ans, seen = wait_event(sub, "call.answered", timeout=10)
            assert ans, seen
            calls[a] = ans["call_id"]
        time.sleep(2)
        s.kill9("mediad")
        time.sleep(1.5)
        s.restart("mediad")
        restored = set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(restored) < len(calls):
            ev = sub.recv(0.5)
            if ev and ev[0] == "call.media_restored":
                restored.add(ev[1]["call_id"])
                assert ev[1]["caller_endpoint"] > 0 and ev[1]["callee_endpoint"] > 0, ev
        assert restored == set(calls.values()), "restored %s of %s" % (restored, calls)
        # what each phone hears from here on (a phone records only what it decodes, so a
        # silent restore would add nothing)
        time.sleep(1.0)
        marks = {ext: ua.heard_mark() for ext, ua in uas.items()}
        time.sleep(4)  # talk on after the restart
        heard = {ext: uas[ext].heard_since(marks[ext]) for ext in uas}
        for a, _ in pairs:
            uas[a].command("hangup")
        for cid in calls.values():
            ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
            assert ended and ended["disposition"] == "answered", (ended, seen)
        sub.close()
        for a, b in pairs:
            # four seconds after the restore each hears the other again
            share_a, loud_a = tone_share_samples(heard[a], 880)
            share_b, loud_b = tone_share_samples(heard[b], 440)
            assert loud_a >= 60 and share_a > 0.9, (a, share_a, loud_a)
            assert loud_b >= 60 and share_b > 0.9, (b, share_b, loud_b)
    finally:
        for ua in uas.values():
            ua.stop()


def test_call_that_cannot_be_restored_ends_with_a_cdr_saying_why(trunk_suite):
    s, t = trunk_suite()
    t.start_uas()
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    th, _, events = t.place_held(sub, 5, 15000, timeout=90)
    answered = {cid: ev["caller_endpoint"] for cid, ev in events.items()}
    victim = sorted(answered)[0]
    port = s.bus_call("mediad", "endpoint.stats",
                      {"endpoint_id": answered[victim]})["result"]["port"]
    s.kill9("mediad")
    # while mediad is down a stranger takes the port of one call's caller endpoint: that
    # endpoint cannot come back where the phone sends
    thief = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    thief.bind(("127.0.0.1", port))
    try:
        s.restart("mediad")
        ended, seen = wait_event(sub, "call.ended", victim, timeout=10)
        assert ended, seen
        assert ended["hangup_side"] == "system" and "restored" in ended["reason"], ended
        # the other four came back and go on until the caller hangs up
        others = [c for c in answered if c != victim]
        for cid in others:
            ev, _ = wait_event(sub, "call.ended", cid, timeout=30)
            assert ev and ev["hangup_side"] == "caller", ev
    finally:
        thief.close()
        sub.close()
    th.join(60)
    rows = dict(s.psql("SELECT call_id, reason FROM cdrs"))
    assert "restored" in rows[victim], rows
