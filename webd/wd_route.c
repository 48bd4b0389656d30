/* wd_route.c - matching a request to the route table, the role and CSRF decision, scope
 * checks and the validation of a route's fields (see wd_route.h). Pure: no sockets. */
#include "wd_route.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *wd_role_name(wd_role_t role)
{
    return role == WD_ROLE_ADMIN ? "admin" : role == WD_ROLE_SUPERVISOR ? "supervisor" : "agent";
}

int wd_role_parse(const char *text, wd_role_t *out)
{
    if (!text)
        return -1;
    if (!strcmp(text, "agent"))
        *out = WD_ROLE_AGENT;
    else if (!strcmp(text, "supervisor"))
        *out = WD_ROLE_SUPERVISOR;
    else if (!strcmp(text, "admin"))
        *out = WD_ROLE_ADMIN;
    else
        return -1;
    return 0;
}

const char *wd_param(const wd_params_t *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->name[i], name))
            return p->value[i];
    return NULL;
}

/* Copy one path segment (libmicrohttpd has already percent-decoded the path) into out;
 * -1 if empty, too long or holding a control character. */
static int s_segment(const char *seg, size_t len, char *out, size_t outlen)
{
    if (len == 0 || len >= outlen)
        return -1;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)seg[i] < 0x20 || seg[i] == 0x7f)
            return -1;
    memcpy(out, seg, len);
    out[len] = '\0';
    return 0;
}

/* 1: path matches pattern (params filled), 0: it does not, -1: it would but a parameter
 * cannot be decoded. */
static int s_match(const char *pattern, const char *path, wd_params_t *params)
{
    params->n = 0;
    const char *p = pattern, *u = path;
    while (*p) {
        if (*p == '*')
            return 1;
        if (*p == '{') {
            const char *close = strchr(p, '}');
            size_t seglen = strcspn(u, "/");
            if (!close || seglen == 0 || params->n >= WD_PARAMS_MAX)
                return 0;
            int i = params->n++;
            params->name[i] = NULL;
            size_t nlen = (size_t)(close - p - 1); /* the name is between the braces */
            static const char *const known[] = {"queue", "ext",      "call_id", "name",
                                                "id",    "campaign", NULL};
            for (int k = 0; known[k]; k++)
                if (strlen(known[k]) == nlen && !strncmp(known[k], p + 1, nlen))
                    params->name[i] = known[k];
            if (!params->name[i])
                return 0;
            if (s_segment(u, seglen, params->value[i], sizeof params->value[i]) != 0)
                return -1;
            p = close + 1;
            u += seglen;
            continue;
        }
        if (*p != *u)
            return 0;
        p++;
        u++;
    }
    return *u == '\0' ? 1 : 0;
}

int wd_route_match(const wd_route_t *table, size_t n, const char *method, const char *path,
                   const wd_route_t **out, wd_params_t *params, char *allow, size_t allow_len)
{
    bool path_known = false, bad_param = false;
    size_t used = 0;
    if (allow_len)
        allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        wd_params_t tmp;
        int m = s_match(table[i].pattern, path, &tmp);
        if (m < 0) {
            bad_param = true;
            continue;
        }
        if (m == 0)
            continue;
        if (!strcmp(table[i].method, method)) {
            *out = &table[i];
            *params = tmp;
            return 0;
        }
        path_known = true;
        if (!strstr(allow, table[i].method) && used + strlen(table[i].method) + 3 < allow_len)
            used += (size_t)snprintf(allow + used, allow_len - used, "%s%s", used ? ", " : "",
                                     table[i].method);
    }
    return path_known ? 405 : bad_param ? 400 : 404;
}

bool wd_secret_equal(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < la && i < lb; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0 && la > 0;
}

int wd_route_authorize(const wd_route_t *r, const wd_principal_t *who, const char *csrf_header,
                       const char *prelogin, const char **why)
{
    *why = "";
    if (r->flags & WD_R_LOGIN) {
        if (!wd_secret_equal(csrf_header, prelogin)) {
            *why = "missing or wrong X-CSRF-Token (GET /api/csrf first)";
            return 403;
        }
        return 0;
    }
    if (r->roles == 0)
        return 0;
    if (!who->authenticated) {
        *why = "log in first, or send an API token";
        return 401;
    }
    if (!(r->roles & who->role)) {
        *why = "your role may not use this";
        return 403;
    }
    if ((r->flags & WD_R_CSRF) && !who->is_token && !wd_secret_equal(csrf_header, who->csrf)) {
        *why = "missing or wrong X-CSRF-Token";
        return 403;
    }
    return 0;
}

bool wd_scope_queue(const wd_principal_t *who, int queue_idx)
{
    return who->all_queues || (queue_idx >= 0 && wb_qset_has(&who->qset, queue_idx));
}

bool wd_scope_set(const wd_principal_t *who, const wb_qset_t *set)
{
    return who->all_queues || wb_qset_meets(&who->qset, set);
}

/* ---- fields --------------------------------------------------------------------------- */

static bool s_char_ok(wd_charset_t cs, unsigned char c)
{
    switch (cs) {
    case WD_CS_NAME:
        return isalnum(c) || c == '_' || c == '.' || c == '-';
    case WD_CS_USER:
        return isalnum(c) || c == '_' || c == '.' || c == '-' || c == '@';
    case WD_CS_DIGITS:
        return isdigit(c);
    case WD_CS_NUMBER:
        return isdigit(c) || c == '*' || c == '#' || c == '+';
    case WD_CS_NOTES:
        return c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f);
    case WD_CS_TEXT:
    default:
        return c >= 0x20 && c != 0x7f;
    }
}

/* YYYY-MM-DD, or that with THH:MM[:SS][.fff][Z|+HH:MM|-HH:MM]. */
static bool s_time_ok(const char *s)
{
    int y, mo, d, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10 || mo < 1 || mo > 12 || d < 1 ||
        d > 31 || y < 1970 || y > 9999)
        return false;
    s += 10;
    if (!*s)
        return true;
    int h, mi;
    if (sscanf(s, "T%2d:%2d%n", &h, &mi, &n) != 2 || n != 6 || h > 23 || mi > 59)
        return false;
    s += 6;
    if (s[0] == ':') {
        if (!isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]) ||
            (s[1] - '0') * 10 + (s[2] - '0') > 59)
            return false;
        s += 3;
        if (*s == '.') {
            s++;
            int digits = 0;
            while (isdigit((unsigned char)*s) && digits < 6)
                s++, digits++;
            if (!digits)
                return false;
        }
    }
    if (!*s || !strcmp(s, "Z"))
        return true;
    return (s[0] == '+' || s[0] == '-') && isdigit((unsigned char)s[1]) &&
           isdigit((unsigned char)s[2]) && s[3] == ':' && isdigit((unsigned char)s[4]) &&
           isdigit((unsigned char)s[5]) && s[6] == '\0';
}

static int s_check_string(const wd_field_t *f, const char *v, char *msg, size_t len)
{
    size_t n = strlen(v);
    if ((long)n < f->min || (long)n > f->max) {
        snprintf(msg, len, "'%s' must be %ld to %ld characters long", f->name, f->min, f->max);
        return -1;
    }
    for (const char *c = v; *c; c++) {
        if (!s_char_ok(f->charset, (unsigned char)*c)) {
            snprintf(msg, len, "'%s' holds a character that is not allowed", f->name);
            return -1;
        }
    }
    if (f->choices) {
        for (const char *const *ch = f->choices; *ch; ch++)
            if (!strcmp(*ch, v))
                return 0;
        char list[200] = "";
        size_t used = 0;
        for (const char *const *ch = f->choices; *ch && used < sizeof list - 40; ch++)
            used +=
                (size_t)snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", *ch);
        snprintf(msg, len, "'%s' must be one of: %s", f->name, list);
        return -1;
    }
    return 0;
}

/* A query string value as the field's type: converts it in place in obj. */
static int s_from_query(const wd_field_t *f, json_t *obj, json_t *v, char *msg, size_t len)
{
    const char *s = json_string_value(v);
    if (f->type == WD_F_INT) {
        char *end;
        errno = 0;
        long long x = strtoll(s, &end, 10);
        if (!*s || *end || errno) {
            snprintf(msg, len, "'%s' must be an integer", f->name);
            return -1;
        }
        json_object_set_new(obj, f->name, json_integer(x));
    } else if (f->type == WD_F_BOOL) {
        if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0) {
            snprintf(msg, len, "'%s' must be true or false", f->name);
            return -1;
        }
        json_object_set_new(obj, f->name, json_boolean(s[0] == 't'));
    }
    return 0;
}

static int s_check_one(const wd_field_t *f, json_t *obj, bool from_query, char *msg, size_t len)
{
    json_t *v = json_object_get(obj, f->name);
    if (!v || json_is_null(v)) {
        if (f->required) {
            snprintf(msg, len, "'%s' is required", f->name);
            return -1;
        }
        if (v)
            json_object_del(obj, f->name);
        return 0;
    }
    if (from_query && s_from_query(f, obj, v, msg, len) != 0)
        return -1;
    v = json_object_get(obj, f->name);
    switch (f->type) {
    case WD_F_INT:
        if (!json_is_integer(v)) {
            snprintf(msg, len, "'%s' must be an integer", f->name);
            return -1;
        }
        if (json_integer_value(v) < f->min || json_integer_value(v) > f->max) {
            snprintf(msg, len, "'%s' must be between %ld and %ld", f->name, f->min, f->max);
            return -1;
        }
        return 0;
    case WD_F_BOOL:
        if (!json_is_boolean(v)) {
            snprintf(msg, len, "'%s' must be true or false", f->name);
            return -1;
        }
        return 0;
    case WD_F_TIME:
        if (!json_is_string(v) || !s_time_ok(json_string_value(v))) {
            snprintf(msg, len, "'%s' must be a date (YYYY-MM-DD) or ISO 8601 time", f->name);
            return -1;
        }
        return 0;
    case WD_F_NUMBER:
        if (!json_is_number(v)) {
            snprintf(msg, len, "'%s' must be a number", f->name);
            return -1;
        }
        return 0;
    case WD_F_LIST: {
        if (!json_is_array(v) || json_array_size(v) > WD_LIST_MAX) {
            snprintf(msg, len, "'%s' must be a list of at most %d strings", f->name, WD_LIST_MAX);
            return -1;
        }
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            if (!json_is_string(item)) {
                snprintf(msg, len, "'%s' must be a list of strings", f->name);
                return -1;
            }
            if (s_check_string(f, json_string_value(item), msg, len) != 0)
                return -1;
        }
        return 0;
    }
    case WD_F_STRING:
    default:
        if (!json_is_string(v)) {
            snprintf(msg, len, "'%s' must be a string", f->name);
            return -1;
        }
        return s_check_string(f, json_string_value(v), msg, len);
    }
}

int wd_fields_check(const wd_field_t *fields, json_t *obj, bool from_query, const char **field,
                    char *msg, size_t msglen)
{
    *field = "";
    if (!json_is_object(obj)) {
        snprintf(msg, msglen, "the body must be a JSON object");
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool known = false;
        for (const wd_field_t *f = fields; f && f->name && !known; f++)
            known = !strcmp(f->name, key);
        if (!known) {
            *field = key;
            snprintf(msg, msglen, "unknown field '%s'", key);
            return -1;
        }
    }
    for (const wd_field_t *f = fields; f && f->name; f++) {
        if (s_check_one(f, obj, from_query, msg, msglen) != 0) {
            *field = f->name;
            return -1;
        }
    }
    return 0;
}

int wd_range_parse(const char *h, size_t len, size_t *from, size_t *to)
{
    if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return 0;
    const char *s = h + 6;
    char *end;
    if (*s == '-') { /* the last N bytes */
        if (!isdigit((unsigned char)s[1]))
            return 0;
        errno = 0;
        unsigned long long n = strtoull(s + 1, &end, 10);
        if (errno || *end)
            return 0;
        if (n == 0 || len == 0)
            return -1;
        *from = n >= len ? 0 : len - (size_t)n;
        *to = len - 1;
        return 1;
    }
    if (!isdigit((unsigned char)*s))
        return 0;
    errno = 0;
    unsigned long long a = strtoull(s, &end, 10);
    if (errno || *end != '-')
        return 0;
    const char *bs = end + 1;
    unsigned long long b = len ? len - 1 : 0;
    if (*bs) {
        if (!isdigit((unsigned char)*bs))
            return 0;
        b = strtoull(bs, &end, 10);
        if (errno || *end || b < a)
            return 0;
    }
    if (a >= len)
        return -1;
    *from = (size_t)a;
    *to = b >= len ? len - 1 : (size_t)b;
    return 1;
}
