/* sp_forward.c - the glue of per-extension routing: asks sp_divert what to do when a
 * direct call is about to ring an extension (DND, forward always, not registered) and
 * when ringing it failed (busy, no answer, every phone failed), and carries the call on
 * to the new target: another extension or a number (a new connect attempt on the same
 * endpoints; the caller keeps hearing ringing), or a controlled target such as vm:
 * (handed over to its controller with c->divert_reason). Publishes call.diverted. */
#include "sp_call.h"

#include <stdio.h>
#include <string.h>

#include "cc_log.h"
#include "sp_db.h"

static const sp_divert_settings_t *s_settings(sp_call_t *c, const char *ext)
{
    return sp_directory_divert(c->proxy->dir, ext);
}

static void s_publish(sp_call_t *c, const char *from, const sp_divert_t *d)
{
    snprintf(c->divert_reason, sizeof c->divert_reason, "%s", d->reason);
    cc_info("call.diverted", "from=%s to=%s reason=%s hop=%d", cc_logq(from), cc_logq(d->target),
            d->reason, c->divert.hops);
    cc_bus_publish(c->proxy->bus, "call.diverted", c->id,
                   json_pack("{s:s, s:s, s:s, s:i}", "from", from, "to", d->target, "reason",
                             d->reason, "hop", c->divert.hops));
}

/* target ("ext:X", "number:N", "vm:X") -> route and the number to send on; 0 or 404. */
static int s_route_of(sp_call_t *c, const char *target, cc_route_t *r, char *number, size_t len)
{
    if (strncmp(target, "number:", 7) == 0) {
        const cc_route_t *m = cc_dialplan_match(sp_directory_dialplan(c->proxy->dir), target + 7);
        if (!m)
            return 404;
        size_t n = strlen(target + 7);
        if (n >= len)
            return 404;
        *r = *m;
        memcpy(number, target + 7, n + 1);
        return 0;
    }
    char err[128];
    memset(r, 0, sizeof *r);
    if (cc_target_parse(target, &r->kind, r->target, sizeof r->target, err, sizeof err) != 0)
        return 404;
    size_t n = strlen(r->target);
    if (n >= len)
        return 404;
    memcpy(number, r->target, n + 1);
    return 0;
}

/* Ring route r (number: what to send on); plain: a follow-me step, rung without its own
 * settings for ring_s. 0 (dials made), or why nothing can be rung. */
static int s_ring(sp_call_t *c, const cc_route_t *r, const char *number, bool plain, int ring_s)
{
    char label[80];
    snprintf(label, sizeof label, "%.12s:%.63s", cc_target_kind_name(r->kind), r->target);
    snprintf(c->answered_by, sizeof c->answered_by, "%s", r->target);
    snprintf(c->att.fail_target, sizeof c->att.fail_target, "%s", label);
    if (r->kind == CC_TARGET_EXT && !plain)
        snprintf(c->ringing_ext, sizeof c->ringing_ext, "%.15s", r->target);
    c->att.timeout_s = ring_s;
    if (r->kind == CC_TARGET_GROUP) { /* every member at once: one dial per phone */
        char key[SP_DIVERT_TARGET_MAX];
        snprintf(key, sizeof key, "group:%.40s", r->target);
        const sp_divert_settings_t *g = s_settings(c, key);
        int rung = 0;
        for (int i = 0; g && i < g->nfollowme; i++) {
            cc_route_t m = {.kind = CC_TARGET_EXT};
            snprintf(m.target, sizeof m.target, "%s", g->followme[i].target + 4);
            if (sp_fork_resolve_route(c, &m, m.target, g->followme[i].target) == 0)
                rung++;
        }
        return rung > 0 ? 0 : 480;
    }
    return sp_fork_resolve_route(c, r, number, label);
}

/* Settings of the extension whose follow-me runs, or of the one being rung. */
static const sp_divert_settings_t *s_owner(sp_call_t *c)
{
    return s_settings(c, c->divert.fm_active ? c->divert.fm_owner : c->ringing_ext);
}

/* From decision d (NULL: start with route r itself) to dials, following DND, forwarding
 * and follow-me until something can be rung, the call goes to a controller (r then
 * names it), or nothing is left (the SIP code). */
static int s_resolve(sp_call_t *c, cc_route_t *r, char *number, size_t numlen,
                     const sp_divert_t *first, const char *first_from)
{
    sp_divert_t d = {.action = SP_DIVERT_RING};
    char from[80] = "";
    bool plain = false;
    int ring_s = 0, code = 404;
    if (first) {
        d = *first;
        snprintf(from, sizeof from, "%s", first_from);
        goto apply;
    }
    for (;;) {
        if (sp_callctl_controlled(r->kind))
            return 0;
        snprintf(from, sizeof from, "%.12s:%.63s", cc_target_kind_name(r->kind), r->target);
        if (r->kind == CC_TARGET_GROUP && !plain) {
            char key[SP_DIVERT_TARGET_MAX];
            snprintf(key, sizeof key, "group:%.40s", r->target);
            const sp_divert_settings_t *g = s_settings(c, key);
            if (!g)
                return 404;
            d = sp_divert_group_start(&c->divert, key, g,
                                      sp_directory_group_turn(c->proxy->dir, key));
            goto apply;
        }
        if (r->kind != CC_TARGET_EXT || plain) {
            code = s_ring(c, r, number, plain, ring_s);
            if (code == 0 || !c->divert.fm_active)
                return code;
            d = sp_divert_followme_next(&c->divert, s_owner(c)); /* step not ringable */
            goto apply;
        }
        d = sp_divert_before_ring(&c->divert, r->target, s_settings(c, r->target));
        if (d.action == SP_DIVERT_REJECT) {
            cc_info("call.dnd", "ext=%s", r->target);
            snprintf(c->reason, sizeof c->reason, "extension %s on do-not-disturb", r->target);
            return d.code;
        }
        if (d.action == SP_DIVERT_RING) {
            code = s_ring(c, r, number, false, d.ring_s);
            if (code != 480)
                return code;
            d = sp_divert_after_fail(&c->divert, r->target, s_settings(c, r->target),
                                     SP_DIVERT_UNAVAILABLE);
        }
    apply:
        if (d.action != SP_DIVERT_TO && d.action != SP_DIVERT_STEP)
            return code;
        s_publish(c, from, &d);
        if (s_route_of(c, d.target, r, number, numlen) != 0) {
            if (!c->divert.fm_active)
                return 404;
            d = sp_divert_followme_next(&c->divert, s_owner(c));
            goto apply;
        }
        plain = d.action == SP_DIVERT_STEP;
        ring_s = d.ring_s;
        c->ringing_ext[0] = '\0';
        c->route_kind = r->kind;
        snprintf(c->route_target, sizeof c->route_target, "%s", r->target);
    }
}

int sp_forward_resolve(sp_call_t *c, cc_route_t *r, const char *number_in)
{
    char number[CC_NUMBER_MAX];
    snprintf(number, sizeof number, "%s", number_in);
    c->ringing_ext[0] = '\0';
    return s_resolve(c, r, number, sizeof number, NULL, NULL);
}

static void s_detect_done(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result, (void)arg;
    if (status != 0)
        cc_warn("call.dtmf_detect_failed", "status=%d", status);
}

bool sp_forward_failed(sp_call_t *c, int code)
{
    if ((!c->ringing_ext[0] && !c->divert.fm_active) || c->controller[0] ||
        c->state >= SP_CALL_ENDING || !c->a.nh || c->a.final)
        return false;
    char from[80];
    sp_divert_t d;
    if (c->divert.fm_active) {
        snprintf(from, sizeof from, "%s", c->att.fail_target);
        d = sp_divert_followme_next(&c->divert, s_owner(c));
    } else {
        snprintf(from, sizeof from, "ext:%s", c->ringing_ext);
        d = sp_divert_after_fail(&c->divert, c->ringing_ext, s_settings(c, c->ringing_ext),
                                 sp_divert_cond_of(code));
    }
    if (d.action != SP_DIVERT_TO && d.action != SP_DIVERT_STEP)
        return false;
    cc_route_t r = {0};
    char number[CC_NUMBER_MAX] = "";
    c->att.id = ++c->proxy->connect_seq;
    int rc = s_resolve(c, &r, number, sizeof number, &d, from);
    if (rc != 0) {
        sp_call_end(c, rc == 486 ? SP_END_CALLEE_REJECT : SP_END_UNAVAILABLE, rc);
        return true;
    }
    if (sp_callctl_controlled(r.kind)) {
        /* the caller's endpoint stays; the callee's goes; the controller answers */
        snprintf(c->controller, sizeof c->controller, "%s", sp_callctl_controller(r.kind));
        snprintf(c->answered_by, sizeof c->answered_by, "%.12s:%.63s", cc_target_kind_name(r.kind),
                 r.target);
        c->a_codec = sp_sdp_codec(&c->offer_info);
        c->a_te = sp_sdp_te(&c->offer_info);
        c->media_connected = false;
        sp_media_delete(c, false);
        c->ea.dtmf = true;
        sp_media(c, "dtmf.detect", json_pack("{s:i, s:b}", "endpoint_id", c->ea.id, "enable", 1),
                 s_detect_done);
        sp_callctl_handover(c);
        return true;
    }
    sp_fork_send(c);
    return true;
}

int sp_forward_feature(sp_call_t *c)
{
    sp_db_t *db = c->proxy->db;
    const char *code = c->feature, *ext = c->caller;
    if (strcmp(code, "78") && strcmp(code, "79") && strcmp(code, "72") && strcmp(code, "73"))
        return 0;
    if (!db || !sp_directory_user(c->proxy->dir, ext))
        return -1;
    if (strcmp(code, "78") == 0 || strcmp(code, "79") == 0) {
        bool on = strcmp(code, "78") == 0;
        sp_db_set_dnd(db, ext, on);
        cc_info("call.dnd_set", "ext=%s on=%s", ext, on ? "yes" : "no");
        return 1;
    }
    char target[SP_DIVERT_TARGET_MAX] = "";
    if (strcmp(code, "72") == 0) {
        /* the number as dialled: an extension of ours, or whatever the dialplan makes of it */
        const cc_route_t *r =
            cc_dialplan_match(sp_directory_dialplan(c->proxy->dir), c->feature_digits);
        if (!r || strcmp(c->feature_digits, ext) == 0)
            return -1;
        if (r->kind == CC_TARGET_EXT && r->implicit)
            snprintf(target, sizeof target, "ext:%s", c->feature_digits);
        else
            snprintf(target, sizeof target, "number:%s", c->feature_digits);
    }
    sp_db_set_forward_always(db, ext, target);
    cc_info("call.forward_set", "ext=%s always=%s", ext, cc_logq(target));
    return 1;
}
