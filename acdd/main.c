/* acdd/main.c - acdd: queues, agents, skills and routing (ACD). Wiring only: the daemon
 * skeleton, the routing core (acd_core.h), the Postgres adapter (acd_db.c: start-up loads,
 * then a writer thread), the bus adapter (acd_bus.c) and the files that carry out the
 * core's actions (listed in acd_app.h). At start it loads the queues and agents, restores
 * the calls that were waiting and the agents' states, and only then reports ready. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd_app.h"
#include "cc_daemon.h"
#include "cc_log.h"

static const cc_daemon_spec_t s_spec = {
    .name = "acdd",
    .summary = "queues, agents, skills and routing (ACD)",
    .uses_postgres = true,
};

static void s_on_config(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    acd_app_t *app = arg;
    acd_db_config_t *cfg = acd_db_take_config(app->db);
    if (cfg) {
        acd_app_apply_config(app, cfg);
        acd_db_config_free(&cfg);
        acd_calls_sweep(app);
    }
}

static void s_pause_reasons(acd_app_t *app, const char *list)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    int i = 0;
    for (char *tok = strtok_r(buf, ",", &save); tok && i < ACD_PAUSE_REASONS;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        snprintf(app->pause_reasons[i++], ACD_REASON_MAX, "%s", tok);
    }
}

static void s_read_config(acd_app_t *app, const cc_config_t *cfg)
{
    app->language = cc_config_str(cfg, "acdd", "language");
    app->music = cc_config_str(cfg, "acdd", "music");
    app->cb_offer_prompt = cc_config_str(cfg, "acdd", "callback_offer_prompt");
    app->cb_confirm_prompt = cc_config_str(cfg, "acdd", "callback_confirm_prompt");
    app->cb_caller = cc_config_str(cfg, "acdd", "callback_caller");
    app->cb_attempts_max = (int)cc_config_int(cfg, "acdd", "callback_attempts");
    app->cb_retry_s = (int)cc_config_int(cfg, "acdd", "callback_retry_s");
    app->req_timeout_ms = (int)cc_config_int(cfg, "acdd", "request_timeout_ms");
    s_pause_reasons(app, cc_config_str(cfg, "acdd", "pause_reasons"));
}

int main(int argc, char **argv)
{
    cc_daemon_t *daemon = cc_daemon_start(&s_spec, argc, argv);
    acd_app_t app = {.d = daemon, .bus = daemon->bus};
    s_read_config(&app, daemon->cfg);
    app.calls = cc_map_new(NULL);
    app.agents = cc_map_new(free);
    acd_actions_init(&app.out);
    app.core = app.calls && app.agents ? acd_core_new() : NULL;
    char *conninfo = cc_config_pg_conninfo(daemon->cfg, "acdd");
    app.db = conninfo
                 ? acd_db_start(conninfo, (int)cc_config_int(daemon->cfg, "acdd", "db_batch_ms"))
                 : NULL;
    free(conninfo);
    acd_db_config_t *cfg = app.core && app.db ? acd_db_load_config(daemon->pg) : NULL;
    if (!cfg) {
        fprintf(stderr, "acdd: cannot start: %s\n",
                app.core && app.db ? "loading the queues and agents failed (see the log)"
                                   : "out of memory or no writer thread");
        acd_db_stop(&app.db);
        acd_core_destroy(&app.core);
        cc_map_destroy(&app.calls);
        cc_map_destroy(&app.agents);
        cc_daemon_destroy(&daemon);
        return 1;
    }
    acd_app_apply_config(&app, cfg);
    acd_db_config_free(&cfg);
    if (acd_bus_attach(&app) != 0 ||
        cc_loop_fd_add(daemon->loop, acd_db_notify_fd(app.db), EPOLLIN, s_on_config, &app) != 0)
        cc_error("acd.attach_failed", NULL);
    if (acd_bus_restore(&app, daemon->pg) != 0)
        cc_error("acd.restore_failed", NULL);
    cc_daemon_ready(daemon);
    int rc = cc_daemon_run(daemon);
    cc_loop_fd_remove(daemon->loop, acd_db_notify_fd(app.db));
    acd_db_stop(&app.db); /* writes what is queued */
    acd_calls_free_all(&app);
    cc_map_destroy(&app.agents);
    free(app.queues);
    acd_actions_free(&app.out);
    acd_core_destroy(&app.core);
    cc_daemon_destroy(&daemon);
    return rc;
}
