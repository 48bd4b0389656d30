/* ccctl_migfiles.c - naming and ordering rules of migration files (see ccctl_migfiles.h).
 * A gap or a repeat means a broken install or a merge mistake: refusing is the only safe
 * answer, since applying out of order cannot be undone. */
#include "ccctl_migfiles.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ccctl_migration_parse_name(const char *file, int *version, char *err, size_t errlen)
{
    size_t len = strlen(file);
    if (len < 4 || strcmp(file + len - 4, ".sql") != 0 || file[0] == '.')
        return 0;
    size_t digits = strspn(file, "0123456789");
    size_t stem = len - 4; /* without ".sql" */
    const char *why = NULL;
    if (len >= CCCTL_MIGRATION_NAME_MAX)
        why = "name too long";
    else if (digits == 0 || digits > 6)
        why = "does not start with a version number (1-6 digits)";
    else if (file[digits] != '_' || digits + 1 >= stem)
        why = "expected NNN_name.sql";
    for (size_t i = digits + 1; !why && i < stem; i++)
        if (!isalnum((unsigned char)file[i]) && file[i] != '_' && file[i] != '-')
            why = "name may hold only letters, digits, '_' and '-'";
    int v = why ? 0 : atoi(file);
    if (!why && v <= 0)
        why = "version must be above 0";
    if (why) {
        snprintf(err, errlen, "%s: %s", file, why);
        return -1;
    }
    *version = v;
    return 1;
}

static int s_by_version(const void *a, const void *b)
{
    const ccctl_migration_t *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

int ccctl_migrations_order(ccctl_migration_t *list, size_t n, char *err, size_t errlen)
{
    if (n > 0)
        qsort(list, n, sizeof *list, s_by_version);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && list[i].version == list[i - 1].version) {
            snprintf(err, errlen, "two migrations with version %d: %s and %s", list[i].version,
                     list[i - 1].file, list[i].file);
            return -1;
        }
        if (list[i].version != (int)i + 1) {
            if (i == 0)
                snprintf(err, errlen, "migration 1 is missing (the first is %s)", list[i].file);
            else
                snprintf(err, errlen, "migration %zu is missing (after %s)", i + 1,
                         list[i - 1].file);
            return -1;
        }
    }
    return 0;
}
