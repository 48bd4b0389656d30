/* cdr_core.h - the CDR builder: per-call state from call.created/ringing/answered/ended,
 * a finished CDR row out when a call ends. Plain structs in and out; no SQL, no sockets,
 * no clock (every time is an event's ts in microseconds), so tests drive it directly.
 *
 * Definitions (all times are the publisher's event timestamps):
 *   created_at  ts of call.created (if that event was lost: the earliest ts known for the
 *               call, and ring_ms is unknown)
 *   ring_ms     from created_at to answered_at for answered calls, to ended_at otherwise:
 *               how long the caller waited, whether or not a 180 came back
 *   talk_ms     ended_at - answered_at for calls a person answered, 0 for calls never
 *               answered or answered only by the system
 *   Unknown values are CDR_UNKNOWN (-1) and become SQL NULL.
 *
 * Who answered: call.answered names an extension or trunk (a person), or, when sipproxy
 * answered for a controller, the system ("ivr:main", "queue:support", "feature:*45": a
 * name with a colon). When a controller then connects a person (call.connect_result
 * answered), that person becomes answered_by and the connect's ts answered_at, so ring_ms
 * is the caller's whole wait (IVR and queue included) and talk_ms the time with a person.
 * Later connects (transfers, a callback's second leg) change neither. A call answered
 * only by a queue that the caller hung up is disposition "abandoned". */
#ifndef CDR_CORE_H
#define CDR_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CDR_UNKNOWN (-1)

typedef struct {
    bool present;
    int64_t packets_in, bytes_in, packets_out, bytes_out, lost, out_of_order;
    double jitter_ms;
    int64_t max_gap_ms;
    int64_t srtp_auth_failed, srtp_replayed; /* SRTP packets refused (0 on a plain leg) */
} cdr_leg_stats_t;

typedef enum {
    CDR_LEG_CALLER = 0,
    CDR_LEG_CALLEE = 1,
    CDR_LEG_COUNT = 2
} cdr_leg_t;

typedef enum {
    CDR_EV_CREATED,
    CDR_EV_RINGING,
    CDR_EV_ANSWERED,
    CDR_EV_ENDED,
    CDR_EV_CONNECTED, /* call.connect_result with result answered */
} cdr_event_kind_t;

/* One call event, decoded from the bus by the adapter (cdr_event.c). Strings are borrowed
 * for the duration of cdr_core_step(); absent optional fields are NULL. */
typedef struct {
    cdr_event_kind_t kind;
    const char *call_id;
    int64_t ts_us;        /* the envelope's ts, microseconds since 1970 UTC */
    uint64_t epoch;       /* publisher epoch the event came from */
    const char *event_id; /* "pub:epoch:seq", unique per event */
    /* call.created */
    const char *caller, *callee, *direction, *trunk, *route_kind, *route_target;
    /* call.answered: who; call.connect_result: the target that answered ("ext:1002") */
    const char *answered_by;
    /* call.ended */
    const char *disposition, *hangup_side, *reason;
    int sip_code; /* 0: none */
    cdr_leg_stats_t legs[CDR_LEG_COUNT];
} cdr_event_t;

/* A call in progress, as kept in memory and mirrored in calls_active. Owned by the core;
 * times are CDR_UNKNOWN until known. */
typedef struct {
    char *call_id;
    char *caller, *callee, *direction, *trunk, *route_kind, *route_target, *answered_by;
    int64_t created_us, ringing_us, answered_us, updated_us;
    uint64_t epoch;    /* publisher epoch of the call's events */
    bool seen_created; /* false: a stub built from a later event (call.created lost) */
} cdr_call_t;

/* A copy of a call's state (for the write batch) and its destructor. */
cdr_call_t *cdr_call_dup(const cdr_call_t *call);
void cdr_call_destroy(cdr_call_t **self_p);

/* A finished CDR: the row for cdrs plus its legs for cdr_legs. Owned by whoever holds it. */
typedef struct {
    char *call_id, *event_id;
    char *caller, *callee, *direction, *trunk, *route_kind, *route_target, *answered_by;
    char *disposition, *hangup_side, *reason;
    int64_t created_us, answered_us, ended_us; /* answered_us may be CDR_UNKNOWN */
    int64_t ring_ms, talk_ms;                  /* may be CDR_UNKNOWN */
    int sip_code;                              /* 0: none (NULL) */
    bool partial;                              /* call.created was never seen */
    bool stored;                               /* set by the writer: new in cdrs */
    cdr_leg_stats_t legs[CDR_LEG_COUNT];
} cdr_row_t;

void cdr_row_destroy(cdr_row_t **self_p);

/* What one step did. */
typedef enum {
    CDR_STEP_IGNORED, /* duplicate or late event: nothing to write (reason in `why`) */
    CDR_STEP_ACTIVE,  /* call state changed: `call` is its state now (borrowed) */
    CDR_STEP_ENDED,   /* call finished: `row` is the CDR (caller owns), call removed */
} cdr_step_kind_t;

typedef struct {
    cdr_step_kind_t kind;
    bool is_new;            /* ACTIVE: first event of this call */
    const cdr_call_t *call; /* ACTIVE */
    cdr_row_t *row;         /* ENDED */
    const char *why;        /* IGNORED: static text for the log; else NULL */
    const char *note;       /* ACTIVE/ENDED: anomaly worth a warning (static), or NULL */
} cdr_step_t;

typedef struct cdr_core cdr_core_t;

/* `recent_capacity`: how many ended call ids are remembered to drop duplicates and late
 * events (0: a default of 4096). */
cdr_core_t *cdr_core_new(size_t recent_capacity);
void cdr_core_destroy(cdr_core_t **self_p);

/* Apply one event. Returns 0, or -1 for an event the core cannot use (no call id); `out`
 * is always filled. */
int cdr_core_step(cdr_core_t *self, const cdr_event_t *ev, cdr_step_t *out);

/* Put back a call loaded from storage at start-up (copied). -1 if it is already known. */
int cdr_core_restore(cdr_core_t *self, const cdr_call_t *call);

/* The publisher restarted: every call of an older epoch is gone with it. Ends each one as
 * disposition "interrupted", hangup side "system", sip_code 0, reason CDR_ORPHAN_REASON,
 * at ts_us: the last moment the old publisher was known alive (its last event, a
 * heartbeat at worst), or the call's own last event if that is later. `trigger_id` (the
 * new epoch's first event id) makes the rows' event ids unique. Calls `fn` with each row
 * (caller owns it). Returns how many calls were ended. */
#define CDR_ORPHAN_REASON "sipproxy stopped during the call; ended at its last sign of life"
typedef void(cdr_row_fn)(cdr_row_t *row, void *arg);
size_t cdr_core_end_orphans(cdr_core_t *self, uint64_t current_epoch, int64_t ts_us,
                            const char *trigger_id, cdr_row_fn *fn, void *arg);

size_t cdr_core_active(const cdr_core_t *self);
const cdr_call_t *cdr_core_find(const cdr_core_t *self, const char *call_id);

/* Helpers for the adapters. */
const char *cdr_leg_name(cdr_leg_t leg);
bool cdr_disposition_valid(const char *disposition);
bool cdr_direction_valid(const char *direction);
bool cdr_hangup_side_valid(const char *side);
/* True for answered_by values that name the system (a controller or a feature code), not
 * a person: they contain a colon. */
bool cdr_answered_by_system(const char *answered_by);

#endif
