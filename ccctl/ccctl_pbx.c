/* ccctl_pbx.c - `ccctl user dnd|forward|ringtime`: an extension's routing in
 * pbx_user_settings (do-not-disturb, forwarding, ring time), which sipproxy applies when
 * a call rings the extension (sipproxy/sp_divert.c) and reloads on NOTIFY. */
#include <stdlib.h>
#include <string.h>

#include "cc_dialplan.h"
#include "ccctl.h"

static int s_check_ext(const char *ext)
{
    char err[128];
    if (cc_extension_validate(ext, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad extension: %s", err);
    return 0;
}

/* ext:EXT, number:DIGITS (+*# allowed) or vm:MAILBOX. */
static bool s_target_ok(const char *t)
{
    char name[CC_TARGET_NAME_MAX], err[128];
    cc_target_kind_t kind;
    if (strncmp(t, "number:", 7) == 0) {
        size_t n = strlen(t + 7);
        return n > 0 && n <= 32 && strspn(t + 7, "0123456789+*#") == n;
    }
    if (strlen(t) > 44 || cc_target_parse(t, &kind, name, sizeof name, err, sizeof err) != 0)
        return false;
    return kind == CC_TARGET_EXT || kind == CC_TARGET_VOICEMAIL;
}

/* Run one upsert of pbx_user_settings for ext; "no extension" when it does not exist. */
static int s_upsert(ccctl_t *ctx, const char *what, const char *sql, const char *ext,
                    const char *value)
{
    int rc;
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, what, sql, 2, (const char *const[]){ext, value}, &res);
    if (rc != 0)
        return rc;
    bool found = strcmp(PQcmdTuples(res), "0") != 0;
    PQclear(res);
    if (!found)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "no extension %s", ext);
    return 0;
}

#define S_UPSERT(col, cast)                                                                        \
    "INSERT INTO pbx_user_settings (ext, " col ") SELECT $1, " cast                                \
    " WHERE EXISTS (SELECT 1 FROM sip_users WHERE ext = $1) ON CONFLICT (ext) DO UPDATE SET " col  \
    " = EXCLUDED." col ", updated_at = now()"

int ccctl_user_dnd(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 2, 2, "EXT on|off", ccctl_user_usage);
    if (rc != 0 || (rc = s_check_ext(args.pos[0])) != 0)
        return rc;
    const char *v = args.pos[1];
    if (strcmp(v, "on") && strcmp(v, "off"))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad value '%s': on or off", v);
    rc = s_upsert(ctx, "setting do-not-disturb", S_UPSERT("dnd", "$2::boolean"), args.pos[0],
                  strcmp(v, "on") == 0 ? "true" : "false");
    if (rc == 0)
        printf("extension %s: do-not-disturb %s\n", args.pos[0], v);
    return rc;
}

int ccctl_user_forward(ccctl_t *ctx, int argc, char **argv)
{
    static const struct {
        const char *cond, *sql;
    } conds[] = {
        {"always", S_UPSERT("fwd_always", "nullif($2, '')")},
        {"busy", S_UPSERT("fwd_busy", "nullif($2, '')")},
        {"noanswer", S_UPSERT("fwd_noanswer", "nullif($2, '')")},
        {"unavailable", S_UPSERT("fwd_unavailable", "nullif($2, '')")},
    };
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 3, 3,
                         "EXT always|busy|noanswer|unavailable TARGET|off", ccctl_user_usage);
    if (rc != 0 || (rc = s_check_ext(args.pos[0])) != 0)
        return rc;
    const char *sql = NULL, *target = args.pos[2];
    for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++)
        if (strcmp(args.pos[1], conds[i].cond) == 0)
            sql = conds[i].sql;
    if (!sql)
        return ccctl_fail(CCCTL_EXIT_USAGE,
                          "bad condition '%s': always, busy, noanswer or unavailable", args.pos[1]);
    bool off = strcmp(target, "off") == 0;
    if (!off && !s_target_ok(target))
        return ccctl_fail(CCCTL_EXIT_USAGE,
                          "bad target '%s': ext:EXT, number:DIGITS, vm:MAILBOX or off", target);
    if (!off && strncmp(target, "ext:", 4) == 0 && strcmp(target + 4, args.pos[0]) == 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "extension %s cannot forward to itself", args.pos[0]);
    rc = s_upsert(ctx, "setting the forwarding", sql, args.pos[0], off ? "" : target);
    if (rc == 0)
        printf("extension %s: forward %s %s\n", args.pos[0], args.pos[1], off ? "off" : target);
    return rc;
}

int ccctl_user_ringtime(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 2, 2, "EXT SECONDS", ccctl_user_usage);
    if (rc != 0 || (rc = s_check_ext(args.pos[0])) != 0)
        return rc;
    const char *v = args.pos[1];
    char *end = NULL;
    long s = strtol(v, &end, 10);
    if (!v[0] || *end || s < 5 || s > 300)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad ring time '%s': 5-300 seconds", v);
    rc = s_upsert(ctx, "setting the ring time", S_UPSERT("ring_time_s", "$2::integer"), args.pos[0],
                  v);
    if (rc == 0)
        printf("extension %s: rings %ld s before forward-on-no-answer\n", args.pos[0], s);
    return rc;
}

/* "ext:1002/15,number:5551234/20": 1-8 steps of ext:EXT or number:N, 5-300 s each. */
static bool s_followme_ok(const char *spec, char *err, size_t errlen)
{
    int n = 0;
    for (const char *p = spec;;) {
        size_t len = strcspn(p, ",");
        char step[64];
        if (len == 0 || len >= sizeof step) {
            snprintf(err, errlen, "step %d: empty or too long", n + 1);
            return false;
        }
        memcpy(step, p, len);
        step[len] = '\0';
        char *slash = strrchr(step, '/');
        char *end = NULL;
        long secs = slash ? strtol(slash + 1, &end, 10) : 0;
        if (!slash || !slash[1] || *end || secs < 5 || secs > 300) {
            snprintf(err, errlen, "step %d '%s': want TARGET/SECONDS, 5-300 seconds", n + 1, step);
            return false;
        }
        *slash = '\0';
        if (strncmp(step, "vm:", 3) == 0 || !s_target_ok(step)) {
            snprintf(err, errlen, "step %d: bad target '%s' (ext:EXT or number:N)", n + 1, step);
            return false;
        }
        if (++n > 8) {
            snprintf(err, errlen, "more than 8 steps");
            return false;
        }
        if (!p[len])
            return true;
        p += len + 1;
    }
}

int ccctl_user_followme(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc =
        ccctl_parse(&args, argc, argv, NULL, 0, 2, 3, "EXT set STEPS | EXT off", ccctl_user_usage);
    if (rc != 0 || (rc = s_check_ext(args.pos[0])) != 0)
        return rc;
    bool off = strcmp(args.pos[1], "off") == 0 && args.npos == 2;
    bool set = strcmp(args.pos[1], "set") == 0 && args.npos == 3;
    if (!off && !set)
        return ccctl_usage_fail(ccctl_user_usage, "followme EXT set STEPS, or followme EXT off");
    char err[160];
    if (set && !s_followme_ok(args.pos[2], err, sizeof err))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad follow-me: %s", err);
    rc = s_upsert(ctx, "setting the follow-me", S_UPSERT("followme", "nullif($2, '')"), args.pos[0],
                  off ? "" : args.pos[2]);
    if (rc == 0)
        printf("extension %s: follow-me %s\n", args.pos[0], off ? "off" : args.pos[2]);
    return rc;
}

/* 1-40 of letters, digits, _ . - (sip_users.pickup_group's CHECK). */
static bool s_group_ok(const char *g)
{
    size_t n = strlen(g);
    return n >= 1 && n <= 40 &&
           strspn(g, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

int ccctl_user_pickup_group(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 2, 2, "EXT NAME|off", ccctl_user_usage);
    if (rc != 0 || (rc = s_check_ext(args.pos[0])) != 0)
        return rc;
    const char *g = strcmp(args.pos[1], "off") == 0 ? "" : args.pos[1];
    if (g[0] && !s_group_ok(g))
        return ccctl_fail(CCCTL_EXIT_USAGE,
                          "bad pickup group '%s': 1-40 letters, digits, _ . or -, or off", g);
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "setting the pickup group",
                    "UPDATE sip_users SET pickup_group = $2 WHERE ext = $1", 2,
                    (const char *const[]){args.pos[0], g}, &res);
    if (rc != 0)
        return rc;
    bool found = strcmp(PQcmdTuples(res), "0") != 0;
    PQclear(res);
    if (!found)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "no extension %s", args.pos[0]);
    printf("extension %s: pickup group %s\n", args.pos[0], g[0] ? g : "none");
    return 0;
}
