/* rec_calls.c - call sessions, taps and recordings (see rec_calls.h). */
#include "rec_calls.h"

#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cc_log.h"
#include "rec_db.h"
#include "rec_file.h"
#include "rec_mix.h"
#include "rec_tapwire.h"

#define NBUCKETS 4096
#define TEXT_MAX 64
#define RING_MS 4000

typedef struct rec_call rec_call_t;
struct rec_call {
    rec_calls_t *owner;
    char call_id[256];
    char caller[TEXT_MAX], callee[TEXT_MAX], agent[TEXT_MAX], queue[TEXT_MAX], trunk[TEXT_MAX];
    int caller_ep, callee_ep;
    bool answered, ended, finding;
    rec_decision_t decision;
    rec_fc_state_t fc;
    /* the recording, while one runs */
    int64_t rec_id;
    rec_file_t *file;
    rec_mix_t *mix;
    char path[4096];
    int64_t offset_us;          /* mediad's clock minus ours */
    uint32_t last_batch;
    uint64_t dropped_mediad, batches_missing;
    bool stopping, write_failed;
    int stop_timer;
    uint64_t stop_us;
    cc_bus_req_t *pending_start; /* rec.start waiting for endpoint.find */
    rec_call_t *next_call, *next_tap;
};

struct rec_calls {
    cc_bus_t *bus;
    cc_loop_t *loop;
    cc_pg_t *pg;
    rec_calls_cfg_t cfg;
    char dir[4096];
    rec_policy_t *policies;
    size_t npolicies;
    rec_call_t *by_call[NBUCKETS], *by_tap[NBUCKETS];
    int ncalls, nrecording;
    zsock_t *pull;
    int pull_fd, tick_timer, sweep_timer;
    uint64_t batches, frames, bad_batches, unknown_batches, recordings_done, deleted;
};

/* ---- tables ------------------------------------------------------------------------ */

static unsigned s_hash(const char *s)
{
    unsigned h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h % NBUCKETS;
}

static rec_call_t *s_call(rec_calls_t *self, const char *call_id, bool create)
{
    if (!call_id || !*call_id || strlen(call_id) >= 256)
        return NULL;
    unsigned h = s_hash(call_id);
    for (rec_call_t *c = self->by_call[h]; c; c = c->next_call)
        if (!strcmp(c->call_id, call_id))
            return c;
    if (!create)
        return NULL;
    rec_call_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->owner = self;
    snprintf(c->call_id, sizeof c->call_id, "%s", call_id);
    c->decision.mode = self->cfg.default_mode;
    c->decision.retention_days = self->cfg.default_retention_days;
    c->next_call = self->by_call[h];
    self->by_call[h] = c;
    self->ncalls++;
    return c;
}

static void s_call_free(rec_calls_t *self, rec_call_t *c)
{
    for (rec_call_t **pp = &self->by_call[s_hash(c->call_id)]; *pp; pp = &(*pp)->next_call) {
        if (*pp == c) {
            *pp = c->next_call;
            break;
        }
    }
    if (c->pending_start)
        cc_bus_reply_error(self->bus, c->pending_start, "internal", "call went away");
    self->ncalls--;
    free(c);
}

static rec_call_t *s_tap(rec_calls_t *self, uint64_t id)
{
    for (rec_call_t *c = self->by_tap[id % NBUCKETS]; c; c = c->next_tap)
        if ((uint64_t)c->rec_id == id)
            return c;
    return NULL;
}

static void s_tap_unlink(rec_calls_t *self, rec_call_t *c)
{
    for (rec_call_t **pp = &self->by_tap[(uint64_t)c->rec_id % NBUCKETS]; *pp;
         pp = &(*pp)->next_tap) {
        if (*pp == c) {
            *pp = c->next_tap;
            return;
        }
    }
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

/* ---- recording: start, frames, stop ------------------------------------------------ */

static void s_sink(const int16_t *stereo, size_t frames, void *arg)
{
    rec_call_t *c = arg;
    if (c->file && !c->write_failed && rec_file_write(c->file, stereo, frames) < 0) {
        c->write_failed = true;
        cc_error("rec.write_failed", "call=%s recording=%lld path=%s error=%s",
                 cc_logq(c->call_id), (long long)c->rec_id, cc_logq(c->path),
                 cc_logq(strerror(errno)));
    }
}

static void s_resolve(rec_calls_t *self, rec_call_t *c)
{
    rec_call_keys_t keys = {.caller_ext = c->caller, .callee_ext = c->callee,
                            .agent_ext = c->agent, .queue = c->queue, .trunk = c->trunk};
    rec_policy_resolve(self->policies, self->npolicies, &keys, self->cfg.default_mode,
                       self->cfg.default_retention_days, &c->decision);
}

static void s_on_tap_started(cc_bus_t *bus, int status, json_t *result, void *arg);

static void s_tap_start(rec_calls_t *self, rec_call_t *c)
{
    json_t *args = json_pack("{s:I}", "tap_id", (json_int_t)c->rec_id);
    if (c->caller_ep)
        json_object_set_new(args, "caller_endpoint", json_integer(c->caller_ep));
    if (c->callee_ep)
        json_object_set_new(args, "callee_endpoint", json_integer(c->callee_ep));
    char *id = malloc(24);
    if (id)
        snprintf(id, 24, "%lld", (long long)c->rec_id);
    /* the reply finds the call by recording id: the call may be gone by then */
    if (!id || cc_bus_request(self->bus, "mediad", "tap.start", args, 2000, s_on_tap_started,
                              id) < 0) {
        free(id);
        cc_warn("rec.tap_failed", "call=%s recording=%lld reason=%s", cc_logq(c->call_id),
                (long long)c->rec_id, cc_logq("cannot reach mediad"));
    }
}

static rec_calls_t *s_self; /* the one instance, for replies that carry only an id */

static void s_on_tap_started(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    char *id = arg;
    rec_call_t *c = s_self ? s_tap(s_self, strtoull(id, NULL, 10)) : NULL;
    free(id);
    if (!c)
        return;
    if (status != 0) {
        cc_warn("rec.tap_failed", "call=%s recording=%lld status=%d error=%s",
                cc_logq(c->call_id), (long long)c->rec_id, status,
                cc_logq(result ? json_string_value(json_object_get(result, "message")) : ""));
        return;
    }
    json_int_t mono = json_integer_value(json_object_get(result, "mono_us"));
    c->offset_us = (int64_t)mono - (int64_t)cc_mono_us();
    if (c->offset_us > -20000 && c->offset_us < 20000)
        c->offset_us = 0; /* one host: one clock; what is left is the reply's latency */
}

/* Replies nobody waits for (dtmf.detect, tap.stop): failures are logged. */
static void s_on_reply_logged(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    if (status != 0)
        cc_warn("rec.mediad_failed", "command=%s status=%d error=%s", (const char *)arg, status,
                cc_logq(result ? json_string_value(json_object_get(result, "message")) : ""));
}

static void s_dtmf_on(rec_calls_t *self, int endpoint)
{
    if (!self->cfg.feature_codes || !endpoint)
        return;
    cc_bus_request(self->bus, "mediad", "dtmf.detect",
                   json_pack("{s:i, s:b}", "endpoint_id", endpoint, "enable", 1), 2000,
                   s_on_reply_logged, "dtmf.detect");
}

static int s_make_path(rec_calls_t *self, rec_call_t *c, char *out, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char safe[80];
    size_t j = 0;
    for (size_t i = 0; c->call_id[i] && j < sizeof safe - 1; i++) {
        char ch = c->call_id[i];
        safe[j++] = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
                            || ch == '-' || ch == '_' ? ch : '_';
    }
    safe[j] = '\0';
    int n = snprintf(out, len, "%s/%04d/%02d/%02d/%s-%llu.%s", self->dir, tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, safe, (unsigned long long)cc_wall_us(),
                     self->cfg.encrypt ? "wav.ccrec" : "wav");
    return n > 0 && (size_t)n < len ? 0 : -1;
}

/* Start recording c. 0, or -1 after logging why. */
static int s_rec_start(rec_calls_t *self, rec_call_t *c)
{
    if (c->mix)
        return 0;
    if (s_make_path(self, c, c->path, sizeof c->path) < 0)
        return -1;
    rec_db_new_t row = {.call_id = c->call_id, .caller = c->caller, .callee = c->callee,
                        .agent = c->agent, .queue = c->queue, .trunk = c->trunk,
                        .mode = c->decision.mode == REC_ALWAYS ? "always" : "on-demand",
                        .policy = c->decision.matched, .path = c->path,
                        .encrypted = self->cfg.encrypt,
                        .retention_days = c->decision.retention_days};
    c->rec_id = rec_db_insert(self->pg, &row);
    if (c->rec_id <= 0) {
        cc_error("rec.start_failed", "call=%s reason=%s", cc_logq(c->call_id),
                 cc_logq("cannot index the recording"));
        return -1;
    }
    c->file = rec_file_new(c->path, self->cfg.encrypt ? self->cfg.master : NULL);
    c->mix = rec_mix_new(cc_mono_us(), RING_MS, self->cfg.flush_ms, s_sink, c);
    if (!c->file || !c->mix) {
        cc_error("rec.start_failed", "call=%s path=%s error=%s", cc_logq(c->call_id),
                 cc_logq(c->path), cc_logq(strerror(errno)));
        uint64_t size = 0;
        char sha[65] = "";
        if (c->file)
            rec_file_close(&c->file, &size, sha);
        rec_mix_destroy(&c->mix);
        rec_db_finish(self->pg, c->rec_id, 0, 0, NULL, false, "[]", 0);
        c->rec_id = 0;
        return -1;
    }
    c->last_batch = 0;
    c->dropped_mediad = c->batches_missing = 0;
    c->stopping = c->write_failed = false;
    c->offset_us = 0;
    uint64_t h = (uint64_t)c->rec_id % NBUCKETS;
    c->next_tap = self->by_tap[h];
    self->by_tap[h] = c;
    self->nrecording++;
    s_tap_start(self, c);
    cc_info("rec.started", "call=%s recording=%lld mode=%s policy=%s path=%s caller_endpoint=%d "
            "callee_endpoint=%d", cc_logq(c->call_id), (long long)c->rec_id,
            rec_mode_name(c->decision.mode), cc_logq(c->decision.matched), cc_logq(c->path),
            c->caller_ep, c->callee_ep);
    cc_bus_publish(self->bus, "rec.started", c->call_id,
                   json_pack("{s:I, s:s, s:s}", "recording_id", (json_int_t)c->rec_id, "mode",
                             c->decision.mode == REC_ALWAYS ? "always" : "on-demand", "path",
                             c->path));
    return 0;
}

static json_t *s_paused_json(const rec_mix_t *mix)
{
    json_t *a = json_array();
    for (int i = 0; i < mix->npauses; i++) {
        int64_t end = mix->pauses[i].end < 0 ? mix->emitted : mix->pauses[i].end;
        /* rounded inwards: the whole marked span is silence */
        json_array_append_new(a, json_pack("{s:I, s:I}", "start_ms",
                                           (json_int_t)((mix->pauses[i].start + 7) / 8),
                                           "end_ms", (json_int_t)(end / 8)));
    }
    return a;
}

/* Close the file and the index row. */
static void s_rec_finish(rec_calls_t *self, rec_call_t *c, bool complete)
{
    if (!c->mix)
        return;
    if (c->stop_timer > 0)
        cc_loop_timer_cancel(self->loop, c->stop_timer);
    c->stop_timer = 0;
    int64_t samples = rec_mix_finish(c->mix, c->stop_us ? c->stop_us : cc_mono_us());
    uint64_t size = 0;
    char sha[65] = "";
    int rc = rec_file_close(&c->file, &size, sha);
    json_t *paused = s_paused_json(c->mix);
    char *pj = json_dumps(paused, JSON_COMPACT);
    uint64_t lost = c->mix->late + c->dropped_mediad;
    int64_t ms = samples / 8;
    rec_db_finish(self->pg, c->rec_id, ms, size, rc == 0 ? sha : NULL,
                  complete && rc == 0 && !c->write_failed, pj ? pj : "[]", lost);
    cc_info("rec.stopped", "call=%s recording=%lld duration_ms=%lld size=%llu frames=%llu "
            "lost=%llu batches_missing=%llu pauses=%d complete=%d", cc_logq(c->call_id),
            (long long)c->rec_id, (long long)ms, (unsigned long long)size,
            (unsigned long long)c->mix->frames, (unsigned long long)lost,
            (unsigned long long)c->batches_missing, c->mix->npauses, complete && rc == 0);
    cc_bus_publish(self->bus, "rec.stopped", c->call_id,
                   json_pack("{s:I, s:I, s:I, s:s, s:I}", "recording_id", (json_int_t)c->rec_id,
                             "duration_ms", (json_int_t)ms, "size", (json_int_t)size, "sha256",
                             sha, "frames_lost", (json_int_t)lost));
    free(pj);
    json_decref(paused);
    rec_mix_destroy(&c->mix);
    s_tap_unlink(self, c);
    self->nrecording--;
    self->recordings_done++;
    c->rec_id = 0;
    c->stopping = false;
    c->stop_us = 0;
}

static void s_on_stop_timer(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    rec_call_t *c = arg;
    rec_calls_t *self = c->owner;
    c->stop_timer = 0;
    s_rec_finish(self, c, true);
    if (c->ended)
        s_call_free(self, c);
}

/* Stop: the tap goes, the last frames get end_grace_ms to arrive, then the file closes. */
static void s_rec_stop(rec_calls_t *self, rec_call_t *c)
{
    if (!c->mix || c->stopping)
        return;
    c->stopping = true;
    c->stop_us = cc_mono_us();
    cc_bus_request(self->bus, "mediad", "tap.stop",
                   json_pack("{s:I}", "tap_id", (json_int_t)c->rec_id), 2000, s_on_reply_logged,
                   "tap.stop");
    c->stop_timer = cc_loop_timer_add(self->loop, (uint64_t)self->cfg.end_grace_ms + 1, 0,
                                      s_on_stop_timer, c);
    if (c->stop_timer < 0)
        s_on_stop_timer(self->loop, 0, c);
}

static void s_pause(rec_calls_t *self, rec_call_t *c, bool pause, const char *by)
{
    if (!c->mix || rec_mix_paused(c->mix) == pause)
        return;
    if (pause)
        rec_mix_pause(c->mix, cc_mono_us());
    else
        rec_mix_resume(c->mix, cc_mono_us());
    cc_info(pause ? "rec.paused" : "rec.resumed", "call=%s recording=%lld by=%s",
            cc_logq(c->call_id), (long long)c->rec_id, by);
    cc_bus_publish(self->bus, pause ? "rec.paused" : "rec.resumed", c->call_id,
                   json_pack("{s:I, s:s}", "recording_id", (json_int_t)c->rec_id, "by", by));
}

/* ---- tap input ----------------------------------------------------------------------- */

static void s_batch(rec_calls_t *self, const uint8_t *buf, size_t len)
{
    rec_batch_t b;
    size_t off;
    if (rec_batch_parse(buf, len, &b, &off) < 0) {
        self->bad_batches++;
        return;
    }
    rec_call_t *c = s_tap(self, b.tap_id);
    if (!c || !c->mix) {
        self->unknown_batches++; /* e.g. left over from before a restart */
        return;
    }
    self->batches++;
    if (c->last_batch && b.batch_seq > c->last_batch + 1)
        c->batches_missing += b.batch_seq - c->last_batch - 1;
    c->last_batch = b.batch_seq;
    c->dropped_mediad = b.dropped;
    rec_frame_t f;
    int r;
    while ((r = rec_batch_next(buf, len, &off, &f)) == 1) {
        self->frames++;
        rec_mix_frame(c->mix, f.party, f.pt, f.ts, f.ssrc,
                      (uint64_t)((int64_t)f.arrival_us - c->offset_us), f.payload, f.len);
    }
    if (r < 0)
        self->bad_batches++;
    rec_mix_advance(c->mix, cc_mono_us());
}

static bool s_drain(rec_calls_t *self)
{
    bool any = false;
    void *sock = zsock_resolve(self->pull);
    for (int i = 0; i < 10000; i++) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            break;
        }
        s_batch(self, zmq_msg_data(&msg), zmq_msg_size(&msg));
        zmq_msg_close(&msg);
        any = true;
    }
    return any;
}

static void s_on_pull(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    s_drain(arg);
}

static bool s_prepare(cc_loop_t *loop, void *arg)
{
    (void)loop;
    return s_drain(arg);
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
    for (int h = 0; h < NBUCKETS; h++)
        for (rec_call_t *c = self->by_tap[h]; c; c = c->next_tap)
            if (c->mix)
                rec_mix_advance(c->mix, now);
    if (rec_db_changed(self->pg))
        s_reload(self);
}

static void s_expired(int64_t id, const char *path, bool encrypted, void *arg)
{
    (void)encrypted;
    rec_calls_t *self = arg;
    if (unlink(path) < 0 && errno != ENOENT) {
        cc_warn("rec.delete_failed", "recording=%lld path=%s error=%s", (long long)id,
                cc_logq(path), cc_logq(strerror(errno)));
        return;
    }
    if (rec_db_mark_deleted(self->pg, id) == 0) {
        self->deleted++;
        cc_info("rec.deleted", "recording=%lld path=%s", (long long)id, cc_logq(path));
        cc_bus_publish(self->bus, "rec.deleted", NULL,
                       json_pack("{s:I}", "recording_id", (json_int_t)id));
    }
}

static int s_sweep(rec_calls_t *self)
{
    uint64_t before = self->deleted;
    rec_db_expired(self->pg, s_expired, self);
    return (int)(self->deleted - before);
}

static void s_on_sweep(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_sweep(arg);
}

static void s_recover_one(int64_t id, const char *path, bool encrypted, void *arg)
{
    rec_calls_t *self = arg;
    uint64_t size = 0, frames = 0;
    char sha[65] = "";
    int rc = rec_file_repair(path, encrypted ? self->cfg.master : NULL, &size, sha, &frames);
    rec_db_finish(self->pg, id, (int64_t)(frames / 8), size, rc == 0 ? sha : NULL, false, "[]", 0);
    cc_warn("rec.recovered", "recording=%lld path=%s duration_ms=%llu size=%llu repaired=%d",
            (long long)id, cc_logq(path), (unsigned long long)(frames / 8),
            (unsigned long long)size, rc == 0);
}

int rec_calls_recover(rec_calls_t *self)
{
    return rec_db_open_rows(self->pg, s_recover_one, self);
}

/* ---- bus: events ------------------------------------------------------------------- */

static void s_after_endpoints(rec_calls_t *self, rec_call_t *c)
{
    s_dtmf_on(self, c->callee_ep);
    if (c->pending_start) {
        cc_bus_req_t *req = c->pending_start;
        c->pending_start = NULL;
        if (!c->caller_ep && !c->callee_ep)
            cc_bus_reply_error(self->bus, req, "no_media", "mediad has no endpoint of call %s",
                               c->call_id);
        else if (s_rec_start(self, c) < 0)
            cc_bus_reply_error(self->bus, req, "internal", "cannot start recording (see log)");
        else
            cc_bus_reply(self->bus, req, json_pack("{s:I, s:s}", "recording_id",
                                                   (json_int_t)c->rec_id, "path", c->path));
        return;
    }
    if (c->decision.mode == REC_ALWAYS && !c->ended)
        s_rec_start(self, c);
}

static void s_on_found(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    char *call_id = arg;
    rec_call_t *c = s_self ? s_call(s_self, call_id, false) : NULL;
    free(call_id);
    if (!c)
        return;
    c->finding = false;
    if (status == 0) {
        json_t *eps = json_object_get(result, "endpoints"), *e;
        size_t i;
        json_array_foreach(eps, i, e) {
            const char *leg = json_string_value(json_object_get(e, "leg"));
            if (leg && !strcmp(leg, "caller") && !c->caller_ep) {
                c->caller_ep = (int)json_integer_value(json_object_get(e, "endpoint_id"));
                if (!c->callee_ep)
                    c->callee_ep = (int)json_integer_value(json_object_get(e, "peer_id"));
            }
        }
        json_array_foreach(eps, i, e) { /* no caller leg connected: take another leg */
            int id = (int)json_integer_value(json_object_get(e, "endpoint_id"));
            if (!c->callee_ep && id != c->caller_ep)
                c->callee_ep = id;
        }
    } else {
        cc_warn("rec.find_failed", "call=%s status=%d", cc_logq(c->call_id), status);
    }
    s_after_endpoints(s_self, c);
}

static void s_find_endpoints(rec_calls_t *self, rec_call_t *c)
{
    if (c->finding)
        return;
    char *id = strdup(c->call_id);
    c->finding = id != NULL;
    if (!id || cc_bus_request(self->bus, "mediad", "endpoint.find",
                              json_pack("{s:s}", "call_id", c->call_id), 2000, s_on_found,
                              id) < 0) {
        free(id);
        c->finding = false;
        s_after_endpoints(self, c);
    }
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
        json_int_t a = json_integer_value(json_object_get(b, "caller_endpoint"));
        json_int_t e = json_integer_value(json_object_get(b, "callee_endpoint"));
        if (a > 0)
            c->caller_ep = (int)a;
        if (e > 0)
            c->callee_ep = (int)e;
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
            s_dtmf_on(self, c->callee_ep);
            if (c->mix)
                s_tap_start(self, c); /* re-aim the tap at the agent */
        }
        s_resolve(self, c);
        if (c->answered && !c->mix && c->decision.mode == REC_ALWAYS) {
            if (c->caller_ep)
                s_rec_start(self, c);
            else
                s_find_endpoints(self, c);
        }
    } else if (!strcmp(type, "call.ended")) {
        c->ended = true;
        if (c->mix && !c->stopping) {
            s_rec_stop(self, c);
            c->stop_us = cc_mono_us();
        } else if (!c->mix) {
            s_call_free(self, c);
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
    case REC_FC_PAUSE: s_pause(self, c, true, "dtmf"); break;
    case REC_FC_RESUME: s_pause(self, c, false, "dtmf"); break;
    case REC_FC_START:
        if (!c->mix && c->decision.mode != REC_NEVER)
            s_rec_start(self, c);
        break;
    case REC_FC_STOP:
        if (c->mix && c->decision.mode == REC_ON_DEMAND)
            s_rec_stop(self, c);
        break;
    default: break;
    }
}

/* ---- bus: commands ------------------------------------------------------------------- */

static rec_call_t *s_call_arg(rec_calls_t *self, cc_bus_req_t *req, json_t *args, bool create)
{
    rec_call_t *c = s_call(self, json_string_value(json_object_get(args, "call_id")), create);
    if (!c)
        cc_bus_reply_error(self->bus, req, "unknown_call", "no such call in progress");
    return c;
}

static void s_cmd_start(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                        void *arg)
{
    (void)cmd;
    rec_calls_t *self = arg;
    rec_call_t *c = s_call_arg(self, req, args, true);
    if (!c)
        return;
    json_int_t a = json_integer_value(json_object_get(args, "caller_endpoint"));
    json_int_t e = json_integer_value(json_object_get(args, "callee_endpoint"));
    if (a > 0)
        c->caller_ep = (int)a;
    if (e > 0)
        c->callee_ep = (int)e;
    if (json_object_get(args, "caller"))
        s_copy(c->caller, json_string_value(json_object_get(args, "caller")));
    if (json_object_get(args, "callee"))
        s_copy(c->callee, json_string_value(json_object_get(args, "callee")));
    if (c->mix && !c->stopping) {
        cc_bus_reply(bus, req, json_pack("{s:I, s:s}", "recording_id", (json_int_t)c->rec_id,
                                         "path", c->path));
        return;
    }
    if (c->mix || c->pending_start) {
        cc_bus_reply_error(bus, req, "busy", "the recording is closing; try again");
        return;
    }
    if (c->decision.mode == REC_NEVER)
        c->decision.mode = REC_ON_DEMAND; /* asked for explicitly */
    if (!c->caller_ep && !c->callee_ep) {
        c->pending_start = req;
        s_find_endpoints(self, c);
        return;
    }
    if (s_rec_start(self, c) < 0) {
        cc_bus_reply_error(bus, req, "internal", "cannot start recording (see log)");
        return;
    }
    cc_bus_reply(bus, req, json_pack("{s:I, s:s}", "recording_id", (json_int_t)c->rec_id, "path",
                                     c->path));
}

static void s_cmd_simple(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                         void *arg)
{
    rec_calls_t *self = arg;
    rec_call_t *c = s_call_arg(self, req, args, false);
    if (!c)
        return;
    if (!c->mix || c->stopping) {
        cc_bus_reply_error(bus, req, "not_recording", "call %s is not being recorded",
                           c->call_id);
        return;
    }
    int64_t id = c->rec_id;
    if (!strcmp(cmd, "rec.stop")) {
        s_rec_stop(self, c);
    } else {
        s_pause(self, c, !strcmp(cmd, "rec.pause"), "command");
    }
    cc_bus_reply(bus, req, json_pack("{s:I}", "recording_id", (json_int_t)id));
}

static void s_cmd_sweep(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                        void *arg)
{
    (void)cmd;
    (void)args;
    cc_bus_reply(bus, req, json_pack("{s:i}", "deleted", s_sweep(arg)));
}

/* ---- lifecycle ------------------------------------------------------------------------ */

rec_calls_t *rec_calls_new(cc_bus_t *bus, cc_loop_t *loop, cc_pg_t *pg,
                           const rec_calls_cfg_t *cfg)
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
    s_self = self;
    if (rec_db_prepare(pg) < 0 || rec_db_listen(pg) < 0) {
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
    cc_loop_fd_add(loop, self->pull_fd, EPOLLIN, s_on_pull, self);
    cc_loop_prepare_add(loop, s_prepare, self);
    self->tick_timer = cc_loop_timer_add(loop, 100, 100, s_on_tick, self);
    uint64_t sweep_ms = (uint64_t)cfg->retention_interval_s * 1000;
    self->sweep_timer = cc_loop_timer_add(loop, sweep_ms, sweep_ms, s_on_sweep, self);
    static const struct {
        const char *name;
        cc_bus_command_fn *fn;
    } cmds[] = {{"rec.start", s_cmd_start}, {"rec.stop", s_cmd_simple},
                {"rec.pause", s_cmd_simple}, {"rec.resume", s_cmd_simple},
                {"rec.sweep", s_cmd_sweep}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (cc_bus_on_command(bus, cmds[i].name, cmds[i].fn, self) < 0) {
            rec_calls_destroy(&self);
            return NULL;
        }
    }
    cc_bus_subscribe(bus, "sipproxy", "call.", s_on_call_event, self);
    cc_bus_subscribe(bus, "mediad", "media.dtmf", s_on_dtmf, self);
    return self;
}

void rec_calls_destroy(rec_calls_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rec_calls_t *self = *self_p;
    for (int h = 0; h < NBUCKETS; h++) {
        while (self->by_call[h]) {
            rec_call_t *c = self->by_call[h];
            if (c->mix)
                s_rec_finish(self, c, true);
            s_call_free(self, c);
        }
    }
    if (self->pull) {
        cc_loop_prepare_remove(self->loop, s_prepare, self);
        cc_loop_fd_remove(self->loop, self->pull_fd);
        zsock_destroy(&self->pull);
    }
    if (self->tick_timer > 0)
        cc_loop_timer_cancel(self->loop, self->tick_timer);
    if (self->sweep_timer > 0)
        cc_loop_timer_cancel(self->loop, self->sweep_timer);
    free(self->policies);
    if (s_self == self)
        s_self = NULL;
    free(self);
    *self_p = NULL;
}

void rec_calls_status(rec_calls_t *self, json_t *details)
{
    json_object_set_new(details, "calls", json_integer(self->ncalls));
    json_object_set_new(details, "recording", json_integer(self->nrecording));
    json_object_set_new(details, "recordings_done", json_integer((json_int_t)self->recordings_done));
    json_object_set_new(details, "tap_batches", json_integer((json_int_t)self->batches));
    json_object_set_new(details, "tap_frames", json_integer((json_int_t)self->frames));
    json_object_set_new(details, "tap_bad_batches", json_integer((json_int_t)self->bad_batches));
    json_object_set_new(details, "tap_unknown_batches",
                        json_integer((json_int_t)self->unknown_batches));
    json_object_set_new(details, "deleted", json_integer((json_int_t)self->deleted));
    json_object_set_new(details, "policies", json_integer((json_int_t)self->npolicies));
}
