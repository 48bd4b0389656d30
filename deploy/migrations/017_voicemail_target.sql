-- 017_voicemail_target.sql - schema version 17: the dialplan may send a number to a mailbox
-- (target kind 'vm', target = an extension or a queue name). sipproxy hands such a call to
-- ivrd with vm.deposit; what a mailbox holds comes with the voicemail tables.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

ALTER TABLE dialplan DROP CONSTRAINT dialplan_target_kind_check;
ALTER TABLE dialplan ADD CONSTRAINT dialplan_target_kind_check
    CHECK (target_kind IN ('ext', 'queue', 'ivr', 'trunk', 'conf', 'vm'));
