#!/usr/bin/python3
"""vm_deposit_bench.py - what leaving voicemail costs: callers (a sipp UAC on trunk 'near',
tests/bench/vm_deposit_uac.xml) dial a number routed to a mailbox (vm:2001), hear the
greeting and the beep while sending a 660 Hz tone as RTP (sipp rtp_stream, PCMU), and hang
up after --hold seconds: a message ended by hang-up, recorded by recorderd and indexed
by ivrd. For each level of concurrency (callers at once):

  deposits       messages stored (voicemail_messages rows) of the calls placed
  deposits_per_s messages stored per wall second of the batch (first INVITE to the last
                 message indexed)
  message_ms     mean length of the messages stored (what was recorded after the beep)
  cpu_ms_per_s_per_deposit
                 CPU (utime+stime from /proc) of sipproxy, mediad, ivrd and recorderd
                 together, per wall second (cpu_ms_per_s), less what they spend with no
                 call (idle_cpu_ms_per_s, measured for 6 s before the first level),
                 divided by the deposits in progress, measured while every caller is
                 recording (from the last caller's beep to shortly before the first
                 hangs up). /proc counts 10 ms ticks: small levels are noisy.

Release build (CC_BIN_DIR, default bin/), its own Postgres cluster and daemons, all
stopped at the end. Prints figures and the load average; exit 1 only when a level stored
nothing. The machine is shared: read the figures with the load average beside them.

    tests/bench/vm_deposit_bench.py [--levels 10,40] [--hold 40] [--rate 10]
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
os.environ.setdefault("CC_BIN_DIR", str(REPO / "bin"))
sys.path.insert(0, str(REPO / "tests"))
import suite as sm  # noqa: E402
from helpers.bus import wait_until  # noqa: E402
from helpers.trunks import Trunks  # noqa: E402

DAEMONS = ["sipproxy", "mediad", "ivrd", "recorderd"]
SCENARIO = Path(__file__).resolve().parent / "vm_deposit_uac.xml"


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_all(pids):
    return sum(cpu_s(p) for p in pids)


def stored(s):
    return s.psql("SELECT count(*) FROM voicemail_messages WHERE mailbox = '2001'")[0][0]


def idle_cpu(s, seconds=6.0):
    """CPU seconds per second the daemons spend with no call (heartbeats, timers)."""
    pids = [s.pid(d) for d in DAEMONS]
    c0, w0 = cpu_all(pids), time.monotonic()
    time.sleep(seconds)
    return (cpu_all(pids) - c0) / (time.monotonic() - w0)


def level(s, trunks, tone, n, hold, rate, greeting, idle):
    """n callers placed at `rate` per second, each staying `hold` s of which the first
    `greeting` s are the greeting and the beep: a dict of figures."""
    pids = [s.pid(d) for d in DAEMONS]
    before = stored(s)
    last_id = s.psql("SELECT coalesce(max(id), 0) FROM voicemail_messages")[0][0]
    stat = s.var_dir / ("vm%d_stat.csv" % n)
    cmd = ["sipp", "127.0.0.1:%d" % s.sip_port, "-sf", str(SCENARIO), "-s", "2001",
           "-i", "127.0.0.1", "-p", str(trunks.uac_port), "-mp", str(sm.free_port(span=4)),
           "-r", str(rate), "-m", str(n), "-l", str(n),
           "-d", str(hold * 1000), "-recv_timeout", "30000", "-timeout", str(hold + 120),
           "-nostdin", "-trace_stat", "-stf", str(stat), "-fd", "1", "-trace_err",
           "-error_file", str(s.var_dir / ("vm%d_err.log" % n))]
    t0 = time.monotonic()
    uac = subprocess.Popen(cmd, cwd=s.var_dir, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    # every caller is in and recording: from the last caller's beep to shortly before the
    # first one hangs up
    ramp = n / rate
    time.sleep(ramp + greeting + 0.5)
    window = max(2.0, hold - greeting - ramp - 2.0)
    c0, w0 = cpu_all(pids), time.monotonic()
    time.sleep(window)
    steady_cpu, steady_wall = cpu_all(pids) - c0, time.monotonic() - w0
    uac.wait(hold + 180)
    try:
        wait_until(lambda: stored(s) - before >= n, timeout=30, step=0.5,
                   what="messages indexed")
    except AssertionError:
        pass
    wall = time.monotonic() - t0
    got = stored(s) - before
    mean_ms = s.psql("SELECT coalesce(avg(duration_ms), 0) FROM voicemail_messages "
                     "WHERE id > %s", (last_id,))[0][0]
    lines = [ln for ln in stat.read_text().splitlines() if ln.strip()] if stat.exists() else []
    ok = failed = 0
    if len(lines) > 1:
        head, last = lines[0].split(";"), lines[-1].split(";")
        ok, failed = int(last[head.index("SuccessfulCall(C)")]), int(
            last[head.index("FailedCall(C)")])
    return {"callers": n, "ok": ok, "failed": failed, "deposits": got, "wall_s": wall,
            "deposits_per_s": got / wall if wall else 0.0,
            "message_ms": float(mean_ms),
            "cpu_ms_per_s": steady_cpu * 1000 / steady_wall,
            "cpu_ms_per_s_per_deposit": (steady_cpu / steady_wall - idle) * 1000 / n}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--levels", default="10,40", help="callers at once, comma separated")
    ap.add_argument("--hold", type=int, default=40, help="seconds each caller stays")
    ap.add_argument("--greeting", type=float, default=12.5,
                    help="seconds from the answer to the beep (the default greeting)")
    ap.add_argument("--rate", type=int, default=10, help="callers placed per second")
    a = ap.parse_args()
    levels = [int(x) for x in a.levels.split(",") if x.strip()]
    cluster = sm.PgCluster().start()
    s = sm.Suite(cluster, name="vm_deposit_bench", daemons=DAEMONS,
                 config={"common.log_level": os.environ.get("CC_BENCH_LOG", "warn"), "voicemail.silence_s": "0",
                         "mediad.media_timeout": "0"})
    trunks = None
    failed = False
    try:
        trunks = Trunks(s, s.var_dir)
        s.ccctl("user", "add", "2001", "--password", "secret2001", check=True)
        s.ccctl("voicemail", "add", "2001", check=True)
        s.ccctl("route", "add", "2001", "vm:2001", check=True)
        s.start()
        tone = s.var_dir / "tone660.ulaw"  # the scenario's rtp_stream, by this name
        subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-e", "u-law", "-t", "raw",
                        str(tone), "synth", "10", "sine", "660", "vol", "0.5"], check=True)
        idle = idle_cpu(s)
        print("idle_cpu_ms_per_s=%.1f (sipproxy+mediad+ivrd+recorderd, no call)" % (idle * 1000))
        for n in levels:
            r = level(s, trunks, tone, n, a.hold, a.rate, a.greeting, idle)
            if r["deposits"] == 0:
                failed = True
            print("callers=%d hold_s=%d ok=%d failed=%d deposits=%d message_ms=%.0f wall_s=%.1f "
                  "deposits_per_s=%.2f cpu_ms_per_s=%.1f cpu_ms_per_s_per_deposit=%.2f "
                  "loadavg=%s"
                  % (r["callers"], a.hold, r["ok"], r["failed"], r["deposits"], r["message_ms"],
                     r["wall_s"], r["deposits_per_s"], r["cpu_ms_per_s"],
                     r["cpu_ms_per_s_per_deposit"],
                     " ".join(open("/proc/loadavg").read().split()[:3])), flush=True)
            time.sleep(2.0)
    finally:
        if trunks:
            trunks.close()
        s.close()
        cluster.cleanup()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
