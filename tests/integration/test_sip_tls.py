"""SIP over TLS: sipproxy listens for sips: on [sipproxy] tls_port with a certificate from a
CA made here (openssl); a baresip phone registers over TLS, verifying that certificate, and
calls a phone on plain UDP and is called by it: tones both ways. A capture on loopback sees
readable SIP on the UDP port and none on the TLS port. A wrong key mode or a missing
certificate stops sipproxy at start (exit 2), naming the setting."""

import os
import socket
import subprocess
import threading
import time

import pytest

import suite as sm
from helpers.bus import wait_until
from helpers.phones import Baresip, assert_hears, hangup_all, make_tone
from helpers.tlscerts import make_certs as make_test_certs

DAEMONS = ["sipproxy", "mediad", "cdrd"]


def make_certs(d):
    """The CA and server certificate (helpers.tlscerts); besides them a SIP peer's PEM
    signed by that CA and an impostor's of its own making."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)
    make_test_certs(d)
    # a SIP peer behind a trunk: the CA's certificate with its key, as baresip wants it; and
    # an impostor with a certificate of its own making for the same address
    (d / "peer.pem").write_bytes((d / "server.pem").read_bytes() + (d / "server.key").read_bytes())
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", "rogue.key", "-out", "rogue.crt")
    (d / "rogue.pem").write_bytes((d / "rogue.crt").read_bytes() + (d / "rogue.key").read_bytes())
    return d / "ca.pem", d / "server.pem", d / "server.key"


class LoopbackCapture:
    """Every TCP/UDP payload on lo to or from `ports`, while running (AF_PACKET, root)."""

    def __init__(self, ports):
        self.ports, self.payloads, self.stop_flag = set(ports), {p: b"" for p in ports}, False
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3))
        self.sock.bind(("lo", 0))
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop_flag:
            try:
                frame = self.sock.recv(65535)
            except socket.timeout:
                continue
            if len(frame) < 34 or frame[12:14] != b"\x08\x00":
                continue
            ip = frame[14:]
            ihl, proto = (ip[0] & 15) * 4, ip[9]
            l4 = ip[ihl:]
            if proto == 6:
                off = (l4[12] >> 4) * 4
            elif proto == 17:
                off = 8
            else:
                continue
            sport, dport = int.from_bytes(l4[0:2], "big"), int.from_bytes(l4[2:4], "big")
            for p in (sport, dport):
                if p in self.ports:
                    self.payloads[p] += l4[off:]

    def stop(self):
        self.stop_flag = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def s(pg_cluster, bin_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    ca, cert, key = make_certs(d)
    s = sm.Suite(pg_cluster, name="test_sip_tls", daemons=DAEMONS)
    s.tls_port = sm.free_port(udp=False)
    s.ca, s.cert, s.key = ca, cert, key
    s.extra_config.update({"sipproxy.tls_port": str(s.tls_port), "sipproxy.tls_cert": str(cert),
                           "sipproxy.tls_key": str(key), "sipproxy.tls_ca": str(ca)})
    s.write_config()
    uas = []
    try:
        for ext in ("1001", "1002"):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
        s.capture = LoopbackCapture([s.tls_port, s.sip_port])
        # full malloc stacks: the leaks of sofia's TLS code (tests/lsan.supp) are allocated
        # inside OpenSSL, which the fast unwinder cannot walk out of
        asan = os.environ.get("ASAN_OPTIONS", "")
        s.start("sipproxy", env={"ASAN_OPTIONS": asan + ":fast_unwind_on_malloc=0:"
                                                        "malloc_context_size=64"})
        s.start("mediad", "cdrd")
        s.tone1, s.tone2 = s.var_dir / "t600.wav", s.var_dir / "t1100.wav"
        make_tone(s.tone1, 600, 60, 0.5)
        make_tone(s.tone2, 1100, 60, 0.5)
        s.ua = {"1001": Baresip(s, "1001", "secret1001", s.tone1, tls_port=s.tls_port,
                                cafile=ca),
                "1002": Baresip(s, "1002", "secret1002", s.tone2)}
        uas.extend(s.ua.values())
        for ua in uas:
            assert ua.wait_log("200 OK", 15), "%s did not register:\n%s" % (ua.ext, ua.text())
        yield s
    finally:
        for ua in uas:
            ua.stop()
        if hasattr(s, "capture"):
            s.capture.stop()
        s.close()


TONE = {"1001": 600, "1002": 1100, "5551234": 900}


def established(ua, before):
    """ua's log says "Call established" more often than `before` times (a new call)."""
    wait_until(lambda: ua.text().count("Call established") > before, 15,
               what="%s: a new call established" % ua.ext)


def talk(s, caller, callee):
    before = {e: s.ua[e].text().count("Call established") for e in (caller, callee)}
    s.ua[caller].dial(callee)
    for e in (caller, callee):
        established(s.ua[e], before[e])
    time.sleep(1.0)
    assert_hears(s.ua[caller], [TONE[callee]], [TONE[caller]], "%s hears %s" % (caller, callee))
    assert_hears(s.ua[callee], [TONE[caller]], [TONE[callee]], "%s hears %s" % (callee, caller))
    hangup_all(s)


def test_tls_phone_calls_udp_phone_and_back(s):
    talk(s, "1001", "1002")
    talk(s, "1002", "1001")
    rows = s.psql("SELECT contact FROM sip_contacts WHERE ext = '1001'")
    assert rows and "transport=tls" in rows[0][0].lower(), rows


def test_no_readable_sip_on_the_tls_port(s):
    tls, udp = s.capture.payloads[s.tls_port], s.capture.payloads[s.sip_port]
    assert b"REGISTER sip:" in udp and b"SIP/2.0" in udp  # the UDP phone, in the clear
    assert len(tls) > 2000, len(tls)  # the TLS phone's traffic was captured...
    for needle in (b"SIP/2.0", b"REGISTER", b"INVITE", b"Digest", b"1001@"):
        assert needle not in tls, needle  # ...and none of it is readable


def test_bad_tls_settings_refuse_to_start(s, tmp_path):
    key = tmp_path / "open.key"
    key.write_bytes(s.key.read_bytes())
    os.chmod(key, 0o644)
    path = tmp_path / "cc.conf"
    s.write_config(extra={"sipproxy.tls_key": str(key)}, path=path)
    r = s.run_daemon("sipproxy", conf=path)
    assert r.returncode == 2 and "[sipproxy] tls_key" in r.stderr and "mode 0644" in r.stderr, \
        r.stderr
    s.write_config(extra={"sipproxy.tls_cert": ""}, path=path)
    r = s.run_daemon("sipproxy", conf=path)
    assert r.returncode == 2 and "tls_port needs tls_cert and tls_key" in r.stderr, r.stderr


def _wait_registered(ua, what):
    assert ua.wait_log("200 OK", 15) or ua.wait_log("403", 1), "%s: no answer\n%s" % (
        what, ua.text())


def test_tls_policy_per_user(s):
    """required: over UDP refused (403 TLS Required), over TLS registers and calls;
    off: over TLS refused (403 TLS Not Allowed). Refusals are counted in the status."""
    for ext, policy in (("1003", "required"), ("1004", "required"), ("1005", "off")):
        s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
        r = s.ccctl("user", "tls", ext, policy)
        assert r.returncode == 0 and policy in r.stdout, r.stderr
    assert s.ccctl("user", "tls", "1003", "always").returncode == 2
    assert s.ccctl("user", "tls", "1999", "off").returncode == 1
    time.sleep(1.0)  # sipproxy reloads users on NOTIFY
    before = s.bus_call("sipproxy", "status")["result"]["details"]["tls_policy_refused"]
    plain = Baresip(s, "1003", "secret1003", s.tone1)
    tls_ok = Baresip(s, "1004", "secret1004", s.tone1, tls_port=s.tls_port, cafile=s.ca)
    tls_no = Baresip(s, "1005", "secret1005", s.tone1, tls_port=s.tls_port, cafile=s.ca)
    try:
        assert plain.wait_log("403 TLS Required", 15), plain.text()
        assert tls_no.wait_log("403 TLS Not Allowed", 15), tls_no.text()
        assert tls_ok.wait_log("200 OK", 15), tls_ok.text()
        rows = dict(s.psql("SELECT ext, count(*) FROM sip_contacts WHERE ext IN "
                           "('1003', '1004', '1005') GROUP BY 1"))
        assert rows == {"1004": 1}, rows
        after = s.bus_call("sipproxy", "status")["result"]["details"]["tls_policy_refused"]
        assert after - before >= 2, (before, after)
        # the TLS-required phone calls the UDP phone: tones both ways
        s.ua["1004"] = tls_ok
        TONE["1004"] = 600
        talk(s, "1004", "1002")
    finally:
        s.ua.pop("1004", None)
        for ua in (plain, tls_ok, tls_no):
            ua.stop()


def test_tls_trunk_verifies_the_peer(s):
    """A trunk with transport tls reaches a peer whose certificate the CA in tls_ca signed:
    tones both ways; a peer with a certificate of its own making gets no call at all."""
    d = s.ca.parent
    peer = Baresip(s, "5551234", None, s.var_dir / "t900.wav", certificate=d / "peer.pem")
    rogue = Baresip(s, "5559999", None, s.var_dir / "t900.wav", certificate=d / "rogue.pem")
    make_tone(s.var_dir / "t900.wav", 900, 60, 0.5)
    try:
        for name, ua, number in (("tlspeer", peer, "5551234"), ("tlsrogue", rogue, "5559999")):
            s.ccctl("trunk", "add", name, "--host", "127.0.0.1:%d" % (ua.sip_port + 1),
                    "--transport", "tls", check=True)
            s.ccctl("route", "add", number, "trunk:%s" % name, check=True)
        time.sleep(1.0)
        s.ua["5551234"] = peer
        before = s.ua["1002"].text().count("Call established")
        s.ua["1002"].dial("5551234")
        established(s.ua["1002"], before)
        time.sleep(1.0)
        assert_hears(s.ua["1002"], [900], [1100], "1002 hears the TLS trunk's peer")
        assert_hears(peer, [1100], [900], "the TLS trunk's peer hears 1002")
        hangup_all(s)
        # the impostor: sofia refuses its certificate, so no INVITE ever reaches it
        s.ua["1002"].dial("5559999")
        rows = []
        wait_until(lambda: rows.extend(s.psql(
            "SELECT disposition, reason FROM cdrs WHERE callee = '5559999'")) or rows, 45,
            what="the call to the impostor ended")
        assert rows[0][0] != "answered", rows
        assert "INVITE" not in rogue.text() and "Incoming call" not in rogue.text(), rogue.text()
        hangup_all(s)
    finally:
        s.ua.pop("5551234", None)
        peer.stop()
        rogue.stop()
