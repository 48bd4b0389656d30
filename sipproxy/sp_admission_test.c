/* sp_admission_test.c - when new calls are shed: a standing SIP queue (a whole window
 * above the target delay) but not a burst that drains; mediad down, restoring, or too
 * busy; and the Retry-After each case asks for. */
#include "cc_test.h"
#include "sp_admission.h"

static const sp_admission_limits_t s_lim = {.delay_target_ms = 50, .media_pending_high = 100};

static int s_at(sp_admission_t *a, int64_t delay, uint64_t now)
{
    sp_load_t load = {.queue_delay_ms = delay};
    return sp_admission_check(a, &s_lim, &load, now);
}

CC_TEST(admission_burst_that_drains_is_admitted)
{
    sp_admission_t a = {0};
    /* delays swing above the target but drop below it within every window */
    for (uint64_t t = 1; t < 1000; t += 10)
        CC_CHECK_INT(s_at(&a, (t / 10) % 3 == 0 ? 5 : 200, t), 0);
    CC_CHECK_INT(a.shed_total, 0);
}

CC_TEST(admission_standing_queue_is_shed_until_it_drains)
{
    sp_admission_t a = {0};
    uint64_t t = 1;
    for (; t < 101; t += 10) /* one whole window above the target */
        CC_CHECK_INT(s_at(&a, 80, t), 0);
    CC_CHECK_INT(s_at(&a, 80, t), 1);
    CC_CHECK(a.changed && a.reason == SP_SHED_SIP_DELAY);
    t += 10;
    CC_CHECK_INT(s_at(&a, 500, t), 4); /* deep queue: stay away longer */
    CC_CHECK(!a.changed);
    t += 10;
    CC_CHECK_INT(s_at(&a, 10, t), 0); /* drained below the target: admitting again */
    CC_CHECK(a.changed && a.reason == SP_SHED_NONE);
    CC_CHECK_INT(a.shed_total, 2);
    CC_CHECK_INT(s_at(&a, -1, t + 10), 0); /* empty queue */
    /* a long pause resets the window: an old standing queue is not held against us */
    CC_CHECK_INT(s_at(&a, 80, t + 1000), 0);
}

CC_TEST(admission_media_states)
{
    sp_admission_t a = {0};
    sp_load_t load = {.media_down = true};
    CC_CHECK_INT(sp_admission_check(&a, &s_lim, &load, 1), 5);
    CC_CHECK_STR(sp_shed_reason_name(a.reason), "media_down");
    load = (sp_load_t){.media_restoring = true};
    CC_CHECK_INT(sp_admission_check(&a, &s_lim, &load, 2), 1);
    CC_CHECK(a.reason == SP_SHED_MEDIA_RESTORING);
    load = (sp_load_t){.media_exhausted = true};
    CC_CHECK_INT(sp_admission_check(&a, &s_lim, &load, 2), 1);
    CC_CHECK_STR(sp_shed_reason_name(a.reason), "media_exhausted");
    load = (sp_load_t){.media_pending = 150};
    CC_CHECK_INT(sp_admission_check(&a, &s_lim, &load, 3), 1);
    load.media_pending = 60; /* above half the mark: the episode goes on */
    CC_CHECK_INT(sp_admission_check(&a, &s_lim, &load, 4), 1);
    load.media_pending = 40;
    CC_CHECK_INT(sp_admission_check(&a, &s_lim, &load, 5), 0);
    sp_admission_limits_t off = {0}; /* limits 0: those checks are off */
    load = (sp_load_t){.queue_delay_ms = 1 << 20, .media_pending = 1u << 20};
    for (uint64_t t = 10; t < 500; t += 10)
        CC_CHECK_INT(sp_admission_check(&a, &off, &load, t), 0);
}
