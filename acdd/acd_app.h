/* acd_app.h - acdd's adapters around the pure core: the state they share (the calls acdd
 * holds with their legs' ids, queue and agent metadata, the core and its action buffer),
 * and the functions main.c wires together. acd_calls.c and its siblings carry out the
 * core's actions (call.* to sipproxy, play.* to mediad, events, Postgres writes): the
 * caller's leg in acd_caller.c, offers and agents in acd_offer.c, callbacks in
 * acd_callback.c; acd_bus.c serves the commands and follows sipproxy's and mediad's
 * events; acd_db.c talks to Postgres. */
#ifndef ACD_APP_H
#define ACD_APP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "acd_core.h"
#include "acd_db.h"
#include "acd_map.h"
#include "cc_daemon.h"

#define ACD_OFFER_MAX 64
#define ACD_PAUSE_REASONS 9

typedef enum {
    ACD_CB_NONE = 0, /* an ordinary call: the caller waits on the line */
    ACD_CB_WAITING,  /* callback asked for: keeps its place, no caller leg */
    ACD_CB_AGENT,    /* at the head: the agent's phone rings (call.originate) */
    ACD_CB_CUSTOMER, /* the agent answered: the customer's number rings */
    ACD_CB_TALKING,  /* connected */
} acd_cb_stage_t;

typedef struct acd_call {
    char id[ACD_ID_MAX];
    char queue[ACD_NAME_MAX];
    char caller[ACD_NUMBER_MAX];
    int64_t endpoint_id;
    int priority;
    char skill[ACD_NAME_MAX];
    int skill_level;
    json_t *variables; /* owned; may be NULL */
    int64_t enqueued_ms, seq;
    bool in_core;  /* waiting or ringing in the core */
    bool answered; /* the caller's leg is answered */
    bool media_started; /* an announcement or music was started */
    bool dead;     /* freed after the current step */
    bool gone;     /* overflowed away or connected: only waiting for call.ended */
    bool return_to_ivr; /* connect the agent with on_callee_hangup=return (IVR survey) */
    int pending_position, pending_wait_s; /* an announcement waiting for the answer */
    /* the offer in progress (several agents for ring-all) */
    int64_t connect_id;
    bool connect_pending, cancel_pending, offer_new;
    /* a connect result that overtook call.connect's reply (events and replies travel on
     * different sockets): kept until the reply says whether it is this attempt's */
    int64_t early_connect_id;
    char early_result[16];
    char early_target[ACD_EXT_MAX + 8];
    char offer[ACD_OFFER_MAX][ACD_EXT_MAX];
    int noffer;
    int ring_timeout_s;
    /* answered */
    char agent[ACD_EXT_MAX];
    int64_t answered_ms;
    int64_t answered_connect_id; /* the call.connect the agent answered */
    /* media */
    int64_t announce_play_id, confirm_play_id;
    /* callback */
    acd_cb_stage_t cb;
    int cb_attempts;
    char cb_call_id[ACD_ID_MAX]; /* the call originated to the agent */
    int64_t cb_connect_id;
    bool cb_customer_answered;
    bool leg_gone;
    int retry_timer;   /* callback retry pending (cc_loop timer id), 0 none */
    void *retry;       /* its argument, freed with the call */
    struct acd_call *next_dirty;
} acd_call_t;

typedef struct {
    char name[ACD_NAME_MAX];
    char number[32];
    char callback_key[4];
    int sl_threshold_s;
    acd_strategy_t strategy;
} acd_qmeta_t;

typedef struct {
    char ext[ACD_EXT_MAX];
    char name[104];
    int64_t since_ms; /* of the state last published */
    bool deleted;     /* gone from the agents table: not listed, commands refused */
} acd_agent_meta_t;

typedef struct acd_app {
    cc_daemon_t *d;
    cc_bus_t *bus;
    acd_core_t *core;
    acd_actions_t out;
    acd_db_t *db;
    acd_map_t calls;  /* call id -> call; an originated callback leg's id -> its call */
    acd_map_t agents; /* ext -> acd_agent_meta_t */
    acd_qmeta_t *queues;
    size_t nqueues;
    int timer_id;
    int64_t timer_at;
    int64_t last_seq;
    bool restoring;
    int depth; /* nesting of acd_app_step */
    acd_call_t *dirty; /* calls that got offers in the current step */
    size_t ncalls;
    /* config */
    const char *language, *music, *cb_offer_prompt, *cb_confirm_prompt, *cb_caller;
    int cb_attempts_max, cb_retry_s, req_timeout_ms;
    char pause_reasons[ACD_PAUSE_REASONS][ACD_REASON_MAX];
    unsigned long steps;
    /* call.connect_result events for calls acdd does not know yet: an originated callback
     * leg can be answered before the call.originate reply that names it arrives. The
     * reply handler takes its result from here (a few slots suffice: one per originate
     * in flight). */
    struct {
        char call_id[ACD_ID_MAX];
        int64_t connect_id;
        char result[16];
        char target[ACD_EXT_MAX + 8];
    } early[8];
    unsigned early_next;
} acd_app_t;

/* ---- acd_calls.c, acd_caller.c, acd_offer.c, acd_callback.c ----------------------- */

int64_t acd_now_ms(void);
/* "2026-11-21T13:17:03.123Z" */
char *acd_iso_time(int64_t ms, char *buf, size_t len);

acd_call_t *acd_call_new(acd_app_t *app, const char *call_id);
acd_call_t *acd_call_find(acd_app_t *app, const char *call_id);
/* Keep a connect result for an unknown call; take it (true) once the call is known. */
void acd_early_result_keep(acd_app_t *app, const char *call_id, int64_t connect_id,
                           const char *result, const char *target);
bool acd_early_result_take(acd_app_t *app, const char *call_id, int64_t *connect_id,
                           char *result, size_t rlen, char *target, size_t tlen);
/* Mark for freeing after the current step (sweep: acd_calls_sweep). */
void acd_call_kill(acd_app_t *app, acd_call_t *call);
void acd_calls_sweep(acd_app_t *app);
void acd_calls_free_all(acd_app_t *app);
const acd_qmeta_t *acd_queue_meta(const acd_app_t *app, const char *name);

/* One event into the core, its actions carried out, the timer re-armed. Returns the
 * core's result (0 or -errno). */
int acd_app_step(acd_app_t *app, acd_event_t *ev);
/* Apply a configuration snapshot (start-up or NOTIFY reload): adds and updates. */
void acd_app_apply_config(acd_app_t *app, const acd_db_config_t *cfg);

/* Caller-leg media and callbacks, used by acd_bus.c. call.answer with these args (stolen);
 * the reply starts the pending announcement or the music. */
void acd_call_answer(acd_app_t *app, acd_call_t *call, json_t *args);
void acd_call_start_music(acd_app_t *app, acd_call_t *call);
void acd_call_request_callback(acd_app_t *app, acd_call_t *call, bool in_core);
void acd_call_on_play_done(acd_app_t *app, acd_call_t *call, int64_t play_id,
                           const char *reason);
void acd_call_on_connect_result(acd_app_t *app, acd_call_t *call, const char *call_id,
                                int64_t connect_id, const char *result, const char *target);
void acd_call_on_ended(acd_app_t *app, acd_call_t *call, const char *call_id);
/* call.connect_ended: the agent hung up (a return_to_ivr call: the IVR has the caller) or
 * transferred the caller away. connect_id 0: whatever connect the agent answered. */
void acd_call_on_connect_ended(acd_app_t *app, acd_call_t *call, const char *call_id,
                               int64_t connect_id, const char *reason);
/* A new call entering a queue (queue.enter, or a restored row). 0 or -errno from the
 * core (an overflow at once counts as taken: the overflow action dealt with it). */
int acd_call_enqueue(acd_app_t *app, acd_call_t *call, bool restored, const char *db_state);

/* Write helpers */
void acd_log_queue(acd_app_t *app, const char *call_id, const char *queue, const char *event,
                   const char *agent, const char *caller, int priority, double wait_s,
                   double talk_s, int position, int in_sl, const char *detail);

/* ---- acd_bus.c ------------------------------------------------------------------ */

int acd_bus_attach(acd_app_t *app);
/* agent.list's array: every agent acdd knows, with its live state. */
json_t *acd_agents_json(acd_app_t *app);

/* ---- acd_console.c: queue.snapshot, queue.move, queue.callback -------------------- */

int acd_console_attach(acd_app_t *app);
/* Restore waiting calls and agent states from Postgres (start-up). 0 or -1. */
int acd_bus_restore(acd_app_t *app, cc_pg_t *pg);

#endif
