/* cc_pg.c - a daemon's Postgres connection: connect with backoff, remembered prepared
 * statements re-prepared after a reconnect, one transparent retry when the server went
 * away outside a transaction, and the schema-version check. Blocking by design; no SQL
 * is ever built from text here. */
#include "cc_pg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cc_log.h"

#define S_BACKOFF_FIRST_MS 100
#define S_BACKOFF_MAX_MS 5000
#define S_RECONNECT_TRIES 3 /* 100, 200, 400 ms: a short outage, not a long one */

typedef struct {
    char *name;
    char *sql;
    int nparams;
} s_stmt_t;

struct cc_pg {
    char *conninfo;
    PGconn *conn;
    s_stmt_t *stmts;
    size_t nstmts, cap;
    bool in_tx; /* last known: a transaction is open, so never retry */
    char error[512];
    char sqlstate[6];
};

static void s_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

static long s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* libpq messages end in a newline and may span lines; a log line must not. */
static void s_set_error(cc_pg_t *self, const char *msg, const char *sqlstate)
{
    snprintf(self->error, sizeof self->error, "%s", msg ? msg : "");
    for (char *c = self->error; *c; c++)
        if ((unsigned char)*c < ' ')
            *c = ' ';
    size_t n = strlen(self->error);
    while (n && self->error[n - 1] == ' ')
        self->error[--n] = '\0';
    snprintf(self->sqlstate, sizeof self->sqlstate, "%s", sqlstate ? sqlstate : "");
}

static void s_clear_error(cc_pg_t *self)
{
    self->error[0] = '\0';
    self->sqlstate[0] = '\0';
}

/* Where we connect to, for logs: the conninfo without its password. */
static void s_describe(const char *conninfo, char *buf, size_t len)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &errmsg);
    const char *host = "", *port = "", *db = "", *user = "";
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (!o->val)
            continue;
        if (!strcmp(o->keyword, "host"))
            host = o->val;
        else if (!strcmp(o->keyword, "port"))
            port = o->val;
        else if (!strcmp(o->keyword, "dbname"))
            db = o->val;
        else if (!strcmp(o->keyword, "user"))
            user = o->val;
    }
    snprintf(buf, len, "host=%s port=%s db=%s user=%s", cc_logq(host), cc_logq(port), cc_logq(db),
             cc_logq(user));
    PQconninfoFree(opts);
    PQfreemem(errmsg);
}

static void s_notice(void *arg, const char *message)
{
    (void)arg;
    char line[512];
    snprintf(line, sizeof line, "%s", message);
    line[strcspn(line, "\r\n")] = '\0';
    cc_debug("pg.notice", "message=%s", cc_logq(line));
}

static int s_prepare_one(cc_pg_t *self, const s_stmt_t *st)
{
    PGresult *res = PQprepare(self->conn, st->name, st->sql, st->nparams, NULL);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) {
        s_set_error(self, PQresultErrorMessage(res), PQresultErrorField(res, PG_DIAG_SQLSTATE));
        cc_error("pg.prepare_failed", "stmt=%s err=%s", cc_logq(st->name), cc_logq(self->error));
    }
    PQclear(res);
    return ok ? 0 : -1;
}

/* One attempt at (re)connecting; re-prepares every remembered statement. */
static int s_try_connect(cc_pg_t *self)
{
    if (self->conn)
        PQreset(self->conn);
    else
        self->conn = PQconnectdb(self->conninfo);
    if (!self->conn || PQstatus(self->conn) != CONNECTION_OK) {
        s_set_error(self, self->conn ? PQerrorMessage(self->conn) : "out of memory", "");
        return -1;
    }
    PQsetNoticeProcessor(self->conn, s_notice, NULL);
    self->in_tx = false;
    for (size_t i = 0; i < self->nstmts; i++)
        if (s_prepare_one(self, &self->stmts[i]) < 0)
            return -1;
    s_clear_error(self);
    return 0;
}

/* Try until connected or `max_wait_ms` passed, doubling the pause from 100 ms to 5 s.
 * max_tries > 0 caps the attempts as well. */
static int s_connect_loop(cc_pg_t *self, long max_wait_ms, int max_tries, const char *what)
{
    char where[256];
    s_describe(self->conninfo, where, sizeof where);
    long start = s_mono_ms(), pause = S_BACKOFF_FIRST_MS;
    for (int attempt = 1;; attempt++) {
        if (s_try_connect(self) == 0) {
            cc_info(what, "%s attempt=%d", where, attempt);
            return 0;
        }
        long waited = s_mono_ms() - start;
        bool last = waited + pause > max_wait_ms || (max_tries > 0 && attempt >= max_tries);
        cc_warn("pg.connect_failed", "%s attempt=%d reason=%s%s", where, attempt,
                cc_logq(self->error), last ? " giving_up=1" : "");
        if (last)
            return -1;
        s_sleep_ms(pause);
        pause = pause * 2 > S_BACKOFF_MAX_MS ? S_BACKOFF_MAX_MS : pause * 2;
    }
}

cc_pg_t *cc_pg_connect(const char *conninfo, int max_wait_s)
{
    cc_pg_t *self = calloc(1, sizeof *self);
    if (!self || !(self->conninfo = strdup(conninfo))) {
        free(self);
        return NULL;
    }
    if (s_connect_loop(self, (long)max_wait_s * 1000, 0, "pg.connected") < 0)
        cc_pg_destroy(&self);
    return self;
}

void cc_pg_destroy(cc_pg_t **self_p)
{
    cc_pg_t *self = *self_p;
    if (!self)
        return;
    if (self->conn)
        PQfinish(self->conn);
    for (size_t i = 0; i < self->nstmts; i++) {
        free(self->stmts[i].name);
        free(self->stmts[i].sql);
    }
    free(self->stmts);
    free(self->conninfo);
    free(self);
    *self_p = NULL;
}

static bool s_connection_lost(const cc_pg_t *self)
{
    return !self->conn || PQstatus(self->conn) == CONNECTION_BAD;
}

static int s_reconnect(cc_pg_t *self)
{
    return s_connect_loop(self, 10 * S_BACKOFF_MAX_MS, S_RECONNECT_TRIES, "pg.reconnected");
}

/* Forget the server's statement `name` (one this connection prepared). */
static void s_deallocate(cc_pg_t *self, const char *name)
{
    char *quoted = PQescapeIdentifier(self->conn, name, strlen(name));
    if (!quoted)
        return;
    char sql[300];
    snprintf(sql, sizeof sql, "DEALLOCATE %s", quoted);
    PQfreemem(quoted);
    PQclear(PQexec(self->conn, sql));
}

/* Preparing is idempotent: a daemon that retries a whole set of statements after one of
 * them failed (the schema not migrated yet, a lost connection) finds the ones that did
 * prepare already there, instead of the server's "already exists" on every retry. The
 * same name with other SQL replaces the statement. */
int cc_pg_prepare(cc_pg_t *self, const char *name, const char *sql, int nparams)
{
    if (s_connection_lost(self) && s_reconnect(self) < 0)
        return -1;
    for (size_t i = 0; i < self->nstmts; i++) {
        s_stmt_t *old = &self->stmts[i];
        if (strcmp(old->name, name))
            continue;
        if (!strcmp(old->sql, sql) && old->nparams == nparams)
            return 0;
        s_deallocate(self, name);
        free(old->name);
        free(old->sql);
        self->stmts[i] = self->stmts[--self->nstmts];
        break;
    }
    s_stmt_t st = {strdup(name), strdup(sql), nparams};
    if (!st.name || !st.sql || s_prepare_one(self, &st) < 0)
        goto fail;
    if (self->nstmts == self->cap) {
        size_t ncap = self->cap ? self->cap * 2 : 16;
        s_stmt_t *n = realloc(self->stmts, ncap * sizeof *n);
        if (!n) {
            s_deallocate(self, name); /* prepared, but not remembered: not kept either */
            goto fail;
        }
        self->stmts = n;
        self->cap = ncap;
    }
    self->stmts[self->nstmts++] = st;
    return 0;
fail:
    free(st.name);
    free(st.sql);
    return -1;
}

typedef enum {
    S_PREPARED,
    S_PARAMS,
    S_SIMPLE
} s_exec_kind_t;

static PGresult *s_run(cc_pg_t *self, s_exec_kind_t kind, const char *what, int nparams,
                       const char *const *params)
{
    switch (kind) {
    case S_PREPARED:
        return PQexecPrepared(self->conn, what, nparams, params, NULL, NULL, 0);
    case S_PARAMS:
        return PQexecParams(self->conn, what, nparams, NULL, params, NULL, NULL, 0);
    case S_SIMPLE:
        return PQexec(self->conn, what);
    }
    return NULL;
}

/* Run once; if the connection turned out to be gone and no transaction was open, the
 * statement cannot have taken effect halfway inside one: reconnect and run it again. */
static PGresult *s_exec(cc_pg_t *self, s_exec_kind_t kind, const char *what, int nparams,
                        const char *const *params, bool may_retry)
{
    if (s_connection_lost(self)) {
        if (self->in_tx) {
            s_set_error(self, "connection lost inside a transaction", "08006");
            return NULL;
        }
        if (s_reconnect(self) < 0)
            return NULL;
    }
    for (int attempt = 0;; attempt++) {
        PGresult *res = s_run(self, kind, what, nparams, params);
        ExecStatusType st = PQresultStatus(res);
        if (res && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)) {
            PGTransactionStatusType tx = PQtransactionStatus(self->conn);
            self->in_tx = tx == PQTRANS_INTRANS || tx == PQTRANS_INERROR;
            s_clear_error(self);
            return res;
        }
        if (res)
            s_set_error(self, PQresultErrorMessage(res), PQresultErrorField(res, PG_DIAG_SQLSTATE));
        else
            s_set_error(self, PQerrorMessage(self->conn), "");
        PQclear(res);
        bool lost = s_connection_lost(self);
        if (!lost) {
            PGTransactionStatusType tx = PQtransactionStatus(self->conn);
            self->in_tx = tx == PQTRANS_INTRANS || tx == PQTRANS_INERROR;
            return NULL;
        }
        cc_warn("pg.connection_lost", "stmt=%s in_tx=%d err=%s",
                cc_logq(kind == S_PREPARED ? what : "(sql)"), self->in_tx, cc_logq(self->error));
        if (self->in_tx || !may_retry || attempt > 0)
            return NULL;
        char saved[sizeof self->error];
        memcpy(saved, self->error, sizeof saved);
        if (s_reconnect(self) < 0) {
            s_set_error(self, saved, "08006");
            return NULL;
        }
    }
}

PGresult *cc_pg_exec(cc_pg_t *self, const char *name, int nparams, const char *const *params)
{
    return s_exec(self, S_PREPARED, name, nparams, params, true);
}

PGresult *cc_pg_exec_params(cc_pg_t *self, const char *sql, int nparams, const char *const *params)
{
    return s_exec(self, S_PARAMS, sql, nparams, params, true);
}

/* Plain SQL may be a multi-statement script that half ran: never retried after sending,
 * only reconnected before. */
int cc_pg_exec_simple(cc_pg_t *self, const char *sql)
{
    PGresult *res = s_exec(self, S_SIMPLE, sql, 0, NULL, false);
    PQclear(res);
    return res ? 0 : -1;
}

int cc_pg_begin(cc_pg_t *self)
{
    return cc_pg_exec_simple(self, "BEGIN");
}
int cc_pg_commit(cc_pg_t *self)
{
    return cc_pg_exec_simple(self, "COMMIT");
}

void cc_pg_rollback(cc_pg_t *self)
{
    if (s_connection_lost(self)) {
        /* The server rolled it back when the connection died. */
        self->in_tx = false;
        return;
    }
    PQclear(PQexec(self->conn, "ROLLBACK"));
    PGTransactionStatusType tx = PQtransactionStatus(self->conn);
    self->in_tx = tx == PQTRANS_INTRANS || tx == PQTRANS_INERROR;
}

const char *cc_pg_error(const cc_pg_t *self)
{
    return self->error;
}
const char *cc_pg_sqlstate(const cc_pg_t *self)
{
    return self->sqlstate;
}
PGconn *cc_pg_conn(cc_pg_t *self)
{
    return self->conn;
}

int cc_pg_check_schema(cc_pg_t *self, int expected, int *found, char *err, size_t errlen)
{
    int version = 0;
    PGresult *res = s_exec(self, S_SIMPLE, "SELECT coalesce(max(version),0) FROM schema_migrations",
                           0, NULL, true);
    if (res) {
        version = atoi(PQgetvalue(res, 0, 0));
        PQclear(res);
    } else if (strcmp(self->sqlstate, "42P01") != 0) { /* 42P01: no such table = version 0 */
        snprintf(err, errlen, "cannot read the schema version: %s", self->error);
        return -1;
    }
    if (found)
        *found = version;
    if (version > expected) {
        snprintf(err, errlen,
                 "database schema is version %d, this build knows version %d: upgrade the "
                 "binaries",
                 version, expected);
        return -1;
    }
    if (version < expected) {
        snprintf(err, errlen,
                 "database schema is version %d, this build needs %d: run "
                 "`ccctl migrate`",
                 version, expected);
        return -1;
    }
    return 0;
}

/* ---- rows as JSON ------------------------------------------------------------------ */

/* Type OIDs of the built-in types converted (pg_type.h, stable across versions). */
enum {
    S_BOOL = 16,
    S_INT8 = 20,
    S_INT2 = 21,
    S_INT4 = 23,
    S_JSON = 114,
    S_FLOAT4 = 700,
    S_FLOAT8 = 701,
    S_NUMERIC = 1700,
    S_JSONB = 3802
};

static json_t *s_json_value(PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return json_null();
    const char *v = PQgetvalue(res, row, col);
    switch (PQftype(res, col)) {
    case S_BOOL:
        return json_boolean(v[0] == 't');
    case S_INT2:
    case S_INT4:
    case S_INT8:
        return json_integer((json_int_t)strtoll(v, NULL, 10));
    case S_FLOAT4:
    case S_FLOAT8:
    case S_NUMERIC:
        return json_real(strtod(v, NULL));
    case S_JSON:
    case S_JSONB: {
        json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
        return j ? j : json_string(v);
    }
    default:
        return json_string(v);
    }
}

json_t *cc_pg_rows_json(PGresult *res)
{
    json_t *rows = json_array();
    int nrows = PQntuples(res), ncols = PQnfields(res);
    for (int r = 0; r < nrows; r++) {
        json_t *o = json_object();
        for (int c = 0; c < ncols; c++)
            json_object_set_new(o, PQfname(res, c), s_json_value(res, r, c));
        json_array_append_new(rows, o);
    }
    return rows;
}
