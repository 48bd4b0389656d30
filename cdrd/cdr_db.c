/* cdr_db.c - cdrd's Postgres adapter: prepared statements for the cursor, calls_active,
 * cdrs and cdr_legs; loading state at start; writing a batch as one transaction, its rows
 * in a few array statements (cdr_db_bulk.c), or, for a batch the database refused, row by
 * row with a savepoint per write, so the refused rows are logged and skipped. Knows
 * nothing of the bus or of when to flush. Times travel as bigint microseconds. */
#include "cdr_db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "cdr_db_bulk.h"

struct cdr_db {
    cc_pg_t *pg;
    char *consumer, *publisher;
    cdr_copy_error_t copy_err; /* the last write's COPY failure (message "" if none) */
};

/* bigint microseconds <-> timestamptz, exactly (no float on the way). */
#define S_TS(n) "(to_timestamp(0) + $" #n "::bigint * interval '1 microsecond')"
#define S_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

static const struct {
    const char *name, *sql;
    int nparams;
} s_statements[] = {
    {"cdr_cursor_get", "SELECT epoch, seq FROM bus_cursors WHERE consumer = $1 AND publisher = $2",
     2},
    {"cdr_cursor_set",
     "INSERT INTO bus_cursors (consumer, publisher, epoch, seq, updated_at) "
     "VALUES ($1, $2, $3, $4, now()) ON CONFLICT (consumer, publisher) "
     "DO UPDATE SET epoch = EXCLUDED.epoch, seq = EXCLUDED.seq, updated_at = now()",
     4},
    {"cdr_active_load",
     "SELECT call_id, caller, callee, direction, trunk, route_kind, route_target, "
     "answered_by, " S_US("created_at") ", " S_US("ringing_at") ", " S_US("answered_at") ", " S_US(
         "updated_at") ", bus_epoch FROM calls_active",
     0},
    {"cdr_active_put",
     "INSERT INTO calls_active (call_id, caller, callee, direction, trunk, route_kind, "
     "route_target, answered_by, created_at, ringing_at, answered_at, updated_at, bus_epoch) "
     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, " S_TS(9) ", " S_TS(10) ", " S_TS(
         11) ", "
             "COALESCE(" S_TS(
                 12) ", now()), $13) ON CONFLICT (call_id) DO UPDATE SET "
                     "caller = EXCLUDED.caller, callee = EXCLUDED.callee, direction = "
                     "EXCLUDED.direction, "
                     "trunk = EXCLUDED.trunk, route_kind = EXCLUDED.route_kind, "
                     "route_target = EXCLUDED.route_target, answered_by = EXCLUDED.answered_by, "
                     "created_at = EXCLUDED.created_at, ringing_at = EXCLUDED.ringing_at, "
                     "answered_at = EXCLUDED.answered_at, updated_at = EXCLUDED.updated_at, "
                     "bus_epoch = EXCLUDED.bus_epoch",
     13},
    {"cdr_active_del", "DELETE FROM calls_active WHERE call_id = $1", 1},
    /* No conflict target: a replayed call.ended hits call_id or event_id, either way
     * nothing is written and no row comes back. */
    {"cdr_insert",
     "INSERT INTO cdrs (call_id, caller, callee, direction, trunk, route_kind, route_target, "
     "answered_by, created_at, answered_at, ended_at, ring_ms, talk_ms, disposition, "
     "hangup_side, sip_code, reason, event_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, " S_TS(
         9) ", " S_TS(10) ", " S_TS(11) ", $12, $13, $14, $15, $16, $17, $18) "
                                        "ON CONFLICT DO NOTHING RETURNING 1",
     18},
    {"cdr_leg_insert",
     "INSERT INTO cdr_legs (call_id, leg, packets_in, bytes_in, packets_out, bytes_out, "
     "lost, out_of_order, jitter_ms, max_gap_ms, srtp_auth_failed, srtp_replayed, created_at) "
     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, " S_TS(
         13) ") ON CONFLICT DO NOTHING",
     13},
};

/* Text parameters for one statement: numbers are printed into fixed slots. */
typedef struct {
    const char *values[20];
    char numbers[20][32];
    int count;
} s_params_t;

static void s_text(s_params_t *p, const char *value)
{
    p->values[p->count++] = value;
}

static void s_int(s_params_t *p, int64_t value)
{
    snprintf(p->numbers[p->count], sizeof p->numbers[0], "%" PRId64, value);
    p->values[p->count] = p->numbers[p->count];
    p->count++;
}

static void s_uint(s_params_t *p, uint64_t value)
{
    snprintf(p->numbers[p->count], sizeof p->numbers[0], "%" PRIu64, value);
    p->values[p->count] = p->numbers[p->count];
    p->count++;
}

/* CDR_UNKNOWN becomes NULL. */
static void s_maybe(s_params_t *p, int64_t value)
{
    if (value == CDR_UNKNOWN)
        s_text(p, NULL);
    else
        s_int(p, value);
}

cdr_db_t *cdr_db_new(cc_pg_t *pg, const char *consumer, const char *publisher)
{
    cdr_db_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->pg = pg;
    self->consumer = strdup(consumer);
    self->publisher = strdup(publisher);
    if (!self->consumer || !self->publisher)
        goto fail;
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++)
        if (cc_pg_prepare(pg, s_statements[i].name, s_statements[i].sql, s_statements[i].nparams) !=
            0)
            goto fail;
    if (cdr_db_bulk_prepare(pg) != 0)
        goto fail;
    return self;
fail:
    cdr_db_destroy(&self);
    return NULL;
}

void cdr_db_destroy(cdr_db_t **self_p)
{
    cdr_db_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    free(self->consumer);
    free(self->publisher);
    free(self);
    *self_p = NULL;
}

const char *cdr_db_error(const cdr_db_t *self)
{
    return self->copy_err.message[0] ? self->copy_err.message : cc_pg_error(self->pg);
}

int cdr_db_load_cursor(cdr_db_t *self, cc_bus_cursor_t *cursor)
{
    const char *params[] = {self->consumer, self->publisher};
    PGresult *res = cc_pg_exec(self->pg, "cdr_cursor_get", 2, params);
    if (!res)
        return -1;
    cursor->epoch = cursor->seq = 0;
    if (PQntuples(res) == 1) {
        cursor->epoch = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
        cursor->seq = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
    }
    PQclear(res);
    return 0;
}

static char *s_col(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static int64_t s_col_us(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? CDR_UNKNOWN : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

int cdr_db_load_active(cdr_db_t *self, cdr_core_t *core)
{
    PGresult *res = cc_pg_exec(self->pg, "cdr_active_load", 0, NULL);
    if (!res)
        return -1;
    int loaded = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        cdr_call_t call = {
            .call_id = s_col(res, i, 0),
            .caller = s_col(res, i, 1),
            .callee = s_col(res, i, 2),
            .direction = s_col(res, i, 3),
            .trunk = s_col(res, i, 4),
            .route_kind = s_col(res, i, 5),
            .route_target = s_col(res, i, 6),
            .answered_by = s_col(res, i, 7),
            .created_us = s_col_us(res, i, 8),
            .ringing_us = s_col_us(res, i, 9),
            .answered_us = s_col_us(res, i, 10),
            .updated_us = s_col_us(res, i, 11),
            .epoch = strtoull(PQgetvalue(res, i, 12), NULL, 10),
        };
        call.seen_created = call.created_us != CDR_UNKNOWN;
        if (cdr_core_restore(core, &call) == 0)
            loaded++;
    }
    PQclear(res);
    return loaded;
}

/* Run one prepared statement; returns the result or NULL (error kept in cc_pg). */
static PGresult *s_exec(cdr_db_t *self, const char *name, const s_params_t *p)
{
    return cc_pg_exec(self->pg, name, p->count, p->values);
}

static int s_put_call(cdr_db_t *self, const cdr_batch_call_t *it, PGresult **res)
{
    s_params_t p = {.count = 0};
    const cdr_call_t *c = it->state;
    if (!c) {
        s_text(&p, it->call_id);
        *res = s_exec(self, "cdr_active_del", &p);
        return *res ? 0 : -1;
    }
    s_text(&p, c->call_id);
    s_text(&p, c->caller);
    s_text(&p, c->callee);
    s_text(&p, c->direction);
    s_text(&p, c->trunk);
    s_text(&p, c->route_kind);
    s_text(&p, c->route_target);
    s_text(&p, c->answered_by);
    s_maybe(&p, c->seen_created ? c->created_us : CDR_UNKNOWN);
    s_maybe(&p, c->ringing_us);
    s_maybe(&p, c->answered_us);
    s_maybe(&p, c->updated_us);
    s_uint(&p, c->epoch);
    *res = s_exec(self, "cdr_active_put", &p);
    return *res ? 0 : -1;
}

static int s_insert_cdr(cdr_db_t *self, const cdr_row_t *r, PGresult **res)
{
    s_params_t p = {.count = 0};
    s_text(&p, r->call_id);
    s_text(&p, r->caller);
    s_text(&p, r->callee);
    s_text(&p, r->direction);
    s_text(&p, r->trunk);
    s_text(&p, r->route_kind);
    s_text(&p, r->route_target);
    s_text(&p, r->answered_by);
    s_int(&p, r->created_us);
    s_maybe(&p, r->answered_us);
    s_int(&p, r->ended_us);
    s_maybe(&p, r->ring_ms);
    s_maybe(&p, r->talk_ms);
    s_text(&p, r->disposition);
    s_text(&p, r->hangup_side);
    s_int(&p, r->sip_code >= 0 && r->sip_code <= 699 ? r->sip_code : 0);
    s_text(&p, r->reason ? r->reason : "");
    s_text(&p, r->event_id ? r->event_id : r->call_id);
    *res = s_exec(self, "cdr_insert", &p);
    return *res ? 0 : -1;
}

static int s_insert_leg(cdr_db_t *self, const cdr_row_t *r, cdr_leg_t leg, PGresult **res)
{
    const cdr_leg_stats_t *st = &r->legs[leg];
    s_params_t p = {.count = 0};
    s_text(&p, r->call_id);
    s_text(&p, cdr_leg_name(leg));
    s_int(&p, st->packets_in);
    s_int(&p, st->bytes_in);
    s_int(&p, st->packets_out);
    s_int(&p, st->bytes_out);
    s_int(&p, st->lost);
    s_int(&p, st->out_of_order);
    snprintf(p.numbers[p.count], sizeof p.numbers[0], "%.3f", st->jitter_ms);
    p.values[p.count] = p.numbers[p.count];
    p.count++;
    s_int(&p, st->max_gap_ms);
    s_int(&p, st->srtp_auth_failed > 0 ? st->srtp_auth_failed : 0);
    s_int(&p, st->srtp_replayed > 0 ? st->srtp_replayed : 0);
    s_int(&p, r->created_us); /* the CDR's partition key, so legs live in its month */
    *res = s_exec(self, "cdr_leg_insert", &p);
    return *res ? 0 : -1;
}

/* The state of one write inside the transaction. */
typedef struct {
    cdr_db_t *db;
    bool careful;
    cdr_db_result_t *result;
    int failure; /* 0, CDR_DB_RETRY or CDR_DB_BAD_DATA */
} s_tx_t;

static bool s_bad_data(const char *sqlstate)
{
    return sqlstate && (!strncmp(sqlstate, "22", 2) || !strncmp(sqlstate, "23", 2));
}

/* Bracket one write: before (savepoint in careful mode) and after (release, or roll back
 * to the savepoint and skip). Returns true if the write stands. */
static bool s_begin_write(s_tx_t *tx)
{
    if (tx->careful && cc_pg_exec_simple(tx->db->pg, "SAVEPOINT cdr_write") != 0) {
        tx->failure = CDR_DB_RETRY;
        return false;
    }
    return true;
}

static bool s_end_write(s_tx_t *tx, int rc, PGresult *res, const char *what, const char *call_id)
{
    PQclear(res);
    if (rc == 0) {
        if (tx->careful && cc_pg_exec_simple(tx->db->pg, "RELEASE SAVEPOINT cdr_write") != 0) {
            tx->failure = CDR_DB_RETRY;
            return false;
        }
        return true;
    }
    const char *state = cc_pg_sqlstate(tx->db->pg);
    if (!s_bad_data(state)) {
        tx->failure = CDR_DB_RETRY;
        return false;
    }
    if (!tx->careful) {
        tx->failure = CDR_DB_BAD_DATA;
        return false;
    }
    cc_log_call_saved_t handling; /* the row refused is one call of a batch */
    cc_log_enter_call(&handling, call_id);
    cc_error("cdr.write_refused", "what=%s sqlstate=%s err=%s", what, state,
             cc_logq(cc_pg_error(tx->db->pg)));
    cc_log_leave_call(&handling);
    tx->result->skipped++;
    if (cc_pg_exec_simple(tx->db->pg, "ROLLBACK TO SAVEPOINT cdr_write") != 0)
        tx->failure = CDR_DB_RETRY;
    return false;
}

static void s_write_calls(s_tx_t *tx, cdr_batch_t *batch)
{
    cdr_batch_call_t it;
    for (bool more = cdr_batch_first_call(batch, &it); more && !tx->failure;
         more = cdr_batch_next_call(batch, &it)) {
        if (!s_begin_write(tx))
            return;
        PGresult *res = NULL;
        int rc = s_put_call(tx->db, &it, &res);
        s_end_write(tx, rc, res, it.state ? "calls_active.put" : "calls_active.delete", it.call_id);
    }
}

static void s_write_rows(s_tx_t *tx, cdr_batch_t *batch)
{
    for (cdr_row_t *row = cdr_batch_first_row(batch); row && !tx->failure;
         row = cdr_batch_next_row(batch)) {
        if (!s_begin_write(tx))
            return;
        PGresult *res = NULL;
        int rc = s_insert_cdr(tx->db, row, &res);
        bool inserted = rc == 0 && PQntuples(res) == 1;
        row->stored = inserted;
        if (!s_end_write(tx, rc, res, "cdrs.insert", row->call_id))
            continue;
        if (!inserted) {
            tx->result->cdrs_existing++;
            continue;
        }
        tx->result->cdrs_inserted++;
        for (int leg = 0; leg < CDR_LEG_COUNT && !tx->failure; leg++) {
            if (!row->legs[leg].present || !s_begin_write(tx))
                continue;
            rc = s_insert_leg(tx->db, row, (cdr_leg_t)leg, &res);
            s_end_write(tx, rc, res, "cdr_legs.insert", row->call_id);
        }
    }
}

int cdr_db_write(cdr_db_t *self, cdr_batch_t *batch, bool careful, cdr_db_result_t *result)
{
    memset(result, 0, sizeof *result);
    memset(&self->copy_err, 0, sizeof self->copy_err);
    s_tx_t tx = {.db = self, .careful = careful, .result = result};
    if (cc_pg_begin(self->pg) != 0)
        return CDR_DB_RETRY;
    if (careful) {
        s_write_calls(&tx, batch);
        s_write_rows(&tx, batch);
    } else if (cdr_db_bulk_calls(self->pg, batch, &self->copy_err) != 0 ||
               cdr_db_bulk_rows(self->pg, batch, &result->cdrs_inserted, &result->cdrs_existing,
                                &self->copy_err) != 0) {
        const char *state =
            self->copy_err.message[0] ? self->copy_err.sqlstate : cc_pg_sqlstate(self->pg);
        if (!strcmp(state, "23505") && !cdr_batch_uncertain(batch))
            tx.failure = CDR_DB_CONFLICT; /* a plain insert: the idempotent one will do */
        else
            tx.failure = s_bad_data(state) ? CDR_DB_BAD_DATA : CDR_DB_RETRY;
    }
    if (!tx.failure) {
        uint64_t epoch, seq;
        cdr_batch_cursor(batch, &epoch, &seq);
        s_params_t p = {.count = 0};
        s_text(&p, self->consumer);
        s_text(&p, self->publisher);
        s_uint(&p, epoch);
        s_uint(&p, seq);
        PGresult *res = s_exec(self, "cdr_cursor_set", &p);
        if (!res)
            tx.failure = CDR_DB_RETRY;
        PQclear(res);
    }
    if (!tx.failure && cc_pg_commit(self->pg) != 0)
        tx.failure = CDR_DB_RETRY;
    if (tx.failure) {
        cc_pg_rollback(self->pg);
        memset(result, 0, sizeof *result);
        for (cdr_row_t *row = cdr_batch_first_row(batch); row; row = cdr_batch_next_row(batch))
            row->stored = false;
    }
    return tx.failure;
}
