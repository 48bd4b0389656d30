/* cc_pg_worker.h - a daemon's Postgres worker thread: the thread, its own connection, the
 * eventfd other threads poke to wake it, spotting a new session after a reconnect, LISTEN
 * on one channel with its notifications drained, and a stop that lets the owner finish
 * what is queued. It does not own the work: what is queued, how it is written, what is
 * reloaded and how results reach the loop stay with the owning module (callbacks). */
#ifndef CC_PG_WORKER_H
#define CC_PG_WORKER_H

#include <stdbool.h>

#include "cc_pg.h"

typedef struct cc_pg_worker cc_pg_worker_t;

/* Every callback runs on the worker thread with `arg`. Only on_round is required. */
typedef struct {
    const char *failed_event;   /* logged if the thread never connects ("acd.db_thread_failed");
                                   borrowed, must outlive the worker */
    const char *listen_channel; /* a constant identifier, LISTENed on every session; NULL: none */
    int connect_wait_s;         /* how long the thread keeps trying to connect at first */
    int round_ms;               /* the longest wait between rounds */
    int gather_ms;              /* after a wake, pause this long so a burst lands in one round */
    /* Connected, once, before any session: prepare statements here (cc_pg re-prepares). */
    void (*on_connect)(cc_pg_t *pg, void *arg);
    /* A session began and listens. first: the thread's first one; on a later one (after a
     * reconnect) whatever was notified while no session listened is lost. */
    void (*on_session)(cc_pg_t *pg, bool first, void *arg);
    /* After a wake, a notification or round_ms of quiet. notified: the channel fired. */
    void (*on_round)(cc_pg_t *pg, bool notified, void *arg);
    /* Nothing is queued: once stop was asked for, the thread ends after the first round in
     * which this holds. NULL: always idle. */
    bool (*idle)(void *arg);
    void *arg;
} cc_pg_worker_cfg_t;

/* Start the thread; it connects with conninfo (retrying in the thread, so this does not
 * wait for Postgres). cfg is copied. NULL on failure. */
cc_pg_worker_t *cc_pg_worker_start(const char *conninfo, const cc_pg_worker_cfg_t *cfg);
/* Run a round soon (another thread queued work). Never blocks. */
void cc_pg_worker_wake(cc_pg_worker_t *self);
/* Ask the thread to end, wait until it has (the owner's queue drained), and free. */
void cc_pg_worker_stop(cc_pg_worker_t **self_p);

#endif
