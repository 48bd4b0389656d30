/* wd_db.h - webd's Postgres: one worker thread (common/cc_pg_worker.c) with its own
 * connection in the centre's time zone, running jobs in order so no query ever blocks the
 * event loop: reads for the API (rows come back as JSON), writes (sessions, audit) nobody
 * waits for, password checks (Argon2id is slow on purpose), and the reload of users,
 * tokens and the ACD configuration when NOTIFY cc_config fires. A job's done callback runs
 * on the loop; it finds its request by id, so a request that went away meanwhile is
 * simply not found. Parameters only: no SQL is built from input. */
#ifndef WD_DB_H
#define WD_DB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cc_loop.h"
#include "cc_pg.h"

#define WD_JOB_PARAMS 24

typedef struct wd_job wd_job_t;
typedef void(wd_job_run_fn)(cc_pg_t *pg, wd_job_t *job); /* on the worker thread */
typedef void(wd_job_done_fn)(wd_job_t *job, void *app);  /* on the loop thread */

struct wd_job {
    wd_job_run_fn *run;   /* NULL: run sql with params, rows into result */
    wd_job_done_fn *done; /* NULL: nobody waits (writes) */
    uint64_t req_id;      /* the request waiting, or 0 */
    char *sql;
    char *params[WD_JOB_PARAMS];
    int nparams;
    void *arg; /* the job's own data, freed with free_arg */
    void (*free_arg)(void *arg);
    /* results */
    json_t *result; /* rows: [{column: value}] */
    int status;     /* 0 or -1 */
    char error[256];
    char sqlstate[8];
    wd_job_t *next;
};

typedef struct wd_db wd_db_t;

/* reload(app, result) runs on the loop with what reload_run gathered (on the worker)
 * after each NOTIFY cc_config, and after every new session (reconnect). */
typedef struct {
    const char *conninfo;
    const char *time_zone;
    wd_job_run_fn *reload_run;
    wd_job_done_fn *reload_done;
    void *app;
} wd_db_cfg_t;

wd_db_t *wd_db_start(cc_loop_t *loop, const wd_db_cfg_t *cfg);
/* Finish what is queued (writes), then stop the thread. */
void wd_db_stop(wd_db_t **self_p, cc_loop_t *loop);

/* A job running `sql` with params (copied; NULL entries are SQL NULL). */
wd_job_t *wd_job_sql(const char *sql, int nparams, const char *const *params);
/* Hand the job over (the db owns it from now on). */
void wd_db_submit(wd_db_t *self, wd_job_t *job);
void wd_job_free(wd_job_t *job);
size_t wd_db_backlog(wd_db_t *self);

/* Run one statement on pg and return its rows (cc_pg_rows_json), or NULL on error with
 * the message in err. */
json_t *wd_db_query(cc_pg_t *pg, const char *sql, int nparams, const char *const *params, char *err,
                    size_t errlen);

#endif
