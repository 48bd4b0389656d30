#!/usr/bin/python3
"""rtp_sip_bench.py - media relay through SIP: the suite beside Kamailio + rtpengine.

The shared anchor script rtp_relay.sh sets up N calls THROUGH a SIP target with its own
UAC/UAS (rtp_sip.py: INVITE sip:9000@target from a trunk, the target routes 9. to the
UAS), so the relay ports come from the SDP the target rewrote, then streams G.711-sized
RTP both ways through them with rtpgen and reports loss, the relay's CPU and CPU-us per
relayed packet, and the transit delay. This driver runs it against

  suite:   sipproxy + mediad + cdrd started here (tests/suite.py, throwaway Postgres);
           trunk bench_in = 127.0.0.1:UAC_PORT (the UAC), trunk bench_out =
           127.0.0.1:UAS_PORT, route 9. -> bench_out; relay process = mediad
  anchor:  Kamailio + rtpengine userspace (run_kamailio_anchor.sh, port 5061, its state in
           a private ANCHOR_RUN_DIR); relay process = rtpengine

alternating target and anchor in each round (the order flips every round) so both see
the same machine noise, and prints one line per run, the medians and suite/anchor ratios.

    tests/bench/rtp_sip_bench.py [--rounds 2] [--calls "100 500 1000"] [--dur 10]
Env: CC_BIN_DIR (default bin/), CC_BENCH_ANCHORS (default shared/bench-anchors beside the
     repo or a parent of it), SUITE_RTP_PORTS (10000-29999: mediad's [common] rtp_ports,
     below the kernel's ephemeral range), UAS_PORT (5072) UAC_PORT (5075), RTP_BASE
     (61000): the generator binds RTP_BASE..+4N with SO_REUSEADDR, so that range must lie
     outside the ephemeral range (32768-60999 here; an outgoing socket could hold a port
     of it) and be free: both are checked before every run.
Exits 1, naming the reason, when a run produced no figure (a level with no loss/CPU figure
or fewer calls established than asked). Only 127.0.0.1; every process started here is
stopped by its PID.
"""

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
os.environ.setdefault("CC_BIN_DIR", str(REPO / "bin"))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import suite as sm  # noqa: E402
import sip_load_lib as ll  # noqa: E402

ANCHORS = ll.anchors_dir(REPO)
UAS_PORT = int(os.environ.get("UAS_PORT", "5072"))
UAC_PORT = int(os.environ.get("UAC_PORT", "5075"))
RTP_BASE = int(os.environ.get("RTP_BASE", "61000"))
SUITE_RTP_PORTS = os.environ.get("SUITE_RTP_PORTS", "10000-29999")
KEYS = ("loss", "relay_cpu", "us_per_pkt", "p50", "p99", "established")


def load1():
    return float(open("/proc/loadavg").read().split()[0])


def parse_summary(out):
    """rtp_relay.sh summary lines -> {calls: {key: float}}."""
    res = {}
    summary = out.split("# summary", 1)[-1]
    for ln in summary.splitlines():
        m = re.match(r"calls=(\d+) (.*)", ln.strip())
        if not m:
            continue
        f = {}
        for k, v in re.findall(r"(\w+)=([-\d.]+)(?:%|us)?", m.group(2)):
            try:
                f[k] = float(v)
            except ValueError:
                pass
        res[int(m.group(1))] = f
    return res


def check_ports(calls):
    """Raise RuntimeError unless this run's fixed ports are usable: the generator's
    RTP_BASE..RTP_BASE+4N-1 above or below the ephemeral range and free, the SIP ports free,
    the suite's RTP range outside the ephemeral range."""
    top = RTP_BASE + 4 * max(calls) - 1
    if top > 65535:
        raise RuntimeError("RTP_BASE=%d leaves no room for %d calls" % (RTP_BASE, max(calls)))
    if ll.overlaps_ephemeral(RTP_BASE, top):
        raise RuntimeError("generator ports %d-%d overlap the ephemeral range %d-%d: set "
                           "RTP_BASE" % ((RTP_BASE, top) + ll.ephemeral_range()))
    lo, hi = (int(x) for x in SUITE_RTP_PORTS.split("-"))
    if ll.overlaps_ephemeral(lo, hi):
        raise RuntimeError("SUITE_RTP_PORTS=%s overlaps the ephemeral range %d-%d"
                           % ((SUITE_RTP_PORTS,) + ll.ephemeral_range()))
    busy = [p for p in range(RTP_BASE, top + 1) if not ll.udp_port_free(p)]
    if busy:
        raise RuntimeError("generator ports busy (another generator?): %s" % busy[:10])
    ll.check_ports_free([UAS_PORT, UAC_PORT])


def rtp_relay(target, relay_pids, calls, dur, work, label):
    check_ports(calls)
    env = dict(os.environ, CALLS=" ".join(map(str, calls)), DUR=str(dur),
               UAS_PORT=str(UAS_PORT), UAC_PORT=str(UAC_PORT), RTP_BASE=str(RTP_BASE),
               RELAY_PIDS=" ".join(map(str, relay_pids)))
    l0 = load1()
    t0 = time.time()
    r = subprocess.run([str(ANCHORS / "rtp_relay.sh"), target], env=env, capture_output=True,
                       text=True, timeout=600 + 60 * len(calls))
    (work / ("%s-%d.out" % (label, int(t0)))).write_text(r.stdout + r.stderr)
    res = parse_summary(r.stdout)
    for n in calls:
        f = res.setdefault(n, {})
        f["load"] = max(l0, load1())
        print("%-6s calls=%-5d loss=%s%% relay_cpu=%s%% us_per_pkt=%s p50=%sus p99=%sus "
              "established=%s load=%.1f" % (
                  label, n, f.get("loss", "?"), f.get("relay_cpu", "?"), f.get("us_per_pkt", "?"),
                  f.get("p50", "?"), f.get("p99", "?"), f.get("established", "?"), f["load"]),
              flush=True)
    if not res or any(not res[n].get("established") for n in calls):
        print(r.stdout[-3000:] + r.stderr[-2000:], flush=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--calls", default="100 500 1000")
    ap.add_argument("--dur", type=int, default=10)
    ap.add_argument("--max-load", type=float, default=3.0,
                    help="before each run wait up to 60 s for the 1-min load to drop below this")
    a = ap.parse_args()
    # SIGTERM ends the run through the finally below (suite, Kamailio, Postgres stopped)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    calls = [int(x) for x in a.calls.split()]
    work = Path(tempfile.mkdtemp(prefix="rtp_sip_bench-"))
    anchor_run = work / "anchor"
    anchor_run.mkdir()
    kam = ANCHORS / "run_kamailio_anchor.sh"
    kenv = dict(os.environ, UAS_PORT=str(UAS_PORT), ANCHOR_RUN_DIR=str(anchor_run))
    print("# rtp_sip_bench nproc=%d load=%s calls=%s dur=%ds rounds=%d work=%s" % (
        os.cpu_count(), open("/proc/loadavg").read().split()[:3], calls, a.dur, a.rounds, work),
        flush=True)

    cluster = sm.PgCluster().start()
    s = None
    results = {"suite": [], "anchor": []}
    failures = []
    try:
        # two RTP endpoints per call, a port pair each; mediad skips ports that are busy
        # (the harness hands out random ports in 10000-31999 too)
        check_ports(calls)
        s = sm.Suite(cluster, name="rtp_sip_bench", daemons=["sipproxy", "mediad", "cdrd"],
                     config={"common.log_level": "warn", "common.rtp_ports": SUITE_RTP_PORTS})
        s.ccctl("trunk", "add", "bench_in", "--host", "127.0.0.1:%d" % UAC_PORT, check=True)
        s.ccctl("trunk", "add", "bench_out", "--host", "127.0.0.1:%d" % UAS_PORT, check=True)
        s.ccctl("route", "add", "9.", "trunk:bench_out", check=True)
        s.start()
        subprocess.run([str(kam), "start"], env=kenv, check=True, capture_output=True)
        rtpe_pid = int((anchor_run / "rtpengine.pid").read_text())
        targets = {
            "suite": ("127.0.0.1:%d" % s.sip_port, [s.pid("mediad")]),
            "anchor": ("127.0.0.1:5061", [rtpe_pid]),
        }
        for rnd in range(a.rounds):
            order = ["suite", "anchor"] if rnd % 2 == 0 else ["anchor", "suite"]
            for name in order:
                for _ in range(12):
                    if load1() < a.max_load:
                        break
                    time.sleep(5)
                target, pids = targets[name]
                results[name].append(rtp_relay(target, pids, calls, a.dur, work, name))
                time.sleep(3)
        st = s.bus_call("mediad", "status")
        print("# mediad status: %s" % st.get("result", {}).get("details"), flush=True)
    except (RuntimeError, OSError, sm.HarnessError, subprocess.SubprocessError) as e:
        failures.append("run stopped: %s" % e)
        print("# FAILED: %s" % e, flush=True)
    finally:
        subprocess.run([str(kam), "stop"], env=kenv, capture_output=True)
        if s:
            try:
                s.close()
            except Exception as e:  # noqa: BLE001 - report and go on cleaning up
                print("# suite close: %s" % e)
        cluster.cleanup()

    print("# summary (medians of %d rounds; suite relay = mediad, anchor relay = rtpengine)"
          % a.rounds)
    for n in calls:
        med = {}
        for name in ("suite", "anchor"):
            runs = [r.get(n, {}) for r in results[name]]
            med[name] = {k: statistics.median(r[k] for r in runs if k in r)
                         for k in KEYS + ("load",) if any(k in r for r in runs)}
            m = med[name]
            print("%-6s calls=%-5d loss=%.3f%% relay_cpu=%.1f%% us_per_pkt=%.2f p50=%dus "
                  "p99=%dus established=%d load=%.1f" % (
                      name, n, m.get("loss", -1), m.get("relay_cpu", -1),
                      m.get("us_per_pkt", -1), m.get("p50", -1), m.get("p99", -1),
                      m.get("established", -1), m.get("load", -1)), flush=True)
        for name in ("suite", "anchor"):
            m = med[name]
            missing = [k for k in ("loss", "relay_cpu", "us_per_pkt") if m.get(k, -1) < 0]
            if missing or m.get("established", 0) < n:
                failures.append("%s calls=%d: no figure for %s, established %s of %d" % (
                    name, n, ",".join(missing) or "-", m.get("established", 0), n))
        su, an = med["suite"], med["anchor"]
        if su.get("us_per_pkt", 0) > 0 and an.get("us_per_pkt", 0) > 0:
            print("ratio calls=%d suite/anchor us_per_pkt=%.2f relay_cpu=%.2f p99=%.2f" % (
                n, su["us_per_pkt"] / an["us_per_pkt"],
                su["relay_cpu"] / max(0.01, an["relay_cpu"]),
                su.get("p99", 0) / max(1, an.get("p99", 1))), flush=True)
    if failures:
        for f in failures:
            print("# FAILED: %s" % f, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
