/* ccctl_out.c - aligned text tables and JSON output for ccctl listings (see ccctl_out.h).
 * Cells are copied in, so callers may pass PGresult values and clear the result after. */
#include "ccctl_out.h"

#include <stdlib.h>
#include <string.h>

struct ccctl_table {
    size_t ncols;
    size_t nrows;
    size_t cap;
    char **cells; /* nrows * ncols, row 0 is the header */
};

static int s_append_row(ccctl_table_t *self, const char *const *cells)
{
    if (self->nrows == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        char **grown = realloc(self->cells, cap * self->ncols * sizeof *grown);
        if (!grown)
            return -1;
        self->cells = grown;
        self->cap = cap;
    }
    char **row = self->cells + self->nrows * self->ncols;
    for (size_t c = 0; c < self->ncols; c++) {
        row[c] = strdup(cells[c] ? cells[c] : "-");
        if (!row[c]) {
            while (c-- > 0)
                free(row[c]);
            return -1;
        }
    }
    self->nrows++;
    return 0;
}

ccctl_table_t *ccctl_table_new(const char *const *headers)
{
    ccctl_table_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    while (headers[self->ncols])
        self->ncols++;
    if (self->ncols == 0 || s_append_row(self, headers) != 0)
        ccctl_table_destroy(&self);
    return self;
}

void ccctl_table_destroy(ccctl_table_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ccctl_table_t *self = *self_p;
    for (size_t i = 0; i < self->nrows * self->ncols; i++)
        free(self->cells[i]);
    free(self->cells);
    free(self);
    *self_p = NULL;
}

int ccctl_table_add(ccctl_table_t *self, const char *const *cells)
{
    return s_append_row(self, cells);
}

void ccctl_table_print(const ccctl_table_t *self, FILE *out)
{
    size_t width[32] = {0};
    size_t ncols = self->ncols < 32 ? self->ncols : 32;
    for (size_t r = 0; r < self->nrows; r++)
        for (size_t c = 0; c < ncols; c++) {
            size_t len = strlen(self->cells[r * self->ncols + c]);
            if (len > width[c])
                width[c] = len;
        }
    for (size_t r = 0; r < self->nrows; r++) {
        for (size_t c = 0; c < ncols; c++) {
            const char *cell = self->cells[r * self->ncols + c];
            if (c + 1 < ncols)
                fprintf(out, "%-*s  ", (int)width[c], cell);
            else
                fprintf(out, "%s\n", cell);
        }
    }
}

void ccctl_table_print_destroy(ccctl_table_t **self_p, FILE *out)
{
    if (self_p && *self_p)
        ccctl_table_print(*self_p, out);
    ccctl_table_destroy(self_p);
}

void ccctl_table_print_result(const char *const *headers, const PGresult *res, const char *null_as,
                              FILE *out)
{
    ccctl_table_t *t = ccctl_table_new(headers);
    const char **cells = t ? calloc(t->ncols, sizeof *cells) : NULL;
    int nfields = PQnfields(res);
    for (int r = 0; cells && r < PQntuples(res); r++) {
        for (int c = 0; c < (int)t->ncols; c++)
            cells[c] = c >= nfields             ? NULL
                       : PQgetisnull(res, r, c) ? null_as
                                                : PQgetvalue(res, r, c);
        ccctl_table_add(t, cells);
    }
    if (cells)
        ccctl_table_print(t, out);
    free(cells);
    ccctl_table_destroy(&t);
}

int ccctl_json_print(json_t *value, FILE *out)
{
    if (!value)
        return -1;
    /* 15 significant digits: 10.191 s prints as 10.191, not 10.191000000000001. */
    int rc = json_dumpf(value, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(value);
    fputc('\n', out);
    return rc == 0 ? 0 : -1;
}

char *ccctl_duration(long seconds, char *buf, size_t len)
{
    if (seconds < 0)
        seconds = 0;
    if (seconds < 60)
        snprintf(buf, len, "%lds", seconds);
    else if (seconds < 3600)
        snprintf(buf, len, "%ldm%02lds", seconds / 60, seconds % 60);
    else if (seconds < 86400)
        snprintf(buf, len, "%ldh%02ldm", seconds / 3600, seconds % 3600 / 60);
    else
        snprintf(buf, len, "%ldd%02ldh", seconds / 86400, seconds % 86400 / 3600);
    return buf;
}
