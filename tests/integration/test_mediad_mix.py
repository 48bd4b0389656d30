"""test_mediad_mix.py - mediad's mixes over its bus with real RTP on loopback: fake phones
send G.711 tones of their own frequency and what each receives is checked with Goertzel.
Supervisor monitoring as mix roles (listen, whisper, barge, and back to a plain call), a
five-party conference with muting, a member whose stream arrives reordered and with 5%
loss (the others hear no gap), a recording tap on mixed endpoints, talk events, and error
replies.

mediad needs no Postgres: helpers.media.Mediad starts it alone (temp var dir, generated
cc.conf, stopped by PID)."""

import math
import os
import random
import select
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import suite as sm  # noqa: E402
from helpers.audio import goertzel, ulaw_decode  # noqa: E402
from helpers.media import Mediad, Party, rtp, tone_frames  # noqa: E402

FRAMES = 50  # one second per phase of a test


@pytest.fixture(scope="module")
def md():
    if not os.access(sm.BIN_DIR / "mediad", os.X_OK):
        pytest.fail("no mediad in %s (build with `make SAN=1`)" % sm.BIN_DIR, pytrace=False)
    m = Mediad(media_timeout=0, pairs=16)
    yield m
    m.close()


class Phone:
    """A fake phone with an endpoint of its own on mediad, sending one tone."""

    def __init__(self, md, call_id, leg, freq):
        self.party = Party()
        self.freq = freq
        self.ep = md.ok("endpoint.create", call_id=call_id, leg=leg)
        self.id = self.ep["endpoint_id"]
        md.ok("endpoint.remote", endpoint_id=self.id, address="127.0.0.1", port=self.party.port)
        self.tone = tone_frames(freq, FRAMES * 4, amp=6000)
        self.seq = random.randrange(65536)
        self.ts = random.randrange(1 << 32)
        self.ssrc = random.randrange(1, 1 << 32)
        self.sent = 0

    def packet(self, k):
        return rtp(self.seq + k, self.ts + 160 * k, self.tone[k % len(self.tone)], ssrc=self.ssrc)

    def close(self, md):
        md.ok("endpoint.delete", endpoint_id=self.id)
        self.party.close()


def exchange(phones, frames=FRAMES, plan=None):
    """Every phone sends `frames` frames of its tone, 20 ms apart (plan(phone, k) may return
    the list of frame numbers to send at step k instead of [k], for reordering and loss);
    returns {phone: [payloads received]}, each payload the bytes after the RTP header."""
    got = {p: [] for p in phones}
    socks = {p.party.rtp: p for p in phones}
    t0 = time.monotonic()
    for k in range(frames):
        for p in phones:
            for f in (plan(p, k) if plan else [k]):
                p.party.rtp.sendto(p.packet(p.sent + f), ("127.0.0.1", p.ep["port"]))
        deadline = t0 + 0.02 * (k + 1)
        while True:
            left = deadline - time.monotonic()
            r, _, _ = select.select(list(socks), [], [], max(left, 0))
            for s in r:
                data = s.recv(4096)
                got[socks[s]].append(data[12:])
            if left <= 0:
                break
    end = time.monotonic() + 0.2
    while time.monotonic() < end:
        r, _, _ = select.select(list(socks), [], [], 0.05)
        for s in r:
            got[socks[s]].append(s.recv(4096)[12:])
    for p in phones:
        p.sent += frames
    return got


def drain(sock):
    """Reads whatever waits on `sock` without blocking; returns how many datagrams."""
    n = 0
    while select.select([sock], [], [], 0)[0]:
        sock.recv(4096)
        n += 1
    return n


def powers(payloads, freqs, skip=15):
    """Goertzel power at each frequency over the payloads after the first `skip` (the
    change of mode and the jitter buffer settling)."""
    pcm = [ulaw_decode(x) for d in payloads[skip:] for x in d]
    assert len(pcm) > 160 * 10, "only %d samples received" % len(pcm)
    return {f: goertzel(pcm, f) for f in freqs}


def hears(payloads, want, not_want, who):
    """payloads hold every tone in want, each far above every tone in not_want."""
    p = powers(payloads, list(want) + list(not_want))
    weakest = min(p[f] for f in want)
    loudest_other = max([p[f] for f in not_want] or [0.0])
    assert weakest > 50 * loudest_other, "%s: powers %s (want %s, not %s)" % (
        who, {f: "%.3g" % v for f, v in p.items()}, want, not_want)


def test_monitoring_modes_as_mix_roles(md):
    """Caller 440 Hz and agent 880 Hz in a call, a supervisor at 1320 Hz. Listen: the
    supervisor hears both, nobody hears the supervisor. Whisper: the agent hears the
    supervisor, the caller does not. Barge: all three hear each other. Deleting the mix
    leaves the caller and agent relayed as before."""
    call = "mon-" + uuid.uuid4().hex[:8]
    caller, agent = Phone(md, call, "caller", 440), Phone(md, call, "callee", 880)
    sup = Phone(md, "sup-" + call, "caller", 1320)
    try:
        md.ok("endpoint.connect", endpoint_a=caller.id, endpoint_b=agent.id)
        got = exchange([caller, agent, sup])
        hears(got[caller], [880], [440, 1320], "caller before")
        hears(got[agent], [440], [880, 1320], "agent before")
        assert got[sup] == [], "an endpoint in no call and no mix is sent nothing"

        mix = md.ok("mix.create", call_id=call)["mix_id"]
        md.ok("mix.join", mix_id=mix, endpoint_id=caller.id)
        md.ok("mix.join", mix_id=mix, endpoint_id=agent.id)
        md.ok("mix.join", mix_id=mix, endpoint_id=sup.id, muted=True)
        got = exchange([caller, agent, sup])
        hears(got[sup], [440, 880], [1320], "supervisor listening")
        hears(got[caller], [880], [440, 1320], "caller, listen")
        hears(got[agent], [440], [880, 1320], "agent, listen")

        # a recording tap on a member goes on taking what that member's phone sends
        md.ok("tap.start", tap_id=77, caller_endpoint=caller.id, callee_endpoint=agent.id)
        exchange([caller, agent, sup], frames=25)
        tapped = md.ok("tap.stop", tap_id=77)
        assert tapped["frames"] >= 40, "taps on mixed endpoints: %s" % tapped

        md.ok("mix.set", endpoint_id=sup.id, muted=False)
        md.ok("mix.set", endpoint_id=caller.id, hears=[agent.id])
        got = exchange([caller, agent, sup])
        hears(got[agent], [440, 1320], [880], "agent, whisper")
        hears(got[caller], [880], [440, 1320], "caller, whisper")
        hears(got[sup], [440, 880], [1320], "supervisor, whisper")

        md.ok("mix.set", endpoint_id=caller.id, hears_all=True)
        got = exchange([caller, agent, sup])
        hears(got[caller], [880, 1320], [440], "caller, barge")
        hears(got[agent], [440, 1320], [880], "agent, barge")

        info = md.ok("mix.info", mix_id=mix)
        assert info["call_id"] == call
        assert sorted(m["endpoint_id"] for m in info["members"]) == sorted(
            [caller.id, agent.id, sup.id])

        md.ok("mix.delete", mix_id=mix)
        got = exchange([caller, agent, sup])
        hears(got[caller], [880], [440, 1320], "caller after the mix")
        hears(got[agent], [440], [880, 1320], "agent after the mix")
    finally:
        for p in (caller, agent, sup):
            p.close(md)


def test_conference_of_five_with_mute(md):
    """Five members, five tones: each hears the other four and not itself; a muted member is
    heard by nobody but still hears the others; one that leaves is heard no more."""
    room = "conf-" + uuid.uuid4().hex[:8]
    freqs = [400, 700, 1000, 1300, 1700]
    phones = [Phone(md, room, "caller", f) for f in freqs]
    try:
        mix = md.ok("mix.create", call_id=room)["mix_id"]
        for p in phones:
            md.ok("mix.join", mix_id=mix, endpoint_id=p.id)
        got = exchange(phones)
        for p in phones:
            hears(got[p], [f for f in freqs if f != p.freq], [p.freq], "%d Hz" % p.freq)

        muted = phones[2]
        md.ok("mix.set", endpoint_id=muted.id, muted=True)
        got = exchange(phones)
        for p in phones:
            if p is muted:
                hears(got[p], [f for f in freqs if f != p.freq], [p.freq], "the muted one")
            else:
                hears(got[p], [f for f in freqs if f not in (p.freq, muted.freq)],
                      [p.freq, muted.freq], "%d Hz with %d muted" % (p.freq, muted.freq))

        assert md.ok("mix.leave", endpoint_id=phones[0].id)["mix_id"] == mix
        # the mix keeps sending each member its frames (silence when nobody talks) until the
        # leave: those sent before the reply are in the socket already (loopback, and
        # mediad sends from the thread that replies); only what comes after counts
        before = drain(phones[0].party.rtp)
        got = exchange(phones)
        hears(got[phones[1]], [1300, 1700], [400, 700, 1000], "after one left")
        assert got[phones[0]] == [], \
            "an endpoint that left (no peer) is sent nothing (%d frames before the leave)" % before
        md.ok("mix.delete", mix_id=mix)
    finally:
        for p in phones:
            p.close(md)


def test_reordered_and_lossy_member_is_heard_without_gaps(md):
    """One member's packets arrive in swapped pairs with 5% lost; the other member hears
    its tone in every 20 ms frame (none missing, none silent for more than one frame)."""
    call = "jit-" + uuid.uuid4().hex[:8]
    talker, listener = Phone(md, call, "caller", 600), Phone(md, call, "callee", 1500)
    listener.tone = [b"\xff" * 160]  # silence: only the talker is heard
    rng = random.Random(7)
    lost = {k for k in range(200) if rng.random() < 0.05}

    def plan(p, k):
        if p is not talker:
            return [k]
        f = k + 1 if k % 2 == 0 else k - 1  # each pair swapped
        return [] if f in lost else [f]

    try:
        mix = md.ok("mix.create", call_id=call)["mix_id"]
        md.ok("mix.join", mix_id=mix, endpoint_id=talker.id)
        md.ok("mix.join", mix_id=mix, endpoint_id=listener.id)
        got = exchange([talker, listener], frames=200, plan=plan)[listener]
        assert len(lost) >= 5
        assert len(got) >= 195, "the mix sends every 20 ms: %d frames" % len(got)
        # each received frame: loud (the tone) or not; concealment keeps every frame loud
        levels = [math.sqrt(sum(ulaw_decode(x) ** 2 for x in d) / len(d)) for d in got]
        first = next(i for i, v in enumerate(levels) if v > 1000)
        body = levels[first:first + 180]
        quiet = [i for i, v in enumerate(body) if v < 300]
        runs = max((len(r) for r in "".join("q" if v < 300 else "l" for v in body).split("l")),
                   default=0)
        assert runs <= 1, "silent frames at %s" % quiet
        stats = md.ok("status")["details"]["mix"]
        assert stats["concealed"] > 0 and stats["frames_in"] > 0
        md.ok("mix.delete", mix_id=mix)
    finally:
        talker.close(md)
        listener.close(md)


def test_talk_events_and_errors(md):
    call = "talk-" + uuid.uuid4().hex[:8]
    a, b = Phone(md, call, "caller", 500), Phone(md, call, "callee", 900)
    b.tone = [b"\xff" * 160]
    other = Phone(md, call + "x", "caller", 700)
    sub = md.subscribe()
    time.sleep(0.3)  # the subscription reaches mediad
    try:
        mix = md.ok("mix.create", call_id=call)["mix_id"]
        md.ok("mix.join", mix_id=mix, endpoint_id=a.id)
        md.ok("mix.join", mix_id=mix, endpoint_id=b.id)
        exchange([a, b], frames=40)
        evs = [o for t, o, _ in sub.collect(3, until=lambda evs: any(
            t == "media.talking" for t, _, _ in evs)) if t == "media.talking"]
        assert evs, "no media.talking"
        ev = evs[0]
        assert ev["endpoint_id"] == a.id and ev["talking"] is True and ev["mix_id"] == mix
        assert ev["call_id"] == call

        mix2 = md.ok("mix.create")["mix_id"]
        assert md.error("mix.join", mix_id=mix2, endpoint_id=a.id) == "in_other_mix"
        assert md.error("mix.join", mix_id=999999, endpoint_id=a.id) == "unknown_mix"
        assert md.error("mix.join", mix_id=mix2, endpoint_id=999999) == "unknown_endpoint"
        assert md.error("mix.join", mix_id=mix2, endpoint_id=other.id, hears=["x"]) == "bad_args"
        assert md.error("mix.set", endpoint_id=other.id, muted=True) == "unknown_mix"
        assert md.error("mix.join", mix_id="1", endpoint_id=a.id) == "bad_args"
        assert md.ok("mix.leave", endpoint_id=other.id)["mix_id"] == 0
        md.ok("mix.delete", mix_id=mix2)
        assert md.error("mix.delete", mix_id=mix2) == "unknown_mix"
        # deleting a member's endpoint takes it out of the mix
        md.ok("endpoint.delete", endpoint_id=b.id)
        members = md.ok("mix.info", mix_id=mix)["members"]
        assert [m["endpoint_id"] for m in members] == [a.id]
        md.ok("mix.delete", mix_id=mix)
    finally:
        sub.close()
        a.close(md)
        b.party.close()
        other.close(md)
