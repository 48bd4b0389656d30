/* md_srtp_ossl.c - OpenSSL EVP cipher and auth types for libsrtp2 (see md_srtp_ossl.h),
 * written after libsrtp's own aes_icm_ossl.c and hmac_ossl.c (used when libsrtp is built
 * with --enable-openssl). AES-ICM: the 128-bit key sets an AES-128-CTR context once per
 * session; each packet only sets the counter (salt XOR the packet's IV, RFC 3711 4.1.1).
 * HMAC-SHA1: the key's inner and outer SHA-1 states computed once; each packet starts
 * from copies of them. */
#include "md_srtp_ossl.h"

#define OPENSSL_SUPPRESS_DEPRECATED /* SHA1_Init/Update/Final: see the HMAC part */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/crypto_types.h>
#include <srtp2/srtp.h>
#include <stdlib.h>
#include <string.h>

#define S_AES_KEY 16
#define S_SHA1_LEN 20

/* libsrtp's crypto kernel (exported by libsrtp2.so, not in its installed headers): the
 * types in place, whose test vectors our replacements must pass. */
const srtp_cipher_type_t *srtp_crypto_kernel_get_cipher_type(srtp_cipher_type_id_t id);
const srtp_auth_type_t *srtp_crypto_kernel_get_auth_type(srtp_auth_type_id_t id);

/* ---- AES-ICM-128 ------------------------------------------------------------------- */

typedef struct {
    EVP_CIPHER_CTX *ctx;
    uint8_t offset[16]; /* the salt, last two octets zero */
} s_icm_t;

static srtp_cipher_type_t s_icm_type;

static srtp_err_status_t s_icm_alloc(srtp_cipher_t **c, int key_len, int tag_len)
{
    (void)tag_len;
    if (key_len != S_AES_KEY + SRTP_SALT_LEN)
        return srtp_err_status_bad_param;
    srtp_cipher_t *cipher = calloc(1, sizeof *cipher);
    s_icm_t *icm = calloc(1, sizeof *icm);
    if (icm)
        icm->ctx = EVP_CIPHER_CTX_new();
    if (!cipher || !icm || !icm->ctx) {
        if (icm)
            EVP_CIPHER_CTX_free(icm->ctx);
        free(icm);
        free(cipher);
        return srtp_err_status_alloc_fail;
    }
    cipher->type = &s_icm_type;
    cipher->state = icm;
    cipher->key_len = key_len;
    cipher->algorithm = SRTP_AES_ICM_128;
    *c = cipher;
    return srtp_err_status_ok;
}

static srtp_err_status_t s_icm_dealloc(srtp_cipher_t *c)
{
    s_icm_t *icm = c ? c->state : NULL;
    if (icm) {
        EVP_CIPHER_CTX_free(icm->ctx);
        OPENSSL_cleanse(icm, sizeof *icm);
        free(icm);
    }
    free(c);
    return srtp_err_status_ok;
}

static srtp_err_status_t s_icm_init(void *state, const uint8_t *key)
{
    s_icm_t *icm = state;
    memset(icm->offset, 0, sizeof icm->offset);
    memcpy(icm->offset, key + S_AES_KEY, SRTP_SALT_LEN);
    EVP_CIPHER_CTX_reset(icm->ctx);
    return EVP_EncryptInit_ex(icm->ctx, EVP_aes_128_ctr(), NULL, key, NULL) == 1
               ? srtp_err_status_ok
               : srtp_err_status_init_fail;
}

static srtp_err_status_t s_icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
    (void)dir;
    s_icm_t *icm = state;
    uint8_t counter[16];
    for (int i = 0; i < 16; i++)
        counter[i] = icm->offset[i] ^ iv[i];
    return EVP_EncryptInit_ex(icm->ctx, NULL, NULL, NULL, counter) == 1 ? srtp_err_status_ok
                                                                        : srtp_err_status_fail;
}

static srtp_err_status_t s_icm_crypt(void *state, uint8_t *buf, unsigned int *len)
{
    s_icm_t *icm = state;
    int out = 0, tail = 0;
    if (*len > INT32_MAX || EVP_EncryptUpdate(icm->ctx, buf, &out, buf, (int)*len) != 1 ||
        EVP_EncryptFinal_ex(icm->ctx, buf + out, &tail) != 1)
        return srtp_err_status_cipher_fail;
    *len = (unsigned int)(out + tail);
    return srtp_err_status_ok;
}

/* ---- HMAC-SHA1 --------------------------------------------------------------------- */

/* RFC 2104 over SHA-1 with the padded key's inner and outer states hashed once per session:
 * a packet costs two struct copies and the hashing, no allocation. OpenSSL 3 deprecates
 * the SHA1_* calls used for this (they stay); EVP_MAC would re-key and allocate per packet. */
typedef struct {
    SHA_CTX inner, outer; /* after the key XOR ipad / opad block */
    SHA_CTX cur;          /* the packet being authenticated */
} s_hmac_t;

static srtp_auth_type_t s_hmac_type;

static srtp_err_status_t s_hmac_alloc(srtp_auth_t **a, int key_len, int out_len)
{
    if (out_len < 0 || out_len > S_SHA1_LEN || key_len < 0)
        return srtp_err_status_bad_param;
    srtp_auth_t *auth = calloc(1, sizeof *auth);
    s_hmac_t *h = calloc(1, sizeof *h);
    if (!auth || !h) {
        free(auth);
        free(h);
        return srtp_err_status_alloc_fail;
    }
    auth->type = &s_hmac_type;
    auth->state = h;
    auth->out_len = out_len;
    auth->key_len = key_len;
    auth->prefix_len = 0;
    *a = auth;
    return srtp_err_status_ok;
}

static srtp_err_status_t s_hmac_dealloc(srtp_auth_t *a)
{
    if (a && a->state) {
        OPENSSL_cleanse(a->state, sizeof(s_hmac_t));
        free(a->state);
    }
    free(a);
    return srtp_err_status_ok;
}

static srtp_err_status_t s_hmac_init(void *state, const uint8_t *key, int key_len)
{
    s_hmac_t *h = state;
    uint8_t block[SHA_CBLOCK], ipad[SHA_CBLOCK], opad[SHA_CBLOCK];
    memset(block, 0, sizeof block);
    if (key_len > SHA_CBLOCK)
        SHA1(key, (size_t)key_len, block);
    else
        memcpy(block, key, (size_t)key_len);
    for (int i = 0; i < SHA_CBLOCK; i++) {
        ipad[i] = block[i] ^ 0x36;
        opad[i] = block[i] ^ 0x5c;
    }
    int ok = SHA1_Init(&h->inner) && SHA1_Update(&h->inner, ipad, sizeof ipad) &&
             SHA1_Init(&h->outer) && SHA1_Update(&h->outer, opad, sizeof opad);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(ipad, sizeof ipad);
    OPENSSL_cleanse(opad, sizeof opad);
    h->cur = h->inner;
    return ok ? srtp_err_status_ok : srtp_err_status_auth_fail;
}

static srtp_err_status_t s_hmac_start(void *state)
{
    s_hmac_t *h = state;
    h->cur = h->inner;
    return srtp_err_status_ok;
}

static srtp_err_status_t s_hmac_update(void *state, const uint8_t *msg, int len)
{
    s_hmac_t *h = state;
    return len >= 0 && SHA1_Update(&h->cur, msg, (size_t)len) ? srtp_err_status_ok
                                                              : srtp_err_status_auth_fail;
}

static srtp_err_status_t s_hmac_compute(void *state, const uint8_t *msg, int len, int tag_len,
                                        uint8_t *result)
{
    s_hmac_t *h = state;
    uint8_t inner[S_SHA1_LEN], hash[S_SHA1_LEN];
    if (tag_len < 0 || tag_len > S_SHA1_LEN || s_hmac_update(state, msg, len) != 0 ||
        !SHA1_Final(inner, &h->cur))
        return srtp_err_status_auth_fail;
    SHA_CTX outer = h->outer;
    if (!SHA1_Update(&outer, inner, sizeof inner) || !SHA1_Final(hash, &outer))
        return srtp_err_status_auth_fail;
    memcpy(result, hash, (size_t)tag_len);
    return srtp_err_status_ok;
}

int md_srtp_ossl_register(void)
{
    const srtp_cipher_type_t *icm = srtp_crypto_kernel_get_cipher_type(SRTP_AES_ICM_128);
    const srtp_auth_type_t *hmac = srtp_crypto_kernel_get_auth_type(SRTP_HMAC_SHA1);
    if (!icm || !hmac)
        return -1;
    if (icm->alloc == s_icm_alloc) /* already ours */
        return 0;
    s_icm_type = (srtp_cipher_type_t){
        .alloc = s_icm_alloc,
        .dealloc = s_icm_dealloc,
        .init = s_icm_init,
        .encrypt = s_icm_crypt,
        .decrypt = s_icm_crypt,
        .set_iv = s_icm_set_iv,
        .description = "AES-128 counter mode (OpenSSL EVP, keyed once)",
        .test_data = icm->test_data,
        .id = SRTP_AES_ICM_128,
    };
    s_hmac_type = (srtp_auth_type_t){
        .alloc = s_hmac_alloc,
        .dealloc = s_hmac_dealloc,
        .init = s_hmac_init,
        .compute = s_hmac_compute,
        .update = s_hmac_update,
        .start = s_hmac_start,
        .description = "HMAC-SHA1 (OpenSSL SHA-1, pads hashed once)",
        .test_data = hmac->test_data,
        .id = SRTP_HMAC_SHA1,
    };
    if (srtp_replace_cipher_type(&s_icm_type, SRTP_AES_ICM_128) != srtp_err_status_ok)
        return -1;
    if (srtp_replace_auth_type(&s_hmac_type, SRTP_HMAC_SHA1) != srtp_err_status_ok)
        return -1;
    return 0;
}
