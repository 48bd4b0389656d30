/* md_srtp.c - one endpoint's SRTP sessions on libsrtp2 (see md_srtp.h): a receive session
 * under the far party's key and a send session under our own, both for any SSRC (a
 * prompt, a mix or a new phone stream each get their own stream state inside libsrtp).
 * Owns the keys; wipes them when freed. Never logs a key. */
#include "md_srtp.h"

#include "md_srtp_ossl.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <srtp2/srtp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct md_srtp {
    uint8_t local[MD_SRTP_KEY_LEN];
    uint8_t remote[MD_SRTP_KEY_LEN];
    md_srtp_suite_t suite; /* NONE: no remote yet */
    srtp_t rx, tx;
};

int md_srtp_init(void)
{
    static bool s_ready; /* libsrtp's state is process-wide and refuses a second init */
    if (!s_ready)
        s_ready = srtp_init() == srtp_err_status_ok && md_srtp_ossl_register() == 0;
    return s_ready ? 0 : -1;
}

md_srtp_suite_t md_srtp_suite_parse(const char *name)
{
    if (!name)
        return MD_SRTP_NONE;
    if (strcmp(name, "AES_CM_128_HMAC_SHA1_80") == 0)
        return MD_SRTP_AES_CM_128_HMAC_SHA1_80;
    if (strcmp(name, "AES_CM_128_HMAC_SHA1_32") == 0)
        return MD_SRTP_AES_CM_128_HMAC_SHA1_32;
    return MD_SRTP_NONE;
}

const char *md_srtp_suite_name(md_srtp_suite_t suite)
{
    switch (suite) {
    case MD_SRTP_AES_CM_128_HMAC_SHA1_80:
        return "AES_CM_128_HMAC_SHA1_80";
    case MD_SRTP_AES_CM_128_HMAC_SHA1_32:
        return "AES_CM_128_HMAC_SHA1_32";
    default:
        return "";
    }
}

void md_srtp_key_encode(const uint8_t key[MD_SRTP_KEY_LEN], char out[MD_SRTP_KEY_B64_LEN])
{
    EVP_EncodeBlock((unsigned char *)out, key, MD_SRTP_KEY_LEN);
    out[MD_SRTP_KEY_B64_LEN - 1] = '\0';
}

int md_srtp_key_decode(const char *b64, uint8_t key[MD_SRTP_KEY_LEN])
{
    unsigned char tmp[MD_SRTP_KEY_LEN + 3];
    if (!b64 || strlen(b64) != MD_SRTP_KEY_B64_LEN - 1)
        return -1;
    int n = EVP_DecodeBlock(tmp, (const unsigned char *)b64, MD_SRTP_KEY_B64_LEN - 1);
    if (n != MD_SRTP_KEY_LEN) {
        OPENSSL_cleanse(tmp, sizeof tmp);
        return -1;
    }
    memcpy(key, tmp, MD_SRTP_KEY_LEN);
    OPENSSL_cleanse(tmp, sizeof tmp);
    return 0;
}

md_srtp_t *md_srtp_new(const char *local_b64)
{
    md_srtp_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    int rc = local_b64 ? md_srtp_key_decode(local_b64, self->local)
             : getrandom(self->local, sizeof self->local, 0) == (ssize_t)sizeof self->local ? 0
                                                                                            : -1;
    if (rc < 0)
        md_srtp_destroy(&self);
    return self;
}

static void s_sessions_free(md_srtp_t *self)
{
    if (self->rx)
        srtp_dealloc(self->rx);
    if (self->tx)
        srtp_dealloc(self->tx);
    self->rx = self->tx = NULL;
}

void md_srtp_destroy(md_srtp_t **self_p)
{
    md_srtp_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    s_sessions_free(self);
    OPENSSL_cleanse(self, sizeof *self);
    free(self);
    *self_p = NULL;
}

void md_srtp_local_key(const md_srtp_t *self, char out[MD_SRTP_KEY_B64_LEN])
{
    md_srtp_key_encode(self->local, out);
}

static srtp_t s_session(md_srtp_suite_t suite, uint8_t *key, bool inbound)
{
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    if (suite == MD_SRTP_AES_CM_128_HMAC_SHA1_32)
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
    else
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp); /* RFC 4568 6.2.1 */
    policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    policy.key = key;
    policy.window_size = 128;
    policy.allow_repeat_tx = 0;
    srtp_t s = NULL;
    if (srtp_create(&s, &policy) != srtp_err_status_ok)
        return NULL;
    return s;
}

int md_srtp_set_remote(md_srtp_t *self, md_srtp_suite_t suite, const char *remote_b64)
{
    uint8_t key[MD_SRTP_KEY_LEN];
    if (suite == MD_SRTP_NONE || md_srtp_key_decode(remote_b64, key) < 0)
        return -1;
    if (self->rx && suite == self->suite && memcmp(key, self->remote, sizeof key) == 0) {
        OPENSSL_cleanse(key, sizeof key);
        return 0; /* the same again (a session refresh): keep the replay state */
    }
    /* the far party re-keyed (same suite): what we send goes on in the same session, so
     * its rollover counter and the party's replay window stay in step */
    bool keep_tx = self->tx && suite == self->suite;
    srtp_t rx = s_session(suite, key, true);
    srtp_t tx = rx && !keep_tx ? s_session(suite, self->local, false) : NULL;
    if (!rx || (!keep_tx && !tx)) {
        if (rx)
            srtp_dealloc(rx);
        OPENSSL_cleanse(key, sizeof key);
        return -1;
    }
    if (keep_tx) {
        srtp_dealloc(self->rx);
        self->rx = rx;
    } else {
        s_sessions_free(self);
        self->rx = rx;
        self->tx = tx;
    }
    self->suite = suite;
    memcpy(self->remote, key, sizeof key);
    OPENSSL_cleanse(key, sizeof key);
    return 0;
}

bool md_srtp_ready(const md_srtp_t *self)
{
    return self->rx != NULL;
}

md_srtp_status_t md_srtp_unprotect(md_srtp_t *self, uint8_t *pkt, size_t *len, bool rtcp)
{
    if (!self->rx || *len < (rtcp ? 8u : 12u) || *len > 65535)
        return MD_SRTP_BAD;
    int n = (int)*len;
    srtp_err_status_t st =
        rtcp ? srtp_unprotect_rtcp(self->rx, pkt, &n) : srtp_unprotect(self->rx, pkt, &n);
    switch (st) {
    case srtp_err_status_ok:
        *len = (size_t)n;
        return MD_SRTP_OK;
    case srtp_err_status_auth_fail:
        return MD_SRTP_AUTH_FAILED;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
        return MD_SRTP_REPLAYED;
    default:
        return MD_SRTP_BAD;
    }
}

int md_srtp_protect(md_srtp_t *self, uint8_t *pkt, size_t *len, bool rtcp)
{
    if (!self->tx || *len < (rtcp ? 8u : 12u) || *len > 65535 - MD_SRTP_TRAILER)
        return -1;
    int n = (int)*len;
    srtp_err_status_t st =
        rtcp ? srtp_protect_rtcp(self->tx, pkt, &n) : srtp_protect(self->tx, pkt, &n);
    if (st != srtp_err_status_ok)
        return -1;
    *len = (size_t)n;
    return 0;
}
