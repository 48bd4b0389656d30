/* fuzz_lead_csv.c - libFuzzer target: lead lists as `ccctl campaign import` reads them
 * (dialer/dl_csv, dl_lead): RFC 4180 records, the header's columns, each row's number, zone
 * and name. Checks that a list is either taken whole (rows, no errors) or refused naming
 * lines that exist, in order, and that every number taken normalises to itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl_lead.h"
#include "fuzz_input.h"
#include "ivr_tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    int lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    dl_import_t *im = dl_import_judge((const char *)data, size, ivr_tz_name_valid);
    if (!im)
        return 0; /* out of memory */
    if (im->nerrors > 0 && im->nrows > 0)
        abort();
    for (size_t i = 0; i < im->nerrors; i++)
        if (im->errors[i].line < 1 || im->errors[i].line > lines ||
            (i > 0 && im->errors[i].line < im->errors[i - 1].line) || !im->errors[i].reason[0])
            abort();
    for (size_t i = 0; i < im->nrows; i++) {
        char again[DL_NUMBER_MAX], err[160];
        if (dl_number_normalise(im->rows[i].number, again, sizeof again, err, sizeof err) != 0 ||
            strcmp(again, im->rows[i].number) != 0 || !json_is_object(im->rows[i].fields))
            abort();
    }
    dl_import_destroy(&im);
    return 0;
}
