/* cdr_flush.c - the loop's side of writing: asks the policy (cdr_flush_policy.c) when to
 * hand the filling batch to the writer thread, keeps the timer that asks again, takes the
 * outcome when the thread signals, then per-CDR logs and cdr.written. Retries and their
 * backoff are the writer's: a failing batch stays with it while the next one fills. */
#include "cdr_flush.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "cc_events.h"
#include "cc_log.h"

#define S_STOP_WAIT_MS 1000

struct cdr_flush {
    cc_loop_t *loop;
    cc_bus_t *bus;
    cdr_writer_t *writer;
    cdr_batch_t *filling; /* the intake's */
    cdr_batch_t *writing; /* ours; the writer's while it is busy */
    cdr_flush_cfg_t cfg;
    int timer;         /* pending decision timer, 0 if none */
    uint64_t first_ms; /* when the first event of `filling` arrived */
    bool fd_added;
    bool publish; /* cdr.written is in the catalogue */
    /* figures */
    uint64_t cdrs_written, cdrs_replayed, skipped, batches;
    size_t largest;
    uint64_t stored_epoch, stored_seq;
};

static void s_on_timer(cc_loop_t *loop, int timer_id, void *arg);
static void s_on_done(cc_loop_t *loop, int fd, uint32_t events, void *arg);

cdr_flush_t *cdr_flush_new(cc_loop_t *loop, cc_bus_t *bus, cdr_writer_t *writer, cdr_batch_t *batch,
                           const cdr_flush_cfg_t *cfg)
{
    cdr_flush_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->bus = bus;
    self->writer = writer;
    self->filling = batch;
    self->cfg = *cfg;
    self->publish = bus && cc_events_find(CC_DEF_EVENT, "cdr.written") != NULL;
    cdr_batch_cursor(batch, &self->stored_epoch, &self->stored_seq);
    self->writing = cdr_batch_new();
    if (!self->writing ||
        cc_loop_fd_add(loop, cdr_writer_fd(writer), EPOLLIN, s_on_done, self) != 0) {
        cdr_flush_destroy(&self);
        return NULL;
    }
    self->fd_added = true;
    return self;
}

void cdr_flush_destroy(cdr_flush_t **self_p)
{
    cdr_flush_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    if (self->timer)
        cc_loop_timer_cancel(self->loop, self->timer);
    if (self->fd_added)
        cc_loop_fd_remove(self->loop, cdr_writer_fd(self->writer));
    cdr_batch_destroy(&self->writing);
    free(self);
    *self_p = NULL;
}

static void s_publish(cdr_flush_t *self, const cdr_row_t *row)
{
    json_t *f = json_object();
    if (row->caller)
        json_object_set_new(f, "caller", json_string(row->caller));
    if (row->callee)
        json_object_set_new(f, "callee", json_string(row->callee));
    if (row->direction)
        json_object_set_new(f, "direction", json_string(row->direction));
    if (row->answered_by)
        json_object_set_new(f, "answered_by", json_string(row->answered_by));
    json_object_set_new(f, "disposition", json_string(row->disposition));
    json_object_set_new(f, "hangup_side", json_string(row->hangup_side));
    json_object_set_new(f, "sip_code", json_integer(row->sip_code));
    if (row->ring_ms != CDR_UNKNOWN)
        json_object_set_new(f, "ring_ms", json_integer(row->ring_ms));
    if (row->talk_ms != CDR_UNKNOWN)
        json_object_set_new(f, "talk_ms", json_integer(row->talk_ms));
    cc_bus_publish(self->bus, "cdr.written", row->call_id, f);
}

static void s_after_commit(cdr_flush_t *self, const cdr_db_result_t *res)
{
    cdr_batch_t *batch = self->writing;
    cc_log_call_saved_t handling; /* a batch holds many calls: each line names its own */
    cc_log_enter_call(&handling, cc_log_call());
    for (cdr_row_t *row = cdr_batch_first_row(batch); row; row = cdr_batch_next_row(batch)) {
        if (!row->stored)
            continue;
        cc_log_set_call(row->call_id);
        cc_debug("cdr.written",
                 "caller=%s callee=%s direction=%s disposition=%s hangup=%s "
                 "sip_code=%d ring_ms=%" PRId64 " talk_ms=%" PRId64 " partial=%d",
                 cc_logq(row->caller ? row->caller : ""), cc_logq(row->callee ? row->callee : ""),
                 row->direction ? row->direction : "-", row->disposition, row->hangup_side,
                 row->sip_code, row->ring_ms, row->talk_ms, row->partial);
        if (self->publish)
            s_publish(self, row);
    }
    cc_log_leave_call(&handling);
    cdr_batch_cursor(batch, &self->stored_epoch, &self->stored_seq);
    cc_debug("cdr.batch",
             "events=%zu calls=%zu cdrs=%zu new=%zu replayed=%zu skipped=%zu epoch=%" PRIu64
             " seq=%" PRIu64,
             cdr_batch_events(batch), cdr_batch_calls(batch), cdr_batch_rows(batch),
             res->cdrs_inserted, res->cdrs_existing, res->skipped, self->stored_epoch,
             self->stored_seq);
    self->cdrs_written += res->cdrs_inserted;
    self->cdrs_replayed += res->cdrs_existing;
    self->skipped += res->skipped;
    self->batches++;
    if (cdr_batch_events(batch) > self->largest)
        self->largest = cdr_batch_events(batch);
    cdr_batch_clear(batch);
}

/* Ask the policy; hand the filling batch over or arm the timer that asks again. */
static void s_decide(cdr_flush_t *self)
{
    size_t pending = cdr_batch_events(self->filling);
    uint64_t now = cc_mono_ms();
    int64_t wait = cdr_flush_decide(pending, pending ? now - self->first_ms : 0,
                                    cdr_writer_busy(self->writer), &self->cfg);
    if (wait == 0) {
        if (self->timer) {
            cc_loop_timer_cancel(self->loop, self->timer);
            self->timer = 0;
        }
        cdr_batch_move(self->writing, self->filling);
        cdr_writer_submit(self->writer, self->writing); /* not busy: the policy checked */
        return;
    }
    if (wait > 0 && !self->timer) {
        int id = cc_loop_timer_add(self->loop, (uint64_t)wait, 0, s_on_timer, self);
        self->timer = id > 0 ? id : 0;
    }
}

static void s_on_timer(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    cdr_flush_t *self = arg;
    self->timer = 0;
    s_decide(self);
}

/* The outcome of the batch being written; 0 while it still is. */
static int s_take(cdr_flush_t *self, cdr_db_result_t *res)
{
    int outcome = cdr_writer_take(self->writer, res);
    if (outcome > 0)
        s_after_commit(self, res);
    return outcome;
}

static void s_on_done(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    cdr_flush_t *self = arg;
    cdr_db_result_t res;
    /* Level-triggered: clear the signal even if the outcome was taken at an event already
     * (it is set before the signal), or the loop would spin on it. */
    cdr_writer_drain(self->writer);
    if (s_take(self, &res) != 0)
        s_decide(self); /* what filled meanwhile may go at once */
}

void cdr_flush_kick(cdr_flush_t *self)
{
    if (cdr_batch_events(self->filling) == 1)
        self->first_ms = cc_mono_ms();
    /* The bus drains a busy socket to the end before the loop looks at other fds, so
     * the writer's outcome is looked for here too, not only when its fd is served. */
    cdr_db_result_t res;
    if (cdr_writer_busy(self->writer) && s_take(self, &res) == 0)
        return; /* still writing: its completion asks the policy */
    if (cdr_batch_events(self->filling) >= self->cfg.flush_events || !self->timer)
        s_decide(self);
}

/* Wait for the writer's outcome (shutdown: it gives up after one more failed attempt). */
static int s_wait(cdr_flush_t *self)
{
    cdr_db_result_t res;
    int outcome;
    while ((outcome = cdr_writer_wait(self->writer, S_STOP_WAIT_MS, &res)) == 0)
        ;
    if (outcome > 0)
        s_after_commit(self, &res);
    return outcome;
}

int cdr_flush_now(cdr_flush_t *self)
{
    cdr_writer_give_up(self->writer);
    if (cdr_writer_busy(self->writer) && s_wait(self) < 0)
        return -1; /* the batch in flight failed: the one filling must not pass it */
    if (cdr_batch_events(self->filling) == 0)
        return 0;
    cdr_batch_move(self->writing, self->filling);
    if (!cdr_writer_submit(self->writer, self->writing))
        return -1;
    return s_wait(self) > 0 ? 0 : -1;
}

void cdr_flush_status(cdr_flush_t *self, json_t *details)
{
    json_object_set_new(details, "cdrs_written", json_integer((json_int_t)self->cdrs_written));
    json_object_set_new(details, "cdrs_replayed", json_integer((json_int_t)self->cdrs_replayed));
    json_object_set_new(details, "rows_refused", json_integer((json_int_t)self->skipped));
    json_object_set_new(details, "batches", json_integer((json_int_t)self->batches));
    json_object_set_new(details, "largest_batch", json_integer((json_int_t)self->largest));
    size_t pending = cdr_batch_events(self->filling);
    if (cdr_writer_busy(self->writer))
        pending += cdr_batch_events(self->writing); /* the thread only reads the count */
    json_object_set_new(details, "pending_events", json_integer((json_int_t)pending));
    cdr_writer_status(self->writer, details);
    json_object_set_new(details, "writing", json_boolean(cdr_writer_busy(self->writer)));
    json_t *cursor = json_object();
    json_object_set_new(cursor, "epoch", json_integer((json_int_t)self->stored_epoch));
    json_object_set_new(cursor, "seq", json_integer((json_int_t)self->stored_seq));
    json_object_set_new(details, "cursor", cursor);
}
