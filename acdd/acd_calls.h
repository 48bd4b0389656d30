/* acd_calls.h - what the files that carry out the core's actions share among themselves
 * (not with acd_bus.c, which sees acd_app.h only): requests with a reply handler, the
 * Postgres rows of a waiting call, and the hand-offs between the caller's leg
 * (acd_caller.c), offers and agents (acd_offer.c) and callbacks (acd_callback.c).
 * acd_calls.c holds the call table, the request plumbing, the step and the timer. */
#ifndef ACD_CALLS_H
#define ACD_CALLS_H

#include <stdio.h>

#include "acd_app.h"

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

/* Seconds since the call entered its (current) queue. */
double acd_call_wait_s(const acd_call_t *call);

/* ---- acd_calls.c: requests and rows ----------------------------------------------------- */

/* Called with the reply to a request about a call still held (not dead); status 0 or
 * -errno (-EPROTO: an error reply, its body in result). */
typedef void (*acd_reply_fn)(acd_app_t *app, acd_call_t *call, int status, json_t *result);

/* Sends `cmd` to `target` (args stolen). on_reply may be NULL: errors are only logged. */
void acd_request(acd_app_t *app, const char *target, const char *cmd, json_t *args,
                 const char *call_id, acd_reply_fn on_reply);
/* call.hangup of one leg (the caller's, or a callback's originated leg). */
void acd_hangup(acd_app_t *app, const char *call_id, const char *reason);

/* The queue_calls row of a call entering (a new seq for its order), in state db_state. */
void acd_qcall_insert(acd_app_t *app, acd_call_t *call, const char *db_state);
void acd_qcall_update(acd_app_t *app, const acd_call_t *call, const char *state);
void acd_qcall_delete(acd_app_t *app, const acd_call_t *call);

/* ---- acd_caller.c: the caller's leg ---------------------------------------------------- */

void acd_call_play(acd_app_t *app, acd_call_t *call, json_t *prompts, bool loop,
                   acd_reply_fn on_reply);
void acd_call_play_stop(acd_app_t *app, acd_call_t *call);
/* The agent's part of an answered call ended: queue.completed and the completed row, with
 * the same talk time. */
void acd_call_completed(acd_app_t *app, acd_call_t *call, const char *detail);
void acd_act_overflow(acd_app_t *app, const acd_action_t *a);
void acd_act_abandoned(acd_app_t *app, const acd_action_t *a);
void acd_act_announce(acd_app_t *app, const acd_action_t *a);

/* ---- acd_offer.c: offers and agents ---------------------------------------------------- */

void acd_act_offer(acd_app_t *app, const acd_action_t *a);
void acd_act_cancel(acd_app_t *app, const acd_action_t *a);
void acd_act_connect(acd_app_t *app, const acd_action_t *a);
void acd_act_agent_state(acd_app_t *app, const acd_action_t *a);
/* The offers of the step just done go out (one attempt per call). */
void acd_offers_send(acd_app_t *app);
/* Every agent the call was offered to failed (kind: no answer or rejected). */
void acd_offers_failed_all(acd_app_t *app, acd_call_t *call, acd_event_kind_t kind);
const char *acd_call_caller_name(const acd_call_t *call);
/* X-CC-* headers for the agent's INVITE (the screen pop a softphone shows). */
json_t *acd_call_headers(const acd_call_t *call);

/* ---- acd_callback.c: callbacks --------------------------------------------------------- */

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

#endif
