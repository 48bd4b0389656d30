/* cdr_history.h - retention of the history tables (cdrs, cdr_legs, queue_log,
 * agent_state_history, partitioned by month in migration 014): on a timer, make the
 * coming months' partitions and drop those older than [cdrd] history_months, through
 * cc_history_maintain() in Postgres; every partition made or dropped is logged. */
#ifndef CDR_HISTORY_H
#define CDR_HISTORY_H

#include <jansson.h>

#include "cc_loop.h"
#include "cc_pg.h"

typedef struct {
    int keep_months;  /* 0: keep everything */
    int ahead_months; /* partitions made for this many months after the current one */
    int check_s;      /* how often */
} cdr_history_cfg_t;

typedef struct cdr_history cdr_history_t;

/* Prepares the statement on `pg` and arms the timer (every check_s; the owner runs the
 * first pass itself at start). Both borrowed.
 * NULL on failure. */
cdr_history_t *cdr_history_new(cc_loop_t *loop, cc_pg_t *pg, const cdr_history_cfg_t *cfg);
void cdr_history_destroy(cdr_history_t **self_p);

/* One pass now: 0, or -1 when Postgres refused (logged; the timer tries again). */
int cdr_history_run(cdr_history_t *self);

/* Figures for `status`: history_months, partitions made and dropped, last error. */
void cdr_history_status(cdr_history_t *self, json_t *details);

#endif
