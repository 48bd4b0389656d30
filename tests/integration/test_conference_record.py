"""A recorded conference room end to end: `ccctl conf add --record`, three baresip phones
with three tones join, talk and leave; the room's session is one recording in the index
(call id conf-ROOM-<ms>, callee conf:ROOM) whose file holds the full mix, the same in both
channels, with all three tones in it (Goertzel)."""

import json
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import suite as sm  # noqa: E402
from helpers.audio import goertzel  # noqa: E402
from helpers.bus import bus_ok, wait_event  # noqa: E402
from helpers.phones import tone_phones  # noqa: E402
from helpers.recording import channels, recording  # noqa: E402

DAEMONS = ["sipproxy", "mediad", "ivrd", "recorderd"]
TONES = {"1001": 420, "1002": 810, "1003": 1270}
CONTROL = (600, 1000, 1500)  # no tone and no simple intermodulation product of them


@pytest.fixture(scope="module")
def conf(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_conference_record", daemons=DAEMONS)
    uas = []
    try:
        for ext in TONES:
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
        r = s.ccctl("conf", "add", "rec", "--number", "720", "--record", check=True)
        assert "recorded" in r.stdout, r.stdout
        s.ccctl("conf", "add", "plain", "--number", "721", check=True)
        s.start()
        tone_phones(s, TONES, uas, volume=0.12)
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


def enter(s, sub, ext, number, events=None):
    """ext dials number; its call id once it joined. Every event seen on the way is
    appended to `events`."""
    s.ua[ext].dial(number)
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    joined, seen2 = wait_event(sub, "conf.joined", cid, timeout=10)
    assert joined, (seen2, s.log_tail("ivrd"))
    if events is not None:
        events += seen + seen2
    return cid


def test_ccctl_conf_record_flag(conf):
    rooms = {r["room"]: r for r in json.loads(conf.ccctl("conf", "list", "--json",
                                                         check=True).stdout)}
    assert rooms["rec"]["record"] is True and rooms["plain"]["record"] is False, rooms
    table = conf.ccctl("conf", "list", check=True).stdout
    assert "RECORD" in table, table
    line = [ln for ln in table.splitlines() if ln.startswith("rec ")][0]
    assert " yes " in line, table
    assert conf.psql("SELECT name FROM conferences WHERE record ORDER BY name") == [("rec",)]


def test_recorded_room_is_one_mixed_recording_with_every_tone(conf):
    s = conf
    sub = s.subscribe(["sipproxy", "ivrd", "recorderd"])
    time.sleep(0.3)
    t0 = time.monotonic()
    events = []
    calls = {ext: enter(s, sub, ext, "720", events) for ext in TONES}
    started = [e for e in events if e.get("type") == "rec.started"]
    if not started:
        ev, seen = wait_event(sub, "rec.started", timeout=10)
        assert ev, (seen, s.log_tail("recorderd"), s.log_tail("ivrd"))
        started = [ev]
    assert len(started) == 1, started
    started = started[0]
    rec_cid = started["call_id"]
    assert rec_cid.startswith("conf-rec-"), started
    live = bus_ok(s, "ivrd", "conf.list", {"room": "rec"})["rooms"]
    assert live[0]["recording"] == rec_cid and len(live[0]["members"]) == 3, live
    time.sleep(4.0)  # three talk at once
    for ext in reversed(list(TONES)):  # 1003 leaves first, 1001 last
        s.ua[ext].command("hangup")
        ended, seen = wait_event(sub, "call.ended", calls[ext], timeout=10)
        assert ended, seen
        time.sleep(0.5)
    session = time.monotonic() - t0
    stopped, seen = wait_event(sub, "rec.stopped", rec_cid, timeout=10)
    assert stopped, (seen, s.log_tail("recorderd"))
    sub.close()

    r = recording(s, rec_cid)
    assert r["complete"] and r["callee"] == "conf:rec" and r["id"] == stopped["recording_id"], r
    rows = s.psql("SELECT count(*) FROM recordings WHERE call_id LIKE 'conf-rec-%'")
    assert rows == [(1,)], rows  # one recording for the session, none per participant
    path = r["path"]
    if r["encrypted"]:
        path = s.var_dir / "conf-export.wav"
        e = s.ccctl("recording", "export", str(r["id"]), str(path))
        assert e.returncode == 0, e.stderr
    left, right = channels(path)
    assert left == right, "a conference recording has the full mix in both channels"
    dur = len(left) / 8000
    print("session %.2f s, recording %.2f s (index %d ms)" % (session, dur, r["duration_ms"]))
    assert 4.0 < dur < session + 1.0, (dur, session)
    # half-second windows with all three tones in them (and nothing at the control
    # frequencies): the three were heard together for seconds
    together = 0
    for start in range(0, len(left) - 4000, 4000):
        x = left[start:start + 4000]
        p = [goertzel(x, f) for f in TONES.values()]
        q = max(goertzel(x, f) for f in CONTROL)
        if min(p) > 20 * q and min(p) > 1e9:
            together += 1
    print("half-seconds with all three tones: %d" % together)
    assert together >= 5, "only %d half-seconds with all three tones" % together
    whole = {f: goertzel(left, f) for f in list(TONES.values()) + list(CONTROL)}
    assert min(whole[f] for f in TONES.values()) > 20 * max(whole[f] for f in CONTROL), whole


def test_unrecorded_room_records_nothing(conf):
    s = conf
    sub = s.subscribe(["sipproxy", "ivrd", "recorderd"])
    time.sleep(0.3)
    cid = enter(s, sub, "1001", "721")
    time.sleep(1.0)
    live = bus_ok(s, "ivrd", "conf.list", {"room": "plain"})["rooms"]
    assert live[0]["recording"] is None and len(live[0]["members"]) == 1, live
    s.ua["1001"].command("hangup")
    ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
    assert ended, seen
    assert not [e for e in seen if e.get("type") == "rec.started"], seen
    sub.close()
    assert s.psql("SELECT count(*) FROM recordings WHERE call_id LIKE 'conf-plain-%'") == [(0,)]
