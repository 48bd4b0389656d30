/* ivr_run_priv.h - the call state the interpreter's two files share: ivr_run.c (events,
 * entering nodes, playback, path) and ivr_run_input.c (menu, collect and survey input).
 * Not for use outside the interpreter. */
#ifndef IVR_RUN_PRIV_H
#define IVR_RUN_PRIV_H

#include "ivr_run.h"

typedef enum {
    IVR_RS_NEW = 0, /* not started */
    IVR_RS_PLAY,    /* a prompt plays; prompt_done leads to after_node */
    IVR_RS_INPUT,   /* a menu, collect or survey waits for keys (its prompt may play) */
    IVR_RS_LOOKUP,  /* waiting for lookup_result */
    IVR_RS_ROUTED,  /* handed on; waiting for route_ended */
    IVR_RS_DONE
} ivr_run_state_t;

#define IVR_TYPEAHEAD_MAX 8

struct ivr_run {
    ivr_flow_t *flow;
    ivr_to_local_fn *to_local;
    ivr_vars_t *vars;
    ivr_run_state_t state;
    int node;                           /* current node index, IVR_NONE before start */
    unsigned play_id;                   /* last playback asked for */
    bool playing;                       /* play_id has not reported done */
    const ivr_prompts_t *play_lists[2]; /* what play_id plays (in the flow), for a replay */
    bool play_barge_in;                 /* ... and whether a key stops it */
    bool play_barge;                    /* IVR_RS_PLAY: a key stops it */
    int after_node; /* IVR_RS_PLAY: where prompt_done leads (IVR_NONE: hang up) */
    unsigned lookup_id;
    int failures; /* input attempts that failed at this node */
    char buf[68]; /* digits gathered so far */
    size_t buf_len;
    char typeahead[IVR_TYPEAHEAD_MAX]; /* keys that broke a play node, for the next input */
    size_t typeahead_len;
    int64_t deadline; /* the armed timer, 0 when none */
    ivr_step_t *path;
    size_t path_len, path_cap;
    int error; /* -1 once memory ran out during this event */
};

/* ivr_run.c */
const ivr_node_t *ivr_run_cur(const ivr_run_t *self);
void ivr_run_step(ivr_run_t *self, const char *input, int64_t now, ivr_actions_t *out);
void ivr_run_arm(ivr_run_t *self, int64_t at, ivr_actions_t *out);
void ivr_run_disarm(ivr_run_t *self, ivr_actions_t *out);
/* Plays first then second (either may be NULL); returns how many prompts were asked for
 * (0: nothing to play, no action). */
size_t ivr_run_play(ivr_run_t *self, const ivr_prompts_t *first, const ivr_prompts_t *second,
                    bool barge_in, ivr_actions_t *out);
/* Plays prompts without barge-in, then enters node (IVR_NONE: hang up). */
void ivr_run_play_then(ivr_run_t *self, const ivr_prompts_t *prompts, int node, int64_t now,
                       ivr_actions_t *out);
/* Enters node and runs until the flow waits for an event (IVR_NONE: hang up). */
void ivr_run_enter(ivr_run_t *self, int node, int64_t now, ivr_actions_t *out);

/* ivr_run_input.c */
void ivr_input_begin(ivr_run_t *self, int64_t now, ivr_actions_t *out);
void ivr_input_digit(ivr_run_t *self, char digit, int64_t now, ivr_actions_t *out);
void ivr_input_timer(ivr_run_t *self, int64_t now, ivr_actions_t *out);
void ivr_input_prompt_done(ivr_run_t *self, int64_t now, ivr_actions_t *out);
/* The media came back without the prompt: keys so far are dropped, the question asked
 * again (what was playing from its start, else the node's prompt), its timer after it. */
void ivr_input_ask_again(ivr_run_t *self, int64_t now, ivr_actions_t *out);

#endif
