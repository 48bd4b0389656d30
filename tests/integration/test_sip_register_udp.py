"""REGISTER over UDP answered without a SIP transaction (sipproxy/sp_reg_udp.c).

The kernel steers datagrams that start with "REGI" onto sipproxy's second socket on the SIP
port; everything else still reaches the stack. Checked over real UDP sockets against the
real daemon:

- a retransmitted REGISTER (the same bytes again) gets the same answer byte for byte,
  both the 401 (same nonce, same To tag) and the authenticated 200, and is decided once:
  the second copy of an authenticated REGISTER is not taken for a replayed nonce count;
- the top Via is marked with received= and rport=, and the answer goes to the source
  port when rport was asked for, to the Via's port when it was not;
- what the stack would refuse is refused here too, and nothing is bound: broken headers
  (400), too big (413), a tel: request URI (416), Require: of an extension we lack (420
  with Unsupported), a "REGI..." request of another method (405); sipproxy keeps
  answering OPTIONS (through the stack) and REGISTER (here) afterwards;
- register_fast_path = false: the same REGISTERs are answered through the stack."""

import socket
import uuid

import pytest

import suite as sm
from test_sip_digest import answer, challenges


@pytest.fixture(scope="module")
def s(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_sip_register_udp", daemons=["sipproxy"])
    try:
        s.ccctl("user", "add", "1001", "--password", "secret1001", check=True)
        s.start()
        yield s
    finally:
        s.close()


def status(s):
    return s.bus_call("sipproxy", "status")["result"]["details"]


def register_text(port, lport, call_id, cseq, ext="1001", branch=None, rport=True,
                  auth=None, extra="", uri=None, method="REGISTER"):
    return ("%s %s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s%s\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:%s@127.0.0.1>;tag=f%s\r\n"
            "To: <sip:%s@127.0.0.1>\r\n"
            "Call-ID: %s\r\nCSeq: %d %s\r\n"
            "Contact: <sip:%s@127.0.0.1:%d>\r\nExpires: 60\r\n%s%s"
            "Content-Length: 0\r\n\r\n"
            % (method, uri or "sip:127.0.0.1:%d" % port, lport, branch or uuid.uuid4().hex[:12],
               ";rport" if rport else "", ext, call_id[:8], ext, call_id, cseq, method, ext,
               lport, "Authorization: %s\r\n" % auth if auth else "", extra))


class Udp:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(3)
        self.port = self.sock.getsockname()[1]

    def ask(self, port, text):
        """Send; the first final answer's text (None if nothing came within the timeout)."""
        self.sock.sendto(text.encode() if isinstance(text, str) else text, ("127.0.0.1", port))
        try:
            while True:
                data = self.sock.recv(65535).decode(errors="replace")
                if int(data.split(" ", 2)[1]) >= 200:
                    return data
        except socket.timeout:
            return None

    def close(self):
        self.sock.close()


def header(resp, name):
    for line in resp.split("\r\n"):
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


def test_fast_path_is_on_and_answers_register(s):
    assert status(s)["register_fast_path"] is True
    before = status(s)["registers_stateless"]
    u = Udp()
    try:
        call_id = uuid.uuid4().hex
        resp = u.ask(s.sip_port, register_text(s.sip_port, u.port, call_id, 1))
        assert resp and resp.startswith("SIP/2.0 401 "), resp
        assert ";tag=" in header(resp, "To"), resp
        assert status(s)["registers_stateless"] == before + 1
    finally:
        u.close()


def test_retransmission_gets_the_same_bytes_and_is_decided_once(s):
    u = Udp()
    try:
        call_id = uuid.uuid4().hex
        first = register_text(s.sip_port, u.port, call_id, 1, branch="retr401")
        a = u.ask(s.sip_port, first)
        b = u.ask(s.sip_port, first)
        assert a and a.startswith("SIP/2.0 401 ") and a == b, (a, b)
        ch = challenges(a)[0]
        auth = answer(ch, "1001", "secret1001", port=s.sip_port)
        second = register_text(s.sip_port, u.port, call_id, 2, branch="retr200", auth=auth)
        replays = status(s)["auth_replays"]
        retrans = status(s)["register_retransmits"]
        c = u.ask(s.sip_port, second)
        d = u.ask(s.sip_port, second)
        assert c and c.startswith("SIP/2.0 200 ") and c == d, (c, d)
        assert "sip:1001@127.0.0.1:%d" % u.port in header(c, "Contact"), c
        st = status(s)
        assert st["auth_replays"] == replays, "a retransmission was taken for a replay"
        assert st["register_retransmits"] == retrans + 1
        # the same credentials in a NEW transaction are still a replay: a fresh challenge
        third = register_text(s.sip_port, u.port, call_id, 3, auth=auth)
        e = u.ask(s.sip_port, third)
        assert e and e.startswith("SIP/2.0 401 ") and "stale=true" in e, e
        assert status(s)["auth_replays"] == replays + 1
    finally:
        u.close()


def test_via_marked_and_answer_routed_by_rport(s):
    u, other = Udp(), Udp()
    try:
        resp = u.ask(s.sip_port, register_text(s.sip_port, u.port, uuid.uuid4().hex, 1))
        via = header(resp, "Via")
        assert "received=127.0.0.1" in via and ("rport=%d" % u.port) in via, via
        # no rport: the answer goes to the port the Via names, here another socket's
        text = register_text(s.sip_port, other.port, uuid.uuid4().hex, 1, rport=False)
        u.sock.sendto(text.encode(), ("127.0.0.1", s.sip_port))
        got = other.sock.recv(65535).decode()
        assert got.startswith("SIP/2.0 401 "), got
        assert "rport" not in header(got, "Via"), got
    finally:
        u.close()
        other.close()


@pytest.mark.parametrize("case,code", [
    ("bad_cseq", 400), ("too_big", 413), ("tel_uri", 416), ("require", 420),
    ("other_method", 405)])
def test_refused_like_the_stack_and_nothing_bound(s, case, code):
    u = Udp()
    try:
        call_id = uuid.uuid4().hex
        if case == "bad_cseq":
            text = register_text(s.sip_port, u.port, call_id, 1).replace(
                "CSeq: 1 REGISTER", "CSeq: abc REGISTER")
        elif case == "too_big":
            text = register_text(s.sip_port, u.port, call_id, 1, extra="X-Big: %s\r\n" % (
                "A" * 40000))
        elif case == "tel_uri":
            text = register_text(s.sip_port, u.port, call_id, 1, uri="tel:+15551234")
        elif case == "require":
            text = register_text(s.sip_port, u.port, call_id, 1, extra="Require: gruu, path\r\n")
        else:
            text = register_text(s.sip_port, u.port, call_id, 1, method="REGISTRATION")
        resp = u.ask(s.sip_port, text)
        assert resp and resp.startswith("SIP/2.0 %d " % code), (case, resp)
        if case == "require":
            assert header(resp, "Unsupported") == "gruu, path", resp
        assert s.running("sipproxy"), s.log_tail("sipproxy")
        rows = s.psql("SELECT contact FROM sip_contacts WHERE contact LIKE '%%:%d'" % u.port)
        assert rows == [], rows
        # and both paths still answer
        assert u.ask(s.sip_port, register_text(s.sip_port, u.port, uuid.uuid4().hex, 1)) \
            .startswith("SIP/2.0 401 ")
        opts = ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch="
                "z9hG4bK%s\r\nMax-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nTo: "
                "<sip:127.0.0.1>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
                % (s.sip_port, u.port, uuid.uuid4().hex[:10], uuid.uuid4().hex))
        assert u.ask(s.sip_port, opts).startswith("SIP/2.0 200 ")
    finally:
        u.close()


def test_off_answers_through_the_stack(pg_cluster, bin_dir):
    s2 = sm.Suite(pg_cluster, name="test_sip_register_udp_off", daemons=["sipproxy"],
                  config={"sipproxy.register_fast_path": "false"})
    u = Udp()
    try:
        s2.ccctl("user", "add", "1001", "--password", "secret1001", check=True)
        s2.start()
        assert status(s2)["register_fast_path"] is False
        call_id = uuid.uuid4().hex
        a = u.ask(s2.sip_port, register_text(s2.sip_port, u.port, call_id, 1))
        assert a and a.startswith("SIP/2.0 401 "), a
        auth = answer(challenges(a)[0], "1001", "secret1001", port=s2.sip_port)
        b = u.ask(s2.sip_port, register_text(s2.sip_port, u.port, call_id, 2, auth=auth))
        assert b and b.startswith("SIP/2.0 200 "), b
        st = status(s2)
        assert st["registers_stateless"] == 0 and st["registers_ok"] == 1
    finally:
        u.close()
        s2.close()
