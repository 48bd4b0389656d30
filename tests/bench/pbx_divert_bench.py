#!/usr/bin/python3
"""pbx_divert_bench.py - what per-extension routing costs at call set-up: the same calls
(sipp UAC on trunk 'near' -> sipproxy -> trunk 'far' -> sipp UAS, 0 s calls, no RTP)
dialled three ways, one after the other at the same fixed rate:

  direct   9555...         a dialplan route straight to the trunk
  forward  2001            an extension forwarding always to number:9555 (one diversion)
  group    3000            a ring group (order) of two extensions with no phone (each
                           skipped at once, 480) whose fallback is number:9555 (three steps)

For each: calls ok/failed, wall seconds for the batch, and sipproxy's CPU microseconds per
call (utime+stime from /proc over the batch). Release build (CC_BIN_DIR, default bin/), its
own Postgres cluster and daemons (sipproxy, mediad), all stopped at the end. Prints
figures; exit 1 only when a batch produced nothing.

    tests/bench/pbx_divert_bench.py [--rate 50] [--calls 500]
"""

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
os.environ.setdefault("CC_BIN_DIR", str(REPO / "bin"))
sys.path.insert(0, str(REPO / "tests"))
import suite as sm  # noqa: E402
from helpers.trunks import Trunks  # noqa: E402


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=50, help="calls per second")
    ap.add_argument("--calls", type=int, default=500, help="calls per case")
    a = ap.parse_args()
    cluster = sm.PgCluster().start()
    s = sm.Suite(cluster, name="pbx_divert_bench", daemons=["sipproxy", "mediad"],
                 config={"common.log_level": "warn"})
    trunks = None
    failed = False
    try:
        trunks = Trunks(s, s.var_dir)
        for ext in ("2001", "2002", "2003"):
            s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
        s.ccctl("user", "forward", "2001", "always", "number:95550000", check=True)
        s.ccctl("ringgroup", "add", "bench", "3000", "--members", "2002,2003", "--mode", "order",
                "--fallback", "number:95550000", check=True)
        s.start()
        trunks.start_uas()
        pid = s.pid("sipproxy")
        for case, number in (("direct", "95550000"), ("forward", "2001"), ("group", "3000")):
            c0, t0 = cpu_s(pid), time.monotonic()
            res = trunks.place(a.rate, a.calls, number=number, name=case, timeout=120)
            wall, cpu = time.monotonic() - t0, cpu_s(pid) - c0
            if res["ok"] == 0:
                failed = True
            if res["failed"]:
                err = s.var_dir / ("%s_err.log" % case)
                lines = err.read_text(errors="replace").splitlines() if err.exists() else []
                why = sorted({ln.split(": ", 1)[-1][:120] for ln in lines if "aborting" in ln})
                print("# %s: %d failed; sipp: %s" % (case, res["failed"], why[:2]))
            print("case=%s number=%s rate=%d calls=%d ok=%d failed=%d wall_s=%.1f "
                  "sipproxy_cpu_us_per_call=%.0f" % (case, number, a.rate, res["created"],
                                                      res["ok"], res["failed"], wall,
                                                      cpu * 1e6 / max(1, res["created"])),
                  flush=True)
            time.sleep(2.0)  # the UAS's lingering calls
    finally:
        if trunks:
            trunks.close()
        s.close()
        cluster.cleanup()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
