/* cc_throttle_test.c - which address a full throttle table lets go of. */
#include "cc_test.h"
#include "cc_throttle.h"

CC_TEST(throttle_full_table_evicts_the_oldest_window)
{
    cc_throttle_t *t = cc_throttle_new(1, 100, 2);
    cc_throttle_fail(t, "10.0.0.1", 0);
    cc_throttle_fail(t, "10.0.0.2", 10);
    cc_throttle_fail(t, "10.0.0.3", 20); /* full: 10.0.0.1 started longest ago */
    CC_CHECK(!cc_throttle_blocked(t, "10.0.0.1", 30, NULL));
    CC_CHECK(cc_throttle_blocked(t, "10.0.0.2", 30, NULL));
    CC_CHECK(cc_throttle_blocked(t, "10.0.0.3", 30, NULL));
    CC_CHECK_INT(cc_throttle_blocked_count(t, 30), 2);
    cc_throttle_destroy(&t);
}

CC_TEST(throttle_new_window_is_evicted_last)
{
    cc_throttle_t *t = cc_throttle_new(1, 100, 2);
    cc_throttle_fail(t, "10.0.0.1", 0);
    cc_throttle_fail(t, "10.0.0.2", 50);
    cc_throttle_fail(t, "10.0.0.1", 150); /* its window ended: a new one starts now */
    cc_throttle_fail(t, "10.0.0.3", 160); /* so 10.0.0.2's window is the oldest */
    CC_CHECK(cc_throttle_blocked(t, "10.0.0.1", 170, NULL));
    CC_CHECK(!cc_throttle_blocked(t, "10.0.0.2", 170, NULL));
    CC_CHECK(cc_throttle_blocked(t, "10.0.0.3", 170, NULL));
    cc_throttle_destroy(&t);
}
