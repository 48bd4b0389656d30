/* sp_callpark.c - call park glue. A party of a connected call blind-transfers it (REFER)
 * to [sipproxy] park_number: the other party takes the first free slot of the lot
 * (sp_park.c decides) and hears its music on hold; the parker hears the slot number read
 * out, then gets the REFER's NOTIFY and BYE (hanging up first is fine). A phone that
 * dials the slot is answered on an endpoint of its own and its leg moves into the parked
 * call as the connected callee (as an attended transfer moves a leg). After
 * park_timeout the call rings the parker again (From "Park <slot>"); answered, it is an
 * ordinary call again; not answered within ring_timeout, the call ends (call.unparked
 * reason timeout, the reason in call.ended says so). The slot stays taken while the
 * parker is rung back, so the call can still be taken from it. */
#include "sp_call.h"

#include <stdio.h>
#include <string.h>

#include "cc_log.h"

#define S_ANNOUNCE_MAX_MS 15000 /* the parker leaves even if mediad never says it has played */

enum {
    S_ANNOUNCING = 1,
    S_WAITING,
    S_RINGBACK,
    S_GAVE_UP
};

static void s_on_timer(sp_proxy_t *p, su_timer_t *t, sp_call_t *c);

static void s_timer(sp_call_t *c, uint64_t ms)
{
    if (!c->park.timer)
        c->park.timer = su_timer_create(su_root_task(c->proxy->root), 1000);
    if (c->park.timer)
        su_timer_set_interval(c->park.timer, s_on_timer, c, (su_duration_t)ms);
}

static void s_publish_unparked(sp_call_t *c, const char *reason, const char *by,
                               const char *retriever_call)
{
    json_t *f = json_pack("{s:i, s:s}", "slot", c->park.slot, "reason", reason);
    if (f && by && by[0])
        json_object_set_new(f, "by", json_string(by));
    if (f && retriever_call)
        json_object_set_new(f, "retriever_call_id", json_string(retriever_call));
    cc_bus_publish(c->proxy->bus, "call.unparked", c->id, f);
    cc_info("call.unparked", "slot=%d reason=%s by=%s", c->park.slot, reason,
            cc_logq(by ? by : ""));
}

/* The call leaves its slot (the event already published). */
static void s_leave_slot(sp_call_t *c)
{
    sp_park_release(&c->proxy->park, c->id);
    c->park.slot = 0;
    c->park.phase = 0;
    if (c->park.timer)
        su_timer_reset(c->park.timer);
}

/* The parker's leg goes (NOTIFY 200 and BYE unless it left by itself); the call waits. */
static void s_parker_leaves(sp_call_t *c, bool left)
{
    struct sp_leg *r = c->winner;
    c->winner = NULL;
    if (r && r->nh && !left) {
        sp_transfer_notify(r, 200);
        nua_bye(r->nh, TAG_END());
    }
    if (r) {
        r->final = true;
        r->attempt = 0;
    }
    c->media_connected = false;
    sp_media_delete(c, false);
    c->hold_a = c->hold_b = false;
    c->park.phase = S_WAITING;
    s_timer(c, (uint64_t)c->proxy->set.park_timeout_s * 1000u);
    cc_info("call.park_waiting", "slot=%d timeout_s=%d", c->park.slot,
            c->proxy->set.park_timeout_s);
}

static void s_on_announce(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result;
    sp_call_t *c = arg;
    if (status != 0 && c->park.phase == S_ANNOUNCING && c->state == SP_CALL_ANSWERED) {
        cc_warn("call.park_announce_failed", "status=%d", status);
        s_parker_leaves(c, false); /* nothing will be read out: done */
    }
}

/* The slot number read out to the parker, digit by digit. */
static void s_announce(sp_call_t *c)
{
    char digits[16];
    snprintf(digits, sizeof digits, "%d", c->park.slot);
    json_t *prompts = json_array();
    for (const char *d = digits; *d; d++) {
        char name[16];
        snprintf(name, sizeof name, "digits/%c", *d);
        json_array_append_new(prompts, json_string(name));
    }
    json_t *args = json_pack("{s:i, s:o}", "endpoint_id", c->eb.id, "prompts", prompts);
    if (!args || sp_media(c, "play.start", args, s_on_announce) != 0)
        s_parker_leaves(c, false);
}

bool sp_callpark_refer(sp_call_t *c, struct sp_leg *from, const char *number)
{
    sp_proxy_t *p = c->proxy;
    if (!sp_park_is_park_number(&p->park, number))
        return false;
    char parker[16] = "";
    if (from->is_a && strcmp(c->direction, "inbound") != 0 && sp_directory_user(p->dir, c->caller))
        snprintf(parker, sizeof parker, "%.15s", c->caller);
    else if (!from->is_a && strncmp(from->target, "ext:", 4) == 0)
        snprintf(parker, sizeof parker, "%.15s", from->target + 4);
    if (c->controller[0] || c->tw.mix_id || c->mon.mode || c->monitored_by) {
        /* acdd/ivrd drive it, or more than two parties are in it: not parked */
        cc_info("call.park_refused", "reason=not_a_plain_call controller=%s", c->controller);
        sp_transfer_notify(from, 403);
        return true;
    }
    int slot = sp_park_take(&p->park, c->id, parker, cc_mono_ms());
    if (slot < 0) {
        cc_info("call.park_refused", "reason=lot_full slots=%d", p->park.count);
        sp_transfer_notify(from, 486);
        return true;
    }
    if (sp_transfer_take_a_side(c, from) != 0) { /* the parked party becomes leg A */
        sp_park_release(&p->park, c->id);
        sp_transfer_notify(from, 500);
        return true;
    }
    c->park.slot = slot;
    c->park.phase = S_ANNOUNCING;
    snprintf(c->park.parker, sizeof c->park.parker, "%s", parker);
    sp_hold_music_of(c, c->ea.id, parker);
    cc_bus_publish(p->bus, "call.parked", c->id,
                   json_pack("{s:i, s:s, s:s, s:i}", "slot", slot, "parker", parker, "parked",
                             c->caller, "timeout_s", p->set.park_timeout_s));
    cc_info("call.parked", "slot=%d parker=%s parked=%s", slot, cc_logq(parker),
            cc_logq(c->caller));
    s_timer(c, S_ANNOUNCE_MAX_MS);
    if (c->eb.id > 0 && c->winner && c->winner->nh)
        s_announce(c);
    else
        s_parker_leaves(c, false);
    return true;
}

bool sp_callpark_media_event(sp_call_t *c, const char *type, json_t *body)
{
    if (strcmp(type, "media.play_done") != 0 || c->park.phase != S_ANNOUNCING)
        return false;
    if (json_integer_value(json_object_get(body, "endpoint_id")) != c->eb.id)
        return false;
    s_parker_leaves(c, false);
    return true;
}

bool sp_callpark_leg_left(sp_call_t *c, struct sp_leg *leg)
{
    if (c->park.phase != S_ANNOUNCING || leg->is_a || leg != c->winner)
        return false;
    s_parker_leaves(c, true); /* it said BYE (answered by the stack) or is gone */
    return true;
}

/* ---- ringing the parker back ------------------------------------------------------- */

static void s_ringback_ready(sp_call_t *c)
{
    if (!c->att.active || c->att.ndials == 0 || c->park.phase != S_RINGBACK) {
        sp_media_delete(c, false);
        return;
    }
    sp_fork_send(c);
}

static void s_give_up(sp_call_t *c, const char *why)
{
    c->park.phase = S_GAVE_UP;
    snprintf(c->reason, sizeof c->reason, "parked at %d and not taken; %.80s", c->park.slot, why);
    sp_call_end(c, SP_END_CONTROLLER_HANGUP, 0);
}

static void s_ring_back(sp_call_t *c)
{
    sp_proxy_t *p = c->proxy;
    if (!c->park.parker[0]) {
        s_give_up(c, "no extension to return it to");
        return;
    }
    sp_fork_reset(c);
    sp_attempt_t *att = &c->att;
    att->id = ++p->connect_seq;
    att->from_controller = att->originate = att->on_hangup_return = false;
    att->transfer = true; /* what fails is handed to sp_callpark_return_failed */
    att->timeout_s = 0;
    att->best_code = 0;
    att->headers[0] = '\0';
    snprintf(att->caller_name, sizeof att->caller_name, "Park %d", c->park.slot);
    snprintf(att->fail_target, sizeof att->fail_target, "ext:%s", c->park.parker);
    cc_info("call.park_return", "slot=%d parker=%s", c->park.slot, c->park.parker);
    c->park.phase = S_RINGBACK;
    int code = sp_fork_resolve_target(c, att->fail_target);
    if (code) {
        att->transfer = false;
        sp_callpark_return_failed(c, code);
        return;
    }
    att->active = true;
    c->eb.srtp = sp_srtp_offer(sp_fork_target_srtp(p, att->fail_target));
    sp_media_create(c, false, false, NULL, s_ringback_ready);
}

static void s_on_timer(sp_proxy_t *p, su_timer_t *t, sp_call_t *c)
{
    (void)p;
    su_timer_reset(t);
    if (c->state != SP_CALL_ANSWERED || !c->park.slot)
        return;
    cc_log_set_call(c->id);
    if (c->park.phase == S_ANNOUNCING)
        s_parker_leaves(c, false);
    else if (c->park.phase == S_WAITING)
        s_ring_back(c);
    cc_log_set_call(NULL);
}

void sp_callpark_answered(sp_call_t *c)
{
    char parker[16];
    snprintf(parker, sizeof parker, "%s", c->park.parker);
    s_publish_unparked(c, "returned", parker, NULL);
    s_leave_slot(c);
}

void sp_callpark_return_failed(sp_call_t *c, int code)
{
    char why[96];
    snprintf(why, sizeof why, "%s did not answer the ring-back (%d)", c->park.parker, code);
    s_give_up(c, why);
}

void sp_callpark_call_ending(sp_call_t *c)
{
    s_publish_unparked(c, c->park.phase == S_GAVE_UP ? "timeout" : "hangup", NULL, NULL);
    s_leave_slot(c);
}

/* ---- taking a parked call by dialling its slot ------------------------------------- */

/* The parked call in slot n, if it can be taken. */
static sp_call_t *s_parked_at(sp_proxy_t *p, int n)
{
    const sp_park_slot_t *s = sp_park_at(&p->park, n);
    sp_call_t *t = s ? sp_call_find(p, s->call_id) : NULL;
    /* not while an endpoint is being made for it (the ring-back's): it would land where
     * the taker's endpoint goes */
    return t && t->state == SP_CALL_ANSWERED && t->park.slot == n && t->a.nh &&
                   t->creates_pending == 0
               ? t
               : NULL;
}

/* t stops ringing its parker back (CANCEL; late answers find a stale attempt). */
static void s_stop_ringback(sp_call_t *t)
{
    for (int i = 0; i < t->nb; i++) {
        struct sp_leg *b = t->b[i];
        if (b->attempt == t->att.id && !b->final && b->nh && b != t->winner)
            nua_cancel(b->nh, TAG_END());
    }
    t->att.id = ++t->proxy->connect_seq;
    sp_fork_reset(t);
    t->att.transfer = false;
}

static void s_retrieve_ready(sp_call_t *c)
{
    sp_proxy_t *p = c->proxy;
    c->state = (sp_call_state_t)sp_call_next(c->state, SP_EV_MEDIA_READY);
    int n = sp_park_slot_number(&p->park, c->callee);
    sp_call_t *t = s_parked_at(p, n);
    if (!t) {
        snprintf(c->reason, sizeof c->reason, "park: slot %s is empty", c->callee);
        sp_call_end(c, SP_END_NOT_FOUND, 0);
        return;
    }
    for (int i = 0; i < c->offer_info.npts; i++) /* the parked party's codec, if offered */
        if (c->offer_info.pts[i] == t->a_codec)
            c->a_codec = t->a_codec;
    if (sp_call_answer_here(c) != 0) {
        sp_call_end(c, SP_END_MEDIA_FAILED, 0);
        return;
    }
    char by[16], by_call[sizeof c->id], why[128];
    snprintf(by, sizeof by, "%.15s", c->caller);
    snprintf(by_call, sizeof by_call, "%s", c->id);
    snprintf(c->a.target, sizeof c->a.target, "ext:%.60s", by);
    snprintf(why, sizeof why, "took parked call %s from slot %d", t->id, n);
    cc_log_set_call(t->id);
    if (t->park.phase == S_ANNOUNCING)
        s_parker_leaves(t, false);
    else if (t->park.phase == S_RINGBACK)
        s_stop_ringback(t);
    s_publish_unparked(t, "retrieved", by, by_call);
    s_leave_slot(t);
    /* c's leg A and endpoint become t's callee; c ends and is freed: not used after */
    if (sp_transfer_move_leg(t, c, &c->a, 0, SP_END_CONTROLLER_HANGUP, why) != 0) {
        cc_warn("call.unpark_failed", "reason=out_of_memory");
        return;
    }
    cc_log_set_call(t->id);
    cc_info("call.park_taken", "slot=%d by=%s", n, by);
}

bool sp_callpark_retrieve(sp_call_t *c, const char *number)
{
    sp_proxy_t *p = c->proxy;
    int n = sp_park_slot_number(&p->park, number);
    if (n < 0)
        return false;
    snprintf(c->answered_by, sizeof c->answered_by, "park:%d", n);
    if (!s_parked_at(p, n)) {
        cc_info("call.unpark_refused", "slot=%d reason=empty", n);
        snprintf(c->reason, sizeof c->reason, "park: slot %d is empty", n);
        sp_call_end(c, SP_END_NOT_FOUND, 0);
        return true;
    }
    sp_media_answer_offer(c, false, s_retrieve_ready);
    return true;
}

json_t *sp_callpark_list(sp_proxy_t *p)
{
    json_t *list = json_array();
    uint64_t now = cc_mono_ms();
    for (int i = 0; list && i < p->park.count; i++) {
        const sp_park_slot_t *s = &p->park.slots[i];
        if (!s->used)
            continue;
        sp_call_t *c = sp_call_find(p, s->call_id);
        json_array_append_new(list, json_pack("{s:i, s:s, s:s, s:s, s:I, s:s}", "slot", s->number,
                                              "call_id", s->call_id, "parker", s->parker, "parked",
                                              c ? c->caller : "", "seconds",
                                              (json_int_t)((now - s->parked_ms) / 1000), "state",
                                              !c                              ? "gone"
                                              : c->park.phase == S_RINGBACK   ? "ringing_parker"
                                              : c->park.phase == S_ANNOUNCING ? "announcing"
                                                                              : "waiting"));
    }
    return list;
}
