/* cdr_flush.h - when the pending batch is committed: every flush_ms or at flush_events,
 * whichever comes first; after a failure, again with backoff and never past unwritten
 * rows. After a commit it logs each new CDR and publishes cdr.written. */
#ifndef CDR_FLUSH_H
#define CDR_FLUSH_H

#include <jansson.h>
#include <stdint.h>

#include "cc_bus.h"
#include "cc_loop.h"
#include "cdr_batch.h"
#include "cdr_db.h"

typedef struct {
    uint64_t flush_ms;   /* longest wait before a commit */
    size_t flush_events; /* commit at once at this many waiting events */
    uint64_t retry_max_ms;
} cdr_flush_cfg_t;

typedef struct cdr_flush cdr_flush_t;

/* Everything borrowed; `bus` may be NULL (no cdr.written events). */
cdr_flush_t *cdr_flush_new(cc_loop_t *loop, cc_bus_t *bus, cdr_db_t *db, cdr_batch_t *batch,
                           const cdr_flush_cfg_t *cfg);
void cdr_flush_destroy(cdr_flush_t **self_p);

/* Events were added to the batch: commit now if enough wait, else make sure the timer
 * runs. Does nothing while a retry is pending (the retry writes everything). */
void cdr_flush_kick(cdr_flush_t *self);

/* Try to commit whatever waits, now (at shutdown). 0 when nothing is left. */
int cdr_flush_now(cdr_flush_t *self);

/* Figures for `status`: cdrs_written, cdrs_replayed, batches, write_failures, pending
 * events, last_error, the committed cursor. */
void cdr_flush_status(cdr_flush_t *self, json_t *details);

#endif
