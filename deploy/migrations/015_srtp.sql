-- 015_srtp.sql - SRTP policy per user and per trunk (issue 16, SRTP): required (a plain
-- offer gets 488 and our offers are RTP/SAVP), optional (SRTP when the party offers it) or
-- off (plain RTP only). sipproxy reads it with the rest of the directory.
ALTER TABLE sip_users
    ADD COLUMN srtp text NOT NULL DEFAULT 'optional' CHECK (srtp IN ('required', 'optional', 'off'));
COMMENT ON COLUMN sip_users.srtp IS
    'SRTP (SDES keys) on calls from and to this phone: required, optional (default) or off';

ALTER TABLE trunks
    ADD COLUMN srtp text NOT NULL DEFAULT 'optional' CHECK (srtp IN ('required', 'optional', 'off'));
COMMENT ON COLUMN trunks.srtp IS
    'SRTP (SDES keys) on calls through this trunk: required, optional (default) or off';
