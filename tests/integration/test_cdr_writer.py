"""test_cdr_writer.py - cdrd's writer thread when Postgres does not take a batch: writes
refused for a while are retried with backoff while the next events keep coming, then
everything is committed once; a stop while writes fail gives up at once and the events
are replayed at the next start; and a CDR already in the table (as after a COMMIT whose
answer was lost) makes the plain insert fail over to the idempotent one, not a duplicate.
cdrd is fed by a stand-in for sipproxy (helpers/fake_pub.py)."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from helpers.bus import wait_until  # noqa: E402
from helpers.fake_pub import FakePublisher, call_events  # noqa: E402

CONFIG = {"cdrd.flush_ms": "20", "cdrd.retry_max_ms": "200"}


def publish_calls(pub, prefix, n, start_us):
    """n complete calls; returns the last seq."""
    last = 0
    for i in range(n):
        cid = "%s-%d" % (prefix, i)
        for etype, ts, fields in call_events(cid, start_us + i * 1_000_000, talk_ms=5_000):
            last = pub.publish(etype, ts, cid, fields)
    return last


def cursor(s):
    rows = s.psql("SELECT seq FROM bus_cursors WHERE consumer = 'cdrd'")
    return rows[0][0] if rows else 0


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def details(s):
    return s.bus_call("cdrd", "status")["result"]["details"]


def assert_once(s, prefixes_counts):
    expected = sum(n for _, n in prefixes_counts)
    rows = s.psql("SELECT count(*), count(DISTINCT call_id) FROM cdrs")[0]
    assert rows == (expected, expected), (rows, expected)
    legs = s.psql("SELECT count(*), count(DISTINCT (call_id, leg)) FROM cdr_legs")[0]
    assert legs == (2 * expected, 2 * expected), legs
    for prefix, n in prefixes_counts:
        got = s.psql("SELECT count(*) FROM cdrs WHERE call_id LIKE %s", (prefix + "-%",))[0][0]
        assert got == n, (prefix, got, n)
    assert s.psql("SELECT count(*) FROM calls_active")[0][0] == 0


def test_refused_writes_are_retried_while_events_keep_coming(make_suite):
    s = make_suite(daemons=["cdrd"], config=CONFIG)
    pub = FakePublisher(s.run_dir)
    try:
        s.start()
        t0 = int(time.time() * 1_000_000) - 3_600_000_000
        last = publish_calls(pub, "warm", 3, t0)
        wait_until(lambda: cursor(s) == last, timeout=15, what="the first calls stored")
        stored = cursor(s)
        s.psql("REVOKE INSERT ON cdrs FROM cc_cdrd", role="postgres")
        try:
            publish_calls(pub, "during", 20, t0 + 100_000_000)
            wait_until(lambda: details(s)["write_failures"] >= 2, timeout=15,
                       what="cdrd retrying its batch")
            d = details(s)
            assert d["retrying"] is True and d["writing"] is True, d
            assert "permission denied" in d["last_error"], d
            # more events arrive while the batch is retried: they wait in the next one
            last = publish_calls(pub, "after", 10, t0 + 200_000_000)
            wait_until(lambda: details(s)["pending_events"] == last - stored, timeout=15,
                       what="every event since the last commit held")
            assert cursor(s) == stored  # nothing committed past what is written
        finally:
            s.psql("GRANT INSERT ON cdrs TO cc_cdrd", role="postgres")
        wait_until(lambda: cursor(s) == last, timeout=15, what="everything committed")
        assert_once(s, [("warm", 3), ("during", 20), ("after", 10)])
        d = details(s)
        assert d["retrying"] is False and d["pending_events"] == 0, d
        assert d["cdrs_written"] == 33 and d["cdrs_replayed"] == 0, d
        log = s.log("cdrd")
        assert "event=cdr.write_failed" in log and "event=cdr.write_recovered" in log, \
            s.log_tail("cdrd")
        assert "event=cdr.batch_refused" not in log, s.log_tail("cdrd")
        # quiet again: nothing left spinning (the writer's signal is level-triggered)
        time.sleep(0.5)
        before = cpu_s(s.pid("cdrd"))
        time.sleep(2.0)
        assert cpu_s(s.pid("cdrd")) - before < 0.5, "cdrd busy while idle"
    finally:
        pub.close()


def test_stop_while_writes_fail_gives_up_and_the_next_start_replays(make_suite):
    s = make_suite(daemons=["cdrd"], config=CONFIG)
    pub = FakePublisher(s.run_dir)
    try:
        s.start()
        t0 = int(time.time() * 1_000_000) - 3_600_000_000
        s.psql("REVOKE INSERT ON cdrs FROM cc_cdrd", role="postgres")
        last = publish_calls(pub, "lost", 15, t0)
        wait_until(lambda: details(s)["write_failures"] >= 1, timeout=15,
                   what="cdrd failing to write")
        code, took = s.stop("cdrd")
        assert code == 0 and took < 5, (code, took, s.log_tail("cdrd"))
        assert "event=cdr.unflushed_at_stop" in s.log("cdrd"), s.log_tail("cdrd")
        assert cursor(s) == 0 and s.psql("SELECT count(*) FROM cdrs")[0][0] == 0
        s.psql("GRANT INSERT ON cdrs TO cc_cdrd", role="postgres")
        s.start("cdrd")
        wait_until(lambda: cursor(s) == last, timeout=15, what="the replay committed")
        assert_once(s, [("lost", 15)])
    finally:
        pub.close()


def test_a_cdr_already_stored_is_not_written_twice(make_suite):
    s = make_suite(daemons=["cdrd"], config=CONFIG)
    pub = FakePublisher(s.run_dir)
    try:
        s.start()
        t0 = int(time.time() * 1_000_000) - 3_600_000_000
        # The CDR of call "dup-3" is in the table already, with its key (call_id,
        # created_at), as if a commit had landed without cdrd hearing of it.
        s.psql("INSERT INTO cdrs (call_id, created_at, ended_at, disposition, hangup_side, "
               "sip_code, reason, event_id) VALUES ('dup-3', to_timestamp(0) + %s * "
               "interval '1 microsecond', now(), 'busy', 'callee', 486, 'planted', 'x:1:1')",
               (t0 + 3 * 1_000_000,), role="postgres")
        last = publish_calls(pub, "dup", 6, t0)
        # numbers the batch prints itself: negative (RTP loss can be), and past 32 bits
        cid = "odd-numbers"
        for etype, ts, fields in call_events(cid, t0 + 10_000_000, talk_ms=5_000):
            if etype == "call.ended":
                fields["media"]["caller"] = dict(fields["media"]["caller"], lost=-3,
                                                 bytes_in=1_099_511_627_776, jitter_ms=0.25)
            last = pub.publish(etype, ts, cid, fields)
        wait_until(lambda: cursor(s) == last, timeout=15, what="the calls stored")
        assert s.psql("SELECT lost, bytes_in, jitter_ms FROM cdr_legs WHERE call_id = %s "
                      "AND leg = 'caller'", (cid,)) == [(-3, 1_099_511_627_776, 0.25)]
        s.psql("DELETE FROM cdr_legs WHERE call_id = %s", (cid,), role="postgres")
        s.psql("DELETE FROM cdrs WHERE call_id = %s", (cid,), role="postgres")
        rows = s.psql("SELECT call_id, disposition, reason FROM cdrs ORDER BY call_id")
        assert len(rows) == 6 and len({r[0] for r in rows}) == 6, rows
        assert ("dup-3", "busy", "planted") in rows, rows  # the stored row stays as it was
        legs = s.psql("SELECT call_id FROM cdr_legs")
        assert len(legs) == 10 and ("dup-3",) not in legs, legs
        d = details(s)
        assert d["cdrs_written"] == 6 and d["cdrs_replayed"] == 1, d
        assert "event=cdr.batch_conflict" in s.log("cdrd"), s.log_tail("cdrd")
        assert "event=cdr.write_failed" not in s.log("cdrd"), s.log_tail("cdrd")
        # the binary COPY was taken as it is, not refused and redone row by row
        assert "event=cdr.batch_refused" not in s.log("cdrd"), s.log_tail("cdrd")
    finally:
        pub.close()
