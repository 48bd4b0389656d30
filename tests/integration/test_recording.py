"""Recording with real baresip phones: A (1001, 440 Hz) calls B (1002, 880 Hz) with policy
ext:1001 always; recorderd writes a stereo WAV (caller left, callee right) that holds 440 Hz
left and 880 Hz right, lasts the talk time, and whose SHA-256 is in the index. A 2 s pause
by ccctl is silent and marked; encryption hides the audio until `ccctl recording export`;
retention 0 days deletes at the next sweep; kill -9 of recorderd mid-call leaves a playable
file marked incomplete while the call goes on, and the next call is recorded."""

import hashlib
import json
import time
import wave

import pytest

import suite as sm
from helpers.audio import make_tone, rms, tone_share_samples
from helpers.phones import Baresip, call
from helpers.recording import channels, recording

DAEMONS = ["sipproxy", "mediad", "recorderd"]


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
    share_l, loud_l = tone_share_samples(left, 440)
    share_r, loud_r = tone_share_samples(right, 880)
    assert loud_l > 50 and share_l > 0.9, (share_l, loud_l)
    assert loud_r > 50 and share_r > 0.9, (share_r, loud_r)
    assert tone_share_samples(left, 880)[0] < 0.1 and tone_share_samples(right, 440)[0] < 0.1


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
        assert tone_share_samples(left, 440)[0] > 0.9 and tone_share_samples(right, 880)[0] > 0.9
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
    assert tone_share_samples(left, 440)[0] > 0.9
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
