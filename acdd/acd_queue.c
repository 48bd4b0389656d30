/* acd_queue.c - waiting calls: their order (priority with aging, then FIFO), enqueue with
 * max-length and max-wait overflow, requeue at the head after a failed offer, abandon,
 * position and expected-wait announcements. Choosing an agent is acd_select.c's job.
 *
 * Order: effective priority = priority + waited_seconds * aging_rate. For calls of one
 * queue (one aging rate) that order never changes over time, since
 *   priority + (now - enq) * rate  ranks like  priority - enq * rate,
 * so each call gets a static key at enqueue and the sets need no re-sorting as calls age.
 * Keys are integers in micro-points so equal effective priorities tie exactly. */
#include "acd_priv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_HOPS 8 /* overflows from queue to queue before a call is hung up */

static int64_t s_micro(double points)
{
    return (int64_t)llround(points * 1e6);
}

void acd_call_rekey(acd_call_t *call)
{
    double rate = call->queue->cfg.aging_rate;
    call->key = s_micro((double)call->priority - (double)call->enq_ms / 1000.0 * rate);
}

static int s_call_cmp(const acd_call_t *a, const acd_call_t *b)
{
    if (a->at_head != b->at_head)
        return a->at_head ? -1 : 1;
    if (a->key != b->key)
        return a->key > b->key ? -1 : 1;
    if (a->enq_ms != b->enq_ms)
        return a->enq_ms < b->enq_ms ? -1 : 1;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return 0;
}

int acd_call_cmp_qnode(const acd_onode_t *a, const acd_onode_t *b)
{
    return s_call_cmp(ACD_CONTAINER(a, acd_call_t, qnode), ACD_CONTAINER(b, acd_call_t, qnode));
}

int acd_call_cmp_snode(const acd_onode_t *a, const acd_onode_t *b)
{
    return s_call_cmp(ACD_CONTAINER(a, acd_call_t, snode), ACD_CONTAINER(b, acd_call_t, snode));
}

/* Across queues (an agent in several): effective priority at now, which may differ in
 * aging rate, so it is computed rather than taken from the static keys. */
bool acd_call_better(const acd_call_t *a, const acd_call_t *b, int64_t now_ms)
{
    if (a->queue == b->queue)
        return s_call_cmp(a, b) < 0;
    if (a->at_head != b->at_head)
        return a->at_head;
    int64_t ea =
        s_micro(a->priority + (double)(now_ms - a->enq_ms) / 1000.0 * a->queue->cfg.aging_rate);
    int64_t eb =
        s_micro(b->priority + (double)(now_ms - b->enq_ms) / 1000.0 * b->queue->cfg.aging_rate);
    if (ea != eb)
        return ea > eb;
    if (a->enq_ms != b->enq_ms)
        return a->enq_ms < b->enq_ms;
    return a->seq < b->seq;
}

/* ---- linking into the waiting sets ---- */

void acd_queue_link(acd_core_t *core, acd_call_t *call)
{
    (void)core;
    acd_queue_t *queue = call->queue;
    call->state = ACD_CALL_WAITING;
    acd_oset_insert(&queue->calls, &call->qnode);
    if (queue->cfg.strategy != ACD_STRATEGY_SKILLS)
        return;
    acd_qskill_t *qs = acd_queue_skill(queue, call->skill, true);
    if (qs) {
        call->sset = &qs->calls[call->min_level];
        qs->levels_mask |= 1u << call->min_level;
    } else {
        call->sset = &queue->plain; /* no skill (or no memory to index it): anyone */
    }
    acd_oset_insert(call->sset, &call->snode);
}

void acd_queue_unlink(acd_core_t *core, acd_call_t *call)
{
    acd_timer_clear(core, &call->timer);
    if (acd_onode_linked(&call->qnode))
        acd_oset_remove(&call->queue->calls, &call->qnode);
    if (acd_onode_linked(&call->snode)) {
        acd_oset_remove(call->sset, &call->snode);
        acd_qskill_t *qs = acd_queue_skill(call->queue, call->skill, false);
        if (qs && call->sset == &qs->calls[call->min_level] && !call->sset->root)
            qs->levels_mask &= ~(1u << call->min_level);
    }
    call->sset = NULL;
}

void acd_queue_relink_all(acd_core_t *core, acd_queue_t *queue, const acd_queue_cfg_t *cfg)
{
    acd_call_t *chain = NULL;
    const acd_onode_t *first;
    while ((first = acd_oset_first(&queue->calls))) {
        acd_call_t *call = ACD_CONTAINER(first, acd_call_t, qnode);
        acd_oset_remove(&queue->calls, &call->qnode);
        if (acd_onode_linked(&call->snode))
            acd_oset_remove(call->sset, &call->snode);
        call->sset = NULL;
        call->free_next = chain;
        chain = call;
    }
    for (size_t i = 0; i < queue->nskills; i++)
        if (queue->skills[i])
            queue->skills[i]->levels_mask = 0;
    queue->cfg = *cfg;
    while (chain) {
        acd_call_t *call = chain;
        chain = call->free_next;
        call->free_next = NULL;
        acd_call_rekey(call);
        acd_queue_link(core, call);
    }
}

/* ---- position and announcements ---- */

unsigned acd_queue_position(const acd_call_t *call)
{
    return (unsigned)acd_oset_rank(&call->queue->calls, &call->qnode) + 1;
}

int acd_queue_expected_wait_s(const acd_call_t *call)
{
    const acd_queue_t *queue = call->queue;
    unsigned agents = queue->serving ? queue->serving : queue->staffed;
    double wait = acd_estimate_wait_s(acd_estimator_handle_s(&queue->est),
                                      acd_queue_position(call) - 1, agents);
    return wait < 0 ? -1 : (int)lround(wait);
}

static void s_announce(acd_core_t *core, acd_call_t *call)
{
    acd_action_t *act = acd_emit(core, ACD_ACT_ANNOUNCE, call, NULL);
    act->position = (int)acd_queue_position(call);
    act->expected_wait_s = acd_queue_expected_wait_s(call);
    act->wait_ms = core->now_ms - call->enq_ms;
}

static void s_arm(acd_core_t *core, acd_call_t *call)
{
    int64_t at = call->deadline_ms < call->announce_ms ? call->deadline_ms : call->announce_ms;
    if (at == INT64_MAX)
        acd_timer_clear(core, &call->timer);
    else
        acd_timer_set(core, &call->timer, at);
}

/* ---- leaving the queue ---- */

void acd_call_release(acd_core_t *core, acd_call_t *call)
{
    acd_queue_unlink(core, call);
    cc_map_take(core->calls_by_id, call->id); /* kept for reuse */
    call->offers = NULL;
    call->free_next = core->free_calls;
    core->free_calls = call;
}

static void s_place(acd_core_t *core, acd_call_t *call, bool announce);

/* The call leaves its queue (overflowed++ there): an overflow action of `kind` to `target`
 * with `reason`, and out of the waiting sets. */
static acd_action_t *s_leave(acd_core_t *core, acd_call_t *call, const char *reason,
                             acd_overflow_kind_t kind, const char *target)
{
    call->queue->overflowed++;
    acd_action_t *act = acd_emit(core, ACD_ACT_OVERFLOW, call, NULL);
    acd_copy(act->reason, sizeof act->reason, reason);
    act->overflow = kind;
    acd_copy(act->target, sizeof act->target, target);
    act->wait_ms = core->now_ms - call->enq_ms;
    acd_queue_unlink(core, call);
    return act;
}

/* Moved: a new wait in `next`, same priority and skill. */
static void s_enter_next(acd_core_t *core, acd_call_t *call, acd_queue_t *next)
{
    call->queue = next;
    call->at_head = false;
    call->enq_ms = core->now_ms;
    acd_call_rekey(call);
    s_place(core, call, next->cfg.announce);
}

static void s_overflow(acd_core_t *core, acd_call_t *call, const char *reason)
{
    acd_queue_t *queue = call->queue;
    acd_action_t *act =
        s_leave(core, call, reason, queue->cfg.overflow, queue->cfg.overflow_target);
    acd_queue_t *next = NULL;
    if (queue->cfg.overflow == ACD_OVERFLOW_QUEUE)
        next = cc_map_get(core->queues_by_name, queue->cfg.overflow_target);
    if (!next || next == queue || call->hops >= S_MAX_HOPS) {
        if (queue->cfg.overflow == ACD_OVERFLOW_QUEUE)
            act->overflow = ACD_OVERFLOW_HANGUP; /* nowhere to go: the adapter hangs up */
        acd_call_release(core, call);
        return;
    }
    call->hops++;
    s_enter_next(core, call, next);
}

/* Puts a call into its queue's waiting sets and routes it, or overflows it when the
 * queue is full, or arms its max-wait and announcement timers. */
static void s_place(acd_core_t *core, acd_call_t *call, bool announce)
{
    acd_queue_t *queue = call->queue;
    call->deadline_ms =
        queue->cfg.max_wait_s > 0 ? call->enq_ms + queue->cfg.max_wait_s * 1000LL : INT64_MAX;
    call->announce_ms = INT64_MAX;
    call->entry_position = 0;
    call->entry_wait_s = -1;
    acd_queue_link(core, call);
    if (acd_route_call(core, call))
        return;
    /* the estimate is kept whether or not it is announced, so the reports can tell how
     * good it was (v_wait_estimate_accuracy) */
    call->entry_position = (int)acd_queue_position(call);
    call->entry_wait_s = acd_queue_expected_wait_s(call);
    if (queue->cfg.max_len > 0 && acd_oset_size(&queue->calls) > (size_t)queue->cfg.max_len) {
        s_overflow(core, call, "full");
        return;
    }
    if (announce) {
        s_announce(core, call);
        if (queue->cfg.announce_every_s > 0)
            call->announce_ms = core->now_ms + queue->cfg.announce_every_s * 1000LL;
    }
    s_arm(core, call);
}

int acd_queue_enqueue(acd_core_t *core, const acd_event_t *ev)
{
    if (!ev->call_id || !*ev->call_id || strlen(ev->call_id) >= ACD_ID_MAX || !ev->queue)
        return -EINVAL;
    acd_queue_t *queue = cc_map_get(core->queues_by_name, ev->queue);
    if (!queue)
        return -ENOENT;
    if (cc_map_get(core->calls_by_id, ev->call_id))
        return -EEXIST;
    bool own_skill = ev->skill && *ev->skill;
    const char *skill_name = own_skill ? ev->skill : queue->cfg.skill;
    int skill = -1;
    if (skill_name[0] && (skill = acd_skill_id(core, skill_name, true)) < 0)
        return -ENOMEM;
    int level = own_skill ? ev->min_level : queue->cfg.skill_level;
    level = level < 1 ? 1 : level > ACD_LEVEL_MAX ? ACD_LEVEL_MAX : level;
    acd_call_t *call = core->free_calls;
    if (call)
        core->free_calls = call->free_next;
    else if (!(call = malloc(sizeof *call)))
        return -ENOMEM;
    memset(call, 0, sizeof *call);
    acd_copy(call->id, sizeof call->id, ev->call_id);
    call->queue = queue;
    call->priority = ev->priority;
    call->skill = skill;
    call->min_level = level;
    call->enq_ms = ev->enqueued_ms > 0 ? ev->enqueued_ms : core->now_ms;
    call->seq = ++core->seq;
    call->timer.seq = call->seq;
    acd_call_rekey(call);
    if (cc_map_insert(core->calls_by_id, call->id, call) < 0) {
        call->free_next = core->free_calls;
        core->free_calls = call;
        return -ENOMEM;
    }
    s_place(core, call, queue->cfg.announce);
    return 0;
}

/* All offers of the call failed: back to the head of its queue, original enqueue time. */
void acd_queue_requeue(acd_core_t *core, acd_call_t *call)
{
    call->at_head = true;
    call->state = ACD_CALL_WAITING;
    if (core->now_ms >= call->deadline_ms) {
        s_overflow(core, call, "timeout");
        return;
    }
    acd_queue_link(core, call);
    if (!acd_route_call(core, call))
        s_arm(core, call);
}

void acd_queue_call_timer(acd_core_t *core, acd_call_t *call)
{
    if (call->state != ACD_CALL_WAITING)
        return;
    if (core->now_ms >= call->deadline_ms) {
        s_overflow(core, call, "timeout");
        return;
    }
    if (core->now_ms >= call->announce_ms) {
        s_announce(core, call);
        int64_t every = call->queue->cfg.announce_every_s * 1000LL;
        if (every <= 0)
            call->announce_ms = INT64_MAX;
        else
            while (call->announce_ms <= core->now_ms)
                call->announce_ms += every;
    }
    s_arm(core, call);
}

int acd_queue_abandon(acd_core_t *core, const char *call_id)
{
    acd_call_t *call = cc_map_get(core->calls_by_id, call_id);
    if (!call)
        return -ENOENT;
    call->queue->abandoned++;
    acd_action_t *act = acd_emit(core, ACD_ACT_ABANDONED, call, NULL);
    act->wait_ms = core->now_ms - call->enq_ms;
    act->position = call->state == ACD_CALL_WAITING ? (int)acd_queue_position(call) : 0;
    while (call->offers) {
        acd_agent_t *agent = call->offers;
        acd_copy(acd_emit(core, ACD_ACT_CANCEL_OFFER, call, agent)->reason, ACD_REASON_MAX,
                 "abandoned");
        acd_agent_release_offer(core, agent);
        acd_agent_set_state(core, agent, ACD_AGENT_READY, NULL);
    }
    acd_call_release(core, call);
    return 0;
}

/* A supervisor moves a waiting call to another queue and/or changes its priority. */
int acd_queue_move(acd_core_t *core, const acd_event_t *ev)
{
    acd_call_t *call = ev->call_id ? cc_map_get(core->calls_by_id, ev->call_id) : NULL;
    if (!call)
        return -ENOENT;
    acd_queue_t *to = call->queue;
    if (ev->queue && *ev->queue && !(to = cc_map_get(core->queues_by_name, ev->queue)))
        return -ENOENT;
    if (ev->priority > 100)
        return -EINVAL;
    if (call->state != ACD_CALL_WAITING)
        return -EPERM;
    if (ev->priority >= 0)
        call->priority = ev->priority;
    if (to != call->queue) {
        s_leave(core, call, "moved", ACD_OVERFLOW_QUEUE, to->cfg.name);
        s_enter_next(core, call, to);
        return 0;
    }
    acd_queue_unlink(core, call);
    acd_call_rekey(call);
    acd_queue_link(core, call);
    if (!acd_route_call(core, call))
        s_arm(core, call);
    return 0;
}
