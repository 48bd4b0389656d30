/* md_ports_test.c - unit tests of the port pair pool: range rounding, allocate, free,
 * exhaustion, FIFO reuse order, double and foreign frees, the quarantine of freed pairs
 * (also at start-up) and taking a given pair for a restore. Time is the test's. */
#include <errno.h>

#include "cc_test.h"
#include "md_ports.h"

#define MS 1000ull
#define T0 (7000000ull)

CC_TEST(ports_range_rounding)
{
    md_ports_t *p = md_ports_new(20001, 20010, 0, T0); /* pairs 20002, 20004, 20006, 20008 */
    CC_CHECK(p);
    CC_CHECK_INT(md_ports_total(p), 4);
    CC_CHECK_INT(md_ports_alloc(p, T0), 20002);
    md_ports_destroy(&p);
    CC_CHECK(p == NULL);
    md_ports_destroy(&p);                  /* no-op */
    p = md_ports_new(20000, 20000, 0, T0); /* no room for RTCP */
    CC_CHECK(p == NULL);
    p = md_ports_new(20000, 20001, 0, T0);
    CC_CHECK(p);
    CC_CHECK_INT(md_ports_total(p), 1);
    md_ports_destroy(&p);
}

CC_TEST(ports_exhaustion_and_reuse)
{
    md_ports_t *p = md_ports_new(30000, 30007, 0, T0);
    CC_CHECK(p);
    CC_CHECK_INT(md_ports_alloc(p, T0), 30000);
    CC_CHECK_INT(md_ports_alloc(p, T0), 30002);
    CC_CHECK_INT(md_ports_alloc(p, T0), 30004);
    CC_CHECK_INT(md_ports_alloc(p, T0), 30006);
    CC_CHECK_INT(md_ports_available(p), 0);
    CC_CHECK_INT(md_ports_alloc(p, T0), -1);
    md_ports_free(p, 30002, T0);
    md_ports_free(p, 30002, T0); /* double free ignored */
    md_ports_free(p, 30003, T0); /* odd port ignored */
    md_ports_free(p, 40000, T0); /* foreign ignored */
    CC_CHECK_INT(md_ports_available(p), 1);
    CC_CHECK_INT(md_ports_alloc(p, T0), 30002);
    CC_CHECK_INT(md_ports_alloc(p, T0), -1);
    md_ports_destroy(&p);
}

CC_TEST(ports_freed_go_to_the_back)
{
    md_ports_t *p = md_ports_new(30000, 30007, 0, T0);
    CC_CHECK(p);
    int a = md_ports_alloc(p, T0);
    md_ports_free(p, a, T0);
    /* the three never used come first, the freed one last */
    CC_CHECK_INT(md_ports_alloc(p, T0), 30002);
    CC_CHECK_INT(md_ports_alloc(p, T0), 30004);
    md_ports_free(p, 30004, T0);
    md_ports_free(p, 30002, T0);
    /* then in the order they were freed */
    CC_CHECK_INT(md_ports_alloc(p, T0), 30006);
    CC_CHECK_INT(md_ports_alloc(p, T0), 30000);
    CC_CHECK_INT(md_ports_alloc(p, T0), 30004);
    CC_CHECK_INT(md_ports_alloc(p, T0), 30002);
    md_ports_destroy(&p);
}

CC_TEST(ports_quarantine)
{
    uint64_t q = 2000 * MS;
    /* created at T0 - q: the start-up quarantine is already over */
    md_ports_t *p = md_ports_new(30000, 30005, q, T0 - q); /* three pairs */
    CC_CHECK(p);
    CC_CHECK_INT(md_ports_alloc(p, T0), 30000);
    CC_CHECK_INT(md_ports_alloc(p, T0), 30002);
    md_ports_free(p, 30000, T0 + 100 * MS);
    /* the never used pair first; the freed one only once its quarantine is over */
    CC_CHECK_INT(md_ports_quarantined(p, T0 + 200 * MS), 1);
    CC_CHECK_INT(md_ports_available(p), 2);
    CC_CHECK_INT(md_ports_alloc(p, T0 + 200 * MS), 30004);
    CC_CHECK_INT(md_ports_alloc(p, T0 + 200 * MS), -1); /* strict: no fallback */
    CC_CHECK_INT(md_ports_alloc(p, T0 + 2099 * MS), -1);
    CC_CHECK_INT(md_ports_alloc(p, T0 + 2100 * MS), 30000);
    /* freed at once, the later-freed pair waits behind the earlier one */
    md_ports_free(p, 30004, T0 + 3000 * MS);
    md_ports_free(p, 30002, T0 + 3500 * MS);
    CC_CHECK_INT(md_ports_alloc(p, T0 + 5200 * MS), 30004);
    CC_CHECK_INT(md_ports_alloc(p, T0 + 5200 * MS), -1);
    CC_CHECK_INT(md_ports_quarantined(p, T0 + 5200 * MS), 1);
    CC_CHECK_INT(md_ports_alloc(p, T0 + 5500 * MS), 30002);
    CC_CHECK_INT(md_ports_quarantined(p, T0 + 5500 * MS), 0);
    md_ports_destroy(&p);
}

CC_TEST(ports_startup_quarantine)
{
    uint64_t q = 2000 * MS;
    md_ports_t *p = md_ports_new(30000, 30007, q, T0);
    CC_CHECK(p);
    /* every pair counts as freed at start: none is handed out before T0 + q ... */
    CC_CHECK_INT(md_ports_quarantined(p, T0), 4);
    CC_CHECK_INT(md_ports_alloc(p, T0), -1);
    CC_CHECK_INT(md_ports_alloc(p, T0 + 1999 * MS), -1);
    /* ... but a restore takes its own pair at once */
    CC_CHECK_INT(md_ports_take(p, 30004), 0);
    CC_CHECK_INT(md_ports_available(p), 3);
    CC_CHECK_INT(md_ports_alloc(p, T0 + 2000 * MS), 30000);
    CC_CHECK_INT(md_ports_alloc(p, T0 + 2000 * MS), 30002);
    CC_CHECK_INT(md_ports_alloc(p, T0 + 2000 * MS), 30006);
    CC_CHECK_INT(md_ports_alloc(p, T0 + 2000 * MS), -1);
    md_ports_destroy(&p);
    /* quarantine 0: everything at once */
    p = md_ports_new(30000, 30003, 0, T0);
    CC_CHECK_INT(md_ports_alloc(p, T0), 30000);
    md_ports_destroy(&p);
}

CC_TEST(ports_take_for_restore)
{
    md_ports_t *p = md_ports_new(30000, 30007, 1000 * MS, T0 - 1000 * MS);
    CC_CHECK(p);
    CC_CHECK_INT(md_ports_take(p, 30002), 0);
    CC_CHECK_INT(md_ports_take(p, 30002), -EBUSY);  /* in use */
    CC_CHECK_INT(md_ports_take(p, 30003), -ENOENT); /* odd */
    CC_CHECK_INT(md_ports_take(p, 29998), -ENOENT); /* outside */
    CC_CHECK_INT(md_ports_take(p, 30008), -ENOENT);
    /* the others keep their order around the hole */
    CC_CHECK_INT(md_ports_alloc(p, T0), 30000);
    CC_CHECK_INT(md_ports_take(p, 30006), 0); /* the tail */
    CC_CHECK_INT(md_ports_alloc(p, T0), 30004);
    CC_CHECK_INT(md_ports_alloc(p, T0), -1);
    CC_CHECK_INT(md_ports_available(p), 0);
    /* a quarantined pair can be taken, and is then no longer in the queue */
    md_ports_free(p, 30000, T0);
    md_ports_free(p, 30004, T0);
    CC_CHECK_INT(md_ports_take(p, 30004), 0);
    CC_CHECK_INT(md_ports_take(p, 30000), 0);
    CC_CHECK_INT(md_ports_available(p), 0);
    md_ports_free(p, 30002, T0 + 10 * MS);
    CC_CHECK_INT(md_ports_alloc(p, T0 + 1010 * MS), 30002);
    md_ports_destroy(&p);
}
