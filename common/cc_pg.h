/* cc_pg.h - Postgres from a daemon: connect with retry and exponential backoff, prepared
 * statements only (parameters, never SQL built from text), transparent reconnect and
 * re-prepare after the server went away, and the schema-version check every daemon does
 * at start. Blocking calls: use them at start-up, from ccctl, or from a daemon's own
 * database thread/batch path, never on a SIP or RTP hot path. */
#ifndef CC_PG_H
#define CC_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* The schema version this build understands (the highest deploy/migrations/NNN_*.sql). */
#define CC_SCHEMA_VERSION 1

typedef struct cc_pg cc_pg_t;

/* Connect, retrying with backoff (100 ms doubling to 5 s) for up to max_wait_s seconds
 * (0: one attempt). Each failure is logged with libpq's reason (event=pg.connect_failed);
 * the password in conninfo is never logged. NULL if it never connected. */
cc_pg_t *cc_pg_connect(const char *conninfo, int max_wait_s);
void cc_pg_destroy(cc_pg_t **self_p);

/* Remember and prepare a statement. Statements are re-prepared after a reconnect.
 * Returns 0 or -1 (error logged, e.g. a syntax error: a programmer error at start-up). */
int cc_pg_prepare(cc_pg_t *self, const char *name, const char *sql, int nparams);

/* Run a prepared statement with text parameters (NULL entries are SQL NULL). Returns the
 * result (PGRES_COMMAND_OK or PGRES_TUPLES_OK; caller PQclear()s it), or NULL on error,
 * with the server's message available from cc_pg_error(). If the connection was lost, it
 * reconnects once (short backoff) and retries the statement when not inside a transaction. */
PGresult *cc_pg_exec(cc_pg_t *self, const char *name, int nparams, const char *const *params);

/* The same for a one-off parameterised statement that is not worth preparing. */
PGresult *cc_pg_exec_params(cc_pg_t *self, const char *sql, int nparams,
                            const char *const *params);

/* Run plain SQL with no parameters (BEGIN, COMMIT, migrations). 0 or -1. */
int cc_pg_exec_simple(cc_pg_t *self, const char *sql);
int cc_pg_begin(cc_pg_t *self);
int cc_pg_commit(cc_pg_t *self);
void cc_pg_rollback(cc_pg_t *self);

/* Message of the last failure ("" if none); SQLSTATE of the last failure (or ""). */
const char *cc_pg_error(const cc_pg_t *self);
const char *cc_pg_sqlstate(const cc_pg_t *self);

/* Read the schema version (table schema_migrations) and compare with `expected`.
 * Returns 0 when equal; otherwise -1 with a reason in err, e.g.
 * "database schema is version 3, this build knows version 1: upgrade the binaries"
 * "database schema is version 0, this build needs 1: run `ccctl migrate`". */
int cc_pg_check_schema(cc_pg_t *self, int expected, int *found, char *err, size_t errlen);

/* The raw connection, for LISTEN/NOTIFY and async use by the owner. */
PGconn *cc_pg_conn(cc_pg_t *self);

#endif
