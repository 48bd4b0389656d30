-- 022_screening.sql - schema version 22: screening and calling permissions (issue 15).
-- Blocked and allowed caller numbers (global or per extension), the class of service of
-- each extension and the prefixes that define the classes, extra emergency numbers, and
-- routing by the caller's prefix. ccctl writes them; sipproxy reads them with the
-- directory and reloads on NOTIFY cc_config. The matching is common/cc_screen.h's.
-- Music on hold per extension (sip_users.moh) and per queue (queues.music).
-- cdrs.disposition gains 'blocked'.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

CREATE TABLE screen_rules (
    id       bigserial PRIMARY KEY,
    ext      text NOT NULL DEFAULT '' CHECK (ext = '' OR ext ~ '^[0-9]{2,15}$'),
    list     text NOT NULL CHECK (list IN ('block', 'allow')),
    pattern  text NOT NULL CHECK (pattern ~ '^(anonymous|\+?[0-9*#]{1,32}\*?)$'),
    action   text NOT NULL DEFAULT 'busy' CHECK (action IN ('busy', 'message')),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (ext, list, pattern)
);
COMMENT ON TABLE screen_rules IS
    'Callers refused (block) or let through (allow, which wins over any block) before a call '
    'is routed. ext '''' applies to every call, else to calls that reach that extension.';
COMMENT ON COLUMN screen_rules.pattern IS
    'an exact caller number, a prefix ending in * (+44* ...), or anonymous (From anonymous, '
    'Privacy: id, or no number)';
COMMENT ON COLUMN screen_rules.action IS
    'block only: busy (486) or message (the caller hears the call-blocked prompt as early '
    'media, then 486)';

CREATE TABLE cos_prefixes (
    class   text NOT NULL CHECK (class IN ('local', 'national', 'international', 'emergency')),
    prefix  text NOT NULL CHECK (prefix ~ '^\+?[0-9*#]{1,32}$'),
    PRIMARY KEY (prefix)
);
COMMENT ON TABLE cos_prefixes IS
    'What a number dialled out through a trunk costs: the longest matching prefix gives its '
    'class; a number no prefix matches is international. class emergency lists extra '
    'emergency numbers (exact) beside 112, 911 and 999, which every extension may dial.';

ALTER TABLE sip_users ADD COLUMN cos text NOT NULL DEFAULT 'international'
    CHECK (cos IN ('internal', 'local', 'national', 'international'));
COMMENT ON COLUMN sip_users.cos IS
    'class of service: the widest class of number this extension may dial out (internal: no '
    'trunk calls but emergency numbers); a refused call gets 403 and the not-permitted prompt';

-- music on hold per extension and per queue: a prompt name (ccctl prompt upload)
ALTER TABLE sip_users ADD COLUMN moh text NOT NULL DEFAULT ''
    CHECK (moh ~ '^([A-Za-z0-9_-]{1,63}(/[A-Za-z0-9_-]{1,63})*)?$');
COMMENT ON COLUMN sip_users.moh IS
    'prompt the party this extension puts on hold hears, looped; '''' = [sipproxy] hold_music';
ALTER TABLE queues ADD COLUMN music text NOT NULL DEFAULT ''
    CHECK (music ~ '^([A-Za-z0-9_-]{1,63}(/[A-Za-z0-9_-]{1,63})*)?$');
COMMENT ON COLUMN queues.music IS
    'prompt looped to this queue''s waiting callers; '''' = [acdd] music';

CREATE TABLE caller_routes (
    number       text NOT NULL CHECK (number ~ '^\+?[0-9*#]{1,32}$'),
    caller_prefix text NOT NULL CHECK (caller_prefix ~ '^\+?[0-9]{1,32}$'),
    target_kind  text NOT NULL CHECK (target_kind IN ('ext', 'queue', 'ivr', 'trunk', 'conf', 'vm')),
    target       text NOT NULL,
    PRIMARY KEY (number, caller_prefix)
);
COMMENT ON TABLE caller_routes IS
    'Routing by the caller''s area code or country prefix: a call to number (as dialled) from '
    'a caller whose number starts with caller_prefix goes to the target instead of the '
    'number''s dialplan route (the longest prefix wins; no match: the dialplan route).';

CREATE TRIGGER screen_rules_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON screen_rules
    FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();
CREATE TRIGGER cos_prefixes_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cos_prefixes
    FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();
CREATE TRIGGER caller_routes_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON caller_routes FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();

GRANT SELECT ON screen_rules, cos_prefixes, caller_routes TO cc_sipproxy;

COMMENT ON COLUMN cdrs.disposition IS
    'answered, busy, no_answer, cancelled, declined, unavailable, not_found, failed, '
    'media_timeout (see call.ended in docs/EVENTS.md); abandoned (hung up waiting in a queue '
    'or an IVR before a person answered); interrupted (a crash of sipproxy or mediad cut '
    'the call or turned it away: reason says which, ended_at is the last moment known alive); '
    'blocked (refused by screening or calling permissions before it was routed: reason says '
    'which rule, e.g. "blocked: global list +4420*" or "not permitted: international")';
