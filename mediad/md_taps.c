/* md_taps.c - tap.* and endpoint.find handlers, the PUSH socket and the batch timer (see
 * md_taps.h). */
#include "md_taps.h"

#include <czmq.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "md_tap.h"

struct md_taps {
    cc_bus_t *bus;
    cc_loop_t *loop;
    md_core_t *core;
    md_rtp_t *rtp;
    md_mixes_t *mixes;
    zsock_t *push;
    int timer;
    int batch_ms;
    md_tap_t *taps; /* list */
    int count;
    uint64_t frames_sent, frames_dropped, batches_sent, batches_dropped;
};

/* Ship what tap holds (flags: CC_TAP_FLAG_LAST for its last batch). Never blocks. */
static void s_ship(md_taps_t *self, md_tap_t *tap, int flags)
{
    size_t len;
    uint16_t n;
    const uint8_t *msg = md_tap_take(tap, flags, &len, &n);
    if (!msg)
        return;
    bool ok = zmq_send(zsock_resolve(self->push), msg, len, ZMQ_DONTWAIT) == (int)len;
    md_tap_sent(tap, n, ok);
    if (ok) {
        self->batches_sent++;
        self->frames_sent += n;
    } else {
        self->batches_dropped++;
        self->frames_dropped += n;
    }
}

static void s_on_tap(md_tap_t *tap, md_endpoint_t *ep, bool closing, void *arg)
{
    md_taps_t *self = arg;
    cc_log_call_saved_t saved; /* from the packet path (a full batch) or an endpoint closing */
    cc_log_enter_call(&saved, ep->call_id);
    s_ship(self, tap, 0);
    if (closing) {
        for (int p = 0; p < 2; p++)
            if (tap->endpoint[p] == ep->id)
                tap->endpoint[p] = 0;
        md_rtp_tap(self->rtp, ep, NULL, 0);
    }
    cc_log_leave_call(&saved);
}

/* From the mixing timer: tap's batch is full, or the mix it follows is being deleted. */
static void s_on_mix_tap(md_tap_t *tap, bool mix_gone, void *arg)
{
    md_taps_t *self = arg;
    cc_log_call_saved_t saved;
    cc_log_enter_call(&saved, md_mixes_call_id(self->mixes, tap->mix_id));
    s_ship(self, tap, 0);
    if (mix_gone)
        tap->mix_id = 0;
    cc_log_leave_call(&saved);
}

static void s_on_timer(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    md_taps_t *self = arg;
    for (md_tap_t *t = self->taps; t; t = t->next)
        s_ship(self, t, 0);
}

static md_tap_t *s_find(md_taps_t *self, uint64_t id, md_tap_t ***link)
{
    for (md_tap_t **pp = &self->taps; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            if (link)
                *link = pp;
            return *pp;
        }
    }
    return NULL;
}

/* Detach every endpoint of tap (they stay open) and the mix it follows. */
static void s_detach(md_taps_t *self, md_tap_t *tap)
{
    if (tap->mix_id && md_mixes_tap_of(self->mixes, tap->mix_id) == tap)
        md_mixes_tap(self->mixes, tap->mix_id, NULL);
    tap->mix_id = 0;
    for (int p = 0; p < 2; p++) {
        md_endpoint_t *ep = tap->endpoint[p] ? md_core_find(self->core, tap->endpoint[p]) : NULL;
        if (ep && md_rtp_tap_of(self->rtp, ep) == tap)
            md_rtp_tap(self->rtp, ep, NULL, 0);
        tap->endpoint[p] = 0;
    }
}

/* tap follows mix_id (re-aimed from whatever it followed; a tap that followed the mix
 * before ships what it holds and follows nothing). */
static void s_start_mix(md_taps_t *self, md_tap_t *tap, uint32_t mix_id)
{
    md_tap_t *old = md_mixes_tap_of(self->mixes, mix_id);
    if (old && old != tap) {
        s_ship(self, old, 0);
        old->mix_id = 0;
    }
    if (old != tap) {
        s_detach(self, tap);
        md_mixes_tap(self->mixes, mix_id, tap);
        tap->mix_id = mix_id;
    }
    cc_debug("tap.started", "tap=%llu mix=%u", (unsigned long long)tap->id, mix_id);
}

static void s_on_start(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    md_taps_t *self = arg;
    json_int_t id = json_integer_value(json_object_get(args, "tap_id"));
    static const char *const keys[2] = {"caller_endpoint", "callee_endpoint"};
    md_endpoint_t *eps[2] = {NULL, NULL};
    if (id <= 0) {
        cc_bus_reply_error(bus, req, "bad_args", "tap_id must be above 0");
        return;
    }
    for (int p = 0; p < 2; p++) {
        json_t *v = json_object_get(args, keys[p]);
        json_int_t eid = json_integer_value(v);
        if (!v || eid == 0)
            continue;
        eps[p] = (eid > 0 && eid <= INT32_MAX) ? md_core_find(self->core, (int)eid) : NULL;
        if (!eps[p]) {
            cc_bus_reply_error(bus, req, "unknown_endpoint", "no endpoint %lld (%s)",
                               (long long)eid, keys[p]);
            return;
        }
    }
    json_int_t mix_id = json_integer_value(json_object_get(args, "mix_id"));
    if (json_object_get(args, "mix_id") &&
        (mix_id <= 0 || mix_id > UINT32_MAX || !md_mixes_call_id(self->mixes, (uint32_t)mix_id))) {
        cc_bus_reply_error(bus, req, "unknown_mix", "no mix %lld", (long long)mix_id);
        return;
    }
    if (mix_id && (eps[0] || eps[1])) {
        cc_bus_reply_error(bus, req, "bad_args", "give mix_id or endpoints, not both");
        return;
    }
    if (!mix_id && !eps[0] && !eps[1]) {
        cc_bus_reply_error(bus, req, "bad_args",
                           "give caller_endpoint and/or callee_endpoint, or mix_id");
        return;
    }
    /* cleared by the bus */
    cc_log_set_call(mix_id   ? md_mixes_call_id(self->mixes, (uint32_t)mix_id)
                    : eps[0] ? eps[0]->call_id
                             : eps[1]->call_id);
    md_tap_t *tap = s_find(self, (uint64_t)id, NULL);
    if (!tap) {
        tap = md_tap_new((uint64_t)id);
        if (!tap) {
            cc_bus_reply_error(bus, req, "internal", "out of memory");
            return;
        }
        tap->next = self->taps;
        self->taps = tap;
        self->count++;
    }
    if (mix_id) {
        s_start_mix(self, tap, (uint32_t)mix_id);
        cc_bus_reply(bus, req,
                     json_pack("{s:I, s:i}", "mono_us", (json_int_t)cc_mono_us(), "batch_ms",
                               self->batch_ms));
        return;
    }
    if (tap->mix_id) /* re-aimed from a mix at endpoints */
        s_detach(self, tap);
    for (int p = 0; p < 2; p++) {
        if (!eps[p])
            continue;
        md_tap_t *old = md_rtp_tap_of(self->rtp, eps[p]);
        if (old && old != tap) { /* taken over from another tap */
            s_ship(self, old, 0);
            for (int q = 0; q < 2; q++)
                if (old->endpoint[q] == eps[p]->id)
                    old->endpoint[q] = 0;
        }
        tap->endpoint[p] = eps[p]->id;
        md_rtp_tap(self->rtp, eps[p], tap, p);
    }
    cc_debug("tap.started", "tap=%lld caller_endpoint=%d callee_endpoint=%d", (long long)id,
             tap->endpoint[0], tap->endpoint[1]);
    cc_bus_reply(
        bus, req,
        json_pack("{s:I, s:i}", "mono_us", (json_int_t)cc_mono_us(), "batch_ms", self->batch_ms));
}

static void s_on_stop(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    md_taps_t *self = arg;
    json_int_t id = json_integer_value(json_object_get(args, "tap_id"));
    md_tap_t **link = NULL;
    md_tap_t *tap = id > 0 ? s_find(self, (uint64_t)id, &link) : NULL;
    if (!tap) {
        cc_bus_reply_error(bus, req, "unknown_tap", "no tap %lld", (long long)id);
        return;
    }
    for (int p = 1; p >= 0; p--) { /* the call it records, for the log (cleared by the bus) */
        md_endpoint_t *ep = tap->endpoint[p] ? md_core_find(self->core, tap->endpoint[p]) : NULL;
        if (ep)
            cc_log_set_call(ep->call_id);
    }
    if (tap->mix_id)
        cc_log_set_call(md_mixes_call_id(self->mixes, tap->mix_id));
    s_ship(self, tap, CC_TAP_FLAG_LAST);
    s_detach(self, tap);
    *link = tap->next;
    self->count--;
    cc_debug("tap.stopped", "tap=%lld frames=%llu dropped=%llu", (long long)id,
             (unsigned long long)tap->frames, (unsigned long long)tap->frames_dropped);
    cc_bus_reply(bus, req,
                 json_pack("{s:I, s:I, s:I}", "frames", (json_int_t)tap->frames, "frames_dropped",
                           (json_int_t)tap->frames_dropped, "batches", (json_int_t)tap->batches));
    md_tap_destroy(&tap);
}

static void s_on_find(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    md_taps_t *self = arg;
    const char *call_id = json_string_value(json_object_get(args, "call_id"));
    json_t *list = json_array();
    for (int i = 0; call_id && i < md_core_capacity(self->core); i++) {
        md_endpoint_t *ep = md_core_slot(self->core, i);
        if (ep && strcmp(ep->call_id, call_id) == 0)
            json_array_append_new(list, json_pack("{s:i, s:s, s:i, s:i}", "endpoint_id", ep->id,
                                                  "leg", ep->leg, "peer_id",
                                                  ep->peer ? ep->peer->id : 0, "port", ep->port));
    }
    cc_bus_reply(bus, req, json_pack("{s:o}", "endpoints", list));
}

md_taps_t *md_taps_new(cc_bus_t *bus, cc_loop_t *loop, md_core_t *core, md_rtp_t *rtp,
                       md_mixes_t *mixes, const char *run_dir, int batch_ms, int hwm)
{
    md_taps_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->bus = bus;
    self->loop = loop;
    self->core = core;
    self->rtp = rtp;
    self->mixes = mixes;
    self->batch_ms = batch_ms;
    self->push = zsock_new(ZMQ_PUSH);
    char endpoint[4200];
    snprintf(endpoint, sizeof endpoint, "ipc://%s/recorderd.tap", run_dir);
    if (!self->push) {
        free(self);
        return NULL;
    }
    zsock_set_sndhwm(self->push, hwm);
    zsock_set_linger(self->push, 0);
    zsock_set_immediate(self->push, 1); /* nothing queues for an absent recorderd */
    zsock_set_sndtimeo(self->push, 0);
    if (zsock_connect(self->push, "%s", endpoint) < 0) {
        cc_error("tap.connect_failed", "endpoint=%s", cc_logq(endpoint));
        md_taps_destroy(&self);
        return NULL;
    }
    self->timer = cc_loop_timer_add(loop, (uint64_t)batch_ms, (uint64_t)batch_ms, s_on_timer, self);
    static const struct {
        const char *name;
        cc_bus_command_fn *fn;
    } cmds[] = {{"tap.start", s_on_start}, {"tap.stop", s_on_stop}, {"endpoint.find", s_on_find}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (self->timer < 0 || cc_bus_on_command(bus, cmds[i].name, cmds[i].fn, self) < 0) {
            cc_error("bus.command_failed", "command=%s", cmds[i].name);
            md_taps_destroy(&self);
            return NULL;
        }
    }
    md_rtp_on_tap(rtp, s_on_tap, self);
    md_mixes_on_tap(mixes, s_on_mix_tap, self);
    return self;
}

void md_taps_destroy(md_taps_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    md_taps_t *self = *self_p;
    while (self->taps) {
        md_tap_t *t = self->taps;
        self->taps = t->next;
        s_detach(self, t);
        md_tap_destroy(&t);
    }
    md_rtp_on_tap(self->rtp, NULL, NULL);
    md_mixes_on_tap(self->mixes, NULL, NULL);
    if (self->timer > 0)
        cc_loop_timer_cancel(self->loop, self->timer);
    zsock_destroy(&self->push);
    free(self);
    *self_p = NULL;
}

void md_taps_status(md_taps_t *self, json_t *details)
{
    json_object_set_new(details, "taps", json_integer(self->count));
    json_object_set_new(details, "tap_frames", json_integer((json_int_t)self->frames_sent));
    json_object_set_new(details, "tap_frames_dropped",
                        json_integer((json_int_t)self->frames_dropped));
    json_object_set_new(details, "tap_batches", json_integer((json_int_t)self->batches_sent));
    json_object_set_new(details, "tap_batches_dropped",
                        json_integer((json_int_t)self->batches_dropped));
}
