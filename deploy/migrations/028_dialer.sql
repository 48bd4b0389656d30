-- 028_dialer.sql - schema version 28: outbound campaigns (dialerd). A campaign, the rules it
-- dials by (calling hours, retries per outcome, the abandon cap), its leads, the do-not-call
-- lists (global and per campaign), every attempt with its outcome, and the BI views per
-- campaign and day (docs/REPORTS.md). Written by ccctl (campaign add/import/dnc), read and
-- updated by dialerd as cc_dialerd.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

DO $grant$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO cc_dialerd', current_database());
END
$grant$;
GRANT USAGE ON SCHEMA public TO cc_dialerd;
GRANT SELECT ON schema_migrations TO cc_dialerd;

CREATE TABLE campaigns (
    name            text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.-]{1,63}$'),
    mode            text NOT NULL DEFAULT 'progressive'
                    CHECK (mode IN ('preview', 'progressive', 'predictive')),
    queue           text NOT NULL REFERENCES queues (name),
    caller_id       text NOT NULL CHECK (caller_id ~ '^\+?[0-9]{2,20}$'),
    trunk           text REFERENCES trunks (name),
    -- calling hours, read in each lead's own time zone: rules as in IVR schedules
    -- ("mon-fri 09:00-20:00", "sat 10:00-18:00"); a day no rule names is never dialled
    hours           text[] NOT NULL DEFAULT '{"mon-sat 09:00-20:00"}'
                    CHECK (cardinality(hours) BETWEEN 1 AND 14),
    time_zone       text NOT NULL DEFAULT 'UTC',
    -- which zone a lead is called in: its own (from the list, else from the number's
    -- prefix in dialer_tz_prefixes, else the campaign's), or always the campaign's
    tz_rule         text NOT NULL DEFAULT 'lead' CHECK (tz_rule IN ('lead', 'campaign')),
    abandon_cap_pct numeric(5, 2) NOT NULL DEFAULT 3.00
                    CHECK (abandon_cap_pct > 0 AND abandon_cap_pct <= 100),
    ring_s          integer NOT NULL DEFAULT 20 CHECK (ring_s BETWEEN 15 AND 120),
    max_attempts    integer NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 100),
    -- predictive only: never more than this many lines per ready agent
    max_ratio       numeric(4, 2) NOT NULL DEFAULT 4.00 CHECK (max_ratio BETWEEN 1 AND 20),
    -- played to an answered customer no agent took within 2 s, before the call ends; a
    -- campaign's own recording should name the caller (ccctl prompt upload)
    abandon_prompt  text NOT NULL DEFAULT 'dialer/abandoned'
                    CHECK (abandon_prompt ~ '^[A-Za-z0-9_./-]{1,100}$' AND abandon_prompt !~ '[.][.]'),
    state           text NOT NULL DEFAULT 'paused'
                    CHECK (state IN ('running', 'paused', 'finished')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    state_at        timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE campaigns IS
    'Outbound campaigns (ccctl campaign add|start|pause): the queue whose agents serve it, '
    'caller id and trunk, calling hours in the lead''s time zone, the abandon-rate cap and '
    'a state. dialerd dials only running campaigns.';

-- Retry rules per outcome: how long to wait before the next attempt and how many attempts
-- in all that outcome allows. An outcome without a row is final (the lead is done).
CREATE TABLE campaign_retries (
    campaign     text NOT NULL REFERENCES campaigns (name) ON DELETE CASCADE,
    outcome      text NOT NULL
                 CHECK (outcome IN ('busy', 'no_answer', 'machine', 'abandoned', 'failed')),
    min_gap_s    integer NOT NULL CHECK (min_gap_s BETWEEN 0 AND 30 * 86400),
    max_attempts integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),
    PRIMARY KEY (campaign, outcome)
);
COMMENT ON TABLE campaign_retries IS
    'Per campaign and outcome: minimum gap before the lead is dialled again and the most '
    'attempts that outcome allows. An abandoned number also waits at least 72 h whatever '
    'the gap says (dialer pacing core).';

CREATE TABLE campaign_dispositions (
    campaign   text NOT NULL REFERENCES campaigns (name) ON DELETE CASCADE,
    code       text NOT NULL CHECK (code ~ '^[A-Za-z0-9_.-]{1,31}$'),
    label      text NOT NULL CHECK (length(label) BETWEEN 1 AND 80),
    adds_dnc   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (campaign, code)
);
COMMENT ON TABLE campaign_dispositions IS
    'Codes an agent may give an outbound contact; adds_dnc puts the number on the '
    'campaign''s do-not-call list.';

CREATE TABLE leads (
    id              bigserial PRIMARY KEY,
    campaign        text NOT NULL REFERENCES campaigns (name) ON DELETE CASCADE,
    number          text NOT NULL CHECK (number ~ '^\+?[0-9]{3,20}$'),
    name            text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    time_zone       text,
    fields          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(fields) = 'object'),
    state           text NOT NULL DEFAULT 'ready'
                    CHECK (state IN ('ready', 'dialling', 'done', 'exhausted', 'dnc')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_outcome    text,
    last_attempt_at timestamptz,
    next_attempt_at timestamptz,
    abandoned_at    timestamptz,
    list_line       integer,
    imported_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign, number)
);
CREATE INDEX leads_due ON leads (campaign, next_attempt_at NULLS FIRST, id)
    WHERE state = 'ready';
COMMENT ON TABLE leads IS
    'Numbers a campaign calls (ccctl campaign import NAME FILE.csv), in list order. '
    'state ready: due at next_attempt_at (NULL: now); done: reached or a final outcome; '
    'exhausted: out of attempts; dnc: found on a do-not-call list. fields: the extra CSV '
    'columns, shown in the agent''s screen pop.';

-- Do-not-call: campaign NULL is the global list.
CREATE TABLE dnc (
    id       bigserial PRIMARY KEY,
    campaign text REFERENCES campaigns (name) ON DELETE CASCADE,
    number   text NOT NULL CHECK (number ~ '^\+?[0-9]{3,20}$'),
    reason   text NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
    added_by text NOT NULL DEFAULT '',
    added_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX dnc_number ON dnc (coalesce(campaign, ''), number);
COMMENT ON TABLE dnc IS
    'Numbers never dialled: campaign NULL for every campaign, else for that campaign only '
    '(ccctl campaign dnc add; an agent''s disposition with adds_dnc).';

CREATE TABLE dialer_tz_prefixes (
    prefix    text PRIMARY KEY CHECK (prefix ~ '^\+?[0-9]{1,15}$'),
    time_zone text NOT NULL
);
COMMENT ON TABLE dialer_tz_prefixes IS
    'Time zone of a lead whose list gives none, by the longest matching number prefix.';

CREATE TABLE dialer_attempts (
    id            bigserial PRIMARY KEY,
    campaign      text NOT NULL REFERENCES campaigns (name) ON DELETE CASCADE,
    lead_id       bigint NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    number        text NOT NULL,
    attempt       integer NOT NULL CHECK (attempt >= 1),
    call_id       text,
    mode          text NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    answered_at   timestamptz,   -- the customer answered (a person or a machine)
    agent_at      timestamptz,   -- connected to an agent
    ended_at      timestamptz,
    outcome       text CHECK (outcome IN ('answered', 'busy', 'no_answer', 'machine',
                                          'abandoned', 'failed', 'skipped', 'dnc')),
    agent         text,
    agent_wait_ms bigint CHECK (agent_wait_ms >= 0),  -- the agent's idle time before it
    talk_ms       bigint CHECK (talk_ms >= 0),
    wrap_ms       bigint CHECK (wrap_ms >= 0),
    disposition   text
);
CREATE INDEX dialer_attempts_campaign_day ON dialer_attempts (campaign, started_at);
CREATE INDEX dialer_attempts_lead ON dialer_attempts (lead_id);
CREATE UNIQUE INDEX dialer_attempts_call ON dialer_attempts (call_id) WHERE call_id IS NOT NULL;
COMMENT ON TABLE dialer_attempts IS
    'Every dial attempt of a campaign (and every preview skip): when it rang, was answered, '
    'reached an agent and ended, its outcome, the agent, the agent''s wait before it, talk '
    'and wrap-up time and the disposition.';

-- ---- BI views (docs/REPORTS.md) -------------------------------------------------------

-- One row per attempt with the figures the daily view sums. An answered call is abandoned
-- when no agent took it within 2 s of the answer (the regulators' definition); a machine
-- is not a live contact and counts in neither figure.
CREATE VIEW v_dialer_attempts AS
SELECT a.id, a.campaign, a.lead_id, a.number, a.attempt, a.call_id, a.mode, a.started_at,
       (a.started_at AT TIME ZONE c.time_zone)::date AS day,
       a.answered_at, a.agent_at, a.ended_at, a.outcome, a.agent, a.disposition,
       (a.answered_at IS NOT NULL AND a.outcome IS DISTINCT FROM 'machine') AS contact,
       (a.answered_at IS NOT NULL AND a.outcome IS DISTINCT FROM 'machine'
        AND (a.agent_at IS NULL OR a.agent_at > a.answered_at + interval '2 seconds'))
           AS abandoned,
       (extract(epoch FROM a.agent_at - a.answered_at) * 1000)::bigint AS answer_to_agent_ms,
       a.agent_wait_ms, a.talk_ms, a.wrap_ms
  FROM dialer_attempts a
  JOIN campaigns c ON c.name = a.campaign
 WHERE a.outcome IS DISTINCT FROM 'skipped' OR a.outcome IS NULL;
COMMENT ON VIEW v_dialer_attempts IS
    'Dial attempts (preview skips left out) with the campaign-local day, whether each was a '
    'live contact and whether it was abandoned (answered, no agent within 2 s).';

CREATE VIEW v_campaign_daily AS
SELECT d.campaign, d.day,
       count(*) AS attempts,
       count(*) FILTER (WHERE d.contact) AS contacts,
       round(count(*) FILTER (WHERE d.contact)::numeric / nullif(count(*), 0), 4)
           AS contact_rate,
       count(*) FILTER (WHERE d.abandoned) AS abandoned,
       round(count(*) FILTER (WHERE d.abandoned)::numeric
             / nullif(count(*) FILTER (WHERE d.contact), 0), 4) AS abandon_rate,
       (coalesce(sum(d.talk_ms), 0) / 1000)::bigint AS talk_s,
       (coalesce(sum(d.agent_wait_ms), 0) / 1000)::bigint AS agent_wait_s,
       (coalesce(sum(d.wrap_ms), 0) / 1000)::bigint AS wrap_s,
       round(avg(d.answer_to_agent_ms) FILTER (WHERE d.agent_at IS NOT NULL)) AS avg_answer_to_agent_ms,
       (SELECT count(*) FROM leads l WHERE l.campaign = d.campaign AND l.state = 'ready')
           AS leads_remaining
  FROM v_dialer_attempts d
 GROUP BY d.campaign, d.day;
COMMENT ON VIEW v_campaign_daily IS
    'Per campaign and campaign-local day: attempts, live contacts, contact rate, abandoned '
    'calls and abandon rate (abandoned / contacts), agent talk, wait and wrap-up seconds, the '
    'mean time from answer to agent, and the leads still to dial (now, not as of that day).';

GRANT SELECT ON campaigns, campaign_retries, campaign_dispositions, dnc, dialer_tz_prefixes,
      queues TO cc_dialerd;
GRANT SELECT, UPDATE ON leads TO cc_dialerd;
GRANT UPDATE (state, state_at) ON campaigns TO cc_dialerd;  -- campaign.set_state
GRANT INSERT ON dnc TO cc_dialerd;
GRANT USAGE ON SEQUENCE dnc_id_seq TO cc_dialerd;
GRANT SELECT, INSERT, UPDATE ON dialer_attempts TO cc_dialerd;
GRANT USAGE ON SEQUENCE dialer_attempts_id_seq TO cc_dialerd;
GRANT SELECT ON v_dialer_attempts, v_campaign_daily TO cc_bi;
