-- 019_tls_policy.sql - schema version 19: TLS policy per user, TLS trunks (issue 16).
-- sip_users.tls: required (REGISTER and calls only over TLS, only TLS contacts rung),
-- optional, or off (TLS not offered: a request over TLS is refused). A trunk with transport
-- 'tls' is reached over TLS, its certificate verified against [sipproxy] tls_ca.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

ALTER TABLE sip_users
    ADD COLUMN tls text NOT NULL DEFAULT 'optional' CHECK (tls IN ('required', 'optional', 'off'));
COMMENT ON COLUMN sip_users.tls IS
    'TLS policy: required (REGISTER and INVITE only over TLS; only TLS contacts are rung), '
    'optional, off (requests over TLS refused with 403)';

ALTER TABLE trunks DROP CONSTRAINT trunks_transport_check;
ALTER TABLE trunks ADD CONSTRAINT trunks_transport_check CHECK (transport IN ('udp', 'tcp', 'tls'));
