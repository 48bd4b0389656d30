/* ccctl_migrate.c - `ccctl migrate`: finds the migration files, and applies those newer
 * than the database's schema version, each in its own transaction together with its
 * schema_migrations row. Naming and ordering rules are in ccctl_migfiles.c. */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccctl.h"
#include "ccctl_migfiles.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))
#define MIGRATION_FILE_MAX (16 * 1024 * 1024)
#define MIGRATIONS_MAX 1000
#define SYSTEM_MIGRATIONS_DIR "/usr/share/callcenter/migrations"
/* Serialises concurrent `ccctl migrate` runs on one database (an arbitrary constant). */
#define MIGRATE_LOCK_KEY "7246517"
#define MIGRATE_LOCK_WAIT "120s"

void ccctl_migrate_usage(FILE *out)
{
    fputs("usage: ccctl migrate [--dir DIR]\n"
          "  Applies DIR/NNN_*.sql newer than the database's schema version, in order, each in\n"
          "  its own transaction. DIR defaults to $CC_MIGRATIONS_DIR, else deploy/migrations\n"
          "  next to the ccctl binary (bin/../deploy/migrations), else\n"
          "  " SYSTEM_MIGRATIONS_DIR ". Refuses a database newer than the files.\n",
          out);
}

static bool s_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* deploy/migrations in the source tree the binary was built in: bin/ccctl is one level
 * below the top, build/san/bin/ccctl three. */
static bool s_dir_near_binary(char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *dir = dirname(exe);
    static const char *const ups[] = {"..", "../../.."};
    for (size_t i = 0; i < 2; i++) {
        snprintf(out, len, "%s/%s/deploy/migrations", dir, ups[i]);
        if (s_is_dir(out))
            return true;
    }
    return false;
}

static int s_find_dir(const char *given, char *out, size_t len)
{
    const char *env = getenv("CC_MIGRATIONS_DIR");
    const char *chosen = given ? given : (env && env[0] ? env : NULL);
    if (chosen) {
        snprintf(out, len, "%s", chosen);
        if (!s_is_dir(out))
            return ccctl_fail(CCCTL_EXIT_USAGE, "migrations directory %s (%s) not found", out,
                              given ? "--dir" : "$CC_MIGRATIONS_DIR");
        return 0;
    }
    if (s_dir_near_binary(out, len))
        return 0;
    snprintf(out, len, "%s", SYSTEM_MIGRATIONS_DIR);
    if (s_is_dir(out))
        return 0;
    return ccctl_fail(CCCTL_EXIT_REFUSED,
                      "no migrations directory: give --dir or set "
                      "$CC_MIGRATIONS_DIR (not next to the binary, nor in %s)",
                      SYSTEM_MIGRATIONS_DIR);
}

/* The migrations in dir, ordered and checked. 0 or an exit code (message printed). */
static int s_scan(const char *dir, ccctl_migration_t *list, size_t *n)
{
    char err[256];
    DIR *d = opendir(dir);
    if (!d)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "cannot read %s: %s", dir, strerror(errno));
    int rc = 0;
    *n = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        int version = 0;
        int kind = ccctl_migration_parse_name(e->d_name, &version, err, sizeof err);
        if (kind < 0)
            rc = ccctl_fail(CCCTL_EXIT_REFUSED, "in %s: %s", dir, err);
        else if (kind > 0 && *n == MIGRATIONS_MAX)
            rc = ccctl_fail(CCCTL_EXIT_REFUSED, "more than %d migrations in %s", MIGRATIONS_MAX,
                            dir);
        else if (kind > 0) {
            list[*n].version = version;
            snprintf(list[*n].file, sizeof list[*n].file, "%s", e->d_name);
            ++*n;
        }
    }
    closedir(d);
    if (rc == 0 && ccctl_migrations_order(list, *n, err, sizeof err) != 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "in %s: %s", dir, err);
    return rc;
}

static char *s_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(MIGRATION_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, MIGRATION_FILE_MAX + 1, f) : 0;
    bool bad = !buf || ferror(f) || n > MIGRATION_FILE_MAX;
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* Apply one file and record it, in one transaction. 0 or an exit code. */
static int s_apply(ccctl_t *ctx, const char *dir, const ccctl_migration_t *m)
{
    char path[PATH_MAX + CCCTL_MIGRATION_NAME_MAX], version[16];
    snprintf(path, sizeof path, "%s/%s", dir, m->file);
    snprintf(version, sizeof version, "%d", m->version);
    char *sql = s_read_file(path);
    if (!sql)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "cannot read %s (or larger than %d MB)", path,
                          MIGRATION_FILE_MAX >> 20);
    int rc = cc_pg_begin(ctx->pg) == 0 ? 0 : ccctl_db_fail(ctx, "BEGIN failed");
    if (rc == 0 && cc_pg_exec_simple(ctx->pg, sql) != 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "%s failed: %s", m->file, cc_pg_error(ctx->pg));
    /* A file with its own COMMIT would leave part of it applied without its row. */
    if (rc == 0 && PQtransactionStatus(cc_pg_conn(ctx->pg)) != PQTRANS_INTRANS)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED,
                        "%s ended the transaction itself (COMMIT or "
                        "ROLLBACK in the file): what ran before that may be committed without "
                        "its schema_migrations row; remove it and repair by hand",
                        m->file);
    free(sql);
    const char *params[] = {version, m->file};
    PGresult *res =
        rc ? NULL
           : cc_pg_exec_params(ctx->pg,
                               "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
                               params);
    if (rc == 0 && !res)
        rc = ccctl_db_fail(ctx, "recording the migration failed");
    PQclear(res);
    if (rc == 0 && cc_pg_commit(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "COMMIT failed");
    if (rc != 0)
        cc_pg_rollback(ctx->pg);
    return rc;
}

/* The version recorded in the database, after making sure the table exists. -1 on error. */
static int s_db_version(ccctl_t *ctx)
{
    if (cc_pg_exec_simple(
            ctx->pg,
            "SET client_min_messages = warning;"
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "  version integer PRIMARY KEY CHECK (version > 0),"
            "  name text NOT NULL,"
            "  applied_at timestamptz NOT NULL DEFAULT now());"
            "COMMENT ON TABLE schema_migrations IS 'Applied migrations (deploy/migrations/"
            "NNN_*.sql), written by ccctl migrate; the highest version is the schema version "
            "every daemon checks at start-up.'") != 0) {
        ccctl_db_fail(ctx, "creating schema_migrations failed");
        return -1;
    }
    PGresult *res = cc_pg_exec_params(
        ctx->pg, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL);
    if (!res) {
        ccctl_db_fail(ctx, "reading schema_migrations failed");
        return -1;
    }
    int version = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return version;
}

/* Concurrent runs (a start script and a test, say) queue up: the second waits, then finds
 * the schema up to date. lock_timeout bounds the wait if a run hangs. */
static int s_lock(ccctl_t *ctx, bool take)
{
    const char *params[] = {MIGRATE_LOCK_KEY};
    if (take && cc_pg_exec_simple(ctx->pg, "SET lock_timeout = '" MIGRATE_LOCK_WAIT "'") != 0)
        return ccctl_db_fail(ctx, "setting lock_timeout failed");
    PGresult *res = cc_pg_exec_params(
        ctx->pg, take ? "SELECT pg_advisory_lock($1)" : "SELECT pg_advisory_unlock($1)", 1, params);
    if (!res && take && strcmp(cc_pg_sqlstate(ctx->pg), "55P03") == 0)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "another `ccctl migrate` on this database held "
                                              "its lock for " MIGRATE_LOCK_WAIT);
    if (!res)
        return ccctl_db_fail(ctx, "advisory lock failed");
    PQclear(res);
    return 0;
}

/* Apply what is newer than the database. Called with the lock held. */
static int s_migrate(ccctl_t *ctx, const char *dir, const ccctl_migration_t *list, size_t n)
{
    int current = s_db_version(ctx);
    if (current < 0)
        return CCCTL_EXIT_REFUSED;
    int newest = n ? list[n - 1].version : 0;
    if (current > newest)
        return ccctl_fail(CCCTL_EXIT_REFUSED,
                          "database schema is version %d, newer than the "
                          "migrations in %s (up to %d): use the ccctl of that release",
                          current, dir, newest);
    int applied = 0;
    for (size_t i = 0; i < n; i++) {
        if (list[i].version <= current)
            continue;
        int rc = s_apply(ctx, dir, &list[i]);
        if (rc != 0) {
            fprintf(stderr, "ccctl: schema stays at version %d\n", current);
            return rc;
        }
        printf("applied %s (schema version %d)\n", list[i].file, list[i].version);
        current = list[i].version;
        applied++;
    }
    if (applied == 0)
        printf("schema is up to date (version %d)\n", current);
    else
        printf("schema is now at version %d\n", current);
    if (current != CC_SCHEMA_VERSION)
        fprintf(stderr, "ccctl: warning: this build of the daemons expects schema version %d\n",
                CC_SCHEMA_VERSION);
    return CCCTL_EXIT_OK;
}

int ccctl_migrate_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--dir", true}};
    static ccctl_migration_t list[MIGRATIONS_MAX];
    ccctl_args_t args;
    char dir[PATH_MAX];
    size_t n = 0;
    if (ccctl_wants_help(argc - 1, argv + 1)) {
        ccctl_migrate_usage(stdout);
        return CCCTL_EXIT_OK;
    }
    int rc =
        ccctl_parse(&args, argc - 1, argv + 1, opts, N_OPTS(opts), 0, 0, "", ccctl_migrate_usage);
    if (rc == 0)
        rc = s_find_dir(ccctl_arg(&args, "--dir"), dir, sizeof dir);
    if (rc == 0)
        rc = s_scan(dir, list, &n);
    if (rc != 0 || !ccctl_db(ctx, false, &rc))
        return rc;
    rc = s_lock(ctx, true);
    if (rc != 0)
        return rc;
    rc = s_migrate(ctx, dir, list, n);
    s_lock(ctx, false);
    return rc;
}
