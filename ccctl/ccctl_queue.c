/* ccctl_queue.c - `ccctl queue ...`: the ACD queues (table queues) and their dialplan
 * route NUMBER -> queue:NAME, written in one transaction; `queue list` adds acdd's live
 * figures when acdd answers. Also the helpers ccctl_agent.c shares (ccctl_acd.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc_bus.h"
#include "cc_dialplan.h"
#include "ccctl.h"
#include "ccctl_acd.h"
#include "ccctl_out.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- shared helpers (ccctl_acd.h) ------------------------------------------------ */

static int s_opt_index(const ccctl_acd_args_t *a, const char *name)
{
    for (size_t i = 0; i < a->nopts; i++)
        if (!strcmp(a->opts[i].name, name))
            return (int)i;
    return -1;
}

int ccctl_acd_parse(ccctl_acd_args_t *out, int argc, char **argv, const ccctl_acd_opt_t *opts,
                    size_t nopts, int npos, const char *pos_names, void (*usage)(FILE *out))
{
    memset(out, 0, sizeof *out);
    out->opts = opts;
    out->nopts = nopts < CCCTL_ACD_MAX_OPTS ? nopts : CCCTL_ACD_MAX_OPTS;
    bool dashdash = false;
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        if (!dashdash && !strcmp(w, "--")) {
            dashdash = true;
            continue;
        }
        if (dashdash || strncmp(w, "--", 2) != 0) {
            if (out->npos >= npos || out->npos >= 4)
                return ccctl_usage_fail(usage, "unexpected argument '%s'", w);
            out->pos[out->npos++] = w;
            continue;
        }
        char name[64];
        const char *eq = strchr(w, '=');
        size_t n = eq ? (size_t)(eq - w) : strlen(w);
        snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), w);
        int k = s_opt_index(out, name);
        if (k < 0)
            return ccctl_usage_fail(usage, "unknown option %s", name);
        const char *value = "";
        if (opts[k].has_value) {
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return ccctl_usage_fail(usage, "missing value for %s", name);
        } else if (eq) {
            return ccctl_usage_fail(usage, "%s takes no value", name);
        }
        if (out->count[k] > 0 && !opts[k].repeat)
            return ccctl_usage_fail(usage, "option %s given twice", name);
        if (out->count[k] >= CCCTL_ACD_MAX_VALUES)
            return ccctl_usage_fail(usage, "option %s given too often", name);
        out->values[k][out->count[k]++] = value;
    }
    if (out->npos < npos)
        return ccctl_usage_fail(usage, "missing %s", pos_names);
    return 0;
}

const char *ccctl_acd_arg(const ccctl_acd_args_t *a, const char *name)
{
    int k = s_opt_index(a, name);
    return k >= 0 && a->count[k] > 0 ? a->values[k][a->count[k] - 1] : NULL;
}

int ccctl_acd_count(const ccctl_acd_args_t *a, const char *name)
{
    int k = s_opt_index(a, name);
    return k >= 0 ? a->count[k] : 0;
}

const char *ccctl_acd_value(const ccctl_acd_args_t *a, const char *name, int i)
{
    int k = s_opt_index(a, name);
    return k >= 0 && i < a->count[k] ? a->values[k][i] : NULL;
}

bool ccctl_acd_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n < 1 || n > 63)
        return false;
    return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

int ccctl_acd_skill_parse(const char *text, char *name, size_t len, int *level)
{
    const char *colon = strrchr(text, ':');
    long lv = 1;
    size_t n = colon ? (size_t)(colon - text) : strlen(text);
    if (n == 0 || n >= len)
        return -1;
    snprintf(name, len, "%.*s", (int)n, text);
    if (!ccctl_acd_name_ok(name))
        return -1;
    if (colon && ccctl_parse_long(colon + 1, 1, 10, &lv) != 0)
        return -1;
    *level = (int)lv;
    return 0;
}

json_t *ccctl_acd_call(ccctl_t *ctx, const char *cmd, json_t *args, int *exit_code)
{
    return ccctl_daemon_call(ctx, "acdd", cmd, args, exit_code);
}

json_t *ccctl_daemon_call(ccctl_t *ctx, const char *daemon, const char *cmd, json_t *args,
                          int *exit_code)
{
    *exit_code = CCCTL_EXIT_REFUSED;
    cc_config_t *cfg = ccctl_config(ctx);
    if (!cfg) {
        json_decref(args);
        *exit_code = CCCTL_EXIT_USAGE;
        return NULL;
    }
    if (cc_bus_config_surely_down(cfg, daemon)) {
        json_decref(args);
        ccctl_fail(CCCTL_EXIT_REFUSED, "%s is not running (no %s/%s.cmd): start it first", daemon,
                   cc_config_run_dir(cfg), daemon);
        ccctl_where_hint(ctx);
        return NULL;
    }
    char name[64], err[256];
    snprintf(name, sizeof name, "ccctl-%d", (int)getpid());
    cc_bus_t *bus = cc_bus_from_config(name, cfg, 0, err, sizeof err);
    if (!bus) {
        json_decref(args);
        ccctl_fail(CCCTL_EXIT_REFUSED, "cannot create a bus client: %s", err);
        return NULL;
    }
    long timeout = cc_config_int(cfg, "ccctl", "status_timeout_ms");
    json_t *res = cc_bus_call(bus, daemon, cmd, args, (int)timeout, err, sizeof err);
    cc_bus_destroy(&bus);
    if (!res) {
        if (strstr(err, "timeout"))
            ccctl_fail(CCCTL_EXIT_REFUSED, "%s did not answer (%s): is it running?", daemon, err);
        else
            ccctl_fail(CCCTL_EXIT_REFUSED, "%s", err);
        return NULL;
    }
    *exit_code = CCCTL_EXIT_OK;
    return res;
}

/* ---- queue add / del / list ------------------------------------------------------- */

void ccctl_queue_usage(FILE *out)
{
    fputs("usage: ccctl queue add NAME --number N [--strategy S] [--ring-timeout S]\n"
          "           [--wrapup S] [--max-wait S] [--max-len N] [--sl S]\n"
          "           [--overflow hangup|callback|voicemail|queue:NAME|ext:EXT]\n"
          "           [--announce-every S] [--no-announce] [--skill NAME[:LEVEL]]\n"
          "           [--aging POINTS_PER_S] [--callback-key DIGIT]\n"
          "       ccctl queue del NAME\n"
          "       ccctl queue list [--json]\n"
          "       ccctl queue calls [--json]                 what acdd holds: waiting, ringing,\n"
          "                                                  talking, callbacks\n"
          "       ccctl queue move CALL_ID [--queue NAME] [--priority 0-100]\n"
          "       ccctl queue callback NAME NUMBER           schedule a callback to NUMBER\n"
          "       ccctl queue moh NAME PROMPT|default        music for its waiting callers\n"
          "       ccctl queue language NAME en|cmn|default   language of its announcements\n"
          "       ccctl queue disposition add|list|del|require ...  wrap-up codes (agent desktop)\n"
          "  S (strategy): ring-all, round-robin, longest-idle (default), fewest-calls, skills.\n"
          "  add also routes the dialled number N to queue:NAME. Times are in seconds;\n"
          "  --max-wait/--max-len 0 mean no limit; --sl is the service-level threshold\n"
          "  (default 20). --skill is what calls of a skills queue need when the IVR gives\n"
          "  none. --callback-key lets a waiting caller press that key to be called back.\n",
          out);
}

static const ccctl_acd_opt_t s_add_opts[] = {
    {"--number", true, false},       {"--strategy", true, false}, {"--ring-timeout", true, false},
    {"--wrapup", true, false},       {"--max-wait", true, false}, {"--max-len", true, false},
    {"--sl", true, false},           {"--overflow", true, false}, {"--announce-every", true, false},
    {"--no-announce", false, false}, {"--skill", true, false},    {"--aging", true, false},
    {"--callback-key", true, false},
};

typedef struct {
    const char *name, *number, *strategy, *overflow_kind;
    char overflow_target[64], skill[64];
    char ring[16], wrapup[16], max_wait[16], max_len[16], sl[16], every[16], level[16];
    char aging[32], strategy_name[32];
    const char *callback_key;
    bool ext_target;
} s_queue_t;

static int s_num_opt(const ccctl_acd_args_t *a, const char *opt, long min, long max, long def,
                     char *buf, size_t len)
{
    const char *v = ccctl_acd_arg(a, opt);
    long n = def;
    if (v && ccctl_parse_long(v, min, max, &n) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad %s '%s': a whole number %ld-%ld", opt, v, min,
                          max);
    snprintf(buf, len, "%ld", n);
    return 0;
}

static int s_check_overflow(const char *v, s_queue_t *q)
{
    q->overflow_kind = "hangup";
    q->overflow_target[0] = '\0';
    if (!v)
        return 0;
    if (!strcmp(v, "hangup") || !strcmp(v, "callback") || !strcmp(v, "voicemail")) {
        q->overflow_kind = v;
        return 0;
    }
    const char *colon = strchr(v, ':');
    if (colon && (!strncmp(v, "queue:", 6) || !strncmp(v, "ext:", 4))) {
        q->ext_target = v[0] == 'e';
        q->overflow_kind = q->ext_target ? "extension" : "queue";
        snprintf(q->overflow_target, sizeof q->overflow_target, "%s", colon + 1);
        if (ccctl_acd_name_ok(q->overflow_target) && strcmp(q->overflow_target, q->name) != 0)
            return 0;
    }
    return ccctl_fail(CCCTL_EXIT_USAGE,
                      "bad --overflow '%s': hangup, callback, voicemail, "
                      "queue:NAME (another queue) or ext:EXT",
                      v);
}

static int s_check_add(const ccctl_acd_args_t *a, s_queue_t *q)
{
    char err[160];
    q->name = a->pos[0];
    if (!ccctl_acd_name_ok(q->name))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad queue name '%s': 1-63 letters, digits, _ . -",
                          q->name);
    q->number = ccctl_acd_arg(a, "--number");
    if (!q->number)
        return ccctl_fail(CCCTL_EXIT_USAGE, "queue add: --number N is required");
    if (ccctl_number_check(q->number, false, err, sizeof err) != 0 ||
        cc_pattern_validate(q->number, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --number '%s': %s", q->number, err);
    const char *s = ccctl_acd_arg(a, "--strategy");
    static const char *const names[][2] = {{"ring-all", "ring_all"},
                                           {"round-robin", "round_robin"},
                                           {"longest-idle", "longest_idle"},
                                           {"fewest-calls", "fewest_calls"},
                                           {"skills", "skills"}};
    q->strategy = "longest_idle";
    if (s) {
        q->strategy = NULL;
        for (size_t i = 0; i < 5; i++)
            if (!strcmp(s, names[i][0]) || !strcmp(s, names[i][1]))
                q->strategy = names[i][1];
        if (!q->strategy)
            return ccctl_fail(CCCTL_EXIT_USAGE,
                              "bad --strategy '%s': ring-all, round-robin, "
                              "longest-idle, fewest-calls or skills",
                              s);
    }
    int rc = s_num_opt(a, "--ring-timeout", 1, 600, 20, q->ring, sizeof q->ring);
    rc = rc ? rc : s_num_opt(a, "--wrapup", 0, 3600, 0, q->wrapup, sizeof q->wrapup);
    rc = rc ? rc : s_num_opt(a, "--max-wait", 0, 86400, 0, q->max_wait, sizeof q->max_wait);
    rc = rc ? rc : s_num_opt(a, "--max-len", 0, 100000, 0, q->max_len, sizeof q->max_len);
    rc = rc ? rc : s_num_opt(a, "--sl", 1, 3600, 20, q->sl, sizeof q->sl);
    rc = rc ? rc : s_num_opt(a, "--announce-every", 0, 3600, 0, q->every, sizeof q->every);
    rc = rc ? rc : s_check_overflow(ccctl_acd_arg(a, "--overflow"), q);
    if (rc)
        return rc;
    const char *skill = ccctl_acd_arg(a, "--skill");
    int level = 1;
    q->skill[0] = '\0';
    if (skill && ccctl_acd_skill_parse(skill, q->skill, sizeof q->skill, &level) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --skill '%s': NAME or NAME:LEVEL, level 1-10",
                          skill);
    snprintf(q->level, sizeof q->level, "%d", level);
    const char *aging = ccctl_acd_arg(a, "--aging");
    snprintf(q->aging, sizeof q->aging, "0");
    if (aging) {
        char *end = NULL;
        double v = strtod(aging, &end);
        if (!end || *end || end == aging || !(v >= 0 && v <= 1000))
            return ccctl_fail(CCCTL_EXIT_USAGE, "bad --aging '%s': points per second, 0-1000",
                              aging);
        snprintf(q->aging, sizeof q->aging, "%s", aging);
    }
    q->callback_key = ccctl_acd_arg(a, "--callback-key");
    if (q->callback_key &&
        (strlen(q->callback_key) != 1 || !strchr("0123456789*#", q->callback_key[0])))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --callback-key '%s': one of 0-9 * #",
                          q->callback_key);
    return 0;
}

static int s_add_rows(ccctl_t *ctx, const s_queue_t *q, bool announce)
{
    PGresult *res = NULL;
    int rc = 0;
    if (q->ext_target) {
        const char *p[] = {q->overflow_target};
        rc = ccctl_exec(ctx, "checking the overflow extension",
                        "SELECT 1 FROM sip_users WHERE ext = $1 FOR KEY SHARE", 1, p, &res);
        if (rc == 0 && PQntuples(res) == 0)
            rc = ccctl_fail(CCCTL_EXIT_REFUSED, "unknown extension '%s' for --overflow",
                            q->overflow_target);
        PQclear(res);
        if (rc)
            return rc;
    }
    const char *pn[] = {q->number};
    rc = ccctl_exec(ctx, "checking the dialplan",
                    "SELECT target_kind || ':' || target FROM "
                    "dialplan WHERE pattern = $1",
                    1, pn, &res);
    if (rc == 0 && PQntuples(res) > 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED,
                        "number %s is already routed to %s: pick another "
                        "--number or `ccctl route del %s` first",
                        q->number, PQgetvalue(res, 0, 0), q->number);
    PQclear(res);
    if (rc)
        return rc;
    const char *p[] = {q->name,
                       q->number,
                       q->strategy,
                       q->ring,
                       q->wrapup,
                       q->max_wait,
                       q->max_len,
                       q->sl,
                       q->overflow_kind,
                       q->overflow_target,
                       announce ? "true" : "false",
                       q->every,
                       q->skill,
                       q->level,
                       q->aging,
                       q->callback_key ? q->callback_key : ""};
    char what[128];
    snprintf(what, sizeof what, "queue '%s'", q->name);
    rc = ccctl_exec(
        ctx, what,
        "INSERT INTO queues (name, number, strategy, ring_timeout_s, wrapup_s, "
        "max_wait_s, max_len, sl_threshold_s, overflow_kind, overflow_target, announce, "
        "announce_every_s, skill, skill_level, aging_rate, callback_key) VALUES ($1, $2, "
        "$3, $4::integer, $5::integer, $6::integer, $7::integer, $8::integer, $9, $10, "
        "$11::boolean, $12::integer, $13, $14::integer, $15::double precision, $16)",
        16, p, NULL);
    if (rc)
        return rc;
    const char *pr[] = {q->number, q->name};
    return ccctl_exec(
        ctx, "adding the route",
        "INSERT INTO dialplan (pattern, target_kind, target) VALUES ($1, 'queue', $2)", 2, pr,
        NULL);
}

static int s_add(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_acd_args_t args;
    s_queue_t q = {0};
    int rc = ccctl_acd_parse(&args, argc, argv, s_add_opts, N_OPTS(s_add_opts), 1, "NAME",
                             ccctl_queue_usage);
    if (rc == 0)
        rc = s_check_add(&args, &q);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    if (cc_pg_begin(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "BEGIN failed");
    rc = s_add_rows(ctx, &q, !ccctl_acd_arg(&args, "--no-announce"));
    if (rc != 0) {
        cc_pg_rollback(ctx->pg);
        return rc;
    }
    if (cc_pg_commit(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "COMMIT failed");
    printf("added queue %s (%s), number %s -> queue:%s\n", q.name, q.strategy, q.number, q.name);
    return CCCTL_EXIT_OK;
}

static int s_del(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_acd_args_t args;
    int rc = ccctl_acd_parse(&args, argc, argv, NULL, 0, 1, "NAME", ccctl_queue_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    rc = ccctl_delete_routed(ctx, "queues", "queue", args.pos[0], "queue");
    if (rc != 0)
        return rc;
    printf("deleted queue %s and its routes\n", args.pos[0]);
    return CCCTL_EXIT_OK;
}

/* Live figures of acdd by queue name, or NULL when acdd does not answer (not an error). */
static json_t *s_live(ccctl_t *ctx)
{
    cc_config_t *cfg = ccctl_config(ctx);
    if (!cfg || cc_bus_config_surely_down(cfg, "acdd"))
        return NULL;
    char name[64], err[256];
    snprintf(name, sizeof name, "ccctl-%d", (int)getpid());
    cc_bus_t *bus = cc_bus_from_config(name, cfg, 0, err, sizeof err);
    json_t *res = bus ? cc_bus_call(bus, "acdd", "queue.list", NULL, 1000, err, sizeof err) : NULL;
    cc_bus_destroy(&bus);
    json_t *by = json_object();
    json_t *list = json_object_get(res, "queues"), *q;
    size_t i;
    json_array_foreach(list, i, q)
        json_object_set(by, json_string_value(json_object_get(q, "name")), q);
    json_decref(res);
    if (!res) {
        json_decref(by);
        return NULL;
    }
    return by;
}

static int s_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_acd_opt_t opts[] = {{"--json", false, false}};
    ccctl_acd_args_t args;
    int rc = ccctl_acd_parse(&args, argc, argv, opts, 1, 0, "", ccctl_queue_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    PGresult *res = cc_pg_exec_params(
        ctx->pg,
        "SELECT q.name, coalesce(q.number, ''), replace(q.strategy, '_', '-'), "
        "q.ring_timeout_s, q.wrapup_s, q.max_wait_s, q.max_len, q.sl_threshold_s, "
        "q.overflow_kind, q.overflow_target, q.announce, q.announce_every_s, q.skill, "
        "q.skill_level, q.aging_rate, q.callback_key, "
        "coalesce(string_agg(m.ext, ',' ORDER BY m.position), '') "
        "FROM queues q LEFT JOIN queue_members m ON m.queue = q.name "
        "GROUP BY q.name ORDER BY q.name",
        0, NULL);
    if (!res)
        return ccctl_db_fail(ctx, "listing queues failed");
    json_t *live = s_live(ctx);
    if (ccctl_acd_arg(&args, "--json")) {
        json_t *list = json_array();
        for (int r = 0; r < PQntuples(res); r++) {
            json_t *o = json_pack(
                "{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:s, s:b, s:i, "
                "s:s, s:i, s:f, s:s}",
                "name", PQgetvalue(res, r, 0), "number", PQgetvalue(res, r, 1), "strategy",
                PQgetvalue(res, r, 2), "ring_timeout_s", atoi(PQgetvalue(res, r, 3)), "wrapup_s",
                atoi(PQgetvalue(res, r, 4)), "max_wait_s", atoi(PQgetvalue(res, r, 5)), "max_len",
                atoi(PQgetvalue(res, r, 6)), "sl_threshold_s", atoi(PQgetvalue(res, r, 7)),
                "overflow", PQgetvalue(res, r, 8), "overflow_target", PQgetvalue(res, r, 9),
                "announce", PQgetvalue(res, r, 10)[0] == 't', "announce_every_s",
                atoi(PQgetvalue(res, r, 11)), "skill", PQgetvalue(res, r, 12), "skill_level",
                atoi(PQgetvalue(res, r, 13)), "aging_rate", atof(PQgetvalue(res, r, 14)),
                "callback_key", PQgetvalue(res, r, 15));
            json_t *members = json_array();
            char buf[4096];
            snprintf(buf, sizeof buf, "%s", PQgetvalue(res, r, 16));
            char *save = NULL;
            for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
                json_array_append_new(members, json_string(t));
            json_object_set_new(o, "members", members);
            json_t *l = live ? json_object_get(live, PQgetvalue(res, r, 0)) : NULL;
            if (l)
                json_object_set(o, "live", l);
            json_array_append_new(list, o);
        }
        ccctl_json_print(list, stdout);
    } else {
        static const char *const headers[] = {"NAME",     "NUMBER",  "STRATEGY", "RING", "WRAPUP",
                                              "OVERFLOW", "MEMBERS", "WAITING",  NULL};
        ccctl_table_t *t = ccctl_table_new(headers);
        for (int r = 0; t && r < PQntuples(res); r++) {
            char overflow[96], waiting[16] = "-";
            snprintf(overflow, sizeof overflow, "%s%s%s", PQgetvalue(res, r, 8),
                     PQgetvalue(res, r, 9)[0] ? ":" : "", PQgetvalue(res, r, 9));
            json_t *l = live ? json_object_get(live, PQgetvalue(res, r, 0)) : NULL;
            if (l)
                snprintf(waiting, sizeof waiting, "%lld",
                         (long long)json_integer_value(json_object_get(l, "waiting")));
            const char *cells[] = {PQgetvalue(res, r, 0),  PQgetvalue(res, r, 1),
                                   PQgetvalue(res, r, 2),  PQgetvalue(res, r, 3),
                                   PQgetvalue(res, r, 4),  overflow,
                                   PQgetvalue(res, r, 16), waiting};
            ccctl_table_add(t, cells);
        }
        ccctl_table_print_destroy(&t, stdout);
    }
    json_decref(live);
    PQclear(res);
    return CCCTL_EXIT_OK;
}

/* What the queue says to its callers (position, wait, callback offer) and in which prompt
 * set; default: [acdd] language. acdd reloads the queue at once. */
static int s_language(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 2, 2, "NAME LANGUAGE", ccctl_queue_usage);
    if (rc != 0)
        return rc;
    const char *lang = args.pos[1];
    if (strcmp(lang, "default") == 0)
        lang = "";
    else if (strcmp(lang, "en") != 0 && strcmp(lang, "cmn") != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad LANGUAGE '%s': en, cmn (Mandarin) or default",
                          args.pos[1]);
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {args.pos[0], lang};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "setting the queue's language",
                    "UPDATE queues SET language = $2 WHERE name = $1 RETURNING name", 2, p, &res);
    if (rc == 0 && PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no queue '%s'", args.pos[0]);
    else if (rc == 0)
        printf("queue %s: language %s\n", args.pos[0],
               lang[0] ? lang : "default ([acdd] language)");
    PQclear(res);
    return rc;
}

int ccctl_queue_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"add", s_add},
        {"del", s_del},
        {"list", s_list},
        {"calls", ccctl_queue_calls},
        {"move", ccctl_queue_move},
        {"callback", ccctl_queue_callback},
        {"moh", ccctl_queue_moh},
        {"language", s_language},
        {"disposition", ccctl_queue_disposition},
        {NULL, NULL},
    };
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_queue_usage);
}

/* ---- demo ---------------------------------------------------------------------------- */

int ccctl_acd_demo(ccctl_t *ctx)
{
    static const struct {
        const char *name, *number, *strategy;
        const char *agents[4];
    } demo[] = {
        {"support", "600", "longest_idle", {"1002", "1003", "1004", NULL}},
        {"sales", "601", "ring_all", {"1001", "1005", NULL, NULL}},
    };
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof demo / sizeof demo[0]; i++) {
        const char *pq[] = {demo[i].name, demo[i].number, demo[i].strategy};
        rc = ccctl_exec(ctx, "adding a demo queue",
                        "INSERT INTO queues (name, number, strategy, wrapup_s, announce_every_s) "
                        "VALUES ($1, $2, $3, 10, 60) ON CONFLICT (name) DO NOTHING",
                        3, pq, NULL);
        if (rc == 0)
            rc = ccctl_exec(ctx, "adding a demo route",
                            "INSERT INTO dialplan (pattern, "
                            "target_kind, target) VALUES ($2, 'queue', $1) ON CONFLICT (pattern) "
                            "DO NOTHING",
                            2, pq, NULL);
        for (int k = 0; rc == 0 && demo[i].agents[k]; k++) {
            const char *pa[] = {demo[i].agents[k], demo[i].name};
            rc = ccctl_exec(ctx, "adding a demo agent",
                            "INSERT INTO agents (ext, name) SELECT "
                            "ext, name FROM sip_users WHERE ext = $1 ON CONFLICT DO NOTHING",
                            1, pa, NULL);
            if (rc == 0)
                rc = ccctl_exec(ctx, "adding a demo member",
                                "INSERT INTO queue_members (queue, "
                                "ext) SELECT $2, $1 WHERE EXISTS (SELECT 1 FROM agents WHERE ext = "
                                "$1) ON CONFLICT DO NOTHING",
                                2, pa, NULL);
        }
    }
    return rc;
}
