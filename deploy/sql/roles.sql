-- roles.sql - the Postgres roles of the suite. cc_admin owns the database and its schema
-- (migrations and admin writes, through ccctl); each daemon logs in with a role of its own,
-- to which the migrations grant only what that daemon needs; cc_bi reads the BI views.
--
-- Run once per cluster as a superuser, with psql (it uses psql variables and \if); running
-- it again is harmless: missing roles are created, existing ones only brought back to the
-- attributes below. Passwords are given by whoever runs it, never stored here:
--
--   psql -X -v ON_ERROR_STOP=1 -d postgres \
--        -v admin_password=... -v sipproxy_password=... -v acdd_password=... \
--        -v ivrd_password=... -v recorderd_password=... -v cdrd_password=... \
--        -v webd_password=... -v dialerd_password=... -v bi_password=... [-v db_name=callcenter] \
--        -f deploy/sql/roles.sql
--
-- A password variable that is not given leaves that role's password as it is (a new role
-- then has none and can log in only where pg_hba.conf uses trust or peer); one given as ''
-- removes the password. With db_name, the database is created if missing and handed to
-- cc_admin. Passwords are sent as SET statements of this session and hashed by the server
-- (scram-sha-256); a server with log_statement = all would log them, as it would any
-- ALTER ROLE ... PASSWORD.

\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;
SET password_encryption = 'scram-sha-256';

-- psql variables are not expanded inside the DO block below, so the passwords travel as
-- custom session settings; a variable not given leaves its setting unset (NULL there).
\if :{?admin_password}
SET cc_roles.admin_password = :'admin_password';
\endif
\if :{?sipproxy_password}
SET cc_roles.sipproxy_password = :'sipproxy_password';
\endif
\if :{?acdd_password}
SET cc_roles.acdd_password = :'acdd_password';
\endif
\if :{?ivrd_password}
SET cc_roles.ivrd_password = :'ivrd_password';
\endif
\if :{?recorderd_password}
SET cc_roles.recorderd_password = :'recorderd_password';
\endif
\if :{?cdrd_password}
SET cc_roles.cdrd_password = :'cdrd_password';
\endif
\if :{?webd_password}
SET cc_roles.webd_password = :'webd_password';
\endif
\if :{?dialerd_password}
SET cc_roles.dialerd_password = :'dialerd_password';
\endif
\if :{?bi_password}
SET cc_roles.bi_password = :'bi_password';
\endif

DO $roles$
DECLARE
    r  record;
    pw text;
BEGIN
    FOR r IN SELECT * FROM (VALUES
            ('cc_admin',     'admin'),      -- owner of the database: migrations, ccctl
            ('cc_sipproxy',  'sipproxy'),   -- users, trunks, dialplan; writes registrations
            ('cc_acdd',      'acdd'),       -- queues and agents (later migrations)
            ('cc_ivrd',      'ivrd'),       -- IVR flows (later migrations)
            ('cc_recorderd', 'recorderd'),  -- recordings (later migrations)
            ('cc_cdrd',      'cdrd'),       -- writes CDRs and its bus cursors
            ('cc_webd',      'webd'),       -- web gateway: its users, sessions, audit; ACD views
            ('cc_dialerd',   'dialerd'),    -- campaigns and leads; writes attempts
            ('cc_bi',        'bi')          -- read-only: the documented v_* views
        ) AS t (role, var)
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.role) THEN
            EXECUTE format('CREATE ROLE %I LOGIN', r.role);
        END IF;
        -- Least privilege even if someone widened a role by hand: none of them needs more.
        EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE '
                       'NOREPLICATION NOBYPASSRLS', r.role);
        pw := current_setting('cc_roles.' || r.var || '_password', true);
        IF pw IS NULL THEN
            CONTINUE;
        ELSIF pw = '' THEN
            EXECUTE format('ALTER ROLE %I PASSWORD NULL', r.role);
        ELSE
            EXECUTE format('ALTER ROLE %I PASSWORD %L', r.role, pw);
        END IF;
    END LOOP;
END
$roles$;

-- Forget the passwords now rather than at the end of the session.
RESET cc_roles.admin_password;
RESET cc_roles.sipproxy_password;
RESET cc_roles.acdd_password;
RESET cc_roles.ivrd_password;
RESET cc_roles.recorderd_password;
RESET cc_roles.cdrd_password;
RESET cc_roles.webd_password;
RESET cc_roles.dialerd_password;
RESET cc_roles.bi_password;

-- CREATE DATABASE cannot run inside a DO block (nor any transaction), hence \gexec.
\if :{?db_name}
SELECT format('CREATE DATABASE %I OWNER cc_admin ENCODING ''UTF8'' TEMPLATE template0',
              :'db_name')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db_name') \gexec
SELECT format('ALTER DATABASE %I OWNER TO cc_admin', :'db_name') \gexec
\endif
