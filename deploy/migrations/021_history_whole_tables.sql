-- 021_history_whole_tables.sql - schema version 21: retention for the history kept in
-- whole tables. queue_log, ivr_path and survey_results are not partitioned (queue_log's
-- reports are faster whole, docs/REPORTS.md), so they grew for ever; now cdrd's retention
-- run deletes their rows older than [cdrd] history_months, as it drops older partitions of
-- the monthly tables, and logs each deletion (event=cdr.history_partition action=deleted).
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

CREATE TABLE history_kept_whole (
    name        text PRIMARY KEY,
    key_column  text NOT NULL
);
COMMENT ON TABLE history_kept_whole IS
    'History tables that are not partitioned: cc_history_maintain() deletes their rows older '
    'than [cdrd] history_months by key_column, as it drops old months of history_tables.';
INSERT INTO history_kept_whole VALUES
    ('queue_log', 'ts'), ('ivr_path', 'at'), ('survey_results', 'at');

CREATE OR REPLACE FUNCTION cc_history_maintain(keep_months integer, ahead_months integer)
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
    -- the tables kept whole lose their rows that old, one statement each
    FOR t IN SELECT h.name, h.key_column FROM history_kept_whole h ORDER BY h.name LOOP
        EXIT WHEN keep_months = 0;
        EXECUTE format('DELETE FROM %I WHERE %I < $1', t.name, t.key_column)
            USING cutoff::timestamp AT TIME ZONE 'UTC';
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n > 0 THEN
            action := 'deleted';
            relation := t.name;
            rows_affected := n;
            RETURN NEXT;
        END IF;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION cc_history_maintain(integer, integer) IS
    'Retention of the history: make the partitions of history_tables for this month and '
    'the next ahead_months, drop those of months before the current one minus keep_months '
    '(0: keep all), delete rows that old from the default partitions and from the tables '
    'in history_kept_whole. One row per action. Run by cdrd ([cdrd] history_months, '
    'history_months_ahead, history_check_s).';
