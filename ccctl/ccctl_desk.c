/* ccctl_desk.c - what the agent desktop (webd's /agent page) reads from Postgres:
 * `ccctl agent reason add|list|del` (the pause reasons an agent picks from) and
 * `ccctl queue disposition add|list|del|require` (the wrap-up codes of a queue, and whether
 * the queue wants one saved before its agent goes ready again). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cc_events.h"
#include "ccctl.h"
#include "ccctl_acd.h"
#include "ccctl_out.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

void ccctl_agent_reason_usage(FILE *out)
{
    fputs("usage: ccctl agent reason add NAME [--label TEXT]\n"
          "       ccctl agent reason list [--json]\n"
          "       ccctl agent reason del NAME\n"
          "  The pause reasons an agent picks from on the agent desktop. NAME (1-31 letters,\n"
          "  digits, _ . -) is what acdd records as the not-ready reason; the label is shown.\n",
          out);
}

void ccctl_queue_disposition_usage(FILE *out)
{
    fputs("usage: ccctl queue disposition add QUEUE CODE LABEL\n"
          "       ccctl queue disposition list [QUEUE] [--json]\n"
          "       ccctl queue disposition del QUEUE CODE\n"
          "       ccctl queue disposition require QUEUE yes|no\n"
          "  Wrap-up codes an agent gives a call of the queue on the agent desktop, saved with\n"
          "  the call (table call_wrapups, view v_call_wrapups). With require yes the desktop\n"
          "  refuses ready after a call of the queue until a code was saved for it.\n",
          out);
}

static int s_label_check(const char *label, void (*usage)(FILE *out))
{
    size_t n = strlen(label);
    if (n < 1 || n > 80)
        return ccctl_usage_fail(usage, "bad label: 1-80 characters");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f)
            return ccctl_usage_fail(usage, "bad label: no control characters");
    return 0;
}

static int s_name_check(const char *what, const char *name, void (*usage)(FILE *out))
{
    if (!ccctl_acd_name_ok(name) || strlen(name) > 31)
        return ccctl_usage_fail(usage, "bad %s '%s': 1-31 letters, digits, _ . -", what, name);
    return 0;
}

/* Print rows as a table (headers) or as JSON objects with the result's column names. */
static void s_print(PGresult *res, const char *const *headers, bool json)
{
    if (json) {
        json_t *rows = json_array();
        for (int r = 0; r < PQntuples(res); r++) {
            json_t *o = json_object();
            for (int c = 0; c < PQnfields(res); c++)
                json_object_set_new(o, PQfname(res, c),
                                    !strcmp(PQfname(res, c), "required")
                                        ? json_boolean(PQgetvalue(res, r, c)[0] == 't')
                                        : json_string(PQgetvalue(res, r, c)));
            json_array_append_new(rows, o);
        }
        ccctl_json_print(rows, stdout);
        return;
    }
    ccctl_table_t *t = ccctl_table_new(headers);
    for (int r = 0; t && r < PQntuples(res); r++) {
        const char *cells[8] = {NULL};
        for (int c = 0; c < PQnfields(res) && c < 8; c++)
            cells[c] = !strcmp(PQfname(res, c), "required")
                           ? (PQgetvalue(res, r, c)[0] == 't' ? "yes" : "no")
                           : PQgetvalue(res, r, c);
        ccctl_table_add(t, cells);
    }
    ccctl_table_print_destroy(&t, stdout);
}

/* ---- agent reason ------------------------------------------------------------------------ */

static int s_reason_add(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_acd_opt_t opts[] = {{"--label", true, false}};
    ccctl_acd_args_t a;
    int rc =
        ccctl_acd_parse(&a, argc, argv, opts, N_OPTS(opts), 1, "NAME", ccctl_agent_reason_usage);
    if (rc != 0)
        return rc;
    const char *name = a.pos[0], *label = ccctl_acd_arg(&a, "--label");
    if (!label)
        label = name;
    if ((rc = s_name_check("reason", name, ccctl_agent_reason_usage)) != 0 ||
        (rc = s_label_check(label, ccctl_agent_reason_usage)) != 0)
        return rc;
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {name, label};
    rc = ccctl_exec(ctx, "adding the pause reason",
                    "INSERT INTO agent_pause_reasons (name, label) VALUES ($1, $2)", 2, p, NULL);
    if (rc == 0)
        printf("pause reason %s added\n", name);
    return rc;
}

static int s_reason_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_acd_opt_t opts[] = {{"--json", false, false}};
    ccctl_acd_args_t a;
    int rc = ccctl_acd_parse(&a, argc, argv, opts, N_OPTS(opts), 0, "", ccctl_agent_reason_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "reading the pause reasons",
                    "SELECT name, label FROM agent_pause_reasons ORDER BY name", 0, NULL, &res);
    if (rc != 0)
        return rc;
    static const char *const headers[] = {"NAME", "LABEL", NULL};
    s_print(res, headers, ccctl_acd_arg(&a, "--json") != NULL);
    PQclear(res);
    return CCCTL_EXIT_OK;
}

static int s_reason_del(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_acd_args_t a;
    int rc = ccctl_acd_parse(&a, argc, argv, NULL, 0, 1, "NAME", ccctl_agent_reason_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {a.pos[0]};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "deleting the pause reason",
                    "DELETE FROM agent_pause_reasons WHERE name = $1 RETURNING name", 1, p, &res);
    if (rc == 0 && PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no pause reason '%s'", a.pos[0]);
    PQclear(res);
    if (rc == 0)
        printf("pause reason %s deleted\n", a.pos[0]);
    return rc;
}

int ccctl_agent_reason(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"add", s_reason_add}, {"list", s_reason_list}, {"del", s_reason_del}, {NULL, NULL}};
    /* argv[-1] is "reason": the group's name for the dispatcher */
    return ccctl_dispatch(ctx, argc + 1, argv - 1, subs, ccctl_agent_reason_usage);
}

/* ---- queue disposition --------------------------------------------------------------------- */

static int s_queue_exists(ccctl_t *ctx, const char *queue)
{
    const char *p[] = {queue};
    PGresult *res = NULL;
    int rc =
        ccctl_exec(ctx, "checking the queue", "SELECT 1 FROM queues WHERE name = $1", 1, p, &res);
    if (rc == 0 && PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "unknown queue '%s'", queue);
    PQclear(res);
    return rc;
}

static int s_disp_add(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_acd_args_t a;
    int rc = ccctl_acd_parse(&a, argc, argv, NULL, 0, 3, "QUEUE CODE LABEL",
                             ccctl_queue_disposition_usage);
    if (rc != 0)
        return rc;
    if (!ccctl_acd_name_ok(a.pos[0]))
        return ccctl_usage_fail(ccctl_queue_disposition_usage, "bad queue name '%s'", a.pos[0]);
    if ((rc = s_name_check("code", a.pos[1], ccctl_queue_disposition_usage)) != 0 ||
        (rc = s_label_check(a.pos[2], ccctl_queue_disposition_usage)) != 0)
        return rc;
    if (!ccctl_db(ctx, true, &rc) || (rc = s_queue_exists(ctx, a.pos[0])) != 0)
        return rc;
    const char *p[] = {a.pos[0], a.pos[1], a.pos[2]};
    rc = ccctl_exec(ctx, "adding the wrap-up code",
                    "INSERT INTO queue_wrapup_codes (queue, code, label) VALUES ($1, $2, $3)", 3, p,
                    NULL);
    if (rc == 0)
        printf("queue %s: wrap-up code %s added\n", a.pos[0], a.pos[1]);
    return rc;
}

static int s_disp_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_acd_opt_t opts[] = {{"--json", false, false}};
    ccctl_acd_args_t a;
    int npos = 0; /* the queue is optional */
    for (int i = 0; i < argc; i++)
        npos += argv[i][0] != '-';
    int rc = ccctl_acd_parse(&a, argc, argv, opts, N_OPTS(opts), npos > 1 ? 1 : npos, "[QUEUE]",
                             ccctl_queue_disposition_usage);
    if (rc != 0)
        return rc;
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {a.npos ? a.pos[0] : NULL};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "reading the wrap-up codes",
                    "SELECT c.queue, c.code, c.label, q.wrapup_code_required AS required "
                    "FROM queue_wrapup_codes c JOIN queues q ON q.name = c.queue "
                    "WHERE $1::text IS NULL OR c.queue = $1 ORDER BY c.queue, c.code",
                    1, p, &res);
    if (rc != 0)
        return rc;
    static const char *const headers[] = {"QUEUE", "CODE", "LABEL", "REQUIRED", NULL};
    s_print(res, headers, ccctl_acd_arg(&a, "--json") != NULL);
    PQclear(res);
    return CCCTL_EXIT_OK;
}

static int s_disp_del(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_acd_args_t a;
    int rc =
        ccctl_acd_parse(&a, argc, argv, NULL, 0, 2, "QUEUE CODE", ccctl_queue_disposition_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {a.pos[0], a.pos[1]};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "deleting the wrap-up code",
                    "DELETE FROM queue_wrapup_codes WHERE queue = $1 AND code = $2 RETURNING code",
                    2, p, &res);
    if (rc == 0 && PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "queue '%s' has no wrap-up code '%s'", a.pos[0],
                        a.pos[1]);
    PQclear(res);
    if (rc == 0)
        printf("queue %s: wrap-up code %s deleted\n", a.pos[0], a.pos[1]);
    return rc;
}

static int s_disp_require(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_acd_args_t a;
    int rc =
        ccctl_acd_parse(&a, argc, argv, NULL, 0, 2, "QUEUE yes|no", ccctl_queue_disposition_usage);
    if (rc != 0)
        return rc;
    const char *yn = a.pos[1];
    if (strcmp(yn, "yes") != 0 && strcmp(yn, "no") != 0)
        return ccctl_usage_fail(ccctl_queue_disposition_usage, "say yes or no, not '%s'", yn);
    if (!ccctl_db(ctx, true, &rc) || (rc = s_queue_exists(ctx, a.pos[0])) != 0)
        return rc;
    const char *p[] = {a.pos[0], !strcmp(yn, "yes") ? "true" : "false"};
    rc = ccctl_exec(ctx, "setting the queue",
                    "UPDATE queues SET wrapup_code_required = $2::boolean WHERE name = $1", 2, p,
                    NULL);
    if (rc == 0)
        printf("queue %s: a wrap-up code is %s before ready\n", a.pos[0],
               !strcmp(yn, "yes") ? "required" : "not required");
    return rc;
}

int ccctl_queue_disposition(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {{"add", s_disp_add},
                                       {"list", s_disp_list},
                                       {"del", s_disp_del},
                                       {"require", s_disp_require},
                                       {NULL, NULL}};
    return ccctl_dispatch(ctx, argc + 1, argv - 1, subs, ccctl_queue_disposition_usage);
}

/* ---- web hook ------------------------------------------------------------------------------ */

void ccctl_web_hook_usage(FILE *out)
{
    fputs("usage: ccctl web hook add URL --events TYPE[,TYPE...]\n"
          "       ccctl web hook list [--json]\n"
          "       ccctl web hook del ID\n"
          "       ccctl web hook revive ID\n"
          "  webd posts each live bus event of those types (docs/EVENTS.md, e.g.\n"
          "  queue.offered,call.answered,agent.state) as JSON to URL (http or https), in order,\n"
          "  signed: X-CC-Signature: sha256=HEX, the HMAC-SHA256 of the body with the secret\n"
          "  add prints once. A failed post is retried with a doubling delay; a hook that keeps\n"
          "  failing is marked dead (list shows it) and gets nothing until revive.\n",
          out);
}

static int s_hook_add(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_acd_opt_t opts[] = {{"--events", true, false}};
    ccctl_acd_args_t a;
    int rc = ccctl_acd_parse(&a, argc, argv, opts, N_OPTS(opts), 1, "URL", ccctl_web_hook_usage);
    if (rc != 0)
        return rc;
    const char *url = a.pos[0], *events = ccctl_acd_arg(&a, "--events");
    size_t ulen = strlen(url);
    bool url_ok = (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8)) && ulen < 1000;
    for (size_t i = 0; url_ok && i < ulen; i++)
        url_ok = url[i] > 0x20 && url[i] < 0x7f;
    if (!url_ok)
        return ccctl_usage_fail(ccctl_web_hook_usage, "bad URL '%s': http:// or https://", url);
    if (!events || !*events)
        return ccctl_usage_fail(ccctl_web_hook_usage, "--events is required");
    char list[2048], arr[2100];
    snprintf(list, sizeof list, "%s", events);
    size_t used = (size_t)snprintf(arr, sizeof arr, "{");
    int n = 0;
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!cc_events_find(CC_DEF_EVENT, t))
            return ccctl_usage_fail(ccctl_web_hook_usage,
                                    "unknown event '%s' (docs/EVENTS.md lists them)", t);
        used += (size_t)snprintf(arr + used, sizeof arr - used, "%s\"%s\"", n++ ? "," : "", t);
        if (used >= sizeof arr - 4 || n > 64)
            return ccctl_usage_fail(ccctl_web_hook_usage, "too many events");
    }
    snprintf(arr + used, sizeof arr - used, "}");
    if (n == 0)
        return ccctl_usage_fail(ccctl_web_hook_usage, "--events names no event");
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    unsigned char raw[24];
    char secret[sizeof raw * 2 + 1];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(secret, sizeof secret, raw, sizeof raw);
    const char *p[] = {url, arr, secret};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "adding the hook",
                    "INSERT INTO web_hooks (url, events, secret) VALUES ($1, $2::text[], $3) "
                    "RETURNING id",
                    3, p, &res);
    if (rc == 0)
        printf("hook %s: %s\nsecret (shown once): %s\n", PQgetvalue(res, 0, 0), url, secret);
    PQclear(res);
    sodium_memzero(secret, sizeof secret);
    return rc;
}

static int s_hook_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_acd_opt_t opts[] = {{"--json", false, false}};
    ccctl_acd_args_t a;
    int rc = ccctl_acd_parse(&a, argc, argv, opts, N_OPTS(opts), 0, "", ccctl_web_hook_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "reading the hooks",
                    "SELECT id::text AS id, url, array_to_string(events, ',') AS events, "
                    "CASE WHEN dead_at IS NULL THEN 'alive' ELSE 'dead since ' || "
                    "to_char(dead_at, 'YYYY-MM-DD HH24:MI:SS') END AS state, "
                    "coalesce(last_error, '') AS last_error FROM web_hooks ORDER BY id",
                    0, NULL, &res);
    if (rc != 0)
        return rc;
    static const char *const headers[] = {"ID", "URL", "EVENTS", "STATE", "LAST_ERROR", NULL};
    s_print(res, headers, ccctl_acd_arg(&a, "--json") != NULL);
    PQclear(res);
    return CCCTL_EXIT_OK;
}

static int s_hook_id(ccctl_t *ctx, int argc, char **argv, const char *sql, const char *what,
                     const char *done)
{
    ccctl_acd_args_t a;
    int rc = ccctl_acd_parse(&a, argc, argv, NULL, 0, 1, "ID", ccctl_web_hook_usage);
    if (rc != 0)
        return rc;
    size_t n = strlen(a.pos[0]);
    if (n == 0 || n > 18 || strspn(a.pos[0], "0123456789") != n)
        return ccctl_usage_fail(ccctl_web_hook_usage, "bad ID '%s'", a.pos[0]);
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {a.pos[0]};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, what, sql, 1, p, &res);
    if (rc == 0 && PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no hook %s", a.pos[0]);
    PQclear(res);
    if (rc == 0)
        printf("hook %s %s\n", a.pos[0], done);
    return rc;
}

static int s_hook_del(ccctl_t *ctx, int argc, char **argv)
{
    return s_hook_id(ctx, argc, argv, "DELETE FROM web_hooks WHERE id = $1::bigint RETURNING id",
                     "deleting the hook", "deleted");
}

static int s_hook_revive(ccctl_t *ctx, int argc, char **argv)
{
    return s_hook_id(ctx, argc, argv,
                     "UPDATE web_hooks SET dead_at = NULL, last_error = NULL "
                     "WHERE id = $1::bigint RETURNING id",
                     "reviving the hook", "revived: new events are posted again");
}

int ccctl_web_hook(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {{"add", s_hook_add},
                                       {"list", s_hook_list},
                                       {"del", s_hook_del},
                                       {"revive", s_hook_revive},
                                       {NULL, NULL}};
    return ccctl_dispatch(ctx, argc + 1, argv - 1, subs, ccctl_web_hook_usage);
}
