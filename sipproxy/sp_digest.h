/* sp_digest.h - HTTP digest for SIP (RFC 2617/7616, MD5 and SHA-256 as RFC 8760 adds to
 * SIP, qop=auth): response computation, self-validating nonces (time, a counter and an
 * HMAC, so no table is needed to check one), the nonce counts already used (so a captured
 * request cannot be replayed), and the parsing of a credentials parameter list. Pure: time
 * and secret are passed in; no sofia types. */
#ifndef SP_DIGEST_H
#define SP_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_DIGEST_HEX 65 /* the longest hex hash (SHA-256) and its NUL */

typedef enum {
    SP_DIGEST_MD5 = 0,
    SP_DIGEST_SHA256,
} sp_digest_alg_t;

typedef struct {
    char username[64];
    char realm[128];
    char nonce[128];
    char uri[256];
    char response[80];
    char qop[16];
    char nc[16];
    char cnonce[128];
    char algorithm[16];
} sp_digest_cred_t;

/* "MD5" (also when absent: "") or "SHA-256", any case; -1 for anything else (the -sess
 * variants included: they need state we do not keep). */
int sp_digest_alg_parse(const char *name, sp_digest_alg_t *out);
const char *sp_digest_alg_name(sp_digest_alg_t alg); /* as written in a challenge */
/* A list such as "SHA-256 MD5" (spaces or commas): each algorithm once, at least one. 0 with
 * algs[0..*n) filled, or -1 with the reason in err. */
int sp_digest_algs_parse(const char *text, sp_digest_alg_t algs[2], int *n, char *err,
                         size_t errlen);

/* HA1 = H(user:realm:password). */
void sp_digest_ha1(sp_digest_alg_t alg, const char *user, const char *realm, const char *password,
                   char out[SP_DIGEST_HEX]);
/* The expected response for credentials `c` over `method`, given the user's HA1 of that
 * algorithm. With qop "auth": H(HA1:nonce:nc:cnonce:qop:HA2); without: H(HA1:nonce:HA2). */
void sp_digest_response(sp_digest_alg_t alg, const char *ha1, const char *method,
                        const sp_digest_cred_t *c, char out[SP_DIGEST_HEX]);

/* Nonce "<seconds hex>.<counter hex>-<HMAC-SHA256(secret, seconds.counter), 32 hex>": unique
 * per challenge (the counter), checked without a table. */
void sp_nonce_make(const char *secret, uint64_t now_s, uint64_t counter, char *out, size_t outlen);
/* 0 valid, 1 well-formed but older than max_age_s (stale=true), -1 forged/garbage. */
int sp_nonce_check(const char *secret, const char *nonce, uint64_t now_s, uint64_t max_age_s);

/* Fill *out from sofia-style parameter strings ("username=\"1001\"", "qop=auth", ...),
 * NULL-terminated. Unknown parameters are ignored, quotes removed. 0, or -1 if a required
 * parameter (username, realm, nonce, uri, response) is missing. */
int sp_digest_parse(const char *const *params, sp_digest_cred_t *out);

/* Check credentials against the user's HA1s (either may be "" when unknown: credentials of
 * that algorithm then fail): realm, algorithm, qop, nonce and response. Returns 0 ok, 1
 * stale nonce (challenge again with stale=true), -1 wrong. */
int sp_digest_verify(const sp_digest_cred_t *c, const char *method, const char *realm,
                     const char *ha1_md5, const char *ha1_sha256, const char *secret,
                     uint64_t now_s, uint64_t max_age_s);

/* The nonce counts seen with each nonce (RFC 7616 3.3: a client counts its requests under
 * one nonce): a request whose count is not above the highest already accepted for its user
 * and nonce is a replay. Only verified requests are recorded. Entries go when their nonce
 * is past max_age; when the table is full the oldest nonces are forgotten (their next use
 * is then challenged again as stale, never accepted as new). */
typedef struct sp_nonce_counts sp_nonce_counts_t;
sp_nonce_counts_t *sp_nonce_counts_new(size_t capacity);
void sp_nonce_counts_destroy(sp_nonce_counts_t **self_p);
/* 0: a new count, now recorded; -1: a replay (or a count that is not hex); 1: the nonce
 * is not known and the table is full of younger ones: challenge again. `nc` is the hex
 * count as sent ("" without qop counts as 1: such a nonce serves one request). */
int sp_nonce_counts_use(sp_nonce_counts_t *self, const char *user, const char *nonce,
                        const char *nc, uint64_t now_s, uint64_t max_age_s);
size_t sp_nonce_counts_size(const sp_nonce_counts_t *self);

#endif
