/* sp_digest.c - digest authentication arithmetic and nonce handling (see sp_digest.h). */
#include "sp_digest.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sp_md5_hex(const char *data, size_t len, char out[SP_MD5_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    static const char hex[] = "0123456789abcdef";
    if (!EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL) || mdlen != 16) {
        memset(out, '0', 32);
        out[32] = '\0';
        return;
    }
    for (unsigned i = 0; i < 16; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[32] = '\0';
}

static void s_md5_join(char out[SP_MD5_HEX], int count, const char *const *parts)
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
    sp_md5_hex(buf, n, out);
}

void sp_digest_ha1(const char *user, const char *realm, const char *password, char out[SP_MD5_HEX])
{
    const char *parts[] = {user, realm, password};
    s_md5_join(out, 3, parts);
}

void sp_digest_response(const char *ha1, const char *method, const sp_digest_cred_t *c,
                        char out[SP_MD5_HEX])
{
    char ha2[SP_MD5_HEX];
    const char *a2[] = {method, c->uri};
    s_md5_join(ha2, 2, a2);
    if (c->qop[0]) {
        const char *parts[] = {ha1, c->nonce, c->nc, c->cnonce, c->qop, ha2};
        s_md5_join(out, 6, parts);
    } else {
        const char *parts[] = {ha1, c->nonce, ha2};
        s_md5_join(out, 3, parts);
    }
}

static void s_nonce_mac(const char *secret, const char *stamp, char out[SP_MD5_HEX])
{
    const char *parts[] = {secret, stamp};
    s_md5_join(out, 2, parts);
}

void sp_nonce_make(const char *secret, uint64_t now_s, char *out, size_t outlen)
{
    char stamp[24], mac[SP_MD5_HEX];
    snprintf(stamp, sizeof stamp, "%llx", (unsigned long long)now_s);
    s_nonce_mac(secret, stamp, mac);
    snprintf(out, outlen, "%s-%s", stamp, mac);
}

int sp_nonce_check(const char *secret, const char *nonce, uint64_t now_s, uint64_t max_age_s)
{
    const char *dash = strchr(nonce, '-');
    if (!dash || dash == nonce || dash - nonce > 16)
        return -1;
    char stamp[24], mac[SP_MD5_HEX];
    memcpy(stamp, nonce, (size_t)(dash - nonce));
    stamp[dash - nonce] = '\0';
    char *end = NULL;
    unsigned long long t = strtoull(stamp, &end, 16);
    if (!end || *end)
        return -1;
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
                     const char *ha1, const char *secret, uint64_t now_s, uint64_t max_age_s)
{
    if (strcmp(c->realm, realm) != 0)
        return -1;
    if (c->algorithm[0] && strcasecmp(c->algorithm, "MD5") != 0)
        return -1;
    if (c->qop[0] && (strcasecmp(c->qop, "auth") != 0 || !c->nc[0] || !c->cnonce[0]))
        return -1;
    int n = sp_nonce_check(secret, c->nonce, now_s, max_age_s);
    if (n < 0)
        return -1;
    char expect[SP_MD5_HEX];
    sp_digest_response(ha1, method, c, expect);
    if (strcasecmp(expect, c->response) != 0)
        return -1;
    return n; /* right password but stale nonce: challenge again with stale=true */
}
