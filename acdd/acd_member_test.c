/* acd_member_test.c - changing who serves a queue while acdd runs: leaving a queue (no
 * more offers from it, counts follow, other queues unaffected, a ringing call goes on),
 * removing a skill, and what the core reports of an agent's queues and skills. */
#include "acd_test_util.h"
#include "cc_test.h"

#include <errno.h>

static acd_queue_info_t s_qinfo(const acd_fx_t *fx, const char *queue)
{
    acd_queue_info_t info = {0};
    acd_core_queue_info(fx->core, queue, &info);
    return info;
}

CC_TEST(acd_leave_stops_offers_from_that_queue_only)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "q1", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_queue(&fx, "q2", ACD_STRATEGY_ROUND_ROBIN), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "q1"), 0);
    CC_CHECK_INT(acd_core_agent_join(fx.core, "a", "q2"), 0);
    CC_CHECK_INT(fx_agent(&fx, "b", "q2"), 0);
    CC_CHECK_INT(s_qinfo(&fx, "q1").staffed, 1);
    CC_CHECK_INT(s_qinfo(&fx, "q2").staffed, 2);
    const char *names[4];
    CC_CHECK_INT(acd_core_agent_queues(fx.core, "a", names, 4), 2);
    CC_CHECK_STR(names[0], "q1");
    CC_CHECK_STR(names[1], "q2");

    CC_CHECK_INT(acd_core_agent_leave(fx.core, "a", "q1"), 0);
    CC_CHECK_INT(acd_core_agent_leave(fx.core, "a", "q1"), 0); /* not a member: no-op */
    CC_CHECK_INT(acd_core_agent_leave(fx.core, "a", "nope"), -ENOENT);
    CC_CHECK_INT(acd_core_agent_queues(fx.core, "a", names, 4), 1);
    CC_CHECK_STR(names[0], "q2");
    CC_CHECK_INT(s_qinfo(&fx, "q1").staffed, 0);
    CC_CHECK_INT(s_qinfo(&fx, "q1").serving, 0);
    CC_CHECK_INT(s_qinfo(&fx, "q1").ready, 0);
    CC_CHECK_INT(s_qinfo(&fx, "q2").staffed, 2);
    /* a ready agent who left q1 is not offered q1's calls; q2's still reach it */
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q1", 0), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 0);
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_READY);
    CC_CHECK_INT(fx_enqueue(&fx, "c2", "q2", 0), 0);
    CC_CHECK(fx_offered_to(&fx, "c2") != NULL);
    /* joining again makes q1's waiting call routable */
    CC_CHECK_INT(fx_serve(&fx, "c2", fx_offered_to(&fx, "c2")), 0);
    CC_CHECK_INT(acd_core_agent_join(fx.core, "a", "q1"), 0);
    CC_CHECK_INT(fx_tick(&fx, 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "a");
    fx_fini(&fx);
}

CC_TEST(acd_leave_while_ringing_keeps_the_offer)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "q", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "q"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "a");
    CC_CHECK_INT(acd_core_agent_leave(fx.core, "a", "q"), 0);
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_RESERVED);
    /* answered after leaving: the call is served, then the agent is free of the queue */
    CC_CHECK_INT(fx_serve(&fx, "c1", "a"), 0);
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_READY);
    CC_CHECK_INT(fx_enqueue(&fx, "c2", "q", 0), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 0);
    CC_CHECK_INT(s_qinfo(&fx, "q").waiting, 1);
    fx_fini(&fx);
}

CC_TEST(acd_skill_removed_and_reported)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "q", ACD_STRATEGY_SKILLS), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "q"), 0);
    CC_CHECK_INT(acd_core_agent_set_skill(fx.core, "a", "french", 5), 0);
    CC_CHECK_INT(acd_core_agent_set_skill(fx.core, "a", "vip", 3), 0);
    const char *names[4];
    int levels[4];
    CC_CHECK_INT(acd_core_agent_skills(fx.core, "a", names, levels, 4), 2);
    CC_CHECK_STR(names[0], "french");
    CC_CHECK_INT(levels[0], 5);
    CC_CHECK_INT(acd_core_agent_set_skill(fx.core, "a", "french", 0), 0);
    CC_CHECK_INT(acd_core_agent_skills(fx.core, "a", names, levels, 4), 1);
    CC_CHECK_STR(names[0], "vip");
    CC_CHECK_INT(acd_core_agent_skills(fx.core, "nobody", names, levels, 4), -ENOENT);
    /* a French call waits; a VIP one is served */
    CC_CHECK_INT(fx_enqueue_skill(&fx, "c1", "q", "french", 1), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 0);
    CC_CHECK_INT(fx_enqueue_skill(&fx, "c2", "q", "vip", 1), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c2"), "a");
    fx_fini(&fx);
}
