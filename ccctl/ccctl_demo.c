/* ccctl_demo.c - `ccctl demo seed`: demo extensions with random passwords and the routes
 * of the demo (extensions, IVR 500 and its Mandarin twin 501, queues 600/601), written in one transaction, and the
 * credentials file <var_dir>/demo-credentials.txt (mode 0600) so a softphone can log in. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccctl.h"
#include "ccctl_digest.h"

#define DEMO_USERS 10
#define DEMO_FIRST_EXT 1000
#define DEMO_PASSWORD_LEN 12
#define CREDENTIALS_FILE "demo-credentials.txt"

typedef struct {
    char ext[8];
    char name[32];
    char password[DEMO_PASSWORD_LEN + 1];
} s_account_t;

/* The web gateway's demo logins: [0] supervisor, [1] admin. */
typedef char s_web_pw_t[2][DEMO_PASSWORD_LEN + 1];

static const struct {
    const char *pattern, *kind, *target;
} s_fixed_routes[] = {
    {"500", "ivr", "main"}, {"600", "queue", "support"}, {"601", "queue", "sales"}};

void ccctl_demo_usage(FILE *out)
{
    fputs("usage: ccctl demo seed\n"
          "  Creates extensions 1000-1009 with random passwords, routes to them, 500 -> the\n"
          "  IVR main (501: the same in Mandarin), 600/601 -> queues support/sales, and\n"
          "  writes the credentials to\n"
          "  <var_dir>/" CREDENTIALS_FILE " (mode 0600), with the wallboard logins supervisor\n"
          "  and admin. Does nothing if 1000 exists.\n",
          out);
}

static void s_write_credentials(FILE *out, const ccctl_t *ctx, const s_account_t *acc,
                                s_web_pw_t web)
{
    const char *domain = cc_config_str(ctx->cfg, "common", "sip_domain");
    const char *bind = cc_config_str(ctx->cfg, "common", "bind");
    /* A wildcard bind is no address a phone can use. */
    if (strcmp(bind, "0.0.0.0") == 0 || strcmp(bind, "::") == 0 || !bind[0])
        bind = "<this host's address>";
    fprintf(out,
            "# Demo SIP accounts made by `ccctl demo seed`. Keep this file private.\n"
            "# SIP server: %s:%ld (UDP or TCP), domain %s; user name = extension.\n",
            bind, cc_config_int(ctx->cfg, "common", "sip_port"), domain);
    fprintf(out, "%-6s  %-*s  %s\n", "ext", DEMO_PASSWORD_LEN, "password", "name");
    for (int i = 0; i < DEMO_USERS; i++)
        fprintf(out, "%-6s  %s  %s\n", acc[i].ext, acc[i].password, acc[i].name);
    fprintf(out, "# Dial another extension, 500 for the IVR (501 in Mandarin), 600 for support, "
                 "601 for sales.\n");
    fprintf(out, "# Wallboard and console: http://%s:%ld/ (web logins below).\n", bind,
            cc_config_int(ctx->cfg, "common", "http_port"));
    fprintf(out, "web  supervisor  %s  (queues support, sales)\n", web[0]);
    fprintf(out, "web  admin       %s  (every queue, audit log)\n", web[1]);
}

static int s_make_accounts(s_account_t *acc, s_web_pw_t web)
{
    for (int i = 0; i < 2; i++)
        if (ccctl_random_password(web[i], DEMO_PASSWORD_LEN) != 0)
            return ccctl_fail(CCCTL_EXIT_REFUSED, "cannot read /dev/urandom: %s", strerror(errno));
    for (int i = 0; i < DEMO_USERS; i++) {
        snprintf(acc[i].ext, sizeof acc[i].ext, "%d", DEMO_FIRST_EXT + i);
        if (i == 0)
            snprintf(acc[i].name, sizeof acc[i].name, "Operator");
        else
            snprintf(acc[i].name, sizeof acc[i].name, "Agent %d", DEMO_FIRST_EXT + i);
        if (ccctl_random_password(acc[i].password, DEMO_PASSWORD_LEN) != 0)
            return ccctl_fail(CCCTL_EXIT_REFUSED, "cannot read /dev/urandom: %s", strerror(errno));
    }
    return 0;
}

static int s_insert_user(ccctl_t *ctx, const s_account_t *a)
{
    char md5[CCCTL_MD5_HEX_LEN + 1], sha[CCCTL_SHA256_HEX_LEN + 1];
    const char *realm = cc_config_str(ctx->cfg, "common", "sip_domain");
    if (ccctl_ha1(a->ext, realm, a->password, md5, sha) != 0)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "cannot compute the HA1 (OpenSSL digest failed)");
    const char *params[] = {a->ext, a->name, realm, md5, sha};
    PGresult *res = cc_pg_exec_params(
        ctx->pg,
        "INSERT INTO sip_users (ext, name, realm, ha1, ha1_sha256) VALUES ($1, $2, $3, $4, $5)", 5,
        params);
    if (!res && strcmp(cc_pg_sqlstate(ctx->pg), "23505") == 0)
        return ccctl_fail(CCCTL_EXIT_REFUSED,
                          "extension %s already exists (demo partly "
                          "present?): nothing written",
                          a->ext);
    if (!res)
        return ccctl_db_fail(ctx, "adding a demo user failed");
    PQclear(res);
    return 0;
}

/* Routes that already exist (same pattern) are left as they are. */
static int s_insert_route(ccctl_t *ctx, const char *pattern, const char *kind, const char *target)
{
    const char *params[] = {pattern, kind, target};
    PGresult *res =
        cc_pg_exec_params(ctx->pg,
                          "INSERT INTO dialplan (pattern, target_kind, target) VALUES ($1, $2, $3) "
                          "ON CONFLICT (pattern) DO NOTHING",
                          3, params);
    if (!res)
        return ccctl_db_fail(ctx, "adding a demo route failed");
    PQclear(res);
    return 0;
}

static int s_insert_all(ccctl_t *ctx, const s_account_t *acc, s_web_pw_t web)
{
    int rc = cc_pg_begin(ctx->pg) == 0 ? 0 : ccctl_db_fail(ctx, "BEGIN failed");
    for (int i = 0; rc == 0 && i < DEMO_USERS; i++)
        rc = s_insert_user(ctx, &acc[i]);
    for (int i = 0; rc == 0 && i < DEMO_USERS; i++)
        rc = s_insert_route(ctx, acc[i].ext, "ext", acc[i].ext);
    for (size_t i = 0; rc == 0 && i < sizeof s_fixed_routes / sizeof s_fixed_routes[0]; i++)
        rc = s_insert_route(ctx, s_fixed_routes[i].pattern, s_fixed_routes[i].kind,
                            s_fixed_routes[i].target);
    if (rc == 0)
        rc = ccctl_acd_demo(ctx); /* queues support/sales and their agents (ccctl_queue.c) */
    if (rc == 0)
        rc = ccctl_web_demo(ctx, web[0], web[1]); /* wallboard logins (ccctl_web.c) */
    if (rc != 0) {
        cc_pg_rollback(ctx->pg);
        return rc;
    }
    return cc_pg_commit(ctx->pg) == 0 ? 0 : ccctl_db_fail(ctx, "COMMIT failed");
}

/* 1 if extension 1000 exists, 0 if not, or -1 (message printed). */
static int s_already_seeded(ccctl_t *ctx)
{
    char ext[8];
    snprintf(ext, sizeof ext, "%d", DEMO_FIRST_EXT);
    const char *params[] = {ext};
    PGresult *res = cc_pg_exec_params(ctx->pg, "SELECT 1 FROM sip_users WHERE ext = $1", 1, params);
    if (!res)
        return ccctl_db_fail(ctx, "reading sip_users failed"), -1;
    int found = PQntuples(res) > 0;
    PQclear(res);
    return found;
}

/* The credentials go to a private temporary file first and are renamed into place only
 * after the commit, so the file never names passwords the database does not have. */
static int s_seed(ccctl_t *ctx, const char *path)
{
    s_account_t acc[DEMO_USERS];
    s_web_pw_t web;
    char tmp[4096];
    int rc = s_make_accounts(acc, web);
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    int fd = rc == 0 ? mkstemp(tmp) : -1; /* mkstemp creates it with mode 0600 */
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (rc == 0 && !f)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "cannot create %s: %s", tmp, strerror(errno));
    if (rc == 0) {
        s_write_credentials(f, ctx, acc, web);
        if (fflush(f) != 0 || fsync(fileno(f)) != 0)
            rc = ccctl_fail(CCCTL_EXIT_REFUSED, "cannot write %s: %s", tmp, strerror(errno));
    }
    if (f)
        fclose(f);
    else if (fd >= 0)
        close(fd);
    if (rc == 0)
        rc = s_insert_all(ctx, acc, web);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED,
                        "demo data written, but cannot rename %s to %s: "
                        "%s",
                        tmp, path, strerror(errno));
    else if (rc != 0 && fd >= 0)
        unlink(tmp);
    if (rc == 0)
        s_write_credentials(stdout, ctx, acc, web);
    if (rc == 0)
        rc = ccctl_ivr_demo(ctx); /* deploy/ivr/main.json on 500, main-zh.json on 501 */
    explicit_bzero(acc, sizeof acc);
    explicit_bzero(web, sizeof web);
    return rc;
}

int ccctl_demo_main(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    if (ccctl_wants_help(argc - 1, argv + 1)) {
        ccctl_demo_usage(stdout);
        return CCCTL_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "seed") != 0)
        return ccctl_usage_fail(ccctl_demo_usage, argc < 2 ? "demo: missing sub-command"
                                                           : "demo: unknown sub-command");
    int rc = ccctl_parse(&args, argc - 2, argv + 2, NULL, 0, 0, 0, "", ccctl_demo_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    char path[4000];
    const char *var_dir = cc_config_var_dir(ctx->cfg);
    snprintf(path, sizeof path, "%s/%s", var_dir, CREDENTIALS_FILE);
    int seeded = s_already_seeded(ctx);
    if (seeded < 0)
        return CCCTL_EXIT_REFUSED;
    if (seeded) {
        printf("demo already seeded (credentials in %s)\n", path);
        return CCCTL_EXIT_OK;
    }
    if (mkdir(var_dir, 0750) != 0 && errno != EEXIST)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "cannot create %s: %s", var_dir, strerror(errno));
    return s_seed(ctx, path);
}
