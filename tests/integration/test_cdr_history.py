"""test_cdr_history.py - the history tables partitioned by month (migration 014) with
cdrd's retention: cdrd drops only the partitions older than [cdrd] history_months and
makes those of the coming months; a call of any month, past, present, coming or far off,
gets its CDR and legs through the real cdrd (fed by a stand-in for sipproxy that stamps
the events with those times); and a replay of the same events after the cursor was lost
writes nothing twice."""

import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from helpers.bus import wait_until  # noqa: E402
from helpers.fake_pub import FakePublisher, call_events  # noqa: E402

KEEP = 12
AHEAD = 5
TABLES = ["agent_state_history", "cdr_legs", "cdrs"]


def month_add(ym, k):
    y, m = ym
    n = y * 12 + (m - 1) + k
    return n // 12, n % 12 + 1


def month_us(ym, day=10):
    return int(datetime(ym[0], ym[1], day, 12, tzinfo=timezone.utc).timestamp()) * 1_000_000


def partitions(s, table):
    return {r[0] for r in s.psql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass", (table,))}


def test_retention_months_and_replays(make_suite):
    s = make_suite(daemons=["cdrd"],
                   config={"cdrd.history_months": str(KEEP),
                           "cdrd.history_months_ahead": str(AHEAD),
                           "cdrd.flush_ms": "20"})
    now = datetime.now(timezone.utc)
    this = (now.year, now.month)
    # Months of an older installation: some inside the retention, some beyond it.
    old = [month_add(this, -k) for k in (KEEP - 1, KEEP, KEEP + 1, KEEP + 7)]
    for table in TABLES:
        key = s.psql("SELECT key_column FROM history_tables WHERE name = %s", (table,))[0][0]
        for ym in old:
            s.psql("SELECT cc_history_add_month(%s, %s, %s::date)",
                   (table, key, "%04d-%02d-01" % ym))
    s.psql("INSERT INTO agent_state_history (ext, state, previous, started_at) VALUES "
           "('old-kept', 'ready', 'logged_out', to_timestamp(%s / 1e6)), "
           "('old-gone', 'ready', 'logged_out', to_timestamp(%s / 1e6))",
           (month_us(month_add(this, -KEEP)), month_us(month_add(this, -KEEP - 1))))
    # and the history kept in whole tables (migration 021): rows as old lose the same way
    kept, gone = (month_us(month_add(this, -KEEP)), month_us(month_add(this, -KEEP - 1)))
    for tag, us in (("kept", kept), ("gone", gone)):
        s.psql("INSERT INTO queue_log (ts, call_id, queue, event) "
               "VALUES (to_timestamp(%s / 1e6), %s, 'q', 'entered')", (us, "old-" + tag))
        s.psql("INSERT INTO ivr_path (call_id, seq, flow, version, node, input, at) "
               "VALUES (%s, 1, 'f', 1, 'n', '', to_timestamp(%s / 1e6))", ("old-" + tag, us))
        s.psql("INSERT INTO survey_results (call_id, flow, version, question, score, at) "
               "VALUES (%s, 'f', 1, 'q', 5, to_timestamp(%s / 1e6))", ("old-" + tag, us))

    pub = FakePublisher(s.run_dir)
    try:
        s.start()
        names = lambda ym: {"%s_%04d_%02d" % (t, ym[0], ym[1]) for t in TABLES}  # noqa: E731
        for table in TABLES:
            have = partitions(s, table)
            for ym in (month_add(this, -KEEP - 1), month_add(this, -KEEP - 7)):
                assert "%s_%04d_%02d" % (table, *ym) not in have, (ym, sorted(have))
            for k in list(range(-KEEP, -KEEP + 2)) + list(range(0, AHEAD + 1)):
                ym = month_add(this, k)
                if k < 0 and ym not in old:
                    continue
                assert "%s_%04d_%02d" % (table, *ym) in have, (ym, sorted(have))
        log = s.log("cdrd")
        for ym in (month_add(this, -KEEP - 1), month_add(this, -KEEP - 7)):
            for name in names(ym):
                assert "action=dropped relation=%s " % name in log, (name, log[-2000:])
        for name in names(month_add(this, AHEAD)):
            assert "action=created relation=%s " % name in log, (name, log[-2000:])
        assert [r[0] for r in s.psql("SELECT ext FROM agent_state_history ORDER BY 1")] == \
            ["old-kept"]
        for table in ("queue_log", "ivr_path", "survey_results"):
            assert [r[0] for r in s.psql("SELECT call_id FROM %s ORDER BY 1" % table)] == \
                ["old-kept"], table
            assert "action=deleted relation=%s rows=1 " % table in log, (table, log[-2000:])

        # A call in any month: kept past, this month, a coming one, and far off both ways.
        months = [month_add(this, -KEEP), this, month_add(this, AHEAD), (1999, 7), (2071, 3)]
        calls = {}
        for i, ym in enumerate(months):
            cid = "hist-%d" % i
            calls[cid] = ym
            for etype, ts, fields in call_events(cid, month_us(ym)):
                last = pub.publish(etype, ts, cid, fields)
        cursor = lambda: s.psql(  # noqa: E731
            "SELECT seq FROM bus_cursors WHERE consumer = 'cdrd'")
        wait_until(lambda: cursor() == [(last,)], timeout=15, what="cdrd's cursor at %d" % last)
        rows = s.psql("SELECT call_id, tableoid::regclass::text, "
                      "to_char(created_at AT TIME ZONE 'UTC', 'YYYY_MM') FROM cdrs")
        assert len(rows) == len(months), rows
        for cid, table, month in rows:
            ym = calls[cid]
            assert month == "%04d_%02d" % ym, (cid, month, ym)
            want = "cdrs_default" if ym[0] in (1999, 2071) else "cdrs_%04d_%02d" % ym
            assert table == want, (cid, table, want)
        legs = s.psql("SELECT l.call_id, count(*) FROM cdr_legs l JOIN cdrs c "
                      "ON c.call_id = l.call_id AND c.created_at = l.created_at GROUP BY 1")
        assert sorted(legs) == sorted((c, 2) for c in calls), legs
        assert len(s.psql("SELECT * FROM v_cdr WHERE caller_packets_in = 1500")) == len(months)

        # The same events again: cdrd lost its cursor (as if its commit had never been
        # seen) and replays the stream from the start. Nothing may be written twice. (At
        # its start cdrd's retention deletes the 1999 call from the default partition,
        # older than history_months, so the replay writes that one again.)
        s.stop("cdrd")
        s.psql("UPDATE bus_cursors SET seq = 0 WHERE consumer = 'cdrd'")
        s.start("cdrd")
        wait_until(lambda: cursor() == [(last,)], timeout=15, what="the replay to finish")
        assert s.psql("SELECT count(*), count(DISTINCT call_id), count(DISTINCT event_id) "
                      "FROM cdrs") == [(len(months),) * 3]
        assert s.psql("SELECT count(*) FROM cdr_legs") == [(2 * len(months),)]
        assert "action=deleted relation=cdrs_default rows=1 " in s.log("cdrd")
        details = s.bus_call("cdrd", "status")["result"]["details"]
        assert details["cdrs_replayed"] == len(months) - 1, details
        assert details["cdrs_written"] == 1, details
        assert details["history"]["failures"] == 0, details["history"]
    finally:
        pub.close()
