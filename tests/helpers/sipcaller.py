"""A small SIP caller for tests that need what a phone hears sample by sample (baresip
only reports tones): one INVITE at a time over UDP with digest, the RTP it receives kept,
and the check that what it heard is a given prompt file, or a sequence of them."""

import hashlib
import math
import re
import select
import socket
import struct
import time
import uuid
import wave

import suite as sm
from helpers.audio import ulaw_decode


class Caller:
    """One INVITE at a time over UDP with an SDP offer (PCMU) on its own RTP socket; keeps
    the RTP received (early media included); answers 401/407 with digest when it has
    credentials; ACKs every final response and hangs up a 200 after `talk` seconds."""

    def __init__(self, s, port=0, ext=None, password=None):
        self.s, self.ext, self.password = s, ext, password
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp_port = self.rtp.getsockname()[1]

    def close(self):
        self.sock.close()
        self.rtp.close()

    def _send(self, text):
        self.sock.sendto(text.encode(), ("127.0.0.1", self.s.sip_port))

    def _invite(self, d, auth=None):
        sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               "m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
               "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n" % self.rtp_port)
        self._send("INVITE %s SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\n"
                   "Max-Forwards: 70\r\nFrom: %s;tag=%s\r\nTo: <%s>\r\n"
                   "Call-ID: %s\r\nCSeq: %d INVITE\r\nContact: <sip:c@127.0.0.1:%d>\r\n%s%s"
                   "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s"
                   % (d["uri"], self.port, d["branch"], d["from"], d["tag"], d["uri"],
                      d["call_id"], d["cseq"], self.port, d["extra"],
                      "Proxy-Authorization: %s\r\n" % auth if auth else "", len(sdp), sdp))

    def _ack(self, d, to, method="ACK", branch=None):
        self._send("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\n"
                   "Max-Forwards: 70\r\nFrom: %s;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\n"
                   "CSeq: %d %s\r\nContent-Length: 0\r\n\r\n"
                   % (method, d["uri"], self.port, branch or d["branch"], d["from"], d["tag"],
                      to, d["call_id"], d["cseq"] + (1 if method == "BYE" else 0), method))

    def _digest(self, resp, d):
        m = re.search(r'Proxy-Authenticate: Digest (.*)', resp, re.I)
        ch = dict((k, v.strip('"')) for k, v in re.findall(r'(\w+)=("[^"]*"|[^,\s]+)',
                                                           m.group(1)))
        h = lambda x: hashlib.md5(x.encode()).hexdigest()
        ha1 = h("%s:%s:%s" % (self.ext, ch["realm"], self.password))
        ha2 = h("INVITE:%s" % d["uri"])
        resp = h("%s:%s:00000001:c0ffee:auth:%s" % (ha1, ch["nonce"], ha2))
        return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
                'algorithm=MD5, qop=auth, nc=00000001, cnonce="c0ffee"'
                % (self.ext, ch["realm"], ch["nonce"], d["uri"], resp))

    def info_key(self, key, ctype="application/dtmf-relay", timeout=5.0):
        """Sends key in a SIP INFO inside the call that is up (from call()'s `during`):
        Signal=KEY for dtmf-relay, the bare key for application/dtmf. Returns the status."""
        d, to = self._dialog
        d["cseq"] += 1
        body = "Signal=%s\r\nDuration=160\r\n" % key if ctype.endswith("relay") else key
        branch = "z9hG4bK" + uuid.uuid4().hex[:12]
        self._send("INFO %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\n"
                   "Max-Forwards: 70\r\nFrom: %s;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\n"
                   "CSeq: %d INFO\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s"
                   % (d["uri"], self.port, branch, d["from"], d["tag"], to, d["call_id"],
                      d["cseq"], ctype, len(body), body))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.sock, self.rtp], [], [], 0.2)
            if self.rtp in ready:
                self.rtp.recv(2048)
            if self.sock not in ready:
                continue
            resp = self.sock.recv(65535).decode(errors="replace")
            if resp.startswith("SIP/2.0") and branch in resp:
                status = int(resp.split(" ", 2)[1])
                if status >= 200:
                    return status
        return None

    def call(self, number, caller="5550000", extra="", talk=1.0, timeout=25, during=None):
        """Returns (final code, [responses], RTP payloads received before the end). After
        a 200, during() runs (if given) and what is heard while talking is in self.talked."""
        self.talked = []
        user = self.ext or caller
        d = {"uri": "sip:%s@127.0.0.1:%d" % (number, self.s.sip_port),
             "from": "<sip:%s@%s>" % (user, "anonymous.invalid" if user == "anonymous"
                                      else "127.0.0.1"),
             "tag": uuid.uuid4().hex[:8], "call_id": uuid.uuid4().hex, "cseq": 1,
             "branch": "z9hG4bK" + uuid.uuid4().hex[:12], "extra": extra}
        self._invite(d)
        responses, payloads, code = [], [], None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and code is None:
            ready, _, _ = select.select([self.sock, self.rtp], [], [], 0.5)
            if self.rtp in ready:
                pkt = self.rtp.recv(2048)
                if len(pkt) > 12 and pkt[1] & 0x7F == 0:
                    payloads.append(pkt[12:])
            if self.sock not in ready:
                continue
            resp = self.sock.recv(65535).decode(errors="replace")
            if not resp.startswith("SIP/2.0") or d["call_id"] not in resp:
                continue   # a late answer to an earlier call (its BYE, a retransmission)
            status = int(resp.split(" ", 2)[1])
            responses.append(status)
            if status < 200:
                continue
            to = re.search(r"^To: (.*)$", resp, re.M | re.I).group(1).strip()
            if status in (401, 407) and self.ext and d["cseq"] == 1:
                self._ack(d, to)
                auth = self._digest(resp, d)
                d["cseq"], d["branch"] = 2, "z9hG4bK" + uuid.uuid4().hex[:12]
                self._invite(d, auth)
                continue
            code = status
            if status >= 300:
                self._ack(d, to)
            else:
                self._ack(d, to, branch="z9hG4bK" + uuid.uuid4().hex[:12])
                self._dialog = (d, to)
                if during:
                    during()
                end = time.monotonic() + talk
                while time.monotonic() < end:
                    if select.select([self.rtp], [], [], 0.1)[0]:
                        pkt = self.rtp.recv(2048)
                        if len(pkt) > 12 and pkt[1] & 0x7F == 0:
                            self.talked.append(pkt[12:])
                self._ack(d, to, method="BYE", branch="z9hG4bK" + uuid.uuid4().hex[:12])
                time.sleep(0.3)
        return code, responses, payloads


def pcm(payloads):
    return [ulaw_decode(b) for p in payloads for b in p]


def prompt_samples(s, name, lang="en"):
    """The samples of a prompt file in the suite's prompt set (its own copy if it made one)."""
    base = getattr(s, "prompts", None) or sm.prompts_dir()
    path = base / lang / (name + ".wav")
    if not path.exists():   # language-neutral (tones/, music/), as mediad finds it
        path = base / (name + ".wav")
    with wave.open(str(path)) as w:
        frames = w.readframes(w.getnframes())
    return list(struct.unpack("<%dh" % (len(frames) // 2), frames))


def assert_heard_prompt(s, payloads, names, lang="en"):
    """What the caller received is the prompt (or the prompts one after the other, each
    padded to whole 20 ms packets as mediad sends them): as long as it, and correlated
    with it at the best of a few alignments (the first packets may be lost to the SDP
    race)."""
    names = [names] if isinstance(names, str) else list(names)
    want = []
    for name in names:
        samples = prompt_samples(s, name, lang)
        want += samples + [0] * (-len(samples) % 160)
    got = pcm(payloads)
    what = "/".join(names)
    assert len(got) >= len(want) * 0.8, "heard %d samples of %s's %d" % (
        len(got), what, len(want))
    best = 0.0
    for shift in range(0, 3200, 160):   # up to 0.4 s of the start missed
        a, b = got, want[shift:shift + len(got)]
        n = min(len(a), len(b))
        num = sum(x * y for x, y in zip(a[:n], b[:n]))
        den = math.sqrt(sum(x * x for x in a[:n]) * sum(y * y for y in b[:n])) or 1
        best = max(best, num / den)
    assert best > 0.9, "%s (%s): correlation of what the caller heard %.3f" % (what, lang, best)
