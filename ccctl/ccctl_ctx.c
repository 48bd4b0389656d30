/* ccctl_ctx.c - the context every command shares: loads the config and connects to
 * Postgres on first use, and the error-reporting helpers. It knows no command and no
 * table; commands decide what to do with the connection. */
#include "ccctl.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"

int ccctl_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ccctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

int ccctl_usage_fail(void (*usage)(FILE *out), const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ccctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    usage(stderr);
    return CCCTL_EXIT_USAGE;
}

int ccctl_dispatch(ccctl_t *ctx, int argc, char **argv, const ccctl_sub_t *subs,
                   void (*usage)(FILE *out))
{
    const char *group = argc > 0 ? argv[0] : "?";
    if (ccctl_wants_help(argc - 1, argv + 1)) {
        usage(stdout);
        return CCCTL_EXIT_OK;
    }
    const char *sub = argc > 1 ? argv[1] : NULL;
    if (!sub)
        return ccctl_usage_fail(usage, "%s: missing sub-command", group);
    for (const ccctl_sub_t *s = subs; s->name; s++)
        if (strcmp(sub, s->name) == 0)
            return s->fn(ctx, argc - 2, argv + 2);
    return ccctl_usage_fail(usage, "%s: unknown sub-command '%s'", group, sub);
}

int ccctl_parse(ccctl_args_t *args, int argc, char **argv, const ccctl_opt_t *opts, size_t nopts,
                int min_pos, int max_pos, const char *pos_names, void (*usage)(FILE *out))
{
    char err[160];
    if (ccctl_args_parse(args, argc, argv, opts, nopts, min_pos, max_pos, pos_names, err,
                         sizeof err) != 0)
        return ccctl_usage_fail(usage, "%s", err);
    return 0;
}

bool ccctl_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

int ccctl_read_secret(const char *value, char *buf, size_t len)
{
    if (strcmp(value, "-") != 0) {
        if (strlen(value) >= len)
            return -1;
        strcpy(buf, value);
        return 0;
    }
    if (!fgets(buf, (int)len, stdin))
        return -1;
    size_t n = strcspn(buf, "\r\n");
    if (buf[n] == '\0' && n == len - 1)
        return -1; /* no end of line within len: too long */
    buf[n] = '\0';
    return 0;
}

void ccctl_where_hint(const ccctl_t *self)
{
    if (self->config_path)
        return;
    char tried[2 * PATH_MAX + 64];
    cc_config_default_candidates(tried, sizeof tried);
    fprintf(stderr, "ccctl: no config file found (looked for %s)", tried);
    if (self->cfg)
        fprintf(stderr, ", so the built-in defaults were used: var_dir %s, sockets in %s",
                cc_config_var_dir(self->cfg), cc_config_run_dir(self->cfg));
    fputs(".\nccctl: point ccctl at its instance with CC_VAR_DIR=DIR (it reads DIR/cc.conf), "
          "-c FILE or CC_CONFIG=FILE.\n",
          stderr);
}

int ccctl_db_fail(ccctl_t *self, const char *what)
{
    return ccctl_fail(CCCTL_EXIT_REFUSED, "%s: %s", what,
                      self->pg ? cc_pg_error(self->pg) : "not connected");
}

int ccctl_exec(ccctl_t *self, const char *what, const char *sql, int n, const char *const *p,
               PGresult **out)
{
    PGresult *res = cc_pg_exec_params(self->pg, sql, n, p);
    if (!res) {
        if (!strcmp(cc_pg_sqlstate(self->pg), "23505"))
            return ccctl_fail(CCCTL_EXIT_REFUSED, "%s: already exists", what);
        return ccctl_db_fail(self, what);
    }
    if (out)
        *out = res;
    else
        PQclear(res);
    return 0;
}

int ccctl_delete_routed(ccctl_t *self, const char *table, const char *kind, const char *name,
                        const char *noun)
{
    if (cc_pg_begin(self->pg) != 0)
        return ccctl_db_fail(self, "BEGIN failed");
    char sql[160], what[80];
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE name = $1 RETURNING name", table);
    snprintf(what, sizeof what, "deleting the %s", noun);
    const char *p[] = {name};
    PGresult *res = NULL;
    int rc = ccctl_exec(self, what, sql, 1, p, &res);
    if (rc == 0 && PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no %s '%s'", noun, name);
    PQclear(res);
    if (rc == 0)
        rc = ccctl_exec(self, "deleting its routes",
                        "DELETE FROM dialplan WHERE target_kind = $1 AND target = $2", 2,
                        (const char *const[]){kind, name}, NULL);
    if (rc != 0) {
        cc_pg_rollback(self->pg);
        return rc;
    }
    if (cc_pg_commit(self->pg) != 0)
        return ccctl_db_fail(self, "COMMIT failed");
    return 0;
}

cc_config_t *ccctl_config(ccctl_t *self)
{
    if (self->cfg)
        return self->cfg;
    char err[512] = "";
    self->cfg = cc_config_load(self->config_path, err, sizeof err);
    if (!self->cfg)
        ccctl_fail(CCCTL_EXIT_USAGE, "bad config: %s", err);
    return self->cfg;
}

/* [ccctl] pg_wait: a start-up script may run ccctl while Postgres is still coming up. */
static cc_pg_t *s_connect(ccctl_t *self, int *exit_code)
{
    char *conninfo = cc_config_pg_conninfo(self->cfg, "ccctl");
    if (!conninfo) {
        *exit_code = ccctl_fail(CCCTL_EXIT_USAGE, "cannot build the Postgres conninfo");
        return NULL;
    }
    int wait_s = (int)cc_config_int(self->cfg, "ccctl", "pg_wait");
    cc_pg_t *pg = cc_pg_connect(conninfo, wait_s);
    free(conninfo);
    if (!pg) {
        *exit_code = ccctl_fail(CCCTL_EXIT_DB,
                                "cannot connect to Postgres as %s (database %s, host %s): "
                                "see the log line above",
                                cc_config_str(self->cfg, "ccctl", "pg_user"),
                                cc_config_str(self->cfg, "common", "pg_db"),
                                cc_config_str(self->cfg, "common", "pg_host")[0]
                                    ? cc_config_str(self->cfg, "common", "pg_host")
                                    : cc_config_run_dir(self->cfg));
        ccctl_where_hint(self);
    }
    return pg;
}

cc_pg_t *ccctl_db(ccctl_t *self, bool check_schema, int *exit_code)
{
    *exit_code = CCCTL_EXIT_OK;
    if (!ccctl_config(self)) {
        *exit_code = CCCTL_EXIT_USAGE;
        return NULL;
    }
    if (!self->pg) {
        self->pg = s_connect(self, exit_code);
        if (!self->pg)
            return NULL;
    }
    if (check_schema) {
        char err[256] = "";
        int found = 0;
        if (cc_pg_check_schema(self->pg, CC_SCHEMA_VERSION, &found, err, sizeof err) != 0) {
            *exit_code = ccctl_fail(CCCTL_EXIT_DB, "%s", err);
            return NULL;
        }
    }
    return self->pg;
}

void ccctl_close(ccctl_t *self)
{
    cc_pg_destroy(&self->pg);
    cc_config_destroy(&self->cfg);
}
