/* ivrd_call.c - the calls ivrd runs: ivr.start from sipproxy, then per call one ivr_run_t
 * fed with what the bus reports (media.play_done, media.dtmf, call.connect_result,
 * call.connect_ended, call.media_restored, call.ended, the call's timer, lookup answers),
 * and the interpreter's actions turned into commands: call.answer / call.connect /
 * call.hangup to sipproxy, play.start / play.stop / dtmf.detect to mediad on the caller's
 * endpoint, queue.enter to acdd, path rows and surveys to the database worker plus
 * ivr.step / ivr.survey events.
 *
 * Replies and events race (a DEALER and a SUB socket are not ordered against each other),
 * so a play that mediad reports done before its play.start reply arrived is remembered.
 * Each call owns the requests it sends (cc_bus_owner_t): freeing the call cancels them, so
 * a reply only ever reaches a live call. A lookup answer from the database worker finds
 * its call by call id and serial number (the call may have gone, or come back anew). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "cc_map.h"
#include "ivr_run.h"
#include "ivrd_args.h"
#include "ivrd.h"

#define S_CMD_TIMEOUT_MS 3000
#define S_BARGE_WAIT_MS 1500 /* play stopped by a key: wait this long for the key itself */
#define S_REAP_MS 15000      /* hung up but no call.ended: forget the call anyway */
#define S_FINISHED_MAX 4

typedef struct {
    ivrd_calls_t *owner;
    cc_bus_owner_t requests; /* replies this call waits for: cancelled when it goes */
    char call_id[IVRD_CALL_ID_MAX];
    uint64_t serial; /* tells a lookup answer for an earlier run of the id */
    char caller[64], callee[64];
    int endpoint_id;
    ivr_run_t *run;
    json_t *start_vars;    /* until call.answer is answered */
    const char *flow_name; /* the flow's, which the run holds */
    long version;
    int seq; /* path steps so far */
    int timer_id;
    int64_t timer_at;
    unsigned run_play; /* the run's id of the playback in progress (0: none) */
    bool run_play_barge;
    cc_bus_handle_t play_req;            /* its play.start while unanswered (a new play or a stop
                                 * cancels it, so a reply is always for run_play) */
    json_int_t md_play;                  /* mediad's id for it (0: not known yet, or none) */
    json_int_t finished[S_FINISHED_MAX]; /* mediad plays reported done before their reply */
    char finished_reason[S_FINISHED_MAX][12];
    size_t finished_next;
    int barge_timer; /* play stopped by a key, waiting for media.dtmf */
    bool connecting, connected, queued, hangup_sent;
    bool queue_return; /* queued with return_to_ivr: the flow goes on at `then` after the agent */
    int reap_timer;
    int failed_timer; /* a route refused at once: its `failed` branch taken from the loop */
    char agent[300];
} s_call_t;

struct ivrd_calls {
    ivrd_t *ivrd;
    cc_map_t *by_id; /* call_id -> s_call_t */
    uint64_t next_serial;
    ivr_actions_t *out;
    long max_calls, ring_timeout;
    uint64_t started, refused, plays, digits;
};

static void s_apply(s_call_t *c, int rc);
static void s_end(s_call_t *c);
static void s_on_barge_timeout(cc_loop_t *loop, int timer_id, void *arg);

/* ---- helpers ------------------------------------------------------------------------ */

static cc_bus_t *s_bus(const s_call_t *c)
{
    return c->owner->ivrd->daemon->bus;
}

static cc_loop_t *s_loop(const s_call_t *c)
{
    return c->owner->ivrd->daemon->loop;
}

static int64_t s_now(const s_call_t *c)
{
    return ivrd_now_ms(c->owner->ivrd);
}

/* Language directory for mediad: the primary subtag ("en-GB" -> "en", "zh-CN" -> "zh"). */
static void s_language(const s_call_t *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s", ivr_flow_language(ivr_run_flow(c->run)));
    buf[strcspn(buf, "-_")] = '\0';
    if (!buf[0])
        snprintf(buf, len, "en");
}

static void s_cancel(cc_loop_t *loop, int *timer_id)
{
    if (*timer_id > 0)
        cc_loop_timer_cancel(loop, *timer_id);
    *timer_id = 0;
}

/* Send cmd for call c. With on_reply the call owns the request (on_reply gets c as its
 * arg); without, nobody waits for the answer. The handle, or 0 when it could not go. */
static cc_bus_handle_t s_request(s_call_t *c, const char *target, const char *cmd, json_t *args,
                                 cc_bus_reply_fn *on_reply)
{
    cc_bus_handle_t h = cc_bus_request(s_bus(c), on_reply ? &c->requests : NULL, target, cmd, args,
                                       S_CMD_TIMEOUT_MS, on_reply, on_reply ? c : NULL);
    if (!h)
        cc_warn("ivr.send_failed", "cmd=%s target=%s", cmd, target);
    return h;
}

/* The play.start in flight, if any, is of no interest any more. */
static void s_play_forget(s_call_t *c)
{
    if (c->play_req)
        cc_bus_cancel(s_bus(c), c->play_req);
    c->play_req = 0;
}

/* ---- timers --------------------------------------------------------------------------- */

/* The call's timers are its own: each sets the call's log context while it runs. */
static void s_on_timer(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop, (void)timer_id;
    s_call_t *c = arg;
    c->timer_id = 0;
    int64_t now = s_now(c);
    if (now < c->timer_at)
        now = c->timer_at; /* wall clock and the loop's monotonic timer may differ a little */
    cc_log_set_call(c->call_id);
    s_apply(c, ivr_run_timer(c->run, now, c->owner->out));
    cc_log_set_call(NULL);
}

static void s_arm(s_call_t *c, int64_t at)
{
    if (c->timer_id > 0)
        cc_loop_timer_cancel(s_loop(c), c->timer_id);
    c->timer_id = 0;
    c->timer_at = at;
    if (at == 0)
        return;
    int64_t delay = at - s_now(c);
    c->timer_id = cc_loop_timer_add(s_loop(c), delay > 0 ? (uint64_t)delay : 0, 0, s_on_timer, c);
}

/* ---- playback ----------------------------------------------------------------------- */

/* A play of ours ended (mediad's reason). */
static void s_play_finished(s_call_t *c, const char *reason)
{
    unsigned play = c->run_play;
    c->md_play = 0;
    c->run_play = 0;
    if (strcmp(reason, "error") == 0)
        cc_warn("ivr.play_error", "flow=%s node=%s", cc_logq(c->flow_name),
                cc_logq(ivr_run_node(c->run)));
    if (strcmp(reason, "barged_in") == 0 && c->run_play_barge) {
        /* mediad stopped on recognising the key; media.dtmf follows on its release and
         * is what the flow acts on. Without it, the prompt simply counts as played. */
        c->run_play = play;
        s_cancel(s_loop(c), &c->barge_timer);
        c->barge_timer = cc_loop_timer_add(s_loop(c), S_BARGE_WAIT_MS, 0, s_on_barge_timeout, c);
        return;
    }
    s_apply(c, ivr_run_prompt_done(c->run, play, s_now(c), c->owner->out));
}

static void s_on_barge_timeout(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop, (void)timer_id;
    s_call_t *c = arg;
    unsigned play = c->run_play;
    c->barge_timer = 0;
    c->run_play = 0;
    cc_log_set_call(c->call_id);
    s_apply(c, ivr_run_prompt_done(c->run, play, s_now(c), c->owner->out));
    cc_log_set_call(NULL);
}

static void s_on_play_reply(cc_bus_t *bus, int status, json_t *result, void *arg);

static void s_play(s_call_t *c, const ivr_action_t *a)
{
    char lang[16];
    s_language(c, lang, sizeof lang);
    json_t *prompts = json_array();
    for (size_t i = 0; i < a->prompt_count; i++)
        json_array_append_new(prompts, json_string(a->prompts[i]));
    s_cancel(s_loop(c), &c->barge_timer);
    s_play_forget(c); /* superseded */
    c->run_play = a->id;
    c->run_play_barge = a->barge_in;
    c->md_play = 0;
    c->owner->plays++;
    c->play_req =
        s_request(c, "mediad", "play.start",
                  json_pack("{s:i, s:o, s:s, s:b}", "endpoint_id", c->endpoint_id, "prompts",
                            prompts, "language", lang, "barge_in", a->barge_in),
                  s_on_play_reply);
    if (!c->play_req) {
        /* Not from here (this may run inside s_apply): a prompt that cannot be sent counts
         * as played a moment later, so the flow does not wait for it forever. */
        c->barge_timer = cc_loop_timer_add(s_loop(c), 0, 0, s_on_barge_timeout, c);
    }
}

/* play.start's answer, for the play in progress (an older one's request was cancelled). */
static void s_on_play_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_call_t *c = arg;
    c->play_req = 0;
    if (!c->run_play)
        return;
    if (status != 0) {
        json_t *msg = status == -EPROTO ? json_object_get(result, "message") : NULL;
        cc_warn("ivr.play_failed", "flow=%s node=%s error=%s", cc_logq(c->flow_name),
                cc_logq(ivr_run_node(c->run)),
                cc_logq(msg                    ? json_string_value(msg)
                        : status == -ETIMEDOUT ? "timeout"
                                               : "send"));
        s_play_finished(c, "error"); /* go on as if played */
        return;
    }
    c->md_play = json_integer_value(json_object_get(result, "play_id"));
    for (size_t i = 0; i < S_FINISHED_MAX; i++) {
        if (c->finished[i] == c->md_play && c->md_play) {
            c->finished[i] = 0;
            s_play_finished(c, c->finished_reason[i]);
            return;
        }
    }
}

/* ---- actions ------------------------------------------------------------------------ */

static void s_step(s_call_t *c, const ivr_action_t *a)
{
    ivrd_t *ivrd = c->owner->ivrd;
    c->seq++;
    ivrd_db_step(ivrd->db, c->call_id, c->seq, c->flow_name, c->version, a->node, a->input, a->at);
    cc_bus_publish(ivrd->daemon->bus, "ivr.step", c->call_id,
                   json_pack("{s:s, s:I, s:i, s:s, s:s}", "flow", c->flow_name, "version",
                             (json_int_t)c->version, "seq", c->seq, "node", a->node, "input",
                             a->input));
    cc_debug("ivr.step", "flow=%s node=%s input=%s", cc_logq(c->flow_name), cc_logq(a->node),
             cc_logq(a->input));
}

static void s_survey(s_call_t *c, const ivr_action_t *a)
{
    ivrd_t *ivrd = c->owner->ivrd;
    ivrd_db_survey(ivrd->db, c->call_id, c->flow_name, c->version, a->question, a->score, c->agent,
                   s_now(c));
    json_t *ev = json_pack("{s:s, s:s, s:i}", "flow", c->flow_name, "question", a->question,
                           "score", a->score);
    if (c->agent[0])
        json_object_set_new(ev, "agent", json_string(c->agent));
    cc_bus_publish(ivrd->daemon->bus, "ivr.survey", c->call_id, ev);
    cc_info("ivr.survey", "flow=%s question=%s score=%d", cc_logq(c->flow_name),
            cc_logq(a->question), a->score);
}

static json_t *s_vars_json(const ivr_action_t *a)
{
    json_t *vars = json_object();
    for (size_t i = 0; i < a->var_count; i++)
        json_object_set_new(vars, a->vars[i].name, json_string(a->vars[i].value));
    return vars;
}

static void s_on_connect_reply(cc_bus_t *bus, int status, json_t *result, void *arg);
static void s_on_queue_reply(cc_bus_t *bus, int status, json_t *result, void *arg);

/* The run's route_ended may not be fed while s_apply walks the run's actions (they share
 * one buffer): a route refused on the spot goes on from the loop. */
static void s_on_route_failed(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop, (void)timer_id;
    s_call_t *c = arg;
    c->failed_timer = 0;
    cc_log_set_call(c->call_id);
    s_apply(c, ivr_run_route_ended(c->run, false, s_now(c), c->owner->out));
    cc_log_set_call(NULL);
}

static void s_route(s_call_t *c, const ivr_action_t *a)
{
    cc_info("ivr.route", "flow=%s node=%s to=%s target=%s priority=%d skill=%s",
            cc_logq(c->flow_name), cc_logq(ivr_run_node(c->run)), ivr_route_kind_name(a->route),
            cc_logq(a->target), a->priority, cc_logq(a->skill));
    /* a route with `then` wants the caller back when the callee (or agent) hangs up */
    const ivr_node_t *node = ivr_flow_node(
        ivr_run_flow(c->run), ivr_flow_find(ivr_run_flow(c->run), ivr_run_node(c->run)));
    bool come_back = node && node->kind == IVR_NODE_ROUTE && node->u.route.then != IVR_NONE;
    if (a->route == IVR_ROUTE_VOICEMAIL) {
        /* ivrd's own deposit takes the caller's leg; the call ends in the mailbox */
        bool closed = node && node->kind == IVR_NODE_ROUTE && node->u.route.closed;
        ivrd_vm_req_t r = {c->call_id, a->target, closed ? "closed" : "direct",
                           c->caller,  c->callee, c->endpoint_id};
        const char *code = NULL;
        char msg[200];
        if (ivrd_vm_start(c->owner->ivrd->vm, &r, &code, msg, sizeof msg) != 0) {
            cc_warn("ivr.voicemail_refused", "mailbox=%s error=%s", cc_logq(a->target),
                    cc_logq(msg));
            if (c->failed_timer <= 0)
                c->failed_timer = cc_loop_timer_add(s_loop(c), 0, 0, s_on_route_failed, c);
            return;
        }
        c->queued = true; /* like a queue: the mailbox drives the call, call.ended ends ours */
        return;
    }
    if (a->route == IVR_ROUTE_QUEUE) {
        json_t *args = json_pack("{s:s, s:s, s:s, s:i, s:b, s:i, s:o, s:b}", "call_id", c->call_id,
                                 "queue", a->target, "caller", c->caller, "endpoint_id",
                                 c->endpoint_id, "answered", 1, "priority", a->priority,
                                 "variables", s_vars_json(a), "return_to_ivr", come_back);
        if (a->skill && a->skill[0])
            json_object_set_new(args, "skill", json_string(a->skill));
        c->queue_return = come_back;
        s_request(c, "acdd", "queue.enter", args, s_on_queue_reply);
        return;
    }
    char target[300];
    snprintf(target, sizeof target, "%s:%s", a->route == IVR_ROUTE_EXT ? "ext" : "number",
             a->target);
    json_t *args = json_pack("{s:s, s:[s], s:s}", "call_id", c->call_id, "targets", target,
                             "on_callee_hangup", come_back ? "return" : "end");
    const char *name = NULL;
    for (size_t i = 0; i < a->var_count; i++)
        if (strcmp(a->vars[i].name, "name") == 0)
            name = a->vars[i].value;
    if (name && name[0])
        json_object_set_new(args, "caller_name", json_string(name));
    if (c->owner->ring_timeout > 0)
        json_object_set_new(args, "timeout_s", json_integer(c->owner->ring_timeout));
    c->connecting = true;
    c->connected = false;
    snprintf(c->agent, sizeof c->agent, "%s", target);
    s_request(c, "sipproxy", "call.connect", args, s_on_connect_reply);
}

static void s_on_reap(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop, (void)timer_id;
    s_call_t *c = arg;
    c->reap_timer = 0;
    cc_log_set_call(c->call_id);
    cc_warn("ivr.call_reaped", "reason=\"no call.ended after hangup\"");
    s_end(c);
    cc_log_set_call(NULL);
}

static void s_hangup(s_call_t *c, const char *reason)
{
    if (c->hangup_sent)
        return;
    c->hangup_sent = true;
    s_cancel(s_loop(c), &c->barge_timer);
    s_arm(c, 0);
    s_request(c, "sipproxy", "call.hangup",
              json_pack("{s:s, s:s}", "call_id", c->call_id, "reason", reason), NULL);
    if (c->reap_timer <= 0)
        c->reap_timer = cc_loop_timer_add(s_loop(c), S_REAP_MS, 0, s_on_reap, c);
}

/* Carries out what the run asked for after one event. */
static void s_apply(s_call_t *c, int rc)
{
    ivr_actions_t *out = c->owner->out;
    if (rc != 0)
        cc_error("ivr.out_of_memory", NULL);
    size_t n = ivr_actions_size(out);
    for (size_t i = 0; i < n; i++) {
        const ivr_action_t *a = ivr_actions_at(out, i);
        switch (a->kind) {
        case IVR_ACT_PLAY:
            s_play(c, a);
            break;
        case IVR_ACT_STOP:
            s_cancel(s_loop(c), &c->barge_timer);
            s_play_forget(c);
            if (c->run_play)
                s_request(c, "mediad", "play.stop",
                          json_pack("{s:i}", "endpoint_id", c->endpoint_id), NULL);
            c->run_play = 0;
            c->md_play = 0;
            break;
        case IVR_ACT_TIMER:
            s_arm(c, a->at);
            break;
        case IVR_ACT_LOOKUP:
            if (ivrd_db_lookup(c->owner->ivrd->db, c->call_id, c->serial, a->id, a->table,
                               a->key) != 0)
                cc_error("ivr.lookup_queue_failed", NULL);
            break;
        case IVR_ACT_ROUTE:
            s_route(c, a);
            break;
        case IVR_ACT_HANGUP:
            s_hangup(c, "ivr flow ended");
            break;
        case IVR_ACT_STEP:
            s_step(c, a);
            break;
        case IVR_ACT_SURVEY:
            s_survey(c, a);
            break;
        }
    }
    ivr_actions_clear(out);
    if (rc != 0)
        s_hangup(c, "ivr error");
}

/* ---- call lifecycle ------------------------------------------------------------------ */

static void s_free(s_call_t *c)
{
    cc_bus_owner_cancel(s_bus(c), &c->requests);
    cc_loop_t *loop = s_loop(c);
    s_cancel(loop, &c->timer_id);
    s_cancel(loop, &c->barge_timer);
    s_cancel(loop, &c->reap_timer);
    s_cancel(loop, &c->failed_timer);
    ivr_run_destroy(&c->run);
    json_decref(c->start_vars);
    free(c);
}

/* The call is over for ivrd: record, announce, forget. */
static void s_end(s_call_t *c)
{
    ivrd_calls_t *self = c->owner;
    cc_bus_publish(self->ivrd->daemon->bus, "ivr.ended", c->call_id,
                   json_pack("{s:s, s:I, s:s, s:i}", "flow", c->flow_name, "version",
                             (json_int_t)c->version, "node", ivr_run_node(c->run), "steps",
                             c->seq));
    cc_info("ivr.call_ended", "flow=%s version=%ld node=%s steps=%d", cc_logq(c->flow_name),
            c->version, cc_logq(ivr_run_node(c->run)), c->seq);
    cc_map_delete(self->by_id, c->call_id);
    s_free(c);
}

static void s_start_run(s_call_t *c)
{
    ivr_var_t vars[IVR_VARS_MAX];
    size_t n = 0;
    const char *k;
    json_t *v;
    vars[n++] = (ivr_var_t){"callee", c->callee};
    json_object_foreach(c->start_vars, k, v)
    {
        if (n < IVR_VARS_MAX && json_is_string(v))
            vars[n++] = (ivr_var_t){k, json_string_value(v)};
    }
    s_apply(c, ivr_run_start(c->run, s_now(c), c->caller, vars, n, c->owner->out));
    json_decref(c->start_vars);
    c->start_vars = NULL;
}

static void s_on_answer_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result;
    s_call_t *c = arg;
    if (status != 0) {
        cc_warn("ivr.answer_failed", "status=%d", status);
        s_hangup(c, "ivr could not answer");
        return;
    }
    s_start_run(c);
}

static void s_on_connect_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result;
    s_call_t *c = arg;
    if (status != 0 && c->connecting) {
        cc_warn("ivr.connect_failed", "status=%d", status);
        c->connecting = false;
        s_apply(c, ivr_run_route_ended(c->run, false, s_now(c), c->owner->out));
    }
}

static void s_on_queue_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_call_t *c = arg;
    if (status == 0) {
        c->queued = true; /* acdd drives the call now; call.ended ends ours */
        return;
    }
    json_t *msg = status == -EPROTO ? json_object_get(result, "message") : NULL;
    cc_warn("ivr.queue_refused", "error=%s", cc_logq(msg ? json_string_value(msg) : "no reply"));
    c->queue_return = false;
    s_apply(c, ivr_run_route_ended(c->run, false, s_now(c), c->owner->out));
}

/* ---- ivr.start ------------------------------------------------------------------------ */

static void s_on_start(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    ivrd_calls_t *self = arg;
    ivrd_handover_t in;
    char err[200];
    if (ivrd_args_handover(cmd, args, &in, err, sizeof err) < 0) {
        cc_bus_reply_error(bus, req, "bad_args", "%s", err);
        return;
    }
    const char *call_id = in.call_id, *flow_name = in.flow, *caller = in.caller;
    const char *callee = in.callee;
    s_call_t *old = cc_map_get(self->by_id, call_id);
    int seq = 0;
    if (old && !old->connected && !old->queued) {
        cc_bus_reply(bus, req, NULL); /* a retry: already ours */
        return;
    }
    if (old) {
        /* the call was with an agent or a queue and comes back (a transfer to an IVR
         * number): that part is over, a new run starts; its path goes on after the old */
        cc_info("ivr.reentered", "flow=%s", cc_logq(flow_name));
        seq = old->seq;
        s_end(old);
    }
    if ((long)cc_map_size(self->by_id) >= self->max_calls) {
        self->refused++;
        cc_warn("ivr.refused", "reason=\"max_calls %ld reached\"", self->max_calls);
        cc_bus_reply_error(bus, req, "busy", "ivrd runs %ld calls already", self->max_calls);
        return;
    }
    ivr_flow_t *flow = ivrd_flows_get(self->ivrd->flows, flow_name);
    if (!flow) {
        self->refused++;
        cc_warn("ivr.refused", "flow=%s reason=\"no such flow live\"", cc_logq(flow_name));
        cc_bus_reply_error(bus, req, "unknown_flow", "no live IVR flow '%s'", flow_name);
        return;
    }
    s_call_t *c = calloc(1, sizeof *c);
    ivr_run_t *run = c ? ivr_run_new(flow, NULL) : NULL;
    ivr_flow_destroy(&flow);
    if (!run) {
        free(c);
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    c->owner = self;
    c->run = run;
    c->serial = ++self->next_serial;
    snprintf(c->call_id, sizeof c->call_id, "%s", call_id);
    snprintf(c->caller, sizeof c->caller, "%s", caller);
    snprintf(c->callee, sizeof c->callee, "%s", callee);
    c->endpoint_id = in.endpoint_id;
    c->seq = seq;
    c->flow_name = ivr_flow_name(ivr_run_flow(run));
    c->version = ivr_flow_version(ivr_run_flow(run));
    c->start_vars = in.variables ? json_incref(in.variables) : json_object();
    if (cc_map_insert(self->by_id, c->call_id, c) != 0) {
        s_free(c);
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    self->started++;
    cc_info("ivr.call_started", "flow=%s version=%ld caller=%s callee=%s endpoint=%d",
            cc_logq(c->flow_name), c->version, cc_logq(caller), cc_logq(callee), c->endpoint_id);
    cc_bus_reply(bus, req, NULL);
    char by[96];
    snprintf(by, sizeof by, "ivr:%s", c->flow_name);
    s_request(c, "sipproxy", "call.answer",
              json_pack("{s:s, s:s}", "call_id", c->call_id, "answered_by", by), s_on_answer_reply);
}

/* ---- events --------------------------------------------------------------------------- */

static s_call_t *s_event_call(ivrd_calls_t *self, const cc_bus_event_t *ev)
{
    return ev->call_id ? cc_map_get(self->by_id, ev->call_id) : NULL;
}

static void s_on_media(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    ivrd_calls_t *self = arg;
    s_call_t *c = s_event_call(self, ev);
    if (!c || c->hangup_sent ||
        json_integer_value(json_object_get(ev->body, "endpoint_id")) != c->endpoint_id)
        return;
    if (strcmp(ev->type, "media.play_done") == 0) {
        json_int_t id = json_integer_value(json_object_get(ev->body, "play_id"));
        const char *reason = json_string_value(json_object_get(ev->body, "reason"));
        if (!reason)
            reason = "finished";
        if (c->run_play && c->md_play == id) {
            s_play_finished(c, reason);
        } else if (c->run_play && c->md_play == 0) { /* its reply is still on the way */
            c->finished[c->finished_next] = id;
            snprintf(c->finished_reason[c->finished_next], sizeof c->finished_reason[0], "%s",
                     reason);
            c->finished_next = (c->finished_next + 1) % S_FINISHED_MAX;
        }
    } else if (strcmp(ev->type, "media.dtmf") == 0) {
        const char *digit = json_string_value(json_object_get(ev->body, "digit"));
        if (!digit || !digit[0])
            return;
        self->digits++;
        cc_info("ivr.digit", "node=%s digit=%s method=%s", cc_logq(ivr_run_node(c->run)),
                cc_logq(digit), cc_logq(json_string_value(json_object_get(ev->body, "method"))));
        if (c->barge_timer > 0) { /* the key that stopped the prompt */
            s_cancel(s_loop(c), &c->barge_timer);
            /* the run still thinks it plays: the digit stops it and counts */
        }
        s_apply(c, ivr_run_digit(c->run, digit[0], s_now(c), self->out));
    }
}

/* mediad restarted and sipproxy gave the caller's endpoint back (same id and port), without
 * the prompt that played on it, whose media.play_done will never come: the play of ours in
 * flight is forgotten and the run asks again for what the caller should hear, from its
 * start (ivr_run_media_restored). Keys are detected again (dtmf.detect), as the prompts'
 * barge-in had turned on. A call the run has routed (to an agent, a queue) has nothing of
 * ours on the endpoint: the run does nothing then. */
static void s_media_restored(s_call_t *c, json_t *body)
{
    if (c->hangup_sent)
        return;
    json_int_t ep = json_integer_value(json_object_get(body, "caller_endpoint"));
    if (ep > 0)
        c->endpoint_id = (int)ep;
    s_cancel(s_loop(c), &c->barge_timer);
    s_play_forget(c);
    c->run_play = 0;
    c->md_play = 0;
    memset(c->finished, 0, sizeof c->finished);
    size_t steps = ivr_run_path_size(c->run);
    s_apply(c, ivr_run_media_restored(c->run, s_now(c), c->owner->out));
    if (ivr_run_path_size(c->run) == steps)
        return; /* nothing of the flow's played or listened */
    s_request(c, "mediad", "dtmf.detect",
              json_pack("{s:i, s:b}", "endpoint_id", c->endpoint_id, "enable", 1), NULL);
    cc_info("ivr.media_restored", "flow=%s node=%s endpoint=%d gap_ms=%lld", cc_logq(c->flow_name),
            cc_logq(ivr_run_node(c->run)), c->endpoint_id,
            (long long)json_integer_value(json_object_get(body, "gap_ms")));
}

static void s_on_call(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    ivrd_calls_t *self = arg;
    s_call_t *c = s_event_call(self, ev);
    if (!c)
        return;
    if (strcmp(ev->type, "call.ended") == 0) {
        s_apply(c, ivr_run_hangup(c->run, s_now(c), self->out));
        s_end(c);
    } else if (strcmp(ev->type, "call.media_restored") == 0) {
        s_media_restored(c, ev->body);
    } else if (strcmp(ev->type, "call.connect_result") == 0) {
        if (c->queued || c->queue_return) { /* (the answer may overtake queue.enter's reply) */
            /* acdd's offers: unanswered ones are its business (it requeues); an answer
             * names the agent, whom a survey after the call is about */
            const char *result = json_string_value(json_object_get(ev->body, "result"));
            const char *target = json_string_value(json_object_get(ev->body, "target"));
            if (c->queue_return && result && strcmp(result, "answered") == 0) {
                c->connected = true;
                snprintf(c->agent, sizeof c->agent, "%s", target ? target : "");
                cc_info("ivr.agent_answered", "agent=%s", cc_logq(c->agent));
            }
            return;
        }
        if (!c->connecting)
            return;
        const char *result = json_string_value(json_object_get(ev->body, "result"));
        const char *target = json_string_value(json_object_get(ev->body, "target"));
        c->connecting = false;
        if (result && strcmp(result, "answered") == 0) {
            c->connected = true;
            if (target)
                snprintf(c->agent, sizeof c->agent, "%s", target);
            cc_info("ivr.connected", "target=%s", cc_logq(c->agent));
        } else {
            cc_info("ivr.connect_failed", "result=%s", cc_logq(result));
            s_apply(c, ivr_run_route_ended(c->run, false, s_now(c), self->out));
        }
    } else if (strcmp(ev->type, "call.connect_ended") == 0) {
        if (!c->connected)
            return;
        const char *reason = json_string_value(json_object_get(ev->body, "reason"));
        if (reason && strcmp(reason, "transferred") == 0) {
            /* the callee passed the caller on (REFER): the caller is not back with us but
             * with whoever sipproxy rings now. Keep waiting: a later callee_hangup resumes
             * the flow at `then`, call.ended ends our part. */
            cc_info("ivr.transferred", "by=%s", cc_logq(c->agent));
            return;
        }
        c->connected = false;
        c->queued = c->queue_return = false; /* back from acdd: the flow has the call */
        s_apply(c, ivr_run_route_ended(c->run, true, s_now(c), self->out));
    }
}

void ivrd_calls_lookup_result(ivrd_t *ivrd, const char *call_id, uint64_t serial,
                              unsigned request_id, bool found, const ivr_var_t *vars,
                              size_t var_count)
{
    ivrd_calls_t *self = ivrd->calls;
    s_call_t *c = self ? cc_map_get(self->by_id, call_id) : NULL;
    if (!c || c->serial != serial)
        return;
    cc_log_set_call(c->call_id);
    s_apply(c,
            ivr_run_lookup_result(c->run, request_id, found, vars, var_count, s_now(c), self->out));
    cc_log_set_call(NULL);
}

/* ---- status and commands ---------------------------------------------------------------- */

void ivrd_calls_by_flow(const ivrd_calls_t *self, json_t *counts)
{
    cc_map_iter_t it = cc_map_iter(self->by_id);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        const s_call_t *c = cc_map_value(e);
        json_t *row = NULL;
        size_t i;
        json_t *item;
        json_array_foreach(counts, i, item)
        {
            if (strcmp(json_string_value(json_object_get(item, "flow")), c->flow_name) == 0 &&
                json_integer_value(json_object_get(item, "version")) == c->version) {
                row = item;
                break;
            }
        }
        if (!row) {
            row = json_pack("{s:s, s:I, s:i}", "flow", c->flow_name, "version",
                            (json_int_t)c->version, "calls", 0);
            json_array_append_new(counts, row);
        }
        json_object_set_new(row, "calls",
                            json_integer(json_integer_value(json_object_get(row, "calls")) + 1));
    }
}

static void s_on_flows(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd, (void)args;
    ivrd_calls_t *self = arg;
    json_t *list = ivrd_flows_list(self->ivrd->flows);
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) json_object_set_new(item, "calls", json_integer(0));
    ivrd_calls_by_flow(self, list);
    cc_bus_reply(bus, req, json_pack("{s:o}", "flows", list));
}

size_t ivrd_calls_count(const ivrd_calls_t *self)
{
    return cc_map_size(self->by_id);
}

ivrd_calls_t *ivrd_calls_new(ivrd_t *ivrd)
{
    ivrd_calls_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->ivrd = ivrd;
    self->by_id = cc_map_new(NULL);
    self->out = ivr_actions_new();
    self->max_calls = cc_config_int(ivrd->daemon->cfg, "ivrd", "max_calls");
    self->ring_timeout = cc_config_int(ivrd->daemon->cfg, "ivrd", "ring_timeout");
    if (!self->by_id || !self->out) {
        ivrd_calls_destroy(&self);
        return NULL;
    }
    cc_bus_t *bus = ivrd->daemon->bus;
    if (cc_bus_on_command(bus, "ivr.start", s_on_start, self) != 0 ||
        cc_bus_on_command(bus, "ivr.flows", s_on_flows, self) != 0 ||
        cc_bus_subscribe(bus, "mediad", "media.", s_on_media, self) != 0 ||
        cc_bus_subscribe(bus, "sipproxy", "call.", s_on_call, self) != 0) {
        ivrd_calls_destroy(&self);
        return NULL;
    }
    return self;
}

void ivrd_calls_stop(ivrd_calls_t *self)
{
    cc_map_iter_t it = cc_map_iter(self->by_id);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        s_call_t *c = cc_map_value(e);
        cc_log_set_call(c->call_id);
        if (!c->queued && !c->connected && !c->hangup_sent)
            s_hangup(c, "ivrd stopping");
    }
    cc_log_set_call(NULL);
}

void ivrd_calls_destroy(ivrd_calls_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ivrd_calls_t *self = *self_p;
    if (self->by_id) {
        cc_map_iter_t it = cc_map_iter(self->by_id);
        for (cc_map_entry_t *e; (e = cc_map_next(&it));)
            s_free(cc_map_value(e));
        cc_map_destroy(&self->by_id);
    }
    ivr_actions_destroy(&self->out);
    free(self);
    *self_p = NULL;
}
