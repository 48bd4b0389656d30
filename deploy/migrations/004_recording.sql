-- 004_recording.sql - schema version 4: call recording. Policies per extension, queue and
-- trunk (who is recorded, for how long), the index of recordings recorderd writes (one
-- row per file: parties, times, size, hash, encryption, completeness, paused spans,
-- retention and legal hold), the grants for cc_recorderd and a BI view.

CREATE TABLE recording_policies (
    kind            text NOT NULL CHECK (kind IN ('ext', 'queue', 'trunk')),
    name            text NOT NULL CHECK (name ~ '^[A-Za-z0-9_.+*#-]{1,63}$'),
    mode            text NOT NULL CHECK (mode IN ('always', 'never', 'on-demand')),
    retention_days  integer CHECK (retention_days BETWEEN 0 AND 36500),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, name)
);
COMMENT ON TABLE recording_policies IS
    'Who is recorded. A call matches the policies of its caller and callee extensions, its '
    'agent, its queue and its trunk: any always wins, else any on-demand, else never; with '
    'no match, [recorderd] default_mode applies. Set with ccctl recording policy.';
COMMENT ON COLUMN recording_policies.mode IS
    'always (from answer on), never, or on-demand (started by the agent''s *3 or ccctl '
    'recording start, stopped by *4 or ccctl recording stop)';
COMMENT ON COLUMN recording_policies.retention_days IS
    'days a recording is kept (the longest of the matching recording policies wins; NULL: '
    '[recorderd] default_retention_days); 0 deletes at the next sweep after the call';

CREATE TRIGGER recording_policies_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON recording_policies
    FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();

CREATE TABLE recordings (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id         text NOT NULL,
    caller          text,
    callee          text,
    agent           text,
    queue           text,
    trunk           text,
    mode            text NOT NULL CHECK (mode IN ('always', 'on-demand')),
    policy          text,
    started_at      timestamptz NOT NULL DEFAULT now(),
    ended_at        timestamptz,
    duration_ms     bigint CHECK (duration_ms >= 0),
    size            bigint CHECK (size >= 0),
    sha256          text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    format          text NOT NULL DEFAULT 'wav/pcm16/8000/stereo',
    encrypted       boolean NOT NULL,
    complete        boolean NOT NULL DEFAULT false,
    paused          jsonb NOT NULL DEFAULT '[]',
    frames_lost     bigint NOT NULL DEFAULT 0,
    path            text NOT NULL,
    retention_days  integer NOT NULL CHECK (retention_days >= 0),
    retention_until timestamptz NOT NULL,
    legal_hold      boolean NOT NULL DEFAULT false,
    deleted_at      timestamptz
);
COMMENT ON TABLE recordings IS
    'One row per recording file, written by recorderd: inserted when recording starts, '
    'completed when the file is closed. A row with ended_at NULL is being written (or was, '
    'when recorderd crashed: it is repaired and closed as incomplete at the next start).';
COMMENT ON COLUMN recordings.format IS
    'audio inside: stereo WAV, 8 kHz 16-bit linear PCM, caller left, other party right';
COMMENT ON COLUMN recordings.encrypted IS
    'AES-256-GCM chunks (CCREC1 format, recorderd/rec_format.h): ccctl recording export '
    'decrypts and verifies';
COMMENT ON COLUMN recordings.complete IS
    'false if recording ended abnormally (recorderd crashed): the file holds the audio up '
    'to the crash';
COMMENT ON COLUMN recordings.paused IS
    'paused spans as [{"start_ms": N, "end_ms": N}], offsets in the file: silence there';
COMMENT ON COLUMN recordings.frames_lost IS
    'audio frames mediad dropped or that came too late: silence in the file';
COMMENT ON COLUMN recordings.sha256 IS 'hex SHA-256 of the file on disk as closed';
COMMENT ON COLUMN recordings.legal_hold IS
    'kept past retention_until while true (ccctl recording hold ID on|off)';
COMMENT ON COLUMN recordings.deleted_at IS 'when the retention sweep deleted the file';
CREATE INDEX recordings_started_at_idx ON recordings (started_at);
CREATE INDEX recordings_call_id_idx ON recordings (call_id);
CREATE INDEX recordings_caller_idx ON recordings (caller);
CREATE INDEX recordings_callee_idx ON recordings (callee);
CREATE INDEX recordings_agent_idx ON recordings (agent);
CREATE INDEX recordings_sweep_idx ON recordings (retention_until)
    WHERE deleted_at IS NULL AND NOT legal_hold;

CREATE VIEW v_recordings AS
SELECT id, call_id, caller, callee, agent, queue, trunk, mode, started_at, ended_at,
       round(duration_ms / 1000.0, 1) AS duration_s, size, encrypted, complete,
       jsonb_array_length(paused) AS pauses, frames_lost, legal_hold, retention_until,
       deleted_at IS NOT NULL AS deleted, date_trunc('day', started_at) AS day
FROM recordings;
COMMENT ON VIEW v_recordings IS
    'Stable view for BI (role cc_bi): one row per recording, no paths or hashes.';

GRANT SELECT ON recording_policies TO cc_recorderd;
GRANT SELECT, INSERT, UPDATE ON recordings TO cc_recorderd;
GRANT SELECT ON v_recordings TO cc_bi;
