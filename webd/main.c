/* webd/main.c - webd, the web gateway: the live wallboard and supervisor console in the
 * browser, and the JSON API for CRM, BI and scripts. Wiring only: the daemon skeleton, the
 * pure wallboard core (wb_core.h), logins and sessions (wd_auth.h), the route table
 * (wd_route.h), the live streams (wd_stream.h); the adapters: HTTP (wd_http.c), acdd's
 * events (wd_follow.c), Postgres (wd_load.c at start, then the worker of wd_db.c).
 * Start-up: load what Postgres holds and today's figures, listen, report ready, then ask
 * acdd for its live state (webd serves pages while acdd is down, and catches up). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cc_daemon.h"
#include "cc_log.h"
#include "cc_secret.h"
#include "wd_app.h"

/* IANA names only ("Europe/Berlin", "UTC"), checked against the system's zone files. */
static int s_zone_ok(const char *tz)
{
    if (!*tz || strlen(tz) > 60 || tz[0] == '/' || strstr(tz, ".."))
        return -1;
    for (const char *c = tz; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '/' || *c == '_' || *c == '-' || *c == '+'))
            return -1;
    char path[128];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
    return !strcmp(tz, "UTC") || access(path, R_OK) == 0 ? 0 : -1;
}

/* What the key table cannot check: run on every start and by --check-config. */
static int s_check_config(const cc_config_t *cfg, char *err, size_t len)
{
    wb_sl_formula_t formula;
    const char *tz = cc_config_str(cfg, "webd", "time_zone");
    if (s_zone_ok(tz) != 0) {
        snprintf(err, len, "[webd] time_zone '%s' is not a time zone of this system", tz);
        return -1;
    }
    if (wb_sl_formula_parse(cc_config_str(cfg, "webd", "sl_formula"), &formula) != 0) {
        snprintf(err, len, "[webd] sl_formula must be answered, answered_abandoned or offered");
        return -1;
    }
    if (!cc_config_str(cfg, "webd", "tls_cert")[0] != !cc_config_str(cfg, "webd", "tls_key")[0]) {
        snprintf(err, len, "[webd] tls_cert and tls_key go together");
        return -1;
    }
    const char *key = cc_config_str(cfg, "webd", "tls_key");
    if (key[0] && cc_secret_file_check(key, "[webd] tls_key", err, len) != 0)
        return -1; /* missing, or open to every user */
    return 0;
}

static const cc_daemon_spec_t s_spec = {
    .name = "webd",
    .summary = "web gateway: live wallboard, supervisor console and JSON API",
    .uses_postgres = true,
    .check_config = s_check_config,
};

static void s_settings(wd_app_t *app, const cc_config_t *cfg, wb_sl_formula_t *formula)
{
    wd_settings_t *s = &app->set;
    s->www_dir = cc_config_str(cfg, "webd", "www_dir");
    s->time_zone = cc_config_str(cfg, "webd", "time_zone");
    s->bind = cc_config_str(cfg, "common", "bind");
    s->port = (int)cc_config_int(cfg, "common", "http_port");
    s->tls_cert = cc_config_str(cfg, "webd", "tls_cert");
    s->tls_key = cc_config_str(cfg, "webd", "tls_key");
    s->session_ttl_s = (int)cc_config_int(cfg, "webd", "session_ttl_s");
    s->max_body = (int)cc_config_int(cfg, "webd", "max_body_bytes");
    s->max_connections = (int)cc_config_int(cfg, "webd", "max_connections");
    s->keepalive_s = (int)cc_config_int(cfg, "webd", "stream_keepalive_s");
    s->startup_replay = (int)cc_config_int(cfg, "webd", "startup_replay");
    s->request_timeout_ms = (int)cc_config_int(cfg, "webd", "request_timeout_ms");
    s->abandoned_max = (int)cc_config_int(cfg, "webd", "abandoned_max");
    s->stream_ring = (size_t)cc_config_int(cfg, "webd", "stream_ring");
    const char *key = cc_config_str(cfg, "recorderd", "master_key_file");
    if (*key)
        snprintf(s->rec_key_path, sizeof s->rec_key_path, "%s", key);
    else
        snprintf(s->rec_key_path, sizeof s->rec_key_path, "%s/secrets/recording-master.key",
                 cc_config_var_dir(cfg));
    wd_default_rules = (wb_rules_t){
        .sl_target_pct = (int)cc_config_int(cfg, "webd", "alert_sl_target_pct"),
        .max_wait_s = (int)cc_config_int(cfg, "webd", "alert_max_wait_s"),
        .max_call_s = (int)cc_config_int(cfg, "webd", "alert_max_call_s"),
        .max_not_ready_s = (int)cc_config_int(cfg, "webd", "alert_max_not_ready_s"),
    };
    wb_sl_formula_parse(cc_config_str(cfg, "webd", "sl_formula"), formula); /* checked */
}

static void s_on_tick(cc_loop_t *loop, int id, void *arg)
{
    (void)loop;
    (void)id;
    wd_app_t *app = arg;
    wd_board_tick(app);
    wd_console_sweep(app, wd_now_us());
}

static void s_status(cc_daemon_t *d, json_t *details, void *arg)
{
    (void)d;
    wd_app_t *app = arg;
    json_object_set_new(details, "streams",
                        json_integer((json_int_t)wd_streams_count(app->streams)));
    json_object_set_new(details, "connections",
                        json_integer((json_int_t)wd_http_connections(app->http)));
    json_object_set_new(details, "sessions",
                        json_integer((json_int_t)wd_auth_session_count(app->auth)));
    json_object_set_new(details, "db_backlog", json_integer((json_int_t)wd_db_backlog(app->db)));
    json_object_set_new(details, "acdd_live", json_boolean(app->follow.have_snapshot));
    json_object_set_new(details, "acdd_epoch", json_integer((json_int_t)app->follow.epoch));
    char url[160];
    snprintf(url, sizeof url, "%s://%s:%d/", app->set.tls_cert[0] ? "https" : "http", app->set.bind,
             app->set.port);
    json_object_set_new(details, "url", json_string(url));
}

static void s_on_stop(cc_daemon_t *d, void *arg)
{
    (void)d;
    ((wd_app_t *)arg)->stopping = true;
}

static int s_build(wd_app_t *app, wb_sl_formula_t formula)
{
    unsigned char pw[16];
    randombytes_buf(pw, sizeof pw);
    int rc =
        crypto_pwhash_str(app->dummy_hash, (const char *)pw, sizeof pw,
                          crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE);
    app->core = wb_core_new(formula, wd_default_rules);
    app->auth = wd_auth_new();
    int window = (int)cc_config_int(app->d->cfg, "webd", "login_window_s");
    app->fail_user =
        wd_throttle_new((int)cc_config_int(app->d->cfg, "webd", "login_max_failures"), window);
    app->fail_addr = wd_throttle_new(
        (int)cc_config_int(app->d->cfg, "webd", "login_max_failures_address"), window);
    app->streams = wd_streams_new(app->set.stream_ring, 8u << 20, wd_http_wake);
    app->reqs = cc_map_new(NULL);
    app->queue_text = cc_map_new(free);
    return rc == 0 && app->core && app->auth && app->fail_user && app->fail_addr && app->streams &&
                   app->reqs && app->queue_text
               ? 0
               : -1;
}

static void s_free(wd_app_t *app)
{
    wd_console_free(app);
    wd_desk_free(app);
    cc_map_destroy(&app->reqs);
    cc_map_destroy(&app->queue_text);
    wd_streams_destroy(&app->streams);
    wd_throttle_destroy(&app->fail_user);
    wd_throttle_destroy(&app->fail_addr);
    wd_auth_destroy(&app->auth);
    wb_core_destroy(&app->core);
}

int main(int argc, char **argv)
{
    cc_daemon_t *daemon = cc_daemon_start(&s_spec, argc, argv);
    wd_app_t app = {.d = daemon, .bus = daemon->bus, .tick_timer = -1};
    wb_sl_formula_t formula;
    char err[256];
    int code = 0;
    if (sodium_init() < 0) {
        fprintf(stderr, "webd: cannot start: libsodium did not initialise\n");
        code = 1;
    } else {
        s_settings(&app, daemon->cfg, &formula);
    }
    if (code == 0) {
        long nofile = cc_daemon_raise_nofile(); /* a socket per browser on the wallboard */
        if (nofile > 0 && nofile < app.set.max_connections + 64)
            cc_warn("webd.nofile_low", "limit=%ld max_connections=%d", nofile,
                    app.set.max_connections);
        setenv("TZ", app.set.time_zone, 1); /* the centre's day: localtime() is its */
        tzset();
        if (s_build(&app, formula) != 0) {
            fprintf(stderr, "webd: cannot start: out of memory\n");
            code = 1;
        } else if (wd_load_start(&app, daemon->pg) != 0) {
            fprintf(stderr, "webd: cannot load from Postgres (see the log)\n");
            code = 3;
        }
    }
    char *conninfo = code == 0 ? cc_config_pg_conninfo(daemon->cfg, "webd") : NULL;
    if (code == 0) {
        wd_db_cfg_t dbc = {.conninfo = conninfo,
                           .time_zone = app.set.time_zone,
                           .reload_run = wd_load_reload_run,
                           .reload_done = wd_load_reload_done,
                           .app = &app};
        app.db = conninfo ? wd_db_start(daemon->loop, &dbc) : NULL;
        if (!app.db) {
            fprintf(stderr, "webd: cannot start the database thread\n");
            code = 1;
        }
    }
    if (code == 0 && !(app.hooks = wd_hooks_start(
                           conninfo, (int)cc_config_int(daemon->cfg, "webd", "hook_retry_ms"),
                           (int)cc_config_int(daemon->cfg, "webd", "hook_max_attempts"),
                           (int)cc_config_int(daemon->cfg, "webd", "hook_timeout_ms"))))
        cc_error("webd.hooks_failed", "note=webhooks are not delivered");
    free(conninfo);
    if (code == 0 && !wd_http_start(&app, err, sizeof err)) {
        fprintf(stderr, "webd: %s\n", err);
        code = 1;
    }
    if (code != 0) {
        wd_hooks_stop(&app.hooks);
        wd_db_stop(&app.db, daemon->loop);
        s_free(&app);
        cc_daemon_destroy(&daemon);
        return code;
    }
    if (wd_follow_start(&app) != 0)
        cc_error("webd.follow_failed", NULL);
    app.tick_timer = cc_loop_timer_add(daemon->loop, 1000, 1000, s_on_tick, &app);
    cc_daemon_on_status(daemon, s_status, &app);
    cc_daemon_on_stop(daemon, s_on_stop, &app);
    cc_info("webd.listening", "url=%s://%s:%d/", app.set.tls_cert[0] ? "https" : "http",
            app.set.bind, app.set.port);
    cc_daemon_ready(daemon);
    int rc = cc_daemon_run(daemon);
    wd_follow_stop(&app);
    wd_hooks_stop(&app.hooks);
    wd_http_stop(&app.http);
    if (app.tick_timer > 0)
        cc_loop_timer_cancel(daemon->loop, app.tick_timer);
    wd_db_stop(&app.db, daemon->loop); /* writes what is queued (audit, sessions) */
    s_free(&app);
    cc_daemon_destroy(&daemon);
    return rc;
}
