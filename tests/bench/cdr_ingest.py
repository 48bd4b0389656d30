#!/usr/bin/python3
"""cdr_ingest.py - how many of sipproxy's call events per second the real cdrd makes
durable in Postgres, exactly-once (each batch's rows and its bus cursor in one
transaction), into the partitioned history tables.

A stand-in for sipproxy (tests/helpers/fake_pub.py: sipproxy's PUB and ROUTER, its
envelope and replay) publishes --calls answered calls of four events each (created,
ringing, answered, ended with both legs' media figures: one cdrs row and two cdr_legs
rows per call; the calls overlap, as on a busy system, so calls_active is written when a
call starts and when it ends), encoded beforehand, at --rate events per second (0: as
fast as it can). The figure is events / (time from the first event published to the
cursor in bus_cursors reaching the last one), so only what Postgres has committed counts;
also the steady rate over the middle of the run, and the CPU seconds of cdrd (and of its
three busiest threads: the loop, the writer, ZMQ's), of its Postgres backends and of the
publisher. The cluster runs with fsync and synchronous_commit on unless --fsync says off
(the tests' clusters have them off). Afterwards every call has exactly one CDR.

Is the generator fast enough? It publishes 160,000 events in 1-4 s (40,000-150,000/s,
publish_s), while cdrd takes 4.5-13 s; a run where publishing takes most of the time is
flagged "generator-bound". Up to 50,000 calls fit in the PUB and SUB buffers (100,000
events each); beyond that cdrd replays what was dropped from the stand-in's ring (pages of
1,000), and the figure then includes that path.

--old-bin DIR runs another build's cdrd (e.g. main's, built from `git archive main`)
alternately with this one on the same cluster, so both meet the same noise. DIR's ccctl
migrates from DIR/../deploy/migrations, so that build's migrations must sit there when
the schemas differ (its daemons refuse a newer schema).

Figures (2 shared cores; docs/REPORTS.md has the table, docs/ARCHITECTURE.md "CDR ingest"
the design): main's cdrd 7,000-14,000 events/s, this one 12,000-35,000 (35,158 fsync on at
load 2.5; 12,000-20,000 at load 5-6); CPU per event, cdrd plus backend, 61-84 us before,
38-51 us then; with the scanned decoder, COPY for calls_active and schema 32, 20-28 us
against main's 36-48 in the same runs (13,000-33,000 events/s at load 3.5-11). Paced
(--calls 100000 --rate 60000) with the machine otherwise quiet: 46,000-54,000 stored per
second, median 52,000 (docs/REPORTS.md, Ingest): the 50,000/s aimed at, when the box's two
cores are not shared.

Release build (CC_BIN_DIR, default bin/), its own Postgres clusters, processes stopped by
PID. Prints figures, no pass/fail (exit 1 only when a run produced no figure).

    tests/bench/cdr_ingest.py [--calls 40000] [--rate 0] [--flush-events 200]
                              [--fsync "on off"] [--old-bin DIR] [--repeat N]
"""

import argparse
import os
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
os.environ.setdefault("CC_BIN_DIR", str(REPO / "bin"))
sys.path.insert(0, str(REPO / "tests"))
import suite as sm  # noqa: E402
from helpers.fake_pub import FakePublisher, call_events  # noqa: E402


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def threads_cpu_s(pid):
    """{thread name and id: CPU seconds} of a process's threads."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                name = f.read().strip()
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out["%s/%s" % (name, tid)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def one_run(cluster, calls, rate, flush_events, gap_us):
    s = sm.Suite(cluster, name="cdr_ingest", daemons=["cdrd"],
                 config={"common.log_level": "warn",
                         "cdrd.flush_events": str(flush_events)})
    pub = FakePublisher(s.run_dir)
    try:
        s.start()
        t_base = int(time.time() * 1_000_000) - 86_400_000_000
        events = []
        for i in range(calls):
            cid = "bench-%d" % i
            for etype, ts, fields in call_events(cid, t_base + i * gap_us,
                                                 talk_ms=30_000 + (i * 7919) % 120_000,
                                                 caller="555%07d" % i,
                                                 answered_by="2%03d" % (i % 500)):
                events.append((ts, etype, cid, fields))
        events.sort(key=lambda e: e[0])  # calls overlap, as on a busy system
        frames = [pub.encode(etype, ts, cid, fields) for ts, etype, cid, fields in events]
        del events
        last = pub.last_seq
        conn = s.connect()
        samples = []
        done = threading.Event()

        def watch():
            cur = conn.cursor()
            while not done.is_set():
                cur.execute("SELECT seq FROM bus_cursors WHERE consumer = 'cdrd'")
                row = cur.fetchone()
                seq = row[0] if row else 0
                samples.append((time.monotonic(), seq))
                if seq >= last:
                    done.set()
                    break
                time.sleep(0.02)

        pid = s.pid("cdrd")
        # cdrd's backends: its main connection (start-up, history) and its writer thread's
        time.sleep(0.3)
        backends = [r[0] for r in s.psql(
            "SELECT pid FROM pg_stat_activity WHERE usename = 'cc_cdrd'", role="postgres")]
        cdrd_cpu0, pub_cpu0 = cpu_s(pid), time.process_time()
        threads0 = threads_cpu_s(pid)
        pg_cpu0 = sum(cpu_s(b) for b in backends)
        watcher = threading.Thread(target=watch, daemon=True)
        t0 = time.monotonic()
        watcher.start()
        step = 1000
        for i in range(0, len(frames), step):
            for f in frames[i:i + step]:
                pub.send_encoded(f)
            if rate:
                ahead = t0 + (i + step) / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        t_sent = time.monotonic()
        done.wait(600)
        watcher.join(5)
        if not samples or samples[-1][1] < last:
            return None
        t_end = samples[-1][0]
        cdrd_cpu = cpu_s(pid) - cdrd_cpu0
        threads = threads_cpu_s(pid)
        busy = sorted((round(v - threads0.get(k, 0), 2) for k, v in threads.items()),
                      reverse=True)
        pg_cpu = sum(cpu_s(b) for b in backends) - pg_cpu0
        pub_cpu = time.process_time() - pub_cpu0
        lo = [t for t, q in samples if q >= last * 0.2]
        hi = [t for t, q in samples if q >= last * 0.8]
        steady = None
        if lo and hi and hi[0] > lo[0]:
            q_lo = next(q for t, q in samples if t == lo[0])
            q_hi = next(q for t, q in samples if t == hi[0])
            steady = (q_hi - q_lo) / (hi[0] - lo[0])
        # once everything is stored cdrd must go quiet (a loop spinning on a signal shows)
        time.sleep(0.5)
        idle0 = cpu_s(pid)
        time.sleep(1.0)
        idle_cpu = cpu_s(pid) - idle0
        counts = s.psql("SELECT count(*), count(DISTINCT call_id) FROM cdrs")[0]
        legs = s.psql("SELECT count(*) FROM cdr_legs")[0][0]
        details = s.bus_call("cdrd", "status")["result"]["details"]
        conn.close()
        return {"events": last, "calls": calls, "rate_asked": rate or "max",
                "flush_events": flush_events,
                "publish_s": round(t_sent - t0, 2), "durable_s": round(t_end - t0, 2),
                "events_per_s": round(last / (t_end - t0)),
                "steady_events_per_s": round(steady) if steady else None,
                "calls_per_s": round(calls / (t_end - t0)),
                "cdrd_cpu_s": round(cdrd_cpu, 2),
                "cdrd_threads_cpu_s": ",".join(str(v) for v in busy[:3]),
                "pg_backend_cpu_s": round(pg_cpu, 2),
                "publisher_cpu_s": round(pub_cpu, 2),
                "cdrd_idle_cpu_s_per_s": round(idle_cpu, 2),
                "cdrs": counts[0], "distinct_calls": counts[1], "legs": legs,
                "batches": details.get("batches"), "events_lost": details.get("events_lost")}
    finally:
        pub.close()
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=40000,
                    help="4 events per call; up to 50,000 calls (200,000 events) fit in the "
                         "publisher's and cdrd's socket buffers, beyond that the run measures "
                         "replays from the stand-in's ring too")
    ap.add_argument("--rate", type=int, default=0,
                    help="events per second, 0: as fast as possible")
    ap.add_argument("--gap-ms", type=int, default=10,
                    help="time between two calls' starts in the events' ts; with talk times "
                         "of 30-150 s, 10 ms means some 9,000 calls up at once")
    ap.add_argument("--flush-events", default="200",
                    help="[cdrd] flush_events values to run with (200 is the default)")
    ap.add_argument("--fsync", default="on",
                    help="'on', 'off' or 'on off': the cluster's fsync and synchronous_commit "
                         "(a cluster per setting)")
    ap.add_argument("--old-bin", default="",
                    help="a directory with another build's cdrd (e.g. main's) run alternately "
                         "with this one, A B A B, so a shared machine's noise hits both")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each variant")
    a = ap.parse_args()
    variants = [("new", sm.BIN_DIR)]
    if a.old_bin:
        variants.insert(0, ("old", Path(a.old_bin).resolve()))
    failed = False
    for fsync in a.fsync.split():
        cluster = sm.PgCluster()
        # fsync and synchronous commit on: durable means durable (the tests' clusters: off)
        cluster.env["CC_PG_FAST"] = "0" if fsync == "on" else "1"
        cluster.start()
        try:
            for _ in range(a.repeat):
                for fe in (int(x) for x in a.flush_events.split()):
                    for label, bin_dir in variants:
                        sm.BIN_DIR = bin_dir
                        with open("/proc/loadavg") as f:
                            load = f.read().split()[0]
                        res = one_run(cluster, a.calls, a.rate, fe, a.gap_ms * 1000)
                        if res is None:
                            print("%s fsync=%s flush_events=%d: cdrd did not store every event"
                                  % (label, fsync, fe))
                            failed = True
                            continue
                        # the stand-in publishes far faster than cdrd stores (publish_s is a
                        # fraction of durable_s); if not, the figure is the generator's
                        if res["publish_s"] > 0.8 * res["durable_s"]:
                            res["note"] = "generator-bound"
                        print("build=%s fsync=%s load=%s " % (label, fsync, load) +
                              " ".join("%s=%s" % kv for kv in res.items()), flush=True)
        finally:
            cluster.cleanup()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
