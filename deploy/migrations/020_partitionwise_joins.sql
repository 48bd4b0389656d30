-- 020_partitionwise_joins.sql - schema version 20: joins of the monthly history tables go
-- month by month. cdrs and cdr_legs are partitioned alike (migration 014), but with
-- Postgres' default a view joining them (v_cdr) hashed the legs of every month even for a
-- day's calls: the time filter on the CDRs does not carry over to the legs. With
-- partitionwise joins, each CDR month left after pruning is joined with its own legs month
-- (tests/bench/cdr_view_bench.py, 300,000 calls over 12 months: a day 622 -> 84 ms, a
-- month 750 -> 209 ms, the year 1,662 -> 1,232 ms). Set for every session of this
-- database, so BI tools, webd and ccctl all get it.
--
-- Run by `ccctl migrate` as the owner role (which owns the database) in one transaction.

DO $pwj$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET enable_partitionwise_join = on', current_database());
END
$pwj$;
