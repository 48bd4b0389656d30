-- 012_digest_algorithms.sql - schema version 12: per-user digest algorithms. SHA-256
-- digest (RFC 8760) is offered to the users whose phones speak it; the rest keep the
-- [sipproxy] digest_algorithms default. Phones that do not know SHA-256 (baresip 1.0's
-- libre, sipp 3.6) refuse a challenge that offers it at all, so it cannot simply be offered
-- to everyone.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

ALTER TABLE sip_users
    ADD COLUMN digest_algorithms text
        CHECK (digest_algorithms IN ('SHA-256', 'MD5', 'SHA-256 MD5', 'MD5 SHA-256'));
COMMENT ON COLUMN sip_users.digest_algorithms IS
    'digest algorithms challenged for this user, preferred first (SHA-256 needs a phone that '
    'speaks RFC 8760); NULL: [sipproxy] digest_algorithms. Set by ccctl user digest';
