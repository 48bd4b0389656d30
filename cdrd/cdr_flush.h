/* cdr_flush.h - when the pending batch is committed, and what follows a commit. The batch
 * goes to the writer thread (cdr_writer.c) when cdr_flush_policy.c says, one at a time;
 * while one is written the next one fills. After a commit it logs each new CDR and
 * publishes cdr.written, on the loop. */
#ifndef CDR_FLUSH_H
#define CDR_FLUSH_H

#include <jansson.h>
#include <stdint.h>

#include "cc_bus.h"
#include "cc_loop.h"
#include "cdr_batch.h"
#include "cdr_flush_policy.h"
#include "cdr_writer.h"

typedef struct cdr_flush cdr_flush_t;

/* Everything borrowed; `bus` may be NULL (no cdr.written events). `batch` is the one the
 * bus intake fills. */
cdr_flush_t *cdr_flush_new(cc_loop_t *loop, cc_bus_t *bus, cdr_writer_t *writer, cdr_batch_t *batch,
                           const cdr_flush_cfg_t *cfg);
void cdr_flush_destroy(cdr_flush_t **self_p);

/* Events were added to the batch: hand it over now if the policy says so, else make sure
 * a timer asks again. */
void cdr_flush_kick(cdr_flush_t *self);

/* At shutdown: wait for the batch being written, then write whatever waits, giving up
 * after one failed attempt. 0 when nothing is left unwritten. */
int cdr_flush_now(cdr_flush_t *self);

/* Figures for `status`: cdrs_written, cdrs_replayed, batches, write_failures, pending
 * events, last_error, the committed cursor, the largest batch. */
void cdr_flush_status(cdr_flush_t *self, json_t *details);

#endif
