/* ccctl_status.c - `ccctl status`: asks every daemon for `status` over the bus, all at
 * once, and waits at most [ccctl] status_timeout_ms in total. Gathering only: what a reply
 * means and how it is printed is in ccctl_status_fmt.c. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc_bus.h"
#include "cc_loop.h"
#include "ccctl.h"
#include "ccctl_out.h"
#include "ccctl_status.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_FDS 32

static const char *const s_daemons[] = {"sipproxy",  "mediad", "acdd", "ivrd",
                                        "recorderd", "cdrd",   "webd", "dialerd"};
#define N_DAEMONS (sizeof s_daemons / sizeof s_daemons[0])

void ccctl_status_usage(FILE *out)
{
    fputs("usage: ccctl status [--json]\n"
          "  Asks each daemon (sipproxy mediad acdd ivrd recorderd cdrd webd dialerd) for its "
          "status\n"
          "  over the bus in [common] run_dir. Exit 0 only if all answered and are ready.\n",
          out);
}

typedef struct {
    struct pollfd fds[MAX_FDS];
    nfds_t nfds;
    int timeout_ms;
    ccctl_daemon_status_t st[N_DAEMONS];
    size_t no_socket; /* daemons without a command socket in run_dir */
} s_gather_t;

static void s_watch_fd(cc_bus_t *bus, int fd, void *arg)
{
    (void)bus;
    s_gather_t *g = arg;
    if (g->nfds < MAX_FDS)
        g->fds[g->nfds++] = (struct pollfd){.fd = fd, .events = POLLIN};
}

static void s_on_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    ccctl_status_from_reply(arg, status, result);
}

static size_t s_pending(const s_gather_t *g)
{
    size_t n = 0;
    for (size_t i = 0; i < N_DAEMONS; i++)
        n += !g->st[i].done;
    return n;
}

/* Dispatch until every request has its answer or the deadline (a little after the
 * requests' own timeout, which the bus enforces) has passed. */
static void s_wait(cc_bus_t *bus, s_gather_t *g)
{
    uint64_t deadline = cc_mono_ms() + (uint64_t)g->timeout_ms + 500;
    while (cc_bus_dispatch(bus) || s_pending(g) > 0) {
        if (s_pending(g) == 0)
            continue; /* drained something; loop once more to settle */
        uint64_t now = cc_mono_ms();
        if (now >= deadline)
            break;
        int wait = (int)(deadline - now);
        int next = cc_bus_next_timeout_ms(bus);
        if (next >= 0 && next < wait)
            wait = next;
        if (poll(g->fds, g->nfds, wait) < 0 && errno != EINTR)
            break;
    }
    for (size_t i = 0; i < N_DAEMONS; i++)
        if (!g->st[i].done)
            ccctl_status_from_reply(&g->st[i], -ETIMEDOUT, NULL);
}

/* A daemon that is not running has no command socket: say so at once instead of waiting
 * for the timeout. A stale socket (after a crash) still costs the full wait. */
static bool s_no_socket(const cc_config_t *cfg, ccctl_daemon_status_t *st)
{
    if (!cc_bus_config_surely_down(cfg, st->daemon))
        return false;
    st->done = true;
    snprintf(st->error, sizeof st->error, "not running (no %s.cmd socket)", st->daemon);
    return true;
}

static int s_gather(ccctl_t *ctx, s_gather_t *g)
{
    char name[64];
    snprintf(name, sizeof name, "ccctl-%d", (int)getpid());
    char err[512];
    cc_bus_t *bus = cc_bus_from_config(name, ctx->cfg, 0, err, sizeof err);
    if (!bus)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "cannot create the bus client: %s", err);
    cc_bus_set_fd_watcher(bus, s_watch_fd, g);
    for (size_t i = 0; i < N_DAEMONS; i++) {
        g->st[i].daemon = s_daemons[i];
        g->st[i].timeout_ms = g->timeout_ms;
        if (s_no_socket(ctx->cfg, &g->st[i])) {
            g->no_socket++;
            continue;
        }
        if (!cc_bus_request(bus, NULL, s_daemons[i], "status", NULL, g->timeout_ms, s_on_reply,
                            &g->st[i]))
            ccctl_status_from_reply(&g->st[i], -ENOTCONN, NULL);
    }
    s_wait(bus, g);
    cc_bus_destroy(&bus);
    return 0;
}

int ccctl_status_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}};
    ccctl_args_t args;
    if (ccctl_wants_help(argc - 1, argv + 1)) {
        ccctl_status_usage(stdout);
        return CCCTL_EXIT_OK;
    }
    int rc =
        ccctl_parse(&args, argc - 1, argv + 1, opts, N_OPTS(opts), 0, 0, "", ccctl_status_usage);
    if (rc != 0)
        return rc;
    if (!ccctl_config(ctx))
        return CCCTL_EXIT_USAGE;
    s_gather_t g = {.timeout_ms = (int)cc_config_int(ctx->cfg, "ccctl", "status_timeout_ms")};
    rc = s_gather(ctx, &g);
    if (rc != 0)
        return rc;
    if (ccctl_flag(&args, "--json"))
        ccctl_json_print(ccctl_status_json(g.st, N_DAEMONS), stdout);
    else
        ccctl_status_print(g.st, N_DAEMONS, stdout);
    if (g.no_socket == N_DAEMONS) /* nothing there at all: perhaps the wrong place */
        ccctl_where_hint(ctx);
    return ccctl_status_all_ready(g.st, N_DAEMONS) ? CCCTL_EXIT_OK : CCCTL_EXIT_REFUSED;
}
