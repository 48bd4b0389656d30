-- 025_pbx_routing.sql - schema version 25: per-extension routing that sipproxy applies when
-- a call rings an extension: do-not-disturb, call forwarding (always, on busy, on no
-- answer, when not registered) and the extension's ring time. One row per extension that
-- has any of it; an extension without a row rings plainly. Set by `ccctl user dnd|forward|
-- ringtime` and by the phone's feature codes (*78 and *79 DND, *72<number> and *73 forward
-- always), which sipproxy writes. Reloaded live through cc_config like sip_users.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

CREATE TABLE pbx_user_settings (
    ext             text PRIMARY KEY REFERENCES sip_users (ext) ON DELETE CASCADE,
    dnd             boolean NOT NULL DEFAULT false,
    fwd_always      text CHECK (fwd_always ~ '^(ext|number|vm):[0-9A-Za-z*#+._-]{1,40}$'),
    fwd_busy        text CHECK (fwd_busy ~ '^(ext|number|vm):[0-9A-Za-z*#+._-]{1,40}$'),
    fwd_noanswer    text CHECK (fwd_noanswer ~ '^(ext|number|vm):[0-9A-Za-z*#+._-]{1,40}$'),
    fwd_unavailable text CHECK (fwd_unavailable ~ '^(ext|number|vm):[0-9A-Za-z*#+._-]{1,40}$'),
    ring_time_s     integer NOT NULL DEFAULT 20 CHECK (ring_time_s BETWEEN 5 AND 300),
    followme        text CHECK (followme ~
        '^(ext|number):[0-9+*#]{2,32}/[0-9]{1,3}(,(ext|number):[0-9+*#]{2,32}/[0-9]{1,3}){0,7}$'),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE pbx_user_settings IS
    'per-extension routing applied by sipproxy when a call rings the extension';
COMMENT ON COLUMN pbx_user_settings.dnd IS
    'do-not-disturb: callers get 486, or fwd_busy (reason dnd) when set';
COMMENT ON COLUMN pbx_user_settings.fwd_always IS
    'every call goes there instead (reason always); ext:X, number:N (dialplan) or vm:X';
COMMENT ON COLUMN pbx_user_settings.fwd_busy IS
    'where a call goes when the phone answers busy (486/600/603) or is on DND';
COMMENT ON COLUMN pbx_user_settings.fwd_noanswer IS
    'where a call goes when nobody answered within ring_time_s';
COMMENT ON COLUMN pbx_user_settings.fwd_unavailable IS
    'where a call goes when the extension has no registered phone (or every phone failed)';
COMMENT ON COLUMN pbx_user_settings.followme IS
    'follow-me: targets rung one after the other instead of the extension, each for its '
    'own seconds ("ext:1001/10,ext:1002/15,number:5551234/20"), then fwd_noanswer';
COMMENT ON COLUMN pbx_user_settings.ring_time_s IS
    'how long the extension rings before fwd_noanswer takes the call (when it is set)';

CREATE TRIGGER pbx_user_settings_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON pbx_user_settings FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();

-- sipproxy reads it, and writes what the phone's feature codes change
GRANT SELECT, INSERT, UPDATE ON pbx_user_settings TO cc_sipproxy;

-- ---- ring groups: a number that rings several extensions -----------------------------

CREATE TABLE ring_groups (
    name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.-]{1,40}$'),
    mode        text NOT NULL DEFAULT 'all' CHECK (mode IN ('all', 'order', 'hunt')),
    members     text[] NOT NULL CHECK (cardinality(members) BETWEEN 1 AND 8),
    ring_s      integer NOT NULL DEFAULT 15 CHECK (ring_s BETWEEN 5 AND 300),
    fallback    text CHECK (fallback ~ '^(ext|number|vm):[0-9A-Za-z*#+._-]{1,40}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ring_groups IS
    'ring groups, reached through a dialplan route to group:NAME (ccctl ringgroup add)';
COMMENT ON COLUMN ring_groups.mode IS
    'all: every member at once for ring_s; order: one after the other, ring_s each; '
    'hunt: one after the other, starting one further at each call (round robin)';
COMMENT ON COLUMN ring_groups.members IS 'extensions, in order';
COMMENT ON COLUMN ring_groups.fallback IS
    'where the call goes when no member answered: ext:X, number:N or vm:X; NULL: it fails';
CREATE TRIGGER ring_groups_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ring_groups
    FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();
GRANT SELECT ON ring_groups TO cc_sipproxy;

ALTER TABLE dialplan DROP CONSTRAINT dialplan_target_kind_check;
ALTER TABLE dialplan ADD CONSTRAINT dialplan_target_kind_check
    CHECK (target_kind IN ('ext', 'queue', 'ivr', 'trunk', 'conf', 'vm', 'group'));
