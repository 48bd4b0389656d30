/* sp_digest.h - HTTP digest (RFC 2617/7616, MD5, qop=auth) for SIP: response computation,
 * self-validating nonces (timestamp + keyed hash, so no nonce table), and the parsing of a
 * credentials parameter list. Pure: time and secret are passed in; no sofia types. */
#ifndef SP_DIGEST_H
#define SP_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_MD5_HEX 33

typedef struct {
    char username[64];
    char realm[128];
    char nonce[128];
    char uri[256];
    char response[64];
    char qop[16];
    char nc[16];
    char cnonce[128];
    char algorithm[16];
} sp_digest_cred_t;

/* Lower-case hex MD5 of a string. */
void sp_md5_hex(const char *data, size_t len, char out[SP_MD5_HEX]);
/* HA1 = MD5(user:realm:password). */
void sp_digest_ha1(const char *user, const char *realm, const char *password, char out[SP_MD5_HEX]);
/* The expected response for credentials `c` over `method`, given the user's HA1. With
 * qop "auth": MD5(HA1:nonce:nc:cnonce:qop:HA2); without qop: MD5(HA1:nonce:HA2). */
void sp_digest_response(const char *ha1, const char *method, const sp_digest_cred_t *c,
                        char out[SP_MD5_HEX]);

/* Nonce "<seconds hex>-<md5(secret:seconds) hex>". */
void sp_nonce_make(const char *secret, uint64_t now_s, char *out, size_t outlen);
/* 0 valid, 1 well-formed but older than max_age_s (stale=true), -1 forged/garbage. */
int sp_nonce_check(const char *secret, const char *nonce, uint64_t now_s, uint64_t max_age_s);

/* Fill *out from sofia-style parameter strings ("username=\"1001\"", "qop=auth", ...),
 * NULL-terminated. Unknown parameters are ignored, quotes removed. 0, or -1 if a required
 * parameter (username, realm, nonce, uri, response) is missing. */
int sp_digest_parse(const char *const *params, sp_digest_cred_t *out);

/* Check credentials against the HA1: realm, nonce and response. Returns 0 ok, 1 stale
 * nonce (challenge again with stale=true), -1 wrong. */
int sp_digest_verify(const sp_digest_cred_t *c, const char *method, const char *realm,
                     const char *ha1, const char *secret, uint64_t now_s, uint64_t max_age_s);

#endif
