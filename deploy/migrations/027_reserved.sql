-- 027_reserved.sql - a placeholder on branch dialer only: another branch holds migration 027.
-- Drop this file (and renumber 028 if needed) when merging; it changes nothing.
SELECT 1;
