/* ivrd_leg.c - the bus bookkeeping of one caller's leg driven by an ivrd feature (see
 * ivrd_leg.h). A prompt's play.start reply and its media.play_done may arrive in either
 * order (the event travels on the event socket, the reply on the command socket): a done
 * that comes first is remembered and matched when the reply names its play id. */
#include "ivrd_leg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cc_log.h"

#define S_CMD_TIMEOUT_MS 3000
#define S_REAP_MS 20000 /* hung up but no call.ended: forget the leg anyway */

static cc_bus_t *s_bus(const ivrd_leg_t *leg)
{
    return leg->ivrd->daemon->bus;
}

static cc_loop_t *s_loop(const ivrd_leg_t *leg)
{
    return leg->ivrd->daemon->loop;
}

static void s_cancel(cc_loop_t *loop, int *timer_id)
{
    if (*timer_id > 0)
        cc_loop_timer_cancel(loop, *timer_id);
    *timer_id = 0;
}

bool ivrd_leg_init(ivrd_leg_t *leg, ivrd_t *ivrd, const char *what, const char *call_id,
                   int endpoint_id, const ivrd_leg_calls_t *calls, void *arg)
{
    if (strlen(call_id) >= sizeof leg->call_id)
        return false;
    memset(leg, 0, sizeof *leg);
    leg->ivrd = ivrd;
    leg->what = what;
    leg->calls = calls;
    leg->arg = arg;
    leg->endpoint_id = endpoint_id;
    snprintf(leg->call_id, sizeof leg->call_id, "%s", call_id);
    return true;
}

void ivrd_leg_release(ivrd_leg_t *leg)
{
    cc_bus_owner_cancel(s_bus(leg), &leg->requests);
    s_cancel(s_loop(leg), &leg->timer_id);
    s_cancel(s_loop(leg), &leg->reap_timer);
    leg->play_req = 0;
}

cc_bus_handle_t ivrd_leg_request(ivrd_leg_t *leg, const char *target, const char *cmd, json_t *args,
                                 cc_bus_reply_fn *on_reply)
{
    cc_bus_handle_t h =
        cc_bus_request(s_bus(leg), on_reply ? &leg->requests : NULL, target, cmd, args,
                       S_CMD_TIMEOUT_MS, on_reply, on_reply ? leg->arg : NULL);
    if (!h)
        cc_warn("ivr.leg_send_failed", "feature=%s cmd=%s target=%s", leg->what, cmd, target);
    return h;
}

/* ---- prompts ------------------------------------------------------------------------------ */

static void s_play_done(ivrd_leg_t *leg)
{
    leg->md_play = 0;
    leg->finished = 0;
    leg->calls->play_done(leg->arg);
}

static void s_on_play_reply(cc_bus_t *bus, int status, json_t *result, void *arg);

/* Unlike ivrd_leg_request, play.start's reply comes back to the leg itself, which pairs it
 * with media.play_done before telling the feature. */
void ivrd_leg_play(ivrd_leg_t *leg, const char *const *prompts, size_t n, const char *language,
                   int barge_in)
{
    if (leg->play_req)
        cc_bus_cancel(s_bus(leg), leg->play_req);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(prompts[i]));
    json_t *args = json_pack("{s:i, s:o, s:s}", "endpoint_id", leg->endpoint_id, "prompts", list,
                             "language", language && language[0] ? language : "en");
    if (barge_in >= 0)
        json_object_set_new(args, "barge_in", json_boolean(barge_in));
    leg->md_play = 0;
    leg->finished = 0;
    leg->play_req = cc_bus_request(s_bus(leg), &leg->requests, "mediad", "play.start", args,
                                   S_CMD_TIMEOUT_MS, s_on_play_reply, leg);
    if (!leg->play_req)
        cc_warn("ivr.leg_send_failed", "feature=%s cmd=play.start target=mediad", leg->what);
}

static void s_on_play_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    ivrd_leg_t *leg = arg;
    leg->play_req = 0;
    if (status != 0) {
        cc_warn("ivr.leg_play_failed", "feature=%s error=%s", leg->what,
                cc_logq(status == -EPROTO ? json_string_value(json_object_get(result, "message"))
                                          : "no reply"));
        s_play_done(leg); /* go on as if played */
        return;
    }
    leg->md_play = json_integer_value(json_object_get(result, "play_id"));
    if (leg->md_play && leg->finished == leg->md_play)
        s_play_done(leg);
}

void ivrd_leg_stop_play(ivrd_leg_t *leg)
{
    if (leg->play_req)
        cc_bus_cancel(s_bus(leg), leg->play_req);
    leg->play_req = 0;
    ivrd_leg_request(leg, "mediad", "play.stop",
                     json_pack("{s:i}", "endpoint_id", leg->endpoint_id), NULL);
}

void ivrd_leg_play_event(ivrd_leg_t *leg, json_int_t play_id, bool waiting)
{
    if (!waiting)
        return;
    if (leg->md_play == play_id)
        s_play_done(leg);
    else if (leg->md_play == 0 && leg->play_req)
        leg->finished = play_id; /* the reply is on its way */
}

bool ivrd_leg_media_event_ours(const ivrd_leg_t *leg, const cc_bus_event_t *ev)
{
    return !leg->ended &&
           json_integer_value(json_object_get(ev->body, "endpoint_id")) == leg->endpoint_id;
}

/* ---- timers and the end ------------------------------------------------------------------- */

static void s_on_timer(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop, (void)timer_id;
    ivrd_leg_t *leg = arg;
    leg->timer_id = 0;
    cc_log_set_call(leg->call_id);
    leg->calls->timer(leg->arg);
    cc_log_set_call(NULL);
}

void ivrd_leg_timer_at(ivrd_leg_t *leg, int64_t at_ms)
{
    s_cancel(s_loop(leg), &leg->timer_id);
    if (!at_ms)
        return;
    int64_t delay = at_ms - ivrd_now_ms(leg->ivrd);
    leg->timer_id =
        cc_loop_timer_add(s_loop(leg), delay > 0 ? (uint64_t)delay : 0, 0, s_on_timer, leg);
}

static void s_on_reap(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop, (void)timer_id;
    ivrd_leg_t *leg = arg;
    leg->reap_timer = 0;
    leg->ended = true;
    cc_log_set_call(leg->call_id);
    cc_warn("ivr.leg_reaped", "feature=%s reason=\"no call.ended after hangup\"", leg->what);
    leg->calls->reaped(leg->arg); /* may free the leg */
    cc_log_set_call(NULL);
}

void ivrd_leg_hangup(ivrd_leg_t *leg, const char *reason)
{
    if (leg->hangup_sent || leg->ended)
        return;
    leg->hangup_sent = true;
    ivrd_leg_request(leg, "sipproxy", "call.hangup",
                     json_pack("{s:s, s:s}", "call_id", leg->call_id, "reason", reason), NULL);
    if (leg->reap_timer <= 0)
        leg->reap_timer = cc_loop_timer_add(s_loop(leg), S_REAP_MS, 0, s_on_reap, leg);
}

void ivrd_leg_ended(ivrd_leg_t *leg)
{
    leg->ended = true;
    s_cancel(s_loop(leg), &leg->reap_timer);
}
