/* rec_policy.h - who is recorded and for how long: recording policies per extension,
 * queue and trunk (table recording_policies), resolved for one call; retention decisions;
 * the agent's feature codes. Pure: plain structs in, decisions out, time passed in.
 *
 * Resolution: the policies matching the call's caller extension, callee extension, agent
 * extension, queue and trunk are gathered. Any `always` wins (a compliance rule on one
 * party is not undone by another's); else any `on-demand`; else, if some matched, never;
 * with no match the default mode applies. Retention is the longest retention_days among
 * the matching policies that record (a NULL retention means the default). */
#ifndef REC_POLICY_H
#define REC_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    REC_NEVER = 0,
    REC_ON_DEMAND = 1,
    REC_ALWAYS = 2
} rec_mode_t;

#define REC_NAME_MAX 64

typedef struct {
    char kind[8]; /* ext, queue, trunk */
    char name[REC_NAME_MAX];
    rec_mode_t mode;
    int retention_days; /* -1: the default */
} rec_policy_t;

typedef struct {
    const char *caller_ext, *callee_ext, *agent_ext, *queue, *trunk; /* NULL/"" unknown */
} rec_call_keys_t;

typedef struct {
    rec_mode_t mode;
    int retention_days;
    char matched[REC_NAME_MAX + 8]; /* "ext:1001" that decided, or "default" */
} rec_decision_t;

int rec_mode_parse(const char *text, rec_mode_t *out);
const char *rec_mode_name(rec_mode_t mode);

void rec_policy_resolve(const rec_policy_t *list, size_t n, const rec_call_keys_t *keys,
                        rec_mode_t default_mode, int default_retention_days, rec_decision_t *out);

/* Retention end: start + days (microseconds since 1970). */
int64_t rec_retention_until(int64_t started_us, int days);
/* Whether a recording's file is deleted now. */
bool rec_retention_expired(int64_t retention_until_us, bool legal_hold, bool deleted, bool finished,
                           int64_t now_us);

/* Feature codes from the agent's phone: '*' then a digit within REC_FC_WINDOW_US:
 * *1 pause, *2 resume, *3 start (on demand), *4 stop. */
#define REC_FC_WINDOW_US 3000000u
typedef enum {
    REC_FC_NONE,
    REC_FC_PAUSE,
    REC_FC_RESUME,
    REC_FC_START,
    REC_FC_STOP
} rec_fc_t;
typedef struct {
    bool star;
    uint64_t star_us;
} rec_fc_state_t;
rec_fc_t rec_fc_feed(rec_fc_state_t *st, char digit, uint64_t now_us);

#endif
