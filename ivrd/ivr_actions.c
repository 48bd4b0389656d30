/* ivr_actions.c - the interpreter's action list: appending actions with copies of their
 * strings (kept in a pool freed on clear), and a one-line text form per action for logs
 * and tests. No I/O. */
#include "ivr_actions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ivr_actions {
    ivr_action_t *items;
    size_t len, cap;
    void **pool; /* every allocation the actions point into */
    size_t pool_len, pool_cap;
};

ivr_actions_t *ivr_actions_new(void)
{
    return calloc(1, sizeof(ivr_actions_t));
}

void ivr_actions_clear(ivr_actions_t *self)
{
    for (size_t i = 0; i < self->pool_len; i++)
        free(self->pool[i]);
    self->pool_len = 0;
    self->len = 0;
}

void ivr_actions_destroy(ivr_actions_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ivr_actions_t *self = *self_p;
    ivr_actions_clear(self);
    free(self->pool);
    free(self->items);
    free(self);
    *self_p = NULL;
}

size_t ivr_actions_size(const ivr_actions_t *self)
{
    return self->len;
}

const ivr_action_t *ivr_actions_at(const ivr_actions_t *self, size_t i)
{
    return i < self->len ? &self->items[i] : NULL;
}

/* Takes ownership of ptr (freed on clear); NULL in, or no room: NULL out. */
static void *s_keep(ivr_actions_t *self, void *ptr)
{
    if (!ptr)
        return NULL;
    if (self->pool_len == self->pool_cap) {
        size_t cap = self->pool_cap ? self->pool_cap * 2 : 32;
        void **grown = realloc(self->pool, cap * sizeof *grown);
        if (!grown) {
            free(ptr);
            return NULL;
        }
        self->pool = grown;
        self->pool_cap = cap;
    }
    self->pool[self->pool_len++] = ptr;
    return ptr;
}

static const char *s_str(ivr_actions_t *self, const char *text)
{
    return s_keep(self, strdup(text ? text : ""));
}

static ivr_action_t *s_add(ivr_actions_t *self, ivr_action_kind_t kind)
{
    if (self->len == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        ivr_action_t *grown = realloc(self->items, cap * sizeof *grown);
        if (!grown)
            return NULL;
        self->items = grown;
        self->cap = cap;
    }
    ivr_action_t *action = &self->items[self->len++];
    memset(action, 0, sizeof *action);
    action->kind = kind;
    return action;
}

int ivr_actions_play(ivr_actions_t *self, unsigned id, bool barge_in, const char *const *names,
                     size_t count)
{
    const char **copy = s_keep(self, calloc(count + 1, sizeof *copy));
    ivr_action_t *action = copy ? s_add(self, IVR_ACT_PLAY) : NULL;
    if (!action)
        return -1;
    for (size_t i = 0; i < count; i++)
        if (!(copy[i] = s_str(self, names[i])))
            return -1;
    action->id = id;
    action->barge_in = barge_in;
    action->prompts = copy;
    action->prompt_count = count;
    return 0;
}

int ivr_actions_simple(ivr_actions_t *self, ivr_action_kind_t kind)
{
    return s_add(self, kind) ? 0 : -1;
}

int ivr_actions_timer(ivr_actions_t *self, int64_t at)
{
    ivr_action_t *action = s_add(self, IVR_ACT_TIMER);
    if (!action)
        return -1;
    action->at = at;
    return 0;
}

int ivr_actions_lookup(ivr_actions_t *self, unsigned id, const char *table, const char *key)
{
    const char *t = s_str(self, table), *k = s_str(self, key);
    ivr_action_t *action = t && k ? s_add(self, IVR_ACT_LOOKUP) : NULL;
    if (!action)
        return -1;
    action->id = id;
    action->table = t;
    action->key = k;
    return 0;
}

int ivr_actions_route(ivr_actions_t *self, ivr_route_kind_t route, const char *target, int priority,
                      const char *skill, const ivr_vars_t *vars)
{
    size_t n = vars ? ivr_vars_size(vars) : 0;
    ivr_var_t *copy = s_keep(self, calloc(n + 1, sizeof *copy));
    const char *t = s_str(self, target), *s = s_str(self, skill);
    ivr_action_t *action = copy && t && s ? s_add(self, IVR_ACT_ROUTE) : NULL;
    if (!action)
        return -1;
    for (size_t i = 0; i < n; i++) {
        ivr_var_t var = ivr_vars_at(vars, i);
        copy[i].name = s_str(self, var.name);
        copy[i].value = s_str(self, var.value);
        if (!copy[i].name || !copy[i].value)
            return -1;
    }
    action->route = route;
    action->target = t;
    action->priority = priority;
    action->skill = s;
    action->vars = copy;
    action->var_count = n;
    return 0;
}

int ivr_actions_step(ivr_actions_t *self, const char *node, const char *input, int64_t at)
{
    const char *n = s_str(self, node), *i = s_str(self, input);
    ivr_action_t *action = n && i ? s_add(self, IVR_ACT_STEP) : NULL;
    if (!action)
        return -1;
    action->node = n;
    action->input = i;
    action->at = at;
    return 0;
}

int ivr_actions_survey(ivr_actions_t *self, const char *question, int score)
{
    const char *q = s_str(self, question);
    ivr_action_t *action = q ? s_add(self, IVR_ACT_SURVEY) : NULL;
    if (!action)
        return -1;
    action->question = q;
    action->score = score;
    return 0;
}

static int s_format_one(const ivr_action_t *a, char *buf, size_t buflen)
{
    switch (a->kind) {
    case IVR_ACT_PLAY: {
        int len = snprintf(buf, buflen, "play %u%s ", a->id, a->barge_in ? " barge" : "");
        for (size_t i = 0; i < a->prompt_count && len >= 0 && (size_t)len < buflen; i++)
            len += snprintf(buf + len, buflen - (size_t)len, "%s%s", i ? "," : "", a->prompts[i]);
        return len;
    }
    case IVR_ACT_STOP:
        return snprintf(buf, buflen, "stop");
    case IVR_ACT_TIMER:
        return snprintf(buf, buflen, "timer %lld", (long long)a->at);
    case IVR_ACT_LOOKUP:
        return snprintf(buf, buflen, "lookup %u %s %s", a->id, a->table, a->key);
    case IVR_ACT_ROUTE:
        return snprintf(buf, buflen, "route %s %s %d %s", ivr_route_kind_name(a->route), a->target,
                        a->priority, a->skill);
    case IVR_ACT_HANGUP:
        return snprintf(buf, buflen, "hangup");
    case IVR_ACT_STEP:
        return snprintf(buf, buflen, "step %s %s %lld", a->node, a->input[0] ? a->input : "-",
                        (long long)a->at);
    case IVR_ACT_SURVEY:
        return snprintf(buf, buflen, "survey %s %d", a->question, a->score);
    }
    return snprintf(buf, buflen, "?");
}

void ivr_actions_format(const ivr_actions_t *self, char *buf, size_t buflen)
{
    size_t len = 0;
    if (!buflen)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < self->len && len + 1 < buflen; i++) {
        int n = s_format_one(&self->items[i], buf + len, buflen - len);
        if (n < 0)
            break;
        len += (size_t)n;
        if (len + 1 >= buflen)
            break;
        buf[len++] = '\n';
        buf[len] = '\0';
    }
}
