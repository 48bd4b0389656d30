/* recorderd/main.c - recorderd: call recording. Decides by policy (Postgres) which calls
 * are recorded, has mediad tap their media, writes one stereo WAV per call (caller left,
 * other party right), optionally encrypted, indexes it in table recordings, honours
 * pause/resume and on-demand start/stop (ccctl or the agent's *1 *2 *3 *4), deletes
 * recordings whose retention ended, and after a crash repairs what was being written.
 * Wiring only: calls in rec_calls, one recording in rec_session, timeline in rec_mix,
 * files in rec_file (their format in recfile/), policy in rec_policy, deleting expired recordings in
 * rec_retention, repair after a crash in rec_recovery, SQL in rec_db. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_daemon.h"
#include "cc_log.h"
#include "rec_calls.h"
#include "rec_file.h"

static const cc_daemon_spec_t s_spec = {
    .name = "recorderd",
    .summary = "call recording: policy, taps from mediad, stereo WAV files, index, "
               "encryption at rest, retention",
    .uses_postgres = true,
};

static void s_status(cc_daemon_t *d, json_t *details, void *arg)
{
    (void)d;
    rec_calls_status(arg, details);
}

/* exit 2: the config (or a file it names) is wrong, restarting will not help; 1: other */
static void s_fail(int code, const char *what)
{
    fprintf(stderr, "recorderd: %s\n", what);
    cc_error("daemon.start_failed", "reason=%s", cc_logq(what));
    exit(code);
}

int main(int argc, char **argv)
{
    cc_daemon_t *daemon = cc_daemon_start(&s_spec, argc, argv);
    const cc_config_t *cfg = daemon->cfg;
    char dir[4096], key_path[4096], err[4400];
    const char *d = cc_config_str(cfg, "recorderd", "dir");
    snprintf(dir, sizeof dir, "%s", *d ? d : "");
    if (!*d)
        snprintf(dir, sizeof dir, "%s/recordings", cc_config_var_dir(cfg));
    rec_calls_cfg_t rc = {
        .dir = dir,
        .run_dir = cc_config_run_dir(cfg),
        .default_retention_days = (int)cc_config_int(cfg, "recorderd", "default_retention_days"),
        .retention_interval_s = (int)cc_config_int(cfg, "recorderd", "retention_interval"),
        .encrypt = cc_config_bool(cfg, "recorderd", "encrypt"),
        .flush_ms = (int)cc_config_int(cfg, "recorderd", "flush_ms"),
        .end_grace_ms = (int)cc_config_int(cfg, "recorderd", "end_grace_ms"),
        .feature_codes = cc_config_bool(cfg, "recorderd", "feature_codes"),
    };
    if (rec_mode_parse(cc_config_str(cfg, "recorderd", "default_mode"), &rc.default_mode) < 0)
        s_fail(2, "[recorderd] default_mode must be always, never or on-demand");
    if (rc.flush_ms >= 4000)
        s_fail(2, "[recorderd] flush_ms must be below 4000");
    uint8_t master[REC_KEY_LEN];
    const char *k = cc_config_str(cfg, "recorderd", "master_key_file");
    if (*k)
        snprintf(key_path, sizeof key_path, "%s", k);
    else
        snprintf(key_path, sizeof key_path, "%s/secrets/recording-master.key",
                 cc_config_var_dir(cfg));
    bool created = false;
    bool have_key =
        rec_master_key_load(key_path, rc.encrypt, master, &created, err, sizeof err) == 0;
    if (rc.encrypt && !have_key)
        s_fail(2, err); /* unreadable, malformed or open to every user */
    if (created)
        cc_warn("rec.master_key_created", "path=%s mode=0600 note=%s", cc_logq(key_path),
                cc_logq("back it up: without it encrypted recordings cannot be read"));
    rc.master = have_key ? master : NULL;
    rec_calls_t *calls = rec_calls_new(daemon->bus, daemon->loop, daemon->pg, &rc);
    if (!calls)
        s_fail(1, "cannot set up recording (tap socket or database statements)");
    int recovered = rec_recovery_run(calls);
    cc_daemon_on_status(daemon, s_status, calls);
    cc_info("recorderd.config",
            "dir=%s encrypt=%d default_mode=%s retention_days=%d "
            "sweep_s=%d recovered=%d",
            cc_logq(dir), rc.encrypt, rec_mode_name(rc.default_mode), rc.default_retention_days,
            rc.retention_interval_s, recovered);
    cc_daemon_ready(daemon);
    int code = cc_daemon_run(daemon);
    rec_calls_destroy(&calls);
    cc_daemon_destroy(&daemon);
    return code;
}
