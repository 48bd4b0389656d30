-- 033_dialer_recovery.sql - schema version 33: an attempt dialerd left in progress when it
-- stopped (killed, the machine down) is closed at its next start with outcome
-- 'interrupted', and its lead is made due again per the campaign's retry rules
-- (docs/DIALER.md, "When dialerd stops mid-call"). Only the outcome's list of values grows.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

ALTER TABLE dialer_attempts DROP CONSTRAINT dialer_attempts_outcome_check;
ALTER TABLE dialer_attempts ADD CONSTRAINT dialer_attempts_outcome_check
    CHECK (outcome IN ('answered', 'busy', 'no_answer', 'machine', 'abandoned', 'failed',
                       'skipped', 'dnc', 'interrupted'));
COMMENT ON COLUMN dialer_attempts.outcome IS
    'answered, busy, no_answer, machine, abandoned, failed, skipped (a preview skip or a dial '
    'the agent did not answer: not an attempt), dnc, or interrupted (dialerd stopped during '
    'the call; closed at its next start)';
