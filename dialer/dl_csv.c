/* dl_csv.c - RFC 4180 records out of a buffer (see dl_csv.h). A small state machine over
 * characters; the fields of a record are copied into one growing buffer, NUL-separated,
 * so a record costs no allocation once the buffer is big enough. */
#include "dl_csv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dl_csv_init(dl_csv_t *self, const char *buf, size_t len)
{
    memset(self, 0, sizeof *self);
    self->buf = buf;
    self->len = len;
    self->line = 1;
    /* a UTF-8 byte-order mark (spreadsheets write one) is not part of the first field */
    if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
        self->pos = 3;
}

void dl_csv_clear(dl_csv_t *self)
{
    free(self->text);
    self->text = NULL;
    self->text_cap = 0;
}

static int s_put(dl_csv_t *self, size_t *used, char c)
{
    if (*used + 1 >= self->text_cap) {
        size_t cap = self->text_cap ? self->text_cap * 2 : 256;
        char *t = realloc(self->text, cap);
        if (!t)
            return -1;
        self->text = t;
        self->text_cap = cap;
    }
    self->text[(*used)++] = c;
    return 0;
}

/* Skip to just after the end of the current physical line (error recovery). */
static void s_skip_line(dl_csv_t *self)
{
    while (self->pos < self->len && self->buf[self->pos] != '\n')
        self->pos++;
    if (self->pos < self->len) {
        self->pos++;
        self->line++;
    }
}

/* At a line end? Consumes CRLF or LF and counts the line. */
static bool s_eol(dl_csv_t *self)
{
    const char *b = self->buf;
    if (self->pos < self->len && b[self->pos] == '\n') {
        self->pos++;
        self->line++;
        return true;
    }
    if (self->pos + 1 < self->len && b[self->pos] == '\r' && b[self->pos + 1] == '\n') {
        self->pos += 2;
        self->line++;
        return true;
    }
    return false;
}

static int s_fail(dl_csv_t *self, char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "%s", why);
    s_skip_line(self);
    self->record_lines = self->line - self->record_line;
    return -1;
}

int dl_csv_next(dl_csv_t *self, char *err, size_t errlen)
{
    const char *b = self->buf;
    while (self->pos < self->len && s_eol(self)) /* blank lines */
        ;
    if (self->pos >= self->len)
        return 0;
    self->record_line = self->line;
    self->nfields = 0;
    size_t used = 0;
    size_t starts[DL_CSV_MAX_FIELDS];
    for (;;) { /* one field per round */
        if (self->nfields == DL_CSV_MAX_FIELDS)
            return s_fail(self, err, errlen, "too many fields (more than 64)");
        starts[self->nfields++] = used;
        if (self->pos < self->len && b[self->pos] == '"') {
            int open_line = self->line;
            self->pos++;
            for (;;) {
                if (self->pos >= self->len) {
                    snprintf(err, errlen, "quoted field opened on line %d is never closed",
                             open_line);
                    self->record_lines = self->line - self->record_line + 1;
                    return -1;
                }
                char c = b[self->pos];
                if (c == '"' && self->pos + 1 < self->len && b[self->pos + 1] == '"') {
                    self->pos += 2;
                } else if (c == '"') {
                    self->pos++;
                    break;
                } else {
                    self->pos++;
                    if (c == '\n')
                        self->line++;
                }
                if (s_put(self, &used, c) != 0)
                    return -2;
            }
            if (self->pos < self->len && b[self->pos] != ',' && b[self->pos] != '\n' &&
                !(b[self->pos] == '\r' && self->pos + 1 < self->len && b[self->pos + 1] == '\n'))
                return s_fail(self, err, errlen, "text after a closing quote");
        } else {
            while (
                self->pos < self->len && b[self->pos] != ',' && b[self->pos] != '\n' &&
                !(b[self->pos] == '\r' && self->pos + 1 < self->len && b[self->pos + 1] == '\n')) {
                if (b[self->pos] == '"')
                    return s_fail(self, err, errlen,
                                  "a quote inside an unquoted field (quote the whole field "
                                  "and double the quote)");
                if (b[self->pos] == '\0')
                    return s_fail(self, err, errlen, "a NUL byte");
                if (s_put(self, &used, b[self->pos++]) != 0)
                    return -2;
            }
        }
        if (s_put(self, &used, '\0') != 0)
            return -2;
        if (self->pos < self->len && b[self->pos] == ',') {
            self->pos++;
            continue;
        }
        s_eol(self); /* or the end of the buffer */
        break;
    }
    for (size_t i = 0; i < self->nfields; i++)
        self->fields[i] = self->text + starts[i];
    self->record_lines = self->line - self->record_line;
    return 1;
}
