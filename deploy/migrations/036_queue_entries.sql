-- 036_queue_entries.sql - schema version 36: v_queue_calls reads a table kept up to
-- date as acdd writes queue_log, instead of computing every row at query time.
--
-- v_queue_calls made one row per queue entry by four lookups into queue_log per entry
-- (the entry's answer, abandonment, overflow and completion, each up to the call's next
-- entry into the same queue). Over a year of 10 M calls a month of the queue reports took
-- about a minute, almost all of it those lookups (docs/REPORTS.md). Now the same rows are
-- stored in queue_entries: a trigger on queue_log recomputes, with the very same query,
-- the row of each entry an inserted event can change, so the answers are those of the old
-- view whatever order the events arrive in:
--   - an 'entered' row: its own entry, and the call's previous entry into that queue
--     (whose events now end where the new entry starts);
--   - an answered, abandoned, overflowed or completed row: the call's last entry into that
--     queue at or before the event's time;
--   - other events (offered, offer_failed, callback) change no row of v_queue_calls.
-- queue_entries_from_log keeps the old per-entry query (internal, not for reports); the
-- migration fills queue_entries from it once (over a year of 10 M calls: some minutes), and
-- cc_queue_entries_rebuild() refills it whole if it was ever emptied or loaded around.
-- Retention deletes old rows of queue_entries as of queue_log (history_kept_whole).
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

-- ---- the old computation, one row per entry, keyed by the entry's queue_log id -------

CREATE VIEW queue_entries_from_log AS
SELECT e.id AS entry_id,
       e.call_id, e.queue, e.ts AS entered_at, e.caller, e.priority,
       a.ts AS answered_at, a.agent, a.wait_s AS answer_wait_s, a.in_sl,
       ab.ts AS abandoned_at, ab.wait_s AS abandon_wait_s, ab.position AS abandon_position,
       o.ts AS overflowed_at, o.detail AS overflow,
       c.talk_s,
       CASE WHEN a.call_id IS NOT NULL THEN 'answered'
            WHEN ab.call_id IS NOT NULL THEN 'abandoned'
            WHEN o.call_id IS NOT NULL THEN 'overflowed'
            ELSE 'open' END AS outcome,
       e.position AS entry_position,
       e.expected_wait_s,
       e.skill,
       e.skill_level,
       o.wait_s AS overflow_wait_s,
       coalesce(a.detail = 'callback', false) AS callback,
       e.detail AS entered_by
  FROM queue_log e
  LEFT JOIN LATERAL (SELECT min(n.ts) AS ts FROM queue_log n
                      WHERE n.call_id = e.call_id AND n.queue = e.queue
                        AND n.event = 'entered' AND (n.ts, n.id) > (e.ts, e.id)) nx ON true
  LEFT JOIN LATERAL (SELECT * FROM queue_log x WHERE x.call_id = e.call_id
                        AND x.queue = e.queue AND x.event = 'answered' AND x.ts >= e.ts
                        AND (nx.ts IS NULL OR x.ts < nx.ts)
                      ORDER BY x.ts LIMIT 1) a ON true
  LEFT JOIN LATERAL (SELECT * FROM queue_log x WHERE x.call_id = e.call_id
                        AND x.queue = e.queue AND x.event = 'abandoned' AND x.ts >= e.ts
                        AND (nx.ts IS NULL OR x.ts < nx.ts)
                      ORDER BY x.ts LIMIT 1) ab ON true
  LEFT JOIN LATERAL (SELECT * FROM queue_log x WHERE x.call_id = e.call_id
                        AND x.queue = e.queue AND x.event = 'overflowed' AND x.ts >= e.ts
                        AND (nx.ts IS NULL OR x.ts < nx.ts)
                      ORDER BY x.ts LIMIT 1) o ON true
  LEFT JOIN LATERAL (SELECT * FROM queue_log x WHERE x.call_id = e.call_id
                        AND x.queue = e.queue AND x.event = 'completed' AND x.ts >= e.ts
                        AND (nx.ts IS NULL OR x.ts < nx.ts)
                      ORDER BY x.ts LIMIT 1) c ON true
 WHERE e.event = 'entered';
COMMENT ON VIEW queue_entries_from_log IS
    'Internal: v_queue_calls as computed from queue_log (entry_id: the entered row''s id); '
    'the queue_log trigger stores its rows in queue_entries. Reports read v_queue_calls.';

-- ---- the stored rows ----------------------------------------------------------------

CREATE TABLE queue_entries (
    entry_id          bigint PRIMARY KEY,
    call_id           text NOT NULL,
    queue             text NOT NULL,
    entered_at        timestamptz NOT NULL,
    caller            text,
    priority          integer,
    answered_at       timestamptz,
    agent             text,
    answer_wait_s     double precision,
    in_sl             boolean,
    abandoned_at      timestamptz,
    abandon_wait_s    double precision,
    abandon_position  integer,
    overflowed_at     timestamptz,
    overflow          text,
    talk_s            double precision,
    outcome           text NOT NULL,
    entry_position    integer,
    expected_wait_s   integer,
    skill             text,
    skill_level       integer,
    overflow_wait_s   double precision,
    callback          boolean NOT NULL,
    entered_by        text
);
COMMENT ON TABLE queue_entries IS
    'The rows of v_queue_calls, one per queue entry (entry_id: the entered row of queue_log), '
    'kept by the trigger queue_entries_track on queue_log; read v_queue_calls.';
CREATE INDEX queue_entries_entered_idx ON queue_entries (entered_at);
CREATE INDEX queue_entries_queue_entered_idx ON queue_entries (queue, entered_at);
CREATE INDEX queue_entries_call_idx ON queue_entries (call_id);
CREATE INDEX queue_entries_agent_answered_idx ON queue_entries (agent, answered_at)
    WHERE agent IS NOT NULL;

-- ---- kept up to date as queue_log grows ------------------------------------------------

-- plpgsql, not sql: its statements are prepared once per session (the writer's
-- connection), where a sql function plans the five-lookup query anew on every call
-- (some 2.5 ms each; tests/bench/queue_entries_bench.py).
CREATE FUNCTION cc_queue_entries_track() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = public, pg_catalog
    SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
    ids bigint[];
BEGIN
    IF NEW.event = 'entered' THEN
        ids := ARRAY[NEW.id] || ARRAY(
            SELECT p.id FROM queue_log p
             WHERE p.call_id = NEW.call_id AND p.queue = NEW.queue AND p.event = 'entered'
               AND (p.ts, p.id) < (NEW.ts, NEW.id)
             ORDER BY p.ts DESC, p.id DESC LIMIT 1);
    ELSIF NEW.event IN ('answered', 'abandoned', 'overflowed', 'completed') THEN
        ids := ARRAY(
            SELECT p.id FROM queue_log p
             WHERE p.call_id = NEW.call_id AND p.queue = NEW.queue AND p.event = 'entered'
               AND p.ts <= NEW.ts
             ORDER BY p.ts DESC, p.id DESC LIMIT 1);
    ELSE
        RETURN NULL;
    END IF;
    DELETE FROM queue_entries WHERE entry_id = ANY (ids);
    INSERT INTO queue_entries SELECT * FROM queue_entries_from_log WHERE entry_id = ANY (ids);
    RETURN NULL;
END
$fn$;
CREATE TRIGGER queue_entries_track AFTER INSERT ON queue_log
    FOR EACH ROW EXECUTE FUNCTION cc_queue_entries_track();

CREATE FUNCTION cc_queue_entries_rebuild() RETURNS bigint
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = public, pg_catalog
AS $fn$
DECLARE
    n bigint;
BEGIN
    TRUNCATE queue_entries;
    INSERT INTO queue_entries SELECT * FROM queue_entries_from_log;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$fn$;
COMMENT ON FUNCTION cc_queue_entries_rebuild() IS
    'Refill queue_entries whole from queue_log (after a bulk load with the trigger disabled); '
    'returns the rows stored.';
REVOKE ALL ON FUNCTION cc_queue_entries_track(), cc_queue_entries_rebuild() FROM PUBLIC;

SELECT cc_queue_entries_rebuild();

INSERT INTO history_kept_whole VALUES ('queue_entries', 'entered_at');

-- ---- the report view reads the stored rows: same columns, same order, same types ------

CREATE OR REPLACE VIEW v_queue_calls AS
SELECT call_id, queue, entered_at, caller, priority,
       answered_at, agent, answer_wait_s, in_sl,
       abandoned_at, abandon_wait_s, abandon_position,
       overflowed_at, overflow,
       talk_s,
       outcome,
       entry_position,
       expected_wait_s,
       skill,
       skill_level,
       overflow_wait_s,
       callback,
       entered_by
  FROM queue_entries;
