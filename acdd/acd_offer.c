/* acd_offer.c - offers and agents: an offer of the core becomes call.connect to the
 * agents' phones (ring-all: one attempt with every agent), with the screen pop in the
 * INVITE's headers and in queue.offered; sipproxy's connect result comes back as the
 * agent's answer, no answer or rejection; every agent state change is an event and two
 * rows. A callback's offer is handed to acd_callback.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd_app.h"
#include "cc_log.h"

/* ---- the screen pop ------------------------------------------------------------------- */

const char *acd_call_caller_name(const acd_call_t *call)
{
    static const char *const keys[] = {"caller_name", "customer_name", "name", NULL};
    for (int i = 0; call->variables && keys[i]; i++) {
        const char *v = json_string_value(json_object_get(call->variables, keys[i]));
        if (v && *v)
            return v;
    }
    return call->caller;
}

/* Printable ASCII only: a header value must not break the SIP message it rides in. */
static bool s_header_safe(const char *v)
{
    size_t n = 0;
    for (; v[n]; n++)
        if ((unsigned char)v[n] < 0x20 || (unsigned char)v[n] > 0x7e)
            return false;
    return n <= 128;
}

json_t *acd_call_headers(const acd_call_t *call)
{
    char wait[16], prio[16];
    snprintf(wait, sizeof wait, "%d", (int)acd_call_wait_s(call));
    snprintf(prio, sizeof prio, "%d", call->priority);
    json_t *h = json_pack("{s:s, s:s, s:s, s:s}", "X-CC-Queue", call->queue, "X-CC-Caller",
                          call->caller, "X-CC-Wait", wait, "X-CC-Priority", prio);
    /* what the IVR's lookup learnt, so a desktop can pop the customer's record: the
     * account (or a flow's own customer_id) and the tier; only values safe in a header */
    static const struct {
        const char *header, *vars[2];
    } pop[] = {
        {"X-CC-Customer", {"customer_id", "account"}},
        {"X-CC-Tier", {"tier", NULL}},
    };
    for (size_t i = 0; call->variables && i < sizeof pop / sizeof pop[0]; i++)
        for (size_t k = 0; k < 2 && pop[i].vars[k]; k++) {
            const char *v = json_string_value(json_object_get(call->variables, pop[i].vars[k]));
            if (v && *v && s_header_safe(v)) {
                json_object_set_new(h, pop[i].header, json_string(v));
                break;
            }
        }
    if (call->cb != ACD_CB_NONE)
        json_object_set_new(h, "X-CC-Callback", json_string(call->caller));
    return h;
}

/* ---- sending offers ------------------------------------------------------------------- */

void acd_act_offer(acd_app_t *app, const acd_action_t *a)
{
    acd_call_t *call = acd_call_find(app, a->call_id);
    if (!call)
        return;
    if (call->noffer < ACD_OFFER_MAX)
        acd_text_copy(call->offer[call->noffer++], ACD_EXT_MAX, a->agent);
    call->ring_timeout_s = a->ring_timeout_s;
    if (!call->offer_new) {
        call->offer_new = true;
        call->next_dirty = app->dirty;
        app->dirty = call;
    }
    json_t *ev = json_pack("{s:s, s:s, s:s, s:f, s:i}", "queue", a->queue, "agent", a->agent,
                           "caller", call->caller, "wait_s", acd_call_wait_s(call),
                           "ring_timeout_s", a->ring_timeout_s);
    if (call->variables)
        json_object_set(ev, "variables", call->variables);
    if (call->cb != ACD_CB_NONE)
        json_object_set_new(ev, "callback", json_true());
    cc_bus_publish(app->bus, "queue.offered", call->id, ev);
    acd_log_queue(app, call->id, a->queue, "offered", a->agent, call->caller, call->priority,
                  acd_call_wait_s(call), -1, -1, -1, call->cb != ACD_CB_NONE ? "callback" : NULL);
    cc_info("acd.offer", "queue=%s agent=%s", a->queue, a->agent);
}

static void s_connect_cancel(acd_app_t *app, acd_call_t *call)
{
    if (call->connect_id > 0) {
        acd_request(app, call, "sipproxy", "call.connect_cancel",
                    json_pack("{s:s, s:I}", "call_id", call->id, "connect_id",
                              (json_int_t)call->connect_id),
                    NULL);
        call->connect_id = 0;
    } else if (call->connect_pending) {
        call->cancel_pending = true;
    }
}

void acd_offers_failed_all(acd_app_t *app, acd_call_t *call, acd_event_kind_t kind)
{
    char agents[ACD_OFFER_MAX][ACD_EXT_MAX];
    int n = call->noffer;
    memcpy(agents, call->offer, sizeof agents);
    call->noffer = 0;
    call->connect_id = call->early_connect_id = 0;
    call->connect_pending = call->cancel_pending = false;
    char id[ACD_ID_MAX];
    acd_text_copy(id, sizeof id, call->id);
    for (int i = 0; i < n; i++) {
        acd_event_t ev = {.kind = kind, .call_id = id, .agent = agents[i]};
        acd_app_step(app, &ev);
    }
}

static void s_connect_replied(acd_app_t *app, acd_call_t *call, int status, json_t *result)
{
    call->connect_pending = false;
    int64_t early_id = call->early_connect_id;
    call->early_connect_id = 0;
    if (status == 0) {
        call->connect_id = json_integer_value(json_object_get(result, "connect_id"));
        if (call->cancel_pending || call->noffer == 0) {
            call->cancel_pending = false;
            s_connect_cancel(app, call);
        } else if (early_id > 0 && early_id == call->connect_id) { /* its result came first */
            char res[sizeof call->early_result], target[sizeof call->early_target];
            acd_text_copy(res, sizeof res, call->early_result);
            acd_text_copy(target, sizeof target, call->early_target);
            acd_call_on_connect_result(app, call, call->id, early_id, res, target);
        }
        return;
    }
    const char *msg =
        status == -EPROTO ? json_string_value(json_object_get(result, "message")) : "timeout";
    cc_warn("acd.connect_failed", "error=%s", cc_logq(msg));
    if (call->noffer == 0)
        return;
    if (msg && (strstr(msg, "unknown") || strstr(msg, "no such"))) {
        acd_offers_failed_all(app, call, ACD_EV_OFFER_REJECTED);
        acd_event_t ev = {.kind = ACD_EV_CALL_ABANDONED, .call_id = call->id};
        acd_app_step(app, &ev);
        return;
    }
    acd_offers_failed_all(app, call, ACD_EV_OFFER_REJECTED);
}

static void s_on_connect_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    acd_call_t *call = arg;
    s_connect_replied(call->app, call, status, result);
    acd_calls_sweep(call->app);
}

/* The offers of one step go out as one attempt: ring-all rings every agent at once. */
void acd_offers_send(acd_app_t *app)
{
    while (app->dirty) {
        acd_call_t *call = app->dirty;
        app->dirty = call->next_dirty;
        call->offer_new = false;
        call->next_dirty = NULL;
        if (call->dead || call->noffer == 0)
            continue;
        /* sipproxy rings a little longer than the core: the core's timer decides */
        int timeout =
            (call->ring_timeout_s > 0 ? call->ring_timeout_s : ACD_RING_TIMEOUT_DEFAULT_S) + 5;
        if (call->cb != ACD_CB_NONE) {
            acd_cb_send_offer(app, call, timeout);
            continue;
        }
        json_t *targets = json_array();
        for (int i = 0; i < call->noffer; i++) {
            char target[ACD_EXT_MAX + 8];
            snprintf(target, sizeof target, "ext:%s", call->offer[i]);
            json_array_append_new(targets, json_string(target));
        }
        json_t *args = json_pack("{s:s, s:o, s:i, s:s, s:o, s:s}", "call_id", call->id, "targets",
                                 targets, "timeout_s", timeout, "caller_name",
                                 acd_call_caller_name(call), "headers", acd_call_headers(call),
                                 "on_callee_hangup", call->return_to_ivr ? "return" : "end");
        call->connect_pending = true;
        call->connect_id = 0;
        acd_request(app, call, "sipproxy", "call.connect", args, s_on_connect_reply);
        acd_qcall_update(app, call, "offered");
    }
}

/* ---- how offers end -------------------------------------------------------------------- */

void acd_act_cancel(acd_app_t *app, const acd_action_t *a)
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
                       json_pack("{s:s, s:s, s:s}", "queue", a->queue, "agent", a->agent, "reason",
                                 a->reason));
        acd_log_queue(app, call->id, a->queue, "offer_failed", a->agent, call->caller, -1, -1, -1,
                      -1, -1, a->reason);
    }
    if (call->noffer > 0 || elsewhere)
        return;
    if (call->cb == ACD_CB_AGENT)
        acd_cb_offer_cancelled(app, call);
    else
        s_connect_cancel(app, call);
    if (call->in_core)
        acd_qcall_update(app, call, call->cb != ACD_CB_NONE ? "callback" : "waiting");
}

void acd_act_connect(acd_app_t *app, const acd_action_t *a)
{
    acd_call_t *call = acd_call_find(app, a->call_id);
    if (!call)
        return;
    const acd_qmeta_t *q = acd_queue_meta(app, a->queue);
    double wait = (double)a->wait_ms / 1000.0;
    bool in_sl = q && a->wait_ms <= (int64_t)q->sl_threshold_s * 1000;
    call->in_core = false;
    call->noffer = 0;
    acd_text_copy(call->agent, sizeof call->agent, a->agent);
    call->answered_ms = acd_now_ms();
    cc_bus_publish(app->bus, "queue.answered", call->id,
                   json_pack("{s:s, s:s, s:f, s:b}", "queue", a->queue, "agent", a->agent, "wait_s",
                             wait, "in_sl", in_sl));
    acd_log_queue(app, call->id, a->queue, "answered", a->agent, call->caller, call->priority, wait,
                  -1, -1, in_sl, call->cb != ACD_CB_NONE ? "callback" : NULL);
    cc_info("acd.answered", "queue=%s agent=%s wait_s=%.1f", a->queue, a->agent, wait);
    if (call->cb != ACD_CB_NONE) {
        acd_cb_agent_answered(app, call);
        return;
    }
    call->gone = true;
    acd_call_play_stop(app, call);
    /* kept while the agent talks, so a restarted acdd puts the agent back on this call */
    acd_qcall_update(app, call, "connected");
}

void acd_call_on_connect_result(acd_app_t *app, acd_call_t *call, const char *call_id,
                                int64_t connect_id, const char *result, const char *target)
{
    if (call->cb != ACD_CB_NONE) {
        acd_cb_on_connect_result(app, call, call_id, connect_id, result);
        return;
    }
    if (call->gone)
        return;
    if (call->connect_pending && call->connect_id == 0) { /* the reply is still on its way */
        if (call->early_connect_id > 0 && !strcmp(result, "cancelled"))
            return; /* an older attempt's end: keep the one already here */
        call->early_connect_id = connect_id;
        acd_text_copy(call->early_result, sizeof call->early_result, result);
        acd_text_copy(call->early_target, sizeof call->early_target, target);
        return;
    }
    if (connect_id != call->connect_id)
        return;
    call->connect_id = 0;
    if (!strcmp(result, "answered")) {
        call->answered_connect_id = connect_id;
        char agent[ACD_EXT_MAX] = "";
        if (target && !strncmp(target, "ext:", 4))
            acd_text_copy(agent, sizeof agent, target + 4);
        else if (call->noffer > 0)
            acd_text_copy(agent, sizeof agent, call->offer[0]);
        acd_event_t ev = {.kind = ACD_EV_OFFER_ANSWERED, .call_id = call->id, .agent = agent};
        int rc = acd_app_step(app, &ev);
        if (rc != 0) { /* the core had given up on this offer: the call is bridged anyway */
            cc_warn("acd.late_answer", "agent=%s rc=%d", agent, rc);
            acd_event_t ab = {.kind = ACD_EV_CALL_ABANDONED, .call_id = call->id};
            acd_app_step(app, &ab);
        }
        return;
    }
    if (!strcmp(result, "cancelled"))
        return;
    acd_offers_failed_all(
        app, call, !strcmp(result, "no_answer") ? ACD_EV_OFFER_NO_ANSWER : ACD_EV_OFFER_REJECTED);
}

/* ---- agent states -------------------------------------------------------------------- */

void acd_act_agent_state(acd_app_t *app, const acd_action_t *a)
{
    acd_agent_meta_t *meta = cc_map_get(app->agents, a->agent);
    /* the core's time of the change: changes made in one step (ready, then at once
     * reserved for a waiting call) share it, so the history keeps their order */
    int64_t now = a->at_ms > 0 ? a->at_ms : acd_now_ms();
    double prev_s = meta && meta->since_ms > 0 ? (double)(now - meta->since_ms) / 1000.0 : 0;
    if (prev_s < 0)
        prev_s = 0;
    if (meta)
        meta->since_ms = now;
    const char *state = acd_agent_state_name(a->to), *prev = acd_agent_state_name(a->from);
    char since[40], ms[24], ps[32];
    acd_iso_time(now, since, sizeof since);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:f}", "ext", a->agent, "state", state, "previous",
                           prev, "since", since, "previous_s", prev_s);
    if (a->reason[0])
        json_object_set_new(ev, "reason", json_string(a->reason));
    cc_bus_publish(app->bus, "agent.state", NULL, ev);
    cc_info("acd.agent_state", "agent=%s state=%s previous=%s reason=%s", a->agent, state, prev,
            cc_logq(a->reason));
    acd_fmt_int(ms, sizeof ms, now);
    const char *up[4] = {a->agent, state, a->reason, ms};
    acd_db_write(app->db, ACD_DB_STATE_UPSERT, up);
    const char *hist[6] = {a->agent, state, a->reason,
                           prev,     ms,    acd_fmt_num(ps, sizeof ps, prev_s)};
    acd_db_write(app->db, ACD_DB_HISTORY_INSERT, hist);
}
