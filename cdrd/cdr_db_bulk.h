/* cdr_db_bulk.h - a batch's writes as a few statements: every calls_active change in
 * one upsert and one delete, every CDR in one insert, every leg in one, each taking one
 * array per column (unnest), so a batch of thousands of events costs a handful of round
 * trips and the server plans nothing per row. Used by cdr_db.c inside its transaction;
 * rows the database refuses are left to its careful, row-by-row mode. */
#ifndef CDR_DB_BULK_H
#define CDR_DB_BULK_H

#include <stddef.h>

#include "cc_pg.h"
#include "cdr_batch.h"
#include "cdr_db_copy.h"

/* Prepare the statements on `pg`. 0 or -1. */
int cdr_db_bulk_prepare(cc_pg_t *pg);

/* Write the batch's calls_active changes; calls new to it go by binary COPY when the
 * batch is not uncertain (a failure there is reported in copy_err, message set), the rest
 * by array statements (error in cc_pg). 0 or -1. */
int cdr_db_bulk_calls(cc_pg_t *pg, cdr_batch_t *batch, cdr_copy_error_t *copy_err);

/* Insert the batch's CDRs, then the legs of those that were new (row->stored set);
 * counts the new and the already stored. A batch not marked uncertain goes by binary COPY
 * (cdr_db_copy.c), whose failure is reported in copy_err (message set); otherwise the
 * error is in cc_pg. 0 or -1. */
int cdr_db_bulk_rows(cc_pg_t *pg, cdr_batch_t *batch, size_t *inserted, size_t *existing,
                     cdr_copy_error_t *copy_err);

#endif
