/* sp_dedup_test.c - the INVITE memory: a retransmission is recognised with the status its
 * first copy got, a new CSeq or From tag is a new call, entries end with the window and
 * the oldest give way when the table is full. */
#include <stdio.h>

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
