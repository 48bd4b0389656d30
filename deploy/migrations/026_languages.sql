-- 026_languages.sql - schema version 26: a language per queue and per conference room, so
-- Mandarin works end to end and not only in IVR flows and mailboxes (which have theirs):
-- the queue's position and wait announcements and its callback offer, and the room's
-- join, PIN and moderator prompts, are played from that language's prompt set and numbers
-- are read its way. Set by `ccctl queue language` and `ccctl conf add --language`.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

ALTER TABLE queues ADD COLUMN language text NOT NULL DEFAULT ''
    CHECK (language IN ('', 'en', 'cmn'));
COMMENT ON COLUMN queues.language IS
    'language of what the queue says to its callers: en or cmn (Mandarin); '''' = [acdd] language';

ALTER TABLE conferences ADD COLUMN language text NOT NULL DEFAULT 'en'
    CHECK (language IN ('en', 'cmn'));
COMMENT ON COLUMN conferences.language IS
    'language of the room''s prompts (PIN, join, first participant, waiting): en or cmn';
