-- 030_amd.sql - schema version 30: answering-machine detection for outbound campaigns
-- (dialerd asks mediad, mediad/md_amd.c decides). Per campaign: whether to detect, and what
-- a machine gets: hung up on, or a message (a prompt) and then hung up. Per attempt: what
-- the detector said, why, and how long after the answer it decided. The BI view counts
-- the 2 seconds to an agent from that decision, when there was one (docs/DIALER.md).
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

ALTER TABLE campaigns
    ADD COLUMN amd boolean NOT NULL DEFAULT false,
    ADD COLUMN amd_machine text NOT NULL DEFAULT 'hangup'
        CHECK (amd_machine IN ('hangup', 'message')),
    ADD COLUMN amd_prompt text NOT NULL DEFAULT 'dialer/machine'
        CHECK (amd_prompt ~ '^[A-Za-z0-9_./-]{1,100}$' AND amd_prompt !~ '[.][.]');
COMMENT ON COLUMN campaigns.amd IS
    'Detect answering machines on answered calls before handing them to the queue '
    '(ccctl campaign add --amd hangup|message, ccctl campaign amd NAME ...).';
COMMENT ON COLUMN campaigns.amd_machine IS
    'What a machine gets: hangup, or message (amd_prompt is played, then the call ends). '
    'Either way the attempt''s outcome is machine and its retry rule applies.';

ALTER TABLE dialer_attempts
    ADD COLUMN amd_result text CHECK (amd_result IN ('human', 'machine', 'unsure')),
    ADD COLUMN amd_reason text CHECK (length(amd_reason) <= 32),
    ADD COLUMN amd_ms integer CHECK (amd_ms >= 0);
COMMENT ON COLUMN dialer_attempts.amd_ms IS
    'Answering-machine detection: milliseconds from the answer to the decision (mediad''s '
    'figure); amd_result and amd_reason say what it decided and on which rule.';

-- The same view with the 2 seconds counted from the detection's decision (a detection
-- that never answered counts from the answer), and the detection's figures appended.
CREATE OR REPLACE VIEW v_dialer_attempts AS
SELECT a.id, a.campaign, a.lead_id, a.number, a.attempt, a.call_id, a.mode, a.started_at,
       (a.started_at AT TIME ZONE c.time_zone)::date AS day,
       a.answered_at, a.agent_at, a.ended_at, a.outcome, a.agent, a.disposition,
       (a.answered_at IS NOT NULL AND a.outcome IS DISTINCT FROM 'machine') AS contact,
       (a.answered_at IS NOT NULL AND a.outcome IS DISTINCT FROM 'machine'
        AND (a.agent_at IS NULL
             OR a.agent_at > a.answered_at + make_interval(secs => coalesce(a.amd_ms, 0) / 1000.0)
                             + interval '2 seconds'))
           AS abandoned,
       (extract(epoch FROM a.agent_at - a.answered_at) * 1000)::bigint AS answer_to_agent_ms,
       a.agent_wait_ms, a.talk_ms, a.wrap_ms,
       a.amd_result, a.amd_ms
  FROM dialer_attempts a
  JOIN campaigns c ON c.name = a.campaign
 WHERE a.outcome IS DISTINCT FROM 'skipped' OR a.outcome IS NULL;
