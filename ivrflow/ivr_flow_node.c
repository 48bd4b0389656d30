/* ivr_flow_node.c - one flow node of each kind, from its JSON object to ivr_node_t: the
 * keys each kind takes, their defaults and limits, and freeing a node again. The document
 * around the nodes (start, reachability, versions) is ivr_flow.c's. */
#include "ivr_flow_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_dialplan.h"
#include "ivr_vars.h"

/* Defaults shared by the input kinds. */
static void s_input_defaults(ivr_input_t *in, int retries)
{
    memset(in, 0, sizeof *in);
    in->timeout_ms = 5000;
    in->inter_digit_ms = 3000;
    in->min_digits = 1;
    in->max_digits = 1;
    in->retries = retries;
    in->fallback = IVR_NONE;
}

static int s_input_common(ivr_fp_t *fp, json_t *obj, const char *path, ivr_input_t *in)
{
    int rc = 0;
    rc |= ivr_fp_prompts(fp, obj, "prompt", path, true, &in->prompt);
    rc |= ivr_fp_prompts(fp, obj, "invalid_prompt", path, false, &in->invalid_prompt);
    rc |= ivr_fp_prompts(fp, obj, "timeout_prompt", path, false, &in->timeout_prompt);
    rc |= ivr_fp_seconds(fp, obj, "timeout", path, 0.5, 120, &in->timeout_ms);
    rc |= ivr_fp_int(fp, obj, "retries", path, 1, 10, &in->retries);
    return rc ? -1 : 0;
}

static int s_play(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path)
{
    static const char *const keys[] = {"prompts", "barge_in", "next", NULL};
    ivr_fp_known_keys(fp, obj, path, keys);
    int rc = ivr_fp_prompts(fp, obj, "prompts", path, true, &node->u.play.prompts);
    rc |= ivr_fp_bool(fp, obj, "barge_in", path, &node->u.play.barge_in);
    rc |= ivr_fp_link(fp, obj, "next", path, true, &node->next);
    return rc ? -1 : 0;
}

static int s_menu_options(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path)
{
    char p[192];
    json_t *options = json_object_get(obj, "options");
    ivr_fp_path(p, sizeof p, path, "options");
    if (!options) {
        ivr_fp_error(fp, path, "missing required key 'options'");
        return -1;
    }
    if (!json_is_object(options) || json_object_size(options) == 0) {
        ivr_fp_error(fp, p, "must be an object of key -> node, e.g. {\"1\": \"sales\"}");
        return -1;
    }
    int rc = 0;
    const char *key;
    json_t *value;
    json_object_foreach(options, key, value)
    {
        char op[224];
        ivr_fp_path(op, sizeof op, p, key);
        if (strlen(key) != 1 || !strchr("0123456789*#", key[0])) {
            ivr_fp_error(fp, op, "'%s' is not a key (one of 0-9 * #)", key);
            rc = -1;
            continue;
        }
        ivr_option_t *opt = &node->u.menu.options[node->u.menu.option_count++];
        opt->digit = key[0];
        rc |= ivr_fp_link_value(fp, value, op, &opt->next);
    }
    return rc;
}

static int s_menu(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path)
{
    static const char *const keys[] = {"prompt",  "options", "invalid_prompt", "timeout_prompt",
                                       "timeout", "retries", "fallback",       NULL};
    ivr_fp_known_keys(fp, obj, path, keys);
    ivr_input_t *in = &node->u.menu.input;
    s_input_defaults(in, 3);
    int rc = s_input_common(fp, obj, path, in);
    rc |= s_menu_options(fp, obj, node, path);
    rc |= ivr_fp_link(fp, obj, "fallback", path, false, &in->fallback);
    return rc ? -1 : 0;
}

static int s_terminator(ivr_fp_t *fp, json_t *obj, const char *path, char *out)
{
    char p[192];
    json_t *value = json_object_get(obj, "terminator");
    ivr_fp_path(p, sizeof p, path, "terminator");
    if (!value)
        return 0;
    const char *t = json_string_value(value);
    if (!t || (strcmp(t, "") != 0 && strcmp(t, "#") != 0 && strcmp(t, "*") != 0)) {
        ivr_fp_error(fp, p, "must be \"#\", \"*\" or \"\" (none)");
        return -1;
    }
    *out = t[0];
    return 0;
}

static int s_collect(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path)
{
    static const char *const keys[] = {"prompt",
                                       "invalid_prompt",
                                       "timeout_prompt",
                                       "timeout",
                                       "retries",
                                       "min_digits",
                                       "max_digits",
                                       "terminator",
                                       "inter_digit_timeout",
                                       "variable",
                                       "private",
                                       "next",
                                       "fallback",
                                       NULL};
    ivr_fp_known_keys(fp, obj, path, keys);
    ivr_input_t *in = &node->u.collect.input;
    s_input_defaults(in, 3);
    in->max_digits = 20;
    in->terminator = '#';
    int rc = s_input_common(fp, obj, path, in);
    rc |= ivr_fp_int(fp, obj, "min_digits", path, 0, 64, &in->min_digits);
    rc |= ivr_fp_int(fp, obj, "max_digits", path, 1, 64, &in->max_digits);
    rc |= s_terminator(fp, obj, path, &in->terminator);
    rc |= ivr_fp_seconds(fp, obj, "inter_digit_timeout", path, 0.5, 60, &in->inter_digit_ms);
    rc |= ivr_fp_variable(fp, obj, "variable", path, true, &node->u.collect.variable);
    rc |= ivr_fp_bool(fp, obj, "private", path, &node->u.collect.private_input);
    rc |= ivr_fp_link(fp, obj, "next", path, true, &node->next);
    rc |= ivr_fp_link(fp, obj, "fallback", path, false, &in->fallback);
    if (!rc && in->min_digits > in->max_digits) {
        ivr_fp_error(fp, path, "min_digits (%d) is more than max_digits (%d)", in->min_digits,
                     in->max_digits);
        rc = -1;
    }
    return rc ? -1 : 0;
}

/* "hours" or "holidays": an array of strings, each handed to `add`. */
static int s_schedule_list(ivr_fp_t *fp, json_t *obj, const char *key, const char *path,
                           bool required, ivr_schedule_t *schedule,
                           int (*add)(ivr_schedule_t *, const char *, char *, size_t))
{
    char p[192], ip[224], why[160];
    json_t *list = json_object_get(obj, key);
    ivr_fp_path(p, sizeof p, path, key);
    if (!list) {
        if (required)
            ivr_fp_error(fp, path, "missing required key '%s'", key);
        return required ? -1 : 0;
    }
    if (!json_is_array(list)) {
        ivr_fp_error(fp, p, "must be an array of strings");
        return -1;
    }
    int rc = 0;
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        snprintf(ip, sizeof ip, "%s/%zu", p, i);
        if (!json_is_string(item) || add(schedule, json_string_value(item), why, sizeof why) < 0) {
            ivr_fp_error(fp, ip, "%s", json_is_string(item) ? why : "must be a string");
            rc = -1;
        }
    }
    return rc;
}

static int s_schedule(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path)
{
    static const char *const keys[] = {"timezone", "hours",   "holidays", "open",
                                       "closed",   "holiday", NULL};
    ivr_fp_known_keys(fp, obj, path, keys);
    char *zone = NULL, p[192];
    int rc = ivr_fp_string(fp, obj, "timezone", path, true, &zone);
    ivr_fp_path(p, sizeof p, path, "timezone");
    const ivr_flow_env_t *env = fp->env;
    if (zone && env && env->zone_exists && !env->zone_exists(zone, env->ctx)) {
        ivr_fp_error(fp, p, "'%s' is not a known time zone", zone);
        rc = -1;
    }
    node->u.schedule.schedule = ivr_schedule_new(zone ? zone : "UTC");
    free(zone);
    if (!node->u.schedule.schedule)
        return -1;
    rc |= s_schedule_list(fp, obj, "hours", path, true, node->u.schedule.schedule,
                          ivr_schedule_add_hours);
    rc |= s_schedule_list(fp, obj, "holidays", path, false, node->u.schedule.schedule,
                          ivr_schedule_add_holiday);
    rc |= ivr_fp_link(fp, obj, "open", path, true, &node->u.schedule.open);
    rc |= ivr_fp_link(fp, obj, "closed", path, true, &node->u.schedule.closed);
    rc |= ivr_fp_link(fp, obj, "holiday", path, false, &node->u.schedule.holiday);
    return rc ? -1 : 0;
}

static int s_lookup(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path)
{
    static const char *const keys[] = {"table", "key", "timeout", "next", "not_found", NULL};
    ivr_fp_known_keys(fp, obj, path, keys);
    node->u.lookup.timeout_ms = 3000;
    node->u.lookup.key = strdup("${caller}");
    int rc = ivr_fp_string(fp, obj, "table", path, true, &node->u.lookup.table);
    if (node->u.lookup.table && strcmp(node->u.lookup.table, "customers") != 0) {
        char p[192];
        ivr_fp_path(p, sizeof p, path, "table");
        ivr_fp_error(fp, p, "unknown table '%s' (known: customers)", node->u.lookup.table);
        rc = -1;
    }
    rc |= ivr_fp_template(fp, obj, "key", path, false, &node->u.lookup.key);
    rc |= ivr_fp_seconds(fp, obj, "timeout", path, 0.1, 30, &node->u.lookup.timeout_ms);
    rc |= ivr_fp_link(fp, obj, "next", path, true, &node->next);
    rc |= ivr_fp_link(fp, obj, "not_found", path, false, &node->u.lookup.not_found);
    return rc || !node->u.lookup.key ? -1 : 0;
}

/* "match": "exact" (the default) or "prefix" (a number's prefix, e.g. the caller's
 * country or area code: + first, then 0-9 * #). */
static int s_branch_match(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path)
{
    char *match = NULL;
    if (ivr_fp_string(fp, obj, "match", path, false, &match) != 0)
        return -1;
    int rc = 0;
    if (match && strcmp(match, "prefix") == 0)
        node->u.branch.prefix = true;
    else if (match && strcmp(match, "exact") != 0) {
        char p[192];
        ivr_fp_path(p, sizeof p, path, "match");
        ivr_fp_error(fp, p, "must be exact or prefix, not '%s'", match);
        rc = -1;
    }
    free(match);
    return rc;
}

static bool s_number_prefix(const char *text)
{
    size_t len = strlen(text);
    if (len == 0 || len > 32)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789*#", text[i]) && !(text[i] == '+' && i == 0))
            return false;
    return true;
}

static int s_branch(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path)
{
    static const char *const keys[] = {"variable", "cases", "default", "match", NULL};
    ivr_fp_known_keys(fp, obj, path, keys);
    int rc = ivr_fp_variable(fp, obj, "variable", path, true, &node->u.branch.variable);
    rc |= ivr_fp_link(fp, obj, "default", path, true, &node->u.branch.otherwise);
    rc |= s_branch_match(fp, obj, node, path);
    char p[192];
    json_t *cases = json_object_get(obj, "cases");
    ivr_fp_path(p, sizeof p, path, "cases");
    if (!cases) {
        ivr_fp_error(fp, path, "missing required key 'cases'");
        return -1;
    }
    if (!json_is_object(cases)) {
        ivr_fp_error(fp, p, "must be an object of value -> node");
        return -1;
    }
    node->u.branch.cases = calloc(json_object_size(cases) + 1, sizeof(ivr_case_t));
    if (!node->u.branch.cases)
        return -1;
    const char *key;
    json_t *value;
    json_object_foreach(cases, key, value)
    {
        char cp[224];
        ivr_case_t *c = &node->u.branch.cases[node->u.branch.case_count++];
        ivr_fp_path(cp, sizeof cp, p, key);
        c->value = strdup(key);
        rc |= ivr_fp_link_value(fp, value, cp, &c->next);
        if (node->u.branch.prefix && !s_number_prefix(key)) {
            ivr_fp_error(fp, cp, "not a number prefix (1-32 of 0-9 * # after an optional +)");
            rc = -1;
        }
    }
    return rc ? -1 : 0;
}

static int s_set(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path)
{
    static const char *const keys[] = {"variable", "value", "next", NULL};
    ivr_fp_known_keys(fp, obj, path, keys);
    int rc = ivr_fp_variable(fp, obj, "variable", path, true, &node->u.set.variable);
    if (json_is_string(json_object_get(obj, "value")) &&
        json_string_length(json_object_get(obj, "value")) == 0)
        node->u.set.value = strdup(""); /* setting a variable to empty is allowed */
    else
        rc |= ivr_fp_template(fp, obj, "value", path, true, &node->u.set.value);
    rc |= ivr_fp_link(fp, obj, "next", path, true, &node->next);
    return rc ? -1 : 0;
}

static int s_goto(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path)
{
    static const char *const keys[] = {"next", NULL};
    ivr_fp_known_keys(fp, obj, path, keys);
    return ivr_fp_link(fp, obj, "next", path, true, &node->next);
}

/* A target without ${...} can be checked now: an extension, a queue name, a number. */
static int s_route_target(ivr_fp_t *fp, ivr_route_kind_t to, const char *target, const char *path)
{
    char why[160] = "", name[CC_TARGET_NAME_MAX], spec[160];
    if (strstr(target, "${"))
        return 0;
    int rc = 0;
    if (to == IVR_ROUTE_EXT) {
        rc = cc_extension_validate(target, why, sizeof why);
    } else if (to == IVR_ROUTE_QUEUE || to == IVR_ROUTE_VOICEMAIL) {
        cc_target_kind_t kind;
        snprintf(spec, sizeof spec, "%s:%s", to == IVR_ROUTE_QUEUE ? "queue" : "vm", target);
        rc = cc_target_parse(spec, &kind, name, sizeof name, why, sizeof why);
    } else {
        size_t len = strlen(target);
        rc = len == 0 || len > 32 || strspn(target, "0123456789+*#") != len ? -1 : 0;
        snprintf(why, sizeof why, "a trunk target is the number to dial (0-9 + * #)");
    }
    if (rc < 0)
        ivr_fp_error(fp, path, "'%s': %s", target, why);
    return rc < 0 ? -1 : 0;
}

static int s_route_priority(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path)
{
    char p[192];
    ivr_fp_path(p, sizeof p, path, "priority");
    json_t *value = json_object_get(obj, "priority");
    if (json_is_integer(value) &&
        (json_integer_value(value) < 0 || json_integer_value(value) > 100)) {
        ivr_fp_error(fp, p, "must be from 0 to 100");
        return -1;
    }
    if (value && !json_is_integer(value) && !json_is_string(value)) {
        ivr_fp_error(fp, p, "must be an integer 0-100 or a \"${variable}\"");
        return -1;
    }
    if (ivr_fp_template(fp, obj, "priority", path, false, &node->u.route.priority) < 0)
        return -1;
    const char *prio = node->u.route.priority;
    if (prio && !strstr(prio, "${") &&
        (strspn(prio, "0123456789") != strlen(prio) || strlen(prio) > 3 || atoi(prio) > 100)) {
        ivr_fp_error(fp, p, "'%s' is not a priority from 0 to 100", prio);
        return -1;
    }
    return 0;
}

/* "reason" (voicemail only): why the caller is in the mailbox, kept with the message:
 * "direct" (the default) or "closed" (a schedule's closed branch). */
static int s_route_reason(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path)
{
    json_t *value = json_object_get(obj, "reason");
    if (!value)
        return 0;
    char p[192];
    ivr_fp_path(p, sizeof p, path, "reason");
    const char *v = json_string_value(value);
    if (node->u.route.to != IVR_ROUTE_VOICEMAIL) {
        ivr_fp_error(fp, p, "only a voicemail route has a reason");
        return -1;
    }
    if (!v || (strcmp(v, "direct") != 0 && strcmp(v, "closed") != 0)) {
        ivr_fp_error(fp, p, "must be \"direct\" or \"closed\"");
        return -1;
    }
    node->u.route.closed = strcmp(v, "closed") == 0;
    return 0;
}

static int s_route(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path)
{
    static const char *const keys[] = {"to",   "target", "priority", "skill",
                                       "then", "failed", "reason",   NULL};
    static const char *const kinds[] = {"ext", "queue", "trunk", "voicemail"};
    ivr_fp_known_keys(fp, obj, path, keys);
    char *to = NULL, p[192];
    int rc = ivr_fp_string(fp, obj, "to", path, true, &to);
    if (to) {
        int found = -1;
        for (int i = 0; i < 4; i++)
            if (strcmp(to, kinds[i]) == 0)
                found = i;
        ivr_fp_path(p, sizeof p, path, "to");
        if (found < 0)
            ivr_fp_error(fp, p, "'%s' is not a route kind (ext, queue, trunk, voicemail)", to);
        node->u.route.to = found < 0 ? IVR_ROUTE_EXT : (ivr_route_kind_t)found;
        rc |= found < 0 ? -1 : 0;
        free(to);
    }
    if (ivr_fp_template(fp, obj, "target", path, true, &node->u.route.target) == 0 && rc == 0) {
        ivr_fp_path(p, sizeof p, path, "target");
        rc |= s_route_target(fp, node->u.route.to, node->u.route.target, p);
    }
    rc |= s_route_priority(fp, obj, node, path);
    rc |= s_route_reason(fp, obj, node, path);
    rc |= ivr_fp_template(fp, obj, "skill", path, false, &node->u.route.skill);
    rc |= ivr_fp_link(fp, obj, "then", path, false, &node->u.route.then);
    rc |= ivr_fp_link(fp, obj, "failed", path, false, &node->u.route.failed);
    return rc ? -1 : 0;
}

static int s_hangup(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path)
{
    static const char *const keys[] = {"prompts", NULL};
    ivr_fp_known_keys(fp, obj, path, keys);
    return ivr_fp_prompts(fp, obj, "prompts", path, false, &node->u.hangup.prompts);
}

static int s_survey(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path)
{
    static const char *const keys[] = {"prompt",        "invalid_prompt", "timeout_prompt",
                                       "timeout",       "retries",        "question",
                                       "thanks_prompt", "next",           NULL};
    ivr_fp_known_keys(fp, obj, path, keys);
    ivr_input_t *in = &node->u.survey.input;
    s_input_defaults(in, 2);
    int rc = s_input_common(fp, obj, path, in);
    node->u.survey.question = strdup(node->id);
    rc |= ivr_fp_string(fp, obj, "question", path, false, &node->u.survey.question);
    rc |= ivr_fp_prompts(fp, obj, "thanks_prompt", path, false, &node->u.survey.thanks);
    rc |= ivr_fp_link(fp, obj, "next", path, false, &node->next);
    in->fallback = node->next; /* no usable answer: carry on without a score */
    return rc || !node->u.survey.question ? -1 : 0;
}

typedef int(s_parse_fn)(ivr_fp_t *, json_t *, ivr_node_t *, const char *);

int ivr_fp_node(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path)
{
    static s_parse_fn *const parsers[] = {
        [IVR_NODE_PLAY] = s_play,       [IVR_NODE_MENU] = s_menu,
        [IVR_NODE_COLLECT] = s_collect, [IVR_NODE_SCHEDULE] = s_schedule,
        [IVR_NODE_LOOKUP] = s_lookup,   [IVR_NODE_BRANCH] = s_branch,
        [IVR_NODE_SET] = s_set,         [IVR_NODE_GOTO] = s_goto,
        [IVR_NODE_ROUTE] = s_route,     [IVR_NODE_HANGUP] = s_hangup,
        [IVR_NODE_SURVEY] = s_survey};
    node->next = IVR_NONE;
    return parsers[node->kind](fp, obj, node, path);
}

void ivr_prompts_clear(ivr_prompts_t *prompts)
{
    for (size_t i = 0; i < prompts->count; i++)
        free(prompts->items[i].text);
    free(prompts->items);
    prompts->items = NULL;
    prompts->count = 0;
}

static void s_input_clear(ivr_input_t *in)
{
    ivr_prompts_clear(&in->prompt);
    ivr_prompts_clear(&in->invalid_prompt);
    ivr_prompts_clear(&in->timeout_prompt);
}

void ivr_node_clear(ivr_node_t *node)
{
    switch (node->kind) {
    case IVR_NODE_PLAY:
        ivr_prompts_clear(&node->u.play.prompts);
        break;
    case IVR_NODE_MENU:
        s_input_clear(&node->u.menu.input);
        break;
    case IVR_NODE_COLLECT:
        s_input_clear(&node->u.collect.input);
        free(node->u.collect.variable);
        break;
    case IVR_NODE_SCHEDULE:
        ivr_schedule_destroy(&node->u.schedule.schedule);
        break;
    case IVR_NODE_LOOKUP:
        free(node->u.lookup.table);
        free(node->u.lookup.key);
        break;
    case IVR_NODE_BRANCH:
        free(node->u.branch.variable);
        for (size_t i = 0; i < node->u.branch.case_count; i++)
            free(node->u.branch.cases[i].value);
        free(node->u.branch.cases);
        break;
    case IVR_NODE_SET:
        free(node->u.set.variable);
        free(node->u.set.value);
        break;
    case IVR_NODE_ROUTE:
        free(node->u.route.target);
        free(node->u.route.priority);
        free(node->u.route.skill);
        break;
    case IVR_NODE_HANGUP:
        ivr_prompts_clear(&node->u.hangup.prompts);
        break;
    case IVR_NODE_SURVEY:
        s_input_clear(&node->u.survey.input);
        free(node->u.survey.question);
        ivr_prompts_clear(&node->u.survey.thanks);
        break;
    case IVR_NODE_GOTO:
        break;
    }
    memset(&node->u, 0, sizeof node->u);
}
