/* dialerd/main.c - dialerd: outbound campaigns (preview, progressive, predictive).
 * Wiring only: the daemon skeleton and the status figures. The decisions (which lead
 * next, how many lines to dial) live in a pure pacing core, which the simulator
 * benchmark (tests/bench/dialer_sim.py) runs in simulated time. */
#include <stdlib.h>

#include "cc_daemon.h"
#include "cc_log.h"

static const cc_daemon_spec_t s_spec = {
    .name = "dialerd",
    .summary = "outbound campaigns: picks leads and paces calls within the abandon cap",
    .uses_postgres = true,
};

int main(int argc, char **argv)
{
    cc_daemon_t *daemon = cc_daemon_start(&s_spec, argc, argv);
    cc_daemon_ready(daemon);
    int rc = cc_daemon_run(daemon);
    cc_daemon_destroy(&daemon);
    return rc;
}
