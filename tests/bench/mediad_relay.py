#!/usr/bin/python3
"""mediad_relay.py - media relay cost of mediad beside rtpengine (userspace), same generator.

For each load (CALLS, default "100 500 1000") and each relay, alternating so both see the
same noise: set up N bridged calls directly on the relay's control interface (mediad:
endpoint.create/remote/connect over its bus; rtpengine: ng offer/answer over UDP), drive
them with ../shared/bench-anchors/rtpgen (G.711-sized RTP, 20 ms, both ways = 100 packets/s
per call) for DUR seconds after WARM seconds, and read loss, transit delay and the relay's
CPU per relayed packet (utime+stime of the relay's PID from /proc, as rtpgen reports it).
Tear the calls down, then print one line per run, medians when REPEAT > 1, and the ratios
mediad/rtpengine. No SIP: rtp_relay.sh in the anchors does the same through a SIP target.

Usage:  tests/bench/mediad_relay.py          (needs bin/mediad; builds rtpgen into a temp dir)
  env:  CALLS="100 500 1000" DUR=10 WARM=2 REPEAT=1 MEDIAD=bin/mediad RELAYS="mediad rtpengine"
        MD_PORTS=12000-16999 RTPE_PORTS=17000-21999 GEN_BASE=61000 RTPE_THREADS=2
        A RELAYS entry LABEL=PATH runs another mediad binary under that label (e.g.
        RELAYS="mediad old=/tmp/mediad.old rtpengine" to measure a change before/after).
        (the generator's 2*N ports sit above the kernel's ephemeral range and the random
        ports integration tests take; both relays skip ports that are busy)
Traffic stays on 127.0.0.1; every process started here is stopped by its PID."""

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ANCHORS = (REPO / ".." / "shared" / "bench-anchors").resolve()
CALLS = [int(x) for x in os.environ.get("CALLS", "100 500 1000").split()]
DUR = float(os.environ.get("DUR", "10"))
WARM = float(os.environ.get("WARM", "2"))
REPEAT = int(os.environ.get("REPEAT", "1"))
RELAYS = os.environ.get("RELAYS", "mediad rtpengine").split()
MEDIAD = Path(os.environ.get("MEDIAD", str(REPO / "bin" / "mediad")))
MD_PORTS = os.environ.get("MD_PORTS", "12000-16999")
RTPE_PORTS = os.environ.get("RTPE_PORTS", "17000-21999")
GEN_BASE = int(os.environ.get("GEN_BASE", "61000"))
RTPE_THREADS = os.environ.get("RTPE_THREADS", "2")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(msg, flush=True)


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def rss_kb(pid):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def stop_pid(proc, timeout=10):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


# ---- mediad ---------------------------------------------------------------------------

class MediadRelay:
    name = "mediad"

    def __init__(self, work, name="mediad", binary=None):
        import zmq
        self.name = name
        binary = binary or MEDIAD
        self.dir = work / name
        self.dir.mkdir()
        conf = self.dir / "cc.conf"
        conf.write_text("[common]\nvar_dir = %s\nbind = 127.0.0.1\nrtp_ports = %s\n"
                        "log_level = warn\n[mediad]\nmedia_timeout = 0\n" % (self.dir, MD_PORTS))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("CC_") and k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
        self.log = open(self.dir / "mediad.log", "wb")
        self.proc = subprocess.Popen([str(binary), "-c", str(conf)], env=env,
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SNDHWM, 0)
        self.sock.setsockopt(zmq.RCVHWM, 0)
        self.sock.connect("ipc://%s/run/mediad.cmd" % self.dir)
        deadline = time.time() + 20
        while not self.batch([("ping", {})], timeout=0.5)[0]:
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit("mediad did not start: %s" % (self.dir / "mediad.log").read_text())
        # a new mediad hands out ports only after its start-up quarantine (restores aside)
        while True:
            probe = self.batch([("endpoint.create", {"call_id": "bench-probe", "leg": "caller"})])[0]
            if probe:
                self.batch([("endpoint.delete", {"endpoint_id": probe["endpoint_id"]})])
                break
            if time.time() > deadline:
                raise SystemExit("mediad hands out no ports: %s" % (self.dir / "mediad.log").read_text())
            time.sleep(0.1)
        self.eps = []

    def batch(self, cmds, timeout=30.0):
        """Send all commands, then collect the replies (pipelined); results in order."""
        reqs = []
        for cmd, args in cmds:
            req = uuid.uuid4().hex[:12]
            reqs.append(req)
            self.sock.send(json.dumps({"type": cmd, "req": req, "args": args}).encode())
        got = {}
        deadline = time.time() + timeout
        while len(got) < len(reqs) and time.time() < deadline:
            if self.sock.poll(100):
                r = json.loads(self.sock.recv())
                got[r["req"]] = (r.get("result") or {}) if r.get("ok") else None
        return [got.get(r) for r in reqs]

    def setup(self, legs):
        """legs: [(port_a, port_b)] of the generator; returns [(gen_port, relay_port)]."""
        made = self.batch([("endpoint.create", {"call_id": "bench-%d" % i, "leg": leg})
                           for i in range(len(legs)) for leg in ("caller", "callee")])
        if any(m is None for m in made):
            raise SystemExit("mediad: endpoint.create failed")
        cmds, out = [], []
        for i, (pa, pb) in enumerate(legs):
            a, b = made[2 * i], made[2 * i + 1]
            cmds += [("endpoint.remote", {"endpoint_id": a["endpoint_id"], "address": "127.0.0.1",
                                          "port": pa}),
                     ("endpoint.remote", {"endpoint_id": b["endpoint_id"], "address": "127.0.0.1",
                                          "port": pb}),
                     ("endpoint.connect", {"endpoint_a": a["endpoint_id"],
                                           "endpoint_b": b["endpoint_id"]})]
            out += [(pa, a["port"]), (pb, b["port"])]
            self.eps += [a["endpoint_id"], b["endpoint_id"]]
        if None in self.batch(cmds):
            raise SystemExit("mediad: endpoint.remote/connect failed")
        return out

    def teardown(self):
        res = self.batch([("endpoint.delete", {"endpoint_id": e}) for e in self.eps])
        self.eps = []
        lost = sum(r["stats"]["lost"] for r in res if r)
        return {"deleted": sum(1 for r in res if r), "lost_by_stats": lost}

    def close(self):
        self.sock.close()
        stop_pid(self.proc)
        self.log.close()


# ---- rtpengine (ng protocol) ---------------------------------------------------------------

def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"d" + b"".join(bencode(k) + bencode(v[k]) for k in sorted(v)) + b"e"
    raise TypeError(type(v))


def bdecode(data, i=0):
    c = data[i:i + 1]
    if c == b"i":
        j = data.index(b"e", i)
        return int(data[i + 1:j]), j + 1
    if c == b"l":
        out, i = [], i + 1
        while data[i:i + 1] != b"e":
            v, i = bdecode(data, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        out, i = {}, i + 1
        while data[i:i + 1] != b"e":
            k, i = bdecode(data, i)
            v, i = bdecode(data, i)
            out[k.decode()] = v
        return out, i + 1
    j = data.index(b":", i)
    n = int(data[i:j])
    return data[j + 1:j + 1 + n], j + 1 + n


def sdp(port):
    return ("v=0\r\no=bench 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n" % port)


def sdp_port(body):
    m = re.search(rb"m=audio (\d+)", body)
    return int(m.group(1)) if m else None


class RtpengineRelay:
    name = "rtpengine"

    def __init__(self, work):
        self.dir = work / "rtpengine"
        self.dir.mkdir()
        self.ng_port = free_udp_port()
        lo, hi = RTPE_PORTS.split("-")
        self.log = open(self.dir / "rtpengine.log", "wb")
        self.proc = subprocess.Popen(
            ["rtpengine", "--config-file=none", "--table=-1", "--interface=127.0.0.1",
             "--listen-ng=127.0.0.1:%d" % self.ng_port, "--port-min=%s" % lo, "--port-max=%s" % hi,
             "--num-threads=%s" % RTPE_THREADS, "--log-level=3", "--log-stderr", "--foreground",
             "--delete-delay=0", "--timeout=60", "--pidfile=%s" % (self.dir / "pid")],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.pid = self.proc.pid
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(2.0)
        deadline = time.time() + 10
        while True:
            try:
                if self.ng({"command": "ping"}).get("result") == b"pong":
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit("rtpengine did not start: %s" % (self.dir / "rtpengine.log").read_text())
            time.sleep(0.2)
        self.calls = []

    def ng(self, msg):
        cookie = uuid.uuid4().hex[:10].encode()
        self.sock.sendto(cookie + b" " + bencode(msg), ("127.0.0.1", self.ng_port))
        while True:
            data, _ = self.sock.recvfrom(65535)
            if data.startswith(cookie + b" "):
                return bdecode(data, len(cookie) + 1)[0]

    def setup(self, legs):
        out = []
        for i, (pa, pb) in enumerate(legs):
            cid = "bench-%s-%d" % (uuid.uuid4().hex[:6], i)
            r1 = self.ng({"command": "offer", "call-id": cid, "from-tag": "a%d" % i, "sdp": sdp(pa),
                          "replace": ["origin", "session-connection"]})
            r2 = self.ng({"command": "answer", "call-id": cid, "from-tag": "a%d" % i,
                          "to-tag": "b%d" % i, "sdp": sdp(pb),
                          "replace": ["origin", "session-connection"]})
            if r1.get("result") != b"ok" or r2.get("result") != b"ok":
                raise SystemExit("rtpengine offer/answer failed: %s %s" % (r1, r2))
            # the offer's SDP goes to the callee (where it sends), the answer's to the caller
            out += [(pa, sdp_port(r2["sdp"])), (pb, sdp_port(r1["sdp"]))]
            self.calls.append((cid, "a%d" % i))
        return out

    def teardown(self):
        n = 0
        for cid, ft in self.calls:
            n += self.ng({"command": "delete", "call-id": cid, "from-tag": ft}).get("result") == b"ok"
        self.calls = []
        return {"deleted": n}

    def close(self):
        self.sock.close()
        stop_pid(self.proc)
        self.log.close()


# ---- one run -------------------------------------------------------------------------------

def build_rtpgen(work):
    exe = work / "rtpgen"
    subprocess.run(["cc", "-O2", "-Wall", "-o", str(exe), str(ANCHORS / "rtpgen.c")], check=True)
    return exe


def parse_rtpgen(text):
    f = {}
    m = re.search(r"loss=([\d.]+)%", text)
    f["loss_pct"] = float(m.group(1)) if m else -1
    m = re.search(r"sent=(\d+) received=(\d+)", text)
    f["sent"], f["received"] = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    m = re.search(r"p50=(\d+) p99=(\d+)", text)
    f["p50_us"], f["p99_us"] = (int(m.group(1)), int(m.group(2))) if m else (-1, -1)
    m = re.search(r"cpu relay=([-\d.]+)% generator=([\d.]+)% relay_us_per_pkt=([-\d.]+)", text)
    if m:
        f["relay_cpu_pct"], f["gen_cpu_pct"], f["us_per_pkt"] = map(float, m.groups())
    return f


def run_one(relay, n, rtpgen, work):
    legs = [(GEN_BASE + 2 * i, GEN_BASE + 2 * i + 1) for i in range(n)]
    rss0 = rss_kb(relay.pid)
    t0 = time.time()
    pairs = relay.setup(legs)
    setup_s = time.time() - t0
    rss1 = rss_kb(relay.pid)
    legs_file = work / ("legs-%s-%d.txt" % (relay.name, n))
    legs_file.write_text("".join("%d 127.0.0.1 %d\n" % p for p in pairs))
    out = subprocess.run([str(rtpgen), "-f", str(legs_file), "-d", str(DUR), "-w", str(WARM),
                          "-p", str(relay.pid)], capture_output=True, text=True,
                         timeout=DUR + WARM + 60)
    load1 = float(open("/proc/loadavg").read().split()[0])
    td = relay.teardown()
    f = parse_rtpgen(out.stdout)
    f["load1"] = load1
    f.update(relay=relay.name, calls=n, setup_s=round(setup_s, 2),
             kb_per_call=round((rss1 - rss0) / n, 1), **td)
    if f.get("us_per_pkt") is None:
        log("# rtpgen output:\n" + out.stdout + out.stderr)
    return f


def line(f):
    return ("relay=%-9s calls=%-5d loss=%.3f%% relay_cpu=%.1f%% us_per_pkt=%.2f p50=%dus "
            "p99=%dus kb_per_call=%.1f gen_cpu=%.1f%% setup_s=%.2f load=%.1f" % (
                f["relay"], f["calls"], f["loss_pct"], f.get("relay_cpu_pct", -1),
                f.get("us_per_pkt", -1), f["p50_us"], f["p99_us"], f["kb_per_call"],
                f.get("gen_cpu_pct", -1), f["setup_s"], f.get("load1", -1)))


def main():
    if "mediad" in RELAYS and not os.access(MEDIAD, os.X_OK):
        raise SystemExit("no %s: build it with make" % MEDIAD)
    work = Path(tempfile.mkdtemp(prefix="bench-mediad-"))
    log("# mediad_relay nproc=%d load=%s dur=%ss warm=%ss repeat=%d work=%s" % (
        os.cpu_count(), open("/proc/loadavg").read().split()[:3], DUR, WARM, REPEAT, work))
    rtpgen = build_rtpgen(work)
    relays = {}
    results = {}
    try:
        for name in RELAYS:
            if name == "rtpengine":
                relays[name] = RtpengineRelay(work)
            else:
                label, _, path = name.partition("=")
                relays[name] = MediadRelay(work, label, Path(path) if path else None)
        for rep in range(REPEAT):
            for n in CALLS:
                order = RELAYS if rep % 2 == 0 else list(reversed(RELAYS))
                for name in order:
                    f = run_one(relays[name], n, rtpgen, work)
                    results.setdefault((name, n), []).append(f)
                    log(line(f))
                    time.sleep(2)
    finally:
        for r in relays.values():
            r.close()
    log("# summary (medians of %d)" % REPEAT)
    for n in CALLS:
        med = {}
        for name in RELAYS:
            runs = results.get((name, n), [])
            if not runs:
                continue
            m = {k: statistics.median(r[k] for r in runs)
                 for k in ("loss_pct", "us_per_pkt", "relay_cpu_pct", "p50_us", "p99_us",
                           "gen_cpu_pct", "setup_s", "load1") if all(k in r for r in runs)}
            m["kb_per_call"] = max(r["kb_per_call"] for r in runs)  # RSS grows once only
            m.update(relay=runs[0]["relay"], calls=n)
            med[name] = m
            log(line(m))
        rt = med.get("rtpengine")
        for name, m in med.items():
            if name == "rtpengine" or not rt or rt.get("us_per_pkt", 0) <= 0:
                continue
            log("ratio calls=%d %s/rtpengine us_per_pkt=%.2f cpu=%.2f p99=%.2f" % (
                n, m["relay"], m["us_per_pkt"] / rt["us_per_pkt"],
                m["relay_cpu_pct"] / max(0.01, rt["relay_cpu_pct"]),
                m["p99_us"] / max(1, rt["p99_us"])))


if __name__ == "__main__":
    main()
