/* sp_dedup_test.c - the INVITE memory: a retransmission is recognised with the status its
 * first copy got, a new CSeq or From tag is a new call, entries end with the window and
 * the oldest give way when the table is full. */
#include <stdio.h>
#include <string.h>

#include "cc_test.h"
#include "sp_dedup.h"

CC_TEST(dedup_retransmission_is_seen_with_its_final_status)
{
    sp_dedup_t *d = sp_dedup_new(32000, 100);
    char k[256], k2[256], k3[256];
    sp_dedup_key(k, sizeof k, "abc@host", "tag1", 1);
    sp_dedup_key(k2, sizeof k2, "abc@host", "tag1", 2); /* next CSeq: a new request */
    sp_dedup_key(k3, sizeof k3, "abc@host", "tag2", 1); /* another From tag: another call */
    CC_CHECK_INT(sp_dedup_seen(d, k, 0), -1);
    CC_CHECK_INT(sp_dedup_add(d, k, 0), 0);
    CC_CHECK_INT(sp_dedup_seen(d, k, 100), 0); /* call still without a final response */
    sp_dedup_final(d, k, 503);
    sp_dedup_final(d, k, 200); /* the first final status stands */
    CC_CHECK_INT(sp_dedup_seen(d, k, 200), 503);
    CC_CHECK_INT(sp_dedup_seen(d, k2, 200), -1);
    CC_CHECK_INT(sp_dedup_seen(d, k3, 200), -1);
    CC_CHECK_INT(sp_dedup_seen(d, k, 31999), 503);
    CC_CHECK_INT(sp_dedup_seen(d, k, 32000), -1); /* the window is over */
    CC_CHECK_INT(sp_dedup_count(d), 0);
    sp_dedup_destroy(&d);
    CC_CHECK(d == NULL);
}

CC_TEST(dedup_bounded_oldest_first)
{
    sp_dedup_t *d = sp_dedup_new(32000, 3);
    char k[4][64];
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "c%d", i);
        sp_dedup_key(k[i], sizeof k[i], id, "t", 1);
        sp_dedup_add(d, k[i], (uint64_t)i);
    }
    CC_CHECK_INT(sp_dedup_count(d), 3);
    CC_CHECK_INT(sp_dedup_seen(d, k[0], 10), -1); /* evicted to make room */
    CC_CHECK_INT(sp_dedup_seen(d, k[3], 10), 0);
    char none[8];
    sp_dedup_key(none, sizeof none, NULL, "t", 1); /* no Call-ID: never remembered */
    CC_CHECK_STR(none, "");
    CC_CHECK_INT(sp_dedup_add(d, none, 10), 0);
    CC_CHECK_INT(sp_dedup_seen(d, none, 10), -1);
    sp_dedup_destroy(&d);
}

CC_TEST(dedup_keeps_the_answer_bytes_for_the_window)
{
    sp_dedup_t *d = sp_dedup_new(1000, 2);
    size_t len = 0;
    CC_CHECK(sp_dedup_reply(d, "k1", 0, &len) == NULL);
    CC_CHECK_INT(sp_dedup_add_reply(d, "k1", 0, "SIP/2.0 200 OK\r\n\0x", 18), 0);
    const char *r = sp_dedup_reply(d, "k1", 999, &len);
    CC_CHECK(r != NULL);
    CC_CHECK_INT((int)len, 18); /* bytes, not a string: a NUL inside is kept */
    CC_CHECK(r && memcmp(r, "SIP/2.0 200 OK\r\n\0x", 18) == 0);
    /* a second answer under the same key never replaces the first */
    CC_CHECK_INT(sp_dedup_add_reply(d, "k1", 10, "SIP/2.0 401 X\r\n", 15), 0);
    r = sp_dedup_reply(d, "k1", 20, &len);
    CC_CHECK(r && len == 18);
    /* an entry without bytes (an INVITE's) has no answer to give */
    CC_CHECK_INT(sp_dedup_add(d, "k2", 0), 0);
    CC_CHECK(sp_dedup_reply(d, "k2", 1, &len) == NULL);
    CC_CHECK_INT(sp_dedup_seen(d, "k2", 1), 0);
    /* bounded: a third key pushes the oldest out, its bytes freed with it (ASan sees) */
    CC_CHECK_INT(sp_dedup_add_reply(d, "k3", 2, "abc", 3), 0);
    CC_CHECK(sp_dedup_reply(d, "k1", 3, &len) == NULL);
    CC_CHECK(sp_dedup_reply(d, "k3", 3, &len) != NULL);
    /* and the window ends it */
    CC_CHECK(sp_dedup_reply(d, "k3", 1002, &len) == NULL);
    CC_CHECK(sp_dedup_reply(d, "", 3, &len) == NULL);
    sp_dedup_destroy(&d);
}
