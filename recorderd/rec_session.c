/* rec_session.c - one recording of a call (see rec_calls_int.h): the index row and file
 * at the start, mediad's tap, the tap batches fed to the timeline (rec_mix) and the file,
 * pause and resume, the stop with its grace for late frames, the close. Calls and the bus
 * are rec_calls.c's; deleting expired recordings is rec_retention.c's, repairing what a
 * crash left open rec_recovery.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cc_log.h"
#include "rec_calls_int.h"
#include "rec_db.h"
#include "cc_tapwire.h"

/* ---- recording: start, frames, stop ------------------------------------------------ */

static void s_sink(const int16_t *stereo, size_t frames, void *arg)
{
    rec_call_t *c = arg;
    if (c->file && !c->write_failed && rec_file_write(c->file, stereo, frames) < 0) {
        c->write_failed = true;
        cc_error("rec.write_failed", "recording=%lld path=%s error=%s", (long long)c->rec_id,
                 cc_logq(c->path), cc_logq(strerror(errno)));
    }
}

/* tap.start's answer; the recording owns the request, so it still runs. */
static void s_on_tap_started(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    rec_call_t *c = arg;
    if (status != 0) {
        cc_warn("rec.tap_failed", "recording=%lld status=%d error=%s", (long long)c->rec_id, status,
                cc_logq(result ? json_string_value(json_object_get(result, "message")) : ""));
        return;
    }
    json_int_t mono = json_integer_value(json_object_get(result, "mono_us"));
    c->offset_us = (int64_t)mono - (int64_t)cc_mono_us();
    if (c->offset_us > -20000 && c->offset_us < 20000)
        c->offset_us = 0; /* one host: one clock; what is left is the reply's latency */
}

void rec_session_tap_start(rec_calls_t *self, rec_call_t *c)
{
    json_t *args = json_pack("{s:I}", "tap_id", (json_int_t)c->rec_id);
    if (c->mix_id)
        json_object_set_new(args, "mix_id", json_integer(c->mix_id));
    else if (c->caller_ep)
        json_object_set_new(args, "caller_endpoint", json_integer(c->caller_ep));
    if (c->callee_ep && !c->mix_id)
        json_object_set_new(args, "callee_endpoint", json_integer(c->callee_ep));
    if (!cc_bus_request(self->bus, &c->rec_requests, "mediad", "tap.start", args, 2000,
                        s_on_tap_started, c))
        cc_warn("rec.tap_failed", "recording=%lld reason=%s", (long long)c->rec_id,
                cc_logq("cannot reach mediad"));
}

/* The old mediad's tap is gone with what it had not sent yet, and the new one counts its
 * batches and drops from the start: the timeline marks a gap from the audio placed so far
 * to the new tap's first frame (the phones' timestamps ran on, so that frame lands where
 * it belongs), and the counters start again, keeping what the old tap dropped. */
void rec_session_tap_restart(rec_calls_t *self, rec_call_t *c)
{
    if (!c->mix || c->stopping)
        return;
    rec_mix_mark_loss(c->mix);
    c->dropped_before += c->dropped_mediad;
    c->dropped_mediad = 0;
    c->last_batch = 0;
    rec_session_tap_start(self, c);
}

/* Replies nobody waits for (dtmf.detect): failures are logged. */
void rec_session_on_reply_logged(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    if (status != 0)
        cc_warn("rec.mediad_failed", "command=%s status=%d error=%s", (const char *)arg, status,
                cc_logq(result ? json_string_value(json_object_get(result, "message")) : ""));
}

void rec_session_dtmf_on(rec_calls_t *self, int endpoint)
{
    if (!self->cfg.feature_codes || !endpoint)
        return;
    cc_bus_request(self->bus, NULL, "mediad", "dtmf.detect",
                   json_pack("{s:i, s:b}", "endpoint_id", endpoint, "enable", 1), 2000,
                   rec_session_on_reply_logged, "dtmf.detect");
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
        safe[j++] = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
                            (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_'
                        ? ch
                        : '_';
    }
    safe[j] = '\0';
    int n = snprintf(out, len, "%s/%04d/%02d/%02d/%s-%llu.%s", self->dir, tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, safe, (unsigned long long)cc_wall_us(),
                     self->cfg.encrypt ? "wav.ccrec" : "wav");
    return n > 0 && (size_t)n < len ? 0 : -1;
}

/* Start recording c. 0, or -1 after logging why. */
int rec_session_start(rec_calls_t *self, rec_call_t *c)
{
    if (c->mix)
        return 0;
    if (s_make_path(self, c, c->path, sizeof c->path) < 0)
        return -1;
    rec_db_new_t row = {.call_id = c->call_id,
                        .caller = c->caller,
                        .callee = c->callee,
                        .agent = c->agent,
                        .queue = c->queue,
                        .trunk = c->trunk,
                        .mode = c->decision.mode == REC_ALWAYS ? "always" : "on-demand",
                        .policy = c->decision.matched,
                        .path = c->path,
                        .encrypted = self->cfg.encrypt,
                        .retention_days = c->decision.retention_days};
    c->rec_id = rec_db_insert(self->pg, &row);
    if (c->rec_id <= 0) {
        cc_error("rec.start_failed", "reason=%s", cc_logq("cannot index the recording"));
        return -1;
    }
    c->file = rec_file_new(c->path, self->cfg.encrypt ? self->cfg.master : NULL);
    c->mix = rec_mix_new(cc_mono_us(), RING_MS, self->cfg.flush_ms, s_sink, c);
    if (!c->file || !c->mix) {
        cc_error("rec.start_failed", "path=%s error=%s", cc_logq(c->path),
                 cc_logq(strerror(errno)));
        uint64_t size = 0;
        char sha[65] = "";
        if (c->file)
            rec_file_close(&c->file, &size, sha);
        rec_mix_destroy(&c->mix);
        rec_db_finish(self->pg, c->rec_id, 0, 0, NULL, false, "[]", 0, "[]");
        c->rec_id = 0;
        return -1;
    }
    c->last_batch = 0;
    c->dropped_mediad = c->dropped_before = c->batches_missing = 0;
    c->stopping = c->write_failed = c->tap_stop_pending = false;
    c->offset_us = 0;
    if (rec_calls_tap_link(self, c) != 0) /* out of memory: its batches would go unheard */
        cc_warn("rec.tap_unindexed", "recording=%lld", (long long)c->rec_id);
    self->nrecording++;
    rec_session_tap_start(self, c);
    cc_info("rec.started",
            "recording=%lld mode=%s policy=%s path=%s caller_endpoint=%d "
            "callee_endpoint=%d mix=%u",
            (long long)c->rec_id, rec_mode_name(c->decision.mode), cc_logq(c->decision.matched),
            cc_logq(c->path), c->caller_ep, c->callee_ep, c->mix_id);
    cc_bus_publish(self->bus, "rec.started", c->call_id,
                   json_pack("{s:I, s:s, s:s}", "recording_id", (json_int_t)c->rec_id, "mode",
                             c->decision.mode == REC_ALWAYS ? "always" : "on-demand", "path",
                             c->path));
    return 0;
}

/* Paused spans or gaps as [{start_ms, end_ms}]; an open span ends where the audio does. */
static char *s_spans_json(const rec_span_t *spans, int n, int64_t emitted)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) {
        int64_t end = spans[i].end < 0 ? emitted : spans[i].end;
        /* rounded inwards: the whole marked span is silence */
        json_array_append_new(a, json_pack("{s:I, s:I}", "start_ms",
                                           (json_int_t)((spans[i].start + 7) / 8), "end_ms",
                                           (json_int_t)(end / 8)));
    }
    char *text = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return text;
}

/* Close the file and the index row. */
void rec_session_finish(rec_calls_t *self, rec_call_t *c, bool complete)
{
    if (!c->mix)
        return;
    cc_bus_owner_cancel(self->bus, &c->rec_requests);
    if (c->stop_timer > 0)
        cc_loop_timer_cancel(self->loop, c->stop_timer);
    c->stop_timer = 0;
    c->tap_stop_pending = false;
    int64_t samples = rec_mix_finish(c->mix, c->stop_us ? c->stop_us : cc_mono_us());
    uint64_t size = 0;
    char sha[65] = "";
    int rc = rec_file_close(&c->file, &size, sha);
    char *pj = s_spans_json(c->mix->pauses, c->mix->npauses, c->mix->emitted);
    char *gj = s_spans_json(c->mix->gaps, c->mix->ngaps, c->mix->emitted);
    uint64_t lost = c->mix->late + c->dropped_before + c->dropped_mediad;
    int64_t ms = samples / 8;
    complete = complete && !c->mix->tail_lost; /* the end of the call is missing */
    rec_db_finish(self->pg, c->rec_id, ms, size, rc == 0 ? sha : NULL,
                  complete && rc == 0 && !c->write_failed, pj ? pj : "[]", lost, gj ? gj : "[]");
    cc_info("rec.stopped",
            "recording=%lld duration_ms=%lld size=%llu frames=%llu "
            "lost=%llu batches_missing=%llu pauses=%d gaps=%d complete=%d",
            (long long)c->rec_id, (long long)ms, (unsigned long long)size,
            (unsigned long long)c->mix->frames, (unsigned long long)lost,
            (unsigned long long)c->batches_missing, c->mix->npauses, c->mix->ngaps,
            complete && rc == 0);
    cc_bus_publish(self->bus, "rec.stopped", c->call_id,
                   json_pack("{s:I, s:I, s:I, s:s, s:I, s:i}", "recording_id",
                             (json_int_t)c->rec_id, "duration_ms", (json_int_t)ms, "size",
                             (json_int_t)size, "sha256", sha, "frames_lost", (json_int_t)lost,
                             "gaps", c->mix->ngaps));
    free(pj);
    free(gj);
    rec_mix_destroy(&c->mix);
    rec_calls_tap_unlink(self, c);
    self->nrecording--;
    self->recordings_done++;
    c->rec_id = 0;
    c->stopping = false;
    c->stop_us = 0;
}

/* The grace is over and tap.stop answered: close (and forget a call that ended). */
static void s_stop_done(rec_calls_t *self, rec_call_t *c)
{
    if (c->stop_timer > 0 || c->tap_stop_pending)
        return;
    rec_session_finish(self, c, true);
    if (c->ended)
        rec_calls_call_free(self, c);
}

static void s_on_stop_timer(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    rec_call_t *c = arg;
    c->stop_timer = 0;
    cc_log_set_call(c->call_id);
    s_stop_done(c->owner, c);
    cc_log_set_call(NULL);
}

/* tap.stop's answer; the recording owns the request, so it still runs. An error (mediad
 * does not know the tap: it restarted) or no answer (it is down) means what the tap held
 * at the end never reaches us. */
static void s_on_tap_stopped(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    rec_call_t *c = arg;
    c->tap_stop_pending = false;
    if (status != 0) {
        cc_warn("rec.tail_lost", "recording=%lld status=%d error=%s", (long long)c->rec_id, status,
                cc_logq(result ? json_string_value(json_object_get(result, "message")) : ""));
        rec_mix_mark_tail_lost(c->mix);
    }
    s_stop_done(c->owner, c);
}

/* Stop: the tap goes, the last frames get end_grace_ms to arrive, then the file closes;
 * not before mediad answered tap.stop, whose failure says the end is missing. */
void rec_session_stop(rec_calls_t *self, rec_call_t *c)
{
    if (!c->mix || c->stopping)
        return;
    c->stopping = true;
    c->stop_us = cc_mono_us();
    c->tap_stop_pending = cc_bus_request(self->bus, &c->rec_requests, "mediad", "tap.stop",
                                         json_pack("{s:I}", "tap_id", (json_int_t)c->rec_id), 2000,
                                         s_on_tap_stopped, c) != 0;
    if (!c->tap_stop_pending)
        rec_mix_mark_tail_lost(c->mix);
    c->stop_timer =
        cc_loop_timer_add(self->loop, (uint64_t)self->cfg.end_grace_ms + 1, 0, s_on_stop_timer, c);
    if (c->stop_timer < 0)
        s_on_stop_timer(self->loop, 0, c);
}

void rec_session_pause(rec_calls_t *self, rec_call_t *c, bool pause, const char *by)
{
    if (!c->mix || rec_mix_paused(c->mix) == pause)
        return;
    if (pause)
        rec_mix_pause(c->mix, cc_mono_us());
    else
        rec_mix_resume(c->mix, cc_mono_us());
    cc_info(pause ? "rec.paused" : "rec.resumed", "recording=%lld by=%s", (long long)c->rec_id, by);
    cc_bus_publish(self->bus, pause ? "rec.paused" : "rec.resumed", c->call_id,
                   json_pack("{s:I, s:s}", "recording_id", (json_int_t)c->rec_id, "by", by));
}

/* ---- tap input ----------------------------------------------------------------------- */

static void s_batch(rec_calls_t *self, const uint8_t *buf, size_t len)
{
    cc_tap_batch_t b;
    size_t off;
    if (cc_tap_batch_parse(buf, len, &b, &off) < 0) {
        self->bad_batches++;
        return;
    }
    rec_call_t *c = rec_calls_tap_find(self, b.tap_id);
    if (!c || !c->mix) {
        self->unknown_batches++; /* e.g. left over from before a restart */
        return;
    }
    cc_log_set_call(c->call_id); /* a batch of one call's audio */
    self->batches++;
    /* mediad numbers its batches and counts what it dropped: either says audio is missing
     * just before this batch, which the timeline marks as a gap */
    bool loss = (c->last_batch && b.batch_seq > c->last_batch + 1) || b.dropped > c->dropped_mediad;
    if (c->last_batch && b.batch_seq > c->last_batch + 1)
        c->batches_missing += b.batch_seq - c->last_batch - 1;
    c->last_batch = b.batch_seq;
    c->dropped_mediad = b.dropped;
    if (loss)
        rec_mix_mark_loss(c->mix);
    cc_tap_frame_t f;
    int r;
    while ((r = cc_tap_batch_next(buf, len, &off, &f)) == 1) {
        self->frames++;
        uint64_t arrival = (uint64_t)((int64_t)f.arrival_us - c->offset_us);
        rec_mix_frame(c->mix, f.party, f.pt, f.ts, f.ssrc, arrival, f.payload, f.len);
        if (c->mix_id && f.party == 0) /* a conference: the full mix in both channels */
            rec_mix_frame(c->mix, 1, f.pt, f.ts, f.ssrc, arrival, f.payload, f.len);
    }
    if (r < 0)
        self->bad_batches++;
    rec_mix_advance(c->mix, cc_mono_us());
    cc_log_set_call(NULL);
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

void rec_session_on_pull(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    s_drain(arg);
}

bool rec_session_prepare(cc_loop_t *loop, void *arg)
{
    (void)loop;
    return s_drain(arg);
}
