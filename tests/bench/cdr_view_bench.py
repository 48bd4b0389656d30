#!/usr/bin/python3
"""cdr_view_bench.py - v_cdr over monthly partitions: a day, a month and a year of calls,
with Postgres' partitionwise joins off and on in the same run (migration 020 turns them on
for the database; here each measurement sets it for its own session).

N synthetic calls (default 300,000) spread evenly over 2026, two legs each, in the months'
partitions made by cc_history_add_month as cdrd makes them; then ANALYZE. Queries:
  day    v_cdr created in 2026-06-05, per disposition (as kpi_history.py's day_cdr)
  month  the same for June
  year   every call, per disposition
Best of --repeat runs each. Needs only Postgres and ccctl (CC_BIN_DIR, default bin/).

    tests/bench/cdr_view_bench.py [--calls 300000] [--repeat 3]
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

DAY = ("SELECT disposition, count(*), avg(caller_jitter_ms) FROM v_cdr "
       "WHERE created_at >= '2026-06-05' AND created_at < timestamptz '2026-06-05' + "
       "interval '1 day' GROUP BY 1")
QUERIES = [("day", DAY),
           ("month", DAY.replace("2026-06-05", "2026-06-01").replace("'1 day'", "'1 month'")),
           ("year", "SELECT disposition, count(*), avg(caller_jitter_ms) FROM v_cdr GROUP BY 1")]


def load(s, n):
    for m in range(1, 13):
        for parent in ("cdrs", "cdr_legs"):
            s.psql("SELECT cc_history_add_month(%s, 'created_at', %s::date)",
                   (parent, "2026-%02d-01" % m))
    step = 365.0 * 86400 / n
    s.psql("INSERT INTO cdrs (call_id, caller, callee, direction, created_at, ended_at, "
           "ring_ms, talk_ms, disposition, hangup_side, sip_code, reason, event_id) "
           "SELECT 'c' || g, '555' || g, '600', 'inbound', "
           "timestamptz '2026-01-01' + (g * %s) * interval '1 second', "
           "timestamptz '2026-01-01' + (g * %s + 60) * interval '1 second', "
           "1000, 60000, CASE WHEN g %% 7 = 0 THEN 'abandoned' ELSE 'answered' END, "
           "'caller', 200, '', 'e' || g FROM generate_series(1, %s) g", (step, step, n))
    s.psql("INSERT INTO cdr_legs (call_id, leg, packets_in, packets_out, lost, jitter_ms, "
           "max_gap_ms, created_at) SELECT call_id, l, 3000, 3000, 0, 1.5, 40, created_at "
           "FROM cdrs, (VALUES ('caller'), ('callee')) v(l)")
    s.psql("ANALYZE")


def measure(s, sql, partitionwise, repeat):
    conn = s.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SET enable_partitionwise_join = %s" % ("on" if partitionwise else "off"))
            best, rows = None, None
            for _ in range(repeat):
                t = time.monotonic()
                cur.execute(sql)
                rows = cur.fetchall()
                ms = (time.monotonic() - t) * 1000
                best = ms if best is None else min(best, ms)
            return best, rows
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=300000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    cluster = sm.PgCluster()
    cluster.start()
    s = None
    try:
        s = sm.Suite(cluster, name="cdr_view_bench", daemons=[])
        t = time.monotonic()
        load(s, a.calls)
        print("loaded %d calls (%d legs) in %.1f s" % (a.calls, 2 * a.calls, time.monotonic() - t))
        print("%-6s %14s %14s" % ("query", "pwj off (ms)", "pwj on (ms)"))
        ok = True
        for name, sql in QUERIES:
            off, rows_off = measure(s, sql, False, a.repeat)
            on, rows_on = measure(s, sql, True, a.repeat)
            ok = ok and sorted(rows_off) == sorted(rows_on) and bool(rows_on)
            print("%-6s %14.1f %14.1f" % (name, off, on))
        if not ok:
            print("cdr_view_bench: the two settings gave different results", file=sys.stderr)
            return 1
        return 0
    finally:
        if s:
            s.close()
        cluster.cleanup()


if __name__ == "__main__":
    sys.exit(main())
