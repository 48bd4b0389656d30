/* cc_screen.c - screening rules, classes of service and caller-prefix routes (see
 * cc_screen.h). Plain arrays scanned linearly: the lists are short (tens of rows) and a
 * call asks once, before routing. */
#include "cc_screen.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    cc_cos_t cos;
    char prefix[CC_SCREEN_PATTERN_MAX];
} s_cos_prefix_t;

typedef struct {
    char number[CC_SCREEN_PATTERN_MAX];
    char prefix[CC_SCREEN_PATTERN_MAX];
    char target[80];
} s_caller_route_t;

typedef struct {
    char ext[16];
    cc_cos_t cos;
} s_user_cos_t;

struct cc_screen {
    s_user_cos_t *users; /* only those not international */
    size_t nusers;
    cc_screen_rule_t *rules;
    size_t nrules;
    s_cos_prefix_t *prefixes;
    size_t nprefixes;
    s_caller_route_t *routes;
    size_t nroutes;
};

static const char *const s_builtin_emergency[] = {"112", "911", "999", NULL};

cc_screen_t *cc_screen_new(void)
{
    return calloc(1, sizeof(cc_screen_t));
}

void cc_screen_destroy(cc_screen_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cc_screen_t *self = *self_p;
    free(self->rules);
    free(self->prefixes);
    free(self->routes);
    free(self->users);
    free(self);
    *self_p = NULL;
}

/* Grow an array by one element; the new slot or NULL. */
static void *s_push(void **array, size_t *n, size_t size)
{
    void *grown = realloc(*array, (*n + 1) * size);
    if (!grown)
        return NULL;
    *array = grown;
    return (char *)grown + (*n)++ * size;
}

int cc_screen_prefix_validate(const char *prefix, char *err, size_t errlen)
{
    size_t len = prefix ? strlen(prefix) : 0;
    if (len == 0 || len > 32) {
        snprintf(err, errlen, "'%s': 1-32 characters expected", prefix ? prefix : "");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        char ch = prefix[i];
        if (isdigit((unsigned char)ch) || ch == '*' || ch == '#' || (ch == '+' && i == 0))
            continue;
        snprintf(err, errlen, "'%s': bad character '%c' at position %zu (0-9 * # and a leading +)",
                 prefix, ch, i + 1);
        return -1;
    }
    return 0;
}

int cc_screen_pattern_validate(const char *pattern, char *err, size_t errlen)
{
    if (pattern && strcmp(pattern, "anonymous") == 0)
        return 0;
    size_t len = pattern ? strlen(pattern) : 0;
    char body[CC_SCREEN_PATTERN_MAX];
    if (len == 0 || len >= sizeof body) {
        snprintf(err, errlen, "'%s': a number, a prefix ending in * or anonymous expected",
                 pattern ? pattern : "");
        return -1;
    }
    snprintf(body, sizeof body, "%s", pattern);
    if (len > 1 && body[len - 1] == '*')
        body[len - 1] = '\0'; /* a prefix: what comes before the * is a number */
    return cc_screen_prefix_validate(body, err, errlen);
}

static int s_parse(const char *text, const char *const *names, int *out)
{
    for (int i = 0; text && names[i]; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = i;
            return 0;
        }
    return -1;
}

static const char *const s_actions[] = {"busy", "message", NULL};
static const char *const s_lists[] = {"block", "allow", NULL};
static const char *const s_classes[] = {"internal",      "local",     "national",
                                        "international", "emergency", NULL};

int cc_screen_action_parse(const char *text, cc_screen_action_t *out)
{
    int v;
    if (s_parse(text, s_actions, &v) != 0)
        return -1;
    *out = (cc_screen_action_t)v;
    return 0;
}

int cc_screen_list_parse(const char *text, cc_screen_list_t *out)
{
    int v;
    if (s_parse(text, s_lists, &v) != 0)
        return -1;
    *out = (cc_screen_list_t)v;
    return 0;
}

int cc_cos_parse(const char *text, cc_cos_t *out)
{
    int v;
    if (s_parse(text, s_classes, &v) != 0)
        return -1;
    *out = (cc_cos_t)v;
    return 0;
}

const char *cc_cos_name(cc_cos_t cos)
{
    return (unsigned)cos <= CC_COS_EMERGENCY ? s_classes[cos] : "?";
}

int cc_screen_add_rule(cc_screen_t *self, const cc_screen_rule_t *rule)
{
    char err[120];
    if (cc_screen_pattern_validate(rule->pattern, err, sizeof err) != 0)
        return -1;
    cc_screen_rule_t *slot = s_push((void **)&self->rules, &self->nrules, sizeof *slot);
    if (!slot)
        return -1;
    *slot = *rule;
    return 0;
}

int cc_screen_add_cos_prefix(cc_screen_t *self, cc_cos_t cos, const char *prefix)
{
    char err[120];
    if (cos == CC_COS_INTERNAL || cc_screen_prefix_validate(prefix, err, sizeof err) != 0)
        return -1;
    s_cos_prefix_t *slot = s_push((void **)&self->prefixes, &self->nprefixes, sizeof *slot);
    if (!slot)
        return -1;
    slot->cos = cos;
    snprintf(slot->prefix, sizeof slot->prefix, "%s", prefix);
    return 0;
}

int cc_screen_add_caller_route(cc_screen_t *self, const char *number, const char *caller_prefix,
                               const char *target)
{
    char err[120];
    if (cc_screen_prefix_validate(number, err, sizeof err) != 0 ||
        cc_screen_prefix_validate(caller_prefix, err, sizeof err) != 0 || !target || !target[0] ||
        strlen(target) >= sizeof((s_caller_route_t *)0)->target)
        return -1;
    s_caller_route_t *slot = s_push((void **)&self->routes, &self->nroutes, sizeof *slot);
    if (!slot)
        return -1;
    snprintf(slot->number, sizeof slot->number, "%s", number);
    snprintf(slot->prefix, sizeof slot->prefix, "%s", caller_prefix);
    snprintf(slot->target, sizeof slot->target, "%s", target);
    return 0;
}

size_t cc_screen_rule_count(const cc_screen_t *self)
{
    return self ? self->nrules : 0;
}

int cc_screen_set_user_cos(cc_screen_t *self, const char *ext, cc_cos_t cos)
{
    if (!ext || strlen(ext) >= sizeof((s_user_cos_t *)0)->ext || cos > CC_COS_INTERNATIONAL)
        return -1;
    if (cos == CC_COS_INTERNATIONAL)
        return 0;
    s_user_cos_t *slot = s_push((void **)&self->users, &self->nusers, sizeof *slot);
    if (!slot)
        return -1;
    snprintf(slot->ext, sizeof slot->ext, "%s", ext);
    slot->cos = cos;
    return 0;
}

cc_cos_t cc_screen_user_cos(const cc_screen_t *self, const char *ext)
{
    for (size_t i = 0; self && ext && i < self->nusers; i++)
        if (strcmp(self->users[i].ext, ext) == 0)
            return self->users[i].cos;
    return CC_COS_INTERNATIONAL;
}

bool cc_screen_is_anonymous(const char *caller, bool privacy_id)
{
    return privacy_id || !caller || !caller[0] || strcasecmp(caller, "anonymous") == 0 ||
           strcasecmp(caller, "unknown") == 0;
}

static bool s_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* How well a rule's pattern fits the caller: 0 not at all, else higher is more specific
 * (an exact number or anonymous beats every prefix; a longer prefix beats a shorter). */
static int s_fit(const char *pattern, const char *caller, bool anonymous)
{
    if (strcmp(pattern, "anonymous") == 0)
        return anonymous ? 1000 : 0;
    if (anonymous)
        return 0;
    size_t len = strlen(pattern);
    if (pattern[len - 1] != '*')
        return strcmp(pattern, caller) == 0 ? 1000 : 0;
    return strncmp(pattern, caller, len - 1) == 0 ? (int)len : 0;
}

void cc_screen_check(const cc_screen_t *self, const char *caller, bool anonymous,
                     const char *callee_ext, cc_screen_verdict_t *out)
{
    memset(out, 0, sizeof *out);
    if (!self)
        return;
    if (!caller)
        caller = "";
    const cc_screen_rule_t *best = NULL;
    int best_score = 0;
    for (size_t i = 0; i < self->nrules; i++) {
        const cc_screen_rule_t *r = &self->rules[i];
        bool mine = r->ext[0] && callee_ext && strcmp(r->ext, callee_ext) == 0;
        if (r->ext[0] && !mine)
            continue;
        int fit = s_fit(r->pattern, caller, anonymous);
        if (!fit)
            continue;
        if (r->list == CC_SCREEN_ALLOW)
            return; /* an allow wins over every block */
        int score = fit + (mine ? 10000 : 0);
        if (score > best_score) {
            best = r;
            best_score = score;
        }
    }
    if (!best)
        return;
    out->blocked = true;
    out->action = best->action;
    if (best->ext[0])
        snprintf(out->reason, sizeof out->reason, "blocked: ext %s list %s", best->ext,
                 best->pattern);
    else
        snprintf(out->reason, sizeof out->reason, "blocked: global list %s", best->pattern);
}

static bool s_emergency(const cc_screen_t *self, const char *number)
{
    for (int i = 0; s_builtin_emergency[i]; i++)
        if (strcmp(number, s_builtin_emergency[i]) == 0)
            return true;
    for (size_t i = 0; self && i < self->nprefixes; i++)
        if (self->prefixes[i].cos == CC_COS_EMERGENCY &&
            strcmp(number, self->prefixes[i].prefix) == 0)
            return true;
    return false;
}

cc_cos_t cc_screen_number_class(const cc_screen_t *self, const char *number)
{
    if (!number)
        return CC_COS_INTERNATIONAL;
    if (s_emergency(self, number))
        return CC_COS_EMERGENCY;
    cc_cos_t cos = CC_COS_INTERNATIONAL;
    size_t best = 0;
    for (size_t i = 0; self && i < self->nprefixes; i++) {
        const s_cos_prefix_t *p = &self->prefixes[i];
        size_t len = strlen(p->prefix);
        if (p->cos != CC_COS_EMERGENCY && len > best && s_starts_with(number, p->prefix)) {
            best = len;
            cos = p->cos;
        }
    }
    return cos;
}

bool cc_screen_may_dial(const cc_screen_t *self, cc_cos_t user_cos, const char *number,
                        char *reason, size_t reasonlen)
{
    cc_cos_t cls = cc_screen_number_class(self, number);
    if (cls == CC_COS_EMERGENCY || cls <= user_cos)
        return true;
    snprintf(reason, reasonlen, "not permitted: %s number for a%s %s extension", cc_cos_name(cls),
             user_cos == CC_COS_INTERNAL || user_cos == CC_COS_INTERNATIONAL ? "n" : "",
             cc_cos_name(user_cos));
    return false;
}

const char *cc_screen_caller_route(const cc_screen_t *self, const char *number, const char *caller)
{
    const char *target = NULL;
    size_t best = 0;
    for (size_t i = 0; self && number && caller && i < self->nroutes; i++) {
        const s_caller_route_t *r = &self->routes[i];
        size_t len = strlen(r->prefix);
        if (len > best && strcmp(r->number, number) == 0 && s_starts_with(caller, r->prefix)) {
            best = len;
            target = r->target;
        }
    }
    return target;
}
