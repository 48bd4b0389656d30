/* cdr_flush_policy.h - when the pending batch goes to the writer thread. Pure: counts and
 * ages in, a decision out, so the batching policy is tested without a loop or a database. */
#ifndef CDR_FLUSH_POLICY_H
#define CDR_FLUSH_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t flush_ms;   /* longest wait before a commit */
    size_t flush_events; /* commit at once at this many waiting events */
    uint64_t retry_max_ms;
} cdr_flush_cfg_t;

#define CDR_FLUSH_IDLE (-1) /* nothing to do until an event arrives or the writer is free */

/* pending: events in the batch being filled; age_ms: since the first of them arrived;
 * writing: the writer thread still has the previous batch. Returns 0 (hand the batch over
 * now), a number of ms to wait before asking again, or CDR_FLUSH_IDLE.
 *
 * One batch is written at a time, in stream order, so the cursor never passes unwritten
 * rows. While it is written the next one fills, and it goes as soon as the writer is free
 * if it is full or old enough: quiet, a batch waits at most flush_ms (latency); behind, each
 * batch holds what arrived during the previous write, so batches grow with the load and
 * the per-commit costs (round trips, fsync) are shared by more events. */
int64_t cdr_flush_decide(size_t pending, uint64_t age_ms, bool writing, const cdr_flush_cfg_t *cfg);

#endif
