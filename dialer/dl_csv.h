/* dl_csv.h - a reader of comma-separated values as RFC 4180 writes them: fields split by
 * commas, records by CRLF (a bare LF is taken too), a field in double quotes may hold
 * commas, line breaks and doubled quotes (""). A quote inside an unquoted field, text
 * after a closing quote and a quote left open are errors naming the line. Blank lines are
 * skipped. It reads one buffer the caller owns; no I/O. */
#ifndef DL_CSV_H
#define DL_CSV_H

#include <stddef.h>

#define DL_CSV_MAX_FIELDS 64

typedef struct {
    const char *buf;
    size_t len, pos;
    int line;   /* line of the next character to read, from 1 */
    char *text; /* the current record's fields, NUL-separated (owned) */
    size_t text_cap;
    const char *fields[DL_CSV_MAX_FIELDS];
    size_t nfields;
    int record_line;  /* line where the current record starts */
    int record_lines; /* physical lines it spans (quoted line breaks) */
} dl_csv_t;

/* Start reading buf[0..len) (not copied: it must outlive the reader). */
void dl_csv_init(dl_csv_t *self, const char *buf, size_t len);
/* Free what the reader allocated. */
void dl_csv_clear(dl_csv_t *self);

/* The next record: 1 with self->fields/nfields/record_line set, 0 at the end, -1 for a
 * malformed record (reason in err; the reader has moved past it, so reading on reports
 * the next problem too), -2 out of memory. More than DL_CSV_MAX_FIELDS fields is -1. */
int dl_csv_next(dl_csv_t *self, char *err, size_t errlen);

#endif
