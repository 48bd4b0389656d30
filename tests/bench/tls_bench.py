#!/usr/bin/python3
"""tls_bench.py - what SIP over TLS costs sipproxy, beside TCP and UDP.

The suite: sipproxy (with [sipproxy] tls_port and a certificate from a CA made here with
openssl) + mediad + cdrd from CC_BIN_DIR (default bin/, the release build) with a private
Postgres (tests/suite.py); a sipp UAS behind trunk 'far' (route 9. -> far,
tests/helpers/trunks.py). The phones are this script's own asyncio SIP client (sipp on
this machine has no TLS), verifying sipproxy's certificate against the test CA.

  memory   for each transport (tls, tcp, udp) a fresh sipproxy with no contacts; --phones
           phones register with the MD5 digest (REGISTER, 401, REGISTER with the answer,
           200), each on its own connection (udp: its own socket), kept open. Users come
           from one SQL insert. sipproxy's VmRSS before and with all registered; per phone =
           difference / N. Phones register --reg-parallel at a time with a pause between
           batches longer than [sipproxy] transaction_linger (set to its minimum, 500 ms,
           here), so the figure is the registrations and their connections, not finished
           REGISTER transactions kept for UDP retransmissions. Registrations per second of
           that set-up (pauses left out) with the client's own CPU, then of all phones
           registering again at once on their open connections; RSS after every phone
           closed its connection (what stays behind).
  calls    --calls calls at --rate calls/s from --callers registered phones per transport
           to 9000 (the sipp UAS): INVITE, 407, ACK, INVITE with Proxy-Authorization,
           200, ACK, --hold seconds, BYE, 200. sipproxy's CPU (utime+stime from
           /proc/PID/stat across the run, until its call count is back to 0) per completed
           call, completed and failed calls, and the capacity that CPU implies (1e6 / us
           per call, one core). Transports alternate in order over --rounds; medians.
  ramp     --ramp rates (calls/s), --ramp-s seconds each, over TLS and UDP: completed and
           failed per step, the rate the client reached, and the client's own CPU: a step
           where the client used most of a core measures the client, not sipproxy, and is
           marked so.

All on 127.0.0.1; every process started here is stopped by its PID; temp dirs removed.
Prints a line per measurement, then a table; exits 1 with `# FAILED: ...` lines when a
measurement produced no figure.

    tests/bench/tls_bench.py [--phones 1000] [--calls 300] [--rate 30] [--rounds 2]
                             [--ramp 50,100,200,400] [--ramp-s 5] [--hold 0.5] [--callers 4]
"""

import argparse
import asyncio
import hashlib
import os
import random
import re
import resource
import shutil
import signal
import ssl
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
os.environ.setdefault("CC_BIN_DIR", str(REPO / "bin"))
sys.path.insert(0, str(REPO / "tests"))
import suite as sm  # noqa: E402
from helpers.tlscerts import make_certs  # noqa: E402
from helpers.trunks import Trunks  # noqa: E402
from sip_load_lib import fmt, med, rss_kb, say  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
REALM = "cc.local"  # [common] sip_domain's default
PASSWORD = "bench-secret"
TRANSPORTS = ("tls", "tcp", "udp")
T1 = 0.5
IDLE_S = 4
MEM_LINGER_MS = 500  # [sipproxy] transaction_linger while memory is measured (its minimum)


# ---- the process being measured ---------------------------------------------------------


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)


def nofile_limit(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    return None


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ---- a small SIP client -----------------------------------------------------------------

def parse(data):
    """(first line, {lower-case header: [values]}, body) of one SIP message."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    hdrs = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        name = {"v": "via", "i": "call-id", "f": "from", "t": "to", "m": "contact",
                "l": "content-length", "c": "content-type"}.get(name, name)
        hdrs.setdefault(name, []).append(value.strip())
    return lines[0], hdrs, body


def auth_params(value):
    """{name: value} of a Digest challenge."""
    out = {}
    rest = value.split(None, 1)[1] if " " in value else ""
    while rest:
        rest = rest.lstrip(" ,")
        name, eq, rest = rest.partition("=")
        if not eq:
            break
        if rest.startswith('"'):
            val, _, rest = rest[1:].partition('"')
        else:
            val, _, rest = rest.partition(",")
        out[name.strip().lower()] = val.strip()
    return out


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def digest_answer(ext, challenge, method, uri, header):
    p = auth_params(challenge)
    ha1 = md5("%s:%s:%s" % (ext, p["realm"], PASSWORD))
    ha2 = md5("%s:%s" % (method, uri))
    parts = ['Digest username="%s"' % ext, 'realm="%s"' % p["realm"],
             'nonce="%s"' % p["nonce"], 'uri="%s"' % uri, "algorithm=MD5"]
    if "auth" in p.get("qop", "").split(","):
        cnonce = "%08x" % random.getrandbits(32)
        resp = md5(":".join((ha1, p["nonce"], "00000001", cnonce, "auth", ha2)))
        parts += ["qop=auth", "nc=00000001", 'cnonce="%s"' % cnonce]
    else:
        resp = md5(":".join((ha1, p["nonce"], ha2)))
    parts.append('response="%s"' % resp)
    if "opaque" in p:
        parts.append('opaque="%s"' % p["opaque"])
    return "%s: %s" % (header, ", ".join(parts))


class Failed(Exception):
    pass


class Phone:
    """One phone on one connection (tls, tcp) or socket (udp) to sipproxy."""

    def __init__(self, ext, transport, port, ssl_ctx):
        self.ext, self.transport, self.port, self.ssl_ctx = ext, transport, port, ssl_ctx
        self.pending = {}  # (call-id, cseq) -> Future of the final response
        self.provisional = set()  # keys of pending INVITEs that had a provisional response
        self.dialogs = {}  # call-id -> (target, from tag, To, cseq) until the BYE
        self.local = None
        self.reader = self.writer = self.udp = None
        self.reader_task = None

    # -- transport

    async def connect(self):
        if self.transport == "udp":
            loop = asyncio.get_running_loop()
            self.udp, _ = await loop.create_datagram_endpoint(
                lambda: _Datagrams(self), remote_addr=("127.0.0.1", self.port))
            self.local = self.udp.get_extra_info("sockname")[1]
        else:
            self.reader, self.writer = await asyncio.open_connection(
                "127.0.0.1", self.port, ssl=self.ssl_ctx,
                server_hostname="127.0.0.1" if self.ssl_ctx else None)
            self.local = self.writer.get_extra_info("sockname")[1]
            self.reader_task = asyncio.create_task(self._read_stream())

    def close(self):
        if self.udp:
            self.udp.close()
        if self.writer:
            self.writer.close()
        if self.reader_task:
            self.reader_task.cancel()

    def send(self, data):
        if self.udp:
            self.udp.sendto(data)
        else:
            self.writer.write(data)

    async def _read_stream(self):
        buf = b""
        try:
            while True:
                chunk = await self.reader.read(65536)
                if not chunk:
                    break
                buf += chunk
                while True:
                    buf = buf.lstrip(b"\r\n")  # keep-alive pings
                    end = buf.find(b"\r\n\r\n")
                    if end < 0:
                        break
                    head = buf[:end].lower()
                    clen = 0
                    for line in head.split(b"\r\n"):
                        if line.startswith(b"content-length:") or line.startswith(b"l:"):
                            clen = int(line.split(b":", 1)[1])
                    if len(buf) < end + 4 + clen:
                        break
                    self.received(buf[:end + 4 + clen])
                    buf = buf[end + 4 + clen:]
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        for fut in self.pending.values():
            if not fut.done():
                fut.set_exception(Failed("connection closed"))

    def received(self, data):
        first, hdrs, _ = parse(data)
        cid = hdrs.get("call-id", [""])[0]
        cseq = hdrs.get("cseq", [""])[0]
        if first.startswith("SIP/2.0"):
            code = int(first.split()[1])
            fut = self.pending.get((cid, cseq))
            if code < 200:
                if fut and not fut.done():
                    self.provisional.add((cid, cseq))
                return
            if fut and not fut.done():
                fut.set_result((code, hdrs, data))
            elif code < 300 and cseq.endswith("INVITE"):
                self.resend_ack(cid, hdrs)  # a retransmitted 200: ACK it again
            return
        # a request from sipproxy (OPTIONS, BYE, ...): answer 200
        via = "".join("Via: %s\r\n" % v for v in hdrs.get("via", []))
        self.send(("SIP/2.0 200 OK\r\n%sFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n"
                   "Content-Length: 0\r\n\r\n" % (via, hdrs["from"][0], hdrs["to"][0], cid,
                                                  cseq)).encode())

    # -- messages

    def via(self, branch):
        return "Via: SIP/2.0/%s 127.0.0.1:%d;branch=%s;rport" % (
            self.transport.upper(), self.local, branch)

    def contact(self):
        t = "" if self.transport == "udp" else ";transport=%s" % self.transport
        return "<sip:%s@127.0.0.1:%d%s>" % (self.ext, self.local, t)

    async def transaction(self, msg, cid, cseq, timeout=16.0):
        """Send a request; its final response (code, headers, data). Over UDP the request
        is sent again at T1, 2*T1, ... (at most 4 s apart) until any response arrives."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        key = (cid, cseq)
        self.pending[key] = fut
        data = msg.encode()
        deadline = loop.time() + timeout
        wait = T1
        try:
            self.send(data)
            while True:
                left = deadline - loop.time()
                if left <= 0:
                    raise Failed("timeout on %s" % cseq)
                if self.udp and (key not in self.provisional):
                    step = min(wait, left)
                    wait = min(wait * 2, 4.0)
                else:
                    step = left
                try:
                    return await asyncio.wait_for(asyncio.shield(fut), step)
                except asyncio.TimeoutError:
                    if self.udp and (key not in self.provisional) and not fut.done():
                        self.send(data)
        finally:
            self.pending.pop(key, None)
            self.provisional.discard(key)

    def request(self, method, uri, cid, cseq, from_tag, to_hdr, branch, extra="", body=""):
        return ("%s %s SIP/2.0\r\n%s\r\nMax-Forwards: 70\r\n"
                "From: <sip:%s@%s>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n"
                "Contact: %s\r\nUser-Agent: tls_bench\r\n%sContent-Length: %d\r\n\r\n%s"
                % (method, uri, self.via(branch), self.ext, REALM, from_tag, to_hdr, cid, cseq,
                   method, self.contact(), extra, len(body), body))

    async def register(self):
        cid = "r%s-%x@bench" % (self.ext, random.getrandbits(48))
        tag = "%x" % random.getrandbits(32)
        uri = "sip:%s" % REALM
        to = "<sip:%s@%s>" % (self.ext, REALM)
        auth = ""
        for cseq in (1, 2):
            msg = self.request("REGISTER", uri, cid, cseq, tag, to, branch(),
                               extra=auth + "Expires: 3600\r\n")
            code, hdrs, _ = await self.transaction(msg, cid, "%d REGISTER" % cseq)
            if code == 200:
                return
            if code != 401 or cseq == 2:
                raise Failed("REGISTER: %d" % code)
            auth = digest_answer(self.ext, md5_challenge(hdrs.get("www-authenticate", [])),
                                 "REGISTER", uri, "Authorization") + "\r\n"

    async def call(self, number, hold):
        cid = "c%s-%x@bench" % (self.ext, random.getrandbits(48))
        tag = "%x" % random.getrandbits(32)
        uri = "sip:%s@%s" % (number, REALM)
        to = "<%s>" % uri
        rtp = 40000 + random.randrange(0, 10000) * 2
        sdp = ("v=0\r\no=bench 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" % rtp)
        auth = ""
        for cseq in (1, 2):
            br = branch()
            msg = self.request("INVITE", uri, cid, cseq, tag, to, br,
                               extra=auth + "Content-Type: application/sdp\r\n", body=sdp)
            code, hdrs, _ = await self.transaction(msg, cid, "%d INVITE" % cseq)
            to_hdr = hdrs["to"][0]
            if code >= 300:
                # ACK a failure in the INVITE's own transaction
                self.send(("ACK %s SIP/2.0\r\n%s\r\nMax-Forwards: 70\r\nFrom: <sip:%s@%s>;"
                           "tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d ACK\r\n"
                           "Content-Length: 0\r\n\r\n" % (uri, self.via(br), self.ext, REALM,
                                                          tag, to_hdr, cid, cseq)).encode())
                if code == 407 and cseq == 1:
                    auth = digest_answer(self.ext, md5_challenge(
                        hdrs.get("proxy-authenticate", [])), "INVITE", uri,
                        "Proxy-Authorization") + "\r\n"
                    continue
                raise Failed("INVITE: %d" % code)
            break
        target = hdrs.get("contact", ["<%s>" % uri])[0]
        target = target[target.find("<") + 1:target.find(">")] if "<" in target else target
        self.dialogs[cid] = (target, tag, to_hdr, cseq)
        self.send(self.request("ACK", target, cid, cseq, tag, to_hdr, branch()).encode())
        try:
            await asyncio.sleep(hold)
            msg = self.request("BYE", target, cid, cseq + 1, tag, to_hdr, branch())
            code, _, _ = await self.transaction(msg, cid, "%d BYE" % (cseq + 1))
        finally:
            self.dialogs.pop(cid, None)
        if code != 200:
            raise Failed("BYE: %d" % code)

    def resend_ack(self, cid, hdrs):
        d = self.dialogs.get(cid)
        if d:
            target, tag, to_hdr, cseq = d
            self.send(self.request("ACK", target, cid, cseq, tag, to_hdr, branch()).encode())


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, phone):
        self.phone = phone

    def datagram_received(self, data, addr):
        self.phone.received(data)


def branch():
    return "z9hG4bK%x" % random.getrandbits(64)


def md5_challenge(values):
    for v in values:
        if "MD5" in v.upper() or "ALGORITHM" not in v.upper():
            return v
    raise Failed("no MD5 challenge in %r" % values)


# ---- the measurements -------------------------------------------------------------------

class Bench:
    def __init__(self, a):
        self.a = a
        self.work = sm.make_tempdir("cc-tls-bench-")
        self.failed = []
        self.cluster = self.s = self.trunks = None
        self.rows = {}
        self.idle = 0.0

    def fail(self, why):
        self.failed.append(why)
        say("# FAILED: %s" % why)

    def setup(self):
        a = self.a
        want = a.phones * 2 + 2000
        have = raise_nofile(want)
        say("# open-file limit %d (wanted %d for %d phones)" % (have, want, a.phones))
        ca, cert, key = make_certs(self.work)
        self.ssl_ctx = ssl.create_default_context(cafile=str(ca))
        self.cluster = sm.PgCluster().start()
        self.rtp = sm.free_port_range(4000)
        self.tls_port = sm.free_port(udp=False)
        self.s = sm.Suite(self.cluster, name="tls_bench", daemons=["sipproxy", "mediad", "cdrd"],
                          config={"common.log_level": "warn", "common.rtp_ports": self.rtp,
                                  "mediad.port_quarantine_ms": "500",
                                  "sipproxy.tls_port": str(self.tls_port),
                                  "sipproxy.tls_cert": str(cert), "sipproxy.tls_key": str(key),
                                  "sipproxy.tls_ca": str(ca)})
        n = a.phones + len(TRANSPORTS) * (a.callers + 1) + 10
        t0 = time.monotonic()
        self.s.psql(
            "INSERT INTO sip_users (ext, name, realm, ha1, ha1_sha256) "
            "SELECT e, 'bench ' || e, %(realm)s, md5(e || ':' || %(realm)s || ':' || %(pw)s), "
            "encode(sha256(convert_to(e || ':' || %(realm)s || ':' || %(pw)s, 'UTF8')), 'hex') "
            "FROM (SELECT (100000 + i)::text AS e FROM generate_series(0, %(n)s - 1) i) u",
            {"realm": REALM, "pw": PASSWORD, "n": n})
        say("# %d users added with one INSERT in %.2f s" % (n, time.monotonic() - t0))
        self.trunks = Trunks(self.s, self.work)
        self.s.start()
        self.trunks.start_uas()
        lim = nofile_limit(self.s.pid("sipproxy"))
        say("# sipproxy's open-file limit %d" % lim)
        if lim < a.phones + 100:
            raise SystemExit("sipproxy's open-file limit %d is too low for %d phones"
                             % (lim, a.phones))

    def port(self, transport):
        return self.tls_port if transport == "tls" else self.s.sip_port

    def ctx(self, transport):
        return self.ssl_ctx if transport == "tls" else None

    def sp_calls(self):
        return self.s.bus_call("sipproxy", "status")["result"]["details"]["calls"]

    def fresh_sipproxy(self, conf=None):
        self.s.stop("sipproxy")
        self.s.psql("DELETE FROM sip_contacts")
        self.s.start("sipproxy", conf=conf)
        time.sleep(1.0)

    # -- 1. memory per connection

    def memory(self, transport, first_ext):
        """A fresh sipproxy whose finished transactions linger only MEM_LINGER_MS; phones
        register in batches of --reg-parallel with a pause longer than that between
        batches, so what stays in RSS is the registrations and their connections, not
        the REGISTER transactions kept for UDP retransmissions (which a real deployment,
        with phones refreshing now and then, never holds all at once)."""
        a = self.a
        conf = self.s.write_config(extra={"sipproxy.transaction_linger": str(MEM_LINGER_MS)},
                                   path=self.work / "memory.conf")
        self.fresh_sipproxy(conf)
        pid = self.s.pid("sipproxy")
        before = rss_kb(pid)
        phones = [Phone(str(first_ext + i), transport, self.port(transport), self.ctx(transport))
                  for i in range(a.phones)]

        async def batches(register):
            busy = cpu = 0.0
            errors = []
            for i in range(0, len(phones), a.reg_parallel):
                t0, c0 = time.monotonic(), time.process_time()
                errors += await asyncio.gather(*(register(p) for p in
                                                 phones[i:i + a.reg_parallel]))
                busy += time.monotonic() - t0
                cpu += time.process_time() - c0
                await asyncio.sleep(MEM_LINGER_MS / 1000 + 0.1)
            return [e for e in errors if e], busy, cpu

        async def first(p):
            try:
                await p.connect()
                await p.register()
            except (Failed, OSError, ssl.SSLError) as e:
                return "%s: %s" % (p.ext, e)

        async def again(p):
            try:
                if p.local:
                    await p.register()
            except (Failed, OSError, ssl.SSLError) as e:
                return "%s: %s" % (p.ext, e)

        async def run():
            errors, took, cpu = await batches(first)
            await asyncio.sleep(1.0)
            held = rss_kb(pid)
            # the registrations per second again, on the open connections (no handshakes)
            t0 = time.monotonic()
            rerr = await asyncio.gather(*(again(p) for p in phones))
            re_took = time.monotonic() - t0
            for p in phones:
                p.close()
            await asyncio.sleep(2.0)
            return errors, took, cpu, held, [e for e in rerr if e], re_took
        errors, took, cpu, held, rerr, re_took = asyncio.run(run())
        after = rss_kb(pid)
        ok = a.phones - len(errors)
        row = {"before": before, "held": held, "after_close": after, "ok": ok,
               "reg_s": ok / took if ok else None, "reg_client_cpu": cpu / took,
               "rereg_s": (ok - len(rerr)) / re_took if ok > len(rerr) else None,
               "per_phone": (held - before) * 1024 / ok if ok else None}
        say("memory transport=%s phones=%d registered=%d rss_kb before=%d held=%d "
            "after_close=%d per_phone_bytes=%s reg_per_s=%s client_cpu=%.0f%% "
            "rereg_per_s=%s%s" % (
                transport, a.phones, ok, before, held, after, fmt(row["per_phone"]),
                fmt(row["reg_s"]), row["reg_client_cpu"] * 100, fmt(row["rereg_s"]),
                (" errors=%d first: %s" % (len(errors + rerr), (errors + rerr)[0]))
                if errors or rerr else ""))
        if not ok:
            self.fail("no %s phone registered" % transport)
        return row

    # -- 2. calls

    async def place(self, phones, rate, count, hold):
        """`count` calls at `rate`/s, round robin over phones; (ok, failed, seconds to send,
        client CPU seconds, first error)."""
        loop = asyncio.get_running_loop()
        tasks, errors = [], []

        async def one(p):
            try:
                await p.call("9000", hold)
                return True
            except (Failed, OSError, ssl.SSLError, KeyError) as e:
                errors.append(str(e))
                return False
        c0 = time.process_time()
        t0 = loop.time()
        for i in range(count):
            at = t0 + i / rate
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(phones[i % len(phones)])))
        sent_s = loop.time() - t0
        cpu_send = time.process_time() - c0
        res = await asyncio.gather(*tasks)
        ok = sum(res)
        return ok, count - ok, sent_s, cpu_send, errors[0] if errors else None

    def run_calls(self, transport, phones, rate, count):
        pid = self.s.pid("sipproxy")

        async def run():
            for p in phones:
                if not p.local:
                    await p.connect()
                    await p.register()
            t0 = cpu_ticks(pid)
            w0 = time.monotonic()
            r = await self.place(phones, rate, count, self.a.hold)
            deadline = time.monotonic() + 10
            while self.sp_calls() and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            return r, (cpu_ticks(pid) - t0) / CLK_TCK, time.monotonic() - w0
        (ok, failed, sent_s, cpu_client, err), cpu, wall = self.loop.run_until_complete(run())
        net = max(cpu - self.idle * wall, 0.0)
        return {"ok": ok, "failed": failed, "cpu_s": cpu, "wall": wall, "sent_s": sent_s,
                "client_cpu": cpu_client, "err": err,
                "us_raw": cpu * 1e6 / ok if ok else None,
                "us_per_call": net * 1e6 / ok if ok else None}

    def measure_idle(self):
        """sipproxy's own CPU with the callers registered and no call (bus heartbeats,
        timers): the share of a run's CPU that is not the calls'."""
        pid = self.s.pid("sipproxy")
        t0, w0 = cpu_ticks(pid), time.monotonic()
        time.sleep(IDLE_S)
        self.idle = (cpu_ticks(pid) - t0) / CLK_TCK / (time.monotonic() - w0)
        say("idle sipproxy_cpu=%.2f%% of a core over %d s (taken off every run below)"
            % (self.idle * 100, IDLE_S))

    def calls(self):
        a = self.a
        self.fresh_sipproxy()
        self.loop = asyncio.new_event_loop()
        base = 100000 + a.phones
        self.callers = {t: [Phone(str(base + i * (a.callers + 1) + j), t, self.port(t),
                                  self.ctx(t)) for j in range(a.callers)]
                        for i, t in enumerate(TRANSPORTS)}
        per = {t: [] for t in TRANSPORTS}
        for t in TRANSPORTS:
            self.run_calls(t, self.callers[t], 1, 0)  # registers the callers
        self.measure_idle()
        for rnd in range(a.rounds):
            order = TRANSPORTS if rnd % 2 == 0 else tuple(reversed(TRANSPORTS))
            for t in order:
                r = self.run_calls(t, self.callers[t], a.rate, a.calls)
                per[t].append(r)
                say("calls transport=%s round=%d ok=%d failed=%d sipproxy_cpu_s=%.2f "
                    "us_per_call=%s net_of_idle=%s capacity_cps=%s%s" % (
                        t, rnd + 1, r["ok"], r["failed"], r["cpu_s"], fmt(r["us_raw"]),
                        fmt(r["us_per_call"]),
                        fmt(1e6 / r["us_per_call"] if r["us_per_call"] else None),
                        " first_error=%r" % r["err"] if r["err"] else ""))
        for t in TRANSPORTS:
            us = med([r["us_per_call"] for r in per[t]])
            self.rows.setdefault(t, {}).update({
                "us_per_call": us, "us_raw": med([r["us_raw"] for r in per[t]]),
                "capacity": 1e6 / us if us else None,
                "calls_ok": sum(r["ok"] for r in per[t]),
                "calls_failed": sum(r["failed"] for r in per[t])})
            if us is None:
                self.fail("no completed call over %s" % t)

    def end_loop(self):
        for phones in getattr(self, "callers", {}).values():
            for p in phones:
                p.close()
        pending = asyncio.all_tasks(self.loop)
        for t in pending:
            t.cancel()
        self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()

    def sheddings(self):
        """The reason of every time sipproxy began turning new INVITEs away (503)."""
        return re.findall(r"event=sip\.overload .*\bstate=shedding reason=(\S+)",
                          self.s.log("sipproxy"))

    def ramp(self):
        a = self.a
        rates = [int(x) for x in a.ramp.split(",") if x]
        self.ramp_rows = []
        for t in ("tls", "udp"):
            for rate in rates:
                n = int(rate * a.ramp_s)
                shed0 = self.sheddings()
                r = self.run_calls(t, self.callers[t], rate, n)
                shed = self.sheddings()[len(shed0):]
                why = ",".join(sorted(set(shed)))
                reached = n / r["sent_s"] if r["sent_s"] else None
                client_busy = r["client_cpu"] / r["sent_s"] if r["sent_s"] else 0
                limit = "client" if client_busy > 0.85 or (reached and reached < 0.9 * rate) \
                    else ""
                row = (t, rate, n, r["ok"], r["failed"], reached, client_busy,
                       r["cpu_s"] / r["wall"], r["us_per_call"], limit, why)
                self.ramp_rows.append(row)
                say("ramp transport=%s rate=%d placed=%d ok=%d failed=%d reached_cps=%s "
                    "client_cpu=%.0f%% sipproxy_cpu=%.0f%% net_us_per_call=%s shed=%s%s%s" % (
                        t, rate, n, r["ok"], r["failed"], fmt(reached), client_busy * 100,
                        row[7] * 100, fmt(r["us_per_call"]), why or "-",
                        " (the client is the limit)" if limit else "",
                        " first_error=%r" % r["err"] if r["err"] else ""))
                if not r["ok"]:
                    self.fail("ramp %s %d/s: no call completed" % (t, rate))

    def table(self):
        a = self.a
        say()
        say("SIP over TLS vs TCP vs UDP: sipproxy (release build), %d phones, %d calls at %d/s"
            " x %d rounds (medians), hold %.1f s" % (a.phones, a.calls, a.rate, a.rounds,
                                                     a.hold))
        say("memory (sipproxy VmRSS in KB, a fresh sipproxy per transport; held: all phones "
            "registered, connections open; per_phone = (held - before) / phones)")
        say("%-9s %9s %9s %12s %12s %8s %11s %9s" % (
            "transport", "before", "held", "per_phone_B", "after_close", "reg/s",
            "client_cpu", "rereg/s"))
        for t in TRANSPORTS:
            r = self.rows.get(t, {})
            say("%-9s %9s %9s %12s %12s %8s %10s%% %9s" % (
                t, fmt(r.get("before")), fmt(r.get("held")), fmt(r.get("per_phone")),
                fmt(r.get("after_close")), fmt(r.get("reg_s")),
                fmt(r.get("reg_client_cpu", 0) * 100), fmt(r.get("rereg_s"))))
        say("reg/s: first REGISTER with its 401 (and the TCP/TLS connection), %d at a time; "
            "client_cpu: this script's during those (100%% = one core: then the client is "
            "the limit); rereg/s: all phones again at once on their open connections"
            % a.reg_parallel)
        say()
        say("calls (sipproxy utime+stime from /proc/PID/stat per completed call; net: less "
            "its idle %.2f%% of a core; capacity = 1e6 / net us per call, one core)"
            % (getattr(self, "idle", 0) * 100))
        say("%-9s %10s %10s %12s %8s %8s" % ("transport", "us/call", "net us", "capacity/s",
                                           "ok", "failed"))
        for t in TRANSPORTS:
            r = self.rows.get(t, {})
            say("%-9s %10s %10s %12s %8s %8s" % (
                t, fmt(r.get("us_raw")), fmt(r.get("us_per_call")), fmt(r.get("capacity")),
                r.get("calls_ok", "-"), r.get("calls_failed", "-")))
        tls, udp, tcp = (self.rows.get(t, {}) for t in TRANSPORTS)
        if tls.get("us_per_call") and udp.get("us_per_call"):
            say("TLS costs %.2fx UDP's CPU per call (%.2fx TCP's); per TLS connection %s bytes "
                "more than per UDP phone" % (
                    tls["us_per_call"] / udp["us_per_call"],
                    tls["us_per_call"] / tcp["us_per_call"] if tcp.get("us_per_call") else 0,
                    fmt(tls["per_phone"] - udp["per_phone"]
                        if tls.get("per_phone") and udp.get("per_phone") else None)))
        if getattr(self, "ramp_rows", None):
            say()
            say("ramp, %.0f s per step (503s: sipproxy's overload control shedding new INVITEs, "
                "for the reason given)" % a.ramp_s)
            say("%-9s %6s %6s %6s %6s %9s %10s %12s %8s  %s" % (
                "transport", "cps", "placed", "ok", "failed", "reached", "client_cpu",
                "sipproxy_cpu", "net us", "shed"))
            for t, rate, n, ok, failed, reached, busy, spcpu, us, limit, why in self.ramp_rows:
                say("%-9s %6d %6d %6d %6d %9s %9.0f%% %11.0f%% %8s  %s%s" % (
                    t, rate, n, ok, failed, fmt(reached), busy * 100, spcpu * 100,
                    fmt(us), why or "-", "  <- client-limited" if limit else ""))
            say("client_cpu: this script's CPU over the sending time (one core = 100%); a step "
                "marked client-limited measures the Python client, not sipproxy")

    def log_summary(self):
        """sipproxy's warnings and errors by event (the reason of a shed INVITE's 503)."""
        counts = {}
        for line in self.s.log("sipproxy").splitlines():
            m = re.search(r"\b(warn|error) event=(\S+)", line)
            if not m:
                continue
            key = "%s %s" % (m.group(1), m.group(2))
            for f in ("state", "reason", "status", "error"):
                v = re.search(r"\b%s=(\S+)" % f, line)
                if v:
                    key += " %s=%s" % (f, v.group(1))
            counts[key] = counts.get(key, 0) + 1
        top = sorted(counts.items(), key=lambda kv: -kv[1])[:8]
        say("log sipproxy warn/error: %s" % ("; ".join("%s x%d" % kv for kv in top) or "none"))

    def close(self):
        if self.trunks:
            self.trunks.close()
        if self.s:
            self.s.close()
        if self.cluster:
            self.cluster.cleanup()
        if self.rtp:
            sm.release_ports(self.rtp)
        shutil.rmtree(self.work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--phones", type=int, default=1000)
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--rate", type=float, default=30)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--ramp", default="50,100,200,400", help="calls/s per step; empty: no ramp")
    ap.add_argument("--ramp-s", type=float, default=5)
    ap.add_argument("--hold", type=float, default=0.5)
    ap.add_argument("--callers", type=int, default=4)
    ap.add_argument("--reg-parallel", type=int, default=50)
    a = ap.parse_args()
    # a SIGTERM (timeout, kill PID) ends the run through the finally below, which stops
    # the daemons, the sipp UAS and the Postgres cluster started here
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    b = Bench(a)
    b.rtp = None
    t0 = time.monotonic()
    say("# load average at start: %.2f %.2f %.2f (%d cores)"
        % (os.getloadavg() + (os.cpu_count(),)))
    try:
        b.setup()
        for t in TRANSPORTS:
            b.rows[t] = b.memory(t, 100000)
        b.calls()
        if a.ramp:
            b.ramp()
        b.table()
        b.log_summary()
        say("# took %.0f s; load average at the end: %.2f %.2f %.2f"
            % ((time.monotonic() - t0,) + os.getloadavg()))
    finally:
        if getattr(b, "loop", None):
            b.end_loop()
        b.close()
    if b.failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
