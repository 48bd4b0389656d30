/* cc_daemon.h - the skeleton every daemon shares: command line, config, logging, the
 * event loop, the bus (PUB + ROUTER), Postgres with the schema check, systemd readiness
 * and watchdog, the heartbeat event, the `status` command and a clean shutdown on
 * SIGTERM/SIGINT. A daemon's main.c builds one, wires its own adapters onto it, calls
 * cc_daemon_ready() and cc_daemon_run().
 *
 * Command line:  NAME [-c FILE] [--check-config] [--help] [--version]
 *   -c FILE         config file (default: cc_config_default_path())
 *   --check-config  load and validate the config, print "config ok" and exit 0, or the
 *                   error and exit 2
 * Exit codes: 0 clean stop, 1 runtime failure, 2 bad config or usage, 3 database
 * unreachable or wrong schema. */
#ifndef CC_DAEMON_H
#define CC_DAEMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cc_bus.h"
#include "cc_config.h"
#include "cc_loop.h"
#include "cc_pg.h"

#define CC_VERSION "0.1.0"

typedef struct cc_daemon cc_daemon_t;

/* Adds daemon-specific figures to the `status` reply's "details" object. */
typedef void(cc_daemon_status_fn)(cc_daemon_t *d, json_t *details, void *arg);
/* Called once when SIGTERM/SIGINT arrives, before the loop stops: end calls, flush. */
typedef void(cc_daemon_stop_fn)(cc_daemon_t *d, void *arg);

typedef struct {
    const char *name;    /* "sipproxy": also the config section and the bus name */
    const char *summary; /* one line for --help */
    bool uses_postgres;  /* connect as [name] pg_user and check the schema */
    /* Checks of the daemon's own that the key table cannot express (a time zone that
     * exists, one of several words): 0, or -1 with the reason in err. Run on every start
     * and by --check-config, both exiting 2 on failure. NULL: none. */
    int (*check_config)(const cc_config_t *cfg, char *err, size_t errlen);
} cc_daemon_spec_t;

struct cc_daemon {
    const cc_daemon_spec_t *spec;
    cc_config_t *cfg;
    cc_loop_t *loop;
    cc_bus_t *bus;
    cc_pg_t *pg; /* NULL unless spec->uses_postgres */
    uint64_t started_mono_ms;
    bool ready;
    /* private below */
    cc_daemon_status_fn *status_fn;
    void *status_arg;
    cc_daemon_stop_fn *stop_fn;
    void *stop_arg;
    int heartbeat_timer, watchdog_timer;
    int stop_signal;
};

/* Parse argv, load config (exit 2 naming file:line on error), init logging, create the
 * loop and bus (exit 1 if binding fails), connect Postgres and check the schema (exit 3).
 * Never returns NULL: start-up failures exit with a message on stderr. */
cc_daemon_t *cc_daemon_start(const cc_daemon_spec_t *spec, int argc, char **argv);

void cc_daemon_on_status(cc_daemon_t *self, cc_daemon_status_fn *fn, void *arg);
void cc_daemon_on_stop(cc_daemon_t *self, cc_daemon_stop_fn *fn, void *arg);

/* Mark ready: sd_notify READY=1, publish daemon.ready, log event=daemon.ready. */
void cc_daemon_ready(cc_daemon_t *self);

/* Run the loop until SIGTERM/SIGINT; then sd_notify STOPPING=1, publish daemon.stopping,
 * call the stop hook and return 0. */
int cc_daemon_run(cc_daemon_t *self);

/* Take the hard limit on open files rather than a soft default of 1024 (daemons holding
 * many sockets: mediad's endpoints, webd's live streams). Returns the limit now in force,
 * or -1 when unlimited or unknown. */
long cc_daemon_raise_nofile(void);

/* Free everything (bus sockets closed with linger 0, so exit is prompt). */
void cc_daemon_destroy(cc_daemon_t **self_p);

#endif
