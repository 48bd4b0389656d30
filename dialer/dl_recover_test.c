/* dl_recover_test.c - leads of attempts a stopped dialerd left in progress: done when an
 * agent took the call, held 72 hours when answered without an agent known, due again per
 * the no-answer rule otherwise, exhausted when out of attempts. A fixed clock. */
#include "cc_test.h"
#include "dl_recover.h"

#define HOUR_MS (3600LL * 1000)
#define NOW 1772452800000LL

static dl_rules_t s_rules(void)
{
    dl_rules_t r = {.zone = "UTC", .max_attempts = 5};
    r.retry[DL_OUT_NO_ANSWER] = (dl_retry_t){true, 3600, 3};
    r.retry[DL_OUT_ABANDONED] = (dl_retry_t){true, 60, 3};
    return r;
}

CC_TEST(dl_recover_unanswered_is_due_again_after_the_no_answer_gap)
{
    dl_rules_t r = s_rules();
    dl_lead_t l = {.id = 1, .number = "9100001", .attempts = 1};
    dl_unfinished_t u = {0};
    CC_CHECK_INT(dl_recover_fate(&u), DL_OUT_NO_ANSWER);
    CC_CHECK_STR(dl_recover_lead(&r, &l, &u, NOW), "ready");
    CC_CHECK_INT(l.due_ms, NOW + HOUR_MS);
    CC_CHECK_INT(l.abandoned_ms, 0);
    /* its last allowed attempt: exhausted, not dialled again */
    l.attempts = 3;
    CC_CHECK_STR(dl_recover_lead(&r, &l, &u, NOW), "exhausted");
    /* a campaign without a no-answer rule: the lead is done */
    dl_rules_t none = {.zone = "UTC", .max_attempts = 5};
    l.attempts = 1;
    CC_CHECK_STR(dl_recover_lead(&none, &l, &u, NOW), "done");
}

CC_TEST(dl_recover_answered_without_agent_is_held_72_hours)
{
    dl_rules_t r = s_rules();
    dl_lead_t l = {.id = 2, .number = "9100002", .attempts = 1};
    dl_unfinished_t u = {.answered = true};
    CC_CHECK_INT(dl_recover_fate(&u), DL_OUT_ABANDONED);
    CC_CHECK_STR(dl_recover_lead(&r, &l, &u, NOW), "ready");
    CC_CHECK_INT(l.abandoned_ms, NOW);
    CC_CHECK_INT(l.due_ms, NOW + DL_ABANDON_HOLD_MS); /* the 60 s gap gives way to 72 h */
}

CC_TEST(dl_recover_agent_reached_is_done)
{
    dl_rules_t r = s_rules();
    dl_lead_t l = {.id = 3, .number = "9100003", .attempts = 1};
    dl_unfinished_t u = {.answered = true, .agent = true};
    CC_CHECK_INT(dl_recover_fate(&u), DL_OUT_ANSWERED);
    CC_CHECK_STR(dl_recover_lead(&r, &l, &u, NOW), "done");
    CC_CHECK_STR(dl_outcome_name(DL_OUT_INTERRUPTED), "interrupted");
}
