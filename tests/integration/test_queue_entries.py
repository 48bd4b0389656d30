"""test_queue_entries.py - v_queue_calls reads queue_entries (migration 036), a table the
queue_log trigger keeps up to date. Whatever order a call's queue events are inserted in
(acdd writes them in order; a restore or a hand-made fix may not), the stored rows must be
exactly what the per-entry query (queue_entries_from_log) computes from queue_log: calls
answered, abandoned, overflowed, left open, called back, transferred back into the same
queue, two entries at the same instant, events before any entry. Also: a refill from
scratch gives the same rows, and acdd's own role can insert what the trigger then stores."""

import random
from datetime import datetime, timedelta, timezone

T0 = datetime(2026, 6, 5, 9, 0, tzinfo=timezone.utc)

COLUMNS = ("entry_id, call_id, queue, entered_at, caller, priority, answered_at, agent, "
           "answer_wait_s, in_sl, abandoned_at, abandon_wait_s, abandon_position, "
           "overflowed_at, overflow, talk_s, outcome, entry_position, expected_wait_s, skill, "
           "skill_level, overflow_wait_s, callback, entered_by")


def at(s):
    return T0 + timedelta(seconds=s)


def story(n, rng):
    """Queue events of call n as (ts, queue, event, agent, wait_s, talk_s, position,
    in_sl, detail) in time order."""
    cid, q = "qc-%d" % n, "q%d" % (n % 3)
    base = n * 100
    kind = n % 7
    ev = [(at(base), q, "entered", None, None, None, 1 + n % 4, None, None)]
    if kind == 0:  # answered and completed
        ev += [(at(base + 5), q, "offered", "2001", None, None, None, None, None),
               (at(base + 8), q, "answered", "2001", 8.0, None, None, True, None),
               (at(base + 60), q, "completed", "2001", None, 52.0, None, None, None)]
    elif kind == 1:  # abandoned
        ev += [(at(base + 30), q, "abandoned", None, 30.0, None, 2, None, None)]
    elif kind == 2:  # overflowed, then answered in another queue
        ev += [(at(base + 40), q, "overflowed", None, 40.0, None, None, None, "timeout:queue:qx"),
               (at(base + 41), "qx", "entered", None, None, None, 1, None, "overflow"),
               (at(base + 50), "qx", "answered", "2002", 9.0, None, None, False, None),
               (at(base + 90), "qx", "completed", "2002", None, 40.0, None, None, None)]
    elif kind == 3:  # answered, transferred back into the same queue, answered again
        ev += [(at(base + 4), q, "answered", "2003", 4.0, None, None, True, None),
               (at(base + 30), q, "completed", "2003", None, 26.0, None, None, None),
               (at(base + 30), q, "entered", None, None, None, 1, None, None),
               (at(base + 45), q, "answered", "2004", 15.0, None, None, True, None),
               (at(base + 70), q, "completed", "2004", None, 25.0, None, None, None)]
    elif kind == 4:  # still waiting
        ev += [(at(base + 3), q, "offered", "2001", None, None, None, None, None),
               (at(base + 9), q, "offer_failed", "2001", None, None, None, None, "no_answer")]
    elif kind == 5:  # a callback answered
        ev += [(at(base + 20), q, "callback", None, None, None, None, None, "requested"),
               (at(base + 80), q, "answered", "2005", 80.0, None, None, False, "callback"),
               (at(base + 95), q, "completed", "2005", None, 15.0, None, None, None)]
    else:  # two entries at the same instant, and an event older than any entry
        ev = [(at(base - 5), q, "abandoned", None, 1.0, None, 1, None, None)] + ev + [
            (at(base), q, "entered", None, None, None, 2, None, None),
            (at(base + 12), q, "answered", "2006", 12.0, None, None, True, None)]
    return [(cid,) + e for e in ev]


def insert(s, rows, role="cc_admin"):
    for cid, t, q, event, agent, wait_s, talk_s, pos, in_sl, detail in rows:
        s.psql("INSERT INTO queue_log (ts, call_id, queue, event, agent, caller, priority, "
               "wait_s, talk_s, position, in_sl, detail, expected_wait_s, skill, skill_level) "
               "VALUES (%s, %s, %s, %s, %s, '4930100', 1, %s, %s, %s, %s, %s, "
               "CASE WHEN %s = 'entered' THEN 20 END, CASE WHEN %s = 'entered' THEN 'de' END, "
               "CASE WHEN %s = 'entered' THEN 3 END)",
               (t, cid, q, event, agent, wait_s, talk_s, pos, in_sl, detail, event, event,
                event), role=role)


def stored(s):
    return s.psql("SELECT %s FROM queue_entries ORDER BY entry_id" % COLUMNS)


def computed(s):
    return s.psql("SELECT %s FROM queue_entries_from_log ORDER BY entry_id" % COLUMNS)


def test_stored_rows_equal_the_computed_ones_in_any_insert_order(make_suite):
    s = make_suite(daemons=[])
    rng = random.Random(36)
    rows = [r for n in range(1, 43) for r in story(n, rng)]
    half = len(rows) // 2
    rest = rows[half:]
    rng.shuffle(rest)
    insert(s, rows[:half], role="cc_acdd")  # in order, as acdd writes them
    insert(s, rest)                         # the rest out of order
    want = computed(s)
    assert len(want) == s.psql("SELECT count(*) FROM queue_log WHERE event = 'entered'")[0][0]
    got = stored(s)
    assert got == want
    outcomes = dict(s.psql("SELECT outcome, count(*) FROM v_queue_calls GROUP BY 1"))
    assert set(outcomes) == {"answered", "abandoned", "overflowed", "open"}, outcomes
    # the view reads the stored rows: the same as the computation, without the entry id
    view = s.psql("SELECT * FROM v_queue_calls")
    assert sorted(view, key=repr) == sorted((r[1:] for r in want), key=repr)
    # a refill from scratch stores the same rows
    assert s.psql("SELECT cc_queue_entries_rebuild()", role="postgres")[0][0] == len(want)
    assert stored(s) == want


def test_transfer_back_moves_the_later_events_to_the_new_entry(make_suite):
    s = make_suite(daemons=[])
    cid = "qc-back"
    insert(s, [(cid, at(0), "q1", "entered", None, None, None, 1, None, None),
               (cid, at(5), "q1", "answered", "2001", 5.0, None, None, True, None),
               (cid, at(50), "q1", "abandoned", None, 10.0, None, 1, None, None)])
    assert s.psql("SELECT outcome, abandoned_at FROM v_queue_calls WHERE call_id = %s",
                  (cid,)) == [("answered", at(50))]
    # the entry that came between (inserted late): the abandonment is now its
    insert(s, [(cid, at(40), "q1", "entered", None, None, None, 1, None, None)])
    assert s.psql("SELECT entered_at, outcome, abandoned_at FROM v_queue_calls "
                  "WHERE call_id = %s ORDER BY entered_at", (cid,)) == [
        (at(0), "answered", None), (at(40), "abandoned", at(50))]
    assert stored(s) == computed(s)
