/* ccctl_route.c - `ccctl route ...`: the dialplan table. Patterns and targets are checked
 * with common/cc_dialplan.h and `route test` matches with it too (users' extensions
 * included), so ccctl agrees with sipproxy by construction. Also checks that targets exist. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cc_dialplan.h"
#include "ccctl.h"
#include "ccctl_out.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

void ccctl_route_usage(FILE *out)
{
    fputs("usage: ccctl route add PATTERN TARGET [--strip N] [--prefix P]\n"
          "       ccctl route del PATTERN\n"
          "       ccctl route list [--json]\n"
          "       ccctl route test NUMBER [--json]\n"
          "  PATTERN: digits * # + literally, X any digit, Z 1-9, N 2-9, [1-5] a set,\n"
          "           a final . one or more characters, a final ! zero or more.\n"
          "  TARGET:  ext:EXT | queue:NAME | ivr:NAME | trunk:NAME | conf:ROOM | vm:MAILBOX\n"
          "           | group:NAME (a ring group; `ccctl ringgroup add` adds one with its route)\n"
          "           (must exist; a mailbox is an extension's or a queue's).\n"
          "  --strip N removes N leading characters, then --prefix P is prepended (trunks).\n"
          "  Every user's extension is dialable without a route; a route with exactly the\n"
          "  extension as its pattern sends that number elsewhere. `route test` shows both.\n",
          out);
}

/* Checked PATTERN, TARGET, --strip and --prefix. 0 or an exit code (message printed). */
static int s_check_add(const ccctl_args_t *args, cc_target_kind_t *kind, char *name, size_t namelen,
                       long *strip)
{
    char err[160];
    const char *pattern = args->pos[0], *target = args->pos[1];
    const char *strip_text = ccctl_arg(args, "--strip"), *prefix = ccctl_arg(args, "--prefix");
    if (strlen(pattern) >= CC_PATTERN_MAX)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad pattern '%s': longer than %d characters", pattern,
                          CC_PATTERN_MAX - 1);
    if (cc_pattern_validate(pattern, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad pattern '%s': %s", pattern, err);
    if (cc_target_parse(target, kind, name, namelen, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad target '%s': %s", target, err);
    *strip = 0;
    if (strip_text && ccctl_parse_long(strip_text, 0, CC_NUMBER_MAX - 1, strip) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --strip '%s': a number 0-%d", strip_text,
                          CC_NUMBER_MAX - 1);
    if (prefix && ccctl_number_check(prefix, true, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --prefix: %s", err);
    return 0;
}

/* Inside the add transaction: the target must exist, and is KEY SHARE locked so it cannot
 * be deleted before we commit. 0 or an exit code. */
static int s_target_exists(ccctl_t *ctx, cc_target_kind_t kind, const char *name)
{
    static const struct {
        const char *what, *sql, *hint;
    } checks[] = {
        [CC_TARGET_EXT] = {"extension", "SELECT 1 FROM sip_users WHERE ext = $1 FOR KEY SHARE",
                           "add it with `ccctl user add` first"},
        [CC_TARGET_QUEUE] = {"queue", "SELECT 1 FROM queues WHERE name = $1 FOR KEY SHARE",
                             "add it with `ccctl queue add` first"},
        [CC_TARGET_IVR] = {"IVR flow", "SELECT 1 FROM ivr_flows_live WHERE name = $1 FOR KEY SHARE",
                           "load it with `ccctl ivr load` first"},
        [CC_TARGET_TRUNK] = {"trunk", "SELECT 1 FROM trunks WHERE name = $1 FOR KEY SHARE",
                             "add it with `ccctl trunk add` first"},
        [CC_TARGET_CONF] = {"conference room",
                            "SELECT 1 FROM conferences WHERE name = $1 FOR KEY SHARE",
                            "add it with `ccctl conf add` first"},
        [CC_TARGET_VOICEMAIL] =
            {"mailbox",
             "WITH u AS (SELECT 1 FROM sip_users WHERE ext = $1 FOR KEY SHARE), "
             "q AS (SELECT 1 FROM queues WHERE name = $1 FOR KEY SHARE) "
             "SELECT 1 FROM u UNION ALL SELECT 1 FROM q",
             "a mailbox is an extension's or a queue's"},
        [CC_TARGET_GROUP] = {"ring group",
                             "SELECT 1 FROM ring_groups WHERE name = $1 FOR KEY SHARE",
                             "add it with `ccctl ringgroup add` first"},
    };
    if ((unsigned)kind >= sizeof checks / sizeof checks[0])
        return ccctl_fail(CCCTL_EXIT_USAGE, "unknown target kind");
    const char *params[] = {name};
    PGresult *res = cc_pg_exec_params(ctx->pg, checks[kind].sql, 1, params);
    if (!res)
        return ccctl_db_fail(ctx, "checking the target failed");
    int rc = 0;
    if (PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "unknown %s '%s': %s", checks[kind].what, name,
                        checks[kind].hint);
    PQclear(res);
    return rc;
}

static int s_insert(ccctl_t *ctx, const char *pattern, cc_target_kind_t kind, const char *name,
                    long strip, const char *prefix)
{
    char strip_text[16];
    snprintf(strip_text, sizeof strip_text, "%ld", strip);
    const char *params[] = {pattern, cc_target_kind_name(kind), name, strip_text, prefix};
    PGresult *res =
        cc_pg_exec_params(ctx->pg,
                          "INSERT INTO dialplan (pattern, target_kind, target, strip, prefix) "
                          "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                          5, params);
    if (!res) {
        if (strcmp(cc_pg_sqlstate(ctx->pg), "23505") == 0)
            return ccctl_fail(CCCTL_EXIT_REFUSED, "a route for pattern '%s' already exists",
                              pattern);
        return ccctl_db_fail(ctx, "adding the route failed");
    }
    printf("added route %s -> %s:%s (id %s)\n", pattern, cc_target_kind_name(kind), name,
           PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

static int s_add(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--strip", true}, {"--prefix", true}};
    ccctl_args_t args;
    cc_target_kind_t kind = CC_TARGET_EXT;
    char name[CC_TARGET_NAME_MAX];
    long strip = 0;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 2, 2, "PATTERN TARGET",
                         ccctl_route_usage);
    if (rc == 0)
        rc = s_check_add(&args, &kind, name, sizeof name, &strip);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *prefix = ccctl_arg(&args, "--prefix");
    if (cc_pg_begin(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "BEGIN failed");
    rc = s_target_exists(ctx, kind, name);
    if (rc == 0)
        rc = s_insert(ctx, args.pos[0], kind, name, strip, prefix ? prefix : "");
    if (rc == 0 && cc_pg_commit(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "COMMIT failed");
    if (rc != 0)
        cc_pg_rollback(ctx->pg);
    return rc;
}

static int s_del(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 1, 1, "PATTERN", ccctl_route_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *params[] = {args.pos[0]};
    PGresult *res = cc_pg_exec_params(
        ctx->pg, "DELETE FROM dialplan WHERE pattern = $1 RETURNING target_kind, target", 1,
        params);
    if (!res)
        return ccctl_db_fail(ctx, "deleting the route failed");
    if (PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no route with pattern '%s'", args.pos[0]);
    else
        printf("deleted route %s -> %s:%s\n", args.pos[0], PQgetvalue(res, 0, 0),
               PQgetvalue(res, 0, 1));
    PQclear(res);
    return rc;
}

static PGresult *s_select_routes(ccctl_t *ctx)
{
    return cc_pg_exec_params(
        ctx->pg, "SELECT id, pattern, target_kind, target, strip, prefix FROM dialplan ORDER BY id",
        0, NULL);
}

static void s_print_routes(PGresult *res, bool json)
{
    if (json) {
        json_t *list = json_array();
        for (int r = 0; r < PQntuples(res); r++)
            json_array_append_new(
                list, json_pack("{s:I, s:s, s:s, s:s, s:i, s:s}", "id",
                                (json_int_t)atoll(PQgetvalue(res, r, 0)), "pattern",
                                PQgetvalue(res, r, 1), "target_kind", PQgetvalue(res, r, 2),
                                "target", PQgetvalue(res, r, 3), "strip",
                                atoi(PQgetvalue(res, r, 4)), "prefix", PQgetvalue(res, r, 5)));
        ccctl_json_print(list, stdout);
        return;
    }
    static const char *const headers[] = {"ID", "PATTERN", "TARGET", "STRIP", "PREFIX", NULL};
    ccctl_table_t *table = ccctl_table_new(headers);
    for (int r = 0; table && r < PQntuples(res); r++) {
        char target[CC_TARGET_NAME_MAX + 16];
        snprintf(target, sizeof target, "%s:%s", PQgetvalue(res, r, 2), PQgetvalue(res, r, 3));
        const char *cells[] = {PQgetvalue(res, r, 0), PQgetvalue(res, r, 1), target,
                               PQgetvalue(res, r, 4), PQgetvalue(res, r, 5)};
        ccctl_table_add(table, cells);
    }
    ccctl_table_print_destroy(&table, stdout);
}

static int s_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 0, 0, "", ccctl_route_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    PGresult *res = s_select_routes(ctx);
    if (!res)
        return ccctl_db_fail(ctx, "listing routes failed");
    s_print_routes(res, ccctl_flag(&args, "--json"));
    PQclear(res);
    return CCCTL_EXIT_OK;
}

/* Each enabled user's extension of sipproxy's realm as its implicit route, as sipproxy
 * loads them (sp_db.c). 0 or -1 (message printed). */
static int s_add_extensions(ccctl_t *ctx, cc_dialplan_t *plan)
{
    const char *params[] = {cc_config_str(ctx->cfg, "common", "sip_domain")};
    PGresult *res = cc_pg_exec_params(
        ctx->pg, "SELECT ext FROM sip_users WHERE realm = $1 AND enabled", 1, params);
    if (!res) {
        ccctl_db_fail(ctx, "reading the users failed");
        return -1;
    }
    for (int r = 0; r < PQntuples(res); r++)
        cc_dialplan_add_extension(plan, PQgetvalue(res, r, 0));
    PQclear(res);
    return 0;
}

/* Every route of the table and every user's extension into a cc_dialplan, as sipproxy
 * loads them. NULL on failure. */
static cc_dialplan_t *s_load_dialplan(ccctl_t *ctx)
{
    cc_dialplan_t *plan = cc_dialplan_new();
    if (plan && s_add_extensions(ctx, plan) != 0) {
        cc_dialplan_destroy(&plan);
        return NULL;
    }
    PGresult *res = s_select_routes(ctx);
    if (!res) {
        cc_dialplan_destroy(&plan);
        ccctl_db_fail(ctx, "reading the dialplan failed");
        return NULL;
    }
    for (int r = 0; plan && r < PQntuples(res); r++) {
        cc_route_t route = {.id = atol(PQgetvalue(res, r, 0)),
                            .strip = atoi(PQgetvalue(res, r, 4))};
        char target[CC_TARGET_NAME_MAX + 16], err[128];
        snprintf(route.pattern, sizeof route.pattern, "%s", PQgetvalue(res, r, 1));
        snprintf(route.prefix, sizeof route.prefix, "%s", PQgetvalue(res, r, 5));
        snprintf(target, sizeof target, "%s:%s", PQgetvalue(res, r, 2), PQgetvalue(res, r, 3));
        if (cc_target_parse(target, &route.kind, route.target, sizeof route.target, err,
                            sizeof err) != 0 ||
            cc_dialplan_add(plan, &route) != 0)
            fprintf(stderr,
                    "ccctl: warning: route %ld (%s -> %s) is not valid and is "
                    "ignored\n",
                    route.id, route.pattern, target);
    }
    PQclear(res);
    return plan;
}

static void s_print_match(const char *number, const cc_route_t *route, bool json)
{
    char dial[CC_NUMBER_MAX * 2] = "";
    if (route && cc_route_rewrite(route, number, dial, sizeof dial) != 0)
        snprintf(dial, sizeof dial, "(does not fit)");
    const char *kind = route ? cc_target_kind_name(route->kind) : "";
    if (json) {
        json_t *obj = json_pack("{s:s, s:b}", "number", number, "matched", route != NULL);
        if (route)
            json_object_set_new(
                obj, "route",
                json_pack("{s:o, s:s, s:s, s:s, s:s, s:b}", "id",
                          route->implicit ? json_null() : json_integer((json_int_t)route->id),
                          "pattern", route->pattern, "target_kind", kind, "target", route->target,
                          "dial", dial, "implicit", route->implicit));
        ccctl_json_print(obj, stdout);
    } else if (route && route->implicit) {
        printf("%s -> %s:%s (the user's extension: no route needed)\n", number, kind,
               route->target);
    } else if (route) {
        printf("%s -> %s:%s (pattern %s, route %ld)", number, kind, route->target, route->pattern,
               route->id);
        if (strcmp(dial, number) != 0)
            printf(", sent on as %s", dial);
        printf("\n");
    } else {
        printf("%s: no route (sipproxy answers 404 Not Found)\n", number);
    }
}

static int s_test(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}};
    ccctl_args_t args;
    char err[160];
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 1, 1, "NUMBER", ccctl_route_usage);
    if (rc == 0 && ccctl_number_check(args.pos[0], false, err, sizeof err) != 0)
        rc = ccctl_fail(CCCTL_EXIT_USAGE, "bad number: %s", err);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    cc_dialplan_t *plan = s_load_dialplan(ctx);
    if (!plan)
        return CCCTL_EXIT_REFUSED;
    const cc_route_t *route = cc_dialplan_match(plan, args.pos[0]);
    s_print_match(args.pos[0], route, ccctl_flag(&args, "--json"));
    rc = route ? CCCTL_EXIT_OK : CCCTL_EXIT_REFUSED;
    cc_dialplan_destroy(&plan);
    return rc;
}

int ccctl_route_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"add", s_add}, {"del", s_del}, {"list", s_list}, {"test", s_test}, {NULL, NULL},
    };
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_route_usage);
}
