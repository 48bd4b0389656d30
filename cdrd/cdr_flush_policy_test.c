/* cdr_flush_policy_test.c - unit tests of the batching decision: small batches on time when
 * quiet, one batch at a time, and everything that waited going at once when behind. */
#include "cc_test.h"
#include "cdr_flush_policy.h"

static const cdr_flush_cfg_t s_cfg = {.flush_ms = 100, .flush_events = 200, .retry_max_ms = 5000};

CC_TEST(cdr_flush_policy_waits_for_the_timer_when_quiet)
{
    CC_CHECK_INT(cdr_flush_decide(0, 0, false, &s_cfg), CDR_FLUSH_IDLE);
    CC_CHECK_INT(cdr_flush_decide(1, 0, false, &s_cfg), 100);
    CC_CHECK_INT(cdr_flush_decide(5, 70, false, &s_cfg), 30);
    CC_CHECK_INT(cdr_flush_decide(5, 100, false, &s_cfg), 0);
    CC_CHECK_INT(cdr_flush_decide(5, 250, false, &s_cfg), 0);
}

CC_TEST(cdr_flush_policy_goes_at_once_when_full)
{
    CC_CHECK_INT(cdr_flush_decide(199, 0, false, &s_cfg), 100);
    CC_CHECK_INT(cdr_flush_decide(200, 0, false, &s_cfg), 0);
}

CC_TEST(cdr_flush_policy_one_batch_at_a_time_and_all_of_it_after)
{
    /* full or old, it still waits for the writer: batches are committed in stream order */
    CC_CHECK_INT(cdr_flush_decide(200, 0, true, &s_cfg), CDR_FLUSH_IDLE);
    CC_CHECK_INT(cdr_flush_decide(5, 500, true, &s_cfg), CDR_FLUSH_IDLE);
    /* behind: what piled up during the last write goes whole, however large */
    CC_CHECK_INT(cdr_flush_decide(12000, 40, false, &s_cfg), 0);
    /* a few events that arrived during a quick write wait for their own timer */
    CC_CHECK_INT(cdr_flush_decide(3, 10, false, &s_cfg), 90);
}
