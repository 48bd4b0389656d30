#!/usr/bin/python3
"""ivr_media.py - mediad playing prompts to many calls at once, with keys pressed.

CALLS endpoints (default 500) each play a looping prompt (a third the English main menu, a
third the Mandarin one, a third the hold music, from deploy/prompts/generate.sh) to a UDP
sink (ivr_media_sink.c, built into a temp dir: one socket per call, kernel receive
timestamps). A tenth of the calls get an RFC 4733 key every second, another tenth get
G.711 audio with an in-band DTMF key every second; detection is on for those. After WARM
seconds the sink and this script measure for DUR seconds:

  mediad CPU % and CPU-us per generated packet (utime+stime of its PID from /proc),
  receiver gap jitter |gap - 20 ms| p50/p90/p99/p99.9/max (sink), loss (sequence gaps),
  mediad's own lateness counters (status: play_late_1ms/5ms/max),
  keys detected / keys sent, per method,
  mediad RSS idle, with the endpoints, while playing; per-call memory.

Usage:  tests/bench/ivr_media.py        (needs bin/mediad: `make`)
  env:  CALLS=500 DUR=8 WARM=2 MEDIAD=bin/mediad MD_PORTS=12000-13999 KEYS=1 (0: no keys)
        PROMPTS=<dir> (reuse a generated set instead of generating one)
Traffic stays on 127.0.0.1; every process started here is stopped by its PID."""

import json
import math
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CALLS = int(os.environ.get("CALLS", "500"))
DUR = float(os.environ.get("DUR", "8"))
WARM = float(os.environ.get("WARM", "2"))
MEDIAD = Path(os.environ.get("MEDIAD", str(REPO / "bin" / "mediad")))
MD_PORTS = os.environ.get("MD_PORTS", "12000-13999")
KEYS = os.environ.get("KEYS", "1") != "0"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def log(msg):
    print(msg, flush=True)


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def stop(proc, timeout=10):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def ulaw(sample):
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(int(sample)), 32635) + 0x84
    exp = 7
    while exp > 0 and not sample & (0x4000 >> (7 - exp)):
        exp -= 1
    return ~(sign | (exp << 4) | ((sample >> (exp + 3)) & 0x0F)) & 0xFF


def dtmf_frames(lo, hi, frames=5, amp=7000):
    out = []
    for f in range(frames):
        out.append(bytes(ulaw(amp * (math.sin(2 * math.pi * lo * (f * 160 + i) / 8000)
                                     + math.sin(2 * math.pi * hi * (f * 160 + i) / 8000)))
                         for i in range(160)))
    return out


class Mediad:
    def __init__(self, work, prompts):
        import zmq
        self.dir = work / "mediad"
        self.dir.mkdir()
        conf = self.dir / "cc.conf"
        conf.write_text("[common]\nvar_dir = %s\nbind = 127.0.0.1\nrtp_ports = %s\n"
                        "log_level = warn\n[mediad]\nmedia_timeout = 0\nprompt_dir = %s\n"
                        % (self.dir, MD_PORTS, prompts))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("CC_") and k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
        self.log = open(self.dir / "mediad.log", "wb")
        self.proc = subprocess.Popen([str(MEDIAD), "-c", str(conf)], env=env,
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid
        self.zmq = zmq
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SNDHWM, 0)
        self.sock.setsockopt(zmq.RCVHWM, 0)
        self.sock.connect("ipc://%s/run/mediad.cmd" % self.dir)
        deadline = time.time() + 20
        while self.batch([("ping", {})], timeout=0.5)[0] is None:
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit("mediad did not start: %s" % (self.dir / "mediad.log").read_text())

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
                got[r["req"]] = r.get("result") or {} if r.get("ok") else None
                if not r.get("ok"):
                    log("error reply: %s" % r)
        return [got.get(r) for r in reqs]

    def status(self):
        return self.batch([("status", {})])[0]["details"]

    def subscribe(self):
        s = self.zmq.Context.instance().socket(self.zmq.SUB)
        s.setsockopt(self.zmq.LINGER, 0)
        s.setsockopt(self.zmq.SUBSCRIBE, b"media.dtmf")
        s.connect("ipc://%s/run/mediad.pub" % self.dir)
        return s


def main():
    if not os.access(MEDIAD, os.X_OK):
        raise SystemExit("no %s (run `make`)" % MEDIAD)
    work = Path(tempfile.mkdtemp(prefix="cc-ivr-bench-"))
    sink = md = None
    try:
        prompts = Path(os.environ["PROMPTS"]) if os.environ.get("PROMPTS") else work / "prompts"
        if not os.environ.get("PROMPTS"):
            subprocess.run([str(REPO / "deploy" / "prompts" / "generate.sh"), str(prompts)],
                           check=True, stdout=subprocess.DEVNULL, timeout=300)
        subprocess.run(["cc", "-std=c11", "-O2", "-o", str(work / "sink"),
                        str(Path(__file__).with_name("ivr_media_sink.c"))], check=True)
        sink = subprocess.Popen([str(work / "sink"), str(CALLS), str(DUR)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        ports = [int(p) for p in sink.stdout.readline().split()[1:]]
        assert len(ports) == CALLS, "sink bound %d sockets" % len(ports)

        md = Mediad(work, prompts)
        time.sleep(0.5)
        rss_idle = rss_kb(md.pid)
        made = md.batch([("endpoint.create", {"call_id": "ivr-%d" % i, "leg": "caller",
                                              "symmetric": False}) for i in range(CALLS)])
        if any(m is None for m in made):
            raise SystemExit("endpoint.create failed (MD_PORTS %s too small?)" % MD_PORTS)
        ids = [m["endpoint_id"] for m in made]
        md.batch([("endpoint.remote", {"endpoint_id": e, "address": "127.0.0.1", "port": p,
                                       "payload_types": [0, 101]}) for e, p in zip(ids, ports)])
        k = max(1, CALLS // 10) if KEYS else 0
        te_calls = list(range(0, k))            # RFC 4733 keys
        inband_calls = list(range(k, 2 * k))    # in-band keys in G.711 audio
        md.batch([("dtmf.detect", {"endpoint_id": ids[i], "enable": True})
                  for i in te_calls + inband_calls])
        rss_endpoints = rss_kb(md.pid)
        sets = [("en", ["main_menu"]), ("cmn", ["main_menu"]), ("en", ["music/default"])]
        t_play = time.monotonic()
        res = md.batch([("play.start", {"endpoint_id": e, "prompts": sets[i % 3][1],
                                        "language": sets[i % 3][0], "loop": True})
                        for i, e in enumerate(ids)])
        if any(r is None for r in res):
            raise SystemExit("play.start failed")
        log("%d calls playing (started in %.0f ms)" % (CALLS, (time.monotonic() - t_play) * 1000))

        sub = md.subscribe()
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        dests = [("127.0.0.1", m["port"]) for m in made]
        silence = b"\xff" * 160
        keys = "0123456789*#"
        lows = [941, 697, 697, 697, 770, 770, 770, 852, 852, 852, 941, 941]
        highs = [1336, 1209, 1336, 1477, 1209, 1336, 1477, 1209, 1336, 1477, 1209, 1477]
        tones = [dtmf_frames(lo, hi) for lo, hi in zip(lows, highs)]
        seq = [0] * CALLS
        ts = [0] * CALLS
        sent = {"rfc4733": 0, "inband": 0}
        seen = {"rfc4733": 0, "inband": 0}
        wrong = 0

        def tick(n, counting):
            """One 20 ms step: audio to in-band callers, event packets to RFC 4733 callers.
            Each caller presses key (i % 12) for 100 ms once a second, staggered by i."""
            nonlocal wrong
            for i in inband_calls:
                phase = (n + i) % 50
                key = i % 12
                pay = tones[key][phase] if phase < 5 else silence
                tx.sendto(struct.pack("!BBHII", 0x80, 0, seq[i] & 0xFFFF, ts[i] & 0xFFFFFFFF, i)
                          + pay, dests[i])
                seq[i] += 1
                ts[i] += 160
                if phase == 4 and counting:
                    sent["inband"] += 1
            for i in te_calls:
                phase = (n + i) % 50
                if phase >= 8:
                    continue
                end = phase >= 5
                dur = 800 if end else (phase + 1) * 160
                pay = struct.pack("!BBH", i % 12, (0x80 if end else 0) | 10, dur)
                tx.sendto(struct.pack("!BBHII", 0x80, 101 | (0x80 if phase == 0 else 0),
                                      seq[i] & 0xFFFF, ts[i] & 0xFFFFFFFF, i) + pay, dests[i])
                seq[i] += 1
                if phase == 7:
                    ts[i] += 8000
                    if counting:
                        sent["rfc4733"] += 1
            while sub.poll(0):
                ev = json.loads(sub.recv_multipart()[-1])
                if counting:
                    seen[ev["method"]] += 1
                    idx = ids.index(ev["endpoint_id"])
                    if ev["digit"] != keys[idx % 12]:
                        wrong += 1

        n = 0
        t_next = time.monotonic()
        t_warm_end = t_next + WARM
        while time.monotonic() < t_warm_end:
            tick(n, False)
            n += 1
            t_next += 0.02
            time.sleep(max(0, t_next - time.monotonic()))
        # measure
        st0 = md.status()
        cpu0, t0 = cpu_ticks(md.pid), time.monotonic()
        sink.stdin.write("go\n")
        sink.stdin.flush()
        n_start = n
        while time.monotonic() < t0 + DUR:
            tick(n, n - n_start >= 10 and time.monotonic() < t0 + DUR - 0.3)
            n += 1
            t_next += 0.02
            time.sleep(max(0, t_next - time.monotonic()))
        cpu1, t1 = cpu_ticks(md.pid), time.monotonic()
        st1 = md.status()
        rss_playing = rss_kb(md.pid)
        for _ in range(30):  # the last keys' events
            tick(n, False)
            n += 1
            time.sleep(0.02)
        result = json.loads(sink.stdout.readline())
        sink.wait(10)

        wall = t1 - t0
        cpu_s = (cpu1 - cpu0) / CLK_TCK
        gen = st1["play_packets"] - st0["play_packets"]
        log("")
        log("calls                      %d (each a looping prompt; %d with RFC 4733 keys, %d with "
            "in-band keys)" % (CALLS, len(te_calls), len(inband_calls)))
        log("window                     %.1f s" % wall)
        log("generated packets          %d (%.0f/s; expected %d/s)" % (gen, gen / wall, CALLS * 50))
        log("mediad CPU                 %.1f %% of one core" % (100 * cpu_s / wall))
        log("CPU per generated packet   %.2f us (all of mediad's CPU, incl. DTMF input)"
            % (cpu_s * 1e6 / max(gen, 1)))
        log("receiver packets / lost    %d / %d" % (result["packets"], result["lost"]))
        log("gap jitter |gap-20ms|      p50 %d us, p90 %d us, p99 %d us, p99.9 %d us, max %d us"
            % (result["p50_us"], result["p90_us"], result["p99_us"], result["p999_us"],
               result["max_us"]))
        late1 = st1["play_late_1ms"] - st0["play_late_1ms"]
        late5 = st1["play_late_5ms"] - st0["play_late_5ms"]
        log("mediad send lateness       >1 ms: %.3f %%, >5 ms: %.4f %%, max %.1f ms (since start)"
            % (100 * late1 / max(gen, 1), 100 * late5 / max(gen, 1), st1["play_late_max_us"] / 1000))
        log("keys detected / sent       rfc4733 %d / %d, inband %d / %d, wrong digit %d"
            % (seen["rfc4733"], sent["rfc4733"], seen["inband"], sent["inband"], wrong))
        log("mediad RSS                 idle %d KB, with endpoints %d KB, playing %d KB"
            % (rss_idle, rss_endpoints, rss_playing))
        log("prompts in memory          %d files, %d KB (PCMU + PCMA)"
            % (st1["prompts_cached"], st1["prompt_bytes"] // 1024))
        per_call = (rss_playing - rss_idle - st1["prompt_bytes"] / 1024) / CALLS
        log("memory per call            %.1f KB (RSS growth minus prompts, over %d calls)"
            % (per_call, CALLS))
        md.batch([("endpoint.delete", {"endpoint_id": e}) for e in ids])
        sub.close()
        tx.close()
    finally:
        stop(sink)
        if md:
            md.sock.close()
            stop(md.proc)
            md.log.close()
        if not os.environ.get("KEEP"):
            import shutil
            shutil.rmtree(work, ignore_errors=True)
        else:
            log("kept %s" % work)


if __name__ == "__main__":
    sys.exit(main())
