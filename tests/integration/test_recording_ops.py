"""Recording operations with real baresip phones: on-demand recording started and stopped
by ccctl in the middle of a call; the agent's (callee's) feature codes *1 pause and *2
resume sent as RFC 4733 by baresip (the paused span is silence and marked in the index);
`ccctl recording list` filters by number, agent and time; a legal hold keeps a recording
past a 0-day retention until it is lifted; a stalled recorderd (SIGSTOP) costs the
recording a marked gap, never the live call.

Policies: ext:1001 always, ext:1003 on-demand, ext:1005 always with 0 days retention."""

import hashlib
import json
import os
import signal
import struct
import time
import wave

import pytest

import suite as sm
from helpers.audio import make_tone, rms, tone_share_samples
from helpers.phones import Baresip, call
from helpers.recording import channels, recording

DAEMONS = ["sipproxy", "mediad", "recorderd"]
EXTS = ("1001", "1002", "1003", "1004", "1005", "1006")


@pytest.fixture(scope="module")
def ops(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_recording_ops", daemons=DAEMONS,
                 config={"recorderd.retention_interval": "1", "mediad.media_timeout": "0",
                         # small batches and queue: a stalled recorderd overflows sooner
                         "mediad.tap_batch_ms": "10", "mediad.tap_hwm": "100"})
    uas = []
    try:
        for ext in EXTS:
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
            s.ccctl("route", "add", ext, "ext:" + ext, check=True)
        s.ccctl("recording", "policy", "ext:1001", "always", check=True)
        s.ccctl("recording", "policy", "ext:1003", "on-demand", check=True)
        s.ccctl("recording", "policy", "ext:1005", "always", "--retention-days", "0", check=True)
        s.start()
        t440, t880 = s.var_dir / "t440.wav", s.var_dir / "t880.wav"
        make_tone(t440, 440, 120)
        make_tone(t880, 880, 120)
        s.ua = {}
        for i, ext in enumerate(EXTS):
            ua = Baresip(s, ext, "secret" + ext, t440 if i % 2 == 0 else t880)
            uas.append(ua)
            s.ua[ext] = ua
        for ua in uas:
            assert ua.wait_log("200 OK", 10), ua.text()[-2000:]
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


def rows(s, *args):
    r = s.ccctl("recording", "list", "--json", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def rows_of(s, cid):
    return [r for r in rows(s) if r["call_id"] == cid]


def check_file(r, talk=None):
    data = open(r["path"], "rb").read()
    assert hashlib.sha256(data).hexdigest() == r["sha256"] and r["size"] == len(data), r
    left, right = channels(r["path"])
    assert tone_share_samples(left, 440)[0] > 0.9 and tone_share_samples(right, 880)[0] > 0.9
    return left, right


def test_on_demand_started_and_stopped_by_ccctl(ops):
    marks = {}

    def during(cid, t0):
        time.sleep(1.5)
        marks["before"] = rows_of(ops, cid)
        ops.ccctl("recording", "start", cid, check=True)
        marks["start"] = time.monotonic() - t0
        time.sleep(2.5)
        marks["during"] = rows_of(ops, cid)
        ops.ccctl("recording", "stop", cid, check=True)
        marks["stop"] = time.monotonic() - t0
        time.sleep(1.5)
        marks["after"] = ops.ccctl("recording", "pause", cid)

    cid, talk = call(ops, "1003", "1004", 6, during)
    assert marks["before"] == [], "on-demand: nothing recorded before the start: %s" % marks
    assert len(marks["during"]) == 1 and not marks["during"][0]["finished"], marks["during"]
    assert marks["after"].returncode != 0, "pause of a stopped recording must fail"
    r = recording(ops, cid)
    assert len(rows_of(ops, cid)) == 1
    assert r["complete"] and r["caller"] == "1003" and r["agent"] == "1004", r
    mode = ops.psql("SELECT mode FROM recordings WHERE id = %s", (r["id"],))[0][0]
    assert mode == "on-demand"
    left, _ = check_file(r)
    want = marks["stop"] - marks["start"]
    got = len(left) / 8000
    print("recorded %.2f s between ccctl start and stop %.2f s apart (call %.2f s)"
          % (got, want, talk))
    assert abs(got - want) < 0.3, (got, want)


def test_feature_codes_pause_resume(ops):
    sub = ops.subscribe(["recorderd"], prefix="rec.")
    marks = {}

    def key(code):
        ops.ua["1002"].command("sndcode", code)

    def wait_rec(etype, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ev = sub.recv(0.2)
            if ev and ev[0] == etype:
                return ev[1]
        return None

    def during(cid, t0):
        time.sleep(2)
        key("*")
        time.sleep(0.3)
        key("1")
        ev = wait_rec("rec.paused")
        marks["p"] = time.monotonic() - t0
        marks["paused"] = ev
        time.sleep(2)
        key("*")
        time.sleep(0.3)
        key("2")
        ev = wait_rec("rec.resumed")
        marks["r"] = time.monotonic() - t0
        marks["resumed"] = ev

    try:
        cid, talk = call(ops, "1001", "1002", 7.5, during)
    finally:
        sub.close()
    assert marks["paused"] and marks["paused"]["by"] == "dtmf", \
        (marks, ops.log_tail("recorderd", 20), ops.log_tail("mediad", 20))
    assert marks["resumed"] and marks["resumed"]["by"] == "dtmf", marks
    r = recording(ops, cid)
    assert r["complete"] and len(r["paused"]) == 1, r
    span = r["paused"][0]
    length = (span["end_ms"] - span["start_ms"]) / 1000
    print("paused span %s (%.2f s); events at %.2f / %.2f s" % (span, length, marks["p"],
                                                                 marks["r"]))
    # the event reaches us shortly after recorderd acted on the key
    assert -0.1 < marks["p"] - span["start_ms"] / 1000 < 0.5, (span, marks)
    assert -0.1 < marks["r"] - span["end_ms"] / 1000 < 0.5, (span, marks)
    assert 1.5 < length < 3.0, span
    left, right = channels(r["path"])
    a, b = span["start_ms"] * 8, span["end_ms"] * 8
    assert rms(left[a:b]) == 0 and rms(right[a:b]) == 0
    assert rms(left[:a - 800]) > 1000 and rms(left[b + 800:]) > 1000
    assert rms(right[:a - 800]) > 1000 and rms(right[b + 800:]) > 1000


def test_list_filters_and_legal_hold(ops):
    cid1, _ = call(ops, "1001", "1002", 2)
    r1 = recording(ops, cid1)
    time.sleep(1.2)  # started_at is listed to the second: keep the two apart
    held = {}

    def during(cid, t0):
        time.sleep(1)
        live = rows_of(ops, cid)
        assert len(live) == 1 and not live[0]["finished"], live
        held["id"] = live[0]["id"]
        ops.ccctl("recording", "hold", str(held["id"]), "on", check=True)

    cid2, _ = call(ops, "1005", "1006", 3, during)
    r2 = recording(ops, cid2)
    assert r2["id"] == held["id"] and r2["legal_hold"], r2

    def ids(*args):
        return {r["id"] for r in rows(ops, *args)}

    assert ids("--number", "1005") == {r2["id"]}
    assert ids("--number", "1006") == {r2["id"]}
    assert ids("--agent", "1006") == {r2["id"]}
    assert r1["id"] in ids("--agent", "1002") and r2["id"] not in ids("--agent", "1002")
    assert r1["id"] in ids("--number", "1001") and r2["id"] not in ids("--number", "1001")
    assert ids("--number", "1999") == set()
    since = r2["started_at"]
    assert r2["id"] in ids("--since", since) and r1["id"] not in ids("--since", since)
    assert r1["id"] in ids("--until", since) and r2["id"] not in ids("--until", since)
    assert ids("--number", "1001", "--since", since) == set()
    assert r1["id"] in ids("--number", "1001", "--until", since)
    text = ops.ccctl("recording", "list", "--number", "1005", check=True).stdout
    assert cid2 in text and cid1 not in text, text

    # 0 days of retention: without the hold the next sweep (every second) would delete it
    time.sleep(3)
    (now,) = [r for r in rows(ops, "--number", "1005") if r["id"] == r2["id"]]
    assert not now["deleted"] and os.path.exists(r2["path"]), now
    ops.ccctl("recording", "hold", str(r2["id"]), "off", check=True)
    deadline = time.time() + 10
    while time.time() < deadline:
        (now,) = [r for r in rows(ops, "--number", "1005") if r["id"] == r2["id"]]
        if now["deleted"]:
            break
        time.sleep(0.3)
    assert now["deleted"] and not os.path.exists(r2["path"]), now
    bad = ops.ccctl("recording", "hold", str(r2["id"]), "on")
    assert bad.returncode != 0, "a deleted recording cannot be held"


def heard_rms(path, start_s, end_s):
    """RMS of what a phone heard (baresip's decoded dump) between two offsets."""
    with wave.open(str(path)) as w:
        rate, ch = w.getframerate(), w.getnchannels()
        w.setpos(min(int(start_s * rate), w.getnframes()))
        n = max(0, min(int((end_s - start_s) * rate), w.getnframes() - w.tell()))
        data = struct.unpack("<%dh" % (n * ch), w.readframes(n))
    return rms(list(data[0::ch]))


def test_stalled_recorderd_costs_a_marked_gap_not_the_call(ops):
    """recorderd stops reading for a while (SIGSTOP) mid-call: mediad's tap queue to it
    fills, mediad drops batches instead of waiting, the call's media goes on (the callee
    keeps hearing the caller's tone), and the recording is complete with frames_lost and a
    gap where its silence is."""
    STALL = 10  # the socket and the two queues hold ~3 s of one call; the rest is dropped
    marks = {}
    pid = ops.pid("recorderd")

    def during(cid, t0):
        time.sleep(2)
        os.kill(pid, signal.SIGSTOP)
        marks["stop"] = time.monotonic() - t0
        try:
            time.sleep(STALL)
        finally:
            os.kill(pid, signal.SIGCONT)
        marks["cont"] = time.monotonic() - t0

    b = ops.ua["1002"]
    before = len(b.recordings())
    cid, talk = call(ops, "1001", "1002", STALL + 5, during)
    r = recording(ops, cid, timeout=20)
    print("stall %.1f-%.1f s, frames_lost %d, gaps %s" % (marks["stop"], marks["cont"],
                                                       r["frames_lost"], r["gaps"]))
    assert r["complete"] and r["frames_lost"] > 0, r
    assert len(r["gaps"]) == 1, r["gaps"]
    gap = r["gaps"][0]
    start, end = gap["start_ms"] / 1000, gap["end_ms"] / 1000
    # the lost audio lies inside the stall (what the kernel and the queue held is kept)
    assert marks["stop"] - 0.5 < start < end <= marks["cont"] + 0.5, (gap, marks)
    assert r["frames_lost"] >= 0.8 * (end - start) * 50 * 2 - 20, (r["frames_lost"], gap)
    left, right = channels(r["path"])
    # the gap runs from the audio placed before the loss to where the first frame after it
    # landed; the other party's first frame may land up to two frames (320 samples) before
    # that: the index over-states what is missing, never hides it
    lo, hi = int(start * 8000) + 320, int(end * 8000) - 320
    loud = [i / 8000 for i in range(lo, hi) if left[i] or right[i]]
    assert not loud, "the gap %.3f-%.3f s is silence: %d samples are not, %.3f-%.3f s" % (
        start, end, len(loud), loud[0], loud[-1])
    assert tone_share_samples(left[:int(start * 8000)], 440)[0] > 0.9
    assert tone_share_samples(left[int(end * 8000):], 440)[0] > 0.9
    # the live call was never held up: the callee heard the caller all through the stall
    time.sleep(1)
    recs = b.recordings()
    assert len(recs) > before
    loud = heard_rms(recs[-1], marks["stop"] + 1.5, marks["cont"] - 1.5)
    assert loud > 1000, "the callee heard %.0f RMS during the stall" % loud
