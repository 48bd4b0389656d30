-- 011_call_record.sql - schema version 11: v_call_record, a call's whole story in one row
-- for BI users who should not have to write joins: the CDR and its legs' media figures
-- (v_cdr), where it went in the IVR, the queues it entered and how that ended, the agent
-- who took it, its recordings and its survey score. Agents' disposition codes join here
-- when they exist (the agent desktop issue).
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

CREATE VIEW v_call_record AS
SELECT c.*,
       ivr.flow        AS ivr_flow,
       ivr.steps       AS ivr_steps,
       ivr.path        AS ivr_path,
       ivr.last_node   AS ivr_last_node,
       q.queues,
       q.queue_outcome,
       q.queue_wait_s,
       q.agent,
       r.recording_ids,
       r.recorded_ms,
       s.score         AS survey_score,
       s.question      AS survey_question,
       s.agent         AS survey_agent
  FROM v_cdr c
  LEFT JOIN LATERAL (
        SELECT (array_agg(p.flow ORDER BY p.seq))[1] AS flow,
               count(*)::integer AS steps,
               string_agg(p.node || CASE WHEN p.input <> '' THEN '(' || p.input || ')'
                                         ELSE '' END, ' > ' ORDER BY p.seq) AS path,
               (array_agg(p.node ORDER BY p.seq DESC))[1] AS last_node
          FROM ivr_path p
         WHERE p.call_id = c.call_id
        HAVING count(*) > 0) ivr ON true
  LEFT JOIN LATERAL (
        SELECT array_agg(x.queue ORDER BY x.entered_at) AS queues,
               (array_agg(x.outcome ORDER BY x.entered_at DESC))[1] AS queue_outcome,
               sum(coalesce(x.answer_wait_s, x.abandon_wait_s)) AS queue_wait_s,
               (array_agg(x.agent ORDER BY x.answered_at DESC NULLS LAST))[1] AS agent
          FROM v_queue_calls x
         WHERE x.call_id = c.call_id
        HAVING count(*) > 0) q ON true
  LEFT JOIN LATERAL (
        SELECT array_agg(rec.id ORDER BY rec.started_at) AS recording_ids,
               sum(rec.duration_ms) AS recorded_ms
          FROM recordings rec
         WHERE rec.call_id = c.call_id AND rec.deleted_at IS NULL
        HAVING count(*) > 0) r ON true
  LEFT JOIN survey_results s ON s.call_id = c.call_id;
COMMENT ON VIEW v_call_record IS
    'Stable view for BI (role cc_bi): one row per finished call, every v_cdr column plus '
    'its IVR path (flow, steps, "node(input) > ..." and the node it left from), the queues '
    'it entered in order with the last outcome, the summed queue wait and the agent who '
    'answered, its recordings (ids, total ms) and its survey score. NULL where the call did '
    'not go there. Columns are only ever added.';

GRANT SELECT ON v_call_record TO cc_bi;
