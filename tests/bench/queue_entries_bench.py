#!/usr/bin/python3
"""queue_entries_bench.py - what keeping v_queue_calls' rows stored (migration 036: the
queue_entries trigger on queue_log) costs acdd's writer, and what it saves a report.

acdd writes one queue_log row per queue event with single-row INSERTs (acd_db.c's
statements), several per transaction. This bench does the same as cc_acdd: --calls calls
of four to five events each (entered, offered, answered, completed; one in ten
abandoned), --batch rows per transaction, with the trigger on and off in alternating
rounds on the same database, and prints the time and the backend's CPU per event. Then
it asks v_queue_calls for the last hour both ways: from the stored rows, and computed
(queue_entries_from_log, the old per-entry query).

Its own Postgres cluster (fsync off, as the tests'), psycopg2; prints figures, no
pass/fail (exit 1 only if a round stored the wrong number of rows).

    tests/bench/queue_entries_bench.py [--calls 5000] [--batch 20] [--rounds 3]
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

ENTERED = ("INSERT INTO queue_log (ts, call_id, queue, event, caller, priority, position, "
           "detail, expected_wait_s, skill, skill_level) VALUES (to_timestamp(%s / 1000.0), "
           "%s, %s, 'entered', %s, 0, 1, NULL, 20, NULL, NULL)")
EVENT = ("INSERT INTO queue_log (ts, call_id, queue, event, agent, caller, priority, wait_s, "
         "talk_s, position, in_sl, detail) VALUES (to_timestamp(%s / 1000.0), %s, %s, %s, %s, "
         "%s, 0, %s, %s, %s, %s, NULL)")


def events(tag, calls, t0_ms):
    """The rows acdd would write for `calls` calls, in the order it writes them."""
    out = []
    for i in range(calls):
        cid, q, t = "%s-%d" % (tag, i), "q%d" % (i % 5), t0_ms + i * 200
        out.append((ENTERED, (t, cid, q, "4930%06d" % i)))
        if i % 10 == 9:
            out.append((EVENT, (t + 30000, cid, q, "abandoned", None, "49", 30.0, None, 2, None)))
            continue
        agent = "2%03d" % (i % 200)
        out.append((EVENT, (t + 3000, cid, q, "offered", agent, "49", None, None, None, None)))
        out.append((EVENT, (t + 6000, cid, q, "answered", agent, "49", 6.0, None, None, True)))
        out.append((EVENT, (t + 90000, cid, q, "completed", agent, "49", None, 84.0, None,
                            None)))
    out.sort(key=lambda e: e[1][0])  # acdd writes them as they happen
    return out


def backend_cpu_s(conn):
    pid = conn.get_backend_pid()
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_round(s, tag, calls, batch, trigger):
    s.psql("ALTER TABLE queue_log %s TRIGGER queue_entries_track"
           % ("ENABLE" if trigger else "DISABLE"), role="postgres")
    rows = events(tag, calls, int(time.time() * 1000) - 3_600_000)
    conn = s.connect("cc_acdd")
    cur = conn.cursor()
    cpu0, t0 = backend_cpu_s(conn), time.monotonic()
    for k in range(0, len(rows), batch):
        for sql, params in rows[k:k + batch]:
            cur.execute(sql, params)
        conn.commit()
    took, cpu = time.monotonic() - t0, backend_cpu_s(conn) - cpu0
    conn.close()
    stored = s.psql("SELECT count(*) FROM queue_entries WHERE call_id LIKE %s",
                    (tag + "-%",))[0][0]
    return len(rows), took, cpu, stored


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=20, help="rows per transaction")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of each, alternating")
    a = ap.parse_args()
    cluster = sm.PgCluster().start()
    failed = False
    try:
        s = sm.Suite(cluster, name="queue_entries_bench", daemons=[])
        for r in range(a.rounds):
            order = (True, False) if r % 2 == 0 else (False, True)
            for trigger in order:
                tag = "r%d%s" % (r, "t" if trigger else "n")
                n, took, cpu, stored = one_round(s, tag, a.calls, a.batch, trigger)
                want = a.calls if trigger else 0
                if stored != want:
                    print("round %d trigger=%s: %d queue_entries rows, expected %d"
                          % (r, trigger, stored, want))
                    failed = True
                print("round=%d trigger=%s events=%d us_per_event=%.1f "
                      "backend_cpu_us_per_event=%.1f" % (r, "on" if trigger else "off", n,
                                                         took / n * 1e6, cpu / n * 1e6),
                      flush=True)
        s.psql("SELECT cc_queue_entries_rebuild()", role="postgres")
        s.psql("ANALYZE", role="postgres")
        conn = s.connect("postgres")  # the computed view is internal, not granted to cc_bi
        cur = conn.cursor()
        for label, src in (("stored", "v_queue_calls"), ("computed", "queue_entries_from_log")):
            sql = ("SELECT queue, count(*), avg(answer_wait_s) FROM %s "
                   "WHERE entered_at >= now() - interval '2 hours' GROUP BY queue" % src)
            cur.execute(sql)  # warm-up
            best = None
            for _ in range(3):
                t0 = time.monotonic()
                cur.execute(sql)
                cur.fetchall()
                best = min(best or 1e9, time.monotonic() - t0)
            print("report=%s last_2h_per_queue_ms=%.1f" % (label, best * 1000), flush=True)
        conn.close()
        s.close()
    finally:
        cluster.cleanup()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
