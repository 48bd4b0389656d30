/* dialerd/main.c - dialerd: outbound campaigns (preview, progressive, predictive).
 * Wiring only: the daemon skeleton, the campaigns read from Postgres (dl_db.c) on a timer,
 * live dialling (dl_live.c) and the `status` figures. The decisions (which lead next, how many lines to
 * dial) live in the pure library dialer/ (dl_pick.c, dl_pace.c), which the simulator
 * benchmark (tests/bench/dialer_sim.py) runs in simulated time. */
#include <stdlib.h>

#include "cc_daemon.h"
#include "cc_log.h"
#include "dl_api.h"
#include "dl_db.h"
#include "dl_live.h"

static const cc_daemon_spec_t s_spec = {
    .name = "dialerd",
    .summary = "outbound campaigns: picks leads and paces calls within the abandon cap",
    .uses_postgres = true,
};

typedef struct {
    cc_daemon_t *daemon;
    dl_db_t *db;
    dl_live_t *live;
    dl_api_t *api;
    int reload_timer;
    dl_db_summary_t summary; /* campaigns by state, leads left: refreshed on the timer */
} s_dialerd_t;

static void s_reload(s_dialerd_t *app)
{
    dl_db_summary_t s;
    if (dl_db_summary(app->db, &s) != 0) {
        cc_warn("dialer.reload_failed", "err=%s", cc_logq(dl_db_error(app->db)));
        return;
    }
    if (s.running != app->summary.running || s.campaigns != app->summary.campaigns)
        cc_info("dialer.campaigns", "campaigns=%d running=%d paused=%d leads_ready=%lld",
                s.campaigns, s.running, s.paused, s.leads_ready);
    app->summary = s;
}

static void s_on_reload_timer(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_dialerd_t *app = arg;
    s_reload(app);
    dl_live_reload(app->live);
}

static void s_status(cc_daemon_t *d, json_t *details, void *arg)
{
    (void)d;
    s_dialerd_t *app = arg;
    s_reload(app); /* an answer as fresh as the database */
    json_object_set_new(details, "campaigns", json_integer(app->summary.campaigns));
    json_object_set_new(details, "running", json_integer(app->summary.running));
    json_object_set_new(details, "paused", json_integer(app->summary.paused));
    json_object_set_new(details, "leads_ready", json_integer(app->summary.leads_ready));
    dl_live_status(app->live, details);
}

static void s_fail(cc_daemon_t **d, const char *what)
{
    cc_error("dialer.start_failed", "err=%s", cc_logq(what));
    fprintf(stderr, "dialerd: %s\n", what);
    cc_daemon_destroy(d);
    exit(1);
}

int main(int argc, char **argv)
{
    s_dialerd_t app = {0};
    app.daemon = cc_daemon_start(&s_spec, argc, argv);
    app.db = dl_db_new(app.daemon->pg);
    if (!app.db)
        s_fail(&app.daemon, "cannot prepare the campaign statements");
    s_reload(&app);
    const cc_config_t *cfg = app.daemon->cfg;
    dl_live_cfg_t lc = {.tick_ms = (int)cc_config_int(cfg, "dialerd", "tick_ms"),
                        .window_s = (int)cc_config_int(cfg, "dialerd", "abandon_window_min") * 60,
                        .min_ring_s = (int)cc_config_int(cfg, "dialerd", "min_ring_s")};
    app.live = dl_live_new(app.daemon, app.db, &lc);
    if (!app.live)
        s_fail(&app.daemon, "cannot subscribe to sipproxy's and acdd's events");
    dl_live_reload(app.live);
    dl_live_recover(app.live); /* before the first tick can dial */
    app.api = dl_api_new(app.daemon, app.db, app.live);
    if (!app.api)
        s_fail(&app.daemon, "cannot serve campaign.list and campaign.set_state");
    uint64_t reload_ms = (uint64_t)cc_config_int(app.daemon->cfg, "dialerd", "reload_s") * 1000;
    app.reload_timer =
        cc_loop_timer_add(app.daemon->loop, reload_ms, reload_ms, s_on_reload_timer, &app);
    if (app.reload_timer < 0)
        s_fail(&app.daemon, "cannot add the reload timer");

    cc_daemon_on_status(app.daemon, s_status, &app);
    cc_daemon_ready(app.daemon);
    int rc = cc_daemon_run(app.daemon);
    cc_loop_timer_cancel(app.daemon->loop, app.reload_timer);
    dl_live_destroy(&app.live);
    cc_daemon_destroy(&app.daemon);
    dl_api_destroy(&app.api); /* after the bus, which calls into it */
    dl_db_destroy(&app.db);
    return rc;
}
