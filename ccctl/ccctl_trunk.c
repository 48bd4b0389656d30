/* ccctl_trunk.c - `ccctl trunk ...`: the trunks table (SIP providers and other PBXs).
 * The trunk's password is stored because answering the provider's digest challenge needs
 * it; ccctl writes it but never prints it. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cc_dialplan.h"
#include "ccctl.h"
#include "ccctl_out.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))
#define HOST_MAX 256

void ccctl_trunk_usage(FILE *out)
{
    fputs("usage: ccctl trunk add NAME --host HOST[:PORT] [--user U --password P]\n"
          "                           [--transport udp|tcp|tls] [--srtp required|optional|off]\n"
          "       ccctl trunk del NAME\n"
          "       ccctl trunk list [--json]\n"
          "  NAME: 1-63 of A-Z a-z 0-9 _ . -; PORT defaults to 5060, IPv6 as [addr]:port.\n"
          "  --user and --password (\"-\": read from standard input) go together: they answer\n"
          "  the far side's digest challenge. Passwords are never printed.\n"
          "  --srtp: SRTP on the trunk's calls: required (our offers are RTP/SAVP, a plain\n"
          "  offer gets 488), optional (the default: SRTP when the far side offers it), off.\n",
          out);
}

typedef struct {
    const char *name;
    char host[HOST_MAX];
    char port[8];
    const char *user;
    char password[256];
    const char *transport;
    const char *srtp;
} s_trunk_t;

static int s_check_add(const ccctl_args_t *args, s_trunk_t *t)
{
    char err[160], target[CC_TARGET_NAME_MAX + 8], name[CC_TARGET_NAME_MAX];
    cc_target_kind_t kind;
    const char *hostport = ccctl_arg(args, "--host"), *pw = ccctl_arg(args, "--password");
    int port = 0;
    t->name = args->pos[0];
    t->user = ccctl_arg(args, "--user");
    t->transport = ccctl_arg(args, "--transport") ? ccctl_arg(args, "--transport") : "udp";
    t->srtp = ccctl_arg(args, "--srtp") ? ccctl_arg(args, "--srtp") : "optional";
    if (strcmp(t->srtp, "required") && strcmp(t->srtp, "optional") && strcmp(t->srtp, "off"))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --srtp '%s': required, optional or off", t->srtp);
    /* The same name rule as a "trunk:NAME" dialplan target, so every trunk is routable. */
    snprintf(target, sizeof target, "trunk:%s", t->name);
    if (strlen(t->name) >= CC_TARGET_NAME_MAX ||
        cc_target_parse(target, &kind, name, sizeof name, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad trunk name '%s': 1-63 of A-Z a-z 0-9 _ . -",
                          t->name);
    if (!hostport)
        return ccctl_usage_fail(ccctl_trunk_usage, "missing --host");
    if (ccctl_hostport_parse(hostport, 5060, t->host, sizeof t->host, &port, err, sizeof err))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --host: %s", err);
    snprintf(t->port, sizeof t->port, "%d", port);
    if (strcmp(t->transport, "udp") != 0 && strcmp(t->transport, "tcp") != 0 &&
        strcmp(t->transport, "tls") != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --transport '%s': udp, tcp or tls", t->transport);
    if (!t->user != !pw)
        return ccctl_usage_fail(ccctl_trunk_usage, "--user and --password go together");
    if (t->user && !t->user[0])
        return ccctl_fail(CCCTL_EXIT_USAGE, "empty --user");
    if (pw && ccctl_read_secret(pw, t->password, sizeof t->password) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "no password on standard input, or too long");
    if (pw && !t->password[0])
        return ccctl_fail(CCCTL_EXIT_USAGE, "empty password");
    return 0;
}

static int s_add(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--host", true},
                                       {"--user", true},
                                       {"--password", true},
                                       {"--transport", true},
                                       {"--srtp", true}};
    ccctl_args_t args;
    s_trunk_t t = {0};
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 1, 1, "NAME", ccctl_trunk_usage);
    if (rc == 0)
        rc = s_check_add(&args, &t);
    if (rc == 0 && ccctl_db(ctx, true, &rc)) {
        const char *params[] = {t.name,      t.host, t.port, t.user, t.user ? t.password : NULL,
                                t.transport, t.srtp};
        PGresult *res = cc_pg_exec_params(
            ctx->pg,
            "INSERT INTO trunks (name, host, port, username, password, transport, srtp) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            7, params);
        if (!res && strcmp(cc_pg_sqlstate(ctx->pg), "23505") == 0)
            rc = ccctl_fail(CCCTL_EXIT_REFUSED, "trunk %s already exists", t.name);
        else if (!res)
            rc = ccctl_db_fail(ctx, "adding the trunk failed");
        else
            printf("added trunk %s -> %s%s%s:%s/%s%s\n", t.name, strchr(t.host, ':') ? "[" : "",
                   t.host, strchr(t.host, ':') ? "]" : "", t.port, t.transport,
                   t.user ? " with digest authentication" : "");
        PQclear(res);
    }
    explicit_bzero(t.password, sizeof t.password);
    return rc;
}

static int s_del(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 1, 1, "NAME", ccctl_trunk_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *params[] = {args.pos[0]};
    if (cc_pg_begin(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "BEGIN failed");
    /* Row lock first, so a concurrent `route add` to this trunk waits and then sees it gone. */
    PGresult *res =
        cc_pg_exec_params(ctx->pg,
                          "SELECT (SELECT string_agg(pattern, ', ' ORDER BY id) FROM dialplan "
                          "        WHERE target_kind = 'trunk' AND target = t.name) "
                          "FROM trunks t WHERE t.name = $1 FOR UPDATE",
                          1, params);
    if (!res)
        rc = ccctl_db_fail(ctx, "reading the trunk failed");
    else if (PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no trunk %s", args.pos[0]);
    else if (!PQgetisnull(res, 0, 0))
        rc = ccctl_fail(CCCTL_EXIT_REFUSED,
                        "trunk %s is the target of route(s) %s: delete "
                        "those first",
                        args.pos[0], PQgetvalue(res, 0, 0));
    PQclear(res);
    if (rc == 0) {
        res = cc_pg_exec_params(ctx->pg, "DELETE FROM trunks WHERE name = $1", 1, params);
        rc = res ? 0 : ccctl_db_fail(ctx, "deleting the trunk failed");
        PQclear(res);
    }
    if (rc != 0) {
        cc_pg_rollback(ctx->pg);
        return rc;
    }
    if (cc_pg_commit(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "COMMIT failed");
    printf("deleted trunk %s\n", args.pos[0]);
    return CCCTL_EXIT_OK;
}

static void s_print_trunks(PGresult *res, bool json)
{
    if (json) {
        json_t *list = json_array();
        for (int r = 0; r < PQntuples(res); r++) {
            json_t *obj =
                json_pack("{s:s, s:s, s:i, s:s, s:b, s:b}", "name", PQgetvalue(res, r, 0), "host",
                          PQgetvalue(res, r, 1), "port", atoi(PQgetvalue(res, r, 2)), "transport",
                          PQgetvalue(res, r, 3), "enabled", PQgetvalue(res, r, 4)[0] == 't', "auth",
                          !PQgetisnull(res, r, 5));
            if (!PQgetisnull(res, r, 5))
                json_object_set_new(obj, "username", json_string(PQgetvalue(res, r, 5)));
            json_array_append_new(list, obj);
        }
        ccctl_json_print(list, stdout);
        return;
    }
    static const char *const headers[] = {"NAME",    "HOST", "PORT", "TRANSPORT",
                                          "ENABLED", "USER", NULL};
    ccctl_table_t *table = ccctl_table_new(headers);
    for (int r = 0; table && r < PQntuples(res); r++) {
        const char *cells[] = {PQgetvalue(res, r, 0),
                               PQgetvalue(res, r, 1),
                               PQgetvalue(res, r, 2),
                               PQgetvalue(res, r, 3),
                               PQgetvalue(res, r, 4)[0] == 't' ? "yes" : "no",
                               PQgetisnull(res, r, 5) ? NULL : PQgetvalue(res, r, 5)};
        ccctl_table_add(table, cells);
    }
    ccctl_table_print_destroy(&table, stdout);
}

static int s_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 0, 0, "", ccctl_trunk_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    /* The password column is deliberately not selected. */
    PGresult *res = cc_pg_exec_params(
        ctx->pg, "SELECT name, host, port, transport, enabled, username FROM trunks ORDER BY name",
        0, NULL);
    if (!res)
        return ccctl_db_fail(ctx, "listing trunks failed");
    s_print_trunks(res, ccctl_flag(&args, "--json"));
    PQclear(res);
    return CCCTL_EXIT_OK;
}

int ccctl_trunk_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"add", s_add},
        {"del", s_del},
        {"list", s_list},
        {NULL, NULL},
    };
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_trunk_usage);
}
