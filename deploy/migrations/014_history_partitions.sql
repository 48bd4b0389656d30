-- 014_history_partitions.sql - schema version 14: the history tables (cdrs, cdr_legs,
-- agent_state_history) partitioned by month of the call's start or the event's time, so that a month of history is dropped whole (cdrd does it on a timer, [cdrd]
-- history_months) and a time range reads only the months it covers.
--
-- Generic on purpose: each table is rebuilt from itself (CREATE TABLE ... (LIKE old ...)
-- PARTITION BY RANGE), its rows moved, its indexes and constraints made again from their
-- saved definitions (a unique key gains the partition key, which Postgres requires), and
-- every view that reads these tables is dropped and made again from its saved definition
-- (pg_get_viewdef), in dependency order, with its comment and grants. Columns and views
-- that earlier migrations added are carried over without being named here.
--
-- Exactly-once for cdrs: the keys are (call_id, created_at) and (event_id, created_at).
-- created_at of a CDR is a function of the state cdrd stores with its bus cursor, so a
-- replayed call.ended computes the same created_at and meets the same key (see
-- docs/ARCHITECTURE.md, History tables).
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

-- ---- which tables are history, and by which column --------------------------------

CREATE TABLE history_tables (
    name        text PRIMARY KEY,
    key_column  text NOT NULL
);
COMMENT ON TABLE history_tables IS
    'Tables partitioned by month (UTC) of key_column, one partition <name>_YYYY_MM each, '
    'plus <name>_default for rows outside the monthly partitions. cdrd keeps months ahead '
    'and drops those older than [cdrd] history_months through cc_history_maintain().';
INSERT INTO history_tables VALUES
    ('cdrs', 'created_at'), ('cdr_legs', 'created_at'), ('agent_state_history', 'started_at');
-- Not queue_log (yet): v_queue_calls looks up each call's later events by call_id and
-- ts >= the entry, which a partitioned queue_log answers by probing every later month;
-- over a year that made the queue reports several times slower (docs/REPORTS.md). It
-- joins when those lookups can name the call's month.

-- ---- one month's partition --------------------------------------------------------

CREATE FUNCTION cc_history_add_month(parent text, key_column text, month date)
    RETURNS boolean
    LANGUAGE plpgsql
    SET search_path = public, pg_catalog
    SET TimeZone = 'UTC'
AS $fn$
DECLARE
    part text := format('%s_%s', parent, to_char(month, 'YYYY_MM'));
    dflt text := parent || '_default';
    lo timestamptz := date_trunc('month', month)::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (date_trunc('month', month) + interval '1 month')::timestamp
                      AT TIME ZONE 'UTC';
    stray boolean := false;
BEGIN
    IF to_regclass(part) IS NOT NULL THEN
        RETURN false;
    END IF;
    IF to_regclass(dflt) IS NOT NULL THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= $1 AND %I < $2)',
                       dflt, key_column, key_column) INTO stray USING lo, hi;
    END IF;
    IF NOT stray THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                       part, parent, lo, hi);
        RETURN true;
    END IF;
    -- Rows of this month wait in the default partition: move them into the new one,
    -- then attach it (Postgres would refuse a month the default still holds rows of).
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                   part, parent);
    EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= $1 AND %I < $2 RETURNING *) '
                   'INSERT INTO %I SELECT * FROM moved', dflt, key_column, key_column, part)
        USING lo, hi;
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   parent, part, lo, hi);
    RETURN true;
END
$fn$;
COMMENT ON FUNCTION cc_history_add_month(text, text, date) IS
    'Make the partition of one month (UTC) of a history table, moving that month''s rows '
    'out of its default partition if any wait there. false if it already exists.';

-- ---- retention: what cdrd runs on its timer ---------------------------------------

CREATE FUNCTION cc_history_maintain(keep_months integer, ahead_months integer)
    RETURNS TABLE (action text, relation text, rows_affected bigint)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = public, pg_catalog
    SET TimeZone = 'UTC'
    SET lock_timeout = '5s'
AS $fn$
DECLARE
    t record;
    p record;
    this_month date := date_trunc('month', now())::date;
    cutoff date := (date_trunc('month', now()) - make_interval(months => keep_months))::date;
    n bigint;
BEGIN
    IF keep_months < 0 OR ahead_months < 0 THEN
        RAISE EXCEPTION 'keep_months and ahead_months must not be negative';
    END IF;
    FOR t IN SELECT h.name, h.key_column FROM history_tables h ORDER BY h.name LOOP
        FOR i IN 0 .. ahead_months LOOP
            IF cc_history_add_month(t.name, t.key_column,
                                    (this_month + make_interval(months => i))::date) THEN
                action := 'created';
                relation := format('%s_%s', t.name,
                                   to_char(this_month + make_interval(months => i), 'YYYY_MM'));
                rows_affected := 0;
                RETURN NEXT;
            END IF;
        END LOOP;
        CONTINUE WHEN keep_months = 0;
        FOR p IN SELECT c.relname
                   FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                  WHERE i.inhparent = t.name::regclass
                    AND c.relname ~ ('^' || t.name || '_[0-9]{4}_[0-9]{2}$')
                    AND to_date(right(c.relname, 7), 'YYYY_MM') < cutoff
                  ORDER BY c.relname LOOP
            EXECUTE format('SELECT count(*) FROM %I', p.relname) INTO n;
            EXECUTE format('DROP TABLE %I', p.relname);
            action := 'dropped';
            relation := p.relname;
            rows_affected := n;
            RETURN NEXT;
        END LOOP;
        IF to_regclass(t.name || '_default') IS NOT NULL THEN
            EXECUTE format('DELETE FROM %I WHERE %I < $1', t.name || '_default', t.key_column)
                USING cutoff::timestamp AT TIME ZONE 'UTC';
            GET DIAGNOSTICS n = ROW_COUNT;
            IF n > 0 THEN
                action := 'deleted';
                relation := t.name || '_default';
                rows_affected := n;
                RETURN NEXT;
            END IF;
        END IF;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION cc_history_maintain(integer, integer) IS
    'Retention of the history tables: make the partitions of this month and the next '
    'ahead_months, drop those of months before the current one minus keep_months (0: keep '
    'all), delete rows that old from the default partitions. One row per action. Run by '
    'cdrd ([cdrd] history_months, history_months_ahead, history_check_s).';
REVOKE ALL ON FUNCTION cc_history_maintain(integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION cc_history_add_month(text, text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cc_history_maintain(integer, integer) TO cc_cdrd;

-- ---- cdr_legs gets the call's start, its partition key ----------------------------

ALTER TABLE cdr_legs ADD COLUMN created_at timestamptz;
UPDATE cdr_legs l SET created_at = c.created_at FROM cdrs c WHERE c.call_id = l.call_id;
ALTER TABLE cdr_legs ALTER COLUMN created_at SET NOT NULL;
COMMENT ON COLUMN cdr_legs.created_at IS
    'created_at of the call''s CDR (the partition key: a call''s legs live in the month '
    'its CDR lives in)';
-- A foreign key to a partitioned cdrs would have to name created_at too and would stop a
-- month of cdrs from being dropped before its legs; cdrd writes the legs in the CDR's
-- transaction, only after the CDR, so nothing is lost without it.
ALTER TABLE cdr_legs DROP CONSTRAINT cdr_legs_call_id_fkey;

-- ---- rebuild each table partitioned, and every view over them ---------------------

-- A saved list, or an empty one where there was none (JSON null).
CREATE FUNCTION pg_temp.cc_array(j jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
AS $fn$ SELECT CASE WHEN jsonb_typeof(j) = 'array' THEN j ELSE '[]'::jsonb END $fn$;

CREATE FUNCTION pg_temp.cc_grants(acl aclitem[], owner oid, target text, cols text)
    RETURNS void
    LANGUAGE plpgsql
AS $fn$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT * FROM aclexplode(acl) LOOP
        CONTINUE WHEN g.grantee = owner;
        EXECUTE format('GRANT %s%s ON %s TO %s%s', g.privilege_type, cols, target,
                       CASE WHEN g.grantee = 0 THEN 'PUBLIC'
                            ELSE quote_ident(pg_get_userbyid(g.grantee)) END,
                       CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
END
$fn$;

DO $rebuild$
DECLARE
    tables oid[];
    v record;
    views jsonb := '[]';
    t record;
    c record;
    saved jsonb;
    old text;
    first_month date;
    last_month date;
    m date;
BEGIN
    SELECT array_agg(to_regclass(name)) INTO tables FROM history_tables;

    -- Every view over the tables, directly or through other views; deepest last.
    FOR v IN
        WITH RECURSIVE deps(view_oid, depth) AS (
            SELECT r.ev_class, 1
              FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
             WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
               AND d.refobjid = ANY (tables) AND r.ev_class <> d.refobjid
            UNION ALL
            SELECT r.ev_class, deps.depth + 1
              FROM deps
              JOIN pg_depend d ON d.refobjid = deps.view_oid
                              AND d.classid = 'pg_rewrite'::regclass
                              AND d.refclassid = 'pg_class'::regclass
              JOIN pg_rewrite r ON r.oid = d.objid
             WHERE r.ev_class <> deps.view_oid)
        SELECT deps.view_oid, max(deps.depth) AS depth, cl.relkind, cl.relacl, cl.relowner,
               cl.reloptions, format('%I.%I', n.nspname, cl.relname) AS qname
          FROM deps JOIN pg_class cl ON cl.oid = deps.view_oid
          JOIN pg_namespace n ON n.oid = cl.relnamespace
         GROUP BY deps.view_oid, cl.relkind, cl.relacl, cl.relowner, cl.reloptions,
                  n.nspname, cl.relname
         ORDER BY max(deps.depth), cl.relname
    LOOP
        IF v.relkind NOT IN ('v', 'm') THEN
            RAISE EXCEPTION '014: % depends on a history table and is not a view', v.qname;
        END IF;
        views := views || jsonb_build_object(
            'name', v.qname, 'kind', v.relkind, 'def', pg_get_viewdef(v.view_oid),
            'comment', obj_description(v.view_oid, 'pg_class'), 'acl', v.relacl::text[],
            'owner', v.relowner, 'options', v.reloptions,
            'indexes', (SELECT jsonb_agg(pg_get_indexdef(i.indexrelid))
                          FROM pg_index i WHERE i.indrelid = v.view_oid),
            'colcomments', (SELECT jsonb_agg(jsonb_build_array(a.attname, d.description))
                              FROM pg_description d
                              JOIN pg_attribute a ON a.attrelid = d.objoid
                                                 AND a.attnum = d.objsubid
                             WHERE d.objoid = v.view_oid AND d.objsubid > 0));
    END LOOP;
    FOR i IN REVERSE jsonb_array_length(views) - 1 .. 0 LOOP
        EXECUTE format('DROP %s %s', CASE WHEN views -> i ->> 'kind' = 'm'
                                          THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END,
                       views -> i ->> 'name');
    END LOOP;

    FOR t IN SELECT h.name, h.key_column, to_regclass(h.name) AS oid, cl.relacl, cl.relowner
               FROM history_tables h JOIN pg_class cl ON cl.oid = to_regclass(h.name)
              ORDER BY h.name LOOP
        IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = t.oid AND NOT tgisinternal)
           OR EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = t.oid)
           OR EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = t.oid AND attidentity <> '')
           OR EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = t.oid) THEN
            RAISE EXCEPTION '014: % has triggers, policies, identity columns or is referenced '
                            'by a foreign key; this migration does not carry those over', t.name;
        END IF;
        -- What is made again after the rows have moved.
        SELECT jsonb_build_object(
            'keys', (SELECT jsonb_agg(jsonb_build_object(
                         'name', co.conname, 'kind', co.contype,
                         'cols', (SELECT jsonb_agg(a.attname ORDER BY k.ord)
                                    FROM unnest(co.conkey) WITH ORDINALITY k(attnum, ord)
                                    JOIN pg_attribute a ON a.attrelid = t.oid
                                                       AND a.attnum = k.attnum)))
                       FROM pg_constraint co
                      WHERE co.conrelid = t.oid AND co.contype IN ('p', 'u')),
            'fks', (SELECT jsonb_agg(jsonb_build_array(co.conname, pg_get_constraintdef(co.oid)))
                      FROM pg_constraint co WHERE co.conrelid = t.oid AND co.contype = 'f'),
            'indexes', (SELECT jsonb_agg(jsonb_build_array(pg_get_indexdef(i.indexrelid),
                                                           i.indisunique))
                          FROM pg_index i
                         WHERE i.indrelid = t.oid
                           AND NOT EXISTS (SELECT 1 FROM pg_constraint co
                                            WHERE co.conindid = i.indexrelid)),
            'comment', obj_description(t.oid, 'pg_class'),
            'colacls', (SELECT jsonb_agg(jsonb_build_array(a.attname, a.attacl::text[]))
                          FROM pg_attribute a
                         WHERE a.attrelid = t.oid AND a.attacl IS NOT NULL
                           AND NOT a.attisdropped)) INTO saved;

        old := t.name || '_unpartitioned';
        EXECUTE format('ALTER TABLE %I RENAME TO %I', t.name, old);
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
                       'INCLUDING COMMENTS INCLUDING STORAGE INCLUDING GENERATED '
                       'INCLUDING STATISTICS) PARTITION BY RANGE (%I)',
                       t.name, old, t.key_column);
        EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', t.name || '_default', t.name);
        -- A month for every month that has rows (within ten years of now), and ahead.
        EXECUTE format('SELECT date_trunc(''month'', min(%I) AT TIME ZONE ''UTC'')::date, '
                       'date_trunc(''month'', max(%I) AT TIME ZONE ''UTC'')::date FROM %I',
                       t.key_column, t.key_column, old) INTO first_month, last_month;
        first_month := greatest(coalesce(first_month, now()::date),
                                (now() - interval '10 years')::date);
        last_month := least(greatest(coalesce(last_month, now()::date),
                                     (now() + interval '3 months')::date),
                            (now() + interval '10 years')::date);
        m := date_trunc('month', first_month)::date;
        WHILE m <= last_month LOOP
            PERFORM cc_history_add_month(t.name, t.key_column, m);
            m := (m + interval '1 month')::date;
        END LOOP;
        EXECUTE format('INSERT INTO %I SELECT * FROM %I', t.name, old);
        -- Sequences (bigserial ids) belong to the new table before the old one goes.
        FOR c IN SELECT d.objid::regclass AS seq, a.attname
                   FROM pg_depend d
                   JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
                   JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                  WHERE d.classid = 'pg_class'::regclass AND d.refobjid = t.oid
                    AND d.deptype = 'a' LOOP
            EXECUTE format('ALTER SEQUENCE %s OWNED BY %I.%I', c.seq, t.name, c.attname);
        END LOOP;
        EXECUTE format('DROP TABLE %I', old);

        -- Unique keys must hold the partition key: (x) becomes (x, key).
        FOR c IN SELECT * FROM jsonb_to_recordset(pg_temp.cc_array(saved -> 'keys'))
                   AS k(name text, kind text, cols jsonb) LOOP
            EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s (%s)', t.name, c.name,
                           CASE c.kind WHEN 'p' THEN 'PRIMARY KEY' ELSE 'UNIQUE' END,
                           (SELECT string_agg(quote_ident(x), ', ')
                              FROM jsonb_array_elements_text(
                                  c.cols || CASE WHEN c.cols ? t.key_column THEN '[]'::jsonb
                                                 ELSE jsonb_build_array(t.key_column) END) x));
        END LOOP;
        FOR c IN SELECT x ->> 0 AS def, (x ->> 1)::boolean AS uniq
                   FROM jsonb_array_elements(pg_temp.cc_array(saved -> 'indexes')) x LOOP
            IF c.uniq THEN
                RAISE EXCEPTION '014: unique index on % not made by a constraint: %', t.name,
                                c.def;
            END IF;
            EXECUTE c.def;
        END LOOP;
        FOR c IN SELECT x ->> 0 AS name, x ->> 1 AS def
                   FROM jsonb_array_elements(pg_temp.cc_array(saved -> 'fks')) x LOOP
            EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', t.name, c.name, c.def);
        END LOOP;
        EXECUTE format('COMMENT ON TABLE %I IS %L', t.name, saved ->> 'comment');
        PERFORM pg_temp.cc_grants(t.relacl, t.relowner, quote_ident(t.name), '');
        FOR c IN SELECT x ->> 0 AS col, x -> 1 AS acl
                   FROM jsonb_array_elements(pg_temp.cc_array(saved -> 'colacls')) x LOOP
            PERFORM pg_temp.cc_grants(ARRAY(SELECT jsonb_array_elements_text(c.acl))::aclitem[],
                                      t.relowner, quote_ident(t.name),
                                      format(' (%I)', c.col));
        END LOOP;
    END LOOP;

    FOR v IN SELECT x FROM jsonb_array_elements(views) x LOOP
        EXECUTE format('CREATE %s %s%s AS %s',
                       CASE WHEN v.x ->> 'kind' = 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END,
                       v.x ->> 'name',
                       CASE WHEN jsonb_typeof(v.x -> 'options') = 'array'
                            THEN format(' WITH (%s)', (SELECT string_agg(o, ', ')
                                      FROM jsonb_array_elements_text(v.x -> 'options') o))
                            ELSE '' END,
                       rtrim(v.x ->> 'def', '; '));
        FOR c IN SELECT i FROM jsonb_array_elements_text(pg_temp.cc_array(v.x -> 'indexes')) i LOOP
            EXECUTE c.i;
        END LOOP;
        IF v.x ->> 'comment' IS NOT NULL THEN
            EXECUTE format('COMMENT ON %s %s IS %L',
                           CASE WHEN v.x ->> 'kind' = 'm' THEN 'MATERIALIZED VIEW'
                                ELSE 'VIEW' END, v.x ->> 'name', v.x ->> 'comment');
        END IF;
        FOR c IN SELECT x ->> 0 AS col, x ->> 1 AS text
                   FROM jsonb_array_elements(pg_temp.cc_array(v.x -> 'colcomments')) x LOOP
            EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', v.x ->> 'name', c.col, c.text);
        END LOOP;
        IF (v.x ->> 'owner')::oid <> (SELECT oid FROM pg_roles WHERE rolname = current_user) THEN
            EXECUTE format('ALTER TABLE %s OWNER TO %I', v.x ->> 'name',
                           pg_get_userbyid((v.x ->> 'owner')::oid));
        END IF;
        PERFORM pg_temp.cc_grants(ARRAY(SELECT jsonb_array_elements_text(
                                      pg_temp.cc_array(v.x -> 'acl')))::aclitem[],
                                  (v.x ->> 'owner')::oid, v.x ->> 'name', '');
    END LOOP;
END
$rebuild$;

-- ---- v_cdr finds a call's legs in its CDR's month -----------------------------------

-- Joined on call_id alone, each CDR's legs would be looked for in every month's partition;
-- with the CDR's created_at too, in one. The view is changed in its saved definition, so
-- columns added since 001 stay; if that definition no longer joins the legs this way,
-- it is left as it is and the notice says so.
DO $vcdr$
DECLARE
    def text := pg_get_viewdef('v_cdr'::regclass);
    fixed text;
BEGIN
    fixed := replace(replace(def,
        '(a.call_id = c.call_id)', '(a.call_id = c.call_id) AND (a.created_at = c.created_at)'),
        '(b.call_id = c.call_id)', '(b.call_id = c.call_id) AND (b.created_at = c.created_at)');
    IF fixed = def THEN
        RAISE NOTICE '014: v_cdr does not join cdr_legs a and b on call_id; left unchanged';
    ELSE
        EXECUTE 'CREATE OR REPLACE VIEW v_cdr AS ' || fixed;
    END IF;
END
$vcdr$;

-- ---- indexes for the reports --------------------------------------------------------

-- A call's queue events by kind (v_queue_calls looks each one up per entered row).
CREATE INDEX queue_log_call_event_idx ON queue_log (call_id, event, ts);
-- An agent's offers, answers and completions in a time range (agent reports).
CREATE INDEX queue_log_agent_ts_idx ON queue_log (agent, ts) WHERE agent IS NOT NULL;
