/* acd_queue_test.c - what happens around a call: wrap-up, ring-no-answer (back to the
 * head, agent paused), abandon with its wait, max length and max wait overflow (to a
 * target and to another queue), announcements, pause and logout during a call, and the
 * reason a logout carries. */
#include "acd_test_util.h"
#include "cc_test.h"

CC_TEST(acd_wrapup_respected)
{
    acd_fx_t fx;
    fx_init(&fx);
    acd_queue_cfg_t cfg = fx_qcfg("q", ACD_STRATEGY_LONGEST_IDLE);
    cfg.wrapup_s = 30;
    CC_CHECK_INT(acd_core_queue_set(fx.core, &cfg), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "q"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_ANSWERED, "c1", "a"), 0);
    fx.now += 60000;
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_CALL_ENDED, "c1", "a"), 0);
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_WRAP_UP);
    CC_CHECK_INT(acd_core_next_timer_ms(fx.core), fx.now + 30000);
    fx.now += 10000;
    CC_CHECK_INT(fx_enqueue(&fx, "c2", "q", 0), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 0);
    CC_CHECK_INT(fx_tick(&fx, 19999), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 0);
    CC_CHECK_INT(fx_tick(&fx, 1), 0);
    const acd_action_t *st = fx_find(&fx, ACD_ACT_AGENT_STATE, NULL, "a");
    CC_CHECK(st);
    CC_CHECK_INT(st->from, ACD_AGENT_WRAP_UP);
    CC_CHECK_INT(st->to, ACD_AGENT_READY);
    CC_CHECK_STR(fx_offered_to(&fx, "c2"), "a");
    /* Ready during wrap-up ends it early. */
    CC_CHECK_INT(fx_serve(&fx, "c2", "a"), 0);
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_WRAP_UP);
    CC_CHECK_INT(fx_enqueue(&fx, "c3", "q", 0), 0);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_READY, "a", NULL), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c3"), "a");
    /* The handle time (60 s talk + 30 s wrap-up) reached the estimate. */
    acd_queue_info_t info;
    CC_CHECK_INT(acd_core_queue_info(fx.core, "q", &info), 0);
    CC_CHECK_INT(info.answered, 2);
    fx_fini(&fx);
}

CC_TEST(acd_ring_no_answer_requeues_at_head)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "q", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "q"), 0);
    CC_CHECK_INT(fx_agent(&fx, "b", "q"), 0);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_PAUSE, "b", "break"), 0);
    int64_t t0 = fx.now;
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "a");
    CC_CHECK_INT(fx_find(&fx, ACD_ACT_OFFER, "c1", "a")->ring_timeout_s, 15);
    fx.now += 1000;
    CC_CHECK_INT(fx_enqueue(&fx, "c2", "q", 0), 0);
    fx.now += 1000;
    CC_CHECK_INT(fx_enqueue(&fx, "vip", "q", 9), 0); /* arrives while c1 rings */
    CC_CHECK_INT(fx_tick(&fx, 12999), 0);
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_RESERVED);
    CC_CHECK_INT(fx_tick(&fx, 1), 0); /* 15 s after the offer */
    CC_CHECK_STR(fx_find(&fx, ACD_ACT_CANCEL_OFFER, "c1", "a")->reason, "no_answer");
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_NOT_READY);
    CC_CHECK_STR(fx_reason(&fx, "a"), "no_answer");
    const acd_action_t *st = fx_find(&fx, ACD_ACT_AGENT_STATE, NULL, "a");
    CC_CHECK_INT(st->from, ACD_AGENT_RESERVED);
    CC_CHECK_INT(st->to, ACD_AGENT_NOT_READY);
    CC_CHECK_STR(st->reason, "no_answer");
    /* Back at the head: before the VIP and c2, and it keeps its enqueue time. */
    CC_CHECK_INT(fx_position(&fx, "c1"), 1);
    CC_CHECK_INT(fx_position(&fx, "vip"), 2);
    CC_CHECK_INT(fx_position(&fx, "c2"), 3);
    acd_call_info_t ci;
    CC_CHECK_INT(acd_core_call_info(fx.core, "c1", &ci), 0);
    CC_CHECK_INT(ci.enqueued_ms, t0);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_READY, "b", NULL), 0);
    CC_CHECK_STR(fx_offered_call(&fx, "b"), "c1");
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_ANSWERED, "c1", "b"), 0);
    CC_CHECK_INT(fx_find(&fx, ACD_ACT_CONNECT, "c1", "b")->wait_ms, fx.now - t0);
    fx_fini(&fx);
}

CC_TEST(acd_no_answer_event_and_keep_ready)
{
    acd_fx_t fx;
    fx_init(&fx);
    acd_queue_cfg_t cfg = fx_qcfg("q", ACD_STRATEGY_LONGEST_IDLE);
    cfg.keep_ready_on_no_answer = true;
    CC_CHECK_INT(acd_core_queue_set(fx.core, &cfg), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "q"), 0);
    fx.now += 1000;
    CC_CHECK_INT(fx_agent(&fx, "b", "q"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "a");
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_NO_ANSWER, "c1", "b"), -EPERM);
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_NO_ANSWER, "c1", "a"), 0);
    /* Requeued before a is ready again, so it goes to b; a stays ready. */
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "b");
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_READY);
    CC_CHECK(!fx_find(&fx, ACD_ACT_CANCEL_OFFER, NULL, NULL)); /* the adapter reported it */
    fx_fini(&fx);
}

CC_TEST(acd_abandon_removes_with_wait)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "q", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    fx.now += 2000;
    CC_CHECK_INT(fx_enqueue(&fx, "c2", "q", 0), 0);
    fx.now += 40000;
    CC_CHECK_INT(fx_step(&fx, (acd_event_t){.kind = ACD_EV_CALL_ABANDONED, .call_id = "c2"}), 0);
    const acd_action_t *ab = fx_find(&fx, ACD_ACT_ABANDONED, "c2", NULL);
    CC_CHECK(ab);
    CC_CHECK_INT(ab->wait_ms, 40000);
    CC_CHECK_INT(ab->position, 2);
    CC_CHECK_STR(ab->queue, "q");
    CC_CHECK_INT(fx_position(&fx, "c2"), -1);
    acd_queue_info_t info;
    CC_CHECK_INT(acd_core_queue_info(fx.core, "q", &info), 0);
    CC_CHECK_INT(info.waiting, 1);
    CC_CHECK_INT(info.abandoned, 1);
    CC_CHECK_INT(fx_step(&fx, (acd_event_t){.kind = ACD_EV_CALL_ABANDONED, .call_id = "c2"}),
                 -ENOENT);
    /* Abandoned while ringing: the offer is cancelled and the agent is free again. */
    CC_CHECK_INT(fx_agent(&fx, "a", "q"), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "a");
    CC_CHECK_INT(fx_step(&fx, (acd_event_t){.kind = ACD_EV_CALL_ABANDONED, .call_id = "c1"}), 0);
    CC_CHECK_STR(fx_find(&fx, ACD_ACT_CANCEL_OFFER, "c1", "a")->reason, "abandoned");
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_READY);
    CC_CHECK_INT(acd_core_next_timer_ms(fx.core), INT64_MAX);
    fx_fini(&fx);
}

CC_TEST(acd_max_length_overflows)
{
    acd_fx_t fx;
    fx_init(&fx);
    acd_queue_cfg_t cfg = fx_qcfg("q", ACD_STRATEGY_LONGEST_IDLE);
    cfg.max_len = 2;
    cfg.overflow = ACD_OVERFLOW_EXTENSION;
    snprintf(cfg.overflow_target, sizeof cfg.overflow_target, "2000");
    CC_CHECK_INT(acd_core_queue_set(fx.core, &cfg), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c2", "q", 0), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OVERFLOW), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c3", "q", 0), 0);
    const acd_action_t *ov = fx_find(&fx, ACD_ACT_OVERFLOW, "c3", NULL);
    CC_CHECK(ov);
    CC_CHECK_STR(ov->reason, "full");
    CC_CHECK_INT(ov->overflow, ACD_OVERFLOW_EXTENSION);
    CC_CHECK_STR(ov->target, "2000");
    CC_CHECK_INT(fx_position(&fx, "c3"), -1);
    /* The id is free again. */
    CC_CHECK_INT(fx_step(&fx, (acd_event_t){.kind = ACD_EV_CALL_ABANDONED, .call_id = "c1"}), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c3", "q", 0), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OVERFLOW), 0);
    fx_fini(&fx);
}

CC_TEST(acd_max_wait_overflows_to_queue)
{
    acd_fx_t fx;
    fx_init(&fx);
    acd_queue_cfg_t cfg = fx_qcfg("first", ACD_STRATEGY_LONGEST_IDLE);
    cfg.max_wait_s = 60;
    cfg.overflow = ACD_OVERFLOW_QUEUE;
    snprintf(cfg.overflow_target, sizeof cfg.overflow_target, "backup");
    CC_CHECK_INT(acd_core_queue_set(fx.core, &cfg), 0);
    CC_CHECK_INT(fx_queue(&fx, "backup", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_agent(&fx, "b", "backup"), 0);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_PAUSE, "b", "x"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "first", 3), 0);
    CC_CHECK_INT(fx_tick(&fx, 59999), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OVERFLOW), 0);
    CC_CHECK_INT(fx_tick(&fx, 1), 0);
    const acd_action_t *ov = fx_find(&fx, ACD_ACT_OVERFLOW, "c1", NULL);
    CC_CHECK(ov);
    CC_CHECK_STR(ov->reason, "timeout");
    CC_CHECK_STR(ov->queue, "first");
    CC_CHECK_INT(ov->overflow, ACD_OVERFLOW_QUEUE);
    CC_CHECK_INT(ov->wait_ms, 60000);
    acd_call_info_t ci;
    CC_CHECK_INT(acd_core_call_info(fx.core, "c1", &ci), 0);
    CC_CHECK_STR(ci.queue, "backup");
    CC_CHECK_INT(ci.priority, 3);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_READY, "b", NULL), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "b");
    /* Timed out while ringing: the offer runs; if it fails, the call overflows then. */
    fx_fini(&fx);
}

CC_TEST(acd_max_wait_hangup_after_failed_offer)
{
    acd_fx_t fx;
    fx_init(&fx);
    acd_queue_cfg_t cfg = fx_qcfg("q", ACD_STRATEGY_LONGEST_IDLE);
    cfg.max_wait_s = 10;
    CC_CHECK_INT(acd_core_queue_set(fx.core, &cfg), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "q"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "a");
    CC_CHECK_INT(fx_tick(&fx, 15000), 0); /* ring timeout, past max wait */
    const acd_action_t *ov = fx_find(&fx, ACD_ACT_OVERFLOW, "c1", NULL);
    CC_CHECK(ov);
    CC_CHECK_STR(ov->reason, "timeout");
    CC_CHECK_INT(ov->overflow, ACD_OVERFLOW_HANGUP);
    CC_CHECK_INT(fx_position(&fx, "c1"), -1);
    fx_fini(&fx);
}

CC_TEST(acd_announcements)
{
    acd_fx_t fx;
    fx_init(&fx);
    acd_queue_cfg_t cfg = fx_qcfg("q", ACD_STRATEGY_LONGEST_IDLE);
    cfg.announce = true;
    cfg.announce_every_s = 30;
    cfg.default_handle_s = 120;
    CC_CHECK_INT(acd_core_queue_set(fx.core, &cfg), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "q"), 0);
    CC_CHECK_INT(fx_agent(&fx, "b", "q"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c2", "q", 0), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_ANNOUNCE), 0); /* offered at once: no announcement */
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_ANSWERED, "c1", "a"), 0);
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_ANSWERED, "c2", "b"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c3", "q", 0), 0);
    const acd_action_t *an = fx_find(&fx, ACD_ACT_ANNOUNCE, "c3", NULL);
    CC_CHECK(an);
    CC_CHECK_INT(an->position, 1);
    CC_CHECK_INT(an->expected_wait_s, 60); /* 1 * 120 s / 2 agents */
    CC_CHECK_INT(fx_enqueue(&fx, "c4", "q", 0), 0);
    CC_CHECK_INT(fx_find(&fx, ACD_ACT_ANNOUNCE, "c4", NULL)->position, 2);
    CC_CHECK_INT(fx_find(&fx, ACD_ACT_ANNOUNCE, "c4", NULL)->expected_wait_s, 120);
    /* b pauses after its call: one agent serves, the estimate doubles. */
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_PAUSE, "b", "lunch"), 0);
    CC_CHECK_INT(fx_state(&fx, "b"), ACD_AGENT_ON_CALL);
    CC_CHECK_INT(fx_tick(&fx, 29999), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_ANNOUNCE), 0);
    CC_CHECK_INT(fx_tick(&fx, 1), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_ANNOUNCE), 2);
    CC_CHECK_INT(fx_find(&fx, ACD_ACT_ANNOUNCE, "c4", NULL)->wait_ms, 30000);
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_CALL_ENDED, NULL, "b"), 0);
    CC_CHECK_INT(fx_state(&fx, "b"), ACD_AGENT_NOT_READY);
    CC_CHECK_STR(fx_reason(&fx, "b"), "lunch");
    /* b's call (30 s, no wrap-up) is the first handle-time sample: it replaces the
     * default; one agent (a) serves: c3 waits 1 * 30 s, c4 2 * 30 s. */
    CC_CHECK_INT(fx_tick(&fx, 30000), 0);
    CC_CHECK_INT(fx_find(&fx, ACD_ACT_ANNOUNCE, "c3", NULL)->expected_wait_s, 30);
    CC_CHECK_INT(fx_find(&fx, ACD_ACT_ANNOUNCE, "c4", NULL)->expected_wait_s, 60);
    fx_fini(&fx);
}

/* The reports compare the wait expected on entry with the real one, so the core keeps it
 * for every call that waits, announced or not; a call offered at once has none. */
CC_TEST(acd_entry_estimate_kept_without_announcement)
{
    acd_fx_t fx;
    fx_init(&fx);
    acd_queue_cfg_t cfg = fx_qcfg("q", ACD_STRATEGY_LONGEST_IDLE);
    cfg.announce = false;
    cfg.default_handle_s = 90;
    cfg.skill_level = 3;
    snprintf(cfg.skill, sizeof cfg.skill, "billing");
    CC_CHECK_INT(acd_core_queue_set(fx.core, &cfg), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "q"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    acd_call_info_t info;
    CC_CHECK_INT(acd_core_call_info(fx.core, "c1", &info), 0);
    CC_CHECK(info.offered);
    CC_CHECK_INT(info.entry_position, 0);
    CC_CHECK_INT(info.entry_wait_s, -1);
    CC_CHECK_STR(info.skill, "billing");
    CC_CHECK_INT(info.min_level, 3);
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_ANSWERED, "c1", "a"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c2", "q", 0), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c3", "q", 0), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_ANNOUNCE), 0);
    CC_CHECK_INT(acd_core_call_info(fx.core, "c3", &info), 0);
    CC_CHECK_INT(info.entry_position, 2);
    CC_CHECK_INT(info.entry_wait_s, 180); /* 2 * 90 s / 1 agent */
    /* it stays what was expected on entry while the call moves up */
    CC_CHECK_INT(fx_step(&fx, (acd_event_t){.kind = ACD_EV_CALL_ABANDONED, .call_id = "c2"}), 0);
    CC_CHECK_INT(acd_core_call_info(fx.core, "c3", &info), 0);
    CC_CHECK_INT(info.position, 1);
    CC_CHECK_INT(info.entry_wait_s, 180);
    fx_fini(&fx);
}

/* Every action carries the core's time of the decision: a wrap-up that ends on its timer
 * inside a later tick is stamped with its deadline, and the state changes of one step (ready,
 * then at once reserved for the waiting call) share it, so the history keeps their order. */
CC_TEST(acd_actions_carry_the_time_of_the_decision)
{
    acd_fx_t fx;
    fx_init(&fx);
    acd_queue_cfg_t cfg = fx_qcfg("q", ACD_STRATEGY_LONGEST_IDLE);
    cfg.wrapup_s = 30;
    CC_CHECK_INT(acd_core_queue_set(fx.core, &cfg), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "q"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_ANSWERED, "c1", "a"), 0);
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_CALL_ENDED, "c1", "a"), 0);
    int64_t wrap_end = fx.now + 30000;
    CC_CHECK_INT(fx_enqueue(&fx, "c2", "q", 0), 0);
    CC_CHECK_INT(fx_tick(&fx, 30500), 0);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_AGENT_STATE), 2);
    for (size_t i = 0; i < fx.out.count; i++)
        CC_CHECK_INT(fx.out.items[i].at_ms, wrap_end);
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_RESERVED);
    fx_fini(&fx);
}

CC_TEST(acd_logout_and_pause_while_ringing)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "q", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "q"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_LOGOUT, "a", NULL), 0);
    CC_CHECK_STR(fx_find(&fx, ACD_ACT_CANCEL_OFFER, "c1", "a")->reason, "logout");
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_LOGGED_OUT);
    CC_CHECK_INT(fx_position(&fx, "c1"), 1);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_READY, "a", NULL), -EPERM);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_LOGIN, "a", NULL), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "a");
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_PAUSE, "a", "toilet"), 0);
    CC_CHECK_STR(fx_find(&fx, ACD_ACT_CANCEL_OFFER, "c1", "a")->reason, "paused");
    CC_CHECK_STR(fx_reason(&fx, "a"), "toilet");
    /* Logout during a call takes effect when it ends. */
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_READY, "a", NULL), 0);
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_ANSWERED, "c1", "a"), 0);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_LOGOUT, "a", NULL), 0);
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_ON_CALL);
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_CALL_ENDED, "other", "a"), -ENOENT);
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_CALL_ENDED, "c1", "a"), 0);
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_LOGGED_OUT);
    acd_queue_info_t info;
    CC_CHECK_INT(acd_core_queue_info(fx.core, "q", &info), 0);
    CC_CHECK_INT(info.staffed, 0);
    fx_fini(&fx);
}

CC_TEST(acd_logout_reason_goes_with_the_state)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "q", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "q"), 0);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_LOGOUT, "a", "unregistered"), 0);
    const acd_action_t *st = fx_find(&fx, ACD_ACT_AGENT_STATE, NULL, "a");
    CC_CHECK_INT(st->to, ACD_AGENT_LOGGED_OUT);
    CC_CHECK_STR(st->reason, "unregistered");
    CC_CHECK_STR(fx_reason(&fx, "a"), "unregistered");
    /* Logging in again clears it; a logout during a call keeps it until the call ends. */
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_LOGIN, "a", NULL), 0);
    CC_CHECK_STR(fx_reason(&fx, "a"), "");
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_ANSWERED, "c1", "a"), 0);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_LOGOUT, "a", "unregistered"), 0);
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_ON_CALL);
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_CALL_ENDED, "c1", "a"), 0);
    st = fx_find(&fx, ACD_ACT_AGENT_STATE, NULL, "a");
    CC_CHECK_INT(st->to, ACD_AGENT_LOGGED_OUT);
    CC_CHECK_STR(st->reason, "unregistered");
    /* Without a reason: none. */
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_LOGIN, "a", NULL), 0);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_LOGOUT, "a", NULL), 0);
    CC_CHECK_STR(fx_reason(&fx, "a"), "");
    fx_fini(&fx);
}

CC_TEST(acd_bad_events)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "q", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "nosuch", 0), -ENOENT);
    CC_CHECK_INT(fx_enqueue(&fx, NULL, "q", 0), -EINVAL);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), -EEXIST);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_LOGIN, "ghost", NULL), -ENOENT);
    CC_CHECK_INT(acd_core_agent_add(fx.core, "a"), 0);
    CC_CHECK_INT(fx_agent_ev(&fx, ACD_EV_AGENT_PAUSE, "a", "x"), -EPERM);
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_OFFER_ANSWERED, "c1", "a"), -EPERM);
    CC_CHECK_INT(fx_offer_ev(&fx, ACD_EV_CALL_ENDED, NULL, "a"), -EPERM);
    acd_queue_cfg_t bad = fx_qcfg("", ACD_STRATEGY_SKILLS);
    CC_CHECK_INT(acd_core_queue_set(fx.core, &bad), -EINVAL);
    bad = fx_qcfg("x", (acd_strategy_t)42);
    CC_CHECK_INT(acd_core_queue_set(fx.core, &bad), -EINVAL);
    acd_strategy_t s;
    CC_CHECK_INT(acd_strategy_parse("longest-idle", &s), 0);
    CC_CHECK_INT(s, ACD_STRATEGY_LONGEST_IDLE);
    CC_CHECK_INT(acd_strategy_parse("ring_all", &s), 0);
    CC_CHECK_INT(s, ACD_STRATEGY_RING_ALL);
    CC_CHECK_INT(acd_strategy_parse("random", &s), -EINVAL);
    CC_CHECK_STR(acd_agent_state_name(ACD_AGENT_NOT_READY), "not_ready");
    fx_fini(&fx);
}

/* Changing the strategy and aging of a live queue re-sorts ready agents and calls. */
CC_TEST(acd_queue_reconfigured_live)
{
    acd_fx_t fx;
    fx_init(&fx);
    CC_CHECK_INT(fx_queue(&fx, "q", ACD_STRATEGY_LONGEST_IDLE), 0);
    CC_CHECK_INT(fx_agent(&fx, "a", "q"), 0);
    fx.now += 1000;
    CC_CHECK_INT(fx_agent(&fx, "b", "q"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "a");
    CC_CHECK_INT(fx_serve(&fx, "c1", "a"), 0);
    acd_queue_cfg_t cfg = fx_qcfg("q", ACD_STRATEGY_FEWEST_CALLS);
    CC_CHECK_INT(acd_core_queue_set(fx.core, &cfg), 0);
    fx.now += 1000;
    CC_CHECK_INT(fx_enqueue(&fx, "c2", "q", 0), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c2"), "b");
    fx_fini(&fx);
}

CC_TEST(acd_agent_restored_on_call_gets_no_offer_until_it_ends)
{
    acd_fx_t fx;
    fx_init(&fx);
    acd_queue_cfg_t cfg = fx_qcfg("q", ACD_STRATEGY_LONGEST_IDLE);
    cfg.wrapup_s = 5;
    CC_CHECK_INT(acd_core_queue_set(fx.core, &cfg), 0);
    CC_CHECK_INT(acd_core_agent_add(fx.core, "a"), 0);
    CC_CHECK_INT(acd_core_agent_join(fx.core, "a", "q"), 0);
    CC_CHECK_INT(fx_enqueue(&fx, "c1", "q", 0), 0); /* restored waiting call */
    acd_event_t ev = {.kind = ACD_EV_AGENT_ON_CALL, .agent = "a", .call_id = "c0", .queue = "q"};
    CC_CHECK_INT(fx_step(&fx, ev), 0);
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_ON_CALL);
    CC_CHECK_INT(fx_count(&fx, ACD_ACT_OFFER), 0);
    const acd_action_t *st = fx_find(&fx, ACD_ACT_AGENT_STATE, NULL, "a");
    CC_CHECK(st && st->from == ACD_AGENT_LOGGED_OUT && st->to == ACD_AGENT_ON_CALL);
    CC_CHECK_INT(fx_step(&fx, ev), -EPERM); /* only from logged out */
    ev.queue = "nope";
    CC_CHECK_INT(fx_step(&fx, ev), -EINVAL);
    /* its call ends: wrap-up, then the waiting call */
    CC_CHECK_INT(
        fx_step(&fx, (acd_event_t){.kind = ACD_EV_CALL_ENDED, .agent = "a", .call_id = "c0"}), 0);
    CC_CHECK_INT(fx_state(&fx, "a"), ACD_AGENT_WRAP_UP);
    CC_CHECK_INT(fx_tick(&fx, 5000), 0);
    CC_CHECK_STR(fx_offered_to(&fx, "c1"), "a");
    fx_fini(&fx);
}
