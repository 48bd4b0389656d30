/* ccctl_calls.c - the calls of the ACD from the command line, with the bus commands the
 * web console sends too: `ccctl queue calls` (acdd's queue.snapshot), `queue move`
 * (queue.move), `queue callback` (queue.callback) and `ccctl call hangup` (sipproxy's
 * call.hangup). Nothing here reads or writes Postgres. */
#include <stdlib.h>
#include <string.h>

#include "ccctl.h"
#include "ccctl_acd.h"
#include "ccctl_out.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

static const char *s_str(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

int ccctl_queue_calls(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 0, 0, "", ccctl_queue_usage);
    if (rc)
        return rc;
    json_t *res = ccctl_acd_call(ctx, "queue.snapshot", NULL, &rc);
    if (!res)
        return rc;
    json_t *calls = json_incref(json_object_get(res, "calls"));
    json_decref(res);
    if (ccctl_flag(&args, "--json"))
        return ccctl_json_print(calls, stdout) == 0 ? CCCTL_EXIT_OK : CCCTL_EXIT_REFUSED;
    static const char *const headers[] = {"CALL", "QUEUE", "CALLER", "STATE", "PRIO",
                                          "POS",  "AGENT", "SINCE",  NULL};
    ccctl_table_t *t = ccctl_table_new(headers);
    size_t i;
    json_t *c;
    json_array_foreach(calls, i, c)
    {
        char prio[16], pos[16];
        snprintf(prio, sizeof prio, "%lld",
                 (long long)json_integer_value(json_object_get(c, "priority")));
        snprintf(pos, sizeof pos, "%lld",
                 (long long)json_integer_value(json_object_get(c, "position")));
        const char *cells[] = {s_str(c, "call_id"),
                               s_str(c, "queue"),
                               s_str(c, "caller"),
                               s_str(c, "state"),
                               prio,
                               pos,
                               s_str(c, "agent"),
                               s_str(c, "entered")};
        if (t)
            ccctl_table_add(t, cells);
    }
    ccctl_table_print_destroy(&t, stdout);
    json_decref(calls);
    return CCCTL_EXIT_OK;
}

int ccctl_queue_move(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--queue", true}, {"--priority", true}};
    ccctl_args_t args;
    long prio = -1;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 1, 1, "CALL_ID", ccctl_queue_usage);
    if (rc)
        return rc;
    const char *queue = ccctl_arg(&args, "--queue"), *p = ccctl_arg(&args, "--priority");
    if (!queue && !p)
        return ccctl_usage_fail(ccctl_queue_usage, "give --queue, --priority or both");
    if (queue && !ccctl_acd_name_ok(queue))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad queue name '%s'", queue);
    if (p && ccctl_parse_long(p, 0, 100, &prio) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "--priority must be 0-100");
    json_t *a = json_pack("{s:s}", "call_id", args.pos[0]);
    if (queue)
        json_object_set_new(a, "queue", json_string(queue));
    if (p)
        json_object_set_new(a, "priority", json_integer(prio));
    json_t *res = ccctl_acd_call(ctx, "queue.move", a, &rc);
    if (!res)
        return rc;
    printf("call %s: queue %s, priority %lld, position %lld\n", args.pos[0], s_str(res, "queue"),
           (long long)json_integer_value(json_object_get(res, "priority")),
           (long long)json_integer_value(json_object_get(res, "position")));
    json_decref(res);
    return CCCTL_EXIT_OK;
}

int ccctl_queue_callback(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    char err[128];
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 2, 2, "NAME NUMBER", ccctl_queue_usage);
    if (rc)
        return rc;
    if (!ccctl_acd_name_ok(args.pos[0]))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad queue name '%s'", args.pos[0]);
    if (ccctl_number_check(args.pos[1], false, err, sizeof err) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad number: %s", err);
    json_t *res =
        ccctl_acd_call(ctx, "queue.callback",
                       json_pack("{s:s, s:s}", "queue", args.pos[0], "number", args.pos[1]), &rc);
    if (!res)
        return rc;
    printf("callback %s to %s in queue %s, position %lld\n", s_str(res, "call_id"), args.pos[1],
           args.pos[0], (long long)json_integer_value(json_object_get(res, "position")));
    json_decref(res);
    return CCCTL_EXIT_OK;
}

void ccctl_call_usage(FILE *out)
{
    fputs("usage: ccctl call hangup CALL_ID [--reason TEXT]\n"
          "  Ends a call (sipproxy's call.hangup): BYE to answered legs, a final response to\n"
          "  an unanswered caller, CANCEL to ringing targets. CALL_ID as `ccctl queue calls`\n"
          "  and the CDRs show it.\n",
          out);
}

static int s_hangup(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--reason", true}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 1, 1, "CALL_ID", ccctl_call_usage);
    if (rc)
        return rc;
    const char *reason = ccctl_arg(&args, "--reason");
    json_t *res = ccctl_daemon_call(ctx, "sipproxy", "call.hangup",
                                    json_pack("{s:s, s:s}", "call_id", args.pos[0], "reason",
                                              reason ? reason : "hung up with ccctl"),
                                    &rc);
    if (!res)
        return rc;
    json_decref(res);
    printf("call %s hung up\n", args.pos[0]);
    return CCCTL_EXIT_OK;
}

int ccctl_call_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {{"hangup", s_hangup}, {NULL, NULL}};
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_call_usage);
}

void ccctl_park_usage(FILE *out)
{
    fputs("usage: ccctl park list [--json]\n"
          "  The calls waiting in park slots (sipproxy's status): slot, call, who parked it,\n"
          "  who waits, for how long, and whether the parker is being rung back. A phone\n"
          "  parks a call by blind-transferring it to [sipproxy] park_number (700); dialling\n"
          "  the slot takes it.\n",
          out);
}

static int s_park_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 0, 0, "", ccctl_park_usage);
    if (rc)
        return rc;
    json_t *res = ccctl_daemon_call(ctx, "sipproxy", "status", NULL, &rc);
    if (!res)
        return rc;
    json_t *parked = json_incref(json_object_get(json_object_get(res, "details"), "parked"));
    json_decref(res);
    if (!json_is_array(parked)) {
        json_decref(parked);
        return ccctl_fail(CCCTL_EXIT_REFUSED, "sipproxy did not list parked calls");
    }
    if (ccctl_flag(&args, "--json")) /* takes parked */
        return ccctl_json_print(parked, stdout) == 0 ? CCCTL_EXIT_OK : CCCTL_EXIT_REFUSED;
    static const char *const headers[] = {"SLOT",    "CALL",  "PARKER", "PARKED",
                                          "SECONDS", "STATE", NULL};
    ccctl_table_t *t = ccctl_table_new(headers);
    size_t i;
    json_t *c;
    json_array_foreach(parked, i, c)
    {
        char slot[16], secs[24];
        snprintf(slot, sizeof slot, "%lld",
                 (long long)json_integer_value(json_object_get(c, "slot")));
        snprintf(secs, sizeof secs, "%lld",
                 (long long)json_integer_value(json_object_get(c, "seconds")));
        const char *cells[] = {slot, s_str(c, "call_id"), s_str(c, "parker"), s_str(c, "parked"),
                               secs, s_str(c, "state")};
        if (t)
            ccctl_table_add(t, cells);
    }
    ccctl_table_print_destroy(&t, stdout);
    json_decref(parked);
    return CCCTL_EXIT_OK;
}

int ccctl_park_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {{"list", s_park_list}, {NULL, NULL}};
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_park_usage);
}
