/* dl_db.c - dialerd's statements (see dl_db.h). */
#include "dl_db.h"

#include <stdlib.h>

#include "cc_log.h"

struct dl_db {
    cc_pg_t *pg;
};

dl_db_t *dl_db_new(cc_pg_t *pg)
{
    dl_db_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->pg = pg;
    if (cc_pg_prepare(pg, "dl_summary",
                      "SELECT count(*), count(*) FILTER (WHERE state = 'running'), "
                      "count(*) FILTER (WHERE state = 'paused'), "
                      "(SELECT count(*) FROM leads l JOIN campaigns c ON c.name = l.campaign "
                      "  WHERE c.state = 'running' AND l.state = 'ready') "
                      "FROM campaigns",
                      0) != 0) {
        free(self);
        return NULL;
    }
    return self;
}

void dl_db_destroy(dl_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

int dl_db_summary(dl_db_t *self, dl_db_summary_t *out)
{
    PGresult *res = cc_pg_exec(self->pg, "dl_summary", 0, NULL);
    if (!res)
        return -1;
    out->campaigns = atoi(PQgetvalue(res, 0, 0));
    out->running = atoi(PQgetvalue(res, 0, 1));
    out->paused = atoi(PQgetvalue(res, 0, 2));
    out->leads_ready = atoll(PQgetvalue(res, 0, 3));
    PQclear(res);
    return 0;
}

const char *dl_db_error(const dl_db_t *self)
{
    return cc_pg_error(self->pg);
}
