/* cc_pg_worker.c - the mechanics of a daemon's Postgres thread (see cc_pg_worker.h):
 * connect, notice a new session and LISTEN again, wait for a wake, a notification or the
 * round timeout, run the owner's round, and end when asked and the owner is idle. */
#include "cc_pg_worker.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cc_log.h"

#define S_RECONNECT_PAUSE_MS 200

struct cc_pg_worker {
    cc_pg_worker_cfg_t cfg;
    char *conninfo;
    char listen_sql[96]; /* "" when nothing is listened to */
    int wake_fd;
    pthread_t thread;
    bool started;
    atomic_bool stop_requested;
};

static void s_clear_wake(cc_pg_worker_t *self)
{
    uint64_t count;
    ssize_t rc = read(self->wake_fd, &count, sizeof count);
    (void)rc; /* nonblocking: nothing to read is fine */
}

/* Whether any notification has arrived; drops them, since owners only care that one did. */
static bool s_drain_notifications(PGconn *conn)
{
    bool any = false;
    PQconsumeInput(conn);
    PGnotify *n;
    while ((n = PQnotifies(conn)) != NULL) {
        any = true;
        PQfreemem(n);
    }
    return any;
}

/* LISTEN belongs to a session, and what was notified while no session listened is gone:
 * so a new backend (first connect or reconnect) listens again and tells the owner. */
static void s_follow_session(cc_pg_worker_t *self, cc_pg_t *pg, int *backend)
{
    PGconn *conn = cc_pg_conn(pg);
    bool up = PQstatus(conn) == CONNECTION_OK;
    if (up && PQbackendPID(conn) == *backend)
        return;
    if (up && (!self->listen_sql[0] || cc_pg_exec_simple(pg, self->listen_sql) == 0)) {
        if (self->cfg.on_session)
            self->cfg.on_session(pg, *backend == 0, self->cfg.arg);
        *backend = PQbackendPID(conn);
        return;
    }
    /* cc_pg reconnects when a statement finds the server gone, so run a trivial one; the
     * pause keeps a server that stays away from being hammered */
    PQclear(cc_pg_exec_params(pg, "SELECT 1", 0, NULL));
    usleep(S_RECONNECT_PAUSE_MS * 1000);
}

/* Wait (not at all when notifications are pending), then run the owner's round. Returns
 * whether notifications came in during the round: its statements read them off the
 * socket into libpq's queue, where poll can no longer see them. */
static bool s_round(cc_pg_worker_t *self, cc_pg_t *pg, bool pending)
{
    PGconn *conn = cc_pg_conn(pg);
    struct pollfd fds[2] = {{self->wake_fd, POLLIN, 0}, {PQsocket(conn), POLLIN, 0}};
    nfds_t nfds = self->listen_sql[0] && fds[1].fd >= 0 ? 2 : 1;
    poll(fds, nfds, pending ? 0 : self->cfg.round_ms);
    if (fds[0].revents & POLLIN) {
        s_clear_wake(self);
        if (self->cfg.gather_ms > 0)
            usleep((useconds_t)self->cfg.gather_ms * 1000);
    }
    bool notified =
        pending || (nfds == 2 && (fds[1].revents & POLLIN) && s_drain_notifications(conn));
    self->cfg.on_round(pg, notified, self->cfg.arg);
    return nfds == 2 && s_drain_notifications(cc_pg_conn(pg));
}

static bool s_may_end(cc_pg_worker_t *self)
{
    return atomic_load(&self->stop_requested) && (!self->cfg.idle || self->cfg.idle(self->cfg.arg));
}

static void *s_run(void *arg)
{
    cc_pg_worker_t *self = arg;
    cc_pg_t *pg = cc_pg_connect(self->conninfo, self->cfg.connect_wait_s);
    if (!pg) {
        cc_error(self->cfg.failed_event, "reason=%s", cc_logq("cannot connect"));
        return NULL;
    }
    if (self->cfg.on_connect)
        self->cfg.on_connect(pg, self->cfg.arg);
    int backend = 0; /* no session yet */
    bool pending = false;
    do {
        s_follow_session(self, pg, &backend);
        pending = s_round(self, pg, pending);
    } while (!s_may_end(self));
    cc_pg_destroy(&pg);
    return NULL;
}

cc_pg_worker_t *cc_pg_worker_start(const char *conninfo, const cc_pg_worker_cfg_t *cfg)
{
    cc_pg_worker_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cfg = *cfg;
    self->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    self->conninfo = strdup(conninfo);
    atomic_init(&self->stop_requested, false);
    if (cfg->listen_channel)
        snprintf(self->listen_sql, sizeof self->listen_sql, "LISTEN %s", cfg->listen_channel);
    if (self->wake_fd < 0 || !self->conninfo || !cfg->on_round ||
        pthread_create(&self->thread, NULL, s_run, self) != 0) {
        cc_pg_worker_stop(&self);
        return NULL;
    }
    self->started = true;
    return self;
}

void cc_pg_worker_wake(cc_pg_worker_t *self)
{
    uint64_t one = 1;
    ssize_t rc = write(self->wake_fd, &one, sizeof one);
    (void)rc; /* a full counter still wakes the thread */
}

void cc_pg_worker_stop(cc_pg_worker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cc_pg_worker_t *self = *self_p;
    if (self->started) {
        atomic_store(&self->stop_requested, true);
        cc_pg_worker_wake(self);
        pthread_join(self->thread, NULL);
    }
    if (self->wake_fd >= 0)
        close(self->wake_fd);
    free(self->conninfo);
    free(self);
    *self_p = NULL;
}
