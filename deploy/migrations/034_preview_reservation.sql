-- 034_preview_reservation.sql - schema version 34: a lead shown to an agent in preview mode
-- is reserved for that agent until reserved_until (90 s, renewed while the agent's page
-- shows it), so the next agent who asks sees the next lead instead of the same one.
-- dialerd writes both columns (campaign.preview_next) and clears them when the lead is
-- dialled or skipped; an expired reservation is as none (docs/DIALER.md).
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

ALTER TABLE leads
    ADD COLUMN reserved_by text CHECK (reserved_by ~ '^[0-9]{2,15}$'),
    ADD COLUMN reserved_until timestamptz,
    ADD CONSTRAINT leads_reserved_both CHECK ((reserved_by IS NULL) = (reserved_until IS NULL));
COMMENT ON COLUMN leads.reserved_by IS
    'preview mode: the extension of the agent this lead is shown to, until reserved_until; '
    'other agents are shown the next lead';
COMMENT ON COLUMN leads.reserved_until IS
    'when the reservation lapses (renewed each time the agent''s page asks for its lead)';
-- cc_dialerd already has SELECT and UPDATE on leads (028)
