/* ccctl_conf.c - `ccctl conf ...`: conference rooms. add/del write the `conferences` row and
 * its dialplan route NUMBER -> conf:ROOM in one transaction; list shows the rows and, when
 * ivrd answers, who is in each room; kick/mute/unmute/lock/unlock are ivrd's conf.*
 * commands (the rooms live there). PINs are never printed. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cc_dialplan.h"
#include "ccctl.h"
#include "ccctl_acd.h"
#include "ccctl_out.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))
#define S_PIN_MAX 12

void ccctl_conf_usage(FILE *out)
{
    fputs("usage: ccctl conf add ROOM --number N [--pin P] [--moderator-pin M] [--max N]\n"
          "                        [--record] [--language en|cmn]\n"
          "       ccctl conf del ROOM\n"
          "       ccctl conf list [--json]          rooms, and who is in them (from ivrd)\n"
          "       ccctl conf kick ROOM WHO          hang a participant up\n"
          "       ccctl conf mute ROOM WHO | unmute ROOM WHO\n"
          "       ccctl conf lock ROOM | unlock ROOM   a locked room turns new callers away\n"
          "  ROOM: 1-63 letters, digits, _ . -; add also routes N to conf:ROOM.\n"
          "  PINs: 1-12 digits (\"-\": read from standard input); with --moderator-pin,\n"
          "  callers wait with music until a moderator joins. --max: 1-64 participants.\n"
          "  WHO: the participant id `conf list` shows, the caller's number, or the call id.\n"
          "  --record: each session of the room (first caller in to last out) is one\n"
          "  recording, mixed (`ccctl recording list`: call id conf-ROOM-..., callee conf:ROOM).\n"
          "  --language: the room's prompts in English (default) or Mandarin (cmn).\n",
          out);
}

static int s_pin(const char *opt, const char *value, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!value)
        return 0;
    if (ccctl_read_secret(value, buf, len) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "%s: nothing on standard input, or too long", opt);
    size_t n = strlen(buf);
    if (n < 1 || n > S_PIN_MAX || strspn(buf, "0123456789") != n)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad %s: 1-%d digits", opt, S_PIN_MAX);
    return 0;
}

typedef struct {
    const char *name, *number, *record, *language;
    char pin[64], mod[64], max[16];
} s_room_t;

static int s_check_add(const ccctl_args_t *a, s_room_t *r)
{
    char err[160];
    r->name = a->pos[0];
    if (!ccctl_acd_name_ok(r->name))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad room name '%s': 1-63 letters, digits, _ . -",
                          r->name);
    r->record = ccctl_flag(a, "--record") ? "true" : "false";
    r->number = ccctl_arg(a, "--number");
    if (!r->number)
        return ccctl_usage_fail(ccctl_conf_usage, "conf add: --number N is required");
    if (ccctl_number_check(r->number, false, err, sizeof err) != 0 ||
        cc_pattern_validate(r->number, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --number '%s': %s", r->number, err);
    const char *pin = ccctl_arg(a, "--pin"), *mod = ccctl_arg(a, "--moderator-pin");
    if (pin && mod && !strcmp(pin, "-") && !strcmp(mod, "-"))
        return ccctl_fail(CCCTL_EXIT_USAGE, "only one of --pin and --moderator-pin can be \"-\"");
    int rc = s_pin("--pin", pin, r->pin, sizeof r->pin);
    rc = rc ? rc : s_pin("--moderator-pin", mod, r->mod, sizeof r->mod);
    if (rc)
        return rc;
    if (r->pin[0] && !strcmp(r->pin, r->mod))
        return ccctl_fail(CCCTL_EXIT_USAGE, "--moderator-pin must differ from --pin");
    long max = 0;
    const char *m = ccctl_arg(a, "--max");
    if (m && ccctl_parse_long(m, 1, 64, &max) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --max '%s': a whole number 1-64", m);
    snprintf(r->max, sizeof r->max, "%ld", max);
    r->language = ccctl_arg(a, "--language");
    if (!r->language)
        r->language = "en";
    if (strcmp(r->language, "en") != 0 && strcmp(r->language, "cmn") != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --language '%s': en or cmn (Mandarin)",
                          r->language);
    return 0;
}

/* A failed statement: "already exists" for a unique violation, else the server's words. */
static int s_add_rows(ccctl_t *ctx, const s_room_t *r)
{
    PGresult *res = NULL;
    const char *pn[] = {r->number};
    int rc = ccctl_exec(ctx, "checking the dialplan",
                        "SELECT target_kind || ':' || target FROM dialplan WHERE pattern = $1", 1,
                        pn, &res);
    if (rc)
        return rc;
    if (PQntuples(res) > 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED,
                        "number %s is already routed to %s: pick another --number or "
                        "`ccctl route del %s` first",
                        r->number, PQgetvalue(res, 0, 0), r->number);
    PQclear(res);
    if (rc)
        return rc;
    char what[128];
    snprintf(what, sizeof what, "room '%s'", r->name);
    const char *p[] = {r->name, r->number, r->pin, r->mod, r->max, r->record, r->language};
    rc = ccctl_exec(ctx, what,
                    "INSERT INTO conferences (name, number, pin, moderator_pin, max_members, "
                    "record, language) VALUES ($1, $2, $3, $4, $5::integer, $6::boolean, $7)",
                    7, p, NULL);
    if (rc)
        return rc;
    const char *pr[] = {r->number, r->name};
    return ccctl_exec(ctx, "a route for that number",
                      "INSERT INTO dialplan (pattern, target_kind, target) VALUES ($1, 'conf', $2)",
                      2, pr, NULL);
}

static int s_add(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--number", true},        {"--pin", true},
                                       {"--moderator-pin", true}, {"--max", true},
                                       {"--record", false},       {"--language", true}};
    ccctl_args_t args;
    s_room_t r = {0};
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 1, 1, "ROOM", ccctl_conf_usage);
    if (rc == 0)
        rc = s_check_add(&args, &r);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    if (cc_pg_begin(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "BEGIN failed");
    rc = s_add_rows(ctx, &r);
    if (rc != 0) {
        cc_pg_rollback(ctx->pg);
        return rc;
    }
    if (cc_pg_commit(ctx->pg) != 0)
        return ccctl_db_fail(ctx, "COMMIT failed");
    printf("added room %s, number %s -> conf:%s (PIN %s, moderator PIN %s, at most %s%s)\n", r.name,
           r.number, r.name, r.pin[0] ? "set" : "none", r.mod[0] ? "set" : "none",
           strcmp(r.max, "0") ? r.max : "64", strcmp(r.record, "true") ? "" : ", recorded");
    return CCCTL_EXIT_OK;
}

static int s_del(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 1, 1, "ROOM", ccctl_conf_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    rc = ccctl_delete_routed(ctx, "conferences", "conf", args.pos[0], "room");
    if (rc != 0)
        return rc;
    printf("deleted room %s and its route (callers in it stay until they hang up)\n", args.pos[0]);
    return CCCTL_EXIT_OK;
}

/* ---- list ------------------------------------------------------------------------------ */

static json_t *s_live_room(json_t *live, const char *name)
{
    size_t i;
    json_t *r;
    json_array_foreach(
        live, i, r) if (!strcmp(json_string_value(json_object_get(r, "room")), name)) return r;
    return NULL;
}

static void s_print_members(json_t *live)
{
    static const char *const headers[] = {"ROOM",  "ID",      "CALLER", "STATE", "MODERATOR",
                                          "MUTED", "TALKING", "CALL",   NULL};
    ccctl_table_t *t = ccctl_table_new(headers);
    size_t i, j;
    json_t *r, *m;
    json_array_foreach(live, i, r)
    {
        json_array_foreach(json_object_get(r, "members"), j, m)
        {
            char id[16];
            snprintf(id, sizeof id, "%lld",
                     (long long)json_integer_value(json_object_get(m, "member")));
            const char *cells[] = {json_string_value(json_object_get(r, "room")),
                                   id,
                                   json_string_value(json_object_get(m, "caller")),
                                   json_string_value(json_object_get(m, "state")),
                                   json_is_true(json_object_get(m, "moderator")) ? "yes" : "no",
                                   json_is_true(json_object_get(m, "muted")) ? "yes" : "no",
                                   json_is_true(json_object_get(m, "talking")) ? "yes" : "no",
                                   json_string_value(json_object_get(m, "call_id"))};
            if (t)
                ccctl_table_add(t, cells);
        }
    }
    if (t) {
        printf("\n");
        ccctl_table_print(t, stdout);
    }
    ccctl_table_destroy(&t);
}

static int s_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 0, 0, "", ccctl_conf_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    PGresult *res = cc_pg_exec_params(ctx->pg,
                                      "SELECT name, number, pin <> '', moderator_pin <> '', "
                                      "max_members, record FROM conferences ORDER BY name",
                                      0, NULL);
    if (!res)
        return ccctl_db_fail(ctx, "listing the rooms failed");
    int live_rc;
    json_t *reply =
        PQntuples(res) > 0 ? ccctl_daemon_call(ctx, "ivrd", "conf.list", NULL, &live_rc) : NULL;
    json_t *live = json_object_get(reply, "rooms");
    json_t *rooms = json_array();
    for (int r = 0; r < PQntuples(res); r++) {
        const char *name = PQgetvalue(res, r, 0);
        json_t *lr = s_live_room(live, name);
        json_array_append_new(
            rooms, json_pack("{s:s, s:s, s:b, s:b, s:i, s:b, s:b, s:o}", "room", name, "number",
                             PQgetvalue(res, r, 1), "pin", PQgetvalue(res, r, 2)[0] == 't',
                             "moderator_pin", PQgetvalue(res, r, 3)[0] == 't', "max",
                             atoi(PQgetvalue(res, r, 4)), "record", PQgetvalue(res, r, 5)[0] == 't',
                             "locked", json_is_true(json_object_get(lr, "locked")), "members",
                             lr ? json_incref(json_object_get(lr, "members")) : json_array()));
    }
    if (ccctl_flag(&args, "--json")) {
        ccctl_json_print(rooms, stdout); /* takes it */
        rooms = NULL;
    } else {
        static const char *const headers[] = {
            "ROOM", "NUMBER", "PIN", "MODERATOR PIN", "MAX", "RECORD", "LOCKED", "IN", NULL};
        ccctl_table_t *t = ccctl_table_new(headers);
        size_t i;
        json_t *o;
        json_array_foreach(rooms, i, o)
        {
            char max[16], in[16];
            long mx = (long)json_integer_value(json_object_get(o, "max"));
            snprintf(max, sizeof max, "%ld", mx ? mx : 64);
            snprintf(in, sizeof in, "%zu", json_array_size(json_object_get(o, "members")));
            const char *cells[] = {json_string_value(json_object_get(o, "room")),
                                   json_string_value(json_object_get(o, "number")),
                                   json_is_true(json_object_get(o, "pin")) ? "set" : "-",
                                   json_is_true(json_object_get(o, "moderator_pin")) ? "set" : "-",
                                   max,
                                   json_is_true(json_object_get(o, "record")) ? "yes" : "no",
                                   json_is_true(json_object_get(o, "locked")) ? "yes" : "no",
                                   reply ? in : "?"};
            if (t)
                ccctl_table_add(t, cells);
        }
        ccctl_table_print_destroy(&t, stdout);
        if (live && json_array_size(live) > 0)
            s_print_members(live);
    }
    json_decref(rooms);
    json_decref(reply);
    PQclear(res);
    return CCCTL_EXIT_OK;
}

/* ---- ivrd's commands ------------------------------------------------------------------- */

static int s_to_ivrd(ccctl_t *ctx, int argc, char **argv, int npos, const char *pos_names,
                     const char *cmd, json_t *extra, const char *done)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, npos, npos, pos_names, ccctl_conf_usage);
    if (rc == 0 && !ccctl_acd_name_ok(args.pos[0]))
        rc = ccctl_fail(CCCTL_EXIT_USAGE, "bad room name '%s'", args.pos[0]);
    if (rc == 0 && npos == 2 && (!args.pos[1][0] || strlen(args.pos[1]) > 127))
        rc = ccctl_fail(CCCTL_EXIT_USAGE, "bad participant '%s'", args.pos[1]);
    if (rc) {
        json_decref(extra);
        return rc;
    }
    json_object_set_new(extra, "room", json_string(args.pos[0]));
    if (npos == 2)
        json_object_set_new(extra, "who", json_string(args.pos[1]));
    json_t *res = ccctl_daemon_call(ctx, "ivrd", cmd, extra, &rc);
    if (!res)
        return rc;
    if (npos == 2)
        printf("room %s: participant %lld %s\n", args.pos[0],
               (long long)json_integer_value(json_object_get(res, "member")), done);
    else
        printf("room %s %s\n", args.pos[0], done);
    json_decref(res);
    return CCCTL_EXIT_OK;
}

static int s_kick(ccctl_t *ctx, int argc, char **argv)
{
    return s_to_ivrd(ctx, argc, argv, 2, "ROOM WHO", "conf.kick", json_object(), "hung up");
}

static int s_mute(ccctl_t *ctx, int argc, char **argv)
{
    return s_to_ivrd(ctx, argc, argv, 2, "ROOM WHO", "conf.mute", json_pack("{s:b}", "muted", 1),
                     "muted");
}

static int s_unmute(ccctl_t *ctx, int argc, char **argv)
{
    return s_to_ivrd(ctx, argc, argv, 2, "ROOM WHO", "conf.mute", json_pack("{s:b}", "muted", 0),
                     "unmuted");
}

static int s_lock(ccctl_t *ctx, int argc, char **argv)
{
    return s_to_ivrd(ctx, argc, argv, 1, "ROOM", "conf.lock", json_pack("{s:b}", "locked", 1),
                     "locked");
}

static int s_unlock(ccctl_t *ctx, int argc, char **argv)
{
    return s_to_ivrd(ctx, argc, argv, 1, "ROOM", "conf.lock", json_pack("{s:b}", "locked", 0),
                     "unlocked");
}

int ccctl_conf_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"add", s_add},   {"del", s_del},       {"list", s_list},
        {"kick", s_kick}, {"mute", s_mute},     {"unmute", s_unmute},
        {"lock", s_lock}, {"unlock", s_unlock}, {NULL, NULL},
    };
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_conf_usage);
}
