/* ivr_run.h - the IVR interpreter for one call: events in (start, prompt_done, digit, timer,
 * lookup_result, route_ended, media_restored, hangup), actions out (ivr_actions.h). Pure:
 * time is passed in (milliseconds, UTC), nothing here touches a socket, a database or the
 * clock; the one outside helper is the UTC -> local conversion for schedule nodes, which
 * can be swapped.
 *
 * Each call returns 0 (also when the event does not apply now and is ignored: a late
 * prompt_done, a timer before its deadline, a digit during an unbreakable prompt) or -1 if
 * memory ran out. Every ivr_run_* call clears `out` first. */
#ifndef IVR_RUN_H
#define IVR_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ivr_actions.h"
#include "ivr_flow.h"
#include "ivr_schedule.h"
#include "ivr_vars.h"

typedef struct ivr_run ivr_run_t;

/* One step of the call's path through the flow. */
typedef struct {
    const char *node;
    const char *input; /* "" on entering a node, else see docs/IVR-FLOWS.md "Path" */
    int64_t at;
} ivr_step_t;

/* Takes a reference on flow (the caller keeps its own). to_local NULL: ivr_tz_to_local. */
ivr_run_t *ivr_run_new(ivr_flow_t *flow, ivr_to_local_fn *to_local);
void ivr_run_destroy(ivr_run_t **self_p);

/* Sets "caller" and the given variables, then runs from the start node. */
int ivr_run_start(ivr_run_t *self, int64_t now, const char *caller, const ivr_var_t *vars,
                  size_t var_count, ivr_actions_t *out);
int ivr_run_prompt_done(ivr_run_t *self, unsigned play_id, int64_t now, ivr_actions_t *out);
/* digit: 0-9 * # (anything else is ignored). */
int ivr_run_digit(ivr_run_t *self, char digit, int64_t now, ivr_actions_t *out);
int ivr_run_timer(ivr_run_t *self, int64_t now, ivr_actions_t *out);
/* found false: no record (or the lookup failed); vars are then ignored. */
int ivr_run_lookup_result(ivr_run_t *self, unsigned request_id, bool found, const ivr_var_t *vars,
                          size_t var_count, int64_t now, ivr_actions_t *out);
/* The routed call ended with the caller still on the line (connected: it was answered),
 * or could not be completed (connected false). */
int ivr_run_route_ended(ivr_run_t *self, bool connected, int64_t now, ivr_actions_t *out);
/* mediad restarted and the caller's endpoint is back, without the prompt that played on
 * it (whose prompt_done will never come). Records the step "media_restored" and: a play
 * (a play node, a hangup's or fallback's prompts, a survey's thanks) starts again from its
 * first prompt, with its barge-in; a menu, collect or survey forgets the keys so far and
 * asks again, what was playing from its start or else its prompt, and its timer starts
 * when that prompt ends, so the outage does not count against the caller. Anything else
 * (a lookup, a route) had nothing on the endpoint: no action. */
int ivr_run_media_restored(ivr_run_t *self, int64_t now, ivr_actions_t *out);
/* The caller hung up. */
int ivr_run_hangup(ivr_run_t *self, int64_t now, ivr_actions_t *out);

bool ivr_run_done(const ivr_run_t *self);        /* hung up, by either side */
const char *ivr_run_node(const ivr_run_t *self); /* current node id, "" before start */
const ivr_flow_t *ivr_run_flow(const ivr_run_t *self);
const ivr_vars_t *ivr_run_vars(const ivr_run_t *self);
int64_t ivr_run_deadline(const ivr_run_t *self); /* armed timer, 0 if none */
size_t ivr_run_path_size(const ivr_run_t *self);
ivr_step_t ivr_run_path_at(const ivr_run_t *self, size_t i);

#endif
