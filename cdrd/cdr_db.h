/* cdr_db.h - cdrd's Postgres adapter: the bus cursor, calls_active, cdrs and cdr_legs,
 * through prepared statements only. One batch is one transaction, cursor included, so
 * what is stored and where the stream resumes never disagree. */
#ifndef CDR_DB_H
#define CDR_DB_H

#include <stddef.h>
#include <stdint.h>

#include "cc_bus.h"
#include "cc_pg.h"
#include "cdr_batch.h"
#include "cdr_core.h"

typedef struct cdr_db cdr_db_t;

/* Prepare the statements on `pg` (borrowed). `consumer` names this reader in
 * bus_cursors ("cdrd"), `publisher` the stream it reads ("sipproxy"). NULL on failure. */
cdr_db_t *cdr_db_new(cc_pg_t *pg, const char *consumer, const char *publisher);
void cdr_db_destroy(cdr_db_t **self_p);

/* Where the last committed batch left the stream ({0,0} if never). 0 or -1. */
int cdr_db_load_cursor(cdr_db_t *self, cc_bus_cursor_t *cursor);

/* Put every row of calls_active back into the core. Returns the count, or -1. */
int cdr_db_load_active(cdr_db_t *self, cdr_core_t *core);

typedef struct {
    size_t cdrs_inserted; /* new rows in cdrs */
    size_t cdrs_existing; /* already there (a replay): nothing written */
    size_t skipped;       /* careful mode: writes the database refused, logged */
} cdr_db_result_t;

#define CDR_DB_RETRY (-1)    /* connection or server trouble: nothing written, try later */
#define CDR_DB_BAD_DATA (-2) /* a row was refused (SQLSTATE 22xxx/23xxx): retry carefully */
#define CDR_DB_CONFLICT                                                                            \
    (-3) /* a plain insert met a row already stored: mark the batch
                                uncertain and retry (idempotent inserts) */

/* Write the batch and its cursor in one transaction. In careful mode each write runs
 * under a savepoint and one the database refuses is logged and skipped instead of
 * failing the batch. Returns 0, CDR_DB_RETRY, CDR_DB_BAD_DATA or CDR_DB_CONFLICT. The
 * batch is not cleared here. */
int cdr_db_write(cdr_db_t *self, cdr_batch_t *batch, bool careful, cdr_db_result_t *result);

/* Last error text, for logs. */
const char *cdr_db_error(const cdr_db_t *self);

#endif
