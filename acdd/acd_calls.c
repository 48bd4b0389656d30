/* acd_calls.c - the calls acdd holds and what the core's actions do to them: offers become
 * call.connect (ring-all: one attempt with every agent), announcements and hold music
 * become play.start on the caller's endpoint, callbacks become call.originate to the agent
 * then call.connect to the customer; every action is also an event on the bus and a row
 * for the writer thread. Knows the bus commands of sipproxy and mediad, not SQL. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acd_app.h"
#include "acd_say.h"
#include "cc_log.h"

/* ---- small helpers ------------------------------------------------------------------ */

int64_t acd_now_ms(void)
{
    return (int64_t)(cc_wall_us() / 1000);
}

char *acd_iso_time(int64_t ms, char *buf, size_t len)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char head[32];
    strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", head, (int)(ms % 1000));
    return buf;
}

static void s_copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static const char *s_num(char *buf, size_t len, double v)
{
    snprintf(buf, len, "%.3f", v);
    return buf;
}

static const char *s_int(char *buf, size_t len, long long v)
{
    snprintf(buf, len, "%lld", v);
    return buf;
}

const acd_qmeta_t *acd_queue_meta(const acd_app_t *app, const char *name)
{
    for (size_t i = 0; name && i < app->nqueues; i++)
        if (!strcmp(app->queues[i].name, name))
            return &app->queues[i];
    return NULL;
}

/* ---- the call table ------------------------------------------------------------------ */

acd_call_t *acd_call_new(acd_app_t *app, const char *call_id)
{
    acd_call_t *call = calloc(1, sizeof *call);
    if (!call)
        return NULL;
    s_copy(call->id, sizeof call->id, call_id);
    if (acd_map_put(&app->calls, call->id, call) != 0) {
        free(call);
        return NULL;
    }
    app->ncalls++;
    return call;
}

acd_call_t *acd_call_find(acd_app_t *app, const char *call_id)
{
    return call_id ? acd_map_get(&app->calls, call_id) : NULL;
}

static void s_cb_leg_forget(acd_app_t *app, acd_call_t *call)
{
    if (call->cb_call_id[0] && acd_map_get(&app->calls, call->cb_call_id) == call)
        acd_map_del(&app->calls, call->cb_call_id);
    call->cb_call_id[0] = '\0';
    call->cb_connect_id = 0;
}

void acd_call_kill(acd_app_t *app, acd_call_t *call)
{
    (void)app;
    call->dead = true;
}

static void s_call_free(acd_app_t *app, acd_call_t *call)
{
    if (call->retry_timer > 0)
        cc_loop_timer_cancel(app->d->loop, call->retry_timer);
    free(call->retry);
    s_cb_leg_forget(app, call);
    if (acd_map_get(&app->calls, call->id) == call)
        acd_map_del(&app->calls, call->id);
    json_decref(call->variables);
    free(call);
    app->ncalls--;
}

void acd_calls_sweep(acd_app_t *app)
{
    for (size_t i = 0; i < app->calls.cap; i++) {
        acd_call_t *call = app->calls.slots[i].key ? app->calls.slots[i].value : NULL;
        if (call && call->dead && !strcmp(app->calls.slots[i].key, call->id)) {
            s_call_free(app, call);
            i = (size_t)-1; /* the table changed under us: start over (rare) */
        }
    }
}

void acd_calls_free_all(acd_app_t *app)
{
    for (size_t i = 0; i < app->calls.cap; i++)
        if (app->calls.slots[i].key && app->calls.slots[i].value)
            ((acd_call_t *)app->calls.slots[i].value)->dead = true;
    acd_calls_sweep(app);
    acd_map_free(&app->calls);
}

/* ---- Postgres rows -------------------------------------------------------------------- */

void acd_log_queue(acd_app_t *app, const char *call_id, const char *queue, const char *event,
                   const char *agent, const char *caller, int priority, double wait_s,
                   double talk_s, int position, int in_sl, const char *detail)
{
    char ts[24], pr[16], w[32], t[32], pos[16];
    const char *p[12] = {s_int(ts, sizeof ts, acd_now_ms()), call_id, queue, event,
                         agent && *agent ? agent : NULL, caller,
                         priority >= 0 ? s_int(pr, sizeof pr, priority) : NULL,
                         wait_s >= 0 ? s_num(w, sizeof w, wait_s) : NULL,
                         talk_s >= 0 ? s_num(t, sizeof t, talk_s) : NULL,
                         position >= 0 ? s_int(pos, sizeof pos, position) : NULL,
                         in_sl < 0 ? NULL : in_sl ? "true" : "false", detail};
    acd_db_write(app->db, ACD_DB_QLOG_INSERT, p);
}

static void s_qcall_update(acd_app_t *app, const acd_call_t *call, const char *state)
{
    char cid[24];
    const char *p[4] = {call->id, call->queue, state,
                        call->connect_id ? s_int(cid, sizeof cid, call->connect_id) : NULL};
    acd_db_write(app->db, ACD_DB_QCALL_UPDATE, p);
}

static void s_qcall_delete(acd_app_t *app, const acd_call_t *call)
{
    const char *p[1] = {call->id};
    acd_db_write(app->db, ACD_DB_QCALL_DELETE, p);
}

static void s_callback_row(acd_app_t *app, const acd_call_t *call, const char *agent,
                           const char *result)
{
    char req[24], att[16];
    const char *p[7] = {call->id, call->queue, call->caller,
                        s_int(req, sizeof req, call->enqueued_ms),
                        s_int(att, sizeof att, call->cb_attempts), agent, result};
    acd_db_write(app->db, ACD_DB_CALLBACK_UPSERT, p);
}

static double s_wait_s(const acd_call_t *call)
{
    return (double)(acd_now_ms() - call->enqueued_ms) / 1000.0;
}

/* ---- requests to sipproxy and mediad ------------------------------------------------ */

typedef struct {
    acd_app_t *app;
    char call_id[ACD_ID_MAX];
    int kind;
} s_req_ctx_t;

enum { S_REQ_ANSWER, S_REQ_CONNECT, S_REQ_ANNOUNCE, S_REQ_CONFIRM, S_REQ_ORIGINATE,
       S_REQ_CB_CONNECT, S_REQ_LOG };

static void s_on_reply(cc_bus_t *bus, int status, json_t *result, void *arg);

static void s_request(acd_app_t *app, const char *target, const char *cmd, json_t *args,
                      const char *call_id, int kind)
{
    s_req_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        json_decref(args);
        return;
    }
    ctx->app = app;
    ctx->kind = kind;
    s_copy(ctx->call_id, sizeof ctx->call_id, call_id);
    if (cc_bus_request(app->bus, target, cmd, args, app->req_timeout_ms, s_on_reply, ctx) != 0) {
        cc_warn("acd.request_failed", "call=%s cmd=%s", cc_logq(call_id), cmd);
        free(ctx);
    }
}

static void s_play(acd_app_t *app, acd_call_t *call, json_t *prompts, bool loop, int kind)
{
    if (call->endpoint_id <= 0 || call->leg_gone) {
        json_decref(prompts);
        return;
    }
    json_t *args = json_pack("{s:I, s:o, s:s, s:b}", "endpoint_id", (json_int_t)call->endpoint_id,
                             "prompts", prompts, "language", app->language, "loop", loop);
    s_request(app, "mediad", "play.start", args, call->id, kind);
}

void acd_call_answer(acd_app_t *app, acd_call_t *call, json_t *args)
{
    s_request(app, "sipproxy", "call.answer", args, call->id, S_REQ_ANSWER);
}

void acd_call_start_music(acd_app_t *app, acd_call_t *call)
{
    if (call->cb != ACD_CB_NONE || call->gone)
        return;
    call->announce_play_id = 0;
    call->media_started = true;
    s_play(app, call, json_pack("[s]", app->music), true, S_REQ_LOG);
}

static void s_play_stop(acd_app_t *app, acd_call_t *call)
{
    if (call->endpoint_id <= 0 || call->leg_gone)
        return;
    call->announce_play_id = 0;
    s_request(app, "mediad", "play.stop",
              json_pack("{s:I}", "endpoint_id", (json_int_t)call->endpoint_id), call->id,
              S_REQ_LOG);
}

static void s_announce(acd_app_t *app, acd_call_t *call, int position, int wait_s)
{
    acd_say_t say;
    if (acd_say_announcement(&say, app->language, position, wait_s) != 0)
        return;
    json_t *prompts = json_array();
    for (size_t i = 0; i < say.count; i++)
        json_array_append_new(prompts, json_string(say.names[i]));
    const acd_qmeta_t *q = acd_queue_meta(app, call->queue);
    if (q && q->callback_key[0] && app->cb_offer_prompt[0])
        json_array_append_new(prompts, json_string(app->cb_offer_prompt));
    call->media_started = true;
    s_play(app, call, prompts, false, S_REQ_ANNOUNCE);
}

static void s_hangup(acd_app_t *app, const char *call_id, const char *reason)
{
    s_request(app, "sipproxy", "call.hangup",
              json_pack("{s:s, s:s}", "call_id", call_id, "reason", reason), call_id, S_REQ_LOG);
}

static void s_connect_cancel(acd_app_t *app, acd_call_t *call)
{
    if (call->connect_id > 0) {
        s_request(app, "sipproxy", "call.connect_cancel",
                  json_pack("{s:s, s:I}", "call_id", call->id, "connect_id",
                            (json_int_t)call->connect_id), call->id, S_REQ_LOG);
        call->connect_id = 0;
    } else if (call->connect_pending) {
        call->cancel_pending = true;
    }
}

/* ---- replies -------------------------------------------------------------------------- */

static void s_offer_failed_all(acd_app_t *app, acd_call_t *call, acd_event_kind_t kind)
{
    char agents[ACD_OFFER_MAX][ACD_EXT_MAX];
    int n = call->noffer;
    memcpy(agents, call->offer, sizeof agents);
    call->noffer = 0;
    call->connect_id = 0;
    call->connect_pending = call->cancel_pending = false;
    char id[ACD_ID_MAX];
    s_copy(id, sizeof id, call->id);
    for (int i = 0; i < n; i++) {
        acd_event_t ev = {.kind = kind, .call_id = id, .agent = agents[i]};
        acd_app_step(app, &ev);
    }
}

static void s_reply_connect(acd_app_t *app, acd_call_t *call, int status, json_t *result)
{
    call->connect_pending = false;
    if (status == 0) {
        call->connect_id = json_integer_value(json_object_get(result, "connect_id"));
        if (call->cancel_pending || call->noffer == 0) {
            call->cancel_pending = false;
            s_connect_cancel(app, call);
        }
        return;
    }
    const char *msg = status == -EPROTO ? json_string_value(json_object_get(result, "message"))
                                        : "timeout";
    cc_warn("acd.connect_failed", "call=%s error=%s", call->id, cc_logq(msg));
    if (call->noffer == 0)
        return;
    if (msg && (strstr(msg, "unknown") || strstr(msg, "no such"))) {
        s_offer_failed_all(app, call, ACD_EV_OFFER_REJECTED);
        acd_event_t ev = {.kind = ACD_EV_CALL_ABANDONED, .call_id = call->id};
        acd_app_step(app, &ev);
        return;
    }
    s_offer_failed_all(app, call, ACD_EV_OFFER_REJECTED);
}

static void s_reply_originate(acd_app_t *app, acd_call_t *call, int status, json_t *result)
{
    call->connect_pending = false;
    if (status != 0) {
        cc_warn("acd.originate_failed", "call=%s", call->id);
        call->cb = ACD_CB_WAITING;
        s_offer_failed_all(app, call, ACD_EV_OFFER_REJECTED);
        return;
    }
    const char *leg = json_string_value(json_object_get(result, "call_id"));
    call->cb_connect_id = json_integer_value(json_object_get(result, "connect_id"));
    if (leg) {
        s_copy(call->cb_call_id, sizeof call->cb_call_id, leg);
        acd_map_put(&app->calls, call->cb_call_id, call);
    }
    if (call->cancel_pending || call->noffer == 0) {
        call->cancel_pending = false;
        if (leg)
            s_hangup(app, leg, "callback offer cancelled");
    }
}

static void s_on_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_req_ctx_t *ctx = arg;
    acd_app_t *app = ctx->app;
    acd_call_t *call = acd_call_find(app, ctx->call_id);
    if (call && call->dead)
        call = NULL;
    switch (ctx->kind) {
    case S_REQ_ANSWER:
        if (!call)
            break;
        if (status != 0) {
            cc_warn("acd.answer_failed", "call=%s", call->id);
            if (call->in_core) { /* the caller is gone (e.g. died while acdd was down) */
                acd_event_t ev = {.kind = ACD_EV_CALL_ABANDONED, .call_id = call->id};
                acd_app_step(app, &ev);
            }
            break;
        }
        call->answered = true;
        if (call->pending_position > 0) {
            s_announce(app, call, call->pending_position, call->pending_wait_s);
            call->pending_position = 0;
        } else if (!call->gone) {
            acd_call_start_music(app, call);
        }
        break;
    case S_REQ_CONNECT:
        if (call)
            s_reply_connect(app, call, status, result);
        break;
    case S_REQ_ANNOUNCE:
        if (call && status == 0)
            call->announce_play_id = json_integer_value(json_object_get(result, "play_id"));
        else if (call) /* a missing prompt must not leave the caller in silence */
            acd_call_start_music(app, call);
        break;
    case S_REQ_CONFIRM:
        if (call && status == 0)
            call->confirm_play_id = json_integer_value(json_object_get(result, "play_id"));
        else if (call)
            s_hangup(app, call->id, "queue callback requested");
        break;
    case S_REQ_ORIGINATE:
        if (call)
            s_reply_originate(app, call, status, result);
        break;
    case S_REQ_CB_CONNECT:
        if (call && status == 0)
            call->cb_connect_id = json_integer_value(json_object_get(result, "connect_id"));
        else if (call && call->cb_call_id[0])
            s_hangup(app, call->cb_call_id, "callback: customer leg failed");
        break;
    default:
        if (status != 0)
            cc_debug("acd.request_error", "call=%s status=%d", cc_logq(ctx->call_id), status);
        break;
    }
    acd_calls_sweep(app);
    free(ctx);
}

/* ---- actions ------------------------------------------------------------------------- */

static void s_act_offer(acd_app_t *app, const acd_action_t *a)
{
    acd_call_t *call = acd_call_find(app, a->call_id);
    if (!call)
        return;
    if (call->noffer < ACD_OFFER_MAX)
        s_copy(call->offer[call->noffer++], ACD_EXT_MAX, a->agent);
    call->ring_timeout_s = a->ring_timeout_s;
    if (!call->offer_new) {
        call->offer_new = true;
        call->next_dirty = app->dirty;
        app->dirty = call;
    }
    json_t *ev = json_pack("{s:s, s:s, s:s, s:f, s:i}", "queue", a->queue, "agent", a->agent,
                           "caller", call->caller, "wait_s", s_wait_s(call), "ring_timeout_s",
                           a->ring_timeout_s);
    if (call->variables)
        json_object_set(ev, "variables", call->variables);
    if (call->cb != ACD_CB_NONE)
        json_object_set_new(ev, "callback", json_true());
    cc_bus_publish(app->bus, "queue.offered", call->id, ev);
    acd_log_queue(app, call->id, a->queue, "offered", a->agent, call->caller, call->priority,
                  s_wait_s(call), -1, -1, -1, call->cb != ACD_CB_NONE ? "callback" : NULL);
    cc_info("acd.offer", "call=%s queue=%s agent=%s", call->id, a->queue, a->agent);
}

static const char *s_caller_name(const acd_call_t *call)
{
    static const char *const keys[] = {"caller_name", "customer_name", "name", NULL};
    for (int i = 0; call->variables && keys[i]; i++) {
        const char *v = json_string_value(json_object_get(call->variables, keys[i]));
        if (v && *v)
            return v;
    }
    return call->caller;
}

static json_t *s_headers(const acd_call_t *call)
{
    char wait[16], prio[16];
    snprintf(wait, sizeof wait, "%d", (int)s_wait_s(call));
    snprintf(prio, sizeof prio, "%d", call->priority);
    json_t *h = json_pack("{s:s, s:s, s:s, s:s}", "X-CC-Queue", call->queue, "X-CC-Caller",
                          call->caller, "X-CC-Wait", wait, "X-CC-Priority", prio);
    const char *customer = call->variables
        ? json_string_value(json_object_get(call->variables, "customer_id")) : NULL;
    if (customer)
        json_object_set_new(h, "X-CC-Customer", json_string(customer));
    if (call->cb != ACD_CB_NONE)
        json_object_set_new(h, "X-CC-Callback", json_string(call->caller));
    return h;
}

/* The offers of one step go out as one attempt: ring-all rings every agent at once. */
static void s_send_offers(acd_app_t *app)
{
    while (app->dirty) {
        acd_call_t *call = app->dirty;
        app->dirty = call->next_dirty;
        call->offer_new = false;
        call->next_dirty = NULL;
        if (call->dead || call->noffer == 0)
            continue;
        /* sipproxy rings a little longer than the core: the core's timer decides */
        int timeout = (call->ring_timeout_s > 0 ? call->ring_timeout_s
                                                : ACD_RING_TIMEOUT_DEFAULT_S) + 5;
        if (call->cb != ACD_CB_NONE) {
            char caller[64];
            const acd_qmeta_t *q = acd_queue_meta(app, call->queue);
            s_copy(caller, sizeof caller, app->cb_caller[0] ? app->cb_caller
                                          : q && q->number[0] ? q->number : call->caller);
            call->cb = ACD_CB_AGENT;
            call->cb_attempts++;
            char target[ACD_EXT_MAX + 8], name[96];
            snprintf(target, sizeof target, "ext:%s", call->offer[0]);
            snprintf(name, sizeof name, "Callback %s", call->caller);
            json_t *args = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o}", "target", target,
                                     "caller", caller, "caller_name", name, "controller",
                                     "acdd", "timeout_s", timeout, "headers", s_headers(call));
            call->connect_pending = true;
            s_request(app, "sipproxy", "call.originate", args, call->id, S_REQ_ORIGINATE);
            json_t *ev = json_pack("{s:s, s:s, s:s, s:i}", "queue", call->queue, "number",
                                   call->caller, "agent", call->offer[0], "attempt",
                                   call->cb_attempts);
            cc_bus_publish(app->bus, "queue.callback_attempt", call->id, ev);
            s_callback_row(app, call, call->offer[0], "pending");
            continue;
        }
        json_t *targets = json_array();
        for (int i = 0; i < call->noffer; i++) {
            char target[ACD_EXT_MAX + 8];
            snprintf(target, sizeof target, "ext:%s", call->offer[i]);
            json_array_append_new(targets, json_string(target));
        }
        json_t *args = json_pack("{s:s, s:o, s:i, s:s, s:o}", "call_id", call->id, "targets",
                                 targets, "timeout_s", timeout, "caller_name",
                                 s_caller_name(call), "headers", s_headers(call));
        call->connect_pending = true;
        call->connect_id = 0;
        s_request(app, "sipproxy", "call.connect", args, call->id, S_REQ_CONNECT);
        s_qcall_update(app, call, "offered");
    }
}

static void s_act_cancel(acd_app_t *app, const acd_action_t *a)
{
    acd_call_t *call = acd_call_find(app, a->call_id);
    if (!call)
        return;
    for (int i = 0; i < call->noffer; i++) {
        if (!strcmp(call->offer[i], a->agent)) {
            call->offer[i][0] = '\0';
            memmove(call->offer[i], call->offer[i + 1],
                    (size_t)(call->noffer - i - 1) * sizeof call->offer[0]);
            call->noffer--;
            break;
        }
    }
    bool elsewhere = !strcmp(a->reason, "answered_elsewhere");
    if (!elsewhere) {
        cc_bus_publish(app->bus, "queue.offer_failed", call->id,
                       json_pack("{s:s, s:s, s:s}", "queue", a->queue, "agent", a->agent,
                                 "reason", a->reason));
        acd_log_queue(app, call->id, a->queue, "offer_failed", a->agent, call->caller, -1, -1,
                      -1, -1, -1, a->reason);
    }
    if (call->noffer > 0 || elsewhere)
        return;
    if (call->cb == ACD_CB_AGENT) {
        if (call->cb_call_id[0])
            s_hangup(app, call->cb_call_id, "callback offer cancelled");
        else if (call->connect_pending)
            call->cancel_pending = true;
        s_cb_leg_forget(app, call);
        call->cb = ACD_CB_WAITING;
    } else {
        s_connect_cancel(app, call);
    }
    if (call->in_core)
        s_qcall_update(app, call, call->cb != ACD_CB_NONE ? "callback" : "waiting");
}

static void s_act_connect(acd_app_t *app, const acd_action_t *a)
{
    acd_call_t *call = acd_call_find(app, a->call_id);
    if (!call)
        return;
    const acd_qmeta_t *q = acd_queue_meta(app, a->queue);
    double wait = (double)a->wait_ms / 1000.0;
    bool in_sl = q && a->wait_ms <= (int64_t)q->sl_threshold_s * 1000;
    call->in_core = false;
    call->noffer = 0;
    s_copy(call->agent, sizeof call->agent, a->agent);
    call->answered_ms = acd_now_ms();
    cc_bus_publish(app->bus, "queue.answered", call->id,
                   json_pack("{s:s, s:s, s:f, s:b}", "queue", a->queue, "agent", a->agent,
                             "wait_s", wait, "in_sl", in_sl));
    acd_log_queue(app, call->id, a->queue, "answered", a->agent, call->caller, call->priority,
                  wait, -1, -1, in_sl, call->cb != ACD_CB_NONE ? "callback" : NULL);
    cc_info("acd.answered", "call=%s queue=%s agent=%s wait_s=%.1f", call->id, a->queue,
            a->agent, wait);
    if (call->cb != ACD_CB_NONE) { /* the agent answered: now ring the customer */
        call->cb = ACD_CB_CUSTOMER;
        char target[ACD_NUMBER_MAX + 8];
        snprintf(target, sizeof target, "number:%s", call->caller);
        json_t *args = json_pack("{s:s, s:[s], s:i}", "call_id", call->cb_call_id, "targets",
                                 target, "timeout_s", 30);
        s_request(app, "sipproxy", "call.connect", args, call->id, S_REQ_CB_CONNECT);
        return;
    }
    call->gone = true;
    s_play_stop(app, call);
    s_qcall_delete(app, call);
}

static const char *s_overflow_kind(acd_overflow_kind_t kind)
{
    switch (kind) {
    case ACD_OVERFLOW_HANGUP: return "hangup";
    case ACD_OVERFLOW_QUEUE: return "queue";
    case ACD_OVERFLOW_EXTENSION: return "extension";
    case ACD_OVERFLOW_VOICEMAIL: return "voicemail";
    case ACD_OVERFLOW_CALLBACK: return "callback";
    }
    return "hangup";
}

static void s_act_overflow(acd_app_t *app, const acd_action_t *a)
{
    acd_call_t *call = acd_call_find(app, a->call_id);
    if (!call)
        return;
    const char *kind = s_overflow_kind(a->overflow);
    char detail[ACD_REASON_MAX + ACD_NAME_MAX + 16];
    snprintf(detail, sizeof detail, "%s/%s%s%s", a->reason, kind, a->target[0] ? ":" : "",
             a->target);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:f}", "queue", a->queue, "reason", a->reason,
                           "kind", kind, "wait_s", s_wait_s(call));
    if (a->target[0])
        json_object_set_new(ev, "target", json_string(a->target));
    cc_bus_publish(app->bus, "queue.overflowed", call->id, ev);
    acd_log_queue(app, call->id, a->queue, "overflowed", NULL, call->caller, call->priority,
                  s_wait_s(call), -1, -1, -1, detail);
    cc_info("acd.overflow", "call=%s queue=%s %s", call->id, a->queue, cc_logq(detail));
    if (a->overflow == ACD_OVERFLOW_QUEUE) { /* the core moved it already */
        s_copy(call->queue, sizeof call->queue, a->target);
        call->enqueued_ms = acd_now_ms();
        acd_log_queue(app, call->id, a->target, "entered", NULL, call->caller, call->priority,
                      -1, -1, -1, -1, "overflow");
        s_qcall_update(app, call, "waiting");
        return;
    }
    call->in_core = false;
    if (a->overflow == ACD_OVERFLOW_CALLBACK && !call->leg_gone) {
        acd_call_request_callback(app, call, false);
        return;
    }
    s_qcall_delete(app, call);
    if (call->leg_gone) { /* a callback that timed out again: give up */
        s_callback_row(app, call, NULL, "failed");
        acd_call_kill(app, call);
        return;
    }
    call->gone = true;
    if (a->overflow == ACD_OVERFLOW_EXTENSION) {
        char target[ACD_NAME_MAX + 8];
        snprintf(target, sizeof target, "ext:%s", a->target);
        s_play_stop(app, call);
        s_request(app, "sipproxy", "call.connect",
                  json_pack("{s:s, s:[s], s:s}", "call_id", call->id, "targets", target,
                            "caller_name", s_caller_name(call)), call->id, S_REQ_LOG);
        return;
    }
    s_hangup(app, call->id, a->reason[0] == 'f' ? "queue full" : "queue max wait");
}

static void s_act_abandoned(acd_app_t *app, const acd_action_t *a)
{
    acd_call_t *call = acd_call_find(app, a->call_id);
    if (!call)
        return;
    double wait = (double)a->wait_ms / 1000.0;
    call->in_core = false;
    call->noffer = 0;
    cc_bus_publish(app->bus, "queue.abandoned", call->id,
                   json_pack("{s:s, s:f, s:i}", "queue", a->queue, "wait_s", wait, "position",
                             a->position));
    acd_log_queue(app, call->id, a->queue, "abandoned", NULL, call->caller, call->priority,
                  wait, -1, a->position, 0, NULL);
    s_qcall_delete(app, call);
    cc_info("acd.abandoned", "call=%s queue=%s wait_s=%.1f position=%d", call->id, a->queue,
            wait, a->position);
    acd_call_kill(app, call);
}

static void s_act_announce(acd_app_t *app, const acd_action_t *a)
{
    acd_call_t *call = acd_call_find(app, a->call_id);
    if (!call || call->cb != ACD_CB_NONE || call->leg_gone)
        return;
    if (!call->answered) {
        call->pending_position = a->position;
        call->pending_wait_s = a->expected_wait_s;
        return;
    }
    s_announce(app, call, a->position, a->expected_wait_s);
}

static void s_act_agent_state(acd_app_t *app, const acd_action_t *a)
{
    acd_agent_meta_t *meta = acd_map_get(&app->agents, a->agent);
    int64_t now = acd_now_ms();
    acd_agent_info_t info;
    if (acd_core_agent_info(app->core, a->agent, &info) == 0 && info.state == a->to)
        now = info.state_since_ms;
    double prev_s = meta && meta->since_ms > 0 ? (double)(now - meta->since_ms) / 1000.0 : 0;
    if (prev_s < 0)
        prev_s = 0;
    if (meta)
        meta->since_ms = now;
    const char *state = acd_agent_state_name(a->to), *prev = acd_agent_state_name(a->from);
    char since[40], ms[24], ps[32];
    acd_iso_time(now, since, sizeof since);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:f}", "ext", a->agent, "state", state,
                           "previous", prev, "since", since, "previous_s", prev_s);
    if (a->reason[0])
        json_object_set_new(ev, "reason", json_string(a->reason));
    cc_bus_publish(app->bus, "agent.state", NULL, ev);
    cc_info("acd.agent_state", "agent=%s state=%s previous=%s reason=%s", a->agent, state, prev,
            cc_logq(a->reason));
    s_int(ms, sizeof ms, now);
    const char *up[4] = {a->agent, state, a->reason, ms};
    acd_db_write(app->db, ACD_DB_STATE_UPSERT, up);
    const char *hist[6] = {a->agent, state, a->reason, prev, ms, s_num(ps, sizeof ps, prev_s)};
    acd_db_write(app->db, ACD_DB_HISTORY_INSERT, hist);
}

static void s_run_actions(acd_app_t *app, const acd_actions_t *out)
{
    for (size_t i = 0; i < out->count; i++) {
        const acd_action_t *a = &out->items[i];
        switch (a->kind) {
        case ACD_ACT_OFFER: s_act_offer(app, a); break;
        case ACD_ACT_CANCEL_OFFER: s_act_cancel(app, a); break;
        case ACD_ACT_CONNECT: s_act_connect(app, a); break;
        case ACD_ACT_AGENT_STATE: s_act_agent_state(app, a); break;
        case ACD_ACT_OVERFLOW: s_act_overflow(app, a); break;
        case ACD_ACT_ABANDONED: s_act_abandoned(app, a); break;
        case ACD_ACT_ANNOUNCE: s_act_announce(app, a); break;
        }
    }
}

/* ---- the step and its timer --------------------------------------------------------- */

static void s_on_timer(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    acd_app_t *app = arg;
    if (timer_id == app->timer_id) {
        app->timer_id = 0;
        app->timer_at = 0;
    }
    acd_event_t ev = {.kind = ACD_EV_TICK};
    acd_app_step(app, &ev);
    acd_calls_sweep(app);
}

static void s_arm_timer(acd_app_t *app)
{
    int64_t next = acd_core_next_timer_ms(app->core);
    if (next == app->timer_at && app->timer_id > 0)
        return;
    if (app->timer_id > 0)
        cc_loop_timer_cancel(app->d->loop, app->timer_id);
    app->timer_id = 0;
    app->timer_at = 0;
    if (next == INT64_MAX)
        return;
    int64_t delay = next - acd_now_ms();
    app->timer_id = cc_loop_timer_add(app->d->loop, (uint64_t)(delay > 0 ? delay : 0), 0,
                                      s_on_timer, app);
    app->timer_at = next;
}

int acd_app_step(acd_app_t *app, acd_event_t *ev)
{
    /* Carrying out actions may step again (a callback overflow re-enqueues): a nested
     * step gets a buffer of its own, and offers go out once the outermost step is done. */
    acd_actions_t nested, *out = &app->out;
    if (app->depth > 0) {
        acd_actions_init(&nested);
        out = &nested;
    }
    ev->now_ms = acd_now_ms();
    app->depth++;
    int rc = acd_core_step(app->core, ev, out);
    app->steps++;
    s_run_actions(app, out);
    app->depth--;
    if (out != &app->out)
        acd_actions_free(out);
    if (app->depth == 0) {
        app->out.count = 0;
        s_send_offers(app);
        s_arm_timer(app);
    }
    return rc;
}

/* ---- callbacks and media events -------------------------------------------------------- */

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
                  s_wait_s(call), -1, position, -1, "requested");
    s_callback_row(app, call, NULL, "pending");
    cc_info("acd.callback_requested", "call=%s queue=%s number=%s position=%d", call->id,
            call->queue, cc_logq(call->caller), position);
    if (!in_core) { /* overflow to callback: back in at the end of the queue */
        acd_event_t ev = {.kind = ACD_EV_CALL_ENQUEUED, .call_id = call->id,
                          .queue = call->queue, .priority = call->priority,
                          .skill = call->skill[0] ? call->skill : NULL,
                          .min_level = call->skill_level};
        if (acd_app_step(app, &ev) == 0)
            call->in_core = true;
    }
    s_qcall_update(app, call, "callback");
    call->announce_play_id = 0;
    s_play(app, call, json_pack("[s]", app->cb_confirm_prompt), false, S_REQ_CONFIRM);
}

void acd_call_on_play_done(acd_app_t *app, acd_call_t *call, int64_t play_id,
                           const char *reason)
{
    if (play_id <= 0)
        return;
    if (play_id == call->confirm_play_id) {
        call->confirm_play_id = 0;
        s_hangup(app, call->id, "queue callback requested");
        return;
    }
    if (play_id == call->announce_play_id && reason && !strcmp(reason, "finished")) {
        call->announce_play_id = 0;
        if (call->in_core && call->cb == ACD_CB_NONE)
            acd_call_start_music(app, call);
    }
}

static void s_cb_result(acd_app_t *app, acd_call_t *call, const char *result)
{
    json_t *ev = json_pack("{s:s, s:s, s:s, s:i}", "queue", call->queue, "number", call->caller,
                           "result", result, "attempts", call->cb_attempts);
    if (call->agent[0])
        json_object_set_new(ev, "agent", json_string(call->agent));
    cc_bus_publish(app->bus, "queue.callback_done", call->id, ev);
    acd_log_queue(app, call->id, call->queue, "callback", call->agent, call->caller, -1, -1,
                  -1, -1, -1, result);
    s_callback_row(app, call, call->agent[0] ? call->agent : NULL,
                   !strcmp(result, "retry") ? "pending" : result);
    cc_info("acd.callback_done", "call=%s result=%s attempts=%d", call->id, result,
            call->cb_attempts);
}

typedef struct {
    acd_app_t *app;
    char call_id[ACD_ID_MAX];
} s_retry_t;

static void s_on_retry(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_retry_t *r = arg;
    acd_call_t *call = acd_call_find(r->app, r->call_id);
    if (call && call->retry == r) { /* the call owns r: freed with it, or here */
        call->retry = NULL;
        call->retry_timer = 0;
    }
    if (call && !call->dead && !call->in_core) {
        call->cb = ACD_CB_WAITING;
        call->agent[0] = '\0';
        call->cb_customer_answered = false;
        call->gone = false;
        acd_event_t ev = {.kind = ACD_EV_CALL_ENQUEUED, .call_id = call->id,
                          .queue = call->queue, .priority = call->priority,
                          .skill = call->skill[0] ? call->skill : NULL,
                          .min_level = call->skill_level};
        if (acd_app_step(r->app, &ev) == 0)
            call->in_core = true;
        acd_calls_sweep(r->app);
    }
    free(r);
}

/* The callback's agent leg is over: connected (done), or the customer did not answer
 * (retry later, or give up after the attempts). */
static void s_cb_leg_ended(acd_app_t *app, acd_call_t *call)
{
    bool talked = call->cb_customer_answered;
    s_cb_leg_forget(app, call);
    if (call->agent[0]) {
        acd_event_t ev = {.kind = ACD_EV_CALL_ENDED, .agent = call->agent};
        acd_app_step(app, &ev);
        if (talked)
            acd_log_queue(app, call->id, call->queue, "completed", call->agent, call->caller,
                          -1, -1, (double)(acd_now_ms() - call->answered_ms) / 1000.0, -1, -1,
                          "callback");
    }
    if (talked) {
        s_qcall_delete(app, call);
        acd_call_kill(app, call);
        return;
    }
    if (call->cb_attempts >= app->cb_attempts_max) {
        s_cb_result(app, call, "failed");
        s_qcall_delete(app, call);
        acd_call_kill(app, call);
        return;
    }
    s_cb_result(app, call, "retry");
    call->cb = ACD_CB_WAITING;
    s_retry_t *r = call->retry ? NULL : calloc(1, sizeof *r);
    if (r) {
        r->app = app;
        s_copy(r->call_id, sizeof r->call_id, call->id);
        call->retry = r;
        call->retry_timer = cc_loop_timer_add(app->d->loop, (uint64_t)app->cb_retry_s * 1000,
                                              0, s_on_retry, r);
    }
}

void acd_call_on_connect_result(acd_app_t *app, acd_call_t *call, const char *call_id,
                                int64_t connect_id, const char *result, const char *target)
{
    bool answered = !strcmp(result, "answered");
    if (call->cb != ACD_CB_NONE) {
        if (strcmp(call_id, call->cb_call_id) != 0 || connect_id != call->cb_connect_id)
            return;
        if (call->cb == ACD_CB_AGENT) {
            if (answered && call->noffer > 0) {
                acd_event_t ev = {.kind = ACD_EV_OFFER_ANSWERED, .call_id = call->id,
                                  .agent = call->offer[0]};
                acd_app_step(app, &ev); /* CONNECT: rings the customer */
            } else if (!answered && call->noffer > 0) {
                char leg[ACD_ID_MAX];
                s_copy(leg, sizeof leg, call->cb_call_id);
                s_cb_leg_forget(app, call);
                call->cb = ACD_CB_WAITING;
                s_offer_failed_all(app, call, !strcmp(result, "no_answer")
                                                  ? ACD_EV_OFFER_NO_ANSWER
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
                s_hangup(app, call->cb_call_id, "callback: customer did not answer");
            }
        }
        return;
    }
    if (connect_id != call->connect_id || call->gone)
        return;
    call->connect_id = 0;
    if (answered) {
        char agent[ACD_EXT_MAX] = "";
        if (target && !strncmp(target, "ext:", 4))
            s_copy(agent, sizeof agent, target + 4);
        else if (call->noffer > 0)
            s_copy(agent, sizeof agent, call->offer[0]);
        acd_event_t ev = {.kind = ACD_EV_OFFER_ANSWERED, .call_id = call->id, .agent = agent};
        int rc = acd_app_step(app, &ev);
        if (rc != 0) { /* the core had given up on this offer: the call is bridged anyway */
            cc_warn("acd.late_answer", "call=%s agent=%s rc=%d", call->id, agent, rc);
            acd_event_t ab = {.kind = ACD_EV_CALL_ABANDONED, .call_id = call->id};
            acd_app_step(app, &ab);
        }
        return;
    }
    if (!strcmp(result, "cancelled"))
        return;
    s_offer_failed_all(app, call, !strcmp(result, "no_answer") ? ACD_EV_OFFER_NO_ANSWER
                                                              : ACD_EV_OFFER_REJECTED);
}

void acd_call_on_ended(acd_app_t *app, acd_call_t *call, const char *call_id)
{
    if (call->cb != ACD_CB_NONE && call->cb_call_id[0] && !strcmp(call_id, call->cb_call_id)) {
        if (call->cb == ACD_CB_AGENT) { /* ended before the agent answered */
            s_cb_leg_forget(app, call);
            call->cb = ACD_CB_WAITING;
            s_offer_failed_all(app, call, ACD_EV_OFFER_NO_ANSWER);
            return;
        }
        s_cb_leg_ended(app, call);
        return;
    }
    if (strcmp(call_id, call->id) != 0)
        return;
    if (call->cb != ACD_CB_NONE) { /* the caller's leg, hung up after asking for a callback */
        call->leg_gone = true;
        call->endpoint_id = 0;
        return;
    }
    if (call->in_core) {
        acd_event_t ev = {.kind = ACD_EV_CALL_ABANDONED, .call_id = call->id};
        if (acd_app_step(app, &ev) != 0)
            acd_call_kill(app, call);
        return;
    }
    if (call->agent[0]) {
        acd_event_t ev = {.kind = ACD_EV_CALL_ENDED, .agent = call->agent};
        acd_app_step(app, &ev);
        acd_log_queue(app, call->id, call->queue, "completed", call->agent, call->caller, -1,
                      -1, (double)(acd_now_ms() - call->answered_ms) / 1000.0, -1, -1, NULL);
    }
    acd_call_kill(app, call);
}

int acd_call_enqueue(acd_app_t *app, acd_call_t *call, bool restored, const char *db_state)
{
    if (!call->enqueued_ms)
        call->enqueued_ms = acd_now_ms();
    acd_event_t ev = {.kind = ACD_EV_CALL_ENQUEUED, .call_id = call->id, .queue = call->queue,
                      .priority = call->priority, .skill = call->skill[0] ? call->skill : NULL,
                      .min_level = call->skill_level,
                      .enqueued_ms = restored ? call->enqueued_ms : 0};
    /* the row first, so that the writer sees it before any update the step makes */
    if (!restored) {
        int64_t seq = (int64_t)cc_wall_us();
        call->seq = seq > app->last_seq ? seq : app->last_seq + 1;
        app->last_seq = call->seq;
        char pr[16], lv[16], enq[24], sq[24], ep[24];
        char *vars = call->variables ? json_dumps(call->variables, JSON_COMPACT) : NULL;
        const char *p[11] = {call->id, call->queue, s_int(pr, sizeof pr, call->priority),
                             call->skill, s_int(lv, sizeof lv, call->skill_level),
                             s_int(enq, sizeof enq, call->enqueued_ms),
                             s_int(sq, sizeof sq, call->seq), call->caller,
                             s_int(ep, sizeof ep, call->endpoint_id), vars ? vars : "{}",
                             db_state};
        acd_db_write(app->db, ACD_DB_QCALL_INSERT, p);
        free(vars);
    }
    call->in_core = true;
    int rc = acd_app_step(app, &ev);
    if (rc != 0) {
        call->in_core = false;
        if (!restored)
            s_qcall_delete(app, call);
        return rc;
    }
    acd_call_info_t info;
    int position = 0;
    if (acd_core_call_info(app->core, call->id, &info) == 0)
        position = info.position;
    json_t *e = json_pack("{s:s, s:s, s:i, s:i}", "queue", call->queue, "caller", call->caller,
                          "priority", call->priority, "position", position);
    if (call->skill[0])
        json_object_set_new(e, "skill", json_string(call->skill));
    if (restored)
        json_object_set_new(e, "restored", json_true());
    cc_bus_publish(app->bus, "queue.entered", call->id, e);
    if (!restored)
        acd_log_queue(app, call->id, call->queue, "entered", NULL, call->caller, call->priority,
                      -1, -1, position, -1, NULL);
    return 0;
}

/* ---- configuration ------------------------------------------------------------------- */

void acd_app_apply_config(acd_app_t *app, const acd_db_config_t *cfg)
{
    acd_qmeta_t *queues = calloc(cfg->nqueues + 1, sizeof *queues);
    if (!queues)
        return;
    for (size_t i = 0; i < cfg->nqueues; i++) {
        const acd_db_queue_t *q = &cfg->queues[i];
        if (acd_core_queue_set(app->core, &q->cfg) != 0) {
            cc_warn("acd.bad_queue", "queue=%s", q->cfg.name);
            continue;
        }
        acd_qmeta_t *m = &queues[i];
        s_copy(m->name, sizeof m->name, q->cfg.name);
        s_copy(m->number, sizeof m->number, q->number);
        s_copy(m->callback_key, sizeof m->callback_key, q->callback_key);
        m->sl_threshold_s = q->cfg.sl_threshold_s;
        m->strategy = q->cfg.strategy;
    }
    /* queues removed from the table stay known to the core (it has no removal); they are
     * only hidden from queue.list and refuse new calls */
    free(app->queues);
    app->queues = queues;
    app->nqueues = cfg->nqueues;
    for (size_t i = 0; i < cfg->nagents; i++) {
        const acd_db_agent_t *a = &cfg->agents[i];
        acd_agent_meta_t *meta = acd_map_get(&app->agents, a->ext);
        if (!meta) {
            meta = calloc(1, sizeof *meta);
            if (!meta)
                continue;
            s_copy(meta->ext, sizeof meta->ext, a->ext);
            if (acd_map_put(&app->agents, meta->ext, meta) != 0) {
                free(meta);
                continue;
            }
        }
        s_copy(meta->name, sizeof meta->name, a->name);
        acd_core_agent_add(app->core, a->ext);
    }
    for (size_t i = 0; i < cfg->nskills; i++)
        acd_core_agent_set_skill(app->core, cfg->skills[i].ext, cfg->skills[i].skill,
                                 cfg->skills[i].level);
    for (size_t i = 0; i < cfg->nmembers; i++)
        acd_core_agent_join(app->core, cfg->members[i].ext, cfg->members[i].queue);
    cc_info("acd.config_loaded", "queues=%zu agents=%zu skills=%zu members=%zu", cfg->nqueues,
            cfg->nagents, cfg->nskills, cfg->nmembers);
    /* agents made routable by the change are routed on this tick */
    acd_event_t ev = {.kind = ACD_EV_TICK};
    acd_app_step(app, &ev);
}
