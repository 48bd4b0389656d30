/* acd_db.c - Postgres for acdd (see acd_db.h): the start-up loads, and the writer thread
 * that batches the main thread's writes into transactions and reloads the configuration
 * on NOTIFY cc_config. The main thread never waits for a query after start-up. */
#include "acd_db.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cc_log.h"
#include "cc_pg_worker.h"

#define S_MAX_PARAMS 12

static const struct {
    const char *name;
    int nparams;
    const char *sql;
} s_stmts[ACD_DB_N_STMTS] = {
    [ACD_DB_STATE_UPSERT] =
        {"acd_state", 4,
         "INSERT INTO agent_states (ext, state, reason, since) VALUES ($1, $2, $3, "
         "to_timestamp($4::double precision / 1000)) ON CONFLICT (ext) DO UPDATE SET "
         "state = EXCLUDED.state, reason = EXCLUDED.reason, since = EXCLUDED.since"},
    [ACD_DB_HISTORY_INSERT] =
        {"acd_history", 6,
         "INSERT INTO agent_state_history (ext, state, reason, previous, started_at, "
         "previous_s) VALUES ($1, $2, $3, $4, to_timestamp($5::double precision / 1000), "
         "$6::double precision)"},
    [ACD_DB_QCALL_INSERT] =
        {"acd_qcall_insert", 12,
         "INSERT INTO queue_calls (call_id, queue, priority, skill, skill_level, enqueued_at, "
         "seq, caller, endpoint_id, variables, state, return_to_ivr) VALUES ($1, $2, "
         "$3::integer, $4, $5::integer, to_timestamp($6::double precision / 1000), "
         "$7::bigint, $8, $9::bigint, $10::jsonb, $11, $12::boolean) ON CONFLICT (call_id) "
         "DO UPDATE SET queue = EXCLUDED.queue, state = EXCLUDED.state, agent = NULL, "
         "return_to_ivr = EXCLUDED.return_to_ivr"},
    [ACD_DB_QCALL_UPDATE] =
        {"acd_qcall_update", 6,
         "UPDATE queue_calls SET queue = $2, state = $3, connect_id = $4::bigint, "
         "agent = nullif($5, ''), priority = $6::integer WHERE call_id = $1"},
    [ACD_DB_QCALL_DELETE] = {"acd_qcall_delete", 1, "DELETE FROM queue_calls WHERE call_id = $1"},
    [ACD_DB_QLOG_INSERT] =
        {"acd_qlog", 12,
         "INSERT INTO queue_log (ts, call_id, queue, event, agent, caller, priority, wait_s, "
         "talk_s, position, in_sl, detail) VALUES (to_timestamp($1::double precision / 1000), "
         "$2, $3, $4, $5, $6, $7::integer, $8::double precision, $9::double precision, "
         "$10::integer, $11::boolean, $12)"},
    [ACD_DB_CALLBACK_UPSERT] =
        {"acd_callback", 7,
         "INSERT INTO callbacks (call_id, queue, number, requested_at, attempts, last_attempt, "
         "agent, result) VALUES ($1, $2, $3, to_timestamp($4::double precision / 1000), "
         "$5::integer, CASE WHEN $5::integer > 0 THEN now() END, $6, $7) "
         "ON CONFLICT (call_id) DO UPDATE SET queue = EXCLUDED.queue, attempts = "
         "EXCLUDED.attempts, last_attempt = coalesce(EXCLUDED.last_attempt, "
         "callbacks.last_attempt), agent = coalesce(EXCLUDED.agent, callbacks.agent), "
         "result = EXCLUDED.result, updated_at = now()"},
    [ACD_DB_QLOG_ENTERED] =
        {"acd_qlog_entered", 10,
         "INSERT INTO queue_log (ts, call_id, queue, event, caller, priority, position, detail, "
         "expected_wait_s, skill, skill_level) VALUES (to_timestamp($1::double precision / "
         "1000), $2, $3, 'entered', $4, $5::integer, $6::integer, $7, $8::integer, "
         "nullif($9, ''), $10::integer)"},
};

typedef struct s_op {
    struct s_op *next;
    acd_db_stmt_t stmt;
    char *params[S_MAX_PARAMS];
} s_op_t;

struct acd_db {
    cc_pg_worker_t *worker;
    int notify_fd; /* worker -> main: a reloaded configuration waits */
    pthread_mutex_t lock;
    s_op_t *head, *tail;
    size_t queued, in_flight;
    acd_db_config_t *pending_config;
};

/* ---- start-up loads ----------------------------------------------------------------- */

static void s_copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static PGresult *s_query(cc_pg_t *pg, const char *sql)
{
    PGresult *r = cc_pg_exec_params(pg, sql, 0, NULL);
    if (!r)
        cc_error("acd.db_load_failed", "error=%s", cc_logq(cc_pg_error(pg)));
    return r;
}

static int s_load_queues(cc_pg_t *pg, acd_db_config_t *c)
{
    PGresult *r = s_query(
        pg, "SELECT name, coalesce(number, ''), strategy, ring_timeout_s, wrapup_s, max_wait_s, "
            "max_len, sl_threshold_s, overflow_kind, overflow_target, announce, "
            "announce_every_s, skill, skill_level, aging_rate, callback_key, "
            "keep_ready_on_no_answer, music, language FROM queues ORDER BY name");
    if (!r)
        return -1;
    int n = PQntuples(r);
    c->queues = calloc((size_t)n + 1, sizeof *c->queues);
    for (int i = 0; c->queues && i < n; i++) {
        acd_db_queue_t *q = &c->queues[c->nqueues];
        acd_queue_cfg_t *cfg = &q->cfg;
        s_copy(cfg->name, sizeof cfg->name, PQgetvalue(r, i, 0));
        s_copy(q->number, sizeof q->number, PQgetvalue(r, i, 1));
        if (acd_strategy_parse(PQgetvalue(r, i, 2), &cfg->strategy) != 0) {
            cc_warn("acd.bad_queue", "queue=%s strategy=%s", cfg->name,
                    cc_logq(PQgetvalue(r, i, 2)));
            continue;
        }
        cfg->ring_timeout_s = atoi(PQgetvalue(r, i, 3));
        cfg->wrapup_s = atoi(PQgetvalue(r, i, 4));
        cfg->max_wait_s = atoi(PQgetvalue(r, i, 5));
        cfg->max_len = atoi(PQgetvalue(r, i, 6));
        cfg->sl_threshold_s = atoi(PQgetvalue(r, i, 7));
        const char *kind = PQgetvalue(r, i, 8);
        cfg->overflow = !strcmp(kind, "queue")       ? ACD_OVERFLOW_QUEUE
                        : !strcmp(kind, "extension") ? ACD_OVERFLOW_EXTENSION
                        : !strcmp(kind, "voicemail") ? ACD_OVERFLOW_VOICEMAIL
                        : !strcmp(kind, "callback")  ? ACD_OVERFLOW_CALLBACK
                                                     : ACD_OVERFLOW_HANGUP;
        s_copy(cfg->overflow_target, sizeof cfg->overflow_target, PQgetvalue(r, i, 9));
        cfg->announce = PQgetvalue(r, i, 10)[0] == 't';
        cfg->announce_every_s = atoi(PQgetvalue(r, i, 11));
        s_copy(cfg->skill, sizeof cfg->skill, PQgetvalue(r, i, 12));
        cfg->skill_level = atoi(PQgetvalue(r, i, 13));
        cfg->aging_rate = atof(PQgetvalue(r, i, 14));
        s_copy(q->callback_key, sizeof q->callback_key, PQgetvalue(r, i, 15));
        cfg->keep_ready_on_no_answer = PQgetvalue(r, i, 16)[0] == 't';
        s_copy(q->music, sizeof q->music, PQgetvalue(r, i, 17)); /* 020: "" = [acdd] music */
        s_copy(q->language, sizeof q->language,
               PQgetvalue(r, i, 18)); /* 026: "" = [acdd] language */
        c->nqueues++;
    }
    PQclear(r);
    return c->queues ? 0 : -1;
}

static int s_load_agents(cc_pg_t *pg, acd_db_config_t *c)
{
    PGresult *r = s_query(pg, "SELECT ext, name FROM agents ORDER BY ext");
    if (!r)
        return -1;
    int n = PQntuples(r);
    c->agents = calloc((size_t)n + 1, sizeof *c->agents);
    for (int i = 0; c->agents && i < n; i++) {
        s_copy(c->agents[i].ext, sizeof c->agents[i].ext, PQgetvalue(r, i, 0));
        s_copy(c->agents[i].name, sizeof c->agents[i].name, PQgetvalue(r, i, 1));
        c->nagents++;
    }
    PQclear(r);
    if (!c->agents)
        return -1;
    r = s_query(pg, "SELECT ext, skill, level FROM agent_skills ORDER BY ext, skill");
    if (!r)
        return -1;
    n = PQntuples(r);
    c->skills = calloc((size_t)n + 1, sizeof *c->skills);
    for (int i = 0; c->skills && i < n; i++) {
        s_copy(c->skills[i].ext, sizeof c->skills[i].ext, PQgetvalue(r, i, 0));
        s_copy(c->skills[i].skill, sizeof c->skills[i].skill, PQgetvalue(r, i, 1));
        c->skills[i].level = atoi(PQgetvalue(r, i, 2));
        c->nskills++;
    }
    PQclear(r);
    if (!c->skills)
        return -1;
    r = s_query(pg, "SELECT queue, ext FROM queue_members ORDER BY position");
    if (!r)
        return -1;
    n = PQntuples(r);
    c->members = calloc((size_t)n + 1, sizeof *c->members);
    for (int i = 0; c->members && i < n; i++) {
        s_copy(c->members[i].queue, sizeof c->members[i].queue, PQgetvalue(r, i, 0));
        s_copy(c->members[i].ext, sizeof c->members[i].ext, PQgetvalue(r, i, 1));
        c->nmembers++;
    }
    PQclear(r);
    return c->members ? 0 : -1;
}

acd_db_config_t *acd_db_load_config(cc_pg_t *pg)
{
    acd_db_config_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (s_load_queues(pg, c) != 0 || s_load_agents(pg, c) != 0)
        acd_db_config_free(&c);
    return c;
}

void acd_db_config_free(acd_db_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    acd_db_config_t *c = *self_p;
    free(c->queues);
    free(c->agents);
    free(c->skills);
    free(c->members);
    free(c);
    *self_p = NULL;
}

int acd_db_load_states(cc_pg_t *pg, acd_db_state_fn *fn, void *arg)
{
    PGresult *r = s_query(pg, "SELECT ext, state, reason FROM agent_states ORDER BY since");
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++)
        fn(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), arg);
    PQclear(r);
    return 0;
}

int acd_db_load_calls(cc_pg_t *pg, acd_db_call_fn *fn, void *arg)
{
    PGresult *r = s_query(
        pg, "SELECT q.call_id, q.queue, q.priority, q.skill, q.skill_level, "
            "(extract(epoch FROM q.enqueued_at) * 1000)::bigint, q.seq, q.caller, q.endpoint_id, "
            "q.variables::text, q.state, coalesce(q.connect_id, 0), coalesce(c.attempts, 0), "
            "coalesce(q.agent, ''), q.return_to_ivr "
            "FROM queue_calls q LEFT JOIN callbacks c ON c.call_id = q.call_id "
            "ORDER BY q.seq");
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        acd_db_call_t c = {
            .call_id = PQgetvalue(r, i, 0),
            .queue = PQgetvalue(r, i, 1),
            .priority = atoi(PQgetvalue(r, i, 2)),
            .skill = PQgetvalue(r, i, 3),
            .skill_level = atoi(PQgetvalue(r, i, 4)),
            .enqueued_ms = atoll(PQgetvalue(r, i, 5)),
            .seq = atoll(PQgetvalue(r, i, 6)),
            .caller = PQgetvalue(r, i, 7),
            .endpoint_id = atoll(PQgetvalue(r, i, 8)),
            .variables = PQgetvalue(r, i, 9),
            .state = PQgetvalue(r, i, 10),
            .connect_id = atoll(PQgetvalue(r, i, 11)),
            .attempts = atoi(PQgetvalue(r, i, 12)),
            .agent = PQgetvalue(r, i, 13),
            .return_to_ivr = PQgetvalue(r, i, 14)[0] == 't',
        };
        fn(&c, arg);
    }
    PQclear(r);
    return 0;
}

/* ---- the writer thread (its mechanics: cc_pg_worker) ------------------------------- */

static void s_wake(int fd)
{
    uint64_t one = 1;
    ssize_t rc = write(fd, &one, sizeof one);
    (void)rc;
}

static void s_op_free(s_op_t *op)
{
    for (int i = 0; i < S_MAX_PARAMS; i++)
        free(op->params[i]);
    free(op);
}

void acd_db_write(acd_db_t *self, acd_db_stmt_t stmt, const char *const *params)
{
    if (!self || stmt >= ACD_DB_N_STMTS)
        return;
    s_op_t *op = calloc(1, sizeof *op);
    if (!op) {
        cc_error("acd.db_write_dropped", "stmt=%s reason=out_of_memory", s_stmts[stmt].name);
        return;
    }
    op->stmt = stmt;
    for (int i = 0; i < s_stmts[stmt].nparams; i++)
        op->params[i] = params[i] ? strdup(params[i]) : NULL;
    pthread_mutex_lock(&self->lock);
    if (self->tail)
        self->tail->next = op;
    else
        self->head = op;
    self->tail = op;
    bool first = self->queued++ == 0;
    pthread_mutex_unlock(&self->lock);
    if (first)
        cc_pg_worker_wake(self->worker);
}

static bool s_exec(cc_pg_t *pg, const s_op_t *op)
{
    PGresult *r = cc_pg_exec(pg, s_stmts[op->stmt].name, s_stmts[op->stmt].nparams,
                             (const char *const *)op->params);
    if (!r)
        return false;
    PQclear(r);
    return true;
}

/* Everything queued in one transaction; if any statement fails, again one by one so
 * that one bad row costs only itself. */
static void s_flush(acd_db_t *self, cc_pg_t *pg)
{
    pthread_mutex_lock(&self->lock);
    s_op_t *ops = self->head;
    self->head = self->tail = NULL;
    self->in_flight = self->queued;
    self->queued = 0;
    pthread_mutex_unlock(&self->lock);
    if (!ops)
        return;
    int n = 0;
    bool ok = cc_pg_begin(pg) == 0;
    for (s_op_t *op = ops; ok && op; op = op->next, n++)
        ok = s_exec(pg, op);
    if (ok)
        ok = cc_pg_commit(pg) == 0;
    if (!ok) {
        cc_warn("acd.db_batch_failed", "ops=%d error=%s", n, cc_logq(cc_pg_error(pg)));
        cc_pg_rollback(pg);
        for (s_op_t *op = ops; op; op = op->next)
            if (!s_exec(pg, op))
                cc_error("acd.db_write_failed", "stmt=%s error=%s", s_stmts[op->stmt].name,
                         cc_logq(cc_pg_error(pg)));
    }
    while (ops) {
        s_op_t *next = ops->next;
        s_op_free(ops);
        ops = next;
    }
    pthread_mutex_lock(&self->lock);
    self->in_flight = 0;
    pthread_mutex_unlock(&self->lock);
}

static void s_reload(acd_db_t *self, cc_pg_t *pg)
{
    acd_db_config_t *c = acd_db_load_config(pg);
    if (!c)
        return; /* logged; the old configuration stays */
    pthread_mutex_lock(&self->lock);
    acd_db_config_free(&self->pending_config);
    self->pending_config = c;
    pthread_mutex_unlock(&self->lock);
    s_wake(self->notify_fd);
}

static void s_prepare_statements(cc_pg_t *pg, void *arg)
{
    (void)arg;
    for (int i = 0; i < ACD_DB_N_STMTS; i++)
        cc_pg_prepare(pg, s_stmts[i].name, s_stmts[i].sql, s_stmts[i].nparams);
}

/* Every session reloads: after a reconnect, changes notified while the link was down were
 * lost; on the first one, main loads the configuration on its own connection while this
 * thread may not listen yet, and a change made in between would wait for the next NOTIFY.
 * Applying the same configuration twice changes nothing. */
static void s_reload_on_session(cc_pg_t *pg, bool first, void *arg)
{
    (void)first;
    s_reload(arg, pg);
}

/* Writes first: a reload is several queries, and the rows should not wait for it. */
static void s_write_then_reload(cc_pg_t *pg, bool notified, void *arg)
{
    s_flush(arg, pg);
    if (notified)
        s_reload(arg, pg);
}

static bool s_nothing_queued(void *arg)
{
    return acd_db_backlog(arg) == 0;
}

acd_db_t *acd_db_start(const char *conninfo, int batch_ms)
{
    acd_db_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    pthread_mutex_init(&self->lock, NULL);
    self->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    const cc_pg_worker_cfg_t cfg = {
        .failed_event = "acd.db_thread_failed",
        .listen_channel = "cc_config",
        .connect_wait_s = 3600,
        .round_ms = 1000,
        .gather_ms = batch_ms, /* let a burst of writes gather into one transaction */
        .on_connect = s_prepare_statements,
        .on_session = s_reload_on_session,
        .on_round = s_write_then_reload,
        .idle = s_nothing_queued,
        .arg = self,
    };
    if (self->notify_fd < 0 || !(self->worker = cc_pg_worker_start(conninfo, &cfg))) {
        acd_db_stop(&self);
        return NULL;
    }
    return self;
}

void acd_db_stop(acd_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    acd_db_t *self = *self_p;
    cc_pg_worker_stop(&self->worker); /* returns once what was queued is written */
    while (self->head) {
        s_op_t *next = self->head->next;
        s_op_free(self->head);
        self->head = next;
    }
    acd_db_config_free(&self->pending_config);
    if (self->notify_fd >= 0)
        close(self->notify_fd);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

int acd_db_notify_fd(const acd_db_t *self)
{
    return self->notify_fd;
}

acd_db_config_t *acd_db_take_config(acd_db_t *self)
{
    uint64_t v;
    ssize_t rc = read(self->notify_fd, &v, sizeof v);
    (void)rc;
    pthread_mutex_lock(&self->lock);
    acd_db_config_t *c = self->pending_config;
    self->pending_config = NULL;
    pthread_mutex_unlock(&self->lock);
    return c;
}

size_t acd_db_backlog(acd_db_t *self)
{
    pthread_mutex_lock(&self->lock);
    size_t n = self->queued + self->in_flight;
    pthread_mutex_unlock(&self->lock);
    return n;
}
