/* acd_core.c - the ACD core object: queues, agents and skills as configured, the step
 * that turns one event into actions, the timer set, the action buffer and the queries.
 * What happens to calls is in acd_queue.c, to agents in acd_agent.c, routing in
 * acd_select.c. */
#include "acd_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_SKILLS 4096

void acd_copy(char *dst, size_t size, const char *src)
{
    size_t n = src ? strnlen(src, size - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

/* Grows *items (of `size` bytes each) to hold at least `need`. 0 or -ENOMEM. */
static int s_reserve(void **items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t grown = *cap ? *cap : 8;
    while (grown < need)
        grown *= 2;
    void *p = realloc(*items, grown * size);
    if (!p)
        return -ENOMEM;
    *items = p;
    *cap = grown;
    return 0;
}

/* ---- actions ---- */

void acd_actions_init(acd_actions_t *actions)
{
    memset(actions, 0, sizeof *actions);
}

void acd_actions_free(acd_actions_t *actions)
{
    free(actions->items);
    acd_actions_init(actions);
}

acd_action_t *acd_emit(acd_core_t *core, acd_action_kind_t kind, const acd_call_t *call,
                       const acd_agent_t *agent)
{
    static acd_action_t s_sink; /* target of writes when an action could not be stored */
    acd_actions_t *out = core->out;
    if (!out ||
        s_reserve((void **)&out->items, &out->cap, out->count + 1, sizeof *out->items) < 0) {
        if (out)
            core->out_err = -ENOMEM;
        return &s_sink;
    }
    acd_action_t *act = &out->items[out->count++];
    memset(act, 0, sizeof *act);
    act->kind = kind;
    act->expected_wait_s = -1;
    act->at_ms = core->now_ms;
    if (call) {
        acd_copy(act->call_id, sizeof act->call_id, call->id);
        acd_copy(act->queue, sizeof act->queue, call->queue->cfg.name);
    }
    if (agent)
        acd_copy(act->agent, sizeof act->agent, agent->ext);
    return act;
}

/* ---- timers ---- */

static int s_timer_cmp(const acd_onode_t *a, const acd_onode_t *b)
{
    const acd_timer_t *x = ACD_CONTAINER(a, acd_timer_t, node);
    const acd_timer_t *y = ACD_CONTAINER(b, acd_timer_t, node);
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return x->is_agent - y->is_agent;
}

void acd_timer_set(acd_core_t *core, acd_timer_t *timer, int64_t at)
{
    acd_timer_clear(core, timer);
    timer->at = at;
    acd_oset_insert(&core->timers, &timer->node);
}

void acd_timer_clear(acd_core_t *core, acd_timer_t *timer)
{
    if (acd_onode_linked(&timer->node))
        acd_oset_remove(&core->timers, &timer->node);
}

int64_t acd_core_next_timer_ms(const acd_core_t *self)
{
    const acd_onode_t *first = acd_oset_first(&self->timers);
    return first ? ACD_CONTAINER(first, acd_timer_t, node)->at : INT64_MAX;
}

/* ---- skills ---- */

int acd_skill_id(acd_core_t *core, const char *name, bool create)
{
    if (!name || !*name)
        return -1;
    void *found = cc_map_get(core->skills_by_name, name);
    if (found)
        return (int)((uintptr_t)found - 1);
    if (!create || core->nskills >= S_MAX_SKILLS)
        return -1;
    if (s_reserve((void **)&core->skill_names, &core->skills_cap, core->nskills + 1,
                  sizeof *core->skill_names) < 0)
        return -1;
    char *copy = strndup(name, ACD_NAME_MAX - 1);
    if (!copy)
        return -1;
    int id = (int)core->nskills;
    if (cc_map_insert(core->skills_by_name, copy, (void *)(uintptr_t)(id + 1)) < 0) {
        free(copy);
        return -1;
    }
    core->skill_names[core->nskills++] = copy;
    return id;
}

acd_qskill_t *acd_queue_skill(acd_queue_t *queue, int skill, bool create)
{
    if (skill < 0)
        return NULL;
    if ((size_t)skill < queue->nskills && queue->skills[skill])
        return queue->skills[skill];
    if (!create)
        return NULL;
    if ((size_t)skill >= queue->nskills) {
        size_t n = (size_t)skill + 1;
        acd_qskill_t **grown = realloc(queue->skills, n * sizeof *grown);
        if (!grown)
            return NULL;
        memset(grown + queue->nskills, 0, (n - queue->nskills) * sizeof *grown);
        queue->skills = grown;
        queue->nskills = n;
    }
    acd_qskill_t *qs = calloc(1, sizeof *qs);
    if (!qs)
        return NULL;
    acd_oset_init(&qs->agents, acd_mskill_cmp);
    for (int l = 0; l <= ACD_LEVEL_MAX; l++)
        acd_oset_init(&qs->calls[l], acd_call_cmp_snode);
    queue->skills[skill] = qs;
    return qs;
}

/* ---- construction ---- */

acd_core_t *acd_core_new(void)
{
    acd_core_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->queues_by_name = cc_map_new(NULL);
    self->agents_by_ext = cc_map_new(NULL);
    self->calls_by_id = cc_map_new(free);
    self->skills_by_name = cc_map_new(NULL);
    acd_oset_init(&self->timers, s_timer_cmp);
    if (!self->queues_by_name || !self->agents_by_ext || !self->calls_by_id ||
        !self->skills_by_name)
        acd_core_destroy(&self);
    return self;
}

static void s_queue_free(acd_queue_t *queue)
{
    for (size_t i = 0; i < queue->nskills; i++)
        free(queue->skills[i]);
    free(queue->skills);
    free(queue->members);
    free(queue);
}

static void s_agent_free(acd_agent_t *agent)
{
    for (size_t i = 0; i < agent->nmembers; i++) {
        free(agent->members[i]->skills);
        free(agent->members[i]);
    }
    free(agent->members);
    free(agent->skills);
    free(agent);
}

void acd_core_destroy(acd_core_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    acd_core_t *self = *self_p;
    cc_map_destroy(&self->calls_by_id);
    while (self->free_calls) {
        acd_call_t *next = self->free_calls->free_next;
        free(self->free_calls);
        self->free_calls = next;
    }
    for (size_t i = 0; i < self->nagents; i++)
        s_agent_free(self->agents[i]);
    for (size_t i = 0; i < self->nqueues; i++)
        s_queue_free(self->queues[i]);
    for (size_t i = 0; i < self->nskills; i++)
        free(self->skill_names[i]);
    free(self->skill_names);
    free(self->agents);
    free(self->queues);
    free(self->pending);
    free(self->scratch);
    cc_map_destroy(&self->queues_by_name);
    cc_map_destroy(&self->agents_by_ext);
    cc_map_destroy(&self->skills_by_name);
    free(self);
    *self_p = NULL;
}

/* ---- configuration ---- */

static int s_cfg_check(const acd_queue_cfg_t *cfg)
{
    if (!cfg->name[0] || cfg->strategy < ACD_STRATEGY_RING_ALL ||
        cfg->strategy > ACD_STRATEGY_SKILLS || cfg->ring_timeout_s < 0 || cfg->wrapup_s < 0 ||
        cfg->max_wait_s < 0 || cfg->max_len < 0 || cfg->sl_threshold_s < 0 ||
        cfg->overflow < ACD_OVERFLOW_HANGUP || cfg->overflow > ACD_OVERFLOW_CALLBACK ||
        !(cfg->aging_rate >= 0) || cfg->announce_every_s < 0 || cfg->skill_level < 0 ||
        cfg->skill_level > ACD_LEVEL_MAX || !(cfg->default_handle_s >= 0))
        return -EINVAL;
    return 0;
}

static void s_cfg_normalise(acd_queue_cfg_t *cfg)
{
    if (cfg->ring_timeout_s == 0)
        cfg->ring_timeout_s = ACD_RING_TIMEOUT_DEFAULT_S;
    if (cfg->skill_level == 0)
        cfg->skill_level = 1;
}

static int s_queue_add(acd_core_t *self, const acd_queue_cfg_t *cfg)
{
    if (s_reserve((void **)&self->queues, &self->queues_cap, self->nqueues + 1,
                  sizeof *self->queues) < 0)
        return -ENOMEM;
    acd_queue_t *queue = calloc(1, sizeof *queue);
    if (!queue)
        return -ENOMEM;
    queue->cfg = *cfg;
    acd_oset_init(&queue->calls, acd_call_cmp_qnode);
    acd_oset_init(&queue->plain, acd_call_cmp_snode);
    acd_ready_set_cmp(queue);
    acd_estimator_init(&queue->est, cfg->default_handle_s, 0);
    if (cc_map_insert(self->queues_by_name, queue->cfg.name, queue) < 0) {
        free(queue);
        return -ENOMEM;
    }
    self->queues[self->nqueues++] = queue;
    return 0;
}

int acd_core_queue_set(acd_core_t *self, const acd_queue_cfg_t *cfg)
{
    if (!self || !cfg || s_cfg_check(cfg) < 0 || !memchr(cfg->name, '\0', sizeof cfg->name))
        return -EINVAL;
    acd_queue_cfg_t norm = *cfg;
    s_cfg_normalise(&norm);
    acd_queue_t *queue = cc_map_get(self->queues_by_name, norm.name);
    if (!queue)
        return s_queue_add(self, &norm);
    /* Ready agents leave the ready set under the old order and come back under the new;
     * waiting calls are re-keyed (aging) and re-indexed (skills). */
    for (size_t i = 0; i < queue->nmembers; i++)
        acd_agent_unlink(self, queue->members[i]->agent);
    acd_queue_relink_all(self, queue, &norm);
    acd_ready_set_cmp(queue);
    queue->est.default_s =
        norm.default_handle_s > 0 ? norm.default_handle_s : ACD_ESTIMATE_DEFAULT_HANDLE_S;
    for (size_t i = 0; i < queue->nmembers; i++) {
        acd_agent_t *agent = queue->members[i]->agent;
        if (agent->state == ACD_AGENT_READY) {
            acd_agent_link(self, agent);
            acd_agent_set_pending(self, agent);
        }
    }
    return 0;
}

int acd_core_agent_add(acd_core_t *self, const char *ext)
{
    if (!self || !ext || !*ext || strlen(ext) >= ACD_EXT_MAX)
        return -EINVAL;
    if (cc_map_get(self->agents_by_ext, ext))
        return 0;
    /* The pending list can then hold every agent without growing during a step. */
    if (s_reserve((void **)&self->agents, &self->agents_cap, self->nagents + 1,
                  sizeof *self->agents) < 0 ||
        s_reserve((void **)&self->pending, &self->pending_cap, self->nagents + 1,
                  sizeof *self->pending) < 0)
        return -ENOMEM;
    acd_agent_t *agent = calloc(1, sizeof *agent);
    if (!agent)
        return -ENOMEM;
    acd_copy(agent->ext, sizeof agent->ext, ext);
    agent->seq = ++self->seq;
    agent->timer.seq = agent->seq;
    agent->timer.is_agent = true;
    agent->state_since_ms = self->now_ms;
    if (cc_map_insert(self->agents_by_ext, agent->ext, agent) < 0) {
        free(agent);
        return -ENOMEM;
    }
    self->agents[self->nagents++] = agent;
    return 0;
}

int acd_core_agent_set_skill(acd_core_t *self, const char *ext, const char *skill, int level)
{
    if (!self || !ext || !skill || !*skill || level < 0 || level > ACD_LEVEL_MAX)
        return -EINVAL;
    acd_agent_t *agent = cc_map_get(self->agents_by_ext, ext);
    if (!agent)
        return -ENOENT;
    int id = acd_skill_id(self, skill, true);
    if (id < 0)
        return -ENOMEM;
    size_t i = 0;
    while (i < agent->nskills && agent->skills[i].skill != id)
        i++;
    if (i == agent->nskills && level > 0 &&
        s_reserve((void **)&agent->skills, &agent->skills_cap, agent->nskills + 1,
                  sizeof *agent->skills) < 0)
        return -ENOMEM;
    bool was_linked = agent->linked;
    acd_agent_unlink(self, agent);
    if (level == 0 && i < agent->nskills)
        agent->skills[i] = agent->skills[--agent->nskills];
    else if (level > 0)
        agent->skills[i == agent->nskills ? agent->nskills++ : i] =
            (acd_skill_level_t){.skill = id, .level = level};
    int rc = 0;
    for (size_t m = 0; m < agent->nmembers; m++)
        if (acd_member_index_skills(self, agent->members[m]) < 0)
            rc = -ENOMEM;
    if (was_linked) {
        acd_agent_link(self, agent);
        acd_agent_set_pending(self, agent);
    }
    return rc;
}

int acd_core_agent_join(acd_core_t *self, const char *ext, const char *queue_name)
{
    if (!self || !ext || !queue_name)
        return -EINVAL;
    acd_agent_t *agent = cc_map_get(self->agents_by_ext, ext);
    acd_queue_t *queue = cc_map_get(self->queues_by_name, queue_name);
    if (!agent || !queue)
        return -ENOENT;
    for (size_t i = 0; i < agent->nmembers; i++)
        if (agent->members[i]->queue == queue)
            return 0;
    if (s_reserve((void **)&agent->members, &agent->members_cap, agent->nmembers + 1,
                  sizeof *agent->members) < 0 ||
        s_reserve((void **)&queue->members, &queue->members_cap, queue->nmembers + 1,
                  sizeof *queue->members) < 0 ||
        s_reserve((void **)&self->scratch, &self->scratch_cap, queue->nmembers + 1,
                  sizeof *self->scratch) < 0)
        return -ENOMEM;
    acd_member_t *member = calloc(1, sizeof *member);
    if (!member)
        return -ENOMEM;
    member->agent = agent;
    member->queue = queue;
    member->ring_pos = ++queue->next_ring_pos;
    if (acd_member_index_skills(self, member) < 0) {
        free(member);
        return -ENOMEM;
    }
    bool was_linked = agent->linked;
    acd_agent_unlink(self, agent);
    agent->members[agent->nmembers++] = member;
    queue->members[queue->nmembers++] = member;
    if (agent->state != ACD_AGENT_LOGGED_OUT)
        queue->staffed++;
    if (agent->state != ACD_AGENT_LOGGED_OUT && agent->state != ACD_AGENT_NOT_READY)
        queue->serving++;
    if (was_linked) {
        acd_agent_link(self, agent);
        acd_agent_set_pending(self, agent);
    }
    return 0;
}

int acd_core_agent_leave(acd_core_t *self, const char *ext, const char *queue_name)
{
    if (!self || !ext || !queue_name)
        return -EINVAL;
    acd_agent_t *agent = cc_map_get(self->agents_by_ext, ext);
    acd_queue_t *queue = cc_map_get(self->queues_by_name, queue_name);
    if (!agent || !queue)
        return -ENOENT;
    size_t i = 0;
    while (i < agent->nmembers && agent->members[i]->queue != queue)
        i++;
    if (i == agent->nmembers)
        return 0;
    acd_member_t *member = agent->members[i];
    bool was_linked = agent->linked;
    acd_agent_unlink(self, agent); /* out of the queue's ready and skill sets */
    /* order kept: the agent's list is small, the queue's ring order matters */
    memmove(&agent->members[i], &agent->members[i + 1],
            (agent->nmembers - i - 1) * sizeof *agent->members);
    agent->nmembers--;
    size_t q = 0;
    while (q < queue->nmembers && queue->members[q] != member)
        q++;
    if (q < queue->nmembers) {
        memmove(&queue->members[q], &queue->members[q + 1],
                (queue->nmembers - q - 1) * sizeof *queue->members);
        queue->nmembers--;
    }
    if (agent->state != ACD_AGENT_LOGGED_OUT)
        queue->staffed--;
    if (agent->state != ACD_AGENT_LOGGED_OUT && agent->state != ACD_AGENT_NOT_READY)
        queue->serving--;
    free(member->skills);
    free(member);
    if (was_linked)
        acd_agent_link(self, agent);
    return 0;
}

int acd_core_agent_queues(const acd_core_t *self, const char *ext, const char **names, size_t max)
{
    const acd_agent_t *agent = self && ext ? cc_map_get(self->agents_by_ext, ext) : NULL;
    if (!agent)
        return -ENOENT;
    for (size_t i = 0; i < agent->nmembers && i < max; i++)
        names[i] = agent->members[i]->queue->cfg.name;
    return (int)agent->nmembers;
}

int acd_core_agent_skills(const acd_core_t *self, const char *ext, const char **names, int *levels,
                          size_t max)
{
    const acd_agent_t *agent = self && ext ? cc_map_get(self->agents_by_ext, ext) : NULL;
    if (!agent)
        return -ENOENT;
    for (size_t i = 0; i < agent->nskills && i < max; i++) {
        names[i] = self->skill_names[agent->skills[i].skill];
        levels[i] = agent->skills[i].level;
    }
    return (int)agent->nskills;
}

/* ---- the step ---- */

static void s_route_pending(acd_core_t *self)
{
    for (size_t i = 0; i < self->npending; i++) {
        acd_agent_t *agent = self->pending[i];
        agent->pending = false;
        if (agent->state == ACD_AGENT_READY && !agent->offer && !agent->held)
            acd_route_agent(self, agent);
    }
    self->npending = 0;
}

static void s_run_timers(acd_core_t *self, int64_t until)
{
    const acd_onode_t *first;
    while ((first = acd_oset_first(&self->timers))) {
        acd_timer_t *timer = ACD_CONTAINER(first, acd_timer_t, node);
        if (timer->at > until)
            break;
        acd_oset_remove(&self->timers, &timer->node);
        if (timer->at > self->now_ms)
            self->now_ms = timer->at; /* handle each deadline at its own time */
        if (timer->is_agent)
            acd_agent_timer(self, ACD_CONTAINER(timer, acd_agent_t, timer));
        else
            acd_queue_call_timer(self, ACD_CONTAINER(timer, acd_call_t, timer));
        s_route_pending(self);
    }
}

int acd_core_step(acd_core_t *self, const acd_event_t *ev, acd_actions_t *out)
{
    if (!self || !ev || !out)
        return -EINVAL;
    out->count = 0;
    self->out = out;
    self->out_err = 0;
    int64_t now = ev->now_ms > self->now_ms ? ev->now_ms : self->now_ms;
    s_route_pending(self); /* agents made routable by configuration */
    s_run_timers(self, now);
    self->now_ms = now;
    int rc;
    switch (ev->kind) {
    case ACD_EV_TICK:
        rc = 0;
        break;
    case ACD_EV_CALL_ENQUEUED:
        rc = acd_queue_enqueue(self, ev);
        break;
    case ACD_EV_CALL_ABANDONED:
        rc = ev->call_id ? acd_queue_abandon(self, ev->call_id) : -EINVAL;
        break;
    case ACD_EV_CALL_MOVE:
        rc = acd_queue_move(self, ev);
        break;
    case ACD_EV_AGENT_LOGIN:
    case ACD_EV_AGENT_LOGOUT:
    case ACD_EV_AGENT_READY:
    case ACD_EV_AGENT_PAUSE:
    case ACD_EV_OFFER_ANSWERED:
    case ACD_EV_OFFER_REJECTED:
    case ACD_EV_OFFER_NO_ANSWER:
    case ACD_EV_CALL_ENDED:
    case ACD_EV_WRAPUP_TIMEOUT:
    case ACD_EV_AGENT_ON_CALL:
    case ACD_EV_AGENT_HOLD:
    case ACD_EV_AGENT_UNHOLD:
        rc = acd_agent_event(self, ev);
        break;
    default:
        rc = -EINVAL;
    }
    s_route_pending(self);
    self->out = NULL;
    return rc ? rc : self->out_err;
}

/* ---- queries ---- */

int acd_core_agent_info(const acd_core_t *self, const char *ext, acd_agent_info_t *out)
{
    const acd_agent_t *agent = self && ext ? cc_map_get(self->agents_by_ext, ext) : NULL;
    if (!agent || !out)
        return -ENOENT;
    memset(out, 0, sizeof *out);
    out->state = agent->state;
    acd_copy(out->reason, sizeof out->reason, agent->reason);
    out->state_since_ms = agent->state_since_ms;
    out->idle_since_ms = agent->idle_since_ms;
    out->calls_taken = agent->calls_taken;
    acd_copy(out->call_id, sizeof out->call_id, agent->offer ? agent->offer->id : agent->call_id);
    out->held = agent->held;
    acd_copy(out->hold_reason, sizeof out->hold_reason, agent->hold_reason);
    return 0;
}

int acd_core_call_info(const acd_core_t *self, const char *call_id, acd_call_info_t *out)
{
    const acd_call_t *call = self && call_id ? cc_map_get(self->calls_by_id, call_id) : NULL;
    if (!call || !out)
        return -ENOENT;
    memset(out, 0, sizeof *out);
    acd_copy(out->queue, sizeof out->queue, call->queue->cfg.name);
    out->offered = call->state == ACD_CALL_OFFERED;
    out->position = out->offered ? 0 : (int)acd_queue_position(call);
    out->enqueued_ms = call->enq_ms;
    out->priority = call->priority;
    out->entry_position = call->entry_position;
    out->entry_wait_s = call->entry_wait_s;
    if (call->skill >= 0)
        acd_copy(out->skill, sizeof out->skill, self->skill_names[call->skill]);
    out->min_level = call->min_level;
    return 0;
}

int acd_core_queue_info(const acd_core_t *self, const char *name, acd_queue_info_t *out)
{
    const acd_queue_t *queue = self && name ? cc_map_get(self->queues_by_name, name) : NULL;
    if (!queue || !out)
        return -ENOENT;
    memset(out, 0, sizeof *out);
    out->waiting = (unsigned)acd_oset_size(&queue->calls);
    out->ready = (unsigned)acd_oset_size(&queue->ready);
    out->staffed = queue->staffed;
    out->serving = queue->serving;
    out->handle_s = acd_estimator_handle_s(&queue->est);
    out->answered = queue->answered;
    out->abandoned = queue->abandoned;
    out->overflowed = queue->overflowed;
    out->answered_in_sl = queue->answered_in_sl;
    return 0;
}

/* ---- names ---- */

static const char *s_state_names[] = {"logged_out", "ready",   "reserved",
                                      "on_call",    "wrap_up", "not_ready"};
static const char *s_strategy_names[] = {"ring_all", "round_robin", "longest_idle", "fewest_calls",
                                         "skills"};
static const char *s_action_names[] = {"offer",    "cancel_offer", "connect", "agent_state",
                                       "overflow", "abandoned",    "announce"};

const char *acd_agent_state_name(acd_agent_state_t state)
{
    return state <= ACD_AGENT_NOT_READY ? s_state_names[state] : "?";
}

const char *acd_strategy_name(acd_strategy_t strategy)
{
    return strategy <= ACD_STRATEGY_SKILLS ? s_strategy_names[strategy] : "?";
}

const char *acd_action_kind_name(acd_action_kind_t kind)
{
    return kind <= ACD_ACT_ANNOUNCE ? s_action_names[kind] : "?";
}

int acd_strategy_parse(const char *text, acd_strategy_t *out)
{
    char norm[32];
    if (!text || strlen(text) >= sizeof norm)
        return -EINVAL;
    for (size_t i = 0; (norm[i] = text[i] == '-' ? '_' : text[i]) != '\0'; i++)
        ;
    for (int s = 0; s <= ACD_STRATEGY_SKILLS; s++) {
        if (strcmp(norm, s_strategy_names[s]) == 0) {
            *out = (acd_strategy_t)s;
            return 0;
        }
    }
    return -EINVAL;
}
