/* acd_callback.c - callbacks: a waiting caller who asks for one (key press or callback
 * overflow) keeps the place and is hung up after a confirmation; at the head, with an
 * agent free, the agent's phone is called first (call.originate), then the customer's
 * number is connected to that leg; a customer who does not answer is retried later, up to
 * [acdd] callback_attempts. Results go to the callbacks table and the bus. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd_app.h"
#include "cc_log.h"

void acd_cb_row(acd_app_t *app, const acd_call_t *call, const char *agent, const char *result)
{
    char req[24], att[16];
    const char *p[7] = {call->id,
                        call->queue,
                        call->caller,
                        acd_fmt_int(req, sizeof req, call->enqueued_ms),
                        acd_fmt_int(att, sizeof att, call->cb_attempts),
                        agent,
                        result};
    acd_db_write(app->db, ACD_DB_CALLBACK_UPSERT, p);
}

void acd_cb_leg_forget(acd_app_t *app, acd_call_t *call)
{
    if (call->cb_call_id[0] && cc_map_get(app->calls, call->cb_call_id) == call)
        cc_map_delete(app->calls, call->cb_call_id);
    call->cb_call_id[0] = '\0';
    call->cb_connect_id = 0;
}

/* ---- asking for a callback ------------------------------------------------------------ */

static void s_on_confirm_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    acd_call_t *call = arg;
    if (status == 0)
        call->confirm_play_id = json_integer_value(json_object_get(result, "play_id"));
    else
        acd_hangup(call->app, call->id, "queue callback requested");
    acd_calls_sweep(call->app);
}

void acd_call_request_callback(acd_app_t *app, acd_call_t *call, bool in_core)
{
    int position = 0;
    acd_call_info_t info;
    if (in_core && acd_core_call_info(app->core, call->id, &info) == 0)
        position = info.position;
    call->cb = ACD_CB_WAITING;
    cc_bus_publish(app->bus, "queue.callback_requested", call->id,
                   json_pack("{s:s, s:s, s:i}", "queue", call->queue, "number", call->caller,
                             "position", position));
    acd_log_queue(app, call->id, call->queue, "callback", NULL, call->caller, call->priority,
                  acd_call_wait_s(call), -1, position, -1, "requested");
    acd_cb_row(app, call, NULL, "pending");
    cc_info("acd.callback_requested", "queue=%s number=%s position=%d", call->queue,
            cc_logq(call->caller), position);
    if (!in_core) { /* overflow to callback: back in at the end of the queue */
        acd_event_t ev = {.kind = ACD_EV_CALL_ENQUEUED,
                          .call_id = call->id,
                          .queue = call->queue,
                          .priority = call->priority,
                          .skill = call->skill[0] ? call->skill : NULL,
                          .min_level = call->skill_level};
        if (acd_app_step(app, &ev) == 0)
            call->in_core = true;
    }
    acd_qcall_update(app, call, "callback");
    acd_cb_confirm(app, call);
}

void acd_cb_confirm(acd_app_t *app, acd_call_t *call)
{
    call->announce_play_id = 0;
    call->confirm_play_id = 0;
    acd_call_play(app, call, json_pack("[s]", app->cb_confirm_prompt), false, s_on_confirm_reply);
}

/* ---- the agent's leg ---------------------------------------------------------------------- */

/* The agent's leg exists (or not): remember it, or give it up if the offer was cancelled
 * meanwhile, or act on its answer if that came first. */
static void s_originated(acd_app_t *app, acd_call_t *call, int status, json_t *result)
{
    call->connect_pending = false;
    if (status != 0) {
        cc_warn("acd.originate_failed", NULL);
        call->cb = ACD_CB_WAITING;
        acd_offers_failed_all(app, call, ACD_EV_OFFER_REJECTED);
        return;
    }
    const char *leg = json_string_value(json_object_get(result, "call_id"));
    call->cb_connect_id = json_integer_value(json_object_get(result, "connect_id"));
    if (leg) {
        acd_text_copy(call->cb_call_id, sizeof call->cb_call_id, leg);
        cc_map_insert(app->calls, call->cb_call_id, call);
    }
    if (call->cancel_pending || call->noffer == 0) {
        call->cancel_pending = false;
        if (leg)
            acd_hangup(app, leg, "callback offer cancelled");
        return;
    }
    /* The agent may have answered before this reply came: its result is waiting. */
    int64_t early_id;
    char res[16], target[ACD_EXT_MAX + 8];
    if (leg && acd_early_result_take(app, leg, &early_id, res, sizeof res, target, sizeof target))
        acd_call_on_connect_result(app, call, leg, early_id, res, target);
}

static void s_on_originate_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    acd_call_t *call = arg;
    s_originated(call->app, call, status, result);
    acd_calls_sweep(call->app);
}

void acd_cb_send_offer(acd_app_t *app, acd_call_t *call, int timeout_s)
{
    char caller[64];
    const acd_qmeta_t *q = acd_queue_meta(app, call->queue);
    acd_text_copy(caller, sizeof caller,
                  app->cb_caller[0]   ? app->cb_caller
                  : q && q->number[0] ? q->number
                                      : call->caller);
    call->cb = ACD_CB_AGENT;
    call->cb_attempts++;
    char target[ACD_EXT_MAX + 8], name[96];
    snprintf(target, sizeof target, "ext:%s", call->offer[0]);
    snprintf(name, sizeof name, "Callback %s", call->caller);
    json_t *args = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o}", "target", target, "caller", caller,
                             "caller_name", name, "controller", "acdd", "timeout_s", timeout_s,
                             "headers", acd_call_headers(call));
    call->connect_pending = true;
    acd_request(app, call, "sipproxy", "call.originate", args, s_on_originate_reply);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:i}", "queue", call->queue, "number", call->caller,
                           "agent", call->offer[0], "attempt", call->cb_attempts);
    cc_bus_publish(app->bus, "queue.callback_attempt", call->id, ev);
    acd_cb_row(app, call, call->offer[0], "pending");
}

void acd_cb_offer_cancelled(acd_app_t *app, acd_call_t *call)
{
    if (call->cb_call_id[0])
        acd_hangup(app, call->cb_call_id, "callback offer cancelled");
    else if (call->connect_pending)
        call->cancel_pending = true;
    acd_cb_leg_forget(app, call);
    call->cb = ACD_CB_WAITING;
}

/* ---- the customer's leg ------------------------------------------------------------------ */

static void s_on_customer_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    acd_call_t *call = arg;
    if (status == 0)
        call->cb_connect_id = json_integer_value(json_object_get(result, "connect_id"));
    else if (call->cb_call_id[0])
        acd_hangup(call->app, call->cb_call_id, "callback: customer leg failed");
    acd_calls_sweep(call->app);
}

void acd_cb_agent_answered(acd_app_t *app, acd_call_t *call)
{
    call->cb = ACD_CB_CUSTOMER;
    char target[ACD_NUMBER_MAX + 8];
    snprintf(target, sizeof target, "number:%s", call->caller);
    json_t *args = json_pack("{s:s, s:[s], s:i}", "call_id", call->cb_call_id, "targets", target,
                             "timeout_s", 30);
    acd_request(app, call, "sipproxy", "call.connect", args, s_on_customer_reply);
}

static void s_cb_result(acd_app_t *app, acd_call_t *call, const char *result)
{
    json_t *ev = json_pack("{s:s, s:s, s:s, s:i}", "queue", call->queue, "number", call->caller,
                           "result", result, "attempts", call->cb_attempts);
    if (call->agent[0])
        json_object_set_new(ev, "agent", json_string(call->agent));
    cc_bus_publish(app->bus, "queue.callback_done", call->id, ev);
    acd_log_queue(app, call->id, call->queue, "callback", call->agent, call->caller, -1, -1, -1, -1,
                  -1, result);
    acd_cb_row(app, call, call->agent[0] ? call->agent : NULL,
               !strcmp(result, "retry") ? "pending" : result);
    cc_info("acd.callback_done", "result=%s attempts=%d", result, call->cb_attempts);
}

void acd_cb_on_connect_result(acd_app_t *app, acd_call_t *call, const char *call_id,
                              int64_t connect_id, const char *result)
{
    bool answered = !strcmp(result, "answered");
    if (strcmp(call_id, call->cb_call_id) != 0 || connect_id != call->cb_connect_id)
        return;
    if (call->cb == ACD_CB_AGENT) {
        if (answered && call->noffer > 0) {
            acd_event_t ev = {
                .kind = ACD_EV_OFFER_ANSWERED, .call_id = call->id, .agent = call->offer[0]};
            acd_app_step(app, &ev); /* CONNECT: rings the customer */
        } else if (!answered && call->noffer > 0) {
            acd_cb_leg_forget(app, call);
            call->cb = ACD_CB_WAITING;
            acd_offers_failed_all(app, call,
                                  !strcmp(result, "no_answer") ? ACD_EV_OFFER_NO_ANSWER
                                                               : ACD_EV_OFFER_REJECTED);
        }
        return;
    }
    if (call->cb == ACD_CB_CUSTOMER) {
        if (answered) {
            call->cb = ACD_CB_TALKING;
            call->cb_customer_answered = true;
            s_cb_result(app, call, "connected");
        } else {
            acd_hangup(app, call->cb_call_id, "callback: customer did not answer");
        }
    }
}

/* ---- retries ----------------------------------------------------------------------------- */

/* The call owns its retry timer: freeing the call cancels it. */
static void s_on_retry(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    acd_call_t *call = arg;
    acd_app_t *app = call->app;
    call->retry_timer = 0;
    cc_log_set_call(call->id);
    if (!call->dead && !call->in_core) {
        call->cb = ACD_CB_WAITING;
        call->agent[0] = '\0';
        call->cb_customer_answered = false;
        call->gone = false;
        acd_event_t ev = {.kind = ACD_EV_CALL_ENQUEUED,
                          .call_id = call->id,
                          .queue = call->queue,
                          .priority = call->priority,
                          .skill = call->skill[0] ? call->skill : NULL,
                          .min_level = call->skill_level};
        if (acd_app_step(app, &ev) == 0)
            call->in_core = true;
        acd_calls_sweep(app);
    }
    cc_log_set_call(NULL);
}

/* The callback's agent leg is over: connected (done), or the customer did not answer
 * (retry later, or give up after the attempts). */
void acd_cb_on_leg_ended(acd_app_t *app, acd_call_t *call)
{
    if (call->cb == ACD_CB_AGENT) { /* ended before the agent answered */
        acd_cb_leg_forget(app, call);
        call->cb = ACD_CB_WAITING;
        acd_offers_failed_all(app, call, ACD_EV_OFFER_NO_ANSWER);
        return;
    }
    bool talked = call->cb_customer_answered;
    acd_cb_leg_forget(app, call);
    if (call->agent[0]) {
        acd_event_t ev = {.kind = ACD_EV_CALL_ENDED, .agent = call->agent};
        acd_app_step(app, &ev);
        if (talked)
            acd_call_completed(app, call, "callback");
    }
    if (talked) {
        acd_qcall_delete(app, call);
        acd_call_kill(app, call);
        return;
    }
    if (call->cb_attempts >= app->cb_attempts_max) {
        s_cb_result(app, call, "failed");
        acd_qcall_delete(app, call);
        acd_call_kill(app, call);
        return;
    }
    s_cb_result(app, call, "retry");
    call->cb = ACD_CB_WAITING;
    if (call->retry_timer <= 0) {
        int id =
            cc_loop_timer_add(app->d->loop, (uint64_t)app->cb_retry_s * 1000, 0, s_on_retry, call);
        call->retry_timer = id > 0 ? id : 0;
    }
}
