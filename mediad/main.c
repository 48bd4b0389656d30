/* mediad/main.c - mediad: the RTP media engine. Endpoints (local RTP/RTCP port pairs) are
 * created, aimed, paired and deleted over the bus (endpoint.*); paired endpoints relay
 * RTP and RTCP to each other, learn the far address from the packets (symmetric RTP), keep
 * per-endpoint statistics and report silent media (media.timeout). Endpoints also play
 * prompts (play.*), detect DTMF (media.dtmf), tap what they receive to recorderd (tap.*)
 * and join mixes (mix.*: conferences, monitoring); on request they tell a person from an
 * answering machine (endpoint.amd_start, media.amd_result).
 * Endpoints belong to owners (endpoint.sync, owner epochs) and survive a mediad restart
 * (endpoint.create with restore); freed ports sit out a quarantine, also at start-up, so
 * READY=1 comes only when new calls can get ports. Wiring only: the logic is in
 * md_core/md_stats/md_ports/md_play/md_dtmf/md_prompt/md_amd, the I/O in md_rtp, the commands in
 * md_bus (endpoints), md_media (prompts, DTMF), md_taps, md_mixes and md_amds. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cc_daemon.h"
#include "cc_log.h"
#include "md_amds.h"
#include "md_bus.h"
#include "md_core.h"
#include "md_media.h"
#include "md_mixes.h"
#include "md_ports.h"
#include "md_rtp.h"
#include "md_taps.h"

static const cc_daemon_spec_t s_spec = {
    .name = "mediad",
    .summary = "RTP media engine: endpoints, relay, symmetric RTP, statistics, media timeouts, "
               "prompt playback, DTMF detection, recording taps, mixing",
    .uses_postgres = false,
};

typedef struct {
    md_bus_t *bus;
    md_media_t *media;
    md_taps_t *taps;
    md_mixes_t *mixes;
    md_amds_t *amds;
} s_parts_t;

static void s_status(cc_daemon_t *d, json_t *details, void *arg)
{
    (void)d;
    s_parts_t *parts = arg;
    md_bus_status(parts->bus, details);
    md_media_status(parts->media, details);
    md_taps_status(parts->taps, details);
    md_mixes_status(parts->mixes, details);
    md_amds_status(parts->amds, details);
}

/* Ready once the start-up quarantine is over: until then the bus serves restores (the
 * calls of a mediad that crashed), but a new call would get no port. */
static void s_on_quarantine_over(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    cc_daemon_ready(arg);
}

static void s_fail(const char *what)
{
    fprintf(stderr, "mediad: %s\n", what);
    cc_error("daemon.start_failed", "reason=%s", cc_logq(what));
    exit(1);
}

int main(int argc, char **argv)
{
    cc_daemon_t *daemon = cc_daemon_start(&s_spec, argc, argv);
    const cc_config_t *cfg = daemon->cfg;

    int lo, hi;
    cc_config_range(cfg, "common", "rtp_ports", &lo, &hi);
    /* every pair starts in quarantine: a previous mediad's phones may still send to it */
    uint64_t quarantine_us = (uint64_t)cc_config_int(cfg, "mediad", "port_quarantine_ms") * 1000u;
    md_ports_t *ports = md_ports_new(lo, hi, quarantine_us, cc_mono_us());
    if (!ports)
        s_fail("[common] rtp_ports holds no even/odd port pair");
    long max_endpoints = cc_config_int(cfg, "mediad", "max_endpoints");
    int capacity =
        md_ports_total(ports) < max_endpoints ? md_ports_total(ports) : (int)max_endpoints;
    md_core_t *core = md_core_new(capacity);
    if (!core)
        s_fail("out of memory for the endpoint table");
    md_core_set_latch_window(core,
                             (uint64_t)cc_config_int(cfg, "mediad", "latch_window_ms") * 1000u);
    md_core_seed(core, cc_wall_us() ^ ((uint64_t)getpid() << 32)); /* ids unlike the last run's */

    const char *bind_addr = cc_config_str(cfg, "common", "bind");
    md_rtp_t *rtp = md_rtp_new(daemon->loop, core, ports, bind_addr,
                               (int)cc_config_int(cfg, "mediad", "rtp_tos"));
    if (!rtp)
        s_fail("[common] bind is not an IPv4 address");
    if (md_srtp_init() < 0)
        s_fail("libsrtp2 failed to initialise");

    const char *address = cc_config_str(cfg, "mediad", "media_address");
    md_bus_cfg_t bus_cfg = {
        .address = *address ? address : bind_addr,
        .media_timeout_s = (int)cc_config_int(cfg, "mediad", "media_timeout"),
        .scan_interval_ms = 500,
        .sync_grace_ms = (int)cc_config_int(cfg, "mediad", "sync_grace_ms"),
    };
    md_bus_t *bus = md_bus_new(daemon->bus, daemon->loop, core, rtp, ports, &bus_cfg);
    if (!bus)
        s_fail("cannot register the endpoint commands");
    char prompt_dir[4096];
    const char *dir = cc_config_str(cfg, "mediad", "prompt_dir");
    if (*dir)
        snprintf(prompt_dir, sizeof prompt_dir, "%s", dir);
    else
        snprintf(prompt_dir, sizeof prompt_dir, "%s/prompts", cc_config_var_dir(cfg));
    md_media_t *media = md_media_new(daemon->bus, daemon->loop, core, rtp, prompt_dir);
    if (!media)
        s_fail("cannot register the prompt and DTMF commands");
    md_mixes_t *mixes = md_mixes_new(daemon->bus, daemon->loop, core, rtp);
    if (!mixes)
        s_fail("cannot set up mixing");
    /* after mixes, which it borrows (a tap can follow a mix), and destroyed before them */
    md_taps_t *taps =
        md_taps_new(daemon->bus, daemon->loop, core, rtp, mixes, cc_config_run_dir(cfg),
                    (int)cc_config_int(cfg, "mediad", "tap_batch_ms"),
                    (int)cc_config_int(cfg, "mediad", "tap_hwm"));
    if (!taps)
        s_fail("cannot set up the recording taps");
    md_amds_t *amds = md_amds_new(daemon->bus, daemon->loop, core, rtp);
    if (!amds)
        s_fail("cannot set up answering-machine detection");
    s_parts_t parts = {.bus = bus, .media = media, .taps = taps, .mixes = mixes, .amds = amds};
    cc_daemon_on_status(daemon, s_status, &parts);

    cc_info("mediad.config",
            "ports=%d-%d pairs=%d endpoints_max=%d address=%s media_timeout=%d prompt_dir=%s "
            "port_quarantine_ms=%llu latch_window_ms=%ld",
            lo, hi, md_ports_total(ports), capacity, cc_logq(bus_cfg.address),
            bus_cfg.media_timeout_s, cc_logq(prompt_dir),
            (unsigned long long)(quarantine_us / 1000u),
            cc_config_int(cfg, "mediad", "latch_window_ms"));
    long nofile = cc_daemon_raise_nofile(); /* three sockets per endpoint */
    if (nofile >= 0 && nofile < 3L * capacity + 64)
        cc_warn("mediad.nofile_low",
                "limit=%ld endpoints_max=%d: endpoints beyond limit/3 go "
                "without the connected send socket, then fail",
                nofile, capacity);
    uint64_t quarantine_ms = quarantine_us / 1000u;
    if (quarantine_ms == 0)
        cc_daemon_ready(daemon);
    else if (cc_loop_timer_add(daemon->loop, quarantine_ms, 0, s_on_quarantine_over, daemon) < 0)
        s_fail("cannot add the start-up quarantine timer");
    else
        cc_info("mediad.start_quarantine", "ms=%llu: restores only, ready after it",
                (unsigned long long)quarantine_ms);
    int rc = cc_daemon_run(daemon);

    md_amds_destroy(&amds);
    md_taps_destroy(&taps);
    md_mixes_destroy(&mixes);
    md_media_destroy(&media);
    md_bus_destroy(&bus);
    md_rtp_destroy(&rtp);
    md_core_destroy(&core);
    md_ports_destroy(&ports);
    cc_daemon_destroy(&daemon);
    return rc;
}
