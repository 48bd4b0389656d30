/* acd_agent.c - agent states (logged out, ready, reserved, on call, wrap-up, not ready):
 * the transitions driven by agent and offer events and by the ring and wrap-up timers,
 * and the ready sets of each queue an agent belongs to, which acd_select.c reads. */
#include "acd_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- the orders of ready agents ---- */

static int s_cmp_u64(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b;
}

static int s_cmp_idle(const acd_agent_t *a, const acd_agent_t *b)
{
    if (a->idle_since_ms != b->idle_since_ms)
        return a->idle_since_ms < b->idle_since_ms ? -1 : 1;
    return s_cmp_u64(a->seq, b->seq);
}

static const acd_agent_t *s_ragent(const acd_onode_t *node)
{
    return ACD_CONTAINER(node, acd_member_t, rnode)->agent;
}

/* longest idle first: longest_idle, ring_all, skills (calls without a skill) */
static int s_ready_by_idle(const acd_onode_t *a, const acd_onode_t *b)
{
    return s_cmp_idle(s_ragent(a), s_ragent(b));
}

static int s_ready_by_calls(const acd_onode_t *a, const acd_onode_t *b)
{
    const acd_agent_t *x = s_ragent(a), *y = s_ragent(b);
    if (x->calls_taken != y->calls_taken)
        return x->calls_taken < y->calls_taken ? -1 : 1;
    return s_cmp_idle(x, y);
}

static int s_ready_by_ring(const acd_onode_t *a, const acd_onode_t *b)
{
    return s_cmp_u64(ACD_CONTAINER(a, acd_member_t, rnode)->ring_pos,
                     ACD_CONTAINER(b, acd_member_t, rnode)->ring_pos);
}

void acd_ready_set_cmp(acd_queue_t *queue)
{
    switch (queue->cfg.strategy) {
    case ACD_STRATEGY_ROUND_ROBIN:
        queue->ready.cmp = s_ready_by_ring;
        break;
    case ACD_STRATEGY_FEWEST_CALLS:
        queue->ready.cmp = s_ready_by_calls;
        break;
    default:
        queue->ready.cmp = s_ready_by_idle;
    }
}

/* Best level first, then longest idle. */
int acd_mskill_cmp(const acd_onode_t *a, const acd_onode_t *b)
{
    const acd_mskill_t *x = ACD_CONTAINER(a, acd_mskill_t, node);
    const acd_mskill_t *y = ACD_CONTAINER(b, acd_mskill_t, node);
    if (x->level != y->level)
        return x->level > y->level ? -1 : 1;
    return s_cmp_idle(x->member->agent, y->member->agent);
}

/* Rebuilds a membership's skill index from its agent's skills (agent not linked). */
int acd_member_index_skills(acd_core_t *core, acd_member_t *member)
{
    (void)core;
    acd_agent_t *agent = member->agent;
    acd_mskill_t *skills = NULL;
    if (agent->nskills && !(skills = calloc(agent->nskills, sizeof *skills)))
        return -ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < agent->nskills; i++) {
        if (!acd_queue_skill(member->queue, agent->skills[i].skill, true))
            continue; /* out of memory: this skill is not indexed here */
        skills[n].member = member;
        skills[n].skill = agent->skills[i].skill;
        skills[n].level = agent->skills[i].level;
        n++;
    }
    free(member->skills);
    member->skills = skills;
    member->nskills = n;
    return n == agent->nskills ? 0 : -ENOMEM;
}

void acd_agent_link(acd_core_t *core, acd_agent_t *agent)
{
    (void)core;
    if (agent->linked || agent->held) /* held: in no ready set, so no strategy finds it */
        return;
    for (size_t i = 0; i < agent->nmembers; i++) {
        acd_member_t *m = agent->members[i];
        acd_oset_insert(&m->queue->ready, &m->rnode);
        for (size_t s = 0; s < m->nskills; s++)
            acd_oset_insert(&acd_queue_skill(m->queue, m->skills[s].skill, false)->agents,
                            &m->skills[s].node);
    }
    agent->linked = true;
}

void acd_agent_unlink(acd_core_t *core, acd_agent_t *agent)
{
    (void)core;
    if (!agent->linked)
        return;
    for (size_t i = 0; i < agent->nmembers; i++) {
        acd_member_t *m = agent->members[i];
        acd_oset_remove(&m->queue->ready, &m->rnode);
        for (size_t s = 0; s < m->nskills; s++)
            acd_oset_remove(&acd_queue_skill(m->queue, m->skills[s].skill, false)->agents,
                            &m->skills[s].node);
    }
    agent->linked = false;
}

void acd_agent_set_pending(acd_core_t *core, acd_agent_t *agent)
{
    if (agent->pending || core->npending >= core->pending_cap)
        return;
    agent->pending = true;
    core->pending[core->npending++] = agent;
}

/* ---- state changes ---- */

static bool s_serving(acd_agent_state_t state)
{
    return state != ACD_AGENT_LOGGED_OUT && state != ACD_AGENT_NOT_READY;
}

void acd_agent_set_state(acd_core_t *core, acd_agent_t *agent, acd_agent_state_t to,
                         const char *reason)
{
    acd_agent_state_t from = agent->state;
    /* a reason goes with not ready (the pause) and logged out (e.g. unregistered) */
    if ((to != ACD_AGENT_NOT_READY && to != ACD_AGENT_LOGGED_OUT) || !reason)
        reason = "";
    if (from == to && strncmp(agent->reason, reason, ACD_REASON_MAX - 1) == 0)
        return;
    for (size_t i = 0; i < agent->nmembers; i++) {
        acd_queue_t *q = agent->members[i]->queue;
        q->staffed += (to != ACD_AGENT_LOGGED_OUT) - (from != ACD_AGENT_LOGGED_OUT);
        q->serving += s_serving(to) - s_serving(from);
    }
    if (to != ACD_AGENT_READY)
        acd_agent_unlink(core, agent);
    /* Idle time counts from the last call's end, or from coming back to work. */
    if (to == ACD_AGENT_READY && (from == ACD_AGENT_NOT_READY || from == ACD_AGENT_LOGGED_OUT))
        agent->idle_since_ms = core->now_ms;
    agent->state = to;
    acd_copy(agent->reason, sizeof agent->reason, reason);
    agent->state_since_ms = core->now_ms;
    if (to == ACD_AGENT_READY) {
        acd_agent_link(core, agent);
        acd_agent_set_pending(core, agent);
    }
    acd_action_t *act = acd_emit(core, ACD_ACT_AGENT_STATE, NULL, agent);
    act->from = from;
    act->to = to;
    acd_copy(act->reason, sizeof act->reason, reason);
}

/* Detaches the agent from the call ringing it (the call stays). */
void acd_agent_release_offer(acd_core_t *core, acd_agent_t *agent)
{
    acd_call_t *call = agent->offer;
    acd_timer_clear(core, &agent->timer);
    if (!call)
        return;
    for (acd_agent_t **link = &call->offers; *link; link = &(*link)->offer_next) {
        if (*link == agent) {
            *link = agent->offer_next;
            break;
        }
    }
    agent->offer = NULL;
    agent->offer_next = NULL;
}

/* The offer to this agent ended without an answer. The call goes back to the head of
 * its queue once no other agent is ringing with it; then the agent pauses (if `pause`). */
static void s_offer_failed(acd_core_t *core, acd_agent_t *agent, const char *reason, bool cancel,
                           bool pause)
{
    acd_call_t *call = agent->offer;
    bool keep_ready = call->queue->cfg.keep_ready_on_no_answer;
    if (cancel)
        acd_copy(acd_emit(core, ACD_ACT_CANCEL_OFFER, call, agent)->reason, ACD_REASON_MAX, reason);
    acd_agent_release_offer(core, agent);
    if (!call->offers)
        acd_queue_requeue(core, call); /* before the agent is ready: not offered back to it */
    if (pause)
        acd_agent_set_state(core, agent, keep_ready ? ACD_AGENT_READY : ACD_AGENT_NOT_READY,
                            reason);
}

static void s_answer(acd_core_t *core, acd_agent_t *agent)
{
    acd_call_t *call = agent->offer;
    acd_queue_t *queue = call->queue;
    int64_t wait = core->now_ms - call->enq_ms;
    acd_agent_release_offer(core, agent);
    acd_action_t *act = acd_emit(core, ACD_ACT_CONNECT, call, agent);
    act->wait_ms = wait;
    queue->answered++;
    if (wait <= queue->cfg.sl_threshold_s * 1000LL)
        queue->answered_in_sl++;
    agent->calls_taken++;
    acd_copy(agent->call_id, sizeof agent->call_id, call->id);
    agent->call_queue = queue;
    agent->answered_ms = core->now_ms;
    acd_agent_set_state(core, agent, ACD_AGENT_ON_CALL, NULL);
    while (call->offers) { /* ring-all: the others stop ringing */
        acd_agent_t *other = call->offers;
        acd_copy(acd_emit(core, ACD_ACT_CANCEL_OFFER, call, other)->reason, ACD_REASON_MAX,
                 "answered_elsewhere");
        acd_agent_release_offer(core, other);
        acd_agent_set_state(core, other, ACD_AGENT_READY, NULL);
    }
    acd_call_release(core, call);
}

static void s_after_wrapup(acd_core_t *core, acd_agent_t *agent)
{
    acd_timer_clear(core, &agent->timer);
    agent->call_id[0] = '\0';
    agent->call_queue = NULL;
    if (agent->pause_pending) {
        agent->pause_pending = false;
        acd_agent_set_state(core, agent, ACD_AGENT_NOT_READY, agent->pause_reason);
    } else {
        acd_agent_set_state(core, agent, ACD_AGENT_READY, NULL);
    }
}

static void s_call_ended(acd_core_t *core, acd_agent_t *agent)
{
    acd_queue_t *queue = agent->call_queue;
    int wrapup = queue ? queue->cfg.wrapup_s : 0;
    if (queue)
        acd_estimator_add(&queue->est,
                          (double)(core->now_ms - agent->answered_ms) / 1000.0 + wrapup);
    agent->idle_since_ms = core->now_ms;
    if (agent->logout_pending) {
        agent->logout_pending = agent->pause_pending = false;
        agent->call_id[0] = '\0';
        acd_agent_set_state(core, agent, ACD_AGENT_LOGGED_OUT, agent->logout_reason);
    } else if (wrapup > 0) {
        acd_agent_set_state(core, agent, ACD_AGENT_WRAP_UP, NULL);
        acd_timer_set(core, &agent->timer, core->now_ms + wrapup * 1000LL);
    } else {
        s_after_wrapup(core, agent);
    }
}

void acd_agent_timer(acd_core_t *core, acd_agent_t *agent)
{
    if (agent->state == ACD_AGENT_RESERVED && agent->offer)
        s_offer_failed(core, agent, "no_answer", true, true);
    else if (agent->state == ACD_AGENT_WRAP_UP)
        s_after_wrapup(core, agent);
}

/* ---- agent events ---- */

static int s_logout(acd_core_t *core, acd_agent_t *agent, const char *reason)
{
    switch (agent->state) {
    case ACD_AGENT_LOGGED_OUT:
        return 0;
    case ACD_AGENT_ON_CALL:
        agent->logout_pending = true;
        acd_copy(agent->logout_reason, sizeof agent->logout_reason, reason);
        return 0;
    case ACD_AGENT_RESERVED:
        s_offer_failed(core, agent, "logout", true, false);
        break;
    default:
        break;
    }
    acd_timer_clear(core, &agent->timer);
    agent->pause_pending = agent->logout_pending = false;
    agent->call_id[0] = '\0';
    agent->call_queue = NULL;
    acd_agent_set_state(core, agent, ACD_AGENT_LOGGED_OUT, reason);
    return 0;
}

static int s_pause(acd_core_t *core, acd_agent_t *agent, const char *reason)
{
    if (!reason || !*reason)
        reason = "paused";
    switch (agent->state) {
    case ACD_AGENT_LOGGED_OUT:
        return -EPERM;
    case ACD_AGENT_ON_CALL:
        agent->pause_pending = true;
        acd_copy(agent->pause_reason, sizeof agent->pause_reason, reason);
        return 0;
    case ACD_AGENT_RESERVED:
        s_offer_failed(core, agent, "paused", true, false);
        break;
    default:
        break;
    }
    acd_timer_clear(core, &agent->timer);
    agent->call_id[0] = '\0';
    agent->call_queue = NULL;
    acd_agent_set_state(core, agent, ACD_AGENT_NOT_READY, reason);
    return 0;
}

/* A hold keeps the agent's state (ready stays ready, so its idle time and the history are
 * untouched) and takes it out of every ready set: an agent dialling a preview lead is not
 * offered a queue call on top of it. A call already ringing it goes back to its queue. */
static int s_hold(acd_core_t *core, acd_agent_t *agent, const char *reason)
{
    acd_copy(agent->hold_reason, sizeof agent->hold_reason, reason && *reason ? reason : "hold");
    if (agent->held)
        return 0;
    agent->held = true;
    acd_agent_unlink(core, agent);
    if (agent->state == ACD_AGENT_RESERVED && agent->offer) {
        s_offer_failed(core, agent, "held", true, false);
        acd_agent_set_state(core, agent, ACD_AGENT_READY, NULL); /* stays out of the sets */
    }
    return 0;
}

static int s_unhold(acd_core_t *core, acd_agent_t *agent)
{
    if (!agent->held)
        return 0;
    agent->held = false;
    agent->hold_reason[0] = '\0';
    if (agent->state == ACD_AGENT_READY) {
        acd_agent_link(core, agent);
        acd_agent_set_pending(core, agent);
    }
    return 0;
}

static int s_ready(acd_core_t *core, acd_agent_t *agent)
{
    agent->pause_pending = false;
    switch (agent->state) {
    case ACD_AGENT_LOGGED_OUT:
        return -EPERM;
    case ACD_AGENT_NOT_READY:
        acd_agent_set_state(core, agent, ACD_AGENT_READY, NULL);
        return 0;
    case ACD_AGENT_WRAP_UP:
        s_after_wrapup(core, agent);
        return 0;
    default:
        return 0; /* ready, ringing or on a call: nothing to do (a pending pause is off) */
    }
}

/* The agent's offer, checked against the event's call id when it names one. */
static int s_offer_of(const acd_agent_t *agent, const acd_event_t *ev)
{
    if (agent->state != ACD_AGENT_RESERVED || !agent->offer)
        return -EPERM;
    if (ev->call_id && strcmp(ev->call_id, agent->offer->id) != 0)
        return -ENOENT;
    return 0;
}

int acd_agent_event(acd_core_t *core, const acd_event_t *ev)
{
    if (!ev->agent)
        return -EINVAL;
    acd_agent_t *agent = cc_map_get(core->agents_by_ext, ev->agent);
    if (!agent)
        return -ENOENT;
    int rc = 0;
    switch (ev->kind) {
    case ACD_EV_AGENT_LOGIN:
        if (agent->state == ACD_AGENT_LOGGED_OUT)
            acd_agent_set_state(core, agent,
                                ev->reason && *ev->reason ? ACD_AGENT_NOT_READY : ACD_AGENT_READY,
                                ev->reason);
        return 0;
    case ACD_EV_AGENT_LOGOUT:
        return s_logout(core, agent, ev->reason);
    case ACD_EV_AGENT_READY:
        return s_ready(core, agent);
    case ACD_EV_AGENT_PAUSE:
        return s_pause(core, agent, ev->reason);
    case ACD_EV_AGENT_HOLD:
        return s_hold(core, agent, ev->reason);
    case ACD_EV_AGENT_UNHOLD:
        return s_unhold(core, agent);
    case ACD_EV_OFFER_ANSWERED:
        if ((rc = s_offer_of(agent, ev)) == 0)
            s_answer(core, agent);
        return rc;
    case ACD_EV_OFFER_REJECTED:
    case ACD_EV_OFFER_NO_ANSWER:
        if ((rc = s_offer_of(agent, ev)) == 0)
            s_offer_failed(core, agent,
                           ev->kind == ACD_EV_OFFER_REJECTED ? "rejected" : "no_answer", false,
                           true);
        return rc;
    case ACD_EV_CALL_ENDED:
        if (agent->state != ACD_AGENT_ON_CALL)
            return -EPERM;
        if (ev->call_id && strcmp(ev->call_id, agent->call_id) != 0)
            return -ENOENT;
        s_call_ended(core, agent);
        return 0;
    case ACD_EV_WRAPUP_TIMEOUT:
        if (agent->state == ACD_AGENT_WRAP_UP)
            s_after_wrapup(core, agent);
        return 0;
    case ACD_EV_AGENT_ON_CALL: {
        /* straight from logged out to on call, never ready in between: no offer can slip
         * in; the call's end then runs wrap-up as usual */
        acd_queue_t *queue = ev->queue ? cc_map_get(core->queues_by_name, ev->queue) : NULL;
        if (!ev->call_id || !*ev->call_id || !queue)
            return -EINVAL;
        if (agent->state != ACD_AGENT_LOGGED_OUT)
            return -EPERM;
        acd_copy(agent->call_id, sizeof agent->call_id, ev->call_id);
        agent->call_queue = queue;
        agent->answered_ms = core->now_ms;
        acd_agent_set_state(core, agent, ACD_AGENT_ON_CALL, NULL);
        return 0;
    }
    default:
        return -EINVAL;
    }
}
