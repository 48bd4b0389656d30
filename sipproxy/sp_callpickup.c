/* sp_callpickup.c - call pickup glue: a phone dials *8 (a call ringing another phone of
 * its pickup group) or **EXT (a call ringing that extension). The ringing calls are
 * gathered here, sp_pickup.c chooses; the picker's INVITE is answered on an endpoint of
 * its own, the chosen call's ringing phones get CANCEL, and the picker's leg and endpoint
 * move into that call as its connected callee (as an attended transfer moves a leg), so
 * the caller gets its 200 OK and talks to the picker through mediad. The picker's own call
 * ends at once. Nothing to take: 404 before anything is answered. */
#include "sp_call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "sp_pickup.h"

#define S_MAX_CANDS 64

typedef struct {
    const sp_call_t *self;
    sp_pickup_cand_t cands[S_MAX_CANDS];
    sp_call_t *calls[S_MAX_CANDS];
    size_t n;
} s_gather_t;

/* A direct call ringing extensions, nobody answered, no controller or transfer in it:
 * each extension it rings is a candidate. */
static void s_gather(sp_call_t *c, void *arg)
{
    s_gather_t *g = arg;
    if (c == g->self || c->state < SP_CALL_CALLING || c->state >= SP_CALL_ANSWERED ||
        !c->att.active || c->att.originate || c->att.transfer || c->att.from_controller ||
        c->controller[0] || c->a.final || !c->a.nh || c->ea.id <= 0 || c->eb.id <= 0 ||
        c->creates_pending > 0)
        return;
    sp_directory_t *dir = c->proxy->dir;
    for (int i = 0; i < c->nb && g->n < S_MAX_CANDS; i++) {
        const struct sp_leg *b = c->b[i];
        if (b->attempt != c->att.id || b->final || !b->nh || strncmp(b->target, "ext:", 4) != 0)
            continue;
        sp_pickup_cand_t *k = &g->cands[g->n];
        k->call_id = c->id;
        k->ext = b->target + 4;
        k->group = sp_directory_pickup_group(dir, k->ext);
        k->caller = c->caller;
        k->since = c->created_ms;
        g->calls[g->n++] = c;
    }
}

/* The call c's pickup takes now, or NULL (why logged, c's reason set). */
static sp_call_t *s_choose(sp_call_t *c, const char **rung)
{
    s_gather_t *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->self = c;
    sp_b2bua_foreach(c->proxy, s_gather, g);
    cc_log_set_call(c->id);
    size_t i = 0;
    sp_pickup_result_t r = sp_pickup_choose(c->pickup.mode, c->caller, c->pickup.group,
                                            c->pickup.ext, g->cands, g->n, &i);
    sp_call_t *t = NULL;
    if (r == SP_PICKUP_FOUND) {
        t = g->calls[i];
        *rung = g->cands[i].ext; /* a leg's target: lives as long as t */
    } else {
        snprintf(c->reason, sizeof c->reason, "%s",
                 r == SP_PICKUP_NO_GROUP ? "pickup: the extension is in no pickup group"
                                         : "pickup: no call ringing to pick up");
        cc_info("call.pickup_refused", "ext=%s mode=%s target=%s reason=%s", c->caller,
                c->pickup.mode == SP_PICKUP_GROUP ? "group" : "directed",
                cc_logq(c->pickup.mode == SP_PICKUP_GROUP ? c->pickup.group : c->pickup.ext),
                r == SP_PICKUP_NO_GROUP ? "no_group" : "nothing_ringing");
    }
    free(g);
    return t;
}

/* t stops ringing: every unanswered leg of its attempt gets CANCEL, and their late
 * answers find a stale attempt (a late 200 gets BYE). */
static void s_stop_ringing(sp_call_t *t)
{
    for (int i = 0; i < t->nb; i++) {
        struct sp_leg *b = t->b[i];
        if (b->attempt == t->att.id && !b->final && b->nh)
            nua_cancel(b->nh, TAG_END());
    }
    t->att.id = ++t->proxy->connect_seq;
    sp_fork_reset(t);
    t->ringing_ext[0] = '\0';
    t->divert.fm_active = false;
}

/* The caller of t gets its 200 OK with the SDP of its own endpoint. -1 when the SDP
 * cannot be made. */
static int s_answer_caller(sp_call_t *t, int codec)
{
    t->a_codec = codec;
    t->a_te = sp_sdp_te(&t->offer_info) ? sp_sdp_te(&t->offer_info) : 101;
    char *sdp = sp_media_sdp_make(t, &t->ea, t->a_codec, t->a_te, SP_DIR_SENDRECV);
    if (!sdp)
        return -1;
    nua_respond(t->a.nh, SIP_200_OK, SP_LEG_CONTACT(&t->a, t->proxy),
                SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
    free(sdp);
    t->a.final = true;
    t->state = (sp_call_state_t)sp_call_next(t->state, SP_EV_ANSWER);
    return 0;
}

/* The codec both the caller of t and the picker offered (the caller's first choice when
 * the picker has it), else the picker's own. */
static int s_common_codec(const sp_call_t *t, const sp_call_t *c)
{
    int want = sp_sdp_codec(&t->offer_info);
    for (int i = 0; i < c->offer_info.npts; i++)
        if (c->offer_info.pts[i] == want)
            return want;
    return c->a_codec;
}

/* The picker's endpoint exists: check again that there is a call to take, answer the
 * picker, and move it into that call. */
static void s_ready(sp_call_t *c)
{
    c->state = (sp_call_state_t)sp_call_next(c->state, SP_EV_MEDIA_READY);
    const char *rung_leg = NULL;
    sp_call_t *t = s_choose(c, &rung_leg);
    if (!t) {
        sp_call_end(c, SP_END_NOT_FOUND, 0);
        return;
    }
    char rung[16];
    snprintf(rung, sizeof rung, "%s", rung_leg);
    c->a_codec = s_common_codec(t, c);
    if (sp_call_answer_here(c) != 0) {
        sp_call_end(c, SP_END_MEDIA_FAILED, 0);
        return;
    }
    char picker[16], picker_id[sizeof c->id];
    snprintf(picker, sizeof picker, "%.15s", c->caller);
    snprintf(picker_id, sizeof picker_id, "%s", c->id);
    snprintf(c->a.target, sizeof c->a.target, "ext:%.60s", picker); /* as a rung leg's */
    int mode = c->pickup.mode;
    char group[sizeof c->pickup.group];
    snprintf(group, sizeof group, "%s", c->pickup.group);

    cc_log_set_call(t->id);
    s_stop_ringing(t);
    int codec = c->a_codec;
    char why[128];
    snprintf(why, sizeof why, "picked up call %s", t->id);
    /* c's leg A and its endpoint become t's callee; c ends and is freed: not used after */
    if (sp_transfer_move_leg(t, c, &c->a, 0, SP_END_CONTROLLER_HANGUP, why) != 0) {
        cc_warn("call.pickup_failed", "reason=out_of_memory");
        sp_call_end(t, SP_END_MEDIA_FAILED, 0);
        return;
    }
    cc_log_set_call(t->id);
    if (s_answer_caller(t, codec) != 0) {
        sp_call_end(t, SP_END_MEDIA_FAILED, 0);
        return;
    }
    snprintf(t->answered_by, sizeof t->answered_by, "%s", picker);
    json_t *f =
        json_pack("{s:s, s:s, s:s, s:s}", "by", picker, "rung", rung, "mode",
                  mode == SP_PICKUP_GROUP ? "group" : "directed", "picker_call_id", picker_id);
    if (f && mode == SP_PICKUP_GROUP)
        json_object_set_new(f, "group", json_string(group));
    cc_bus_publish(t->proxy->bus, "call.picked_up", t->id, f);
    cc_info("call.picked_up", "by=%s rung=%s mode=%s picker_call=%s", picker, rung,
            mode == SP_PICKUP_GROUP ? "group" : "directed", picker_id);
    sp_call_publish_answered(t, NULL);
}

void sp_callpickup_start(sp_call_t *c, int mode, const char *ext)
{
    c->pickup.mode = mode;
    snprintf(c->pickup.ext, sizeof c->pickup.ext, "%s", ext ? ext : "");
    snprintf(c->pickup.group, sizeof c->pickup.group, "%s",
             sp_directory_pickup_group(c->proxy->dir, c->caller));
    snprintf(c->answered_by, sizeof c->answered_by, "feature:%s",
             mode == SP_PICKUP_GROUP ? "*8" : "**");
    cc_info("call.pickup", "ext=%s mode=%s target=%s", c->caller,
            mode == SP_PICKUP_GROUP ? "group" : "directed",
            cc_logq(mode == SP_PICKUP_GROUP ? c->pickup.group : c->pickup.ext));
    const char *rung = NULL;
    if (!s_choose(c, &rung)) { /* nothing to take: 404 at once, nothing answered */
        sp_call_end(c, SP_END_NOT_FOUND, 0);
        return;
    }
    sp_media_answer_offer(c, false, s_ready);
}
