/* rec_format_test.c - an encrypted recording read as a whole: round trip, tamper,
 * truncation, wrong key, and the prefix crash recovery keeps. */
#include <stdlib.h>
#include <string.h>

#include "cc_test.h"
#include "rec_format.h"

static uint8_t s_master[REC_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

/* An encrypted file of `chunks` chunks (the first holding a WAV header); final or not. */
static size_t s_enc_file(uint8_t *out, int chunks, bool final)
{
    uint8_t key[REC_KEY_LEN], pt[1000];
    rec_enc_header_new(s_master, out, key);
    size_t off = REC_ENC_HDR;
    for (int i = 0; i < chunks; i++) {
        memset(pt, i + 1, sizeof pt);
        if (i == 0)
            rec_wav_header(pt, 0);
        off += (size_t)rec_enc_chunk_seal(key, out, (uint64_t)i, final && i == chunks - 1, pt,
                                          sizeof pt, out + off);
    }
    return off;
}

CC_TEST(format_round_trip_tamper_truncate)
{
    static uint8_t f[8192];
    size_t len = s_enc_file(f, 3, true);
    uint8_t *out;
    size_t n;
    bool complete;
    char err[256];
    CC_CHECK_INT(rec_decrypt(s_master, f, len, &out, &n, &complete, err, sizeof err), 0);
    CC_CHECK(complete);
    CC_CHECK_INT(n, 3000); /* 44 + 739 whole stereo frames */
    CC_CHECK(rec_wav_is_ours(out, n) && out[1500] == 2);
    free(out);
    /* truncated inside the last chunk: decrypts to the last whole chunk, incomplete */
    if (rec_decrypt(s_master, f, len - 10, &out, &n, &complete, err, sizeof err) != 0) {
        cc_test_fail(__FILE__, __LINE__, "truncated file: %s", err);
        return;
    }
    CC_CHECK(!complete && n == 2000);
    free(out);
    uint64_t chunks, plain;
    bool fin;
    CC_CHECK_INT(rec_enc_valid_prefix(s_master, f, len - 10, &chunks, &fin, &plain),
                 REC_ENC_HDR + 2 * 1020);
    CC_CHECK(chunks == 2 && !fin && plain == 2000);
    /* one bit flipped in chunk 1: named, nothing returned */
    f[REC_ENC_HDR + 1020 + 50] ^= 1;
    CC_CHECK_INT(rec_decrypt(s_master, f, len, &out, &n, &complete, err, sizeof err), -1);
    CC_CHECK(strstr(err, "chunk 1") != NULL);
    f[REC_ENC_HDR + 1020 + 50] ^= 1;
    /* chunks swapped: fails (the index is in the nonce) */
    static uint8_t g[8192];
    memcpy(g, f, len);
    memcpy(g + REC_ENC_HDR + 1020, f + REC_ENC_HDR, 1020);
    CC_CHECK_INT(rec_decrypt(s_master, g, len, &out, &n, &complete, err, sizeof err), -1);
    /* another master key */
    uint8_t other[REC_KEY_LEN] = {9};
    CC_CHECK_INT(rec_decrypt(other, f, len, &out, &n, &complete, err, sizeof err), -1);
    CC_CHECK(strstr(err, "another master key") != NULL);
    /* the final flag cannot be moved: dropping the last chunk leaves it incomplete */
    CC_CHECK_INT(
        rec_decrypt(s_master, f, REC_ENC_HDR + 2 * 1020, &out, &n, &complete, err, sizeof err), 0);
    CC_CHECK(!complete);
    free(out);
}
