/* sipproxy/main.c - sipproxy: the suite's SIP edge. Registrar (digest auth, contacts in
 * Postgres), back-to-back user agent for calls with media anchored in mediad, trunks.
 * Wiring only: config -> settings, Postgres -> directory, then the proxy on the daemon
 * loop (see sp_proxy.c for how sofia's loop runs inside cc_loop). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc_daemon.h"
#include "cc_log.h"
#include "cc_secret.h"
#include "sp_db.h"
#include "sp_park.h"
#include "sp_proxy.h"

/* Copies the file at `from` to the end of `out` (open); -1 with err set. */
static int s_append_file(FILE *out, const char *from, char *err, size_t len)
{
    FILE *in = fopen(from, "r");
    if (!in) {
        snprintf(err, len, "cannot read %s: %s", from, strerror(errno));
        return -1;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    int rc = ferror(in) || ferror(out) ? -1 : 0;
    if (rc)
        snprintf(err, len, "cannot copy %s", from);
    fclose(in);
    explicit_bzero(buf, sizeof buf);
    return rc;
}

/* sofia wants a directory holding agent.pem (key then certificate) and cafile.pem: made
 * from [sipproxy] tls_key, tls_cert and tls_ca in <run_dir>/sipproxy-tls, private to this
 * user (0700, files 0600). 0, or -1 with err set. */
static int s_tls_dir(const cc_config_t *cfg, char *dir, size_t dirlen, char *err, size_t len)
{
    snprintf(dir, dirlen, "%s/sipproxy-tls", cc_config_run_dir(cfg));
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, len, "cannot create %.300s: %s", dir, strerror(errno));
        return -1;
    }
    if (chmod(dir, 0700) != 0) {
        snprintf(err, len, "cannot chmod %.300s: %s", dir, strerror(errno));
        return -1;
    }
    static const char *const names[] = {"agent.pem", "cafile.pem"};
    for (int i = 0; i < 2; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        const char *ca = cc_config_str(cfg, "sipproxy", "tls_ca");
        if (i == 1 && !ca[0]) {
            unlink(path);
            continue;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!out) {
            snprintf(err, len, "cannot write %.300s: %s", path, strerror(errno));
            if (fd >= 0)
                close(fd);
            return -1;
        }
        int rc = i == 0 ? s_append_file(out, cc_config_str(cfg, "sipproxy", "tls_key"), err, len)
                        : s_append_file(out, ca, err, len);
        if (rc == 0 && i == 0)
            rc = s_append_file(out, cc_config_str(cfg, "sipproxy", "tls_cert"), err, len);
        if (fclose(out) != 0 && rc == 0) {
            snprintf(err, len, "cannot write %.300s", path);
            rc = -1;
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int s_check_config(const cc_config_t *cfg, char *err, size_t len)
{
    if (cc_config_int(cfg, "sipproxy", "tls_port") > 0) {
        const char *cert = cc_config_str(cfg, "sipproxy", "tls_cert"),
                   *key = cc_config_str(cfg, "sipproxy", "tls_key");
        if (!cert[0] || !key[0]) {
            snprintf(err, len, "[sipproxy] tls_port needs tls_cert and tls_key");
            return -1;
        }
        if (cc_config_int(cfg, "sipproxy", "tls_port") ==
            cc_config_int(cfg, "common", "sip_port")) {
            snprintf(err, len, "[sipproxy] tls_port must differ from [common] sip_port");
            return -1;
        }
        if (access(cert, R_OK) != 0) {
            snprintf(err, len, "[sipproxy] tls_cert %s: %s", cert, strerror(errno));
            return -1;
        }
        if (cc_secret_file_check(key, "[sipproxy] tls_key", err, len) != 0)
            return -1;
    }
    const char *park = cc_config_str(cfg, "sipproxy", "park_number");
    sp_park_t lot;
    if (park[0] && sp_park_init(&lot, park, (int)cc_config_int(cfg, "sipproxy", "park_slot_first"),
                                (int)cc_config_int(cfg, "sipproxy", "park_slots")) != 0) {
        snprintf(err, len,
                 "[sipproxy] park_number '%s' must be 2-15 digits and not one of the slots "
                 "park_slot_first .. park_slot_first + park_slots - 1",
                 park);
        return -1;
    }
    sp_digest_alg_t algs[2];
    int n;
    char why[160];
    if (sp_digest_algs_parse(cc_config_str(cfg, "sipproxy", "digest_algorithms"), algs, &n, why,
                             sizeof why) != 0) {
        snprintf(err, len, "[sipproxy] digest_algorithms: %s", why);
        return -1;
    }
    return 0;
}

static const cc_daemon_spec_t s_spec = {
    .name = "sipproxy",
    .summary = "SIP registrar, B2BUA and trunks (sofia-sip)",
    .uses_postgres = true,
    .check_config = s_check_config,
};

typedef struct {
    sp_proxy_t *proxy;
    sp_db_t *db;
} s_app_t;

static void s_settings(const cc_config_t *cfg, sp_settings_t *s)
{
    s->ring_timeout_s = (int)cc_config_int(cfg, "sipproxy", "ring_timeout");
    s->reg_default_expires = (int)cc_config_int(cfg, "sipproxy", "reg_default_expires");
    s->reg_min_expires = (int)cc_config_int(cfg, "sipproxy", "reg_min_expires");
    s->reg_max_expires = (int)cc_config_int(cfg, "sipproxy", "reg_max_expires");
    s->nonce_ttl_s = (int)cc_config_int(cfg, "sipproxy", "nonce_ttl");
    char why[160]; /* checked by s_check_config before */
    sp_digest_algs_parse(cc_config_str(cfg, "sipproxy", "digest_algorithms"), s->digest_algs,
                         &s->digest_nalgs, why, sizeof why);
    s->auth_fail_limit = (int)cc_config_int(cfg, "sipproxy", "auth_fail_limit");
    s->auth_fail_window_s = (int)cc_config_int(cfg, "sipproxy", "auth_fail_window");
    s->media_timeout_ms = (int)cc_config_int(cfg, "sipproxy", "media_request_timeout");
    s->controller_timeout_ms = (int)cc_config_int(cfg, "sipproxy", "controller_timeout");
    s->udp_rcvbuf = (int)cc_config_int(cfg, "sipproxy", "udp_rcvbuf");
    s->register_fast_path = cc_config_bool(cfg, "sipproxy", "register_fast_path");
    s->overload_delay_ms = (int)cc_config_int(cfg, "sipproxy", "overload_delay");
    s->overload_media_pending = (int)cc_config_int(cfg, "sipproxy", "overload_media_pending");
    s->invite_memory_ms = (int)cc_config_int(cfg, "sipproxy", "invite_memory");
    s->media_sync_interval_s = (int)cc_config_int(cfg, "sipproxy", "media_sync_interval");
    s->t1x64_ms = (int)cc_config_int(cfg, "sipproxy", "transaction_linger");
    snprintf(s->hold_music, sizeof s->hold_music, "%s",
             cc_config_str(cfg, "sipproxy", "hold_music"));
    snprintf(s->feature_ok_prompt, sizeof s->feature_ok_prompt, "%s",
             cc_config_str(cfg, "sipproxy", "feature_ok_prompt"));
    snprintf(s->feature_failed_prompt, sizeof s->feature_failed_prompt, "%s",
             cc_config_str(cfg, "sipproxy", "feature_failed_prompt"));
    snprintf(s->blocked_prompt, sizeof s->blocked_prompt, "%s",
             cc_config_str(cfg, "sipproxy", "blocked_prompt"));
    snprintf(s->not_permitted_prompt, sizeof s->not_permitted_prompt, "%s",
             cc_config_str(cfg, "sipproxy", "not_permitted_prompt"));
    snprintf(s->park_number, sizeof s->park_number, "%s",
             cc_config_str(cfg, "sipproxy", "park_number"));
    s->park_slot_first = (int)cc_config_int(cfg, "sipproxy", "park_slot_first");
    s->park_slots = (int)cc_config_int(cfg, "sipproxy", "park_slots");
    s->park_timeout_s = (int)cc_config_int(cfg, "sipproxy", "park_timeout");
    snprintf(s->realm, sizeof s->realm, "%s", cc_config_str(cfg, "common", "sip_domain"));
    snprintf(s->bind, sizeof s->bind, "%s", cc_config_str(cfg, "common", "bind"));
    s->sip_port = (int)cc_config_int(cfg, "common", "sip_port");
    s->tls_port = (int)cc_config_int(cfg, "sipproxy", "tls_port");
    s->tls_verify = cc_config_str(cfg, "sipproxy", "tls_ca")[0] != '\0';
}

static void s_restore(const sp_contact_t *c, void *arg)
{
    sp_proxy_restore_contact(arg, c);
}

static void s_on_directory(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop, (void)fd, (void)events;
    s_app_t *app = arg;
    sp_directory_t *dir = sp_db_take_directory(app->db);
    if (dir)
        sp_proxy_set_directory(app->proxy, &dir);
}

static void s_on_status(cc_daemon_t *d, json_t *details, void *arg)
{
    (void)d;
    sp_proxy_status(((s_app_t *)arg)->proxy, details);
}

static void s_on_stop(cc_daemon_t *d, void *arg)
{
    (void)d;
    sp_proxy_shutdown(((s_app_t *)arg)->proxy);
}

/* A start-up failure after the daemon exists: say why, free what was built (so the bus
 * sockets close cleanly instead of czmq reporting them dangling) and exit. */
static void s_fail(cc_daemon_t **daemon, s_app_t *app, int code, const char *why)
{
    fprintf(stderr, "sipproxy: %s\n", why);
    sp_db_stop(&app->db);
    sp_proxy_destroy(&app->proxy);
    cc_daemon_destroy(daemon);
    exit(code);
}

int main(int argc, char **argv)
{
    cc_daemon_t *daemon = cc_daemon_start(&s_spec, argc, argv);
    sp_settings_t set = {0};
    s_settings(daemon->cfg, &set);
    s_app_t app = {0};
    char why[512];
    if (set.tls_port &&
        s_tls_dir(daemon->cfg, set.tls_dir, sizeof set.tls_dir, why, sizeof why) != 0)
        s_fail(&daemon, &app, 2, why);

    sp_directory_t *dir = sp_db_load_directory(daemon->pg, set.realm);
    if (!dir)
        s_fail(&daemon, &app, 3, "cannot load users, trunks and dialplan from Postgres");
    app.proxy = sp_proxy_new(daemon, &set, &dir);
    if (!app.proxy) {
        sp_directory_destroy(&dir);
        snprintf(why, sizeof why, "cannot listen for SIP on %s:%d", set.bind, set.sip_port);
        s_fail(&daemon, &app, 1, why);
    }
    int restored = sp_db_load_contacts(daemon->pg, s_restore, app.proxy);
    cc_info("sip.contacts_restored", "contacts=%d", restored);

    char *conninfo = cc_config_pg_conninfo(daemon->cfg, "sipproxy");
    app.db = conninfo ? sp_db_start(conninfo, set.realm) : NULL;
    free(conninfo);
    if (!app.db)
        s_fail(&daemon, &app, 1, "cannot start the database thread");
    sp_proxy_set_db(app.proxy, app.db);
    if (cc_loop_fd_add(daemon->loop, sp_db_notify_fd(app.db), EPOLLIN, s_on_directory, &app) ||
        sp_proxy_attach(app.proxy))
        s_fail(&daemon, &app, 1, "cannot attach to the event loop");
    cc_daemon_on_status(daemon, s_on_status, &app);
    cc_daemon_on_stop(daemon, s_on_stop, &app);
    cc_daemon_ready(daemon);
    int rc = cc_daemon_run(daemon);
    sp_db_stop(&app.db);
    sp_proxy_destroy(&app.proxy);
    cc_daemon_destroy(&daemon);
    return rc;
}
