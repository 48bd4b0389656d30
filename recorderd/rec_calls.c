/* rec_calls.c - call sessions (see rec_calls.h): the table of calls, policy decisions,
 * sipproxy's call.* (call.media_restored: taps and key detection set up again after a
 * mediad restart) and mediad's media.dtmf, the rec.* commands, lifecycle and status.
 * What happens to one recording is rec_session.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "rec_calls_int.h"
#include "rec_db.h"

/* ---- tables ------------------------------------------------------------------------ */

static rec_call_t *s_call(rec_calls_t *self, const char *call_id, bool create)
{
    if (!call_id || !*call_id || strlen(call_id) >= REC_CALL_ID_MAX)
        return NULL;
    rec_call_t *c = cc_map_get(self->by_call, call_id);
    if (c || !create)
        return c;
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->owner = self;
    snprintf(c->call_id, sizeof c->call_id, "%s", call_id);
    c->decision.mode = self->cfg.default_mode;
    c->decision.retention_days = self->cfg.default_retention_days;
    if (cc_map_insert(self->by_call, c->call_id, c) != 0) {
        free(c);
        return NULL;
    }
    self->ncalls++;
    return c;
}

void rec_calls_call_free(rec_calls_t *self, rec_call_t *c)
{
    cc_bus_owner_cancel(self->bus, &c->requests);
    cc_bus_owner_cancel(self->bus, &c->rec_requests);
    if (cc_map_get(self->by_call, c->call_id) == c)
        cc_map_delete(self->by_call, c->call_id);
    if (c->pending_start)
        cc_bus_reply_error(self->bus, c->pending_start, "internal", "call went away");
    self->ncalls--;
    free(c);
}

#define S_TAP_KEY 24

static const char *s_tap_key(char *buf, uint64_t id)
{
    snprintf(buf, S_TAP_KEY, "%llu", (unsigned long long)id);
    return buf;
}

rec_call_t *rec_calls_tap_find(rec_calls_t *self, uint64_t id)
{
    char key[S_TAP_KEY];
    return cc_map_get(self->by_tap, s_tap_key(key, id));
}

int rec_calls_tap_link(rec_calls_t *self, rec_call_t *c)
{
    char key[S_TAP_KEY];
    return cc_map_put(self->by_tap, s_tap_key(key, (uint64_t)c->rec_id), c);
}

void rec_calls_tap_unlink(rec_calls_t *self, rec_call_t *c)
{
    char key[S_TAP_KEY];
    if (rec_calls_tap_find(self, (uint64_t)c->rec_id) == c)
        cc_map_delete(self->by_tap, s_tap_key(key, (uint64_t)c->rec_id));
}

static void s_copy(char *dst, const char *src)
{
    snprintf(dst, TEXT_MAX, "%s", src ? src : "");
}

static bool s_is_ext(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* The endpoints a call event names (caller_endpoint, callee_endpoint), if any. */
static void s_take_endpoints(rec_call_t *c, json_t *obj)
{
    json_int_t a = json_integer_value(json_object_get(obj, "caller_endpoint"));
    json_int_t e = json_integer_value(json_object_get(obj, "callee_endpoint"));
    if (a > 0 && a <= INT32_MAX) /* mediad's ids are ints: a bigger one is nobody's */
        c->caller_ep = (int)a;
    if (e > 0 && e <= INT32_MAX)
        c->callee_ep = (int)e;
}

static void s_resolve(rec_calls_t *self, rec_call_t *c)
{
    rec_call_keys_t keys = {.caller_ext = c->caller,
                            .callee_ext = c->callee,
                            .agent_ext = c->agent,
                            .queue = c->queue,
                            .trunk = c->trunk};
    rec_policy_resolve(self->policies, self->npolicies, &keys, self->cfg.default_mode,
                       self->cfg.default_retention_days, &c->decision);
}

/* ---- periodic work ------------------------------------------------------------------ */

static void s_reload(rec_calls_t *self)
{
    rec_policy_t *list;
    size_t n;
    if (rec_db_policies(self->pg, &list, &n) < 0) {
        cc_warn("rec.policies_failed", "reason=%s", cc_logq("kept the policies loaded before"));
        return;
    }
    free(self->policies);
    self->policies = list;
    self->npolicies = n;
    cc_info("rec.policies_loaded", "policies=%zu", n);
}

static void s_on_tick(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    rec_calls_t *self = arg;
    uint64_t now = cc_mono_us();
    cc_map_iter_t it = cc_map_iter(self->by_tap);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        rec_call_t *c = cc_map_value(e);
        cc_log_set_call(c->call_id); /* writing its file may fail */
        if (c->mix)
            rec_mix_advance(c->mix, now);
    }
    cc_log_set_call(NULL);
    if (rec_db_changed(self->pg))
        s_reload(self);
}

/* ---- bus: events ------------------------------------------------------------------- */

static void s_after_endpoints(rec_calls_t *self, rec_call_t *c)
{
    rec_session_dtmf_on(self, c->callee_ep);
    if (c->pending_start) {
        cc_bus_req_t *req = c->pending_start;
        c->pending_start = NULL;
        if (!c->caller_ep && !c->callee_ep)
            cc_bus_reply_error(self->bus, req, "no_media", "mediad has no endpoint of call %s",
                               c->call_id);
        else if (rec_session_start(self, c) < 0)
            cc_bus_reply_error(self->bus, req, "internal", "cannot start recording (see log)");
        else
            cc_bus_reply(
                self->bus, req,
                json_pack("{s:I, s:s}", "recording_id", (json_int_t)c->rec_id, "path", c->path));
        return;
    }
    if (c->decision.mode == REC_ALWAYS && !c->ended)
        rec_session_start(self, c);
}

/* endpoint.find's answer; the call owns the request, so it is still here. */
static void s_on_found(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    rec_call_t *c = arg;
    c->finding = false;
    if (status == 0) {
        json_t *eps = json_object_get(result, "endpoints"), *e;
        size_t i;
        json_array_foreach(eps, i, e)
        {
            const char *leg = json_string_value(json_object_get(e, "leg"));
            if (leg && !strcmp(leg, "caller") && !c->caller_ep) {
                c->caller_ep = (int)json_integer_value(json_object_get(e, "endpoint_id"));
                if (!c->callee_ep)
                    c->callee_ep = (int)json_integer_value(json_object_get(e, "peer_id"));
            }
        }
        json_array_foreach(eps, i, e)
        { /* no caller leg connected: take another leg */
            int id = (int)json_integer_value(json_object_get(e, "endpoint_id"));
            if (!c->callee_ep && id != c->caller_ep)
                c->callee_ep = id;
        }
    } else {
        cc_warn("rec.find_failed", "status=%d", status);
    }
    s_after_endpoints(c->owner, c);
}

static void s_find_endpoints(rec_calls_t *self, rec_call_t *c)
{
    if (c->finding)
        return;
    c->finding =
        cc_bus_request(self->bus, &c->requests, "mediad", "endpoint.find",
                       json_pack("{s:s}", "call_id", c->call_id), 2000, s_on_found, c) != 0;
    if (!c->finding)
        s_after_endpoints(self, c);
}

/* Something that decides the policy (the agent, the queue) became known after the call was
 * answered: start now if the policy says always. */
static void s_start_if_due(rec_calls_t *self, rec_call_t *c)
{
    s_resolve(self, c);
    if (c->answered && !c->mix && c->decision.mode == REC_ALWAYS) {
        if (c->caller_ep)
            rec_session_start(self, c);
        else
            s_find_endpoints(self, c);
    }
}

/* acdd's queue.entered: a call that reached its queue through the IVR (or a transfer)
 * was created with another route, so this is where queue:NAME policies learn of it. */
static void s_on_queue_event(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    rec_calls_t *self = arg;
    rec_call_t *c = ev->call_id ? s_call(self, ev->call_id, false) : NULL;
    const char *queue = json_string_value(json_object_get(ev->body, "queue"));
    if (!c || c->ended || !queue || c->queue[0])
        return;
    s_copy(c->queue, queue);
    if (c->mix) /* already recording (say by the caller's policy): the index learns the queue */
        rec_db_set_queue(self->pg, c->rec_id, c->queue);
    s_start_if_due(self, c);
}

/* mediad restarted and sipproxy gave the call its endpoints back (same ids and ports),
 * without what we had set up on them: a running recording taps them again, and the keys
 * of the agent's feature codes are detected again where we had turned that on. */
static void s_on_media_restored(rec_calls_t *self, rec_call_t *c, json_t *b)
{
    s_take_endpoints(c, b);
    bool dtmf = self->cfg.feature_codes && c->answered && c->callee_ep > 0;
    bool tap = c->mix && !c->stopping;
    if (dtmf)
        rec_session_dtmf_on(self, c->callee_ep);
    if (tap)
        rec_session_tap_restart(self, c);
    if (dtmf || tap)
        cc_info("rec.media_restored",
                "recording=%lld caller_endpoint=%d callee_endpoint=%d "
                "gap_ms=%lld tap=%d dtmf=%d",
                (long long)(tap ? c->rec_id : 0), c->caller_ep, c->callee_ep,
                (long long)json_integer_value(json_object_get(b, "gap_ms")), tap, dtmf);
}

static void s_on_call_event(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    rec_calls_t *self = arg;
    json_t *b = ev->body;
    const char *type = ev->type;
    if (!strcmp(type, "call.created")) {
        rec_call_t *c = s_call(self, ev->call_id, true);
        if (!c)
            return;
        s_copy(c->caller, json_string_value(json_object_get(b, "caller")));
        s_copy(c->callee, json_string_value(json_object_get(b, "callee")));
        s_copy(c->trunk, json_string_value(json_object_get(b, "trunk")));
        const char *kind = json_string_value(json_object_get(b, "route_kind"));
        if (kind && !strcmp(kind, "queue"))
            s_copy(c->queue, json_string_value(json_object_get(b, "route_target")));
        return;
    }
    rec_call_t *c = s_call(self, ev->call_id, !strcmp(type, "call.answered"));
    if (!c)
        return;
    if (!strcmp(type, "call.answered")) {
        c->answered = true;
        const char *by = json_string_value(json_object_get(b, "answered_by"));
        if (s_is_ext(by) && !c->queue[0])
            s_copy(c->agent, by);
        s_take_endpoints(c, b);
        s_resolve(self, c);
        if (c->caller_ep && c->callee_ep)
            s_after_endpoints(self, c);
        else
            s_find_endpoints(self, c);
    } else if (!strcmp(type, "call.connect_result")) {
        const char *result = json_string_value(json_object_get(b, "result"));
        const char *target = json_string_value(json_object_get(b, "target"));
        json_int_t ep = json_integer_value(json_object_get(b, "endpoint_id"));
        if (!result || strcmp(result, "answered") != 0)
            return;
        if (target && !strncmp(target, "ext:", 4))
            s_copy(c->agent, target + 4);
        if (c->mix && c->agent[0])
            rec_db_set_agent(self->pg, c->rec_id, c->agent);
        if (ep > 0 && ep != c->callee_ep) {
            c->callee_ep = (int)ep;
            rec_session_dtmf_on(self, c->callee_ep);
            if (c->mix)
                rec_session_tap_start(self, c); /* re-aim the tap at the agent */
        }
        s_start_if_due(self, c);
    } else if (!strcmp(type, "call.media_restored")) {
        if (!c->ended)
            s_on_media_restored(self, c, b);
    } else if (!strcmp(type, "call.ended")) {
        c->ended = true;
        if (c->mix && !c->stopping) {
            rec_session_stop(self, c);
            c->stop_us = cc_mono_us();
        } else if (!c->mix) {
            rec_calls_call_free(self, c);
        }
    }
}

static void s_on_dtmf(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    rec_calls_t *self = arg;
    rec_call_t *c = s_call(self, ev->call_id, false);
    const char *digit = json_string_value(json_object_get(ev->body, "digit"));
    json_int_t ep = json_integer_value(json_object_get(ev->body, "endpoint_id"));
    if (!c || !digit || !self->cfg.feature_codes || ep != c->callee_ep || ep == 0)
        return;
    switch (rec_fc_feed(&c->fc, digit[0], cc_mono_us())) {
    case REC_FC_PAUSE:
        rec_session_pause(self, c, true, "dtmf");
        break;
    case REC_FC_RESUME:
        rec_session_pause(self, c, false, "dtmf");
        break;
    case REC_FC_START:
        if (!c->mix && c->decision.mode != REC_NEVER)
            rec_session_start(self, c);
        break;
    case REC_FC_STOP:
        if (c->mix && c->decision.mode == REC_ON_DEMAND)
            rec_session_stop(self, c);
        break;
    default:
        break;
    }
}

/* ---- bus: commands ------------------------------------------------------------------- */

/* The call a rec.* command names (created for rec.start), or NULL after replying why. */
static rec_call_t *s_call_arg(rec_calls_t *self, cc_bus_req_t *req, const char *call_id,
                              bool create)
{
    rec_call_t *c = s_call(self, call_id, create);
    if (!c)
        cc_bus_reply_error(self->bus, req, "unknown_call", "no such call in progress");
    return c;
}

/* rec.start with mix_id: the call is a conference, recorded from mediad's mix. Asked again
 * with another mix while it records (the controller made the mix anew after a mediad
 * restart), the tap follows the new mix after a gap. */
static void s_start_mixed(rec_calls_t *self, rec_call_t *c, uint32_t mix_id)
{
    uint32_t was = c->mix_id;
    c->mix_id = mix_id;
    if (c->mix && !c->stopping && was != mix_id) {
        cc_info("rec.mix_changed", "recording=%lld mix=%u was=%u", (long long)c->rec_id, mix_id,
                was);
        rec_session_tap_restart(self, c);
    }
}

static void s_cmd_start(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    rec_calls_t *self = arg;
    rec_start_args_t in;
    char err[160];
    if (rec_args_start(args, &in, err, sizeof err) < 0) {
        cc_bus_reply_error(bus, req, "bad_args", "%s", err);
        return;
    }
    rec_call_t *c = s_call_arg(self, req, in.call_id, true);
    if (!c)
        return;
    if (in.mix_id && (c->answered || c->caller_ep || c->callee_ep)) {
        cc_bus_reply_error(bus, req, "bad_args", "call %s is a call, not a conference", c->call_id);
        return;
    }
    if (in.mix_id)
        s_start_mixed(self, c, in.mix_id);
    if (in.caller_ep)
        c->caller_ep = in.caller_ep;
    if (in.callee_ep)
        c->callee_ep = in.callee_ep;
    if (in.caller)
        s_copy(c->caller, in.caller);
    if (in.callee)
        s_copy(c->callee, in.callee);
    if (c->mix && !c->stopping) {
        cc_bus_reply(
            bus, req,
            json_pack("{s:I, s:s}", "recording_id", (json_int_t)c->rec_id, "path", c->path));
        return;
    }
    if (c->mix || c->pending_start) {
        cc_bus_reply_error(bus, req, "busy", "the recording is closing; try again");
        return;
    }
    if (c->decision.mode == REC_NEVER)
        c->decision.mode = REC_ON_DEMAND; /* asked for explicitly */
    if (!c->caller_ep && !c->callee_ep && !c->mix_id) {
        c->pending_start = req;
        s_find_endpoints(self, c);
        return;
    }
    if (rec_session_start(self, c) < 0) {
        cc_bus_reply_error(bus, req, "internal", "cannot start recording (see log)");
        if (c->mix_id) /* nothing else would ever free it */
            rec_calls_call_free(self, c);
        return;
    }
    cc_bus_reply(bus, req,
                 json_pack("{s:I, s:s}", "recording_id", (json_int_t)c->rec_id, "path", c->path));
}

static void s_cmd_simple(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    rec_calls_t *self = arg;
    const char *call_id;
    char err[160];
    if (rec_args_call(args, &call_id, err, sizeof err) < 0) {
        cc_bus_reply_error(bus, req, "bad_args", "%s", err);
        return;
    }
    rec_call_t *c = s_call_arg(self, req, call_id, false);
    if (!c)
        return;
    if (!c->mix || c->stopping) {
        cc_bus_reply_error(bus, req, "not_recording", "call %s is not being recorded", c->call_id);
        return;
    }
    int64_t id = c->rec_id;
    if (!strcmp(cmd, "rec.stop")) {
        if (c->mix_id) /* a conference: no call.ended will come, so it ends here */
            c->ended = true;
        rec_session_stop(self, c);
    } else {
        rec_session_pause(self, c, !strcmp(cmd, "rec.pause"), "command");
    }
    cc_bus_reply(bus, req, json_pack("{s:I}", "recording_id", (json_int_t)id));
}

static void s_cmd_sweep(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    (void)args;
    cc_bus_reply(bus, req, json_pack("{s:i}", "deleted", rec_retention_sweep(arg)));
}

/* ---- lifecycle ------------------------------------------------------------------------ */

rec_calls_t *rec_calls_new(cc_bus_t *bus, cc_loop_t *loop, cc_pg_t *pg, const rec_calls_cfg_t *cfg)
{
    rec_calls_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->bus = bus;
    self->loop = loop;
    self->pg = pg;
    self->cfg = *cfg;
    snprintf(self->dir, sizeof self->dir, "%s", cfg->dir);
    self->cfg.dir = self->dir;
    self->by_call = cc_map_new(NULL);
    self->by_tap = cc_map_new(NULL);
    if (!self->by_call || !self->by_tap || rec_db_prepare(pg) < 0 || rec_db_listen(pg) < 0) {
        rec_calls_destroy(&self);
        return NULL;
    }
    s_reload(self);
    char endpoint[4200];
    snprintf(endpoint, sizeof endpoint, "ipc://%s/recorderd.tap", cfg->run_dir);
    self->pull = zsock_new(ZMQ_PULL);
    if (self->pull) {
        zsock_set_rcvhwm(self->pull, 200000);
        zsock_set_rcvbuf(self->pull, 8 << 20);
        zsock_set_linger(self->pull, 0);
    }
    if (!self->pull || zsock_bind(self->pull, "%s", endpoint) < 0) {
        cc_error("rec.tap_bind_failed", "endpoint=%s error=%s", cc_logq(endpoint),
                 cc_logq(zmq_strerror(zmq_errno())));
        rec_calls_destroy(&self);
        return NULL;
    }
    self->pull_fd = zsock_fd(self->pull);
    cc_loop_fd_add(loop, self->pull_fd, EPOLLIN, rec_session_on_pull, self);
    cc_loop_prepare_add(loop, rec_session_prepare, self);
    self->tick_timer = cc_loop_timer_add(loop, 100, 100, s_on_tick, self);
    uint64_t sweep_ms = (uint64_t)cfg->retention_interval_s * 1000;
    self->sweep_timer = cc_loop_timer_add(loop, sweep_ms, sweep_ms, rec_retention_on_timer, self);
    static const struct {
        const char *name;
        cc_bus_command_fn *fn;
    } cmds[] = {{"rec.start", s_cmd_start},
                {"rec.stop", s_cmd_simple},
                {"rec.pause", s_cmd_simple},
                {"rec.resume", s_cmd_simple},
                {"rec.sweep", s_cmd_sweep}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (cc_bus_on_command(bus, cmds[i].name, cmds[i].fn, self) < 0) {
            rec_calls_destroy(&self);
            return NULL;
        }
    }
    cc_bus_subscribe(bus, "sipproxy", "call.", s_on_call_event, self);
    cc_bus_subscribe(bus, "mediad", "media.dtmf", s_on_dtmf, self);
    cc_bus_subscribe(bus, "acdd", "queue.entered", s_on_queue_event, self);
    return self;
}

void rec_calls_destroy(rec_calls_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rec_calls_t *self = *self_p;
    if (self->by_call) {
        cc_map_iter_t it = cc_map_iter(self->by_call);
        for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
            rec_call_t *c = cc_map_value(e);
            cc_log_set_call(c->call_id);
            if (c->mix)
                rec_session_finish(self, c, true);
            rec_calls_call_free(self, c); /* deletes the entry just returned: allowed */
        }
        cc_log_set_call(NULL);
    }
    if (self->pull) {
        cc_loop_prepare_remove(self->loop, rec_session_prepare, self);
        cc_loop_fd_remove(self->loop, self->pull_fd);
        zsock_destroy(&self->pull);
    }
    if (self->tick_timer > 0)
        cc_loop_timer_cancel(self->loop, self->tick_timer);
    if (self->sweep_timer > 0)
        cc_loop_timer_cancel(self->loop, self->sweep_timer);
    cc_map_destroy(&self->by_call);
    cc_map_destroy(&self->by_tap);
    free(self->policies);
    free(self);
    *self_p = NULL;
}

void rec_calls_status(rec_calls_t *self, json_t *details)
{
    json_object_set_new(details, "calls", json_integer(self->ncalls));
    json_object_set_new(details, "recording", json_integer(self->nrecording));
    json_object_set_new(details, "recordings_done",
                        json_integer((json_int_t)self->recordings_done));
    json_object_set_new(details, "tap_batches", json_integer((json_int_t)self->batches));
    json_object_set_new(details, "tap_frames", json_integer((json_int_t)self->frames));
    json_object_set_new(details, "tap_bad_batches", json_integer((json_int_t)self->bad_batches));
    json_object_set_new(details, "tap_unknown_batches",
                        json_integer((json_int_t)self->unknown_batches));
    json_object_set_new(details, "deleted", json_integer((json_int_t)self->deleted));
    json_object_set_new(details, "policies", json_integer((json_int_t)self->npolicies));
}
