/* md_ports_test.c - unit tests of the port pair pool: range rounding, allocate, free,
 * exhaustion, reuse order, double and foreign frees. */
#include "cc_test.h"
#include "md_ports.h"

CC_TEST(ports_range_rounding)
{
    md_ports_t *p = md_ports_new(20001, 20010); /* pairs 20002, 20004, 20006, 20008 */
    CC_CHECK(p);
    CC_CHECK_INT(md_ports_total(p), 4);
    CC_CHECK_INT(md_ports_alloc(p), 20002);
    md_ports_destroy(&p);
    CC_CHECK(p == NULL);
    md_ports_destroy(&p); /* no-op */
    p = md_ports_new(20000, 20000); /* no room for RTCP */
    CC_CHECK(p == NULL);
    p = md_ports_new(20000, 20001);
    CC_CHECK(p);
    CC_CHECK_INT(md_ports_total(p), 1);
    md_ports_destroy(&p);
}

CC_TEST(ports_exhaustion_and_reuse)
{
    md_ports_t *p = md_ports_new(30000, 30007);
    CC_CHECK(p);
    CC_CHECK_INT(md_ports_alloc(p), 30000);
    CC_CHECK_INT(md_ports_alloc(p), 30002);
    CC_CHECK_INT(md_ports_alloc(p), 30004);
    CC_CHECK_INT(md_ports_alloc(p), 30006);
    CC_CHECK_INT(md_ports_available(p), 0);
    CC_CHECK_INT(md_ports_alloc(p), -1);
    md_ports_free(p, 30002);
    md_ports_free(p, 30002); /* double free ignored */
    md_ports_free(p, 30003); /* odd port ignored */
    md_ports_free(p, 40000); /* foreign ignored */
    CC_CHECK_INT(md_ports_available(p), 1);
    CC_CHECK_INT(md_ports_alloc(p), 30002);
    CC_CHECK_INT(md_ports_alloc(p), -1);
    md_ports_destroy(&p);
}

CC_TEST(ports_freed_go_to_the_back)
{
    md_ports_t *p = md_ports_new(30000, 30007);
    CC_CHECK(p);
    int a = md_ports_alloc(p);
    md_ports_free(p, a);
    /* the three never used come first, the freed one last */
    CC_CHECK_INT(md_ports_alloc(p), 30002);
    CC_CHECK_INT(md_ports_alloc(p), 30004);
    CC_CHECK_INT(md_ports_alloc(p), 30006);
    CC_CHECK_INT(md_ports_alloc(p), 30000);
    md_ports_destroy(&p);
}
