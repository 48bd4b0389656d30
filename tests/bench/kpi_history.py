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

--direct skips the before/after: the current schema, its month partitions made first, the
same history generated straight into them with the keys and indexes dropped for the load
and built after it (1 M calls: 58 s + 34 s of index builds here; 10 M calls: 652 s + 632 s
on the shared machine, 9.3 GB, docs/REPORTS.md), then the queries.

Release build (ccctl from CC_BIN_DIR, default bin/), its own Postgres cluster. Prints
figures; no pass/fail.

--direct --upto N generates into schema N instead, runs the queries, migrates to the latest
schema (timed) and runs them again: an index or view change measured on the same data.

    tests/bench/kpi_history.py [--calls 1000000] [--repeat 3] [--direct [--upto N]]
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
       now() - interval '365 days' + interval '365 days' * (i::float8 / %(n)s) AS t,
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

# The same history straight into the current schema (--direct): the legs carry their CDR's
# created_at (the partition key since 014), and every month of the year has its partitions
# first, as cdrd's retention would have made them, so nothing lands in a default partition.
PARTITIONS = """
SELECT count(cc_history_add_month(h.name, h.key_column, m::date))
  FROM history_tables h,
       generate_series(date_trunc('month', now() - interval '366 days'),
                       date_trunc('month', now()), interval '1 month') m;
"""
GENERATE_DIRECT = GENERATE.replace(
    "out_of_order, jitter_ms, max_gap_ms)\nSELECT 'c' || i, leg, 1500, 258000, 1500, 258000, "
    "2, 0, 1.5, 40\n",
    "out_of_order, jitter_ms, max_gap_ms, created_at)\nSELECT 'c' || i, leg, 1500, 258000, "
    "1500, 258000, 2, 0, 1.5, 40, t\n")
assert GENERATE_DIRECT != GENERATE

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


def generate(s, sql, calls):
    t0 = time.monotonic()
    s.psql(sql % {"n": calls})
    s.psql("VACUUM ANALYZE", role="postgres")
    sizes = s.psql("SELECT (SELECT count(*) FROM cdrs), (SELECT count(*) FROM queue_log), "
                   "(SELECT count(*) FROM agent_state_history), "
                   "pg_size_pretty(pg_database_size(current_database()))")[0]
    print("generated calls=%d cdrs=%d queue_log=%d agent_state_history=%d db=%s in %.0f s"
          % (calls, sizes[0], sizes[1], sizes[2], sizes[3], time.monotonic() - t0), flush=True)
    day, month = s.psql("SELECT date_trunc('day', now() - interval '180 days')::text, "
                        "date_trunc('month', now() - interval '180 days')::text")[0]
    return {"d": day, "m": month, "a": "2042"}


# The keys and indexes of the tables filled below, to build once after the load (by sort)
# instead of row by row during it: the load is several times faster, the result the same.
LOADED = "ARRAY['cdrs', 'cdr_legs', 'queue_log', 'agent_state_history']::regclass[]"
SAVED_INDEXES = """
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), true
  FROM pg_constraint c
 WHERE c.conrelid = ANY (%(t)s) AND c.contype IN ('p', 'u')
UNION ALL
SELECT i.indrelid::regclass::text, x.relname, pg_get_indexdef(i.indexrelid), false
  FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
 WHERE i.indrelid = ANY (%(t)s)
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
""" % {"t": LOADED}


def without_indexes(s, load):
    """Run load() with the loaded tables' keys and indexes dropped, then make them again
    exactly as they were; returns the seconds the rebuild took."""
    saved = s.psql(SAVED_INDEXES, role="postgres")
    conn = s.connect("postgres")
    try:
        cur = conn.cursor()
        for table, name, _, is_key in saved:
            if is_key:
                cur.execute('ALTER TABLE %s DROP CONSTRAINT "%s"' % (table, name))
            else:
                cur.execute('DROP INDEX "%s"' % name)
        load()
        t0 = time.monotonic()
        cur.execute("SET maintenance_work_mem = '512MB'")
        for table, name, definition, is_key in saved:
            if is_key:
                cur.execute('ALTER TABLE %s ADD CONSTRAINT "%s" %s' % (table, name, definition))
            else:
                cur.execute(definition)
        return time.monotonic() - t0
    finally:
        conn.close()


def migrations_upto(version):
    """A directory of symlinks to the migrations up to version (the caller removes it)."""
    d = Path(tempfile.mkdtemp(prefix="cc-kpi-mig-"))
    for f in sorted((REPO / "deploy" / "migrations").glob("*.sql")):
        if int(f.name.split("_")[0]) <= version:
            (d / f.name).symlink_to(f)
    return d


def direct(cluster, a):
    """--direct: the current schema (or, with --upto, an older one, the rest migrated after
    a first round of queries), its month partitions made first, then the history in one
    set-based pass (no schema-13 detour, no migration moving rows): for 10 M calls."""
    s = sm.Suite(cluster, name="kpi_history", daemons=[], migrate=not a.upto)
    if a.upto:
        old = migrations_upto(a.upto)
        try:
            s.ccctl("migrate", "--dir", str(old), check=True)
        finally:
            shutil.rmtree(old, ignore_errors=True)
    s.psql(PARTITIONS, role="postgres")
    # Since schema 36 a trigger on queue_log keeps queue_entries (v_queue_calls' rows): off
    # for the bulk load, the table filled in one pass after it, as the migration does.
    entries = s.psql("SELECT to_regclass('queue_entries') IS NOT NULL")[0][0]
    if entries:
        s.psql("ALTER TABLE queue_log DISABLE TRIGGER queue_entries_track", role="postgres")
    params = {}
    took = without_indexes(s, lambda: params.update(generate(s, GENERATE_DIRECT, a.calls)))
    print("keys and indexes built after the load in %.0f s" % took, flush=True)
    if entries:
        t0 = time.monotonic()
        n = s.psql("SELECT cc_queue_entries_rebuild()", role="postgres")[0][0]
        s.psql("ALTER TABLE queue_log ENABLE TRIGGER queue_entries_track", role="postgres")
        print("queue_entries filled with %d rows in %.0f s" % (n, time.monotonic() - t0),
              flush=True)
    s.psql("ANALYZE", role="postgres")
    stray = s.psql("SELECT (SELECT count(*) FROM cdrs_default), "
                   "(SELECT count(*) FROM cdr_legs_default), "
                   "(SELECT count(*) FROM agent_state_history_default)")[0]
    print("rows in the default partitions (should be none): %s" % (stray,), flush=True)
    now = run_queries(s, params, a.repeat, "schema%d" % a.upto if a.upto else "now")
    later = None
    if a.upto:
        # each query's answer before the migrations, to show they did not change it
        answers = {name: sorted(map(repr, s.psql(sql, params=params, role="cc_bi")))
                   for name, sql in QUERIES}
        t0 = time.monotonic()
        s.ccctl("migrate", check=True, timeout=3600)
        print("migrations after %d took %.0f s" % (a.upto, time.monotonic() - t0), flush=True)
        s.psql("ANALYZE", role="postgres")
        later = run_queries(s, params, a.repeat, "latest")
        changed = [name for name, sql in QUERIES
                   if sorted(map(repr, s.psql(sql, params=params, role="cc_bi"))) != answers[name]]
        print("answers changed by the migrations: %s" % (", ".join(changed) or "none"),
              flush=True)
    print("calls=%d day=%s month=%s agent=%s" % (a.calls, params["d"][:10], params["m"][:7],
                                                 params["a"]))
    for name, _ in QUERIES:
        if later:
            print("%-9s schema %d %8.1f ms  latest %8.1f ms"
                  % (name, a.upto, now[name] * 1000, later[name] * 1000))
        else:
            print("%-9s %8.1f ms" % (name, now[name] * 1000))
    s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--direct", action="store_true",
                    help="only the current schema, generated straight into its partitions")
    ap.add_argument("--upto", type=int, default=0,
                    help="with --direct: generate into the schema of this version, run the "
                         "queries, then migrate to the latest and run them again")
    a = ap.parse_args()
    cluster = sm.PgCluster().start()
    if a.direct:
        try:
            direct(cluster, a)
        finally:
            cluster.cleanup()
        return
    old = Path(tempfile.mkdtemp(prefix="cc-kpi-mig-"))
    try:
        s = sm.Suite(cluster, name="kpi_history", daemons=[], migrate=False)
        for f in sorted((REPO / "deploy" / "migrations").glob("*.sql")):
            if int(f.name.split("_")[0]) < 14:
                (old / f.name).symlink_to(f)
        s.ccctl("migrate", "--dir", str(old), check=True)
        params = generate(s, GENERATE, a.calls)
        day, month = params["d"], params["m"]
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
