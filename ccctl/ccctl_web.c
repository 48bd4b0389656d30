/* ccctl_web.c - `ccctl web ...`: the web gateway's users (Argon2id hashes from libsodium's
 * crypto_pwhash_str, never the password), its API tokens (printed once, only their
 * SHA-256 stored), per-queue alert thresholds, and the audit log. webd reloads users,
 * tokens and thresholds on the NOTIFY their tables raise. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cc_dialplan.h"
#include "ccctl.h"
#include "ccctl_acd.h"
#include "ccctl_out.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

void ccctl_web_usage(FILE *out)
{
    fputs("usage: ccctl web user add NAME --role ROLE [--queues Q1,Q2|'*'] [--ext EXT]\n"
          "                         --password PW\n"
          "       ccctl web user passwd NAME --password PW\n"
          "       ccctl web user del NAME | ccctl web user list [--json]\n"
          "       ccctl web token add NAME --role ROLE [--queues Q1,Q2|'*'] [--days N]\n"
          "       ccctl web token del NAME | ccctl web token list [--json]\n"
          "       ccctl web alert set QUEUE [--sl-target PCT] [--max-wait S] [--max-call S]\n"
          "                                 [--max-not-ready S]\n"
          "       ccctl web alert del QUEUE | ccctl web alert list [--json]\n"
          "       ccctl web audit [--limit N] [--json]\n"
          "       ccctl web hook add URL --events T1,T2 | list | del ID | revive ID\n"
          "  ROLE is agent, supervisor or admin. A supervisor sees and acts on the queues given\n"
          "  with --queues ('*': every queue); an admin sees every queue; an agent needs --ext.\n"
          "  NAME: 1-64 of A-Z a-z 0-9 _ . @ -. PW at least 8 characters, or \"-\" to read it\n"
          "  from standard input. A token is printed once: keep it, only its hash is stored.\n"
          "  Alert thresholds not given take the [webd] alert_* defaults.\n",
          out);
}

static bool s_name_ok(const char *name)
{
    size_t n = strlen(name);
    return n >= 1 && n <= 64 &&
           strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@-") == n;
}

static bool s_role_ok(const char *role)
{
    return role &&
           (!strcmp(role, "agent") || !strcmp(role, "supervisor") || !strcmp(role, "admin"));
}

/* --queues as a Postgres array literal into buf ("" for NULL: every queue), every name
 * checked and known. 0 or an exit code (message printed). */
static int s_queues(ccctl_t *ctx, const char *role, const char *list, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!strcmp(role, "admin") || (list && !strcmp(list, "*")))
        return 0;
    if (!strcmp(role, "agent") && !list)
        return 0;
    if (!list)
        return ccctl_fail(CCCTL_EXIT_USAGE, "a supervisor needs --queues (names, or '*' for all)");
    char copy[1024];
    if (strlen(list) >= sizeof copy)
        return ccctl_fail(CCCTL_EXIT_USAGE, "--queues is too long");
    snprintf(copy, sizeof copy, "%s", list);
    size_t used = (size_t)snprintf(buf, len, "{");
    char *save = NULL;
    int n = 0;
    for (char *q = strtok_r(copy, ",", &save); q; q = strtok_r(NULL, ",", &save), n++) {
        if (!ccctl_acd_name_ok(q))
            return ccctl_fail(CCCTL_EXIT_USAGE, "bad queue name '%s'", q);
        const char *p[1] = {q};
        PGresult *res = cc_pg_exec_params(ctx->pg, "SELECT 1 FROM queues WHERE name = $1", 1, p);
        if (!res)
            return ccctl_db_fail(ctx, "reading the queues failed");
        bool known = PQntuples(res) == 1;
        PQclear(res);
        if (!known)
            return ccctl_fail(CCCTL_EXIT_REFUSED, "unknown queue '%s'", q);
        used += (size_t)snprintf(buf + used, len - used, "%s\"%s\"", n ? "," : "", q);
    }
    if (n == 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "--queues is empty");
    snprintf(buf + used, len - used, "}");
    return 0;
}

static int s_hash_password(const ccctl_args_t *args, char hash[crypto_pwhash_STRBYTES])
{
    char pw[CCCTL_PASSWORD_MAX + 2], err[128];
    const char *value = ccctl_arg(args, "--password");
    if (!value)
        return ccctl_usage_fail(ccctl_web_usage, "missing --password");
    if (ccctl_read_secret(value, pw, sizeof pw) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "no password on standard input, or too long");
    if (ccctl_password_check(pw, err, sizeof err) != 0) {
        sodium_memzero(pw, sizeof pw);
        return ccctl_fail(CCCTL_EXIT_USAGE, "%s", err);
    }
    int rc = crypto_pwhash_str(hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                               crypto_pwhash_MEMLIMIT_INTERACTIVE);
    sodium_memzero(pw, sizeof pw);
    return rc == 0 ? 0 : ccctl_fail(CCCTL_EXIT_REFUSED, "hashing the password failed (memory)");
}

static int s_exec(ccctl_t *ctx, const char *what, const char *sql, int n, const char *const *p,
                  long *affected)
{
    PGresult *res = cc_pg_exec_params(ctx->pg, sql, n, p);
    if (!res) {
        if (!strcmp(cc_pg_sqlstate(ctx->pg), "23505"))
            return ccctl_fail(CCCTL_EXIT_REFUSED, "%s: it exists already", what);
        return ccctl_db_fail(ctx, what);
    }
    if (affected)
        *affected = strtol(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return 0;
}

/* ---- users ------------------------------------------------------------------------------- */

static int s_user_add(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {
        {"--role", true}, {"--queues", true}, {"--ext", true}, {"--password", true}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 1, 1, "NAME", ccctl_web_usage);
    if (rc)
        return rc;
    const char *name = args.pos[0], *role = ccctl_arg(&args, "--role");
    const char *ext = ccctl_arg(&args, "--ext");
    if (!s_name_ok(name))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad name '%s': 1-64 of A-Z a-z 0-9 _ . @ -", name);
    if (!s_role_ok(role))
        return ccctl_fail(CCCTL_EXIT_USAGE, "--role must be agent, supervisor or admin");
    char err[128];
    if (ext && cc_extension_validate(ext, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --ext: %s", err);
    if (!strcmp(role, "agent") && !ext)
        return ccctl_fail(CCCTL_EXIT_USAGE, "an agent needs --ext (its extension)");
    char hash[crypto_pwhash_STRBYTES], queues[2048];
    if ((rc = s_hash_password(&args, hash)) != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    if ((rc = s_queues(ctx, role, ccctl_arg(&args, "--queues"), queues, sizeof queues)) != 0)
        return rc;
    const char *p[5] = {name, role, queues[0] ? queues : NULL, ext, hash};
    rc = s_exec(ctx, "adding the user",
                "INSERT INTO web_users (name, role, queues, ext, "
                "password_hash) VALUES ($1, $2, $3::text[], $4, $5)",
                5, p, NULL);
    if (rc == 0)
        printf("added web user %s (%s%s%s)\n", name, role, queues[0] ? ", queues " : "",
               queues[0] ? ccctl_arg(&args, "--queues") : "");
    return rc;
}

static int s_user_passwd(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--password", true}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 1, 1, "NAME", ccctl_web_usage);
    char hash[crypto_pwhash_STRBYTES];
    if (rc || (rc = s_hash_password(&args, hash)) != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[2] = {args.pos[0], hash};
    long n = 0;
    rc = s_exec(ctx, "changing the password",
                "UPDATE web_users SET password_hash = $2, "
                "updated_at = now() WHERE name = $1",
                2, p, &n);
    if (rc == 0 && n == 0)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "no web user %s", args.pos[0]);
    if (rc == 0) /* sessions made with the old password end */
        rc = s_exec(ctx, "ending the sessions", "DELETE FROM web_sessions WHERE user_name = $1", 1,
                    p, NULL);
    if (rc == 0)
        printf("password of web user %s changed; its sessions ended\n", args.pos[0]);
    return rc;
}

/* `del NAME` for users, tokens and alert rules. */
static int s_del(ccctl_t *ctx, int argc, char **argv, const char *what, const char *sql)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 1, 1, "NAME", ccctl_web_usage);
    if (rc || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[1] = {args.pos[0]};
    long n = 0;
    rc = s_exec(ctx, "deleting", sql, 1, p, &n);
    if (rc == 0 && n == 0)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "no %s %s", what, args.pos[0]);
    if (rc == 0)
        printf("deleted %s %s\n", what, args.pos[0]);
    return rc;
}

/* `list [--json]`: rows of sql as a table (the columns in order) or JSON. */
static int s_list(ccctl_t *ctx, int argc, char **argv, const char *sql, const char *const *headers)
{
    static const ccctl_opt_t opts[] = {{"--json", false}, {"--limit", true}};
    ccctl_args_t args;
    long limit = 50;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 0, 0, "", ccctl_web_usage);
    if (rc == 0 && ccctl_arg(&args, "--limit") &&
        ccctl_parse_long(ccctl_arg(&args, "--limit"), 1, 100000, &limit) != 0)
        rc = ccctl_fail(CCCTL_EXIT_USAGE, "--limit must be 1-100000");
    if (rc || !ccctl_db(ctx, true, &rc))
        return rc;
    char lim[24];
    snprintf(lim, sizeof lim, "%ld", limit);
    const char *p[1] = {lim};
    PGresult *res = cc_pg_exec_params(ctx->pg, sql, strstr(sql, "$1") ? 1 : 0, p);
    if (!res)
        return ccctl_db_fail(ctx, "listing failed");
    if (ccctl_flag(&args, "--json")) {
        ccctl_json_print(cc_pg_rows_json(res), stdout);
    } else {
        ccctl_table_print_result(headers, res, "-", stdout);
    }
    PQclear(res);
    return 0;
}

static int s_user(ccctl_t *ctx, int argc, char **argv)
{
    static const char *const headers[] = {"NAME",     "ROLE",    "QUEUES", "EXT",
                                          "DISABLED", "CREATED", NULL};
    const char *sub = argc > 0 ? argv[0] : "";
    if (!strcmp(sub, "add"))
        return s_user_add(ctx, argc - 1, argv + 1);
    if (!strcmp(sub, "passwd"))
        return s_user_passwd(ctx, argc - 1, argv + 1);
    if (!strcmp(sub, "del"))
        return s_del(ctx, argc - 1, argv + 1, "web user", "DELETE FROM web_users WHERE name = $1");
    if (!strcmp(sub, "list"))
        return s_list(ctx, argc - 1, argv + 1,
                      "SELECT name, role, coalesce(array_to_string(queues, ','), '*') AS queues, "
                      "ext, disabled, to_char(created_at, 'YYYY-MM-DD HH24:MI') AS created "
                      "FROM web_users ORDER BY name",
                      headers);
    return ccctl_usage_fail(ccctl_web_usage, "web user: unknown sub-command '%s'", sub);
}

/* ---- tokens ------------------------------------------------------------------------------- */

static int s_token_add(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--role", true}, {"--queues", true}, {"--days", true}};
    ccctl_args_t args;
    long days = 0;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 1, 1, "NAME", ccctl_web_usage);
    if (rc)
        return rc;
    const char *name = args.pos[0], *role = ccctl_arg(&args, "--role");
    if (!s_name_ok(name))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad name '%s': 1-64 of A-Z a-z 0-9 _ . @ -", name);
    if (!s_role_ok(role))
        return ccctl_fail(CCCTL_EXIT_USAGE, "--role must be agent, supervisor or admin");
    if (ccctl_arg(&args, "--days") &&
        ccctl_parse_long(ccctl_arg(&args, "--days"), 1, 3650, &days) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "--days must be 1-3650");
    char queues[2048];
    if (!ccctl_db(ctx, true, &rc) ||
        (rc = s_queues(ctx, role, ccctl_arg(&args, "--queues"), queues, sizeof queues)) != 0)
        return rc;
    unsigned char raw[32], digest[crypto_hash_sha256_BYTES];
    char token[64] = "cct_", key[crypto_hash_sha256_BYTES * 2 + 1], dstr[16];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(token + 4, sizeof token - 4, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(key, sizeof key, digest, sizeof digest);
    snprintf(dstr, sizeof dstr, "%ld", days);
    const char *p[5] = {name, role, queues[0] ? queues : NULL, key, days ? dstr : NULL};
    rc = s_exec(ctx, "adding the token",
                "INSERT INTO web_tokens (name, role, queues, "
                "token_sha256, expires_at) VALUES ($1, $2, $3::text[], $4, "
                "now() + make_interval(days => $5::integer))",
                5, p, NULL);
    if (rc == 0)
        printf("%s\n", token); /* the only time it is ever shown */
    sodium_memzero(token, sizeof token);
    sodium_memzero(raw, sizeof raw);
    return rc;
}

static int s_token(ccctl_t *ctx, int argc, char **argv)
{
    static const char *const headers[] = {"NAME", "ROLE", "QUEUES", "CREATED", "EXPIRES", NULL};
    const char *sub = argc > 0 ? argv[0] : "";
    if (!strcmp(sub, "add"))
        return s_token_add(ctx, argc - 1, argv + 1);
    if (!strcmp(sub, "del"))
        return s_del(ctx, argc - 1, argv + 1, "token", "DELETE FROM web_tokens WHERE name = $1");
    if (!strcmp(sub, "list"))
        return s_list(ctx, argc - 1, argv + 1,
                      "SELECT name, role, coalesce(array_to_string(queues, ','), '*') AS queues, "
                      "to_char(created_at, 'YYYY-MM-DD HH24:MI') AS created, "
                      "to_char(expires_at, 'YYYY-MM-DD HH24:MI') AS expires "
                      "FROM web_tokens ORDER BY name",
                      headers);
    return ccctl_usage_fail(ccctl_web_usage, "web token: unknown sub-command '%s'", sub);
}

/* ---- alert thresholds and the audit log ----------------------------------------------------- */

static int s_alert_set(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--sl-target", true},
                                       {"--max-wait", true},
                                       {"--max-call", true},
                                       {"--max-not-ready", true}};
    static const struct {
        const char *opt;
        long min, max;
    } bounds[] = {{"--sl-target", 0, 100},
                  {"--max-wait", 1, 86400},
                  {"--max-call", 1, 86400},
                  {"--max-not-ready", 1, 86400}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 1, 1, "QUEUE", ccctl_web_usage);
    if (rc)
        return rc;
    if (!ccctl_acd_name_ok(args.pos[0]))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad queue name '%s'", args.pos[0]);
    const char *p[5] = {args.pos[0]};
    for (int i = 0; i < 4; i++) {
        long v;
        p[i + 1] = ccctl_arg(&args, bounds[i].opt);
        if (p[i + 1] && ccctl_parse_long(p[i + 1], bounds[i].min, bounds[i].max, &v) != 0)
            return ccctl_fail(CCCTL_EXIT_USAGE, "%s must be %ld-%ld", bounds[i].opt, bounds[i].min,
                              bounds[i].max);
    }
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    char known[2048];
    if ((rc = s_queues(ctx, "supervisor", args.pos[0], known, sizeof known)) != 0)
        return rc;
    rc = s_exec(ctx, "setting the thresholds",
                "INSERT INTO web_alert_rules (queue, "
                "sl_target_pct, max_wait_s, max_call_s, max_not_ready_s) VALUES ($1, "
                "$2::integer, $3::integer, $4::integer, $5::integer) ON CONFLICT (queue) DO "
                "UPDATE SET sl_target_pct = excluded.sl_target_pct, max_wait_s = "
                "excluded.max_wait_s, max_call_s = excluded.max_call_s, max_not_ready_s = "
                "excluded.max_not_ready_s",
                5, p, NULL);
    if (rc == 0)
        printf("alert thresholds of queue %s set\n", args.pos[0]);
    return rc;
}

static int s_alert(ccctl_t *ctx, int argc, char **argv)
{
    static const char *const headers[] = {"QUEUE",      "SL_TARGET_PCT",   "MAX_WAIT_S",
                                          "MAX_CALL_S", "MAX_NOT_READY_S", NULL};
    const char *sub = argc > 0 ? argv[0] : "";
    if (!strcmp(sub, "set"))
        return s_alert_set(ctx, argc - 1, argv + 1);
    if (!strcmp(sub, "del"))
        return s_del(ctx, argc - 1, argv + 1, "alert thresholds of queue",
                     "DELETE FROM web_alert_rules WHERE queue = $1");
    if (!strcmp(sub, "list"))
        return s_list(ctx, argc - 1, argv + 1,
                      "SELECT queue, sl_target_pct, max_wait_s, max_call_s, max_not_ready_s "
                      "FROM web_alert_rules ORDER BY queue",
                      headers);
    return ccctl_usage_fail(ccctl_web_usage, "web alert: unknown sub-command '%s'", sub);
}

static int s_audit(ccctl_t *ctx, int argc, char **argv)
{
    static const char *const headers[] = {"AT",     "ACTOR", "ACTION", "TARGET",
                                          "RESULT", "FROM",  NULL};
    return s_list(ctx, argc, argv,
                  "SELECT to_char(at, 'YYYY-MM-DD HH24:MI:SS') AS at, actor, action, target, "
                  "result, address, detail FROM web_audit ORDER BY id DESC LIMIT $1::integer",
                  headers);
}

int ccctl_web_demo(ccctl_t *ctx, const char *supervisor_pw, const char *admin_pw)
{
    static const char *const names[2] = {"supervisor", "admin"};
    static const char *const roles[2] = {"supervisor", "admin"};
    static const char *const queues[2] = {"{\"support\",\"sales\"}", NULL};
    const char *pws[2] = {supervisor_pw, admin_pw};
    if (sodium_init() < 0)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "libsodium did not initialise");
    for (int i = 0; i < 2; i++) {
        char hash[crypto_pwhash_STRBYTES];
        if (crypto_pwhash_str(hash, pws[i], strlen(pws[i]), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
            return ccctl_fail(CCCTL_EXIT_REFUSED, "hashing a password failed (memory)");
        const char *p[4] = {names[i], roles[i], queues[i], hash};
        int rc = s_exec(ctx, "adding a demo web user",
                        "INSERT INTO web_users (name, role, "
                        "queues, password_hash) VALUES ($1, $2, $3::text[], $4) "
                        "ON CONFLICT (name) DO NOTHING",
                        4, p, NULL);
        if (rc)
            return rc;
    }
    return 0;
}

int ccctl_web_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"user", s_user},   {"token", s_token},       {"alert", s_alert},
        {"audit", s_audit}, {"hook", ccctl_web_hook}, {NULL, NULL},
    };
    if (sodium_init() < 0)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "libsodium did not initialise");
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_web_usage);
}
