/* sp_b2bua.c - calls as a back-to-back user agent: the life of a call (created, ended,
 * freed once both sides and every bus request are done), the incoming INVITE routed by
 * the dialplan (ext/trunk rung directly through sp_fork.c, ivr:/queue: handed to a
 * controller by sp_callctl.c), and the SIP events of a call's dialogs. mediad commands
 * are sp_callmedia.c's; re-INVITEs sp_reinvite.c's. Registration, auth and the stack
 * itself are sp_proxy.c's. */
#include "sp_call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sofia-sip/su_tagarg.h>

#include "cc_log.h"
#include "sp_pickup.h"

struct sp_leg sp_orphan_leg;

/* ---- table of live calls (by call id; a call leaves it once it has ended) ------------- */

static int s_table_add(sp_proxy_t *p, sp_call_t *c)
{
    if (!p->calls && !(p->calls = cc_map_new(NULL)))
        return -1;
    return cc_map_insert(p->calls, c->id, c);
}

static void s_table_remove(sp_proxy_t *p, sp_call_t *c)
{
    if (p->calls && cc_map_get(p->calls, c->id) == c)
        cc_map_take(p->calls, c->id);
}

sp_call_t *sp_call_find(sp_proxy_t *p, const char *id)
{
    return p->calls ? cc_map_get(p->calls, id) : NULL;
}

void sp_b2bua_foreach(sp_proxy_t *p, void (*fn)(sp_call_t *c, void *arg), void *arg)
{
    if (!p->calls)
        return;
    cc_log_call_saved_t outer;
    cc_log_enter_call(&outer, NULL);
    cc_map_iter_t it = cc_map_iter(p->calls);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        sp_call_t *c = cc_map_value(e);
        cc_log_set_call(c->id);
        fn(c, arg); /* may end c, which leaves the table: allowed while iterating */
    }
    cc_log_leave_call(&outer);
}

typedef struct {
    const char *callid;
    sp_call_t *call;
    struct sp_leg *leg;
} s_leg_search_t;

static void s_match_leg(sp_call_t *c, void *arg)
{
    s_leg_search_t *q = arg;
    if (q->leg)
        return;
    if (c->a.nh && strcmp(c->a.callid, q->callid) == 0)
        q->leg = &c->a;
    for (int i = 0; !q->leg && i < c->nb; i++)
        if (c->b[i]->nh && strcmp(c->b[i]->callid, q->callid) == 0)
            q->leg = c->b[i];
    if (q->leg)
        q->call = c;
}

struct sp_leg *sp_call_find_leg(sp_proxy_t *p, const char *callid, sp_call_t **call_out)
{
    s_leg_search_t q = {callid, NULL, NULL};
    if (!callid[0])
        return NULL;
    sp_b2bua_foreach(p, s_match_leg, &q);
    if (q.leg)
        *call_out = q.call;
    return q.leg;
}

size_t sp_b2bua_count(const sp_proxy_t *self)
{
    return self->calls ? cc_map_size(self->calls) : 0;
}

size_t sp_b2bua_ending_count(const sp_proxy_t *self)
{
    return self->ended ? cc_map_size(self->ended) : 0;
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
    sp_proxy_t *p = c->proxy;
    if (p->ended && cc_map_get(p->ended, c->id) == c)
        cc_map_take(p->ended, c->id);
    if (c->att.timer)
        su_timer_destroy(c->att.timer);
    if (c->reap_timer)
        su_timer_destroy(c->reap_timer);
    if (c->park.timer)
        su_timer_destroy(c->park.timer);
    for (int i = 0; i < c->nb; i++)
        free(c->b[i]);
    free(c->att.dials);
    json_decref(c->att.targets);
    free(c->offer);
    json_decref(c->stats);
    free(c);
}

void sp_call_maybe_free(sp_call_t *c)
{
    if (c->state == SP_CALL_ENDED && s_legs_gone(c)) {
        cc_bus_owner_cancel(c->proxy->bus, &c->bus); /* replies nobody waits for any more */
        s_free(c);
    }
}

/* Handles still open long after the end (a far end that never confirmed): drop them. */
static void s_on_reap(sp_proxy_t *p, su_timer_t *t, sp_call_t *c)
{
    (void)p, (void)t;
    cc_log_set_call(c->id);
    if (c->a.nh) {
        nua_handle_destroy(c->a.nh);
        c->a.nh = NULL;
    }
    for (int i = 0; i < c->nb; i++)
        if (c->b[i]->nh) {
            nua_handle_destroy(c->b[i]->nh);
            c->b[i]->nh = NULL;
        }
    sp_call_maybe_free(c);
    cc_log_set_call(NULL);
}

/* Shutdown: a call still ending waits for mediad replies that will not come in time (or
 * at all, when mediad stopped first); it ends without them, so its call.ended goes out and
 * nothing is left behind. */
static void s_finish_unconfirmed(sp_call_t *c, void *arg)
{
    (void)arg;
    if (c->state != SP_CALL_ENDING)
        return;
    cc_bus_owner_cancel(c->proxy->bus, &c->bus);
    c->creates_pending = c->deletes_pending = 0;
    sp_call_try_finish(c);
    sp_call_maybe_free(c); /* its legs may be gone already: nothing else would free it */
}

void sp_b2bua_reap_ended(sp_proxy_t *self)
{
    sp_b2bua_foreach(self, s_finish_unconfirmed, NULL);
    /* one at a time: each call leaves the map before reaping frees it */
    while (sp_b2bua_ending_count(self) > 0) {
        cc_map_iter_t it = cc_map_iter(self->ended);
        sp_call_t *c = cc_map_value(cc_map_next(&it));
        cc_map_take(self->ended, c->id);
        s_on_reap(self, NULL, c);
    }
}

static void s_release(struct sp_leg *leg)
{
    if (leg->nh) {
        nua_handle_destroy(leg->nh);
        leg->nh = NULL;
    }
}

/* Call ids: this sipproxy's epoch and a count, unique across restarts. */
static void s_next_call_id(sp_proxy_t *p, char *buf, size_t len)
{
    snprintf(buf, len, "%llx-%llu", (unsigned long long)cc_bus_epoch(p->bus),
             (unsigned long long)++p->call_seq);
}

sp_call_t *sp_call_new(sp_proxy_t *p)
{
    sp_call_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->proxy = p;
    c->state = SP_CALL_MEDIA;
    s_next_call_id(p, c->id, sizeof c->id);
    c->a.call = c;
    c->a.is_a = true;
    c->a_te = 101;
    c->created_ms = cc_mono_ms();
    if (s_table_add(p, c) != 0) {
        free(c);
        return NULL;
    }
    p->calls_total++;
    return c;
}

/* ---- events ----------------------------------------------------------------------- */

void sp_call_publish_created(sp_call_t *c, const char *route_kind, const char *route_target)
{
    json_t *f = json_pack("{s:s, s:s, s:s, s:s}", "caller", c->caller, "callee", c->callee,
                          "direction", c->direction, "source", c->source);
    if (!f)
        return;
    if (c->trunk[0])
        json_object_set_new(f, "trunk", json_string(c->trunk));
    if (c->a.callid[0])
        json_object_set_new(f, "sip_call_id", json_string(c->a.callid));
    if (route_kind) {
        json_object_set_new(f, "route_kind", json_string(route_kind));
        json_object_set_new(f, "route_target", json_string(route_target));
    }
    cc_bus_publish(c->proxy->bus, "call.created", c->id, f);
    cc_info("call.created",
            "caller=%s callee=%s direction=%s source=%s route=%s:%s "
            "sip_call_id=%s",
            cc_logq(c->caller), cc_logq(c->callee), c->direction, c->source,
            route_kind ? route_kind : "none", route_target ? route_target : "",
            cc_logq(c->a.callid));
}

void sp_call_publish_answered(sp_call_t *c, const char *contact)
{
    json_t *f = json_pack("{s:s}", "answered_by", c->answered_by);
    if (!f)
        return;
    if (contact && contact[0])
        json_object_set_new(f, "contact", json_string(contact));
    if (c->ea.id > 0)
        json_object_set_new(f, "caller_endpoint", json_integer(c->ea.id));
    if (c->eb.id > 0 && c->winner)
        json_object_set_new(f, "callee_endpoint", json_integer(c->eb.id));
    cc_bus_publish(c->proxy->bus, "call.answered", c->id, f);
    cc_info("call.answered", "answered_by=%s contact=%s", c->answered_by,
            cc_logq(contact ? contact : ""));
}

static void s_publish_ended(sp_call_t *c)
{
    const sp_outcome_t *o = &c->outcome;
    char ended_at[40];
    cc_wall_format(ended_at, sizeof ended_at, c->ended_us ? c->ended_us : cc_wall_us());
    json_t *f = json_pack("{s:s, s:s, s:i, s:s, s:s}", "disposition", o->disposition, "hangup_side",
                          o->hangup_side, "sip_code", o->sip_code, "reason", o->reason, "ended_at",
                          ended_at);
    if (!f)
        return;
    if (c->stats && json_object_size(c->stats) > 0)
        json_object_set(f, "media", c->stats);
    cc_bus_publish(c->proxy->bus, "call.ended", c->id, f);
    cc_info("call.ended", "disposition=%s hangup_side=%s sip_code=%d reason=%s", o->disposition,
            o->hangup_side, o->sip_code, cc_logq(o->reason));
}

/* ---- ending ----------------------------------------------------------------------- */

void sp_call_try_finish(sp_call_t *c)
{
    if (c->state != SP_CALL_ENDING || c->creates_pending > 0 || c->deletes_pending > 0)
        return;
    s_publish_ended(c);
    if (c->invite_key[0]) /* what a late copy of the INVITE is answered with */
        sp_dedup_final(c->proxy->dedup, c->invite_key,
                       c->outcome.sip_code ? c->outcome.sip_code : 500);
    c->state = SP_CALL_ENDED;
    s_table_remove(c->proxy, c);
    if (!s_legs_gone(c)) {
        if (!c->proxy->ended)
            c->proxy->ended = cc_map_new(NULL);
        if (c->proxy->ended)
            cc_map_put(c->proxy->ended, c->id, c);
        c->reap_timer = su_timer_create(su_root_task(c->proxy->root), 40000);
        if (c->reap_timer)
            su_timer_set(c->reap_timer, s_on_reap, c);
    }
}

void sp_call_end(sp_call_t *c, sp_end_cause_t cause, int code)
{
    if (c->state >= SP_CALL_ENDING)
        return;
    if (c->mon.mode || c->monitored_by)
        sp_monitor_call_ending(c);
    if (c->tw.mix_id || c->tw.partner[0])
        sp_threeway_call_ending(c);
    if (c->ctl.consult[0] || c->ctl.consult_of[0])
        sp_callctl_consult_ending(c);
    if (c->park.slot)
        sp_callpark_call_ending(c);
    sp_call_state_t prev = c->state;
    if (c->att.active && (c->att.from_controller || c->att.originate))
        sp_fork_publish_result(c, "cancelled", 487, c->att.fail_target, 0);
    sp_fork_reset(c);
    c->outcome = sp_call_outcome(prev, cause, code);
    if (c->screen_code) /* refused by screening, however the caller left */
        c->outcome.disposition = "blocked";
    c->ended_us = cc_wall_us();
    if (c->reason[0])
        c->outcome.reason = c->reason;
    c->state = SP_CALL_ENDING;
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
    sp_media_delete_all(c);
    sp_call_try_finish(c);
}

static void s_end_for_shutdown(sp_call_t *c, void *arg)
{
    (void)arg;
    sp_call_end(c, SP_END_SHUTDOWN, 0);
}

void sp_b2bua_end_all(sp_proxy_t *self)
{
    sp_b2bua_foreach(self, s_end_for_shutdown, NULL);
}

void sp_b2bua_media_event(sp_proxy_t *self, const char *call_id, const char *type, json_t *body)
{
    sp_call_t *c = sp_call_find(self, call_id);
    if (c && c->mon.mode) {
        sp_monitor_media_event(c, type, body);
        if (strcmp(type, "media.timeout") != 0)
            return;
    }
    if (c && c->feature[0]) {
        sp_feature_media_event(c, type);
        return;
    }
    if (c && c->screen_code) {
        sp_screen_media_event(c, type);
        return;
    }
    if (c && c->park.slot && sp_callpark_media_event(c, type, body))
        return;
    if (!c || strcmp(type, "media.timeout") != 0)
        return;
    cc_info("call.media_timeout", "state=%s", sp_call_state_name(c->state));
    sp_call_end(c, SP_END_MEDIA_TIMEOUT, 0);
}

int sp_call_answer_here(sp_call_t *c)
{
    char *sdp = sp_media_sdp_make(c, &c->ea, c->a_codec, c->a_te, SP_DIR_SENDRECV);
    if (!sdp)
        return -1;
    nua_respond(c->a.nh, SIP_200_OK, SP_LEG_CONTACT(&c->a, c->proxy),
                SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
    free(sdp);
    c->a.final = true;
    c->state = (sp_call_state_t)sp_call_next(c->state, SP_EV_ANSWER);
    sp_call_publish_answered(c, NULL);
    return 0;
}

char *sp_call_body(const sip_t *sip)
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

/* ---- incoming INVITE -------------------------------------------------------------- */

static void s_reject(sp_proxy_t *self, nua_handle_t *nh, int code)
{
    nua_handle_bind(nh, &sp_orphan_leg);
    nua_respond(nh, code, sip_status_phrase(code), NUTAG_WITH_THIS(self->nua), TAG_END());
}

/* An INVITE that already became a call (a retransmission the stack no longer knew, or
 * the same request arriving by two paths): the first answer again, never a second call.
 * While that call had no final answer, or was answered, 482 (RFC 3261 8.2.2.2). */
static bool s_repeated(sp_proxy_t *self, nua_handle_t *nh, const char *key)
{
    int first = sp_dedup_seen(self->dedup, key, cc_mono_ms());
    if (first < 0)
        return false;
    self->invites_repeated++;
    int code = first >= 300 ? first : 482;
    cc_debug("sip.invite_repeated", "key=%s first_status=%d answered=%d", cc_logq(key), first,
             code);
    s_reject(self, nh, code);
    return true;
}

/* An INVITE turned away because mediad is down or has just restarted is a call that a
 * crash cost: it gets a call id, call.created and call.ended ("interrupted", 503), so its
 * CDR says so, as a call that failed in set-up for the same reason does. INVITEs shed for
 * overload are not calls (status counts them) and stay that cheap. */
static void s_record_turned_away(sp_proxy_t *self, const sip_t *sip, const sp_source_t *src)
{
    char id[sizeof((sp_call_t *)0)->id];
    s_next_call_id(self, id, sizeof id);
    const sp_trunk_t *trunk = sp_directory_trunk_at(self->dir, src->ip, src->port);
    const char *from = sip->sip_from->a_url->url_user, *to = sip->sip_request->rq_url->url_user;
    const char *sip_call_id = sip->sip_call_id ? sip->sip_call_id->i_id : "";
    const char *reason = "turned away: media server down or restarting";
    cc_log_call_saved_t handling;
    cc_log_enter_call(&handling, id);
    json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:s}", "caller", from ? from : "anonymous",
                          "callee", to ? to : "", "direction", trunk ? "inbound" : "internal",
                          "source", src->hostport, "sip_call_id", sip_call_id);
    if (f && trunk)
        json_object_set_new(f, "trunk", json_string(trunk->name));
    cc_bus_publish(self->bus, "call.created", id, f);
    cc_info("call.created", "caller=%s callee=%s source=%s route=none sip_call_id=%s",
            cc_logq(from ? from : "anonymous"), cc_logq(to ? to : ""), src->hostport,
            cc_logq(sip_call_id));
    char ended_at[40];
    cc_wall_format(ended_at, sizeof ended_at, cc_wall_us());
    cc_bus_publish(self->bus, "call.ended", id,
                   json_pack("{s:s, s:s, s:i, s:s, s:s}", "disposition", "interrupted",
                             "hangup_side", "system", "sip_code", 503, "reason", reason, "ended_at",
                             ended_at));
    cc_info("call.ended", "disposition=interrupted hangup_side=system sip_code=503 reason=%s",
            cc_logq(reason));
    cc_log_leave_call(&handling);
}

/* Overload control: judge a new INVITE before any work is done for it. A shed INVITE is
 * remembered like a call's, so its retransmissions get the same 503 and never a call. */
static bool s_shed(sp_proxy_t *self, nua_handle_t *nh, const char *key, const sip_t *sip,
                   const sp_source_t *src)
{
    sp_load_t load = {
        .queue_delay_ms = self->limits.delay_target_ms ? sp_proxy_queue_delay_ms(self) : -1,
        .media_pending = cc_bus_pending_count(self->bus),
        .media_down = self->media_down,
        .media_restoring = self->media_restoring > 0,
    };
    uint64_t now = cc_mono_ms();
    load.media_exhausted = now < self->media_exhausted_until_ms;
    sp_admission_t *adm = &self->admission;
    sp_shed_reason_t before = adm->reason;
    uint64_t shed_before = adm->shed_in_episode, since = adm->since_ms;
    int retry = sp_admission_check(adm, &self->limits, &load, now);
    if (adm->changed && retry)
        cc_warn(
            "sip.overload", "state=shedding reason=%s sip_queue_delay_ms=%lld media_pending=%zu",
            sp_shed_reason_name(adm->reason), (long long)load.queue_delay_ms, load.media_pending);
    else if (adm->changed)
        cc_info("sip.overload", "state=admitting after=%s shed=%llu ms=%llu",
                sp_shed_reason_name(before), (unsigned long long)shed_before,
                (unsigned long long)(now - since));
    if (!retry)
        return false;
    if (sp_dedup_add(self->dedup, key, now) == 0)
        sp_dedup_final(self->dedup, key, 503);
    if ((load.media_down || load.media_restoring || load.media_exhausted) &&
        sp_mediad_crashed(self))
        s_record_turned_away(self, sip, src);
    char after[8];
    snprintf(after, sizeof after, "%d", retry);
    nua_handle_bind(nh, &sp_orphan_leg);
    nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, NUTAG_WITH_THIS(self->nua),
                SIPTAG_RETRY_AFTER_STR(after), TAG_END());
    return true;
}

static sp_end_cause_t s_cause_of(int code)
{
    switch (code) {
    case 404:
        return SP_END_NOT_FOUND;
    case 480:
        return SP_END_UNAVAILABLE;
    case 488:
        return SP_END_NO_CODEC;
    case 501:
        return SP_END_UNSUPPORTED;
    default:
        return SP_END_MEDIA_FAILED;
    }
}

/* Direct call: both endpoints exist, the caller's pointed at its offer and connected to
 * the callee's: ring. */
static void s_direct_ready(sp_call_t *c)
{
    if (c->state == SP_CALL_MEDIA)
        sp_fork_send(c);
}

/* Controlled call: the caller's endpoint exists: hand the call to ivrd/acdd. */
static void s_controlled_ready(sp_call_t *c)
{
    c->state = (sp_call_state_t)sp_call_next(c->state, SP_EV_MEDIA_READY);
    sp_callctl_handover(c);
}

static void s_route(sp_call_t *c, const cc_route_t *route_in)
{
    sp_proxy_t *p = c->proxy;
    cc_route_t taken = *route_in; /* DND and forwarding may send the call elsewhere */
    const cc_route_t *route = &taken;
    if (!sp_callctl_controlled(route->kind)) {
        c->att.id = ++p->connect_seq;
        int code = sp_forward_resolve(c, &taken, c->callee);
        if (code) {
            sp_call_end(c, code == 486 ? SP_END_CALLEE_REJECT : s_cause_of(code),
                        code == 486 ? 486 : 0);
            return;
        }
    }
    bool controlled = sp_callctl_controlled(route->kind);
    const char *why = NULL;
    char *probe = c->offer ? sp_sdp_rewrite(c->offer, "0.0.0.0", 0, &c->offer_info, &why) : NULL;
    if (!probe) {
        cc_info("call.offer_refused", "reason=%s", cc_logq(why ? why : "no SDP offer"));
        sp_call_end(c, SP_END_NO_CODEC, 0);
        return;
    }
    free(probe);
    if (!sp_media_srtp_caller(c))
        return;
    if (!controlled) /* the callee's leg: SRTP when its policy requires it */
        c->eb.srtp = sp_srtp_offer(sp_fork_route_srtp(p, route));
    if (controlled) {
        snprintf(c->controller, sizeof c->controller, "%s", sp_callctl_controller(route->kind));
        snprintf(c->answered_by, sizeof c->answered_by, "%.12s:%.63s",
                 cc_target_kind_name(route->kind), route->target);
        c->a_codec = sp_sdp_codec(&c->offer_info);
        c->a_te = sp_sdp_te(&c->offer_info);
        sp_media_create(c, true, true, &c->offer_info, s_controlled_ready);
        return;
    }
    sp_media_create_pair(c, s_direct_ready);
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
    char key[sizeof((sp_call_t *)0)->invite_key];
    sp_dedup_key(key, sizeof key, sip->sip_call_id ? sip->sip_call_id->i_id : NULL,
                 sip->sip_from->a_tag, sip->sip_cseq ? sip->sip_cseq->cs_seq : 0);
    if (s_repeated(self, nh, key) || s_shed(self, nh, key, sip, &src))
        return;
    const sp_trunk_t *trunk_in = sp_directory_trunk_at(self->dir, src.ip, src.port);
    const sp_user_t *user = NULL;
    if (!trunk_in) {
        nua_handle_bind(nh, &sp_orphan_leg);
        if (sp_auth_check(self, nh, sip, &src, true, &user) < 0)
            return;
        nua_handle_bind(nh, NULL);
    }
    sp_call_t *c = sp_call_new(self);
    if (!c) {
        s_reject(self, nh, 500);
        return;
    }
    cc_log_set_call(c->id);
    c->a.nh = nh;
    c->a.tls = sip->sip_via && sip->sip_via->v_protocol &&
               strcasestr(sip->sip_via->v_protocol, "TLS") != NULL;
    nua_handle_bind(nh, &c->a);
    snprintf(c->invite_key, sizeof c->invite_key, "%s", key);
    sp_dedup_add(self->dedup, key, cc_mono_ms());
    if (sip->sip_call_id)
        snprintf(c->a.callid, sizeof c->a.callid, "%s", sip->sip_call_id->i_id);
    const char *from_user = sip->sip_from->a_url->url_user;
    snprintf(c->caller, sizeof c->caller, "%s",
             user ? user->ext : (from_user ? from_user : "anonymous"));
    const char *dialled = sip->sip_request->rq_url->url_user;
    snprintf(c->callee, sizeof c->callee, "%s", dialled ? dialled : "");
    snprintf(c->source, sizeof c->source, "%s", src.hostport);
    if (trunk_in)
        snprintf(c->trunk, sizeof c->trunk, "%s", trunk_in->name);
    c->srtp_a = user ? user->srtp : trunk_in ? trunk_in->srtp : SP_SRTP_OPTIONAL;
    c->offer = sp_call_body(sip);
    char code[4], digits[24], agent[16];
    sp_monitor_mode_t mode;
    if (user && sp_monitor_match(c->callee, &mode, agent, sizeof agent)) {
        snprintf(c->direction, sizeof c->direction, "internal");
        char target[8];
        snprintf(target, sizeof target, "*2%d", mode + 1);
        sp_call_publish_created(c, "feature", target);
        sp_monitor_start(c, mode, agent);
        return;
    }
    sp_pickup_mode_t pickup;
    if (user && sp_pickup_match(c->callee, &pickup, agent, sizeof agent)) {
        snprintf(c->direction, sizeof c->direction, "internal");
        sp_call_publish_created(c, "feature", c->callee);
        sp_callpickup_start(c, pickup, agent);
        return;
    }
    if (user && sp_park_slot_number(&self->park, c->callee) > 0) {
        snprintf(c->direction, sizeof c->direction, "internal");
        sp_call_publish_created(c, "feature", c->callee);
        sp_callpark_retrieve(c, c->callee);
        return;
    }
    if (user && sp_feature_match(c->callee, code, sizeof code, digits, sizeof digits)) {
        snprintf(c->direction, sizeof c->direction, "internal");
        char target[8];
        snprintf(target, sizeof target, "*%s", code);
        sp_call_publish_created(c, "feature", target);
        sp_feature_start(c, code, digits);
        return;
    }
    const cc_route_t *route =
        c->callee[0] ? cc_dialplan_match(sp_directory_dialplan(self->dir), c->callee) : NULL;
    cc_route_t by_caller;
    route = sp_screen_reroute(c, route, &by_caller);
    if (trunk_in)
        snprintf(c->direction, sizeof c->direction, "inbound");
    else if (route && route->kind == CC_TARGET_TRUNK)
        snprintf(c->direction, sizeof c->direction, "outbound");
    else
        snprintf(c->direction, sizeof c->direction, "internal");
    if (route && route->kind == CC_TARGET_TRUNK && !trunk_in)
        snprintf(c->trunk, sizeof c->trunk, "%s", route->target);
    sp_call_publish_created(c, route ? cc_target_kind_name(route->kind) : NULL,
                            route ? route->target : NULL);
    if (!route) {
        sp_call_end(c, SP_END_NOT_FOUND, 0);
        return;
    }
    if (sp_screen_refuse(c, sip, user, route))
        return;
    c->route_kind = route->kind;
    snprintf(c->route_target, sizeof c->route_target, "%s", route->target);
    s_route(c, route);
}

/* ---- SIP events of a call ---------------------------------------------------------- */

/* The connected callee left: the call ends, or goes back to its controller. */
static void s_callee_gone(sp_call_t *c)
{
    if (c->controller[0] && c->att.on_hangup_return && c->state == SP_CALL_ANSWERED && c->a.nh) {
        sp_callctl_callee_left(c, "callee_hangup");
        return;
    }
    sp_call_end(c, SP_END_CALLEE_BYE, 0);
}

void sp_b2bua_event(sp_proxy_t *self, nua_event_t event, int status, const char *phrase,
                    nua_handle_t *nh, struct sp_leg *leg, const sip_t *sip, tagi_t tags[])
{
    (void)self, (void)phrase, (void)nh;
    sp_call_t *c = leg->call;
    switch (event) {
    case nua_r_invite:
        if (leg->reinvite) {
            if (status >= 200)
                sp_reinvite_answered(c, leg, status, sip);
            break;
        }
        if (!leg->is_a)
            sp_fork_response(c, leg, status, sip);
        break;
    case nua_i_refer:
        sp_transfer_refer(c, leg, status, sip);
        break;
    case nua_i_info:
        sp_info(c, leg, sip);
        break;
    case nua_i_invite: /* re-INVITE inside an existing dialog */
        sp_reinvite(c, leg, sip);
        break;
    case nua_i_cancel:
        if (leg->is_a) {
            leg->final = true; /* the stack answered 487 */
            sp_call_end(c, SP_END_CALLER_CANCEL, 0);
        }
        break;
    case nua_i_bye:
        if (c->tw.mix_id && sp_threeway_leg_left(c, leg))
            break; /* the merging party left a three-way call: the others continue */
        if (c->park.slot && sp_callpark_leg_left(c, leg))
            break; /* the parker hung up while its slot was read out: the call stays */
        if (leg->is_a)
            sp_call_end(c, SP_END_CALLER_BYE, 0);
        else if (leg == c->winner)
            s_callee_gone(c);
        break;
    case nua_i_state: {
        int state = nua_callstate_init;
        tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
        if (state != nua_callstate_terminated)
            break;
        s_release(leg);
        if (c->state < SP_CALL_ENDING) {
            if (leg->is_a)
                sp_call_end(
                    c, c->state == SP_CALL_ANSWERED ? SP_END_CALLER_BYE : SP_END_CALLER_CANCEL, 0);
            else if (leg == c->winner && !(c->park.slot && sp_callpark_leg_left(c, leg)))
                s_callee_gone(c); /* (a parker that left leaves its call parked) */
            else if (!leg->final)
                sp_fork_leg_failed(c, leg, 408);
        }
        sp_call_maybe_free(c);
        break;
    }
    default:
        break;
    }
}
