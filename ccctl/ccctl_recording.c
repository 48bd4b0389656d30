/* ccctl_recording.c - `ccctl recording ...`: recording policies and the legal hold
 * (Postgres), the index of recordings (list), export (decrypt + verify against the index),
 * and start/stop/pause/resume of a live call's recording (commands to recorderd). The file
 * format itself is the one recorderd writes with (recfile/, linked in). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc_bus.h"
#include "cc_dialplan.h"
#include "ccctl.h"
#include "ccctl_out.h"
#include "rec_format.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

void ccctl_recording_usage(FILE *out)
{
    fputs("usage: ccctl recording policy ext:EXT|queue:NAME|trunk:NAME always|never|on-demand\n"
          "                               [--retention-days N]\n"
          "       ccctl recording policy del ext:EXT|queue:NAME|trunk:NAME\n"
          "       ccctl recording policy            (lists the policies)\n"
          "       ccctl recording list [--number N] [--agent EXT] [--since T] [--until T]\n"
          "                            [--limit N] [--json]\n"
          "       ccctl recording export ID OUT.wav\n"
          "       ccctl recording start|stop|pause|resume CALL_ID\n"
          "       ccctl recording hold ID on|off\n"
          "  Feature codes on the agent's phone during a call: *1 pause, *2 resume,\n"
          "  *3 start and *4 stop (on-demand). A policy's extension, queue or trunk must\n"
          "  exist; without a policy a call gets [recorderd] default_mode. T is a date and\n"
          "  time as Postgres reads it ('2026-11-21 13:00', '2026-11-21', 'today'); the\n"
          "  session's time zone applies when T has none. export checks the file's SHA-256\n"
          "  against the index and every encrypted chunk; a file that fails is reported and\n"
          "  nothing is written.\n",
          out);
}

static int s_policy_list(ccctl_t *ctx)
{
    PGresult *r = cc_pg_exec_params(ctx->pg,
                                    "SELECT kind || ':' || name, mode, coalesce("
                                    "retention_days::text, 'default') FROM "
                                    "recording_policies ORDER BY kind, name",
                                    0, NULL);
    if (!r)
        return ccctl_db_fail(ctx, "reading policies");
    static const char *const hdr[] = {"SCOPE", "MODE", "RETENTION_DAYS", NULL};
    ccctl_table_print_result(hdr, r, "", stdout);
    PQclear(r);
    return 0;
}

/* SCOPE "ext:1001" -> kind "ext" (ext, queue or trunk) and *name. 0 or an exit code. */
static int s_scope_parse(const char *scope, char *kind, size_t kindlen, const char **name)
{
    char err[160];
    const char *colon = strchr(scope, ':');
    if (!colon || colon - scope >= (long)kindlen || !colon[1])
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad scope '%s': ext:EXT, queue:NAME or trunk:NAME",
                          scope);
    snprintf(kind, kindlen, "%.*s", (int)(colon - scope), scope);
    if (strcmp(kind, "ext") && strcmp(kind, "queue") && strcmp(kind, "trunk"))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad scope '%s': ext:, queue: or trunk:", scope);
    if (!strcmp(kind, "ext") && cc_extension_validate(colon + 1, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad scope '%s': %s", scope, err);
    if (strcmp(kind, "ext") && cc_target_parse(scope, NULL, NULL, 0, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad scope '%s': %s", scope, err);
    *name = colon + 1;
    return 0;
}

/* Inside the transaction: the extension, queue or trunk a policy names must exist (KEY
 * SHARE locked until the commit). 0 or an exit code. */
static int s_scope_exists(ccctl_t *ctx, const char *kind, const char *name)
{
    const char *sql = "SELECT 1 FROM trunks WHERE name = $1 FOR KEY SHARE";
    const char *what = "trunk", *hint = "ccctl trunk add";
    if (!strcmp(kind, "ext")) {
        sql = "SELECT 1 FROM sip_users WHERE ext = $1 FOR KEY SHARE";
        what = "extension";
        hint = "ccctl user add";
    } else if (!strcmp(kind, "queue")) {
        sql = "SELECT 1 FROM queues WHERE name = $1 FOR KEY SHARE";
        what = "queue";
        hint = "ccctl queue add";
    }
    const char *p[] = {name};
    PGresult *r = cc_pg_exec_params(ctx->pg, sql, 1, p);
    if (!r)
        return ccctl_db_fail(ctx, "checking the scope");
    int rc = PQntuples(r) == 0
                 ? ccctl_fail(CCCTL_EXIT_REFUSED, "unknown %s '%s': add it with `%s` first", what,
                              name, hint)
                 : 0;
    PQclear(r);
    return rc;
}

static int s_policy_set(ccctl_t *ctx, const char *kind, const char *name, const char *mode,
                        const char *days)
{
    if (cc_pg_begin(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "BEGIN failed");
    int rc = s_scope_exists(ctx, kind, name);
    const char *p[] = {kind, name, mode, days};
    PGresult *r = rc ? NULL
                     : cc_pg_exec_params(ctx->pg,
                                         "INSERT INTO recording_policies (kind, name, mode, "
                                         "retention_days) VALUES ($1, $2, $3, $4::int) ON "
                                         "CONFLICT (kind, name) DO UPDATE SET mode = "
                                         "EXCLUDED.mode, retention_days = "
                                         "EXCLUDED.retention_days, updated_at = now()",
                                         4, p);
    if (rc == 0 && !r)
        rc = ccctl_db_fail(ctx, "setting the policy");
    PQclear(r);
    if (rc != 0) {
        cc_pg_rollback(ctx->pg);
        return rc;
    }
    if (cc_pg_commit(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "COMMIT failed");
    printf("recording policy %s:%s: %s%s%s\n", kind, name, mode, days ? ", retention days " : "",
           days ? days : "");
    return 0;
}

/* `recording policy del SCOPE`: calls of that scope fall back to the other matching
 * policies, or [recorderd] default_mode. */
static int s_policy_del(ccctl_t *ctx, int npos, const char *const *pos)
{
    char kind[8];
    const char *name = NULL;
    if (npos != 2)
        return ccctl_usage_fail(ccctl_recording_usage, "policy del: missing SCOPE");
    int rc = s_scope_parse(pos[1], kind, sizeof kind, &name);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {kind, name};
    PGresult *r = cc_pg_exec_params(
        ctx->pg, "DELETE FROM recording_policies WHERE kind = $1 AND name = $2 RETURNING mode", 2,
        p);
    if (!r)
        return ccctl_db_fail(ctx, "deleting the policy");
    if (PQntuples(r) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no recording policy for %s", pos[1]);
    else
        printf("deleted recording policy %s (was %s)\n", pos[1], PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

static int s_policy(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--retention-days", true}, {"--json", false}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 0, 2, "SCOPE MODE",
                         ccctl_recording_usage);
    if (rc)
        return rc;
    if (args.npos >= 1 && !strcmp(args.pos[0], "del"))
        return s_policy_del(ctx, args.npos, args.pos);
    if (args.npos == 1)
        return ccctl_usage_fail(ccctl_recording_usage, "missing MODE");
    if (args.npos == 0)
        return ccctl_db(ctx, true, &rc) ? s_policy_list(ctx) : rc;
    char kind[8];
    const char *name = NULL;
    rc = s_scope_parse(args.pos[0], kind, sizeof kind, &name);
    if (rc)
        return rc;
    const char *mode = args.pos[1];
    if (strcmp(mode, "always") && strcmp(mode, "never") && strcmp(mode, "on-demand"))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad mode '%s': always, never or on-demand", mode);
    const char *days = ccctl_arg(&args, "--retention-days");
    long d;
    if (days && ccctl_parse_long(days, 0, 36500, &d) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --retention-days '%s': 0-36500", days);
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    return s_policy_set(ctx, kind, name, mode, days);
}

/* --since/--until: whatever Postgres reads as a timestamp, asked before the listing so a
 * typo is a usage error (exit 2) that says what is expected, not an SQL error. */
static int s_check_time(ccctl_t *ctx, const char *opt, const char *value)
{
    if (!value)
        return 0;
    const char *p[] = {value};
    PGresult *r = cc_pg_exec_params(ctx->pg, "SELECT $1::timestamptz", 1, p);
    if (r) {
        PQclear(r);
        return 0;
    }
    if (strncmp(cc_pg_sqlstate(ctx->pg), "22", 2) != 0) /* not a data exception */
        return ccctl_db_fail(ctx, "reading the time");
    return ccctl_fail(CCCTL_EXIT_USAGE,
                      "bad %s '%s': expected a date and time, e.g. '2026-11-21 13:00', "
                      "'2026-11-21T13:00:00Z', '2026-11-21', 'today' or 'yesterday'",
                      opt, value);
}

static int s_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--number", true}, {"--agent", true}, {"--since", true},
                                       {"--until", true},  {"--json", false}, {"--limit", true}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 0, 0, "", ccctl_recording_usage);
    if (rc)
        return rc;
    long limit = 50;
    if (ccctl_arg(&args, "--limit") &&
        ccctl_parse_long(ccctl_arg(&args, "--limit"), 1, 100000, &limit) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --limit");
    char lim[16];
    snprintf(lim, sizeof lim, "%ld", limit);
    cc_pg_t *pg = ccctl_db(ctx, true, &rc);
    if (!pg)
        return rc;
    rc = s_check_time(ctx, "--since", ccctl_arg(&args, "--since"));
    if (rc == 0)
        rc = s_check_time(ctx, "--until", ccctl_arg(&args, "--until"));
    if (rc)
        return rc;
    const char *p[] = {ccctl_arg(&args, "--number"), ccctl_arg(&args, "--agent"),
                       ccctl_arg(&args, "--since"), ccctl_arg(&args, "--until"), lim};
    PGresult *r = cc_pg_exec_params(
        pg,
        "SELECT id, call_id, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS"
        "\"Z\"'), coalesce(caller, ''), coalesce(callee, ''), coalesce(agent, ''), "
        "coalesce(queue, ''), coalesce(duration_ms, 0), coalesce(size, 0), coalesce(sha256, ''), "
        "encrypted, complete, paused::text, path, legal_hold, deleted_at IS NOT NULL, "
        "to_char(retention_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
        "ended_at IS NOT NULL, frames_lost, gaps::text FROM recordings WHERE ($1::text IS NULL OR "
        "caller = $1 OR "
        "callee = $1) AND ($2::text IS NULL OR agent = $2) AND ($3::timestamptz IS NULL OR "
        "started_at >= $3) AND ($4::timestamptz IS NULL OR started_at < $4) ORDER BY "
        "started_at DESC, id DESC LIMIT $5::int",
        5, p);
    if (!r)
        return ccctl_db_fail(ctx, "listing recordings");
    if (ccctl_flag(&args, "--json")) {
        json_t *list = json_array();
        for (int i = 0; i < PQntuples(r); i++) {
            json_t *paused = json_loads(PQgetvalue(r, i, 12), 0, NULL);
            json_t *gaps = json_loads(PQgetvalue(r, i, 19), 0, NULL);
            json_array_append_new(
                list,
                json_pack(
                    "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:b, s:b, s:o, s:s, s:b, "
                    "s:b, s:s, s:b, s:I, s:o}",
                    "id", (json_int_t)strtoll(PQgetvalue(r, i, 0), NULL, 10), "call_id",
                    PQgetvalue(r, i, 1), "started_at", PQgetvalue(r, i, 2), "caller",
                    PQgetvalue(r, i, 3), "callee", PQgetvalue(r, i, 4), "agent",
                    PQgetvalue(r, i, 5), "queue", PQgetvalue(r, i, 6), "duration_ms",
                    (json_int_t)strtoll(PQgetvalue(r, i, 7), NULL, 10), "size",
                    (json_int_t)strtoll(PQgetvalue(r, i, 8), NULL, 10), "sha256",
                    PQgetvalue(r, i, 9), "encrypted", PQgetvalue(r, i, 10)[0] == 't', "complete",
                    PQgetvalue(r, i, 11)[0] == 't', "paused", paused ? paused : json_array(),
                    "path", PQgetvalue(r, i, 13), "legal_hold", PQgetvalue(r, i, 14)[0] == 't',
                    "deleted", PQgetvalue(r, i, 15)[0] == 't', "retention_until",
                    PQgetvalue(r, i, 16), "finished", PQgetvalue(r, i, 17)[0] == 't', "frames_lost",
                    (json_int_t)strtoll(PQgetvalue(r, i, 18), NULL, 10), "gaps",
                    gaps ? gaps : json_array()));
        }
        ccctl_json_print(list, stdout);
    } else {
        static const char *const hdr[] = {"ID",       "STARTED", "CALLER",  "CALLEE", "AGENT",
                                          "DURATION", "STATE",   "CALL_ID", NULL};
        ccctl_table_t *t = ccctl_table_new(hdr);
        for (int i = 0; t && i < PQntuples(r); i++) {
            char dur[32];
            snprintf(dur, sizeof dur, "%.1fs", atof(PQgetvalue(r, i, 7)) / 1000.0);
            /* "complete, gaps" says audio is missing inside an otherwise whole file */
            const char *state = PQgetvalue(r, i, 15)[0] == 't'       ? "deleted"
                                : PQgetvalue(r, i, 17)[0] != 't'     ? "recording"
                                : PQgetvalue(r, i, 11)[0] != 't'     ? "incomplete"
                                : strcmp(PQgetvalue(r, i, 19), "[]") ? "complete, gaps"
                                                                     : "complete";
            const char *cells[] = {PQgetvalue(r, i, 0),
                                   PQgetvalue(r, i, 2),
                                   PQgetvalue(r, i, 3),
                                   PQgetvalue(r, i, 4),
                                   PQgetvalue(r, i, 5),
                                   dur,
                                   state,
                                   PQgetvalue(r, i, 1)};
            ccctl_table_add(t, cells);
        }
        ccctl_table_print_destroy(&t, stdout);
    }
    PQclear(r);
    return 0;
}

static int s_slurp(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 20, n = 0;
    *buf = malloc(cap);
    while (*buf) {
        n += fread(*buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *b = realloc(*buf, cap * 2);
        if (!b) {
            free(*buf);
            *buf = NULL;
        } else {
            *buf = b;
            cap *= 2;
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (!*buf || bad) {
        free(*buf);
        return -1;
    }
    *len = n;
    return 0;
}

static int s_master_key(ccctl_t *ctx, uint8_t key[REC_KEY_LEN])
{
    char path[4200], text[256];
    const char *k = cc_config_str(ctx->cfg, "recorderd", "master_key_file");
    if (*k)
        snprintf(path, sizeof path, "%s", k);
    else
        snprintf(path, sizeof path, "%s/secrets/recording-master.key", cc_config_var_dir(ctx->cfg));
    FILE *f = fopen(path, "r");
    if (!f)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "cannot read the master key %s: %s", path,
                          strerror(errno));
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    if (rec_key_parse_hex(text, key) < 0)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "%s does not hold 64 hex digits", path);
    return 0;
}

static int s_write_out(const char *out, const uint8_t *buf, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", out, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "cannot write %s: %s", tmp, strerror(errno));
    bool ok = fwrite(buf, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, out) != 0) {
        unlink(tmp);
        return ccctl_fail(CCCTL_EXIT_REFUSED, "cannot write %s", out);
    }
    return 0;
}

static int s_export(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    long id;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 2, 2, "ID OUT.wav", ccctl_recording_usage);
    if (rc)
        return rc;
    if (ccctl_parse_long(args.pos[0], 1, INT64_MAX, &id) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad ID '%s'", args.pos[0]);
    cc_pg_t *pg = ccctl_db(ctx, true, &rc);
    if (!pg)
        return rc;
    const char *p[] = {args.pos[0]};
    PGresult *r = cc_pg_exec_params(pg,
                                    "SELECT path, encrypted, coalesce(sha256, ''), "
                                    "deleted_at IS NOT NULL, complete, ended_at IS NOT NULL "
                                    "FROM recordings WHERE id = $1::bigint",
                                    1, p);
    if (!r)
        return ccctl_db_fail(ctx, "reading the index");
    if (PQntuples(r) != 1) {
        PQclear(r);
        return ccctl_fail(CCCTL_EXIT_REFUSED, "no recording %ld", id);
    }
    char path[4096], sha_idx[65];
    snprintf(path, sizeof path, "%s", PQgetvalue(r, 0, 0));
    snprintf(sha_idx, sizeof sha_idx, "%s", PQgetvalue(r, 0, 2));
    bool encrypted = PQgetvalue(r, 0, 1)[0] == 't', deleted = PQgetvalue(r, 0, 3)[0] == 't';
    bool complete = PQgetvalue(r, 0, 4)[0] == 't', finished = PQgetvalue(r, 0, 5)[0] == 't';
    PQclear(r);
    if (deleted)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "recording %ld was deleted (retention)", id);
    uint8_t *buf = NULL, *plain = NULL;
    size_t len = 0, plen = 0;
    if (s_slurp(path, &buf, &len) < 0)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "cannot read %s: %s", path, strerror(errno));
    char sha[65];
    rec_sha256_hex(buf, len, sha);
    if (finished && sha_idx[0] && strcmp(sha, sha_idx) != 0) {
        free(buf);
        return ccctl_fail(CCCTL_EXIT_REFUSED,
                          "recording %ld is tampered: %s has SHA-256 %s, "
                          "the index says %s; nothing written",
                          id, path, sha, sha_idx);
    }
    if (encrypted) {
        uint8_t key[REC_KEY_LEN];
        char err[256];
        bool whole = false;
        if ((rc = s_master_key(ctx, key)) != 0) {
            free(buf);
            return rc;
        }
        int d = rec_decrypt(key, buf, len, &plain, &plen, &whole, err, sizeof err);
        free(buf);
        if (d < 0)
            return ccctl_fail(CCCTL_EXIT_REFUSED, "recording %ld (%s): %s; nothing written", id,
                              path, err);
        if (!whole && complete) {
            free(plain);
            return ccctl_fail(CCCTL_EXIT_REFUSED,
                              "recording %ld (%s) is truncated: its final "
                              "chunk is missing though the index says complete; nothing "
                              "written",
                              id, path);
        }
        buf = plain;
        len = plen;
    } else if (!rec_wav_is_ours(buf, len)) {
        free(buf);
        return ccctl_fail(CCCTL_EXIT_REFUSED, "%s is not a recording WAV", path);
    }
    rc = s_write_out(args.pos[1], buf, len);
    free(buf);
    if (rc == 0)
        printf("recording %ld -> %s (%zu bytes%s%s)\n", id, args.pos[1], len,
               encrypted ? ", decrypted and verified" : ", verified",
               complete ? "" : ", INCOMPLETE: recording ended abnormally");
    return rc;
}

static int s_hold(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    long id;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 2, 2, "ID on|off", ccctl_recording_usage);
    if (rc)
        return rc;
    if (ccctl_parse_long(args.pos[0], 1, INT64_MAX, &id) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad ID '%s'", args.pos[0]);
    if (strcmp(args.pos[1], "on") && strcmp(args.pos[1], "off"))
        return ccctl_fail(CCCTL_EXIT_USAGE, "hold takes on or off");
    cc_pg_t *pg = ccctl_db(ctx, true, &rc);
    if (!pg)
        return rc;
    const char *p[] = {args.pos[0], strcmp(args.pos[1], "on") == 0 ? "t" : "f"};
    PGresult *r = cc_pg_exec_params(pg,
                                    "UPDATE recordings SET legal_hold = $2::boolean WHERE "
                                    "id = $1::bigint AND deleted_at IS NULL",
                                    2, p);
    if (!r)
        return ccctl_db_fail(ctx, "setting the hold");
    bool found = atoi(PQcmdTuples(r)) == 1;
    PQclear(r);
    if (!found)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "no recording %ld (or it was deleted)", id);
    printf("recording %ld: legal hold %s\n", id, args.pos[1]);
    return 0;
}

static int s_control(ccctl_t *ctx, const char *sub, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 1, 1, "CALL_ID", ccctl_recording_usage);
    if (rc)
        return rc;
    if (!ccctl_config(ctx))
        return CCCTL_EXIT_USAGE;
    char name[64], cmd[32], err[512];
    snprintf(name, sizeof name, "ccctl-%d", (int)getpid());
    snprintf(cmd, sizeof cmd, "rec.%s", sub);
    cc_bus_t *bus = cc_bus_from_config(name, ctx->cfg, 0, err, sizeof err);
    if (!bus)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "cannot create the bus client: %s", err);
    json_t *res = cc_bus_call(bus, "recorderd", cmd, json_pack("{s:s}", "call_id", args.pos[0]),
                              5000, err, sizeof err);
    cc_bus_destroy(&bus);
    if (!res) {
        ccctl_fail(CCCTL_EXIT_REFUSED, "%s", err);
        ccctl_where_hint(ctx);
        return CCCTL_EXIT_REFUSED;
    }
    printf("call %s: recording %lld %s\n", args.pos[0],
           (long long)json_integer_value(json_object_get(res, "recording_id")),
           !strcmp(sub, "start")   ? "started"
           : !strcmp(sub, "stop")  ? "stopped"
           : !strcmp(sub, "pause") ? "paused"
                                   : "resumed");
    json_decref(res);
    return 0;
}

int ccctl_recording_main(ccctl_t *ctx, int argc, char **argv)
{
    if (ccctl_wants_help(argc - 1, argv + 1)) {
        ccctl_recording_usage(stdout);
        return CCCTL_EXIT_OK;
    }
    const char *sub = argc > 1 ? argv[1] : NULL;
    if (!sub)
        return ccctl_usage_fail(ccctl_recording_usage, "recording: missing sub-command");
    if (!strcmp(sub, "policy"))
        return s_policy(ctx, argc - 2, argv + 2);
    if (!strcmp(sub, "list"))
        return s_list(ctx, argc - 2, argv + 2);
    if (!strcmp(sub, "export"))
        return s_export(ctx, argc - 2, argv + 2);
    if (!strcmp(sub, "hold"))
        return s_hold(ctx, argc - 2, argv + 2);
    if (!strcmp(sub, "start") || !strcmp(sub, "stop") || !strcmp(sub, "pause") ||
        !strcmp(sub, "resume"))
        return s_control(ctx, sub, argc - 2, argv + 2);
    return ccctl_usage_fail(ccctl_recording_usage, "recording: unknown sub-command '%s'", sub);
}
