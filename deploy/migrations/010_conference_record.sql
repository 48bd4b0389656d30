-- 010_conference_record.sql - schema version 10: recorded conference rooms. A room with
-- record set is recorded while anybody is in it: ivrd asks recorderd (rec.start with the
-- room's mediad mix) when the mix is made and stops it when the room empties. The result
-- is one row in recordings (call_id conf-ROOM-<ms>, callee conf:ROOM) whose file holds the
-- full mix, the same in both channels. ccctl conf add --record sets it.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

ALTER TABLE conferences ADD COLUMN record boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN conferences.record IS
    'record the room: one mixed recording per session (first caller in to last out), '
    'indexed in recordings with call_id conf-<name>-<ms> and callee conf:<name>';
