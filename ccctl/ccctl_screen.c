/* ccctl_screen.c - `ccctl block|allow|cos|caller-route ...` and `ccctl user cos`: the
 * screening tables of migration 022 (screen_rules, cos_prefixes, sip_users.cos,
 * caller_routes). Values are checked with common/cc_screen.h and cc_dialplan.h, the code
 * sipproxy matches with; sipproxy reloads on the tables' NOTIFY. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cc_dialplan.h"
#include "cc_screen.h"
#include "ccctl.h"
#include "ccctl_out.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

void ccctl_block_usage(FILE *out)
{
    fputs("usage: ccctl block add [--ext EXT] [--action busy|message] NUMBER|PREFIX*|anonymous\n"
          "       ccctl block del [--ext EXT] NUMBER|PREFIX*|anonymous\n"
          "       ccctl block list [--ext EXT] [--json]\n"
          "       ccctl allow add|del [--ext EXT] NUMBER|PREFIX*|anonymous\n"
          "       ccctl allow list [--ext EXT] [--json]\n"
          "  Callers refused before their call is routed: an exact number, a prefix ending in\n"
          "  * (+44*), or anonymous (From anonymous, Privacy: id, or no number). Without --ext\n"
          "  a rule applies to every call, with it to calls that reach that extension. An\n"
          "  allow rule that matches wins over every block. --action: busy (486, the default)\n"
          "  or message (the caller hears [sipproxy] blocked_prompt, then 486). Refused calls\n"
          "  are CDRs with disposition blocked and the rule as reason.\n",
          out);
}

void ccctl_cos_usage(FILE *out)
{
    fputs("usage: ccctl cos add local|national|international|emergency PREFIX\n"
          "       ccctl cos del PREFIX\n"
          "       ccctl cos list [--json]\n"
          "       ccctl user cos EXT internal|local|national|international\n"
          "  Classes of service: a number an extension dials out through a trunk has the class\n"
          "  of the longest matching PREFIX (international when none matches); an extension\n"
          "  may dial classes up to its own (internal: no trunk calls). Emergency numbers\n"
          "  (112, 911, 999 and those added as emergency, exact) are always allowed. A refused\n"
          "  call hears [sipproxy] not_permitted_prompt, then gets 403 (CDR: blocked).\n",
          out);
}

void ccctl_caller_route_usage(FILE *out)
{
    fputs("usage: ccctl caller-route add NUMBER CALLER_PREFIX TARGET\n"
          "       ccctl caller-route del NUMBER CALLER_PREFIX\n"
          "       ccctl caller-route list [--json]\n"
          "  Routing by the caller's area code or country prefix: a call to NUMBER (as\n"
          "  dialled; it needs a dialplan route or an IVR as usual) from a caller whose number\n"
          "  starts with CALLER_PREFIX (+44, 030) goes to TARGET instead (ext:EXT, queue:NAME,\n"
          "  ivr:NAME, trunk:NAME, conf:ROOM, vm:MAILBOX). The longest prefix wins.\n",
          out);
}

/* --ext, when given: valid and existing. 0 or an exit code. */
static int s_ext_arg(ccctl_t *ctx, const ccctl_args_t *args, const char **ext)
{
    char err[128];
    *ext = ccctl_arg(args, "--ext");
    if (!*ext) {
        *ext = "";
        return 0;
    }
    if (cc_extension_validate(*ext, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --ext '%s': %s", *ext, err);
    if (!ctx)
        return 0;
    PGresult *res = NULL;
    const char *p[] = {*ext};
    int rc = ccctl_exec(ctx, "checking the extension", "SELECT 1 FROM sip_users WHERE ext = $1", 1,
                        p, &res);
    if (rc == 0 && PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED,
                        "unknown extension '%s': add it with `ccctl user "
                        "add` first",
                        *ext);
    PQclear(res);
    return rc;
}

static int s_rule_add(ccctl_t *ctx, int argc, char **argv, const char *list)
{
    bool block = strcmp(list, "block") == 0;
    static const ccctl_opt_t opts[] = {{"--ext", true}, {"--action", true}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, block ? 2 : 1, 1, 1, "NUMBER", ccctl_block_usage);
    if (rc != 0)
        return rc;
    char err[128];
    const char *pattern = args.pos[0], *ext = NULL;
    if (cc_screen_pattern_validate(pattern, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad number: %s", err);
    const char *action = block ? ccctl_arg(&args, "--action") : NULL;
    cc_screen_action_t a;
    if (action && cc_screen_action_parse(action, &a) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --action '%s': busy or message", action);
    if ((rc = s_ext_arg(NULL, &args, &ext)) != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    if ((rc = s_ext_arg(ctx, &args, &ext)) != 0)
        return rc;
    const char *p[] = {ext, list, pattern, action ? action : "busy"};
    rc = ccctl_exec(ctx, "adding the rule",
                    "INSERT INTO screen_rules (ext, list, pattern, action) VALUES ($1, $2, $3, $4)",
                    4, p, NULL);
    if (rc == 0)
        printf("%s %s%s%s%s%s\n", block ? "blocked" : "allowed", pattern,
               ext[0] ? " for ext " : " for every call", ext, block ? ", action " : "",
               block ? p[3] : "");
    return rc;
}

static int s_rule_del(ccctl_t *ctx, int argc, char **argv, const char *list)
{
    static const ccctl_opt_t opts[] = {{"--ext", true}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, 1, 1, 1, "NUMBER", ccctl_block_usage);
    if (rc != 0)
        return rc;
    char err[128];
    const char *ext = NULL;
    if (cc_screen_pattern_validate(args.pos[0], err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad number: %s", err);
    if ((rc = s_ext_arg(NULL, &args, &ext)) != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {ext, list, args.pos[0]};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "deleting the rule",
                    "DELETE FROM screen_rules WHERE ext = $1 AND list = $2 AND pattern = $3 "
                    "RETURNING id",
                    3, p, &res);
    if (rc == 0 && PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no %s rule '%s'%s%s", list, args.pos[0],
                        ext[0] ? " for ext " : "", ext);
    else if (rc == 0)
        printf("deleted %s rule %s\n", list, args.pos[0]);
    PQclear(res);
    return rc;
}

/* A listing as a table or JSON: columns named by `headers` (JSON keys in lower case). */
static void s_print(PGresult *res, const char *const *headers, const char *const *keys, bool json)
{
    if (json) {
        json_t *list = json_array();
        for (int r = 0; r < PQntuples(res); r++) {
            json_t *row = json_object();
            for (int i = 0; keys[i]; i++)
                json_object_set_new(row, keys[i], json_string(PQgetvalue(res, r, i)));
            json_array_append_new(list, row);
        }
        ccctl_json_print(list, stdout);
        return;
    }
    ccctl_table_print_result(headers, res, "", stdout);
}

static int s_rule_list(ccctl_t *ctx, int argc, char **argv, const char *list)
{
    static const ccctl_opt_t opts[] = {{"--ext", true}, {"--json", false}};
    ccctl_args_t args;
    const char *ext = NULL;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 0, 0, "", ccctl_block_usage);
    if (rc != 0 || (rc = s_ext_arg(NULL, &args, &ext)) != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {list, ccctl_arg(&args, "--ext") ? ext : NULL};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "listing the rules",
                    "SELECT CASE WHEN ext = '' THEN '*' ELSE ext END, pattern, action FROM "
                    "screen_rules WHERE list = $1 AND ($2::text IS NULL OR ext = $2) "
                    "ORDER BY ext, pattern",
                    2, p, &res);
    if (rc != 0)
        return rc;
    static const char *const headers[] = {"EXT", "NUMBER", "ACTION", NULL};
    static const char *const keys[] = {"ext", "number", "action", NULL};
    s_print(res, headers, keys, ccctl_flag(&args, "--json"));
    PQclear(res);
    return 0;
}

#define S_LIST_SUBS(list)                                                                          \
    static int s_##list##_add(ccctl_t *ctx, int argc, char **argv)                                 \
    {                                                                                              \
        return s_rule_add(ctx, argc, argv, #list);                                                 \
    }                                                                                              \
    static int s_##list##_del(ccctl_t *ctx, int argc, char **argv)                                 \
    {                                                                                              \
        return s_rule_del(ctx, argc, argv, #list);                                                 \
    }                                                                                              \
    static int s_##list##_list(ccctl_t *ctx, int argc, char **argv)                                \
    {                                                                                              \
        return s_rule_list(ctx, argc, argv, #list);                                                \
    }
S_LIST_SUBS(block)
S_LIST_SUBS(allow)

int ccctl_block_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"add", s_block_add}, {"del", s_block_del}, {"list", s_block_list}, {NULL, NULL}};
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_block_usage);
}

int ccctl_allow_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"add", s_allow_add}, {"del", s_allow_del}, {"list", s_allow_list}, {NULL, NULL}};
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_block_usage);
}

/* ---- classes of service ------------------------------------------------------------ */

static int s_cos_add(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 2, 2, "CLASS PREFIX", ccctl_cos_usage);
    if (rc != 0)
        return rc;
    char err[128];
    cc_cos_t cos;
    if (cc_cos_parse(args.pos[0], &cos) != 0 || cos == CC_COS_INTERNAL)
        return ccctl_fail(CCCTL_EXIT_USAGE,
                          "bad class '%s': local, national, international or emergency",
                          args.pos[0]);
    if (cc_screen_prefix_validate(args.pos[1], err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad prefix: %s", err);
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {args.pos[0], args.pos[1]};
    rc = ccctl_exec(ctx, "adding the prefix",
                    "INSERT INTO cos_prefixes (class, prefix) VALUES ($1, $2)", 2, p, NULL);
    if (rc == 0)
        printf("%s %s: %s\n", cos == CC_COS_EMERGENCY ? "emergency number" : "prefix", args.pos[1],
               args.pos[0]);
    return rc;
}

static int s_cos_del(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 1, 1, "PREFIX", ccctl_cos_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {args.pos[0]};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "deleting the prefix",
                    "DELETE FROM cos_prefixes WHERE prefix = $1 RETURNING class", 1, p, &res);
    if (rc == 0 && PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no prefix '%s'", args.pos[0]);
    else if (rc == 0)
        printf("deleted prefix %s (%s)\n", args.pos[0], PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

static int s_cos_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, 1, 0, 0, "", ccctl_cos_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "listing the prefixes",
                    "SELECT prefix, class FROM cos_prefixes ORDER BY class, prefix", 0, NULL, &res);
    if (rc != 0)
        return rc;
    static const char *const headers[] = {"PREFIX", "CLASS", NULL};
    static const char *const keys[] = {"prefix", "class", NULL};
    s_print(res, headers, keys, ccctl_flag(&args, "--json"));
    PQclear(res);
    return 0;
}

int ccctl_cos_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"add", s_cos_add}, {"del", s_cos_del}, {"list", s_cos_list}, {NULL, NULL}};
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_cos_usage);
}

int ccctl_user_cos(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 2, 2, "EXT CLASS", ccctl_user_usage);
    if (rc != 0)
        return rc;
    char err[128];
    cc_cos_t cos;
    if (cc_extension_validate(args.pos[0], err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad EXT '%s': %s", args.pos[0], err);
    if (cc_cos_parse(args.pos[1], &cos) != 0 || cos == CC_COS_EMERGENCY)
        return ccctl_fail(CCCTL_EXIT_USAGE,
                          "bad class '%s': internal, local, national or international",
                          args.pos[1]);
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {args.pos[0], args.pos[1]};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "setting the class",
                    "UPDATE sip_users SET cos = $2 WHERE ext = $1 "
                    "RETURNING ext",
                    2, p, &res);
    if (rc == 0 && PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no user '%s'", args.pos[0]);
    else if (rc == 0)
        printf("user %s may dial %s numbers\n", args.pos[0], args.pos[1]);
    PQclear(res);
    return rc;
}

/* ---- music on hold ------------------------------------------------------------------ */

/* A prompt name for music on hold, or "default" (stored as ''). NULL if invalid. */
static const char *s_music_arg(const char *text)
{
    if (strcmp(text, "default") == 0)
        return "";
    size_t n = strlen(text);
    if (n == 0 || n > 120 || text[0] == '/' || text[n - 1] == '/' || strstr(text, "//"))
        return NULL;
    for (const char *p = text; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-/", *p))
            return NULL;
    return text;
}

static int s_set_music(ccctl_t *ctx, int argc, char **argv, bool queue)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 2, 2, queue ? "QUEUE PROMPT" : "EXT PROMPT",
                         queue ? ccctl_queue_usage : ccctl_user_usage);
    if (rc != 0)
        return rc;
    const char *music = s_music_arg(args.pos[1]);
    if (!music)
        return ccctl_fail(CCCTL_EXIT_USAGE,
                          "bad PROMPT '%s': a prompt name (letters, digits, _ - and /) or default",
                          args.pos[1]);
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {args.pos[0], music};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "setting the music",
                    queue ? "UPDATE queues SET music = $2 WHERE name = $1 RETURNING name"
                          : "UPDATE sip_users SET moh = $2 WHERE ext = $1 RETURNING ext",
                    2, p, &res);
    if (rc == 0 && PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no %s '%s'", queue ? "queue" : "user", args.pos[0]);
    else if (rc == 0)
        printf("%s %s: music on hold %s\n", queue ? "queue" : "user", args.pos[0],
               music[0] ? music : "default");
    PQclear(res);
    return rc;
}

int ccctl_user_moh(ccctl_t *ctx, int argc, char **argv)
{
    return s_set_music(ctx, argc, argv, false);
}

int ccctl_queue_moh(ccctl_t *ctx, int argc, char **argv)
{
    return s_set_music(ctx, argc, argv, true);
}

/* ---- caller-prefix routes ---------------------------------------------------------- */

static int s_cr_add(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 3, 3, "NUMBER CALLER_PREFIX TARGET",
                         ccctl_caller_route_usage);
    if (rc != 0)
        return rc;
    char err[128], name[CC_TARGET_NAME_MAX];
    cc_target_kind_t kind;
    if (cc_screen_prefix_validate(args.pos[0], err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad NUMBER: %s", err);
    if (cc_screen_prefix_validate(args.pos[1], err, sizeof err) != 0 ||
        strspn(args.pos[1], "+0123456789") != strlen(args.pos[1]))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad CALLER_PREFIX '%s': digits with a leading +",
                          args.pos[1]);
    if (cc_target_parse(args.pos[2], &kind, name, sizeof name, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad TARGET '%s': %s", args.pos[2], err);
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {args.pos[0], args.pos[1], cc_target_kind_name(kind), name};
    rc = ccctl_exec(ctx, "adding the caller route",
                    "INSERT INTO caller_routes (number, caller_prefix, target_kind, target) "
                    "VALUES ($1, $2, $3, $4)",
                    4, p, NULL);
    if (rc == 0)
        printf("calls to %s from %s... go to %s:%s\n", args.pos[0], args.pos[1], p[2], name);
    return rc;
}

static int s_cr_del(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 2, 2, "NUMBER CALLER_PREFIX",
                         ccctl_caller_route_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {args.pos[0], args.pos[1]};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "deleting the caller route",
                    "DELETE FROM caller_routes WHERE number = $1 AND caller_prefix = $2 "
                    "RETURNING target",
                    2, p, &res);
    if (rc == 0 && PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no caller route for %s from %s", args.pos[0],
                        args.pos[1]);
    else if (rc == 0)
        printf("deleted caller route %s from %s\n", args.pos[0], args.pos[1]);
    PQclear(res);
    return rc;
}

static int s_cr_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, 1, 0, 0, "", ccctl_caller_route_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "listing the caller routes",
                    "SELECT number, caller_prefix, target_kind || ':' || target FROM "
                    "caller_routes ORDER BY number, caller_prefix",
                    0, NULL, &res);
    if (rc != 0)
        return rc;
    static const char *const headers[] = {"NUMBER", "CALLER_PREFIX", "TARGET", NULL};
    static const char *const keys[] = {"number", "caller_prefix", "target", NULL};
    s_print(res, headers, keys, ccctl_flag(&args, "--json"));
    PQclear(res);
    return 0;
}

int ccctl_caller_route_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"add", s_cr_add}, {"del", s_cr_del}, {"list", s_cr_list}, {NULL, NULL}};
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_caller_route_usage);
}
