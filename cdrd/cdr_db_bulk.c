/* cdr_db_bulk.c - cdrd's batched writes: Postgres array literals built per column, and the
 * unnest statements that take them (see cdr_db_bulk.h). Values stay parameters: an array
 * literal is one text parameter, quoted element by element. */
#include "cdr_db_bulk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_map.h"

/* bigint[] of microseconds -> timestamptz, exactly. */
#define S_LEG_COLS 13 /* cdr_bulk_leg_insert's arrays, filled by s_add_leg */
#define S_TS(col) "(to_timestamp(0) + " col " * interval '1 microsecond')"

/* The inserts, each in two forms: plain, for a batch never tried before, whose rows cannot
 * be stored yet (cdrd resumes after its stored cursor, and rows and cursor commit
 * together); and idempotent (ON CONFLICT), for a batch whose earlier attempt may have
 * committed (cdr_batch_uncertain) or that met a row already there. A plain insert spares
 * Postgres the speculative check of every unique index before each row. */
#define S_ACTIVE_INSERT                                                                            \
    "INSERT INTO calls_active (call_id, caller, callee, direction, trunk, route_kind, "            \
    "route_target, answered_by, created_at, ringing_at, answered_at, updated_at, bus_epoch) "      \
    "SELECT c, cr, ce, d, tr, rk, rt, ab, " S_TS("cu") ", " S_TS("ru") ", " S_TS(                  \
        "au") ", COALESCE(" S_TS("uu") ", now()), ep "                                             \
                                       "FROM unnest($1::text[], $2::text[], $3::text[], "          \
                                       "$4::text[], $5::text[], "                                  \
                                       "$6::text[], $7::text[], $8::text[], $9::bigint[], "        \
                                       "$10::bigint[], $11::bigint[], "                            \
                                       "$12::bigint[], $13::bigint[]) AS u(c, cr, ce, d, tr, rk, " \
                                       "rt, ab, cu, ru, au, uu, ep)"
#define S_CDR_INSERT                                                                               \
    "INSERT INTO cdrs (call_id, caller, callee, direction, trunk, route_kind, route_target, "      \
    "answered_by, created_at, answered_at, ended_at, ring_ms, talk_ms, disposition, "              \
    "hangup_side, sip_code, reason, event_id) "                                                    \
    "SELECT c, cr, ce, d, tr, rk, rt, ab, " S_TS("cu") ", " S_TS("au") ", " S_TS(                  \
        "eu") ", rm, tm, di, hs, sc, re, ev "                                                      \
              "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "           \
              "$6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[], "   \
              "$12::integer[], $13::integer[], $14::text[], $15::text[], $16::integer[], "         \
              "$17::text[], $18::text[]) AS u(c, cr, ce, d, tr, rk, rt, ab, cu, au, eu, rm, tm, "  \
              "di, hs, sc, re, ev)"
#define S_LEG_INSERT                                                                               \
    "INSERT INTO cdr_legs (call_id, leg, packets_in, bytes_in, packets_out, bytes_out, lost, "     \
    "out_of_order, jitter_ms, max_gap_ms, srtp_auth_failed, srtp_replayed, created_at) "           \
    "SELECT c, l, pi, bi, po, bo, lo, oo, j, g, sa, sr, " S_TS(                                    \
        "cu") " FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], "    \
              "$6::bigint[], $7::bigint[], $8::bigint[], $9::real[], $10::integer[], "             \
              "$11::bigint[], $12::bigint[], $13::bigint[]) "                                      \
              "AS u(c, l, pi, bi, po, bo, lo, oo, j, g, sa, sr, cu)"

static const struct {
    const char *name, *sql;
    int nparams;
} s_statements[] = {
    {"cdr_bulk_active_new", S_ACTIVE_INSERT, 13},
    {"cdr_bulk_active_put",
     S_ACTIVE_INSERT " ON CONFLICT (call_id) DO UPDATE SET caller = EXCLUDED.caller, "
                     "callee = EXCLUDED.callee, direction = EXCLUDED.direction, "
                     "trunk = EXCLUDED.trunk, route_kind = EXCLUDED.route_kind, "
                     "route_target = EXCLUDED.route_target, answered_by = EXCLUDED.answered_by, "
                     "created_at = EXCLUDED.created_at, ringing_at = EXCLUDED.ringing_at, "
                     "answered_at = EXCLUDED.answered_at, updated_at = EXCLUDED.updated_at, "
                     "bus_epoch = EXCLUDED.bus_epoch",
     13},
    {"cdr_bulk_active_del", "DELETE FROM calls_active WHERE call_id = ANY ($1::text[])", 1},
    {"cdr_bulk_insert_new", S_CDR_INSERT, 18},
    /* No conflict target: a replayed call.ended hits (call_id, created_at) or (event_id,
     * created_at); either way nothing is written and no call id comes back. */
    {"cdr_bulk_insert", S_CDR_INSERT " ON CONFLICT DO NOTHING RETURNING call_id", 18},
    {"cdr_bulk_leg_insert_new", S_LEG_INSERT, S_LEG_COLS},
    {"cdr_bulk_leg_insert", S_LEG_INSERT " ON CONFLICT DO NOTHING", S_LEG_COLS},
};

/* One column: a Postgres array literal, "{...}", growing as elements are added. */
typedef struct {
    char *buf;
    size_t len, cap;
    size_t count;
    bool failed; /* out of memory: the statement is not run */
} s_col_t;

#define S_MAX_COLS 18

typedef struct {
    s_col_t cols[S_MAX_COLS];
    int ncols;
} s_cols_t;

static void s_reserve(s_col_t *c, size_t more)
{
    if (c->failed || c->len + more + 2 <= c->cap)
        return;
    size_t cap = c->cap ? c->cap : 256;
    while (cap < c->len + more + 2)
        cap *= 2;
    char *buf = realloc(c->buf, cap);
    if (!buf) {
        c->failed = true;
        return;
    }
    c->buf = buf;
    c->cap = cap;
}

static void s_put(s_col_t *c, const char *bytes, size_t n)
{
    s_reserve(c, n + 1);
    if (c->failed)
        return;
    if (c->len == 0)
        c->buf[c->len++] = '{';
    else
        c->buf[c->len++] = ',';
    memcpy(c->buf + c->len, bytes, n);
    c->len += n;
    c->count++;
}

static void s_null(s_col_t *c)
{
    s_put(c, "NULL", 4);
}

/* A text element: quoted, with " and \ escaped; NULL for a NULL pointer. */
static void s_text(s_col_t *c, const char *v)
{
    if (!v) {
        s_null(c);
        return;
    }
    size_t n = strlen(v);
    s_reserve(c, 2 * n + 3);
    if (c->failed)
        return;
    char sep = c->len == 0 ? '{' : ',';
    c->buf[c->len++] = sep;
    c->buf[c->len++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '"' || v[i] == '\\')
            c->buf[c->len++] = '\\';
        c->buf[c->len++] = v[i];
    }
    c->buf[c->len++] = '"';
    c->count++;
}

static void s_fmt(s_col_t *c, const char *fmt, ...)
{
    char num[48];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(num, sizeof num, fmt, ap);
    va_end(ap);
    s_put(c, num, n > 0 && (size_t)n < sizeof num ? (size_t)n : 0);
}

/* Digits by hand: a batch prints tens of thousands of numbers, and printf's machinery
 * was most of the writer thread's time. */
static void s_uint(s_col_t *c, uint64_t v)
{
    char digits[24];
    size_t n = sizeof digits;
    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    s_put(c, digits + n, sizeof digits - n);
}

static void s_int(s_col_t *c, int64_t v)
{
    if (v >= 0) {
        s_uint(c, (uint64_t)v);
        return;
    }
    char digits[24];
    size_t n = sizeof digits;
    uint64_t u = (uint64_t)0 - (uint64_t)v; /* INT64_MIN too */
    do {
        digits[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    digits[--n] = '-';
    s_put(c, digits + n, sizeof digits - n);
}

/* CDR_UNKNOWN becomes NULL. */
static void s_maybe(s_col_t *c, int64_t v)
{
    if (v == CDR_UNKNOWN)
        s_null(c);
    else
        s_int(c, v);
}

static void s_cols_init(s_cols_t *cols, int n)
{
    memset(cols, 0, sizeof *cols);
    cols->ncols = n;
}

static void s_cols_free(s_cols_t *cols)
{
    for (int i = 0; i < cols->ncols; i++)
        free(cols->cols[i].buf);
}

/* Close every literal and run the statement. NULL when out of memory or on error. */
static PGresult *s_cols_exec(cc_pg_t *pg, const char *name, s_cols_t *cols)
{
    const char *values[S_MAX_COLS];
    for (int i = 0; i < cols->ncols; i++) {
        s_col_t *c = &cols->cols[i];
        s_reserve(c, 2);
        if (c->failed)
            return NULL;
        if (c->len == 0)
            c->buf[c->len++] = '{';
        c->buf[c->len++] = '}';
        c->buf[c->len] = '\0';
        values[i] = c->buf;
    }
    return cc_pg_exec(pg, name, cols->ncols, values);
}

int cdr_db_bulk_prepare(cc_pg_t *pg)
{
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++)
        if (cc_pg_prepare(pg, s_statements[i].name, s_statements[i].sql, s_statements[i].nparams) !=
            0)
            return -1;
    return 0;
}

static void s_add_call(s_cols_t *p, const cdr_call_t *c)
{
    s_text(&p->cols[0], c->call_id);
    s_text(&p->cols[1], c->caller);
    s_text(&p->cols[2], c->callee);
    s_text(&p->cols[3], c->direction);
    s_text(&p->cols[4], c->trunk);
    s_text(&p->cols[5], c->route_kind);
    s_text(&p->cols[6], c->route_target);
    s_text(&p->cols[7], c->answered_by);
    s_maybe(&p->cols[8], c->seen_created ? c->created_us : CDR_UNKNOWN);
    s_maybe(&p->cols[9], c->ringing_us);
    s_maybe(&p->cols[10], c->answered_us);
    s_maybe(&p->cols[11], c->updated_us);
    s_uint(&p->cols[12], c->epoch);
}

/* Run a statement if its columns hold anything; 0 or -1. */
static int s_cols_run(cc_pg_t *pg, const char *name, s_cols_t *cols)
{
    if (cols->cols[0].count == 0)
        return 0;
    PGresult *res = s_cols_exec(pg, name, cols);
    PQclear(res);
    return res ? 0 : -1;
}

/* The calls new to calls_active that can go by COPY (cdr_db_copy_call_fits), gathered
 * while the others are put in columns. */
typedef struct {
    const cdr_call_t **calls;
    size_t n, cap;
    bool failed;
} s_copy_list_t;

static bool s_copy_list_add(s_copy_list_t *l, const cdr_call_t *call)
{
    if (l->failed || !cdr_db_copy_call_fits(call))
        return false;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        const cdr_call_t **grown = realloc(l->calls, cap * sizeof *grown);
        if (!grown) {
            l->failed = true; /* the rest go the array way */
            return false;
        }
        l->calls = grown;
        l->cap = cap;
    }
    l->calls[l->n++] = call;
    return true;
}

int cdr_db_bulk_calls(cc_pg_t *pg, cdr_batch_t *batch, cdr_copy_error_t *copy_err)
{
    s_cols_t add, put, del; /* new to calls_active, maybe there already, gone */
    s_cols_init(&add, 13);
    s_cols_init(&put, 13);
    s_cols_init(&del, 1);
    s_copy_list_t copy = {0};
    bool uncertain = cdr_batch_uncertain(batch);
    cdr_batch_call_t it;
    for (bool more = cdr_batch_first_call(batch, &it); more; more = cdr_batch_next_call(batch, &it))
        if (!it.state)
            s_text(&del.cols[0], it.call_id);
        else if (it.maybe_stored || uncertain)
            s_add_call(&put, it.state);
        else if (!s_copy_list_add(&copy, it.state))
            s_add_call(&add, it.state);
    int rc = cdr_db_copy_calls(cc_pg_conn(pg), copy.calls, copy.n, copy_err);
    free(copy.calls);
    if (rc == 0)
        rc = s_cols_run(pg, "cdr_bulk_active_new", &add);
    if (rc == 0)
        rc = s_cols_run(pg, "cdr_bulk_active_put", &put);
    if (rc == 0)
        rc = s_cols_run(pg, "cdr_bulk_active_del", &del);
    s_cols_free(&add);
    s_cols_free(&put);
    s_cols_free(&del);
    return rc;
}

static void s_add_row(s_cols_t *p, const cdr_row_t *r)
{
    s_text(&p->cols[0], r->call_id);
    s_text(&p->cols[1], r->caller);
    s_text(&p->cols[2], r->callee);
    s_text(&p->cols[3], r->direction);
    s_text(&p->cols[4], r->trunk);
    s_text(&p->cols[5], r->route_kind);
    s_text(&p->cols[6], r->route_target);
    s_text(&p->cols[7], r->answered_by);
    s_int(&p->cols[8], r->created_us);
    s_maybe(&p->cols[9], r->answered_us);
    s_int(&p->cols[10], r->ended_us);
    s_maybe(&p->cols[11], r->ring_ms);
    s_maybe(&p->cols[12], r->talk_ms);
    s_text(&p->cols[13], r->disposition);
    s_text(&p->cols[14], r->hangup_side);
    s_int(&p->cols[15], r->sip_code >= 0 && r->sip_code <= 699 ? r->sip_code : 0);
    s_text(&p->cols[16], r->reason ? r->reason : "");
    s_text(&p->cols[17], r->event_id ? r->event_id : r->call_id);
}

static void s_add_leg(s_cols_t *p, const cdr_row_t *r, cdr_leg_t leg)
{
    const cdr_leg_stats_t *st = &r->legs[leg];
    s_text(&p->cols[0], r->call_id);
    s_text(&p->cols[1], cdr_leg_name(leg));
    s_int(&p->cols[2], st->packets_in);
    s_int(&p->cols[3], st->bytes_in);
    s_int(&p->cols[4], st->packets_out);
    s_int(&p->cols[5], st->bytes_out);
    s_int(&p->cols[6], st->lost);
    s_int(&p->cols[7], st->out_of_order);
    s_fmt(&p->cols[8], "%.3f", st->jitter_ms);
    s_int(&p->cols[9], st->max_gap_ms);
    s_int(&p->cols[10], st->srtp_auth_failed > 0 ? st->srtp_auth_failed : 0);
    s_int(&p->cols[11], st->srtp_replayed > 0 ? st->srtp_replayed : 0);
    s_int(&p->cols[12], r->created_us);
}

/* Which rows the insert returned: mark them stored (a call id once per batch). */
static int s_mark_stored(cdr_batch_t *batch, PGresult *res, size_t *inserted, size_t *existing)
{
    cc_map_t *ids = cc_map_new(NULL);
    if (!ids)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++)
        if (!cc_map_get(ids, PQgetvalue(res, i, 0)))
            rc = cc_map_insert(ids, PQgetvalue(res, i, 0), ids) == 0 ? 0 : -1;
    for (cdr_row_t *row = cdr_batch_first_row(batch); row && rc == 0;
         row = cdr_batch_next_row(batch)) {
        row->stored = cc_map_get(ids, row->call_id) != NULL;
        if (row->stored) {
            cc_map_delete(ids, row->call_id);
            (*inserted)++;
        } else {
            (*existing)++;
        }
    }
    cc_map_destroy(&ids);
    return rc;
}

int cdr_db_bulk_rows(cc_pg_t *pg, cdr_batch_t *batch, size_t *inserted, size_t *existing,
                     cdr_copy_error_t *copy_err)
{
    if (!cdr_batch_first_row(batch))
        return 0;
    if (!cdr_batch_uncertain(batch) && cdr_db_copy_fits(batch)) {
        if (cdr_db_copy_rows(cc_pg_conn(pg), batch, copy_err) != 0)
            return -1;
        *inserted = cdr_batch_rows(batch);
        return 0;
    }
    s_cols_t cdrs, legs;
    s_cols_init(&cdrs, 18);
    s_cols_init(&legs, S_LEG_COLS);
    bool uncertain = cdr_batch_uncertain(batch);
    for (cdr_row_t *row = cdr_batch_first_row(batch); row; row = cdr_batch_next_row(batch))
        s_add_row(&cdrs, row);
    int rc = 0;
    if (uncertain) {
        PGresult *res = s_cols_exec(pg, "cdr_bulk_insert", &cdrs);
        rc = res && s_mark_stored(batch, res, inserted, existing) == 0 ? 0 : -1;
        PQclear(res);
    } else if ((rc = s_cols_run(pg, "cdr_bulk_insert_new", &cdrs)) == 0) {
        /* every row went in, or the statement failed (a unique violation included) */
        for (cdr_row_t *row = cdr_batch_first_row(batch); row; row = cdr_batch_next_row(batch))
            row->stored = true;
        *inserted = cdr_batch_rows(batch);
    }
    if (rc == 0) {
        for (cdr_row_t *row = cdr_batch_first_row(batch); row; row = cdr_batch_next_row(batch))
            for (int leg = 0; leg < CDR_LEG_COUNT && row->stored; leg++)
                if (row->legs[leg].present)
                    s_add_leg(&legs, row, (cdr_leg_t)leg);
        rc = s_cols_run(pg, uncertain ? "cdr_bulk_leg_insert" : "cdr_bulk_leg_insert_new", &legs);
    }
    s_cols_free(&cdrs);
    s_cols_free(&legs);
    return rc;
}
