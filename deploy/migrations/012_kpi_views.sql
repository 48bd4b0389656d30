-- 012_kpi_views.sql - schema version 12: what the reports could not say yet (issue 14).
-- The wait a caller was expected to wait when entering a queue (announced, or computed for a
-- queue that does not announce) is kept with the entry, and v_wait_estimate_accuracy
-- compares it with the wait that followed; the skill a call needed is kept too, for
-- statistics per skill; not-ready time per pause reason; callers who call again within
-- a window (first-contact resolution). v_queue_calls gains these columns and the wait of a
-- call that overflowed, which the average and longest waits now count.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

-- ---- what acdd knew when a call entered a queue ------------------------------------

ALTER TABLE queue_log ADD COLUMN expected_wait_s integer;
ALTER TABLE queue_log ADD COLUMN skill text;
ALTER TABLE queue_log ADD COLUMN skill_level integer;
COMMENT ON COLUMN queue_log.position IS
    'entered: position on entry (1 = next; 0 offered at once); abandoned: position then';
COMMENT ON COLUMN queue_log.expected_wait_s IS
    'entered: the wait acdd expected for this caller on entry, announced or not (NULL: '
    'offered at once, or nobody logged in); docs/ACD-ROUTING.md has the formula';
COMMENT ON COLUMN queue_log.skill IS 'entered: the skill the call needs (NULL: none)';
COMMENT ON COLUMN queue_log.skill_level IS 'entered: its minimum level';

-- ---- one row per call and queue it entered: new columns at the end ------------------

CREATE OR REPLACE VIEW v_queue_calls AS
SELECT e.call_id, e.queue, e.ts AS entered_at, e.caller, e.priority,
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
  -- what follows this entry, up to the call's next entry into the same queue (an agent
  -- may transfer a caller back to the queue it came from)
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
COMMENT ON VIEW v_queue_calls IS
    'One row per call per queue it entered, with its outcome (answered, abandoned, '
    'overflowed, open), waits, agent and talk time; from schema 12 also its position and '
    'expected wait on entry, the skill it needed, the wait before it overflowed, whether '
    'the answer was a callback, and how it entered (NULL: dialled or handed over; overflow).';

-- The waits of calls that overflowed count in the average and longest wait: a caller who
-- waited until the queue gave up waited longest of all.
CREATE OR REPLACE VIEW v_queue_stats_hourly AS
SELECT queue, date_trunc('hour', entered_at) AS hour,
       count(*) AS offered,
       count(*) FILTER (WHERE outcome = 'answered') AS answered,
       count(*) FILTER (WHERE outcome = 'abandoned') AS abandoned,
       count(*) FILTER (WHERE outcome = 'overflowed') AS overflowed,
       round(100.0 * count(*) FILTER (WHERE outcome = 'answered') / count(*), 1)
           AS answer_rate_pct,
       round(100.0 * count(*) FILTER (WHERE outcome = 'abandoned') / count(*), 1)
           AS abandon_rate_pct,
       round(avg(answer_wait_s)::numeric, 1) AS asa_s,
       round(avg(coalesce(answer_wait_s, abandon_wait_s, overflow_wait_s))::numeric, 1)
           AS avg_wait_s,
       round(max(coalesce(answer_wait_s, abandon_wait_s, overflow_wait_s))::numeric, 1)
           AS max_wait_s,
       round(avg(talk_s)::numeric, 1) AS avg_talk_s,
       round(100.0 * count(*) FILTER (WHERE in_sl) / nullif(count(*) FILTER (WHERE outcome IN
           ('answered', 'abandoned')), 0), 1) AS service_level_pct
  FROM v_queue_calls
 GROUP BY queue, date_trunc('hour', entered_at);
COMMENT ON VIEW v_queue_stats_hourly IS
    'Per queue and hour of entry: calls offered, answered, abandoned, overflowed, answer '
    'and abandon rates, ASA (average speed of answer), average and longest wait (answered, '
    'abandoned and overflowed calls), average talk time, and service level (answered '
    'within the threshold / answered + abandoned).';

-- ---- the wait estimate against the wait ------------------------------------------------

CREATE VIEW v_wait_estimate_accuracy AS
SELECT call_id, queue, entered_at, entry_position AS position, expected_wait_s, outcome,
       coalesce(answer_wait_s, abandon_wait_s, overflow_wait_s) AS waited_s,
       CASE WHEN outcome = 'answered' THEN answer_wait_s END AS actual_wait_s,
       CASE WHEN outcome = 'answered' THEN expected_wait_s - answer_wait_s END AS error_s,
       CASE WHEN outcome = 'answered' THEN abs(expected_wait_s - answer_wait_s) END
           AS abs_error_s
  FROM v_queue_calls
 WHERE expected_wait_s IS NOT NULL AND NOT callback;
COMMENT ON VIEW v_wait_estimate_accuracy IS
    'One row per caller who had to wait in a queue and was given (or would have been given) '
    'an expected wait on entry: the estimate and what happened. error_s = expected - actual '
    '(positive: the caller waited less than told) for callers an agent answered; those who '
    'abandoned or overflowed have no actual wait to compare (waited_s is how long they '
    'stayed). Callbacks are left out: the caller did not wait on the line.';

CREATE VIEW v_wait_estimate_daily AS
SELECT queue, date_trunc('day', entered_at) AS day,
       count(*) AS estimated,
       count(actual_wait_s) AS answered,
       round(avg(actual_wait_s)::numeric, 1) AS mean_actual_s,
       round(avg(expected_wait_s) FILTER (WHERE actual_wait_s IS NOT NULL)::numeric, 1)
           AS mean_expected_s,
       round(avg(error_s)::numeric, 1) AS bias_s,
       round(avg(abs_error_s)::numeric, 1) AS mean_abs_error_s,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY abs_error_s))::numeric, 1)
           AS median_abs_error_s,
       round((percentile_cont(0.9) WITHIN GROUP (ORDER BY abs_error_s))::numeric, 1)
           AS p90_abs_error_s,
       round(100.0 * count(*) FILTER (WHERE abs_error_s <= 60) / nullif(count(actual_wait_s), 0),
             1) AS within_60s_pct
  FROM v_wait_estimate_accuracy
 GROUP BY queue, date_trunc('day', entered_at);
COMMENT ON VIEW v_wait_estimate_daily IS
    'Per queue and day of entry: callers given an estimate, of whom answered; their mean '
    'actual and expected wait, bias (mean of expected - actual), mean, median and 90th '
    'percentile of the absolute error, and the share within 60 s.';

-- ---- per skill ------------------------------------------------------------------------

CREATE VIEW v_skill_stats_daily AS
SELECT v.skill, date_trunc('day', v.entered_at) AS day,
       count(*) AS offered,
       count(*) FILTER (WHERE v.outcome = 'answered') AS answered,
       count(*) FILTER (WHERE v.outcome = 'abandoned') AS abandoned,
       count(*) FILTER (WHERE v.outcome = 'overflowed') AS overflowed,
       round(avg(v.answer_wait_s)::numeric, 1) AS asa_s,
       round(avg(v.talk_s)::numeric, 1) AS avg_talk_s,
       round(100.0 * count(*) FILTER (WHERE v.in_sl) / nullif(count(*) FILTER (WHERE v.outcome IN
           ('answered', 'abandoned')), 0), 1) AS service_level_pct
  FROM v_queue_calls v
 WHERE v.skill IS NOT NULL
 GROUP BY v.skill, date_trunc('day', v.entered_at);
COMMENT ON VIEW v_skill_stats_daily IS
    'Per skill the calls needed and day of entry, over every queue: offered, answered, '
    'abandoned, overflowed, ASA, average talk and service level, defined as in '
    'v_queue_stats_daily. Calls that needed no skill are not in it.';

-- ---- not-ready time per reason --------------------------------------------------------

CREATE VIEW v_agent_not_ready_daily AS
SELECT h.ext, date_trunc('day', h.started_at) AS day, h.reason,
       count(*) AS periods,
       round(sum(h.previous_s)::numeric, 1) AS not_ready_s
  FROM (SELECT ext, started_at, previous, previous_s,
               coalesce(lag(reason) OVER (PARTITION BY ext ORDER BY started_at, id), '')
                   AS reason
          FROM agent_state_history) h
 WHERE h.previous = 'not_ready'
 GROUP BY h.ext, date_trunc('day', h.started_at), h.reason;
COMMENT ON VIEW v_agent_not_ready_daily IS
    'Per agent, day and not-ready reason (lunch, no_answer, rejected, ... as given with the '
    'pause): how many not-ready periods ended that day and their time. Per agent and day it '
    'sums to v_agent_stats_daily.not_ready_s.';

-- ---- callers who call again -------------------------------------------------------------

-- Calls into the centre: those dialled to a queue or an IVR (from a phone or a trunk).
-- Calls the system placed (a callback's leg to the agent) and calls straight to an
-- extension are not contacts a customer made.
CREATE VIEW v_repeat_calls AS
SELECT c.call_id, c.created_at, c.caller, c.callee, c.disposition,
       q.queue, q.agent,
       p.call_id AS previous_call_id, p.created_at AS previous_at,
       extract(epoch FROM c.created_at - p.created_at)::double precision AS since_previous_s,
       n.call_id AS next_call_id, n.created_at AS next_at,
       extract(epoch FROM n.created_at - c.created_at)::double precision AS until_next_s
  FROM cdrs c
  LEFT JOIN LATERAL (SELECT x.call_id, x.created_at FROM cdrs x
                      WHERE x.caller = c.caller AND x.route_kind IN ('queue', 'ivr')
                        AND (x.created_at, x.call_id) < (c.created_at, c.call_id)
                      ORDER BY x.created_at DESC, x.call_id DESC LIMIT 1) p ON true
  LEFT JOIN LATERAL (SELECT x.call_id, x.created_at FROM cdrs x
                      WHERE x.caller = c.caller AND x.route_kind IN ('queue', 'ivr')
                        AND (x.created_at, x.call_id) > (c.created_at, c.call_id)
                      ORDER BY x.created_at, x.call_id LIMIT 1) n ON true
  LEFT JOIN LATERAL (SELECT (array_agg(v.queue ORDER BY v.entered_at))[1] AS queue,
                            (array_agg(v.agent ORDER BY v.answered_at)
                                FILTER (WHERE v.agent IS NOT NULL))[1] AS agent
                       FROM v_queue_calls v WHERE v.call_id = c.call_id) q ON true
 WHERE c.caller <> '' AND c.route_kind IN ('queue', 'ivr');
COMMENT ON VIEW v_repeat_calls IS
    'One row per finished call into the centre (dialled to a queue or an IVR) with a caller '
    'number: the first queue it entered and the agent who first answered it, and the same '
    'number''s previous and next call into the centre with the seconds between. "Called '
    'again within N hours" is until_next_s <= N * 3600; cc_first_contact(window) counts it '
    'per queue and agent.';

CREATE INDEX cdrs_caller_created_idx ON cdrs (caller, created_at);

-- First-contact resolution: of the calls agents answered, those whose number did not call
-- again within the window. The window is a parameter, so it is a function; v_fcr_daily is
-- the usual 24 hours.
CREATE FUNCTION cc_first_contact(p_window interval)
RETURNS TABLE (day timestamptz, queue text, agent text, answered bigint, called_again bigint,
               fcr_pct numeric)
LANGUAGE sql STABLE AS $$
    SELECT date_trunc('day', r.created_at), r.queue, r.agent, count(*),
           count(*) FILTER (WHERE r.until_next_s <= extract(epoch FROM p_window)),
           round(100.0 * count(*) FILTER (WHERE r.until_next_s IS NULL
                                          OR r.until_next_s > extract(epoch FROM p_window))
                 / count(*), 1)
      FROM v_repeat_calls r
     WHERE r.agent IS NOT NULL
     GROUP BY 1, 2, 3
$$;
COMMENT ON FUNCTION cc_first_contact(interval) IS
    'First-contact resolution per day, queue and agent: calls an agent answered, how many '
    'of their numbers called again within p_window, and the share that did not (fcr_pct).';

CREATE VIEW v_fcr_daily AS SELECT * FROM cc_first_contact(interval '24 hours');
COMMENT ON VIEW v_fcr_daily IS 'cc_first_contact over 24 hours.';

-- ---- grants ---------------------------------------------------------------------------

GRANT SELECT ON v_wait_estimate_accuracy, v_wait_estimate_daily, v_skill_stats_daily,
    v_agent_not_ready_daily, v_repeat_calls, v_fcr_daily TO cc_bi, cc_webd;
GRANT EXECUTE ON FUNCTION cc_first_contact(interval) TO cc_bi, cc_webd;
