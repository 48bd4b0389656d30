/* sp_admission.c - the admit-or-shed decision for new INVITEs (see sp_admission.h). */
#include "sp_admission.h"

const char *sp_shed_reason_name(sp_shed_reason_t reason)
{
    switch (reason) {
    case SP_SHED_SIP_DELAY:
        return "sip_delay";
    case SP_SHED_MEDIA_PENDING:
        return "media_pending";
    case SP_SHED_MEDIA_DOWN:
        return "media_down";
    case SP_SHED_MEDIA_RESTORING:
        return "media_restoring";
    case SP_SHED_MEDIA_EXHAUSTED:
        return "media_exhausted";
    default:
        return "none";
    }
}

/* Feed one delay sample; at the end of a window, judge it. An empty queue counts as 0. */
static void s_window(sp_admission_t *self, const sp_admission_limits_t *lim, int64_t delay,
                     uint64_t now_ms)
{
    if (delay < 0)
        delay = 0;
    if (self->window_start_ms == 0 ||
        now_ms - self->window_start_ms >= 2 * SP_ADMISSION_WINDOW_MS) {
        /* first sample, or no INVITE for a whole window: nothing is standing */
        self->window_start_ms = now_ms;
        self->window_min_ms = delay;
        self->standing_queue = false;
        return;
    }
    if (delay < self->window_min_ms)
        self->window_min_ms = delay;
    if (delay < lim->delay_target_ms)
        self->standing_queue = false; /* it drains: no need to wait for the window's end */
    if (now_ms - self->window_start_ms >= SP_ADMISSION_WINDOW_MS) {
        self->standing_queue = self->window_min_ms >= lim->delay_target_ms;
        self->window_start_ms = now_ms;
        self->window_min_ms = delay;
    }
}

int sp_admission_check(sp_admission_t *self, const sp_admission_limits_t *limits,
                       const sp_load_t *load, uint64_t now_ms)
{
    if (limits->delay_target_ms > 0)
        s_window(self, limits, load->queue_delay_ms, now_ms);
    sp_shed_reason_t r = SP_SHED_NONE;
    size_t pending_mark = self->reason == SP_SHED_MEDIA_PENDING ? limits->media_pending_high / 2
                                                                : limits->media_pending_high;
    if (load->media_down)
        r = SP_SHED_MEDIA_DOWN;
    else if (load->media_restoring)
        r = SP_SHED_MEDIA_RESTORING;
    else if (load->media_exhausted)
        r = SP_SHED_MEDIA_EXHAUSTED;
    else if (limits->delay_target_ms > 0 && self->standing_queue)
        r = SP_SHED_SIP_DELAY;
    else if (limits->media_pending_high && load->media_pending > pending_mark)
        r = SP_SHED_MEDIA_PENDING;
    self->changed = (r == SP_SHED_NONE) != (self->reason == SP_SHED_NONE);
    if (r != SP_SHED_NONE && self->reason == SP_SHED_NONE) {
        self->since_ms = now_ms;
        self->shed_in_episode = 0;
    }
    self->reason = r;
    if (r == SP_SHED_NONE)
        return 0;
    self->shed_in_episode++;
    self->shed_total++;
    switch (r) {
    case SP_SHED_MEDIA_DOWN:
        return 5;
    case SP_SHED_SIP_DELAY: /* the longer the queue, the longer to stay away */
        return load->queue_delay_ms > 8 * limits->delay_target_ms   ? 4
               : load->queue_delay_ms > 4 * limits->delay_target_ms ? 2
                                                                    : 1;
    default:
        return 1;
    }
}
