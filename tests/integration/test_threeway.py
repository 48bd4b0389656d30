"""Three-way calls with real baresip phones: A (1001, 440 Hz) calls B (1002, 880 Hz),
consults C (1003, 660 Hz) on a second call, then dials *33: each of the three hears the
other two and not itself (Goertzel on what each phone decodes). A hangs up: B and C stay
connected, hear each other, and A hears nothing more. *33 without two calls to join fails
cleanly."""

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import suite as sm  # noqa: E402
from helpers.bus import wait_event  # noqa: E402
from helpers.phones import assert_hears, tone_phones  # noqa: E402

PHONES = {"1001": 440, "1002": 880, "1003": 660}


@pytest.fixture(scope="module")
def tw(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_threeway", daemons=["sipproxy", "mediad", "cdrd"])
    uas = []
    try:
        for ext in PHONES:
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
        s.start()
        tone_phones(s, PHONES, uas)
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


def check(ua, want, not_want, what):
    assert_hears(ua, want, not_want, what)


def dial(s, sub, a, number):
    s.ua[a].dial(number)
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    return created["call_id"]


def test_merge_then_the_merging_party_drops_out(tw):
    s = tw
    a, b, c = s.ua["1001"], s.ua["1002"], s.ua["1003"]
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    x = dial(s, sub, "1001", "1002")
    ev, seen = wait_event(sub, "call.answered", x, timeout=10)
    assert ev, seen
    time.sleep(0.5)
    y = dial(s, sub, "1001", "1003")
    ev, seen = wait_event(sub, "call.answered", y, timeout=10)
    assert ev, seen
    time.sleep(0.5)
    z = dial(s, sub, "1001", "*33")
    ev, seen = wait_event(sub, "call.ended", z, timeout=15)
    assert ev and ev["reason"] == "feature code *33 done", seen
    time.sleep(1.0)
    check(a, [880, 660], [440], "merged: A hears B and C")
    check(b, [440, 660], [880], "merged: B hears A and C")
    check(c, [440, 880], [660], "merged: C hears A and B")

    a.command("hangup")  # whichever of its calls baresip holds current
    ended, seen = wait_event(sub, "call.ended", timeout=10)
    assert ended and ended["call_id"] in (x, y), seen
    assert "left the three-way call" in ended["reason"], ended
    stays = y if ended["call_id"] == x else x
    time.sleep(1.0)
    check(b, [660], [440, 880], "after A left: B hears C only")
    check(c, [880], [440, 660], "after A left: C hears B only")
    b.command("hangup")
    ended, seen = wait_event(sub, "call.ended", stays, timeout=10)
    assert ended, seen
    time.sleep(0.5)
    a.command("hangup")  # nothing should be left on A's phone; harmless if so
    sub.close()
    # one CDR per call, the merged calls' ends say what happened
    rows = s.psql("SELECT call_id, disposition FROM cdrs WHERE call_id IN (%s, %s, %s)",
                  (x, y, z))
    assert len(rows) == 3, rows


def test_threeway_code_without_two_calls_fails_cleanly(tw):
    s = tw
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    z = dial(s, sub, "1002", "*33")
    ev, seen = wait_event(sub, "call.ended", z, timeout=15)
    assert ev and ev["reason"] == "feature code *33 failed", seen
    sub.close()
