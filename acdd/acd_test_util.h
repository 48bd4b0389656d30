/* acd_test_util.h - fixture for the ACD core's unit tests: a core, an action buffer and
 * a clock the test moves by hand, with one-line helpers for events and for finding the
 * actions a step produced. Only the acd_*_test.c files include it. */
#ifndef ACD_TEST_UTIL_H
#define ACD_TEST_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acd_core.h"

typedef struct {
    acd_core_t *core;
    acd_actions_t out;
    int64_t now; /* ms */
} acd_fx_t;

static inline void fx_init(acd_fx_t *fx)
{
    fx->core = acd_core_new();
    acd_actions_init(&fx->out);
    fx->now = 1700000000000LL;
}

static inline void fx_fini(acd_fx_t *fx)
{
    acd_core_destroy(&fx->core);
    acd_actions_free(&fx->out);
}

static inline acd_queue_cfg_t fx_qcfg(const char *name, acd_strategy_t strategy)
{
    acd_queue_cfg_t cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.name, sizeof cfg.name, "%s", name);
    cfg.strategy = strategy;
    cfg.ring_timeout_s = 15;
    cfg.sl_threshold_s = 20;
    return cfg;
}

static inline int fx_queue(acd_fx_t *fx, const char *name, acd_strategy_t strategy)
{
    acd_queue_cfg_t cfg = fx_qcfg(name, strategy);
    return acd_core_queue_set(fx->core, &cfg);
}

static inline int fx_step(acd_fx_t *fx, acd_event_t ev)
{
    ev.now_ms = fx->now;
    return acd_core_step(fx->core, &ev, &fx->out);
}

static inline int fx_tick(acd_fx_t *fx, int64_t advance_ms)
{
    fx->now += advance_ms;
    return fx_step(fx, (acd_event_t){.kind = ACD_EV_TICK});
}

static inline int fx_enqueue(acd_fx_t *fx, const char *call, const char *queue, int priority)
{
    return fx_step(fx, (acd_event_t){.kind = ACD_EV_CALL_ENQUEUED,
                                     .call_id = call,
                                     .queue = queue,
                                     .priority = priority});
}

static inline int fx_enqueue_skill(acd_fx_t *fx, const char *call, const char *queue,
                                   const char *skill, int min_level)
{
    return fx_step(fx, (acd_event_t){.kind = ACD_EV_CALL_ENQUEUED,
                                     .call_id = call,
                                     .queue = queue,
                                     .skill = skill,
                                     .min_level = min_level});
}

static inline int fx_agent_ev(acd_fx_t *fx, acd_event_kind_t kind, const char *agent,
                              const char *reason)
{
    return fx_step(fx, (acd_event_t){.kind = kind, .agent = agent, .reason = reason});
}

static inline int fx_offer_ev(acd_fx_t *fx, acd_event_kind_t kind, const char *call,
                              const char *agent)
{
    return fx_step(fx, (acd_event_t){.kind = kind, .call_id = call, .agent = agent});
}

/* Adds the agent to the queue and logs it in (ready). */
static inline int fx_agent(acd_fx_t *fx, const char *ext, const char *queue)
{
    int rc = acd_core_agent_add(fx->core, ext);
    if (rc == 0 && queue)
        rc = acd_core_agent_join(fx->core, ext, queue);
    return rc ? rc : fx_agent_ev(fx, ACD_EV_AGENT_LOGIN, ext, NULL);
}

/* Answer, then end the call at once (no wrap-up unless the queue has one). */
static inline int fx_serve(acd_fx_t *fx, const char *call, const char *agent)
{
    int rc = fx_offer_ev(fx, ACD_EV_OFFER_ANSWERED, call, agent);
    return rc ? rc : fx_offer_ev(fx, ACD_EV_CALL_ENDED, NULL, agent);
}

static inline const acd_action_t *fx_find(const acd_fx_t *fx, acd_action_kind_t kind,
                                          const char *call, const char *agent)
{
    for (size_t i = 0; i < fx->out.count; i++) {
        const acd_action_t *a = &fx->out.items[i];
        if (a->kind == kind && (!call || strcmp(a->call_id, call) == 0) &&
            (!agent || strcmp(a->agent, agent) == 0))
            return a;
    }
    return NULL;
}

static inline size_t fx_count(const acd_fx_t *fx, acd_action_kind_t kind)
{
    size_t n = 0;
    for (size_t i = 0; i < fx->out.count; i++)
        n += fx->out.items[i].kind == kind;
    return n;
}

/* The agent the last step offered `call` to, or "-" if none. */
static inline const char *fx_offered_to(const acd_fx_t *fx, const char *call)
{
    const acd_action_t *a = fx_find(fx, ACD_ACT_OFFER, call, NULL);
    return a ? a->agent : "-";
}

/* The call the last step offered to `agent`, or "-" if none. */
static inline const char *fx_offered_call(const acd_fx_t *fx, const char *agent)
{
    const acd_action_t *a = fx_find(fx, ACD_ACT_OFFER, NULL, agent);
    return a ? a->call_id : "-";
}

static inline acd_agent_state_t fx_state(const acd_fx_t *fx, const char *ext)
{
    acd_agent_info_t info;
    return acd_core_agent_info(fx->core, ext, &info) == 0 ? info.state : (acd_agent_state_t)-1;
}

static inline const char *fx_reason(const acd_fx_t *fx, const char *ext)
{
    static acd_agent_info_t info;
    return acd_core_agent_info(fx->core, ext, &info) == 0 ? info.reason : "?";
}

static inline int fx_position(const acd_fx_t *fx, const char *call)
{
    acd_call_info_t info;
    return acd_core_call_info(fx->core, call, &info) == 0 ? info.position : -1;
}

#endif
