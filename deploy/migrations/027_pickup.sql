-- 027_pickup.sql - schema version 27: call pickup groups. An extension may belong to one
-- pickup group; a phone of the group that dials *8 answers a call ringing any other phone
-- of the group (directed pickup, ** + extension, needs no group). Set by `ccctl user
-- pickup-group EXT NAME|off`; sipproxy reloads it live through cc_config like sip_users.
-- Call park needs no table: parked calls live only in sipproxy (its slots are in the
-- [sipproxy] config, park_number and park_slot_first/park_slots).
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

ALTER TABLE sip_users ADD COLUMN pickup_group text NOT NULL DEFAULT ''
    CHECK (pickup_group ~ '^([A-Za-z0-9_.-]{1,40})?$');
COMMENT ON COLUMN sip_users.pickup_group IS
    'call pickup group: *8 from a phone of the group answers a call ringing another of it; '
    ''''' = none';
