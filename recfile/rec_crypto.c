/* rec_crypto.c - the encryption of recordings (see rec_crypto.h): master key text and id,
 * the data key wrapped in the header, chunks sealed and opened with AES-256-GCM, and the
 * SHA-256 of a file. The only file of the recording format that calls OpenSSL. */
#include "rec_crypto.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "cc_bytes.h"

int rec_key_parse_hex(const char *text, uint8_t key[REC_KEY_LEN])
{
    while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
        text++;
    for (int i = 0; i < REC_KEY_LEN; i++) {
        unsigned v;
        if (sscanf(text + 2 * i, "%2x", &v) != 1 ||
            !strchr("0123456789abcdefABCDEF", text[2 * i]) || !text[2 * i + 1] ||
            !strchr("0123456789abcdefABCDEF", text[2 * i + 1]))
            return -1;
        key[i] = (uint8_t)v;
    }
    const char *rest = text + 2 * REC_KEY_LEN;
    while (*rest == ' ' || *rest == '\t' || *rest == '\n' || *rest == '\r')
        rest++;
    return *rest ? -1 : 0;
}

void rec_key_id(const uint8_t master[REC_KEY_LEN], uint8_t id[8])
{
    uint8_t d[SHA256_DIGEST_LENGTH];
    SHA256(master, REC_KEY_LEN, d);
    memcpy(id, d, 8);
}

/* AES-256-GCM one shot. enc: 1 seal (tag out), 0 open (tag in). 0 or -1. */
static int s_gcm(int enc, const uint8_t key[32], const uint8_t iv[12], const uint8_t *aad,
                 size_t aadlen, const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[16])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ok = c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc) == 1;
    int len = 0;
    if (ok && aadlen)
        ok = EVP_CipherUpdate(c, NULL, &len, aad, (int)aadlen) == 1;
    if (ok && n)
        ok = EVP_CipherUpdate(c, out, &len, in, (int)n) == 1;
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1;
    if (ok)
        ok = EVP_CipherFinal_ex(c, out + (n ? len : 0), &len) == 1;
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

static const uint8_t s_wrap_aad[] = "ccrec1 data key";

int rec_enc_header_new(const uint8_t master[REC_KEY_LEN], uint8_t hdr[REC_ENC_HDR],
                       uint8_t data_key[REC_KEY_LEN])
{
    memcpy(hdr, REC_ENC_MAGIC, 8);
    rec_key_id(master, hdr + 8);
    if (RAND_bytes(hdr + 16, 12) != 1 || RAND_bytes(data_key, REC_KEY_LEN) != 1)
        return -1;
    return s_gcm(1, master, hdr + 16, s_wrap_aad, sizeof s_wrap_aad, data_key, REC_KEY_LEN,
                 hdr + 28, hdr + 60);
}

int rec_enc_header_open(const uint8_t master[REC_KEY_LEN], const uint8_t *hdr, size_t len,
                        uint8_t data_key[REC_KEY_LEN])
{
    uint8_t id[8], tag[16];
    if (len < REC_ENC_HDR || memcmp(hdr, REC_ENC_MAGIC, 8) != 0)
        return -1;
    rec_key_id(master, id);
    if (memcmp(id, hdr + 8, 8) != 0)
        return -2;
    memcpy(tag, hdr + 60, 16);
    return s_gcm(0, master, hdr + 16, s_wrap_aad, sizeof s_wrap_aad, hdr + 28, REC_KEY_LEN,
                 data_key, tag) == 0
               ? 0
               : -3;
}

static void s_chunk_iv_aad(const uint8_t hdr[REC_ENC_HDR], uint64_t index, bool final,
                           uint8_t iv[12], uint8_t aad[REC_ENC_HDR + 9])
{
    memset(iv, 0, 4);
    cc_le_put(iv + 4, index, 8);
    memcpy(aad, hdr, REC_ENC_HDR);
    memcpy(aad + REC_ENC_HDR, iv + 4, 8);
    aad[REC_ENC_HDR + 8] = final ? 1 : 0;
}

long rec_enc_chunk_seal(const uint8_t key[REC_KEY_LEN], const uint8_t hdr[REC_ENC_HDR],
                        uint64_t index, bool final, const uint8_t *pt, size_t n, uint8_t *out)
{
    uint8_t iv[12], aad[REC_ENC_HDR + 9];
    if (n >= REC_CHUNK_MAX)
        return -1;
    s_chunk_iv_aad(hdr, index, final, iv, aad);
    cc_le_put(out, (uint32_t)n | (final ? 0x80000000u : 0), 4);
    if (s_gcm(1, key, iv, aad, sizeof aad, pt, n, out + 4, out + 4 + n) < 0)
        return -1;
    return (long)(n + REC_CHUNK_OVERHEAD);
}

int rec_enc_chunk_open(const uint8_t key[REC_KEY_LEN], const uint8_t hdr[REC_ENC_HDR],
                       uint64_t index, const uint8_t *buf, size_t avail, uint8_t *pt, size_t *n,
                       size_t *used, bool *final)
{
    uint8_t iv[12], aad[REC_ENC_HDR + 9], tag[16];
    if (avail < REC_CHUNK_OVERHEAD)
        return 1;
    uint32_t word = (uint32_t)cc_le_get(buf, 4);
    size_t len = word & 0x7fffffffu;
    bool fin = (word & 0x80000000u) != 0;
    if (len >= REC_CHUNK_MAX)
        return -1;
    if (avail < len + REC_CHUNK_OVERHEAD)
        return 1;
    s_chunk_iv_aad(hdr, index, fin, iv, aad);
    memcpy(tag, buf + 4 + len, 16);
    if (s_gcm(0, key, iv, aad, sizeof aad, buf + 4, len, pt, tag) < 0)
        return -1;
    *final = fin; /* only once authentic: a cut or forged word says nothing */
    *n = len;
    *used = len + REC_CHUNK_OVERHEAD;
    return 0;
}

void rec_sha256_hex(const uint8_t *buf, size_t len, char out[65])
{
    uint8_t d[SHA256_DIGEST_LENGTH];
    SHA256(buf, len, d);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}
