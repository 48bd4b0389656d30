/* sp_screen.c - screening and calling permissions at the start of an incoming call, after
 * call.created and before routing: the decisions are common/cc_screen.h's (rules loaded
 * with the directory); this file takes the caller's identity out of the INVITE, applies a
 * caller-prefix route, and refuses: busy (486) at once, or the configured prompt as early
 * media (183) and then 486 (blocked) or 403 (not permitted). Either way call.ended says
 * disposition blocked, with the rule as reason. */
#include "sp_call.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cc_log.h"

#define S_MESSAGE_MAX_MS 20000 /* give the final answer even if mediad never says "done" */

/* Privacy: id (RFC 3325) or header (RFC 3323) hides who calls. */
static bool s_privacy_id(const sip_t *sip)
{
    if (!sip->sip_privacy || !sip->sip_privacy->priv_values)
        return false;
    for (msg_param_t const *v = sip->sip_privacy->priv_values; *v; v++)
        if (strcasecmp(*v, "id") == 0 || strcasecmp(*v, "header") == 0)
            return true;
    return false;
}

static bool s_anonymous(const sip_t *sip, const char *caller)
{
    const url_t *from = sip->sip_from->a_url;
    bool invalid_host = from->url_host && strcasecmp(from->url_host, "anonymous.invalid") == 0;
    return invalid_host || cc_screen_is_anonymous(caller, s_privacy_id(sip));
}

const cc_route_t *sp_screen_reroute(sp_call_t *c, const cc_route_t *route, cc_route_t *buf)
{
    const cc_screen_t *screen = sp_directory_screen(c->proxy->dir);
    const char *target = cc_screen_caller_route(screen, c->callee, c->caller);
    if (!target)
        return route;
    char err[128];
    memset(buf, 0, sizeof *buf);
    if (cc_target_parse(target, &buf->kind, buf->target, sizeof buf->target, err, sizeof err)) {
        cc_warn("call.caller_route_invalid", "target=%s reason=%s", cc_logq(target), cc_logq(err));
        return route;
    }
    snprintf(buf->pattern, sizeof buf->pattern, "%s", c->callee);
    if (route) { /* a trunk route's rewriting still applies to the number */
        buf->id = route->id;
        buf->strip = route->strip;
        snprintf(buf->prefix, sizeof buf->prefix, "%s", route->prefix);
    }
    cc_info("call.caller_routed", "caller=%s number=%s target=%s", cc_logq(c->caller),
            cc_logq(c->callee), cc_logq(target));
    return buf;
}

static void s_on_timeout(sp_proxy_t *p, su_timer_t *t, sp_call_t *c)
{
    (void)p, (void)t;
    cc_log_set_call(c->id);
    sp_call_end(c, SP_END_SCREENED, c->screen_code);
    cc_log_set_call(NULL);
}

static void s_on_played(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result;
    sp_call_t *c = arg;
    if (status != 0 && c->state < SP_CALL_ENDING) { /* nothing will play: answer now */
        cc_warn("call.screen_prompt_failed", "status=%d", status);
        sp_call_end(c, SP_END_SCREENED, c->screen_code);
    }
}

/* The caller's endpoint exists: 183 with its SDP, then the prompt. */
static void s_message_ready(sp_call_t *c)
{
    char *sdp = sp_media_sdp_make(c, &c->ea, c->a_codec, c->a_te, SP_DIR_SENDRECV);
    if (!sdp) {
        sp_call_end(c, SP_END_SCREENED, c->screen_code);
        return;
    }
    nua_respond(c->a.nh, SIP_183_SESSION_PROGRESS, SP_LEG_CONTACT(&c->a, c->proxy),
                SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
    free(sdp);
    if (!c->att.timer)
        c->att.timer = su_timer_create(su_root_task(c->proxy->root), 1000);
    if (c->att.timer)
        su_timer_set_interval(c->att.timer, s_on_timeout, c, S_MESSAGE_MAX_MS);
    const sp_settings_t *set = &c->proxy->set;
    const char *prompt = c->screen_code == 403 ? set->not_permitted_prompt : set->blocked_prompt;
    cc_info("call.screen_prompt", "prompt=%s", cc_logq(prompt));
    json_t *args = json_pack("{s:i, s:[s]}", "endpoint_id", c->ea.id, "prompts", prompt);
    sp_media(c, "play.start", args, s_on_played);
}

void sp_screen_media_event(sp_call_t *c, const char *type)
{
    if (strcmp(type, "media.play_done") == 0 && c->state < SP_CALL_ENDING)
        sp_call_end(c, SP_END_SCREENED, c->screen_code);
}

/* Refuse with code: at once, or after the prompt. */
static void s_refuse(sp_call_t *c, int code, bool message, const char *reason)
{
    c->screen_code = code;
    snprintf(c->reason, sizeof c->reason, "%s", reason);
    cc_info("call.screened", "caller=%s callee=%s code=%d action=%s reason=%s", cc_logq(c->caller),
            cc_logq(c->callee), code, message ? "message" : "busy", cc_logq(reason));
    if (!message || !c->offer) {
        sp_call_end(c, SP_END_SCREENED, code);
        return;
    }
    snprintf(c->answered_by, sizeof c->answered_by, "screen");
    sp_media_answer_offer(c, false, s_message_ready);
}

bool sp_screen_refuse(sp_call_t *c, const sip_t *sip, const sp_user_t *user,
                      const cc_route_t *route)
{
    const cc_screen_t *screen = sp_directory_screen(c->proxy->dir);
    if (!screen)
        return false;
    /* an extension dialling out: its class of service */
    if (user && route->kind == CC_TARGET_TRUNK) {
        char why[CC_SCREEN_REASON_MAX];
        if (!cc_screen_may_dial(screen, cc_screen_user_cos(screen, user->ext), c->callee, why,
                                sizeof why)) {
            s_refuse(c, 403, true, why);
            return true;
        }
    }
    /* the caller: blocked or allowed (an extension calling is never anonymous) */
    cc_screen_verdict_t v;
    bool anonymous = !user && s_anonymous(sip, c->caller);
    cc_screen_check(screen, c->caller, anonymous,
                    route->kind == CC_TARGET_EXT ? route->target : NULL, &v);
    if (!v.blocked)
        return false;
    s_refuse(c, 486, v.action == CC_SCREEN_MESSAGE, v.reason);
    return true;
}
