"""Recording with real baresip phones: A (1001, 440 Hz) calls B (1002, 880 Hz) with policy
ext:1001 always; recorderd writes a stereo WAV (caller left, callee right) that holds 440 Hz
left and 880 Hz right, lasts the talk time, and whose SHA-256 is in the index. A 2 s pause
by ccctl is silent and marked; encryption hides the audio until `ccctl recording export`;
retention 0 days deletes at the next sweep; kill -9 of recorderd mid-call leaves a playable
file marked incomplete while the call goes on, and the next call is recorded."""

import datetime
import hashlib
import json
import math
import struct
import time
import wave

import pytest

import suite as sm
from test_sip_calls import Baresip, make_tone, wait_event

DAEMONS = ["sipproxy", "mediad", "recorderd"]


def channels(path):
    with wave.open(str(path)) as w:
        assert w.getnchannels() == 2 and w.getframerate() == 8000 and w.getsampwidth() == 2
        n = w.getnframes()
        data = struct.unpack("<%dh" % (2 * n), w.readframes(n))
    return list(data[0::2]), list(data[1::2])


def tone_share(x, freq, window=400):
    k = 2 * math.cos(2 * math.pi * freq / 8000)
    hits = loud = 0
    for start in range(0, len(x) - window, window):
        w = x[start:start + window]
        total = sum(v * v for v in w)
        if total / window < (32768 * 10 ** (-45 / 20)) ** 2:
            continue
        loud += 1
        s1 = s2 = 0.0
        for v in w:
            s0 = v + k * s1 - s2
            s2, s1 = s1, s0
        if (s1 * s1 + s2 * s2 - k * s1 * s2) / (total * window / 2) > 0.8:
            hits += 1
    return (hits / loud if loud else 0.0), loud


def rms(x):
    return math.sqrt(sum(v * v for v in x) / len(x)) if x else 0.0


@pytest.fixture(scope="module")
def rec(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_recording", daemons=DAEMONS,
                 config={"recorderd.retention_interval": "1", "mediad.media_timeout": "0"})
    uas = []
    try:
        for ext in ("1001", "1002", "1003", "1004"):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
            s.ccctl("route", "add", ext, "ext:" + ext, check=True)
        s.ccctl("recording", "policy", "ext:1001", "always", check=True)
        s.ccctl("recording", "policy", "ext:1003", "always", "--retention-days", "0", check=True)
        s.start()
        s.tone440, s.tone880 = s.var_dir / "t440.wav", s.var_dir / "t880.wav"
        make_tone(s.tone440, 440, 120)
        make_tone(s.tone880, 880, 120)
        s.ua = {}
        for ext, tone in (("1001", s.tone440), ("1002", s.tone880), ("1003", s.tone440),
                          ("1004", s.tone880)):
            ua = Baresip(s, ext, "secret" + ext, tone)
            uas.append(ua)
            s.ua[ext] = ua
        for ua in uas:
            assert ua.wait_log("200 OK", 10), ua.text()[-2000:]
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


def call(s, a, b, talk, during=None):
    """a dials b, talks `talk` seconds (during(call_id, t_answer) runs meanwhile), hangs
    up; returns (call_id, seconds between the ts of call.answered and of call.ended)."""
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    s.ua[a].dial(b)
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    answered, seen = wait_event(sub, "call.answered", cid, timeout=10)
    assert answered, seen
    t0 = time.monotonic()
    if during:
        during(cid, t0)
    left = talk - (time.monotonic() - t0)
    if left > 0:
        time.sleep(left)
    s.ua[a].command("hangup")
    ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
    assert ended, seen
    sub.close()
    # talk time as sipproxy saw it (the events' own timestamps): when this process got
    # the events depends on how loaded the machine is, not on the recording
    return cid, event_time(ended) - event_time(answered)


def event_time(ev):
    """An event's envelope ts (UTC, microseconds) as seconds since the epoch."""
    when = datetime.datetime.strptime(ev["ts"], "%Y-%m-%dT%H:%M:%S.%fZ")
    return when.replace(tzinfo=datetime.timezone.utc).timestamp()


def recording(s, cid, timeout=8):
    deadline = time.time() + timeout
    while time.time() < deadline:
        rows = json.loads(s.ccctl("recording", "list", "--json", check=True).stdout)
        for r in rows:
            if r["call_id"] == cid and r["finished"]:
                return r
        time.sleep(0.2)
    pytest.fail("no finished recording of %s; recorderd log:\n%s" % (cid, s.log_tail("recorderd", 40)))


def test_tones_left_right_duration_sha(rec):
    cid, talk = call(rec, "1001", "1002", 5)
    r = recording(rec, cid)
    assert r["complete"] and not r["encrypted"] and r["caller"] == "1001", r
    data = open(r["path"], "rb").read()
    assert hashlib.sha256(data).hexdigest() == r["sha256"]
    assert r["size"] == len(data)
    left, right = channels(r["path"])
    dur = len(left) / 8000
    print("talk %.2f s, recording %.2f s (index %d ms)" % (talk, dur, r["duration_ms"]))
    assert abs(dur - talk) < 0.2, (dur, talk)
    assert abs(r["duration_ms"] / 1000 - dur) < 0.01
    share_l, loud_l = tone_share(left, 440)
    share_r, loud_r = tone_share(right, 880)
    assert loud_l > 50 and share_l > 0.9, (share_l, loud_l)
    assert loud_r > 50 and share_r > 0.9, (share_r, loud_r)
    assert tone_share(left, 880)[0] < 0.1 and tone_share(right, 440)[0] < 0.1


def test_pause_is_silent_and_marked(rec):
    marks = {}

    def during(cid, t0):
        time.sleep(2)
        rec.ccctl("recording", "pause", cid, check=True)
        marks["p"] = time.monotonic() - t0
        time.sleep(2)
        rec.ccctl("recording", "resume", cid, check=True)
        marks["r"] = time.monotonic() - t0

    cid, talk = call(rec, "1001", "1002", 6, during)
    r = recording(rec, cid)
    assert len(r["paused"]) == 1, r
    span = r["paused"][0]
    assert abs(span["start_ms"] / 1000 - marks["p"]) < 0.3 and \
        abs(span["end_ms"] / 1000 - marks["r"]) < 0.3, (span, marks)
    left, right = channels(r["path"])
    a, b = span["start_ms"] * 8, span["end_ms"] * 8
    assert rms(left[a:b]) == 0 and rms(right[a:b]) == 0
    assert rms(left[:a - 800]) > 1000 and rms(left[b + 800:]) > 1000


def test_encrypted_export(rec):
    rec.write_config({"recorderd.encrypt": "true"})
    rec.restart("recorderd")
    try:
        cid, talk = call(rec, "1001", "1002", 3)
        r = recording(rec, cid)
        assert r["encrypted"] and r["complete"], r
        raw = open(r["path"], "rb").read()
        assert raw[:6] == b"CCREC1" and b"RIFF" not in raw and b"data" not in raw[:200]
        with pytest.raises(Exception):
            wave.open(r["path"]).getnframes()
        out = rec.var_dir / "export.wav"
        e = rec.ccctl("recording", "export", str(r["id"]), str(out))
        assert e.returncode == 0, e.stderr
        left, right = channels(out)
        assert abs(len(left) / 8000 - talk) < 0.2
        assert tone_share(left, 440)[0] > 0.9 and tone_share(right, 880)[0] > 0.9
        # tamper with one byte of the second chunk: reported, nothing written
        bad = bytearray(raw)
        bad[76 + 32020 + 100] ^= 1
        open(r["path"], "wb").write(bytes(bad))
        rec.psql("UPDATE recordings SET sha256 = %s WHERE id = %s",
                 (hashlib.sha256(bytes(bad)).hexdigest(), r["id"]))
        out2 = rec.var_dir / "export2.wav"
        e = rec.ccctl("recording", "export", str(r["id"]), str(out2))
        assert e.returncode != 0 and "chunk 1" in e.stderr and not out2.exists(), e.stderr
    finally:
        rec.write_config()
        rec.restart("recorderd")


def test_retention_zero_deletes(rec):
    cid, _ = call(rec, "1003", "1004", 2)
    deadline = time.time() + 10
    while time.time() < deadline:
        rows = [r for r in json.loads(rec.ccctl("recording", "list", "--json").stdout)
                if r["call_id"] == cid]
        if rows and rows[0]["deleted"]:
            break
        time.sleep(0.3)
    assert rows and rows[0]["deleted"], rows
    import os
    assert not os.path.exists(rows[0]["path"])


def test_kill9_mid_call(rec):
    state = {}

    def during(cid, t0):
        time.sleep(3)
        rec.kill9("recorderd")
        state["killed"] = time.monotonic() - t0
        time.sleep(0.5)
        rec.start("recorderd")

    b = rec.ua["1002"]
    before = len(b.recordings())
    cid, talk = call(rec, "1001", "1002", 6, during)
    r = recording(rec, cid)
    assert not r["complete"], r
    left, right = channels(r["path"])  # playable
    dur = len(left) / 8000
    assert 1.5 < dur < state["killed"] + 0.5, (dur, state)
    assert tone_share(left, 440)[0] > 0.9
    # the live call went on: B's own recording of what it heard has the whole call's tone
    time.sleep(1)
    recs = b.recordings()
    assert len(recs) > before
    with wave.open(str(recs[-1])) as w:
        heard = w.getnframes() / w.getframerate()
    assert heard > talk - 1, (heard, talk)
    # the next call is recorded normally
    cid2, talk2 = call(rec, "1001", "1002", 3)
    r2 = recording(rec, cid2)
    assert r2["complete"] and abs(r2["duration_ms"] / 1000 - talk2) < 0.2, (r2, talk2)
