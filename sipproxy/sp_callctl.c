/* sp_callctl.c - the controller side of calls (common/events/callctl.def): the hand-over
 * of a call routed to ivr:/conf:/queue: (ivr.start or conf.start to ivrd, queue.enter to
 * acdd) and the call.* commands a controller drives it with: answer, connect,
 * connect_cancel, hangup, originate. Argument checks and replies live here; the SIP work is sp_fork's and
 * sp_b2bua's. */
#include "sp_call.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cc_log.h"
#include "sp_callargs.h"

/* ---- hand-over ---------------------------------------------------------------------- */

static void s_on_handover(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    sp_call_t *c = arg;
    if (c->state >= SP_CALL_ENDING)
        return;
    if (status == 0) {
        cc_info("call.handed_over", "controller=%s", c->controller);
        return;
    }
    const char *code =
        status == -EPROTO ? json_string_value(json_object_get(result, "code")) : NULL;
    const char *msg =
        status == -EPROTO ? json_string_value(json_object_get(result, "message")) : NULL;
    snprintf(c->reason, sizeof c->reason, "%s did not take the call: %s%s%s", c->controller,
             status == -ETIMEDOUT ? "timeout" : (code ? code : "error"), msg ? ": " : "",
             msg ? msg : "");
    cc_warn("call.handover_failed", "controller=%s reason=%s", c->controller, cc_logq(c->reason));
    sp_call_end(c, status == -ETIMEDOUT ? SP_END_CONTROLLER_DOWN : SP_END_CONTROLLER_FAILED, 0);
}

/* The controller and its hand-over command for a route kind: ivrd runs IVR flows,
 * conference rooms and mailboxes, acdd queues. */
const char *sp_callctl_controller(cc_target_kind_t kind)
{
    return kind == CC_TARGET_IVR || kind == CC_TARGET_CONF || kind == CC_TARGET_VOICEMAIL ? "ivrd"
                                                                                          : "acdd";
}

bool sp_callctl_controlled(cc_target_kind_t kind)
{
    return kind == CC_TARGET_IVR || kind == CC_TARGET_QUEUE || kind == CC_TARGET_CONF ||
           kind == CC_TARGET_VOICEMAIL;
}

void sp_callctl_handover(sp_call_t *c)
{
    json_t *args;
    const char *cmd;
    if (c->route_kind == CC_TARGET_IVR) {
        cmd = "ivr.start";
        args = json_pack("{s:s, s:s, s:s, s:s, s:i}", "call_id", c->id, "flow", c->route_target,
                         "caller", c->caller, "callee", c->callee, "endpoint_id", c->ea.id);
    } else if (c->route_kind == CC_TARGET_CONF) {
        cmd = "conf.start";
        args = json_pack("{s:s, s:s, s:s, s:i}", "call_id", c->id, "room", c->route_target,
                         "caller", c->caller, "endpoint_id", c->ea.id);
    } else if (c->route_kind == CC_TARGET_VOICEMAIL && c->feature[0]) {
        /* *97 (own box: route_target is the caller's extension) or *98 (asks) */
        cmd = "vm.menu";
        args = json_pack("{s:s, s:s, s:s, s:i}", "call_id", c->id, "mailbox", c->route_target,
                         "caller", c->caller, "endpoint_id", c->ea.id);
    } else if (c->route_kind == CC_TARGET_VOICEMAIL) {
        /* why the caller is here decides the greeting: "direct" (dialled the mailbox),
         * or a diversion's "busy", "noanswer", "unavailable", "dnd" */
        cmd = "vm.deposit";
        args =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "call_id", c->id, "mailbox",
                      c->route_target, "reason", c->divert_reason[0] ? c->divert_reason : "direct",
                      "caller", c->caller, "callee", c->callee, "endpoint_id", c->ea.id);
    } else {
        cmd = "queue.enter";
        args = json_pack("{s:s, s:s, s:s, s:i, s:b}", "call_id", c->id, "queue", c->route_target,
                         "caller", c->caller, "endpoint_id", c->ea.id, "answered",
                         c->state == SP_CALL_ANSWERED);
    }
    if (!cc_bus_request(c->proxy->bus, &c->bus, c->controller, cmd, args,
                        c->proxy->set.controller_timeout_ms, s_on_handover, c)) {
        snprintf(c->reason, sizeof c->reason, "%s did not take the call: request failed",
                 c->controller);
        sp_call_end(c, SP_END_CONTROLLER_FAILED, 0);
    }
}

void sp_callctl_callee_left(sp_call_t *c, const char *reason)
{
    struct sp_leg *w = c->winner;
    c->winner = NULL;
    json_t *f = json_pack("{s:i, s:s, s:s}", "connect_id", c->att.id, "target", w ? w->target : "",
                          "reason", reason);
    cc_bus_publish(c->proxy->bus, "call.connect_ended", c->id, f);
    cc_info("call.connect_ended", "connect_id=%d reason=%s", c->att.id, reason);
    sp_media_delete(c, false);
}

/* ---- argument checks (sp_callargs.c) --------------------------------------------- */

/* Options shared by call.connect and call.originate into c->att (not yet active). */
static int s_attempt_args(sp_call_t *c, json_t *args, char *err, size_t errlen)
{
    char headers[sizeof c->att.headers];
    int timeout;
    bool on_hangup_return;
    if (sp_callargs_attempt(args, headers, sizeof headers, &timeout, &on_hangup_return, err,
                            errlen) != 0)
        return -1;
    if (!c)
        return 0; /* checking only */
    sp_attempt_t *att = &c->att;
    sp_fork_reset(c);
    const char *name = json_string_value(json_object_get(args, "caller_name"));
    att->id = ++c->proxy->connect_seq;
    att->from_controller = true;
    att->originate = false;
    att->best_code = 0;
    att->timeout_s = timeout;
    att->on_hangup_return = on_hangup_return;
    snprintf(att->caller_name, sizeof att->caller_name, "%s", name ? name : "");
    snprintf(att->headers, sizeof att->headers, "%s", headers);
    const char *trunk = json_string_value(json_object_get(args, "trunk"));
    snprintf(att->trunk, sizeof att->trunk, "%s", trunk ? trunk : "");
    att->fail_target[0] = '\0';
    return 0;
}

/* The optional trunk argument: absent, or a trunk sipproxy knows. 0, or -1 with a reason. */
static int s_trunk_arg(sp_proxy_t *p, json_t *args, char *err, size_t errlen)
{
    json_t *v = json_object_get(args, "trunk");
    if (!v)
        return 0;
    const char *name = json_string_value(v);
    if (!name || !name[0] || strlen(name) >= sizeof((sp_attempt_t *)0)->trunk) {
        snprintf(err, errlen, "trunk must be a trunk's name");
        return -1;
    }
    if (!sp_directory_trunk(p->dir, name)) {
        snprintf(err, errlen, "trunk: no trunk '%s'", name);
        return -1;
    }
    return 0;
}

static sp_call_t *s_find(sp_proxy_t *p, cc_bus_req_t *req, json_t *args)
{
    const char *id = json_string_value(json_object_get(args, "call_id"));
    sp_call_t *c = id ? sp_call_find(p, id) : NULL;
    if (!c)
        cc_bus_reply_error(p->bus, req, "unknown_call", "no call '%s'", id ? id : "");
    return c;
}

/* ---- commands ----------------------------------------------------------------------- */

static void s_answer(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    sp_proxy_t *p = arg;
    sp_call_t *c = s_find(p, req, args);
    if (!c)
        return;
    if (c->state == SP_CALL_ANSWERED && c->a.nh) {
        cc_bus_reply(bus, req, NULL); /* idempotent */
        return;
    }
    if (c->state >= SP_CALL_ENDING || c->state == SP_CALL_MEDIA || !c->a.nh || c->a.final) {
        cc_bus_reply_error(bus, req, "bad_state", "call %s cannot be answered (%s)", c->id,
                           sp_call_state_name(c->state));
        return;
    }
    const char *by = json_string_value(json_object_get(args, "answered_by"));
    if (by && by[0])
        snprintf(c->answered_by, sizeof c->answered_by, "%s", by);
    if (sp_call_answer_here(c) != 0) {
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    cc_bus_reply(bus, req, NULL);
}

/* The callee-side endpoint of a call.connect exists: resolve the targets and ring. */
static void s_connect_ready(sp_call_t *c)
{
    sp_attempt_t *att = &c->att;
    if (!att->active || !att->targets) { /* cancelled meanwhile */
        att->trunk[0] = '\0';
        sp_media_delete(c, false);
        return;
    }
    int best = 0;
    size_t i;
    json_t *t;
    json_array_foreach(att->targets, i, t)
    {
        int code = sp_fork_resolve_target(c, json_string_value(t));
        if (code && (!best || sp_fork_rank(code) > sp_fork_rank(best)))
            best = code;
    }
    att->trunk[0] = '\0'; /* for this attempt's targets only, not later transfers */
    if (att->ndials == 0) {
        sp_fork_failed(c, best ? best : 480, SP_END_UNAVAILABLE);
        return;
    }
    sp_fork_send(c);
}

static void s_connect(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    sp_proxy_t *p = arg;
    sp_call_t *c = s_find(p, req, args);
    if (!c)
        return;
    char err[160];
    json_t *targets = json_object_get(args, "targets");
    if (sp_callargs_targets(targets, SP_MAX_DIALS, err, sizeof err)) {
        cc_bus_reply_error(bus, req, "bad_args", "%s", err);
        return;
    }
    if (c->state >= SP_CALL_ENDING || c->state == SP_CALL_MEDIA || !c->a.nh || c->att.active ||
        c->winner || c->eb.id > 0) {
        cc_bus_reply_error(bus, req, "bad_state", "call %s: %s", c->id,
                           c->att.active ? "a connect attempt is in progress"
                           : c->winner   ? "already connected"
                                         : "not connectable now");
        return;
    }
    if (s_attempt_args(NULL, args, err, sizeof err) || s_trunk_arg(p, args, err, sizeof err)) {
        cc_bus_reply_error(bus, req, "bad_args", "%s", err);
        return;
    }
    s_attempt_args(c, args, err, sizeof err);
    c->att.targets = json_incref(targets);
    c->att.active = true;
    if (json_array_size(targets) == 1)
        snprintf(c->att.fail_target, sizeof c->att.fail_target, "%s",
                 json_string_value(json_array_get(targets, 0)));
    int id = c->att.id;
    cc_info("call.connect", "connect_id=%d targets=%zu", id, json_array_size(targets));
    cc_bus_reply(bus, req, json_pack("{s:i}", "connect_id", id));
    c->eb.srtp = sp_fork_targets_want_srtp(p, targets) || /* an agent that requires SRTP */
                 (c->att.trunk[0] && sp_srtp_offer(sp_fork_trunk_srtp(p, c->att.trunk)));
    sp_media_create(c, false, false, NULL, s_connect_ready);
}

static void s_connect_cancel(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                             void *arg)
{
    (void)cmd;
    sp_proxy_t *p = arg;
    sp_call_t *c = s_find(p, req, args);
    if (!c)
        return;
    int id = (int)json_integer_value(json_object_get(args, "connect_id"));
    if (id <= 0 || id > c->att.id) {
        cc_bus_reply_error(bus, req, "unknown_connect", "call %s has no attempt %d", c->id, id);
        return;
    }
    cc_bus_reply(bus, req, NULL);
    if (c->att.active && c->att.id == id && !c->att.originate && c->state < SP_CALL_ENDING)
        sp_fork_cancel(c, 487);
}

static void s_hangup(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    sp_proxy_t *p = arg;
    sp_call_t *c = s_find(p, req, args);
    if (!c)
        return;
    json_t *code = json_object_get(args, "sip_code");
    int sip_code = code ? (int)json_integer_value(code) : 480;
    if (code && (sip_code < 300 || sip_code > 699)) {
        cc_bus_reply_error(bus, req, "bad_args", "sip_code must be 300-699");
        return;
    }
    const char *ext = json_string_value(json_object_get(args, "ext"));
    if (ext && c->state < SP_CALL_ENDING && !sp_callctl_is_party(c, ext)) {
        cc_bus_reply_error(bus, req, "not_party", "call %s: %s is not a party of it", c->id, ext);
        return;
    }
    const char *reason = json_string_value(json_object_get(args, "reason"));
    if (c->state < SP_CALL_ENDING) {
        if (reason && reason[0])
            snprintf(c->reason, sizeof c->reason, "%s", reason);
        cc_info("call.hangup", "reason=%s", cc_logq(reason ? reason : ""));
        sp_call_end(c, SP_END_CONTROLLER_HANGUP, sip_code);
    }
    cc_bus_reply(bus, req, NULL);
}

static void s_originate_ready(sp_call_t *c)
{
    c->state = (sp_call_state_t)sp_call_next(c->state, SP_EV_MEDIA_READY);
    s_connect_ready(c);
}

typedef struct {
    cc_bus_t *bus;
    cc_bus_req_t *req;
} s_orig_reply_t;

static void s_originate_reply(sp_call_t *c, void *arg)
{
    s_orig_reply_t *r = arg;
    cc_bus_reply(r->bus, r->req,
                 json_pack("{s:s, s:i}", "call_id", c->id, "connect_id", c->att.id));
}

static void s_originate(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    sp_proxy_t *p = arg;
    const char *target = json_string_value(json_object_get(args, "target"));
    const char *caller = json_string_value(json_object_get(args, "caller"));
    const char *controller = json_string_value(json_object_get(args, "controller"));
    if (!sp_callargs_target_ok(target)) {
        cc_bus_reply_error(bus, req, "bad_args",
                           "target must be \"ext:DIGITS\" or \"number:DIGITS\"");
        return;
    }
    if (!caller[0] || strlen(caller) >= 64 || !controller[0] || strlen(controller) >= 16) {
        cc_bus_reply_error(bus, req, "bad_args",
                           "caller and controller must be short non-empty strings");
        return;
    }
    if (p->shutting_down) {
        cc_bus_reply_error(bus, req, "unavailable", "sipproxy is shutting down");
        return;
    }
    char err[160];
    if (s_attempt_args(NULL, args, err, sizeof err) || s_trunk_arg(p, args, err, sizeof err)) {
        cc_bus_reply_error(bus, req, "bad_args", "%s", err);
        return;
    }
    s_orig_reply_t r = {bus, req};
    if (!sp_callctl_originate(p, args, s_originate_reply, &r))
        cc_bus_reply_error(bus, req, "internal", "out of memory");
}

sp_call_t *sp_callctl_originate(sp_proxy_t *p, json_t *args, sp_originated_fn *fn, void *arg)
{
    const char *target = json_string_value(json_object_get(args, "target"));
    const char *caller = json_string_value(json_object_get(args, "caller"));
    const char *controller = json_string_value(json_object_get(args, "controller"));
    char err[160];
    sp_call_t *c = sp_call_new(p);
    if (!c)
        return NULL;
    cc_log_set_call(c->id); /* the bus set none: the command named no call yet */
    s_attempt_args(c, args, err, sizeof err);
    const char *number = strchr(target, ':') + 1;
    snprintf(c->caller, sizeof c->caller, "%s", caller);
    snprintf(c->callee, sizeof c->callee, "%s", number);
    snprintf(c->source, sizeof c->source, "sipproxy");
    snprintf(c->controller, sizeof c->controller, "%s", controller);
    const cc_route_t *route = NULL;
    const char *kind = "ext", *rtarget = number;
    cc_route_t named = {.kind = CC_TARGET_TRUNK}; /* the trunk the controller named */
    bool via_trunk = strncmp(target, "number:", 7) == 0 && c->att.trunk[0];
    if (via_trunk) {
        snprintf(named.target, sizeof named.target, "%s", c->att.trunk);
        route = &named;
        kind = "trunk";
        rtarget = named.target;
    } else if (strncmp(target, "number:", 7) == 0) {
        route = cc_dialplan_match(sp_directory_dialplan(p->dir), number);
        kind = route ? cc_target_kind_name(route->kind) : NULL;
        rtarget = route ? route->target : NULL;
    }
    bool trunk = route && route->kind == CC_TARGET_TRUNK;
    snprintf(c->direction, sizeof c->direction, "%s", trunk ? "outbound" : "internal");
    if (trunk)
        snprintf(c->trunk, sizeof c->trunk, "%s", route->target);
    c->att.originate = true;
    c->att.active = true;
    c->att.targets = json_pack("[s]", target);
    snprintf(c->att.fail_target, sizeof c->att.fail_target, "%s", target);
    c->a_codec = 0;
    c->a_te = 101;
    sp_call_publish_created(c, kind, rtarget);
    fn(c, arg); /* before anything can end the call */
    sp_srtp_policy_t srtp =
        via_trunk ? sp_fork_trunk_srtp(p, named.target) : sp_fork_target_srtp(p, target);
    c->ea.srtp = sp_srtp_offer(srtp); /* it becomes leg A */
    c->srtp_a = srtp;
    sp_media_create(c, true, true, NULL, s_originate_ready);
    return c; /* (may have ended already: only for a NULL test) */
}

void sp_callctl_attach(sp_proxy_t *p)
{
    cc_bus_on_command(p->bus, "call.answer", s_answer, p);
    cc_bus_on_command(p->bus, "call.connect", s_connect, p);
    cc_bus_on_command(p->bus, "call.connect_cancel", s_connect_cancel, p);
    cc_bus_on_command(p->bus, "call.hangup", s_hangup, p);
    cc_bus_on_command(p->bus, "call.originate", s_originate, p);
    sp_callctl_xfer_attach(p);
}
