/* acd_core.h - queue and agent state machine of acdd. Events in, actions out; no I/O and
 * no clock (every event carries the time), so every strategy is tested without a socket
 * and the routing is benchmarked alone. The adapters turn bus commands, SIP results and
 * Postgres rows into acd_event_t and acd_core_* calls, and acd_action_t into commands.
 * Routing rules, ordering keys and the wait estimate: docs/ACD-ROUTING.md. */
#ifndef ACD_CORE_H
#define ACD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACD_ID_MAX 128    /* call id */
#define ACD_NAME_MAX 64   /* queue, skill, overflow target */
#define ACD_EXT_MAX 32    /* agent extension */
#define ACD_REASON_MAX 32 /* not-ready reason, cancel reason, overflow reason */
#define ACD_LEVEL_MAX 10  /* skill levels are 1..ACD_LEVEL_MAX */
#define ACD_RING_TIMEOUT_DEFAULT_S 20

typedef struct acd_core acd_core_t;

typedef enum {
    ACD_STRATEGY_RING_ALL = 0,
    ACD_STRATEGY_ROUND_ROBIN,
    ACD_STRATEGY_LONGEST_IDLE,
    ACD_STRATEGY_FEWEST_CALLS,
    ACD_STRATEGY_SKILLS,
} acd_strategy_t;

typedef enum {
    ACD_OVERFLOW_HANGUP = 0,
    ACD_OVERFLOW_QUEUE,     /* the core moves the call to queue `target` itself */
    ACD_OVERFLOW_EXTENSION, /* the adapter sends it to extension `target` */
    ACD_OVERFLOW_VOICEMAIL,
    ACD_OVERFLOW_CALLBACK,
} acd_overflow_kind_t;

typedef enum {
    ACD_AGENT_LOGGED_OUT = 0,
    ACD_AGENT_READY,
    ACD_AGENT_RESERVED, /* an offer is ringing */
    ACD_AGENT_ON_CALL,
    ACD_AGENT_WRAP_UP,
    ACD_AGENT_NOT_READY, /* with a reason */
} acd_agent_state_t;

typedef struct {
    char name[ACD_NAME_MAX];
    acd_strategy_t strategy;
    int ring_timeout_s; /* per agent and offer; 0 -> ACD_RING_TIMEOUT_DEFAULT_S */
    int wrapup_s;       /* agent unavailable this long after a call of this queue */
    int max_wait_s;     /* 0: no limit; then the overflow action, reason "timeout" */
    int max_len;        /* 0: no limit; a call beyond it overflows, reason "full" */
    int sl_threshold_s; /* service level: answered within this many seconds */
    acd_overflow_kind_t overflow;
    char overflow_target[ACD_NAME_MAX];
    double aging_rate;            /* priority points gained per second of waiting */
    bool announce;                /* position + expected wait on entry ... */
    int announce_every_s;         /* ... and every N seconds (0: on entry only) */
    bool keep_ready_on_no_answer; /* default (false): ring-no-answer -> not_ready */
    char skill[ACD_NAME_MAX];     /* skills strategy: required skill of calls that bring none */
    int skill_level;              /* its minimum level (0 -> 1) */
    double default_handle_s;      /* wait estimate before any call is handled; 0 -> 180 */
} acd_queue_cfg_t;

typedef enum {
    ACD_EV_TICK = 0,        /* only the time: runs due timers */
    ACD_EV_CALL_ENQUEUED,   /* call_id, queue, priority, skill, min_level, enqueued_ms */
    ACD_EV_CALL_ABANDONED,  /* call_id: the caller hung up (waiting or ringing) */
    ACD_EV_AGENT_LOGIN,     /* agent; reason set: log in not ready with that reason */
    ACD_EV_AGENT_LOGOUT,    /* agent, reason (optional); on a call: logged out when it ends */
    ACD_EV_AGENT_READY,     /* agent: from not-ready or wrap-up */
    ACD_EV_AGENT_PAUSE,     /* agent, reason; on a call: paused after it */
    ACD_EV_OFFER_ANSWERED,  /* call_id, agent */
    ACD_EV_OFFER_REJECTED,  /* call_id, agent: declined -> not_ready("rejected") */
    ACD_EV_OFFER_NO_ANSWER, /* call_id, agent: as the core's own ring timeout */
    ACD_EV_CALL_ENDED,      /* agent: its call is over -> wrap-up */
    ACD_EV_WRAPUP_TIMEOUT,  /* agent: end wrap-up now (the core also ends it on time) */
    ACD_EV_AGENT_ON_CALL,   /* agent, call_id, queue: a logged-out agent comes back on the
                               call it was talking on (restore after a restart) */
    ACD_EV_CALL_MOVE,       /* call_id; queue: move it there (NULL or its own: stay, an
                               overflow action with reason "moved" otherwise); priority >= 0:
                               its new priority (-1: keep). Waiting calls only (-EPERM while
                               an offer rings). */
    ACD_EV_AGENT_HOLD,      /* agent, reason (who holds it, e.g. "preview"): busy on a call
                               outside the queues (a preview dial): offered nothing, its state
                               kept; an offer ringing is withdrawn (the agent chose to dial) */
    ACD_EV_AGENT_UNHOLD,    /* agent: the hold ends; a ready agent is routed again */
} acd_event_kind_t;

typedef struct {
    acd_event_kind_t kind;
    int64_t now_ms; /* wall-clock milliseconds; the core never reads a clock */
    const char *call_id;
    const char *queue;
    const char *agent; /* extension */
    const char *reason;
    int priority;        /* enqueue: higher is served first */
    const char *skill;   /* enqueue: required skill (skills queues), NULL: the queue's */
    int min_level;       /* enqueue: minimum level of that skill, 0 -> 1 */
    int64_t enqueued_ms; /* enqueue: 0 = now; earlier when restoring after a restart */
} acd_event_t;

typedef enum {
    ACD_ACT_OFFER = 0,    /* ring agent with call; ring-all gives one per agent */
    ACD_ACT_CANCEL_OFFER, /* stop ringing agent; reason answered_elsewhere | abandoned |
                            no_answer (ring timeout) | logout | paused */
    ACD_ACT_CONNECT,      /* agent answered: bridge; wait_ms is the time queued */
    ACD_ACT_AGENT_STATE,  /* from -> to, reason for not_ready and logged_out */
    ACD_ACT_OVERFLOW,     /* call leaves by overflow/target; reason full | timeout */
    ACD_ACT_ABANDONED,    /* call removed; wait_ms, position it had */
    ACD_ACT_ANNOUNCE,     /* position (1 = next) and expected_wait_s (-1 unknown) */
} acd_action_kind_t;

typedef struct {
    acd_action_kind_t kind;
    char call_id[ACD_ID_MAX];
    char queue[ACD_NAME_MAX];
    char agent[ACD_EXT_MAX];
    char reason[ACD_REASON_MAX];
    acd_agent_state_t from, to;
    int ring_timeout_s;
    int64_t wait_ms;
    int position;
    int expected_wait_s;
    acd_overflow_kind_t overflow;
    char target[ACD_NAME_MAX];
    int64_t at_ms; /* the core's time when it decided this (a timer's own deadline) */
} acd_action_t;

/* The caller owns it and passes it to every step; each step clears it first. Its array
 * grows as needed and is then reused, so steady-state steps do not allocate. */
typedef struct {
    acd_action_t *items;
    size_t count, cap;
} acd_actions_t;

void acd_actions_init(acd_actions_t *actions);
void acd_actions_free(acd_actions_t *actions);

typedef struct {
    acd_agent_state_t state;
    char reason[ACD_REASON_MAX];
    int64_t state_since_ms;
    int64_t idle_since_ms; /* last call end, or when it came back from not-ready/login */
    unsigned calls_taken;
    char call_id[ACD_ID_MAX];         /* the call offered or being handled, "" if none */
    bool held;                        /* ACD_EV_AGENT_HOLD: offered nothing until released */
    char hold_reason[ACD_REASON_MAX]; /* who holds it */
} acd_agent_info_t;

typedef struct {
    char queue[ACD_NAME_MAX];
    bool offered; /* ringing an agent: not counted as waiting */
    int position; /* 1 = next; 0 while offered */
    int64_t enqueued_ms;
    int priority;
    /* When it entered its current queue (for the reports): its position then (0: offered
     * at once) and the wait expected then, announced or not (-1: no estimate, because it
     * was offered at once or no member was logged in). */
    int entry_position;
    int entry_wait_s;
    char skill[ACD_NAME_MAX]; /* the skill it needs ("" none) and its minimum level */
    int min_level;
} acd_call_info_t;

typedef struct {
    unsigned waiting, ready, staffed, serving; /* serving: staffed and not paused */
    double handle_s;                           /* current handle-time estimate */
    unsigned long answered, abandoned, overflowed, answered_in_sl;
} acd_queue_info_t;

acd_core_t *acd_core_new(void);
void acd_core_destroy(acd_core_t **self_p);

/* Configuration (from Postgres at start and on NOTIFY). Adds or updates; an agent made
 * routable by a change is routed on the next step. 0 or -errno (-ENOENT unknown name,
 * -EINVAL bad value, -ENOMEM). */
int acd_core_queue_set(acd_core_t *self, const acd_queue_cfg_t *cfg);
int acd_core_agent_add(acd_core_t *self, const char *ext);
/* level 0 removes the skill. */
int acd_core_agent_set_skill(acd_core_t *self, const char *ext, const char *skill, int level);
int acd_core_agent_join(acd_core_t *self, const char *ext, const char *queue);
/* The reverse of join (0 also when not a member): no new offers from that queue; a call
 * of it already ringing or talking here goes on. */
int acd_core_agent_leave(acd_core_t *self, const char *ext, const char *queue);
/* What the core holds for an agent, to reconcile it with a reloaded configuration: up to
 * max queue names (or skill names with their levels), valid until the next change. The
 * count (which may exceed max), or -ENOENT. */
int acd_core_agent_queues(const acd_core_t *self, const char *ext, const char **names, size_t max);
int acd_core_agent_skills(const acd_core_t *self, const char *ext, const char **names, int *levels,
                          size_t max);

/* One event: runs the timers due by ev->now_ms, applies the event, routes, and leaves the
 * resulting actions in out (cleared first). 0, or -ENOENT (unknown call/agent/queue),
 * -EEXIST (call already queued), -EPERM (not allowed in the agent's state), -EINVAL,
 * -ENOMEM. On error the state is unchanged except for timers that were due. */
int acd_core_step(acd_core_t *self, const acd_event_t *ev, acd_actions_t *out);

/* The earliest timer (ring timeout, wrap-up end, max wait, announcement), or INT64_MAX:
 * the adapter ticks then. */
int64_t acd_core_next_timer_ms(const acd_core_t *self);

int acd_core_agent_info(const acd_core_t *self, const char *ext, acd_agent_info_t *out);
int acd_core_call_info(const acd_core_t *self, const char *call_id, acd_call_info_t *out);
int acd_core_queue_info(const acd_core_t *self, const char *queue, acd_queue_info_t *out);

const char *acd_agent_state_name(acd_agent_state_t state); /* "not_ready", ... */
const char *acd_strategy_name(acd_strategy_t strategy);    /* "longest_idle", ... */
/* "longest-idle" and "longest_idle" both parse. 0 or -EINVAL. */
int acd_strategy_parse(const char *text, acd_strategy_t *out);
const char *acd_action_kind_name(acd_action_kind_t kind);

#endif
