-- 032_ingest_and_agent_report.sql - schema version 32: one index fewer for cdrd to keep
-- up per CDR, and the per-agent daily report answerable for one agent without computing
-- it for every agent over the whole history.
--
-- cdrs_caller_idx (caller) is covered by cdrs_caller_created_idx (caller, created_at) from
-- schema 12: every query on cdrs.caller (v_repeat_calls' lookups by number, webd's CDR
-- search `caller = $n OR callee = $n`) uses the leading column of the wider index. Each
-- CDR cdrd inserts paid for both (docs/REPORTS.md, Ingest).
--
-- v_agent_stats_daily was three aggregates FULL JOINed on (ext, day): a condition on ext
-- cannot pass a FULL JOIN's coalesce(...), so `WHERE ext = '2042'` aggregated every agent's
-- whole history first (over a year of 10 M calls: docs/REPORTS.md). The same rows and
-- values come from one aggregate over the three sources put together (UNION ALL), grouped
-- by (ext, day): a condition on ext then reaches each source and its (agent, ts) or
-- (ext, started_at) index. Same columns, same types, same NULLs: a day without completed
-- calls has NULL talk_s and 0 answered, as before.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

DROP INDEX cdrs_caller_idx;

CREATE OR REPLACE VIEW v_agent_stats_daily AS
WITH per_day AS (
    SELECT ext, day,
           count(*) FILTER (WHERE src = 'completed') AS calls,
           sum(talk_s) FILTER (WHERE src = 'completed') AS talk_s,
           count(*) FILTER (WHERE src = 'offer' AND event = 'offered') AS offered,
           count(*) FILTER (WHERE src = 'offer' AND event = 'offer_failed'
                              AND detail IN ('no_answer', 'rejected')) AS missed,
           sum(previous_s) FILTER (WHERE src = 'state' AND previous NOT IN ('logged_out'))
               AS logged_in_s,
           sum(previous_s) FILTER (WHERE src = 'state' AND previous = 'ready') AS ready_s,
           sum(previous_s) FILTER (WHERE src = 'state' AND previous = 'not_ready')
               AS not_ready_s,
           sum(previous_s) FILTER (WHERE src = 'state' AND previous = 'wrap_up') AS wrap_up_s,
           sum(previous_s) FILTER (WHERE src = 'state' AND previous = 'on_call') AS on_call_s
      FROM (SELECT 'completed' AS src, agent AS ext, date_trunc('day', ts) AS day, event,
                   detail, talk_s, NULL::text AS previous, NULL::float8 AS previous_s
              FROM queue_log WHERE event = 'completed' AND agent IS NOT NULL
            UNION ALL
            SELECT 'offer', agent, date_trunc('day', ts), event, detail, NULL, NULL, NULL
              FROM queue_log WHERE agent IS NOT NULL AND event IN ('offered', 'offer_failed')
            UNION ALL
            SELECT 'state', ext, date_trunc('day', started_at), NULL, NULL, NULL, previous,
                   previous_s
              FROM agent_state_history) u
     GROUP BY ext, day)
SELECT ext, day,
       offered, calls AS answered, missed,
       round(talk_s::numeric, 1) AS talk_s,
       round((talk_s / nullif(calls, 0))::numeric, 1) AS avg_talk_s,
       round(((coalesce(on_call_s, 0) + coalesce(wrap_up_s, 0))
              / nullif(calls, 0))::numeric, 1) AS aht_s,
       round(logged_in_s::numeric, 1) AS logged_in_s,
       round(ready_s::numeric, 1) AS ready_s,
       round(not_ready_s::numeric, 1) AS not_ready_s,
       round(wrap_up_s::numeric, 1) AS wrap_up_s,
       round((100.0 * (coalesce(on_call_s, 0) + coalesce(wrap_up_s, 0))
              / nullif(logged_in_s, 0))::numeric, 1) AS occupancy_pct
  FROM per_day;
