/* acd_priv.h - the ACD core's internal structs and the functions its files share
 * (acd_core.c: objects, config, step, timers; acd_queue.c: waiting calls; acd_agent.c:
 * agent states; acd_select.c: routing). Not for adapters: they use acd_core.h. */
#ifndef ACD_PRIV_H
#define ACD_PRIV_H

#include "acd_core.h"
#include "acd_estimate.h"
#include "acd_oset.h"
#include "cc_map.h"

typedef struct acd_queue acd_queue_t;
typedef struct acd_agent acd_agent_t;
typedef struct acd_call acd_call_t;
typedef struct acd_member acd_member_t;

/* One deadline in the core's timer set: a call's (max wait, announcement) or an agent's
 * (ring timeout, wrap-up end). */
typedef struct {
    acd_onode_t node;
    int64_t at;
    uint64_t seq;
    bool is_agent;
} acd_timer_t;

typedef enum {
    ACD_CALL_WAITING = 0,
    ACD_CALL_OFFERED
} acd_call_state_t;

struct acd_call {
    char id[ACD_ID_MAX];
    acd_queue_t *queue;
    acd_call_state_t state;
    int priority;
    int skill;     /* skill id, -1 for none */
    int min_level; /* 1..ACD_LEVEL_MAX */
    int64_t enq_ms;
    uint64_t seq;
    int64_t key;         /* static order key, see acd_queue.c; higher first */
    bool at_head;        /* back from a failed offer: ahead of every other call */
    int hops;            /* overflows to another queue so far */
    acd_onode_t qnode;   /* queue->calls: every waiting call, for order and position */
    acd_onode_t snode;   /* skills queues: queue->plain or a skill bucket */
    acd_oset_t *sset;    /* the set snode is in */
    acd_timer_t timer;   /* armed while waiting */
    int64_t deadline_ms; /* max wait, or INT64_MAX */
    int64_t announce_ms; /* next periodic announcement, or INT64_MAX */
    int entry_position;  /* when it entered this queue: 0 if offered at once */
    int entry_wait_s;    /* the expected wait then, -1: none (offered at once, nobody in) */
    acd_agent_t *offers; /* agents ringing with it, linked by offer_next */
    acd_call_t *free_next;
};

/* An agent's skill as indexed in one queue: queue skill set ordered by level, idle. */
typedef struct {
    acd_onode_t node;
    acd_member_t *member;
    int skill;
    int level;
} acd_mskill_t;

/* An agent's membership of a queue. */
struct acd_member {
    acd_agent_t *agent;
    acd_queue_t *queue;
    uint64_t ring_pos; /* join order, the round-robin ring */
    acd_onode_t rnode; /* queue->ready while the agent is ready */
    acd_mskill_t *skills;
    size_t nskills;
};

typedef struct {
    int skill;
    int level;
} acd_skill_level_t;

struct acd_agent {
    char ext[ACD_EXT_MAX];
    uint64_t seq;
    acd_agent_state_t state;
    char reason[ACD_REASON_MAX];
    int64_t state_since_ms;
    int64_t idle_since_ms;
    unsigned calls_taken;
    acd_skill_level_t *skills;
    size_t nskills, skills_cap;
    acd_member_t **members;
    size_t nmembers, members_cap;
    acd_call_t *offer;        /* the call ringing here (reserved) */
    acd_agent_t *offer_next;  /* next agent ringing with the same call */
    char call_id[ACD_ID_MAX]; /* the call being handled (on call, wrap-up) */
    acd_queue_t *call_queue;  /* its queue: wrap-up time and handle-time samples */
    int64_t answered_ms;
    acd_timer_t timer; /* ring timeout while reserved, end of wrap-up */
    bool linked;       /* in the ready sets of its queues */
    bool pending;      /* on the core's list of agents to route */
    bool logout_pending;
    bool pause_pending;
    bool held; /* busy outside the queues (a preview dial): never linked, never routed */
    char hold_reason[ACD_REASON_MAX];
    char pause_reason[ACD_REASON_MAX];
    char logout_reason[ACD_REASON_MAX]; /* of a logout pending until the call ends */
};

/* Per queue and skill: the ready agents having it, best level first, and the waiting
 * calls needing it, one bucket per minimum level (so an agent of level L looks only at
 * buckets 1..L, and only the non-empty ones). */
typedef struct {
    acd_oset_t agents;
    acd_oset_t calls[ACD_LEVEL_MAX + 1];
    uint32_t levels_mask; /* bit l: calls[l] not empty */
} acd_qskill_t;

struct acd_queue {
    acd_queue_cfg_t cfg;
    acd_oset_t calls;      /* waiting calls, best first */
    acd_oset_t plain;      /* skills queues: waiting calls that need no skill */
    acd_oset_t ready;      /* ready members, ordered by the strategy */
    acd_qskill_t **skills; /* by skill id, NULL until used */
    size_t nskills;
    acd_member_t **members;
    size_t nmembers, members_cap;
    uint64_t next_ring_pos;
    uint64_t rr_last; /* ring_pos of the last member offered a call (round robin) */
    bool rr_started;
    unsigned staffed, serving;
    acd_estimator_t est;
    unsigned long answered, abandoned, overflowed, answered_in_sl;
};

struct acd_core {
    cc_map_t *queues_by_name; /* name -> queue (the array below owns them) */
    acd_queue_t **queues;
    size_t nqueues, queues_cap;
    cc_map_t *agents_by_ext; /* ext -> agent (the array below owns them) */
    acd_agent_t **agents;
    size_t nagents, agents_cap;
    cc_map_t *calls_by_id;    /* id -> waiting or offered call (owned) */
    cc_map_t *skills_by_name; /* name -> skill id + 1 */
    char **skill_names;
    size_t nskills, skills_cap;
    acd_oset_t timers;
    acd_call_t *free_calls;
    uint64_t seq;
    int64_t now_ms;
    acd_actions_t *out;
    int out_err;
    acd_agent_t **pending; /* agents that became ready: routed at the end of the step */
    size_t npending, pending_cap;
    acd_member_t **scratch; /* ring-all: the members to offer one call to */
    size_t scratch_cap;
};

/* acd_core.c */
acd_action_t *acd_emit(acd_core_t *core, acd_action_kind_t kind, const acd_call_t *call,
                       const acd_agent_t *agent);
void acd_timer_set(acd_core_t *core, acd_timer_t *timer, int64_t at);
void acd_timer_clear(acd_core_t *core, acd_timer_t *timer);
int acd_skill_id(acd_core_t *core, const char *name, bool create); /* -1 unknown/-ENOMEM */
acd_qskill_t *acd_queue_skill(acd_queue_t *queue, int skill, bool create);
void acd_copy(char *dst, size_t size, const char *src);

/* acd_queue.c */
acd_ocmp_fn acd_call_cmp_qnode, acd_call_cmp_snode;
void acd_call_rekey(acd_call_t *call);
int acd_queue_enqueue(acd_core_t *core, const acd_event_t *ev);
void acd_queue_link(acd_core_t *core, acd_call_t *call);
void acd_queue_unlink(acd_core_t *core, acd_call_t *call);
void acd_queue_requeue(acd_core_t *core, acd_call_t *call);
void acd_queue_relink_all(acd_core_t *core, acd_queue_t *queue, const acd_queue_cfg_t *cfg);
int acd_queue_abandon(acd_core_t *core, const char *call_id);
int acd_queue_move(acd_core_t *core, const acd_event_t *ev);
void acd_queue_call_timer(acd_core_t *core, acd_call_t *call);
void acd_call_release(acd_core_t *core, acd_call_t *call);
bool acd_call_better(const acd_call_t *a, const acd_call_t *b, int64_t now_ms);
unsigned acd_queue_position(const acd_call_t *call); /* 1 = next */
int acd_queue_expected_wait_s(const acd_call_t *call);

/* acd_agent.c */
void acd_agent_set_state(acd_core_t *core, acd_agent_t *agent, acd_agent_state_t to,
                         const char *reason);
void acd_agent_link(acd_core_t *core, acd_agent_t *agent);
void acd_agent_unlink(acd_core_t *core, acd_agent_t *agent);
void acd_agent_set_pending(acd_core_t *core, acd_agent_t *agent);
int acd_agent_event(acd_core_t *core, const acd_event_t *ev);
void acd_agent_timer(acd_core_t *core, acd_agent_t *agent);
void acd_agent_release_offer(acd_core_t *core, acd_agent_t *agent);
void acd_ready_set_cmp(acd_queue_t *queue);
acd_ocmp_fn acd_mskill_cmp;
int acd_member_index_skills(acd_core_t *core, acd_member_t *member);

/* acd_select.c */
bool acd_route_call(acd_core_t *core, acd_call_t *call);
void acd_route_agent(acd_core_t *core, acd_agent_t *agent);
void acd_offer(acd_core_t *core, acd_call_t *call, acd_member_t *member);

#endif
