/* wb_apply.c - one acdd event into the wallboard core: today's figures (idempotent, keyed
 * as the reports' rows are: a call in a queue, an agent's completion of a call, an
 * agent's state change) and, for live events, the calls and agents on the board. */
#include "wb_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- today: one record per call and queue, counted as v_queue_stats_daily counts --- */

typedef enum {
    S_OPEN = 0,
    S_ANSWERED,
    S_ABANDONED,
    S_OVERFLOWED
} s_outcome_t;

static s_outcome_t s_outcome(const wb_day_t *d)
{
    return d->answered     ? S_ANSWERED
           : d->abandoned  ? S_ABANDONED
           : d->overflowed ? S_OVERFLOWED
                           : S_OPEN;
}

/* Add (sign 1) or take away (-1) a record's share of its queue's figures. Only calls that
 * entered the queue today count: the views group by the day of entry. */
static void s_count(wb_today_t *t, const wb_day_t *d, int sign)
{
    if (!d->entered)
        return;
    t->offered += (uint32_t)sign;
    switch (s_outcome(d)) {
    case S_ANSWERED:
        t->answered += (uint32_t)sign;
        t->answer_wait_ms += sign * d->answer_wait_ms;
        t->answered_in_sl += d->in_sl ? (uint32_t)sign : 0;
        break;
    case S_ABANDONED:
        t->abandoned += (uint32_t)sign;
        t->abandoned_in_sl += d->abandoned_in_sl ? (uint32_t)sign : 0;
        break;
    case S_OVERFLOWED:
        t->overflowed += (uint32_t)sign;
        break;
    case S_OPEN:
        break;
    }
}

static wb_day_t *s_day(wb_core_t *core, const char *call_id, const char *queue)
{
    char key[WB_ID_MAX + WB_NAME_MAX + 4];
    snprintf(key, sizeof key, "%s\x1f%s", call_id, queue);
    wb_day_t *d = cc_map_get(core->day, key);
    if (!d && (d = calloc(1, sizeof *d)) && cc_map_insert(core->day, key, d) != 0) {
        free(d);
        d = NULL;
    }
    return d;
}

typedef enum {
    S_SET_ENTERED,
    S_SET_ANSWERED,
    S_SET_ABANDONED,
    S_SET_OVERFLOWED
} s_set_t;

/* Set one flag of a call's record in a queue, keeping the queue's figures in step. */
static int s_day_set(wb_core_t *core, const char *call_id, const char *queue, s_set_t what,
                     const wb_event_t *ev)
{
    wb_queue_t *q = wb_queue_get(core, queue);
    wb_day_t *d = q ? s_day(core, call_id, queue) : NULL;
    if (!d)
        return -ENOMEM;
    s_count(&q->today, d, -1);
    switch (what) {
    case S_SET_ENTERED:
        d->entered = true;
        break;
    case S_SET_ANSWERED:
        if (!d->answered) {
            d->answered = true;
            d->answer_wait_ms = ev->wait_ms;
            d->in_sl = ev->in_sl;
        }
        break;
    case S_SET_ABANDONED:
        if (!d->abandoned) {
            d->abandoned = true;
            d->abandoned_in_sl = ev->wait_ms <= (int64_t)q->sl_threshold_s * 1000;
        }
        break;
    case S_SET_OVERFLOWED:
        d->overflowed = true;
        break;
    }
    s_count(&q->today, d, 1);
    wb_touch_queue(core, q);
    return 0;
}

static bool s_entered_today(wb_core_t *core, const char *call_id, const char *queue)
{
    char key[WB_ID_MAX + WB_NAME_MAX + 4];
    snprintf(key, sizeof key, "%s\x1f%s", call_id, queue);
    const wb_day_t *d = cc_map_get(core->day, key);
    return d && d->entered;
}

static int s_abandoned_add(wb_core_t *core, const wb_event_t *ev)
{
    for (size_t i = 0; i < core->nabandoned; i++)
        if (!strcmp(core->abandoned[i].call_id, ev->call_id) &&
            !strcmp(core->abandoned[i].queue, ev->queue))
            return 0;
    if (wb_grow((void **)&core->abandoned, &core->abandoned_cap, core->nabandoned,
                sizeof *core->abandoned))
        return -ENOMEM;
    wb_abandoned_t *a = &core->abandoned[core->nabandoned];
    memset(a, 0, sizeof *a);
    wb_copy(a->call_id, sizeof a->call_id, ev->call_id);
    wb_copy(a->queue, sizeof a->queue, ev->queue);
    const wb_call_t *c = cc_map_get(core->calls_by_id, ev->call_id);
    wb_copy(a->caller, sizeof a->caller,
            ev->caller && *ev->caller ? ev->caller
            : c                       ? c->caller
                                      : "");
    a->wait_ms = ev->wait_ms;
    a->at_us = ev->ts_us;
    wb_touch_abandoned(core, core->nabandoned++);
    return 0;
}

static void s_abandoned_called_back(wb_core_t *core, const char *queue, const char *number)
{
    for (size_t i = 0; number && i < core->nabandoned; i++) {
        wb_abandoned_t *a = &core->abandoned[i];
        if (!a->called_back && !strcmp(a->queue, queue) && !strcmp(a->caller, number)) {
            a->called_back = true;
            wb_touch_abandoned(core, i);
        }
    }
}

static int s_today(wb_core_t *core, const wb_event_t *ev)
{
    if (!wb_today(core, ev->ts_us))
        return 0;
    switch (ev->kind) {
    case WB_EV_ENTERED:
        return ev->restored ? 0 : s_day_set(core, ev->call_id, ev->queue, S_SET_ENTERED, ev);
    case WB_EV_ANSWERED:
        return s_day_set(core, ev->call_id, ev->queue, S_SET_ANSWERED, ev);
    case WB_EV_ABANDONED: {
        int rc = s_day_set(core, ev->call_id, ev->queue, S_SET_ABANDONED, ev);
        if (rc == 0 && s_entered_today(core, ev->call_id, ev->queue))
            rc = s_abandoned_add(core, ev);
        return rc;
    }
    case WB_EV_OVERFLOWED: {
        int rc = s_day_set(core, ev->call_id, ev->queue, S_SET_OVERFLOWED, ev);
        if (rc == 0 && ev->target && *ev->target) /* it entered the queue it moved to */
            rc = s_day_set(core, ev->call_id, ev->target, S_SET_ENTERED, ev);
        return rc;
    }
    default:
        return 0;
    }
}

/* A completion counts once for its queue (handled, talk) and its agent (calls, talk), and
 * makes that queue the one the agent's next wrap-up belongs to. */
static int s_completed(wb_core_t *core, const wb_event_t *ev)
{
    wb_agent_t *a = wb_agent_get(core, ev->agent);
    wb_queue_t *q = wb_queue_get(core, ev->queue);
    if (!a || !q)
        return -ENOMEM;
    wb_copy(a->last_queue, sizeof a->last_queue, ev->queue);
    if (!wb_today(core, ev->ts_us) || !wb_first(core, ev->call_id, ev->agent))
        return 0;
    q->today.handled++;
    q->today.talk_ms += ev->talk_ms;
    a->calls_today++;
    a->talk_ms_today += ev->talk_ms;
    wb_touch_queue(core, q);
    wb_touch_agent(core, a);
    return 0;
}

/* An agent's state change: the end of a wrap-up adds its length to the queue of the call
 * the agent finished last (once per change: agent and time identify it). */
static int s_state_today(wb_core_t *core, const wb_event_t *ev)
{
    wb_agent_t *a = wb_agent_get(core, ev->agent);
    if (!a)
        return -ENOMEM;
    char since[32];
    snprintf(since, sizeof since, "%lld", (long long)(ev->since_us / 1000));
    if (!wb_today(core, ev->since_us) || !wb_first(core, ev->agent, since))
        return 0;
    if (ev->previous == WB_AGENT_WRAP_UP && a->last_queue[0]) {
        wb_queue_t *q = wb_queue_get(core, a->last_queue);
        if (q) {
            q->today.wrap_ms += ev->previous_ms;
            wb_touch_queue(core, q);
        }
    }
    return 0;
}

static void s_callback_pending(wb_core_t *core, const wb_event_t *ev, bool pending)
{
    char *had = cc_map_get(core->callbacks, ev->call_id);
    if (pending == (had != NULL))
        return;
    const char *qname = pending ? ev->queue : had;
    wb_queue_t *q = wb_queue_get(core, qname);
    if (!q)
        return;
    if (pending) {
        char *copy = strdup(ev->queue);
        if (!copy || cc_map_insert(core->callbacks, ev->call_id, copy) != 0) {
            free(copy);
            return;
        }
        q->today.callbacks_pending++;
    } else {
        if (q->today.callbacks_pending > 0)
            q->today.callbacks_pending--;
        cc_map_delete(core->callbacks, ev->call_id);
    }
    wb_touch_queue(core, q);
}

/* ---- live: the calls and agents on the board ------------------------------------------- */

static void s_agent_call_clear(wb_core_t *core, const char *ext, const char *call_id)
{
    wb_agent_t *a = wb_core_agent(core, ext);
    if (!a || (call_id && strcmp(a->call_id, call_id) != 0))
        return;
    a->call_id[0] = a->call_queue[0] = a->caller[0] = '\0';
    a->call_since_us = 0;
    wb_touch_agent(core, a);
}

static wb_call_t *s_live_call(wb_core_t *core, const wb_event_t *ev)
{
    bool created;
    wb_call_t *c = wb_call_get(core, ev->call_id, &created);
    if (c && created) {
        wb_copy(c->queue, sizeof c->queue, ev->queue);
        c->entered_us = ev->ts_us;
    }
    if (c && ev->caller && *ev->caller)
        wb_copy(c->caller, sizeof c->caller, ev->caller);
    return c;
}

static void s_live_answered(wb_core_t *core, wb_call_t *c, const wb_event_t *ev)
{
    c->state = WB_CALL_TALKING;
    c->offers = 0;
    wb_copy(c->agent, sizeof c->agent, ev->agent);
    c->answered_us = ev->ts_us;
    wb_agent_t *a = wb_agent_get(core, ev->agent);
    if (a) {
        wb_copy(a->call_id, sizeof a->call_id, c->id);
        wb_copy(a->call_queue, sizeof a->call_queue, c->queue);
        wb_copy(a->caller, sizeof a->caller, c->caller);
        a->call_since_us = ev->ts_us;
        wb_touch_agent(core, a);
    }
}

static void s_live_overflowed(wb_core_t *core, wb_call_t *c, const wb_event_t *ev)
{
    if (!ev->target || !*ev->target) {
        wb_call_remove(core, c);
        return;
    }
    wb_queue_t *from = wb_core_queue(core, c->queue);
    wb_copy(c->queue, sizeof c->queue, ev->target);
    c->entered_us = ev->ts_us;
    c->state = WB_CALL_WAITING;
    c->offers = 0;
    c->agent[0] = '\0';
    if (from)
        wb_recount(core, from);
    wb_queue_get(core, ev->target);
}

static void s_live_callback(wb_core_t *core, wb_call_t *c, const wb_event_t *ev)
{
    if (ev->kind == WB_EV_CALLBACK_REQUESTED) {
        c->state = WB_CALL_CALLBACK;
        c->offers = 0;
    } else if (ev->kind == WB_EV_CALLBACK_ATTEMPT) {
        wb_copy(c->agent, sizeof c->agent, ev->agent);
    } else if (ev->result && !strcmp(ev->result, "failed")) {
        wb_call_remove(core, c);
    } else if (ev->result && !strcmp(ev->result, "retry")) {
        c->state = WB_CALL_CALLBACK;
        c->agent[0] = '\0';
    }
    (void)core;
}

/* Events that end or step back a call do not bring an unknown one onto the board. */
static bool s_creates(const wb_event_t *ev)
{
    switch (ev->kind) {
    case WB_EV_ABANDONED:
    case WB_EV_COMPLETED:
    case WB_EV_OFFER_FAILED:
    case WB_EV_CALLBACK_DONE:
        return false;
    case WB_EV_OVERFLOWED:
        return ev->target && *ev->target;
    default:
        return true;
    }
}

static int s_live(wb_core_t *core, const wb_event_t *ev)
{
    wb_call_t *c = s_creates(ev) ? s_live_call(core, ev) : wb_core_call(core, ev->call_id);
    if (!c) {
        if (ev->kind == WB_EV_COMPLETED)
            s_agent_call_clear(core, ev->agent, ev->call_id);
        return s_creates(ev) ? -ENOMEM : 0;
    }
    switch (ev->kind) {
    case WB_EV_ENTERED:
        if (!ev->restored && (strcmp(c->queue, ev->queue) != 0 ||
                              c->state == WB_CALL_TALKING)) { /* handed over again */
            wb_queue_t *from = wb_core_queue(core, c->queue);
            wb_copy(c->queue, sizeof c->queue, ev->queue);
            c->entered_us = ev->ts_us;
            if (from)
                wb_recount(core, from);
        }
        if (c->state != WB_CALL_CALLBACK) {
            c->state = WB_CALL_WAITING;
            c->offers = 0;
            c->agent[0] = '\0';
        }
        c->priority = ev->priority;
        break;
    case WB_EV_OFFERED:
        if (c->state != WB_CALL_CALLBACK)
            c->state = WB_CALL_RINGING;
        c->offers++;
        wb_copy(c->agent, sizeof c->agent, ev->agent);
        break;
    case WB_EV_OFFER_FAILED:
        if (c->offers > 0)
            c->offers--;
        if (c->offers == 0 && c->state == WB_CALL_RINGING) {
            c->state = WB_CALL_WAITING;
            c->agent[0] = '\0';
        }
        break;
    case WB_EV_ANSWERED:
        s_live_answered(core, c, ev);
        break;
    case WB_EV_ABANDONED:
        wb_call_remove(core, c);
        break;
    case WB_EV_OVERFLOWED:
        s_live_overflowed(core, c, ev);
        break;
    case WB_EV_COMPLETED:
        s_agent_call_clear(core, ev->agent, c->id);
        wb_call_remove(core, c);
        break;
    case WB_EV_PRIORITY:
        c->priority = ev->priority;
        break;
    default:
        s_live_callback(core, c, ev);
        break;
    }
    wb_touch_call(core, c);
    wb_queue_t *q = wb_queue_get(core, c->queue);
    if (q)
        wb_recount(core, q);
    return 0;
}

static int s_live_agent(wb_core_t *core, const wb_event_t *ev)
{
    wb_agent_t *a = wb_agent_get(core, ev->agent);
    if (!a)
        return -ENOMEM;
    a->state = ev->state;
    wb_copy(a->reason, sizeof a->reason, ev->reason);
    a->since_us = ev->since_us;
    if (ev->state != WB_AGENT_ON_CALL)
        s_agent_call_clear(core, a->ext, NULL);
    wb_touch_agent(core, a);
    return 0;
}

/* ---- entry ----------------------------------------------------------------------------- */

static bool s_valid(const wb_event_t *ev)
{
    if (ev->kind == WB_EV_AGENT_STATE)
        return ev->agent && *ev->agent;
    if (!ev->call_id || !*ev->call_id || !ev->queue || !*ev->queue)
        return false;
    switch (ev->kind) {
    case WB_EV_OFFERED:
    case WB_EV_OFFER_FAILED:
    case WB_EV_ANSWERED:
    case WB_EV_COMPLETED:
    case WB_EV_CALLBACK_ATTEMPT:
        return ev->agent && *ev->agent;
    default:
        return true;
    }
}

int wb_core_apply(wb_core_t *self, const wb_event_t *ev)
{
    if (!ev || !s_valid(ev))
        return -EINVAL;
    int rc = 0;
    switch (ev->kind) {
    case WB_EV_AGENT_STATE:
        rc = s_state_today(self, ev);
        if (rc == 0 && ev->live)
            rc = s_live_agent(self, ev);
        return rc;
    case WB_EV_COMPLETED:
        rc = s_completed(self, ev);
        break;
    case WB_EV_CALLBACK_REQUESTED:
        s_callback_pending(self, ev, true);
        s_abandoned_called_back(self, ev->queue, ev->caller);
        break;
    case WB_EV_CALLBACK_DONE:
        if (ev->result && strcmp(ev->result, "retry") != 0)
            s_callback_pending(self, ev, false);
        break;
    default:
        rc = s_today(self, ev);
    }
    if (rc == 0 && ev->live)
        rc = s_live(self, ev);
    return rc;
}
