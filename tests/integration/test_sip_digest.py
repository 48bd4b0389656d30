"""Digest authentication with SHA-256 (RFC 8760) beside MD5, and replayed credentials.

No client on this machine speaks SHA-256 digest (baresip 1.0's libre answers any challenge
that offers it with ENOSYS, sipp 3.6 takes the first challenge and stops: measured), so
SHA-256 is offered per user (`ccctl user digest`) and this test's REGISTERs come from a
small RFC 8760 client written here over a real UDP socket. Phones on the default (MD5) are
covered by the register and call tests with baresip and sipp.

- a user set to "SHA-256 MD5" gets both challenges, SHA-256 first, each with its own nonce;
  a SHA-256 answer registers; the wrong password is refused;
- the same credentials sent again (a captured REGISTER played back in a new transaction)
  are refused with a fresh challenge (stale=true), logged and counted; the next count
  under the same nonce is accepted;
- a user on the default gets only MD5, and an MD5 answer registers;
- bad algorithm lists: ccctl refuses them (exit 2), sipproxy refuses to start (exit 2)."""

import hashlib
import re
import socket
import uuid

import pytest

import suite as sm


@pytest.fixture(scope="module")
def s(pg_cluster, bin_dir):
    s = sm.Suite(pg_cluster, name="test_sip_digest", daemons=["sipproxy"])
    try:
        for ext in ("1001", "1002"):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
        r = s.ccctl("user", "digest", "1001", "SHA-256 MD5", check=True)
        assert "1001 is challenged with SHA-256 MD5" in r.stdout
        s.start()
        yield s
    finally:
        s.close()


class Uac:
    """A UDP SIP client that registers with digest credentials it computes itself."""

    def __init__(self, s, ext):
        self.s, self.ext = s, ext
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(5)
        self.port = self.sock.getsockname()[1]
        self.call_id = uuid.uuid4().hex
        self.cseq = 0

    def register(self, authorization=None):
        self.cseq += 1
        msg = ("REGISTER sip:127.0.0.1:%d SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n"
               "Max-Forwards: 70\r\n"
               "From: <sip:%s@127.0.0.1>;tag=%s\r\n"
               "To: <sip:%s@127.0.0.1>\r\n"
               "Call-ID: %s\r\nCSeq: %d REGISTER\r\n"
               "Contact: <sip:%s@127.0.0.1:%d>\r\nExpires: 60\r\n%s"
               "Content-Length: 0\r\n\r\n"
               % (self.s.sip_port, self.port, uuid.uuid4().hex[:12], self.ext, self.call_id[:8],
                  self.ext, self.call_id, self.cseq, self.ext, self.port,
                  "Authorization: %s\r\n" % authorization if authorization else ""))
        self.sock.sendto(msg.encode(), ("127.0.0.1", self.s.sip_port))
        while True:
            data = self.sock.recv(65535).decode()
            code = int(data.split(" ", 2)[1])
            if code >= 200:
                return code, data

    def close(self):
        self.sock.close()


def challenges(resp):
    """The WWW-Authenticate headers of a response, in order, as dicts."""
    out = []
    for line in resp.split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() in ("www-authenticate", "www-authenticate".title()):
            params = dict((k, v.strip('"')) for k, v in
                          re.findall(r'(\w+)=("[^"]*"|[^,\s]+)', value))
            out.append(params)
    return out


def answer(ch, ext, password, nc=1, cnonce="0a4f113b", uri=None, port=None):
    algo = ch.get("algorithm", "MD5")
    h = (lambda x: hashlib.sha256(x.encode()).hexdigest()) if algo == "SHA-256" else \
        (lambda x: hashlib.md5(x.encode()).hexdigest())
    uri = uri or "sip:127.0.0.1:%d" % port
    ha1 = h("%s:%s:%s" % (ext, ch["realm"], password))
    ha2 = h("REGISTER:%s" % uri)
    ncs = "%08x" % nc
    resp = h("%s:%s:%s:%s:auth:%s" % (ha1, ch["nonce"], ncs, cnonce, ha2))
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
            'algorithm=%s, qop=auth, nc=%s, cnonce="%s"'
            % (ext, ch["realm"], ch["nonce"], uri, resp, algo, ncs, cnonce))


def replays(s):
    return s.bus_call("sipproxy", "status")["result"]["details"]["auth_replays"]


def test_sha256_first_then_md5_and_a_sha256_answer_registers(s):
    uac = Uac(s, "1001")
    try:
        code, resp = uac.register()
        assert code == 401, resp
        chs = challenges(resp)
        assert [c.get("algorithm") for c in chs] == ["SHA-256", "MD5"], resp
        assert chs[0]["nonce"] != chs[1]["nonce"] and chs[0]["qop"] == "auth"
        code, resp = uac.register(answer(chs[0], "1001", "wrong-password", port=s.sip_port))
        assert code == 403, resp
        code, resp = uac.register()
        sha = challenges(resp)[0]
        auth = answer(sha, "1001", "secret1001", port=s.sip_port)
        code, resp = uac.register(auth)
        assert code == 200, resp
        assert "sip:1001@127.0.0.1:%d" % uac.port in resp
    finally:
        uac.close()


def test_replayed_credentials_get_a_fresh_challenge(s):
    uac = Uac(s, "1001")
    try:
        code, resp = uac.register()
        sha = challenges(resp)[0]
        auth = answer(sha, "1001", "secret1001", nc=1, port=s.sip_port)
        code, resp = uac.register(auth)
        assert code == 200, resp
        before = replays(s)
        code, resp = uac.register(auth)  # the same credentials in a new transaction
        assert code == 401, resp
        assert all(c.get("stale") == "true" for c in challenges(resp)), resp
        assert replays(s) == before + 1
        assert "event=sip.auth_replay" in s.log("sipproxy")
        assert sha["nonce"] not in s.log("sipproxy")  # nonces are not logged either
        code, resp = uac.register(answer(sha, "1001", "secret1001", nc=2, port=s.sip_port))
        assert code == 200, resp  # the next count under the same nonce is fine
    finally:
        uac.close()


def test_default_user_gets_md5_only(s):
    uac = Uac(s, "1002")
    try:
        code, resp = uac.register()
        chs = challenges(resp)
        assert [c.get("algorithm") for c in chs] == ["MD5"], resp
        code, resp = uac.register(answer(chs[0], "1002", "secret1002", port=s.sip_port))
        assert code == 200, resp
    finally:
        uac.close()


def test_bad_algorithm_lists_are_refused(s, tmp_path):
    r = s.ccctl("user", "digest", "1002", "SHA1")
    assert r.returncode == 2 and "bad algorithms 'SHA1'" in r.stderr, r.stderr
    r = s.ccctl("user", "digest", "1999", "MD5")
    assert r.returncode != 0 and "no extension 1999" in r.stderr, r.stderr
    r = s.ccctl("user", "digest", "1002", "default", check=True)
    assert "digest_algorithms" in r.stdout
    path = tmp_path / "cc.conf"
    s.write_config(extra={"sipproxy.digest_algorithms": "SHA-256 SHA1"}, path=path)
    r = s.run_daemon("sipproxy", conf=path)
    assert r.returncode == 2, r.stderr
    assert "digest_algorithms" in r.stderr and "'SHA1'" in r.stderr, r.stderr
