/* acd_select.c - routing decisions: which ready agent gets a call (per strategy) and
 * which waiting call a newly ready agent gets (across its queues), and making the offer.
 * Each decision reads the head of a few ordered sets; nothing here scans a whole queue. */
#include "acd_priv.h"

static acd_member_t *s_member(const acd_onode_t *node)
{
    return node ? ACD_CONTAINER(node, acd_member_t, rnode) : NULL;
}

void acd_offer(acd_core_t *core, acd_call_t *call, acd_member_t *member)
{
    acd_agent_t *agent = member->agent;
    acd_queue_t *queue = call->queue;
    acd_queue_unlink(core, call);
    call->state = ACD_CALL_OFFERED;
    agent->offer = call;
    agent->offer_next = call->offers;
    call->offers = agent;
    if (queue->cfg.strategy == ACD_STRATEGY_ROUND_ROBIN) {
        queue->rr_last = member->ring_pos;
        queue->rr_started = true;
    }
    acd_agent_set_state(core, agent, ACD_AGENT_RESERVED, NULL);
    acd_timer_set(core, &agent->timer, core->now_ms + queue->cfg.ring_timeout_s * 1000LL);
    acd_emit(core, ACD_ACT_OFFER, call, agent)->ring_timeout_s = queue->cfg.ring_timeout_s;
}

/* Ring-all: every ready member at once, longest idle first in the action list. */
static bool s_ring_all(acd_core_t *core, acd_call_t *call)
{
    acd_queue_t *queue = call->queue;
    size_t n = 0;
    for (acd_onode_t *node = acd_oset_first(&queue->ready); node && n < core->scratch_cap;
         node = acd_oset_next(&queue->ready, node))
        core->scratch[n++] = s_member(node);
    for (size_t i = 0; i < n; i++)
        acd_offer(core, call, core->scratch[i]);
    return n > 0;
}

/* Round robin: the first ready member after the last one offered, wrapping around. */
static acd_member_t *s_round_robin(const acd_queue_t *queue)
{
    acd_member_t probe = {.ring_pos = queue->rr_last};
    acd_onode_t *next = queue->rr_started ? acd_oset_next(&queue->ready, &probe.rnode) : NULL;
    return s_member(next ? next : acd_oset_first(&queue->ready));
}

/* Skills: the ready member with the best level of the call's skill, if at least the
 * call's minimum; ties went to the longest idle when the set was ordered. */
static acd_member_t *s_best_skilled(const acd_queue_t *queue, const acd_call_t *call)
{
    if (call->skill < 0)
        return s_member(acd_oset_first(&queue->ready));
    acd_qskill_t *qs = acd_queue_skill((acd_queue_t *)queue, call->skill, false);
    acd_onode_t *node = qs ? acd_oset_first(&qs->agents) : NULL;
    if (!node)
        return NULL;
    const acd_mskill_t *best = ACD_CONTAINER(node, acd_mskill_t, node);
    return best->level >= call->min_level ? best->member : NULL;
}

bool acd_route_call(acd_core_t *core, acd_call_t *call)
{
    acd_queue_t *queue = call->queue;
    acd_member_t *member = NULL;
    switch (queue->cfg.strategy) {
    case ACD_STRATEGY_RING_ALL:
        return s_ring_all(core, call);
    case ACD_STRATEGY_ROUND_ROBIN:
        member = s_round_robin(queue);
        break;
    case ACD_STRATEGY_SKILLS:
        member = s_best_skilled(queue, call);
        break;
    default: /* longest idle, fewest calls: the ready set is ordered that way */
        member = s_member(acd_oset_first(&queue->ready));
    }
    if (!member)
        return false;
    acd_offer(core, call, member);
    return true;
}

/* The call of a node in a queue's call set (qnode) or a skill/plain set (snode). */
static acd_call_t *s_call(acd_onode_t *node, bool snode)
{
    if (!node)
        return NULL;
    return snode ? ACD_CONTAINER(node, acd_call_t, snode) : ACD_CONTAINER(node, acd_call_t, qnode);
}

static void s_consider(acd_call_t *call, acd_member_t *member, int64_t now_ms, acd_call_t **best,
                       acd_member_t **best_member)
{
    if (!call)
        return;
    if (!*best || acd_call_better(call, *best, now_ms)) {
        *best = call;
        *best_member = member;
    }
}

/* The best waiting call this agent may take, over all its queues. Calls that a ready
 * agent could take are never left waiting, so only the new agent's options matter. */
void acd_route_agent(acd_core_t *core, acd_agent_t *agent)
{
    acd_call_t *best = NULL;
    acd_member_t *best_member = NULL;
    for (size_t i = 0; i < agent->nmembers; i++) {
        acd_member_t *m = agent->members[i];
        acd_queue_t *queue = m->queue;
        if (queue->cfg.strategy != ACD_STRATEGY_SKILLS) {
            s_consider(s_call(acd_oset_first(&queue->calls), false), m, core->now_ms, &best,
                       &best_member);
            continue;
        }
        s_consider(s_call(acd_oset_first(&queue->plain), true), m, core->now_ms, &best,
                   &best_member);
        for (size_t s = 0; s < m->nskills; s++) {
            acd_qskill_t *qs = acd_queue_skill(queue, m->skills[s].skill, false);
            /* buckets of minimum level 1..level that hold calls */
            uint32_t mask = qs->levels_mask & ((2u << m->skills[s].level) - 1u);
            while (mask) {
                int level = __builtin_ctz(mask);
                mask &= mask - 1;
                s_consider(s_call(acd_oset_first(&qs->calls[level]), true), m, core->now_ms, &best,
                           &best_member);
            }
        }
    }
    if (best)
        acd_offer(core, best, best_member);
}
