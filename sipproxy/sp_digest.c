/* sp_digest.c - digest authentication arithmetic and nonce handling (see sp_digest.h). */
#include "sp_digest.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cc_digest.h"
#include "cc_map.h"

int sp_digest_alg_parse(const char *name, sp_digest_alg_t *out)
{
    if (!name[0] || strcasecmp(name, "MD5") == 0)
        *out = SP_DIGEST_MD5;
    else if (strcasecmp(name, "SHA-256") == 0)
        *out = SP_DIGEST_SHA256;
    else
        return -1;
    return 0;
}

const char *sp_digest_alg_name(sp_digest_alg_t alg)
{
    return alg == SP_DIGEST_SHA256 ? "SHA-256" : "MD5";
}

int sp_digest_algs_parse(const char *text, sp_digest_alg_t algs[2], int *n, char *err,
                         size_t errlen)
{
    char copy[128], *save = NULL;
    snprintf(copy, sizeof copy, "%s", text);
    *n = 0;
    for (char *tok = strtok_r(copy, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
        sp_digest_alg_t a;
        if (sp_digest_alg_parse(tok, &a) != 0) {
            snprintf(err, errlen, "'%s' is not a digest algorithm (SHA-256, MD5)", tok);
            return -1;
        }
        for (int i = 0; i < *n; i++)
            if (algs[i] == a) {
                snprintf(err, errlen, "%s is listed twice", sp_digest_alg_name(a));
                return -1;
            }
        algs[(*n)++] = a;
    }
    if (*n == 0) {
        snprintf(err, errlen, "at least one algorithm (SHA-256, MD5)");
        return -1;
    }
    return 0;
}

/* H(parts joined by ':') in hex. */
static void s_join_hash(sp_digest_alg_t alg, char out[SP_DIGEST_HEX], int count,
                        const char *const *parts)
{
    char buf[1024];
    size_t n = 0;
    for (int i = 0; i < count; i++) {
        size_t l = strlen(parts[i]);
        if (n + l + 2 > sizeof buf)
            l = sizeof buf - n - 2;
        if (i > 0)
            buf[n++] = ':';
        memcpy(buf + n, parts[i], l);
        n += l;
    }
    if (cc_digest_hex(alg == SP_DIGEST_SHA256 ? "SHA256" : "MD5", buf, n, out, SP_DIGEST_HEX) != 0)
        out[0] = '\0'; /* matches no response */
    explicit_bzero(buf, sizeof buf);
}

void sp_digest_ha1(sp_digest_alg_t alg, const char *user, const char *realm, const char *password,
                   char out[SP_DIGEST_HEX])
{
    const char *parts[] = {user, realm, password};
    s_join_hash(alg, out, 3, parts);
}

void sp_digest_response(sp_digest_alg_t alg, const char *ha1, const char *method,
                        const sp_digest_cred_t *c, char out[SP_DIGEST_HEX])
{
    char ha2[SP_DIGEST_HEX];
    const char *a2[] = {method, c->uri};
    s_join_hash(alg, ha2, 2, a2);
    if (c->qop[0]) {
        const char *parts[] = {ha1, c->nonce, c->nc, c->cnonce, c->qop, ha2};
        s_join_hash(alg, out, 6, parts);
    } else {
        const char *parts[] = {ha1, c->nonce, ha2};
        s_join_hash(alg, out, 3, parts);
    }
}

/* HMAC-SHA256(secret, stamp), first 16 bytes in hex. The keyed context is kept per thread
 * and per secret: EVP_Q_mac fetches the algorithm and sets the key on every call (1.3 us
 * here, against 0.2 us re-using a context), and every challenge and every authenticated
 * request computes one. */
static int s_hmac(const char *secret, const char *stamp, unsigned char *mac, size_t *len)
{
    static __thread EVP_MAC_CTX *ctx;
    static __thread char keyed[128];    /* the secret it was keyed with */
    if (strlen(secret) >= sizeof keyed) /* never cached: the one-shot form */
        return EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret),
                         (const unsigned char *)stamp, strlen(stamp), mac, EVP_MAX_MD_SIZE,
                         len) != NULL;
    if (!ctx || strcmp(keyed, secret) != 0) {
        if (!ctx) {
            EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
            ctx = m ? EVP_MAC_CTX_new(m) : NULL;
            EVP_MAC_free(m); /* the context holds its own reference */
            if (!ctx)
                return 0;
        }
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
        keyed[0] = '\0';
        if (!EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params))
            return 0;
        snprintf(keyed, sizeof keyed, "%s", secret);
    } else if (!EVP_MAC_init(ctx, NULL, 0, NULL)) { /* same key, fresh state */
        return 0;
    }
    return EVP_MAC_update(ctx, (const unsigned char *)stamp, strlen(stamp)) &&
           EVP_MAC_final(ctx, mac, len, EVP_MAX_MD_SIZE);
}

static void s_nonce_mac(const char *secret, const char *stamp, char out[33])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t len = 0;
    static const char hex[] = "0123456789abcdef";
    if (!s_hmac(secret, stamp, mac, &len) || len < 16) {
        memset(out, 'x', 32); /* never a hex MAC: every nonce fails */
        out[32] = '\0';
        return;
    }
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[32] = '\0';
}

void sp_nonce_make(const char *secret, uint64_t now_s, uint64_t counter, char *out, size_t outlen)
{
    char stamp[40], mac[33];
    snprintf(stamp, sizeof stamp, "%llx.%llx", (unsigned long long)now_s,
             (unsigned long long)counter);
    s_nonce_mac(secret, stamp, mac);
    snprintf(out, outlen, "%s-%s", stamp, mac);
}

/* The seconds a nonce was made at; false if it does not start "<hex>.<hex>-". */
static bool s_nonce_time(const char *nonce, uint64_t *t_out)
{
    const char *dash = strchr(nonce, '-'), *dot = strchr(nonce, '.');
    if (!dash || !dot || dot > dash || dot == nonce || dash == dot + 1 || dash - nonce > 33)
        return false;
    if (strspn(nonce, "0123456789abcdef") != (size_t)(dot - nonce) ||
        strspn(dot + 1, "0123456789abcdef") != (size_t)(dash - dot - 1) || dot - nonce > 16)
        return false;
    *t_out = strtoull(nonce, NULL, 16);
    return true;
}

int sp_nonce_check(const char *secret, const char *nonce, uint64_t now_s, uint64_t max_age_s)
{
    uint64_t t;
    if (!s_nonce_time(nonce, &t))
        return -1;
    const char *dash = strchr(nonce, '-');
    char stamp[40], mac[33];
    memcpy(stamp, nonce, (size_t)(dash - nonce));
    stamp[dash - nonce] = '\0';
    s_nonce_mac(secret, stamp, mac);
    if (strcmp(mac, dash + 1) != 0)
        return -1;
    if (t > now_s + 5 || now_s - t > max_age_s)
        return 1;
    return 0;
}

static void s_copy_value(char *dst, size_t dstlen, const char *v)
{
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v++;
        n -= 2;
    }
    if (n >= dstlen)
        n = dstlen - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

int sp_digest_parse(const char *const *params, sp_digest_cred_t *out)
{
    static const struct {
        const char *name;
        size_t off, len;
    } fields[] = {
#define F(x) {#x, offsetof(sp_digest_cred_t, x), sizeof(((sp_digest_cred_t *)0)->x)}
        F(username), F(realm), F(nonce),  F(uri),       F(response),
        F(qop),      F(nc),    F(cnonce), F(algorithm),
#undef F
    };
    memset(out, 0, sizeof *out);
    for (int i = 0; params && params[i]; i++) {
        const char *eq = strchr(params[i], '=');
        if (!eq)
            continue;
        size_t namelen = (size_t)(eq - params[i]);
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
            if (strlen(fields[f].name) == namelen &&
                strncasecmp(fields[f].name, params[i], namelen) == 0)
                s_copy_value((char *)out + fields[f].off, fields[f].len, eq + 1);
    }
    if (!out->username[0] || !out->realm[0] || !out->nonce[0] || !out->uri[0] || !out->response[0])
        return -1;
    return 0;
}

int sp_digest_verify(const sp_digest_cred_t *c, const char *method, const char *realm,
                     const char *ha1_md5, const char *ha1_sha256, const char *secret,
                     uint64_t now_s, uint64_t max_age_s)
{
    sp_digest_alg_t alg;
    if (strcmp(c->realm, realm) != 0 || sp_digest_alg_parse(c->algorithm, &alg) != 0)
        return -1;
    const char *ha1 = alg == SP_DIGEST_SHA256 ? ha1_sha256 : ha1_md5;
    if (!ha1 || !ha1[0])
        return -1;
    if (c->qop[0] && (strcasecmp(c->qop, "auth") != 0 || !c->nc[0] || !c->cnonce[0]))
        return -1;
    int n = sp_nonce_check(secret, c->nonce, now_s, max_age_s);
    if (n < 0)
        return -1;
    char expect[SP_DIGEST_HEX];
    sp_digest_response(alg, ha1, method, c, expect);
    if (!expect[0] || strcasecmp(expect, c->response) != 0)
        return -1;
    return n; /* right password but stale nonce: challenge again with stale=true */
}

/* ---- nonce counts ----------------------------------------------------------------- */

struct sp_nonce_counts {
    cc_map_t *seen; /* "user\nnonce" -> s_count_t */
    size_t capacity;
    uint64_t floor_s; /* nonces made at or before this may have been forgotten */
    /* The keys in the order they were first used, oldest at `head`: a full table forgets
     * the oldest one at a time, so a registration storm that fills it costs the nonces of
     * some seconds ago, not the ones being answered right now. */
    char **order;
    size_t head, len;
};

typedef struct {
    uint64_t made_s;
    unsigned long nc;
} s_count_t;

sp_nonce_counts_t *sp_nonce_counts_new(size_t capacity)
{
    sp_nonce_counts_t *self = calloc(1, sizeof *self);
    capacity = capacity ? capacity : 1;
    if (!self || !(self->seen = cc_map_new(free)) ||
        !(self->order = calloc(capacity, sizeof *self->order))) {
        if (self)
            cc_map_destroy(&self->seen);
        free(self);
        return NULL;
    }
    self->capacity = capacity;
    return self;
}

/* Forget the oldest key: nonces made up to its time may now be unknown. */
static void s_forget_oldest(sp_nonce_counts_t *self)
{
    char *key = self->order[self->head];
    self->order[self->head] = NULL;
    self->head = (self->head + 1) % self->capacity;
    self->len--;
    const s_count_t *c = cc_map_get(self->seen, key);
    if (c && c->made_s > self->floor_s)
        self->floor_s = c->made_s;
    cc_map_delete(self->seen, key);
    free(key);
}

void sp_nonce_counts_destroy(sp_nonce_counts_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sp_nonce_counts_t *self = *self_p;
    while (self->len)
        s_forget_oldest(self);
    cc_map_destroy(&self->seen);
    free(self->order);
    free(self);
    *self_p = NULL;
}

size_t sp_nonce_counts_size(const sp_nonce_counts_t *self)
{
    return cc_map_size(self->seen);
}

int sp_nonce_counts_use(sp_nonce_counts_t *self, const char *user, const char *nonce,
                        const char *nc, uint64_t now_s, uint64_t max_age_s)
{
    unsigned long count = 1;
    if (nc[0]) {
        char *end = NULL;
        if (strlen(nc) > 8 || strspn(nc, "0123456789abcdefABCDEF") != strlen(nc))
            return -1;
        count = strtoul(nc, &end, 16);
    }
    uint64_t made;
    if (!s_nonce_time(nonce, &made))
        return -1;
    char key[256];
    snprintf(key, sizeof key, "%s\n%s", user, nonce);
    s_count_t *c = cc_map_get(self->seen, key);
    if (c) {
        if (count <= c->nc)
            return -1;
        c->nc = count;
        return 0;
    }
    if (made <= self->floor_s)
        return 1; /* we may have forgotten what it was used with */
    /* expired nonces at the old end go first (their requests fail as stale anyway), then
     * the oldest while the table is full */
    while (self->len) {
        const s_count_t *old = cc_map_get(self->seen, self->order[self->head]);
        if (self->len < self->capacity && old && old->made_s + max_age_s >= now_s)
            break;
        s_forget_oldest(self);
    }
    if (made <= self->floor_s)
        return 1; /* it was as old as what was just forgotten */
    char *order_key = strdup(key);
    if (!order_key || !(c = malloc(sizeof *c))) {
        free(order_key);
        return 1;
    }
    c->made_s = made;
    c->nc = count;
    if (cc_map_insert(self->seen, key, c) != 0) {
        free(c);
        free(order_key);
        return 1;
    }
    self->order[(self->head + self->len) % self->capacity] = order_key;
    self->len++;
    return 0;
}
