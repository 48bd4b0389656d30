/* rec_db.c - recorderd's statements (see rec_db.h). */
#include "rec_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"

static const struct {
    const char *name, *sql;
    int n;
} s_stmts[] = {
    {"rec_policies",
     "SELECT kind, name, mode, coalesce(retention_days, -1) FROM "
     "recording_policies",
     0},
    {"rec_insert",
     "INSERT INTO recordings (call_id, caller, callee, agent, queue, trunk, mode, "
     "policy, path, encrypted, retention_days, retention_until) VALUES ($1, $2, "
     "$3, $4, $5, $6, $7, $8, $9, $10, $11::int, now() + make_interval(days => "
     "$11::int)) RETURNING id",
     11},
    {"rec_path", "UPDATE recordings SET path = $2 WHERE id = $1", 2},
    {"rec_agent", "UPDATE recordings SET agent = $2 WHERE id = $1", 2},
    {"rec_queue", "UPDATE recordings SET queue = $2 WHERE id = $1", 2},
    {"rec_finish",
     "UPDATE recordings SET ended_at = now(), duration_ms = $2, size = $3, "
     "sha256 = $4, complete = $5, paused = $6::jsonb, frames_lost = $7, "
     "gaps = $8::jsonb, retention_until = now() + make_interval(days => "
     "retention_days) WHERE id = $1",
     8},
    {"rec_open",
     "SELECT id, path, encrypted FROM recordings WHERE ended_at IS NULL AND "
     "deleted_at IS NULL ORDER BY id",
     0},
    {"rec_expired",
     "SELECT id, path, encrypted FROM recordings WHERE deleted_at IS NULL AND "
     "NOT legal_hold AND ended_at IS NOT NULL AND retention_until <= now() "
     "ORDER BY id LIMIT 10000",
     0},
    {"rec_deleted", "UPDATE recordings SET deleted_at = now() WHERE id = $1", 1},
};

int rec_db_prepare(cc_pg_t *pg)
{
    for (size_t i = 0; i < sizeof s_stmts / sizeof s_stmts[0]; i++)
        if (cc_pg_prepare(pg, s_stmts[i].name, s_stmts[i].sql, s_stmts[i].n) < 0)
            return -1;
    return 0;
}

static PGresult *s_exec(cc_pg_t *pg, const char *name, int n, const char *const *params)
{
    PGresult *r = cc_pg_exec(pg, name, n, params);
    if (!r)
        cc_error("rec.db_failed", "statement=%s error=%s", name, cc_logq(cc_pg_error(pg)));
    return r;
}

int rec_db_policies(cc_pg_t *pg, rec_policy_t **list, size_t *n)
{
    PGresult *r = s_exec(pg, "rec_policies", 0, NULL);
    if (!r)
        return -1;
    int rows = PQntuples(r);
    *list = calloc((size_t)rows + 1, sizeof **list);
    *n = 0;
    for (int i = 0; *list && i < rows; i++) {
        rec_policy_t *p = &(*list)[*n];
        snprintf(p->kind, sizeof p->kind, "%s", PQgetvalue(r, i, 0));
        snprintf(p->name, sizeof p->name, "%s", PQgetvalue(r, i, 1));
        if (rec_mode_parse(PQgetvalue(r, i, 2), &p->mode) < 0)
            continue;
        p->retention_days = atoi(PQgetvalue(r, i, 3));
        ++*n;
    }
    PQclear(r);
    return *list ? 0 : -1;
}

int rec_db_listen(cc_pg_t *pg)
{
    return cc_pg_exec_simple(pg, "LISTEN cc_config");
}

bool rec_db_changed(cc_pg_t *pg)
{
    PGconn *c = cc_pg_conn(pg);
    bool changed = false;
    if (PQstatus(c) != CONNECTION_OK)
        return false;
    PQconsumeInput(c);
    PGnotify *n;
    while ((n = PQnotifies(c)) != NULL) {
        if (!strcmp(n->relname, "cc_config") && n->extra && !strcmp(n->extra, "recording_policies"))
            changed = true;
        PQfreemem(n);
    }
    return changed;
}

int64_t rec_db_insert(cc_pg_t *pg, const rec_db_new_t *x)
{
    char days[16];
    snprintf(days, sizeof days, "%d", x->retention_days);
#define NZ(s) ((s) && *(s) ? (s) : NULL)
    const char *p[] = {
        x->call_id,   NZ(x->caller), NZ(x->callee), NZ(x->agent), NZ(x->queue),
        NZ(x->trunk), x->mode,       x->policy,     x->path,      x->encrypted ? "t" : "f",
        days};
#undef NZ
    PGresult *r = s_exec(pg, "rec_insert", 11, p);
    int64_t id = r && PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;
    PQclear(r);
    return id;
}

static int s_update(cc_pg_t *pg, const char *name, int n, const char *const *p)
{
    PGresult *r = s_exec(pg, name, n, p);
    PQclear(r);
    return r ? 0 : -1;
}

/* One column of a row learnt after it was inserted (statement "rec_<column>"). */
static int s_set(cc_pg_t *pg, const char *stmt, int64_t id, const char *value)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    const char *p[] = {ids, value};
    return s_update(pg, stmt, 2, p);
}

int rec_db_set_path(cc_pg_t *pg, int64_t id, const char *path)
{
    return s_set(pg, "rec_path", id, path);
}

int rec_db_set_agent(cc_pg_t *pg, int64_t id, const char *agent)
{
    return s_set(pg, "rec_agent", id, agent);
}

int rec_db_set_queue(cc_pg_t *pg, int64_t id, const char *queue)
{
    return s_set(pg, "rec_queue", id, queue);
}

int rec_db_finish(cc_pg_t *pg, int64_t id, int64_t duration_ms, uint64_t size, const char *sha256,
                  bool complete, const char *paused_json, uint64_t frames_lost,
                  const char *gaps_json)
{
    char ids[24], dur[24], sz[24], lost[24];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    snprintf(dur, sizeof dur, "%lld", (long long)duration_ms);
    snprintf(sz, sizeof sz, "%llu", (unsigned long long)size);
    snprintf(lost, sizeof lost, "%llu", (unsigned long long)frames_lost);
    const char *p[] = {
        ids,         dur,  sz,       sha256 && *sha256 ? sha256 : NULL, complete ? "t" : "f",
        paused_json, lost, gaps_json};
    return s_update(pg, "rec_finish", 8, p);
}

static int s_rows(cc_pg_t *pg, const char *name, rec_db_row_fn *fn, void *arg)
{
    PGresult *r = s_exec(pg, name, 0, NULL);
    if (!r)
        return -1;
    int rows = PQntuples(r);
    for (int i = 0; i < rows; i++)
        fn(strtoll(PQgetvalue(r, i, 0), NULL, 10), PQgetvalue(r, i, 1),
           PQgetvalue(r, i, 2)[0] == 't', arg);
    PQclear(r);
    return rows;
}

int rec_db_open_rows(cc_pg_t *pg, rec_db_row_fn *fn, void *arg)
{
    return s_rows(pg, "rec_open", fn, arg);
}

int rec_db_expired(cc_pg_t *pg, rec_db_row_fn *fn, void *arg)
{
    return s_rows(pg, "rec_expired", fn, arg);
}

int rec_db_mark_deleted(cc_pg_t *pg, int64_t id)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    const char *p[] = {ids};
    return s_update(pg, "rec_deleted", 1, p);
}
