/* sp_pickup_test.c - pickup codes and which ringing call a phone takes. */
#include "sp_pickup.h"

#include <string.h>

#include "cc_test.h"

CC_TEST(pickup_codes)
{
    sp_pickup_mode_t mode = 0;
    char ext[16];
    CC_CHECK(sp_pickup_match("*8", &mode, ext, sizeof ext));
    CC_CHECK(mode == SP_PICKUP_GROUP && ext[0] == '\0');
    CC_CHECK(sp_pickup_match("**1002", &mode, ext, sizeof ext));
    CC_CHECK(mode == SP_PICKUP_DIRECTED);
    CC_CHECK_STR(ext, "1002");
    CC_CHECK(!sp_pickup_match("*81", &mode, ext, sizeof ext));
    CC_CHECK(!sp_pickup_match("**", &mode, ext, sizeof ext));
    CC_CHECK(!sp_pickup_match("**1", &mode, ext, sizeof ext));
    CC_CHECK(!sp_pickup_match("**10a2", &mode, ext, sizeof ext));
    CC_CHECK(!sp_pickup_match("**1234567890123456", &mode, ext, sizeof ext));
    CC_CHECK(!sp_pickup_match("8", &mode, ext, sizeof ext));
    CC_CHECK(!sp_pickup_match(NULL, &mode, ext, sizeof ext));
    CC_CHECK(!sp_pickup_match("*45", &mode, ext, sizeof ext));
}

CC_TEST(pickup_group_names)
{
    CC_CHECK(sp_pickup_group_ok("sales"));
    CC_CHECK(sp_pickup_group_ok("floor-2.a_b"));
    CC_CHECK(!sp_pickup_group_ok(""));
    CC_CHECK(!sp_pickup_group_ok("two words"));
    CC_CHECK(!sp_pickup_group_ok("0123456789012345678901234567890123456789x"));
}

static const sp_pickup_cand_t s_cands[] = {
    {"c1", "1002", "sales", "1001", 300}, /* 1001 calls 1002 (sales) */
    {"c2", "1004", "", "1005", 100},      /* 1005 calls 1004 (no group), oldest */
    {"c3", "1003", "sales", "1009", 200}, /* 1009 calls 1003 (sales) */
    {"c4", "1006", "support", "1001", 50},
};

CC_TEST(pickup_group_takes_oldest_in_group)
{
    size_t i = 99;
    CC_CHECK(sp_pickup_choose(SP_PICKUP_GROUP, "1007", "sales", NULL, s_cands, 4, &i) ==
             SP_PICKUP_FOUND);
    CC_CHECK_STR(s_cands[i].call_id, "c3");
    /* 1003 picking: the call ringing 1003 itself is not a pickup */
    CC_CHECK(sp_pickup_choose(SP_PICKUP_GROUP, "1003", "sales", NULL, s_cands, 4, &i) ==
             SP_PICKUP_FOUND);
    CC_CHECK_STR(s_cands[i].call_id, "c1");
    /* 1001 made c1 and rings nobody in support but c4, which it made too */
    CC_CHECK(sp_pickup_choose(SP_PICKUP_GROUP, "1001", "support", NULL, s_cands, 4, &i) ==
             SP_PICKUP_NOTHING);
    CC_CHECK(sp_pickup_choose(SP_PICKUP_GROUP, "1008", "", NULL, s_cands, 4, &i) ==
             SP_PICKUP_NO_GROUP);
    CC_CHECK(sp_pickup_choose(SP_PICKUP_GROUP, "1008", NULL, NULL, s_cands, 4, &i) ==
             SP_PICKUP_NO_GROUP);
    CC_CHECK(sp_pickup_choose(SP_PICKUP_GROUP, "1008", "other", NULL, s_cands, 4, &i) ==
             SP_PICKUP_NOTHING);
    CC_CHECK(sp_pickup_choose(SP_PICKUP_GROUP, "1008", "sales", NULL, s_cands, 0, &i) ==
             SP_PICKUP_NOTHING);
}

CC_TEST(pickup_directed_needs_no_group)
{
    size_t i = 99;
    CC_CHECK(sp_pickup_choose(SP_PICKUP_DIRECTED, "1008", "", "1004", s_cands, 4, &i) ==
             SP_PICKUP_FOUND);
    CC_CHECK_STR(s_cands[i].call_id, "c2");
    CC_CHECK(sp_pickup_choose(SP_PICKUP_DIRECTED, "1008", "", "1099", s_cands, 4, &i) ==
             SP_PICKUP_NOTHING);
    /* the caller cannot pick up its own call */
    CC_CHECK(sp_pickup_choose(SP_PICKUP_DIRECTED, "1005", "", "1004", s_cands, 4, &i) ==
             SP_PICKUP_NOTHING);
}
