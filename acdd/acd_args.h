/* acd_args.h - the arguments of acdd's bus commands (queue.enter, agent.login/logout/
 * ready/pause, agent.feature, queue.move, queue.callback), decoded and checked: JSON in,
 * a plain struct or a bad_args message out. Pure (no app, no core, no bus), so
 * fuzz/fuzz_acd_commands.c and the unit tests drive exactly what the handlers in
 * acd_bus.c and acd_console.c run. The bus has checked the declared types (cc_events);
 * this checks what the handlers rely on beyond them: ids that are not empty and fit
 * acdd's fixed buffers, numbers within their documented ranges (and not cut to an int
 * first). Whether the queue, agent or call exists stays the handler's question. */
#ifndef ACD_ARGS_H
#define ACD_ARGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acd_core.h"

#define ACD_PRIORITY_MAX 100 /* queue.enter and queue.move: 0-100, higher served first */
#define ACD_CALLBACK_NUMBER_MAX 31

/* queue.enter. Strings are borrowed from the arguments. */
typedef struct {
    const char *call_id; /* 1..ACD_ID_MAX-1 characters */
    const char *queue;   /* 1..ACD_NAME_MAX-1 */
    const char *caller;  /* as sent ("" when absent): a display value, cut when stored */
    int64_t endpoint_id; /* 0..INT32_MAX, 0: no media leg (mediad's ids are positive ints) */
    bool answered;
    int priority;      /* 0..ACD_PRIORITY_MAX, 0 when absent */
    const char *skill; /* NULL or 1..ACD_NAME_MAX-1 ("" is taken as absent) */
    int skill_level;   /* 0..ACD_LEVEL_MAX, 0 when absent (the core makes it 1) */
    json_t *variables; /* borrowed; NULL when absent or an empty object */
    bool return_to_ivr;
} acd_enter_args_t;

/* agent.login/logout/ready/pause and agent.feature: the agent event to run. */
typedef struct {
    acd_event_kind_t kind; /* ACD_EV_AGENT_LOGIN, _LOGOUT, _READY or _PAUSE */
    const char *ext;       /* 1..ACD_EXT_MAX-1 characters */
    const char *reason;    /* NULL or 1..ACD_REASON_MAX-1 characters */
    int pause_choice;      /* agent.feature *47 with a digit 1-9: that pause reason of
                            * the configured list (the handler looks it up); else 0 */
} acd_agent_args_t;

/* queue.move. */
typedef struct {
    const char *call_id; /* 1..ACD_ID_MAX-1 */
    const char *queue;   /* NULL (stay) or 1..ACD_NAME_MAX-1 */
    int priority;        /* -1: keep; else 0..ACD_PRIORITY_MAX */
} acd_move_args_t;

/* queue.callback. */
typedef struct {
    const char *queue;  /* 1..ACD_NAME_MAX-1 */
    const char *number; /* 1..ACD_CALLBACK_NUMBER_MAX of 0-9 * # + */
} acd_callback_args_t;

/* Each: 0, or -1 with the bad_args message in err. */
int acd_args_enter(json_t *args, acd_enter_args_t *out, char *err, size_t len);
/* cmd: "agent.login", "agent.logout", "agent.ready" or "agent.pause". A pause without a
 * reason gets "pause"; a login with "" logs in ready. */
int acd_args_agent(const char *cmd, json_t *args, acd_agent_args_t *out, char *err, size_t len);
/* agent.feature: code 45 login, 46 logout, 47[digit] pause, 48 ready (a leading * is
 * accepted); another code is refused. */
int acd_args_feature(json_t *args, acd_agent_args_t *out, char *err, size_t len);
int acd_args_move(json_t *args, acd_move_args_t *out, char *err, size_t len);
int acd_args_callback(json_t *args, acd_callback_args_t *out, char *err, size_t len);

#endif
