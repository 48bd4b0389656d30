/* ivrd_leg.h - one caller's leg that an ivrd feature (a voicemail deposit, the mailbox
 * menu) drives over the bus: the requests it owns, its prompt being played, its one timer,
 * its hang-up and the reap timer that forgets it when call.ended never comes. The feature
 * keeps the decisions (its pure core); the leg keeps the bus bookkeeping they all need. */
#ifndef IVRD_LEG_H
#define IVRD_LEG_H

#include <stdbool.h>

#include "cc_bus.h"
#include "ivrd.h"
#include "ivrd_args.h"

typedef void(ivrd_leg_fn)(void *arg);

typedef struct {
    ivrd_leg_fn *play_done; /* the prompt finished, was stopped or failed (the core goes on) */
    ivrd_leg_fn *timer;     /* the timer set by ivrd_leg_timer_at fired */
    ivrd_leg_fn *reaped;    /* hung up, but call.ended never came: forget the feature's state */
} ivrd_leg_calls_t;

typedef struct {
    ivrd_t *ivrd;
    const ivrd_leg_calls_t *calls;
    void *arg;        /* given to the callbacks and to request replies */
    const char *what; /* log prefix of the feature ("vm") */
    cc_bus_owner_t requests;
    char call_id[IVRD_CALL_ID_MAX];
    int endpoint_id;
    cc_bus_handle_t play_req; /* play.start without its reply yet */
    json_int_t md_play;       /* mediad's play id (0: not known yet) */
    json_int_t finished;      /* a play_done that came before its play.start reply */
    int timer_id, reap_timer;
    bool hangup_sent, ended;
} ivrd_leg_t;

/* false when call_id does not fit. */
bool ivrd_leg_init(ivrd_leg_t *leg, ivrd_t *ivrd, const char *what, const char *call_id,
                   int endpoint_id, const ivrd_leg_calls_t *calls, void *arg);
/* Cancels what the leg still waits for: replies and timers. */
void ivrd_leg_release(ivrd_leg_t *leg);

/* A request whose reply (if on_reply) comes to on_reply with the leg's arg; logged when it
 * cannot be sent. */
cc_bus_handle_t ivrd_leg_request(ivrd_leg_t *leg, const char *target, const char *cmd, json_t *args,
                                 cc_bus_reply_fn *on_reply);

/* Plays prompts (a previous play is replaced). barge_in < 0 leaves mediad's default. */
void ivrd_leg_play(ivrd_leg_t *leg, const char *const *prompts, size_t n, const char *language,
                   int barge_in);
void ivrd_leg_stop_play(ivrd_leg_t *leg);
/* media.play_done for the leg's endpoint; waiting: the core waits for a prompt. */
void ivrd_leg_play_event(ivrd_leg_t *leg, json_int_t play_id, bool waiting);
/* The event's endpoint is the leg's and the leg is still up. */
bool ivrd_leg_media_event_ours(const ivrd_leg_t *leg, const cc_bus_event_t *ev);

/* One timer at an absolute ivrd_now_ms time; 0 only cancels. */
void ivrd_leg_timer_at(ivrd_leg_t *leg, int64_t at_ms);
/* call.hangup once, then a reap timer in case call.ended is lost. */
void ivrd_leg_hangup(ivrd_leg_t *leg, const char *reason);
/* call.ended came: no reap needed. */
void ivrd_leg_ended(ivrd_leg_t *leg);

#endif
