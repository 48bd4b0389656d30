-- 016_disposition_comment.sql - schema version 16: cdrs.disposition's comment lists every
-- value cdrd writes, including those added since 001: abandoned (the caller hung up waiting
-- in a queue or an IVR) and interrupted (a daemon's crash cut the call; reason says which).
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

COMMENT ON COLUMN cdrs.disposition IS
    'answered, busy, no_answer, cancelled, declined, unavailable, not_found, failed, '
    'media_timeout (see call.ended in docs/EVENTS.md); abandoned (hung up waiting in a queue '
    'or an IVR before a person answered); interrupted (a crash of sipproxy or mediad cut '
    'the call or turned it away: reason says which, ended_at is the last moment known alive)';
