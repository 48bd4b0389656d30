-- 009_conference.sql - schema version 9: conference rooms. A room is a row here and a
-- dialplan route NUMBER -> conf:ROOM (ccctl conf add writes both in one transaction, del
-- removes both). sipproxy hands a call to conf:ROOM to ivrd (conf.start), which runs the
-- room; ivrd keeps the rooms in memory and reloads them on NOTIFY cc_config 'conferences'.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

ALTER TABLE dialplan DROP CONSTRAINT dialplan_target_kind_check;
ALTER TABLE dialplan ADD CONSTRAINT dialplan_target_kind_check
    CHECK (target_kind IN ('ext', 'queue', 'ivr', 'trunk', 'conf'));

CREATE TABLE conferences (
    name           text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.-]{1,63}$'),
    number         text NOT NULL UNIQUE CHECK (number ~ '^[0-9*#+]{1,63}$'),
    pin            text NOT NULL DEFAULT '' CHECK (pin ~ '^[0-9]{0,12}$'),
    moderator_pin  text NOT NULL DEFAULT '' CHECK (moderator_pin ~ '^[0-9]{0,12}$'),
    max_members    integer NOT NULL DEFAULT 0 CHECK (max_members BETWEEN 0 AND 64),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (moderator_pin = '' OR moderator_pin <> pin)
);
COMMENT ON TABLE conferences IS
    'Conference rooms (ccctl conf). Callers dial number (a dialplan route to conf:<name>) '
    'and are run by ivrd; see README, Conference rooms.';
COMMENT ON COLUMN conferences.pin IS
    'digits a caller must enter to join; '''' for none. Read by ivrd only, never logged.';
COMMENT ON COLUMN conferences.moderator_pin IS
    'digits that make a caller the moderator (lock, mute all); with one set, participants '
    'wait with music until a moderator has joined. '''' for none.';
COMMENT ON COLUMN conferences.max_members IS 'most participants at once; 0: mediad''s limit';

CREATE TRIGGER conferences_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON conferences
    FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();

GRANT SELECT ON conferences TO cc_ivrd;
