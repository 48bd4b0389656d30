/* dl_campaign.c - a new campaign's settings checked, defaulted and made into the parameters
 * of the statement that stores it (see dl_campaign.h). The rules are the schema's (028):
 * checking them here gives a refusal that names the setting instead of a constraint. */
#include "dl_campaign.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl_amd.h"
#include "ivr_schedule.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *const s_outcomes[] = {"busy", "no_answer", "machine", "abandoned", "failed"};
static const char *const s_default_retries[] = {"busy:600:5", "no_answer:3600:5", "machine:7200:3",
                                                "abandoned:259200:3", "failed:1800:3"};
static const char s_default_hours[] = "mon-sat 09:00-20:00";
static const char s_name_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";

const char dl_campaign_insert_sql[] =
    "WITH c AS (INSERT INTO campaigns (name, mode, queue, caller_id, trunk, hours, time_zone, "
    "tz_rule, abandon_cap_pct, ring_s, max_attempts, max_ratio, abandon_prompt, amd, "
    "amd_machine, amd_prompt) VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8, $9::numeric, "
    "$10::integer, $11::integer, $12::numeric, $13, $14::boolean, $15, $16) RETURNING name), "
    "r AS (INSERT INTO campaign_retries (campaign, outcome, min_gap_s, max_attempts) "
    "SELECT c.name, x.outcome, x.gap, x.most FROM c, unnest($17::text[], $18::integer[], "
    "$19::integer[]) AS x(outcome, gap, most)), "
    "d AS (INSERT INTO campaign_dispositions (campaign, code, label, adds_dnc, dnc_global) "
    "SELECT c.name, x.code, x.label, x.dnc, x.glob FROM c, unnest($20::text[], $21::text[], "
    "$22::boolean[], $23::boolean[]) AS x(code, label, dnc, glob)) "
    "SELECT name FROM c";

static int s_fail(dl_campaign_error_t *err, const char *field, const char *value, const char *fmt,
                  ...)
{
    snprintf(err->field, sizeof err->field, "%s", field);
    snprintf(err->value, sizeof err->value, "%s", value ? value : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    return -1;
}

static bool s_name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n >= 1 && n <= max && strspn(s, s_name_chars) == n;
}

bool dl_campaign_prompt_ok(const char *p)
{
    size_t n = strlen(p);
    return n >= 1 && n <= 100 && !strstr(p, "..") &&
           strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-") == n;
}

static int s_long(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int s_whole(const char *field, const char *v, long min, long max, const char *def, char *out,
                   size_t len, dl_campaign_error_t *err)
{
    long n;
    if (!v)
        v = def;
    if (s_long(v, min, max, &n) != 0)
        return s_fail(err, field, v, "a whole number %ld-%ld", min, max);
    snprintf(out, len, "%ld", n);
    return 0;
}

static int s_decimal(const char *field, const char *v, double min, double max, const char *def,
                     char *out, size_t len, dl_campaign_error_t *err)
{
    if (!v)
        v = def;
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(d) || d < min || d > max)
        return s_fail(err, field, v, "a number %g-%g", min, max);
    snprintf(out, len, "%.2f", d);
    return 0;
}

/* Appends `item` to a Postgres array literal being built in buf ("{" first, "}" last),
 * quoted so that any text survives; -1 when it does not fit. */
static int s_array_add(char *buf, size_t len, size_t *used, const char *item)
{
    size_t u = *used;
    if (u + 2 >= len)
        return -1;
    if (u > 1)
        buf[u++] = ',';
    buf[u++] = '"';
    for (const char *c = item; *c; c++) {
        if (u + 4 >= len)
            return -1;
        if (*c == '"' || *c == '\\')
            buf[u++] = '\\';
        buf[u++] = *c;
    }
    buf[u++] = '"';
    buf[u] = '\0';
    *used = u;
    return 0;
}

static int s_array_close(char *buf, size_t len, size_t *used)
{
    if (*used + 2 > len)
        return -1;
    buf[(*used)++] = '}';
    buf[*used] = '\0';
    return 0;
}

static int s_hours(const dl_campaign_spec_t *spec, dl_campaign_row_t *row, dl_campaign_error_t *err)
{
    size_t n = spec->nhours ? spec->nhours : 1, used = 1;
    if (spec->nhours > 14)
        return s_fail(err, "hours", "", "at most 14 rules");
    ivr_schedule_t *s = ivr_schedule_new("UTC");
    if (!s)
        return s_fail(err, "hours", "", "out of memory");
    int rc = 0;
    snprintf(row->hours, sizeof row->hours, "{");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *rule = spec->nhours ? spec->hours[i] : s_default_hours;
        char why[160];
        if (strpbrk(rule, "\"\\{},"))
            rc = s_fail(err, "hours", rule, "one rule per entry, as \"mon-fri 09:00-17:00\"");
        else if (ivr_schedule_add_hours(s, rule, why, sizeof why) != 0)
            rc = s_fail(err, "hours", rule, "%s", why);
        else if (s_array_add(row->hours, sizeof row->hours, &used, rule) != 0)
            rc = s_fail(err, "hours", rule, "too many or too long rules");
    }
    if (rc == 0 && s_array_close(row->hours, sizeof row->hours, &used) != 0)
        rc = s_fail(err, "hours", "", "too many or too long rules");
    ivr_schedule_destroy(&s);
    return rc;
}

typedef struct {
    const char *outcome;
    long gap, most;
} s_retry_t;

static int s_retry_parse(const char *text, s_retry_t *r)
{
    char buf[64];
    if (strlen(text) >= sizeof buf)
        return -1;
    snprintf(buf, sizeof buf, "%s", text);
    char *gap = strchr(buf, ':');
    char *most = gap ? strchr(gap + 1, ':') : NULL;
    if (!gap || !most)
        return -1;
    *gap++ = '\0';
    *most++ = '\0';
    r->outcome = NULL;
    for (size_t i = 0; i < N_OF(s_outcomes); i++)
        if (!strcmp(buf, s_outcomes[i]))
            r->outcome = s_outcomes[i];
    if (!r->outcome || s_long(gap, 0, 30L * 86400, &r->gap) != 0 ||
        s_long(most, 1, 100, &r->most) != 0)
        return -1;
    return 0;
}

static int s_retries(const dl_campaign_spec_t *spec, dl_campaign_row_t *row,
                     dl_campaign_error_t *err)
{
    s_retry_t rules[N_OF(s_outcomes)];
    for (size_t i = 0; i < N_OF(s_outcomes); i++)
        s_retry_parse(s_default_retries[i], &rules[i]);
    for (size_t i = 0; i < spec->nretries; i++) {
        s_retry_t r;
        if (s_retry_parse(spec->retries[i], &r) != 0)
            return s_fail(err, "retries", spec->retries[i],
                          "OUTCOME:GAP_S:MAX, OUTCOME one of busy, no_answer, machine, "
                          "abandoned, failed; GAP_S 0-2592000; MAX 1-100");
        for (size_t k = 0; k < N_OF(s_outcomes); k++)
            if (rules[k].outcome == r.outcome)
                rules[k] = r;
    }
    size_t uo = 1, ug = 1, um = 1;
    snprintf(row->retry_outcomes, sizeof row->retry_outcomes, "{");
    snprintf(row->retry_gaps, sizeof row->retry_gaps, "{");
    snprintf(row->retry_max, sizeof row->retry_max, "{");
    for (size_t k = 0; k < N_OF(s_outcomes); k++) {
        char gap[24], most[24];
        snprintf(gap, sizeof gap, "%ld", rules[k].gap);
        snprintf(most, sizeof most, "%ld", rules[k].most);
        s_array_add(row->retry_outcomes, sizeof row->retry_outcomes, &uo, rules[k].outcome);
        s_array_add(row->retry_gaps, sizeof row->retry_gaps, &ug, gap);
        s_array_add(row->retry_max, sizeof row->retry_max, &um, most);
    }
    s_array_close(row->retry_outcomes, sizeof row->retry_outcomes, &uo);
    s_array_close(row->retry_gaps, sizeof row->retry_gaps, &ug);
    s_array_close(row->retry_max, sizeof row->retry_max, &um);
    return 0;
}

static bool s_label_ok(const char *label)
{
    size_t n = strlen(label);
    if (n < 1 || n > 80)
        return false;
    for (const unsigned char *c = (const unsigned char *)label; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

static int s_dispositions(const dl_campaign_spec_t *spec, dl_campaign_row_t *row,
                          dl_campaign_error_t *err)
{
    static const char usage[] = "CODE:LABEL[:dnc|:dnc_global], CODE 1-31 letters, digits, "
                                "_ . -, LABEL 1-80 characters";
    size_t uc = 1, ul = 1, ud = 1, ug = 1;
    snprintf(row->disp_codes, sizeof row->disp_codes, "{");
    snprintf(row->disp_labels, sizeof row->disp_labels, "{");
    snprintf(row->disp_dnc, sizeof row->disp_dnc, "{");
    snprintf(row->disp_global, sizeof row->disp_global, "{");
    char codes[DL_CAMPAIGN_LIST_MAX][32];
    for (size_t i = 0; i < spec->ndispositions; i++) {
        const char *v = spec->dispositions[i];
        char buf[160];
        if (strlen(v) >= sizeof buf)
            return s_fail(err, "dispositions", v, "%s", usage);
        snprintf(buf, sizeof buf, "%s", v);
        char *label = strchr(buf, ':');
        if (!label)
            return s_fail(err, "dispositions", v, "%s", usage);
        *label++ = '\0';
        char *tail = strrchr(label, ':');
        bool global = tail && !strcmp(tail, ":dnc_global");
        bool dnc = global || (tail && !strcmp(tail, ":dnc"));
        if (dnc)
            *tail = '\0';
        if (!s_name_ok(buf, 31) || !s_label_ok(label))
            return s_fail(err, "dispositions", v, "%s", usage);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(codes[k], buf))
                return s_fail(err, "dispositions", v, "the code '%s' is given twice", buf);
        memcpy(codes[i], buf, strlen(buf) + 1); /* s_name_ok: at most 31 characters */
        if (s_array_add(row->disp_codes, sizeof row->disp_codes, &uc, buf) != 0 ||
            s_array_add(row->disp_labels, sizeof row->disp_labels, &ul, label) != 0 ||
            s_array_add(row->disp_dnc, sizeof row->disp_dnc, &ud, dnc ? "t" : "f") != 0 ||
            s_array_add(row->disp_global, sizeof row->disp_global, &ug, global ? "t" : "f") != 0)
            return s_fail(err, "dispositions", v, "too many dispositions");
    }
    s_array_close(row->disp_codes, sizeof row->disp_codes, &uc);
    s_array_close(row->disp_labels, sizeof row->disp_labels, &ul);
    s_array_close(row->disp_dnc, sizeof row->disp_dnc, &ud);
    s_array_close(row->disp_global, sizeof row->disp_global, &ug);
    return 0;
}

int dl_campaign_check(const dl_campaign_spec_t *spec, dl_zone_ok_fn *zone_ok,
                      dl_campaign_row_t *row, dl_campaign_error_t *err)
{
    memset(row, 0, sizeof *row);
    memset(err, 0, sizeof *err);
    if (spec->nhours > DL_CAMPAIGN_LIST_MAX || spec->nretries > DL_CAMPAIGN_LIST_MAX ||
        spec->ndispositions > DL_CAMPAIGN_LIST_MAX)
        return s_fail(err,
                      spec->ndispositions > DL_CAMPAIGN_LIST_MAX ? "dispositions"
                      : spec->nretries > DL_CAMPAIGN_LIST_MAX    ? "retries"
                                                                 : "hours",
                      "", "at most %d entries", DL_CAMPAIGN_LIST_MAX);
    static const char *const required[] = {"name", "queue", "caller_id"};
    const char *given[] = {spec->name, spec->queue, spec->caller_id};
    for (size_t i = 0; i < N_OF(required); i++)
        if (!given[i] || !*given[i])
            return s_fail(err, required[i], NULL, "required");
    if (!s_name_ok(spec->name, 63))
        return s_fail(err, "name", spec->name, "1-63 letters, digits, _ . -");
    if (!s_name_ok(spec->queue, 63))
        return s_fail(err, "queue", spec->queue, "a queue name: 1-63 letters, digits, _ . -");
    char why[160];
    if (dl_number_normalise(spec->caller_id, row->caller_id, sizeof row->caller_id, why,
                            sizeof why) != 0)
        return s_fail(err, "caller_id", spec->caller_id, "%s", why);
    const char *mode = spec->mode ? spec->mode : "progressive";
    if (strcmp(mode, "preview") && strcmp(mode, "progressive") && strcmp(mode, "predictive"))
        return s_fail(err, "mode", mode, "preview, progressive or predictive");
    if (spec->trunk && !s_name_ok(spec->trunk, 63))
        return s_fail(err, "trunk", spec->trunk, "a trunk name: 1-63 letters, digits, _ . -");
    const char *zone = spec->time_zone ? spec->time_zone : "UTC";
    if (strlen(zone) > 64 || !zone_ok(zone))
        return s_fail(err, "time_zone", zone, "not a tz database name");
    const char *tz_rule = spec->tz_rule ? spec->tz_rule : "lead";
    if (strcmp(tz_rule, "lead") && strcmp(tz_rule, "campaign"))
        return s_fail(err, "tz_rule", tz_rule, "lead or campaign");
    if (s_hours(spec, row, err) != 0 ||
        s_decimal("abandon_cap", spec->abandon_cap, 0.01, 100, "3", row->cap, sizeof row->cap,
                  err) != 0 ||
        s_whole("ring", spec->ring, 15, 120, "20", row->ring, sizeof row->ring, err) != 0 ||
        s_whole("max_attempts", spec->max_attempts, 1, 100, "5", row->max_attempts,
                sizeof row->max_attempts, err) != 0 ||
        s_decimal("max_ratio", spec->max_ratio, 1, 20, "4", row->max_ratio, sizeof row->max_ratio,
                  err) != 0 ||
        s_retries(spec, row, err) != 0 || s_dispositions(spec, row, err) != 0)
        return -1;
    const char *prompt = spec->abandon_prompt ? spec->abandon_prompt : "dialer/abandoned";
    if (!dl_campaign_prompt_ok(prompt))
        return s_fail(err, "abandon_prompt", prompt, "a prompt name (letters, digits, _ . / -)");
    bool amd = spec->amd && strcmp(spec->amd, "off");
    if (amd && dl_amd_machine_parse(spec->amd) < 0)
        return s_fail(err, "amd", spec->amd, "off, hangup or message");
    const char *amd_prompt = spec->amd_prompt ? spec->amd_prompt : "dialer/machine";
    if (!dl_campaign_prompt_ok(amd_prompt))
        return s_fail(err, "amd_prompt", amd_prompt, "a prompt name (letters, digits, _ . / -)");
    const char *p[DL_CAMPAIGN_NPARAMS] = {spec->name,
                                          mode,
                                          spec->queue,
                                          row->caller_id,
                                          spec->trunk,
                                          row->hours,
                                          zone,
                                          tz_rule,
                                          row->cap,
                                          row->ring,
                                          row->max_attempts,
                                          row->max_ratio,
                                          prompt,
                                          amd ? "true" : "false",
                                          amd ? spec->amd : "hangup",
                                          amd_prompt,
                                          row->retry_outcomes,
                                          row->retry_gaps,
                                          row->retry_max,
                                          row->disp_codes,
                                          row->disp_labels,
                                          row->disp_dnc,
                                          row->disp_global};
    memcpy(row->params, p, sizeof p);
    return 0;
}

void dl_campaign_error_text(const dl_campaign_error_t *err, const char *field_prefix, char dash,
                            char *out, size_t len)
{
    char field[sizeof err->field];
    snprintf(field, sizeof field, "%s", err->field);
    for (char *c = field; *c; c++)
        if (*c == '_')
            *c = dash;
    if (!strcmp(err->reason, "required"))
        snprintf(out, len, "%s%s is required", field_prefix, field);
    else
        snprintf(out, len, "bad %s%s '%s': %s", field_prefix, field, err->value, err->reason);
}
