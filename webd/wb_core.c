/* wb_core.c - the wallboard core's objects: queues, agents and live calls, their
 * configuration (thresholds, rules, memberships), the centre's day, the change log the
 * live streams are fed from, and the live snapshot taken from acdd. Events are applied in
 * wb_apply.c, alerts in wb_alerts.c, derived figures in wb_figures.c. */
#include "wb_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char s_mark; /* value of marker entries */

void wb_copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

int wb_grow(void **array, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *n = realloc(*array, ncap * size);
    if (!n)
        return -ENOMEM;
    *array = n;
    *cap = ncap;
    return 0;
}

wb_core_t *wb_core_new(wb_sl_formula_t formula, wb_rules_t default_rules)
{
    wb_core_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->formula = formula;
    self->default_rules = default_rules;
    self->queues = calloc(WB_QUEUES_MAX, sizeof *self->queues);
    self->queues_by_name = cc_map_new(NULL);
    self->agents_by_ext = cc_map_new(free);
    self->calls_by_id = cc_map_new(NULL);
    self->day = cc_map_new(free);
    self->seen = cc_map_new(NULL);
    self->callbacks = cc_map_new(free);
    if (!self->queues || !self->queues_by_name || !self->agents_by_ext || !self->calls_by_id ||
        !self->day || !self->seen || !self->callbacks)
        wb_core_destroy(&self);
    return self;
}

void wb_core_destroy(wb_core_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wb_core_t *self = *self_p;
    for (size_t i = 0; self->queues && i < self->nqueues; i++) {
        free(self->queues[i]->members);
        free(self->queues[i]);
    }
    free(self->queues);
    for (size_t i = 0; i < self->ncalls; i++)
        free(self->calls[i]);
    free(self->calls);
    free(self->agents);
    cc_map_destroy(&self->queues_by_name);
    cc_map_destroy(&self->agents_by_ext);
    cc_map_destroy(&self->calls_by_id);
    cc_map_destroy(&self->day);
    cc_map_destroy(&self->seen);
    cc_map_destroy(&self->callbacks);
    free(self->abandoned);
    free(self->alerts);
    free(self->ch.queues);
    free(self->ch.agents);
    free(self->ch.calls);
    free(self->ch.abandoned);
    free(self->ch.alerts);
    free(self);
    *self_p = NULL;
}

/* ---- objects ------------------------------------------------------------------------- */

wb_queue_t *wb_queue_get(wb_core_t *core, const char *name)
{
    if (!name || !*name)
        return NULL;
    wb_queue_t *q = cc_map_get(core->queues_by_name, name);
    if (q || core->nqueues >= WB_QUEUES_MAX)
        return q;
    q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    wb_copy(q->name, sizeof q->name, name);
    q->idx = (int)core->nqueues;
    q->sl_threshold_s = 20;
    q->rules = core->default_rules;
    if (cc_map_insert(core->queues_by_name, q->name, q) != 0) {
        free(q);
        return NULL;
    }
    core->queues[core->nqueues++] = q;
    wb_touch_queue(core, q);
    return q;
}

wb_agent_t *wb_agent_get(wb_core_t *core, const char *ext)
{
    if (!ext || !*ext)
        return NULL;
    wb_agent_t *a = cc_map_get(core->agents_by_ext, ext);
    if (a)
        return a;
    if (wb_grow((void **)&core->agents, &core->agents_cap, core->nagents, sizeof *core->agents))
        return NULL;
    a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    wb_copy(a->ext, sizeof a->ext, ext);
    if (cc_map_insert(core->agents_by_ext, a->ext, a) != 0) {
        free(a);
        return NULL;
    }
    core->agents[core->nagents++] = a;
    wb_touch_agent(core, a);
    return a;
}

wb_call_t *wb_call_get(wb_core_t *core, const char *id, bool *created)
{
    *created = false;
    if (!id || !*id)
        return NULL;
    wb_call_t *c = cc_map_get(core->calls_by_id, id);
    if (c)
        return c;
    if (wb_grow((void **)&core->calls, &core->calls_cap, core->ncalls, sizeof *core->calls))
        return NULL;
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    wb_copy(c->id, sizeof c->id, id);
    if (cc_map_insert(core->calls_by_id, c->id, c) != 0) {
        free(c);
        return NULL;
    }
    core->calls[core->ncalls++] = c;
    *created = true;
    return c;
}

void wb_call_remove(wb_core_t *core, wb_call_t *call)
{
    if (call->removed)
        return;
    call->removed = true;
    cc_map_take(core->calls_by_id, call->id);
    wb_touch_call(core, call);
    wb_queue_t *q = cc_map_get(core->queues_by_name, call->queue);
    if (q)
        wb_recount(core, q);
}

void wb_recount(wb_core_t *core, wb_queue_t *q)
{
    unsigned waiting = 0;
    int64_t oldest = 0;
    for (size_t i = 0; i < core->ncalls; i++) {
        const wb_call_t *c = core->calls[i];
        if (c->removed || c->state != WB_CALL_WAITING || strcmp(c->queue, q->name) != 0)
            continue;
        waiting++;
        if (!oldest || c->entered_us < oldest)
            oldest = c->entered_us;
    }
    if (waiting != q->waiting || oldest != q->oldest_us) {
        q->waiting = waiting;
        q->oldest_us = oldest;
        wb_touch_queue(core, q);
    }
}

/* ---- the change log ------------------------------------------------------------------ */

void wb_touch_queue(wb_core_t *core, wb_queue_t *q)
{
    if (q->dirty || wb_grow((void **)&core->ch.queues, &core->ch_queues_cap, core->ch.nqueues,
                            sizeof *core->ch.queues))
        return;
    q->dirty = true;
    core->ch.queues[core->ch.nqueues++] = q;
}

int wb_core_agent_monitor(wb_core_t *self, const char *ext, const char *by, const char *mode)
{
    wb_agent_t *a = wb_core_agent(self, ext);
    if (!a)
        return -1;
    snprintf(a->monitored_by, sizeof a->monitored_by, "%s", mode && by ? by : "");
    snprintf(a->monitor_mode, sizeof a->monitor_mode, "%s", mode ? mode : "");
    wb_touch_agent(self, a);
    return 0;
}

void wb_touch_agent(wb_core_t *core, wb_agent_t *a)
{
    if (!a->dirty && !wb_grow((void **)&core->ch.agents, &core->ch_agents_cap, core->ch.nagents,
                              sizeof *core->ch.agents)) {
        a->dirty = true;
        core->ch.agents[core->ch.nagents++] = a;
    }
    for (size_t i = 0; i < core->nqueues; i++) /* its staff counts changed */
        if (wb_qset_has(&a->queues, (int)i))
            wb_touch_queue(core, core->queues[i]);
}

void wb_touch_call(wb_core_t *core, wb_call_t *call)
{
    if (!call->dirty && !wb_grow((void **)&core->ch.calls, &core->ch_calls_cap, core->ch.ncalls,
                                 sizeof *core->ch.calls)) {
        call->dirty = true;
        core->ch.calls[core->ch.ncalls++] = call;
    }
}

void wb_touch_abandoned(wb_core_t *core, size_t index)
{
    for (size_t i = 0; i < core->ch.nabandoned; i++)
        if (core->ch.abandoned[i] == index)
            return;
    if (!wb_grow((void **)&core->ch.abandoned, &core->ch_ab_cap, core->ch.nabandoned,
                 sizeof *core->ch.abandoned))
        core->ch.abandoned[core->ch.nabandoned++] = index;
}

void wb_note_alert(wb_core_t *core, const wb_alert_t *alert)
{
    if (!wb_grow((void **)&core->ch.alerts, &core->ch_alerts_cap, core->ch.nalerts,
                 sizeof *core->ch.alerts))
        core->ch.alerts[core->ch.nalerts++] = *alert;
}

const wb_changes_t *wb_core_changes(const wb_core_t *self)
{
    return &self->ch;
}

void wb_core_mark_reset(wb_core_t *self)
{
    self->ch.reset = true;
}

void wb_core_clear_changes(wb_core_t *self)
{
    for (size_t i = 0; i < self->ch.nqueues; i++)
        self->ch.queues[i]->dirty = false;
    for (size_t i = 0; i < self->ch.nagents; i++)
        self->ch.agents[i]->dirty = false;
    self->ch.nqueues = self->ch.nagents = self->ch.ncalls = 0;
    self->ch.nabandoned = self->ch.nalerts = 0;
    self->ch.reset = false;
    /* removed calls go now that nobody will render them any more */
    size_t kept = 0;
    for (size_t i = 0; i < self->ncalls; i++) {
        wb_call_t *c = self->calls[i];
        c->dirty = false;
        if (c->removed)
            free(c);
        else
            self->calls[kept++] = c;
    }
    self->ncalls = kept;
}

/* ---- configuration and the day ------------------------------------------------------- */

bool wb_today(const wb_core_t *core, int64_t ts_us)
{
    return ts_us >= core->day_start && ts_us < core->day_end;
}

int64_t wb_core_day_start(const wb_core_t *self)
{
    return self->day_start;
}

bool wb_first(wb_core_t *core, const char *a, const char *b)
{
    char key[WB_ID_MAX + WB_NAME_MAX + 4];
    snprintf(key, sizeof key, "%s\x1f%s", a ? a : "", b ? b : "");
    if (cc_map_has(core->seen, key))
        return false;
    cc_map_insert(core->seen, key, &s_mark);
    return true;
}

void wb_core_set_day(wb_core_t *self, int64_t start_us, int64_t end_us)
{
    bool same = start_us == self->day_start;
    self->day_end = end_us;
    if (same)
        return;
    self->day_start = start_us;
    for (size_t i = 0; i < self->nqueues; i++) {
        uint32_t pending = self->queues[i]->today.callbacks_pending; /* not a daily figure */
        memset(&self->queues[i]->today, 0, sizeof self->queues[i]->today);
        self->queues[i]->today.callbacks_pending = pending;
        wb_touch_queue(self, self->queues[i]);
    }
    for (size_t i = 0; i < self->nagents; i++) {
        self->agents[i]->calls_today = 0;
        self->agents[i]->talk_ms_today = 0;
        wb_touch_agent(self, self->agents[i]);
    }
    cc_map_clear(self->day);
    cc_map_clear(self->seen);
    self->nabandoned = 0;
    self->ch.nabandoned = 0;
    self->ch.reset = true;
}

int wb_core_queue_set(wb_core_t *self, const char *name, int sl_threshold_s)
{
    wb_queue_t *q = wb_queue_get(self, name);
    if (!q)
        return self->nqueues >= WB_QUEUES_MAX ? -ENOSPC : -ENOMEM;
    q->configured = true;
    if (q->sl_threshold_s != sl_threshold_s) {
        q->sl_threshold_s = sl_threshold_s;
        wb_touch_queue(self, q);
    }
    return 0;
}

const wb_rules_t *wb_rules_of(const wb_core_t *core, const char *queue)
{
    const wb_queue_t *q = queue ? cc_map_get(core->queues_by_name, queue) : NULL;
    return q ? &q->rules : &core->default_rules;
}

int wb_core_rules_set(wb_core_t *self, const char *queue, const wb_rules_t *rules)
{
    wb_queue_t *q = wb_queue_get(self, queue);
    if (!q)
        return -ENOMEM;
    q->rules = rules ? *rules : self->default_rules;
    wb_touch_queue(self, q);
    return 0;
}

int wb_core_agent_set(wb_core_t *self, const char *ext, const char *name)
{
    wb_agent_t *a = wb_agent_get(self, ext);
    if (!a)
        return -ENOMEM;
    if (strcmp(a->name, name ? name : "") != 0) {
        wb_copy(a->name, sizeof a->name, name);
        wb_touch_agent(self, a);
    }
    return 0;
}

int wb_core_members_set(wb_core_t *self, const char *queue, const char *const *exts, size_t n)
{
    wb_queue_t *q = wb_queue_get(self, queue);
    if (!q)
        return -ENOMEM;
    for (size_t i = 0; i < q->nmembers; i++) {
        q->members[i]->queues.w[q->idx / 64] &= ~(1ull << (q->idx % 64));
        wb_touch_agent(self, q->members[i]);
    }
    q->nmembers = 0;
    for (size_t i = 0; i < n; i++) {
        wb_agent_t *a = wb_agent_get(self, exts[i]);
        if (!a || wb_grow((void **)&q->members, &q->members_cap, q->nmembers, sizeof *q->members))
            return -ENOMEM;
        q->members[q->nmembers++] = a;
        wb_qset_add(&a->queues, q->idx);
        wb_touch_agent(self, a);
    }
    wb_touch_queue(self, q);
    return 0;
}

/* ---- the live snapshot --------------------------------------------------------------- */

void wb_core_live_begin(wb_core_t *self)
{
    for (size_t i = 0; i < self->ncalls; i++)
        self->calls[i]->seen = false;
}

int wb_core_live_call(wb_core_t *self, const wb_call_t *in)
{
    bool created;
    wb_call_t *c = wb_call_get(self, in->id, &created);
    if (!c || !wb_queue_get(self, in->queue))
        return -ENOMEM;
    wb_copy(c->queue, sizeof c->queue, in->queue);
    wb_copy(c->caller, sizeof c->caller, in->caller);
    wb_copy(c->agent, sizeof c->agent, in->agent);
    c->priority = in->priority;
    c->entered_us = in->entered_us;
    c->state = in->state;
    c->offers = in->state == WB_CALL_RINGING ? 1 : 0;
    c->answered_us = in->answered_us;
    c->seen = true;
    wb_touch_call(self, c);
    return 0;
}

int wb_core_live_agent(wb_core_t *self, const char *ext, wb_agent_state_t state, const char *reason,
                       int64_t since_us, const char *call_id)
{
    wb_agent_t *a = wb_agent_get(self, ext);
    if (!a)
        return -ENOMEM;
    a->state = state;
    wb_copy(a->reason, sizeof a->reason, reason);
    a->since_us = since_us;
    wb_copy(a->call_id, sizeof a->call_id, state == WB_AGENT_ON_CALL ? call_id : "");
    a->call_queue[0] = a->caller[0] = '\0';
    a->call_since_us = 0;
    wb_touch_agent(self, a);
    return 0;
}

void wb_core_live_end(wb_core_t *self)
{
    for (size_t i = 0; i < self->ncalls; i++)
        if (!self->calls[i]->removed && !self->calls[i]->seen)
            wb_call_remove(self, self->calls[i]);
    for (size_t i = 0; i < self->nagents; i++) { /* the calls agents talk on */
        wb_agent_t *a = self->agents[i];
        const wb_call_t *c = a->call_id[0] ? cc_map_get(self->calls_by_id, a->call_id) : NULL;
        if (c && c->state == WB_CALL_TALKING) {
            wb_copy(a->call_queue, sizeof a->call_queue, c->queue);
            wb_copy(a->caller, sizeof a->caller, c->caller);
            a->call_since_us = c->answered_us;
        }
    }
    for (size_t i = 0; i < self->nqueues; i++)
        wb_recount(self, self->queues[i]);
    self->ch.reset = true;
}

/* ---- read access ----------------------------------------------------------------------- */

wb_queue_t *wb_core_queue(const wb_core_t *self, const char *name)
{
    return name ? cc_map_get(self->queues_by_name, name) : NULL;
}

wb_agent_t *wb_core_agent(const wb_core_t *self, const char *ext)
{
    return ext ? cc_map_get(self->agents_by_ext, ext) : NULL;
}

wb_call_t *wb_core_call(const wb_core_t *self, const char *call_id)
{
    return call_id ? cc_map_get(self->calls_by_id, call_id) : NULL;
}

wb_queue_t *wb_core_next_queue(const wb_core_t *self, size_t *pos)
{
    return *pos < self->nqueues ? self->queues[(*pos)++] : NULL;
}

wb_agent_t *wb_core_next_agent(const wb_core_t *self, size_t *pos)
{
    return *pos < self->nagents ? self->agents[(*pos)++] : NULL;
}

wb_call_t *wb_core_next_call(const wb_core_t *self, size_t *pos)
{
    while (*pos < self->ncalls) {
        wb_call_t *c = self->calls[(*pos)++];
        if (!c->removed)
            return c;
    }
    return NULL;
}

const wb_abandoned_t *wb_core_abandoned(const wb_core_t *self, size_t *count)
{
    *count = self->nabandoned;
    return self->abandoned;
}

const wb_alert_t *wb_core_alerts(const wb_core_t *self, size_t *count)
{
    *count = self->nalerts;
    return self->alerts;
}

wb_sl_formula_t wb_core_formula(const wb_core_t *self)
{
    return self->formula;
}
