/* cdr_batch.h - the writes waiting for the next transaction: the latest state of each
 * changed call (or its removal), the finished CDRs, and the bus cursor they bring us to.
 * Plain memory, no I/O: cdr_db.c writes it, cdr_flush.c decides when. */
#ifndef CDR_BATCH_H
#define CDR_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdr_core.h"

typedef struct cdr_batch cdr_batch_t;

/* One call touched by the batch: `state` is what calls_active should hold, or NULL when
 * the row must go. `maybe_stored`: calls_active may hold it already (else a plain insert
 * will do). */
typedef struct {
    const char *call_id;
    const cdr_call_t *state;
    bool maybe_stored;
} cdr_batch_call_t;

cdr_batch_t *cdr_batch_new(void);
void cdr_batch_destroy(cdr_batch_t **self_p);

/* The call's state changed (copied). `is_new`: the call was unknown before this event,
 * so calls_active cannot hold it yet. 0 or -1 (out of memory). */
int cdr_batch_put_call(cdr_batch_t *self, const cdr_call_t *call, bool is_new);

/* The call ended: takes the row, and its calls_active row goes (nothing is written for
 * a call that started and ended within the batch). 0 or -1. */
int cdr_batch_end_call(cdr_batch_t *self, cdr_row_t **row_p);

/* Every event consumed, whether or not it changed anything, moves the cursor. */
void cdr_batch_advance(cdr_batch_t *self, uint64_t epoch, uint64_t seq);

/* Events consumed since the last clear (0: nothing to write). */
size_t cdr_batch_events(const cdr_batch_t *self);
size_t cdr_batch_rows(const cdr_batch_t *self);
size_t cdr_batch_calls(const cdr_batch_t *self);
void cdr_batch_cursor(const cdr_batch_t *self, uint64_t *epoch, uint64_t *seq);

/* Walk the calls (order unspecified) and the CDRs (in the order they ended). */
bool cdr_batch_first_call(cdr_batch_t *self, cdr_batch_call_t *out);
bool cdr_batch_next_call(cdr_batch_t *self, cdr_batch_call_t *out);
cdr_row_t *cdr_batch_first_row(cdr_batch_t *self);
cdr_row_t *cdr_batch_next_row(cdr_batch_t *self);

/* A transaction failed, possibly after its COMMIT reached the server: from now on assume
 * every call in the batch may be in calls_active, so its removal is always written, and
 * any of its rows may be stored already (cdr_batch_uncertain). */
void cdr_batch_mark_uncertain(cdr_batch_t *self);
/* Whether rows of this batch may already be in the database: then every write must be
 * idempotent (ON CONFLICT); otherwise plain inserts, which cost Postgres less. */
bool cdr_batch_uncertain(const cdr_batch_t *self);

/* Everything written: forget it (the cursor stays as the last one written). */
void cdr_batch_clear(cdr_batch_t *self);

/* Move everything `src` holds, its cursor included, into `dst`, which must be empty (a
 * batch handed to the writer thread); `src` is left empty at the same cursor, ready for
 * the events that follow. Nothing is copied. */
void cdr_batch_move(cdr_batch_t *dst, cdr_batch_t *src);

#endif
