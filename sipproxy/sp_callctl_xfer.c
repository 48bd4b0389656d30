/* sp_callctl_xfer.c - the call controls a desktop sends for a party of a connected call
 * (common/events/callctl.def), where a phone would send re-INVITE or REFER:
 * - call.hold / call.resume: the other party hears the holder's music (sp_hold.c), the two
 *   no longer hear each other; resume stops the music and connects them again.
 * - call.transfer: blind, on the REFER path without a REFER (sp_transfer_blind).
 * - call.consult: the other party holds while the target is rung in a call of its own
 *   (call.originate's path); once it answers it talks with the consulting extension.
 *   call.consult_complete moves the target into the call in the extension's place, as a
 *   REFER with Replaces does (sp_transfer_move_leg); call.consult_cancel drops the target
 *   and the extension talks with its party again.
 * Every command names the extension acting; who may act and when is sp_ctlparty.c's rule. */
#include "sp_call.h"

#include <stdio.h>
#include <string.h>

#include "cc_log.h"
#include "sp_callargs.h"
#include "sp_ctlparty.h"

static void s_view(const sp_call_t *c, sp_ctl_view_t *v)
{
    v->connected = c->state == SP_CALL_ANSWERED && c->winner && c->winner->nh && c->a.nh;
    v->a_target = c->a.target;
    v->caller = c->caller;
    v->caller_is_user = strcmp(c->direction, "inbound") != 0;
    v->b_target = c->winner ? c->winner->target : "";
    v->consulting = c->ctl.consult[0] != '\0';
    v->consult_up = c->ctl.consult_up;
}

bool sp_callctl_is_party(const sp_call_t *c, const char *ext)
{
    sp_ctl_view_t v;
    s_view(c, &v);
    return sp_ctl_side(&v, ext) != SP_SIDE_NONE;
}

/* The call named by the command and the side of its extension, or NULL (replied). */
static sp_call_t *s_checked(sp_proxy_t *p, cc_bus_req_t *req, json_t *args, sp_ctl_cmd_t cmd,
                            sp_side_t *side)
{
    const char *id = json_string_value(json_object_get(args, "call_id"));
    const char *ext = json_string_value(json_object_get(args, "ext"));
    sp_call_t *c = id ? sp_call_find(p, id) : NULL;
    if (!c || c->state >= SP_CALL_ENDING) {
        cc_bus_reply_error(p->bus, req, "unknown_call", "no call '%s'", id ? id : "");
        return NULL;
    }
    if (!ext || !ext[0] || strlen(ext) >= sizeof c->ctl.ext ||
        strspn(ext, "0123456789") != strlen(ext)) {
        cc_bus_reply_error(p->bus, req, "bad_args", "ext must be an extension (digits)");
        return NULL;
    }
    sp_ctl_view_t v;
    s_view(c, &v);
    char why[128];
    const char *code = sp_ctl_refuse(&v, cmd, ext, why, sizeof why);
    if (code) {
        cc_bus_reply_error(p->bus, req, code, "call %s: %s", c->id, why);
        return NULL;
    }
    *side = sp_ctl_side(&v, ext);
    return c;
}

/* A number to dial: what call.transfer and call.consult take as target. */
static const cc_route_t *s_route(sp_proxy_t *p, cc_bus_req_t *req, json_t *args)
{
    const char *target = json_string_value(json_object_get(args, "target"));
    char t[96];
    snprintf(t, sizeof t, "number:%s", target ? target : "");
    if (!target || strlen(target) >= CC_NUMBER_MAX || !sp_callargs_target_ok(t)) {
        cc_bus_reply_error(p->bus, req, "bad_args",
                           "target must be a number to dial (digits, * # +): an extension, a "
                           "queue's number or an outside number");
        return NULL;
    }
    const cc_route_t *r = cc_dialplan_match(sp_directory_dialplan(p->dir), target);
    if (!r)
        cc_bus_reply_error(p->bus, req, "unknown_target", "no route for '%s'", target);
    return r;
}

/* ---- hold and resume ---------------------------------------------------------------- */

static void s_hold(sp_call_t *c, sp_side_t side, const char *ext)
{
    if (c->ctl.hold)
        return;
    const struct sp_leg *holder = side == SP_SIDE_A ? &c->a : c->winner;
    int held_ep = side == SP_SIDE_A ? c->eb.id : c->ea.id; /* faces the party put on hold */
    /* the holder hears nothing of its party meanwhile: not relayed either way */
    sp_media(c, "endpoint.disconnect", json_pack("{s:i}", "endpoint_id", held_ep), NULL);
    c->media_connected = false;
    sp_hold_play(c, holder, held_ep);
    c->ctl.hold = true;
    c->ctl.held_ep = held_ep;
    snprintf(c->ctl.ext, sizeof c->ctl.ext, "%s", ext);
    cc_info("call.hold", "by=%s via=command", ext);
}

static void s_resume(sp_call_t *c)
{
    if (!c->ctl.hold)
        return;
    sp_media_play_stop(c, c->ctl.held_ep);
    sp_media_connect(c);
    c->ctl.hold = false;
    c->ctl.held_ep = 0;
    cc_info("call.resume", "by=%s via=command", c->ctl.ext);
}

static void s_cmd_hold(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    sp_side_t side;
    sp_call_t *c =
        s_checked(arg, req, args, strcmp(cmd, "call.hold") ? SP_CTL_RESUME : SP_CTL_HOLD, &side);
    if (!c)
        return;
    if (!strcmp(cmd, "call.hold"))
        s_hold(c, side, json_string_value(json_object_get(args, "ext")));
    else
        s_resume(c);
    cc_bus_reply(bus, req, json_pack("{s:b}", "held", c->ctl.hold));
}

/* ---- blind transfer ------------------------------------------------------------------- */

static void s_cmd_transfer(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                           void *arg)
{
    (void)cmd;
    sp_proxy_t *p = arg;
    sp_side_t side;
    sp_call_t *c = s_checked(p, req, args, SP_CTL_TRANSFER, &side);
    if (!c || !s_route(p, req, args))
        return;
    const char *target = json_string_value(json_object_get(args, "target"));
    /* the party that stays must be leg A, the one leaving the connected callee */
    if (sp_transfer_take_a_side(c, side == SP_SIDE_A ? &c->a : c->winner) != 0) {
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    bool held = c->ctl.hold;
    c->ctl.hold = false; /* the leaving party's hold ends with it */
    int code = sp_transfer_blind(c, target, false);
    if (code) {
        if (side == SP_SIDE_A) /* as it was */
            sp_transfer_take_a_side(c, &c->a);
        c->ctl.hold = held;
        cc_bus_reply_error(bus, req, "target_unavailable", "%s cannot be rung: %d %s", target, code,
                           sip_status_phrase(code));
        return;
    }
    cc_bus_reply(bus, req, NULL);
}

/* ---- attended transfer ---------------------------------------------------------------- */

typedef struct {
    sp_call_t *c;
    char id[48];
} s_consult_t;

/* The consultation call exists: the two calls know each other from now on. */
static void s_consult_made(sp_call_t *k, void *arg)
{
    s_consult_t *x = arg;
    snprintf(k->ctl.consult_of, sizeof k->ctl.consult_of, "%s", x->c->id);
    snprintf(x->c->ctl.consult, sizeof x->c->ctl.consult, "%s", k->id);
    x->c->ctl.consult_up = false;
    snprintf(x->id, sizeof x->id, "%s", k->id);
}

static void s_cmd_consult(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                          void *arg)
{
    (void)cmd;
    sp_proxy_t *p = arg;
    sp_side_t side;
    sp_call_t *c = s_checked(p, req, args, SP_CTL_CONSULT, &side);
    const cc_route_t *r = c ? s_route(p, req, args) : NULL;
    if (!r)
        return;
    if (r->kind != CC_TARGET_EXT && r->kind != CC_TARGET_TRUNK) {
        cc_bus_reply_error(bus, req, "bad_args",
                           "a consultation rings an extension or an outside number, not a %s "
                           "(transfer to it blind)",
                           cc_target_kind_name(r->kind));
        return;
    }
    const char *ext = json_string_value(json_object_get(args, "ext"));
    const char *target = json_string_value(json_object_get(args, "target"));
    char t[96], name[80];
    snprintf(t, sizeof t, "number:%s", target);
    snprintf(name, sizeof name, "Consult %s for %s", ext, c->caller);
    json_t *oargs = json_pack("{s:s, s:s, s:s, s:s}", "target", t, "caller", ext, "caller_name",
                              name, "controller", "sipproxy");
    s_hold(c, side, ext);
    s_consult_t x = {c, ""};
    sp_call_t *k = oargs ? sp_callctl_originate(p, oargs, s_consult_made, &x) : NULL;
    json_decref(oargs);
    cc_log_set_call(c->id);
    if (!k) {
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    cc_info("call.consult", "by=%s target=%s consult=%s", ext, target, x.id);
    cc_bus_reply(bus, req, json_pack("{s:s}", "consult_call_id", x.id));
}

/* On the consulting call c, so that whoever follows the extension (its desktop) learns it
 * without knowing the consultation call's id first. */
static void s_publish_state(sp_call_t *c, const char *consult_id, const char *state)
{
    cc_bus_publish(c->proxy->bus, "call.consult_state", c->id,
                   json_pack("{s:s, s:s, s:s}", "consult_call_id", consult_id, "ext", c->ctl.ext,
                             "state", state));
}

void sp_callctl_consult_answered(sp_call_t *k)
{
    sp_call_t *c = sp_call_find(k->proxy, k->ctl.consult_of);
    if (!c || c->state >= SP_CALL_ENDING || strcmp(c->ctl.consult, k->id) != 0) {
        k->ctl.consult_of[0] = '\0';
        snprintf(k->reason, sizeof k->reason, "the call it consulted for has ended");
        sp_call_end(k, SP_END_CONTROLLER_HANGUP, 0);
        return;
    }
    /* the consulting extension's endpoint is the one not facing the held party */
    int own = c->ctl.held_ep == c->ea.id ? c->eb.id : c->ea.id;
    c->ctl.consult_up = true;
    sp_media(c, "endpoint.connect",
             json_pack("{s:i, s:i}", "endpoint_a", own, "endpoint_b", k->ea.id), NULL);
    cc_info("call.consult_answered", "consult=%s by=%s", k->id, c->ctl.ext);
    s_publish_state(c, k->id, "answered");
}

static void s_cmd_complete(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                           void *arg)
{
    (void)cmd;
    sp_proxy_t *p = arg;
    sp_side_t side;
    sp_call_t *c = s_checked(p, req, args, SP_CTL_CONSULT_COMPLETE, &side);
    if (!c)
        return;
    sp_call_t *k = sp_call_find(p, c->ctl.consult);
    if (!k || k->state != SP_CALL_ANSWERED || !k->a.nh) {
        cc_bus_reply_error(bus, req, "bad_state", "call %s: the consultation has ended", c->id);
        return;
    }
    if (sp_transfer_take_a_side(c, side == SP_SIDE_A ? &c->a : c->winner) != 0) {
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    c->ctl.consult[0] = k->ctl.consult_of[0] = '\0';
    c->ctl.consult_up = c->ctl.hold = false;
    char why[128];
    snprintf(why, sizeof why, "consultation transferred into call %s", c->id);
    cc_info("call.transfer", "attended=%s via=command by=%s", k->id, c->ctl.ext);
    if (sp_transfer_move_leg(c, k, &k->a, 0, SP_END_CONTROLLER_HANGUP, why) != 0) {
        cc_warn("call.transfer_failed", "reason=out_of_memory");
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    cc_bus_reply(bus, req, NULL);
}

static void s_cmd_cancel(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    sp_proxy_t *p = arg;
    sp_side_t side;
    sp_call_t *c = s_checked(p, req, args, SP_CTL_CONSULT_CANCEL, &side);
    if (!c)
        return;
    sp_call_t *k = sp_call_find(p, c->ctl.consult);
    c->ctl.consult[0] = '\0';
    c->ctl.consult_up = false;
    if (k && k->state < SP_CALL_ENDING) {
        k->ctl.consult_of[0] = '\0';
        snprintf(k->reason, sizeof k->reason, "consultation cancelled");
        sp_call_end(k, SP_END_CONTROLLER_HANGUP, 0);
    }
    cc_log_set_call(c->id);
    cc_info("call.consult_cancelled", "by=%s", c->ctl.ext);
    s_resume(c); /* the extension and its party talk again */
    cc_bus_reply(bus, req, NULL);
}

void sp_callctl_consult_ending(sp_call_t *c)
{
    if (c->ctl.consult[0]) { /* the consulting call ends: its consultation goes with it */
        sp_call_t *k = sp_call_find(c->proxy, c->ctl.consult);
        c->ctl.consult[0] = '\0';
        if (k && k->state < SP_CALL_ENDING) {
            k->ctl.consult_of[0] = '\0';
            snprintf(k->reason, sizeof k->reason, "the call it consulted for has ended");
            sp_call_end(k, SP_END_CONTROLLER_HANGUP, 0);
        }
    }
    if (c->ctl.consult_of[0]) { /* the target left or was not reached: its party still holds */
        sp_call_t *o = sp_call_find(c->proxy, c->ctl.consult_of);
        c->ctl.consult_of[0] = '\0';
        if (o && strcmp(o->ctl.consult, c->id) == 0) {
            o->ctl.consult[0] = '\0';
            o->ctl.consult_up = false;
            cc_info("call.consult_ended", "consult=%s of=%s", c->id, o->id);
            s_publish_state(o, c->id, "ended");
        }
    }
}

void sp_callctl_xfer_attach(sp_proxy_t *p)
{
    cc_bus_on_command(p->bus, "call.hold", s_cmd_hold, p);
    cc_bus_on_command(p->bus, "call.resume", s_cmd_hold, p);
    cc_bus_on_command(p->bus, "call.transfer", s_cmd_transfer, p);
    cc_bus_on_command(p->bus, "call.consult", s_cmd_consult, p);
    cc_bus_on_command(p->bus, "call.consult_complete", s_cmd_complete, p);
    cc_bus_on_command(p->bus, "call.consult_cancel", s_cmd_cancel, p);
}
