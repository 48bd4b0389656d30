/* acd_move_test.c - the supervisor's queue.move in the core: a waiting call moved to another
 * queue leaves as an overflow (reason moved) and starts a new wait there; a priority change
 * reorders the queue and keeps the wait; ringing calls and bad values are refused with the
 * state unchanged. */
#include "acd_test_util.h"
#include "cc_test.h"

static int s_move(acd_fx_t *fx, const char *call, const char *queue, int priority)
{
    return fx_step(
        fx, (acd_event_t){
                .kind = ACD_EV_CALL_MOVE, .call_id = call, .queue = queue, .priority = priority});
}

CC_TEST(acd_move_to_another_queue)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "a", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_queue(&fx, "b", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "a", 0), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c2", "b", 0), 0);
    fx.now += 5000;
    CC_CHECK_INT(s_move(&fx, "c1", "b", -1), 0);
    const acd_action_t *ov = fx_find(&fx, ACD_ACT_OVERFLOW, "c1", NULL);
    CC_CHECK(ov);
    CC_CHECK_STR(ov->reason, "moved");
    CC_CHECK_STR(ov->queue, "a");
    CC_CHECK_STR(ov->target, "b");
    CC_CHECK_INT(ov->overflow, ACD_OVERFLOW_QUEUE);
    CC_CHECK_INT(ov->wait_ms, 5000);
    acd_call_info_t ci;
    CC_CHECK_INT(acd_core_call_info(fx.core, "c1", &ci), 0);
    CC_CHECK_STR(ci.queue, "b");
    CC_CHECK_INT(ci.enqueued_ms, fx.now); /* a new wait */
    CC_CHECK_INT(fx_position(&fx, "c1"), 2);
    acd_queue_info_t qa;
    CC_CHECK_INT(acd_core_queue_info(fx.core, "a", &qa), 0);
    CC_CHECK_INT(qa.waiting, 0);
    CC_CHECK_INT(qa.overflowed, 1);
    /* an agent of b takes c2 first, then the moved call */
    CC_CHECK_INT(fx_agent(&fx, "x", "b"), 0);
    CC_CHECK_STR(fx_offered_call(&fx, "x"), "c2");
    fx_fini(&fx);
}

CC_TEST(acd_move_priority_reorders_and_keeps_the_wait)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "q", ACD_STRATEGY_LONGEST_IDLE), 0);
    int64_t t0 = fx.now;
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    fx.now += 1000;
    CC_CHECK_INT(fx_enqueue(&fx, "c2", "q", 0), 0);
    fx.now += 1000;
    CC_CHECK_INT(fx_enqueue(&fx, "c3", "q", 0), 0);
    CC_CHECK_INT(s_move(&fx, "c3", NULL, 50), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OVERFLOW), 0);
    CC_CHECK_INT(fx_position(&fx, "c3"), 1);
    CC_CHECK_INT(fx_position(&fx, "c1"), 2);
    CC_CHECK_INT(s_move(&fx, "c1", "q", 60), 0); /* its own queue: no move */
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OVERFLOW), 0);
    CC_CHECK_INT(fx_position(&fx, "c1"), 1);
    acd_call_info_t ci;
    CC_CHECK_INT(acd_core_call_info(fx.core, "c1", &ci), 0);
    CC_CHECK_INT(ci.enqueued_ms, t0);
    CC_CHECK_INT(ci.priority, 60);
    CC_CHECK_INT(fx_agent(&fx, "x", "q"), 0);
    CC_CHECK_STR(fx_offered_call(&fx, "x"), "c1");
    fx_fini(&fx);
}

CC_TEST(acd_move_refusals_change_nothing)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "q", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    CC_CHECK_INT(s_move(&fx, "nope", "q", -1), -ENOENT);
    CC_CHECK_INT(s_move(&fx, "c1", "nowhere", -1), -ENOENT);
    CC_CHECK_INT(s_move(&fx, "c1", NULL, 101), -EINVAL);
    CC_CHECK_INT(fx_agent(&fx, "x", "q"), 0); /* c1 rings at x */
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "x");
    CC_CHECK_INT(s_move(&fx, "c1", NULL, 10), -EPERM);
    acd_call_info_t ci;
    CC_CHECK_INT(acd_core_call_info(fx.core, "c1", &ci), 0);
    CC_CHECK_INT(ci.priority, 0);
    CC_CHECK(ci.offered);
    fx_fini(&fx);
}
