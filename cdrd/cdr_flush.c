/* cdr_flush.c - the commit policy: a timer for the longest wait, a size trigger, retries
 * with doubling backoff while Postgres is away (events keep folding into the same batch,
 * the stored cursor stays at the last commit), then per-CDR logs and cdr.written. */
#include "cdr_flush.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cc_events.h"
#include "cc_log.h"

#define S_RETRY_FIRST_MS 100

struct cdr_flush {
    cc_loop_t *loop;
    cc_bus_t *bus;
    cdr_db_t *db;
    cdr_batch_t *batch;
    cdr_flush_cfg_t cfg;
    int timer;         /* pending flush or retry timer, 0 if none */
    uint64_t retry_ms; /* 0: not in backoff */
    bool publish;      /* cdr.written is in the catalogue */
    /* figures */
    uint64_t cdrs_written, cdrs_replayed, skipped, batches, failures;
    uint64_t stored_epoch, stored_seq;
    char last_error[256];
};

static void s_on_timer(cc_loop_t *loop, int timer_id, void *arg);

cdr_flush_t *cdr_flush_new(cc_loop_t *loop, cc_bus_t *bus, cdr_db_t *db, cdr_batch_t *batch,
                           const cdr_flush_cfg_t *cfg)
{
    cdr_flush_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->bus = bus;
    self->db = db;
    self->batch = batch;
    self->cfg = *cfg;
    self->publish = bus && cc_events_find(CC_DEF_EVENT, "cdr.written") != NULL;
    cdr_batch_cursor(batch, &self->stored_epoch, &self->stored_seq);
    return self;
}

void cdr_flush_destroy(cdr_flush_t **self_p)
{
    cdr_flush_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    if (self->timer)
        cc_loop_timer_cancel(self->loop, self->timer);
    free(self);
    *self_p = NULL;
}

static void s_arm(cdr_flush_t *self, uint64_t delay_ms)
{
    if (self->timer)
        return;
    int id = cc_loop_timer_add(self->loop, delay_ms, 0, s_on_timer, self);
    self->timer = id > 0 ? id : 0;
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
    cc_log_call_saved_t handling; /* a batch holds many calls: each line names its own */
    cc_log_enter_call(&handling, cc_log_call());
    for (cdr_row_t *row = cdr_batch_first_row(self->batch); row;
         row = cdr_batch_next_row(self->batch)) {
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
    cdr_batch_cursor(self->batch, &self->stored_epoch, &self->stored_seq);
    cc_debug("cdr.batch",
             "events=%zu calls=%zu cdrs=%zu new=%zu replayed=%zu skipped=%zu epoch=%" PRIu64
             " seq=%" PRIu64,
             cdr_batch_events(self->batch), cdr_batch_calls(self->batch),
             cdr_batch_rows(self->batch), res->cdrs_inserted, res->cdrs_existing, res->skipped,
             self->stored_epoch, self->stored_seq);
    self->cdrs_written += res->cdrs_inserted;
    self->cdrs_replayed += res->cdrs_existing;
    self->skipped += res->skipped;
    self->batches++;
    cdr_batch_clear(self->batch);
}

/* One attempt; on a refused row, a second one in careful mode. */
static int s_attempt(cdr_flush_t *self)
{
    cdr_db_result_t res;
    int rc = cdr_db_write(self->db, self->batch, false, &res);
    if (rc == CDR_DB_BAD_DATA) {
        cc_warn("cdr.batch_refused", "err=%s action=\"writing row by row\"",
                cc_logq(cdr_db_error(self->db)));
        rc = cdr_db_write(self->db, self->batch, true, &res);
    }
    if (rc == 0) {
        if (self->retry_ms)
            cc_info("cdr.write_recovered", "after_failures=%" PRIu64, self->failures);
        self->retry_ms = 0;
        s_after_commit(self, &res);
        return 0;
    }
    self->failures++;
    snprintf(self->last_error, sizeof self->last_error, "%s", cdr_db_error(self->db));
    cdr_batch_mark_uncertain(self->batch);
    self->retry_ms = self->retry_ms ? self->retry_ms * 2 : S_RETRY_FIRST_MS;
    if (self->retry_ms > self->cfg.retry_max_ms)
        self->retry_ms = self->cfg.retry_max_ms;
    cc_error("cdr.write_failed", "err=%s pending_events=%zu pending_cdrs=%zu retry_ms=%" PRIu64,
             cc_logq(self->last_error), cdr_batch_events(self->batch), cdr_batch_rows(self->batch),
             self->retry_ms);
    return -1;
}

static void s_on_timer(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    cdr_flush_t *self = arg;
    self->timer = 0;
    if (cdr_batch_events(self->batch) == 0)
        return;
    if (s_attempt(self) != 0)
        s_arm(self, self->retry_ms);
}

void cdr_flush_kick(cdr_flush_t *self)
{
    if (self->retry_ms) /* in backoff: the retry timer is armed and writes it all */
        return;
    if (cdr_batch_events(self->batch) >= self->cfg.flush_events) {
        if (self->timer) {
            cc_loop_timer_cancel(self->loop, self->timer);
            self->timer = 0;
        }
        if (s_attempt(self) != 0)
            s_arm(self, self->retry_ms);
        return;
    }
    if (cdr_batch_events(self->batch) > 0)
        s_arm(self, self->cfg.flush_ms);
}

int cdr_flush_now(cdr_flush_t *self)
{
    if (cdr_batch_events(self->batch) == 0)
        return 0;
    return s_attempt(self);
}

void cdr_flush_status(cdr_flush_t *self, json_t *details)
{
    json_object_set_new(details, "cdrs_written", json_integer((json_int_t)self->cdrs_written));
    json_object_set_new(details, "cdrs_replayed", json_integer((json_int_t)self->cdrs_replayed));
    json_object_set_new(details, "rows_refused", json_integer((json_int_t)self->skipped));
    json_object_set_new(details, "batches", json_integer((json_int_t)self->batches));
    json_object_set_new(details, "write_failures", json_integer((json_int_t)self->failures));
    json_object_set_new(details, "pending_events",
                        json_integer((json_int_t)cdr_batch_events(self->batch)));
    json_object_set_new(details, "retrying", json_boolean(self->retry_ms != 0));
    json_object_set_new(details, "last_error", json_string(self->last_error));
    json_t *cursor = json_object();
    json_object_set_new(cursor, "epoch", json_integer((json_int_t)self->stored_epoch));
    json_object_set_new(cursor, "seq", json_integer((json_int_t)self->stored_seq));
    json_object_set_new(details, "cursor", cursor);
}
