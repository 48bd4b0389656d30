/* wb_alerts.c - the wallboard's alerts at a given time: a queue's service level today under
 * its target, a caller waiting longer than the queue allows, a queue call talking too long,
 * an agent not ready too long. Each check compares the conditions now with the alerts
 * active before; what was raised or cleared goes to the change log (and from there to the
 * pages and the bus). */
#include "wb_priv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Seconds shown with an alert: tenths rounded up, so a wait just past its limit (2.03 s
 * over 2 s) does not read as equal to it (2.0). */
static double s_tenth(double seconds)
{
    return ceil(seconds * 10.0) / 10.0;
}

typedef struct {
    wb_alert_t *items;
    size_t n, cap;
} s_list_t;

static void s_add(s_list_t *l, wb_alert_kind_t kind, const char *queue, const char *agent,
                  const char *call_id, double value, double threshold)
{
    if (wb_grow((void **)&l->items, &l->cap, l->n, sizeof *l->items))
        return;
    wb_alert_t *a = &l->items[l->n++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    wb_copy(a->queue, sizeof a->queue, queue);
    wb_copy(a->agent, sizeof a->agent, agent);
    wb_copy(a->call_id, sizeof a->call_id, call_id);
    a->value = value;
    a->threshold = threshold;
    a->active = true;
}

static bool s_same(const wb_alert_t *a, const wb_alert_t *b)
{
    return a->kind == b->kind && !strcmp(a->queue, b->queue) && !strcmp(a->agent, b->agent) &&
           !strcmp(a->call_id, b->call_id);
}

static void s_queue_conditions(wb_core_t *core, s_list_t *now_list, int64_t now_us)
{
    for (size_t i = 0; i < core->nqueues; i++) {
        const wb_queue_t *q = core->queues[i];
        wb_figures_t f;
        wb_figures(&q->today, core->formula, &f);
        if (f.sl_x10 >= 0 && f.sl_x10 < (int64_t)q->rules.sl_target_pct * 10)
            s_add(now_list, WB_ALERT_SL_LOW, q->name, "", "", (double)f.sl_x10 / 10.0,
                  q->rules.sl_target_pct);
        double wait_s = q->oldest_us ? (double)(now_us - q->oldest_us) / 1e6 : 0;
        if (q->oldest_us && wait_s > q->rules.max_wait_s)
            s_add(now_list, WB_ALERT_WAIT_LONG, q->name, "", "", s_tenth(wait_s),
                  q->rules.max_wait_s);
    }
}

/* The strictest not-ready limit among the agent's queues (the defaults for an agent of
 * none), and the queue it comes from. */
static const wb_queue_t *s_not_ready_rule(const wb_core_t *core, const wb_agent_t *a, int *limit)
{
    const wb_queue_t *best = NULL;
    *limit = core->default_rules.max_not_ready_s;
    for (size_t i = 0; i < core->nqueues; i++) {
        const wb_queue_t *q = core->queues[i];
        if (wb_qset_has(&a->queues, q->idx) && (!best || q->rules.max_not_ready_s < *limit)) {
            best = q;
            *limit = q->rules.max_not_ready_s;
        }
    }
    return best;
}

static void s_agent_conditions(wb_core_t *core, s_list_t *now_list, int64_t now_us)
{
    for (size_t i = 0; i < core->nagents; i++) {
        const wb_agent_t *a = core->agents[i];
        if (a->state == WB_AGENT_ON_CALL && a->call_since_us) {
            const wb_rules_t *r = wb_rules_of(core, a->call_queue);
            double talk_s = (double)(now_us - a->call_since_us) / 1e6;
            if (talk_s > r->max_call_s)
                s_add(now_list, WB_ALERT_CALL_LONG, a->call_queue, a->ext, a->call_id,
                      s_tenth(talk_s), r->max_call_s);
        }
        if (a->state == WB_AGENT_NOT_READY && a->since_us) {
            int limit;
            const wb_queue_t *q = s_not_ready_rule(core, a, &limit);
            double s = (double)(now_us - a->since_us) / 1e6;
            if (s > limit)
                s_add(now_list, WB_ALERT_NOT_READY_LONG, q ? q->name : "", a->ext, "", s_tenth(s),
                      limit);
        }
    }
}

void wb_core_check_alerts(wb_core_t *self, int64_t now_us)
{
    s_list_t cur = {0};
    s_queue_conditions(self, &cur, now_us);
    s_agent_conditions(self, &cur, now_us);
    /* cleared: active before, not now */
    size_t kept = 0;
    for (size_t i = 0; i < self->nalerts; i++) {
        bool still = false;
        for (size_t j = 0; j < cur.n && !still; j++)
            still = s_same(&self->alerts[i], &cur.items[j]);
        if (still) {
            self->alerts[kept++] = self->alerts[i];
        } else {
            wb_alert_t gone = self->alerts[i];
            gone.active = false;
            wb_note_alert(self, &gone);
        }
    }
    self->nalerts = kept;
    /* raised: now, not active before */
    for (size_t j = 0; j < cur.n; j++) {
        bool known = false;
        for (size_t i = 0; i < self->nalerts && !known; i++)
            known = s_same(&self->alerts[i], &cur.items[j]);
        if (known ||
            wb_grow((void **)&self->alerts, &self->alerts_cap, self->nalerts, sizeof *self->alerts))
            continue;
        cur.items[j].since_us = now_us;
        self->alerts[self->nalerts++] = cur.items[j];
        wb_note_alert(self, &cur.items[j]);
    }
    free(cur.items);
}
