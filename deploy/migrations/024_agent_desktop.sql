-- 024_agent_desktop.sql - schema version 24: what the agent desktop (webd's /agent page)
-- and the CRM webhooks (web_hooks) keep in Postgres: the pause reasons an agent picks from, the wrap-up codes of each queue
-- (and whether a queue requires one before its agent goes ready again), and the code and
-- notes an agent saved with a call, keyed by call id, shown in the CDR views and in the
-- next screen pop for that caller.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

CREATE TABLE agent_pause_reasons (
    name       text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.-]{1,31}$'),
    label      text NOT NULL CHECK (length(label) BETWEEN 1 AND 80),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE agent_pause_reasons IS
    'Pause reasons an agent may pick on the agent desktop (ccctl agent reason add|list|del); '
    'the name is what acdd records as the not-ready reason.';

CREATE TABLE queue_wrapup_codes (
    queue      text NOT NULL REFERENCES queues (name) ON DELETE CASCADE,
    code       text NOT NULL CHECK (code ~ '^[A-Za-z0-9_.-]{1,31}$'),
    label      text NOT NULL CHECK (length(label) BETWEEN 1 AND 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (queue, code)
);
COMMENT ON TABLE queue_wrapup_codes IS
    'Disposition (wrap-up) codes an agent may give a call of the queue '
    '(ccctl queue disposition add QUEUE CODE LABEL).';

ALTER TABLE queues ADD COLUMN wrapup_code_required boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN queues.wrapup_code_required IS
    'the agent desktop refuses "ready" after a call of this queue until the agent saved a '
    'wrap-up code for it (ccctl queue disposition require QUEUE yes|no)';

CREATE TABLE call_wrapups (
    call_id    text PRIMARY KEY,
    queue      text,
    agent      text NOT NULL,
    code       text CHECK (code ~ '^[A-Za-z0-9_.-]{1,31}$'),
    notes      text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    saved_by   text NOT NULL,
    saved_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX call_wrapups_saved_at ON call_wrapups (saved_at);
COMMENT ON TABLE call_wrapups IS
    'The wrap-up an agent saved with a call on the agent desktop: a code of the queue''s '
    'list (NULL: none) and free-text notes. Saved again, the row is replaced.';

CREATE VIEW v_call_wrapups AS
SELECT w.call_id, w.queue, w.agent, w.code, l.label AS code_label, w.notes, w.saved_by,
       w.saved_at, c.created_at, c.caller, c.callee, c.answered_by, c.disposition, c.talk_ms
  FROM call_wrapups w
  LEFT JOIN queue_wrapup_codes l ON l.queue = w.queue AND l.code = w.code
  LEFT JOIN v_cdr c ON c.call_id = w.call_id;
COMMENT ON VIEW v_call_wrapups IS
    'Each saved wrap-up with its code''s label and the call''s CDR columns (NULL until cdrd '
    'wrote the CDR). disposition is the CDR''s outcome; code is the agent''s wrap-up code.';

CREATE TABLE web_hooks (
    id         bigserial PRIMARY KEY,
    url        text NOT NULL CHECK (url ~ '^https?://[^[:space:]]+$' AND length(url) <= 1000),
    events     text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 64),
    secret     text NOT NULL CHECK (length(secret) BETWEEN 32 AND 128),
    created_at timestamptz NOT NULL DEFAULT now(),
    dead_at    timestamptz,
    last_error text
);
COMMENT ON TABLE web_hooks IS
    'Webhooks (ccctl web hook add URL --events a,b): webd posts each live bus event of those '
    'types as JSON to the URL, signed with HMAC-SHA256 of the secret (X-CC-Signature), in '
    'order, retried with backoff; dead_at is set when a hook kept failing (ccctl web hook '
    'revive clears it).';

-- recordings in the browser: webd finds the file of a recording the principal may hear
GRANT SELECT (id, path, encrypted, sha256, agent, queue, deleted_at, complete, ended_at)
    ON recordings TO cc_webd;
GRANT SELECT ON web_hooks TO cc_webd;
GRANT UPDATE (dead_at, last_error) ON web_hooks TO cc_webd;
GRANT SELECT ON agent_pause_reasons, queue_wrapup_codes, queues, customers, ivr_path TO cc_webd;
GRANT SELECT, INSERT, UPDATE ON call_wrapups TO cc_webd;
GRANT SELECT ON v_call_wrapups TO cc_webd, cc_bi;
