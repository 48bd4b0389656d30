/* wb_core.h - the wallboard's truth: acdd's events (and today's rows from the reports, fed
 * as the same events) in, queue / agent / call / alert state out, time passed in. No I/O,
 * no clock, no JSON: wd_bus.c turns bus events into wb_event_t, wb_json.c renders the
 * state, and what changed in a step is listed for the live streams (wb_changes_t).
 *
 * Two kinds of state:
 * - live: calls waiting, ringing, talking or waiting for a callback; agents' states and
 *   current calls. Only events with `live` set change it (the snapshot taken from acdd
 *   already reflects older ones).
 * - today: the day's figures, per queue and per agent, for events whose time falls in
 *   [day_start, day_end) (the centre's day, given by the adapter). They are idempotent:
 *   a call entering a queue, its answer, abandon, overflow and completion, and an agent's
 *   state change count once however often they are fed (rows from Postgres first, then
 *   acdd's replay of the same events), so the end-of-day result equals the BI views
 *   (v_queue_stats_daily, v_queue_handle_daily, v_agent_stats_daily). */
#ifndef WB_CORE_H
#define WB_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WB_ID_MAX 128
#define WB_NAME_MAX 64
#define WB_EXT_MAX 32
#define WB_REASON_MAX 32
#define WB_NUMBER_MAX 64
#define WB_QSET_WORDS 16 /* queues a stream can be scoped to: 64 * 16 */
#define WB_QUEUES_MAX (64 * WB_QSET_WORDS)

/* A set of queues by index (wb_queue_t.idx). */
typedef struct {
    uint64_t w[WB_QSET_WORDS];
} wb_qset_t;

static inline void wb_qset_add(wb_qset_t *s, int idx)
{
    if (idx >= 0 && idx < WB_QUEUES_MAX)
        s->w[idx / 64] |= 1ull << (idx % 64);
}
static inline bool wb_qset_has(const wb_qset_t *s, int idx)
{
    return idx >= 0 && idx < WB_QUEUES_MAX && (s->w[idx / 64] >> (idx % 64)) & 1u;
}
static inline bool wb_qset_meets(const wb_qset_t *a, const wb_qset_t *b)
{
    for (int i = 0; i < WB_QSET_WORDS; i++)
        if (a->w[i] & b->w[i])
            return true;
    return false;
}

typedef enum {
    WB_AGENT_LOGGED_OUT = 0,
    WB_AGENT_READY,
    WB_AGENT_RESERVED,
    WB_AGENT_ON_CALL,
    WB_AGENT_WRAP_UP,
    WB_AGENT_NOT_READY,
    WB_AGENT_N_STATES
} wb_agent_state_t;

typedef enum {
    WB_CALL_WAITING = 0,
    WB_CALL_RINGING,
    WB_CALL_TALKING,
    WB_CALL_CALLBACK
} wb_call_state_t;

/* The service level shown: within the threshold / answered; / answered + abandoned (the
 * reports' service_level_pct); answered or abandoned within it / offered. */
typedef enum {
    WB_SL_ANSWERED = 0,
    WB_SL_ANSWERED_ABANDONED,
    WB_SL_OFFERED
} wb_sl_formula_t;

typedef enum {
    WB_EV_ENTERED = 0,        /* call_id, queue, caller, priority; restored: acdd re-read it */
    WB_EV_OFFERED,            /* call_id, queue, agent */
    WB_EV_OFFER_FAILED,       /* call_id, queue, agent */
    WB_EV_ANSWERED,           /* call_id, queue, agent, wait_ms, in_sl */
    WB_EV_ABANDONED,          /* call_id, queue, wait_ms */
    WB_EV_OVERFLOWED,         /* call_id, queue, target (set: moved into that queue), wait_ms */
    WB_EV_COMPLETED,          /* call_id, queue, agent, talk_ms */
    WB_EV_PRIORITY,           /* call_id, queue, priority */
    WB_EV_CALLBACK_REQUESTED, /* call_id, queue, caller (the number) */
    WB_EV_CALLBACK_ATTEMPT,   /* call_id, queue, agent */
    WB_EV_CALLBACK_DONE,      /* call_id, queue, result: connected, retry, failed */
    WB_EV_AGENT_STATE,        /* agent, state, reason, since_us, previous, previous_ms */
} wb_event_kind_t;

typedef struct {
    wb_event_kind_t kind;
    int64_t ts_us; /* when it happened (UTC microseconds) */
    bool live;     /* also changes the live state */
    const char *call_id, *queue, *agent, *caller, *target, *reason, *result;
    int priority;
    int64_t wait_ms, talk_ms;
    bool in_sl, restored;
    wb_agent_state_t state, previous;
    int64_t since_us, previous_ms;
} wb_event_t;

/* Alert thresholds of a queue. */
typedef struct {
    int sl_target_pct;
    int max_wait_s, max_call_s, max_not_ready_s;
} wb_rules_t;

typedef struct {
    uint32_t offered, answered, abandoned, overflowed;
    uint32_t answered_in_sl, abandoned_in_sl, handled, callbacks_pending;
    int64_t answer_wait_ms, talk_ms, wrap_ms;
} wb_today_t;

typedef struct wb_queue {
    char name[WB_NAME_MAX];
    int idx;         /* stable for the core's life: scopes are sets of these */
    bool configured; /* listed in the queues table (or first seen in an event) */
    int sl_threshold_s;
    wb_rules_t rules;
    wb_today_t today;
    unsigned waiting;  /* live, callers on the line not yet ringing an agent */
    int64_t oldest_us; /* entered_us of the longest-waiting caller, 0 when none */
    struct wb_agent **members;
    size_t nmembers, members_cap;
    bool dirty; /* in the changes */
} wb_queue_t;

typedef struct wb_agent {
    char ext[WB_EXT_MAX];
    char name[104];
    wb_agent_state_t state;
    char reason[WB_REASON_MAX];
    int64_t since_us;
    /* the queue call being handled (on call) */
    char call_id[WB_ID_MAX];
    char call_queue[WB_NAME_MAX];
    char caller[WB_NUMBER_MAX];
    int64_t call_since_us;
    /* today */
    uint32_t calls_today;
    int64_t talk_ms_today;
    char last_queue[WB_NAME_MAX]; /* queue of the call it finished last: its wrap-up's */
    wb_qset_t queues;             /* memberships */
    /* a supervisor listening in (sipproxy's call.monitor): who and how; "" when nobody */
    char monitored_by[80];
    char monitor_mode[8];
    bool dirty;
} wb_agent_t;

typedef struct wb_call {
    char id[WB_ID_MAX];
    char queue[WB_NAME_MAX];
    char caller[WB_NUMBER_MAX];
    int priority;
    int64_t entered_us; /* start of the wait in this queue */
    wb_call_state_t state;
    int offers; /* ringing offers (ring-all rings several) */
    char agent[WB_EXT_MAX];
    int64_t answered_us;
    bool removed; /* gone; kept until the changes are cleared */
    bool dirty, seen;
} wb_call_t;

typedef struct {
    char call_id[WB_ID_MAX];
    char queue[WB_NAME_MAX];
    char caller[WB_NUMBER_MAX];
    int64_t wait_ms;
    int64_t at_us;
    bool called_back; /* a callback to this number in this queue was asked for since */
} wb_abandoned_t;

typedef enum {
    WB_ALERT_SL_LOW = 0,
    WB_ALERT_WAIT_LONG,
    WB_ALERT_CALL_LONG,
    WB_ALERT_NOT_READY_LONG
} wb_alert_kind_t;

typedef struct {
    wb_alert_kind_t kind;
    char queue[WB_NAME_MAX];
    char agent[WB_EXT_MAX];  /* call_long, not_ready_long */
    char call_id[WB_ID_MAX]; /* call_long */
    double value, threshold; /* % or seconds */
    int64_t since_us;        /* raised at */
    bool active;             /* false in a change: it was cleared */
} wb_alert_t;

/* What one step (or a batch of steps) changed, until wb_core_clear_changes(). */
typedef struct {
    wb_queue_t **queues;
    size_t nqueues;
    wb_agent_t **agents;
    size_t nagents;
    wb_call_t **calls; /* added, updated or removed (call->removed) */
    size_t ncalls;
    size_t *abandoned; /* indices into wb_core_abandoned(): new or updated entries */
    size_t nabandoned;
    wb_alert_t *alerts; /* raised or cleared */
    size_t nalerts;
    bool reset; /* the whole state was replaced (day, snapshot): send it all */
} wb_changes_t;

typedef struct wb_core wb_core_t;

wb_core_t *wb_core_new(wb_sl_formula_t formula, wb_rules_t default_rules);
void wb_core_destroy(wb_core_t **self_p);

/* The centre's day: figures count events in [start_us, end_us). A different day resets
 * every figure (and marks the changes reset). */
void wb_core_set_day(wb_core_t *self, int64_t start_us, int64_t end_us);
int64_t wb_core_day_start(const wb_core_t *self);

/* Configuration: a queue (threshold), its alert rules (NULL: the defaults), an agent's
 * name, and the members of a queue (replacing the old list). 0 or -ENOMEM / -ENOSPC. */
int wb_core_queue_set(wb_core_t *self, const char *name, int sl_threshold_s);
int wb_core_rules_set(wb_core_t *self, const char *queue, const wb_rules_t *rules);
int wb_core_agent_set(wb_core_t *self, const char *ext, const char *name);
int wb_core_members_set(wb_core_t *self, const char *queue, const char *const *exts, size_t n);

/* One event. 0, or -EINVAL (missing a field it needs), -ENOMEM. */
int wb_core_apply(wb_core_t *self, const wb_event_t *ev);
/* A supervisor started monitoring agent ext (or changed mode): by, mode; stopped: mode
 * NULL. -1 for an agent the board does not know. */
int wb_core_agent_monitor(wb_core_t *self, const char *ext, const char *by, const char *mode);

/* Replace the live state (calls and agent states) by a snapshot: call begin, then each
 * call and agent, then end (calls not in the snapshot are removed). */
void wb_core_live_begin(wb_core_t *self);
int wb_core_live_call(wb_core_t *self, const wb_call_t *call);
int wb_core_live_agent(wb_core_t *self, const char *ext, wb_agent_state_t state, const char *reason,
                       int64_t since_us, const char *call_id);
void wb_core_live_end(wb_core_t *self);

/* Evaluate the alerts at now_us: raised and cleared ones go to the changes. */
void wb_core_check_alerts(wb_core_t *self, int64_t now_us);

const wb_changes_t *wb_core_changes(const wb_core_t *self);
/* Everyone needs the whole state again (configuration reloaded). */
void wb_core_mark_reset(wb_core_t *self);
void wb_core_clear_changes(wb_core_t *self);

/* Read access for rendering and the API. */
wb_queue_t *wb_core_queue(const wb_core_t *self, const char *name);
wb_agent_t *wb_core_agent(const wb_core_t *self, const char *ext);
wb_call_t *wb_core_call(const wb_core_t *self, const char *call_id);
/* Iterate: *pos starts at 0; NULL at the end. */
wb_queue_t *wb_core_next_queue(const wb_core_t *self, size_t *pos);
wb_agent_t *wb_core_next_agent(const wb_core_t *self, size_t *pos);
wb_call_t *wb_core_next_call(const wb_core_t *self, size_t *pos);
const wb_abandoned_t *wb_core_abandoned(const wb_core_t *self, size_t *count);
const wb_alert_t *wb_core_alerts(const wb_core_t *self, size_t *count);
wb_sl_formula_t wb_core_formula(const wb_core_t *self);

/* ---- figures (also what the tests compare with the views) ---------------------------- */

/* Tenths, rounded half away from zero as Postgres round(x, 1) does; -1 when undefined
 * (a division by zero, where the views give NULL). */
typedef struct {
    int64_t abandon_rate_x10, answer_rate_x10, sl_x10, asa_x10, aht_x10, talk_x10, wrap_x10;
} wb_figures_t;
void wb_figures(const wb_today_t *t, wb_sl_formula_t formula, wb_figures_t *out);
/* round(100 * num / den, 1) * 10, or -1 when den is 0. */
int64_t wb_pct_x10(int64_t num, int64_t den);
/* round(ms / 1000 / count, 1) * 10 for count > 0 (mean seconds), or -1. */
int64_t wb_mean_s_x10(int64_t sum_ms, int64_t count);

/* Live counts of a queue's members by state; not_ready reasons counted separately. */
typedef struct {
    unsigned by_state[WB_AGENT_N_STATES];
    unsigned logged_in;
} wb_staff_t;
void wb_queue_staff(const wb_queue_t *q, wb_staff_t *out);

const char *wb_agent_state_name(wb_agent_state_t state);
/* "ready" -> WB_AGENT_READY; 0 or -1 if unknown. */
int wb_agent_state_parse(const char *text, wb_agent_state_t *out);
const char *wb_call_state_name(wb_call_state_t state);
const char *wb_alert_name(wb_alert_kind_t kind);
const char *wb_sl_formula_name(wb_sl_formula_t f);
int wb_sl_formula_parse(const char *text, wb_sl_formula_t *out);

#endif
