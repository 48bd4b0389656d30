"""test_mediad.py - mediad over its bus with real RTP on loopback: endpoints, relay of
G.711 tones both ways (checked with Goertzel), symmetric RTP latching (NAT learning, the
signalled address winning, no takeover after the window, two unknown sources dropped), RTCP
pass-through,
payload-type filtering, statistics after delete (packets, bytes, loss, reordering), error
replies, media.timeout, and port-pool exhaustion.

mediad needs no Postgres, so this module starts it alone (helpers.media.Mediad: temp var
dir, generated cc.conf, stopped by PID)."""

import os
import re
import struct
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import suite as sm  # noqa: E402
from helpers.media import (POOL_PAIRS, Mediad, Party, assert_heard, rtp, talk,  # noqa: E402
                           tone_frames)

LATCH_WINDOW_MS = 500


# ---- tones and calls ----------------------------------------------------------------

@pytest.fixture(scope="module")
def md():
    if not os.access(sm.BIN_DIR / "mediad", os.X_OK):
        pytest.fail("no mediad in %s (build with `make SAN=1`)" % sm.BIN_DIR,
                    pytrace=False)
    m = Mediad(media_timeout=1, latch_window_ms=LATCH_WINDOW_MS)
    yield m
    m.close()


def make_call(md, a_party, b_party, symmetric=True, a_remote=None, **remote_args):
    call_id = "test-" + uuid.uuid4().hex[:8]
    a = md.ok("endpoint.create", call_id=call_id, leg="caller", symmetric=symmetric)
    b = md.ok("endpoint.create", call_id=call_id, leg="callee", symmetric=symmetric)
    assert a["address"] == "127.0.0.1" and md.rtp_lo <= a["port"] <= md.rtp_hi
    assert a["port"] % 2 == 0 and a["port"] != b["port"]
    md.ok("endpoint.remote", endpoint_id=a["endpoint_id"], address="127.0.0.1",
          port=a_remote or a_party.port, **remote_args)
    md.ok("endpoint.remote", endpoint_id=b["endpoint_id"], address="127.0.0.1",
          port=b_party.port, **remote_args)
    md.ok("endpoint.connect", endpoint_a=a["endpoint_id"], endpoint_b=b["endpoint_id"])
    return call_id, a, b


def delete(md, *eps):
    return [md.ok("endpoint.delete", endpoint_id=e["endpoint_id"])["stats"] for e in eps]


# ---- tests ------------------------------------------------------------------------------

def test_relay_tones_both_ways(md):
    pa, pb = Party(), Party()
    try:
        _, a, b = make_call(md, pa, pb)
        n = 50
        at_b, at_a = talk(pa, a["port"], pb, b["port"], n)
        assert_heard(at_b, 440, 880, n, "callee")
        assert_heard(at_a, 880, 440, n, "caller")
        # from the endpoints' own ports (symmetric for the phones), payloads in order
        assert {src for _, src in at_b} == {("127.0.0.1", b["port"])}
        assert {src for _, src in at_a} == {("127.0.0.1", a["port"])}
        assert [d[12:] for d, _ in at_b] == tone_frames(440, n)
        assert [d[12:] for d, _ in at_a] == tone_frames(880, n)
        assert [struct.unpack("!H", d[2:4])[0] for d, _ in at_b] == list(range(1000, 1000 + n))
        st_a, st_b = delete(md, a, b)
        for st, name in ((st_a, "caller"), (st_b, "callee")):
            assert st["packets_in"] == n and st["bytes_in"] == n * 172, (name, st)
            assert st["packets_out"] == n and st["bytes_out"] == n * 172, (name, st)
            assert st["lost"] == 0 and st["out_of_order"] == 0 and st["dropped"] == 0, (name, st)
            # packets were sent every 20 ms, so the largest gap is at least ~15 ms; the
            # upper bounds only check units (ms, not us): a loaded box may stall the sender
            assert 15 <= st["max_gap_ms"] < 5000, (name, st)
            assert 0 <= st["jitter_ms"] < 1000, (name, st)
    finally:
        pa.close()
        pb.close()


def test_symmetric_latching(md):
    pa, pb, nat, dead = Party(), Party(), Party(), Party()
    try:
        # the caller's SDP names `dead`, but its packets come from `nat`
        _, a, b = make_call(md, pa, pb, a_remote=dead.port)
        t_remote = time.monotonic()
        st = md.ok("endpoint.stats", endpoint_id=a["endpoint_id"])
        assert st["remote_port"] == dead.port and st["latched"] is False
        # the signalled address sends nothing, one other source does: learnt (NAT) and used
        nat.rtp.sendto(rtp(1, 0, b"\xff" * 160), ("127.0.0.1", a["port"]))
        assert len(pb.recv_all()) == 1
        st = md.ok("endpoint.stats", endpoint_id=a["endpoint_id"])
        assert st["latched"] is True and st["remote_port"] == nat.port, st
        assert st["peer_id"] == b["endpoint_id"]
        # the callee's media now reaches the caller's real address, not its SDP address
        for i in range(3):
            pb.rtp.sendto(rtp(i, 160 * i, b"\x7f" * 160), ("127.0.0.1", b["port"]))
        assert len(nat.recv_all()) == 3
        assert dead.recv_all(wait=0.1) == []
        # after the learning window, another source does not take over: dropped
        time.sleep(max(0.0, t_remote + LATCH_WINDOW_MS / 1000 + 0.1 - time.monotonic()))
        pa.rtp.sendto(rtp(2, 160, b"\xff" * 160), ("127.0.0.1", a["port"]))
        assert pb.recv_all(wait=0.2) == []
        # after more than a second of silence from the learnt source, the same IP on
        # another port is taken (the NAT gave the phone a new port)
        time.sleep(1.1)
        pa.rtp.sendto(rtp(3, 320, b"\xff" * 160), ("127.0.0.1", a["port"]))
        assert len(pb.recv_all()) == 1
        st = md.ok("endpoint.stats", endpoint_id=a["endpoint_id"])
        assert st["remote_port"] == pa.port, st
        # the signalled address wins at any time, and then holds the latch
        dead.rtp.sendto(rtp(4, 480, b"\xff" * 160), ("127.0.0.1", a["port"]))
        assert len(pb.recv_all()) == 1
        st = md.ok("endpoint.stats", endpoint_id=a["endpoint_id"])
        assert st["remote_port"] == dead.port and st["latched"] is True, st
        pa.rtp.sendto(rtp(5, 640, b"\xff" * 160), ("127.0.0.1", a["port"]))
        assert pb.recv_all(wait=0.2) == []
        st_a, _ = delete(md, a, b)
        assert st_a["dropped"] == 2 and st_a["packets_in"] == 3, st_a
    finally:
        for p in (pa, pb, nat, dead):
            p.close()


def test_ambiguous_sources_are_dropped(md):
    pa, pb, s1, s2 = Party(), Party(), Party(), Party()
    try:
        # the caller's signalled address sends nothing at first; two other sources do
        _, a, b = make_call(md, pa, pb)
        s1.rtp.sendto(rtp(1, 0, b"\xff" * 160), ("127.0.0.1", a["port"]))
        time.sleep(0.02)
        for i in range(5):  # well within the window
            s2.rtp.sendto(rtp(2 + i, 160, b"\xff" * 160), ("127.0.0.1", a["port"]))
            s1.rtp.sendto(rtp(2 + i, 160, b"\xff" * 160), ("127.0.0.1", a["port"]))
        got = pb.recv_all(wait=0.2)
        assert len(got) == 1 and got[0][0][2:4] == b"\x00\x01", \
            "expected only s1's first packet (learnt while alone), saw %s" % got
        # the signalled address settles it
        pa.rtp.sendto(rtp(10, 1600, b"\xff" * 160), ("127.0.0.1", a["port"]))
        assert len(pb.recv_all(wait=0.2)) == 1
        s1.rtp.sendto(rtp(11, 1760, b"\xff" * 160), ("127.0.0.1", a["port"]))
        assert pb.recv_all(wait=0.2) == []
        st_a, _ = delete(md, a, b)
        assert st_a["packets_in"] == 2 and st_a["dropped"] == 11, st_a
    finally:
        for p in (pa, pb, s1, s2):
            p.close()


def test_not_symmetric_sends_to_sdp_address(md):
    pa, pb, other = Party(), Party(), Party()
    try:
        _, a, b = make_call(md, pa, pb, symmetric=False)
        other.rtp.sendto(rtp(1, 0, b"\xff" * 160), ("127.0.0.1", a["port"]))
        assert len(pb.recv_all()) == 1
        pb.rtp.sendto(rtp(1, 0, b"\xff" * 160), ("127.0.0.1", b["port"]))
        assert len(pa.recv_all()) == 1, "reply should go to the SDP address"
        assert other.recv_all(wait=0.1) == []
        delete(md, a, b)
    finally:
        for p in (pa, pb, other):
            p.close()


def test_rtcp_passthrough(md):
    pa, pb = Party(), Party()
    try:
        _, a, b = make_call(md, pa, pb)
        sr = struct.pack("!BBHI", 0x80, 200, 6, 0xA) + b"\0" * 20
        pa.rtcp.sendto(sr, ("127.0.0.1", a["port"] + 1))
        got = pb.recv_all(pb.rtcp)
        assert [d for d, _ in got] == [sr]
        assert got[0][1] == ("127.0.0.1", b["port"] + 1)
        pb.rtcp.sendto(sr, ("127.0.0.1", b["port"] + 1))
        assert len(pa.recv_all(pa.rtcp)) == 1
        st_a, st_b = delete(md, a, b)
        assert st_a["rtcp_in"] == 1 and st_a["rtcp_out"] == 1, st_a
        assert st_a["packets_in"] == 0, "RTCP is not counted as RTP"
    finally:
        pa.close()
        pb.close()


def test_loss_and_reordering_stats(md):
    pa, pb = Party(), Party()
    try:
        _, a, b = make_call(md, pa, pb)
        # 65530 .. 65535, 0 .. 9 (16 numbers) with 65533 and 4 skipped and 2/3 swapped
        seqs = [65530, 65531, 65532, 65534, 65535, 0, 1, 3, 2, 5, 6, 7, 8, 9]
        for i, s in enumerate(seqs):
            pa.rtp.sendto(rtp(s, 160 * i, b"\xff" * 160), ("127.0.0.1", a["port"]))
            time.sleep(0.002)
        got = pb.recv_all()
        assert [struct.unpack("!H", d[2:4])[0] for d, _ in got] == seqs, "relayed as received"
        st_a, _ = delete(md, a, b)
        assert st_a["packets_in"] == len(seqs), st_a
        assert st_a["bytes_in"] == len(seqs) * 172, st_a
        assert st_a["expected"] == 16 and st_a["lost"] == 2, st_a
        assert st_a["out_of_order"] == 1, st_a
    finally:
        pa.close()
        pb.close()


def test_payload_type_filter(md):
    pa, pb = Party(), Party()
    try:
        _, a, b = make_call(md, pa, pb, payload_types=[0, 101])
        for i, pt in enumerate([0, 8, 101, 18, 0]):
            pa.rtp.sendto(rtp(i, 160 * i, b"\xff" * 160, pt=pt), ("127.0.0.1", a["port"]))
        pa.rtp.sendto(b"not rtp at all", ("127.0.0.1", a["port"]))
        got = pb.recv_all()
        assert [d[1] & 0x7F for d, _ in got] == [0, 101, 0]
        st_a, _ = delete(md, a, b)
        assert st_a["packets_in"] == 3 and st_a["dropped"] == 3, st_a
    finally:
        pa.close()
        pb.close()


def test_disconnect_stops_relay(md):
    pa, pb = Party(), Party()
    try:
        _, a, b = make_call(md, pa, pb)
        md.ok("endpoint.disconnect", endpoint_id=a["endpoint_id"])
        pa.rtp.sendto(rtp(1, 0, b"\xff" * 160), ("127.0.0.1", a["port"]))
        assert pb.recv_all(wait=0.2) == []
        assert md.ok("endpoint.stats", endpoint_id=b["endpoint_id"])["peer_id"] == 0
        st_a, _ = delete(md, a, b)
        assert st_a["packets_in"] == 1 and st_a["packets_out"] == 0
    finally:
        pa.close()
        pb.close()


def test_bad_commands(md):
    assert md.error("endpoint.delete", endpoint_id=987654) == "unknown_endpoint"
    assert md.error("endpoint.remote", endpoint_id=987654, address="127.0.0.1",
                    port=4000) == "unknown_endpoint"
    assert md.error("endpoint.create", call_id="x") == "bad_args"            # no leg
    assert md.error("endpoint.create", call_id="x", leg=5) == "bad_args"     # mistyped
    assert md.error("endpoint.connect", endpoint_a=1) == "bad_args"
    e = md.ok("endpoint.create", call_id="bad", leg="caller")
    eid = e["endpoint_id"]
    assert md.error("endpoint.remote", endpoint_id=eid, address="not-an-ip", port=4000) == "bad_args"
    assert md.error("endpoint.remote", endpoint_id=eid, address="127.0.0.1", port=70000) == "bad_args"
    assert md.error("endpoint.remote", endpoint_id=eid, address="127.0.0.1", port=4000,
                    payload_types=[0, 300]) == "bad_args"
    assert md.error("endpoint.remote", endpoint_id=eid, address="127.0.0.1", port=4000,
                    direction="sideways") == "bad_args"
    assert md.error("endpoint.connect", endpoint_a=eid, endpoint_b=eid) == "bad_args"
    assert md.error("endpoint.connect", endpoint_a=eid, endpoint_b=987654) == "unknown_endpoint"
    md.ok("endpoint.delete", endpoint_id=eid)
    assert md.error("endpoint.delete", endpoint_id=eid) == "unknown_endpoint"  # twice
    r = md.call("endpoint.frobnicate")
    assert r["ok"] is False
    assert md.call("ping")["ok"] is True, "still serving"


def test_media_timeout(md):
    pa, pb = Party(), Party()
    sub = md.subscribe()
    try:
        time.sleep(0.3)  # let the SUB connect
        call_id, a, b = make_call(md, pa, pb)
        for i in range(5):
            pa.rtp.sendto(rtp(i, 160 * i, b"\xff" * 160), ("127.0.0.1", a["port"]))
            pb.rtp.sendto(rtp(i, 160 * i, b"\xff" * 160), ("127.0.0.1", b["port"]))
            time.sleep(0.02)
        # the callee keeps sending for 2.5 s, the caller has stopped
        t_stop = time.monotonic()
        events = []
        i = 5
        while time.monotonic() - t_stop < 2.5:
            pb.rtp.sendto(rtp(i, 160 * i, b"\xff" * 160), ("127.0.0.1", b["port"]))
            i += 1
            ev = sub.recv(timeout=0.02)
            if ev:
                events.append(ev)
        timeouts = [o for t, o, _ in events if t == "media.timeout"]
        assert len(timeouts) == 1, "expected one media.timeout, saw %s" % timeouts
        ev = timeouts[0]
        assert ev["call_id"] == call_id and ev["endpoint_id"] == a["endpoint_id"], ev
        assert ev["leg"] == "caller" and 1000 <= ev["idle_ms"] < 2500, ev
        assert ev["type"] == "media.timeout" and ev["id"]["pub"] == "mediad", ev
        # found by the scan timer, logged on the endpoint's call
        assert re.search(r"event=media\.timeout daemon=mediad call=%s endpoint=%d "
                         % (call_id, a["endpoint_id"]), md.log()), md.log()[-2000:]
        # on hold (the caller's SDP says recvonly) there is no timeout
        md.ok("endpoint.remote", endpoint_id=b["endpoint_id"], address="127.0.0.1",
              port=pb.port, direction="recvonly")
        more = sub.collect(1.6)
        assert [o for t, o, _ in more if t == "media.timeout"] == [], "no timeout on hold"
        delete(md, a, b)
    finally:
        sub.close()
        pa.close()
        pb.close()


def test_pool_exhaustion_and_status(md):
    status = md.ok("status")["details"]
    assert status["ports_total"] == POOL_PAIRS and status["endpoints"] == 0, status
    assert status["packets_relayed"] > 0
    made = []
    for _ in range(POOL_PAIRS):
        made.append(md.ok("endpoint.create", call_id="pool", leg="caller"))
    ports = {e["port"] for e in made}
    assert len(ports) == POOL_PAIRS
    assert md.error("endpoint.create", call_id="pool", leg="caller") == "no_ports"
    status = md.ok("status")["details"]
    assert status["endpoints"] == POOL_PAIRS and status["ports_free"] == 0, status
    for e in made:
        md.ok("endpoint.delete", endpoint_id=e["endpoint_id"])
    assert md.ok("status")["details"]["ports_free"] == POOL_PAIRS
    md.ok("endpoint.delete", endpoint_id=md.ok("endpoint.create", call_id="pool",
                                                leg="caller")["endpoint_id"])
