/* cc_daemon.c - the start-up and shutdown sequence every daemon shares: argv, config,
 * logging, loop and signals, bus, Postgres schema check, heartbeat, watchdog, the
 * `status` command. It owns no daemon logic; main.c wires that in between start and run. */
#include "cc_daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc_log.h"
#include "cc_sd.h"

/* Start-up failures: say why on stderr (the journal shows it next to the exit code),
 * free what exists so sanitizers stay quiet, and exit. */
static void s_fail(cc_daemon_t *self, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

static void s_fail(cc_daemon_t *self, int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", self->spec->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    cc_daemon_destroy(&self);
    exit(code);
}

static void s_usage(const cc_daemon_spec_t *spec, FILE *out)
{
    fprintf(out,
            "usage: %s [-c FILE] [--check-config] [--help] [--version]\n"
            "%s\n\n"
            "  -c FILE          config file (default: $CC_CONFIG, $CC_VAR_DIR/cc.conf,\n"
            "                   var/cc.conf, /etc/callcenter/cc.conf, else built-in defaults)\n"
            "  --check-config   validate the config, print \"config ok\" and exit\n"
            "  --help           this text\n"
            "  --version        print the version\n"
            "\nExit codes: 0 clean stop, 1 runtime failure, 2 bad config or usage,\n"
            "3 database unreachable or wrong schema.\n",
            spec->name, spec->summary ? spec->summary : "");
}

typedef struct {
    const char *config_path;
    bool check_config;
} s_args_t;

/* Exits for --help, --version and usage errors; returns the rest. */
static s_args_t s_parse_args(const cc_daemon_spec_t *spec, int argc, char **argv)
{
    s_args_t args = {NULL, false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: %s needs a file name\n", spec->name, a);
                exit(2);
            }
            args.config_path = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0) {
            args.config_path = a + 9;
        } else if (strcmp(a, "--check-config") == 0) {
            args.check_config = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            s_usage(spec, stdout);
            cc_config_print_help(stdout, spec->name);
            exit(0);
        } else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("%s %s\n", spec->name, CC_VERSION);
            exit(0);
        } else {
            fprintf(stderr, "%s: unknown argument '%s'\n", spec->name, a);
            s_usage(spec, stderr);
            exit(2);
        }
    }
    return args;
}

static long s_uptime_s(const cc_daemon_t *self)
{
    return (long)((cc_mono_ms() - self->started_mono_ms) / 1000u);
}

/* mkdir -p: the bus sockets need run_dir before the first bind. */
static int s_mkdir_p(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0750) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0750) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* ---- bus events and commands ------------------------------------------------------ */

static json_t *s_base_fields(const cc_daemon_t *self)
{
    return json_pack("{s:s, s:I}", "daemon", self->spec->name, "pid", (json_int_t)getpid());
}

static void s_on_status(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    (void)args;
    cc_daemon_t *self = arg;
    json_t *result = s_base_fields(self);
    json_t *details = json_object();
    if (!result || !details) {
        json_decref(result);
        json_decref(details);
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    json_object_set_new(result, "version", json_string(CC_VERSION));
    json_object_set_new(result, "ready", json_boolean(self->ready));
    json_object_set_new(result, "uptime_s", json_integer(s_uptime_s(self)));
    json_object_set_new(result, "epoch", json_integer((json_int_t)cc_bus_epoch(bus)));
    json_object_set_new(result, "last_seq", json_integer((json_int_t)cc_bus_last_seq(bus)));
    /* The schema was checked equal to this at start-up, or the daemon would not run. */
    if (self->pg)
        json_object_set_new(result, "schema_version", json_integer(CC_SCHEMA_VERSION));
    if (self->status_fn)
        self->status_fn(self, details, self->status_arg);
    json_object_set_new(result, "details", details);
    cc_bus_reply(bus, req, result);
}

static void s_on_heartbeat(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    cc_daemon_t *self = arg;
    json_t *fields = s_base_fields(self);
    if (!fields)
        return;
    json_object_set_new(fields, "uptime_s", json_integer(s_uptime_s(self)));
    json_object_set_new(fields, "ready", json_boolean(self->ready));
    cc_bus_publish(self->bus, "daemon.heartbeat", NULL, fields);
}

static void s_on_watchdog(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    cc_sd_watchdog();
}

static const char *s_signal_name(int signo)
{
    return signo == SIGTERM ? "SIGTERM" : signo == SIGINT ? "SIGINT" : "SIGHUP";
}

static void s_on_signal(cc_loop_t *loop, int signo, void *arg)
{
    cc_daemon_t *self = arg;
    if (signo == SIGHUP) {
        cc_info("daemon.reload_requested", "signal=SIGHUP");
        return;
    }
    if (self->stop_signal)
        return; /* a second TERM while stopping: already on our way out */
    self->stop_signal = signo;
    const char *reason = s_signal_name(signo);
    char status[64];
    snprintf(status, sizeof status, "stopping on %s", reason);
    cc_sd_stopping(status);
    cc_info("daemon.stopping", "reason=%s uptime_s=%ld", reason, s_uptime_s(self));
    json_t *fields = s_base_fields(self);
    if (fields) {
        json_object_set_new(fields, "reason", json_string(reason));
        cc_bus_publish(self->bus, "daemon.stopping", NULL, fields);
    }
    if (self->stop_fn)
        self->stop_fn(self, self->stop_arg);
    cc_loop_stop(loop);
}

/* ---- start-up --------------------------------------------------------------------- */

static void s_connect_postgres(cc_daemon_t *self)
{
    const char *name = self->spec->name;
    char *conninfo = cc_config_pg_conninfo(self->cfg, name);
    if (!conninfo)
        s_fail(self, 1, "out of memory");
    int wait_s = (int)cc_config_int(self->cfg, "common", "pg_connect_timeout");
    self->pg = cc_pg_connect(conninfo, wait_s);
    free(conninfo);
    if (!self->pg)
        s_fail(self, 3,
               "cannot connect to Postgres at %s port %s database %s (gave up after "
               "%d s; see event=pg.connect_failed above)",
               *cc_config_str(self->cfg, "common", "pg_host")
                   ? cc_config_str(self->cfg, "common", "pg_host")
                   : cc_config_run_dir(self->cfg),
               cc_config_str(self->cfg, "common", "pg_port"),
               cc_config_str(self->cfg, "common", "pg_db"), wait_s);
    char err[256] = "";
    int found = 0;
    if (cc_pg_check_schema(self->pg, CC_SCHEMA_VERSION, &found, err, sizeof err) != 0)
        s_fail(self, 3, "%s", *err ? err : "database schema check failed");
    cc_info("daemon.schema_ok", "schema_version=%d", found);
}

static void s_start_bus(cc_daemon_t *self)
{
    const char *run_dir = cc_config_run_dir(self->cfg);
    int rc = s_mkdir_p(run_dir);
    if (rc)
        s_fail(self, 1, "cannot create run directory %s: %s", run_dir, strerror(-rc));
    int depth = (int)cc_config_int(self->cfg, "common", "bus_replay_depth");
    char err[512] = "";
    self->bus = cc_bus_from_config(self->spec->name, self->cfg, depth, err, sizeof err);
    if (!self->bus) /* a configuration problem (keys, peers): fix the config, not a retry */
        s_fail(self, 2, "cannot set up the bus: %s", err);
    rc = cc_bus_bind(self->bus);
    if (rc)
        s_fail(self, 1, "cannot bind the bus in %s: %s", run_dir, strerror(-rc));
    rc = cc_bus_attach(self->bus, self->loop);
    if (rc)
        s_fail(self, 1, "cannot attach the bus to the loop: %s", strerror(-rc));
    rc = cc_bus_on_command(self->bus, "status", s_on_status, self);
    if (rc)
        s_fail(self, 1, "cannot serve the status command: %s", strerror(-rc));
}

static void s_start_timers(cc_daemon_t *self)
{
    uint64_t hb_ms = (uint64_t)cc_config_int(self->cfg, "common", "heartbeat_interval") * 1000u;
    self->heartbeat_timer = cc_loop_timer_add(self->loop, hb_ms, hb_ms, s_on_heartbeat, self);
    if (self->heartbeat_timer < 0)
        s_fail(self, 1, "cannot add the heartbeat timer");
    uint64_t wd_usec = cc_sd_watchdog_usec();
    if (wd_usec > 0) {
        uint64_t pet_ms = wd_usec / 2000u;
        if (pet_ms == 0)
            pet_ms = 1;
        self->watchdog_timer = cc_loop_timer_add(self->loop, pet_ms, pet_ms, s_on_watchdog, self);
        if (self->watchdog_timer < 0)
            s_fail(self, 1, "cannot add the watchdog timer");
        cc_sd_watchdog();
    }
}

cc_daemon_t *cc_daemon_start(const cc_daemon_spec_t *spec, int argc, char **argv)
{
    s_args_t args = s_parse_args(spec, argc, argv);
    const char *path = args.config_path ? args.config_path : cc_config_default_path();

    char err[512];
    cc_config_t *cfg = cc_config_load(path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "%s: %s\n", spec->name, err);
        exit(2);
    }
    if (spec->check_config && spec->check_config(cfg, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", spec->name, err);
        cc_config_destroy(&cfg);
        exit(2);
    }
    if (args.check_config) {
        printf("config ok\n");
        cc_config_destroy(&cfg);
        exit(0);
    }

    cc_daemon_t *self = calloc(1, sizeof *self);
    if (!self) {
        fprintf(stderr, "%s: out of memory\n", spec->name);
        exit(1);
    }
    self->spec = spec;
    self->cfg = cfg;
    self->started_mono_ms = cc_mono_ms();

    cc_log_init(spec->name, (cc_log_level_t)cc_config_int(cfg, "common", "log_level"));
    cc_info("daemon.starting", "version=%s pid=%d config=%s run_dir=%s", CC_VERSION, (int)getpid(),
            cc_logq(path ? path : "(defaults)"), cc_logq(cc_config_run_dir(cfg)));

    self->loop = cc_loop_new();
    if (!self->loop)
        s_fail(self, 1, "cannot create the event loop: %s", strerror(errno));
    int rc = cc_loop_signals(self->loop, s_on_signal, self);
    if (rc)
        s_fail(self, 1, "cannot take signals: %s", strerror(-rc));

    s_start_bus(self);
    if (spec->uses_postgres)
        s_connect_postgres(self);
    s_start_timers(self);
    return self;
}

void cc_daemon_on_status(cc_daemon_t *self, cc_daemon_status_fn *fn, void *arg)
{
    self->status_fn = fn;
    self->status_arg = arg;
}

void cc_daemon_on_stop(cc_daemon_t *self, cc_daemon_stop_fn *fn, void *arg)
{
    self->stop_fn = fn;
    self->stop_arg = arg;
}

void cc_daemon_ready(cc_daemon_t *self)
{
    if (self->ready)
        return;
    self->ready = true;
    cc_sd_ready("ready");
    json_t *fields = s_base_fields(self);
    if (fields) {
        json_object_set_new(fields, "version", json_string(CC_VERSION));
        cc_bus_publish(self->bus, "daemon.ready", NULL, fields);
    }
    cc_info("daemon.ready", "pid=%d version=%s startup_ms=%llu", (int)getpid(), CC_VERSION,
            (unsigned long long)(cc_mono_ms() - self->started_mono_ms));
}

int cc_daemon_run(cc_daemon_t *self)
{
    int rc = cc_loop_run(self->loop);
    if (rc < 0) {
        cc_error("daemon.loop_failed", "error=%s", cc_logq(strerror(-rc)));
        return 1;
    }
    /* One short last turn so daemon.stopping and replies to in-flight requests leave
     * before the sockets close with linger 0. */
    cc_loop_run_once(self->loop, 50);
    cc_info("daemon.stopped", "uptime_s=%ld", s_uptime_s(self));
    return 0;
}

void cc_daemon_destroy(cc_daemon_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cc_daemon_t *self = *self_p;
    if (self->loop) {
        if (self->heartbeat_timer > 0)
            cc_loop_timer_cancel(self->loop, self->heartbeat_timer);
        if (self->watchdog_timer > 0)
            cc_loop_timer_cancel(self->loop, self->watchdog_timer);
    }
    /* The bus removes its fds from the loop, so it goes first. */
    cc_bus_destroy(&self->bus);
    cc_pg_destroy(&self->pg);
    cc_loop_destroy(&self->loop);
    cc_config_destroy(&self->cfg);
    free(self);
    *self_p = NULL;
}

long cc_daemon_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
}
