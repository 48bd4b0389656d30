/* acd_bus.c - acdd on the bus: serves queue.enter and the agent.* commands, follows
 * sipproxy's call.connect_result / call.ended / call.media_restored / reg.removed and
 * mediad's media.dtmf / media.play_done, and restores waiting calls and agent states at
 * start-up. What the core
 * decides in return is carried out by the files acd_app.h lists (acd_step.c first). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd_app.h"
#include "acd_args.h"
#include "cc_log.h"

static void s_copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static const char *s_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* ---- queue.enter ------------------------------------------------------------------- */

static void s_queue_enter(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                          void *arg)
{
    (void)cmd;
    acd_app_t *app = arg;
    acd_enter_args_t in;
    char err[160];
    if (acd_args_enter(args, &in, err, sizeof err) < 0) {
        cc_bus_reply_error(bus, req, "bad_args", "%s", err);
        return;
    }
    const char *call_id = in.call_id, *queue = in.queue;
    if (!acd_queue_meta(app, queue)) {
        cc_bus_reply_error(bus, req, "unknown_queue", "no queue '%s'", queue);
        return;
    }
    acd_call_t *call = acd_call_find(app, call_id);
    if (call && call->gone && call->agent[0] && call->cb == ACD_CB_NONE) {
        /* the agent transferred the caller to a queue (REFER): sipproxy's
         * call.connect_ended saying so travels on another socket and may come later */
        acd_call_on_connect_ended(app, call, call_id, 0, "transferred");
        acd_calls_sweep(app);
        call = acd_call_find(app, call_id);
    }
    if (call) {
        if (call->in_core && !strcmp(call->queue, queue)) {
            cc_bus_reply(bus, req, json_object()); /* a repeated request */
            return;
        }
        cc_bus_reply_error(bus, req, "exists", "call %s is already held by acdd", call_id);
        return;
    }
    call = acd_call_new(app, call_id);
    if (!call) {
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    s_copy(call->queue, sizeof call->queue, queue);
    s_copy(call->caller, sizeof call->caller, in.caller);
    call->endpoint_id = in.endpoint_id;
    call->answered = in.answered;
    call->priority = in.priority;
    s_copy(call->skill, sizeof call->skill, in.skill);
    call->skill_level = in.skill_level;
    if (in.variables)
        call->variables = json_incref(in.variables);
    call->return_to_ivr = in.return_to_ivr;
    int rc = acd_call_enqueue(app, call, false, "waiting");
    if (rc != 0) {
        cc_bus_reply_error(bus, req, rc == -EEXIST ? "exists" : "refused",
                           "queue %s refused the call (%s)", queue, strerror(-rc));
        acd_call_kill(app, call);
        acd_calls_sweep(app);
        return;
    }
    cc_info("acd.queue_enter", "queue=%s caller=%s priority=%d", queue, cc_logq(call->caller),
            call->priority);
    if (!call->dead && !call->gone) {
        if (!call->answered) {
            char by[ACD_NAME_MAX + 8];
            snprintf(by, sizeof by, "queue:%s", queue);
            json_t *a = json_pack("{s:s, s:s}", "call_id", call->id, "answered_by", by);
            acd_call_answer(app, call, a);
        } else if (!call->media_started) {
            acd_call_start_music(app, call);
        }
    }
    cc_bus_reply(bus, req, json_object());
    acd_calls_sweep(app);
}

/* ---- agent commands ------------------------------------------------------------------ */

/* Runs one agent event (checked by acd_args) and replies {ext, state, previous}, or an
 * error. */
static void s_agent_event(acd_app_t *app, cc_bus_req_t *req, const acd_agent_args_t *in,
                          const char *prompt)
{
    acd_agent_info_t before, after;
    const char *ext = in->ext;
    const acd_agent_meta_t *meta = cc_map_get(app->agents, ext);
    if (acd_core_agent_info(app->core, ext, &before) != 0 || (meta && meta->deleted)) {
        cc_bus_reply_error(app->bus, req, "unknown_agent",
                           "%s is not an agent (add it with `ccctl agent add`)", ext);
        return;
    }
    acd_event_t ev = {.kind = in->kind, .agent = ext, .reason = in->reason};
    int rc = acd_app_step(app, &ev);
    acd_calls_sweep(app);
    if (rc == -EPERM) {
        cc_bus_reply_error(app->bus, req, "not_allowed", "agent %s is %s", ext,
                           acd_agent_state_name(before.state));
        return;
    }
    if (rc != 0) {
        cc_bus_reply_error(app->bus, req, "failed", "%s", strerror(-rc));
        return;
    }
    acd_core_agent_info(app->core, ext, &after);
    json_t *res =
        json_pack("{s:s, s:s, s:s}", "ext", ext, "state", acd_agent_state_name(after.state),
                  "previous", acd_agent_state_name(before.state));
    if (prompt)
        json_object_set_new(res, "prompt", json_string(prompt));
    cc_bus_reply(app->bus, req, res);
}

static void s_agent_cmd(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    acd_agent_args_t in;
    char err[160];
    if (acd_args_agent(cmd, args, &in, err, sizeof err) < 0) {
        cc_bus_reply_error(bus, req, "bad_args", "%s", err);
        return;
    }
    s_agent_event(arg, req, &in, NULL);
}

/* agent.hold / agent.unhold: dialerd holds an agent while it dials a preview lead for it, so
 * no queue call rings the phone on top of that call, and releases it when the call ends.
 * Without ext, agent.unhold releases every hold with that reason: a dialerd that starts
 * has no dial in progress, so any "preview" hold left is from a run that stopped. */
static void s_agent_hold(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    acd_app_t *app = arg;
    const char *ext = s_str(args, "ext"), *reason = s_str(args, "reason");
    bool hold = !strcmp(cmd, "agent.hold");
    if (!hold && !ext) {
        if (!reason || !*reason) {
            cc_bus_reply_error(bus, req, "bad_args", "agent.unhold needs ext or reason");
            return;
        }
        json_t *released = json_array();
        cc_map_iter_t it = cc_map_iter(app->agents);
        for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
            acd_agent_meta_t *m = cc_map_value(e);
            acd_agent_info_t info;
            if (acd_core_agent_info(app->core, m->ext, &info) != 0 || !info.held ||
                strcmp(info.hold_reason, reason) != 0)
                continue;
            acd_event_t ev = {.kind = ACD_EV_AGENT_UNHOLD, .agent = m->ext};
            if (acd_app_step(app, &ev) == 0)
                json_array_append_new(released, json_string(m->ext));
        }
        acd_calls_sweep(app);
        cc_info("acd.unhold_all", "reason=%s agents=%zu", cc_logq(reason),
                json_array_size(released));
        cc_bus_reply(bus, req, json_pack("{s:o}", "released", released));
        return;
    }
    acd_agent_info_t info;
    const acd_agent_meta_t *meta = ext ? cc_map_get(app->agents, ext) : NULL;
    if (!ext || acd_core_agent_info(app->core, ext, &info) != 0 || (meta && meta->deleted)) {
        cc_bus_reply_error(bus, req, "unknown_agent", "%s is not an agent", ext ? ext : "(none)");
        return;
    }
    if (reason && strlen(reason) >= ACD_REASON_MAX) {
        cc_bus_reply_error(bus, req, "bad_args", "reason longer than %d characters",
                           ACD_REASON_MAX - 1);
        return;
    }
    acd_event_t ev = {
        .kind = hold ? ACD_EV_AGENT_HOLD : ACD_EV_AGENT_UNHOLD, .agent = ext, .reason = reason};
    int rc = acd_app_step(app, &ev);
    acd_calls_sweep(app);
    if (rc != 0) {
        cc_bus_reply_error(bus, req, "failed", "%s", strerror(-rc));
        return;
    }
    acd_core_agent_info(app->core, ext, &info);
    cc_info(hold ? "acd.agent_held" : "acd.agent_released", "agent=%s reason=%s", ext,
            cc_logq(hold ? info.hold_reason : (reason ? reason : "")));
    cc_bus_reply(bus, req,
                 json_pack("{s:s, s:s, s:b}", "ext", ext, "state", acd_agent_state_name(info.state),
                           "held", info.held));
}

static void s_agent_feature(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                            void *arg)
{
    (void)cmd;
    acd_app_t *app = arg;
    acd_agent_args_t in;
    char err[160];
    if (acd_args_feature(args, &in, err, sizeof err) < 0) {
        cc_bus_reply_error(bus, req, "bad_args", "%s", err);
        return;
    }
    /* *47 and a digit: that reason of [acdd] pause_reasons, when configured */
    if (in.pause_choice >= 1 && in.pause_choice <= ACD_PAUSE_REASONS &&
        app->pause_reasons[in.pause_choice - 1][0])
        in.reason = app->pause_reasons[in.pause_choice - 1];
    s_agent_event(app, req, &in, "thanks");
}

json_t *acd_agents_json(acd_app_t *app)
{
    json_t *list = json_array();
    int64_t now = acd_now_ms();
    cc_map_iter_t it = cc_map_iter(app->agents);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        acd_agent_meta_t *m = cc_map_value(e);
        acd_agent_info_t info;
        if (m->deleted || acd_core_agent_info(app->core, m->ext, &info) != 0)
            continue;
        char since[40];
        acd_iso_time(info.state_since_ms, since, sizeof since);
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:i, s:s, s:b}", "ext", m->ext, "name",
                            m->name, "state", acd_agent_state_name(info.state), "reason",
                            info.reason, "since", since, "state_s",
                            (double)(now - info.state_since_ms) / 1000.0, "calls_taken",
                            (int)info.calls_taken, "call_id", info.call_id, "held", info.held));
    }
    return list;
}

static void s_agent_list(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    (void)args;
    cc_bus_reply(bus, req, json_pack("{s:o}", "agents", acd_agents_json(arg)));
}

static void s_queue_list(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    (void)args;
    acd_app_t *app = arg;
    json_t *list = json_array();
    for (size_t i = 0; i < app->nqueues; i++) {
        const acd_qmeta_t *q = &app->queues[i];
        acd_queue_info_t info;
        if (!q->name[0] || acd_core_queue_info(app->core, q->name, &info) != 0)
            continue;
        json_array_append_new(
            list,
            json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:f, s:I, s:I, s:I, s:I}", "name",
                      q->name, "number", q->number, "strategy", acd_strategy_name(q->strategy),
                      "waiting", (int)info.waiting, "ready", (int)info.ready, "staffed",
                      (int)info.staffed, "serving", (int)info.serving, "handle_s", info.handle_s,
                      "answered", (json_int_t)info.answered, "abandoned",
                      (json_int_t)info.abandoned, "overflowed", (json_int_t)info.overflowed,
                      "answered_in_sl", (json_int_t)info.answered_in_sl));
    }
    cc_bus_reply(bus, req, json_pack("{s:o}", "queues", list));
}

/* ---- events from sipproxy and mediad ------------------------------------------------ */

static void s_on_sipproxy(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    acd_app_t *app = arg;
    if (!strcmp(ev->type, "reg.removed")) {
        const char *ext = s_str(ev->body, "ext");
        acd_agent_info_t info;
        json_t *remaining = json_object_get(ev->body, "remaining"); /* other phones left */
        if (ev->replayed || !ext || json_integer_value(remaining) > 0 ||
            acd_core_agent_info(app->core, ext, &info) != 0 || info.state == ACD_AGENT_LOGGED_OUT)
            return;
        cc_info("acd.unregistered", "agent=%s reason=%s", ext, cc_logq(s_str(ev->body, "reason")));
        acd_event_t e = {.kind = ACD_EV_AGENT_LOGOUT, .agent = ext, .reason = "unregistered"};
        acd_app_step(app, &e);
        acd_calls_sweep(app);
        return;
    }
    acd_call_t *call = acd_call_find(app, ev->call_id);
    if (!call && ev->call_id && !strcmp(ev->type, "call.connect_result") && !ev->replayed) {
        acd_early_result_keep(
            app, ev->call_id, json_integer_value(json_object_get(ev->body, "connect_id")),
            s_str(ev->body, "result") ? s_str(ev->body, "result") : "", s_str(ev->body, "target"));
        return;
    }
    if (!call || call->dead)
        return;
    cc_log_set_call(call->id); /* (the event may be about a callback's originated leg) */
    if (!strcmp(ev->type, "call.connect_result")) {
        acd_call_on_connect_result(
            app, call, ev->call_id, json_integer_value(json_object_get(ev->body, "connect_id")),
            s_str(ev->body, "result") ? s_str(ev->body, "result") : "", s_str(ev->body, "target"));
    } else if (!strcmp(ev->type, "call.ended")) {
        acd_call_on_ended(app, call, ev->call_id);
    } else if (!strcmp(ev->type, "call.media_restored")) {
        if (!strcmp(ev->call_id, call->id)) /* not a callback's leg to the agent */
            acd_call_on_media_restored(app, call,
                                       json_integer_value(json_object_get(ev->body, "gap_ms")));
    } else if (!strcmp(ev->type, "call.connect_ended")) {
        acd_call_on_connect_ended(app, call, ev->call_id,
                                  json_integer_value(json_object_get(ev->body, "connect_id")),
                                  s_str(ev->body, "reason"));
    }
    acd_calls_sweep(app);
}

static acd_call_t *s_by_endpoint(acd_app_t *app, int64_t endpoint_id)
{
    if (endpoint_id <= 0)
        return NULL;
    cc_map_iter_t it = cc_map_iter(app->calls);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        acd_call_t *c = cc_map_value(e);
        if (!c->dead && c->endpoint_id == endpoint_id)
            return c;
    }
    return NULL;
}

static void s_on_mediad(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    acd_app_t *app = arg;
    acd_call_t *call =
        s_by_endpoint(app, json_integer_value(json_object_get(ev->body, "endpoint_id")));
    if (!call)
        return;
    cc_log_set_call(call->id);
    if (!strcmp(ev->type, "media.play_done")) {
        acd_call_on_play_done(app, call, json_integer_value(json_object_get(ev->body, "play_id")),
                              s_str(ev->body, "reason"));
    } else if (!strcmp(ev->type, "media.dtmf")) {
        const char *digit = s_str(ev->body, "digit");
        const acd_qmeta_t *q = acd_queue_meta(app, call->queue);
        acd_call_info_t info;
        if (digit && q && q->callback_key[0] && !strcmp(digit, q->callback_key) &&
            call->cb == ACD_CB_NONE && call->in_core &&
            acd_core_call_info(app->core, call->id, &info) == 0 && !info.offered)
            acd_call_request_callback(app, call, true);
    }
    acd_calls_sweep(app);
}

/* ---- status -------------------------------------------------------------------------- */

static void s_status(cc_daemon_t *d, json_t *details, void *arg)
{
    (void)d;
    acd_app_t *app = arg;
    size_t waiting = 0;
    for (size_t i = 0; i < app->nqueues; i++) {
        acd_queue_info_t info;
        if (app->queues[i].name[0] &&
            acd_core_queue_info(app->core, app->queues[i].name, &info) == 0)
            waiting += info.waiting;
    }
    json_object_set_new(details, "queues", json_integer((json_int_t)app->nqueues));
    json_object_set_new(details, "agents", json_integer((json_int_t)cc_map_size(app->agents)));
    json_object_set_new(details, "waiting", json_integer((json_int_t)waiting));
    json_object_set_new(details, "calls", json_integer((json_int_t)app->ncalls));
    json_object_set_new(details, "steps", json_integer((json_int_t)app->steps));
    json_object_set_new(details, "db_backlog", json_integer((json_int_t)acd_db_backlog(app->db)));
}

int acd_bus_attach(acd_app_t *app)
{
    static const char *const agent_cmds[] = {"agent.login", "agent.logout", "agent.ready",
                                             "agent.pause"};
    int rc = cc_bus_on_command(app->bus, "queue.enter", s_queue_enter, app);
    for (size_t i = 0; i < sizeof agent_cmds / sizeof agent_cmds[0]; i++)
        rc |= cc_bus_on_command(app->bus, agent_cmds[i], s_agent_cmd, app);
    rc |= cc_bus_on_command(app->bus, "agent.feature", s_agent_feature, app);
    rc |= cc_bus_on_command(app->bus, "agent.hold", s_agent_hold, app);
    rc |= cc_bus_on_command(app->bus, "agent.unhold", s_agent_hold, app);
    rc |= cc_bus_on_command(app->bus, "agent.list", s_agent_list, app);
    rc |= cc_bus_on_command(app->bus, "queue.list", s_queue_list, app);
    rc |= acd_console_attach(app);
    rc |= cc_bus_subscribe_reliable(app->bus, "sipproxy", (cc_bus_cursor_t){0, 0}, s_on_sipproxy,
                                    app);
    rc |= cc_bus_subscribe(app->bus, "mediad", "media.", s_on_mediad, app);
    cc_daemon_on_status(app->d, s_status, app);
    return rc ? -1 : 0;
}

/* ---- restore after a restart --------------------------------------------------------- */

/* mediad's answer for a call restored as connected: no endpoints left means the call
 * ended while acdd was away (its call.ended is lost to us), so the agent's part ends now.
 * No answer decides nothing: the call.ended still to come will. */
static void s_on_connected_probe(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    acd_call_t *call = arg;
    if (status == 0 && json_array_size(json_object_get(result, "endpoints")) == 0) {
        cc_info("acd.restored_call_gone", "agent=%s", call->agent);
        acd_call_on_ended(call->app, call, call->id);
    }
    acd_calls_sweep(call->app);
}

/* A call an agent was talking on: held (not queued) until its end, which frees the agent. */
static void s_restore_connected(acd_app_t *app, acd_call_t *call, const acd_db_call_t *row)
{
    s_copy(call->agent, sizeof call->agent, row->agent);
    call->gone = call->answered = true;
    call->answered_ms = acd_now_ms();
    cc_info("acd.call_restored", "queue=%s state=connected agent=%s", call->queue, call->agent);
    acd_request(app, call, "mediad", "endpoint.find", json_pack("{s:s}", "call_id", call->id),
                s_on_connected_probe);
}

/* The restored call agent `ext` was talking on, or NULL. */
static acd_call_t *s_connected_call_of(acd_app_t *app, const char *ext)
{
    cc_map_iter_t it = cc_map_iter(app->calls);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        acd_call_t *c = cc_map_value(e);
        if (!c->dead && c->gone && !strcmp(c->agent, ext))
            return c;
    }
    return NULL;
}

/* One row of a call acdd held when it stopped (the log lines are about that call). */
static void s_restore_call_row(acd_app_t *app, const acd_db_call_t *row)
{
    if (!acd_queue_meta(app, row->queue)) {
        cc_warn("acd.restore_dropped", "queue=%s reason=unknown_queue", row->queue);
        return;
    }
    acd_call_t *call = acd_call_new(app, row->call_id);
    if (!call)
        return;
    s_copy(call->queue, sizeof call->queue, row->queue);
    s_copy(call->caller, sizeof call->caller, row->caller);
    s_copy(call->skill, sizeof call->skill, row->skill);
    call->priority = row->priority;
    call->skill_level = row->skill_level;
    call->endpoint_id = row->endpoint_id;
    call->enqueued_ms = row->enqueued_ms;
    call->seq = row->seq;
    if (row->seq > app->last_seq)
        app->last_seq = row->seq;
    call->cb_attempts = row->attempts;
    call->return_to_ivr = row->return_to_ivr;
    json_t *vars = json_loads(row->variables, 0, NULL);
    if (json_is_object(vars) && json_object_size(vars) > 0)
        call->variables = vars;
    else
        json_decref(vars);
    if (!strcmp(row->state, "connected") && row->agent[0]) {
        s_restore_connected(app, call, row);
        return;
    }
    bool callback = !strcmp(row->state, "callback");
    if (callback) {
        call->cb = ACD_CB_WAITING;
        call->leg_gone = true;
        call->endpoint_id = 0;
    }
    if (!strcmp(row->state, "offered") && row->connect_id > 0) /* ringing when we died */
        cc_bus_request(
            app->bus, NULL, "sipproxy", "call.connect_cancel",
            json_pack("{s:s, s:I}", "call_id", call->id, "connect_id", (json_int_t)row->connect_id),
            app->req_timeout_ms, NULL, NULL);
    if (acd_call_enqueue(app, call, true, row->state) != 0) {
        acd_call_kill(app, call);
        return;
    }
    cc_info("acd.call_restored", "queue=%s state=%s", call->queue, row->state);
    if (!callback && !call->gone) { /* answer is idempotent; the answer reply restarts music */
        acd_call_answer(app, call, json_pack("{s:s}", "call_id", call->id));
    }
}

static void s_restore_call(const acd_db_call_t *row, void *arg)
{
    cc_log_set_call(row->call_id);
    s_restore_call_row(arg, row);
    cc_log_set_call(NULL);
}

static void s_restore_state(const char *ext, const char *state, const char *reason, void *arg)
{
    acd_app_t *app = arg;
    if (!strcmp(state, "logged_out"))
        return;
    acd_call_t *call = !strcmp(state, "on_call") ? s_connected_call_of(app, ext) : NULL;
    if (call) { /* back on the call it was talking on, never ready in between */
        acd_event_t ev = {
            .kind = ACD_EV_AGENT_ON_CALL, .agent = ext, .call_id = call->id, .queue = call->queue};
        cc_log_set_call(call->id);
        if (acd_app_step(app, &ev) == 0)
            cc_info("acd.agent_restored", "agent=%s state=on_call", ext);
        cc_log_set_call(NULL);
        return;
    }
    bool paused = !strcmp(state, "not_ready");
    acd_event_t ev = {.kind = ACD_EV_AGENT_LOGIN,
                      .agent = ext,
                      .reason = paused ? (reason[0] ? reason : "pause") : NULL};
    if (acd_app_step(app, &ev) == 0)
        cc_info("acd.agent_restored", "agent=%s state=%s reason=%s", ext, state, cc_logq(reason));
}

int acd_bus_restore(acd_app_t *app, cc_pg_t *pg)
{
    app->restoring = true;
    int rc = acd_db_load_calls(pg, s_restore_call, app);
    if (rc == 0)
        rc = acd_db_load_states(pg, s_restore_state, app);
    app->restoring = false;
    acd_calls_sweep(app);
    return rc;
}
