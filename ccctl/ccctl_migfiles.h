/* ccctl_migfiles.h - which files are migrations and in what order: names NNN_name.sql,
 * applied by increasing NNN, which must run 1, 2, 3 ... without gaps or repeats. Pure (no
 * directory reading, no SQL), so the rules are unit-tested; ccctl_migrate.c does the I/O. */
#ifndef CCCTL_MIGFILES_H
#define CCCTL_MIGFILES_H

#include <stddef.h>

#define CCCTL_MIGRATION_NAME_MAX 256

typedef struct {
    int version;                         /* NNN */
    char file[CCCTL_MIGRATION_NAME_MAX]; /* "001_initial.sql", recorded in schema_migrations */
} ccctl_migration_t;

/* Classify one directory entry. 1: a migration (version set); 0: not a .sql file, ignored
 * (README, editor backups); -1: a .sql file whose name is not NNN_name.sql (name: letters,
 * digits, '_' and '-'; NNN: 1-6 digits, above 0), with a reason in err. */
int ccctl_migration_parse_name(const char *file, int *version, char *err, size_t errlen);

/* Sort by version and insist on exactly 1..n. 0, or -1 with a reason ("two migrations with
 * version 2: 002_a.sql and 002_b.sql", "migration 2 is missing (after 001_initial.sql)"). */
int ccctl_migrations_order(ccctl_migration_t *list, size_t n, char *err, size_t errlen);

#endif
