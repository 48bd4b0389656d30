/* ivrd/main.c - ivrd: IVR flow engine.
 * For now only the shared daemon skeleton: it starts, checks the schema, reports
 * ready, publishes daemon.heartbeat, answers ping and status, and stops cleanly.
 * Its own features arrive with their issue. */
#include "cc_daemon.h"

static const cc_daemon_spec_t s_spec = {
    .name = "ivrd",
    .summary = "IVR flow engine",
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
