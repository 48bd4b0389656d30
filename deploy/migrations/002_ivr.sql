-- 002_ivr.sql - schema version 2: IVR flows (every version kept, one live per name), the
-- customers table the flows' lookup nodes read, each call's path through its flow and the
-- survey scores, for BI through two stable views. ivrd reloads flows on NOTIFY.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

-- ---- flows ---------------------------------------------------------------------

CREATE TABLE ivr_flows (
    name        text NOT NULL CHECK (name ~ '^[A-Za-z0-9_-]{1,63}$'),
    version     integer NOT NULL CHECK (version >= 1),
    document    jsonb NOT NULL CHECK (jsonb_typeof(document) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT current_user,
    PRIMARY KEY (name, version)
);
COMMENT ON TABLE ivr_flows IS
    'Every version of every IVR flow ever loaded (docs/IVR-FLOWS.md), append-only. Only '
    'documents that passed the validator are stored (`ccctl ivr load`); which version runs '
    'is ivr_flows_live''s choice.';
COMMENT ON COLUMN ivr_flows.version IS '1, 2, ... per name, in load order';
COMMENT ON COLUMN ivr_flows.created_by IS 'database role (and OS user when ccctl knows it)';

CREATE TABLE ivr_flows_live (
    name        text PRIMARY KEY,
    version     integer NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (name, version) REFERENCES ivr_flows (name, version)
);
COMMENT ON TABLE ivr_flows_live IS
    'The version of each flow new calls get. ivrd LISTENs (cc_config, payload '
    'ivr_flows_live) and swaps flows live; calls in progress finish on their version.';

CREATE TRIGGER ivr_flows_live_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ivr_flows_live
    FOR EACH STATEMENT EXECUTE FUNCTION cc_notify_config();

-- ---- customers (lookup nodes) ------------------------------------------------------

CREATE TABLE customers (
    number      text PRIMARY KEY CHECK (number ~ '^\+?[0-9*#]{1,32}$'),
    name        text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    tier        text NOT NULL DEFAULT '' CHECK (length(tier) <= 40),
    account     text NOT NULL DEFAULT '' CHECK (length(account) <= 64),
    language    text NOT NULL DEFAULT '' CHECK (length(language) <= 16),
    data        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE customers IS
    'Known callers by number, read by the IVR''s lookup nodes (table "customers"): a match '
    'sets the variables name, tier, account, language, and each key of data whose value is '
    'a string or number (valid variable names only; the fixed columns win).';
COMMENT ON COLUMN customers.number IS 'the caller''s number exactly as it arrives (From user)';
COMMENT ON COLUMN customers.tier IS 'free text a flow branches on, e.g. VIP, gold';

-- ---- what callers did: path and survey ------------------------------------------------

CREATE TABLE ivr_path (
    call_id     text NOT NULL,
    seq         integer NOT NULL CHECK (seq >= 1),
    flow        text NOT NULL,
    version     integer NOT NULL,
    node        text NOT NULL,
    input       text NOT NULL,
    at          timestamptz NOT NULL,
    PRIMARY KEY (call_id, seq)
);
COMMENT ON TABLE ivr_path IS
    'Each call''s path through its flow, one row per step, written by ivrd in batches. '
    'input: "" on entering a node, else what happened there (docs/IVR-FLOWS.md, Path).';
COMMENT ON COLUMN ivr_path.seq IS '1, 2, ... in the order of the call''s steps';
COMMENT ON COLUMN ivr_path.at IS 'when the step happened (ivrd''s clock, with any test offset)';
CREATE INDEX ivr_path_at_idx ON ivr_path (at);
CREATE INDEX ivr_path_flow_node_idx ON ivr_path (flow, node);

CREATE TABLE survey_results (
    call_id     text PRIMARY KEY,
    flow        text NOT NULL,
    version     integer NOT NULL,
    question    text NOT NULL,
    score       smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    agent       text,
    at          timestamptz NOT NULL
);
COMMENT ON TABLE survey_results IS
    'Survey scores (IVR survey nodes), one per call: a second survey in the same call '
    'replaces the first.';
COMMENT ON COLUMN survey_results.question IS 'the survey node''s question (default: its id)';
COMMENT ON COLUMN survey_results.agent IS
    'who the caller was connected to before the survey, e.g. ext:1001 (NULL: unknown)';
CREATE INDEX survey_results_at_idx ON survey_results (at);

-- ---- BI views (stable: columns are only ever added) -----------------------------------

CREATE VIEW v_ivr_path AS
SELECT p.call_id, p.seq, p.flow, p.version, p.node, p.input, p.at,
       (p.seq = max(p.seq) OVER (PARTITION BY p.call_id)) AS is_last
  FROM ivr_path p;
COMMENT ON VIEW v_ivr_path IS
    'One row per step of a call through an IVR flow; is_last marks where the call left '
    'the flow (its last step so far). See docs/IVR-FLOWS.md, "BI views".';

CREATE VIEW v_survey AS
SELECT s.call_id, s.flow, s.version, s.question, s.score, s.agent, s.at
  FROM survey_results s;
COMMENT ON VIEW v_survey IS 'Survey scores by call; join v_cdr on call_id for the call.';

-- ---- grants ----------------------------------------------------------------------

GRANT SELECT ON ivr_flows, ivr_flows_live, customers TO cc_ivrd;
GRANT SELECT, INSERT ON ivr_path TO cc_ivrd;
GRANT SELECT, INSERT, UPDATE ON survey_results TO cc_ivrd;
GRANT SELECT ON v_ivr_path, v_survey TO cc_bi;
