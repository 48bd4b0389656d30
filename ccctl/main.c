/* main.c - ccctl's entry: global options (-c FILE, --help, --version), then hands the rest
 * of the command line to the command group named by the first word. Commands live in
 * ccctl_<group>.c; nothing here touches the database or the bus. */
#include <stdlib.h>
#include <string.h>

#include "cc_daemon.h"
#include "cc_log.h"
#include "ccctl.h"

static const struct {
    const char *name;
    ccctl_cmd_fn *run;
    ccctl_usage_fn *usage;
    const char *summary;
} s_groups[] = {
    {"migrate", ccctl_migrate_main, ccctl_migrate_usage, "bring the database schema up to date"},
    {"user", ccctl_user_main, ccctl_user_usage, "SIP users: add, passwd, del, list"},
    {"route", ccctl_route_main, ccctl_route_usage, "dialplan: add, del, list, test"},
    {"ringgroup", ccctl_ringgroup_main, ccctl_ringgroup_usage,
     "ring groups (a number ringing several extensions): add, del, list"},
    {"trunk", ccctl_trunk_main, ccctl_trunk_usage, "SIP trunks: add, del, list"},
    {"cdr", ccctl_cdr_main, ccctl_cdr_usage, "call detail records: list"},
    {"status", ccctl_status_main, ccctl_status_usage, "ask every daemon whether it is up"},
    {"demo", ccctl_demo_main, ccctl_demo_usage, "seed demo users and routes"},
    {"config", ccctl_config_main, ccctl_config_usage, "print an example config, or check one"},
    {"bus", ccctl_bus_main, ccctl_bus_usage, "CURVE key pairs for the bus across hosts"},
    {"events", ccctl_events_main, ccctl_events_usage, "print the bus catalogue as Markdown"},
    {"ivr", ccctl_ivr_main, ccctl_ivr_usage, "IVR flows: load, check, list, show"},
    {"queue", ccctl_queue_main, ccctl_queue_usage, "ACD queues: add, del, list"},
    {"agent", ccctl_agent_main, ccctl_agent_usage,
     "ACD agents: add, del, login, logout, ready, pause, list"},
    {"campaign", ccctl_campaign_main, ccctl_campaign_usage,
     "outbound campaigns: add, list, start, pause, stats, import, dnc"},
    {"call", ccctl_call_main, ccctl_call_usage, "live calls: hangup"},
    {"park", ccctl_park_main, ccctl_park_usage, "parked calls: list"},
    {"conf", ccctl_conf_main, ccctl_conf_usage,
     "conference rooms: add, del, list, kick, mute, unmute, lock, unlock"},
    {"voicemail", ccctl_voicemail_main, ccctl_voicemail_usage,
     "mailboxes: add, del, pin, list, messages"},
    {"web", ccctl_web_main, ccctl_web_usage,
     "web gateway: users, API tokens, alert thresholds, audit log"},
    {"recording", ccctl_recording_main, ccctl_recording_usage,
     "call recordings: policy, list, export, start/stop/pause/resume, hold"},
    {"block", ccctl_block_main, ccctl_block_usage, "blocked callers: add, del, list"},
    {"allow", ccctl_allow_main, ccctl_block_usage, "allowed callers (win over blocks)"},
    {"cos", ccctl_cos_main, ccctl_cos_usage, "classes of service: prefixes, emergency numbers"},
    {"caller-route", ccctl_caller_route_main, ccctl_caller_route_usage,
     "routing by the caller's prefix: add, del, list"},
    {"prompt", ccctl_prompt_main, ccctl_prompt_usage, "custom prompts and music: upload"},
};
#define N_GROUPS (sizeof s_groups / sizeof s_groups[0])

static void s_usage(FILE *out, bool full)
{
    fputs("usage: ccctl [-c FILE] COMMAND [ARGS...]\n"
          "       ccctl COMMAND --help | ccctl --help | ccctl --version\n\n"
          "Administers a call-center instance: its Postgres database (as [ccctl] pg_user)\n"
          "and, for status, its daemons over the bus. -c FILE picks the config; default\n"
          "$CC_CONFIG, else $CC_VAR_DIR/cc.conf or var/cc.conf, else /etc/callcenter/cc.conf.\n\n"
          "Commands:\n",
          out);
    for (size_t i = 0; i < N_GROUPS; i++)
        fprintf(out, "  %-8s  %s\n", s_groups[i].name, s_groups[i].summary);
    fputs("\nExit status: 0 done; 1 refused or failed (nothing written); 2 bad command line,\n"
          "bad argument or bad config; 3 database unreachable or schema not this build's.\n",
          out);
    if (!full)
        return;
    for (size_t i = 0; i < N_GROUPS; i++) {
        fputc('\n', out);
        s_groups[i].usage(out);
    }
}

int main(int argc, char **argv)
{
    ccctl_t ctx = {0};
    int i = 1;
    cc_log_init("ccctl", CC_LOG_WARN);
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            s_usage(stdout, true);
            return CCCTL_EXIT_OK;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("ccctl %s (schema version %d)\n", CC_VERSION, CC_SCHEMA_VERSION);
            return CCCTL_EXIT_OK;
        }
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            ctx.config_path = argv[++i];
            continue;
        }
        fprintf(stderr, "ccctl: unknown option %s\n", argv[i]);
        s_usage(stderr, false);
        return CCCTL_EXIT_USAGE;
    }
    if (i == argc) {
        fprintf(stderr, "ccctl: missing command\n");
        s_usage(stderr, false);
        return CCCTL_EXIT_USAGE;
    }
    if (!ctx.config_path)
        ctx.config_path = cc_config_default_path();
    for (size_t g = 0; g < N_GROUPS; g++) {
        if (strcmp(argv[i], s_groups[g].name) == 0) {
            int rc = s_groups[g].run(&ctx, argc - i, argv + i);
            ccctl_close(&ctx);
            return rc;
        }
    }
    fprintf(stderr, "ccctl: unknown command '%s'\n", argv[i]);
    s_usage(stderr, false);
    return CCCTL_EXIT_USAGE;
}
