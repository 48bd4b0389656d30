/* wd_deskcall.c - the agent desktop's call controls (/api/me/hold, resume, transfer,
 * consult, consult/complete, consult/cancel): each is one of sipproxy's call.* commands
 * for the session's own extension, on the call the body names or else the agent's current
 * queue call; /api/me/hang-up too. sipproxy decides whether that extension is a party of the call (not_party
 * otherwise), so an agent cannot act on another agent's call by naming it. While an agent
 * consults, sipproxy's call.consult_state is pushed to its pages ("consult"), and
 * so are those of calls to its extension outside the queues ("call"). A supervisor may hold,
 * resume or transfer a call of its queues for the agent it talks with (/api/calls/...). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "wd_app.h"

static const char *s_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The bus refused: the HTTP status, and the field the refusal is about. */
static void s_refused(wd_req_t *req, json_t *error)
{
    const char *code = s_str(error, "code"), *msg = s_str(error, "message");
    static const struct {
        const char *code;
        int http;
        const char *field;
    } map[] = {
        {"unknown_call", 404, "call_id"},
        {"not_party", 403, "call_id"},
        {"bad_state", 409, NULL},
        {"unknown_target", 404, "target"},
        {"target_unavailable", 409, "target"},
        {"bad_args", 400, "target"},
    };
    for (size_t i = 0; code && i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i].code, code)) {
            wd_reply_error(req, map[i].http, !strcmp(code, "not_party") ? "forbidden" : code,
                           map[i].field, "%s", msg ? msg : code);
            return;
        }
    wd_reply_bus_error(req, -EPROTO, error);
}

static void s_on_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    wd_req_t *req = arg;
    if (status == -EPROTO) {
        s_refused(req, result);
        return;
    }
    if (status != 0) {
        wd_reply_bus_error(req, status, result);
        return;
    }
    json_t *doc = json_is_object(result) ? json_deep_copy(result) : json_object();
    const char *call_id = s_str(req->body, "call_id");
    if (!call_id)
        call_id = wd_param(&req->params, "call_id");
    if (call_id)
        json_object_set_new(doc, "call_id", json_string(call_id));
    wd_reply_json(req, 200, doc);
}

/* The call to act on: the body's call_id, else the agent's current queue call. */
static const char *s_call(wd_req_t *req)
{
    const char *id = s_str(req->body, "call_id");
    if (id)
        return id;
    const wb_agent_t *a = wb_core_agent(req->app->core, req->who.ext);
    if (!a || !a->call_id[0])
        return NULL;
    json_object_set_new(req->body, "call_id", json_string(a->call_id));
    return s_str(req->body, "call_id");
}

static void s_request(wd_req_t *req, const char *cmd, json_t *args)
{
    cc_info("webd.call_control", "call=%s cmd=%s ext=%s user=%s", s_str(args, "call_id"), cmd,
            req->who.ext, cc_logq(req->who.name));
    wd_app_t *app = req->app;
    if (!cc_bus_request(app->bus, &req->owner, "sipproxy", cmd, args, app->set.request_timeout_ms,
                        s_on_reply, req)) {
        wd_reply_error(req, 503, "unavailable", NULL, "sipproxy cannot be reached");
        return;
    }
    wd_reply_later(req);
}

static void s_send(wd_req_t *req, const char *cmd, bool with_target)
{
    const char *call_id = s_call(req);
    if (!call_id) {
        wd_reply_error(req, 409, "no_call", NULL, "you are not on a call");
        return;
    }
    json_t *args = json_pack("{s:s, s:s}", "call_id", call_id, "ext", req->who.ext);
    if (with_target)
        json_object_set_new(args, "target", json_string(s_str(req->body, "target")));
    s_request(req, cmd, args);
}

/* My queue call as acdd knows it (reserved, talking), or a call named in the body: a direct
 * or click-to-dial call, which sipproxy ends only if my extension is in it. */
void wd_h_me_hangup(wd_req_t *req)
{
    bool named = s_str(req->body, "call_id") != NULL;
    const char *call_id = s_call(req);
    if (!call_id) {
        wd_reply_error(req, 409, "no_call", NULL, "you are not on a call");
        return;
    }
    char reason[160];
    snprintf(reason, sizeof reason, "hung up by agent %s (desktop)", req->who.ext);
    json_t *args = json_pack("{s:s, s:s}", "call_id", call_id, "reason", reason);
    if (named)
        json_object_set_new(args, "ext", json_string(req->who.ext));
    s_request(req, "call.hangup", args);
}

void wd_h_me_hold(wd_req_t *req)
{
    s_send(req, "call.hold", false);
}

void wd_h_me_resume(wd_req_t *req)
{
    s_send(req, "call.resume", false);
}

void wd_h_me_transfer(wd_req_t *req)
{
    s_send(req, "call.transfer", true);
}

void wd_h_me_consult(wd_req_t *req)
{
    s_send(req, "call.consult", true);
}

void wd_h_me_consult_complete(wd_req_t *req)
{
    s_send(req, "call.consult_complete", false);
}

void wd_h_me_consult_cancel(wd_req_t *req)
{
    s_send(req, "call.consult_cancel", false);
}

/* ---- a supervisor on a call of its queues (the route checked the scope) ------------------ */

/* Hold, resume or transfer for the agent the call is connected to, as that agent could. */
static void s_for_agent(wd_req_t *req, const char *cmd, bool with_target)
{
    const char *call_id = wd_param(&req->params, "call_id");
    const wb_call_t *c = wb_core_call(req->app->core, call_id);
    if (!c || c->state != WB_CALL_TALKING || !c->agent[0]) {
        wd_reply_error(req, 409, "no_agent", "call_id", "call %s is not talking with an agent",
                       call_id);
        return;
    }
    json_t *args = json_pack("{s:s, s:s}", "call_id", call_id, "ext", c->agent);
    if (with_target)
        json_object_set_new(args, "target", json_string(s_str(req->body, "target")));
    s_request(req, cmd, args);
}

void wd_h_call_hold(wd_req_t *req)
{
    s_for_agent(req, "call.hold", false);
}

void wd_h_call_resume(wd_req_t *req)
{
    s_for_agent(req, "call.resume", false);
}

void wd_h_call_transfer(wd_req_t *req)
{
    s_for_agent(req, "call.transfer", true);
}

/* An agent's consultation call answered or ended (sipproxy's call.consult_state, on the
 * consulting call): its pages learn it. */
static void s_consult_event(wd_app_t *app, const cc_bus_event_t *ev)
{
    const char *ext = s_str(ev->body, "ext"), *id = s_str(ev->body, "consult_call_id");
    const char *state = s_str(ev->body, "state");
    if (ext && id && state)
        wd_desk_push(app, ext, "consult",
                     json_pack("{s:s, s:s, s:s}", "call_id", ev->call_id, "consult_call_id", id,
                               "state", state));
}

/* A call that rings an agent's extension outside the queues (dialled straight to it, or
 * click-to-dial's first leg): followed until it ends, so the page knows when the agent
 * talks in it and offers the call controls (acdd's state knows queue calls only). */
static void s_direct_event(wd_app_t *app, const cc_bus_event_t *ev)
{
    if (!strcmp(ev->type, "call.created")) {
        const char *kind = s_str(ev->body, "route_kind"), *ext = s_str(ev->body, "route_target");
        if (!kind || strcmp(kind, "ext") != 0 || !ext || !wb_core_agent(app->core, ext))
            return;
        if (!app->mycalls && !(app->mycalls = cc_map_new(free)))
            return;
        if (cc_map_size(app->mycalls) >= 10000) /* call.ended lost: never grows without end */
            return;
        char *v = strdup(ext);
        if (!v || cc_map_put(app->mycalls, ev->call_id, v) != 0)
            free(v);
        return;
    }
    const char *ext = app->mycalls ? cc_map_get(app->mycalls, ev->call_id) : NULL;
    bool answered = !strcmp(ev->type, "call.answered");
    if (!ext || (!answered && strcmp(ev->type, "call.ended") != 0))
        return;
    wd_desk_push(
        app, ext, "call",
        json_pack("{s:s, s:s}", "call_id", ev->call_id, "state", answered ? "talking" : "ended"));
    if (!answered)
        cc_map_delete(app->mycalls, ev->call_id);
}

void wd_deskcall_on_sipproxy(wd_app_t *app, const cc_bus_event_t *ev)
{
    if (!ev->call_id)
        return;
    if (!strcmp(ev->type, "call.consult_state"))
        s_consult_event(app, ev);
    else
        s_direct_event(app, ev);
}
