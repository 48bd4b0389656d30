/* sp_transfer.c - call transfer with REFER from either party of a connected call.
 * Blind (Refer-To a number): 202, NOTIFY sipfrag 200, BYE to the referrer, and the number
 * goes through the dialplan: ext/trunk are rung for the party that stays (hold music
 * meanwhile), queue:/ivr: hand the call over as at INVITE time (queue.enter answered).
 * Attended (Refer-To with Replaces naming the referrer's other call): the target's leg of
 * that call replaces the referrer here, endpoints re-connected, both referrer legs end. */
#include "sp_call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/url.h>

#include "cc_log.h"

void sp_transfer_notify(struct sp_leg *leg, int code)
{
    char frag[64];
    snprintf(frag, sizeof frag, "SIP/2.0 %d %s\r\n", code, sip_status_phrase(code));
    nua_notify(leg->nh, SIPTAG_EVENT_STR("refer"), NUTAG_SUBSTATE(nua_substate_terminated),
               SIPTAG_CONTENT_TYPE_STR("message/sipfrag"), SIPTAG_PAYLOAD_STR(frag), TAG_END());
}

/* Make `leg` (A) the connected callee and the callee the call's leg A: the party that
 * stays is always A afterwards, the referrer the (former) winner. */
static int s_swap(sp_call_t *c)
{
    struct sp_leg *w = c->winner;
    struct sp_leg *old_a = calloc(1, sizeof *old_a);
    if (!old_a)
        return -1;
    *old_a = c->a;
    old_a->is_a = false;
    old_a->final = true;
    old_a->attempt = 0;
    if (old_a->nh)
        nua_handle_bind(old_a->nh, old_a);
    c->a = *w;
    c->a.is_a = true;
    c->a.final = true;
    if (c->a.nh)
        nua_handle_bind(c->a.nh, &c->a);
    for (int i = 0; i < c->nb; i++)
        if (c->b[i] == w)
            c->b[i] = old_a;
    free(w);
    c->winner = old_a;
    sp_endpoint_t e = c->ea; /* the endpoints swap with the parties */
    c->ea = c->eb;
    c->eb = e;
    bool h = c->hold_a;
    c->hold_a = c->hold_b;
    c->hold_b = h;
    const char *colon = strchr(c->a.target, ':');
    if (c->a.target[0])
        snprintf(c->caller, sizeof c->caller, "%.63s", colon ? colon + 1 : c->a.target);
    return 0;
}

/* The referrer (now c->winner) leaves: NOTIFY, BYE, its endpoint deleted. */
/* The controller that connected the referring party learns it is gone (once), before the
 * attempt struct is reused for the transfer's own attempt. */
static void s_tell_controller_transferred(sp_call_t *c)
{
    if (!c->controller[0] || !c->att.from_controller)
        return;
    json_t *f = json_pack("{s:i, s:s, s:s}", "connect_id", c->att.id, "target",
                          c->winner ? c->winner->target : "", "reason", "transferred");
    cc_bus_publish(c->proxy->bus, "call.connect_ended", c->id, f);
    c->att.from_controller = false;
}

static void s_referrer_leaves(sp_call_t *c, int notify_code)
{
    s_tell_controller_transferred(c);
    struct sp_leg *r = c->winner;
    c->winner = NULL;
    if (r && r->nh) {
        if (notify_code > 0) /* it asked with REFER: tell it how that went */
            sp_transfer_notify(r, notify_code);
        nua_bye(r->nh, TAG_END());
        r->final = true;
        r->attempt = 0;
    }
    sp_media_delete(c, false);
    c->hold_a = c->hold_b = false;
}

static void s_transfer_ready(sp_call_t *c)
{
    if (!c->att.active || c->att.ndials == 0) {
        sp_media_delete(c, false);
        return;
    }
    sp_fork_send(c);
}

int sp_transfer_blind(sp_call_t *c, const char *number, bool by_refer)
{
    sp_proxy_t *p = c->proxy;
    int ok_notify = by_refer ? 200 : 0; /* a REFER is told how it went; a command is replied */
    const cc_route_t *route = cc_dialplan_match(sp_directory_dialplan(p->dir), number);
    if (!route) {
        cc_info("call.transfer_refused", "number=%s reason=no_route", number);
        return 404;
    }
    cc_info("call.transfer", "number=%s route=%s:%s", number, cc_target_kind_name(route->kind),
            route->target);
    if (sp_callctl_controlled(route->kind)) {
        s_referrer_leaves(c, ok_notify);
        sp_fork_reset(c);
        c->route_kind = route->kind;
        snprintf(c->route_target, sizeof c->route_target, "%s", route->target);
        snprintf(c->controller, sizeof c->controller, "%s", sp_callctl_controller(route->kind));
        sp_media_play_stop(c, c->ea.id);
        sp_callctl_handover(c);
        return 0;
    }
    s_tell_controller_transferred(c);
    sp_fork_reset(c);
    sp_attempt_t *att = &c->att;
    att->id = ++p->connect_seq;
    att->from_controller = false;
    att->originate = false;
    att->transfer = true;
    att->on_hangup_return = false;
    att->timeout_s = 0;
    att->best_code = 0;
    att->caller_name[0] = att->headers[0] = '\0';
    snprintf(att->fail_target, sizeof att->fail_target, "number:%s", number);
    char label[80];
    snprintf(label, sizeof label, "number:%s", number);
    int code = sp_fork_resolve_route(c, route, number, label);
    if (code) {
        cc_info("call.transfer_refused", "number=%s sip_code=%d", number, code);
        att->transfer = false;
        return code;
    }
    s_referrer_leaves(c, ok_notify);
    att->active = true;
    sp_hold_music(c, c->ea.id);
    c->eb.srtp = sp_srtp_offer(sp_fork_route_srtp(p, route)); /* the new party's policy */
    sp_media_create(c, false, false, NULL, s_transfer_ready);
    return 0;
}

void sp_transfer_refer(sp_call_t *c, struct sp_leg *from, int status, const sip_t *sip)
{
    sp_proxy_t *p = c->proxy;
    if (status < 200)
        nua_respond(from->nh, SIP_202_ACCEPTED, NUTAG_WITH_THIS(p->nua), TAG_END());
    bool connected =
        c->state == SP_CALL_ANSWERED && c->winner && c->a.nh && (from->is_a || from == c->winner);
    const sip_refer_to_t *rt = sip ? sip->sip_refer_to : NULL;
    if (!connected || !rt || !rt->r_url->url_user) {
        cc_info("call.transfer_refused", "reason=%s", connected ? "no_number" : "not_connected");
        sp_transfer_notify(from, connected ? 404 : 481);
        return;
    }
    if (!(rt->r_url->url_headers && strstr(rt->r_url->url_headers, "Replaces=")) &&
        sp_callpark_refer(c, from, rt->r_url->url_user))
        return;
    if (rt->r_url->url_headers && strstr(rt->r_url->url_headers, "Replaces=")) {
        sp_transfer_attended(c, from, rt->r_url->url_headers);
        return;
    }
    char number[CC_NUMBER_MAX];
    snprintf(number, sizeof number, "%s", rt->r_url->url_user);
    if (from->is_a && s_swap(c) != 0) {
        sp_transfer_notify(from, 500);
        return;
    }
    int code = sp_transfer_blind(c, number, true);
    if (code)
        sp_transfer_notify(c->winner, code);
}

/* "Replaces=<call-id>%3Bto-tag%3D...": the Call-ID, unescaped. */
static int s_replaces_callid(const char *headers, char *out, size_t len)
{
    const char *v = strstr(headers, "Replaces=");
    if (!v)
        return -1;
    v += 9;
    size_t n = 0;
    while (*v && *v != '&' && n + 1 < len) {
        if (v[0] == '%' && v[1] && v[2]) {
            char hex[3] = {v[1], v[2], '\0'};
            char ch = (char)strtol(hex, NULL, 16);
            if (ch == ';')
                break;
            out[n++] = ch;
            v += 3;
        } else if (*v == ';') {
            break;
        } else {
            out[n++] = *v++;
        }
    }
    out[n] = '\0';
    return n > 0 ? 0 : -1;
}

void sp_transfer_attended(sp_call_t *c, struct sp_leg *from, const char *url_headers)
{
    char callid[128];
    sp_call_t *c2 = NULL;
    struct sp_leg *t2 = s_replaces_callid(url_headers, callid, sizeof callid) == 0
                            ? sp_call_find_leg(c->proxy, callid, &c2)
                            : NULL;
    struct sp_leg *x = NULL;
    if (t2 && c2 != c && c2->state == SP_CALL_ANSWERED && c2->winner && c2->a.nh)
        x = t2->is_a ? c2->winner : t2 == c2->winner ? &c2->a : NULL;
    if (!x || !x->nh) {
        cc_info("call.transfer_refused", "reason=replaces_unknown callid=%s",
                cc_logq(t2 ? callid : "?"));
        sp_transfer_notify(from, 481);
        return;
    }
    if (c->nb >= SP_MAX_LEGS || (from->is_a && s_swap(c) != 0)) {
        sp_transfer_notify(from, 500);
        return;
    }
    cc_info("call.transfer", "attended=%s", c2->id);
    char why[128];
    snprintf(why, sizeof why, "attended transfer into call %s", c->id);
    if (sp_transfer_move_leg(c, c2, x, 200, SP_END_CONTROLLER_HANGUP, why) != 0)
        cc_warn("call.transfer_failed", "reason=out_of_memory");
}

int sp_transfer_take_a_side(sp_call_t *c, struct sp_leg *leaving)
{
    return leaving->is_a ? s_swap(c) : 0;
}

int sp_transfer_move_leg(sp_call_t *c, sp_call_t *c2, struct sp_leg *x, int notify_code,
                         sp_end_cause_t c2_cause, const char *c2_reason)
{
    struct sp_leg *nx = calloc(1, sizeof *nx);
    if (!nx || c->nb >= SP_MAX_LEGS)
        return free(nx), -1;
    s_referrer_leaves(c, notify_code);
    /* the target's leg and endpoint move from c2 to c */
    bool x_was_a = x == &c2->a;
    *nx = *x;
    nx->is_a = false;
    nx->call = c;
    nx->final = true;
    nx->attempt = 0;
    nua_handle_bind(nx->nh, nx);
    c->b[c->nb++] = nx;
    c->winner = nx;
    c->eb = x_was_a ? c2->ea : c2->eb;
    memset(x_was_a ? &c2->ea : &c2->eb, 0, sizeof c2->ea);
    c2->media_connected = false;
    if (x_was_a) {
        c2->a.nh = NULL;
    } else {
        for (int i = 0; i < c2->nb; i++)
            if (c2->b[i] == x) {
                memmove(&c2->b[i], &c2->b[i + 1], (size_t)(c2->nb - i - 1) * sizeof c2->b[0]);
                c2->nb--;
                break;
            }
        free(x);
        c2->winner = NULL;
    }
    sp_media_play_stop(c, c->ea.id);
    sp_media_play_stop(c, c->eb.id);
    sp_media_connect(c);
    snprintf(c2->reason, sizeof c2->reason, "%s", c2_reason);
    cc_log_set_call(c2->id); /* its end is logged as its own */
    sp_call_end(c2, c2_cause, 0);
    cc_log_set_call(c->id);
    sp_call_maybe_free(c2); /* no leg left to report its end (a takeover): free it now */
    return 0;
}
