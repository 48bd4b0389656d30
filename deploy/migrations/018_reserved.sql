-- 018_reserved.sql - placeholder on the pbx branch only: version 018 belongs to another
-- branch of issue 15 (voicemail). It exists so that `ccctl migrate` (which refuses gaps)
-- can apply 019 here. DROP THIS FILE ON MERGE: the real 018 replaces it.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

SELECT 1;
