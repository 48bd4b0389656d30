/* sp_fork.c - connect attempts: ringing one or more targets in parallel for a call (the
 * dialplan's ext/trunk at INVITE time, or a controller's call.connect/call.originate),
 * first 200 wins, the others get CANCEL (a late 200 a BYE). Resolves targets through the
 * registry and the dialplan, builds each leg's INVITE, relays 18x/200 to a caller still
 * waiting, and reports the outcome (call.connect_result for controllers). */
#include "sp_call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/su_tagarg.h>

#include "cc_log.h"

/* ---- resolving targets -------------------------------------------------------------- */

static sp_dial_t *s_dial_new(sp_call_t *c)
{
    sp_attempt_t *att = &c->att;
    if (att->ndials >= SP_MAX_DIALS)
        return NULL;
    if (!att->dials) {
        att->dials = calloc(SP_MAX_DIALS, sizeof *att->dials);
        if (!att->dials)
            return NULL;
    }
    sp_dial_t *d = &att->dials[att->ndials++];
    memset(d, 0, sizeof *d);
    return d;
}

static int s_resolve_ext(sp_call_t *c, const char *ext, const char *label)
{
    sp_proxy_t *p = c->proxy;
    sp_contact_t found[SP_MAX_CONTACTS];
    size_t n = sp_registry_lookup(p->reg, ext, (uint64_t)time(NULL), found, SP_MAX_CONTACTS);
    const sp_user_t *user = sp_directory_user(p->dir, ext);
    int added = 0;
    for (size_t i = 0; i < n; i++) {
        const sp_contact_t *t = &found[i];
        if (user && !sp_tls_policy_contact_ok(user->tls, t->transport))
            continue; /* registered before the policy changed: not rung */
        sp_dial_t *d = s_dial_new(c);
        if (!d)
            break;
        snprintf(d->url, sizeof d->url, "%s", t->uri);
        snprintf(d->to, sizeof d->to, "<sip:%s@%s>", ext, p->set.realm);
        snprintf(d->target, sizeof d->target, "%s", label);
        /* behind NAT the Contact is not where the phone is: route to its source. Over TCP
         * and TLS that is the connection it registered on, which sofia reuses (a phone
         * seldom accepts a new TLS connection, and behind NAT cannot) */
        if (t->source[0] && !strstr(t->uri, t->source))
            snprintf(d->route, sizeof d->route, "<sip:%s;lr%s%s>", t->source,
                     strcmp(t->transport, "udp") != 0 ? ";transport=" : "",
                     strcmp(t->transport, "udp") != 0 ? t->transport : "");
        added++;
    }
    return added > 0 ? 0 : 480;
}

int sp_fork_resolve_route(sp_call_t *c, const cc_route_t *route, const char *number,
                          const char *label)
{
    switch (route->kind) {
    case CC_TARGET_EXT:
        return s_resolve_ext(c, route->target, label);
    case CC_TARGET_TRUNK: {
        const sp_trunk_t *t = sp_directory_trunk(c->proxy->dir, route->target);
        if (!t || !t->enabled)
            return 480;
        char out[CC_NUMBER_MAX];
        if (cc_route_rewrite(route, number, out, sizeof out) != 0)
            return 404;
        sp_dial_t *d = s_dial_new(c);
        if (!d)
            return 500;
        d->to_trunk = true;
        d->trunk = *t;
        snprintf(d->url, sizeof d->url, "sip:%s@%s:%d;transport=%s", out, t->host, t->port,
                 t->transport[0] ? t->transport : "udp");
        snprintf(d->to, sizeof d->to, "<sip:%s@%s:%d>", out, t->host, t->port);
        snprintf(d->target, sizeof d->target, "%s", label);
        return 0;
    }
    default:
        return 501;
    }
}

int sp_fork_resolve_target(sp_call_t *c, const char *target)
{
    if (strncmp(target, "ext:", 4) == 0 && target[4])
        return s_resolve_ext(c, target + 4, target);
    if (strncmp(target, "number:", 7) == 0 && target[7] && c->att.trunk[0]) {
        /* the controller named the trunk (a campaign's): the number goes out as it is */
        cc_route_t r = {.kind = CC_TARGET_TRUNK};
        snprintf(r.target, sizeof r.target, "%s", c->att.trunk);
        return sp_fork_resolve_route(c, &r, target + 7, target);
    }
    if (strncmp(target, "number:", 7) == 0 && target[7]) {
        const cc_route_t *r = cc_dialplan_match(sp_directory_dialplan(c->proxy->dir), target + 7);
        if (!r)
            return 404;
        return sp_fork_resolve_route(c, r, target + 7, target);
    }
    return 404;
}

sp_srtp_policy_t sp_fork_route_srtp(sp_proxy_t *p, const cc_route_t *route)
{
    if (route && route->kind == CC_TARGET_EXT) {
        const sp_user_t *u = sp_directory_user(p->dir, route->target);
        return u ? u->srtp : SP_SRTP_OPTIONAL;
    }
    if (route && route->kind == CC_TARGET_TRUNK) {
        const sp_trunk_t *t = sp_directory_trunk(p->dir, route->target);
        return t ? t->srtp : SP_SRTP_OPTIONAL;
    }
    return SP_SRTP_OPTIONAL;
}

sp_srtp_policy_t sp_fork_trunk_srtp(sp_proxy_t *p, const char *trunk)
{
    const sp_trunk_t *t = trunk ? sp_directory_trunk(p->dir, trunk) : NULL;
    return t ? t->srtp : SP_SRTP_OPTIONAL;
}

sp_srtp_policy_t sp_fork_target_srtp(sp_proxy_t *p, const char *target)
{
    if (!target)
        return SP_SRTP_OPTIONAL;
    if (strncmp(target, "ext:", 4) == 0) {
        const sp_user_t *u = sp_directory_user(p->dir, target + 4);
        return u ? u->srtp : SP_SRTP_OPTIONAL;
    }
    if (strncmp(target, "number:", 7) == 0)
        return sp_fork_route_srtp(p, cc_dialplan_match(sp_directory_dialplan(p->dir), target + 7));
    return SP_SRTP_OPTIONAL;
}

bool sp_fork_targets_want_srtp(sp_proxy_t *p, json_t *targets)
{
    size_t i;
    json_t *t;
    json_array_foreach(targets, i, t)
    {
        if (sp_srtp_offer(sp_fork_target_srtp(p, json_string_value(t))))
            return true;
    }
    return false;
}

/* ---- sending ------------------------------------------------------------------------ */

static struct sp_leg *s_new_leg(sp_call_t *c, const sp_dial_t *d)
{
    if (c->nb >= SP_MAX_LEGS)
        return NULL;
    struct sp_leg *leg = calloc(1, sizeof *leg);
    if (!leg)
        return NULL;
    leg->call = c;
    leg->attempt = c->att.id;
    leg->to_trunk = d->to_trunk;
    leg->trunk = d->trunk;
    snprintf(leg->contact, sizeof leg->contact, "%s", d->url);
    snprintf(leg->target, sizeof leg->target, "%s", d->target);
    c->b[c->nb++] = leg;
    return leg;
}

static void s_on_timeout(sp_proxy_t *p, su_timer_t *t, sp_call_t *c)
{
    (void)p, (void)t;
    if (!c->att.active)
        return;
    cc_log_set_call(c->id);
    cc_info("call.ring_timeout", "connect_id=%d", c->att.id);
    if (!c->att.from_controller && !c->att.originate && !c->att.transfer &&
        (c->ringing_ext[0] || c->divert.fm_active)) {
        sp_fork_cancel(c, 408); /* on to the no-answer target, or ends as before */
    } else if (!c->att.from_controller && !c->att.originate && !c->att.transfer)
        sp_call_end(c, SP_END_RING_TIMEOUT, 0);
    else
        sp_fork_cancel(c, 408);
    cc_log_set_call(NULL);
}

static void s_from(sp_call_t *c, char *out, size_t len)
{
    char name[64] = "";
    size_t n = 0;
    for (const char *s = c->att.caller_name; *s && n + 1 < sizeof name; s++)
        if (*s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
            name[n++] = *s;
    name[n] = '\0';
    if (name[0])
        snprintf(out, len, "\"%s\" <sip:%s@%s>", name, c->caller, c->proxy->set.realm);
    else
        snprintf(out, len, "<sip:%s@%s>", c->caller, c->proxy->set.realm);
}

void sp_fork_send(sp_call_t *c)
{
    sp_proxy_t *p = c->proxy;
    sp_attempt_t *att = &c->att;
    bool use_a = att->originate;
    const sp_endpoint_t *e = use_a ? &c->ea : &c->eb;
    char *sdp;
    if (!c->controller[0] && c->offer && !att->transfer) { /* the caller's offer, re-pointed */
        sp_sdp_info_t info;
        sdp = sp_media_sdp(e, c->offer, &info, NULL);
    } else {
        sdp = sp_media_sdp_make(c, e, c->a_codec, c->a_te, SP_DIR_SENDRECV);
    }
    if (!sdp) {
        sp_fork_failed(c, 488, SP_END_NO_CODEC);
        return;
    }
    char from[400];
    s_from(c, from, sizeof from);
    int sent = 0;
    for (int i = 0; i < att->ndials; i++) {
        const sp_dial_t *d = &att->dials[i];
        struct sp_leg *leg = s_new_leg(c, d);
        if (!leg)
            break;
        leg->nh = nua_handle(p->nua, leg, NUTAG_URL(d->url), SIPTAG_TO_STR(d->to),
                             SIPTAG_FROM_STR(from), TAG_END());
        if (!leg->nh) {
            leg->final = true;
            continue;
        }
        leg->tls = strcasestr(d->url, "transport=tls") != NULL;
        nua_invite(leg->nh, SP_LEG_CONTACT(leg, p), TAG_IF(d->route[0], SIPTAG_ROUTE_STR(d->route)),
                   TAG_IF(att->headers[0], SIPTAG_HEADER_STR(att->headers)),
                   SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
        sent++;
    }
    free(sdp);
    free(att->dials);
    att->dials = NULL;
    att->ndials = 0;
    if (sent == 0) {
        sp_fork_failed(c, 480, SP_END_UNAVAILABLE);
        return;
    }
    att->active = true;
    if (c->state == SP_CALL_MEDIA)
        c->state = (sp_call_state_t)sp_call_next(c->state, SP_EV_MEDIA_READY);
    int secs = att->timeout_s > 0 ? att->timeout_s : p->set.ring_timeout_s;
    if (!att->timer)
        att->timer = su_timer_create(su_root_task(p->root), 1000);
    if (att->timer)
        su_timer_set_interval(att->timer, s_on_timeout, c, (su_duration_t)secs * 1000);
}

/* ---- outcomes ----------------------------------------------------------------------- */

void sp_fork_publish_result(sp_call_t *c, const char *result, int code, const char *target, int ep)
{
    json_t *f =
        json_pack("{s:i, s:s, s:i}", "connect_id", c->att.id, "result", result, "sip_code", code);
    if (!f)
        return;
    if (target && target[0])
        json_object_set_new(f, "target", json_string(target));
    if (ep > 0)
        json_object_set_new(f, "endpoint_id", json_integer(ep));
    cc_bus_publish(c->proxy->bus, "call.connect_result", c->id, f);
    cc_info("call.connect_result", "connect_id=%d result=%s sip_code=%d target=%s", c->att.id,
            result, code, cc_logq(target ? target : ""));
}

void sp_fork_reset(sp_call_t *c)
{
    sp_attempt_t *att = &c->att;
    att->active = false;
    if (att->timer)
        su_timer_reset(att->timer);
    free(att->dials);
    att->dials = NULL;
    att->ndials = 0;
    json_decref(att->targets);
    att->targets = NULL;
    att->trunk[0] = '\0';
}

void sp_fork_failed(sp_call_t *c, int code, sp_end_cause_t cause)
{
    sp_attempt_t *att = &c->att;
    sp_fork_reset(c);
    if (att->transfer && c->park.slot) { /* a parked call rang its parker back in vain */
        att->transfer = false;
        sp_callpark_return_failed(c, code);
        return;
    }
    if (att->transfer) { /* the party that stayed has nobody to talk to */
        snprintf(c->reason, sizeof c->reason, "transfer to %s failed (%d)", att->fail_target, code);
        att->transfer = false;
        sp_call_end(c, SP_END_CONTROLLER_HANGUP, 0);
        return;
    }
    if (!att->from_controller && !att->originate) {
        if (sp_forward_failed(c, code))
            return;
        sp_call_end(c, cause, cause == SP_END_RING_TIMEOUT ? 0 : code);
        return;
    }
    sp_fork_publish_result(c, sp_connect_result(code), code, att->fail_target, 0);
    if (att->originate) {
        sp_call_end(c, cause, code);
        return;
    }
    sp_media_delete(c, false); /* the caller stays with its controller */
}

void sp_fork_cancel(sp_call_t *c, int code)
{
    for (int i = 0; i < c->nb; i++) {
        struct sp_leg *b = c->b[i];
        if (b->attempt == c->att.id && !b->final && b->nh && b != c->winner)
            nua_cancel(b->nh, TAG_END());
    }
    sp_fork_failed(c, code, code == 408 ? SP_END_RING_TIMEOUT : SP_END_CONTROLLER_HANGUP);
}

void sp_fork_leg_failed(sp_call_t *c, struct sp_leg *leg, int status)
{
    leg->final = true;
    if (leg->attempt != c->att.id || !c->att.active || c->state >= SP_CALL_ENDING)
        return;
    if (!c->att.best_code || sp_fork_rank(status) > sp_fork_rank(c->att.best_code))
        c->att.best_code = status;
    for (int i = 0; i < c->nb; i++)
        if (c->b[i]->attempt == c->att.id && !c->b[i]->final)
            return;
    sp_fork_failed(c, c->att.best_code, SP_END_CALLEE_REJECT);
}

/* ---- responses ---------------------------------------------------------------------- */

static void s_provisional(sp_call_t *c, int status, const sip_t *sip)
{
    if (c->state == SP_CALL_CALLING) {
        c->state = (sp_call_state_t)sp_call_next(c->state, SP_EV_RINGING);
        cc_bus_publish(c->proxy->bus, "call.ringing", c->id, json_pack("{s:i}", "code", status));
    }
    if (c->att.originate || !c->a.nh || c->a.final)
        return;
    if (c->controller[0]) { /* the caller is not connected to the target yet */
        nua_respond(c->a.nh, SIP_180_RINGING, SP_LEG_CONTACT(&c->a, c->proxy), TAG_END());
        return;
    }
    char *body = sp_call_body(sip);
    char *sdp = NULL;
    sp_sdp_info_t info;
    if (body)
        sdp = sp_media_sdp(&c->ea, body, &info, NULL);
    free(body);
    if (sdp && sp_srtp_answered(c->eb.srtp, &info, NULL) == SP_SRTP_REFUSE) {
        free(sdp); /* early media we could not decrypt: ringing without it */
        sdp = NULL;
    }
    if (sdp) {
        sp_media_remote(c, c->eb.id, &info);
        nua_respond(c->a.nh, status, sip_status_phrase(status),
                    SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
        free(sdp);
    } else {
        nua_respond(c->a.nh, SIP_180_RINGING, SP_LEG_CONTACT(&c->a, c->proxy), TAG_END());
    }
}

static const char *s_target_name(const char *target)
{
    const char *colon = strchr(target, ':');
    return colon ? colon + 1 : target;
}

/* call.originate: the answered leg becomes the call's leg A. */
static void s_promote(sp_call_t *c, struct sp_leg *leg, const sp_sdp_info_t *info)
{
    c->a = *leg;
    c->a.is_a = true;
    c->a.final = true;
    nua_handle_bind(c->a.nh, &c->a);
    for (int i = 0; i < c->nb; i++)
        if (c->b[i] == leg) {
            memmove(&c->b[i], &c->b[i + 1], (size_t)(c->nb - i - 1) * sizeof c->b[0]);
            c->nb--;
            break;
        }
    free(leg);
    c->a_codec = sp_sdp_codec(info);
    c->a_te = sp_sdp_te(info) ? sp_sdp_te(info) : 101;
    c->state = (sp_call_state_t)sp_call_next(c->state, SP_EV_ANSWER);
    snprintf(c->answered_by, sizeof c->answered_by, "%s", s_target_name(c->a.target));
    sp_call_publish_answered(c, c->a.contact);
    sp_fork_publish_result(c, "answered", 200, c->a.target, c->ea.id);
    if (c->ctl.consult_of[0]) /* a desktop's consultation call: talk to the agent */
        sp_callctl_consult_answered(c);
}

static void s_answered(sp_call_t *c, struct sp_leg *leg, const sip_t *sip)
{
    sp_attempt_t *att = &c->att;
    char *body = sp_call_body(sip);
    sp_sdp_info_t info;
    char *sdp = body ? sp_media_sdp(&c->ea, body, &info, NULL) : NULL;
    free(body);
    const char *why = NULL;
    bool offered_srtp = att->originate ? c->ea.srtp : c->eb.srtp; /* whom we offered to */
    if (sdp && sp_srtp_answered(offered_srtp, &info, &why) == SP_SRTP_REFUSE) {
        cc_info("call.answer_refused", "reason=%s", cc_logq(why));
        free(sdp);
        sdp = NULL;
    }
    if (!sdp) {
        nua_bye(leg->nh, TAG_END());
        sp_fork_leg_failed(c, leg, 488);
        return;
    }
    leg->final = true;
    for (int i = 0; i < c->nb; i++) {
        struct sp_leg *b = c->b[i];
        if (b != leg && b->attempt == att->id && !b->final && b->nh)
            nua_cancel(b->nh, TAG_END());
    }
    sp_fork_reset(c);
    if (att->originate) {
        sp_media_remote(c, c->ea.id, &info);
        free(sdp);
        s_promote(c, leg, &info);
        return;
    }
    c->winner = leg;
    if (att->transfer && c->park.slot) /* the parker answered the ring-back */
        sp_callpark_answered(c);
    att->transfer = false;
    sp_media_remote(c, c->eb.id, &info);
    bool relay = c->a.nh && !c->a.final; /* direct call: endpoints connected already */
    if (c->controller[0] || !relay) {    /* the caller may hear a prompt or music: now the target */
        sp_media_play_stop(c, c->ea.id);
        sp_media_connect(c);
    }
    if (c->a.nh && !c->a.final) {
        nua_respond(c->a.nh, SIP_200_OK, SP_LEG_CONTACT(&c->a, c->proxy),
                    SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
        c->a.final = true;
        c->a_codec = sp_sdp_codec(&info);
        c->a_te = sp_sdp_te(&info) ? sp_sdp_te(&info) : 101;
        c->state = (sp_call_state_t)sp_call_next(c->state, SP_EV_ANSWER);
        if (c->controller[0] || c->divert.hops > 0) /* a group member, a forwarding target */
            snprintf(c->answered_by, sizeof c->answered_by, "%s", s_target_name(leg->target));
        sp_call_publish_answered(c, leg->contact);
    }
    free(sdp);
    if (att->from_controller)
        sp_fork_publish_result(c, "answered", 200, leg->target, c->eb.id);
}

static void s_trunk_auth(sp_call_t *c, struct sp_leg *leg, const sip_t *sip, int status)
{
    const msg_auth_t *ch = status == 407 ? sip->sip_proxy_authenticate : sip->sip_www_authenticate;
    const char *realm = ch ? msg_params_find(ch->au_params, "realm=") : NULL;
    if (!realm || !leg->trunk.username[0]) {
        sp_fork_leg_failed(c, leg, status);
        return;
    }
    char auth[400];
    snprintf(auth, sizeof auth, "%s:%s:%s:%s", ch->au_scheme, realm, leg->trunk.username,
             leg->trunk.password);
    leg->auth_tried = true;
    nua_authenticate(leg->nh, NUTAG_AUTH(auth), TAG_END());
}

void sp_fork_response(sp_call_t *c, struct sp_leg *leg, int status, const sip_t *sip)
{
    if (!leg->callid[0] && sip && sip->sip_call_id)
        snprintf(leg->callid, sizeof leg->callid, "%s", sip->sip_call_id->i_id);
    if (c->state >= SP_CALL_ENDING || leg->attempt != c->att.id || !c->att.active ||
        (c->winner && c->winner != leg)) {
        if (status >= 200 && status < 300)
            nua_bye(leg->nh, TAG_END()); /* answered too late: hang it up */
        if (status >= 200)
            leg->final = true;
        return;
    }
    if (status == 180 || status == 183)
        s_provisional(c, status, sip);
    else if (status >= 200 && status < 300)
        s_answered(c, leg, sip);
    else if ((status == 401 || status == 407) && leg->to_trunk && !leg->auth_tried)
        s_trunk_auth(c, leg, sip, status);
    else if (status >= 300)
        sp_fork_leg_failed(c, leg, status);
}
