-- 018_srtp_leg_counters.sql - schema version 18: each leg's SRTP refusals in the CDR
-- (issue 16): mediad counts SRTP/SRTCP packets whose authentication tag did not verify and
-- those the replay window refused; cdrd stores both with the leg's other media figures.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

ALTER TABLE cdr_legs
    ADD COLUMN srtp_auth_failed bigint NOT NULL DEFAULT 0 CHECK (srtp_auth_failed >= 0),
    ADD COLUMN srtp_replayed bigint NOT NULL DEFAULT 0 CHECK (srtp_replayed >= 0);
COMMENT ON COLUMN cdr_legs.srtp_auth_failed IS
    'SRTP/SRTCP packets from this leg''s party whose authentication tag did not verify '
    '(tampered, or sent with another key); dropped, also counted in dropped. 0 on a plain leg';
COMMENT ON COLUMN cdr_legs.srtp_replayed IS
    'SRTP/SRTCP packets refused by the replay window (a copy of one already taken); 0 on a '
    'plain leg';
