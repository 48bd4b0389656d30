/* ivrd_db.c - ivrd's database worker: one thread with its own Postgres connection, so a
 * slow query never holds up the loop that plays prompts and takes keys. It answers
 * customer lookups at once and writes path steps and survey scores in one transaction
 * every [ivrd] path_flush_ms. Answers go back to the loop through a pipe. What it does not
 * own: flows (ivrd_flows.c, on the daemon's connection) and anything about calls. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cc_log.h"
#include "ivrd.h"

#define S_ROWS_MAX 200000 /* steps held while the database is away; older ones dropped */
#define S_LOOKUP_VARS_MAX 32

typedef struct s_lookup {
    struct s_lookup *next;
    char *call_id, *key;
    uint64_t serial;
    unsigned request_id;
    /* the answer */
    bool found;
    size_t nvars;
    char *names[S_LOOKUP_VARS_MAX], *values[S_LOOKUP_VARS_MAX];
} s_lookup_t;

struct ivrd_db {
    ivrd_t *ivrd;
    ivrd_lookup_fn *on_lookup;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
    s_lookup_t *lookups, **lookups_tail; /* to do */
    s_lookup_t *answers, **answers_tail; /* done, for the loop */
    json_t *steps;                       /* rows for ivr_path */
    json_t *surveys;                     /* rows for survey_results */
    int pipe_r, pipe_w;
    int flush_ms;
    char *conninfo;
    /* figures (under lock) */
    uint64_t steps_written, surveys_written, lookups_done, write_failures, steps_dropped;
};

static void s_lookup_free(s_lookup_t *l)
{
    free(l->call_id);
    free(l->key);
    for (size_t i = 0; i < l->nvars; i++) {
        free(l->names[i]);
        free(l->values[i]);
    }
    free(l);
}

/* ---- worker thread ------------------------------------------------------------------ */

static void s_add_var(s_lookup_t *l, const char *name, const char *value)
{
    if (l->nvars == S_LOOKUP_VARS_MAX || !ivr_var_name_valid(name))
        return;
    for (size_t i = 0; i < l->nvars; i++)
        if (strcmp(l->names[i], name) == 0)
            return; /* the fixed columns come first and win */
    l->names[l->nvars] = strdup(name);
    l->values[l->nvars] = strdup(value);
    if (l->names[l->nvars] && l->values[l->nvars])
        l->nvars++;
}

static void s_do_lookup(cc_pg_t *pg, s_lookup_t *l)
{
    static const char *const cols[] = {"name", "tier", "account", "language"};
    const char *params[] = {l->key};
    PGresult *res = pg ? cc_pg_exec(pg, "customer", 1, params) : NULL;
    if (!res) {
        cc_warn("ivr.lookup_failed", "error=%s",
                cc_logq(pg ? cc_pg_error(pg) : "no database connection"));
        return;
    }
    if (PQntuples(res) == 1) {
        l->found = true;
        for (int c = 0; c < 4; c++)
            s_add_var(l, cols[c], PQgetvalue(res, 0, c));
        json_t *data = json_loads(PQgetvalue(res, 0, 4), 0, NULL);
        const char *k;
        json_t *v;
        json_object_foreach(data, k, v)
        {
            char num[64];
            if (json_is_string(v)) {
                s_add_var(l, k, json_string_value(v));
            } else if (json_is_number(v)) {
                snprintf(num, sizeof num, "%.15g", json_number_value(v));
                s_add_var(l, k, num);
            }
        }
        json_decref(data);
    }
    PQclear(res);
}

static int s_write_rows(cc_pg_t *pg, json_t *steps, json_t *surveys)
{
    char *text = json_array_size(steps) ? json_dumps(steps, JSON_COMPACT) : NULL;
    int rc = cc_pg_begin(pg);
    if (rc == 0 && text) {
        const char *params[] = {text};
        PGresult *res = cc_pg_exec(pg, "steps", 1, params);
        rc = res ? 0 : -1;
        PQclear(res);
    }
    free(text);
    size_t i;
    json_t *row;
    json_array_foreach(surveys, i, row)
    {
        if (rc != 0)
            break;
        char version[24], score[8], at[32];
        snprintf(version, sizeof version, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(row, "version")));
        snprintf(score, sizeof score, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(row, "score")));
        snprintf(at, sizeof at, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(row, "at_ms")));
        const char *agent = json_string_value(json_object_get(row, "agent"));
        const char *params[] = {json_string_value(json_object_get(row, "call_id")),
                                json_string_value(json_object_get(row, "flow")),
                                version,
                                json_string_value(json_object_get(row, "question")),
                                score,
                                agent && agent[0] ? agent : NULL,
                                at};
        PGresult *res = cc_pg_exec(pg, "survey", 7, params);
        rc = res ? 0 : -1;
        PQclear(res);
    }
    if (rc == 0 && cc_pg_commit(pg) == 0)
        return 0;
    cc_warn("ivr.path_write_failed", "steps=%zu surveys=%zu error=%s", json_array_size(steps),
            json_array_size(surveys), cc_logq(cc_pg_error(pg)));
    cc_pg_rollback(pg);
    return -1;
}

static cc_pg_t *s_connect(ivrd_db_t *self)
{
    cc_pg_t *pg = cc_pg_connect(self->conninfo, 0);
    if (!pg)
        return NULL;
    if (cc_pg_prepare(pg, "customer",
                      "SELECT name, tier, account, language, data::text FROM customers "
                      "WHERE number = $1",
                      1) != 0 ||
        cc_pg_prepare(pg, "steps",
                      "INSERT INTO ivr_path (call_id, seq, flow, version, node, input, at) "
                      "SELECT call_id, seq, flow, version, node, input, "
                      "to_timestamp(at_ms / 1000.0) FROM jsonb_to_recordset($1::jsonb) AS "
                      "x(call_id text, seq int, flow text, version int, node text, "
                      "input text, at_ms bigint) ON CONFLICT DO NOTHING",
                      1) != 0 ||
        cc_pg_prepare(pg, "survey",
                      "INSERT INTO survey_results (call_id, flow, version, question, score, "
                      "agent, at) VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7 / 1000.0)) "
                      "ON CONFLICT (call_id) DO UPDATE SET flow = EXCLUDED.flow, version = "
                      "EXCLUDED.version, question = EXCLUDED.question, score = EXCLUDED.score, "
                      "agent = EXCLUDED.agent, at = EXCLUDED.at",
                      7) != 0)
        cc_pg_destroy(&pg);
    return pg;
}

static void s_deadline(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static bool s_due(const struct timespec *at)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > at->tv_sec || (now.tv_sec == at->tv_sec && now.tv_nsec >= at->tv_nsec);
}

static void *s_run(void *arg)
{
    ivrd_db_t *self = arg;
    cc_pg_t *pg = NULL;
    struct timespec flush_at;
    s_deadline(&flush_at, self->flush_ms);
    pthread_mutex_lock(&self->lock);
    for (;;) {
        while (!self->stopping && !self->lookups && !s_due(&flush_at))
            pthread_cond_timedwait(&self->wake, &self->lock, &flush_at);
        bool stopping = self->stopping;
        s_lookup_t *todo = self->lookups;
        self->lookups = NULL;
        self->lookups_tail = &self->lookups;
        json_t *steps = NULL, *surveys = NULL;
        if (s_due(&flush_at) || stopping) {
            steps = self->steps;
            surveys = self->surveys;
            self->steps = json_array();
            self->surveys = json_array();
            s_deadline(&flush_at, self->flush_ms);
        }
        pthread_mutex_unlock(&self->lock);

        bool work = todo || json_array_size(steps) || json_array_size(surveys);
        if (work && !pg)
            pg = s_connect(self);
        for (s_lookup_t *l = todo; l; l = l->next) {
            cc_log_set_call(l->call_id); /* (this thread's own log context) */
            s_do_lookup(pg, l);
        }
        cc_log_set_call(NULL);
        int wrote = -1;
        if (pg && (json_array_size(steps) || json_array_size(surveys)))
            wrote = s_write_rows(pg, steps, surveys);

        pthread_mutex_lock(&self->lock);
        if (todo) {
            *self->answers_tail = todo;
            while (todo->next)
                todo = todo->next;
            self->answers_tail = &todo->next;
            (void)!write(self->pipe_w, "l", 1);
        }
        if (steps && wrote == 0) {
            self->steps_written += json_array_size(steps);
            self->surveys_written += json_array_size(surveys);
        } else if (steps && (json_array_size(steps) || json_array_size(surveys))) {
            self->write_failures++;
            /* keep them for the next round, ahead of newer rows, unless too many */
            if (json_array_size(steps) + json_array_size(self->steps) < S_ROWS_MAX) {
                json_array_extend(steps, self->steps);
                json_decref(self->steps);
                self->steps = json_incref(steps);
            } else {
                self->steps_dropped += json_array_size(steps);
            }
            json_array_extend(surveys, self->surveys);
            json_decref(self->surveys);
            self->surveys = json_incref(surveys);
        }
        json_decref(steps);
        json_decref(surveys);
        if (stopping && !self->lookups)
            break; /* the last rows were written above (or the failure logged) */
    }
    pthread_mutex_unlock(&self->lock);
    cc_pg_destroy(&pg);
    return NULL;
}

/* ---- loop side ---------------------------------------------------------------------- */

static void s_on_pipe(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop, (void)events;
    ivrd_db_t *self = arg;
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&self->lock);
    s_lookup_t *done = self->answers;
    self->answers = NULL;
    self->answers_tail = &self->answers;
    pthread_mutex_unlock(&self->lock);
    while (done) {
        s_lookup_t *next = done->next;
        ivr_var_t vars[S_LOOKUP_VARS_MAX];
        for (size_t i = 0; i < done->nvars; i++)
            vars[i] = (ivr_var_t){done->names[i], done->values[i]};
        self->on_lookup(self->ivrd, done->call_id, done->serial, done->request_id, done->found,
                        vars, done->nvars);
        pthread_mutex_lock(&self->lock);
        self->lookups_done++;
        pthread_mutex_unlock(&self->lock);
        s_lookup_free(done);
        done = next;
    }
}

ivrd_db_t *ivrd_db_new(ivrd_t *ivrd, ivrd_lookup_fn *on_lookup)
{
    ivrd_db_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->ivrd = ivrd;
    self->on_lookup = on_lookup;
    self->pipe_r = self->pipe_w = -1;
    pthread_mutex_init(&self->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&self->wake, &attr);
    pthread_condattr_destroy(&attr);
    self->lookups_tail = &self->lookups;
    self->answers_tail = &self->answers;
    self->steps = json_array();
    self->surveys = json_array();
    self->flush_ms = (int)cc_config_int(ivrd->daemon->cfg, "ivrd", "path_flush_ms");
    self->conninfo = cc_config_pg_conninfo(ivrd->daemon->cfg, "ivrd");
    int fds[2];
    if (!self->conninfo || pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        ivrd_db_destroy(&self);
        return NULL;
    }
    self->pipe_r = fds[0];
    self->pipe_w = fds[1];
    if (cc_loop_fd_add(ivrd->daemon->loop, self->pipe_r, EPOLLIN, s_on_pipe, self) != 0 ||
        pthread_create(&self->thread, NULL, s_run, self) != 0) {
        ivrd_db_destroy(&self);
        return NULL;
    }
    self->started = true;
    return self;
}

void ivrd_db_destroy(ivrd_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ivrd_db_t *self = *self_p;
    if (self->started) {
        pthread_mutex_lock(&self->lock);
        self->stopping = true;
        pthread_cond_signal(&self->wake);
        pthread_mutex_unlock(&self->lock);
        pthread_join(self->thread, NULL);
    }
    if (self->pipe_r >= 0) {
        cc_loop_fd_remove(self->ivrd->daemon->loop, self->pipe_r);
        close(self->pipe_r);
        close(self->pipe_w);
    }
    for (s_lookup_t *l = self->lookups, *n; l; l = n) {
        n = l->next;
        s_lookup_free(l);
    }
    for (s_lookup_t *l = self->answers, *n; l; l = n) {
        n = l->next;
        s_lookup_free(l);
    }
    json_decref(self->steps);
    json_decref(self->surveys);
    free(self->conninfo);
    pthread_cond_destroy(&self->wake);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

int ivrd_db_lookup(ivrd_db_t *self, const char *call_id, uint64_t serial, unsigned request_id,
                   const char *table, const char *key)
{
    (void)table; /* the validator admits only "customers" */
    s_lookup_t *l = calloc(1, sizeof *l);
    if (!l || !(l->call_id = strdup(call_id)) || !(l->key = strdup(key))) {
        if (l)
            s_lookup_free(l);
        return -1;
    }
    l->serial = serial;
    l->request_id = request_id;
    pthread_mutex_lock(&self->lock);
    *self->lookups_tail = l;
    self->lookups_tail = &l->next;
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
    return 0;
}

int ivrd_db_step(ivrd_db_t *self, const char *call_id, int seq, const char *flow, long version,
                 const char *node, const char *input, int64_t at_ms)
{
    json_t *row = json_pack("{s:s, s:i, s:s, s:I, s:s, s:s, s:I}", "call_id", call_id, "seq", seq,
                            "flow", flow, "version", (json_int_t)version, "node", node, "input",
                            input, "at_ms", (json_int_t)at_ms);
    if (!row)
        return -1;
    pthread_mutex_lock(&self->lock);
    json_array_append_new(self->steps, row);
    pthread_mutex_unlock(&self->lock);
    return 0;
}

int ivrd_db_survey(ivrd_db_t *self, const char *call_id, const char *flow, long version,
                   const char *question, int score, const char *agent, int64_t at_ms)
{
    json_t *row = json_pack("{s:s, s:s, s:I, s:s, s:i, s:s, s:I}", "call_id", call_id, "flow", flow,
                            "version", (json_int_t)version, "question", question, "score", score,
                            "agent", agent ? agent : "", "at_ms", (json_int_t)at_ms);
    if (!row)
        return -1;
    pthread_mutex_lock(&self->lock);
    json_array_append_new(self->surveys, row);
    pthread_mutex_unlock(&self->lock);
    return 0;
}

void ivrd_db_stats(ivrd_db_t *self, json_t *details)
{
    pthread_mutex_lock(&self->lock);
    json_object_set_new(details, "path_rows_written",
                        json_integer((json_int_t)self->steps_written));
    json_object_set_new(details, "path_rows_waiting",
                        json_integer((json_int_t)json_array_size(self->steps)));
    json_object_set_new(details, "path_rows_dropped",
                        json_integer((json_int_t)self->steps_dropped));
    json_object_set_new(details, "surveys_written",
                        json_integer((json_int_t)self->surveys_written));
    json_object_set_new(details, "lookups", json_integer((json_int_t)self->lookups_done));
    json_object_set_new(details, "db_write_failures",
                        json_integer((json_int_t)self->write_failures));
    pthread_mutex_unlock(&self->lock);
}
