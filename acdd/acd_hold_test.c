/* acd_hold_test.c - holds: an agent busy on a call outside the queues (a preview dial) is
 * offered nothing while held, keeps its state and place, gives back a call that was
 * ringing it, and is routed again as soon as the hold ends. Time is moved by hand. */
#include "acd_test_util.h"
#include "cc_test.h"

static acd_queue_info_t s_qinfo(const acd_fx_t *fx, const char *queue)
{
    acd_queue_info_t info = {0};
    acd_core_queue_info(fx->core, queue, &info);
    return info;
}

static bool s_held(const acd_fx_t *fx, const char *ext)
{
    acd_agent_info_t info;
    return acd_core_agent_info(fx->core, ext, &info) == 0 && info.held;
}

CC_TEST(acd_held_agent_is_offered_nothing_until_released)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "q", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "q"), 0);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_HOLD, "a", "preview"), 0);
    /* still ready (its idle time and history untouched), but not counted ready */
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_READY);
    CC_CHECK(s_held(&fx, "a"));
    CC_CHECK_INT(s_qinfo(&fx, "q").ready, 0);
    CC_CHECK_INT(s_qinfo(&fx, "q").staffed, 1);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 0);
    CC_CHECK_INT(fx_position(&fx, "c1"), 1);
    /* a second hold changes nothing; time passing changes nothing */
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_HOLD, "a", "preview"), 0);
    CC_CHECK_INT(fx_tick(&fx, 60000), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 0);
    /* released: the waiting call is offered at once */
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_UNHOLD, "a", NULL), 0);
    CC_CHECK(!s_held(&fx, "a"));
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "a");
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_RESERVED);
    /* releasing an agent that is not held is no error and does nothing */
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_UNHOLD, "a", NULL), 0);
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_RESERVED);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_HOLD, "nobody", "preview"), -ENOENT);
    fx_fini(&fx);
}

CC_TEST(acd_hold_withdraws_a_ringing_offer_to_the_next_agent)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "q", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "q"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "a");
    fx.now += 1000;
    CC_CHECK_INT(fx_agent(&fx, "b", "q"), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 0);
    /* a dials a preview lead while c1 rings it: c1 stops ringing there and goes to b */
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_HOLD, "a", "preview"), 0);
    const acd_action_t *cancel = fx_find(&fx, ACD_ACT_CANCEL_OFFER, "c1", "a");
    CC_CHECK(cancel != NULL);
    CC_CHECK_STR(cancel ? cancel->reason : "", "held");
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "b");
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_READY); /* not paused as a refusal would be */
    /* the offer's late answer from a is refused: it no longer rings there */
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_ANSWERED, "c1", "a"), -EPERM);
    fx_fini(&fx);
}

CC_TEST(acd_hold_outlasts_state_changes)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "q", ACD_STRATEGY_RING_ALL), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "q"), 0);
    CC_CHECK_INT(fx_agent(&fx, "b", "q"), 0);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_HOLD, "a", "preview"), 0);
    /* ring-all rings only b */
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 1);
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "b");
    CC_CHECK_INT(fx_serve(&fx, "c1", "b"), 0);
    /* a pauses and comes back while held: ready, yet still offered nothing */
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_PAUSE, "a", "coffee"), 0);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_READY, "a", NULL), 0);
    CC_CHECK(s_held(&fx, "a"));
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_PAUSE, "b", "lunch"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c2", "q", 0), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 0);
    /* a queue reloaded meanwhile does not put a back in its ready set */
    acd_queue_cfg_t cfg = fx_qcfg("q", ACD_STRATEGY_LONGEST_IDLE);
    CC_CHECK_INT(acd_core_queue_set(fx.core, &cfg), 0);
    CC_CHECK_INT(fx_tick(&fx, 10), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 0);
    CC_CHECK_INT(s_qinfo(&fx, "q").ready, 0);
    /* released while paused: nothing yet; ready again: c2 */
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_PAUSE, "a", "coffee"), 0);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_UNHOLD, "a", NULL), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 0);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_READY, "a", NULL), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c2"), "a");
    fx_fini(&fx);
}
