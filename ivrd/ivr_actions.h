/* ivr_actions.h - what the IVR interpreter asks the outside world to do, as a list filled
 * by each ivr_run_* call. The adapter turns each action into a bus command or a database
 * write; tests read them as text (ivr_actions_format). The list owns every string. */
#ifndef IVR_ACTIONS_H
#define IVR_ACTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ivr_flow.h"
#include "ivr_vars.h"

typedef enum {
    IVR_ACT_PLAY = 0, /* play prompts; report prompt_done(play_id) when they end or stop */
    IVR_ACT_STOP,     /* stop the playback in progress (barge-in) */
    IVR_ACT_TIMER,    /* (re)arm the call's one timer at `at`; at == 0 cancels it */
    IVR_ACT_LOOKUP,   /* look `key` up in `table`; report lookup_result(request_id, ...) */
    IVR_ACT_ROUTE,    /* hand the call on; report route_ended when the routed call ends */
    IVR_ACT_HANGUP,   /* end the call */
    IVR_ACT_STEP,     /* store one step of the call's path: node, input, at */
    IVR_ACT_SURVEY    /* store a survey score for the call */
} ivr_action_kind_t;

typedef struct {
    ivr_action_kind_t kind;
    unsigned id;                /* PLAY: play id; LOOKUP: request id */
    bool barge_in;              /* PLAY: a key press should stop it */
    const char *const *prompts; /* PLAY: prompt names, in order */
    size_t prompt_count;
    int64_t at;              /* TIMER: deadline (ms, UTC); STEP: when */
    const char *table, *key; /* LOOKUP */
    ivr_route_kind_t route;  /* ROUTE */
    const char *target;
    int priority;
    const char *skill;     /* ROUTE: "" when none */
    const ivr_var_t *vars; /* ROUTE: the call's variables, for the next controller */
    size_t var_count;
    const char *node, *input; /* STEP */
    const char *question;     /* SURVEY */
    int score;                /* SURVEY: 1-5 */
} ivr_action_t;

typedef struct ivr_actions ivr_actions_t;

ivr_actions_t *ivr_actions_new(void);
void ivr_actions_destroy(ivr_actions_t **self_p);
void ivr_actions_clear(ivr_actions_t *self);
size_t ivr_actions_size(const ivr_actions_t *self);
const ivr_action_t *ivr_actions_at(const ivr_actions_t *self, size_t i);

/* Appenders (used by the interpreter); each copies its strings. 0, or -1 out of memory. */
int ivr_actions_play(ivr_actions_t *self, unsigned id, bool barge_in, const char *const *names,
                     size_t count);
int ivr_actions_simple(ivr_actions_t *self, ivr_action_kind_t kind); /* STOP, HANGUP */
int ivr_actions_timer(ivr_actions_t *self, int64_t at);
int ivr_actions_lookup(ivr_actions_t *self, unsigned id, const char *table, const char *key);
int ivr_actions_route(ivr_actions_t *self, ivr_route_kind_t route, const char *target, int priority,
                      const char *skill, const ivr_vars_t *vars);
int ivr_actions_step(ivr_actions_t *self, const char *node, const char *input, int64_t at);
int ivr_actions_survey(ivr_actions_t *self, const char *question, int score);

/* One line per action, e.g. "play 3 barge welcome,main-menu", "timer 5000",
 * "route queue support 5 billing", "step menu key:2 1200" ("-" for an empty input); cut
 * to fit buflen. */
void ivr_actions_format(const ivr_actions_t *self, char *buf, size_t buflen);

#endif
