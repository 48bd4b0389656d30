/* cdr_db_copy.h - a first-time batch's new calls_active rows, CDRs and legs as binary
 * COPY: no SQL text to parse, no arrays to unpack, no per-row executor, only the rows.
 * Used by cdr_db_bulk.c for rows that cannot be stored yet (plain inserts); an idempotent
 * write (ON CONFLICT) keeps the array statements. */
#ifndef CDR_DB_COPY_H
#define CDR_DB_COPY_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "cdr_batch.h"

/* What went wrong, for the caller's classification and logs. */
typedef struct {
    char sqlstate[6]; /* "" when not the server's */
    char message[256];
} cdr_copy_error_t;

/* Whether every value of the batch fits its column's binary form (ints in int4 columns);
 * if not, the caller uses the text statements, which report the row Postgres refuses. */
bool cdr_db_copy_fits(cdr_batch_t *batch);

/* Whether a call can go into calls_active by COPY (else the caller's array insert). */
bool cdr_db_copy_call_fits(const cdr_call_t *call);

/* COPY calls new to calls_active (a plain insert: none can be stored yet) inside the
 * caller's transaction. 0 or -1 (err filled; 23505 if one was there after all). */
int cdr_db_copy_calls(PGconn *conn, const cdr_call_t *const *calls, size_t n,
                      cdr_copy_error_t *err);

/* COPY every CDR of the batch into cdrs, then every leg into cdr_legs, inside the
 * caller's transaction; marks each row stored. 0 or -1 (err filled). */
int cdr_db_copy_rows(PGconn *conn, cdr_batch_t *batch, cdr_copy_error_t *err);

#endif
