/* wd_db.c - webd's Postgres worker: a queue of jobs run in order on the worker thread, a
 * queue of finished ones handed back to the loop through an eventfd (see wd_db.h). */
#include "wd_db.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cc_log.h"
#include "cc_pg_worker.h"

struct wd_db {
    wd_db_cfg_t cfg;
    char time_zone[64];
    cc_pg_worker_t *worker;
    pthread_mutex_t lock;
    wd_job_t *todo_head, *todo_tail; /* for the worker */
    wd_job_t *done_head, *done_tail; /* for the loop */
    size_t backlog;
    int done_fd;
};

/* ---- jobs ------------------------------------------------------------------------------ */

wd_job_t *wd_job_sql(const char *sql, int nparams, const char *const *params)
{
    wd_job_t *job = calloc(1, sizeof *job);
    if (!job || nparams > WD_JOB_PARAMS || !(job->sql = strdup(sql))) {
        free(job);
        return NULL;
    }
    job->nparams = nparams;
    for (int i = 0; i < nparams; i++) {
        if (params[i] && !(job->params[i] = strdup(params[i]))) {
            wd_job_free(job);
            return NULL;
        }
    }
    return job;
}

void wd_job_free(wd_job_t *job)
{
    if (!job)
        return;
    free(job->sql);
    for (int i = 0; i < job->nparams; i++)
        free(job->params[i]);
    if (job->free_arg)
        job->free_arg(job->arg);
    json_decref(job->result);
    free(job);
}

/* ---- queries ------------------------------------------------------------------------- */

json_t *wd_db_query(cc_pg_t *pg, const char *sql, int nparams, const char *const *params, char *err,
                    size_t errlen)
{
    PGresult *res = cc_pg_exec_params(pg, sql, nparams, params);
    if (!res) {
        snprintf(err, errlen, "%s", cc_pg_error(pg));
        return NULL;
    }
    json_t *rows = cc_pg_rows_json(res);
    PQclear(res);
    return rows;
}

static void s_run_sql(cc_pg_t *pg, wd_job_t *job)
{
    job->result = wd_db_query(pg, job->sql, job->nparams, (const char *const *)job->params,
                              job->error, sizeof job->error);
    job->status = job->result ? 0 : -1;
    if (!job->result) {
        snprintf(job->sqlstate, sizeof job->sqlstate, "%s", cc_pg_sqlstate(pg));
        cc_warn("webd.sql_failed", "sqlstate=%s error=%s", job->sqlstate, cc_logq(job->error));
    }
}

/* ---- the worker's side -------------------------------------------------------------------- */

static void s_hand_back(wd_db_t *self, wd_job_t *job)
{
    pthread_mutex_lock(&self->lock);
    job->next = NULL;
    if (self->done_tail)
        self->done_tail->next = job;
    else
        self->done_head = job;
    self->done_tail = job;
    pthread_mutex_unlock(&self->lock);
    uint64_t one = 1;
    ssize_t rc = write(self->done_fd, &one, sizeof one);
    (void)rc;
}

static void s_set_zone(wd_db_t *self, cc_pg_t *pg)
{
    const char *p[1] = {self->time_zone};
    PGresult *res = cc_pg_exec_params(pg, "SELECT set_config('TimeZone', $1, false)", 1, p);
    if (!res)
        cc_error("webd.db_timezone_failed", "zone=%s error=%s", cc_logq(self->time_zone),
                 cc_logq(cc_pg_error(pg)));
    PQclear(res);
}

static void s_reload(wd_db_t *self, cc_pg_t *pg)
{
    if (!self->cfg.reload_run)
        return;
    wd_job_t *job = calloc(1, sizeof *job);
    if (!job)
        return;
    job->done = self->cfg.reload_done;
    self->cfg.reload_run(pg, job);
    s_hand_back(self, job);
}

static void s_on_session(cc_pg_t *pg, bool first, void *arg)
{
    wd_db_t *self = arg;
    s_set_zone(self, pg);
    if (!first) /* what was notified while nobody listened: reload it all */
        s_reload(self, pg);
}

static void s_on_round(cc_pg_t *pg, bool notified, void *arg)
{
    wd_db_t *self = arg;
    if (notified)
        s_reload(self, pg);
    for (;;) {
        pthread_mutex_lock(&self->lock);
        wd_job_t *job = self->todo_head;
        if (job && !(self->todo_head = job->next))
            self->todo_tail = NULL;
        pthread_mutex_unlock(&self->lock);
        if (!job)
            break;
        (job->run ? job->run : s_run_sql)(pg, job);
        pthread_mutex_lock(&self->lock);
        self->backlog--;
        pthread_mutex_unlock(&self->lock);
        if (job->done)
            s_hand_back(self, job);
        else
            wd_job_free(job);
    }
}

static bool s_idle(void *arg)
{
    wd_db_t *self = arg;
    pthread_mutex_lock(&self->lock);
    bool idle = self->todo_head == NULL;
    pthread_mutex_unlock(&self->lock);
    return idle;
}

/* ---- the loop's side ------------------------------------------------------------------------- */

static void s_on_done(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)events;
    wd_db_t *self = arg;
    uint64_t count;
    ssize_t rc = read(fd, &count, sizeof count);
    (void)rc;
    pthread_mutex_lock(&self->lock);
    wd_job_t *list = self->done_head;
    self->done_head = self->done_tail = NULL;
    pthread_mutex_unlock(&self->lock);
    while (list) {
        wd_job_t *job = list;
        list = job->next;
        job->done(job, self->cfg.app);
        wd_job_free(job);
    }
}

wd_db_t *wd_db_start(cc_loop_t *loop, const wd_db_cfg_t *cfg)
{
    wd_db_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cfg = *cfg;
    snprintf(self->time_zone, sizeof self->time_zone, "%s", cfg->time_zone);
    pthread_mutex_init(&self->lock, NULL);
    self->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (self->done_fd < 0 || cc_loop_fd_add(loop, self->done_fd, EPOLLIN, s_on_done, self) != 0)
        goto fail;
    cc_pg_worker_cfg_t wc = {
        .failed_event = "webd.db_thread_failed",
        .listen_channel = "cc_config",
        .connect_wait_s = 30,
        .round_ms = 1000,
        .on_session = s_on_session,
        .on_round = s_on_round,
        .idle = s_idle,
        .arg = self,
    };
    self->worker = cc_pg_worker_start(cfg->conninfo, &wc);
    if (!self->worker)
        goto fail;
    return self;
fail:
    if (self->done_fd >= 0) {
        cc_loop_fd_remove(loop, self->done_fd);
        close(self->done_fd);
    }
    pthread_mutex_destroy(&self->lock);
    free(self);
    return NULL;
}

void wd_db_submit(wd_db_t *self, wd_job_t *job)
{
    if (!job)
        return;
    job->next = NULL;
    pthread_mutex_lock(&self->lock);
    if (self->todo_tail)
        self->todo_tail->next = job;
    else
        self->todo_head = job;
    self->todo_tail = job;
    self->backlog++;
    pthread_mutex_unlock(&self->lock);
    cc_pg_worker_wake(self->worker);
}

size_t wd_db_backlog(wd_db_t *self)
{
    pthread_mutex_lock(&self->lock);
    size_t n = self->backlog;
    pthread_mutex_unlock(&self->lock);
    return n;
}

void wd_db_stop(wd_db_t **self_p, cc_loop_t *loop)
{
    if (!self_p || !*self_p)
        return;
    wd_db_t *self = *self_p;
    cc_pg_worker_stop(&self->worker); /* runs what is queued first */
    cc_loop_fd_remove(loop, self->done_fd);
    close(self->done_fd);
    for (wd_job_t *j = self->todo_head, *n; j; j = n) { /* only if it never connected */
        n = j->next;
        wd_job_free(j);
    }
    for (wd_job_t *j = self->done_head, *n; j; j = n) {
        n = j->next;
        wd_job_free(j);
    }
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}
