/* cdr_writer.h - cdrd's database thread: it writes one batch at a time (cdr_db.c, batch
 * and bus cursor in one transaction) on a connection of its own, retrying with doubling
 * backoff until the batch is committed, while the loop goes on decoding the next events.
 * The loop hands a batch over and hears back through a file descriptor. It decides
 * nothing about when to write (cdr_flush.c) and publishes nothing. */
#ifndef CDR_WRITER_H
#define CDR_WRITER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cdr_batch.h"
#include "cdr_db.h"

typedef struct cdr_writer cdr_writer_t;

/* Start the thread (it connects with conninfo, retrying, without holding up the caller).
 * consumer/publisher as cdr_db_new's. NULL on failure. */
cdr_writer_t *cdr_writer_start(const char *conninfo, const char *consumer, const char *publisher,
                               uint64_t retry_max_ms);
/* Stop: a batch still failing gets one more attempt, then the thread ends. Frees. */
void cdr_writer_stop(cdr_writer_t **self_p);

/* Readable when the batch handed over is done (committed, or given up at shutdown). */
int cdr_writer_fd(const cdr_writer_t *self);

/* Hand over a batch; the thread owns it until cdr_writer_take() returns non-zero. false
 * (nothing happens) while another batch is being written. */
bool cdr_writer_submit(cdr_writer_t *self, cdr_batch_t *batch);
bool cdr_writer_busy(cdr_writer_t *self);

/* The outcome of the batch handed over: 0 still being written, 1 committed (result
 * filled, rows' `stored` set), -1 given up (only after cdr_writer_give_up). */
int cdr_writer_take(cdr_writer_t *self, cdr_db_result_t *result);

/* Clear the descriptor's signal (when the loop saw it readable): the outcome may have been
 * taken already, at an event, before the thread signalled. */
void cdr_writer_drain(cdr_writer_t *self);

/* Shutdown: no more backoff; a batch that fails its next attempt is given up (its events
 * are replayed by the publisher at the next start). */
void cdr_writer_give_up(cdr_writer_t *self);

/* Block until the batch handed over is done, for at most timeout_ms. The outcome as
 * cdr_writer_take's. */
int cdr_writer_wait(cdr_writer_t *self, int timeout_ms, cdr_db_result_t *result);

/* Figures for `status`: write_failures, retrying, last_error. */
void cdr_writer_status(cdr_writer_t *self, json_t *details);

#endif
