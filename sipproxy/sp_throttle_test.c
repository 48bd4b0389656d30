/* sp_throttle_test.c - which address a full throttle table lets go of. */
#include "cc_test.h"
#include "sp_throttle.h"

CC_TEST(throttle_full_table_evicts_the_oldest_window)
{
    sp_throttle_t *t = sp_throttle_new(1, 100, 2);
    sp_throttle_fail(t, "10.0.0.1", 0);
    sp_throttle_fail(t, "10.0.0.2", 10);
    sp_throttle_fail(t, "10.0.0.3", 20); /* full: 10.0.0.1 started longest ago */
    CC_CHECK(!sp_throttle_blocked(t, "10.0.0.1", 30, NULL));
    CC_CHECK(sp_throttle_blocked(t, "10.0.0.2", 30, NULL));
    CC_CHECK(sp_throttle_blocked(t, "10.0.0.3", 30, NULL));
    CC_CHECK_INT(sp_throttle_blocked_count(t, 30), 2);
    sp_throttle_destroy(&t);
}

CC_TEST(throttle_new_window_is_evicted_last)
{
    sp_throttle_t *t = sp_throttle_new(1, 100, 2);
    sp_throttle_fail(t, "10.0.0.1", 0);
    sp_throttle_fail(t, "10.0.0.2", 50);
    sp_throttle_fail(t, "10.0.0.1", 150); /* its window ended: a new one starts now */
    sp_throttle_fail(t, "10.0.0.3", 160); /* so 10.0.0.2's window is the oldest */
    CC_CHECK(sp_throttle_blocked(t, "10.0.0.1", 170, NULL));
    CC_CHECK(!sp_throttle_blocked(t, "10.0.0.2", 170, NULL));
    CC_CHECK(sp_throttle_blocked(t, "10.0.0.3", 170, NULL));
    sp_throttle_destroy(&t);
}
