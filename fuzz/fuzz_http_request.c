/* fuzz_http_request.c - libFuzzer target: what webd decides about a request before any
 * handler runs, on the real route table (wd_routes): the route for method + path
 * (404/405/400), role and CSRF for each kind of caller (401/403), and the body or query
 * fields (400). libmicrohttpd parses HTTP itself; this is our part. The input's first
 * line is "METHOD PATH", the rest the body (POST: JSON) or the query string (GET:
 * a=1&b=2, decoded as libmicrohttpd hands it over: values are strings). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "cc_log.h"
#include "wd_route.h"

static json_t *s_query(const char *q)
{
    json_t *obj = json_object();
    char *copy = strdup(q), *save = NULL;
    for (char *kv = strtok_r(copy, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (eq)
            *eq = '\0';
        json_t *v = json_string(eq ? eq + 1 : "");
        if (v && kv[0])
            json_object_set_new(obj, kv, v);
        else
            json_decref(v);
    }
    free(copy);
    return obj;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    char *nl = strchr(text, '\n');
    const char *rest = nl ? nl + 1 : "";
    if (nl)
        *nl = '\0';
    char *sp = strchr(text, ' ');
    const char *method = text, *path = sp ? sp + 1 : "/";
    if (sp)
        *sp = '\0';

    size_t n;
    const wd_route_t *table = wd_routes(&n), *route = NULL;
    wd_params_t params;
    char allow[128];
    int rc = wd_route_match(table, n, method, path, &route, &params, allow, sizeof allow);
    if (rc != 0 && rc != 400 && rc != 404 && rc != 405)
        abort();
    if (rc == 0 && !route)
        abort();
    if (rc == 0) {
        static const wd_role_t roles[] = {0, WD_ROLE_AGENT, WD_ROLE_SUPERVISOR, WD_ROLE_ADMIN};
        for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
            wd_principal_t who = {.authenticated = roles[i] != 0, .role = roles[i]};
            snprintf(who.csrf, sizeof who.csrf, "%s", "0123456789abcdef");
            const char *why = NULL;
            int a =
                wd_route_authorize(route, &who, rest[0] ? rest : NULL, "0123456789abcdef", &why);
            if (a != 0 && a != 401 && a != 403)
                abort();
            if (!who.authenticated && route->roles && a == 0)
                abort(); /* nobody gets past a route that needs a login without one */
        }
        bool query = strcmp(method, "GET") == 0;
        json_t *body = query ? s_query(rest) : json_loads(rest, JSON_REJECT_DUPLICATES, NULL);
        if (json_is_object(body)) {
            const char *field = NULL;
            char msg[256] = "";
            if (wd_fields_check(route->fields, body, query, &field, msg, sizeof msg) != 0 &&
                !msg[0])
                abort(); /* a 400 always says what is wrong */
        }
        json_decref(body);
    }
    free(text);
    return 0;
}
