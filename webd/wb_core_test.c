/* wb_core_test.c - the wallboard core without I/O: today's figures per queue and agent
 * (and that feeding the same events twice changes nothing), the three service-level
 * formulas and the views' rounding, wrap-up attributed to the queue of the last call, the
 * centre's day, the live board (waiting, ringing, talking, moves, callbacks), staff counts
 * by membership, the live snapshot and the alerts. */
#include "cc_test.h"
#include "wb_core.h"

#define T0 1700000000000000LL /* µs */
#define S(x) ((int64_t)(x)*1000000LL)

static const wb_rules_t s_rules = {
    .sl_target_pct = 80, .max_wait_s = 60, .max_call_s = 600, .max_not_ready_s = 300};

static wb_core_t *s_core(void)
{
    wb_core_t *c = wb_core_new(WB_SL_ANSWERED_ABANDONED, s_rules);
    wb_core_set_day(c, T0 - S(3600), T0 + S(20 * 3600));
    wb_core_queue_set(c, "q", 20);
    wb_core_queue_set(c, "r", 30);
    const char *members[] = {"1001", "1002"};
    wb_core_members_set(c, "q", members, 2);
    wb_core_members_set(c, "r", members + 1, 1);
    wb_core_clear_changes(c);
    return c;
}

static int s_ev(wb_core_t *c, wb_event_kind_t kind, int64_t ts, const char *call, const char *queue,
                const char *agent, int64_t ms)
{
    wb_event_t ev = {.kind = kind,
                     .ts_us = ts,
                     .live = true,
                     .call_id = call,
                     .queue = queue,
                     .agent = agent,
                     .caller = "555",
                     .wait_ms = ms,
                     .talk_ms = ms};
    ev.in_sl = kind == WB_EV_ANSWERED && ms <= 20000;
    return wb_core_apply(c, &ev);
}

static int s_state(wb_core_t *c, const char *ext, wb_agent_state_t prev, wb_agent_state_t st,
                   int64_t since, int64_t prev_ms, const char *reason)
{
    wb_event_t ev = {.kind = WB_EV_AGENT_STATE,
                     .ts_us = since,
                     .live = true,
                     .agent = ext,
                     .state = st,
                     .previous = prev,
                     .since_us = since,
                     .previous_ms = prev_ms,
                     .reason = reason};
    return wb_core_apply(c, &ev);
}

/* A day of queue q: c1 answered in 10 s (talk 100 s, wrap 30 s), c2 answered in 40 s
 * (talk 50 s), c3 abandoned after 5 s, c4 abandoned after 25 s, c5 moved to r after 8 s,
 * c6 still waiting. */
static int s_day(wb_core_t *c)
{
    int rc = 0;
    const char *calls[] = {"c1", "c2", "c3", "c4", "c5", "c6"};
    for (int i = 0; i < 6; i++)
        rc |= s_ev(c, WB_EV_ENTERED, T0 + S(i), calls[i], "q", NULL, 0);
    rc |= s_ev(c, WB_EV_ANSWERED, T0 + S(10), "c1", "q", "1001", 10000);
    rc |= s_state(c, "1001", WB_AGENT_RESERVED, WB_AGENT_ON_CALL, T0 + S(10), 1000, "");
    rc |= s_ev(c, WB_EV_ABANDONED, T0 + S(7), "c3", "q", NULL, 5000);
    rc |= s_ev(c, WB_EV_ABANDONED, T0 + S(28), "c4", "q", NULL, 25000);
    wb_event_t mv = {.kind = WB_EV_OVERFLOWED,
                     .ts_us = T0 + S(12),
                     .live = true,
                     .call_id = "c5",
                     .queue = "q",
                     .target = "r",
                     .wait_ms = 8000};
    rc |= wb_core_apply(c, &mv);
    rc |= s_ev(c, WB_EV_ANSWERED, T0 + S(41), "c2", "q", "1002", 40000);
    rc |= s_ev(c, WB_EV_COMPLETED, T0 + S(110), "c1", "q", "1001", 100000);
    rc |= s_state(c, "1001", WB_AGENT_ON_CALL, WB_AGENT_WRAP_UP, T0 + S(110), 100000, "");
    rc |= s_state(c, "1001", WB_AGENT_WRAP_UP, WB_AGENT_READY, T0 + S(140), 30000, "");
    rc |= s_ev(c, WB_EV_COMPLETED, T0 + S(91), "c2", "q", "1002", 50000);
    return rc;
}

CC_TEST(wb_figures_of_a_day_and_idempotence)
{
    wb_core_t *c = s_core();
    CC_CHECK_INT(s_day(c), 0);
    for (int pass = 0; pass < 2; pass++) {
        const wb_queue_t *q = wb_core_queue(c, "q");
        CC_CHECK_INT(q->today.offered, 6);
        CC_CHECK_INT(q->today.answered, 2);
        CC_CHECK_INT(q->today.abandoned, 2);
        CC_CHECK_INT(q->today.overflowed, 1);
        CC_CHECK_INT(q->today.answered_in_sl, 1);
        CC_CHECK_INT(q->today.abandoned_in_sl, 1); /* 5 s <= 20 s, 25 s is not */
        CC_CHECK_INT(q->today.handled, 2);
        CC_CHECK_INT(q->today.talk_ms, 150000);
        CC_CHECK_INT(q->today.wrap_ms, 30000);
        CC_CHECK_INT(wb_core_queue(c, "r")->today.offered, 1); /* the moved call entered r */
        wb_figures_t f;
        wb_figures(&q->today, WB_SL_ANSWERED_ABANDONED, &f);
        CC_CHECK_INT(f.abandon_rate_x10, 333); /* 2/6 */
        CC_CHECK_INT(f.answer_rate_x10, 333);
        CC_CHECK_INT(f.sl_x10, 250);  /* 1 / (2 + 2) */
        CC_CHECK_INT(f.asa_x10, 250); /* (10 + 40) / 2 */
        CC_CHECK_INT(f.aht_x10, 900); /* (150 + 30) / 2 */
        wb_figures(&q->today, WB_SL_ANSWERED, &f);
        CC_CHECK_INT(f.sl_x10, 500); /* 1 / 2 */
        wb_figures(&q->today, WB_SL_OFFERED, &f);
        CC_CHECK_INT(f.sl_x10, 333); /* (1 + 1) / 6 */
        const wb_agent_t *a = wb_core_agent(c, "1001");
        CC_CHECK_INT(a->calls_today, 1);
        CC_CHECK_INT(a->talk_ms_today, 100000);
        /* the same events again (acdd's replay after the rows from Postgres) */
        wb_core_clear_changes(c);
        if (pass == 0)
            CC_CHECK_INT(s_day(c), 0);
    }
    wb_core_destroy(&c);
}

CC_TEST(wb_rounding_matches_postgres)
{
    CC_CHECK_INT(wb_pct_x10(1, 8), 125); /* 12.5 */
    CC_CHECK_INT(wb_pct_x10(1, 16), 63); /* 6.25 -> 6.3, half away from zero */
    CC_CHECK_INT(wb_pct_x10(2, 3), 667);
    CC_CHECK_INT(wb_pct_x10(0, 5), 0);
    CC_CHECK_INT(wb_pct_x10(1, 0), -1);
    CC_CHECK_INT(wb_mean_s_x10(3100, 2), 16); /* 1.55 s -> 1.6 */
    CC_CHECK_INT(wb_mean_s_x10(1549, 1), 15);
    CC_CHECK_INT(wb_mean_s_x10(0, 0), -1);
}

CC_TEST(wb_day_boundaries)
{
    wb_core_t *c = s_core();
    CC_CHECK_INT(s_ev(c, WB_EV_ENTERED, T0 - S(7200), "old", "q", NULL, 0), 0); /* yesterday */
    CC_CHECK_INT(s_ev(c, WB_EV_ANSWERED, T0, "old", "q", "1001", 9000), 0);
    CC_CHECK_INT(wb_core_queue(c, "q")->today.offered, 0);
    CC_CHECK_INT(wb_core_queue(c, "q")->today.answered, 0); /* counted on its day of entry */
    CC_CHECK_INT(s_ev(c, WB_EV_ENTERED, T0, "new", "q", NULL, 0), 0);
    CC_CHECK_INT(s_ev(c, WB_EV_COMPLETED, T0 + S(5), "old", "q", "1001", 4000), 0);
    CC_CHECK_INT(wb_core_queue(c, "q")->today.offered, 1);
    CC_CHECK_INT(wb_core_agent(c, "1001")->calls_today, 1); /* completions count on their day */
    wb_core_clear_changes(c);
    wb_core_set_day(c, T0 + S(20 * 3600), T0 + S(44 * 3600));
    CC_CHECK(wb_core_changes(c)->reset);
    CC_CHECK_INT(wb_core_queue(c, "q")->today.offered, 0);
    CC_CHECK_INT(wb_core_agent(c, "1001")->calls_today, 0);
    CC_CHECK_INT(wb_core_queue(c, "q")->waiting, 1); /* the live board stays */
    wb_core_destroy(&c);
}

CC_TEST(wb_live_board)
{
    wb_core_t *c = s_core();
    CC_CHECK_INT(s_ev(c, WB_EV_ENTERED, T0, "c1", "q", NULL, 0), 0);
    CC_CHECK_INT(s_ev(c, WB_EV_ENTERED, T0 + S(3), "c2", "q", NULL, 0), 0);
    const wb_queue_t *q = wb_core_queue(c, "q");
    CC_CHECK_INT(q->waiting, 2);
    CC_CHECK_INT(q->oldest_us, T0);
    CC_CHECK_INT(s_ev(c, WB_EV_OFFERED, T0 + S(4), "c1", "q", "1001", 0), 0);
    CC_CHECK_INT(wb_core_call(c, "c1")->state, WB_CALL_RINGING);
    CC_CHECK_INT(q->waiting, 1);
    CC_CHECK_INT(q->oldest_us, T0 + S(3));
    CC_CHECK_INT(s_ev(c, WB_EV_OFFER_FAILED, T0 + S(9), "c1", "q", "1001", 0), 0);
    CC_CHECK_INT(wb_core_call(c, "c1")->state, WB_CALL_WAITING);
    CC_CHECK_INT(s_ev(c, WB_EV_ANSWERED, T0 + S(12), "c1", "q", "1002", 12000), 0);
    CC_CHECK_INT(s_state(c, "1002", WB_AGENT_RESERVED, WB_AGENT_ON_CALL, T0 + S(12), 0, ""), 0);
    const wb_agent_t *a = wb_core_agent(c, "1002");
    CC_CHECK_STR(a->call_id, "c1");
    CC_CHECK_STR(a->call_queue, "q");
    CC_CHECK_STR(a->caller, "555");
    CC_CHECK_INT(a->call_since_us, T0 + S(12));
    /* c2 moved to r: it waits there from the move */
    wb_event_t mv = {.kind = WB_EV_OVERFLOWED,
                     .ts_us = T0 + S(20),
                     .live = true,
                     .call_id = "c2",
                     .queue = "q",
                     .target = "r",
                     .wait_ms = 17000};
    CC_CHECK_INT(wb_core_apply(c, &mv), 0);
    CC_CHECK_INT(q->waiting, 0);
    CC_CHECK_INT(wb_core_queue(c, "r")->waiting, 1);
    CC_CHECK_INT(wb_core_call(c, "c2")->entered_us, T0 + S(20));
    wb_event_t pr = {.kind = WB_EV_PRIORITY,
                     .ts_us = T0 + S(21),
                     .live = true,
                     .call_id = "c2",
                     .queue = "r",
                     .priority = 9};
    CC_CHECK_INT(wb_core_apply(c, &pr), 0);
    CC_CHECK_INT(wb_core_call(c, "c2")->priority, 9);
    CC_CHECK_INT(s_ev(c, WB_EV_COMPLETED, T0 + S(60), "c1", "q", "1002", 48000), 0);
    CC_CHECK(!wb_core_call(c, "c1"));
    CC_CHECK_STR(a->call_id, "");
    const wb_changes_t *ch = wb_core_changes(c);
    bool removed = false;
    for (size_t i = 0; i < ch->ncalls; i++)
        removed |= !strcmp(ch->calls[i]->id, "c1") && ch->calls[i]->removed;
    CC_CHECK(removed);
    /* an event that is not live changes the figures only */
    wb_event_t old = {.kind = WB_EV_ENTERED,
                      .ts_us = T0 + S(61),
                      .live = false,
                      .call_id = "c9",
                      .queue = "q",
                      .caller = "1"};
    CC_CHECK_INT(wb_core_apply(c, &old), 0);
    CC_CHECK(!wb_core_call(c, "c9"));
    CC_CHECK_INT(q->today.offered, 3);
    wb_core_destroy(&c);
}

CC_TEST(wb_staff_counts_by_membership)
{
    wb_core_t *c = s_core();
    CC_CHECK_INT(s_state(c, "1001", WB_AGENT_LOGGED_OUT, WB_AGENT_READY, T0, 0, ""), 0);
    CC_CHECK_INT(s_state(c, "1002", WB_AGENT_LOGGED_OUT, WB_AGENT_NOT_READY, T0, 0, "lunch"), 0);
    CC_CHECK_INT(s_state(c, "1003", WB_AGENT_LOGGED_OUT, WB_AGENT_READY, T0, 0, ""), 0);
    wb_staff_t st;
    wb_queue_staff(wb_core_queue(c, "q"), &st);
    CC_CHECK_INT(st.logged_in, 2);
    CC_CHECK_INT(st.by_state[WB_AGENT_READY], 1);
    CC_CHECK_INT(st.by_state[WB_AGENT_NOT_READY], 1);
    wb_queue_staff(wb_core_queue(c, "r"), &st);
    CC_CHECK_INT(st.logged_in, 1);
    CC_CHECK_INT(st.by_state[WB_AGENT_READY], 0);
    /* a state change marks the agent's queues changed, not the others */
    wb_core_clear_changes(c);
    CC_CHECK_INT(s_state(c, "1001", WB_AGENT_READY, WB_AGENT_WRAP_UP, T0 + S(1), 1000, ""), 0);
    const wb_changes_t *ch = wb_core_changes(c);
    CC_CHECK_INT(ch->nqueues, 1);
    CC_CHECK_STR(ch->queues[0]->name, "q");
    CC_CHECK_INT(ch->nagents, 1);
    wb_core_destroy(&c);
}

CC_TEST(wb_snapshot_replaces_the_live_board)
{
    wb_core_t *c = s_core();
    CC_CHECK_INT(s_ev(c, WB_EV_ENTERED, T0, "gone", "q", NULL, 0), 0);
    CC_CHECK_INT(s_ev(c, WB_EV_ENTERED, T0, "stays", "q", NULL, 0), 0);
    wb_core_clear_changes(c);
    wb_core_live_begin(c);
    wb_call_t talking = {.id = "stays",
                         .queue = "q",
                         .caller = "777",
                         .state = WB_CALL_TALKING,
                         .agent = "1001",
                         .entered_us = T0,
                         .answered_us = T0 + S(2)};
    CC_CHECK_INT(wb_core_live_call(c, &talking), 0);
    CC_CHECK_INT(wb_core_live_agent(c, "1001", WB_AGENT_ON_CALL, "", T0 + S(2), "stays"), 0);
    wb_core_live_end(c);
    CC_CHECK(wb_core_changes(c)->reset);
    CC_CHECK(!wb_core_call(c, "gone"));
    CC_CHECK_INT(wb_core_queue(c, "q")->waiting, 0);
    const wb_agent_t *a = wb_core_agent(c, "1001");
    CC_CHECK_STR(a->caller, "777");
    CC_CHECK_INT(a->call_since_us, T0 + S(2));
    wb_core_destroy(&c);
}

CC_TEST(wb_callbacks_and_abandoned_list)
{
    wb_core_t *c = s_core();
    CC_CHECK_INT(s_ev(c, WB_EV_ENTERED, T0, "c1", "q", NULL, 0), 0);
    CC_CHECK_INT(s_ev(c, WB_EV_ABANDONED, T0 + S(9), "c1", "q", NULL, 9000), 0);
    size_t n;
    const wb_abandoned_t *ab = wb_core_abandoned(c, &n);
    CC_CHECK_INT(n, 1);
    CC_CHECK_STR(ab[0].caller, "555");
    CC_CHECK_INT(ab[0].wait_ms, 9000);
    CC_CHECK(!ab[0].called_back);
    wb_event_t req = {.kind = WB_EV_CALLBACK_REQUESTED,
                      .ts_us = T0 + S(30),
                      .live = true,
                      .call_id = "cb1",
                      .queue = "q",
                      .caller = "555"};
    CC_CHECK_INT(wb_core_apply(c, &req), 0);
    CC_CHECK_INT(wb_core_apply(c, &req), 0);
    ab = wb_core_abandoned(c, &n);
    CC_CHECK(ab[0].called_back);
    CC_CHECK_INT(wb_core_queue(c, "q")->today.callbacks_pending, 1);
    CC_CHECK_INT(wb_core_call(c, "cb1")->state, WB_CALL_CALLBACK);
    CC_CHECK_INT(wb_core_queue(c, "q")->waiting, 0); /* nobody on the line */
    wb_event_t done = {.kind = WB_EV_CALLBACK_DONE,
                       .ts_us = T0 + S(90),
                       .live = true,
                       .call_id = "cb1",
                       .queue = "q",
                       .result = "retry"};
    CC_CHECK_INT(wb_core_apply(c, &done), 0);
    CC_CHECK_INT(wb_core_queue(c, "q")->today.callbacks_pending, 1);
    done.result = "failed";
    CC_CHECK_INT(wb_core_apply(c, &done), 0);
    CC_CHECK_INT(wb_core_queue(c, "q")->today.callbacks_pending, 0);
    CC_CHECK(!wb_core_call(c, "cb1"));
    wb_core_destroy(&c);
}

CC_TEST(wb_alerts_raise_and_clear)
{
    wb_core_t *c = s_core();
    wb_rules_t strict = {
        .sl_target_pct = 90, .max_wait_s = 30, .max_call_s = 60, .max_not_ready_s = 120};
    CC_CHECK_INT(wb_core_rules_set(c, "q", &strict), 0);
    CC_CHECK_INT(s_ev(c, WB_EV_ENTERED, T0, "c1", "q", NULL, 0), 0);
    CC_CHECK_INT(s_state(c, "1001", WB_AGENT_READY, WB_AGENT_NOT_READY, T0, 0, "break"), 0);
    wb_core_clear_changes(c);
    wb_core_check_alerts(c, T0 + S(29));
    CC_CHECK_INT(wb_core_changes(c)->nalerts, 0);
    wb_core_check_alerts(c, T0 + S(30) + 30000); /* 30.03 s: just past the limit */
    const wb_changes_t *ch = wb_core_changes(c);
    CC_CHECK_INT(ch->nalerts, 1);
    CC_CHECK_INT(ch->alerts[0].kind, WB_ALERT_WAIT_LONG);
    CC_CHECK_STR(ch->alerts[0].queue, "q");
    CC_CHECK(ch->alerts[0].active);
    CC_CHECK_INT((int)ch->alerts[0].threshold, 30);
    CC_CHECK(ch->alerts[0].value > ch->alerts[0].threshold); /* reads 30.1, not 30.0 */
    wb_core_clear_changes(c);
    wb_core_check_alerts(c, T0 + S(40)); /* still on: no new change */
    CC_CHECK_INT(wb_core_changes(c)->nalerts, 0);
    CC_CHECK_INT(s_ev(c, WB_EV_ANSWERED, T0 + S(41), "c1", "q", "1002", 41000), 0);
    wb_core_check_alerts(c, T0 + S(42));
    ch = wb_core_changes(c);
    /* the wait alert clears; the answer out of the threshold makes the service level 0 % */
    bool cleared = false, sl = false;
    for (size_t i = 0; i < ch->nalerts; i++) {
        cleared |= ch->alerts[i].kind == WB_ALERT_WAIT_LONG && !ch->alerts[i].active;
        sl |= ch->alerts[i].kind == WB_ALERT_SL_LOW && ch->alerts[i].active;
    }
    CC_CHECK(cleared);
    CC_CHECK(sl);
    wb_core_clear_changes(c);
    wb_core_check_alerts(c, T0 + S(121)); /* 1001 paused 121 s > 120 (q's rule) */
    ch = wb_core_changes(c);
    CC_CHECK_INT(ch->nalerts, 1);
    CC_CHECK_INT(ch->alerts[0].kind, WB_ALERT_NOT_READY_LONG);
    CC_CHECK_STR(ch->alerts[0].agent, "1001");
    size_t n;
    wb_core_alerts(c, &n);
    CC_CHECK_INT(n, 2);
    wb_core_destroy(&c);
}

CC_TEST(wb_names_parse)
{
    wb_agent_state_t st;
    CC_CHECK_INT(wb_agent_state_parse("wrap_up", &st), 0);
    CC_CHECK_INT(st, WB_AGENT_WRAP_UP);
    CC_CHECK_INT(wb_agent_state_parse("bogus", &st), -1);
    wb_sl_formula_t f;
    CC_CHECK_INT(wb_sl_formula_parse("offered", &f), 0);
    CC_CHECK_STR(wb_sl_formula_name(f), "offered");
    CC_CHECK_INT(wb_sl_formula_parse("", &f), -1);
}
