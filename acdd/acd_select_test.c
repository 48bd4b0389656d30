/* acd_select_test.c - the order in which each strategy distributes calls (longest idle,
 * round robin, fewest calls, ring-all, skills with minimum levels and ties), VIP
 * priority, aging, and agents in several queues. Time is moved by hand. */
#include "acd_test_util.h"
#include "cc_test.h"

CC_TEST(acd_longest_idle_order)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "support", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_agent(&fx, "1001", "support"), 0);
    fx.now += 1000;
    CC_CHECK_INT(fx_agent(&fx, "1002", "support"), 0);
    fx.now += 1000;
    CC_CHECK_INT(fx_agent(&fx, "1003", "support"), 0);
    /* Idle since login: 1001 longest. */
    const char *calls[] = {"c1", "c2", "c3"}, *want[] = {"1001", "1002", "1003"};
    for (int i = 0; i < 3; i++) {
        CC_CHECK_INT(fx_enqueue(&fx, calls[i], "support", 0), 0);
        CC_CHECK_STR(fx_offered_to(&fx, calls[i]), want[i]);
        CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_ANSWERED, calls[i], want[i]), 0);
    }
    /* Calls end in the order 1003, 1002, 1001: that is the new idle order. */
    fx.now += 10000;
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_CALL_ENDED, NULL, "1003"), 0);
    fx.now += 5000;
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_CALL_ENDED, NULL, "1002"), 0);
    fx.now += 5000;
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_CALL_ENDED, NULL, "1001"), 0);
    const char *next[] = {"1003", "1002", "1001"};
    const char *calls2[] = {"c4", "c5", "c6"};
    for (int i = 0; i < 3; i++) {
        CC_CHECK_INT(fx_enqueue(&fx, calls2[i], "support", 0), 0);
        CC_CHECK_STR(fx_offered_to(&fx, calls2[i]), next[i]);
        CC_CHECK_INT(fx_state(&fx, next[i]), ACD_AGENT_RESERVED);
    }
    fx_fini(&fx);
}

CC_TEST(acd_round_robin_order)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "rr", ACD_STRATEGY_ROUND_ROBIN), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "rr"), 0);
    CC_CHECK_INT(fx_agent(&fx, "b", "rr"), 0);
    CC_CHECK_INT(fx_agent(&fx, "c", "rr"), 0);
    /* Each call is served at once, so every agent is ready again before the next: the
     * pointer, not idle time, decides: a b c a. */
    const char *calls[] = {"c1", "c2", "c3", "c4"}, *want[] = {"a", "b", "c", "a"};
    for (int i = 0; i < 4; i++) {
        fx.now += 1000;
        CC_CHECK_INT(fx_enqueue(&fx, calls[i], "rr", 0), 0);
        CC_CHECK_STR(fx_offered_to(&fx, calls[i]), want[i]);
        CC_CHECK_INT(fx_serve(&fx, calls[i], want[i]), 0);
    }
    /* b paused: after a comes c, then a again. */
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_PAUSE, "b", "lunch"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c5", "rr", 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c5"), "c");
    CC_CHECK_INT(fx_serve(&fx, "c5", "c"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c6", "rr", 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c6"), "a");
    fx_fini(&fx);
}

CC_TEST(acd_fewest_calls_order)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "fc", ACD_STRATEGY_FEWEST_CALLS), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "fc"), 0);
    fx.now += 1000;
    CC_CHECK_INT(fx_agent(&fx, "b", "fc"), 0);
    fx.now += 1000;
    CC_CHECK_INT(fx_agent(&fx, "c", "fc"), 0);
    /* All at 0 calls: idle time breaks the tie (a). */
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "fc", 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "a");
    CC_CHECK_INT(fx_serve(&fx, "c1", "a"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c2", "fc", 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c2"), "b");
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_ANSWERED, "c2", "b"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c3", "fc", 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c3"), "c");
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_ANSWERED, "c3", "c"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c4", "fc", 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c4"), "a"); /* the only one ready */
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_ANSWERED, "c4", "a"), 0);
    fx.now += 20000;
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_CALL_ENDED, NULL, "a"), 0);
    fx.now += 10000;
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_CALL_ENDED, NULL, "b"), 0);
    fx.now += 10000;
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_CALL_ENDED, NULL, "c"), 0);
    /* a is the longest idle but has 2 calls; b and c have 1: b (idle longer than c). */
    CC_CHECK_INT(fx_enqueue(&fx, "c5", "fc", 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c5"), "b");
    CC_CHECK_INT(fx_enqueue(&fx, "c6", "fc", 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c6"), "c");
    fx_fini(&fx);
}

CC_TEST(acd_ring_all_first_answer_wins)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "sales", ACD_STRATEGY_RING_ALL), 0);
    CC_CHECK_INT(fx_agent(&fx, "1001", "sales"), 0);
    CC_CHECK_INT(fx_agent(&fx, "1005", "sales"), 0);
    CC_CHECK_INT(fx_agent(&fx, "1007", "sales"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "sales", 0), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 3);
    CC_CHECK(fx_find(&fx, ACD_ACT_OFFER, "c1", "1001"));
    CC_CHECK(fx_find(&fx, ACD_ACT_OFFER, "c1", "1005"));
    CC_CHECK(fx_find(&fx, ACD_ACT_OFFER, "c1", "1007"));
    fx.now += 3000;
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_ANSWERED, "c1", "1005"), 0);
    const acd_action_t *connect = fx_find(&fx, ACD_ACT_CONNECT, "c1", "1005");
    CC_CHECK(connect);
    CC_CHECK_INT(connect->wait_ms, 3000);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_CANCEL_OFFER), 2);
    CC_CHECK_STR(fx_find(&fx, ACD_ACT_CANCEL_OFFER, "c1", "1001")->reason, "answered_elsewhere");
    CC_CHECK_STR(fx_find(&fx, ACD_ACT_CANCEL_OFFER, "c1", "1007")->reason, "answered_elsewhere");
    CC_CHECK(!fx_find(&fx, ACD_ACT_CANCEL_OFFER, "c1", "1005"));
    CC_CHECK_INT(fx_state(&fx, "1005"), ACD_AGENT_ON_CALL);
    CC_CHECK_INT(fx_state(&fx, "1001"), ACD_AGENT_READY);
    CC_CHECK_INT(fx_state(&fx, "1007"), ACD_AGENT_READY);
    /* A late answer from a cancelled agent is refused. */
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_ANSWERED, "c1", "1001"), -EPERM);
    /* One rejects: the call keeps ringing the other; when that one times out too the
     * call goes back to the queue. */
    CC_CHECK_INT(fx_enqueue(&fx, "c2", "sales", 0), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 2);
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_REJECTED, "c2", "1001"), 0);
    CC_CHECK_INT(fx_state(&fx, "1001"), ACD_AGENT_NOT_READY);
    CC_CHECK_STR(fx_reason(&fx, "1001"), "rejected");
    CC_CHECK_INT(fx_position(&fx, "c2"), 0); /* still ringing 1007 */
    CC_CHECK_INT(fx_tick(&fx, 15000), 0);
    CC_CHECK_STR(fx_find(&fx, ACD_ACT_CANCEL_OFFER, "c2", "1007")->reason, "no_answer");
    CC_CHECK_INT(fx_position(&fx, "c2"), 1);
    fx_fini(&fx);
}

static int s_skills_setup(acd_fx_t *fx)
{
    int rc = fx_queue(fx, "tech", ACD_STRATEGY_SKILLS);
    const char *agents[] = {"a", "b", "c"};
    for (int i = 0; i < 3 && rc == 0; i++) {
        rc = acd_core_agent_add(fx->core, agents[i]);
        if (rc == 0)
            rc = acd_core_agent_join(fx->core, agents[i], "tech");
    }
    if (rc == 0)
        rc = acd_core_agent_set_skill(fx->core, "a", "french", 3);
    if (rc == 0)
        rc = acd_core_agent_set_skill(fx->core, "b", "french", 7);
    if (rc == 0)
        rc = acd_core_agent_set_skill(fx->core, "c", "linux", 9);
    for (int i = 0; i < 3 && rc == 0; i++) {
        fx->now += 1000;
        rc = fx_agent_ev(fx, ACD_EV_AGENT_LOGIN, agents[i], NULL);
    }
    return rc;
}

CC_TEST(acd_skills_best_level_and_minimum)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(s_skills_setup(&fx), 0);
    /* french >= 2: a (3) and b (7) qualify; the best level wins although a idles longer. */
    CC_CHECK_INT(fx_enqueue_skill(&fx, "c1", "tech", "french", 2), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "b");
    /* french >= 5 with b busy: a's 3 is not enough, c has no french: it waits. */
    CC_CHECK_INT(fx_enqueue_skill(&fx, "c2", "tech", "french", 5), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 0);
    CC_CHECK_INT(fx_position(&fx, "c2"), 1);
    /* A call for linux goes to c, even though c2 is older. */
    CC_CHECK_INT(fx_enqueue_skill(&fx, "c3", "tech", "linux", 1), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c3"), "c");
    /* A call needing no skill goes to whoever is ready: a. */
    CC_CHECK_INT(fx_enqueue(&fx, "c4", "tech", 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c4"), "a");
    /* b frees up: c2 (french 5) is its call. */
    CC_CHECK_INT(fx_serve(&fx, "c1", "b"), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c2"), "b");
    /* Raising a's level makes it eligible for a waiting french 5 call. */
    CC_CHECK_INT(fx_serve(&fx, "c4", "a"), 0);
    CC_CHECK_INT(fx_enqueue_skill(&fx, "c5", "tech", "french", 5), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 0);
    CC_CHECK_INT(acd_core_agent_set_skill(fx.core, "a", "french", 5), 0);
    CC_CHECK_INT(fx_tick(&fx, 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c5"), "a");
    fx_fini(&fx);
}

CC_TEST(acd_skills_tie_by_idle_time)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "tech", ACD_STRATEGY_SKILLS), 0);
    const char *agents[] = {"x", "y", "z"};
    for (int i = 0; i < 3; i++) {
        CC_CHECK_INT(acd_core_agent_add(fx.core, agents[i]), 0);
        CC_CHECK_INT(acd_core_agent_join(fx.core, agents[i], "tech"), 0);
        CC_CHECK_INT(acd_core_agent_set_skill(fx.core, agents[i], "billing", 5), 0);
    }
    fx.now += 1000;
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_LOGIN, "z", NULL), 0);
    fx.now += 1000;
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_LOGIN, "x", NULL), 0);
    fx.now += 1000;
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_LOGIN, "y", NULL), 0);
    const char *want[] = {"z", "x", "y"}, *calls[] = {"c1", "c2", "c3"};
    for (int i = 0; i < 3; i++) {
        CC_CHECK_INT(fx_enqueue_skill(&fx, calls[i], "tech", "billing", 5), 0);
        CC_CHECK_STR(fx_offered_to(&fx, calls[i]), want[i]);
    }
    fx_fini(&fx);
}

/* The queue's own skill applies to calls that bring none. */
CC_TEST(acd_skills_queue_default_skill)
{
    acd_fx_t fx;
    fx_init(&fx);
    acd_queue_cfg_t cfg = fx_qcfg("es", ACD_STRATEGY_SKILLS);
    snprintf(cfg.skill, sizeof cfg.skill, "spanish");
    cfg.skill_level = 4;
    CC_CHECK_INT(acd_core_queue_set(fx.core, &cfg), 0);
    CC_CHECK_INT(fx_agent(&fx, "p", "es"), 0);
    CC_CHECK_INT(acd_core_agent_set_skill(fx.core, "p", "spanish", 3), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "es", 0), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 0);
    CC_CHECK_INT(fx_agent(&fx, "q", "es"), 0);
    CC_CHECK_INT(acd_core_agent_set_skill(fx.core, "q", "spanish", 4), 0);
    CC_CHECK_INT(fx_tick(&fx, 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "q");
    fx_fini(&fx);
}

CC_TEST(acd_vip_overtakes)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "support", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_agent(&fx, "1002", "support"), 0);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_PAUSE, "1002", "meeting"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "n1", "support", 0), 0);
    fx.now += 1000;
    CC_CHECK_INT(fx_enqueue(&fx, "n2", "support", 0), 0);
    fx.now += 1000;
    CC_CHECK_INT(fx_enqueue(&fx, "vip", "support", 5), 0);
    CC_CHECK_INT(fx_position(&fx, "vip"), 1);
    CC_CHECK_INT(fx_position(&fx, "n1"), 2);
    CC_CHECK_INT(fx_position(&fx, "n2"), 3);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_READY, "1002", NULL), 0);
    CC_CHECK_STR(fx_offered_call(&fx, "1002"), "vip");
    CC_CHECK_INT(fx_serve(&fx, "vip", "1002"), 0);
    CC_CHECK_STR(fx_offered_call(&fx, "1002"), "n1");
    CC_CHECK_INT(fx_serve(&fx, "n1", "1002"), 0);
    CC_CHECK_STR(fx_offered_call(&fx, "1002"), "n2");
    fx_fini(&fx);
}

/* A low-priority call that has waited long enough beats a newer high-priority one. */
static const char *s_aging_winner(double rate)
{
    static char winner[ACD_ID_MAX];
    acd_fx_t fx;
    fx_init(&fx);
    acd_queue_cfg_t cfg = fx_qcfg("q", ACD_STRATEGY_LONGEST_IDLE);
    cfg.aging_rate = rate;
    acd_core_queue_set(fx.core, &cfg);
    fx_agent(&fx, "a", "q");
    fx_agent_ev(&fx, ACD_EV_AGENT_PAUSE, "a", "busy");
    fx_enqueue(&fx, "low", "q", 0);
    fx.now += 200 * 1000; /* low has aged to 0 + 200 * 0.1 = 20 */
    fx_enqueue(&fx, "high", "q", 10);
    fx_agent_ev(&fx, ACD_EV_AGENT_READY, "a", NULL);
    snprintf(winner, sizeof winner, "%s", fx_offered_call(&fx, "a"));
    fx_fini(&fx);
    return winner;
}

CC_TEST(acd_aging_prevents_starvation)
{
    CC_CHECK_STR(s_aging_winner(0.0), "high");
    CC_CHECK_STR(s_aging_winner(0.1), "low");
    CC_CHECK_STR(s_aging_winner(0.04), "high"); /* 8 < 10: not yet */
}

CC_TEST(acd_agent_in_two_queues)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "q1", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_queue(&fx, "q2", ACD_STRATEGY_ROUND_ROBIN), 0);
    CC_CHECK_INT(acd_core_agent_add(fx.core, "a"), 0);
    CC_CHECK_INT(acd_core_agent_join(fx.core, "a", "q1"), 0);
    CC_CHECK_INT(acd_core_agent_join(fx.core, "a", "q2"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "old", "q2", 0), 0);
    fx.now += 1000;
    CC_CHECK_INT(fx_enqueue(&fx, "new", "q1", 0), 0);
    fx.now += 1000;
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_LOGIN, "a", NULL), 0);
    /* Equal priority: the older call, whichever queue; and only one offer at a time. */
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 1);
    CC_CHECK_STR(fx_offered_call(&fx, "a"), "old");
    CC_CHECK_INT(fx_enqueue(&fx, "third", "q2", 0), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 0);
    CC_CHECK_INT(fx_serve(&fx, "old", "a"), 0);
    CC_CHECK_STR(fx_offered_call(&fx, "a"), "new");
    acd_queue_info_t info;
    CC_CHECK_INT(acd_core_queue_info(fx.core, "q2", &info), 0);
    CC_CHECK_INT(info.waiting, 1);
    CC_CHECK_INT(info.staffed, 1);
    fx_fini(&fx);
}

/* After a restart the adapter re-enqueues with the original times: order is kept. */
CC_TEST(acd_restore_keeps_order)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "q", ACD_STRATEGY_LONGEST_IDLE), 0);
    const char *ids[] = {"third", "first", "second"};
    int64_t ages[] = {10000, 30000, 20000};
    for (int i = 0; i < 3; i++)
        CC_CHECK_INT(fx_step(&fx, (acd_event_t){.kind = ACD_EV_CALL_ENQUEUED,
                                                .call_id = ids[i],
                                                .queue = "q",
                                                .enqueued_ms = fx.now - ages[i]}),
                     0);
    CC_CHECK_INT(fx_position(&fx, "first"), 1);
    CC_CHECK_INT(fx_position(&fx, "second"), 2);
    CC_CHECK_INT(fx_position(&fx, "third"), 3);
    fx_fini(&fx);
}
