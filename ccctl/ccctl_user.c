/* ccctl_user.c - `ccctl user ...`: SIP users (extensions) in sip_users. Turns a password
 * into the digest HA1s for [common] sip_domain and stores only those; the password itself
 * is never written anywhere. Registrations (sip_contacts) belong to sipproxy. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cc_dialplan.h"
#include "ccctl.h"
#include "ccctl_digest.h"
#include "ccctl_out.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

void ccctl_user_usage(FILE *out)
{
    fputs("usage: ccctl user add EXT --password PW [--name NAME]\n"
          "                        [--srtp required|optional|off]\n"
          "       ccctl user passwd EXT --password PW\n"
          "       ccctl user del EXT\n"
          "       ccctl user digest EXT ALGORITHMS|default\n"
          "       ccctl user tls EXT required|optional|off\n"
          "       ccctl user list [--json]\n"
          "       ccctl user cos EXT internal|local|national|international\n"
          "       ccctl user moh EXT PROMPT|default\n"
          "       ccctl user dnd EXT on|off\n"
          "       ccctl user forward EXT always|busy|noanswer|unavailable TARGET|off\n"
          "       ccctl user ringtime EXT SECONDS\n"
          "       ccctl user followme EXT set \"ext:1002/15,number:5551234/20\" | EXT off\n"
          "       ccctl user pickup-group EXT NAME|off\n"
          "  EXT is 2-15 digits; PW at least 8 characters, or \"-\" to read it from the first\n"
          "  line of standard input. Only the digest HA1s for [common] sip_domain are stored.\n"
          "  --srtp: SRTP on the phone's calls: required (a plain offer gets 488), optional\n"
          "  (the default: SRTP when the phone offers it) or off (plain RTP only).\n"
          "  ALGORITHMS: the digest challenges sipproxy sends this user, preferred first:\n"
          "  \"SHA-256 MD5\", \"MD5 SHA-256\", SHA-256 or MD5 (SHA-256 needs a phone that speaks\n"
          "  RFC 8760); default: [sipproxy] digest_algorithms.\n"
          "  tls: required (REGISTER and calls only over TLS, only TLS registrations rung),\n"
          "  optional (the default) or off (a request over TLS gets 403).\n"
          "  cos: the class of numbers the extension may dial out (see ccctl cos --help).\n"
          "  moh: what a party this extension puts on hold hears (ccctl prompt upload).\n"
          "  dnd: do-not-disturb; callers get busy (486), or the busy forwarding target\n"
          "  (reason dnd). Phones: *78 on, *79 off.\n"
          "  forward: where calls go instead: always, when the phone is busy, when nobody\n"
          "  answers within the ring time, or when no phone is registered. TARGET is\n"
          "  ext:EXT, number:N (through the dialplan, e.g. a trunk) or vm:MAILBOX. Phones:\n"
          "  *72<number> forwards always, *73 turns it off. Loops are not followed, and a\n"
          "  call is diverted at most 5 times.\n"
          "  ringtime: seconds (5-300, default 20) before forward-on-no-answer.\n"
          "  followme: up to 8 targets (ext:EXT, number:N) rung one after the other\n"
          "  instead of the extension, each for its own seconds (5-300); then the\n"
          "  noanswer target (e.g. vm:EXT). Put ext:EXT itself first to ring the desk.\n"
          "  pickup-group: the extension's call pickup group (1-40 letters, digits, _ . -):\n"
          "  *8 on its phone answers a call ringing another phone of the group. **EXT\n"
          "  (directed pickup) answers a call ringing EXT and needs no group.\n",
          out);
}

/* The password option, checked, into pw. 0 or an exit code (message printed). */
static int s_password(const ccctl_args_t *args, char *pw, size_t len)
{
    char err[128];
    const char *value = ccctl_arg(args, "--password");
    if (!value)
        return ccctl_usage_fail(ccctl_user_usage, "missing --password");
    if (ccctl_read_secret(value, pw, len) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "no password on standard input, or too long");
    if (ccctl_password_check(pw, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "%s", err);
    return 0;
}

static int s_check_ext(const char *ext)
{
    char err[128];
    if (cc_extension_validate(ext, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad extension: %s", err);
    return 0;
}

/* The HA1s of ext with password pw, for the configured realm. 0 or an exit code. */
static int s_hash(ccctl_t *ctx, const char *ext, const char *pw, const char **realm,
                  char md5[CCCTL_MD5_HEX_LEN + 1], char sha[CCCTL_SHA256_HEX_LEN + 1])
{
    *realm = cc_config_str(ctx->cfg, "common", "sip_domain");
    if (!(*realm)[0])
        return ccctl_fail(CCCTL_EXIT_USAGE, "[common] sip_domain is empty: no digest realm");
    if (ccctl_ha1(ext, *realm, pw, md5, sha) != 0)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "cannot compute the HA1 (OpenSSL digest failed)");
    return 0;
}

static int s_add(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--password", true}, {"--name", true}, {"--srtp", true}};
    ccctl_args_t args;
    char pw[CCCTL_PASSWORD_MAX + 2], err[160], md5[CCCTL_MD5_HEX_LEN + 1],
        sha[CCCTL_SHA256_HEX_LEN + 1];
    const char *realm = NULL;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 1, 1, "EXT", ccctl_user_usage);
    const char *ext = args.pos[0], *name = ccctl_arg(&args, "--name");
    const char *srtp = ccctl_arg(&args, "--srtp") ? ccctl_arg(&args, "--srtp") : "optional";
    if (rc == 0)
        rc = s_check_ext(ext);
    if (rc == 0 && strcmp(srtp, "required") && strcmp(srtp, "optional") && strcmp(srtp, "off"))
        rc = ccctl_fail(CCCTL_EXIT_USAGE, "bad --srtp '%s': required, optional or off", srtp);
    if (rc == 0 && name && ccctl_name_check(name, err, sizeof err) != 0)
        rc = ccctl_fail(CCCTL_EXIT_USAGE, "%s", err);
    if (rc == 0)
        rc = s_password(&args, pw, sizeof pw);
    if (rc == 0 && !ccctl_db(ctx, true, &rc))
        return rc;
    if (rc == 0)
        rc = s_hash(ctx, ext, pw, &realm, md5, sha);
    explicit_bzero(pw, sizeof pw);
    if (rc != 0)
        return rc;
    const char *params[] = {ext, name ? name : "", realm, md5, sha, srtp};
    PGresult *res = cc_pg_exec_params(ctx->pg,
                                      "INSERT INTO sip_users (ext, name, realm, ha1, ha1_sha256, "
                                      "srtp) VALUES ($1, $2, $3, $4, $5, $6)",
                                      6, params);
    if (!res) {
        if (strcmp(cc_pg_sqlstate(ctx->pg), "23505") == 0)
            return ccctl_fail(CCCTL_EXIT_REFUSED, "extension %s already exists", ext);
        return ccctl_db_fail(ctx, "adding the user failed");
    }
    PQclear(res);
    printf("added extension %s%s%s%s (realm %s)\n", ext, name && name[0] ? " \"" : "",
           name ? name : "", name && name[0] ? "\"" : "", realm);
    return CCCTL_EXIT_OK;
}

static int s_passwd(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--password", true}};
    ccctl_args_t args;
    char pw[CCCTL_PASSWORD_MAX + 2], md5[CCCTL_MD5_HEX_LEN + 1], sha[CCCTL_SHA256_HEX_LEN + 1];
    const char *realm = NULL;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 1, 1, "EXT", ccctl_user_usage);
    const char *ext = args.pos[0];
    if (rc == 0)
        rc = s_check_ext(ext);
    if (rc == 0)
        rc = s_password(&args, pw, sizeof pw);
    if (rc == 0 && !ccctl_db(ctx, true, &rc))
        return rc;
    if (rc == 0)
        rc = s_hash(ctx, ext, pw, &realm, md5, sha);
    explicit_bzero(pw, sizeof pw);
    if (rc != 0)
        return rc;
    /* The realm is rewritten too: a new password also moves the user to the current realm. */
    const char *params[] = {ext, realm, md5, sha};
    PGresult *res = cc_pg_exec_params(
        ctx->pg, "UPDATE sip_users SET realm = $2, ha1 = $3, ha1_sha256 = $4 WHERE ext = $1", 4,
        params);
    if (!res)
        return ccctl_db_fail(ctx, "changing the password failed");
    bool found = strcmp(PQcmdTuples(res), "0") != 0;
    PQclear(res);
    if (!found)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "no extension %s", ext);
    printf("password of extension %s changed (realm %s)\n", ext, realm);
    return CCCTL_EXIT_OK;
}

/* Inside the delete transaction: refuse while routes still send calls to this user.
 * 0, or an exit code (message printed). */
static int s_refuse_if_routed(ccctl_t *ctx, const char *ext)
{
    const char *params[] = {ext};
    PGresult *res = cc_pg_exec_params(ctx->pg,
                                      "SELECT string_agg(pattern, ', ' ORDER BY id) FROM dialplan "
                                      "WHERE target_kind = 'ext' AND target = $1",
                                      1, params);
    if (!res)
        return ccctl_db_fail(ctx, "reading the dialplan failed");
    int rc = 0;
    if (!PQgetisnull(res, 0, 0))
        rc = ccctl_fail(CCCTL_EXIT_REFUSED,
                        "extension %s is the target of route(s) %s: delete those first", ext,
                        PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

static int s_del(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 1, 1, "EXT", ccctl_user_usage);
    const char *ext = args.pos[0];
    if (rc == 0)
        rc = s_check_ext(ext);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    if (cc_pg_begin(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "BEGIN failed");
    /* Lock the row first: a concurrent `route add` to this ext then waits for us and sees
     * the user gone, instead of adding a route to a user about to disappear. */
    const char *params[] = {ext};
    PGresult *res =
        cc_pg_exec_params(ctx->pg, "SELECT 1 FROM sip_users WHERE ext = $1 FOR UPDATE", 1, params);
    if (!res)
        rc = ccctl_db_fail(ctx, "reading the user failed");
    else if (PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no extension %s", ext);
    PQclear(res);
    if (rc == 0)
        rc = s_refuse_if_routed(ctx, ext);
    if (rc == 0) {
        res = cc_pg_exec_params(ctx->pg, "DELETE FROM sip_users WHERE ext = $1", 1, params);
        rc = res ? 0 : ccctl_db_fail(ctx, "deleting the user failed");
        PQclear(res);
    }
    if (rc == 0 && cc_pg_commit(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "COMMIT failed");
    if (rc != 0) {
        cc_pg_rollback(ctx->pg);
        return rc;
    }
    printf("deleted extension %s (and its registrations)\n", ext);
    return CCCTL_EXIT_OK;
}

/* `user tls EXT POLICY`: whether the phone must, may or must not use TLS. */
static int s_tls(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 2, 2, "EXT POLICY", ccctl_user_usage);
    if (rc != 0)
        return rc;
    const char *ext = args.pos[0], *policy = args.pos[1];
    if (strcmp(policy, "required") && strcmp(policy, "optional") && strcmp(policy, "off"))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad TLS policy '%s': required, optional or off",
                          policy);
    if ((rc = s_check_ext(ext)) != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *params[] = {ext, policy};
    PGresult *res =
        cc_pg_exec_params(ctx->pg, "UPDATE sip_users SET tls = $2 WHERE ext = $1", 2, params);
    if (!res)
        return ccctl_db_fail(ctx, "setting the TLS policy failed");
    bool found = strcmp(PQcmdTuples(res), "0") != 0;
    PQclear(res);
    if (!found)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "no extension %s", ext);
    printf("extension %s: TLS %s\n", ext, policy);
    return CCCTL_EXIT_OK;
}

/* `user digest EXT ALGS|default`: which digest challenges this user gets. */
static int s_digest(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 2, 2, "EXT ALGORITHMS", ccctl_user_usage);
    if (rc != 0)
        return rc;
    const char *ext = args.pos[0], *algs = args.pos[1];
    static const char *const valid[] = {"SHA-256", "MD5", "SHA-256 MD5", "MD5 SHA-256", "default"};
    bool ok = false;
    for (size_t i = 0; i < N_OPTS(valid); i++)
        ok = ok || strcmp(algs, valid[i]) == 0;
    if (!ok)
        return ccctl_fail(CCCTL_EXIT_USAGE,
                          "bad algorithms '%s': \"SHA-256 MD5\", \"MD5 SHA-256\", SHA-256, MD5 "
                          "or default",
                          algs);
    if ((rc = s_check_ext(ext)) != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    bool dflt = strcmp(algs, "default") == 0;
    const char *params[] = {ext, dflt ? NULL : algs};
    PGresult *res = cc_pg_exec_params(
        ctx->pg, "UPDATE sip_users SET digest_algorithms = $2 WHERE ext = $1", 2, params);
    if (!res)
        return ccctl_db_fail(ctx, "setting the digest algorithms failed");
    bool found = strcmp(PQcmdTuples(res), "0") != 0;
    PQclear(res);
    if (!found)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "no extension %s", ext);
    if (dflt)
        printf("extension %s is challenged with [sipproxy] digest_algorithms\n", ext);
    else
        printf("extension %s is challenged with %s\n", ext, algs);
    return CCCTL_EXIT_OK;
}

static json_t *s_user_json(PGresult *res, int row)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:i, s:s, s:b, s:s, s:i, s:s}", "ext",
                     PQgetvalue(res, row, 0), "name", PQgetvalue(res, row, 1), "realm",
                     PQgetvalue(res, row, 2), "enabled", PQgetvalue(res, row, 3)[0] == 't',
                     "registered", atoi(PQgetvalue(res, row, 4)), "created_at",
                     PQgetvalue(res, row, 5), "dnd", PQgetvalue(res, row, 7)[0] == 't', "forward",
                     PQgetvalue(res, row, 8), "ring_time_s", atoi(PQgetvalue(res, row, 9)),
                     "pickup_group", PQgetvalue(res, row, 10));
}

static void s_print_users(PGresult *res, bool json)
{
    if (json) {
        json_t *list = json_array();
        for (int r = 0; r < PQntuples(res); r++)
            json_array_append_new(list, s_user_json(res, r));
        ccctl_json_print(list, stdout);
        return;
    }
    static const char *const headers[] = {"EXT",     "NAME", "REALM",   "ENABLED", "REGISTERED",
                                          "CREATED", "DND",  "FORWARD", "PICKUP",  NULL};
    ccctl_table_t *table = ccctl_table_new(headers);
    for (int r = 0; table && r < PQntuples(res); r++) {
        const char *cells[] = {PQgetvalue(res, r, 0),
                               PQgetvalue(res, r, 1),
                               PQgetvalue(res, r, 2),
                               PQgetvalue(res, r, 3)[0] == 't' ? "yes" : "no",
                               PQgetvalue(res, r, 4),
                               PQgetvalue(res, r, 6),
                               PQgetvalue(res, r, 7)[0] == 't' ? "on" : "off",
                               PQgetvalue(res, r, 8),
                               PQgetvalue(res, r, 10)};
        ccctl_table_add(table, cells);
    }
    ccctl_table_print_destroy(&table, stdout);
}

static int s_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 0, 0, "", ccctl_user_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    PGresult *res = cc_pg_exec_params(
        ctx->pg,
        "SELECT u.ext, u.name, u.realm, u.enabled, "
        "  (SELECT count(*) FROM sip_contacts c WHERE c.ext = u.ext AND c.expires_at > now()),"
        "  to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
        "  to_char(u.created_at, 'YYYY-MM-DD HH24:MI'), coalesce(p.dnd, false), "
        "  concat_ws(' ', 'always=' || p.fwd_always, 'busy=' || p.fwd_busy, "
        "    'noanswer=' || p.fwd_noanswer, 'unavailable=' || p.fwd_unavailable, "
        "    'followme=' || p.followme), "
        "  coalesce(p.ring_time_s, 20), u.pickup_group "
        "FROM sip_users u LEFT JOIN pbx_user_settings p ON p.ext = u.ext "
        "ORDER BY length(u.ext), u.ext",
        0, NULL);
    if (!res)
        return ccctl_db_fail(ctx, "listing users failed");
    s_print_users(res, ccctl_flag(&args, "--json"));
    const char *realm = cc_config_str(ctx->cfg, "common", "sip_domain");
    int stale = 0;
    for (int r = 0; r < PQntuples(res); r++)
        stale += strcmp(PQgetvalue(res, r, 2), realm) != 0;
    if (stale)
        fprintf(stderr,
                "ccctl: warning: %d user(s) have HA1s for another realm than "
                "[common] sip_domain '%s' and cannot log in: set their passwords again\n",
                stale, realm);
    PQclear(res);
    return CCCTL_EXIT_OK;
}

int ccctl_user_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"add", s_add},
        {"passwd", s_passwd},
        {"del", s_del},
        {"digest", s_digest},
        {"list", s_list},
        {"tls", s_tls},
        {"cos", ccctl_user_cos},
        {"moh", ccctl_user_moh},
        {"dnd", ccctl_user_dnd},
        {"forward", ccctl_user_forward},
        {"ringtime", ccctl_user_ringtime},
        {"followme", ccctl_user_followme},
        {"pickup-group", ccctl_user_pickup_group},
        {NULL, NULL},
    };
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_user_usage);
}
