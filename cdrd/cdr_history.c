/* cdr_history.c - the retention timer of the history tables: calls cc_history_maintain()
 * (migration 014: partitions are made and dropped by the owner's function, cdrd's role may
 * only run it) and logs what it did. Runs on cdrd's connection between two batches, so it
 * never shares a transaction with CDRs; the function gives up on a lock after 5 s. */
#include "cdr_history.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"

struct cdr_history {
    cc_loop_t *loop;
    cc_pg_t *pg;
    cdr_history_cfg_t cfg;
    int timer;
    uint64_t runs, created, dropped, failures;
    char last_error[256];
};

#define S_STMT "cdr_history_maintain"

static void s_on_timer(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    cdr_history_run(arg);
}

cdr_history_t *cdr_history_new(cc_loop_t *loop, cc_pg_t *pg, const cdr_history_cfg_t *cfg)
{
    cdr_history_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->pg = pg;
    self->cfg = *cfg;
    if (cc_pg_prepare(pg, S_STMT,
                      "SELECT action, relation, rows_affected FROM cc_history_maintain($1, $2)",
                      2) != 0)
        goto fail;
    self->timer = cc_loop_timer_add(loop, (uint64_t)cfg->check_s * 1000,
                                    (uint64_t)cfg->check_s * 1000, s_on_timer, self);
    if (self->timer <= 0)
        goto fail;
    return self;
fail:
    cdr_history_destroy(&self);
    return NULL;
}

void cdr_history_destroy(cdr_history_t **self_p)
{
    cdr_history_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    if (self->timer > 0)
        cc_loop_timer_cancel(self->loop, self->timer);
    free(self);
    *self_p = NULL;
}

int cdr_history_run(cdr_history_t *self)
{
    char keep[16], ahead[16];
    snprintf(keep, sizeof keep, "%d", self->cfg.keep_months);
    snprintf(ahead, sizeof ahead, "%d", self->cfg.ahead_months);
    const char *params[] = {keep, ahead};
    self->runs++;
    PGresult *res = cc_pg_exec(self->pg, S_STMT, 2, params);
    if (!res) {
        self->failures++;
        snprintf(self->last_error, sizeof self->last_error, "%s", cc_pg_error(self->pg));
        cc_error("cdr.history_failed", "err=%s effect=\"tried again in %d s\"",
                 cc_logq(self->last_error), self->cfg.check_s);
        return -1;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        const char *action = PQgetvalue(res, i, 0);
        if (!strcmp(action, "created"))
            self->created++;
        else if (!strcmp(action, "dropped"))
            self->dropped++;
        cc_info("cdr.history_partition", "action=%s relation=%s rows=%s history_months=%d", action,
                PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), self->cfg.keep_months);
    }
    PQclear(res);
    self->last_error[0] = '\0';
    return 0;
}

void cdr_history_status(cdr_history_t *self, json_t *details)
{
    json_t *h = json_object();
    json_object_set_new(h, "history_months", json_integer(self->cfg.keep_months));
    json_object_set_new(h, "months_ahead", json_integer(self->cfg.ahead_months));
    json_object_set_new(h, "runs", json_integer((json_int_t)self->runs));
    json_object_set_new(h, "partitions_created", json_integer((json_int_t)self->created));
    json_object_set_new(h, "partitions_dropped", json_integer((json_int_t)self->dropped));
    json_object_set_new(h, "failures", json_integer((json_int_t)self->failures));
    json_object_set_new(h, "last_error", json_string(self->last_error));
    json_object_set_new(details, "history", h);
}
