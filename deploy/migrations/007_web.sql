-- 007_web.sql - schema version 7: the web gateway (webd). Its users (agents, supervisors,
-- admins) with Argon2id password hashes, its API tokens and sessions (only a SHA-256 of
-- each secret is stored), the audit log of every action taken through it, per-queue alert
-- thresholds; and the views webd reads the ACD through (also granted to BI). The daily
-- queue view gains the service-level variants the wallboard can show, and a new view
-- gives handle time per queue, so the wallboard and the reports share one definition.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).
-- The role cc_webd comes from deploy/sql/roles.sql.

DO $grants$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO cc_webd', current_database());
END
$grants$;
GRANT USAGE ON SCHEMA public TO cc_webd;
GRANT SELECT ON schema_migrations TO cc_webd;

-- ---- users, tokens, sessions ----------------------------------------------------------

CREATE TABLE web_users (
    name           text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.@-]{1,64}$'),
    role           text NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    queues         text[] CHECK (queues IS NULL OR cardinality(queues) <= 256),
    ext            text CHECK (ext ~ '^[0-9]{2,15}$'),
    password_hash  text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    disabled       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE web_users IS
    'People who log in to the web gateway (`ccctl web user ...`). Only the Argon2id hash of '
    'the password is stored (libsodium crypto_pwhash_str).';
COMMENT ON COLUMN web_users.queues IS
    'queues this user sees and acts on; NULL: every queue (given as --queues ''*'')';
COMMENT ON COLUMN web_users.ext IS 'for the agent role: the agent''s extension';

CREATE TABLE web_tokens (
    name          text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.@-]{1,64}$'),
    role          text NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    queues        text[] CHECK (queues IS NULL OR cardinality(queues) <= 256),
    token_sha256  text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz
);
COMMENT ON TABLE web_tokens IS
    'Bearer tokens for the JSON API (`ccctl web token add`), printed once at creation; only '
    'their SHA-256 is stored. Same role and queue rules as a user.';

CREATE TABLE web_sessions (
    id_sha256     text PRIMARY KEY CHECK (id_sha256 ~ '^[0-9a-f]{64}$'),
    user_name     text NOT NULL REFERENCES web_users (name) ON DELETE CASCADE,
    csrf          text NOT NULL,
    address       text NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);
COMMENT ON TABLE web_sessions IS
    'Logged-in browser sessions, so a restarted webd keeps them. The cookie itself is not '
    'stored, only its SHA-256; csrf is the token state-changing requests must echo.';
CREATE INDEX web_sessions_user_idx ON web_sessions (user_name);

CREATE TABLE web_audit (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL,
    actor     text NOT NULL,
    role      text,
    action    text NOT NULL,
    target    text,
    detail    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object'),
    address   text NOT NULL,
    result    text NOT NULL
);
COMMENT ON TABLE web_audit IS
    'One row per action taken through the web gateway, append-only: who (user name, or '
    'token:NAME), what (action, target, detail), when, from where, and the result (ok or '
    'the error code). Failed logins are actions too.';
CREATE INDEX web_audit_at_idx ON web_audit (at);

CREATE TABLE web_alert_rules (
    queue            text PRIMARY KEY CHECK (queue ~ '^[A-Za-z0-9_.-]{1,63}$'),
    sl_target_pct    integer CHECK (sl_target_pct BETWEEN 0 AND 100),
    max_wait_s       integer CHECK (max_wait_s BETWEEN 1 AND 86400),
    max_call_s       integer CHECK (max_call_s BETWEEN 1 AND 86400),
    max_not_ready_s  integer CHECK (max_not_ready_s BETWEEN 1 AND 86400)
);
COMMENT ON TABLE web_alert_rules IS
    'Alert thresholds per queue (`ccctl web alert set`); a NULL column takes the [webd] '
    'default.';

CREATE TRIGGER web_users_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON web_users
    FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();
CREATE TRIGGER web_tokens_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON web_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();
CREATE TRIGGER web_alert_rules_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON web_alert_rules
    FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();

-- ---- views of the ACD (webd reads nothing else of it) ---------------------------------

CREATE VIEW v_queues AS
SELECT name, number, strategy, sl_threshold_s FROM queues;
COMMENT ON VIEW v_queues IS 'Queues with the threshold their service level is measured by.';

CREATE VIEW v_queue_members AS
SELECT m.queue, m.ext, a.name AS agent_name
  FROM queue_members m JOIN agents a ON a.ext = m.ext;
COMMENT ON VIEW v_queue_members IS 'Which agents serve which queue.';

CREATE VIEW v_callbacks AS
SELECT call_id, queue, number, requested_at, attempts, last_attempt, agent, result
  FROM callbacks;
COMMENT ON VIEW v_callbacks IS
    'Callbacks: pending until an agent and then the customer answer, connected, or failed.';

CREATE VIEW v_agent_calls AS
SELECT call_id, queue, agent, ts AS completed_at, talk_s
  FROM queue_log WHERE event = 'completed' AND agent IS NOT NULL;
COMMENT ON VIEW v_agent_calls IS
    'One row per queue call an agent finished (hung up, or transferred away): talk_s from '
    'answer to the end of the agent''s part.';

CREATE VIEW v_agent_state_changes AS
SELECT ext, state, reason, previous, started_at, previous_s FROM agent_state_history;
COMMENT ON VIEW v_agent_state_changes IS
    'Every agent state change: the new state from started_at, and previous_s seconds spent '
    'in the previous one.';

-- A wrap-up belongs to the queue of the call the agent finished last before it ended.
CREATE INDEX queue_log_completed_idx ON queue_log (agent, ts) WHERE event = 'completed';

CREATE VIEW v_queue_handle_daily AS
WITH talk AS (
    SELECT queue, date_trunc('day', completed_at) AS day, count(*) AS handled,
           sum(talk_s) AS talk_s
      FROM v_agent_calls GROUP BY queue, date_trunc('day', completed_at)),
wrap AS (
    SELECT c.queue, date_trunc('day', h.started_at) AS day, sum(h.previous_s) AS wrap_up_s
      FROM agent_state_history h
     CROSS JOIN LATERAL (SELECT x.queue FROM queue_log x
                          WHERE x.event = 'completed' AND x.agent = h.ext
                            AND x.ts <= h.started_at
                          ORDER BY x.ts DESC, x.id DESC LIMIT 1) c
     WHERE h.previous = 'wrap_up'
     GROUP BY c.queue, date_trunc('day', h.started_at))
SELECT coalesce(t.queue, w.queue) AS queue, coalesce(t.day, w.day) AS day,
       coalesce(t.handled, 0) AS handled,
       round(coalesce(t.talk_s, 0)::numeric, 1) AS talk_s,
       round(coalesce(w.wrap_up_s, 0)::numeric, 1) AS wrap_up_s,
       round(((coalesce(t.talk_s, 0) + coalesce(w.wrap_up_s, 0))
              / nullif(t.handled, 0))::numeric, 1) AS aht_s
  FROM talk t FULL JOIN wrap w ON w.queue = t.queue AND w.day = t.day;
COMMENT ON VIEW v_queue_handle_daily IS
    'Per queue and day: calls finished by agents (handled), their talk time, the wrap-up '
    'that followed them (each wrap-up counts for the queue of the call the agent finished '
    'last), and AHT = (talk + wrap-up) / handled. Days are those of the end of the talk and '
    'of the wrap-up.';

-- Service level, three ways; columns added at the end so existing reports keep working.
-- Abandoned within the threshold uses the queue's current sl_threshold_s.
CREATE OR REPLACE VIEW v_queue_stats_daily AS
SELECT v.queue, date_trunc('day', v.entered_at) AS day,
       count(*) AS offered,
       count(*) FILTER (WHERE v.outcome = 'answered') AS answered,
       count(*) FILTER (WHERE v.outcome = 'abandoned') AS abandoned,
       count(*) FILTER (WHERE v.outcome = 'overflowed') AS overflowed,
       round(100.0 * count(*) FILTER (WHERE v.outcome = 'answered') / count(*), 1)
           AS answer_rate_pct,
       round(100.0 * count(*) FILTER (WHERE v.outcome = 'abandoned') / count(*), 1)
           AS abandon_rate_pct,
       round(avg(v.answer_wait_s)::numeric, 1) AS asa_s,
       round(avg(v.talk_s)::numeric, 1) AS avg_talk_s,
       round(100.0 * count(*) FILTER (WHERE v.in_sl) / nullif(count(*) FILTER (WHERE v.outcome IN
           ('answered', 'abandoned')), 0), 1) AS service_level_pct,
       count(*) FILTER (WHERE v.in_sl) AS answered_in_sl,
       count(*) FILTER (WHERE v.outcome = 'abandoned' AND v.abandon_wait_s <= q.sl_threshold_s)
           AS abandoned_in_sl,
       round(100.0 * count(*) FILTER (WHERE v.in_sl)
             / nullif(count(*) FILTER (WHERE v.outcome = 'answered'), 0), 1)
           AS sl_answered_pct,
       round(100.0 * (count(*) FILTER (WHERE v.in_sl)
                      + count(*) FILTER (WHERE v.outcome = 'abandoned'
                                           AND v.abandon_wait_s <= q.sl_threshold_s))
             / count(*), 1) AS sl_offered_pct
  FROM v_queue_calls v LEFT JOIN queues q ON q.name = v.queue
 GROUP BY v.queue, date_trunc('day', v.entered_at);
COMMENT ON VIEW v_queue_stats_daily IS
    'As v_queue_stats_hourly, per day; also the service level measured two other ways: '
    'answered within the threshold / answered (sl_answered_pct), and answered or abandoned '
    'within it / offered (sl_offered_pct).';

-- ---- grants ---------------------------------------------------------------------------

GRANT SELECT ON web_users, web_tokens, web_alert_rules TO cc_webd;
GRANT SELECT, INSERT, UPDATE, DELETE ON web_sessions TO cc_webd;
GRANT SELECT, INSERT ON web_audit TO cc_webd;
GRANT SELECT ON v_queues, v_queue_members, v_callbacks, v_agent_calls, v_agent_state_changes,
    v_queue_handle_daily, v_queue_calls, v_queue_stats_daily, v_queue_stats_hourly,
    v_agent_stats_daily, v_agent_stats_hourly, v_agent_states, v_cdr, v_recordings TO cc_webd;
GRANT SELECT ON v_queues, v_queue_members, v_callbacks, v_agent_calls, v_agent_state_changes,
    v_queue_handle_daily, v_queue_stats_daily TO cc_bi;
