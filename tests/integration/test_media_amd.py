"""test_media_amd.py - answering-machine detection in mediad with real RTP on loopback:
endpoint.amd_start on an endpoint, then speech-like G.711 audio generated here and sent in
real time (20 ms packets): a short greeting then silence is published as media.amd_result
human, a long greeting as machine, a party that sends nothing as unsure (decided by the
timer, without any packet); bad arguments get an error reply naming the field and start
nothing; an endpoint without detection publishes nothing.

mediad runs alone (helpers.media.Mediad: temp var dir, generated cc.conf, stopped by PID)."""

import random
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import suite as sm  # noqa: E402
from helpers.audio import human_greeting, machine_greeting, ulaw_encode  # noqa: E402
from helpers.media import Mediad, Party, rtp  # noqa: E402


@pytest.fixture(scope="module")
def md():
    if not (sm.BIN_DIR / "mediad").exists():
        pytest.fail("no mediad in %s (build with `make SAN=1`)" % sm.BIN_DIR, pytrace=False)
    m = Mediad(media_timeout=0, pairs=16)
    yield m
    m.close()


@pytest.fixture
def sub(md):
    s = md.subscribe()
    time.sleep(0.3)
    yield s
    s.close()


class Answerer:
    """The party that answered: sends RTP to one endpoint."""

    def __init__(self, md):
        self.md = md
        self.party = Party()
        self.call_id = "amd-" + uuid.uuid4().hex[:8]
        self.ep = md.ok("endpoint.create", call_id=self.call_id, leg="callee")
        self.id = self.ep["endpoint_id"]
        md.ok("endpoint.remote", endpoint_id=self.id, address="127.0.0.1",
              port=self.party.port)
        self.dest = ("127.0.0.1", self.ep["port"])

    def send(self, samples, until=None):
        """Real time: a 20 ms packet every 20 ms; stops early when until() says so."""
        start = time.monotonic()
        for k, off in enumerate(range(0, len(samples) - 159, 160)):
            payload = bytes(ulaw_encode(s) for s in samples[off:off + 160])
            self.party.rtp.sendto(rtp(1000 + k, 160 * k, payload), self.dest)
            if until and k % 5 == 0 and until():
                return
            delay = start + (k + 1) * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def close(self):
        self.md.ok("endpoint.delete", endpoint_id=self.id)
        self.party.close()


def results(sub, seconds, endpoint_id):
    got = sub.collect(seconds, until=lambda evs: any(
        t == "media.amd_result" and o["endpoint_id"] == endpoint_id for t, o, _ in evs))
    return [o for t, o, _ in got if t == "media.amd_result" and o["endpoint_id"] == endpoint_id]


def test_short_greeting_is_human(md, sub):
    a = Answerer(md)
    try:
        assert md.ok("endpoint.amd_start", endpoint_id=a.id) == {"max_ms": 4000}
        a.send(human_greeting(random.Random(1), lead_ms=400, after_ms=3000))
        (r,) = results(sub, 3, a.id)
        assert r["result"] == "human" and r["reason"] == "short_greeting", r
        assert r["leg"] == "callee" and r["words"] == 1, r
        # 0.4 s of silence, about 0.5 s of "hello", decided after 0.8 s of silence
        assert 1500 <= r["decision_ms"] <= 2200, r
        assert 300 <= r["initial_silence_ms"] <= 550 and 350 <= r["greeting_ms"] <= 700, r
        assert md.ok("endpoint.stats", endpoint_id=a.id)["stats"]["packets_in"] > 0
    finally:
        a.close()


def test_long_greeting_is_machine(md, sub):
    a = Answerer(md)
    try:
        md.ok("endpoint.amd_start", endpoint_id=a.id)
        seen = []

        def decided():
            seen.extend(results(sub, 0, a.id))
            return bool(seen)
        a.send(machine_greeting(random.Random(2), speech_ms=6000), until=decided)
        seen.extend(results(sub, 2, a.id))
        assert len(seen) == 1, "exactly one result, saw %s" % seen
        r = seen[0]
        assert r["result"] == "machine" and r["reason"] == "long_greeting", r
        assert r["greeting_ms"] >= 2000 and r["decision_ms"] < 4000, r
        assert r["modulation_db"] >= 1.5 and r["peak_db"] > -30, r
    finally:
        a.close()


def test_nothing_sent_is_unsure_on_time(md, sub):
    a = Answerer(md)
    try:
        md.ok("endpoint.amd_start", endpoint_id=a.id, max_ms=2000, initial_silence_ms=1500,
              machine_ms=1800)
        t0 = time.monotonic()
        (r,) = results(sub, 5, a.id)
        took = time.monotonic() - t0
        assert r["result"] == "unsure" and r["reason"] == "initial_silence", r
        assert r["frames"] == 0 and 1500 <= r["decision_ms"] <= 1700, r
        assert took < 2.5, "decided after %.2f s" % took
    finally:
        a.close()


def test_bad_args_name_the_field_and_start_nothing(md, sub):
    a = Answerer(md)
    started = md.ok("status")["details"]["amd_started"]
    try:
        for args, field in [({"max_ms": 500}, "max_ms"),
                            ({"machine_ms": 9000}, "machine_ms"),
                            ({"human_max_ms": 3000}, "human_max_ms"),
                            ({"initial_silence_ms": -5}, "initial_silence_ms")]:
            r = md.call("endpoint.amd_start", endpoint_id=a.id, **args)
            assert r.get("ok") is False and r["error"]["code"] == "bad_args", (args, r)
            assert field in r["error"]["message"], (args, r)
        r = md.call("endpoint.amd_start", endpoint_id=a.id, max_ms="long")
        assert r.get("ok") is False and "max_ms" in r["error"]["message"], r
        r = md.call("endpoint.amd_start")
        assert r.get("ok") is False and "endpoint_id" in r["error"]["message"], r
        assert md.error("endpoint.amd_start", endpoint_id=999999) == "unknown_endpoint"
        # nothing was started: loud audio and time produce no result
        a.send(machine_greeting(random.Random(3), speech_ms=2500, after_ms=0))
        assert results(sub, 1.5, a.id) == []
        assert md.ok("status")["details"]["amd_started"] == started
    finally:
        a.close()
