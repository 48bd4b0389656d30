/* ccctl_acd.h - what `ccctl queue` and `ccctl agent` share: a command line with repeatable
 * options (--skill twice) and more options than ccctl_args takes, the checks of queue and
 * skill names, and one blocking request to acdd over the bus. */
#ifndef CCCTL_ACD_H
#define CCCTL_ACD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ccctl.h"

#define CCCTL_ACD_MAX_OPTS 20
#define CCCTL_ACD_MAX_VALUES 16

typedef struct {
    const char *name;
    bool has_value;
    bool repeat;
} ccctl_acd_opt_t;

typedef struct {
    const ccctl_acd_opt_t *opts;
    size_t nopts;
    const char *values[CCCTL_ACD_MAX_OPTS][CCCTL_ACD_MAX_VALUES];
    int count[CCCTL_ACD_MAX_OPTS];
    const char *pos[4];
    int npos;
} ccctl_acd_args_t;

/* Parse; on error print it with the usage and return CCCTL_EXIT_USAGE, else 0. */
int ccctl_acd_parse(ccctl_acd_args_t *out, int argc, char **argv, const ccctl_acd_opt_t *opts,
                    size_t nopts, int npos, const char *pos_names, void (*usage)(FILE *out));
/* The (last) value of an option, NULL if absent; count of values; the i-th value. */
const char *ccctl_acd_arg(const ccctl_acd_args_t *a, const char *name);
int ccctl_acd_count(const ccctl_acd_args_t *a, const char *name);
const char *ccctl_acd_value(const ccctl_acd_args_t *a, const char *name, int i);

/* ccctl_desk.c: `agent reason ...` and `queue disposition ...` (argv[0] is the
 * sub-command, as for any sub-command function). */
int ccctl_agent_reason(ccctl_t *ctx, int argc, char **argv);
int ccctl_queue_disposition(ccctl_t *ctx, int argc, char **argv);
void ccctl_agent_reason_usage(FILE *out);
void ccctl_queue_disposition_usage(FILE *out);
/* `web hook ...` (webhooks for CRMs), also in ccctl_desk.c. */
int ccctl_web_hook(ccctl_t *ctx, int argc, char **argv);
void ccctl_web_hook_usage(FILE *out);

/* Queue, skill and reason names: 1-63 of A-Z a-z 0-9 _ . - */
bool ccctl_acd_name_ok(const char *name);
/* "NAME:LEVEL" with LEVEL 1-10. 0 or -1. */
int ccctl_acd_skill_parse(const char *text, char *name, size_t len, int *level);

/* One request to acdd: its result (new reference) or NULL after printing why ("acdd is
 * not running", "acdd: not_allowed: agent 1002 is logged_out"). */
json_t *ccctl_acd_call(ccctl_t *ctx, const char *cmd, json_t *args, int *exit_code);
/* The same to any daemon ("sipproxy"). */
json_t *ccctl_daemon_call(ccctl_t *ctx, const char *daemon, const char *cmd, json_t *args,
                          int *exit_code);

/* What acdd holds and acting on it (ccctl_calls.c): `queue calls|move|callback`; the same
 * bus commands the web console sends. */
int ccctl_queue_calls(ccctl_t *ctx, int argc, char **argv);
int ccctl_queue_move(ccctl_t *ctx, int argc, char **argv);
int ccctl_queue_callback(ccctl_t *ctx, int argc, char **argv);

#endif
