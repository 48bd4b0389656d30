/* ccctl_agent.c - `ccctl agent ...`: agents, their queues and skills in Postgres (add,
 * del), and their live state through acdd over the bus (login, logout, ready, pause, list),
 * so that every change goes through the daemon that routes calls: it publishes agent.state
 * and writes the history. */
#include <stdlib.h>
#include <string.h>

#include "ccctl.h"
#include "ccctl_acd.h"
#include "ccctl_out.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

void ccctl_agent_usage(FILE *out)
{
    fputs("usage: ccctl agent add EXT [--queue NAME]... [--skill NAME[:LEVEL]]... [--name N]\n"
          "       ccctl agent del EXT\n"
          "       ccctl agent login|logout|ready|pause EXT [--reason R]\n"
          "       ccctl agent unhold EXT\n"
          "       ccctl agent list [--json]\n"
          "       ccctl agent reason add|list|del ...    pause reasons of the agent desktop\n"
          "  add makes an existing extension an agent (again: adds queues and skills).\n"
          "  login/logout/ready/pause go to acdd, which must be running. login --reason R\n"
          "  logs in not ready. From the phone: *45 log in, *46 log out, *47N pause (N picks\n"
          "  a reason of [acdd] pause_reasons), *48 ready. list shows IN STATE - (JSON since\n"
          "  and state_s null) for an agent that has not logged in since acdd started.\n"
          "  unhold ends acdd's hold on an agent (held while dialerd dials a preview lead\n"
          "  for it; a dialerd stopped mid-dial leaves it held until it starts again).\n",
          out);
}

static bool s_ext_ok(const char *ext)
{
    size_t n = strlen(ext);
    return n >= 2 && n <= 15 && strspn(ext, "0123456789") == n;
}

static int s_check_add(const ccctl_acd_args_t *a)
{
    char skill[64], err[160];
    int level;
    if (!s_ext_ok(a->pos[0]))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad extension '%s': 2-15 digits", a->pos[0]);
    for (int i = 0; i < ccctl_acd_count(a, "--queue"); i++)
        if (!ccctl_acd_name_ok(ccctl_acd_value(a, "--queue", i)))
            return ccctl_fail(CCCTL_EXIT_USAGE, "bad queue name '%s'",
                              ccctl_acd_value(a, "--queue", i));
    for (int i = 0; i < ccctl_acd_count(a, "--skill"); i++)
        if (ccctl_acd_skill_parse(ccctl_acd_value(a, "--skill", i), skill, sizeof skill, &level) !=
            0)
            return ccctl_fail(CCCTL_EXIT_USAGE,
                              "bad --skill '%s': NAME or NAME:LEVEL, level "
                              "1-10",
                              ccctl_acd_value(a, "--skill", i));
    const char *name = ccctl_acd_arg(a, "--name");
    if (name && ccctl_name_check(name, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --name: %s", err);
    return 0;
}

static int s_add_rows(ccctl_t *ctx, const ccctl_acd_args_t *a)
{
    const char *ext = a->pos[0], *name = ccctl_acd_arg(a, "--name");
    PGresult *res = NULL;
    const char *pe[] = {ext, name};
    int rc = ccctl_exec(ctx, "reading the extension",
                        "SELECT name FROM sip_users WHERE ext = $1 "
                        "FOR KEY SHARE",
                        1, pe, &res);
    if (rc == 0 && PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED,
                        "unknown extension '%s': add it with `ccctl user "
                        "add` first",
                        ext);
    PQclear(res);
    if (rc == 0)
        rc = ccctl_exec(ctx, "adding the agent",
                        "INSERT INTO agents (ext, name) SELECT ext, coalesce($2, name) FROM "
                        "sip_users WHERE ext = $1 ON CONFLICT (ext) DO UPDATE SET name = "
                        "coalesce($2, agents.name)",
                        2, pe, NULL);
    for (int i = 0; rc == 0 && i < ccctl_acd_count(a, "--queue"); i++) {
        const char *pq[] = {ccctl_acd_value(a, "--queue", i), ext};
        rc = ccctl_exec(ctx, "checking the queue",
                        "SELECT 1 FROM queues WHERE name = $1 FOR KEY "
                        "SHARE",
                        1, pq, &res);
        if (rc == 0 && PQntuples(res) == 0)
            rc = ccctl_fail(CCCTL_EXIT_REFUSED,
                            "unknown queue '%s': add it with `ccctl queue "
                            "add` first",
                            pq[0]);
        PQclear(res);
        if (rc == 0)
            rc = ccctl_exec(ctx, "joining the queue",
                            "INSERT INTO queue_members (queue, ext) "
                            "VALUES ($1, $2) ON CONFLICT DO NOTHING",
                            2, pq, NULL);
    }
    for (int i = 0; rc == 0 && i < ccctl_acd_count(a, "--skill"); i++) {
        char skill[64], level[8];
        int lv = 1;
        ccctl_acd_skill_parse(ccctl_acd_value(a, "--skill", i), skill, sizeof skill, &lv);
        snprintf(level, sizeof level, "%d", lv);
        const char *ps[] = {ext, skill, level};
        rc = ccctl_exec(ctx, "adding the skill",
                        "INSERT INTO agent_skills (ext, skill, level) "
                        "VALUES ($1, $2, $3::integer) ON CONFLICT (ext, skill) DO UPDATE SET "
                        "level = EXCLUDED.level",
                        3, ps, NULL);
    }
    return rc;
}

static int s_add(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_acd_opt_t opts[] = {
        {"--queue", true, true}, {"--skill", true, true}, {"--name", true, false}};
    ccctl_acd_args_t args;
    int rc = ccctl_acd_parse(&args, argc, argv, opts, N_OPTS(opts), 1, "EXT", ccctl_agent_usage);
    if (rc == 0)
        rc = s_check_add(&args);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    if (cc_pg_begin(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "BEGIN failed");
    rc = s_add_rows(ctx, &args);
    if (rc != 0) {
        cc_pg_rollback(ctx->pg);
        return rc;
    }
    if (cc_pg_commit(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "COMMIT failed");
    printf("agent %s: %d queue(s), %d skill(s) added\n", args.pos[0],
           ccctl_acd_count(&args, "--queue"), ccctl_acd_count(&args, "--skill"));
    return CCCTL_EXIT_OK;
}

static int s_del(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_acd_args_t args;
    int rc = ccctl_acd_parse(&args, argc, argv, NULL, 0, 1, "EXT", ccctl_agent_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {args.pos[0]};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "deleting the agent", "DELETE FROM agents WHERE ext = $1 RETURNING ext", 1,
                    p, &res);
    if (rc == 0 && PQntuples(res) == 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "no agent '%s'", args.pos[0]);
    PQclear(res);
    if (rc == 0)
        printf("deleted agent %s (acdd forgets it at its next restart)\n", args.pos[0]);
    return rc;
}

static int s_state(ccctl_t *ctx, const char *cmd, int argc, char **argv)
{
    static const ccctl_acd_opt_t opts[] = {{"--reason", true, false}};
    ccctl_acd_args_t args;
    int rc = ccctl_acd_parse(&args, argc, argv, opts, N_OPTS(opts), 1, "EXT", ccctl_agent_usage);
    if (rc != 0)
        return rc;
    const char *ext = args.pos[0], *reason = ccctl_acd_arg(&args, "--reason");
    if (!s_ext_ok(ext))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad extension '%s': 2-15 digits", ext);
    if (reason && !ccctl_acd_name_ok(reason))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --reason '%s': 1-31 letters, digits, _ . -",
                          reason);
    if (reason && strlen(reason) > 31)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --reason '%s': at most 31 characters", reason);
    if (reason && (!strcmp(cmd, "agent.ready")))
        return ccctl_fail(CCCTL_EXIT_USAGE, "agent ready takes no --reason");
    json_t *a = json_pack("{s:s}", "ext", ext);
    if (reason)
        json_object_set_new(a, "reason", json_string(reason));
    json_t *res = ccctl_acd_call(ctx, cmd, a, &rc);
    if (!res)
        return rc;
    printf("agent %s: %s -> %s\n", ext, json_string_value(json_object_get(res, "previous")),
           json_string_value(json_object_get(res, "state")));
    json_decref(res);
    return CCCTL_EXIT_OK;
}

static int s_login(ccctl_t *ctx, int argc, char **argv)
{
    return s_state(ctx, "agent.login", argc, argv);
}
static int s_logout(ccctl_t *ctx, int argc, char **argv)
{
    return s_state(ctx, "agent.logout", argc, argv);
}
static int s_ready(ccctl_t *ctx, int argc, char **argv)
{
    return s_state(ctx, "agent.ready", argc, argv);
}
static int s_pause(ccctl_t *ctx, int argc, char **argv)
{
    return s_state(ctx, "agent.pause", argc, argv);
}

/* A hold (agent.hold) has no state of its own to go back to: acdd just offers the agent
 * calls again. */
static int s_unhold(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_acd_args_t args;
    int rc = ccctl_acd_parse(&args, argc, argv, NULL, 0, 1, "EXT", ccctl_agent_usage);
    if (rc != 0)
        return rc;
    const char *ext = args.pos[0];
    if (!s_ext_ok(ext))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad extension '%s': 2-15 digits", ext);
    json_t *res = ccctl_acd_call(ctx, "agent.unhold", json_pack("{s:s}", "ext", ext), &rc);
    if (!res)
        return rc;
    printf("agent %s: released (%s)\n", ext, json_string_value(json_object_get(res, "state")));
    json_decref(res);
    return CCCTL_EXIT_OK;
}

/* acdd reports the time of an agent's last state change; an agent it loaded at start
 * that has not logged in since has none, which acdd sends as the epoch (as webd reads
 * it too). Shown as "-", and null in JSON, rather than "in state for 20789 days". */
static bool s_never_changed(json_t *agent)
{
    const char *since = json_string_value(json_object_get(agent, "since"));
    return !since || strncmp(since, "1970-01-01T00:00:00", 19) == 0;
}

static int s_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_acd_opt_t opts[] = {{"--json", false, false}};
    ccctl_acd_args_t args;
    int rc = ccctl_acd_parse(&args, argc, argv, opts, 1, 0, "", ccctl_agent_usage);
    if (rc != 0)
        return rc;
    json_t *res = ccctl_acd_call(ctx, "agent.list", NULL, &rc);
    if (!res)
        return rc;
    if (!ccctl_db(ctx, true, &rc)) {
        json_decref(res);
        return rc;
    }
    PGresult *db = cc_pg_exec_params(
        ctx->pg,
        "SELECT a.ext, coalesce((SELECT string_agg(queue, ',' ORDER BY position) FROM "
        "queue_members m WHERE m.ext = a.ext), ''), coalesce((SELECT string_agg(skill || ':' "
        "|| level, ',' ORDER BY skill) FROM agent_skills s WHERE s.ext = a.ext), '') "
        "FROM agents a",
        0, NULL);
    if (!db) {
        json_decref(res);
        return ccctl_db_fail(ctx, "reading agents failed");
    }
    json_t *list = json_object_get(res, "agents"), *ag;
    size_t i;
    json_array_foreach(list, i, ag)
    {
        const char *ext = json_string_value(json_object_get(ag, "ext"));
        if (s_never_changed(ag)) {
            json_object_set_new(ag, "since", json_null());
            json_object_set_new(ag, "state_s", json_null());
        }
        for (int r = 0; ext && r < PQntuples(db); r++) {
            if (strcmp(PQgetvalue(db, r, 0), ext) != 0)
                continue;
            json_object_set_new(ag, "queues", json_string(PQgetvalue(db, r, 1)));
            json_object_set_new(ag, "skills", json_string(PQgetvalue(db, r, 2)));
        }
    }
    if (ccctl_acd_arg(&args, "--json")) {
        ccctl_json_print(json_incref(list), stdout);
    } else {
        static const char *const headers[] = {"EXT",   "NAME",   "STATE",  "REASON", "IN STATE",
                                              "CALLS", "QUEUES", "SKILLS", NULL};
        ccctl_table_t *t = ccctl_table_new(headers);
        json_array_foreach(list, i, ag)
        {
            char dur[32] = "-", calls[16];
            json_t *state_s = json_object_get(ag, "state_s");
            if (json_is_number(state_s))
                ccctl_duration((long)json_number_value(state_s), dur, sizeof dur);
            snprintf(calls, sizeof calls, "%lld",
                     (long long)json_integer_value(json_object_get(ag, "calls_taken")));
            const char *cells[] = {json_string_value(json_object_get(ag, "ext")),
                                   json_string_value(json_object_get(ag, "name")),
                                   json_string_value(json_object_get(ag, "state")),
                                   json_string_value(json_object_get(ag, "reason")),
                                   dur,
                                   calls,
                                   json_string_value(json_object_get(ag, "queues")),
                                   json_string_value(json_object_get(ag, "skills"))};
            if (t)
                ccctl_table_add(t, cells);
        }
        ccctl_table_print_destroy(&t, stdout);
    }
    PQclear(db);
    json_decref(res);
    return CCCTL_EXIT_OK;
}

int ccctl_agent_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"add", s_add},       {"del", s_del},     {"login", s_login},
        {"logout", s_logout}, {"ready", s_ready}, {"pause", s_pause},
        {"unhold", s_unhold}, {"list", s_list},   {"reason", ccctl_agent_reason},
        {NULL, NULL},
    };
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_agent_usage);
}
