/* ivrd_flows.c - the flows new calls get: every row of ivr_flows_live with its document,
 * parsed by the same validator ccctl uses, loaded at start and again whenever Postgres
 * NOTIFYs cc_config with payload ivr_flows_live. A flow that fails to parse here (it was
 * validated when stored, so only a prompt or zone removed since) keeps the old version.
 * Calls hold their own reference, so swapping a flow never disturbs a call in progress.
 * Uses the daemon's own connection on the loop thread: the query is one small SELECT. */
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "ivr_tz.h"
#include "ivrd.h"

#define S_FLOWS_MAX 256
#define S_RECHECK_MS 2000

typedef struct {
    char name[IVR_NODE_ID_MAX];
    long version;
    ivr_flow_t *flow;
} s_entry_t;

struct ivrd_flows {
    ivrd_t *ivrd;
    s_entry_t entries[S_FLOWS_MAX];
    size_t count;
    int listen_fd; /* the connection's socket we watch, -1 when none */
    int recheck_timer;
};

static bool s_zone_exists(const char *zone, void *ctx)
{
    (void)ctx;
    return ivr_tz_exists(zone);
}

static s_entry_t *s_find(ivrd_flows_t *self, const char *name)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp(self->entries[i].name, name) == 0)
            return &self->entries[i];
    return NULL;
}

/* Parses one live row; swaps it in when it is new. */
static void s_take(ivrd_flows_t *self, const char *name, long version, const char *doc, bool *seen)
{
    s_entry_t *e = s_find(self, name);
    if (e) {
        seen[e - self->entries] = true;
        if (e->version == version)
            return;
    } else if (self->count == S_FLOWS_MAX) {
        cc_error("ivr.flow_refused", "flow=%s version=%ld reason=\"more than %d flows\"",
                 cc_logq(name), version, S_FLOWS_MAX);
        return;
    }
    /* Prompts were checked when the flow was stored; mediad reports any gone since. */
    ivr_flow_env_t env = {.zone_exists = s_zone_exists, .version = version};
    ivr_flow_errors_t errors;
    ivr_flow_t *flow = ivr_flow_parse(doc, &env, &errors);
    if (!flow) {
        char text[1024];
        ivr_flow_errors_format(&errors, text, sizeof text);
        cc_error("ivr.flow_invalid", "flow=%s version=%ld errors=%s kept=%ld", cc_logq(name),
                 version, cc_logq(text), e ? e->version : 0L);
        return;
    }
    if (strcmp(ivr_flow_name(flow), name) != 0)
        cc_warn("ivr.flow_name", "flow=%s version=%ld document_name=%s", cc_logq(name), version,
                cc_logq(ivr_flow_name(flow)));
    if (!e) {
        e = &self->entries[self->count];
        seen[self->count++] = true;
        snprintf(e->name, sizeof e->name, "%s", name);
    }
    ivr_flow_destroy(&e->flow);
    e->flow = flow;
    e->version = version;
    cc_info("ivr.flow_loaded", "flow=%s version=%ld nodes=%zu", cc_logq(name), version,
            ivr_flow_node_count(flow));
    cc_bus_publish(self->ivrd->daemon->bus, "ivr.flow_loaded", NULL,
                   json_pack("{s:s, s:I}", "flow", name, "version", (json_int_t)version));
}

/* Takes the notifications libpq holds; true if one says the live flows changed. One about
 * the conference rooms reloads those (the NOTIFY socket is this file's). */
static bool s_drain(ivrd_flows_t *self)
{
    PGconn *conn = cc_pg_conn(self->ivrd->daemon->pg);
    PGnotify *n;
    bool changed = false, rooms = false;
    while (conn && (n = PQnotifies(conn)) != NULL) {
        if (strcmp(n->relname, "cc_config") == 0 && strcmp(n->extra, "ivr_flows_live") == 0)
            changed = true;
        if (strcmp(n->relname, "cc_config") == 0 && strcmp(n->extra, "conferences") == 0)
            rooms = true;
        PQfreemem(n);
    }
    if (rooms && self->ivrd->conf)
        ivrd_conf_reload(self->ivrd->conf);
    return changed;
}

static int s_reload_once(ivrd_flows_t *self)
{
    cc_pg_t *pg = self->ivrd->daemon->pg;
    PGresult *res =
        cc_pg_exec_params(pg,
                          "SELECT l.name, l.version, f.document::text FROM ivr_flows_live l "
                          "JOIN ivr_flows f USING (name, version) ORDER BY l.name",
                          0, NULL);
    if (!res) {
        cc_error("ivr.flows_read_failed", "error=%s", cc_logq(cc_pg_error(pg)));
        return -1;
    }
    bool seen[S_FLOWS_MAX] = {false};
    for (int r = 0; r < PQntuples(res); r++)
        s_take(self, PQgetvalue(res, r, 0), atol(PQgetvalue(res, r, 1)), PQgetvalue(res, r, 2),
               seen);
    PQclear(res);
    /* flows no longer live: new calls to them are refused; running calls keep theirs */
    for (size_t i = self->count; i-- > 0;) {
        if (seen[i])
            continue;
        cc_info("ivr.flow_removed", "flow=%s version=%ld", cc_logq(self->entries[i].name),
                self->entries[i].version);
        ivr_flow_destroy(&self->entries[i].flow);
        self->entries[i] = self->entries[--self->count];
        seen[i] = seen[self->count];
    }
    return 0;
}

/* A change committed while the SELECT ran is noticed by libpq while reading the result and
 * held there (the socket is not readable again), hence the drain and another round. */
int ivrd_flows_reload(ivrd_flows_t *self)
{
    int rc = 0;
    for (int round = 0; round < 5; round++) {
        rc = s_reload_once(self);
        if (!s_drain(self))
            break;
    }
    return rc;
}

static void s_on_socket(cc_loop_t *loop, int fd, uint32_t events, void *arg);

/* (Re)LISTENs when the connection is new (first time, or reconnected by cc_pg). */
static void s_listen(ivrd_flows_t *self)
{
    cc_pg_t *pg = self->ivrd->daemon->pg;
    PGconn *conn = cc_pg_conn(pg);
    int fd = conn && PQstatus(conn) == CONNECTION_OK ? PQsocket(conn) : -1;
    if (fd >= 0 && fd == self->listen_fd)
        return;
    if (self->listen_fd >= 0) {
        cc_loop_fd_remove(self->ivrd->daemon->loop, self->listen_fd);
        self->listen_fd = -1;
    }
    if (cc_pg_exec_simple(pg, "LISTEN cc_config") != 0) /* reconnects if it must */
        return;
    conn = cc_pg_conn(pg);
    fd = PQsocket(conn);
    if (fd < 0 || cc_loop_fd_add(self->ivrd->daemon->loop, fd, EPOLLIN, s_on_socket, self) != 0)
        return;
    self->listen_fd = fd;
    cc_debug("ivr.listen", "fd=%d", fd);
}

static void s_on_socket(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop, (void)fd, (void)events;
    ivrd_flows_t *self = arg;
    PGconn *conn = cc_pg_conn(self->ivrd->daemon->pg);
    bool reload;
    if (!PQconsumeInput(conn)) {
        cc_warn("ivr.listen_lost", "error=%s", cc_logq(PQerrorMessage(conn)));
        cc_loop_fd_remove(self->ivrd->daemon->loop, self->listen_fd);
        self->listen_fd = -1;
        return; /* the recheck timer reconnects, LISTENs and reloads */
    }
    reload = s_drain(self);
    if (reload)
        ivrd_flows_reload(self);
}

/* A lost connection loses the LISTEN: notice, listen again and reload what was missed. */
static void s_recheck(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop, (void)timer_id;
    ivrd_flows_t *self = arg;
    if (self->listen_fd >= 0) {
        PGconn *conn = cc_pg_conn(self->ivrd->daemon->pg);
        if (conn && PQstatus(conn) == CONNECTION_OK && PQsocket(conn) == self->listen_fd)
            return;
    }
    s_listen(self);
    if (self->listen_fd >= 0) {
        ivrd_flows_reload(self);
        if (self->ivrd->conf)
            ivrd_conf_reload(self->ivrd->conf);
    }
}

ivrd_flows_t *ivrd_flows_new(ivrd_t *ivrd)
{
    ivrd_flows_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->ivrd = ivrd;
    self->listen_fd = -1;
    s_listen(self);
    if (ivrd_flows_reload(self) != 0) {
        ivrd_flows_destroy(&self);
        return NULL;
    }
    self->recheck_timer =
        cc_loop_timer_add(ivrd->daemon->loop, S_RECHECK_MS, S_RECHECK_MS, s_recheck, self);
    return self;
}

void ivrd_flows_destroy(ivrd_flows_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ivrd_flows_t *self = *self_p;
    if (self->listen_fd >= 0)
        cc_loop_fd_remove(self->ivrd->daemon->loop, self->listen_fd);
    if (self->recheck_timer > 0)
        cc_loop_timer_cancel(self->ivrd->daemon->loop, self->recheck_timer);
    for (size_t i = 0; i < self->count; i++)
        ivr_flow_destroy(&self->entries[i].flow);
    free(self);
    *self_p = NULL;
}

ivr_flow_t *ivrd_flows_get(ivrd_flows_t *self, const char *name)
{
    s_entry_t *e = s_find(self, name);
    return e ? ivr_flow_ref(e->flow) : NULL;
}

size_t ivrd_flows_count(const ivrd_flows_t *self)
{
    return self->count;
}

json_t *ivrd_flows_list(const ivrd_flows_t *self)
{
    json_t *list = json_array();
    for (size_t i = 0; i < self->count; i++)
        json_array_append_new(list, json_pack("{s:s, s:I}", "flow", self->entries[i].name,
                                              "version", (json_int_t)self->entries[i].version));
    return list;
}
