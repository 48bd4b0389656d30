-- 001_initial.sql - schema version 1: SIP users and their registrations, trunks, the
-- dialplan, the tables cdrd writes CDRs into, the NOTIFY that makes daemons reload their
-- configuration, and the grants that give each daemon role only what it needs.
--
-- `ccctl migrate` runs this as the owner role (cc_admin), in one transaction together with
-- its schema_migrations row, so there is no BEGIN/COMMIT here. The runner creates
-- schema_migrations itself; the roles come from deploy/sql/roles.sql.

-- ---- access: nothing for PUBLIC, CONNECT + USAGE for the suite's roles ----------------

-- The database name is not fixed (tests use their own), hence the dynamic statement.
DO $grants$
BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO cc_sipproxy, cc_acdd, cc_ivrd, '
                   'cc_recorderd, cc_cdrd, cc_bi', current_database());
END
$grants$;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO cc_sipproxy, cc_acdd, cc_ivrd, cc_recorderd, cc_cdrd, cc_bi;

-- Every daemon checks the schema version at start-up (cc_pg_check_schema).
GRANT SELECT ON schema_migrations TO cc_sipproxy, cc_acdd, cc_ivrd, cc_recorderd, cc_cdrd;

-- ---- SIP users and registrations --------------------------------------------------

CREATE TABLE sip_users (
    ext         text PRIMARY KEY CHECK (ext ~ '^[0-9]{2,15}$'),
    name        text NOT NULL DEFAULT '' CHECK (length(name) <= 100),
    realm       text NOT NULL CHECK (realm <> ''),
    ha1         text NOT NULL CHECK (ha1 ~ '^[0-9a-f]{32}$'),
    ha1_sha256  text NOT NULL CHECK (ha1_sha256 ~ '^[0-9a-f]{64}$'),
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sip_users IS
    'Phones that may register and call. No password is stored: only the digest HA1s, '
    'which are what a SIP registrar needs and which are tied to one realm.';
COMMENT ON COLUMN sip_users.ext IS 'extension number, 2-15 digits; also the SIP user name';
COMMENT ON COLUMN sip_users.realm IS
    'digest realm the HA1s were computed against ([common] sip_domain at the time); after '
    'changing sip_domain every password must be set again (ccctl user passwd)';
COMMENT ON COLUMN sip_users.ha1 IS 'lower-case hex MD5 of "ext:realm:password" (RFC 2617)';
COMMENT ON COLUMN sip_users.ha1_sha256 IS
    'lower-case hex SHA-256 of "ext:realm:password" (RFC 7616)';

CREATE TABLE sip_contacts (
    ext         text NOT NULL REFERENCES sip_users (ext) ON DELETE CASCADE,
    contact     text NOT NULL CHECK (contact <> ''),
    source      text,
    transport   text CHECK (lower(transport) IN ('udp', 'tcp', 'tls', 'ws', 'wss')),
    user_agent  text,
    call_id     text,
    cseq        integer CHECK (cseq >= 0),
    expires_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ext, contact)
);
COMMENT ON TABLE sip_contacts IS
    'Current registrations, written by sipproxy. A row is live while expires_at is in the '
    'future; sipproxy deletes expired rows.';
COMMENT ON COLUMN sip_contacts.contact IS 'Contact URI the phone registered';
COMMENT ON COLUMN sip_contacts.source IS
    'ip:port the REGISTER came from (where requests are sent behind NAT)';
COMMENT ON COLUMN sip_contacts.call_id IS 'Call-ID of the REGISTER; with cseq it orders refreshes';
CREATE INDEX sip_contacts_expires_at_idx ON sip_contacts (expires_at);

-- ---- trunks ---------------------------------------------------------------------

CREATE TABLE trunks (
    name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.-]{1,63}$'),
    host        text NOT NULL CHECK (host <> ''),
    port        integer NOT NULL DEFAULT 5060 CHECK (port BETWEEN 1 AND 65535),
    username    text,
    password    text,
    transport   text NOT NULL DEFAULT 'udp' CHECK (transport IN ('udp', 'tcp')),
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((username IS NULL) = (password IS NULL))
);
COMMENT ON TABLE trunks IS 'SIP providers or PBXs calls go out through and come in from.';
COMMENT ON COLUMN trunks.username IS
    'user name for the far side''s digest challenge (NULL: no authentication)';
COMMENT ON COLUMN trunks.password IS
    'password for the far side''s digest challenge, in clear: answering a challenge needs the '
    'password itself (or an HA1 for the provider''s realm, which is not known in advance). '
    'Only the owner and sipproxy can read this table; ccctl never prints it.';

-- ---- dialplan ------------------------------------------------------------------

CREATE TABLE dialplan (
    id           bigserial PRIMARY KEY,
    pattern      text NOT NULL UNIQUE CHECK (length(pattern) BETWEEN 1 AND 63),
    target_kind  text NOT NULL CHECK (target_kind IN ('ext', 'queue', 'ivr', 'trunk')),
    target       text NOT NULL CHECK (target ~ '^[A-Za-z0-9_.-]{1,63}$'),
    strip        integer NOT NULL DEFAULT 0 CHECK (strip BETWEEN 0 AND 63),
    prefix       text NOT NULL DEFAULT '' CHECK (prefix ~ '^[0-9*#+]{0,63}$'),
    created_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dialplan IS
    'Dialled number -> target. Pattern syntax and the choice among several matches are '
    'those of common/cc_dialplan.h (X N Z [1-5] . !); ccctl validates with the same code '
    'sipproxy matches with. Existence of the target is checked by ccctl, not here.';
COMMENT ON COLUMN dialplan.id IS
    'also the last tie-breaker between equally specific patterns: the older route wins';
COMMENT ON COLUMN dialplan.strip IS
    'leading characters removed from the number before it is sent on (trunks)';
COMMENT ON COLUMN dialplan.prefix IS 'prepended after stripping';

-- ---- reload on change: one NOTIFY per statement, payload = the table's name ----------

CREATE FUNCTION cc_notify_config() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM pg_notify('cc_config', TG_TABLE_NAME);
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION cc_notify_config() IS
    'NOTIFY cc_config with the table name after any change to configuration tables, so '
    'daemons that LISTEN reload them live (Postgres folds duplicates within a transaction).';

CREATE TRIGGER sip_users_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sip_users
    FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();
CREATE TRIGGER trunks_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON trunks
    FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();
CREATE TRIGGER dialplan_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dialplan
    FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();

GRANT SELECT ON sip_users, trunks, dialplan TO cc_sipproxy;
GRANT SELECT, INSERT, UPDATE, DELETE ON sip_contacts TO cc_sipproxy;

-- cdrd tables: begin
-- Written only by cdrd, from the bus events (common/events/call.def). Writes are keyed by
-- the event id, and bus_cursors is updated in the same transaction, so a replay after a
-- crash never duplicates a row.

CREATE TABLE calls_active (
    call_id       text PRIMARY KEY,
    caller        text,
    callee        text,
    direction     text CHECK (direction IN ('internal', 'inbound', 'outbound')),
    trunk         text,
    route_kind    text,
    route_target  text,
    created_at    timestamptz,
    ringing_at    timestamptz,
    answered_at   timestamptz,
    answered_by   text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    bus_epoch     bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE calls_active IS
    'Calls in progress as cdrd saw them (call.created .. call.ended); the row moves to cdrs '
    'when the call ends.';
COMMENT ON COLUMN calls_active.created_at IS
    'ts of call.created; NULL while only later events of the call were seen (created lost)';
COMMENT ON COLUMN calls_active.bus_epoch IS
    'sipproxy epoch the call belongs to: calls of an older epoch died with that sipproxy '
    'and are closed as failed when cdrd sees the new epoch';

CREATE TABLE cdrs (
    call_id       text PRIMARY KEY,
    caller        text,
    callee        text,
    direction     text CHECK (direction IN ('internal', 'inbound', 'outbound')),
    trunk         text,
    route_kind    text,
    route_target  text,
    answered_by   text,
    created_at    timestamptz NOT NULL,
    answered_at   timestamptz,
    ended_at      timestamptz NOT NULL,
    ring_ms       integer CHECK (ring_ms >= 0),
    talk_ms       integer CHECK (talk_ms >= 0),
    disposition   text NOT NULL,
    hangup_side   text NOT NULL,
    sip_code      integer NOT NULL CHECK (sip_code BETWEEN 0 AND 699),
    reason        text NOT NULL,
    event_id      text NOT NULL UNIQUE
);
COMMENT ON TABLE cdrs IS 'One row per finished call (call.ended), append-only.';
COMMENT ON COLUMN cdrs.caller IS
    'NULL (as callee and direction) only when call.created was lost on the bus: the CDR '
    'then holds what the later events said';
COMMENT ON COLUMN cdrs.created_at IS
    'ts of call.created (if that event was lost: the earliest ts known for the call)';
COMMENT ON COLUMN cdrs.ring_ms IS
    'from call.created to answer, or to the end for unanswered calls (whether or not a 180 '
    'came back); NULL when call.created was lost';
COMMENT ON COLUMN cdrs.talk_ms IS
    'from answer to end; 0 for unanswered calls; NULL for an answered call whose '
    'call.answered was lost';
COMMENT ON COLUMN cdrs.sip_code IS
    'final SIP status (200 for answered calls); 0 when there was none, e.g. the call was '
    'closed because sipproxy restarted under it';
COMMENT ON COLUMN cdrs.disposition IS
    'answered, busy, no_answer, cancelled, declined, unavailable, not_found, failed, '
    'media_timeout (see call.ended in docs/EVENTS.md)';
COMMENT ON COLUMN cdrs.hangup_side IS 'caller, callee or system';
COMMENT ON COLUMN cdrs.event_id IS
    'id of the call.ended event (publisher, epoch, sequence): makes replays idempotent';
CREATE INDEX cdrs_created_at_idx ON cdrs (created_at);
CREATE INDEX cdrs_caller_idx ON cdrs (caller);
CREATE INDEX cdrs_callee_idx ON cdrs (callee);
CREATE INDEX cdrs_answered_by_idx ON cdrs (answered_by);

CREATE TABLE cdr_legs (
    call_id       text NOT NULL REFERENCES cdrs (call_id) ON DELETE CASCADE,
    leg           text NOT NULL CHECK (leg IN ('caller', 'callee')),
    packets_in    bigint CHECK (packets_in >= 0),
    bytes_in      bigint CHECK (bytes_in >= 0),
    packets_out   bigint CHECK (packets_out >= 0),
    bytes_out     bigint CHECK (bytes_out >= 0),
    lost          bigint,
    out_of_order  bigint,
    jitter_ms     real,
    max_gap_ms    integer,
    PRIMARY KEY (call_id, leg)
);
COMMENT ON TABLE cdr_legs IS
    'Media statistics per leg of a finished call, as mediad measured them.';
COMMENT ON COLUMN cdr_legs.lost IS
    'packets lost as RTP sequence numbers show them (negative with duplicates, as in '
    'RFC 3550)';

CREATE TABLE bus_cursors (
    consumer    text NOT NULL,
    publisher   text NOT NULL,
    epoch       bigint NOT NULL,
    seq         bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, publisher)
);
COMMENT ON TABLE bus_cursors IS
    'Last bus event each reliable consumer stored, per publisher; written in the same '
    'transaction as the rows that event produced, so a restart resumes exactly there.';

CREATE VIEW v_cdr AS
SELECT c.call_id, c.created_at, c.answered_at, c.ended_at,
       c.caller, c.callee, c.direction, c.trunk, c.route_kind, c.route_target,
       c.answered_by, c.disposition, c.hangup_side, c.sip_code, c.reason,
       c.ring_ms, c.talk_ms,
       a.packets_in  AS caller_packets_in,  a.packets_out AS caller_packets_out,
       a.lost        AS caller_lost,        a.jitter_ms   AS caller_jitter_ms,
       a.max_gap_ms  AS caller_max_gap_ms,
       b.packets_in  AS callee_packets_in,  b.packets_out AS callee_packets_out,
       b.lost        AS callee_lost,        b.jitter_ms   AS callee_jitter_ms,
       b.max_gap_ms  AS callee_max_gap_ms
  FROM cdrs c
  LEFT JOIN cdr_legs a ON a.call_id = c.call_id AND a.leg = 'caller'
  LEFT JOIN cdr_legs b ON b.call_id = c.call_id AND b.leg = 'callee';
COMMENT ON VIEW v_cdr IS
    'Stable view for BI (role cc_bi): one row per finished call with the media figures of '
    'both legs (NULL when mediad reported none). Times are timestamptz; durations in ms. '
    'Columns are only ever added, never renamed, so reports keep working.';

GRANT SELECT, INSERT, UPDATE, DELETE ON calls_active, cdrs, cdr_legs, bus_cursors TO cc_cdrd;
GRANT SELECT ON v_cdr TO cc_bi;
-- cdrd tables: end
