#!/usr/bin/python3
"""recovery_bench.py - how fast the call path recovers from its daemons' crashes.

For each N in --calls (default 100 500): N calls are set up from a sipp trunk through
sipproxy + mediad + cdrd to a sipp trunk and held, then

  mediad: killed with SIGKILL and started again; the figure is the time from the new
          mediad's start to the last call.media_restored (every call's endpoints back on
          their ids and ports, so the phones are heard again), and sipproxy's own account
          (media.restore_done ms=, from the old mediad's loss to the end of the restore);
  sipproxy: killed with SIGKILL and started again; the figure is how fast mediad lets go of
          the dead calls' endpoints: 2N endpoints freed, from the new sipproxy's start to
          mediad holding none, as endpoints per second.

Release build (CC_BIN_DIR, default bin/), 127.0.0.1 only, every process stopped by PID.
Prints one line per measurement and exits 1 when a measurement produced no figure.

    tests/bench/recovery_bench.py [--calls "100 500"] [--rounds 1]
"""

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
os.environ.setdefault("CC_BIN_DIR", str(REPO / "bin"))
sys.path.insert(0, str(REPO / "tests"))
import suite as sm  # noqa: E402
from helpers.trunks import Trunks  # noqa: E402


def status(s, daemon):
    return s.bus_call(daemon, "status")["result"]["details"]


def wait(cond, timeout, step=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return False


def hold_calls(s, t, n):
    """n calls up and held (they end by themselves long after the measurement)."""
    placed = {}
    rate = 100 if n > 100 else 50
    th = threading.Thread(target=lambda: placed.update(
        t.place(rate, n, "-d", "600000", timeout=900)), daemon=True)
    th.start()
    if not wait(lambda: status(s, "sipproxy")["calls"] >= n, 60, 0.2):
        raise RuntimeError("only %d of %d calls came up" % (status(s, "sipproxy")["calls"], n))
    return th


def mediad_restart(s, n):
    sub = s.subscribe(["sipproxy"], prefix="call.media_restored")
    time.sleep(0.3)
    s.kill9("mediad")
    time.sleep(1.5)  # systemd's RestartSec would do the same
    t0 = time.monotonic()
    s.restart("mediad", wait=False)
    restored, last = 0, None
    deadline = time.monotonic() + 30
    while restored < n and time.monotonic() < deadline:
        ev = sub.recv(0.5)
        if ev:
            restored += 1
            last = time.monotonic()
    sub.close()
    ms_log = None
    for line in reversed(s.log("sipproxy").splitlines()):
        if "event=media.restore_done" in line:
            ms_log = int(line.split(" ms=")[1].split()[0])
            break
    if restored < n or last is None:
        return None
    s.wait_ready("mediad", timeout=30)
    return {"restored": restored, "ms": round((last - t0) * 1000, 1), "sipproxy_ms": ms_log}


def sipproxy_restart(s, n):
    before = status(s, "mediad")["endpoints"]
    s.kill9("sipproxy")
    time.sleep(1.5)
    t0 = time.monotonic()
    s.restart("sipproxy", wait=False)
    if not wait(lambda: s.running("sipproxy") and status(s, "mediad")["endpoints"] == 0, 30):
        return None
    took = time.monotonic() - t0
    return {"endpoints": before, "s": round(took, 3), "freed_per_s": round(before / took)}


def one_round(cluster, n):
    out = {}
    s = sm.Suite(cluster, name="recovery_bench",
                 daemons=["sipproxy", "mediad", "cdrd"],
                 config={"common.log_level": "info", "common.rtp_ports": "61000-65499",
                         "mediad.port_quarantine_ms": "500",
                         "sipproxy.media_sync_interval": "5"})
    work = sm.make_tempdir("cc-recovery-bench-")
    t = Trunks(s, work)
    try:
        s.start()
        t.start_uas()
        hold_calls(s, t, n)
        out["mediad"] = mediad_restart(s, n)
        out["sipproxy"] = sipproxy_restart(s, n)
    finally:
        t.close()
        s.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", default="100 500")
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()
    cluster = sm.PgCluster().start()
    missing = []
    try:
        for n in (int(x) for x in a.calls.split()):
            med, sip = [], []
            for r in range(a.rounds):
                res = one_round(cluster, n)
                print("calls=%d round=%d mediad_restart=%s sipproxy_restart=%s"
                      % (n, r + 1, res["mediad"], res["sipproxy"]), flush=True)
                if res["mediad"]:
                    med.append(res["mediad"]["ms"])
                if res["sipproxy"]:
                    sip.append(res["sipproxy"]["freed_per_s"])
            if med:
                print("calls=%d mediad restart -> every call's audio restored: median %.0f ms"
                      % (n, statistics.median(med)))
            else:
                missing.append("mediad restart with %d calls" % n)
            if sip:
                print("calls=%d sipproxy restart -> endpoints freed per second: median %d"
                      % (n, statistics.median(sip)))
            else:
                missing.append("sipproxy restart with %d calls" % n)
    finally:
        cluster.cleanup()
    if missing:
        print("no figure for: %s" % "; ".join(missing), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
