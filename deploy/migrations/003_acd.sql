-- 003_acd.sql - schema version 3: the ACD. Queues, agents, their skills and queue
-- memberships (configuration: ccctl writes, acdd reads and reloads on NOTIFY cc_config);
-- the live state acdd keeps so that a restart (kill -9 included) loses nobody: agent
-- states and the calls waiting in queues; and the append-only logs the reports read:
-- agent_state_history, queue_log, callbacks. Reports: the views at the end, documented in
-- docs/REPORTS.md.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

-- ---- configuration ------------------------------------------------------------------

CREATE TABLE queues (
    name              text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.-]{1,63}$'),
    number            text CHECK (number ~ '^[0-9*#+]{1,31}$'),
    strategy          text NOT NULL DEFAULT 'longest_idle'
                      CHECK (strategy IN ('ring_all', 'round_robin', 'longest_idle',
                                          'fewest_calls', 'skills')),
    ring_timeout_s    integer NOT NULL DEFAULT 20 CHECK (ring_timeout_s BETWEEN 1 AND 600),
    wrapup_s          integer NOT NULL DEFAULT 0 CHECK (wrapup_s BETWEEN 0 AND 3600),
    max_wait_s        integer NOT NULL DEFAULT 0 CHECK (max_wait_s BETWEEN 0 AND 86400),
    max_len           integer NOT NULL DEFAULT 0 CHECK (max_len BETWEEN 0 AND 100000),
    sl_threshold_s    integer NOT NULL DEFAULT 20 CHECK (sl_threshold_s BETWEEN 1 AND 3600),
    overflow_kind     text NOT NULL DEFAULT 'hangup'
                      CHECK (overflow_kind IN ('hangup', 'queue', 'extension', 'voicemail',
                                               'callback')),
    overflow_target   text NOT NULL DEFAULT ''
                      CHECK (overflow_target ~ '^[A-Za-z0-9_.-]{0,63}$'),
    announce          boolean NOT NULL DEFAULT true,
    announce_every_s  integer NOT NULL DEFAULT 0 CHECK (announce_every_s BETWEEN 0 AND 3600),
    skill             text NOT NULL DEFAULT '' CHECK (skill ~ '^[A-Za-z0-9_.-]{0,63}$'),
    skill_level       integer NOT NULL DEFAULT 1 CHECK (skill_level BETWEEN 1 AND 10),
    aging_rate        double precision NOT NULL DEFAULT 0 CHECK (aging_rate BETWEEN 0 AND 1000),
    callback_key      text NOT NULL DEFAULT '' CHECK (callback_key ~ '^[0-9*#]?$'),
    keep_ready_on_no_answer boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((overflow_kind IN ('queue', 'extension')) = (overflow_target <> ''))
);
COMMENT ON TABLE queues IS
    'ACD queues (docs/ACD-ROUTING.md). `ccctl queue add` also adds the dialplan route '
    'number -> queue:name.';
COMMENT ON COLUMN queues.ring_timeout_s IS 'how long one agent''s phone rings per offer';
COMMENT ON COLUMN queues.wrapup_s IS 'agent unavailable this long after a call of this queue';
COMMENT ON COLUMN queues.max_wait_s IS '0: no limit; then overflow_kind with reason timeout';
COMMENT ON COLUMN queues.max_len IS '0: no limit; a call beyond it overflows (reason full)';
COMMENT ON COLUMN queues.sl_threshold_s IS
    'service level: a call answered within this many seconds counts as in service level';
COMMENT ON COLUMN queues.overflow_target IS 'queue name or extension for those kinds, else empty';
COMMENT ON COLUMN queues.announce_every_s IS
    'position and expected wait are announced on entry and then every N seconds (0: entry only)';
COMMENT ON COLUMN queues.skill IS 'skills strategy: the skill calls need when they bring none';
COMMENT ON COLUMN queues.aging_rate IS
    'priority points a waiting call gains per second, so low priorities cannot wait forever';
COMMENT ON COLUMN queues.callback_key IS
    'DTMF key a waiting caller presses to be called back keeping the place ('''': none)';

CREATE TABLE agents (
    ext         text PRIMARY KEY REFERENCES sip_users (ext) ON DELETE CASCADE,
    name        text NOT NULL DEFAULT '' CHECK (length(name) <= 100),
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE agents IS 'Extensions that take queue calls; log in with ccctl or *45.';

CREATE TABLE agent_skills (
    ext    text NOT NULL REFERENCES agents (ext) ON DELETE CASCADE,
    skill  text NOT NULL CHECK (skill ~ '^[A-Za-z0-9_.-]{1,63}$'),
    level  integer NOT NULL CHECK (level BETWEEN 1 AND 10),
    PRIMARY KEY (ext, skill)
);
COMMENT ON COLUMN agent_skills.level IS '1 (basic) .. 10 (expert); a call needs at least its minimum';

CREATE TABLE queue_members (
    queue      text NOT NULL REFERENCES queues (name) ON DELETE CASCADE,
    ext        text NOT NULL REFERENCES agents (ext) ON DELETE CASCADE,
    position   bigserial,
    PRIMARY KEY (queue, ext)
);
COMMENT ON COLUMN queue_members.position IS 'join order: round robin goes round in this order';

CREATE TRIGGER queues_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON queues
    FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();
CREATE TRIGGER agents_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agents
    FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();
CREATE TRIGGER agent_skills_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agent_skills
    FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();
CREATE TRIGGER queue_members_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON queue_members
    FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();

-- ---- live state (acdd writes it behind its routing, restores it at start) ------------

CREATE TABLE agent_states (
    ext         text PRIMARY KEY REFERENCES agents (ext) ON DELETE CASCADE,
    state       text NOT NULL CHECK (state IN ('logged_out', 'ready', 'reserved', 'on_call',
                                               'wrap_up', 'not_ready')),
    reason      text NOT NULL DEFAULT '',
    since       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE agent_states IS
    'Current state of each agent as acdd last wrote it; acdd logs agents back in from here '
    'after a restart (reserved, on_call and wrap_up come back as ready).';

CREATE TABLE agent_state_history (
    id          bigserial PRIMARY KEY,
    ext         text NOT NULL,
    state       text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    previous    text NOT NULL,
    started_at  timestamptz NOT NULL,
    previous_s  double precision CHECK (previous_s >= 0)
);
COMMENT ON TABLE agent_state_history IS
    'Every agent state change, append-only (also published as agent.state). previous_s is '
    'how long the agent was in the previous state: time in state per agent and reason is '
    'sum(previous_s) grouped by previous.';
CREATE INDEX agent_state_history_ext_idx ON agent_state_history (ext, started_at);
CREATE INDEX agent_state_history_started_idx ON agent_state_history (started_at);

CREATE TABLE queue_calls (
    call_id      text PRIMARY KEY,
    queue        text NOT NULL,
    priority     integer NOT NULL DEFAULT 0,
    skill        text NOT NULL DEFAULT '',
    skill_level  integer NOT NULL DEFAULT 0,
    enqueued_at  timestamptz NOT NULL,
    seq          bigint NOT NULL,
    caller       text NOT NULL DEFAULT '',
    endpoint_id  bigint NOT NULL DEFAULT 0,
    variables    jsonb NOT NULL DEFAULT '{}',
    state        text NOT NULL DEFAULT 'waiting'
                 CHECK (state IN ('waiting', 'offered', 'callback')),
    connect_id   bigint,
    callback_id  bigint
);
COMMENT ON TABLE queue_calls IS
    'Calls acdd holds in its queues (their SIP and RTP legs live in sipproxy and mediad). A '
    'restarted acdd enqueues them again with their original enqueue time and order (seq), '
    'so they keep their places. Rows go when the call is answered, abandoned or overflowed.';
COMMENT ON COLUMN queue_calls.state IS
    'waiting; offered (an agent rings: connect_id is sipproxy''s attempt, cancelled after a '
    'restart); callback (the caller hung up and waits for a callback: callback_id)';

CREATE TABLE queue_log (
    id          bigserial PRIMARY KEY,
    ts          timestamptz NOT NULL,
    call_id     text NOT NULL,
    queue       text NOT NULL,
    event       text NOT NULL CHECK (event IN ('entered', 'offered', 'answered', 'abandoned',
                                               'overflowed', 'offer_failed', 'callback',
                                               'completed')),
    agent       text,
    caller      text,
    priority    integer,
    wait_s      double precision,
    talk_s      double precision,
    position    integer,
    in_sl       boolean,
    detail      text
);
COMMENT ON TABLE queue_log IS
    'One row per queue event of a call, append-only: entered, offered (agent), answered '
    '(wait_s, in_sl), abandoned (wait_s, position), overflowed (detail: reason/kind:target), '
    'offer_failed (agent, detail: reason), callback (detail: requested/connected/retry/'
    'failed), completed (agent, talk_s: answer to hang-up).';
CREATE INDEX queue_log_ts_idx ON queue_log (ts);
CREATE INDEX queue_log_call_idx ON queue_log (call_id);
CREATE INDEX queue_log_queue_ts_idx ON queue_log (queue, ts);

CREATE TABLE callbacks (
    id            bigserial PRIMARY KEY,
    call_id       text NOT NULL UNIQUE,
    queue         text NOT NULL,
    number        text NOT NULL,
    requested_at  timestamptz NOT NULL,
    attempts      integer NOT NULL DEFAULT 0,
    last_attempt  timestamptz,
    agent         text,
    result        text NOT NULL DEFAULT 'pending'
                  CHECK (result IN ('pending', 'connected', 'failed')),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE callbacks IS
    'Callbacks asked for by waiting callers: pending until an agent and then the customer '
    'answer (connected) or the attempts run out (failed).';

-- ---- reports (role cc_bi): stable views, columns only ever added ----------------------

CREATE VIEW v_queue_calls AS
SELECT e.call_id, e.queue, e.ts AS entered_at, e.caller, e.priority,
       a.ts AS answered_at, a.agent, a.wait_s AS answer_wait_s, a.in_sl,
       ab.ts AS abandoned_at, ab.wait_s AS abandon_wait_s, ab.position AS abandon_position,
       o.ts AS overflowed_at, o.detail AS overflow,
       c.talk_s,
       CASE WHEN a.call_id IS NOT NULL THEN 'answered'
            WHEN ab.call_id IS NOT NULL THEN 'abandoned'
            WHEN o.call_id IS NOT NULL THEN 'overflowed'
            ELSE 'open' END AS outcome
  FROM queue_log e
  LEFT JOIN LATERAL (SELECT * FROM queue_log x WHERE x.call_id = e.call_id
                        AND x.queue = e.queue AND x.event = 'answered' AND x.ts >= e.ts
                      ORDER BY x.ts LIMIT 1) a ON true
  LEFT JOIN LATERAL (SELECT * FROM queue_log x WHERE x.call_id = e.call_id
                        AND x.queue = e.queue AND x.event = 'abandoned' AND x.ts >= e.ts
                      ORDER BY x.ts LIMIT 1) ab ON true
  LEFT JOIN LATERAL (SELECT * FROM queue_log x WHERE x.call_id = e.call_id
                        AND x.queue = e.queue AND x.event = 'overflowed' AND x.ts >= e.ts
                      ORDER BY x.ts LIMIT 1) o ON true
  LEFT JOIN LATERAL (SELECT * FROM queue_log x WHERE x.call_id = e.call_id
                        AND x.queue = e.queue AND x.event = 'completed' AND x.ts >= e.ts
                      ORDER BY x.ts LIMIT 1) c ON true
 WHERE e.event = 'entered';
COMMENT ON VIEW v_queue_calls IS
    'One row per call per queue it entered, with its outcome (answered, abandoned, '
    'overflowed, open), waits, agent and talk time.';

CREATE VIEW v_queue_stats_hourly AS
SELECT queue, date_trunc('hour', entered_at) AS hour,
       count(*) AS offered,
       count(*) FILTER (WHERE outcome = 'answered') AS answered,
       count(*) FILTER (WHERE outcome = 'abandoned') AS abandoned,
       count(*) FILTER (WHERE outcome = 'overflowed') AS overflowed,
       round(100.0 * count(*) FILTER (WHERE outcome = 'answered') / count(*), 1)
           AS answer_rate_pct,
       round(100.0 * count(*) FILTER (WHERE outcome = 'abandoned') / count(*), 1)
           AS abandon_rate_pct,
       round(avg(answer_wait_s)::numeric, 1) AS asa_s,
       round(avg(coalesce(answer_wait_s, abandon_wait_s))::numeric, 1) AS avg_wait_s,
       round(max(coalesce(answer_wait_s, abandon_wait_s))::numeric, 1) AS max_wait_s,
       round(avg(talk_s)::numeric, 1) AS avg_talk_s,
       round(100.0 * count(*) FILTER (WHERE in_sl) / nullif(count(*) FILTER (WHERE outcome IN
           ('answered', 'abandoned')), 0), 1) AS service_level_pct
  FROM v_queue_calls
 GROUP BY queue, date_trunc('hour', entered_at);
COMMENT ON VIEW v_queue_stats_hourly IS
    'Per queue and hour of entry: calls offered, answered, abandoned, overflowed, answer '
    'and abandon rates, ASA (average speed of answer), average and longest wait, average '
    'talk time, and service level (answered within the threshold / answered + abandoned).';

CREATE VIEW v_queue_stats_daily AS
SELECT queue, date_trunc('day', entered_at) AS day,
       count(*) AS offered,
       count(*) FILTER (WHERE outcome = 'answered') AS answered,
       count(*) FILTER (WHERE outcome = 'abandoned') AS abandoned,
       count(*) FILTER (WHERE outcome = 'overflowed') AS overflowed,
       round(100.0 * count(*) FILTER (WHERE outcome = 'answered') / count(*), 1)
           AS answer_rate_pct,
       round(100.0 * count(*) FILTER (WHERE outcome = 'abandoned') / count(*), 1)
           AS abandon_rate_pct,
       round(avg(answer_wait_s)::numeric, 1) AS asa_s,
       round(avg(talk_s)::numeric, 1) AS avg_talk_s,
       round(100.0 * count(*) FILTER (WHERE in_sl) / nullif(count(*) FILTER (WHERE outcome IN
           ('answered', 'abandoned')), 0), 1) AS service_level_pct
  FROM v_queue_calls
 GROUP BY queue, date_trunc('day', entered_at);
COMMENT ON VIEW v_queue_stats_daily IS 'As v_queue_stats_hourly, per day.';

CREATE VIEW v_agent_stats_daily AS
WITH calls AS (
    SELECT agent AS ext, date_trunc('day', ts) AS day,
           count(*) AS calls, sum(talk_s) AS talk_s
      FROM queue_log WHERE event = 'completed' AND agent IS NOT NULL
     GROUP BY agent, date_trunc('day', ts)),
offers AS (
    SELECT agent AS ext, date_trunc('day', ts) AS day,
           count(*) FILTER (WHERE event = 'offered') AS offered,
           count(*) FILTER (WHERE event = 'offer_failed' AND detail IN ('no_answer',
                                                                         'rejected')) AS missed
      FROM queue_log WHERE agent IS NOT NULL AND event IN ('offered', 'offer_failed')
     GROUP BY agent, date_trunc('day', ts)),
states AS (
    SELECT ext, date_trunc('day', started_at) AS day,
           sum(previous_s) FILTER (WHERE previous NOT IN ('logged_out')) AS logged_in_s,
           sum(previous_s) FILTER (WHERE previous = 'ready') AS ready_s,
           sum(previous_s) FILTER (WHERE previous = 'not_ready') AS not_ready_s,
           sum(previous_s) FILTER (WHERE previous = 'wrap_up') AS wrap_up_s,
           sum(previous_s) FILTER (WHERE previous = 'on_call') AS on_call_s
      FROM agent_state_history GROUP BY ext, date_trunc('day', started_at))
SELECT coalesce(c.ext, o.ext, s.ext) AS ext, coalesce(c.day, o.day, s.day) AS day,
       coalesce(o.offered, 0) AS offered, coalesce(c.calls, 0) AS answered,
       coalesce(o.missed, 0) AS missed,
       round(c.talk_s::numeric, 1) AS talk_s,
       round((c.talk_s / nullif(c.calls, 0))::numeric, 1) AS avg_talk_s,
       round(((coalesce(s.on_call_s, 0) + coalesce(s.wrap_up_s, 0))
              / nullif(c.calls, 0))::numeric, 1) AS aht_s,
       round(s.logged_in_s::numeric, 1) AS logged_in_s,
       round(s.ready_s::numeric, 1) AS ready_s,
       round(s.not_ready_s::numeric, 1) AS not_ready_s,
       round(s.wrap_up_s::numeric, 1) AS wrap_up_s,
       round((100.0 * (coalesce(s.on_call_s, 0) + coalesce(s.wrap_up_s, 0))
              / nullif(s.logged_in_s, 0))::numeric, 1) AS occupancy_pct
  FROM calls c
  FULL JOIN offers o ON o.ext = c.ext AND o.day = c.day
  FULL JOIN states s ON s.ext = coalesce(c.ext, o.ext) AND s.day = coalesce(c.day, o.day);
COMMENT ON VIEW v_agent_stats_daily IS
    'Per agent and day: offers, answered and missed calls, talk time, AHT (on call + wrap-up '
    'per answered call), time logged in, ready, not ready, in wrap-up, and occupancy.';

CREATE VIEW v_agent_stats_hourly AS
SELECT agent AS ext, queue, date_trunc('hour', ts) AS hour,
       count(*) FILTER (WHERE event = 'offered') AS offered,
       count(*) FILTER (WHERE event = 'answered') AS answered,
       count(*) FILTER (WHERE event = 'offer_failed' AND detail IN ('no_answer', 'rejected'))
           AS missed,
       round(avg(talk_s) FILTER (WHERE event = 'completed')::numeric, 1) AS avg_talk_s
  FROM queue_log WHERE agent IS NOT NULL
 GROUP BY agent, queue, date_trunc('hour', ts);
COMMENT ON VIEW v_agent_stats_hourly IS 'Per agent, queue and hour: offers, answers, misses, talk.';

CREATE VIEW v_agent_states AS
SELECT ext, state, reason, since, extract(epoch FROM now() - since) AS in_state_s
  FROM agent_states;
COMMENT ON VIEW v_agent_states IS 'Current agent states (as acdd last wrote them).';

-- ---- grants ---------------------------------------------------------------------

GRANT SELECT ON queues, agents, agent_skills, queue_members, dialplan TO cc_acdd;
GRANT SELECT, INSERT, UPDATE, DELETE ON agent_states, queue_calls, callbacks TO cc_acdd;
GRANT SELECT, INSERT ON agent_state_history, queue_log TO cc_acdd;
GRANT USAGE ON SEQUENCE agent_state_history_id_seq, queue_log_id_seq, callbacks_id_seq
    TO cc_acdd;
GRANT SELECT ON v_queue_calls, v_queue_stats_hourly, v_queue_stats_daily,
    v_agent_stats_daily, v_agent_stats_hourly, v_agent_states TO cc_bi;
