/* ccctl_campaign.c - `ccctl campaign ...`: outbound campaigns (tables campaigns,
 * campaign_retries, campaign_dispositions), their lead lists (`import`, judged whole by
 * dialer/dl_lead.c, the same code dialerd links) and the do-not-call lists (`dnc`).
 * dialerd picks up a started or paused campaign within [dialerd] reload_s. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ccctl.h"
#include "ccctl_acd.h"
#include "ccctl_out.h"
#include "dl_amd.h"
#include "dl_campaign.h"
#include "dl_lead.h"
#include "ivr_tz.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))
#define S_LIST_MAX (64L * 1024 * 1024) /* a lead list read whole: 64 MB is ~1M leads */

void ccctl_campaign_usage(FILE *out)
{
    fputs("usage: ccctl campaign add NAME --queue Q --caller-id NUMBER\n"
          "           [--mode preview|progressive|predictive] [--trunk T]\n"
          "           [--hours \"DAYS HH:MM-HH:MM\"]... [--time-zone ZONE] [--tz-rule "
          "lead|campaign]\n"
          "           [--abandon-cap PCT] [--ring S] [--max-attempts N] [--max-ratio R]\n"
          "           [--retry OUTCOME:GAP_S:MAX]... [--disposition "
          "CODE:LABEL[:dnc|:dnc_global]]...\n"
          "           [--abandon-prompt PROMPT] [--amd hangup|message] [--amd-prompt PROMPT]\n"
          "       ccctl campaign list [--json]\n"
          "       ccctl campaign amd NAME off|hangup|message [--prompt PROMPT]\n"
          "       ccctl campaign start|pause|finish NAME\n"
          "       ccctl campaign stats NAME [--json]\n"
          "       ccctl campaign import NAME FILE.csv\n"
          "       ccctl campaign dnc add NUMBER [--campaign NAME] [--reason TEXT]\n"
          "       ccctl campaign dnc del NUMBER [--campaign NAME]\n"
          "       ccctl campaign dnc list [--campaign NAME] [--json]\n"
          "  The campaign's agents are those of queue Q. Calls go out on trunk T, with the\n"
          "  caller id, each number as listed; without --trunk they follow the dialplan\n"
          "  route of each number (e.g. `ccctl route add 9. trunk:T`).\n"
          "  A disposition with :dnc puts the number on the campaign's do-not-call list\n"
          "  when an agent saves it in a call's wrap-up; :dnc_global on the global list.\n"
          "  --hours (repeatable; default \"mon-sat 09:00-20:00\") are read in each\n"
          "  lead's own time zone: the list's time_zone column, else the campaign's\n"
          "  --time-zone (default UTC); with --tz-rule campaign always the campaign's.\n"
          "  --abandon-cap is the most answered\n"
          "  calls, in percent, that may find no agent within 2 s (default 3). --ring is\n"
          "  how long each number rings (15-120 s, default 20).\n"
          "  --retry busy|no_answer|machine|abandoned|failed:GAP_S:MAX: wait at least GAP_S\n"
          "  seconds before the next attempt, at most MAX attempts after that outcome\n"
          "  (defaults: busy:600:5 no_answer:3600:5 machine:7200:3 abandoned:259200:3\n"
          "  failed:1800:3). An abandoned number waits 72 h whatever the gap.\n"
          "  --abandon-prompt: what a customer no agent took within 2 s hears before the\n"
          "  call ends (default dialer/abandoned); record one naming your company and\n"
          "  load it with `ccctl prompt upload`.\n"
          "  --amd: answering-machine detection on every answered call before an agent\n"
          "  takes it (mediad listens to the first seconds: a short greeting then silence\n"
          "  is a person, a long one a machine; in doubt, a person). A machine is hung up\n"
          "  on (hangup) or hears --amd-prompt first (message; default dialer/machine);\n"
          "  its outcome is machine (retried per --retry machine:...). `campaign amd`\n"
          "  changes it later (off: no detection).\n"
          "  import: a CSV file (RFC 4180) whose first row names the columns: number, and\n"
          "  optionally name and time_zone; other columns are extra fields shown to the\n"
          "  agent. All or nothing: any bad row refuses the whole list (exit 2) and every\n"
          "  bad line is named with its reason. The same number twice, in the file or\n"
          "  already in the campaign, is a bad row.\n"
          "  dnc: without --campaign, the global list (no campaign dials those numbers).\n",
          out);
}

/* ---- add ------------------------------------------------------------------------------------- */

static const ccctl_acd_opt_t s_add_opts[] = {
    {"--queue", true, false},      {"--caller-id", true, false},
    {"--mode", true, false},       {"--trunk", true, false},
    {"--hours", true, true},       {"--time-zone", true, false},
    {"--tz-rule", true, false},    {"--abandon-cap", true, false},
    {"--ring", true, false},       {"--max-attempts", true, false},
    {"--max-ratio", true, false},  {"--retry", true, true},
    {"--disposition", true, true}, {"--abandon-prompt", true, false},
    {"--amd", true, false},        {"--amd-prompt", true, false},
};

/* The options of a spec's lists, gathered from argv (at most DL_CAMPAIGN_LIST_MAX each). */
static int s_spec_list(const ccctl_acd_args_t *a, const char *opt, const char **out, size_t *n)
{
    int count = ccctl_acd_count(a, opt);
    if (count > DL_CAMPAIGN_LIST_MAX)
        return ccctl_fail(CCCTL_EXIT_USAGE, "%s: at most %d", opt, DL_CAMPAIGN_LIST_MAX);
    for (int i = 0; i < count; i++)
        out[i] = ccctl_acd_value(a, opt, i);
    *n = (size_t)count;
    return 0;
}

/* A refusal of dl_campaign_check in the words of the command line. */
static int s_refused(const dl_campaign_error_t *err)
{
    static const struct {
        const char *field, *option;
    } named[] = {
        {"name", "campaign name"}, {"retries", "--retry"}, {"dispositions", "--disposition"}};
    char text[400];
    dl_campaign_error_text(err, "--", '-', text, sizeof text);
    for (size_t i = 0; i < N_OPTS(named); i++)
        if (!strcmp(err->field, named[i].field))
            snprintf(text, sizeof text, "bad %s '%s': %s", named[i].option, err->value,
                     err->reason);
    return ccctl_fail(CCCTL_EXIT_USAGE, "%s", text);
}

static int s_add(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_acd_args_t a;
    int rc = ccctl_acd_parse(&a, argc, argv, s_add_opts, N_OPTS(s_add_opts), 1, "NAME",
                             ccctl_campaign_usage);
    if (rc)
        return rc;
    dl_campaign_spec_t spec = {
        .name = a.pos[0],
        .queue = ccctl_acd_arg(&a, "--queue"),
        .caller_id = ccctl_acd_arg(&a, "--caller-id"),
        .mode = ccctl_acd_arg(&a, "--mode"),
        .trunk = ccctl_acd_arg(&a, "--trunk"),
        .time_zone = ccctl_acd_arg(&a, "--time-zone"),
        .tz_rule = ccctl_acd_arg(&a, "--tz-rule"),
        .abandon_cap = ccctl_acd_arg(&a, "--abandon-cap"),
        .ring = ccctl_acd_arg(&a, "--ring"),
        .max_attempts = ccctl_acd_arg(&a, "--max-attempts"),
        .max_ratio = ccctl_acd_arg(&a, "--max-ratio"),
        .abandon_prompt = ccctl_acd_arg(&a, "--abandon-prompt"),
        .amd = ccctl_acd_arg(&a, "--amd"),
        .amd_prompt = ccctl_acd_arg(&a, "--amd-prompt"),
    };
    if (!spec.queue || !spec.caller_id)
        return ccctl_usage_fail(ccctl_campaign_usage, "campaign add: --queue and --caller-id are "
                                                      "required");
    if ((rc = s_spec_list(&a, "--hours", spec.hours, &spec.nhours)) ||
        (rc = s_spec_list(&a, "--retry", spec.retries, &spec.nretries)) ||
        (rc = s_spec_list(&a, "--disposition", spec.dispositions, &spec.ndispositions)))
        return rc;
    dl_campaign_row_t row;
    dl_campaign_error_t err;
    if (dl_campaign_check(&spec, ivr_tz_exists, &row, &err) != 0)
        return s_refused(&err);
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    char what[128];
    snprintf(what, sizeof what, "campaign '%s'", spec.name);
    rc = ccctl_exec(ctx, what, dl_campaign_insert_sql, DL_CAMPAIGN_NPARAMS, row.params, NULL);
    if (rc && strstr(cc_pg_error(ctx->pg), "queue"))
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no queue '%s' (ccctl queue list)", spec.queue);
    else if (rc && spec.trunk && strstr(cc_pg_error(ctx->pg), "trunk"))
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no trunk '%s' (ccctl trunk list)", spec.trunk);
    if (rc)
        return rc;
    printf("campaign %s added (%s, queue %s, paused: `ccctl campaign import %s FILE.csv`, "
           "then `ccctl campaign start %s`)\n",
           spec.name, row.params[1], spec.queue, spec.name, spec.name);
    return CCCTL_EXIT_OK;
}

/* ---- list / start / pause / finish ------------------------------------------------------- */

static int s_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 0, 0, "", ccctl_campaign_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "listing campaigns",
                    "SELECT c.name, c.mode, c.state, c.queue, c.caller_id, "
                    "coalesce(c.trunk, ''), array_to_string(c.hours, '; '), c.time_zone, "
                    "c.abandon_cap_pct::float8, "
                    "(SELECT count(*) FROM leads l WHERE l.campaign = c.name), "
                    "(SELECT count(*) FROM leads l WHERE l.campaign = c.name "
                    "   AND l.state = 'ready') "
                    "FROM campaigns c ORDER BY c.name",
                    0, NULL, &res);
    if (rc)
        return rc;
    if (ccctl_flag(&args, "--json")) {
        ccctl_json_print(cc_pg_rows_json(res), stdout);
    } else {
        static const char *const headers[] = {"NAME",  "MODE", "STATE", "QUEUE", "CALLER", "TRUNK",
                                              "HOURS", "ZONE", "CAP%",  "LEADS", "READY",  NULL};
        ccctl_table_print_result(headers, res, "", stdout);
    }
    PQclear(res);
    return CCCTL_EXIT_OK;
}

static int s_set_state(ccctl_t *ctx, int argc, char **argv, const char *state)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 1, 1, "NAME", ccctl_campaign_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {args.pos[0], state};
    PGresult *res = NULL;
    rc =
        ccctl_exec(ctx, "changing the campaign's state",
                   "UPDATE campaigns SET state = $2, state_at = now() WHERE name = $1 "
                   "RETURNING (SELECT count(*) FROM leads WHERE campaign = $1 AND state = 'ready')",
                   2, p, &res);
    if (rc)
        return rc;
    if (PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no campaign '%s' (ccctl campaign list)", args.pos[0]);
    else
        printf("campaign %s %s (%s leads ready)\n", args.pos[0], state, PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

/* `campaign amd NAME off|hangup|message [--prompt P]`: detection on or off, and what a
 * machine gets; running campaigns pick it up at dialerd's next reload. */
static int s_amd(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--prompt", true}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 2, 2, "NAME off|hangup|message",
                         ccctl_campaign_usage);
    if (rc != 0)
        return rc;
    const char *what = args.pos[1], *prompt = ccctl_arg(&args, "--prompt");
    bool off = !strcmp(what, "off");
    if (!off && dl_amd_machine_parse(what) < 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad amd setting '%s': off, hangup or message", what);
    if (prompt && !dl_campaign_prompt_ok(prompt))
        return ccctl_fail(CCCTL_EXIT_USAGE,
                          "bad --prompt '%s': a prompt name (letters, digits, _ . / -)", prompt);
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {args.pos[0], off ? "false" : "true", off ? NULL : what, prompt};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "setting answering-machine detection",
                    "UPDATE campaigns SET amd = $2::boolean, "
                    "amd_machine = coalesce($3, amd_machine), "
                    "amd_prompt = coalesce($4, amd_prompt) WHERE name = $1 "
                    "RETURNING amd_machine, amd_prompt",
                    4, p, &res);
    if (rc)
        return rc;
    if (PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no campaign '%s' (ccctl campaign list)", args.pos[0]);
    else if (off)
        printf("campaign %s: no answering-machine detection\n", args.pos[0]);
    else
        printf("campaign %s: answering machines %s%s%s\n", args.pos[0],
               !strcmp(what, "message") ? "hear " : "are hung up on",
               !strcmp(what, "message") ? PQgetvalue(res, 0, 1) : "",
               !strcmp(what, "message") ? ", then the call ends" : "");
    PQclear(res);
    return rc;
}

static int s_start(ccctl_t *ctx, int argc, char **argv)
{
    return s_set_state(ctx, argc, argv, "running");
}

static int s_pause(ccctl_t *ctx, int argc, char **argv)
{
    return s_set_state(ctx, argc, argv, "paused");
}

static int s_finish(ccctl_t *ctx, int argc, char **argv)
{
    return s_set_state(ctx, argc, argv, "finished");
}

/* ---- stats ------------------------------------------------------------------------------------ */

static int s_stats(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 1, 1, "NAME", ccctl_campaign_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {args.pos[0]};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "reading the campaign",
                    "SELECT c.state, c.mode, c.abandon_cap_pct::float8, "
                    "count(l.id) FILTER (WHERE l.state = 'ready'), "
                    "count(l.id) FILTER (WHERE l.state = 'dialling'), "
                    "count(l.id) FILTER (WHERE l.state = 'done'), "
                    "count(l.id) FILTER (WHERE l.state = 'exhausted'), "
                    "count(l.id) FILTER (WHERE l.state = 'dnc') "
                    "FROM campaigns c LEFT JOIN leads l ON l.campaign = c.name "
                    "WHERE c.name = $1 GROUP BY c.name",
                    1, p, &res);
    if (rc)
        return rc;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return ccctl_fail(CCCTL_EXIT_REFUSED, "no campaign '%s' (ccctl campaign list)",
                          args.pos[0]);
    }
    PGresult *days = NULL;
    rc = ccctl_exec(ctx, "reading v_campaign_daily",
                    "SELECT day::text, attempts, contacts, coalesce(contact_rate, 0)::float8, "
                    "abandoned, coalesce(abandon_rate, 0)::float8, talk_s, agent_wait_s, wrap_s "
                    "FROM v_campaign_daily WHERE campaign = $1 ORDER BY day DESC LIMIT 14",
                    1, p, &days);
    if (rc) {
        PQclear(res);
        return rc;
    }
    if (ccctl_flag(&args, "--json")) {
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:f, s:{s:i, s:i, s:i, s:i, s:i}, s:o}", "campaign",
                      args.pos[0], "state", PQgetvalue(res, 0, 0), "mode", PQgetvalue(res, 0, 1),
                      "abandon_cap_pct", atof(PQgetvalue(res, 0, 2)), "leads", "ready",
                      atoi(PQgetvalue(res, 0, 3)), "dialling", atoi(PQgetvalue(res, 0, 4)), "done",
                      atoi(PQgetvalue(res, 0, 5)), "exhausted", atoi(PQgetvalue(res, 0, 6)), "dnc",
                      atoi(PQgetvalue(res, 0, 7)), "days", cc_pg_rows_json(days));
        ccctl_json_print(o, stdout);
    } else {
        printf("campaign %s: %s, %s, abandon cap %s%%\n"
               "leads: %s ready, %s dialling, %s done, %s exhausted, %s do-not-call\n",
               args.pos[0], PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
               PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 5),
               PQgetvalue(res, 0, 6), PQgetvalue(res, 0, 7));
        static const char *const headers[] = {"DAY",       "ATTEMPTS", "CONTACTS", "CONTACT%",
                                              "ABANDONED", "ABANDON%", "TALK_S",   "WAIT_S",
                                              "WRAP_S",    NULL};
        ccctl_table_t *t = ccctl_table_new(headers);
        for (int r = 0; t && r < PQntuples(days); r++) {
            char cr[16], ar[16];
            snprintf(cr, sizeof cr, "%.1f", 100 * atof(PQgetvalue(days, r, 3)));
            snprintf(ar, sizeof ar, "%.2f", 100 * atof(PQgetvalue(days, r, 5)));
            const char *cells[] = {PQgetvalue(days, r, 0), PQgetvalue(days, r, 1),
                                   PQgetvalue(days, r, 2), cr,
                                   PQgetvalue(days, r, 4), ar,
                                   PQgetvalue(days, r, 6), PQgetvalue(days, r, 7),
                                   PQgetvalue(days, r, 8)};
            ccctl_table_add(t, cells);
        }
        ccctl_table_print_destroy(&t, stdout);
    }
    PQclear(days);
    PQclear(res);
    return CCCTL_EXIT_OK;
}

/* ---- import ----------------------------------------------------------------------------------- */

static char *s_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ccctl_fail(CCCTL_EXIT_USAGE, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    char *buf = NULL;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > S_LIST_MAX) {
        ccctl_fail(CCCTL_EXIT_USAGE, "%s: not a regular file of at most 64 MB", path);
    } else if (!(buf = malloc((size_t)st.st_size + 1))) {
        ccctl_fail(CCCTL_EXIT_REFUSED, "out of memory");
    } else if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        ccctl_fail(CCCTL_EXIT_USAGE, "cannot read %s", path);
        free(buf);
        buf = NULL;
    } else {
        buf[st.st_size] = '\0';
        *len = (size_t)st.st_size;
    }
    fclose(f);
    return buf;
}

/* The rows as one JSON array for jsonb_to_recordset: one parameter, whatever the size. */
static char *s_rows_json(const dl_import_t *im)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < im->nrows; i++) {
        const dl_lead_row_t *r = &im->rows[i];
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s?, s:O, s:i}", "number", r->number,
                                             "name", r->name, "time_zone", r->zone, "fields",
                                             r->fields, "line", r->line));
    }
    char *text = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    return text;
}

static int s_import_rows(ccctl_t *ctx, const char *campaign, const char *path, const char *rows)
{
    const char *p[] = {campaign, rows};
    PGresult *res = NULL;
    int rc = ccctl_exec(ctx, "checking the campaign",
                        "SELECT state FROM campaigns WHERE name = $1 FOR UPDATE", 1, p, &res);
    if (rc)
        return rc;
    bool found = PQntuples(res) == 1;
    PQclear(res);
    if (!found)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "no campaign '%s' (ccctl campaign list)", campaign);
    rc = ccctl_exec(ctx, "checking numbers already in the campaign",
                    "SELECT r.line, r.number FROM jsonb_to_recordset($2::jsonb) "
                    "AS r(number text, line integer) "
                    "JOIN leads l ON l.campaign = $1 AND l.number = r.number ORDER BY r.line",
                    2, p, &res);
    if (rc)
        return rc;
    int dup = PQntuples(res);
    for (int i = 0; i < dup; i++)
        fprintf(stderr, "%s:%s: duplicate: number %s is already in campaign %s\n", path,
                PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), campaign);
    PQclear(res);
    if (dup)
        return ccctl_fail(CCCTL_EXIT_USAGE, "%s refused whole: %d bad line%s, nothing imported",
                          path, dup, dup == 1 ? "" : "s");
    return ccctl_exec(ctx, "importing the leads",
                      "INSERT INTO leads (campaign, number, name, time_zone, fields, list_line) "
                      "SELECT $1, r.number, r.name, r.time_zone, r.fields, r.line "
                      "FROM jsonb_to_recordset($2::jsonb) AS r(number text, name text, "
                      "time_zone text, fields jsonb, line integer) ORDER BY r.line",
                      2, p, NULL);
}

static int s_import(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 2, 2, "NAME FILE.csv", ccctl_campaign_usage);
    if (rc)
        return rc;
    const char *campaign = args.pos[0], *path = args.pos[1];
    size_t len = 0;
    char *buf = s_read_file(path, &len);
    if (!buf)
        return CCCTL_EXIT_USAGE;
    dl_import_t *im = dl_import_judge(buf, len, ivr_tz_exists);
    free(buf);
    if (!im)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "out of memory");
    if (im->nerrors > 0) {
        for (size_t i = 0; i < im->nerrors; i++)
            fprintf(stderr, "%s:%d: %s\n", path, im->errors[i].line, im->errors[i].reason);
        rc = ccctl_fail(CCCTL_EXIT_USAGE, "%s refused whole: %zu bad line%s, nothing imported",
                        path, im->nerrors, im->nerrors == 1 ? "" : "s");
        dl_import_destroy(&im);
        return rc;
    }
    char *rows = s_rows_json(im);
    size_t n = im->nrows;
    dl_import_destroy(&im);
    if (!rows)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "out of memory");
    if (!ccctl_db(ctx, true, &rc)) {
        free(rows);
        return rc;
    }
    if (cc_pg_begin(ctx->pg) != 0) {
        free(rows);
        return ccctl_db_fail(ctx, "starting a transaction");
    }
    rc = s_import_rows(ctx, campaign, path, rows);
    free(rows);
    if (rc) {
        cc_pg_rollback(ctx->pg);
        return rc;
    }
    if (cc_pg_commit(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "committing");
    printf("%zu leads imported into campaign %s\n", n, campaign);
    return CCCTL_EXIT_OK;
}

/* ---- dnc -------------------------------------------------------------------------------------- */

static const ccctl_opt_t s_dnc_opts[] = {
    {"--campaign", true}, {"--reason", true}, {"--json", false}};

static int s_dnc_args(ccctl_args_t *args, int argc, char **argv, int npos, char *number, size_t len)
{
    int rc = ccctl_parse(args, argc, argv, s_dnc_opts, N_OPTS(s_dnc_opts), npos, npos, "NUMBER",
                         ccctl_campaign_usage);
    if (rc || npos == 0)
        return rc;
    char err[160];
    if (dl_number_normalise(args->pos[0], number, len, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "%s", err);
    return 0;
}

static int s_dnc_add(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    char number[DL_NUMBER_MAX];
    int rc = s_dnc_args(&args, argc, argv, 1, number, sizeof number);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *campaign = ccctl_arg(&args, "--campaign"), *reason = ccctl_arg(&args, "--reason");
    const char *p[] = {campaign, number, reason ? reason : ""};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "adding to the do-not-call list",
                    "INSERT INTO dnc (campaign, number, reason, added_by) "
                    "VALUES ($1, $2, $3, 'ccctl') ON CONFLICT DO NOTHING RETURNING id",
                    3, p, &res);
    if (rc && campaign && strstr(cc_pg_error(ctx->pg), "campaign"))
        return ccctl_fail(CCCTL_EXIT_REFUSED, "no campaign '%s' (ccctl campaign list)", campaign);
    if (rc)
        return rc;
    printf("%s %s the %s do-not-call list\n", number,
           PQntuples(res) ? "added to" : "was already on", campaign ? campaign : "global");
    PQclear(res);
    return CCCTL_EXIT_OK;
}

static int s_dnc_del(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    char number[DL_NUMBER_MAX];
    int rc = s_dnc_args(&args, argc, argv, 1, number, sizeof number);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *campaign = ccctl_arg(&args, "--campaign");
    const char *p[] = {campaign, number};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "removing from the do-not-call list",
                    "DELETE FROM dnc WHERE campaign IS NOT DISTINCT FROM $1 AND number = $2 "
                    "RETURNING id",
                    2, p, &res);
    if (rc)
        return rc;
    int n = PQntuples(res);
    PQclear(res);
    if (!n)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "%s is not on the %s do-not-call list", number,
                          campaign ? campaign : "global");
    printf("%s removed from the %s do-not-call list\n", number, campaign ? campaign : "global");
    return CCCTL_EXIT_OK;
}

static int s_dnc_list(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = s_dnc_args(&args, argc, argv, 0, NULL, 0);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *campaign = ccctl_arg(&args, "--campaign");
    const char *p[] = {campaign};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "listing the do-not-call lists",
                    "SELECT coalesce(campaign, '(global)') AS list, number, reason, added_by, "
                    "to_char(added_at, 'YYYY-MM-DD HH24:MI:SS') AS added_at FROM dnc "
                    "WHERE $1::text IS NULL OR campaign = $1 OR campaign IS NULL "
                    "ORDER BY campaign NULLS FIRST, number",
                    1, p, &res);
    if (rc)
        return rc;
    if (ccctl_flag(&args, "--json")) {
        ccctl_json_print(cc_pg_rows_json(res), stdout);
    } else {
        static const char *const headers[] = {"LIST", "NUMBER", "REASON", "BY", "ADDED", NULL};
        ccctl_table_print_result(headers, res, "", stdout);
    }
    PQclear(res);
    return CCCTL_EXIT_OK;
}

static int s_dnc(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"add", s_dnc_add}, {"del", s_dnc_del}, {"list", s_dnc_list}, {NULL, NULL}};
    /* ccctl_dispatch wants the group's own word first: "dnc" is just before argv */
    return ccctl_dispatch(ctx, argc + 1, argv - 1, subs, ccctl_campaign_usage);
}

int ccctl_campaign_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"add", s_add},     {"list", s_list},     {"start", s_start}, {"amd", s_amd},
        {"pause", s_pause}, {"finish", s_finish}, {"stats", s_stats}, {"import", s_import},
        {"dnc", s_dnc},     {NULL, NULL}};
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_campaign_usage);
}
