/* ccctl_ivr.c - `ccctl ivr ...`: IVR flows. A flow is validated by the validator ivrd runs
 * (ivrflow/ivr_flow*.c, linked into ccctl, so this works while ivrd is down), its prompts
 * checked with mediad (prompt.check) when mediad answers, else against the prompt files,
 * and only then stored as a new version, made live and bound to a number, in one
 * transaction. ivrd picks the new version up through NOTIFY. A refused flow changes
 * nothing. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc_bus.h"
#include "cc_dialplan.h"
#include "ccctl.h"
#include "ccctl_out.h"
#include "ivr_flow.h"
#include "ivr_tz.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))
#define FLOW_FILE_MAX (4 * 1024 * 1024)
#define PROMPT_CHECK_TIMEOUT_MS 1500
#define NAMES_MAX 512

void ccctl_ivr_usage(FILE *out)
{
    fputs("usage: ccctl ivr load FILE.json [--number N] [--name NAME]\n"
          "       ccctl ivr check FILE.json\n"
          "       ccctl ivr list [--json]\n"
          "       ccctl ivr show NAME [--version V]\n"
          "  load   validates the flow (docs/IVR-FLOWS.md), checks its prompts exist (asking\n"
          "         mediad, else looking in [mediad] prompt_dir), stores it as the next\n"
          "         version of NAME (default: the document's name), makes that version\n"
          "         live for new calls and routes N (a dialplan pattern) to ivr:NAME.\n"
          "         A flow with errors is refused with the JSON path of each error;\n"
          "         nothing changes and the live version stays.\n"
          "  check  the same validation, without the database.\n"
          "  show   prints a version (default: the live one) as JSON.\n",
          out);
}

/* ---- prompt checks --------------------------------------------------------------------- */

typedef struct {
    char *name;
    char *language;
    bool missing;
} s_prompt_t;

typedef struct {
    ccctl_t *ctx;
    s_prompt_t items[NAMES_MAX];
    size_t count;
    bool recording;    /* pass 1: note every name asked for, say it exists */
    bool skip;         /* no prompt check at all */
    char source[4200]; /* what answered: "mediad" or the directory */
} s_prompts_t;

/* Language directory as mediad resolves it: the primary subtag ("zh-CN" -> "zh"). */
static void s_lang_dir(const char *language, char *buf, size_t len)
{
    snprintf(buf, len, "%s", language && language[0] ? language : "en");
    buf[strcspn(buf, "-_")] = '\0';
}

static s_prompt_t *s_prompt_find(s_prompts_t *p, const char *name, const char *lang)
{
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->items[i].name, name) == 0 && strcmp(p->items[i].language, lang) == 0)
            return &p->items[i];
    return NULL;
}

static bool s_prompt_exists(const char *name, const char *language, void *arg)
{
    s_prompts_t *p = arg;
    char lang[32];
    s_lang_dir(language, lang, sizeof lang);
    if (p->skip)
        return true;
    s_prompt_t *item = s_prompt_find(p, name, lang);
    if (p->recording) {
        if (!item && p->count < NAMES_MAX) {
            p->items[p->count].name = strdup(name);
            p->items[p->count].language = strdup(lang);
            if (p->items[p->count].name && p->items[p->count].language)
                p->count++;
        }
        return true;
    }
    return !item || !item->missing;
}

static bool s_zone_exists(const char *zone, void *ctx)
{
    (void)ctx;
    return ivr_tz_exists(zone);
}

static void s_prompts_free(s_prompts_t *p)
{
    for (size_t i = 0; i < p->count; i++) {
        free(p->items[i].name);
        free(p->items[i].language);
    }
    p->count = 0;
}

/* Asks mediad about every recorded name, one prompt.check per language. 0 when it
 * answered for all; -1 when it is not running or did not answer (check the files). */
static int s_check_with_mediad(s_prompts_t *p)
{
    cc_config_t *cfg = p->ctx->cfg;
    char name[64], err[256];
    if (cc_bus_config_surely_down(cfg, "mediad"))
        return -1;
    snprintf(name, sizeof name, "ccctl-%d", (int)getpid());
    char berr[256];
    cc_bus_t *bus = cc_bus_from_config(name, cfg, 0, berr, sizeof berr);
    if (!bus)
        return -1;
    int rc = 0;
    bool done[NAMES_MAX] = {false};
    for (size_t i = 0; rc == 0 && i < p->count; i++) {
        if (done[i])
            continue;
        json_t *names = json_array();
        for (size_t j = i; j < p->count; j++)
            if (!done[j] && strcmp(p->items[j].language, p->items[i].language) == 0)
                json_array_append_new(names, json_string(p->items[j].name));
        json_t *res =
            cc_bus_call(bus, "mediad", "prompt.check",
                        json_pack("{s:o, s:s}", "prompts", names, "language", p->items[i].language),
                        PROMPT_CHECK_TIMEOUT_MS, err, sizeof err);
        json_t *found = json_object_get(res, "found");
        if (!json_is_object(found)) {
            rc = -1;
        } else {
            for (size_t j = i; j < p->count; j++) {
                if (done[j] || strcmp(p->items[j].language, p->items[i].language) != 0)
                    continue;
                done[j] = true;
                p->items[j].missing = json_object_get(found, p->items[j].name) == NULL;
            }
        }
        json_decref(res);
    }
    cc_bus_destroy(&bus);
    if (rc == 0)
        snprintf(p->source, sizeof p->source, "mediad");
    return rc;
}

static bool s_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* mediad's rule: <dir>/<language>/<name>.wav, else <dir>/<name>.wav. */
static int s_check_files(s_prompts_t *p)
{
    cc_config_t *cfg = p->ctx->cfg;
    const char *dir = cc_config_str(cfg, "mediad", "prompt_dir");
    char base[4096];
    if (dir && dir[0])
        snprintf(base, sizeof base, "%s", dir);
    else
        snprintf(base, sizeof base, "%s/prompts", cc_config_var_dir(cfg));
    struct stat st;
    if (stat(base, &st) != 0 || !S_ISDIR(st.st_mode))
        return -1;
    for (size_t i = 0; i < p->count; i++) {
        char a[8400], b[8400];
        snprintf(a, sizeof a, "%s/%s/%s.wav", base, p->items[i].language, p->items[i].name);
        snprintf(b, sizeof b, "%s/%s.wav", base, p->items[i].name);
        p->items[i].missing = !s_file(a) && !s_file(b);
    }
    snprintf(p->source, sizeof p->source, "%s", base);
    return 0;
}

/* ---- validation ------------------------------------------------------------------------ */

static char *s_read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(FLOW_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, FLOW_FILE_MAX + 1, f) : 0;
    bool bad = ferror(f) || n > FLOW_FILE_MAX;
    fclose(f);
    if (!buf || bad) {
        snprintf(err, errlen, "cannot read %s%s", path, n > FLOW_FILE_MAX ? ": over 4 MiB" : "");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* With --name, the document's own name is set to it first. */
static char *s_rename(char *text, const char *name)
{
    json_t *doc = json_loads(text, 0, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return text; /* the validator reports why */
    }
    json_object_set_new(doc, "name", json_string(name));
    char *renamed = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!renamed)
        return text;
    free(text);
    return renamed;
}

static void s_print_errors(const char *file, const ivr_flow_errors_t *errors)
{
    fprintf(stderr, "ccctl: %s: the flow has %zu error%s%s; nothing was changed:\n", file,
            errors->count, errors->count == 1 ? "" : "s", errors->truncated ? " (and more)" : "");
    for (size_t i = 0; i < errors->count; i++)
        fprintf(stderr, "  %s: %s\n", errors->items[i].path[0] ? errors->items[i].path : "/",
                errors->items[i].reason);
}

/* Parses and validates `text`, prompts included. The flow, or NULL (errors printed). */
static ivr_flow_t *s_validate(ccctl_t *ctx, const char *file, const char *text, bool check_prompts)
{
    s_prompts_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->ctx = ctx;
    p->recording = true;
    p->skip = !check_prompts;
    ivr_flow_env_t env = {.prompt_exists = s_prompt_exists, .zone_exists = s_zone_exists, .ctx = p};
    ivr_flow_errors_t errors;
    ivr_flow_t *flow = ivr_flow_parse(text, &env, &errors);
    if (flow && check_prompts && p->count > 0) {
        ivr_flow_destroy(&flow);
        p->recording = false;
        if (s_check_with_mediad(p) != 0 && s_check_files(p) != 0) {
            fprintf(stderr,
                    "ccctl: %s: cannot check the prompts: mediad does not answer and "
                    "the prompt directory does not exist; nothing was changed\n",
                    file);
            s_prompts_free(p);
            free(p);
            return NULL;
        }
        flow = ivr_flow_parse(text, &env, &errors);
    }
    if (!flow)
        s_print_errors(file, &errors);
    else if (check_prompts && p->count > 0)
        fprintf(stderr, "ccctl: %zu prompt%s checked with %s\n", p->count, p->count == 1 ? "" : "s",
                p->source);
    s_prompts_free(p);
    free(p);
    return flow;
}

/* ---- load --------------------------------------------------------------------------- */

static int s_store(ccctl_t *ctx, const char *name, const char *text, const char *number,
                   long *version_out)
{
    const char *user = getenv("USER");
    char created_by[160];
    snprintf(created_by, sizeof created_by, "%s", user && user[0] ? user : "");
    if (cc_pg_begin(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "BEGIN failed");
    /* one loader at a time per database: versions are max + 1 */
    PGresult *res =
        cc_pg_exec_params(ctx->pg, "LOCK TABLE ivr_flows IN SHARE ROW EXCLUSIVE MODE", 0, NULL);
    int rc = res ? 0 : ccctl_db_fail(ctx, "locking ivr_flows failed");
    PQclear(res);
    if (rc == 0) {
        const char *params[] = {name, text, created_by};
        res = cc_pg_exec_params(
            ctx->pg,
            "INSERT INTO ivr_flows (name, version, document, created_by) "
            "SELECT $1, coalesce(max(version), 0) + 1, $2::jsonb, "
            "CASE WHEN $3 = '' THEN current_user ELSE current_user || ' (' || $3 || ')' END "
            "FROM ivr_flows WHERE name = $1 RETURNING version",
            3, params);
        rc = res ? 0 : ccctl_db_fail(ctx, "storing the flow failed");
        if (res)
            *version_out = atol(PQgetvalue(res, 0, 0));
        PQclear(res);
    }
    if (rc == 0) {
        char version[24];
        snprintf(version, sizeof version, "%ld", *version_out);
        const char *params[] = {name, version};
        res = cc_pg_exec_params(
            ctx->pg,
            "INSERT INTO ivr_flows_live (name, version) VALUES ($1, $2) ON CONFLICT (name) "
            "DO UPDATE SET version = EXCLUDED.version, updated_at = now()",
            2, params);
        rc = res ? 0 : ccctl_db_fail(ctx, "making the flow live failed");
        PQclear(res);
    }
    if (rc == 0 && number) {
        const char *params[] = {number, name};
        res = cc_pg_exec_params(
            ctx->pg,
            "WITH old AS (SELECT target_kind, target FROM dialplan WHERE pattern = $1) "
            "INSERT INTO dialplan (pattern, target_kind, target) VALUES ($1, 'ivr', $2) "
            "ON CONFLICT (pattern) DO UPDATE SET target_kind = 'ivr', target = $2 "
            "RETURNING (SELECT target_kind || ':' || target FROM old)",
            2, params);
        rc = res ? 0 : ccctl_db_fail(ctx, "routing the number failed");
        if (res && !PQgetisnull(res, 0, 0) && strcmp(PQgetvalue(res, 0, 0), "ivr:") != 0) {
            char was[200];
            snprintf(was, sizeof was, "%s", PQgetvalue(res, 0, 0));
            char now[200];
            snprintf(now, sizeof now, "ivr:%s", name);
            if (strcmp(was, now) != 0)
                printf("route %s was %s, now %s\n", number, was, now);
        }
        PQclear(res);
    }
    if (rc == 0 && cc_pg_commit(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "COMMIT failed");
    if (rc != 0)
        cc_pg_rollback(ctx->pg);
    return rc;
}

int ccctl_ivr_load_file(ccctl_t *ctx, const char *file, const char *number, const char *name,
                        bool check_prompts)
{
    char err[4400];
    if (number && cc_pattern_validate(number, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --number '%s': %s", number, err);
    char *text = s_read_file(file, err, sizeof err);
    if (!text)
        return ccctl_fail(CCCTL_EXIT_USAGE, "%s", err);
    if (name)
        text = s_rename(text, name);
    ivr_flow_t *flow = s_validate(ctx, file, text, check_prompts);
    int rc = flow ? 0 : CCCTL_EXIT_REFUSED;
    long version = 0;
    char flow_name[IVR_NODE_ID_MAX] = "";
    if (flow)
        snprintf(flow_name, sizeof flow_name, "%s", ivr_flow_name(flow));
    ivr_flow_destroy(&flow);
    if (rc == 0 && !ccctl_db(ctx, true, &rc)) {
        free(text);
        return rc;
    }
    if (rc == 0)
        rc = s_store(ctx, flow_name, text, number, &version);
    free(text);
    if (rc == 0)
        printf("loaded flow %s version %ld (live)%s%s\n", flow_name, version,
               number ? ", number " : "", number ? number : "");
    return rc;
}

static int s_load(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--number", true}, {"--name", true}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 1, 1, "FILE", ccctl_ivr_usage);
    if (rc != 0 || !ccctl_config(ctx))
        return rc ? rc : CCCTL_EXIT_USAGE;
    return ccctl_ivr_load_file(ctx, args.pos[0], ccctl_arg(&args, "--number"),
                               ccctl_arg(&args, "--name"), true);
}

static int s_check(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    char err[4400];
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 1, 1, "FILE", ccctl_ivr_usage);
    if (rc != 0 || !ccctl_config(ctx))
        return rc ? rc : CCCTL_EXIT_USAGE;
    char *text = s_read_file(args.pos[0], err, sizeof err);
    if (!text)
        return ccctl_fail(CCCTL_EXIT_USAGE, "%s", err);
    ivr_flow_t *flow = s_validate(ctx, args.pos[0], text, true);
    free(text);
    if (!flow)
        return CCCTL_EXIT_REFUSED;
    printf("flow %s is valid (%zu nodes)\n", ivr_flow_name(flow), ivr_flow_node_count(flow));
    ivr_flow_destroy(&flow);
    return CCCTL_EXIT_OK;
}

/* ---- list and show -------------------------------------------------------------------- */

static int s_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 0, 0, "", ccctl_ivr_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    PGresult *res = cc_pg_exec_params(
        ctx->pg,
        "SELECT n.name, coalesce(l.version::text, ''), n.versions, "
        "to_char(n.last_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
        "coalesce((SELECT string_agg(d.pattern, ',' ORDER BY d.pattern) FROM dialplan d "
        "WHERE d.target_kind = 'ivr' AND d.target = n.name), '') "
        "FROM (SELECT name, count(*) AS versions, max(created_at) AS last_at FROM ivr_flows "
        "GROUP BY name) n LEFT JOIN ivr_flows_live l USING (name) ORDER BY n.name",
        0, NULL);
    if (!res)
        return ccctl_db_fail(ctx, "listing flows failed");
    if (ccctl_flag(&args, "--json")) {
        json_t *list = json_array();
        for (int r = 0; r < PQntuples(res); r++) {
            json_t *numbers = json_array();
            char *all = strdup(PQgetvalue(res, r, 4)), *save = NULL;
            for (char *tok = all ? strtok_r(all, ",", &save) : NULL; tok;
                 tok = strtok_r(NULL, ",", &save))
                json_array_append_new(numbers, json_string(tok));
            free(all);
            const char *live = PQgetvalue(res, r, 1);
            json_array_append_new(
                list, json_pack("{s:s, s:o, s:I, s:s, s:o}", "name", PQgetvalue(res, r, 0),
                                "live_version", live[0] ? json_integer(atol(live)) : json_null(),
                                "versions", (json_int_t)atol(PQgetvalue(res, r, 2)),
                                "last_loaded_utc", PQgetvalue(res, r, 3), "numbers", numbers));
        }
        ccctl_json_print(list, stdout);
    } else {
        static const char *const headers[] = {"NAME",    "LIVE", "VERSIONS", "LAST LOADED (UTC)",
                                              "NUMBERS", NULL};
        ccctl_table_print_result(headers, res, "", stdout);
    }
    PQclear(res);
    return CCCTL_EXIT_OK;
}

static int s_show(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--version", true}};
    ccctl_args_t args;
    long version = 0;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 1, 1, "NAME", ccctl_ivr_usage);
    const char *v = rc == 0 ? ccctl_arg(&args, "--version") : NULL;
    if (rc == 0 && v && ccctl_parse_long(v, 1, 1000000000, &version) != 0)
        rc = ccctl_fail(CCCTL_EXIT_USAGE, "bad --version '%s': a number from 1", v);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    char version_text[24];
    snprintf(version_text, sizeof version_text, "%ld", version);
    const char *params[] = {args.pos[0], version_text};
    PGresult *res =
        cc_pg_exec_params(ctx->pg,
                          "SELECT f.version, jsonb_pretty(f.document), f.created_by, "
                          "to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
                          "(l.version IS NOT NULL) FROM ivr_flows f "
                          "LEFT JOIN ivr_flows_live l ON l.name = f.name AND l.version = f.version "
                          "WHERE f.name = $1 AND (CASE WHEN $2::int = 0 THEN l.version IS NOT NULL "
                          "ELSE f.version = $2::int END)",
                          2, params);
    if (!res)
        return ccctl_db_fail(ctx, "reading the flow failed");
    if (PQntuples(res) == 0) {
        rc = version ? ccctl_fail(CCCTL_EXIT_REFUSED, "flow %s has no version %ld", args.pos[0],
                                  version)
                     : ccctl_fail(CCCTL_EXIT_REFUSED, "no live flow named %s", args.pos[0]);
    } else {
        fprintf(stderr, "# flow %s version %s%s, loaded %s UTC by %s\n", args.pos[0],
                PQgetvalue(res, 0, 0), strcmp(PQgetvalue(res, 0, 4), "t") == 0 ? " (live)" : "",
                PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 2));
        printf("%s\n", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return rc;
}

int ccctl_ivr_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"load", s_load}, {"check", s_check}, {"list", s_list}, {"show", s_show}, {NULL, NULL},
    };
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_ivr_usage);
}

/* ---- demo ------------------------------------------------------------------------------ */

#define SYSTEM_IVR_DIR "/usr/share/callcenter/ivr"

/* deploy/ivr/<file> of the tree the binary was built in (bin/ or build/<variant>/bin/),
 * else SYSTEM_IVR_DIR/<file>. */
static int s_example_path(const char *file, char *out, size_t len)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        static const char *const ups[] = {"..", "../../.."};
        for (size_t i = 0; i < 2; i++) {
            snprintf(out, len, "%s/%s/deploy/ivr/%s", exe, ups[i], file);
            if (s_file(out))
                return 0;
        }
    }
    snprintf(out, len, "%s/%s", SYSTEM_IVR_DIR, file);
    return s_file(out) ? 0 : -1;
}

/* The demo's flows: the English main menu on 500 and the same in Mandarin on 501. A flow
 * of that name already live (someone's own) is kept. */
int ccctl_ivr_demo(ccctl_t *ctx)
{
    static const struct {
        const char *name, *file, *number;
    } demo[] = {{"main", "main.json", "500"}, {"main-zh", "main-zh.json", "501"}};
    for (size_t i = 0; i < sizeof demo / sizeof demo[0]; i++) {
        const char *p[] = {demo[i].name};
        PGresult *res =
            cc_pg_exec_params(ctx->pg, "SELECT 1 FROM ivr_flows_live WHERE name = $1", 1, p);
        if (!res)
            return ccctl_db_fail(ctx, "reading ivr_flows_live failed");
        int live = PQntuples(res);
        PQclear(res);
        if (live)
            continue;
        char path[4400];
        if (s_example_path(demo[i].file, path, sizeof path) != 0)
            return ccctl_fail(CCCTL_EXIT_REFUSED,
                              "demo IVR flow %s not found (deploy/ivr next to the binary, or %s)",
                              demo[i].file, SYSTEM_IVR_DIR);
        int rc = ccctl_ivr_load_file(ctx, path, demo[i].number, NULL, false);
        if (rc != 0)
            return rc;
    }
    return CCCTL_EXIT_OK;
}
