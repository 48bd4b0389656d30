/* cc_pg_test.c - cc_pg against a throwaway Postgres cluster in a temporary directory
 * (unix socket only): prepared statements, reconnect and retry after the backend is
 * killed, no retry inside a transaction, the schema check, and no password in logs.
 * Skips (passes with a note) when no Postgres server binaries are installed. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc_pg.h"
#include "cc_test.h"

#define S_PGBIN "/usr/lib/postgresql/15/bin"
#define S_PORT "54987"

static char s_dir[64];

/* Postgres refuses to run as root: run its tools as the postgres user then. */
static int s_sh(const char *inner)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s%s >/dev/null 2>&1",
             geteuid() == 0 ? "runuser -u postgres -- " : "", inner);
    return system(cmd);
}

static bool s_cluster_start(void)
{
    char cmd[900];
    if (access(S_PGBIN "/initdb", X_OK) != 0)
        return false;
    snprintf(s_dir, sizeof s_dir, "/tmp/cc-pg-test-XXXXXX");
    if (!mkdtemp(s_dir)) {
        s_dir[0] = '\0';
        return false;
    }
    chmod(s_dir, 0777);
    snprintf(cmd, sizeof cmd, S_PGBIN "/initdb -D %s/data -A trust -U cc --no-sync", s_dir);
    if (s_sh(cmd) != 0)
        return false;
    snprintf(cmd, sizeof cmd,
             S_PGBIN "/pg_ctl -D %s/data -w -l %s/log -o \"-k %s -c listen_addresses='' -p " S_PORT
                     " -c fsync=off\" start",
             s_dir, s_dir, s_dir);
    return s_sh(cmd) == 0;
}

static void s_cluster_stop(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, S_PGBIN "/pg_ctl -D %s/data -m immediate -w stop", s_dir);
    s_sh(cmd);
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cc_pg_test: could not remove %s\n", s_dir);
}

static PGconn *s_raw(void)
{
    char ci[256];
    snprintf(ci, sizeof ci, "host=%s port=" S_PORT " dbname=postgres user=cc", s_dir);
    return PQconnectdb(ci);
}

static void s_kill_backend(cc_pg_t *pg)
{
    PGconn *killer = s_raw();
    char pid[32], sql[96];
    snprintf(pid, sizeof pid, "%d", PQbackendPID(cc_pg_conn(pg)));
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%s)", pid);
    PQclear(PQexec(killer, sql));
    PQfinish(killer);
    usleep(50000);
}

static const char *s_value(PGresult *res)
{
    return res && PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "(none)";
}

CC_TEST(pg_never_logs_password)
{
    char path[] = "/tmp/cc-pg-log-XXXXXX";
    int fd = mkstemp(path);
    CC_CHECK(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    cc_pg_t *pg = cc_pg_connect("host=/nonexistent port=1 user=u dbname=d password=s3cret", 0);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char log[4096] = "";
    ssize_t n = pread(fd, log, sizeof log - 1, 0);
    close(fd);
    unlink(path);
    log[n > 0 ? n : 0] = '\0';
    CC_CHECK(pg == NULL);
    CC_CHECK(strstr(log, "event=pg.connect_failed") != NULL);
    CC_CHECK(strstr(log, "user=u") != NULL);
    CC_CHECK(strstr(log, "s3cret") == NULL);
}

CC_TEST(pg_against_throwaway_cluster)
{
    if (!s_cluster_start()) {
        printf("note: pg_against_throwaway_cluster skipped (no usable Postgres server)\n");
        if (s_dir[0])
            s_cluster_stop();
        return;
    }
    char ci[256], err[256] = "";
    snprintf(ci, sizeof ci, "host=%s port=" S_PORT " dbname=postgres user=cc", s_dir);
    cc_pg_t *pg = cc_pg_connect(ci, 5);
    int found = -1, rc_none = -2, rc_ok = -2, rc_new = -2;
    char err_none[256] = "", err_new[256] = "", after_kill[16] = "", in_tx[16] = "",
         after_tx[16] = "";
    int bad_prepare = 0, again = -2, replaced = -2;
    char twice[16] = "";
    if (pg) {
        rc_none = cc_pg_check_schema(pg, 1, &found, err_none, sizeof err_none);
        cc_pg_exec_simple(pg, "CREATE TABLE schema_migrations (version int)");
        cc_pg_exec_simple(pg, "INSERT INTO schema_migrations VALUES (1)");
        rc_ok = cc_pg_check_schema(pg, 1, &found, err, sizeof err);
        cc_pg_exec_simple(pg, "INSERT INTO schema_migrations VALUES (3)");
        rc_new = cc_pg_check_schema(pg, 1, &found, err_new, sizeof err_new);
        bad_prepare = cc_pg_prepare(pg, "broken", "SELEC nothing", 0);
        cc_pg_prepare(pg, "add_one", "SELECT $1::int + 1", 1);
        /* a retried set of statements: the ones prepared already are taken as they are,
         * and a name given other SQL is replaced */
        again = cc_pg_prepare(pg, "add_one", "SELECT $1::int + 1", 1);
        cc_pg_prepare(pg, "twice", "SELECT $1::int * 3", 1);
        replaced = cc_pg_prepare(pg, "twice", "SELECT $1::int * 2", 1);
        const char *params[] = {"41"};
        PGresult *tw = cc_pg_exec(pg, "twice", 1, params);
        snprintf(twice, sizeof twice, "%s", s_value(tw));
        PQclear(tw);
        /* The server goes away between statements: reconnect, re-prepare, retry. */
        s_kill_backend(pg);
        PGresult *res = cc_pg_exec(pg, "add_one", 1, params);
        snprintf(after_kill, sizeof after_kill, "%s", s_value(res));
        PQclear(res);
        /* Inside a transaction a retry could split it: the error goes to the caller. */
        cc_pg_begin(pg);
        s_kill_backend(pg);
        res = cc_pg_exec(pg, "add_one", 1, params);
        snprintf(in_tx, sizeof in_tx, "%s", s_value(res));
        PQclear(res);
        cc_pg_rollback(pg);
        res = cc_pg_exec(pg, "add_one", 1, params);
        snprintf(after_tx, sizeof after_tx, "%s", s_value(res));
        PQclear(res);
        cc_pg_destroy(&pg);
    }
    bool connected = rc_none != -2;
    s_cluster_stop();
    CC_CHECK(connected);
    CC_CHECK_INT(rc_none, -1);
    CC_CHECK_STR(err_none, "database schema is version 0, this build needs 1: run `ccctl migrate`");
    CC_CHECK_INT(rc_ok, 0);
    CC_CHECK_INT(rc_new, -1);
    CC_CHECK_INT(found, 3);
    CC_CHECK_STR(err_new,
                 "database schema is version 3, this build knows version 1: upgrade the binaries");
    CC_CHECK_INT(bad_prepare, -1);
    CC_CHECK_INT(again, 0);
    CC_CHECK_INT(replaced, 0);
    CC_CHECK_STR(twice, "82");
    CC_CHECK_STR(after_kill, "42");
    CC_CHECK_STR(in_tx, "(none)");
    CC_CHECK_STR(after_tx, "42");
}
