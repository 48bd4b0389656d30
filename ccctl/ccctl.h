/* ccctl.h - what every ccctl command shares: the exit codes, the context (config and
 * database connection, both opened lazily by ccctl_ctx.c) and the entry point and usage
 * text of each command group, which lives in a file of its own (ccctl_user.c, ...). */
#ifndef CCCTL_H
#define CCCTL_H

#include <stdbool.h>
#include <stdio.h>

#include "cc_config.h"
#include "cc_pg.h"
#include "ccctl_args.h"

enum {
    CCCTL_EXIT_OK = 0,
    CCCTL_EXIT_REFUSED = 1, /* refused or failed; nothing was written */
    CCCTL_EXIT_USAGE = 2,   /* bad command line or bad config file */
    CCCTL_EXIT_DB = 3,      /* database unreachable or its schema is not this build's */
};

typedef struct {
    const char *config_path; /* -c FILE, else cc_config_default_path() (NULL: none) */
    cc_config_t *cfg;
    cc_pg_t *pg;
} ccctl_t;

/* The config, loaded on first use. NULL after printing why on stderr (exit USAGE). */
cc_config_t *ccctl_config(ccctl_t *self);

/* The database as [ccctl] pg_user, connected on first use. With check_schema the schema
 * must be exactly CC_SCHEMA_VERSION (every command but migrate). NULL after printing why
 * on stderr, with *exit_code set (USAGE for a bad config, DB otherwise). */
cc_pg_t *ccctl_db(ccctl_t *self, bool check_schema, int *exit_code);

/* Close the connection and free the config. */
void ccctl_close(ccctl_t *self);

/* Print "ccctl: <message>" on stderr and return `code`, so a command can end with
 * `return ccctl_fail(CCCTL_EXIT_REFUSED, "...")`. */
int ccctl_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A usage error: print "ccctl: <message>", then the group's usage, on stderr; returns
 * CCCTL_EXIT_USAGE. */
int ccctl_usage_fail(void (*usage)(FILE *out), const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ccctl_args_parse(), and on failure the usage error above. 0 or CCCTL_EXIT_USAGE. */
int ccctl_parse(ccctl_args_t *args, int argc, char **argv, const ccctl_opt_t *opts, size_t nopts,
                int min_pos, int max_pos, const char *pos_names, void (*usage)(FILE *out));

/* True if a word before "--" asks for help (--help or -h). */
bool ccctl_wants_help(int argc, char **argv);

/* A command group's sub-commands, e.g. {"add", s_add} ... {NULL, NULL}. Each gets the words
 * after its own name. */
typedef int(ccctl_sub_fn)(ccctl_t *ctx, int argc, char **argv);
typedef struct {
    const char *name;
    ccctl_sub_fn *fn;
} ccctl_sub_t;

/* Run group argv[0]'s sub-command argv[1] from `subs`. --help anywhere prints the group's
 * usage (exit 0); a missing or unknown sub-command is a usage error. */
int ccctl_dispatch(ccctl_t *ctx, int argc, char **argv, const ccctl_sub_t *subs,
                   void (*usage)(FILE *out));

/* A secret given on the command line, or "-": the first line of standard input (so it
 * stays out of `ps` and the shell history). Copied into buf; 0 or -1 (none, too long). */
int ccctl_read_secret(const char *value, char *buf, size_t len);

/* After a failure to reach the database or a daemon: when no config file was found, say
 * which files were looked for, what the built-in defaults pointed at, and how to point
 * ccctl at its instance. Prints nothing when a config file was used. */
void ccctl_where_hint(const ccctl_t *self);

/* Report a failed statement ("<what>: <server message>") and return CCCTL_EXIT_REFUSED. */
int ccctl_db_fail(ccctl_t *self, const char *what);
/* Run one statement with parameters; the result in *out (NULL: cleared). On failure it
 * reports "<what>: ..." (a unique violation as "<what>: already exists") and returns
 * CCCTL_EXIT_REFUSED. */
int ccctl_exec(ccctl_t *self, const char *what, const char *sql, int n, const char *const *p,
               PGresult **out);
/* Delete the row `name` of `table` (a constant: queues, conferences) and every dialplan
 * route to kind:name, in one transaction. 0, or the exit code after reporting ("no <noun>
 * 'NAME'" when there is none). */
int ccctl_delete_routed(ccctl_t *self, const char *table, const char *kind, const char *name,
                        const char *noun);

/* Command groups: argv[0] is the group's name ("user"), argv[1] the sub-command. */
typedef int(ccctl_cmd_fn)(ccctl_t *ctx, int argc, char **argv);
typedef void(ccctl_usage_fn)(FILE *out);

int ccctl_user_main(ccctl_t *ctx, int argc, char **argv);
int ccctl_route_main(ccctl_t *ctx, int argc, char **argv);
int ccctl_trunk_main(ccctl_t *ctx, int argc, char **argv);
int ccctl_cdr_main(ccctl_t *ctx, int argc, char **argv);
int ccctl_status_main(ccctl_t *ctx, int argc, char **argv);
int ccctl_migrate_main(ccctl_t *ctx, int argc, char **argv);
int ccctl_demo_main(ccctl_t *ctx, int argc, char **argv);
int ccctl_config_main(ccctl_t *ctx, int argc, char **argv);
int ccctl_bus_main(ccctl_t *ctx, int argc, char **argv);
int ccctl_events_main(ccctl_t *ctx, int argc, char **argv);

void ccctl_user_usage(FILE *out);
/* ccctl_pbx.c: `user dnd|forward|ringtime` (pbx_user_settings) */
int ccctl_user_dnd(ccctl_t *ctx, int argc, char **argv);
int ccctl_user_forward(ccctl_t *ctx, int argc, char **argv);
int ccctl_user_ringtime(ccctl_t *ctx, int argc, char **argv);
int ccctl_user_followme(ccctl_t *ctx, int argc, char **argv);
int ccctl_user_pickup_group(ccctl_t *ctx, int argc, char **argv);
/* ccctl_calls.c: `ccctl park list` (sipproxy's status) */
int ccctl_park_main(ccctl_t *ctx, int argc, char **argv);
void ccctl_park_usage(FILE *out);
/* ccctl_campaign.c: outbound campaigns, their lead lists and do-not-call lists */
int ccctl_campaign_main(ccctl_t *ctx, int argc, char **argv);
void ccctl_campaign_usage(FILE *out);
/* ccctl_ringgroup.c */
int ccctl_ringgroup_main(ccctl_t *ctx, int argc, char **argv);
void ccctl_ringgroup_usage(FILE *out);
void ccctl_route_usage(FILE *out);
void ccctl_trunk_usage(FILE *out);
void ccctl_cdr_usage(FILE *out);
void ccctl_status_usage(FILE *out);
void ccctl_migrate_usage(FILE *out);
void ccctl_demo_usage(FILE *out);
void ccctl_config_usage(FILE *out);
void ccctl_bus_usage(FILE *out);
void ccctl_events_usage(FILE *out);

/* IVR flows (ccctl_ivr.c): the group, and loading one file (also for `demo seed`, which
 * skips the prompt check because the prompts are generated after it). */
int ccctl_ivr_main(ccctl_t *ctx, int argc, char **argv);
void ccctl_ivr_usage(FILE *out);
int ccctl_ivr_load_file(ccctl_t *ctx, const char *file, const char *number, const char *name,
                        bool check_prompts);
/* Loads deploy/ivr/main.json (found next to the binary) as flow main on number 500. */
int ccctl_ivr_demo(ccctl_t *ctx);

/* Call recordings (ccctl_recording.c). */
int ccctl_recording_main(ccctl_t *ctx, int argc, char **argv);
void ccctl_recording_usage(FILE *out);

/* Conference rooms (ccctl_conf.c). */
int ccctl_conf_main(ccctl_t *ctx, int argc, char **argv);
void ccctl_conf_usage(FILE *out);
int ccctl_voicemail_main(ccctl_t *ctx, int argc, char **argv);
void ccctl_voicemail_usage(FILE *out);

/* Live calls (ccctl_calls.c): `ccctl call hangup`. */
int ccctl_call_main(ccctl_t *ctx, int argc, char **argv);
void ccctl_call_usage(FILE *out);

/* The web gateway's users, tokens, alert thresholds and audit log (ccctl_web.c). */
int ccctl_web_main(ccctl_t *ctx, int argc, char **argv);
void ccctl_web_usage(FILE *out);
/* Web users supervisor (queues support and sales) and admin for `demo seed`, inside its
 * transaction. */
int ccctl_web_demo(ccctl_t *ctx, const char *supervisor_pw, const char *admin_pw);

/* ACD queues and agents (ccctl_queue.c, ccctl_agent.c; shared helpers in ccctl_acd.h). */
int ccctl_queue_main(ccctl_t *ctx, int argc, char **argv);
void ccctl_queue_usage(FILE *out);
int ccctl_agent_main(ccctl_t *ctx, int argc, char **argv);
void ccctl_agent_usage(FILE *out);
/* Queues support (600, longest-idle: 1002-1004) and sales (601, ring-all: 1001, 1005) for
 * `demo seed`, inside its transaction (the users exist; routes 600/601 may exist). */
int ccctl_acd_demo(ccctl_t *ctx);

/* Screening and calling permissions (ccctl_screen.c): block/allow lists, classes of
 * service, caller-prefix routes, and `user cos`. */
int ccctl_block_main(ccctl_t *ctx, int argc, char **argv);
int ccctl_allow_main(ccctl_t *ctx, int argc, char **argv);
void ccctl_block_usage(FILE *out);
int ccctl_cos_main(ccctl_t *ctx, int argc, char **argv);
void ccctl_cos_usage(FILE *out);
int ccctl_caller_route_main(ccctl_t *ctx, int argc, char **argv);
void ccctl_caller_route_usage(FILE *out);
int ccctl_user_cos(ccctl_t *ctx, int argc, char **argv);
int ccctl_user_moh(ccctl_t *ctx, int argc, char **argv);
int ccctl_queue_moh(ccctl_t *ctx, int argc, char **argv);
/* Custom prompts and music on hold (ccctl_prompt.c). */
int ccctl_prompt_main(ccctl_t *ctx, int argc, char **argv);
void ccctl_prompt_usage(FILE *out);

#endif
