/* md_srtp_test.c - SRTP contexts end to end in memory: a key each way, protect on one side
 * and unprotect on the other, tampering and replay refused and told apart. */
#include <string.h>

#include "cc_test.h"
#include "md_srtp.h"

/* Two ends of one SRTP leg: each takes the other's key as its remote. */
static int s_pair(md_srtp_t **a, md_srtp_t **b, md_srtp_suite_t suite)
{
    char ka[MD_SRTP_KEY_B64_LEN], kb[MD_SRTP_KEY_B64_LEN];
    if (md_srtp_init() < 0)
        return -1;
    *a = md_srtp_new(NULL);
    *b = md_srtp_new(NULL);
    if (!*a || !*b)
        return -1;
    md_srtp_local_key(*a, ka);
    md_srtp_local_key(*b, kb);
    if (strcmp(ka, kb) == 0) /* two draws from getrandom */
        return -1;
    return md_srtp_set_remote(*a, suite, kb) == 0 && md_srtp_set_remote(*b, suite, ka) == 0 ? 0
                                                                                            : -1;
}

static size_t s_rtp(uint8_t *pkt, uint16_t seq)
{
    memset(pkt, 0, 12 + 160);
    pkt[0] = 0x80;
    pkt[1] = 0; /* PCMU */
    pkt[2] = (uint8_t)(seq >> 8);
    pkt[3] = (uint8_t)seq;
    pkt[11] = 0x42; /* SSRC */
    memset(pkt + 12, 0x55, 160);
    return 12 + 160;
}

CC_TEST(srtp_key_base64_round_trip_and_bad_keys)
{
    uint8_t key[MD_SRTP_KEY_LEN], back[MD_SRTP_KEY_LEN];
    char b64[MD_SRTP_KEY_B64_LEN];
    for (int i = 0; i < MD_SRTP_KEY_LEN; i++)
        key[i] = (uint8_t)(i * 37 + 1);
    md_srtp_key_encode(key, b64);
    CC_CHECK_INT((int)strlen(b64), 40);
    CC_CHECK(md_srtp_key_decode(b64, back) == 0);
    CC_CHECK(memcmp(key, back, sizeof key) == 0);
    CC_CHECK(md_srtp_key_decode("short", back) < 0);
    CC_CHECK(md_srtp_key_decode("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", back) < 0);
    CC_CHECK(md_srtp_key_decode(NULL, back) < 0);
    CC_CHECK(md_srtp_suite_parse("AES_CM_128_HMAC_SHA1_32") == MD_SRTP_AES_CM_128_HMAC_SHA1_32);
    CC_CHECK(md_srtp_suite_parse("F8_128_HMAC_SHA1_80") == MD_SRTP_NONE);
    CC_CHECK(md_srtp_new("not a key") == NULL);
}

CC_TEST(srtp_protects_and_unprotects_both_suites)
{
    md_srtp_suite_t suites[] = {MD_SRTP_AES_CM_128_HMAC_SHA1_80, MD_SRTP_AES_CM_128_HMAC_SHA1_32};
    for (int s = 0; s < 2; s++) {
        md_srtp_t *a = NULL, *b = NULL;
        int rc = s_pair(&a, &b, suites[s]);
        uint8_t pkt[12 + 160 + MD_SRTP_TRAILER];
        size_t len = s_rtp(pkt, 1000);
        if (rc == 0)
            rc = md_srtp_protect(a, pkt, &len, false);
        size_t protected_len = len;
        bool encrypted = pkt[12] != 0x55 || pkt[13] != 0x55 || pkt[14] != 0x55;
        md_srtp_status_t st = rc == 0 ? md_srtp_unprotect(b, pkt, &len, false) : MD_SRTP_BAD;
        bool plain = len == 172 && pkt[12] == 0x55 && pkt[171] == 0x55;
        md_srtp_destroy(&a);
        md_srtp_destroy(&b);
        CC_CHECK_INT(rc, 0);
        CC_CHECK(encrypted);
        CC_CHECK_INT((int)st, MD_SRTP_OK);
        CC_CHECK(plain);
        CC_CHECK_INT((int)protected_len, 12 + 160 + (s == 0 ? 10 : 4));
    }
}

CC_TEST(srtp_tampered_and_replayed_packets_are_told_apart)
{
    md_srtp_t *a = NULL, *b = NULL;
    CC_CHECK(s_pair(&a, &b, MD_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
    uint8_t pkt[12 + 160 + MD_SRTP_TRAILER], copy[sizeof pkt];
    size_t len = s_rtp(pkt, 7);
    CC_CHECK(md_srtp_protect(a, pkt, &len, false) == 0);
    size_t n = len;
    memcpy(copy, pkt, len);
    copy[40] ^= 1;
    md_srtp_status_t tampered = md_srtp_unprotect(b, copy, &n, false);
    memcpy(copy, pkt, len);
    n = len;
    md_srtp_status_t first = md_srtp_unprotect(b, copy, &n, false);
    memcpy(copy, pkt, len);
    n = len;
    md_srtp_status_t again = md_srtp_unprotect(b, copy, &n, false);
    /* a context without the far party's key takes nothing */
    md_srtp_t *lone = md_srtp_new(NULL);
    n = len;
    memcpy(copy, pkt, len);
    md_srtp_status_t nokey = lone ? md_srtp_unprotect(lone, copy, &n, false) : MD_SRTP_OK;
    md_srtp_destroy(&lone);
    md_srtp_destroy(&a);
    md_srtp_destroy(&b);
    CC_CHECK_INT((int)tampered, MD_SRTP_AUTH_FAILED);
    CC_CHECK_INT((int)first, MD_SRTP_OK);
    CC_CHECK_INT((int)again, MD_SRTP_REPLAYED);
    CC_CHECK_INT((int)nokey, MD_SRTP_BAD);
}

CC_TEST(srtcp_round_trip)
{
    md_srtp_t *a = NULL, *b = NULL;
    CC_CHECK(s_pair(&a, &b, MD_SRTP_AES_CM_128_HMAC_SHA1_32) == 0);
    /* an empty receiver report: V=2, RC=0, PT=201, length 1, SSRC */
    uint8_t pkt[8 + MD_SRTP_TRAILER] = {0x80, 201, 0, 1, 0, 0, 0, 0x42};
    size_t len = 8;
    int rc = md_srtp_protect(a, pkt, &len, true);
    size_t protected_len = len;
    md_srtp_status_t st = md_srtp_unprotect(b, pkt, &len, true);
    md_srtp_destroy(&a);
    md_srtp_destroy(&b);
    CC_CHECK_INT(rc, 0);
    CC_CHECK_INT((int)protected_len, 8 + 4 + 10); /* SRTCP index + 80-bit tag */
    CC_CHECK_INT((int)st, MD_SRTP_OK);
    CC_CHECK_INT((int)len, 8);
}

CC_TEST(srtp_far_party_rekeys_and_our_stream_goes_on)
{
    md_srtp_t *a = NULL, *b = NULL;
    CC_CHECK(s_pair(&a, &b, MD_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
    uint8_t pkt[12 + 160 + MD_SRTP_TRAILER];
    /* b re-keys (a new context, as a phone's new a=crypto): a takes b's new key */
    md_srtp_t *b2 = md_srtp_new(NULL);
    char kb2[MD_SRTP_KEY_B64_LEN], ka[MD_SRTP_KEY_B64_LEN];
    int rc = b2 ? 0 : -1;
    size_t len = s_rtp(pkt, 10);
    if (rc == 0)
        rc = md_srtp_protect(a, pkt, &len, false); /* a's stream before the re-key */
    md_srtp_status_t before = rc == 0 ? md_srtp_unprotect(b, pkt, &len, false) : MD_SRTP_BAD;
    if (rc == 0) {
        md_srtp_local_key(b2, kb2);
        md_srtp_local_key(a, ka);
        rc = md_srtp_set_remote(a, MD_SRTP_AES_CM_128_HMAC_SHA1_80, kb2) ||
             md_srtp_set_remote(b2, MD_SRTP_AES_CM_128_HMAC_SHA1_80, ka);
    }
    /* b2 sends under its new key: a takes it */
    len = s_rtp(pkt, 500);
    if (rc == 0)
        rc = md_srtp_protect(b2, pkt, &len, false);
    md_srtp_status_t rekeyed = rc == 0 ? md_srtp_unprotect(a, pkt, &len, false) : MD_SRTP_BAD;
    /* a's stream goes on: the old receiver still takes it, the next index, not a replay */
    len = s_rtp(pkt, 11);
    if (rc == 0)
        rc = md_srtp_protect(a, pkt, &len, false);
    md_srtp_status_t after = rc == 0 ? md_srtp_unprotect(b, pkt, &len, false) : MD_SRTP_BAD;
    md_srtp_destroy(&b2);
    md_srtp_destroy(&a);
    md_srtp_destroy(&b);
    CC_CHECK_INT(rc, 0);
    CC_CHECK_INT((int)before, MD_SRTP_OK);
    CC_CHECK_INT((int)rekeyed, MD_SRTP_OK);
    CC_CHECK_INT((int)after, MD_SRTP_OK);
}
