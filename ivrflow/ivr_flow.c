/* ivr_flow.c - a flow document: top-level keys, the node table (ids -> indices, kinds),
 * the start node, the reachability check, the reference count and read access. Each
 * node's own keys are parsed in ivr_flow_node.c. Pure but for the env callbacks. */
#include "ivr_flow_priv.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ivr_flow {
    atomic_int refs;
    char *name, *language;
    long version;
    int start;
    ivr_node_t *nodes;
    size_t node_count;
};

static const char *const s_kind_names[] = {
    [IVR_NODE_PLAY] = "play",         [IVR_NODE_MENU] = "menu",     [IVR_NODE_COLLECT] = "collect",
    [IVR_NODE_SCHEDULE] = "schedule", [IVR_NODE_LOOKUP] = "lookup", [IVR_NODE_BRANCH] = "branch",
    [IVR_NODE_SET] = "set",           [IVR_NODE_GOTO] = "goto",     [IVR_NODE_ROUTE] = "route",
    [IVR_NODE_HANGUP] = "hangup",     [IVR_NODE_SURVEY] = "survey"};
#define S_KIND_COUNT (sizeof s_kind_names / sizeof s_kind_names[0])

const char *ivr_node_kind_name(ivr_node_kind_t kind)
{
    return (size_t)kind < S_KIND_COUNT ? s_kind_names[kind] : "?";
}

const char *ivr_route_kind_name(ivr_route_kind_t kind)
{
    return kind == IVR_ROUTE_QUEUE       ? "queue"
           : kind == IVR_ROUTE_TRUNK     ? "trunk"
           : kind == IVR_ROUTE_VOICEMAIL ? "voicemail"
                                         : "ext";
}

static bool s_id_valid(const char *id)
{
    size_t len = strlen(id);
    return len > 0 && len < IVR_NODE_ID_MAX &&
           strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == len;
}

static bool s_language_valid(const char *lang)
{
    size_t len = strlen(lang), alpha = strspn(lang, "abcdefghijklmnopqrstuvwxyz");
    if (alpha < 2 || alpha > 3 || len > 16)
        return false;
    if (lang[alpha] == '\0')
        return true;
    return lang[alpha] == '-' && len > alpha + 1 &&
           strspn(lang + alpha + 1,
                  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") ==
               len - alpha - 1;
}

static void s_free(ivr_flow_t *self)
{
    for (size_t i = 0; i < self->node_count; i++)
        ivr_node_clear(&self->nodes[i]);
    free(self->nodes);
    free(self->name);
    free(self->language);
    free(self);
}

/* First pass: node ids and kinds, so links can be resolved in any order. */
static int s_node_table(ivr_fp_t *fp, ivr_flow_t *flow, json_t *nodes)
{
    size_t n = json_object_size(nodes);
    flow->nodes = calloc(n, sizeof *flow->nodes);
    fp->ids = calloc(n, sizeof *fp->ids);
    if (!flow->nodes || !fp->ids)
        return -1;
    int rc = 0;
    const char *id;
    json_t *obj;
    json_object_foreach(nodes, id, obj)
    {
        char p[192];
        ivr_fp_path(p, sizeof p, "/nodes", id);
        ivr_node_t *node = &flow->nodes[flow->node_count++];
        snprintf(fp->ids[fp->id_count++], IVR_NODE_ID_MAX, "%s", id);
        snprintf(node->id, sizeof node->id, "%s", id);
        node->kind = (ivr_node_kind_t)-1;
        if (!s_id_valid(id)) {
            ivr_fp_error(fp, p, "node id '%s' must be 1-63 of letters, digits, _ and -", id);
            rc = -1;
        }
        json_t *kind = json_object_get(obj, "kind");
        if (!json_is_object(obj)) {
            ivr_fp_error(fp, p, "a node must be an object");
        } else if (!kind) {
            ivr_fp_error(fp, p, "missing required key 'kind'");
        } else {
            for (size_t k = 0; k < S_KIND_COUNT; k++)
                if (json_is_string(kind) && strcmp(json_string_value(kind), s_kind_names[k]) == 0)
                    node->kind = (ivr_node_kind_t)k;
            if ((int)node->kind < 0) {
                char kp[224];
                ivr_fp_path(kp, sizeof kp, p, "kind");
                ivr_fp_error(fp, kp, "unknown node kind '%s'",
                             json_is_string(kind) ? json_string_value(kind) : "(not a string)");
            }
        }
        if ((int)node->kind < 0) {
            node->kind = IVR_NODE_GOTO; /* nothing to free; parsed no further */
            node->next = IVR_NONE;
            rc = -1;
        }
    }
    return rc;
}

/* Every link out of a node, into links (room for 16 + branch cases). */
static size_t s_links(const ivr_node_t *node, int *links)
{
    size_t n = 0;
    links[n++] = node->next;
    switch (node->kind) {
    case IVR_NODE_MENU:
        links[n++] = node->u.menu.input.fallback;
        for (size_t i = 0; i < node->u.menu.option_count; i++)
            links[n++] = node->u.menu.options[i].next;
        break;
    case IVR_NODE_COLLECT:
        links[n++] = node->u.collect.input.fallback;
        break;
    case IVR_NODE_SCHEDULE:
        links[n++] = node->u.schedule.open;
        links[n++] = node->u.schedule.closed;
        links[n++] = node->u.schedule.holiday;
        break;
    case IVR_NODE_LOOKUP:
        links[n++] = node->u.lookup.not_found;
        break;
    case IVR_NODE_BRANCH:
        links[n++] = node->u.branch.otherwise;
        for (size_t i = 0; i < node->u.branch.case_count; i++)
            links[n++] = node->u.branch.cases[i].next;
        break;
    case IVR_NODE_ROUTE:
        links[n++] = node->u.route.then;
        links[n++] = node->u.route.failed;
        break;
    default:
        break;
    }
    return n;
}

static void s_check_reachable(ivr_fp_t *fp, const ivr_flow_t *flow)
{
    size_t n = flow->node_count, top = 0;
    bool *seen = calloc(n, sizeof *seen);
    int *stack = calloc(n, sizeof *stack);
    size_t max_links = 16;
    for (size_t i = 0; i < n; i++)
        if (flow->nodes[i].kind == IVR_NODE_BRANCH &&
            flow->nodes[i].u.branch.case_count + 16 > max_links)
            max_links = flow->nodes[i].u.branch.case_count + 16;
    int *links = calloc(max_links, sizeof *links);
    if (seen && stack && links && flow->start >= 0) {
        seen[flow->start] = true;
        stack[top++] = flow->start;
        while (top > 0) {
            const ivr_node_t *node = &flow->nodes[stack[--top]];
            size_t count = s_links(node, links);
            for (size_t i = 0; i < count; i++) {
                if (links[i] >= 0 && !seen[links[i]]) {
                    seen[links[i]] = true;
                    stack[top++] = links[i];
                }
            }
        }
        for (size_t i = 0; i < n; i++) {
            char p[192];
            ivr_fp_path(p, sizeof p, "/nodes", flow->nodes[i].id);
            if (!seen[i])
                ivr_fp_error(fp, p, "unreachable from the start node '%s'",
                             flow->nodes[flow->start].id);
        }
    }
    free(seen);
    free(stack);
    free(links);
}

static int s_header(ivr_fp_t *fp, ivr_flow_t *flow, json_t *root)
{
    static const char *const keys[] = {"name", "language", "start", "nodes", "description", NULL};
    ivr_fp_known_keys(fp, root, "", keys);
    int rc = ivr_fp_string(fp, root, "name", "", true, &flow->name);
    if (flow->name && (!s_id_valid(flow->name))) {
        ivr_fp_error(fp, "/name", "'%s' must be 1-63 of letters, digits, _ and -", flow->name);
        rc = -1;
    }
    flow->language = strdup("en");
    if (ivr_fp_string(fp, root, "language", "", false, &flow->language) == 0 && flow->language &&
        !s_language_valid(flow->language)) {
        ivr_fp_error(fp, "/language", "'%s' is not a language code (\"en\", \"zh\", \"zh-CN\")",
                     flow->language);
        rc = -1;
    }
    json_t *desc = json_object_get(root, "description");
    if (desc && !json_is_string(desc)) {
        ivr_fp_error(fp, "/description", "must be a string");
        rc = -1;
    }
    json_t *nodes = json_object_get(root, "nodes");
    if (!nodes) {
        ivr_fp_error(fp, "", "missing required key 'nodes'");
        rc = -1;
    } else if (!json_is_object(nodes) || json_object_size(nodes) == 0) {
        ivr_fp_error(fp, "/nodes", "must be an object of node id -> node, with at least one");
        rc = -1;
    }
    if (!json_object_get(root, "start")) {
        ivr_fp_error(fp, "", "missing required key 'start'");
        rc = -1;
    }
    return flow->language ? rc : -1;
}

static int s_parse_root(ivr_fp_t *fp, ivr_flow_t *flow, json_t *root)
{
    if (!json_is_object(root)) {
        ivr_fp_error(fp, "", "a flow must be a JSON object");
        return -1;
    }
    if (s_header(fp, flow, root) < 0 && !json_is_object(json_object_get(root, "nodes")))
        return -1;
    fp->language = flow->language ? flow->language : "en";
    json_t *nodes = json_object_get(root, "nodes");
    /* Errors so far do not stop here: what the nodes themselves get wrong is reported too. */
    if (json_is_object(nodes) && s_node_table(fp, flow, nodes) < 0 && !flow->nodes)
        return -1;
    for (size_t i = 0; i < flow->node_count; i++) {
        ivr_node_t *node = &flow->nodes[i];
        json_t *obj = json_object_get(nodes, node->id);
        char p[192];
        ivr_fp_path(p, sizeof p, "/nodes", node->id);
        const char *kind = json_string_value(json_object_get(obj, "kind"));
        if (json_is_object(obj) && kind && strcmp(kind, ivr_node_kind_name(node->kind)) == 0)
            ivr_fp_node(fp, obj, node, p);
    }
    flow->start = IVR_NONE;
    if (json_object_get(root, "start") && flow->node_count > 0)
        ivr_fp_link(fp, root, "start", "", true, &flow->start);
    if (fp->errors->count == 0)
        s_check_reachable(fp, flow);
    return fp->errors->count == 0 ? 0 : -1;
}

ivr_flow_t *ivr_flow_parse(const char *json_text, const ivr_flow_env_t *env,
                           ivr_flow_errors_t *errors)
{
    ivr_flow_errors_t local;
    if (!errors)
        errors = &local;
    memset(errors, 0, sizeof *errors);
    ivr_fp_t fp = {.env = env, .errors = errors, .language = "en"};
    json_error_t jerr;
    json_t *root = json_loads(json_text ? json_text : "", JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        ivr_fp_error(&fp, "", "not valid JSON: line %d column %d: %s", jerr.line, jerr.column,
                     jerr.text);
        return NULL;
    }
    ivr_flow_t *flow = calloc(1, sizeof *flow);
    if (!flow) {
        json_decref(root);
        ivr_fp_error(&fp, "", "out of memory");
        return NULL;
    }
    atomic_init(&flow->refs, 1);
    flow->version = env ? env->version : 0;
    flow->start = IVR_NONE;
    int rc = s_parse_root(&fp, flow, root);
    json_decref(root);
    free(fp.ids);
    if (rc < 0) {
        if (errors->count == 0)
            ivr_fp_error(&fp, "", "out of memory");
        s_free(flow);
        return NULL;
    }
    return flow;
}

ivr_flow_t *ivr_flow_ref(ivr_flow_t *self)
{
    if (self)
        atomic_fetch_add(&self->refs, 1);
    return self;
}

void ivr_flow_destroy(ivr_flow_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ivr_flow_t *self = *self_p;
    *self_p = NULL;
    if (atomic_fetch_sub(&self->refs, 1) == 1)
        s_free(self);
}

const char *ivr_flow_name(const ivr_flow_t *self)
{
    return self->name;
}

const char *ivr_flow_language(const ivr_flow_t *self)
{
    return self->language;
}

long ivr_flow_version(const ivr_flow_t *self)
{
    return self->version;
}

int ivr_flow_start(const ivr_flow_t *self)
{
    return self->start;
}

size_t ivr_flow_node_count(const ivr_flow_t *self)
{
    return self->node_count;
}

const ivr_node_t *ivr_flow_node(const ivr_flow_t *self, int index)
{
    return index >= 0 && (size_t)index < self->node_count ? &self->nodes[index] : NULL;
}

int ivr_flow_find(const ivr_flow_t *self, const char *id)
{
    for (size_t i = 0; i < self->node_count; i++)
        if (strcmp(self->nodes[i].id, id) == 0)
            return (int)i;
    return IVR_NONE;
}

void ivr_flow_errors_format(const ivr_flow_errors_t *errors, char *buf, size_t buflen)
{
    size_t len = 0;
    if (!buflen)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < errors->count && len < buflen; i++) {
        int n = snprintf(buf + len, buflen - len, "%s: %s\n", errors->items[i].path,
                         errors->items[i].reason);
        if (n < 0)
            break;
        len += (size_t)n;
    }
    if (errors->truncated && len < buflen)
        snprintf(buf + len, buflen - len, "(more errors not shown)\n");
}
