/* ccctl_cdr.c - `ccctl cdr list`: the newest finished calls from cdrs, as cdrd wrote them.
 * Read-only; reports beyond a quick look belong to the BI views (v_cdr). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ccctl.h"
#include "ccctl_out.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))
#define CDR_LIMIT_DEFAULT "20"
#define CDR_LIMIT_MAX 100000

void ccctl_cdr_usage(FILE *out)
{
    fputs("usage: ccctl cdr list [--json] [--limit N]\n"
          "  The newest N (default " CDR_LIMIT_DEFAULT ") finished calls, newest first.\n"
          "  CALLEE is the number dialled, ANSWERED_BY who answered: an extension or trunk,\n"
          "  the agent who took a queue call, or the system (ivr:NAME, queue:NAME) when no\n"
          "  person did. RING_S is how long the caller waited for that answer, TALK_S the\n"
          "  time connected to a person, in seconds to the tenth (JSON: to the ms; - or null\n"
          "  when unknown). A caller who hung up in a queue before an agent took the call\n"
          "  is abandoned.\n",
          out);
}

/* A duration column in ms as seconds (JSON: exact to the ms; NULL, unknown, is null). */
static json_t *s_seconds_json(PGresult *res, int r, int c)
{
    if (PQgetisnull(res, r, c))
        return json_null();
    return json_real(atof(PQgetvalue(res, r, c)) / 1000.0);
}

/* ... and for people: seconds to the tenth, as `recording list` prints durations; "-" for
 * unknown. */
static void s_seconds_text(PGresult *res, int r, int c, char *buf, size_t len)
{
    if (PQgetisnull(res, r, c))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f", atof(PQgetvalue(res, r, c)) / 1000.0);
}

static void s_print_json(PGresult *res)
{
    json_t *list = json_array();
    for (int r = 0; r < PQntuples(res); r++)
        json_array_append_new(
            list,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "call_id",
                      PQgetvalue(res, r, 0), "created_at", PQgetvalue(res, r, 1), "caller",
                      PQgetvalue(res, r, 3), "callee", PQgetvalue(res, r, 4), "direction",
                      PQgetvalue(res, r, 5), "disposition", PQgetvalue(res, r, 6), "answered_by",
                      PQgetisnull(res, r, 9) ? json_null() : json_string(PQgetvalue(res, r, 9)),
                      "ring_s", s_seconds_json(res, r, 7), "talk_s", s_seconds_json(res, r, 8)));
    ccctl_json_print(list, stdout);
}

static void s_print_table(PGresult *res)
{
    static const char *const headers[] = {"CALL_ID",   "CREATED",     "CALLER",      "CALLEE",
                                          "DIRECTION", "DISPOSITION", "ANSWERED_BY", "RING_S",
                                          "TALK_S",    NULL};
    ccctl_table_t *table = ccctl_table_new(headers);
    for (int r = 0; table && r < PQntuples(res); r++) {
        char ring[32], talk[32];
        s_seconds_text(res, r, 7, ring, sizeof ring);
        s_seconds_text(res, r, 8, talk, sizeof talk);
        const char *cells[] = {PQgetvalue(res, r, 0),
                               PQgetvalue(res, r, 2),
                               PQgetvalue(res, r, 3),
                               PQgetvalue(res, r, 4),
                               PQgetvalue(res, r, 5),
                               PQgetvalue(res, r, 6),
                               PQgetisnull(res, r, 9) ? NULL : PQgetvalue(res, r, 9),
                               ring,
                               talk};
        ccctl_table_add(table, cells);
    }
    ccctl_table_print_destroy(&table, stdout);
}

static int s_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}, {"--limit", true}};
    ccctl_args_t args;
    long limit = 0;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 0, 0, "", ccctl_cdr_usage);
    const char *limit_text = ccctl_arg(&args, "--limit");
    if (rc == 0 && !limit_text)
        limit_text = CDR_LIMIT_DEFAULT;
    if (rc == 0 && ccctl_parse_long(limit_text, 1, CDR_LIMIT_MAX, &limit) != 0)
        rc = ccctl_fail(CCCTL_EXIT_USAGE, "bad --limit '%s': a number 1-%d", limit_text,
                        CDR_LIMIT_MAX);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *params[] = {limit_text};
    PGresult *res = cc_pg_exec_params(
        ctx->pg,
        "SELECT call_id,"
        "  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
        "  to_char(created_at, 'YYYY-MM-DD HH24:MI:SS'),"
        "  caller, callee, direction, disposition, ring_ms, talk_ms, answered_by "
        "FROM cdrs ORDER BY created_at DESC, call_id LIMIT $1",
        1, params);
    if (!res)
        return ccctl_db_fail(ctx, "listing CDRs failed");
    if (ccctl_flag(&args, "--json"))
        s_print_json(res);
    else
        s_print_table(res);
    PQclear(res);
    return CCCTL_EXIT_OK;
}

int ccctl_cdr_main(ccctl_t *ctx, int argc, char **argv)
{
    if (ccctl_wants_help(argc - 1, argv + 1)) {
        ccctl_cdr_usage(stdout);
        return CCCTL_EXIT_OK;
    }
    const char *sub = argc > 1 ? argv[1] : NULL;
    if (!sub)
        return ccctl_usage_fail(ccctl_cdr_usage, "cdr: missing sub-command");
    if (strcmp(sub, "list") == 0)
        return s_list(ctx, argc - 2, argv + 2);
    return ccctl_usage_fail(ccctl_cdr_usage, "cdr: unknown sub-command '%s'", sub);
}
