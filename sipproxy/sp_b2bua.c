/* sp_b2bua.c - calls as a back-to-back user agent: one caller leg (A) and one forked leg
 * per target contact (B), media anchored in mediad over the bus, SDP rewritten with
 * sp_sdp, outcomes mapped by sp_callstate, call.* events published. Every piece of a
 * call hangs off one sp_call_t, freed when both sides and every bus request are done.
 * Registration, auth and the stack itself are sp_proxy.c's. */
#include "sp_sofia.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/su_tagarg.h>

#include "cc_log.h"

#define S_BUCKETS 1024

struct sp_leg {
    sp_call_t *call;
    nua_handle_t *nh;
    bool is_a;
    bool final;     /* A: final response sent; B: final response received */
    bool reinvite;  /* a relayed re-INVITE is outstanding on this leg */
    bool auth_tried;
    char contact[256];
};

struct sp_leg sp_orphan_leg;

struct sp_call {
    sp_call_t *next;
    sp_proxy_t *proxy;
    char id[48];
    sp_call_state_t state;
    struct sp_leg a;
    struct sp_leg *b[SP_MAX_CONTACTS];
    int nb;
    struct sp_leg *winner;
    int best_code;
    char caller[64], callee[64], direction[12], source[64], trunk[64];
    char answered_by[64];
    bool to_trunk;
    sp_trunk_t out_trunk;
    char out_number[CC_NUMBER_MAX];
    sp_contact_t targets[SP_MAX_CONTACTS];
    int ntargets;
    char *offer;
    sp_sdp_info_t offer_info;
    int ep_a, ep_b;
    char ep_a_addr[64], ep_b_addr[64];
    int ep_a_port, ep_b_port;
    int creates_pending, deletes_pending, bus_pending;
    su_timer_t *ring_timer, *reap_timer;
    sp_outcome_t outcome;
    json_t *stats;
    bool on_hold; /* the last re-INVITE offer was not sendrecv: silence is expected */
};

/* ---- table of live calls ---------------------------------------------------------- */

static unsigned s_hash(const char *s)
{
    unsigned h = 2166136261u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h % S_BUCKETS;
}

static int s_table_add(sp_proxy_t *p, sp_call_t *c)
{
    if (!p->call_buckets) {
        p->call_buckets = calloc(S_BUCKETS, sizeof *p->call_buckets);
        if (!p->call_buckets)
            return -1;
    }
    unsigned b = s_hash(c->id);
    c->next = p->call_buckets[b];
    p->call_buckets[b] = c;
    p->call_count++;
    return 0;
}

static void s_table_remove(sp_proxy_t *p, sp_call_t *c)
{
    if (!p->call_buckets)
        return;
    sp_call_t **pp = &p->call_buckets[s_hash(c->id)];
    for (; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            p->call_count--;
            return;
        }
}

static sp_call_t *s_table_find(sp_proxy_t *p, const char *id)
{
    if (!p->call_buckets)
        return NULL;
    for (sp_call_t *c = p->call_buckets[s_hash(id)]; c; c = c->next)
        if (strcmp(c->id, id) == 0)
            return c;
    return NULL;
}

size_t sp_b2bua_count(const sp_proxy_t *self)
{
    return self->call_count;
}

/* ---- lifetime --------------------------------------------------------------------- */

static bool s_legs_gone(const sp_call_t *c)
{
    if (c->a.nh)
        return false;
    for (int i = 0; i < c->nb; i++)
        if (c->b[i]->nh)
            return false;
    return true;
}

static void s_free(sp_call_t *c)
{
    if (c->ring_timer)
        su_timer_destroy(c->ring_timer);
    if (c->reap_timer)
        su_timer_destroy(c->reap_timer);
    for (int i = 0; i < c->nb; i++)
        free(c->b[i]);
    free(c->offer);
    json_decref(c->stats);
    free(c);
}

static void s_maybe_free(sp_call_t *c)
{
    if (c->state == SP_CALL_ENDED && c->bus_pending == 0 && s_legs_gone(c))
        s_free(c);
}

/* Handles still open long after the end (a far end that never confirmed): drop them. */
static void s_on_reap(sp_proxy_t *p, su_timer_t *t, sp_call_t *c)
{
    (void)p, (void)t;
    if (c->a.nh) {
        nua_handle_destroy(c->a.nh);
        c->a.nh = NULL;
    }
    for (int i = 0; i < c->nb; i++)
        if (c->b[i]->nh) {
            nua_handle_destroy(c->b[i]->nh);
            c->b[i]->nh = NULL;
        }
    s_maybe_free(c);
}

static void s_release(struct sp_leg *leg)
{
    if (leg->nh) {
        nua_handle_destroy(leg->nh);
        leg->nh = NULL;
    }
}

/* ---- events ----------------------------------------------------------------------- */

static void s_publish_created(sp_call_t *c, const cc_route_t *route)
{
    json_t *f = json_pack("{s:s, s:s, s:s, s:s}", "caller", c->caller, "callee", c->callee,
                          "direction", c->direction, "source", c->source);
    if (!f)
        return;
    if (c->trunk[0])
        json_object_set_new(f, "trunk", json_string(c->trunk));
    if (route) {
        json_object_set_new(f, "route_kind", json_string(cc_target_kind_name(route->kind)));
        json_object_set_new(f, "route_target", json_string(route->target));
    }
    cc_bus_publish(c->proxy->bus, "call.created", c->id, f);
}

static void s_publish_ended(sp_call_t *c)
{
    const sp_outcome_t *o = &c->outcome;
    json_t *f = json_pack("{s:s, s:s, s:i, s:s}", "disposition", o->disposition,
                          "hangup_side", o->hangup_side, "sip_code", o->sip_code,
                          "reason", o->reason);
    if (!f)
        return;
    if (c->stats && json_object_size(c->stats) > 0)
        json_object_set(f, "media", c->stats);
    cc_bus_publish(c->proxy->bus, "call.ended", c->id, f);
    cc_info("call.ended", "call=%s disposition=%s hangup_side=%s sip_code=%d reason=%s",
            c->id, o->disposition, o->hangup_side, o->sip_code, cc_logq(o->reason));
}

/* ---- mediad ----------------------------------------------------------------------- */

static void s_try_finish(sp_call_t *c)
{
    if (c->state != SP_CALL_ENDING || c->creates_pending > 0 || c->deletes_pending > 0)
        return;
    s_publish_ended(c);
    c->state = SP_CALL_ENDED;
    s_table_remove(c->proxy, c);
    if (!s_legs_gone(c)) {
        c->reap_timer = su_timer_create(su_root_task(c->proxy->root), 40000);
        if (c->reap_timer)
            su_timer_set(c->reap_timer, s_on_reap, c);
    }
}

static int s_media(sp_call_t *c, const char *cmd, json_t *args, cc_bus_reply_fn *fn)
{
    c->bus_pending++;
    int rc = cc_bus_request(c->proxy->bus, "mediad", cmd, args,
                            c->proxy->set.media_timeout_ms, fn, c);
    if (rc != 0) {
        c->bus_pending--;
        cc_warn("call.media_request_failed", "call=%s cmd=%s err=%d", c->id, cmd, rc);
    }
    return rc;
}

static void s_on_media_done(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result;
    sp_call_t *c = arg;
    c->bus_pending--;
    if (status != 0)
        cc_warn("call.media_command_failed", "call=%s status=%d", c->id, status);
    s_maybe_free(c);
}

static void s_on_deleted(cc_bus_t *bus, int status, json_t *result, void *arg, const char *leg)
{
    (void)bus;
    sp_call_t *c = arg;
    c->bus_pending--;
    c->deletes_pending--;
    if (status == 0 && result) {
        json_t *stats = json_object_get(result, "stats");
        if (stats) {
            if (!c->stats)
                c->stats = json_object();
            json_object_set(c->stats, leg, stats);
        }
    }
    s_try_finish(c);
    s_maybe_free(c);
}

static void s_on_deleted_a(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    s_on_deleted(bus, status, result, arg, "caller");
}

static void s_on_deleted_b(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    s_on_deleted(bus, status, result, arg, "callee");
}

static void s_delete_endpoint(sp_call_t *c, int *ep, cc_bus_reply_fn *fn)
{
    if (*ep <= 0)
        return;
    json_t *args = json_pack("{s:i}", "endpoint_id", *ep);
    *ep = 0;
    if (s_media(c, "endpoint.delete", args, fn) == 0)
        c->deletes_pending++;
}

static void s_set_remote(sp_call_t *c, int ep, const sp_sdp_info_t *info)
{
    if (ep <= 0 || info->port <= 0 || strcmp(info->address, "0.0.0.0") == 0)
        return;
    json_t *pts = json_array();
    for (int i = 0; i < info->npts; i++)
        json_array_append_new(pts, json_integer(info->pts[i]));
    json_t *args = json_pack("{s:i, s:s, s:i, s:o}", "endpoint_id", ep, "address",
                             info->address, "port", info->port, "payload_types", pts);
    s_media(c, "endpoint.remote", args, s_on_media_done);
}

/* ---- ending ----------------------------------------------------------------------- */

static void s_end(sp_call_t *c, sp_end_cause_t cause, int code)
{
    if (c->state >= SP_CALL_ENDING)
        return;
    sp_call_state_t prev = c->state;
    c->outcome = sp_call_outcome(prev, cause, code);
    c->state = SP_CALL_ENDING;
    if (c->ring_timer)
        su_timer_reset(c->ring_timer);
    if (c->a.nh && !c->a.final && prev != SP_CALL_ANSWERED && cause != SP_END_CALLER_CANCEL) {
        int rc = c->outcome.caller_response ? c->outcome.caller_response : 500;
        nua_respond(c->a.nh, rc, sip_status_phrase(rc), TAG_END());
        c->a.final = true;
    }
    if (c->a.nh && prev == SP_CALL_ANSWERED && cause != SP_END_CALLER_BYE)
        nua_bye(c->a.nh, TAG_END());
    for (int i = 0; i < c->nb; i++) {
        struct sp_leg *b = c->b[i];
        if (!b->nh)
            continue;
        if (b == c->winner) {
            if (cause != SP_END_CALLEE_BYE)
                nua_bye(b->nh, TAG_END());
        } else if (!b->final) {
            nua_cancel(b->nh, TAG_END());
        }
    }
    s_delete_endpoint(c, &c->ep_a, s_on_deleted_a);
    s_delete_endpoint(c, &c->ep_b, s_on_deleted_b);
    s_try_finish(c);
}

void sp_b2bua_end_all(sp_proxy_t *self)
{
    if (!self->call_buckets)
        return;
    for (int b = 0; b < S_BUCKETS; b++) {
        sp_call_t *c = self->call_buckets[b];
        while (c) {
            sp_call_t *next = c->next; /* s_end may unlink c */
            s_end(c, SP_END_SHUTDOWN, 0);
            c = next;
        }
    }
}

void sp_b2bua_media_event(sp_proxy_t *self, const char *call_id, const char *type)
{
    sp_call_t *c = s_table_find(self, call_id);
    if (!c || strcmp(type, "media.timeout") != 0)
        return;
    if (c->on_hold) { /* a held call is silent on purpose */
        cc_info("call.media_timeout_ignored", "call=%s reason=on_hold", c->id);
        return;
    }
    cc_info("call.media_timeout", "call=%s state=%s", c->id, sp_call_state_name(c->state));
    s_end(c, SP_END_MEDIA_TIMEOUT, 0);
}

static void s_on_ring_timeout(sp_proxy_t *p, su_timer_t *t, sp_call_t *c)
{
    (void)p, (void)t;
    s_end(c, SP_END_RING_TIMEOUT, 0);
}

/* ---- outgoing legs ---------------------------------------------------------------- */

static char *s_body(const sip_t *sip)
{
    if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data || sip->sip_payload->pl_len == 0)
        return NULL;
    char *s = malloc(sip->sip_payload->pl_len + 1);
    if (s) {
        memcpy(s, sip->sip_payload->pl_data, sip->sip_payload->pl_len);
        s[sip->sip_payload->pl_len] = '\0';
    }
    return s;
}

static struct sp_leg *s_new_b(sp_call_t *c, const char *url)
{
    if (c->nb >= SP_MAX_CONTACTS)
        return NULL;
    struct sp_leg *leg = calloc(1, sizeof *leg);
    if (!leg)
        return NULL;
    leg->call = c;
    snprintf(leg->contact, sizeof leg->contact, "%s", url);
    c->b[c->nb++] = leg;
    return leg;
}

static void s_send_invites(sp_call_t *c)
{
    sp_proxy_t *p = c->proxy;
    sp_sdp_info_t info;
    const char *why = NULL;
    char *sdp = sp_sdp_rewrite(c->offer, c->ep_b_addr, c->ep_b_port, &info, &why);
    if (!sdp) {
        s_end(c, SP_END_NO_CODEC, 0);
        return;
    }
    char from[256];
    snprintf(from, sizeof from, "<sip:%s@%s>", c->caller, p->set.realm);
    int sent = 0;
    if (c->to_trunk) {
        char url[256], to[256];
        snprintf(url, sizeof url, "sip:%s@%s:%d;transport=%s", c->out_number, c->out_trunk.host,
                 c->out_trunk.port, c->out_trunk.transport[0] ? c->out_trunk.transport : "udp");
        snprintf(to, sizeof to, "<sip:%s@%s:%d>", c->out_number, c->out_trunk.host,
                 c->out_trunk.port);
        struct sp_leg *leg = s_new_b(c, url);
        if (leg) {
            leg->nh = nua_handle(p->nua, leg, NUTAG_URL(url), SIPTAG_TO_STR(to),
                                 SIPTAG_FROM_STR(from), TAG_END());
            if (leg->nh) {
                nua_invite(leg->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                           SIPTAG_PAYLOAD_STR(sdp), TAG_END());
                sent++;
            }
        }
    } else {
        char to[256];
        snprintf(to, sizeof to, "<sip:%s@%s>", c->callee, p->set.realm);
        for (int i = 0; i < c->ntargets; i++) {
            const sp_contact_t *t = &c->targets[i];
            struct sp_leg *leg = s_new_b(c, t->uri);
            if (!leg)
                break;
            /* behind NAT the Contact is not where the phone is: route to its source */
            char route[128] = "";
            if (t->source[0] && !strstr(t->uri, t->source))
                snprintf(route, sizeof route, "<sip:%s;lr%s>", t->source,
                         strcmp(t->transport, "tcp") == 0 ? ";transport=tcp" : "");
            leg->nh = nua_handle(p->nua, leg, NUTAG_URL(t->uri), SIPTAG_TO_STR(to),
                                 SIPTAG_FROM_STR(from), TAG_END());
            if (!leg->nh)
                continue;
            nua_invite(leg->nh, TAG_IF(route[0], SIPTAG_ROUTE_STR(route)),
                       SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
                       TAG_END());
            sent++;
        }
    }
    free(sdp);
    if (sent == 0) {
        s_end(c, SP_END_UNAVAILABLE, 0);
        return;
    }
    c->state = (sp_call_state_t)sp_call_next(c->state, SP_EV_MEDIA_READY);
    c->ring_timer = su_timer_create(su_root_task(p->root), (su_duration_t)p->set.ring_timeout_s * 1000);
    if (c->ring_timer)
        su_timer_set(c->ring_timer, s_on_ring_timeout, c);
}

static void s_on_created(cc_bus_t *bus, int status, json_t *result, void *arg, bool caller_side)
{
    (void)bus;
    sp_call_t *c = arg;
    c->bus_pending--;
    c->creates_pending--;
    int ep = 0;
    const char *addr = NULL;
    int port = 0;
    if (status == 0 && result) {
        ep = (int)json_integer_value(json_object_get(result, "endpoint_id"));
        addr = json_string_value(json_object_get(result, "address"));
        port = (int)json_integer_value(json_object_get(result, "port"));
    }
    if (ep > 0 && addr) {
        if (caller_side) {
            c->ep_a = ep;
            snprintf(c->ep_a_addr, sizeof c->ep_a_addr, "%s", addr);
            c->ep_a_port = port;
        } else {
            c->ep_b = ep;
            snprintf(c->ep_b_addr, sizeof c->ep_b_addr, "%s", addr);
            c->ep_b_port = port;
        }
    }
    if (c->state == SP_CALL_ENDING) { /* ended while mediad was working: give it back */
        if (caller_side)
            s_delete_endpoint(c, &c->ep_a, s_on_deleted_a);
        else
            s_delete_endpoint(c, &c->ep_b, s_on_deleted_b);
        s_try_finish(c);
        s_maybe_free(c);
        return;
    }
    if (ep <= 0 || !addr) {
        cc_warn("call.media_unavailable", "call=%s status=%d", c->id, status);
        s_end(c, SP_END_MEDIA_FAILED, 0);
        return;
    }
    if (c->creates_pending > 0 || c->state != SP_CALL_MEDIA)
        return;
    s_set_remote(c, c->ep_a, &c->offer_info);
    json_t *args = json_pack("{s:i, s:i}", "endpoint_a", c->ep_a, "endpoint_b", c->ep_b);
    s_media(c, "endpoint.connect", args, s_on_media_done);
    s_send_invites(c);
}

static void s_on_created_a(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    s_on_created(bus, status, result, arg, true);
}

static void s_on_created_b(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    s_on_created(bus, status, result, arg, false);
}

/* ---- incoming INVITE -------------------------------------------------------------- */

static void s_reject(sp_proxy_t *self, nua_handle_t *nh, int code)
{
    nua_handle_bind(nh, &sp_orphan_leg);
    nua_respond(nh, code, sip_status_phrase(code), NUTAG_WITH_THIS(self->nua), TAG_END());
}

static int s_resolve_route(sp_call_t *c, const cc_route_t *route, sp_end_cause_t *cause)
{
    sp_proxy_t *p = c->proxy;
    switch (route->kind) {
    case CC_TARGET_EXT:
        c->ntargets = (int)sp_registry_lookup(p->reg, route->target, (uint64_t)time(NULL),
                                              c->targets, SP_MAX_CONTACTS);
        snprintf(c->answered_by, sizeof c->answered_by, "%s", route->target);
        if (c->ntargets == 0) {
            *cause = SP_END_UNAVAILABLE;
            return -1;
        }
        return 0;
    case CC_TARGET_TRUNK: {
        const sp_trunk_t *t = sp_directory_trunk(p->dir, route->target);
        if (!t || !t->enabled) {
            *cause = SP_END_UNAVAILABLE;
            return -1;
        }
        c->out_trunk = *t;
        c->to_trunk = true;
        snprintf(c->answered_by, sizeof c->answered_by, "%s", t->name);
        if (cc_route_rewrite(route, c->callee, c->out_number, sizeof c->out_number) != 0) {
            *cause = SP_END_NOT_FOUND;
            return -1;
        }
        return 0;
    }
    default:
        *cause = SP_END_UNSUPPORTED;
        return -1;
    }
}

void sp_b2bua_incoming(sp_proxy_t *self, nua_handle_t *nh, const sip_t *sip)
{
    sp_source_t src;
    sp_source_of(self->nua, &src);
    if (self->shutting_down) {
        s_reject(self, nh, 503);
        return;
    }
    if (!sip || !sip->sip_request || !sip->sip_from || !sip->sip_to) {
        s_reject(self, nh, 400);
        return;
    }
    const sp_trunk_t *trunk_in = sp_directory_trunk_at(self->dir, src.ip, src.port);
    const sp_user_t *user = NULL;
    if (!trunk_in) {
        nua_handle_bind(nh, &sp_orphan_leg);
        if (sp_auth_check(self, nh, sip, &src, true, &user) < 0)
            return;
        nua_handle_bind(nh, NULL);
    }
    sp_call_t *c = calloc(1, sizeof *c);
    if (!c) {
        s_reject(self, nh, 500);
        return;
    }
    c->proxy = self;
    c->state = SP_CALL_MEDIA;
    snprintf(c->id, sizeof c->id, "%llx-%llu", (unsigned long long)cc_bus_epoch(self->bus),
             (unsigned long long)++self->call_seq);
    c->a.call = c;
    c->a.is_a = true;
    c->a.nh = nh;
    nua_handle_bind(nh, &c->a);
    if (s_table_add(self, c) != 0) {
        nua_handle_bind(nh, &sp_orphan_leg);
        nua_respond(nh, 500, sip_status_phrase(500), TAG_END());
        free(c);
        return;
    }
    self->calls_total++;
    const char *from_user = sip->sip_from->a_url->url_user;
    snprintf(c->caller, sizeof c->caller, "%s",
             user ? user->ext : (from_user ? from_user : "anonymous"));
    const char *dialled = sip->sip_request->rq_url->url_user;
    snprintf(c->callee, sizeof c->callee, "%s", dialled ? dialled : "");
    snprintf(c->source, sizeof c->source, "%s", src.hostport);
    if (trunk_in)
        snprintf(c->trunk, sizeof c->trunk, "%s", trunk_in->name);
    const cc_route_t *route = c->callee[0]
        ? cc_dialplan_match(sp_directory_dialplan(self->dir), c->callee) : NULL;
    if (trunk_in)
        snprintf(c->direction, sizeof c->direction, "inbound");
    else if (route && route->kind == CC_TARGET_TRUNK)
        snprintf(c->direction, sizeof c->direction, "outbound");
    else
        snprintf(c->direction, sizeof c->direction, "internal");
    if (route && route->kind == CC_TARGET_TRUNK && !trunk_in)
        snprintf(c->trunk, sizeof c->trunk, "%s", route->target);
    s_publish_created(c, route);
    cc_info("call.created", "call=%s caller=%s callee=%s direction=%s source=%s route=%s:%s",
            c->id, cc_logq(c->caller), cc_logq(c->callee), c->direction, c->source,
            route ? cc_target_kind_name(route->kind) : "none", route ? route->target : "");
    if (!route) {
        s_end(c, SP_END_NOT_FOUND, 0);
        return;
    }
    sp_end_cause_t cause;
    if (s_resolve_route(c, route, &cause) != 0) {
        s_end(c, cause, 0);
        return;
    }
    c->offer = s_body(sip);
    const char *why = NULL;
    char *probe = c->offer ? sp_sdp_rewrite(c->offer, "0.0.0.0", 0, &c->offer_info, &why) : NULL;
    if (!probe) {
        cc_info("call.offer_refused", "call=%s reason=%s", c->id,
                cc_logq(why ? why : "no SDP offer"));
        s_end(c, SP_END_NO_CODEC, 0);
        return;
    }
    free(probe);
    c->creates_pending = 2;
    json_t *a = json_pack("{s:s, s:s, s:b}", "call_id", c->id, "leg", "caller", "symmetric", 1);
    json_t *b = json_pack("{s:s, s:s, s:b}", "call_id", c->id, "leg", "callee", "symmetric", 1);
    if (s_media(c, "endpoint.create", a, s_on_created_a) != 0)
        c->creates_pending--;
    if (s_media(c, "endpoint.create", b, s_on_created_b) != 0)
        c->creates_pending--;
    if (c->creates_pending < 2)
        s_end(c, SP_END_MEDIA_FAILED, 0);
}

/* ---- responses from the B side ---------------------------------------------------- */

static void s_relay_provisional(sp_call_t *c, struct sp_leg *leg, int status, const sip_t *sip)
{
    (void)leg;
    if (c->state == SP_CALL_CALLING) {
        c->state = (sp_call_state_t)sp_call_next(c->state, SP_EV_RINGING);
        cc_bus_publish(c->proxy->bus, "call.ringing", c->id, json_pack("{s:i}", "code", status));
    }
    char *body = s_body(sip);
    char *sdp = NULL;
    sp_sdp_info_t info;
    if (body)
        sdp = sp_sdp_rewrite(body, c->ep_a_addr, c->ep_a_port, &info, NULL);
    free(body);
    if (sdp) {
        s_set_remote(c, c->ep_b, &info);
        nua_respond(c->a.nh, status, sip_status_phrase(status),
                    SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
                    TAG_END());
        free(sdp);
    } else {
        nua_respond(c->a.nh, SIP_180_RINGING, TAG_END());
    }
}

static void s_leg_failed(sp_call_t *c, struct sp_leg *leg, int status)
{
    leg->final = true;
    if (!c->best_code || sp_fork_rank(status) > sp_fork_rank(c->best_code))
        c->best_code = status;
    for (int i = 0; i < c->nb; i++)
        if (!c->b[i]->final)
            return;
    s_end(c, SP_END_CALLEE_REJECT, c->best_code);
}

static void s_answered(sp_call_t *c, struct sp_leg *leg, const sip_t *sip)
{
    char *body = s_body(sip);
    sp_sdp_info_t info;
    char *sdp = body ? sp_sdp_rewrite(body, c->ep_a_addr, c->ep_a_port, &info, NULL) : NULL;
    free(body);
    if (!sdp) {
        nua_bye(leg->nh, TAG_END());
        s_leg_failed(c, leg, 488);
        return;
    }
    leg->final = true;
    c->winner = leg;
    for (int i = 0; i < c->nb; i++)
        if (c->b[i] != leg && !c->b[i]->final && c->b[i]->nh)
            nua_cancel(c->b[i]->nh, TAG_END());
    c->state = (sp_call_state_t)sp_call_next(c->state, SP_EV_ANSWER);
    if (c->ring_timer)
        su_timer_reset(c->ring_timer);
    s_set_remote(c, c->ep_b, &info);
    nua_respond(c->a.nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                SIPTAG_PAYLOAD_STR(sdp), TAG_END());
    c->a.final = true;
    free(sdp);
    json_t *f = json_pack("{s:s, s:s}", "answered_by", c->answered_by, "contact", leg->contact);
    cc_bus_publish(c->proxy->bus, "call.answered", c->id, f);
    cc_info("call.answered", "call=%s answered_by=%s contact=%s", c->id, c->answered_by,
            cc_logq(leg->contact));
}

static void s_trunk_auth(sp_call_t *c, struct sp_leg *leg, const sip_t *sip, int status)
{
    const msg_auth_t *ch = status == 407 ? sip->sip_proxy_authenticate : sip->sip_www_authenticate;
    const char *realm = ch ? msg_params_find(ch->au_params, "realm=") : NULL;
    if (!realm || !c->out_trunk.username[0]) {
        s_leg_failed(c, leg, status);
        return;
    }
    char auth[400];
    snprintf(auth, sizeof auth, "%s:%s:%s:%s", ch->au_scheme, realm, c->out_trunk.username,
             c->out_trunk.password);
    leg->auth_tried = true;
    nua_authenticate(leg->nh, NUTAG_AUTH(auth), TAG_END());
}

/* A relayed re-INVITE on `leg` got its final answer: pass it to the side that asked. */
static void s_reinvite_answered(sp_call_t *c, struct sp_leg *leg, int status, const sip_t *sip)
{
    leg->reinvite = false;
    struct sp_leg *asker = leg->is_a ? c->winner : &c->a;
    if (!asker || !asker->nh)
        return;
    if (status >= 300) {
        nua_respond(asker->nh, status, sip_status_phrase(status), TAG_END());
        return;
    }
    bool asker_is_a = asker->is_a;
    char *body = s_body(sip);
    sp_sdp_info_t info;
    char *sdp = body ? sp_sdp_rewrite(body, asker_is_a ? c->ep_a_addr : c->ep_b_addr,
                                      asker_is_a ? c->ep_a_port : c->ep_b_port, &info, NULL)
                     : NULL;
    free(body);
    if (sdp) {
        s_set_remote(c, asker_is_a ? c->ep_b : c->ep_a, &info);
        nua_respond(asker->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
        free(sdp);
    } else {
        nua_respond(asker->nh, SIP_200_OK, TAG_END());
    }
}

/* re-INVITE (hold, resume, refresh) from one side of an answered call. */
static void s_reinvite(sp_call_t *c, struct sp_leg *from, const sip_t *sip)
{
    struct sp_leg *to = from->is_a ? c->winner : &c->a;
    if (c->state != SP_CALL_ANSWERED || !to || !to->nh || to->reinvite) {
        nua_respond(from->nh, 491, sip_status_phrase(491), TAG_END());
        return;
    }
    char *body = s_body(sip);
    sp_sdp_info_t info;
    char *sdp = NULL;
    if (body) {
        sdp = sp_sdp_rewrite(body, from->is_a ? c->ep_b_addr : c->ep_a_addr,
                             from->is_a ? c->ep_b_port : c->ep_a_port, &info, NULL);
        free(body);
        if (!sdp) {
            nua_respond(from->nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
            return;
        }
        s_set_remote(c, from->is_a ? c->ep_a : c->ep_b, &info);
        c->on_hold = info.dir != SP_DIR_SENDRECV;
        cc_info("call.reinvite", "call=%s from=%s direction=%s", c->id,
                from->is_a ? "caller" : "callee", sp_sdp_dir_name(info.dir));
    }
    to->reinvite = true;
    nua_invite(to->nh, TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
               TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)), TAG_END());
    free(sdp);
}

void sp_b2bua_event(sp_proxy_t *self, nua_event_t event, int status, const char *phrase,
                    nua_handle_t *nh, struct sp_leg *leg, const sip_t *sip, tagi_t tags[])
{
    (void)self, (void)phrase, (void)nh;
    sp_call_t *c = leg->call;
    switch (event) {
    case nua_r_invite:
        if (leg->is_a)
            break;
        if (leg->reinvite) {
            if (status >= 200)
                s_reinvite_answered(c, leg, status, sip);
            break;
        }
        if (c->state >= SP_CALL_ENDING || (c->winner && c->winner != leg)) {
            if (status >= 200 && status < 300)
                nua_bye(leg->nh, TAG_END()); /* answered too late: hang it up */
            if (status >= 200)
                leg->final = true;
            break;
        }
        if (status == 180 || status == 183) {
            s_relay_provisional(c, leg, status, sip);
        } else if (status >= 200 && status < 300) {
            if (c->winner != leg)
                s_answered(c, leg, sip);
        } else if ((status == 401 || status == 407) && c->to_trunk && !leg->auth_tried) {
            s_trunk_auth(c, leg, sip, status);
        } else if (status >= 300) {
            s_leg_failed(c, leg, status);
        }
        break;
    case nua_i_invite: /* re-INVITE inside an existing dialog */
        s_reinvite(c, leg, sip);
        break;
    case nua_i_cancel:
        if (leg->is_a) {
            leg->final = true; /* the stack answered 487 */
            s_end(c, SP_END_CALLER_CANCEL, 0);
        }
        break;
    case nua_i_bye:
        if (leg->is_a)
            s_end(c, SP_END_CALLER_BYE, 0);
        else if (leg == c->winner)
            s_end(c, SP_END_CALLEE_BYE, 0);
        break;
    case nua_i_state: {
        int state = nua_callstate_init;
        tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
        if (state != nua_callstate_terminated)
            break;
        s_release(leg);
        if (c->state < SP_CALL_ENDING) {
            if (leg->is_a)
                s_end(c, c->state == SP_CALL_ANSWERED ? SP_END_CALLER_BYE : SP_END_CALLER_CANCEL, 0);
            else if (leg == c->winner)
                s_end(c, SP_END_CALLEE_BYE, 0);
            else if (!leg->final)
                s_leg_failed(c, leg, 408);
        }
        s_maybe_free(c);
        break;
    }
    default:
        break;
    }
}
