/* cdr_writer.c - the database thread of cdrd (see cdr_writer.h): cc_pg_worker runs the
 * thread and its connection; this file owns the hand-over of one batch under a lock, the
 * attempts (bulk, then careful row by row for a batch the database refused) and the
 * backoff between failed ones. */
#include "cdr_writer.h"

#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cc_log.h"
#include "cc_pg_worker.h"

#define S_RETRY_FIRST_MS 100
#define S_SLEEP_SLICE_MS 50

typedef enum {
    S_IDLE,
    S_WRITING,
    S_DONE,
    S_GIVEN_UP
} s_state_t;

struct cdr_writer {
    cc_pg_worker_t *worker;
    cdr_db_t *db; /* the thread's, on its connection */
    char *consumer, *publisher;
    uint64_t retry_max_ms;
    int done_fd; /* thread -> loop */
    atomic_bool give_up;
    pthread_mutex_t lock; /* guards what follows */
    s_state_t state;
    cdr_batch_t *batch;
    cdr_db_result_t result;
    uint64_t failures;
    bool retrying;
    char last_error[256];
};

/* ---- on the thread ------------------------------------------------------------- */

static void s_prepare(cc_pg_t *pg, void *arg)
{
    cdr_writer_t *self = arg;
    self->db = cdr_db_new(pg, self->consumer, self->publisher);
    if (!self->db)
        cc_error("cdr.writer_prepare_failed", "err=%s", cc_logq(cc_pg_error(pg)));
}

/* One attempt; on a row already stored, again with idempotent inserts; on a refused row,
 * again in careful mode. */
static int s_attempt(cdr_writer_t *self, cdr_batch_t *batch, cdr_db_result_t *res)
{
    int rc = cdr_db_write(self->db, batch, false, res);
    if (rc == CDR_DB_CONFLICT) {
        cc_info("cdr.batch_conflict", "err=%s action=\"writing with ON CONFLICT\"",
                cc_logq(cdr_db_error(self->db)));
        cdr_batch_mark_uncertain(batch);
        rc = cdr_db_write(self->db, batch, false, res);
    }
    if (rc == CDR_DB_BAD_DATA) {
        cc_warn("cdr.batch_refused", "err=%s action=\"writing row by row\"",
                cc_logq(cdr_db_error(self->db)));
        rc = cdr_db_write(self->db, batch, true, res);
    }
    return rc;
}

static void s_signal(cdr_writer_t *self)
{
    uint64_t one = 1;
    ssize_t rc = write(self->done_fd, &one, sizeof one);
    (void)rc; /* a full counter is still readable */
}

/* Sleep up to ms, in slices, ending early when shutdown asks. */
static void s_backoff(cdr_writer_t *self, uint64_t ms)
{
    for (uint64_t slept = 0; slept < ms && !atomic_load(&self->give_up); slept += S_SLEEP_SLICE_MS)
        usleep(S_SLEEP_SLICE_MS * 1000);
}

static void s_failed(cdr_writer_t *self, cdr_batch_t *batch, uint64_t retry_ms)
{
    const char *err = self->db ? cdr_db_error(self->db) : "statements not prepared";
    pthread_mutex_lock(&self->lock);
    self->failures++;
    self->retrying = true;
    snprintf(self->last_error, sizeof self->last_error, "%s", err);
    pthread_mutex_unlock(&self->lock);
    /* the COMMIT may have reached the server: from now on every removal is written */
    cdr_batch_mark_uncertain(batch);
    cc_error("cdr.write_failed", "err=%s pending_events=%zu pending_cdrs=%zu retry_ms=%" PRIu64,
             cc_logq(err), cdr_batch_events(batch), cdr_batch_rows(batch), retry_ms);
}

static void s_round(cc_pg_t *pg, bool notified, void *arg)
{
    (void)notified;
    cdr_writer_t *self = arg;
    pthread_mutex_lock(&self->lock);
    cdr_batch_t *batch = self->state == S_WRITING ? self->batch : NULL;
    pthread_mutex_unlock(&self->lock);
    if (!batch)
        return;
    uint64_t retry_ms = 0, failures = 0;
    for (;;) {
        cdr_db_result_t res = {0};
        if (!self->db)
            s_prepare(pg, self);
        bool last_try = atomic_load(&self->give_up);
        int rc = self->db ? s_attempt(self, batch, &res) : CDR_DB_RETRY;
        if (rc == 0) {
            if (failures)
                cc_info("cdr.write_recovered", "after_failures=%" PRIu64, failures);
            pthread_mutex_lock(&self->lock);
            self->result = res;
            self->retrying = false;
            self->state = S_DONE;
            pthread_mutex_unlock(&self->lock);
            break;
        }
        failures++;
        retry_ms = retry_ms ? retry_ms * 2 : S_RETRY_FIRST_MS;
        if (retry_ms > self->retry_max_ms)
            retry_ms = self->retry_max_ms;
        s_failed(self, batch, retry_ms);
        if (last_try) {
            pthread_mutex_lock(&self->lock);
            self->state = S_GIVEN_UP;
            pthread_mutex_unlock(&self->lock);
            break;
        }
        s_backoff(self, retry_ms);
    }
    s_signal(self);
}

static bool s_idle(void *arg)
{
    cdr_writer_t *self = arg;
    pthread_mutex_lock(&self->lock);
    bool idle = self->state != S_WRITING;
    pthread_mutex_unlock(&self->lock);
    return idle;
}

/* ---- on the loop --------------------------------------------------------------- */

cdr_writer_t *cdr_writer_start(const char *conninfo, const char *consumer, const char *publisher,
                               uint64_t retry_max_ms)
{
    cdr_writer_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    pthread_mutex_init(&self->lock, NULL);
    atomic_init(&self->give_up, false);
    self->retry_max_ms = retry_max_ms;
    self->consumer = strdup(consumer);
    self->publisher = strdup(publisher);
    self->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    const cc_pg_worker_cfg_t cfg = {
        .failed_event = "cdr.writer_failed",
        .connect_wait_s = 3600,
        .round_ms = 1000,
        .on_connect = s_prepare,
        .on_round = s_round,
        .idle = s_idle,
        .arg = self,
    };
    if (!self->consumer || !self->publisher || self->done_fd < 0 ||
        !(self->worker = cc_pg_worker_start(conninfo, &cfg))) {
        cdr_writer_stop(&self);
        return NULL;
    }
    return self;
}

void cdr_writer_stop(cdr_writer_t **self_p)
{
    cdr_writer_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    atomic_store(&self->give_up, true);
    cc_pg_worker_stop(&self->worker); /* the thread has ended: nothing below is shared */
    cdr_db_destroy(&self->db);
    if (self->done_fd >= 0)
        close(self->done_fd);
    pthread_mutex_destroy(&self->lock);
    free(self->consumer);
    free(self->publisher);
    free(self);
    *self_p = NULL;
}

int cdr_writer_fd(const cdr_writer_t *self)
{
    return self->done_fd;
}

bool cdr_writer_submit(cdr_writer_t *self, cdr_batch_t *batch)
{
    pthread_mutex_lock(&self->lock);
    bool free_now = self->state == S_IDLE;
    if (free_now) {
        self->batch = batch;
        self->state = S_WRITING;
    }
    pthread_mutex_unlock(&self->lock);
    if (free_now)
        cc_pg_worker_wake(self->worker);
    return free_now;
}

bool cdr_writer_busy(cdr_writer_t *self)
{
    pthread_mutex_lock(&self->lock);
    bool busy = self->state != S_IDLE;
    pthread_mutex_unlock(&self->lock);
    return busy;
}

int cdr_writer_take(cdr_writer_t *self, cdr_db_result_t *result)
{
    int outcome = 0;
    pthread_mutex_lock(&self->lock);
    if (self->state == S_DONE) {
        *result = self->result;
        outcome = 1;
    } else if (self->state == S_GIVEN_UP) {
        memset(result, 0, sizeof *result);
        outcome = -1;
    }
    if (outcome) {
        self->state = S_IDLE;
        self->batch = NULL;
    }
    pthread_mutex_unlock(&self->lock);
    if (outcome) /* the signal may come after this; the loop drains it when it does */
        cdr_writer_drain(self);
    return outcome;
}

void cdr_writer_drain(cdr_writer_t *self)
{
    uint64_t count;
    ssize_t n = read(self->done_fd, &count, sizeof count);
    (void)n; /* nonblocking: nothing to read is fine */
}

void cdr_writer_give_up(cdr_writer_t *self)
{
    atomic_store(&self->give_up, true);
}

int cdr_writer_wait(cdr_writer_t *self, int timeout_ms, cdr_db_result_t *result)
{
    cdr_writer_drain(self); /* a signal of an outcome taken earlier would end poll at once */
    int outcome = cdr_writer_take(self, result);
    struct pollfd pfd = {self->done_fd, POLLIN, 0};
    if (outcome == 0 && poll(&pfd, 1, timeout_ms) > 0)
        outcome = cdr_writer_take(self, result);
    return outcome;
}

void cdr_writer_status(cdr_writer_t *self, json_t *details)
{
    pthread_mutex_lock(&self->lock);
    json_object_set_new(details, "write_failures", json_integer((json_int_t)self->failures));
    json_object_set_new(details, "retrying", json_boolean(self->retrying));
    json_object_set_new(details, "last_error", json_string(self->last_error));
    pthread_mutex_unlock(&self->lock);
}
