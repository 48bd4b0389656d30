-- 008_monitor.sql - schema version 8: supervisor monitoring by phone. sipproxy decides
-- who may listen to whose calls (a supervisor's web user bound to an extension, and the
-- queues the agent is in), so it reads those columns; it audits every monitoring session
-- (and every refusal) in web_audit beside what the web gateway records.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

GRANT SELECT (name, role, queues, ext, disabled) ON web_users TO cc_sipproxy;
GRANT SELECT ON queue_members TO cc_sipproxy;
GRANT INSERT ON web_audit TO cc_sipproxy;

COMMENT ON COLUMN web_users.ext IS
    'the user''s extension: for the agent role the agent''s; for a supervisor or admin the '
    'phone that may monitor calls by feature code (*22 listen, *23 whisper, *24 barge)';
