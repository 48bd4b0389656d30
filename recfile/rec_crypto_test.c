/* rec_crypto_test.c - the encryption of recordings piece by piece: master key text, the
 * wrapped data key (wrong format, other master key, altered header), and one chunk sealed
 * and opened (cut short, wrong index, final flag). */
#include <stdio.h>
#include <string.h>

#include "cc_test.h"
#include "rec_crypto.h"

CC_TEST(format_key_hex)
{
    uint8_t k[REC_KEY_LEN];
    char hex[80];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", i);
    strcat(hex, "\n");
    CC_CHECK_INT(rec_key_parse_hex(hex, k), 0);
    CC_CHECK_INT(k[31], 31);
    CC_CHECK_INT(rec_key_parse_hex("abc", k), -1);
}

CC_TEST(crypto_header_and_chunk)
{
    uint8_t master[REC_KEY_LEN] = {7}, other[REC_KEY_LEN] = {8};
    uint8_t hdr[REC_ENC_HDR], key[REC_KEY_LEN], again[REC_KEY_LEN];
    CC_CHECK_INT(rec_enc_header_new(master, hdr, key), 0);
    CC_CHECK(memcmp(hdr, REC_ENC_MAGIC, 8) == 0);
    CC_CHECK_INT(rec_enc_header_open(master, hdr, sizeof hdr, again), 0);
    CC_CHECK(memcmp(key, again, REC_KEY_LEN) == 0);
    CC_CHECK_INT(rec_enc_header_open(master, hdr, sizeof hdr - 1, again), -1);
    CC_CHECK_INT(rec_enc_header_open(other, hdr, sizeof hdr, again), -2);
    hdr[40] ^= 1; /* inside the wrapped key */
    CC_CHECK_INT(rec_enc_header_open(master, hdr, sizeof hdr, again), -3);
    hdr[40] ^= 1;

    static uint8_t pt[REC_CHUNK_MAX];
    uint8_t sealed[100 + REC_CHUNK_OVERHEAD];
    memset(pt, 0x5a, 100);
    CC_CHECK_INT(rec_enc_chunk_seal(key, hdr, 3, true, pt, 100, sealed), 100 + REC_CHUNK_OVERHEAD);
    size_t n = 0, used = 0;
    bool final = false;
    memset(pt, 0, 100);
    CC_CHECK_INT(rec_enc_chunk_open(key, hdr, 3, sealed, sizeof sealed, pt, &n, &used, &final), 0);
    CC_CHECK(n == 100 && used == sizeof sealed && final && pt[99] == 0x5a);
    CC_CHECK_INT(rec_enc_chunk_open(key, hdr, 3, sealed, sizeof sealed - 1, pt, &n, &used, &final),
                 1);
    CC_CHECK_INT(rec_enc_chunk_open(key, hdr, 4, sealed, sizeof sealed, pt, &n, &used, &final), -1);
    sealed[3] &= 0x7f; /* the final flag cleared: no longer authentic */
    CC_CHECK_INT(rec_enc_chunk_open(key, hdr, 3, sealed, sizeof sealed, pt, &n, &used, &final), -1);
}
