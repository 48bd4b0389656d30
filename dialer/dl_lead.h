/* dl_lead.h - a lead list judged whole: the header row names the columns (number, and
 * optionally name and time_zone; any other column is an extra field shown in the screen
 * pop), each row is checked (a dialable number, a known time zone, the right number of
 * fields, no number twice) and either every row is good or the list is refused with
 * every bad line and its reason. Pure: whether a zone exists is asked of a function the
 * caller passes (the tz database in ccctl, a table in tests). */
#ifndef DL_LEAD_H
#define DL_LEAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define DL_NUMBER_MAX 24 /* "+" and up to 20 digits */
#define DL_NAME_MAX 200

typedef bool(dl_zone_ok_fn)(const char *zone);

typedef struct {
    int line;                   /* line of the list where the row starts */
    char number[DL_NUMBER_MAX]; /* normalised: optional '+', then digits only */
    char *name;                 /* owned; "" if none */
    char *zone;                 /* owned; NULL if the list gives none */
    json_t *fields;             /* the extra columns, {"column": "value"} (owned) */
} dl_lead_row_t;

typedef struct {
    int line;
    char reason[192];
} dl_lead_error_t;

typedef struct {
    dl_lead_row_t *rows;
    size_t nrows;
    dl_lead_error_t *errors;
    size_t nerrors;
    size_t caps[2];
} dl_import_t;

/* A number as people write it ("+33 1 23-45.67", "(555) 0100") to the form dialled:
 * optional '+', then 3-20 digits. 0, or -1 with the reason in err. */
int dl_number_normalise(const char *in, char *out, size_t len, char *err, size_t errlen);

/* Judge the CSV list buf[0..len). NULL only when out of memory. The result holds either
 * rows (nerrors == 0) or errors (every bad line, in line order; rows then mean nothing). */
dl_import_t *dl_import_judge(const char *buf, size_t len, dl_zone_ok_fn *zone_ok);
void dl_import_destroy(dl_import_t **self_p);

#endif
