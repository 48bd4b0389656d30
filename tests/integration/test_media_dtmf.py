"""test_media_dtmf.py - DTMF detection in mediad with real RTP on loopback: RFC 4733
telephone-events (every key, three end packets each, a lost end, another payload type) and
in-band tones generated here and sent as G.711 (u-law and A-law), each reported exactly
once as media.dtmf with its method and a sane duration; no false key from a 440 Hz tone, a
dial tone or a spoken prompt; detection off costs nothing and reports nothing; detection
on a relayed call leaves the relay untouched.

mediad runs alone (helpers.media.Mediad: temp var dir, generated cc.conf, stopped by PID)."""

import math
import shutil
import struct
import subprocess
import sys
import time
import uuid
import wave
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import suite as sm  # noqa: E402
from helpers.audio import ulaw_encode  # noqa: E402
from helpers.media import Mediad, Party, rtp  # noqa: E402

LOW = {"1": 697, "2": 697, "3": 697, "A": 697, "4": 770, "5": 770, "6": 770, "B": 770,
       "7": 852, "8": 852, "9": 852, "C": 852, "*": 941, "0": 941, "#": 941, "D": 941}
HIGH = {"1": 1209, "4": 1209, "7": 1209, "*": 1209, "2": 1336, "5": 1336, "8": 1336,
        "0": 1336, "3": 1477, "6": 1477, "9": 1477, "#": 1477, "A": 1633, "B": 1633,
        "C": 1633, "D": 1633}
EVENT = {k: i for i, k in enumerate("0123456789*#ABCD")}


def alaw_encode(sample):
    sign = 0x80
    if sample < 0:
        sample, sign = -sample - 1, 0
    mag = min(sample, 32767) >> 3
    if mag < 32:
        code = mag >> 1
    else:
        exp = mag.bit_length() - 5
        code = (exp << 4) | ((mag >> exp) & 0x0F)
    return (sign | code) ^ 0x55


@pytest.fixture(scope="module")
def md():
    if not (sm.BIN_DIR / "mediad").exists():
        pytest.fail("no mediad in %s (build with `make SAN=1`)" % sm.BIN_DIR,
                    pytrace=False)
    m = Mediad(media_timeout=0, pairs=16)
    yield m
    m.close()


class Caller:
    """A phone sending RTP to one endpoint with detection on."""

    def __init__(self, md, dtmf=True, **remote):
        self.md = md
        self.party = Party()
        self.call_id = "dtmf-" + uuid.uuid4().hex[:8]
        args = {"dtmf": True} if dtmf else {}
        self.ep = md.ok("endpoint.create", call_id=self.call_id, leg="caller", **args)
        md.ok("endpoint.remote", endpoint_id=self.ep["endpoint_id"], address="127.0.0.1",
              port=self.party.port, **remote)
        self.seq, self.ts = 1000, 0
        self.dest = ("127.0.0.1", self.ep["port"])

    def send_audio(self, samples, pt=0, pace=0.002):
        enc = alaw_encode if pt == 8 else ulaw_encode
        for off in range(0, len(samples) - 159, 160):
            payload = bytes(enc(int(s)) for s in samples[off:off + 160])
            self.party.rtp.sendto(rtp(self.seq, self.ts, payload, pt=pt), self.dest)
            self.seq += 1
            self.ts += 160
            if pace:
                time.sleep(pace)

    def send_key(self, key, ms=100, pt=101, ends=3, pace=0.002):
        """RFC 4733: an update every 20 ms (the event keeps the key's start timestamp),
        then `ends` end packets; the RTP clock moves on by the key's duration."""
        units = ms * 8
        steps = max(1, ms // 20)
        for i in range(1, steps + 1):
            payload = struct.pack("!BBH", EVENT[key], 10, min(units, i * 160))
            self.party.rtp.sendto(rtp(self.seq, self.ts, payload, pt=pt, marker=(i == 1)), self.dest)
            self.seq += 1
            time.sleep(pace)
        for _ in range(ends):
            payload = struct.pack("!BBH", EVENT[key], 0x80 | 10, units)
            self.party.rtp.sendto(rtp(self.seq, self.ts, payload, pt=pt), self.dest)
            self.seq += 1
            time.sleep(pace)
        self.ts += units

    def close(self):
        self.md.ok("endpoint.delete", endpoint_id=self.ep["endpoint_id"])
        self.party.close()


def dtmf_tone(key, ms, amp=0.25, start=0):
    lo, hi = LOW[key], HIGH[key]
    return [32767 * amp * (math.sin(2 * math.pi * lo * (start + i) / 8000)
                           + math.sin(2 * math.pi * hi * (start + i) / 8000))
            for i in range(ms * 8)]


def silence(ms):
    return [0.0] * (ms * 8)


def digits_seen(sub, seconds, endpoint_id, want=None):
    def enough(evs):
        return want is not None and len([1 for t, o, _ in evs if t == "media.dtmf"]) >= want
    got = sub.collect(seconds, until=enough)
    return [o for t, o, _ in got if t == "media.dtmf" and o["endpoint_id"] == endpoint_id]


@pytest.fixture
def sub(md):
    s = md.subscribe()
    time.sleep(0.3)
    yield s
    s.close()


def test_rfc4733_each_key_once(md, sub):
    c = Caller(md)
    try:
        keys = "1234567890*#ABCD"
        for k in keys:
            c.send_key(k, ms=120)
            c.send_audio(silence(60))
        evs = digits_seen(sub, 5.0, c.ep["endpoint_id"], want=len(keys))
        assert "".join(e["digit"] for e in evs) == keys, evs
        for e in evs:
            assert e["method"] == "rfc4733" and e["duration_ms"] == 120, e
            assert e["call_id"] == c.call_id and e["leg"] == "caller"
        # nothing more trickles in (retransmitted ends counted once)
        assert digits_seen(sub, 0.5, c.ep["endpoint_id"]) == []
        # a key whose end packets are all lost is reported once the next key starts
        c.send_key("7", ms=80, ends=0)
        c.send_key("8", ms=80)
        evs = digits_seen(sub, 3.0, c.ep["endpoint_id"], want=2)
        assert [(e["digit"], e["duration_ms"]) for e in evs] == [("7", 80), ("8", 80)], evs
    finally:
        c.close()


def test_rfc4733_negotiated_payload_type(md, sub):
    c = Caller(md, telephone_event=96, payload_types=[0, 96])
    try:
        c.send_key("9", ms=60, pt=96)
        c.send_key("3", ms=60, pt=101)  # not the negotiated type: dropped by the filter
        evs = digits_seen(sub, 2.0, c.ep["endpoint_id"], want=1)
        assert [(e["digit"], e["method"]) for e in evs] == [("9", "rfc4733")], evs
        assert digits_seen(sub, 0.5, c.ep["endpoint_id"]) == []
    finally:
        c.close()


@pytest.mark.parametrize("pt", [0, 8])
def test_inband_each_key_once(md, sub, pt):
    c = Caller(md)
    try:
        keys = "159#*0D"
        audio = silence(100)
        for k in keys:
            audio += dtmf_tone(k, 90, start=len(audio)) + silence(70)
        audio += silence(200)
        c.send_audio(audio, pt=pt)
        evs = digits_seen(sub, 5.0, c.ep["endpoint_id"], want=len(keys))
        assert "".join(e["digit"] for e in evs) == keys, evs
        for e in evs:
            assert e["method"] == "inband", e
            assert 70 <= e["duration_ms"] <= 110, e
        assert digits_seen(sub, 0.5, c.ep["endpoint_id"]) == []
    finally:
        c.close()


def test_inband_held_key_and_short_blip(md, sub):
    c = Caller(md)
    try:
        audio = silence(100) + dtmf_tone("6", 1500) + silence(100)
        audio += dtmf_tone("2", 20, start=len(audio)) + silence(200)  # too short to count
        c.send_audio(audio)
        evs = digits_seen(sub, 4.0, c.ep["endpoint_id"], want=1)
        assert len(evs) == 1 and evs[0]["digit"] == "6", evs
        assert 1450 <= evs[0]["duration_ms"] <= 1550, evs
        assert digits_seen(sub, 0.5, c.ep["endpoint_id"]) == []
    finally:
        c.close()


def test_no_false_keys_from_tones_and_speech(md, sub, tmp_path):
    c = Caller(md)
    try:
        audio = [8000 * math.sin(2 * math.pi * 440 * i / 8000) for i in range(16000)]
        audio += [6000 * (math.sin(2 * math.pi * 350 * i / 8000) + math.sin(2 * math.pi * 440 * i / 8000))
                  for i in range(8000)]
        if shutil.which("espeak-ng"):
            # a spoken prompt, the way generate.sh makes them
            gen = sm.REPO / "deploy" / "prompts" / "generate.sh"
            r = subprocess.run([str(gen), str(tmp_path)], capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stderr
            for name in ("en/main_menu.wav", "en/closed.wav", "cmn/main_menu.wav"):
                with wave.open(str(tmp_path / name)) as w:
                    frames = w.readframes(w.getnframes())
                audio += list(struct.unpack("<%dh" % (len(frames) // 2), frames))
        c.send_audio(audio, pace=0.001)
        assert digits_seen(sub, 1.5, c.ep["endpoint_id"]) == [], "a false key"
        st = md.ok("endpoint.stats", endpoint_id=c.ep["endpoint_id"])["stats"]
        assert st["packets_in"] == len(audio) // 160, st
    finally:
        c.close()


def test_detection_off_and_relayed_call(md, sub):
    off = Caller(md, dtmf=False)
    try:
        off.send_key("1", ms=60)
        off.send_audio(dtmf_tone("2", 100) + silence(60))
        assert digits_seen(sub, 0.8, off.ep["endpoint_id"]) == []
        # switched on by command: now it hears keys; switched off again: silent
        md.ok("dtmf.detect", endpoint_id=off.ep["endpoint_id"], enable=True)
        off.send_key("3", ms=60)
        evs = digits_seen(sub, 2.0, off.ep["endpoint_id"], want=1)
        assert [e["digit"] for e in evs] == ["3"], evs
        md.ok("dtmf.detect", endpoint_id=off.ep["endpoint_id"], enable=False)
        off.send_key("4", ms=60)
        assert digits_seen(sub, 0.8, off.ep["endpoint_id"]) == []
    finally:
        off.close()
    # a bridged call: the caller's keys are detected and still relayed to the agent
    c = Caller(md)
    agent = Party()
    try:
        b = md.ok("endpoint.create", call_id=c.call_id, leg="callee")
        md.ok("endpoint.remote", endpoint_id=b["endpoint_id"], address="127.0.0.1", port=agent.port)
        md.ok("endpoint.connect", endpoint_a=c.ep["endpoint_id"], endpoint_b=b["endpoint_id"])
        c.send_audio(silence(40) + dtmf_tone("8", 100) + silence(60))
        c.send_key("#", ms=80)
        evs = digits_seen(sub, 3.0, c.ep["endpoint_id"], want=2)
        assert [(e["digit"], e["method"]) for e in evs] == [("8", "inband"), ("#", "rfc4733")], evs
        relayed = agent.recv_all(wait=0.3)
        assert len(relayed) == 10 + 4 + 3, "relay untouched: %d packets" % len(relayed)
        md.ok("endpoint.delete", endpoint_id=b["endpoint_id"])
    finally:
        c.close()
        agent.close()
