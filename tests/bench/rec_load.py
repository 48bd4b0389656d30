#!/usr/bin/python3
"""rec_load.py - recording many calls at once: mediad tapping, recorderd writing.

For each load (CALLS, default "100 500 1000") two runs, alternating which goes first:
  plain   N bridged calls set up directly on mediad over its bus (endpoint.create/remote/
          connect, as mediad_relay.py does), driven by ../shared/bench-anchors/rtpgen
          (G.711-sized RTP, 20 ms, both ways = 100 packets/s per call);
  tapped  the same, plus rec.start of every call to the real recorderd (which has mediad
          tap both endpoints and writes one stereo WAV per call).
WARM seconds unmeasured, then DUR seconds measured. Printed per run (figures, no pass/fail):
  loss and mediad's CPU-us per relayed packet (rtpgen -p, utime+stime from /proc);
  tapped only: recorderd CPU %, bytes per second written (growth of the recordings on disk
  and /proc/<pid>/io write_bytes), tap frames mediad sent / dropped (its status), frames
  recorderd received, late and lost (its status, and frames_lost summed over the index),
  how long stopping N recordings took until every row was closed, and the files' total
  duration against the time the calls were recorded.
Then the tap cost: tapped minus plain CPU-us per packet at each load.

Usage:  tests/bench/rec_load.py            (needs the release build in bin/: `make`)
  env:  CALLS="100 500 1000" DUR=10 WARM=2 REPEAT=1 CC_BIN_DIR=bin
        MD_PORTS=12000-16999 GEN_BASE=61000 KEEP=1 (keep the temp dirs)
        PERF=DIR (perf record -g of recorderd through each tapped run, into DIR)
Postgres: a private cluster from deploy/local/pg.sh (as the tests use). Traffic stays on
127.0.0.1; every process started here is stopped by its PID."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
os.environ.setdefault("CC_BIN_DIR", str(REPO / "bin"))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "bench"))

import suite as sm  # noqa: E402
from mediad_relay import build_rtpgen, parse_rtpgen  # noqa: E402

CALLS = [int(x) for x in os.environ.get("CALLS", "100 500 1000").split()]
DUR = float(os.environ.get("DUR", "10"))
WARM = float(os.environ.get("WARM", "2"))
REPEAT = int(os.environ.get("REPEAT", "1"))
MD_PORTS = os.environ.get("MD_PORTS", "12000-16999")
GEN_BASE = int(os.environ.get("GEN_BASE", "61000"))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(msg, flush=True)


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def io_bytes(pid):
    out = {}
    try:
        for line in open("/proc/%d/io" % pid):
            k, v = line.split(":")
            out[k] = int(v)
    except OSError:
        pass
    return out


def tree_bytes(root):
    total = 0
    for d, _, files in os.walk(root):
        for f in files:
            try:
                total += os.stat(os.path.join(d, f)).st_size
            except OSError:
                pass
    return total


class Bus:
    """One DEALER to a daemon's ROUTER: commands pipelined, replies matched by req."""

    def __init__(self, endpoint):
        import zmq
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SNDHWM, 0)
        self.sock.setsockopt(zmq.RCVHWM, 0)
        self.sock.connect(endpoint)

    def batch(self, cmds, timeout=60.0):
        reqs = []
        for cmd, args in cmds:
            req = uuid.uuid4().hex[:12]
            reqs.append(req)
            self.sock.send(json.dumps({"type": cmd, "req": req, "args": args}).encode())
        got = {}
        deadline = time.time() + timeout
        while len(got) < len(reqs) and time.time() < deadline:
            if self.sock.poll(100):
                r = json.loads(self.sock.recv_multipart()[-1])
                got[r.get("req")] = r
        return [got.get(r) for r in reqs]

    def call(self, cmd, args=None, timeout=10.0):
        r = self.batch([(cmd, args or {})], timeout)[0]
        return (r or {}).get("result") if r and r.get("ok") else None

    def close(self):
        self.sock.close()


def ok_result(r):
    return r.get("result") or {} if r and r.get("ok") else None


class Bench:
    def __init__(self, work):
        self.cluster = sm.PgCluster().start()
        self.s = sm.Suite(self.cluster, name="rec_load", daemons=["mediad", "recorderd"],
                          watchdog_usec=0,
                          config={"common.rtp_ports": MD_PORTS, "common.log_level": "warn",
                                  "mediad.media_timeout": "0",
                                  "recorderd.retention_interval": "86400"})
        self.s.start()
        self.md = Bus(self.s.cmd_endpoint("mediad"))
        self.rec = Bus(self.s.cmd_endpoint("recorderd"))
        self.work = work
        self.rtpgen = build_rtpgen(work)
        self.rec_dir = self.s.var_dir / "recordings"
        self.run_no = 0

    def status(self, daemon):
        bus = self.md if daemon == "mediad" else self.rec
        st = bus.call("status") or {}
        return st.get("details", st)

    def setup(self, n):
        self.run_no += 1
        tag = "r%d" % self.run_no
        made = [ok_result(r) for r in self.md.batch(
            [("endpoint.create", {"call_id": "bench-%s-%d" % (tag, i), "leg": leg})
             for i in range(n) for leg in ("caller", "callee")])]
        if any(m is None for m in made):
            raise SystemExit("mediad: endpoint.create failed:\n" + self.s.log_tail("mediad"))
        cmds, pairs, calls = [], [], []
        for i in range(n):
            a, b = made[2 * i], made[2 * i + 1]
            pa, pb = GEN_BASE + 2 * i, GEN_BASE + 2 * i + 1
            cmds += [("endpoint.remote", {"endpoint_id": a["endpoint_id"],
                                          "address": "127.0.0.1", "port": pa}),
                     ("endpoint.remote", {"endpoint_id": b["endpoint_id"],
                                          "address": "127.0.0.1", "port": pb}),
                     ("endpoint.connect", {"endpoint_a": a["endpoint_id"],
                                           "endpoint_b": b["endpoint_id"]})]
            pairs += [(pa, a["port"]), (pb, b["port"])]
            calls.append(("bench-%s-%d" % (tag, i), a["endpoint_id"], b["endpoint_id"]))
        if any(ok_result(r) is None for r in self.md.batch(cmds)):
            raise SystemExit("mediad: endpoint.remote/connect failed")
        legs = self.work / ("legs-%s.txt" % tag)
        legs.write_text("".join("%d 127.0.0.1 %d\n" % p for p in pairs))
        return calls, legs

    def teardown(self, calls):
        eps = [e for _, a, b in calls for e in (a, b)]
        self.md.batch([("endpoint.delete", {"endpoint_id": e}) for e in eps])

    def rec_start(self, calls):
        t0 = time.time()
        res = self.rec.batch([("rec.start", {"call_id": cid, "caller_endpoint": a,
                                             "callee_endpoint": b, "caller": "1001",
                                             "callee": "1002"})
                              for cid, a, b in calls], timeout=120)
        bad = [r for r in res if ok_result(r) is None]
        if bad:
            raise SystemExit("rec.start failed %d/%d: %s" % (len(bad), len(calls), bad[:2]))
        deadline = time.time() + 30  # tap.start goes from recorderd to mediad afterwards
        while self.status("mediad").get("taps", 0) < len(calls) and time.time() < deadline:
            time.sleep(0.1)
        return time.time() - t0

    def rec_stop(self, calls):
        t0 = time.time()
        self.rec.batch([("rec.stop", {"call_id": cid}) for cid, _, _ in calls], timeout=120)
        deadline = time.time() + 300
        while time.time() < deadline:
            st = self.status("recorderd")
            if st.get("recording", 1) == 0:
                break
            time.sleep(0.1)
        return time.time() - t0

    def index(self, calls):
        rows = self.s.psql("SELECT count(*), count(*) FILTER (WHERE complete), "
                           "coalesce(sum(frames_lost), 0), coalesce(sum(duration_ms), 0), "
                           "coalesce(sum(size), 0) FROM recordings WHERE call_id = ANY(%s)",
                           ([c for c, _, _ in calls],))
        return rows[0]

    def run(self, n, tapped):
        calls, legs = self.setup(n)
        f = {"calls": n, "mode": "tapped" if tapped else "plain"}
        md_pid, rec_pid = self.s.pid("mediad"), self.s.pid("recorderd")
        perf = None
        if tapped and os.environ.get("PERF"):
            out = Path(os.environ["PERF"]) / ("recorderd-%d.data" % n)
            perf = subprocess.Popen(["perf", "record", "-q", "-g", "-F", "499", "-o", str(out),
                                     "-p", str(rec_pid)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        t_rec0 = time.time()
        if tapped:
            f["start_s"] = self.rec_start(calls)
        gen = subprocess.Popen([str(self.rtpgen), "-f", str(legs), "-d", str(DUR), "-w",
                                str(WARM), "-p", str(md_pid)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        time.sleep(WARM)
        snap0 = (time.time(), cpu_s(rec_pid), io_bytes(rec_pid), tree_bytes(self.rec_dir),
                 self.status("mediad"), self.status("recorderd"))
        time.sleep(DUR)
        snap1 = (time.time(), cpu_s(rec_pid), io_bytes(rec_pid), tree_bytes(self.rec_dir),
                 self.status("mediad"), self.status("recorderd"))
        out, _ = gen.communicate(timeout=DUR + WARM + 60)
        f.update(parse_rtpgen(out))
        if f.get("us_per_pkt") is None:
            log("# rtpgen output:\n" + out)
        if tapped:
            f["stop_s"] = self.rec_stop(calls)
            t_rec1 = time.time()
            if perf:
                perf.send_signal(2)
                perf.wait(30)
            dt = snap1[0] - snap0[0]
            d = lambda i, k: snap1[i].get(k, 0) - snap0[i].get(k, 0)  # noqa: E731
            f["rec_cpu_pct"] = 100 * (snap1[1] - snap0[1]) / dt
            f["disk_Bps"] = (snap1[3] - snap0[3]) / dt
            f["write_Bps"] = d(2, "write_bytes") / dt
            f["wchar_Bps"] = d(2, "wchar") / dt
            f["tap_frames_ps"] = d(4, "tap_frames") / dt
            f["tap_dropped"] = d(4, "tap_frames_dropped")
            f["tap_batches_dropped"] = d(4, "tap_batches_dropped")
            f["rec_frames_ps"] = d(5, "tap_frames") / dt
            f["rec_us_per_frame"] = 1e6 * (snap1[1] - snap0[1]) / max(1, d(5, "tap_frames"))
            st = self.status("mediad")
            f["tap_dropped_total"] = st.get("tap_frames_dropped", 0)
            count, complete, lost, dur_ms, size = map(int, self.index(calls))
            f.update(rows=count, complete=complete, frames_lost=lost,
                     rec_audio_s=dur_ms / 1000.0 / max(1, count),
                     wall_s=t_rec1 - t_rec0, mb=size / 1e6)
        self.teardown(calls)
        return f

    def close(self):
        self.md.close()
        self.rec.close()
        try:
            self.s.close()
        finally:
            self.cluster.cleanup()


def line(f):
    s = ("calls=%-5d %-6s loss=%.3f%% mediad_cpu=%.1f%% us_per_pkt=%.2f p99=%dus gen_cpu=%.1f%%"
         % (f["calls"], f["mode"], f["loss_pct"], f.get("relay_cpu_pct", -1),
            f.get("us_per_pkt", -1), f["p99_us"], f.get("gen_cpu_pct", -1)))
    if f["mode"] == "tapped":
        s += ("\n    recorderd_cpu=%.1f%% us_per_frame=%.2f disk=%.2fMB/s write_bytes=%.2fMB/s "
              "wchar=%.2fMB/s\n    tap_frames/s=%.0f rec_frames/s=%.0f tap_dropped=%d "
              "(batches %d) index: rows=%d complete=%d frames_lost=%d size=%.1fMB\n"
              "    audio/call=%.2fs (first rec.start to last close %.2fs); rec.start x%d %.2fs, "
              "rec.stop..closed %.2fs" % (
                  f["rec_cpu_pct"], f["rec_us_per_frame"], f["disk_Bps"] / 1e6,
                  f["write_Bps"] / 1e6, f["wchar_Bps"] / 1e6, f["tap_frames_ps"],
                  f["rec_frames_ps"], f["tap_dropped"], f["tap_batches_dropped"], f["rows"],
                  f["complete"], f["frames_lost"], f["mb"], f["rec_audio_s"], f["wall_s"],
                  f["calls"], f["start_s"], f["stop_s"]))
    return s


def main():
    for exe in ("mediad", "recorderd", "ccctl"):
        if not os.access(sm.BIN_DIR / exe, os.X_OK):
            raise SystemExit("no %s in %s: build with make" % (exe, sm.BIN_DIR))
    work = Path(tempfile.mkdtemp(prefix="bench-rec-"))
    log("# rec_load nproc=%d load=%s dur=%ss warm=%ss repeat=%d bin=%s" % (
        os.cpu_count(), open("/proc/loadavg").read().split()[:3], DUR, WARM, REPEAT,
        sm.BIN_DIR))
    b = Bench(work)
    results = {}
    try:
        for rep in range(REPEAT):
            for k, n in enumerate(CALLS):
                order = (False, True) if (rep + k) % 2 == 0 else (True, False)
                for tapped in order:
                    f = b.run(n, tapped)
                    results.setdefault((n, tapped), []).append(f)
                    log(line(f))
                    time.sleep(2)
    finally:
        st = b.status("recorderd")
        log("# recorderd status: %s" % json.dumps(st, sort_keys=True))
        b.close()
    log("# tap cost (medians of %d): mediad CPU-us per relayed packet, tapped vs plain" % REPEAT)
    for n in CALLS:
        med = {t: statistics.median(f.get("us_per_pkt", 0) for f in results.get((n, t), []))
               for t in (False, True) if results.get((n, t))}
        if len(med) == 2:
            log("calls=%-5d plain=%.2f tapped=%.2f extra=%.2f us/pkt (%+.0f%%)" % (
                n, med[False], med[True], med[True] - med[False],
                100 * (med[True] - med[False]) / max(0.01, med[False])))
    if not os.environ.get("KEEP"):
        import shutil
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
