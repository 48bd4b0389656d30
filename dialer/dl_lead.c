/* dl_lead.c - judging a lead list (see dl_lead.h): the header's columns, then each record
 * from dl_csv checked on its own and against the numbers seen before it. */
#include "dl_lead.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cc_map.h"
#include "dl_csv.h"

int dl_number_normalise(const char *in, char *out, size_t len, char *err, size_t errlen)
{
    size_t n = 0, digits = 0;
    const char *p = in;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '+') {
        if (n + 1 < len)
            out[n++] = '+';
        p++;
    }
    for (; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            if (++digits > 20) {
                snprintf(err, errlen, "bad number '%s': more than 20 digits", in);
                return -1;
            }
            if (n + 1 < len)
                out[n++] = *p;
        } else if (!strchr(" \t-.()/", *p)) {
            snprintf(err, errlen, "bad number '%s': only digits, a leading + and spaces - . ( ) /",
                     in);
            return -1;
        }
    }
    out[n < len ? n : len - 1] = '\0';
    if (digits < 3) {
        snprintf(err, errlen,
                 digits ? "bad number '%s': fewer than 3 digits" : "bad number '%s': no digits",
                 in);
        return -1;
    }
    return 0;
}

/* ---- the result ------------------------------------------------------------------------ */

static int s_add_error(dl_import_t *self, int line, const char *fmt, const char *a, const char *b)
{
    if (self->nerrors == self->caps[1]) {
        size_t cap = self->caps[1] ? self->caps[1] * 2 : 16;
        dl_lead_error_t *e = realloc(self->errors, cap * sizeof *e);
        if (!e)
            return -1;
        self->errors = e;
        self->caps[1] = cap;
    }
    dl_lead_error_t *e = &self->errors[self->nerrors++];
    e->line = line;
    snprintf(e->reason, sizeof e->reason, fmt, a ? a : "", b ? b : "");
    return 0;
}

static dl_lead_row_t *s_add_row(dl_import_t *self)
{
    if (self->nrows == self->caps[0]) {
        size_t cap = self->caps[0] ? self->caps[0] * 2 : 64;
        dl_lead_row_t *r = realloc(self->rows, cap * sizeof *r);
        if (!r)
            return NULL;
        self->rows = r;
        self->caps[0] = cap;
    }
    dl_lead_row_t *r = &self->rows[self->nrows++];
    memset(r, 0, sizeof *r);
    return r;
}

void dl_import_destroy(dl_import_t **self_p)
{
    dl_import_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    for (size_t i = 0; i < self->nrows; i++) {
        free(self->rows[i].name);
        free(self->rows[i].zone);
        json_decref(self->rows[i].fields);
    }
    free(self->rows);
    free(self->errors);
    free(self);
    *self_p = NULL;
}

/* ---- the header ------------------------------------------------------------------------- */

enum {
    S_COL_EXTRA = 0,
    S_COL_NUMBER,
    S_COL_NAME,
    S_COL_ZONE
};

typedef struct {
    size_t ncols;
    int kind[DL_CSV_MAX_FIELDS];
    char names[DL_CSV_MAX_FIELDS][64];
} s_header_t;

static int s_column_kind(const char *name)
{
    static const struct {
        const char *name;
        int kind;
    } known[] = {{"number", S_COL_NUMBER},  {"phone", S_COL_NUMBER},  {"name", S_COL_NAME},
                 {"time_zone", S_COL_ZONE}, {"timezone", S_COL_ZONE}, {"tz", S_COL_ZONE}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcasecmp(name, known[i].name))
            return known[i].kind;
    return S_COL_EXTRA;
}

/* 0, 1 when the header is bad (reported), -1 out of memory. */
static int s_header(dl_import_t *out, const dl_csv_t *csv, s_header_t *h)
{
    int seen[4] = {0}, bad = 0;
    h->ncols = csv->nfields;
    for (size_t i = 0; i < csv->nfields; i++) {
        const char *f = csv->fields[i];
        while (*f == ' ')
            f++;
        snprintf(h->names[i], sizeof h->names[i], "%s", f);
        size_t n = strlen(h->names[i]);
        while (n > 0 && h->names[i][n - 1] == ' ')
            h->names[i][--n] = '\0';
        h->kind[i] = s_column_kind(h->names[i]);
        if (n == 0 || strlen(f) >= sizeof h->names[i]) {
            char col[24];
            snprintf(col, sizeof col, "%zu", i + 1);
            if (s_add_error(out, csv->record_line,
                            "header: column %s has no name or one over 63 characters%s", col,
                            NULL) != 0)
                return -1;
            bad = 1;
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcasecmp(h->names[j], h->names[i]) ||
                (h->kind[i] != S_COL_EXTRA && h->kind[j] == h->kind[i])) {
                if (s_add_error(out, csv->record_line, "header: column '%s' given twice (as '%s')",
                                h->names[i], h->names[j]) != 0)
                    return -1;
                bad = 1;
            }
        seen[h->kind[i]] = 1;
    }
    if (!seen[S_COL_NUMBER]) {
        if (s_add_error(out, csv->record_line,
                        "header: no 'number' column (the first row names the columns: "
                        "number, name, time_zone, then any extra fields)%s%s",
                        NULL, NULL) != 0)
            return -1;
        bad = 1;
    }
    return bad;
}

/* ---- one row -------------------------------------------------------------------------------- */

/* 0 good (row added), 1 bad (reported), -1 out of memory. */
static int s_row(dl_import_t *out, const dl_csv_t *csv, const s_header_t *h, cc_map_t *seen,
                 dl_zone_ok_fn *zone_ok)
{
    char err[160], count[48], number[DL_NUMBER_MAX];
    int line = csv->record_line;
    if (csv->nfields != h->ncols) {
        snprintf(count, sizeof count, "%zu fields, the header has %zu", csv->nfields, h->ncols);
        return s_add_error(out, line, "wrong column count: %s%s", count, NULL) ? -1 : 1;
    }
    const char *num = NULL, *name = "", *zone = NULL;
    for (size_t i = 0; i < h->ncols; i++) {
        if (h->kind[i] == S_COL_NUMBER)
            num = csv->fields[i];
        else if (h->kind[i] == S_COL_NAME)
            name = csv->fields[i];
        else if (h->kind[i] == S_COL_ZONE && csv->fields[i][0])
            zone = csv->fields[i];
    }
    if (dl_number_normalise(num, number, sizeof number, err, sizeof err) != 0)
        return s_add_error(out, line, "%s%s", err, NULL) ? -1 : 1;
    if (zone && !zone_ok(zone))
        return s_add_error(out, line, "bad time zone '%s': not a tz database name%s", zone, NULL)
                   ? -1
                   : 1;
    if (strlen(name) > DL_NAME_MAX)
        return s_add_error(out, line, "name longer than 200 characters%s%s", NULL, NULL) ? -1 : 1;
    intptr_t first = (intptr_t)cc_map_get(seen, number);
    if (first) {
        snprintf(count, sizeof count, "%d", (int)first);
        return s_add_error(out, line, "duplicate: number %s is already on line %s", number, count)
                   ? -1
                   : 1;
    }
    if (cc_map_insert(seen, number, (void *)(intptr_t)line) != 0)
        return -1;
    if (out->nerrors > 0) /* the list is refused anyway: keep checking, stop keeping rows */
        return 0;
    dl_lead_row_t *r = s_add_row(out);
    if (!r)
        return -1;
    r->line = line;
    snprintf(r->number, sizeof r->number, "%s", number);
    r->name = strdup(name);
    r->zone = zone ? strdup(zone) : NULL;
    r->fields = json_object();
    if (!r->name || (zone && !r->zone) || !r->fields)
        return -1;
    for (size_t i = 0; i < h->ncols; i++)
        if (h->kind[i] == S_COL_EXTRA &&
            json_object_set_new(r->fields, h->names[i], json_string(csv->fields[i])) != 0)
            return -1;
    return 0;
}

dl_import_t *dl_import_judge(const char *buf, size_t len, dl_zone_ok_fn *zone_ok)
{
    dl_import_t *out = calloc(1, sizeof *out);
    s_header_t *h = calloc(1, sizeof *h);
    cc_map_t *seen = cc_map_new(NULL);
    dl_csv_t csv;
    dl_csv_init(&csv, buf, len);
    int rc = out && h && seen ? 0 : -1;
    bool have_header = false;
    int header_bad = 0; /* rows cannot be read without the header: only it is reported */
    size_t records = 0;
    char err[160];
    while (rc >= 0) {
        int r = dl_csv_next(&csv, err, sizeof err);
        if (r == 0)
            break;
        if (r == -2) {
            rc = -1;
        } else if (r == -1) {
            rc = s_add_error(out, csv.record_line, "%s%s", err, NULL);
            if (!have_header) /* the columns are unknown: the header error stands alone */
                have_header = true, header_bad = 1;
            else
                records++;
        } else if (!have_header) {
            have_header = true;
            header_bad = s_header(out, &csv, h);
            if (header_bad < 0)
                rc = -1;
        } else {
            records++;
            if (!header_bad && s_row(out, &csv, h, seen, zone_ok) < 0)
                rc = -1;
        }
    }
    if (rc >= 0 && records == 0 && out->nerrors == 0)
        rc =
            s_add_error(out, have_header ? csv.line : 1, "the list holds no leads%s%s", NULL, NULL);
    dl_csv_clear(&csv);
    cc_map_destroy(&seen);
    free(h);
    if (rc < 0) {
        dl_import_destroy(&out);
        return NULL;
    }
    if (out->nerrors > 0) { /* refused: no rows */
        for (size_t i = 0; i < out->nrows; i++) {
            free(out->rows[i].name);
            free(out->rows[i].zone);
            json_decref(out->rows[i].fields);
        }
        out->nrows = 0;
    }
    return out;
}
