/* ccctl_out.h - how ccctl prints listings: an aligned text table for people, or JSON
 * (jansson) for scripts. Owns formatting only; commands decide what goes in. */
#ifndef CCCTL_OUT_H
#define CCCTL_OUT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>

typedef struct ccctl_table ccctl_table_t;

/* A table with `ncols` columns named by the NULL-terminated header list. */
ccctl_table_t *ccctl_table_new(const char *const *headers);
void ccctl_table_destroy(ccctl_table_t **self_p);
/* Append a row of ncols cells (copied; NULL prints as "-"). 0 or -1 (out of memory). */
int ccctl_table_add(ccctl_table_t *self, const char *const *cells);
/* Print with columns padded to their widest cell; the last column is not padded. */
void ccctl_table_print(const ccctl_table_t *self, FILE *out);
/* Print the table if there is one (ccctl_table_new may have failed), then destroy it. */
void ccctl_table_print_destroy(ccctl_table_t **self_p, FILE *out);
/* Print every row of `res` as a table under `headers`, column i of the result under
 * header i, as they are; a NULL value prints as `null_as` ("" is what PQgetvalue gives). */
void ccctl_table_print_result(const char *const *headers, const PGresult *res, const char *null_as,
                              FILE *out);

/* Print a JSON value indented, with a newline; steals the reference. 0 or -1. Reals get
 * 15 significant digits, so durations in seconds keep their milliseconds and no more. */
int ccctl_json_print(json_t *value, FILE *out);

/* Seconds as "45s", "3m12s", "2h05m", "3d04h" into buf; returns buf. */
char *ccctl_duration(long seconds, char *buf, size_t len);

#endif
