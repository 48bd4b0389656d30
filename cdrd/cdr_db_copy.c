/* cdr_db_copy.c - binary COPY of new calls_active rows, CDRs and legs (see cdr_db_copy.h): the rows encoded in
 * Postgres' binary copy format (network byte order; timestamptz as microseconds since
 * 2000-01-01), sent in one stream per table. */
#include "cdr_db_copy.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_PG_EPOCH_US 946684800000000LL /* 2000-01-01 in Unix microseconds */
#define S_CHUNK ((size_t)1 << 20)       /* bytes per PQputCopyData */

typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;
} s_out_t;

static void s_bytes(s_out_t *o, const void *p, size_t n)
{
    if (o->failed)
        return;
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 65536;
        while (cap < o->len + n)
            cap *= 2;
        char *buf = realloc(o->buf, cap);
        if (!buf) {
            o->failed = true;
            return;
        }
        o->buf = buf;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static void s_i16(s_out_t *o, int16_t v)
{
    uint16_t n = htons((uint16_t)v);
    s_bytes(o, &n, 2);
}

static void s_i32(s_out_t *o, int32_t v)
{
    uint32_t n = htonl((uint32_t)v);
    s_bytes(o, &n, 4);
}

static void s_u64(s_out_t *o, uint64_t v)
{
    uint32_t hi = htonl((uint32_t)(v >> 32)), lo = htonl((uint32_t)v);
    s_bytes(o, &hi, 4);
    s_bytes(o, &lo, 4);
}

static void s_null(s_out_t *o)
{
    s_i32(o, -1);
}

/* Each field: its length, then its bytes. */
static void s_text(s_out_t *o, const char *v)
{
    if (!v) {
        s_null(o);
        return;
    }
    size_t n = strlen(v);
    s_i32(o, (int32_t)n);
    s_bytes(o, v, n);
}

static void s_int8(s_out_t *o, int64_t v)
{
    s_i32(o, 8);
    s_u64(o, (uint64_t)v);
}

static void s_int4(s_out_t *o, int64_t v)
{
    s_i32(o, 4);
    s_i32(o, (int32_t)v); /* cdr_db_copy_fits checked the range */
}

/* CDR_UNKNOWN becomes NULL. */
static void s_int4_maybe(s_out_t *o, int64_t v)
{
    if (v == CDR_UNKNOWN)
        s_null(o);
    else
        s_int4(o, v);
}

static void s_ts(s_out_t *o, int64_t unix_us)
{
    if (unix_us == CDR_UNKNOWN) {
        s_null(o);
        return;
    }
    s_int8(o, unix_us - S_PG_EPOCH_US);
}

/* real, as the text path stores it: the value printed to 3 decimals, then read as float. */
static void s_float4_3(s_out_t *o, double v)
{
    char text[48];
    snprintf(text, sizeof text, "%.3f", v);
    float f = strtof(text, NULL);
    uint32_t bits;
    memcpy(&bits, &f, 4);
    s_i32(o, 4);
    s_i32(o, (int32_t)bits);
}

static void s_header(s_out_t *o)
{
    static const char sig[] = "PGCOPY\n\377\r\n"; /* and its NUL: 11 bytes */
    s_bytes(o, sig, 11);
    s_i32(o, 0); /* flags */
    s_i32(o, 0); /* header extension */
}

static bool s_int4_ok(int64_t v)
{
    return v == CDR_UNKNOWN || (v >= INT32_MIN && v <= INT32_MAX);
}

bool cdr_db_copy_fits(cdr_batch_t *batch)
{
    for (cdr_row_t *r = cdr_batch_first_row(batch); r; r = cdr_batch_next_row(batch)) {
        if (!s_int4_ok(r->ring_ms) || !s_int4_ok(r->talk_ms))
            return false;
        for (int leg = 0; leg < CDR_LEG_COUNT; leg++)
            if (r->legs[leg].present && !s_int4_ok(r->legs[leg].max_gap_ms))
                return false;
    }
    return true;
}

static void s_add_cdr(s_out_t *o, const cdr_row_t *r)
{
    s_i16(o, 18);
    s_text(o, r->call_id);
    s_text(o, r->caller);
    s_text(o, r->callee);
    s_text(o, r->direction);
    s_text(o, r->trunk);
    s_text(o, r->route_kind);
    s_text(o, r->route_target);
    s_text(o, r->answered_by);
    s_ts(o, r->created_us);
    s_ts(o, r->answered_us);
    s_ts(o, r->ended_us);
    s_int4_maybe(o, r->ring_ms);
    s_int4_maybe(o, r->talk_ms);
    s_text(o, r->disposition);
    s_text(o, r->hangup_side);
    s_int4(o, r->sip_code >= 0 && r->sip_code <= 699 ? r->sip_code : 0);
    s_text(o, r->reason ? r->reason : "");
    s_text(o, r->event_id ? r->event_id : r->call_id);
}

static void s_add_leg(s_out_t *o, const cdr_row_t *r, cdr_leg_t leg)
{
    const cdr_leg_stats_t *st = &r->legs[leg];
    s_i16(o, 13);
    s_text(o, r->call_id);
    s_text(o, cdr_leg_name(leg));
    s_int8(o, st->packets_in);
    s_int8(o, st->bytes_in);
    s_int8(o, st->packets_out);
    s_int8(o, st->bytes_out);
    s_int8(o, st->lost);
    s_int8(o, st->out_of_order);
    s_float4_3(o, st->jitter_ms);
    s_int4(o, st->max_gap_ms);
    s_int8(o, st->srtp_auth_failed > 0 ? st->srtp_auth_failed : 0);
    s_int8(o, st->srtp_replayed > 0 ? st->srtp_replayed : 0);
    s_ts(o, r->created_us); /* the CDR's partition key, so legs live in its month */
}

static void s_fail(cdr_copy_error_t *err, PGresult *res, PGconn *conn)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
    snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state ? state : "");
    snprintf(err->message, sizeof err->message, "%s", msg && *msg ? msg : "copy failed");
    size_t n = strlen(err->message);
    while (n > 0 && (err->message[n - 1] == '\n' || err->message[n - 1] == ' '))
        err->message[--n] = '\0';
}

/* One COPY: start it, send the stream, end it, read the outcome. 0 or -1. */
static int s_copy(PGconn *conn, const char *sql, s_out_t *o, cdr_copy_error_t *err)
{
    s_i16(o, -1); /* trailer */
    if (o->failed) {
        snprintf(err->message, sizeof err->message, "out of memory");
        err->sqlstate[0] = '\0';
        return -1;
    }
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        s_fail(err, res, conn);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    int rc = 0;
    for (size_t off = 0; off < o->len && rc == 0; off += S_CHUNK) { /* int-sized pieces */
        size_t n = o->len - off < S_CHUNK ? o->len - off : S_CHUNK;
        rc = PQputCopyData(conn, o->buf + off, (int)n) == 1 ? 0 : -1;
    }
    if (rc == 0 && PQputCopyEnd(conn, NULL) != 1)
        rc = -1;
    if (rc != 0)
        s_fail(err, NULL, conn);
    bool ok = rc == 0;
    while ((res = PQgetResult(conn)) != NULL) { /* the outcome, then NULL */
        if (PQresultStatus(res) != PGRES_COMMAND_OK && ok) {
            s_fail(err, res, conn);
            ok = false;
        }
        PQclear(res);
    }
    return ok ? 0 : -1;
}

bool cdr_db_copy_call_fits(const cdr_call_t *c)
{
    /* updated_at unknown is now() in the statement, which COPY cannot say; an epoch past
     * int8 is refused there with the row named */
    return c->updated_us != CDR_UNKNOWN && c->epoch <= (uint64_t)INT64_MAX;
}

static void s_add_call(s_out_t *o, const cdr_call_t *c)
{
    s_i16(o, 13);
    s_text(o, c->call_id);
    s_text(o, c->caller);
    s_text(o, c->callee);
    s_text(o, c->direction);
    s_text(o, c->trunk);
    s_text(o, c->route_kind);
    s_text(o, c->route_target);
    s_text(o, c->answered_by);
    s_ts(o, c->seen_created ? c->created_us : CDR_UNKNOWN);
    s_ts(o, c->ringing_us);
    s_ts(o, c->answered_us);
    s_ts(o, c->updated_us);
    s_int8(o, (int64_t)c->epoch);
}

int cdr_db_copy_calls(PGconn *conn, const cdr_call_t *const *calls, size_t n, cdr_copy_error_t *err)
{
    if (n == 0)
        return 0;
    s_out_t out = {0};
    s_header(&out);
    for (size_t i = 0; i < n; i++)
        s_add_call(&out, calls[i]);
    int rc = s_copy(conn,
                    "COPY calls_active (call_id, caller, callee, direction, trunk, route_kind, "
                    "route_target, answered_by, created_at, ringing_at, answered_at, "
                    "updated_at, bus_epoch) FROM STDIN (FORMAT binary)",
                    &out, err);
    free(out.buf);
    return rc;
}

int cdr_db_copy_rows(PGconn *conn, cdr_batch_t *batch, cdr_copy_error_t *err)
{
    s_out_t cdrs = {0}, legs = {0};
    size_t nlegs = 0;
    s_header(&cdrs);
    s_header(&legs);
    for (cdr_row_t *r = cdr_batch_first_row(batch); r; r = cdr_batch_next_row(batch)) {
        s_add_cdr(&cdrs, r);
        for (int leg = 0; leg < CDR_LEG_COUNT; leg++)
            if (r->legs[leg].present) {
                s_add_leg(&legs, r, (cdr_leg_t)leg);
                nlegs++;
            }
    }
    int rc = s_copy(conn,
                    "COPY cdrs (call_id, caller, callee, direction, trunk, route_kind, "
                    "route_target, answered_by, created_at, answered_at, ended_at, ring_ms, "
                    "talk_ms, disposition, hangup_side, sip_code, reason, event_id) "
                    "FROM STDIN (FORMAT binary)",
                    &cdrs, err);
    if (rc == 0 && nlegs > 0)
        rc = s_copy(conn,
                    "COPY cdr_legs (call_id, leg, packets_in, bytes_in, packets_out, bytes_out, "
                    "lost, out_of_order, jitter_ms, max_gap_ms, srtp_auth_failed, "
                    "srtp_replayed, created_at) FROM STDIN (FORMAT binary)",
                    &legs, err);
    if (rc == 0)
        for (cdr_row_t *r = cdr_batch_first_row(batch); r; r = cdr_batch_next_row(batch))
            r->stored = true;
    free(cdrs.buf);
    free(legs.buf);
    return rc;
}
