/* acd_app.h - what acdd's adapter files around the pure core share: the state (the calls
 * acdd holds with their legs' ids, queue and agent metadata, the core and its action
 * buffer) and each file's functions. The files, by concern:
 *   acd_calltable.c     the calls: table, sweep, Postgres rows, requests owned by a call
 *   acd_step.c          one event into the core, its actions dispatched; the core's timer
 *   acd_config_apply.c  a configuration snapshot applied (start-up, NOTIFY)
 *   acd_waiting.c       the caller while waiting: entering, answer, announcements and
 *                       music (again after a mediad restart), overflow, abandon, the end
 *                       of the caller's leg
 *   acd_offer.c         offers to agents and their results; agent state changes
 *   acd_callback.c      callbacks: asking for one, the agent's leg, the customer's, retries
 *   acd_bus.c           the commands served, sipproxy's and mediad's events, restore
 *   acd_db.c            Postgres (config loads, the writer thread) */
#ifndef ACD_APP_H
#define ACD_APP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "acd_core.h"
#include "acd_db.h"
#include "cc_daemon.h"
#include "cc_map.h"

#define ACD_OFFER_MAX 64
#define ACD_PAUSE_REASONS 9

typedef enum {
    ACD_CB_NONE = 0, /* an ordinary call: the caller waits on the line */
    ACD_CB_WAITING,  /* callback asked for: keeps its place, no caller leg */
    ACD_CB_AGENT,    /* at the head: the agent's phone rings (call.originate) */
    ACD_CB_CUSTOMER, /* the agent answered: the customer's number rings */
    ACD_CB_TALKING,  /* connected */
} acd_cb_stage_t;

struct acd_app;

typedef struct acd_call {
    struct acd_app *app;
    cc_bus_owner_t requests; /* its requests in flight: cancelled when it dies */
    char id[ACD_ID_MAX];
    char queue[ACD_NAME_MAX];
    char caller[ACD_NUMBER_MAX];
    int64_t endpoint_id;
    int priority;
    char skill[ACD_NAME_MAX];
    int skill_level;
    json_t *variables; /* owned; may be NULL */
    int64_t enqueued_ms, seq;
    bool in_core;       /* waiting or ringing in the core */
    bool answered;      /* the caller's leg is answered */
    bool media_started; /* an announcement or music was started */
    bool dead;          /* freed after the current step (on the app's dead list) */
    bool gone;          /* overflowed away or connected: only waiting for call.ended */
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
    int retry_timer; /* callback retry pending (cc_loop timer id), 0 none */
    struct acd_call *next_dirty, *next_dead;
} acd_call_t;

typedef struct {
    char name[ACD_NAME_MAX];
    char number[32];
    char callback_key[4];
    char music[128];  /* "" = [acdd] music */
    char language[8]; /* "" = [acdd] language */
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
    cc_map_t *calls;  /* call id -> call; an originated callback leg's id -> its call */
    cc_map_t *agents; /* ext -> acd_agent_meta_t (owned) */
    acd_qmeta_t *queues;
    size_t nqueues;
    int timer_id;
    int64_t timer_at;
    int64_t last_seq;
    bool restoring;
    int depth;         /* nesting of acd_app_step */
    acd_call_t *dirty; /* calls that got offers in the current step */
    acd_call_t *dead;  /* calls killed, freed by the next sweep */
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

/* ---- acd_calltable.c: the calls, their rows, their requests ----------------------- */

static inline void acd_text_copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static inline const char *acd_fmt_int(char *buf, size_t len, long long v)
{
    snprintf(buf, len, "%lld", v);
    return buf;
}

static inline const char *acd_fmt_num(char *buf, size_t len, double v)
{
    snprintf(buf, len, "%.3f", v);
    return buf;
}

int64_t acd_now_ms(void);
/* "2026-11-21T13:17:03.123Z" */
char *acd_iso_time(int64_t ms, char *buf, size_t len);
const acd_qmeta_t *acd_queue_meta(const acd_app_t *app, const char *name);
/* Seconds since the call entered its (current) queue. */
double acd_call_wait_s(const acd_call_t *call);

acd_call_t *acd_call_new(acd_app_t *app, const char *call_id);
acd_call_t *acd_call_find(acd_app_t *app, const char *call_id);
/* Mark for freeing after the current step (sweep: acd_calls_sweep). Its requests are
 * cancelled now: no reply reaches a dead call. */
void acd_call_kill(acd_app_t *app, acd_call_t *call);
void acd_calls_sweep(acd_app_t *app);
void acd_calls_free_all(acd_app_t *app);

/* Sends `cmd` to `target` (args stolen) about `call`. With on_reply the call owns the
 * request: on_reply gets the call as its arg, runs only while the call lives (its death
 * cancels the request) and ends with acd_calls_sweep, as every entry point does. Without
 * on_reply nobody waits (call may then be NULL): errors are only logged. */
void acd_request(acd_app_t *app, acd_call_t *call, const char *target, const char *cmd,
                 json_t *args, cc_bus_reply_fn *on_reply);
/* call.hangup of one leg (the caller's, or a callback's originated leg). */
void acd_hangup(acd_app_t *app, const char *call_id, const char *reason);

void acd_log_queue(acd_app_t *app, const char *call_id, const char *queue, const char *event,
                   const char *agent, const char *caller, int priority, double wait_s,
                   double talk_s, int position, int in_sl, const char *detail);
/* The 'entered' row of a call the core has just placed in its queue: position, expected
 * wait and skill as the core saw them on entry. detail: NULL, or how it came (overflow). */
void acd_log_entered(acd_app_t *app, const acd_call_t *call, const char *detail);
/* The queue_calls row of a call entering (a new seq for its order), in state db_state. */
void acd_qcall_insert(acd_app_t *app, acd_call_t *call, const char *db_state);
void acd_qcall_update(acd_app_t *app, const acd_call_t *call, const char *state);
void acd_qcall_delete(acd_app_t *app, const acd_call_t *call);

/* Keep a connect result for an unknown call; take it (true) once the call is known. */
void acd_early_result_keep(acd_app_t *app, const char *call_id, int64_t connect_id,
                           const char *result, const char *target);
bool acd_early_result_take(acd_app_t *app, const char *call_id, int64_t *connect_id, char *result,
                           size_t rlen, char *target, size_t tlen);

/* ---- acd_step.c, acd_config_apply.c ------------------------------------------------ */

/* One event into the core, its actions carried out, the timer re-armed. Returns the
 * core's result (0 or -errno). */
int acd_app_step(acd_app_t *app, acd_event_t *ev);
/* Apply a configuration snapshot (start-up or NOTIFY reload): adds and updates. */
void acd_app_apply_config(acd_app_t *app, const acd_db_config_t *cfg);

/* ---- acd_waiting.c: the caller's leg while it waits --------------------------------- */

/* A new call entering a queue (queue.enter, or a restored row). 0 or -errno from the
 * core (an overflow at once counts as taken: the overflow action dealt with it). */
int acd_call_enqueue(acd_app_t *app, acd_call_t *call, bool restored, const char *db_state);
/* call.answer with these args (stolen); the reply starts the pending announcement or the
 * music. */
void acd_call_answer(acd_app_t *app, acd_call_t *call, json_t *args);
void acd_call_start_music(acd_app_t *app, acd_call_t *call);
void acd_call_play(acd_app_t *app, acd_call_t *call, json_t *prompts, bool loop,
                   cc_bus_reply_fn *on_reply);
void acd_call_play_stop(acd_app_t *app, acd_call_t *call);
/* The agent's part of an answered call ended: queue.completed and the completed row, with
 * the same talk time. */
void acd_call_completed(acd_app_t *app, acd_call_t *call, const char *detail);
void acd_call_on_play_done(acd_app_t *app, acd_call_t *call, int64_t play_id, const char *reason);
/* call.media_restored: mediad restarted and the caller's endpoint is back without what
 * acdd played on it; play again what the caller should be hearing. */
void acd_call_on_media_restored(acd_app_t *app, acd_call_t *call, int64_t gap_ms);
void acd_call_on_ended(acd_app_t *app, acd_call_t *call, const char *call_id);
/* call.connect_ended: the agent hung up (a return_to_ivr call: the IVR has the caller) or
 * transferred the caller away. connect_id 0: whatever connect the agent answered. */
void acd_call_on_connect_ended(acd_app_t *app, acd_call_t *call, const char *call_id,
                               int64_t connect_id, const char *reason);
void acd_act_overflow(acd_app_t *app, const acd_action_t *a);
void acd_act_abandoned(acd_app_t *app, const acd_action_t *a);
void acd_act_announce(acd_app_t *app, const acd_action_t *a);

/* ---- acd_offer.c: offers and agents ------------------------------------------------- */

void acd_act_offer(acd_app_t *app, const acd_action_t *a);
void acd_act_cancel(acd_app_t *app, const acd_action_t *a);
void acd_act_connect(acd_app_t *app, const acd_action_t *a);
void acd_act_agent_state(acd_app_t *app, const acd_action_t *a);
/* The offers of the step just done go out (one attempt per call). */
void acd_offers_send(acd_app_t *app);
/* Every agent the call was offered to failed (kind: no answer or rejected). */
void acd_offers_failed_all(acd_app_t *app, acd_call_t *call, acd_event_kind_t kind);
void acd_call_on_connect_result(acd_app_t *app, acd_call_t *call, const char *call_id,
                                int64_t connect_id, const char *result, const char *target);
const char *acd_call_caller_name(const acd_call_t *call);
/* X-CC-* headers for the agent's INVITE (the screen pop a softphone shows). */
json_t *acd_call_headers(const acd_call_t *call);

/* ---- acd_callback.c: callbacks ------------------------------------------------------ */

/* The caller asked for a callback (key press, or callback overflow when !in_core). */
void acd_call_request_callback(acd_app_t *app, acd_call_t *call, bool in_core);
/* Play the confirmation to the caller, who is hung up when it ends. */
void acd_cb_confirm(acd_app_t *app, acd_call_t *call);
/* The callback's offer goes out: call.originate to the agent. */
void acd_cb_send_offer(acd_app_t *app, acd_call_t *call, int timeout_s);
/* Its last offer was cancelled: hang up the agent's leg, wait again. */
void acd_cb_offer_cancelled(acd_app_t *app, acd_call_t *call);
/* The agent answered: now ring the customer. */
void acd_cb_agent_answered(acd_app_t *app, acd_call_t *call);
void acd_cb_on_connect_result(acd_app_t *app, acd_call_t *call, const char *call_id,
                              int64_t connect_id, const char *result);
/* call.ended of the callback's originated leg. */
void acd_cb_on_leg_ended(acd_app_t *app, acd_call_t *call);
/* Forget the originated leg (its id no longer maps to the call). */
void acd_cb_leg_forget(acd_app_t *app, acd_call_t *call);
void acd_cb_row(acd_app_t *app, const acd_call_t *call, const char *agent, const char *result);

/* ---- acd_bus.c ------------------------------------------------------------------ */

int acd_bus_attach(acd_app_t *app);
/* agent.list's array: every agent acdd knows, with its live state. */
json_t *acd_agents_json(acd_app_t *app);

/* ---- acd_console.c: queue.snapshot, queue.move, queue.callback -------------------- */

int acd_console_attach(acd_app_t *app);
/* Restore waiting calls and agent states from Postgres (start-up). 0 or -1. */
int acd_bus_restore(acd_app_t *app, cc_pg_t *pg);

#endif
