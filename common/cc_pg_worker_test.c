/* cc_pg_worker_test.c - the worker's life cycle without a server: when Postgres cannot be
 * reached the thread logs the owner's event and ends without running a callback, and
 * wake and stop still work (stop must not wait on an owner that never got a session).
 * The rounds themselves run against real Postgres in acdd's and sipproxy's integration
 * tests. */
#include <fcntl.h>
#include <unistd.h>

#include "cc_pg_worker.h"
#include "cc_test.h"

typedef struct {
    int connects, sessions, rounds, idle_asks;
} s_calls_t;

static void s_count_connect(cc_pg_t *pg, void *arg)
{
    (void)pg;
    ((s_calls_t *)arg)->connects++;
}

static void s_count_session(cc_pg_t *pg, bool first, void *arg)
{
    (void)pg, (void)first;
    ((s_calls_t *)arg)->sessions++;
}

static void s_count_round(cc_pg_t *pg, bool notified, void *arg)
{
    (void)pg, (void)notified;
    ((s_calls_t *)arg)->rounds++;
}

/* Never idle: a worker that did reach a session would make stop hang here. */
static bool s_never_idle(void *arg)
{
    ((s_calls_t *)arg)->idle_asks++;
    return false;
}

static const char *S_NO_SERVER = "host=/nonexistent port=1 dbname=d user=u";

CC_TEST(pg_worker_without_server_logs_and_stops)
{
    s_calls_t calls = {0};
    const cc_pg_worker_cfg_t cfg = {
        .failed_event = "test.db_thread_failed",
        .listen_channel = "cc_config",
        .connect_wait_s = 0,
        .round_ms = 50,
        .on_connect = s_count_connect,
        .on_session = s_count_session,
        .on_round = s_count_round,
        .idle = s_never_idle,
        .arg = &calls,
    };
    /* the thread's log lines go into a pipe until it has been joined */
    int log_pipe[2];
    CC_CHECK(pipe2(log_pipe, O_CLOEXEC) == 0);
    fflush(stderr);
    int saved_stderr = dup(2);
    dup2(log_pipe[1], 2);
    cc_pg_worker_t *worker = cc_pg_worker_start(S_NO_SERVER, &cfg);
    bool started = worker != NULL;
    if (worker)
        cc_pg_worker_wake(worker);
    cc_pg_worker_stop(&worker);
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    close(log_pipe[1]);
    char log[8192] = "";
    size_t len = 0;
    ssize_t n;
    while (len < sizeof log - 1 && (n = read(log_pipe[0], log + len, sizeof log - 1 - len)) > 0)
        len += (size_t)n;
    log[len] = '\0';
    close(log_pipe[0]);
    CC_CHECK(started);
    CC_CHECK(worker == NULL);
    CC_CHECK(strstr(log, "event=test.db_thread_failed") != NULL);
    CC_CHECK_INT(calls.connects, 0);
    CC_CHECK_INT(calls.sessions, 0);
    CC_CHECK_INT(calls.rounds, 0);
    CC_CHECK_INT(calls.idle_asks, 0);
}

CC_TEST(pg_worker_refuses_a_config_without_a_round)
{
    const cc_pg_worker_cfg_t cfg = {.failed_event = "test.db_thread_failed", .round_ms = 50};
    cc_pg_worker_t *worker = cc_pg_worker_start(S_NO_SERVER, &cfg);
    CC_CHECK(worker == NULL);
    cc_pg_worker_stop(&worker); /* NULL is fine */
    cc_pg_worker_stop(NULL);
}
