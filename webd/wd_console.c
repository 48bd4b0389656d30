/* wd_console.c - the supervisor console's actions, each one bus command to the daemon that
 * owns it, the same ones ccctl sends: agent states (acdd agent.*), hang up (sipproxy
 * call.hangup), move a waiting call or change its priority (acdd queue.move), schedule a
 * callback (acdd queue.callback), and click-to-call: sipproxy rings the agent's phone
 * (call.originate, webd as the controller) and, once the agent answers, connects the
 * number (call.connect); monitoring works the same way: the supervisor's own phone is rung
 * and, once answered, sipproxy's call.monitor puts it into the agent's call. Every request
 * is owned by the HTTP request that made it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "wb_json.h"
#include "wd_app.h"

/* The reply of a bus command becomes the HTTP reply of the request that sent it. */
static void s_on_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    wd_req_t *req = arg; /* owned by the request: cancelled if it went away */
    if (status != 0) {
        wd_reply_bus_error(req, status, result);
        return;
    }
    wd_reply_json(req, 200, json_is_object(result) ? json_incref(result) : json_object());
}

static void s_send(wd_req_t *req, const char *target, const char *cmd, json_t *args,
                   cc_bus_reply_fn *fn)
{
    wd_app_t *app = req->app;
    if (!cc_bus_request(app->bus, &req->owner, target, cmd, args, app->set.request_timeout_ms,
                        fn ? fn : s_on_reply, req)) {
        wd_reply_error(req, 503, "unavailable", NULL, "%s cannot be reached", target);
        return;
    }
    wd_reply_later(req);
}

static const char *s_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

void wd_h_agent_state(wd_req_t *req)
{
    const char *state = s_str(req->body, "state"), *reason = s_str(req->body, "reason");
    const char *cmd = !strcmp(state, "ready")   ? "agent.ready"
                      : !strcmp(state, "pause") ? "agent.pause"
                      : !strcmp(state, "login") ? "agent.login"
                                                : "agent.logout";
    if (reason && !strcmp(state, "ready")) {
        wd_reply_error(req, 400, "bad_field", "reason",
                       "'reason' goes with pause, login or logout");
        return;
    }
    json_t *args = json_pack("{s:s}", "ext", wd_param(&req->params, "ext"));
    if (reason)
        json_object_set_new(args, "reason", json_string(reason));
    else if (!strcmp(state, "logout"))
        json_object_set_new(args, "reason", json_string("supervisor"));
    s_send(req, "acdd", cmd, args, NULL);
}

void wd_h_hangup(wd_req_t *req)
{
    char reason[160];
    snprintf(reason, sizeof reason, "hung up by %s", req->who.name);
    s_send(req, "sipproxy", "call.hangup",
           json_pack("{s:s, s:s}", "call_id", wd_param(&req->params, "call_id"), "reason", reason),
           NULL);
}

void wd_h_move(wd_req_t *req)
{
    json_t *queue = json_object_get(req->body, "queue");
    json_t *priority = json_object_get(req->body, "priority");
    if (!queue && !priority) {
        wd_reply_error(req, 400, "bad_field", "queue", "give 'queue', 'priority' or both");
        return;
    }
    json_t *args = json_pack("{s:s}", "call_id", wd_param(&req->params, "call_id"));
    if (queue)
        json_object_set(args, "queue", queue);
    if (priority)
        json_object_set(args, "priority", priority);
    s_send(req, "acdd", "queue.move", args, NULL);
}

void wd_h_callback(wd_req_t *req)
{
    s_send(req, "acdd", "queue.callback",
           json_pack("{s:s, s:s}", "queue", s_str(req->body, "queue"), "number",
                     s_str(req->body, "number")),
           NULL);
}

/* ---- click-to-call --------------------------------------------------------------------- */

typedef struct {
    char number[64];
    char monitor[16];   /* the agent to monitor ("": click-to-call) */
    char mode[8];       /* listen, whisper or barge */
    char user[80];      /* who asked */
    int64_t connect_id; /* of the agent's leg; 0 until the originate reply names it */
    bool early;         /* a result that came before the reply: result/target kept */
    char result[16];
    int64_t early_connect_id;
    int64_t at_us;
} s_orig_t;

static void s_connect_number(wd_app_t *app, const char *call_id, const s_orig_t *o)
{
    char target[80];
    snprintf(target, sizeof target, "number:%s", o->number);
    cc_info("webd.click_to_call", "call=%s number=%s", call_id, cc_logq(o->number));
    cc_bus_request(app->bus, NULL, "sipproxy", "call.connect",
                   json_pack("{s:s, s:[s]}", "call_id", call_id, "targets", target),
                   app->set.request_timeout_ms, NULL, NULL);
}

static void s_on_monitoring(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)arg;
    if (status != 0) /* refused after all (the agent's call ended meanwhile): ring off */
        cc_info("webd.monitor_failed", "error=%s",
                cc_logq(json_string_value(json_object_get(result, "code"))));
}

/* The supervisor's phone answered: into the agent's call. */
static void s_monitor_agent(wd_app_t *app, const char *call_id, const s_orig_t *o)
{
    cc_info("webd.monitor", "call=%s agent=%s mode=%s user=%s", call_id, o->monitor, o->mode,
            cc_logq(o->user));
    if (!cc_bus_request(app->bus, NULL, "sipproxy", "call.monitor",
                        json_pack("{s:s, s:s, s:s, s:s}", "call_id", call_id, "agent", o->monitor,
                                  "mode", o->mode, "user", o->user),
                        app->set.request_timeout_ms, s_on_monitoring, NULL))
        cc_warn("webd.monitor_failed", "call=%s error=unreachable", call_id);
}

/* The first leg answered (connect the number, or start monitoring) or not (forget it). */
static void s_leg_result(wd_app_t *app, const char *call_id, s_orig_t *o, const char *result)
{
    if (!strcmp(result, "answered") && o->monitor[0])
        s_monitor_agent(app, call_id, o);
    else if (!strcmp(result, "answered"))
        s_connect_number(app, call_id, o);
    else
        cc_info("webd.click_to_call_failed", "call=%s result=%s", call_id, cc_logq(result));
    cc_map_delete(app->originates, call_id);
}

static void s_on_originated(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    wd_req_t *req = arg;
    wd_app_t *app = req->app;
    const char *call_id = s_str(result, "call_id");
    if (status != 0 || !call_id) {
        wd_reply_bus_error(req, status ? status : -EPROTO, result);
        return;
    }
    s_orig_t *o = cc_map_get(app->originates, call_id);
    if (!o && (o = calloc(1, sizeof *o)) && cc_map_insert(app->originates, call_id, o) != 0) {
        free(o);
        o = NULL;
    }
    if (!o) {
        wd_reply_error(req, 500, "internal", NULL, "out of memory");
        return;
    }
    const char *number = s_str(req->body, "number");
    snprintf(o->number, sizeof o->number, "%s", number ? number : "");
    if (!number) { /* a monitoring session: see wd_h_monitor */
        snprintf(o->monitor, sizeof o->monitor, "%s", wd_param(&req->params, "ext"));
        snprintf(o->mode, sizeof o->mode, "%s", s_str(req->body, "mode"));
        snprintf(o->user, sizeof o->user, "%s", req->who.name);
    }
    o->connect_id = json_integer_value(json_object_get(result, "connect_id"));
    o->at_us = wd_now_us();
    if (o->early && o->early_connect_id == o->connect_id) { /* the agent was quicker */
        o->early = false;
        s_leg_result(app, call_id, o, o->result);
    }
    wd_reply_json(req, 200,
                  json_pack("{s:s, s:s}", "call_id", call_id, "state",
                            number ? "ringing_agent" : "ringing_supervisor"));
}

void wd_h_originate(wd_req_t *req)
{
    wd_app_t *app = req->app;
    char target[48], name[96];
    snprintf(target, sizeof target, "ext:%s", s_str(req->body, "agent"));
    snprintf(name, sizeof name, "Call to %s", s_str(req->body, "number"));
    json_t *args = json_pack("{s:s, s:s, s:s, s:s, s:i}", "target", target, "caller",
                             s_str(req->body, "number"), "caller_name", name, "controller", "webd",
                             "timeout_s", 30);
    if (!app->originates)
        app->originates = cc_map_new(free);
    app->originate_at_us = wd_now_us();
    s_send(req, "sipproxy", "call.originate", args, s_on_originated);
}

/* POST /api/agents/{ext}/monitor: ring the supervisor's own phone (the web user's
 * extension); once it answers, sipproxy mixes it into the agent's call in the mode asked.
 * sipproxy checks again who may (the same rule as the phone's feature codes). */
void wd_h_monitor(wd_req_t *req)
{
    wd_app_t *app = req->app;
    if (!req->who.ext[0]) {
        wd_reply_error(req, 409, "no_phone", NULL,
                       "%s has no extension to ring: set one with ccctl web user ... --ext",
                       req->who.name);
        return;
    }
    char target[48], name[96];
    snprintf(target, sizeof target, "ext:%s", req->who.ext);
    snprintf(name, sizeof name, "Monitor %s (%s)", wd_param(&req->params, "ext"),
             s_str(req->body, "mode"));
    json_t *args = json_pack("{s:s, s:s, s:s, s:s, s:i}", "target", target, "caller",
                             wd_param(&req->params, "ext"), "caller_name", name, "controller",
                             "webd", "timeout_s", 30);
    if (!app->originates)
        app->originates = cc_map_new(free);
    app->originate_at_us = wd_now_us();
    s_send(req, "sipproxy", "call.originate", args, s_on_originated);
}

void wd_console_on_sipproxy(wd_app_t *app, const cc_bus_event_t *ev)
{
    if (!app->originates || !ev->call_id || strcmp(ev->type, "call.connect_result") != 0)
        return;
    const char *result = s_str(ev->body, "result");
    int64_t connect_id = json_integer_value(json_object_get(ev->body, "connect_id"));
    s_orig_t *o = cc_map_get(app->originates, ev->call_id);
    if (o && o->connect_id && o->connect_id == connect_id) {
        s_leg_result(app, ev->call_id, o, result ? result : "");
        return;
    }
    /* the number's own leg; or not ours: results kept only just after an originate */
    if (o || wd_now_us() - app->originate_at_us > 10 * 1000000LL ||
        cc_map_size(app->originates) > 1000)
        return;
    /* maybe ours, before the originate reply: kept a little while */
    if (!(o = calloc(1, sizeof *o)) || cc_map_insert(app->originates, ev->call_id, o) != 0) {
        free(o);
        return;
    }
    o->early = true;
    o->early_connect_id = connect_id;
    snprintf(o->result, sizeof o->result, "%s", result ? result : "");
    o->at_us = wd_now_us();
}

void wd_console_sweep(wd_app_t *app, int64_t now_us)
{
    if (!app->originates)
        return;
    cc_map_iter_t it = cc_map_iter(app->originates);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        const s_orig_t *o = cc_map_value(e);
        if (now_us - o->at_us > 60 * 1000000LL)
            cc_map_delete(app->originates, cc_map_key(e));
    }
}

void wd_console_free(wd_app_t *app)
{
    cc_map_destroy(&app->originates);
}
