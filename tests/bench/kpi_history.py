#!/usr/bin/python3
"""kpi_history.py - the report views over a year of synthetic history, before and after
migration 014 (monthly partitions and the report indexes).

A database is migrated to schema 13, filled in SQL (generate_series) with --calls calls
spread evenly over the last 365 days: each a CDR with two legs; 85% answered by one of 200
agents in one of 5 queues (queue_log entered, offered, answered, completed; agent states
on_call, wrap_up, ready), 10% abandoned, 5% overflowed. Then each query below runs as
cc_bi (best of --repeat, after one warm-up), migration 014 is applied (its time is a
figure too: what an upgrade costs), and the queries run again.

Queries, for a day and a month in the middle of the year and one agent:
  day      v_queue_stats_daily WHERE day = D                 (as BI tools write it)
  day_raw  v_queue_calls WHERE entered_at in [D, D+1), grouped by queue
  day_cdr  v_cdr WHERE created_at in [D, D+1), counted by disposition
  month    v_queue_stats_daily WHERE day in [M, M+1 month)
  month_raw v_queue_calls WHERE entered_at in the month, grouped by queue
  agent    v_agent_stats_daily WHERE ext = A AND day in the month
  agent_raw v_agent_calls WHERE agent = A AND completed_at in the month

Release build (ccctl from CC_BIN_DIR, default bin/), its own Postgres cluster. Prints
figures; no pass/fail.

    tests/bench/kpi_history.py [--calls 1000000] [--repeat 3]
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
os.environ.setdefault("CC_BIN_DIR", str(REPO / "bin"))
sys.path.insert(0, str(REPO / "tests"))
import suite as sm  # noqa: E402

GENERATE = """
SET TIME ZONE 'UTC';
CREATE TEMP TABLE gen AS
SELECT i,
       now() - interval '365 days' + (i * interval '365 days' / %(n)s) AS t,
       (i * 7919) %% 100 AS k,
       '2' || lpad(((i * 131) %% 200)::text, 3, '0') AS agent,
       'q' || (i %% 5) AS queue,
       5 + (i * 17) %% 60 AS wait_s,
       60 + (i * 29) %% 400 AS talk_s
  FROM generate_series(1::bigint, %(n)s) i;
INSERT INTO cdrs (call_id, caller, callee, direction, trunk, route_kind, route_target,
                  answered_by, created_at, answered_at, ended_at, ring_ms, talk_ms,
                  disposition, hangup_side, sip_code, reason, event_id)
SELECT 'c' || i, '49' || (1000000 + (i * 7919) %% 900000), '600', 'inbound', 'carrier',
       'queue', queue, CASE WHEN k < 85 THEN agent ELSE 'queue:' || queue END, t,
       t + wait_s * interval '1 s',
       t + (wait_s + CASE WHEN k < 85 THEN talk_s ELSE 0 END) * interval '1 s',
       wait_s * 1000, CASE WHEN k < 85 THEN talk_s * 1000 ELSE 0 END,
       CASE WHEN k < 85 THEN 'answered' ELSE 'abandoned' END, 'caller', 200,
       'caller hung up', 'sipproxy:1:' || i
  FROM gen;
INSERT INTO cdr_legs (call_id, leg, packets_in, bytes_in, packets_out, bytes_out, lost,
                      out_of_order, jitter_ms, max_gap_ms)
SELECT 'c' || i, leg, 1500, 258000, 1500, 258000, 2, 0, 1.5, 40
  FROM gen, (VALUES ('caller'), ('callee')) l(leg);
INSERT INTO queue_log (ts, call_id, queue, event, agent, caller, priority, wait_s, talk_s,
                       position, in_sl, detail)
SELECT t, 'c' || i, queue, 'entered', NULL::text, '49', 0, NULL::float8, NULL::float8, 1,
       NULL::boolean, NULL::text FROM gen
UNION ALL
SELECT t + (wait_s - 3) * interval '1 s', 'c' || i, queue, 'offered', agent, '49', 0, NULL,
       NULL, NULL, NULL, NULL FROM gen WHERE k < 85
UNION ALL
SELECT t + wait_s * interval '1 s', 'c' || i, queue, 'answered', agent, '49', 0, wait_s,
       NULL, NULL, wait_s <= 20, NULL FROM gen WHERE k < 85
UNION ALL
SELECT t + (wait_s + talk_s) * interval '1 s', 'c' || i, queue, 'completed', agent, '49', 0,
       NULL, talk_s, NULL, NULL, NULL FROM gen WHERE k < 85
UNION ALL
SELECT t + wait_s * interval '1 s', 'c' || i, queue, 'abandoned', NULL, '49', 0, wait_s,
       NULL, 2, wait_s <= 20, NULL FROM gen WHERE k >= 85 AND k < 95
UNION ALL
SELECT t + wait_s * interval '1 s', 'c' || i, queue, 'overflowed', NULL, '49', 0, wait_s,
       NULL, NULL, NULL, 'timeout/hangup:' FROM gen WHERE k >= 95;
INSERT INTO agent_state_history (ext, state, reason, previous, started_at, previous_s)
SELECT agent, 'on_call', '', 'ready', t + wait_s * interval '1 s', 30 FROM gen WHERE k < 85
UNION ALL
SELECT agent, 'wrap_up', '', 'on_call', t + (wait_s + talk_s) * interval '1 s', talk_s
  FROM gen WHERE k < 85
UNION ALL
SELECT agent, 'ready', '', 'wrap_up', t + (wait_s + talk_s + 10) * interval '1 s', 10
  FROM gen WHERE k < 85;
"""

QUERIES = [
    ("day", "SELECT * FROM v_queue_stats_daily WHERE day = %(d)s::timestamptz"),
    ("day_raw", "SELECT queue, count(*), avg(answer_wait_s) FROM v_queue_calls "
                "WHERE entered_at >= %(d)s::timestamptz "
                "AND entered_at < %(d)s::timestamptz + interval '1 day' GROUP BY queue"),
    ("day_cdr", "SELECT disposition, count(*), avg(caller_jitter_ms) FROM v_cdr "
                "WHERE created_at >= %(d)s::timestamptz "
                "AND created_at < %(d)s::timestamptz + interval '1 day' GROUP BY 1"),
    ("month", "SELECT * FROM v_queue_stats_daily WHERE day >= %(m)s::timestamptz "
              "AND day < %(m)s::timestamptz + interval '1 month'"),
    ("month_raw", "SELECT queue, count(*), avg(answer_wait_s) FROM v_queue_calls "
                  "WHERE entered_at >= %(m)s::timestamptz "
                  "AND entered_at < %(m)s::timestamptz + interval '1 month' GROUP BY queue"),
    ("agent", "SELECT * FROM v_agent_stats_daily WHERE ext = %(a)s "
              "AND day >= %(m)s::timestamptz AND day < %(m)s::timestamptz + interval '1 month'"),
    ("agent_raw", "SELECT count(*), sum(talk_s) FROM v_agent_calls WHERE agent = %(a)s "
                  "AND completed_at >= %(m)s::timestamptz "
                  "AND completed_at < %(m)s::timestamptz + interval '1 month'"),
]


def timed(conn, sql, params, repeat):
    cur = conn.cursor()
    cur.execute(sql, params)
    rows = cur.fetchall()
    best = None
    for _ in range(repeat):
        t0 = time.monotonic()
        cur.execute(sql, params)
        cur.fetchall()
        took = time.monotonic() - t0
        best = took if best is None else min(best, took)
    return best, len(rows)


def run_queries(s, params, repeat, label):
    conn = s.connect("cc_bi")
    conn.cursor().execute("SET TIME ZONE 'UTC'")
    out = {}
    for name, sql in QUERIES:
        best, nrows = timed(conn, sql, params, repeat)
        out[name] = best
        print("%-6s %-9s %8.1f ms  (%d rows)" % (label, name, best * 1000, nrows), flush=True)
    conn.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    cluster = sm.PgCluster().start()
    old = Path(tempfile.mkdtemp(prefix="cc-kpi-mig-"))
    try:
        s = sm.Suite(cluster, name="kpi_history", daemons=[], migrate=False)
        for f in sorted((REPO / "deploy" / "migrations").glob("*.sql")):
            if int(f.name.split("_")[0]) < 14:
                (old / f.name).symlink_to(f)
        s.ccctl("migrate", "--dir", str(old), check=True)
        t0 = time.monotonic()
        s.psql(GENERATE % {"n": a.calls})
        s.psql("VACUUM ANALYZE", role="postgres")
        sizes = s.psql("SELECT (SELECT count(*) FROM cdrs), (SELECT count(*) FROM queue_log), "
                       "(SELECT count(*) FROM agent_state_history), "
                       "pg_size_pretty(pg_database_size(current_database()))")[0]
        print("generated calls=%d cdrs=%d queue_log=%d agent_state_history=%d db=%s in %.0f s"
              % (a.calls, sizes[0], sizes[1], sizes[2], sizes[3], time.monotonic() - t0),
              flush=True)
        day, month = s.psql("SELECT date_trunc('day', now() - interval '180 days')::text, "
                            "date_trunc('month', now() - interval '180 days')::text")[0]
        params = {"d": day, "m": month, "a": "2042"}
        before = run_queries(s, params, a.repeat, "before")
        t0 = time.monotonic()
        s.ccctl("migrate", check=True, timeout=3600)
        took = time.monotonic() - t0
        s.psql("ANALYZE", role="postgres")
        print("migration 014 (partitioning %d calls' history) took %.0f s" % (a.calls, took),
              flush=True)
        after = run_queries(s, params, a.repeat, "after")
        print("calls=%d day=%s month=%s agent=%s" % (a.calls, day[:10], month[:7], params["a"]))
        for name, _ in QUERIES:
            print("%-9s before %8.1f ms  after %8.1f ms"
                  % (name, before[name] * 1000, after[name] * 1000))
        s.close()
    finally:
        cluster.cleanup()
        shutil.rmtree(old, ignore_errors=True)


if __name__ == "__main__":
    main()
