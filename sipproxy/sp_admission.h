/* sp_admission.h - overload control for new calls. From load figures that cost almost
 * nothing to read (how long the oldest unread SIP datagram has waited in the UDP socket,
 * mediad requests in flight, mediad down, being restored or out of ports), decide for each new INVITE,
 * before authentication or any media work, whether it is admitted or turned away at once
 * with 503 and Retry-After, so the calls already admitted (and registrations and
 * in-dialog requests, which are never shed) get the CPU.
 *
 * The SIP signal is the queueing delay, judged the way CoDel judges a queue: a burst that
 * drains is fine, a standing queue is not. Shedding starts when the smallest delay seen
 * during a whole window (100 ms) stayed above the target, and stops after a window whose
 * smallest delay fell below it. Pure: time and figures are passed in. */
#ifndef SP_ADMISSION_H
#define SP_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_ADMISSION_WINDOW_MS 100

typedef struct {
    int64_t queue_delay_ms; /* age of the oldest unread SIP datagram; -1: queue empty */
    size_t media_pending;   /* mediad requests in flight */
    bool media_down;        /* mediad does not answer */
    bool media_restoring;   /* mediad restarted and calls' endpoints are being restored */
    bool media_exhausted;   /* mediad just said it has no free port pair (no_ports) */
} sp_load_t;

typedef struct {
    int64_t delay_target_ms; /* 0: the delay check is off */
    size_t media_pending_high;
} sp_admission_limits_t;

typedef enum {
    SP_SHED_NONE = 0,
    SP_SHED_SIP_DELAY,
    SP_SHED_MEDIA_PENDING,
    SP_SHED_MEDIA_DOWN,
    SP_SHED_MEDIA_RESTORING,
    SP_SHED_MEDIA_EXHAUSTED,
} sp_shed_reason_t;

typedef struct {
    sp_shed_reason_t reason; /* why the current episode sheds; NONE: admitting */
    uint64_t since_ms;       /* when the episode started */
    uint64_t shed_in_episode;
    uint64_t shed_total;
    bool changed; /* shedding started or stopped at the last check */
    /* the delay windows */
    uint64_t window_start_ms;
    int64_t window_min_ms; /* smallest delay seen in the current window */
    bool standing_queue;   /* the last whole window never dropped below the target */
} sp_admission_t;

/* 0: admit the INVITE. Otherwise it is shed: answer 503 with this Retry-After (seconds). */
int sp_admission_check(sp_admission_t *self, const sp_admission_limits_t *limits,
                       const sp_load_t *load, uint64_t now_ms);
const char *sp_shed_reason_name(sp_shed_reason_t reason);

#endif
