/* sp_feature.c - feature codes dialled from a phone (*45 log in, *46 log out, *47[digit]
 * pause, *48 ready; *33 three-way, sp_threeway.c's; *97 own mailbox, *98 any mailbox,
 * handed to ivrd's voicemail menu like a controlled call; *78 and *79 DND on/off, *72<number>
 * and *73 forward always on/off, sp_forward.c's), checked before the dialplan:
 * sipproxy answers, asks acdd
 * (agent.feature), plays the prompt acdd names (or the configured ok/failed prompt) and
 * hangs up when it has played. Mid-call codes (*1, *2, ...) are DTMF, not dialled
 * numbers, and are recorderd's business. */
#include "sp_call.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"

#define S_FEATURE_MAX_MS 20000 /* hang up even if mediad never says the prompt ended */

bool sp_feature_match(const char *dialled, char *code, size_t codelen, char *digits,
                      size_t digitslen)
{
    if (!dialled || dialled[0] != '*' || !isdigit((unsigned char)dialled[1]) ||
        !isdigit((unsigned char)dialled[2]))
        return false;
    char c[3] = {dialled[1], dialled[2], '\0'};
    const char *rest = dialled + 3;
    bool known = !strcmp(c, "45") || !strcmp(c, "46") || !strcmp(c, "47") || !strcmp(c, "48") ||
                 !strcmp(c, "33") || !strcmp(c, "97") || !strcmp(c, "98") || !strcmp(c, "78") ||
                 !strcmp(c, "79") || !strcmp(c, "72") || !strcmp(c, "73");
    size_t n = strlen(rest);
    bool fwd = strcmp(c, "72") == 0; /* *72 and the number to forward to */
    if (!known ||
        n > (fwd                    ? 20u
             : strcmp(c, "47") == 0 ? 1u
                                    : 0u) ||
        (fwd && n < 2) || n >= digitslen)
        return false;
    for (const char *p = rest; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    snprintf(code, codelen, "%s", c);
    snprintf(digits, digitslen, "%s", rest);
    return true;
}

static void s_on_timeout(sp_proxy_t *p, su_timer_t *t, sp_call_t *c)
{
    (void)p, (void)t;
    cc_log_set_call(c->id);
    sp_call_end(c, SP_END_CONTROLLER_HANGUP, 0);
    cc_log_set_call(NULL);
}

static void s_on_played(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result;
    sp_call_t *c = arg;
    if (status != 0 && c->state < SP_CALL_ENDING) { /* nothing will play: done */
        cc_warn("call.feature_prompt_failed", "status=%d", status);
        sp_call_end(c, SP_END_CONTROLLER_HANGUP, 0);
    }
}

static void s_play(sp_call_t *c, const char *prompt)
{
    cc_info("call.feature_prompt", "prompt=%s", cc_logq(prompt));
    json_t *args = json_pack("{s:i, s:[s]}", "endpoint_id", c->ea.id, "prompts", prompt);
    sp_media(c, "play.start", args, s_on_played);
}

static void s_on_acdd(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    sp_call_t *c = arg;
    if (c->state >= SP_CALL_ENDING)
        return;
    const char *prompt = status == 0 ? json_string_value(json_object_get(result, "prompt")) : NULL;
    if (status != 0)
        cc_info("call.feature_failed", "code=%s status=%d error=%s", c->feature, status,
                cc_logq(status == -EPROTO ? json_string_value(json_object_get(result, "code"))
                                          : "timeout"));
    snprintf(c->reason, sizeof c->reason, "feature code *%s %s", c->feature,
             status == 0 ? "done" : "failed");
    s_play(c, prompt && prompt[0] ? prompt
              : status == 0       ? c->proxy->set.feature_ok_prompt
                                  : c->proxy->set.feature_failed_prompt);
}

/* The caller's endpoint exists: answer, then ask acdd. */
static void s_ready(sp_call_t *c)
{
    c->state = (sp_call_state_t)sp_call_next(c->state, SP_EV_MEDIA_READY);
    if (sp_call_answer_here(c) != 0) {
        sp_call_end(c, SP_END_MEDIA_FAILED, 0);
        return;
    }
    if (!c->att.timer)
        c->att.timer = su_timer_create(su_root_task(c->proxy->root), 1000);
    if (c->att.timer)
        su_timer_set_interval(c->att.timer, s_on_timeout, c, S_FEATURE_MAX_MS);
    int fwd = sp_forward_feature(c); /* DND and forwarding: sipproxy's own too */
    if (fwd != 0) {
        snprintf(c->reason, sizeof c->reason, "feature code *%s %s", c->feature,
                 fwd > 0 ? "done" : "failed");
        s_play(c, fwd > 0 ? c->proxy->set.feature_ok_prompt : c->proxy->set.feature_failed_prompt);
        return;
    }
    if (strcmp(c->feature, "33") == 0) { /* three-way: sipproxy's own, not the ACD's */
        bool ok = sp_threeway_merge(c) == 0;
        snprintf(c->reason, sizeof c->reason, "feature code *33 %s", ok ? "done" : "failed");
        s_play(c, ok ? c->proxy->set.feature_ok_prompt : c->proxy->set.feature_failed_prompt);
        return;
    }
    json_t *args = json_pack("{s:s, s:s, s:s}", "ext", c->caller, "code", c->feature, "digits",
                             c->feature_digits);
    if (!cc_bus_request(c->proxy->bus, &c->bus, "acdd", "agent.feature", args,
                        c->proxy->set.controller_timeout_ms, s_on_acdd, c))
        s_play(c, c->proxy->set.feature_failed_prompt);
}

/* *97 / *98: the caller's endpoint exists: ivrd runs the mailbox menu (vm.menu). */
static void s_vm_ready(sp_call_t *c)
{
    c->state = (sp_call_state_t)sp_call_next(c->state, SP_EV_MEDIA_READY);
    sp_callctl_handover(c);
}

void sp_feature_start(sp_call_t *c, const char *code, const char *digits)
{
    if (strcmp(code, "97") == 0 || strcmp(code, "98") == 0) {
        snprintf(c->feature, sizeof c->feature, "%s", code);
        c->route_kind = CC_TARGET_VOICEMAIL;
        snprintf(c->route_target, sizeof c->route_target, "%s", code[1] == '7' ? c->caller : "");
        snprintf(c->controller, sizeof c->controller, "ivrd");
        snprintf(c->answered_by, sizeof c->answered_by, "vm:menu");
        cc_info("call.feature", "ext=%s code=%s", c->caller, code);
        sp_media_answer_offer(c, true, s_vm_ready);
        return;
    }
    snprintf(c->feature, sizeof c->feature, "%s", code);
    snprintf(c->feature_digits, sizeof c->feature_digits, "%s", digits);
    snprintf(c->answered_by, sizeof c->answered_by, "feature:*%s", code);
    cc_info("call.feature", "ext=%s code=%s digits=%s", c->caller, code, digits);
    sp_media_answer_offer(c, false, s_ready);
}

void sp_feature_media_event(sp_call_t *c, const char *type)
{
    if (c->controller[0]) { /* the mailbox menu: ivrd's prompts are ivrd's business */
        if (strcmp(type, "media.timeout") == 0)
            sp_call_end(c, SP_END_MEDIA_TIMEOUT, 0);
        return;
    }
    if (strcmp(type, "media.play_done") == 0 && c->state == SP_CALL_ANSWERED)
        sp_call_end(c, SP_END_CONTROLLER_HANGUP, 0);
}
