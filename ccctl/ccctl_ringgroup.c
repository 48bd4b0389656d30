/* ccctl_ringgroup.c - `ccctl ringgroup ...`: ring groups (ring_groups) and the dialplan
 * route NUMBER -> group:NAME that reaches each, added and removed together. sipproxy
 * rings the members (sipproxy/sp_forward.c) and reloads on NOTIFY. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cc_dialplan.h"
#include "ccctl.h"
#include "ccctl_out.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

void ccctl_ringgroup_usage(FILE *out)
{
    fputs("usage: ccctl ringgroup add NAME NUMBER --members EXT,EXT,... [--mode all|order|hunt]\n"
          "                             [--ring SECONDS] [--fallback TARGET]\n"
          "       ccctl ringgroup del NAME\n"
          "       ccctl ringgroup list [--json]\n"
          "  A ring group is a number (a dialplan route to group:NAME) that rings its member\n"
          "  extensions (1-8): all at once (mode all, the default), one after the other in\n"
          "  order, or one after the other starting one further at each call (hunt, round\n"
          "  robin); --ring seconds (5-300, default 15) for the group (all) or each member.\n"
          "  When nobody answers the call goes to --fallback: ext:EXT, number:N or\n"
          "  vm:MAILBOX; without one it fails (no answer).\n",
          out);
}

/* "1001,1002" -> "{1001,1002}" (a text[] literal of checked extensions). */
static int s_members(const char *list, char *out, size_t len)
{
    char buf[256], err[128];
    if (strlen(list) >= sizeof buf)
        return ccctl_fail(CCCTL_EXIT_USAGE, "--members too long");
    snprintf(buf, sizeof buf, "%s", list);
    size_t used = 0;
    int n = 0;
    out[used++] = '{';
    for (char *save = NULL, *ext = strtok_r(buf, ",", &save); ext;
         ext = strtok_r(NULL, ",", &save)) {
        if (cc_extension_validate(ext, err, sizeof err) != 0)
            return ccctl_fail(CCCTL_EXIT_USAGE, "bad member: %s", err);
        if (++n > 8)
            return ccctl_fail(CCCTL_EXIT_USAGE, "at most 8 members");
        used += (size_t)snprintf(out + used, len - used, "%s%s", n > 1 ? "," : "", ext);
    }
    if (n == 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "--members lists no extension");
    snprintf(out + used, len - used, "}");
    return 0;
}

static bool s_fallback_ok(const char *t)
{
    char name[CC_TARGET_NAME_MAX], err[128];
    cc_target_kind_t kind;
    if (strncmp(t, "number:", 7) == 0) {
        size_t n = strlen(t + 7);
        return n > 0 && n <= 32 && strspn(t + 7, "0123456789+*#") == n;
    }
    return strlen(t) <= 44 && cc_target_parse(t, &kind, name, sizeof name, err, sizeof err) == 0 &&
           (kind == CC_TARGET_EXT || kind == CC_TARGET_VOICEMAIL);
}

static int s_add(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {
        {"--members", true}, {"--mode", true}, {"--ring", true}, {"--fallback", true}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 2, 2, "NAME NUMBER",
                         ccctl_ringgroup_usage);
    if (rc != 0)
        return rc;
    const char *name = args.pos[0], *number = args.pos[1];
    const char *mode = ccctl_arg(&args, "--mode") ? ccctl_arg(&args, "--mode") : "all";
    const char *ring = ccctl_arg(&args, "--ring") ? ccctl_arg(&args, "--ring") : "15";
    const char *fallback = ccctl_arg(&args, "--fallback");
    const char *members = ccctl_arg(&args, "--members");
    char kind_err[160], tname[CC_TARGET_NAME_MAX], text[CC_TARGET_NAME_MAX + 8], arr[256];
    cc_target_kind_t kind;
    snprintf(text, sizeof text, "group:%s", name);
    if (strlen(name) > 40 ||
        cc_target_parse(text, &kind, tname, sizeof tname, kind_err, sizeof kind_err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad name '%s': 1-40 of A-Z a-z 0-9 _ . -", name);
    if (cc_pattern_validate(number, kind_err, sizeof kind_err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad number: %s", kind_err);
    if (strcmp(mode, "all") && strcmp(mode, "order") && strcmp(mode, "hunt"))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --mode '%s': all, order or hunt", mode);
    char *end = NULL;
    long secs = strtol(ring, &end, 10);
    if (!ring[0] || *end || secs < 5 || secs > 300)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --ring '%s': 5-300 seconds", ring);
    if (fallback && !s_fallback_ok(fallback))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --fallback '%s': ext:EXT, number:N or vm:MAILBOX",
                          fallback);
    if (!members)
        return ccctl_usage_fail(ccctl_ringgroup_usage, "missing --members");
    if ((rc = s_members(members, arr, sizeof arr)) != 0)
        return rc;
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    if (cc_pg_begin(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "BEGIN failed");
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "checking the members",
                    "SELECT string_agg(m, ', ') FROM unnest($1::text[]) AS m "
                    "WHERE NOT EXISTS (SELECT 1 FROM sip_users u WHERE u.ext = m FOR KEY SHARE)",
                    1, (const char *const[]){arr}, &res);
    if (rc == 0 && !PQgetisnull(res, 0, 0))
        rc = ccctl_fail(CCCTL_EXIT_REFUSED,
                        "unknown extension(s) %s: add them with `ccctl user "
                        "add` first",
                        PQgetvalue(res, 0, 0));
    PQclear(res);
    if (rc == 0)
        rc = ccctl_exec(ctx, "adding the ring group",
                        "INSERT INTO ring_groups (name, mode, members, ring_s, fallback) "
                        "VALUES ($1, $2, $3::text[], $4::integer, $5)",
                        5, (const char *const[]){name, mode, arr, ring, fallback}, NULL);
    if (rc == 0)
        rc = ccctl_exec(ctx, "adding its route",
                        "INSERT INTO dialplan (pattern, target_kind, target) "
                        "VALUES ($1, 'group', $2)",
                        2, (const char *const[]){number, name}, NULL);
    if (rc != 0) {
        cc_pg_rollback(ctx->pg);
        return rc;
    }
    if (cc_pg_commit(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "COMMIT failed");
    printf("added ring group %s on %s: %s, members %s, %ld s%s%s\n", name, number, mode, members,
           secs, fallback ? ", then " : "", fallback ? fallback : "");
    return CCCTL_EXIT_OK;
}

static int s_del(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 1, 1, "NAME", ccctl_ringgroup_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    rc = ccctl_delete_routed(ctx, "ring_groups", "group", args.pos[0], "ring group");
    if (rc == 0)
        printf("deleted ring group %s and its routes\n", args.pos[0]);
    return rc;
}

static int s_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 0, 0, "", ccctl_ringgroup_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "listing ring groups",
                    "SELECT g.name, coalesce((SELECT string_agg(d.pattern, ' ' ORDER BY d.id) "
                    "FROM dialplan d WHERE d.target_kind = 'group' AND d.target = g.name), ''), "
                    "g.mode, array_to_string(g.members, ','), g.ring_s, coalesce(g.fallback, '') "
                    "FROM ring_groups g ORDER BY g.name",
                    0, NULL, &res);
    if (rc != 0)
        return rc;
    if (ccctl_flag(&args, "--json")) {
        json_t *list = json_array();
        for (int r = 0; r < PQntuples(res); r++)
            json_array_append_new(
                list, json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "name", PQgetvalue(res, r, 0),
                                "numbers", PQgetvalue(res, r, 1), "mode", PQgetvalue(res, r, 2),
                                "members", PQgetvalue(res, r, 3), "ring_s",
                                atoi(PQgetvalue(res, r, 4)), "fallback", PQgetvalue(res, r, 5)));
        ccctl_json_print(list, stdout);
    } else {
        static const char *const headers[] = {"NAME", "NUMBER",   "MODE", "MEMBERS",
                                              "RING", "FALLBACK", NULL};
        ccctl_table_print_result(headers, res, "", stdout);
    }
    PQclear(res);
    return CCCTL_EXIT_OK;
}

int ccctl_ringgroup_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"add", s_add}, {"del", s_del}, {"list", s_list}, {NULL, NULL}};
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_ringgroup_usage);
}
