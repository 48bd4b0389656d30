/* ivr_run.c - the interpreter for one call: the event entry points, entering nodes and
 * running the ones that need no event (schedule, branch, set, goto) until the flow waits,
 * playback bookkeeping (and the replay after a mediad restart), timers and the recorded
 * path. Keys in menus, collects and surveys are ivr_run_input.c's. Pure: time comes in
 * with each event. */
#include "ivr_run_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivr_tz.h"

/* Nodes entered in a row without waiting for an event: more means a loop (goto, branch). */
#define S_MAX_HOPS 100

ivr_run_t *ivr_run_new(ivr_flow_t *flow, ivr_to_local_fn *to_local)
{
    if (!flow)
        return NULL;
    ivr_run_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->vars = ivr_vars_new();
    if (!self->vars) {
        free(self);
        return NULL;
    }
    self->flow = ivr_flow_ref(flow);
    self->to_local = to_local ? to_local : ivr_tz_to_local;
    self->node = IVR_NONE;
    self->after_node = IVR_NONE;
    return self;
}

void ivr_run_destroy(ivr_run_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ivr_run_t *self = *self_p;
    for (size_t i = 0; i < self->path_len; i++)
        free((char *)self->path[i].input);
    free(self->path);
    ivr_vars_destroy(&self->vars);
    ivr_flow_destroy(&self->flow);
    free(self);
    *self_p = NULL;
}

const ivr_node_t *ivr_run_cur(const ivr_run_t *self)
{
    return ivr_flow_node(self->flow, self->node);
}

void ivr_run_step(ivr_run_t *self, const char *input, int64_t now, ivr_actions_t *out)
{
    const ivr_node_t *node = ivr_run_cur(self);
    const char *id = node ? node->id : "";
    if (self->path_len == self->path_cap) {
        size_t cap = self->path_cap ? self->path_cap * 2 : 16;
        ivr_step_t *grown = realloc(self->path, cap * sizeof *grown);
        if (!grown) {
            self->error = -1;
            return;
        }
        self->path = grown;
        self->path_cap = cap;
    }
    char *copy = strdup(input);
    if (!copy || ivr_actions_step(out, id, input, now) < 0) {
        free(copy);
        self->error = -1;
        return;
    }
    /* node ids live in the flow, which the run holds a reference on */
    self->path[self->path_len++] = (ivr_step_t){id, copy, now};
}

void ivr_run_arm(ivr_run_t *self, int64_t at, ivr_actions_t *out)
{
    self->deadline = at;
    if (ivr_actions_timer(out, at) < 0)
        self->error = -1;
}

void ivr_run_disarm(ivr_run_t *self, ivr_actions_t *out)
{
    if (self->deadline)
        ivr_run_arm(self, 0, out);
}

size_t ivr_run_play(ivr_run_t *self, const ivr_prompts_t *first, const ivr_prompts_t *second,
                    bool barge_in, ivr_actions_t *out)
{
    const ivr_prompts_t *lists[2] = {first, second};
    size_t cap = 0, n = 0;
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; lists[l] && i < lists[l]->count; i++)
            cap += lists[l]->items[i].say == IVR_SAY_NONE ? 1 : IVR_SAY_MAX;
    const char **names = calloc(cap + 1, sizeof *names);
    if (!names) {
        self->error = -1;
        return 0;
    }
    const char *lang = ivr_flow_language(self->flow);
    for (int l = 0; l < 2; l++) {
        for (size_t i = 0; lists[l] && i < lists[l]->count; i++) {
            const ivr_prompt_t *item = &lists[l]->items[i];
            if (item->say == IVR_SAY_NONE) {
                names[n++] = item->text;
                continue;
            }
            char *value = ivr_template_expand(item->text, self->vars);
            n += ivr_say_prompts(item->say, lang, value ? value : "", names + n, IVR_SAY_MAX);
            free(value);
        }
    }
    if (n > 0) {
        self->playing = true;
        self->play_lists[0] = first;
        self->play_lists[1] = second;
        self->play_barge_in = barge_in;
        if (ivr_actions_play(out, ++self->play_id, barge_in, names, n) < 0)
            self->error = -1;
    }
    free(names);
    return n;
}

void ivr_run_play_then(ivr_run_t *self, const ivr_prompts_t *prompts, int node, int64_t now,
                       ivr_actions_t *out)
{
    self->state = IVR_RS_PLAY;
    self->play_barge = false;
    self->after_node = node;
    if (ivr_run_play(self, prompts, NULL, false, out) == 0)
        ivr_run_enter(self, node, now, out);
}

static void s_finish(ivr_run_t *self, ivr_actions_t *out)
{
    ivr_run_disarm(self, out);
    self->state = IVR_RS_DONE;
    self->typeahead_len = 0;
    if (ivr_actions_simple(out, IVR_ACT_HANGUP) < 0)
        self->error = -1;
}

#define S_WAIT (IVR_NONE - 1) /* a node handler's "the flow now waits for an event" */

static int s_enter_play(ivr_run_t *self, const ivr_node_t *node, int64_t now, ivr_actions_t *out)
{
    if (node->u.play.barge_in && self->typeahead_len > 0) {
        ivr_run_step(self, "skipped", now, out); /* the caller already pressed on */
        return node->next;
    }
    ivr_run_step(self, "", now, out);
    self->state = IVR_RS_PLAY;
    self->play_barge = node->u.play.barge_in;
    self->after_node = node->next;
    return ivr_run_play(self, &node->u.play.prompts, NULL, node->u.play.barge_in, out) ? S_WAIT
                                                                                       : node->next;
}

static int s_enter_schedule(ivr_run_t *self, const ivr_node_t *node, int64_t now,
                            ivr_actions_t *out)
{
    ivr_schedule_state_t state;
    const char *input = "closed:zone-error"; /* a zone that cannot be read counts as closed */
    if (ivr_schedule_state(node->u.schedule.schedule, now, self->to_local, &state) == 0)
        input = ivr_schedule_state_name(state);
    else
        state = IVR_SCHEDULE_CLOSED;
    ivr_run_step(self, input, now, out);
    if (state == IVR_SCHEDULE_OPEN)
        return node->u.schedule.open;
    if (state == IVR_SCHEDULE_HOLIDAY && node->u.schedule.holiday != IVR_NONE)
        return node->u.schedule.holiday;
    return node->u.schedule.closed;
}

static int s_enter_lookup(ivr_run_t *self, const ivr_node_t *node, int64_t now, ivr_actions_t *out)
{
    char *key = ivr_template_expand(node->u.lookup.key, self->vars);
    ivr_run_step(self, "", now, out);
    self->typeahead_len = 0;
    self->state = IVR_RS_LOOKUP;
    if (!key || ivr_actions_lookup(out, ++self->lookup_id, node->u.lookup.table, key) < 0)
        self->error = -1;
    free(key);
    ivr_run_arm(self, now + node->u.lookup.timeout_ms, out);
    return S_WAIT;
}

/* The case a branch takes for value: an exact match, or with "match": "prefix" the
 * longest case value starts with. -1 for none. */
static int s_branch_case(const ivr_node_t *node, const char *value)
{
    int best = -1;
    size_t best_len = 0;
    for (size_t i = 0; value && i < node->u.branch.case_count; i++) {
        const char *c = node->u.branch.cases[i].value;
        size_t len = strlen(c);
        if (!node->u.branch.prefix && strcmp(c, value) == 0)
            return (int)i;
        if (node->u.branch.prefix && len > best_len && strncmp(c, value, len) == 0) {
            best = (int)i;
            best_len = len;
        }
    }
    return best;
}

static int s_enter_branch(ivr_run_t *self, const ivr_node_t *node, int64_t now, ivr_actions_t *out)
{
    const char *value = ivr_vars_get(self->vars, node->u.branch.variable);
    int i = s_branch_case(node, value);
    if (i >= 0) { /* the path records the case taken (the prefix, for a prefix match) */
        char input[IVR_VAR_VALUE_MAX + 8];
        snprintf(input, sizeof input, "case:%s", node->u.branch.cases[i].value);
        ivr_run_step(self, input, now, out);
        return node->u.branch.cases[i].next;
    }
    ivr_run_step(self, "default", now, out);
    return node->u.branch.otherwise;
}

static int s_enter_set(ivr_run_t *self, const ivr_node_t *node, int64_t now, ivr_actions_t *out)
{
    char *value = ivr_template_expand(node->u.set.value, self->vars);
    if (!value || ivr_vars_set(self->vars, node->u.set.variable, value) < 0)
        self->error = -1;
    free(value);
    ivr_run_step(self, "", now, out);
    return node->next;
}

/* Priority text -> 0..100 (anything else: 0). */
static int s_priority(const char *text)
{
    size_t len = text ? strlen(text) : 0;
    if (len == 0 || len > 3 || strspn(text, "0123456789") != len)
        return 0;
    int p = atoi(text);
    return p > 100 ? 100 : p;
}

static int s_enter_route(ivr_run_t *self, const ivr_node_t *node, int64_t now, ivr_actions_t *out)
{
    char *target = ivr_template_expand(node->u.route.target, self->vars);
    char *prio =
        node->u.route.priority ? ivr_template_expand(node->u.route.priority, self->vars) : NULL;
    char *skill = ivr_template_expand(node->u.route.skill ? node->u.route.skill : "", self->vars);
    char input[IVR_VAR_VALUE_MAX + 32];
    int next = S_WAIT;
    self->typeahead_len = 0;
    if (!target || !skill) {
        self->error = -1;
    } else if (!*target) { /* its variable was not set: cannot route */
        ivr_run_step(self, "route:no-target", now, out);
        next = node->u.route.failed;
    } else {
        snprintf(input, sizeof input, "route:%s:%s", ivr_route_kind_name(node->u.route.to), target);
        ivr_run_step(self, input, now, out);
        self->state = IVR_RS_ROUTED;
        if (ivr_actions_route(out, node->u.route.to, target, s_priority(prio), skill, self->vars) <
            0)
            self->error = -1;
    }
    free(target);
    free(prio);
    free(skill);
    return next;
}

static int s_enter_node(ivr_run_t *self, const ivr_node_t *node, int64_t now, ivr_actions_t *out)
{
    switch (node->kind) {
    case IVR_NODE_PLAY:
        return s_enter_play(self, node, now, out);
    case IVR_NODE_MENU:
    case IVR_NODE_COLLECT:
    case IVR_NODE_SURVEY:
        ivr_run_step(self, "", now, out);
        ivr_input_begin(self, now, out);
        return S_WAIT;
    case IVR_NODE_SCHEDULE:
        return s_enter_schedule(self, node, now, out);
    case IVR_NODE_LOOKUP:
        return s_enter_lookup(self, node, now, out);
    case IVR_NODE_BRANCH:
        return s_enter_branch(self, node, now, out);
    case IVR_NODE_SET:
        return s_enter_set(self, node, now, out);
    case IVR_NODE_GOTO:
        ivr_run_step(self, "", now, out);
        return node->next;
    case IVR_NODE_ROUTE:
        return s_enter_route(self, node, now, out);
    case IVR_NODE_HANGUP:
        ivr_run_step(self, "", now, out);
        ivr_run_play_then(self, &node->u.hangup.prompts, IVR_NONE, now, out);
        return S_WAIT;
    }
    return IVR_NONE;
}

void ivr_run_enter(ivr_run_t *self, int node, int64_t now, ivr_actions_t *out)
{
    for (int hops = 0; self->state != IVR_RS_DONE; hops++) {
        if (node == IVR_NONE || hops == S_MAX_HOPS) {
            ivr_run_step(self, node == IVR_NONE ? "end" : "loop", now, out);
            s_finish(self, out);
            return;
        }
        self->node = node;
        node = s_enter_node(self, ivr_run_cur(self), now, out);
        if (node == S_WAIT)
            return;
    }
}

static void s_begin(ivr_run_t *self, ivr_actions_t *out)
{
    ivr_actions_clear(out);
    self->error = 0;
}

int ivr_run_start(ivr_run_t *self, int64_t now, const char *caller, const ivr_var_t *vars,
                  size_t var_count, ivr_actions_t *out)
{
    s_begin(self, out);
    if (self->state != IVR_RS_NEW)
        return 0;
    if (ivr_vars_set(self->vars, "caller", caller ? caller : "") < 0)
        self->error = -1;
    for (size_t i = 0; i < var_count; i++)
        if (vars[i].name && vars[i].value)
            ivr_vars_set(self->vars, vars[i].name, vars[i].value); /* bad names: skipped */
    self->state = IVR_RS_PLAY; /* anything but NEW; the start node sets the real state */
    ivr_run_enter(self, ivr_flow_start(self->flow), now, out);
    return self->error;
}

int ivr_run_prompt_done(ivr_run_t *self, unsigned play_id, int64_t now, ivr_actions_t *out)
{
    s_begin(self, out);
    if (!self->playing || play_id != self->play_id)
        return 0; /* a stopped or superseded playback */
    self->playing = false;
    if (self->state == IVR_RS_PLAY)
        ivr_run_enter(self, self->after_node, now, out);
    else if (self->state == IVR_RS_INPUT)
        ivr_input_prompt_done(self, now, out);
    return self->error;
}

int ivr_run_digit(ivr_run_t *self, char digit, int64_t now, ivr_actions_t *out)
{
    s_begin(self, out);
    if (!digit || !strchr("0123456789*#", digit))
        return 0;
    if (self->state == IVR_RS_INPUT) {
        ivr_input_digit(self, digit, now, out);
    } else if (self->state == IVR_RS_PLAY && self->playing && self->play_barge) {
        char input[16];
        self->playing = false;
        if (ivr_actions_simple(out, IVR_ACT_STOP) < 0)
            self->error = -1;
        if (self->typeahead_len < IVR_TYPEAHEAD_MAX)
            self->typeahead[self->typeahead_len++] = digit;
        snprintf(input, sizeof input, "barge:%c", digit);
        ivr_run_step(self, input, now, out);
        ivr_run_enter(self, self->after_node, now, out);
    }
    return self->error;
}

int ivr_run_timer(ivr_run_t *self, int64_t now, ivr_actions_t *out)
{
    s_begin(self, out);
    if (!self->deadline || now < self->deadline)
        return 0;
    self->deadline = 0;
    if (self->state == IVR_RS_INPUT) {
        ivr_input_timer(self, now, out);
    } else if (self->state == IVR_RS_LOOKUP) {
        const ivr_node_t *node = ivr_run_cur(self);
        ivr_run_step(self, "timeout", now, out);
        ivr_run_enter(self,
                      node->u.lookup.not_found != IVR_NONE ? node->u.lookup.not_found : node->next,
                      now, out);
    }
    return self->error;
}

int ivr_run_lookup_result(ivr_run_t *self, unsigned request_id, bool found, const ivr_var_t *vars,
                          size_t var_count, int64_t now, ivr_actions_t *out)
{
    s_begin(self, out);
    if (self->state != IVR_RS_LOOKUP || request_id != self->lookup_id)
        return 0; /* late: the lookup already timed out */
    const ivr_node_t *node = ivr_run_cur(self);
    ivr_run_disarm(self, out);
    for (size_t i = 0; found && i < var_count; i++)
        if (vars[i].name && vars[i].value)
            ivr_vars_set(self->vars, vars[i].name, vars[i].value);
    ivr_run_step(self, found ? "found" : "not_found", now, out);
    int next =
        !found && node->u.lookup.not_found != IVR_NONE ? node->u.lookup.not_found : node->next;
    ivr_run_enter(self, next, now, out);
    return self->error;
}

int ivr_run_route_ended(ivr_run_t *self, bool connected, int64_t now, ivr_actions_t *out)
{
    s_begin(self, out);
    if (self->state != IVR_RS_ROUTED)
        return 0;
    const ivr_node_t *node = ivr_run_cur(self);
    ivr_run_step(self, connected ? "route_ended" : "route_failed", now, out);
    ivr_run_enter(self, connected ? node->u.route.then : node->u.route.failed, now, out);
    return self->error;
}

int ivr_run_media_restored(ivr_run_t *self, int64_t now, ivr_actions_t *out)
{
    s_begin(self, out);
    bool input = self->state == IVR_RS_INPUT;
    if (!input && !(self->state == IVR_RS_PLAY && self->playing))
        return 0; /* nothing of the flow's was playing or listening */
    ivr_run_step(self, "media_restored", now, out);
    if (input)
        ivr_input_ask_again(self, now, out);
    else /* a new play id: prompt_done of the lost one is ignored */
        ivr_run_play(self, self->play_lists[0], self->play_lists[1], self->play_barge_in, out);
    return self->error;
}

int ivr_run_hangup(ivr_run_t *self, int64_t now, ivr_actions_t *out)
{
    s_begin(self, out);
    if (self->state == IVR_RS_DONE || self->state == IVR_RS_NEW)
        return 0;
    ivr_run_step(self, "hangup", now, out);
    self->state = IVR_RS_DONE;
    self->playing = false;
    self->deadline = 0; /* the call is gone: the adapter drops its timer with it */
    return self->error;
}

bool ivr_run_done(const ivr_run_t *self)
{
    return self->state == IVR_RS_DONE;
}

const char *ivr_run_node(const ivr_run_t *self)
{
    const ivr_node_t *node = ivr_run_cur(self);
    return node ? node->id : "";
}

const ivr_flow_t *ivr_run_flow(const ivr_run_t *self)
{
    return self->flow;
}

const ivr_vars_t *ivr_run_vars(const ivr_run_t *self)
{
    return self->vars;
}

int64_t ivr_run_deadline(const ivr_run_t *self)
{
    return self->deadline;
}

size_t ivr_run_path_size(const ivr_run_t *self)
{
    return self->path_len;
}

ivr_step_t ivr_run_path_at(const ivr_run_t *self, size_t i)
{
    ivr_step_t none = {"", "", 0};
    return i < self->path_len ? self->path[i] : none;
}
