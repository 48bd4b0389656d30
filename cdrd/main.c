/* cdrd/main.c - cdrd: turns sipproxy's call events into one CDR per call in Postgres.
 * Wiring only: the daemon skeleton, the stored cursor and calls in progress loaded back,
 * the core (cdr_core.c), the batch, its flusher and the writer thread (cdr_batch.c,
 * cdr_flush.c, cdr_writer.c, cdr_db.c),
 * the reliable subscription (cdr_bus.c) and the history retention timer (cdr_history.c). */
#include <inttypes.h>
#include <stdlib.h>

#include "cc_daemon.h"
#include "cc_loop.h"
#include "cc_log.h"
#include "cdr_batch.h"
#include "cdr_bus.h"
#include "cdr_core.h"
#include "cdr_db.h"
#include "cdr_flush.h"
#include "cdr_history.h"

#define S_PUBLISHER "sipproxy"

static const cc_daemon_spec_t s_spec = {
    .name = "cdrd",
    .summary = "call detail records from sipproxy's call events into Postgres",
    .uses_postgres = true,
};

typedef struct {
    cdr_core_t *core;
    cdr_batch_t *batch;
    cdr_db_t *db;
    cdr_writer_t *writer;
    cdr_flush_t *flush;
    cdr_bus_t *intake;
    cdr_history_t *history;
} s_cdrd_t;

static void s_status(cc_daemon_t *d, json_t *details, void *arg)
{
    (void)d;
    s_cdrd_t *app = arg;
    cdr_bus_status(app->intake, details);
    cdr_flush_status(app->flush, details);
    cdr_history_status(app->history, details);
}

static void s_stop(cc_daemon_t *d, void *arg)
{
    (void)d;
    s_cdrd_t *app = arg;
    if (cdr_flush_now(app->flush) != 0)
        cc_warn("cdr.unflushed_at_stop",
                "pending_events=%zu effect=\"replayed from sipproxy at the next start\"",
                cdr_batch_events(app->batch));
}

static void s_fail(cc_daemon_t **d, const char *what)
{
    cc_error("cdr.start_failed", "err=%s", cc_logq(what));
    fprintf(stderr, "cdrd: %s\n", what);
    cc_daemon_destroy(d);
    exit(1);
}

int main(int argc, char **argv)
{
    cc_daemon_t *daemon = cc_daemon_start(&s_spec, argc, argv);
    s_cdrd_t app = {0};
    cc_bus_cursor_t cursor = {0, 0};
    app.db = cdr_db_new(daemon->pg, s_spec.name, S_PUBLISHER);
    if (!app.db)
        s_fail(&daemon, "cannot prepare the CDR statements");
    if (cdr_db_load_cursor(app.db, &cursor) != 0)
        s_fail(&daemon, "cannot read the bus cursor from bus_cursors");
    app.core = cdr_core_new(0);
    app.batch = cdr_batch_new();
    if (!app.core || !app.batch)
        s_fail(&daemon, "out of memory");
    int loaded = cdr_db_load_active(app.db, app.core);
    if (loaded < 0)
        s_fail(&daemon, "cannot load calls_active");
    cdr_batch_advance(app.batch, cursor.epoch, cursor.seq);
    cdr_batch_clear(app.batch); /* the batch starts at the stored cursor, empty */

    cdr_db_destroy(&app.db); /* the writer thread writes, on a connection of its own */
    char *conninfo = cc_config_pg_conninfo(daemon->cfg, s_spec.name);
    cdr_flush_cfg_t fcfg = {
        .flush_ms = (uint64_t)cc_config_int(daemon->cfg, "cdrd", "flush_ms"),
        .flush_events = (size_t)cc_config_int(daemon->cfg, "cdrd", "flush_events"),
        .retry_max_ms = (uint64_t)cc_config_int(daemon->cfg, "cdrd", "retry_max_ms"),
    };
    app.writer =
        conninfo ? cdr_writer_start(conninfo, s_spec.name, S_PUBLISHER, fcfg.retry_max_ms) : NULL;
    free(conninfo);
    if (!app.writer)
        s_fail(&daemon, "cannot start the database writer thread");
    app.flush = cdr_flush_new(daemon->loop, daemon->bus, app.writer, app.batch, &fcfg);
    app.intake = cdr_bus_new(daemon->bus, S_PUBLISHER, cursor, app.core, app.batch, app.flush);
    if (!app.flush || !app.intake || cdr_bus_start(app.intake) != 0)
        s_fail(&daemon, "cannot subscribe to sipproxy's events");
    cdr_history_cfg_t hcfg = {
        .keep_months = (int)cc_config_int(daemon->cfg, "cdrd", "history_months"),
        .ahead_months = (int)cc_config_int(daemon->cfg, "cdrd", "history_months_ahead"),
        .check_s = (int)cc_config_int(daemon->cfg, "cdrd", "history_check_s"),
    };
    app.history = cdr_history_new(daemon->loop, daemon->pg, &hcfg);
    if (!app.history)
        s_fail(&daemon, "cannot prepare the history retention");
    cdr_history_run(app.history); /* failures are logged and retried on the timer */
    cc_info("cdr.resumed", "publisher=%s epoch=%" PRIu64 " seq=%" PRIu64 " calls_active=%d",
            S_PUBLISHER, cursor.epoch, cursor.seq, loaded);

    /* CDRs go out in batches anyway (flush_ms): read the bus in batches too */
    cc_loop_set_wake_interval(
        daemon->loop, (uint64_t)cc_config_int(daemon->cfg, "cdrd", "read_interval_ms") * 1000);
    cc_daemon_on_status(daemon, s_status, &app);
    cc_daemon_on_stop(daemon, s_stop, &app);
    cc_daemon_ready(daemon);
    int rc = cc_daemon_run(daemon);
    cdr_flush_destroy(&app.flush); /* cancels its timer: before the loop goes */
    cdr_writer_stop(&app.writer);
    cdr_history_destroy(&app.history);
    cc_daemon_destroy(&daemon);
    cdr_bus_destroy(&app.intake); /* after the bus, which calls into it */
    cdr_batch_destroy(&app.batch);
    cdr_core_destroy(&app.core);
    return rc;
}
