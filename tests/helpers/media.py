"""mediad alone, without the rest of the suite: Mediad starts it from CC_BIN_DIR with a
temp var dir and a generated cc.conf (suite.py's helpers for ports, environment and SUB
sockets), talks to it over its bus, restarts it as a crash would and stops it by PID; Party
is a fake phone (an RTP and an RTCP socket on loopback), rtp() builds RTP packets,
tone_frames() G.711 tones, and talk() has two parties send tones to each other at once and
tells what each heard."""

import json
import math
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import time
import uuid

import suite as sm
from helpers.audio import goertzel, ulaw_decode, ulaw_encode

POOL_PAIRS = 8
PT_PCMU = 0


def rtp(seq, ts, payload, pt=PT_PCMU, ssrc=0x1234, marker=False):
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF,
                       ts & 0xFFFFFFFF, ssrc) + payload


def tone_frames(freq, count, rate=8000, samples=160, amp=8000):
    """`count` 20 ms frames of a u-law sine at freq Hz."""
    out = []
    for f in range(count):
        out.append(bytes(ulaw_encode(int(amp * math.sin(2 * math.pi * freq * (f * samples + i) / rate)))
                         for i in range(samples)))
    return out


def tone_power(pkts, freq, other):
    """Goertzel power at freq and at other over the u-law payloads of received packets."""
    pcm = [ulaw_decode(x) for d, _ in pkts for x in d[12:]]
    return goertzel(pcm, freq), goertzel(pcm, other)


def talk(pa, a_port, pb, b_port, n=25, freqs=(440, 880), extra=None):
    """pa sends a freqs[0] tone to a_port while pb sends freqs[1] to b_port, n frames 20 ms
    apart (extra(i), if given, runs after each pair of sends); returns (what pb heard, what
    pa heard) as lists of (packet, source)."""
    tone_a, tone_b = tone_frames(freqs[0], n), tone_frames(freqs[1], n)
    t0 = time.monotonic()
    for i in range(n):
        pa.rtp.sendto(rtp(1000 + i, 160 * i, tone_a[i], ssrc=0xA), ("127.0.0.1", a_port))
        pb.rtp.sendto(rtp(7000 + i, 160 * i, tone_b[i], ssrc=0xB), ("127.0.0.1", b_port))
        if extra:
            extra(i)
        delay = t0 + 0.02 * (i + 1) - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    return pb.recv_all(), pa.recv_all()


def assert_heard(got, want, other, n, who):
    """got (a party's received packets) holds n packets of the tone want, not other."""
    assert len(got) == n, "%s received %d of %d packets" % (who, len(got), n)
    p_want, p_other = tone_power(got, want, other)
    assert p_want > 100 * p_other, "%s: %d Hz power %.3g vs %d Hz %.3g" % (
        who, want, p_want, other, p_other)


class Mediad:
    """mediad with `pairs` port pairs and the [mediad] keys in `mediad` on top of these
    defaults: no port quarantine (the tests that want one say so), media_timeout as given.
    kill9() and start() restart it on the same config and ports, as a crash would."""

    def __init__(self, media_timeout=1, pairs=POOL_PAIRS, **mediad):
        self.dir = sm.make_tempdir("cc-mediad-")
        self.run_dir = self.dir / "run"
        self.run_dir.mkdir()
        base = sm.free_port(tcp=False, span=2 * pairs + 2)
        base += base % 2
        self.rtp_lo, self.rtp_hi = base, base + 2 * pairs - 1
        keys = {"media_timeout": media_timeout, "port_quarantine_ms": 0}
        keys.update(mediad)
        self.conf = self.dir / "cc.conf"
        self.conf.write_text("[common]\nvar_dir = %s\nbind = 127.0.0.1\nrtp_ports = %d-%d\n"
                             "heartbeat_interval = 1\n[mediad]\n%s"
                             % (self.dir, self.rtp_lo, self.rtp_hi,
                                "".join("%s = %s\n" % kv for kv in keys.items())))
        self.log_path = self.dir / "mediad.log"
        self.token = uuid.uuid4().hex
        import zmq
        self.zmq = zmq
        self.proc = self.sock = None
        self.start()

    def start(self):
        """Start mediad (again) and wait until it answers ping."""
        env = sm.clean_env(CC_VAR_DIR=str(self.dir), **{sm.TOKEN_VAR: self.token})
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([str(sm.BIN_DIR / "mediad"), "-c", str(self.conf)],
                                         env=env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.sock = self.zmq.Context.instance().socket(self.zmq.DEALER)
        self.sock.setsockopt(self.zmq.LINGER, 0)
        self.sock.connect("ipc://%s/mediad.cmd" % self.run_dir)
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("mediad exited %s:\n%s" % (self.proc.returncode, self.log()))
            try:
                if self.call("ping", timeout=0.5).get("ok"):
                    break
            except TimeoutError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("mediad did not answer ping:\n" + self.log())

    def kill9(self):
        """kill -9 mediad (a crash: nothing is cleaned up) and wait until it is gone."""
        self.sock.close()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def log(self):
        return self.log_path.read_text(errors="replace")

    def call(self, cmd, timeout=5.0, **args):
        req = uuid.uuid4().hex[:12]
        self.sock.send(json.dumps({"type": cmd, "req": req, "args": args}).encode())
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sock.poll(int(left * 1000)):
                raise TimeoutError("no reply to %s" % cmd)
            reply = json.loads(self.sock.recv_multipart()[-1])
            if reply.get("req") == req:
                return reply

    def ok(self, cmd, **args):
        r = self.call(cmd, **args)
        assert r.get("ok") is True, "%s %s: expected ok, saw %s" % (cmd, args, r)
        return r.get("result")

    def error(self, cmd, **args):
        r = self.call(cmd, **args)
        assert r.get("ok") is False, "%s %s: expected an error reply, saw %s" % (cmd, args, r)
        return r["error"]["code"]

    def subscribe(self):
        return sm.Subscriber(["ipc://%s/mediad.pub" % self.run_dir], "media.")

    def close(self):
        self.sock.close()
        problems = []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                problems.append("mediad did not stop on SIGTERM")
        if self.proc.returncode not in (0, None):
            problems.append("mediad exited %s" % self.proc.returncode)
        text = self.log()
        if any(m in text for m in sm.SANITIZER_MARKERS):
            problems.append("sanitizer report")
        if problems:
            raise AssertionError("; ".join(problems) + " (kept %s)\n%s" % (self.dir, text[-4000:]))
        if not os.environ.get("CC_TEST_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


class Party:
    """A fake phone: an RTP socket on an even port and an RTCP socket above it."""

    def __init__(self):
        base = sm.free_port(tcp=False, span=4)
        base += base % 2
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", base))
        self.rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtcp.bind(("127.0.0.1", base + 1))
        self.port = base

    def recv_all(self, sock=None, wait=0.3):
        sock = sock or self.rtp
        out = []
        while True:
            r, _, _ = select.select([sock], [], [], wait)
            if not r:
                return out
            out.append(sock.recvfrom(4096))

    def close(self):
        self.rtp.close()
        self.rtcp.close()
