-- 005_recording_gaps.sql - schema version 5: where a recording lost audio. frames_lost
-- (version 4) counts the frames mediad dropped because recorderd fell behind; `gaps`
-- says where in the file that silence is, so a reviewer knows which part of the
-- conversation is missing rather than only that something is.

ALTER TABLE recordings
    ADD COLUMN gaps jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(gaps) = 'array');
COMMENT ON COLUMN recordings.gaps IS
    'spans with audio lost on the way to recorderd (mediad dropped tap batches) as '
    '[{"start_ms": N, "end_ms": N}], offsets in the file: silence there';

-- a new column goes at the end of the view, so existing BI queries keep working
CREATE OR REPLACE VIEW v_recordings AS
SELECT id, call_id, caller, callee, agent, queue, trunk, mode, started_at, ended_at,
       round(duration_ms / 1000.0, 1) AS duration_s, size, encrypted, complete,
       jsonb_array_length(paused) AS pauses, frames_lost, legal_hold, retention_until,
       deleted_at IS NOT NULL AS deleted, date_trunc('day', started_at) AS day,
       jsonb_array_length(gaps) AS gaps
FROM recordings;
