/* acd_step.c - one event into the ACD core and its actions carried out: each action is
 * dispatched to the file of its concern (acd_waiting.c, acd_offer.c, acd_callback.c) in
 * its own call's log context, the offers of a step go out once it is done, and a cc_loop
 * timer ticks the core at its next deadline. The calls themselves are acd_calltable.c's. */
#include <stdio.h>

#include "acd_app.h"
#include "cc_log.h"

/* Each action is about its own call, whatever event caused it (an agent's logout may
 * requeue another call): the log context follows the action, then comes back. */
static void s_run_actions(acd_app_t *app, const acd_actions_t *out)
{
    cc_log_call_saved_t handling;
    cc_log_enter_call(&handling, cc_log_call());
    for (size_t i = 0; i < out->count; i++) {
        const acd_action_t *a = &out->items[i];
        cc_log_set_call(a->call_id[0] ? a->call_id : handling.id);
        switch (a->kind) {
        case ACD_ACT_OFFER:
            acd_act_offer(app, a);
            break;
        case ACD_ACT_CANCEL_OFFER:
            acd_act_cancel(app, a);
            break;
        case ACD_ACT_CONNECT:
            acd_act_connect(app, a);
            break;
        case ACD_ACT_AGENT_STATE:
            acd_act_agent_state(app, a);
            break;
        case ACD_ACT_OVERFLOW:
            acd_act_overflow(app, a);
            break;
        case ACD_ACT_ABANDONED:
            acd_act_abandoned(app, a);
            break;
        case ACD_ACT_ANNOUNCE:
            acd_act_announce(app, a);
            break;
        }
    }
    cc_log_leave_call(&handling);
}

static void s_on_timer(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    acd_app_t *app = arg;
    if (timer_id == app->timer_id) {
        app->timer_id = 0;
        app->timer_at = 0;
    }
    acd_event_t ev = {.kind = ACD_EV_TICK};
    acd_app_step(app, &ev);
    acd_calls_sweep(app);
}

static void s_arm_timer(acd_app_t *app)
{
    int64_t next = acd_core_next_timer_ms(app->core);
    if (next == app->timer_at && app->timer_id > 0)
        return;
    if (app->timer_id > 0)
        cc_loop_timer_cancel(app->d->loop, app->timer_id);
    app->timer_id = 0;
    app->timer_at = 0;
    if (next == INT64_MAX)
        return;
    int64_t delay = next - acd_now_ms();
    app->timer_id =
        cc_loop_timer_add(app->d->loop, (uint64_t)(delay > 0 ? delay : 0), 0, s_on_timer, app);
    app->timer_at = next;
}

int acd_app_step(acd_app_t *app, acd_event_t *ev)
{
    /* Carrying out actions may step again (a callback overflow re-enqueues): a nested
     * step gets a buffer of its own, and offers go out once the outermost step is done. */
    acd_actions_t nested, *out = &app->out;
    if (app->depth > 0) {
        acd_actions_init(&nested);
        out = &nested;
    }
    ev->now_ms = acd_now_ms();
    app->depth++;
    int rc = acd_core_step(app->core, ev, out);
    app->steps++;
    s_run_actions(app, out);
    app->depth--;
    if (out != &app->out)
        acd_actions_free(out);
    if (app->depth == 0) {
        app->out.count = 0;
        acd_offers_send(app);
        s_arm_timer(app);
    }
    return rc;
}
