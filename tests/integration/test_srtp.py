"""SRTP (SDES, RFC 4568) through sipproxy + mediad with real baresip phones: a phone with
mediaenc=srtp-mand calls a plain phone; each hears the other's tone; a capture on
loopback shows encrypted payloads on the SRTP leg and the G.711 tone on the plain one; a
tampered and a replayed SRTP packet sent to mediad are dropped and counted in the leg's
stats (endpoint.stats and call.ended); a plain offer from an SRTP-required user gets 488;
two SRTP phones talk through mediad (two keys each way); a best-effort SRTP offer (RTP/AVP
with a=crypto) is answered with SRTP; prompts, DTMF detection and a mix work on an SRTP
leg."""

import json
import socket
import struct
import time

import pytest

import suite as sm
from helpers.audio import make_tone, tone_share_samples, ulaw_decode
from helpers.bus import bus_ok, wait_event, wait_until
from helpers.phones import assert_hears, tone_phones

DAEMONS = ["sipproxy", "mediad", "cdrd", "ivrd"]
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


@pytest.fixture(scope="module")
def srtp(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_srtp", daemons=DAEMONS,
                 config={"mediad.media_timeout": "5"})
    uas = []
    try:
        s.ccctl("user", "add", "2001", "--password", "secret2001", check=True)
        s.ccctl("user", "add", "2002", "--password", "secret2002", check=True)
        s.ccctl("user", "add", "2003", "--password", "secret2003", "--srtp", "required",
                check=True)
        s.ccctl("user", "add", "2004", "--password", "secret2004", "--srtp", "required",
                check=True)
        s.ccctl("user", "add", "2005", "--password", "secret2005", check=True)
        r = s.ccctl("user", "add", "2009", "--password", "secret2009", "--srtp", "maybe")
        assert r.returncode != 0 and "--srtp" in r.stderr, (r.stdout, r.stderr)
        s.start()
        tone_phones(s, {"2001": 440, "2002": 880, "2003": 660, "2004": 1200, "2005": 520}, uas,
                    mediaenc={"2001": "srtp-mand", "2004": "srtp-mand", "2005": "srtp"})
        yield s
    finally:
        for ua in uas:
            ua.stop()
        s.close()


class Capture:
    """UDP datagrams on loopback, read from a raw AF_PACKET socket (needs root)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind(("lo", 0))
        self.sock.settimeout(0.2)

    def collect(self, seconds):
        """[(src_port, dst_port, udp_payload)] seen within `seconds`, each once."""
        out = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                frame, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            if addr[2] == PACKET_OUTGOING:  # loopback shows each packet going and coming
                continue
            ip = frame[14:]
            if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            ihl = (ip[0] & 15) * 4
            sport, dport, ulen = struct.unpack("!HHH", ip[ihl:ihl + 6])
            out.append((sport, dport, bytes(ip[ihl + 8:ihl + ulen])))
        return out

    def close(self):
        self.sock.close()


def g711_share(payloads, freq):
    """Share of 50 ms windows holding freq when the RTP payloads are read as G.711 u-law."""
    x = []
    for p in payloads:
        x.extend(ulaw_decode(b) for b in p[12:12 + 160])
    return tone_share_samples(x, freq)


def endpoints(s, call_id):
    found = bus_ok(s, "mediad", "endpoint.find", {"call_id": call_id})["endpoints"]
    return {e["leg"]: e for e in found}


def test_srtp_phone_calls_plain_phone(srtp):
    s = srtp
    a, b = s.ua["2001"], s.ua["2002"]
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    a.dial("2002")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    answered, seen = wait_event(sub, "call.answered", cid, timeout=10)
    assert answered, "no call.answered; saw %s\nsipproxy:\n%s\nA:\n%s" % (
        seen, s.log_tail("sipproxy"), a.text()[-3000:])
    assert a.wait_log("Call established", 5), a.text()[-2000:]
    log = a.text()
    assert "RTP/SAVP" in log or "srtp" in log.lower(), log[-3000:]
    time.sleep(1.0)
    # tones both ways, through decryption and re-encryption in mediad
    assert_hears(b, [440], [880], "plain callee hears the SRTP caller")
    assert_hears(a, [880], [440], "SRTP caller hears the plain callee")

    eps = endpoints(s, cid)
    srtp_port, plain_port = eps["caller"]["port"], eps["callee"]["port"]
    cap = Capture()
    try:
        pkts = cap.collect(1.5)
    finally:
        cap.close()
    # what the SRTP phone sends mediad, and what mediad sends the plain phone (the same tone)
    to_srtp_leg = [p for sp, dp, p in pkts if dp == srtp_port and len(p) >= 172]
    from_plain_leg = [p for sp, dp, p in pkts if sp == plain_port and len(p) >= 172]
    assert len(to_srtp_leg) > 30 and len(from_plain_leg) > 30, (
        len(to_srtp_leg), len(from_plain_leg), len(pkts))
    enc_share, _ = g711_share(to_srtp_leg, 440)
    plain_share, _ = g711_share(from_plain_leg, 440)
    assert plain_share > 0.8, "plain leg: 440 Hz in %.2f of its windows" % plain_share
    assert enc_share < 0.2, "SRTP leg: 440 Hz readable in %.2f of its windows" % enc_share
    # SRTP packets carry a 10-byte tag (80-bit suite) or 4 bytes (32-bit) after the 160
    assert all(len(p) in (176, 182) for p in to_srtp_leg[:20]), [len(p) for p in to_srtp_leg[:20]]

    # a replayed and a tampered packet, sent by the test to mediad's SRTP port
    orig = to_srtp_leg[-1]
    tampered = bytearray(orig)
    tampered[40] ^= 0x01
    # a sequence number far ahead, not yet seen: only the tag can refuse it
    tampered[2:4] = struct.pack("!H", (struct.unpack("!H", orig[2:4])[0] + 1000) & 0xffff)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        before = bus_ok(s, "mediad", "endpoint.stats",
                        {"endpoint_id": eps["caller"]["endpoint_id"]})["stats"]
        for _ in range(3):
            tx.sendto(orig, ("127.0.0.1", srtp_port))
            tx.sendto(bytes(tampered), ("127.0.0.1", srtp_port))
        time.sleep(0.5)
        after = bus_ok(s, "mediad", "endpoint.stats",
                       {"endpoint_id": eps["caller"]["endpoint_id"]})["stats"]
    finally:
        tx.close()
    assert after["srtp_replayed"] - before["srtp_replayed"] >= 3, (before, after)
    assert after["srtp_auth_failed"] - before["srtp_auth_failed"] >= 3, (before, after)
    # the relay goes on
    assert_hears(b, [440], [880], "plain callee still hears the caller after the attack")
    a.command("hangup")
    ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
    sub.close()
    assert ended and ended["disposition"] == "answered", (ended, seen)
    caller = (ended.get("media") or {}).get("caller", {})
    assert caller.get("srtp_auth_failed", 0) >= 3 and caller.get("srtp_replayed", 0) >= 3, ended
    assert (ended["media"]["callee"]["srtp_auth_failed"],
            ended["media"]["callee"]["srtp_replayed"]) == (0, 0), ended
    # and the CDR keeps them per leg, as mediad counted them
    legs = {}

    def stored():
        legs.update({r[0]: r[1:] for r in s.psql(
            "SELECT leg, srtp_auth_failed, srtp_replayed FROM cdr_legs WHERE call_id = %s",
            (cid,))})
        return len(legs) == 2
    wait_until(stored, timeout=10, what="the call's legs in cdr_legs")
    assert legs["caller"] == (caller["srtp_auth_failed"], caller["srtp_replayed"]), legs
    assert legs["callee"] == (0, 0), legs
    # no key in any log line
    for d in DAEMONS:
        assert "inline:" not in s.log(d), "%s logged an SRTP key" % d


def test_plain_offer_from_srtp_required_user_gets_488(srtp):
    s = srtp
    sub = s.subscribe(["sipproxy"], prefix="call.")
    time.sleep(0.3)
    s.ua["2003"].dial("2002")
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    ended, seen = wait_event(sub, "call.ended", created["call_id"], timeout=10)
    sub.close()
    assert ended, seen
    assert ended["sip_code"] == 488, ended
    assert "SRTP" in ended["reason"], ended


def _answered_call(s, caller, callee):
    sub = s.subscribe(["sipproxy", "mediad"])
    time.sleep(0.3)
    s.ua[caller].dial(callee)
    created, seen = wait_event(sub, "call.created", timeout=10)
    assert created, seen
    cid = created["call_id"]
    answered, seen = wait_event(sub, "call.answered", cid, timeout=10)
    assert answered, "no call.answered; saw %s\nsipproxy:\n%s" % (seen, s.log_tail("sipproxy"))
    assert s.ua[caller].wait_log("Call established", 5), s.ua[caller].text()[-2000:]
    time.sleep(1.0)
    return sub, cid


def _hangup(s, sub, caller, cid):
    s.ua[caller].command("hangup")
    ended, seen = wait_event(sub, "call.ended", cid, timeout=10)
    sub.close()
    assert ended and ended["disposition"] == "answered", (ended, seen)
    return ended


def test_srtp_phone_calls_srtp_phone(srtp):
    """An SRTP-required callee is offered RTP/SAVP with mediad's key; each leg has its own
    keys, so mediad decrypts and encrypts again in both directions."""
    s = srtp
    sub, cid = _answered_call(s, "2001", "2004")
    assert_hears(s.ua["2004"], [440], [1200], "SRTP callee hears the SRTP caller")
    assert_hears(s.ua["2001"], [1200], [440], "SRTP caller hears the SRTP callee")
    ended = _hangup(s, sub, "2001", cid)
    for leg in ("caller", "callee"):
        st = ended["media"][leg]
        assert st["packets_in"] > 50 and st["srtp_auth_failed"] == 0, ended


def test_prompt_dtmf_and_mix_on_an_srtp_leg(srtp):
    """What mediad generates (a prompt, a mix) is encrypted for the SRTP phone, and what
    the phone sends is decrypted before DTMF detection and the mix see it."""
    s = srtp
    a, b = s.ua["2001"], s.ua["2002"]
    sub, cid = _answered_call(s, "2001", "2002")
    eps = endpoints(s, cid)
    ea, eb = eps["caller"]["endpoint_id"], eps["callee"]["endpoint_id"]
    # a prompt (a 1000 Hz tone file) to the SRTP phone instead of the callee's audio
    tone = s.var_dir / "prompt1000.wav"
    make_tone(tone, 1000, 10)
    bus_ok(s, "mediad", "play.start", {"endpoint_id": ea, "prompts": [str(tone)]})
    time.sleep(0.5)
    assert_hears(a, [1000], [880, 440], "SRTP caller hears a prompt")
    bus_ok(s, "mediad", "play.stop", {"endpoint_id": ea})
    # DTMF from the SRTP phone (RFC 4733 inside SRTP)
    bus_ok(s, "mediad", "dtmf.detect", {"endpoint_id": ea})
    a.command("sndcode", "7")
    dtmf, seen = wait_event(sub, "media.dtmf", cid, timeout=5)
    assert dtmf and dtmf["digit"] == "7" and dtmf["endpoint_id"] == ea, seen
    # both legs in a mix: each hears the other through the mixer
    mix = bus_ok(s, "mediad", "mix.create", {"call_id": cid})["mix_id"]
    bus_ok(s, "mediad", "mix.join", {"mix_id": mix, "endpoint_id": ea})
    bus_ok(s, "mediad", "mix.join", {"mix_id": mix, "endpoint_id": eb})
    time.sleep(0.5)
    assert_hears(a, [880], [440], "SRTP caller hears the callee through a mix")
    assert_hears(b, [440], [880], "plain callee hears the SRTP caller through a mix")
    bus_ok(s, "mediad", "mix.delete", {"mix_id": mix})
    ended = _hangup(s, sub, "2001", cid)
    assert ended["media"]["caller"]["srtp_auth_failed"] == 0, ended


def test_best_effort_srtp_offer_gets_srtp(srtp):
    """baresip's mediaenc=srtp offers RTP/AVP with a=crypto: answered RTP/AVP with our
    a=crypto, and the leg is SRTP (packets carry the tag)."""
    s = srtp
    sub, cid = _answered_call(s, "2005", "2002")
    assert_hears(s.ua["2002"], [520], [880], "plain callee hears the best-effort caller")
    assert_hears(s.ua["2005"], [880], [520], "best-effort caller hears the plain callee")
    port = endpoints(s, cid)["caller"]["port"]
    cap = Capture()
    try:
        pkts = cap.collect(1.0)
    finally:
        cap.close()
    to_leg = [p for sp, dp, p in pkts if dp == port and len(p) >= 172]
    assert len(to_leg) > 20, len(to_leg)
    assert all(len(p) in (176, 182) for p in to_leg), sorted({len(p) for p in to_leg})
    share, _ = g711_share(to_leg, 520)
    assert share < 0.2, "best-effort SRTP leg: 520 Hz readable in %.2f" % share
    _hangup(s, sub, "2005", cid)


def test_hold_and_resume_on_an_srtp_call(srtp):
    """Re-INVITEs on an SRTP call: the plain callee holds (sipproxy answers it, and the SRTP
    caller hears the music, encrypted for it) and resumes; then the SRTP caller holds (its
    re-INVITE with a=crypto answered by sipproxy with ours) and resumes; after each resume
    the other side hears the tone again. (A baresip that held stops recording what it
    hears, so after that its side is checked on the wire.)"""
    s = srtp
    a, b = s.ua["2001"], s.ua["2002"]
    sub, cid = _answered_call(s, "2001", "2002")
    b.command("hold")
    assert s.wait_log("sipproxy", "event=call.hold [^\\n]*call=%s by=callee" % cid, timeout=5)
    time.sleep(1.0)
    mark = a.heard_mark()  # the music, encrypted for A and decrypted by it; not B's tone
    time.sleep(1.5)
    x = a.heard_since(mark)
    assert len(x) > 4000, "SRTP caller heard %d samples of music in 1.5 s" % len(x)
    share, _ = tone_share_samples(x, 880)
    assert share < 0.3, "SRTP caller heard the callee's tone while held (%.2f)" % share
    b.command("resume")
    assert s.wait_log("sipproxy", "event=call.resume [^\\n]*call=%s by=callee" % cid, timeout=5)
    time.sleep(1.0)
    assert_hears(a, [880], [440], "SRTP caller hears the callee after the callee's resume")
    a.command("hold")
    assert s.wait_log("sipproxy", "event=call.hold [^\\n]*call=%s by=caller" % cid, timeout=5)
    time.sleep(1.0)
    a.command("resume")
    assert s.wait_log("sipproxy", "event=call.resume [^\\n]*call=%s by=caller" % cid, timeout=5)
    time.sleep(1.0)
    # B held before, so its recording stopped: read what mediad sends it on the wire
    plain_port = endpoints(s, cid)["callee"]["port"]
    cap = Capture()
    try:
        pkts = cap.collect(1.5)
    finally:
        cap.close()
    to_b = [p for sp, dp, p in pkts if sp == plain_port and len(p) >= 172]
    share, _ = g711_share(to_b, 440)
    assert len(to_b) > 30 and share > 0.8, (
        "after the SRTP caller's resume mediad sent the callee %d packets, 440 Hz in %.2f"
        % (len(to_b), share))
    ended = _hangup(s, sub, "2001", cid)
    assert ended["media"]["caller"]["srtp_auth_failed"] == 0, ended


def _established_more(ua, before, timeout=15):
    wait_until(lambda: ua.text().count("Call established") > before, timeout,
               what="%s: a new call established" % ua.ext)


def test_blind_transfer_to_an_srtp_required_phone(srtp):
    """A plain call (2002 -> 2005) that 2005 transfers to 2004, who requires SRTP: the new
    leg is offered RTP/SAVP with mediad's key (2004's srtp-mand phone would refuse a plain
    offer), and 2002 and 2004 hear each other."""
    s = srtp
    sub, cid = _answered_call(s, "2002", "2005")
    before = s.ua["2004"].text().count("Call established")
    s.ua["2005"].command("transfer", "sip:2004@127.0.0.1:%d" % s.sip_port)
    _established_more(s.ua["2004"], before)
    time.sleep(1.5)
    assert_hears(s.ua["2004"], [880], [1200], "the SRTP phone hears the transferred caller")
    assert_hears(s.ua["2002"], [1200], [880], "the transferred caller hears the SRTP phone")
    _hangup(s, sub, "2002", cid)


def test_ivr_connects_a_caller_to_an_srtp_required_phone(srtp):
    """A controller (ivrd, a route node) rings 2004, who requires SRTP: call.connect's leg is
    offered SRTP too, and the plain caller and 2004 hear each other."""
    s = srtp
    flow = s.var_dir / "srtp-route.json"
    flow.write_text(json.dumps({
        "name": "srtp-route", "language": "en", "start": "agent",
        "nodes": {"agent": {"kind": "route", "to": "ext", "target": "2004"}}}))
    s.ccctl("ivr", "load", flow, check=True)
    s.ccctl("route", "add", "7004", "ivr:srtp-route", check=True)
    time.sleep(1.0)  # sipproxy and ivrd reload on NOTIFY
    sub = s.subscribe(["sipproxy"])
    time.sleep(0.3)
    before = s.ua["2004"].text().count("Call established")
    s.ua["2002"].dial("7004")
    _established_more(s.ua["2004"], before)
    created, seen = wait_event(sub, "call.created", timeout=5)
    assert created, seen
    time.sleep(1.5)
    assert_hears(s.ua["2004"], [880], [1200], "the SRTP phone hears the IVR's caller")
    assert_hears(s.ua["2002"], [1200], [880], "the IVR's caller hears the SRTP phone")
    _hangup(s, sub, "2002", created["call_id"])
