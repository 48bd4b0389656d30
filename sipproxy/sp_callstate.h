/* sp_callstate.h - the life of one B2BUA call as a small state machine, and how each way
 * of ending maps to the caller's SIP response and the call.ended disposition. Pure: no
 * sofia types, no clock; sp_b2bua.c feeds it and acts on what it says. */
#ifndef SP_CALLSTATE_H
#define SP_CALLSTATE_H

#include <stdbool.h>

typedef enum {
    SP_CALL_MEDIA = 0, /* created, waiting for mediad's endpoints */
    SP_CALL_CALLING,   /* INVITEs sent to the callee's contacts */
    SP_CALL_RINGING,   /* a 180/183 came back */
    SP_CALL_ANSWERED,  /* 200 relayed to the caller */
    SP_CALL_ENDING,    /* legs being torn down, waiting for mediad's stats */
    SP_CALL_ENDED,
} sp_call_state_t;

typedef enum {
    SP_EV_MEDIA_READY, /* both endpoints exist: send the INVITEs */
    SP_EV_RINGING,     /* 180/183 from the callee side */
    SP_EV_ANSWER,      /* first 200 from the callee side */
    SP_EV_END,         /* any end (see sp_end_cause_t) */
    SP_EV_STATS_DONE,  /* endpoints deleted (or gave up waiting) */
} sp_call_event_t;

typedef enum {
    SP_END_CALLER_BYE,
    SP_END_CALLEE_BYE,
    SP_END_CALLER_CANCEL,
    SP_END_CALLEE_REJECT, /* final >= 300 from every forked contact; code = best one */
    SP_END_RING_TIMEOUT,
    SP_END_NOT_FOUND,   /* no dialplan route */
    SP_END_UNAVAILABLE, /* target not registered / nothing to send to */
    SP_END_NO_CODEC,    /* offer or answer without PCMU/PCMA */
    SP_END_MEDIA_TIMEOUT,
    SP_END_MEDIA_FAILED, /* mediad did not answer or refused */
    SP_END_MEDIA_DOWN,   /* the same while mediad is down or just restarted (a crash) */
    SP_END_MEDIA_LOST,   /* mediad restarted and the call's endpoints could not be restored */
    SP_END_SHUTDOWN,
    SP_END_UNSUPPORTED,       /* route kind sipproxy cannot serve yet */
    SP_END_CONTROLLER_FAILED, /* ivrd/acdd refused the hand-over */
    SP_END_CONTROLLER_DOWN,   /* ivrd/acdd did not answer the hand-over (down) */
    SP_END_CONTROLLER_HANGUP, /* call.hangup; code = sip_code for an unanswered caller */
    SP_END_SCREENED,          /* blocked caller or not permitted number; code = 486 or 403 */
} sp_end_cause_t;

typedef struct {
    const char *disposition; /* call.def: answered, busy, no_answer, ... */
    const char *hangup_side; /* caller, callee, system */
    int sip_code;            /* call.ended sip_code */
    int caller_response;     /* final response to the caller's INVITE, 0 if answered */
    const char *reason;
} sp_outcome_t;

/* Next state, or -1 if the event is not allowed in `state` (a bug or a late message:
 * the caller ignores it). */
int sp_call_next(sp_call_state_t state, sp_call_event_t ev);

/* How a call that was in `state` ends for `cause` (code: the callee's final status for
 * SP_END_CALLEE_REJECT, else ignored). */
sp_outcome_t sp_call_outcome(sp_call_state_t state, sp_end_cause_t cause, int code);

const char *sp_call_state_name(sp_call_state_t state);

/* Rank a forked contact's final failure so the most telling one is relayed (RFC 3261
 * 16.7: 6xx beats all, then 486 busy over 480/408, then anything else). */
int sp_fork_rank(int code);

/* call.connect_result's `result` for a failed attempt's best final status: busy,
 * declined, unavailable, not_found, no_answer (408), cancelled (487) or failed. */
const char *sp_connect_result(int code);

#endif
