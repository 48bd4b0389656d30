/* ivrd_args_test.c - the arguments of calls handed to ivrd and of the conference commands:
 * what the handlers get, and what is refused before them (empty or oversized ids, rooms
 * and mailboxes, endpoint ids that are not mediad's or would be cut to an int, unknown
 * deposit reasons, start variables a run cannot hold). */
#include <jansson.h>

#include "cc_test.h"
#include "ivrd_args.h"

/* The strings in *in are borrowed from the arguments: they live in s_kept until the next
 * call or s_handover_done. */
static json_t *s_kept;

static int s_handover(const char *cmd, const char *text, ivrd_handover_t *in, char *err, size_t len)
{
    json_decref(s_kept);
    s_kept = json_loads(text, 0, NULL);
    return s_kept ? ivrd_args_handover(cmd, s_kept, in, err, len) : -2;
}

static void s_handover_done(void)
{
    json_decref(s_kept);
    s_kept = NULL;
}

CC_TEST(ivrd_args_handover_taken)
{
    ivrd_handover_t in;
    char err[200] = "";
    CC_CHECK_INT(s_handover("ivr.start",
                            "{\"call_id\":\"c1\",\"flow\":\"main\",\"caller\":\"1001\",\"callee\":"
                            "\"800\",\"endpoint_id\":2147483647,\"variables\":{\"lang\":\"en\"}}",
                            &in, err, sizeof err),
                 0);
    CC_CHECK_INT(in.kind, IVRD_HANDOVER_IVR);
    CC_CHECK_STR(in.flow, "main");
    CC_CHECK_INT(in.endpoint_id, 2147483647);
    CC_CHECK(in.variables != NULL);
    CC_CHECK_INT(s_handover("vm.menu", "{\"call_id\":\"c1\",\"caller\":\"1001\",\"endpoint_id\":4}",
                            &in, err, sizeof err),
                 0);
    CC_CHECK_STR(in.mailbox, ""); /* *98: ivrd asks for the box */
    CC_CHECK_STR(in.callee, "");
    CC_CHECK_INT(s_handover("vm.deposit",
                            "{\"call_id\":\"c1\",\"mailbox\":\"1001\",\"reason\":\"busy\","
                            "\"caller\":\"1002\",\"endpoint_id\":4}",
                            &in, err, sizeof err),
                 0);
    CC_CHECK_STR(in.reason, "busy");
    CC_CHECK_INT(
        s_handover("conf.start",
                   "{\"call_id\":\"c1\",\"room\":\"r1\",\"caller\":\"1\",\"endpoint_id\":1}", &in,
                   err, sizeof err),
        0);
    CC_CHECK_STR(in.room, "r1");
    s_handover_done();
}

CC_TEST(ivrd_args_handover_refused)
{
    static const struct {
        const char *cmd, *json, *says;
    } cases[] = {
        {"ivr.start", "{\"call_id\":\"\",\"flow\":\"f\",\"endpoint_id\":1}",
         "call_id must be 1-127 characters"},
        /* was taken as endpoint 5 after the cut to an int */
        {"ivr.start", "{\"call_id\":\"c\",\"flow\":\"f\",\"endpoint_id\":4294967301}",
         "endpoint_id must be an integer 1-2147483647"},
        {"conf.start", "{\"call_id\":\"c\",\"room\":\"r\",\"endpoint_id\":0}",
         "endpoint_id must be an integer 1-2147483647"},
        {"ivr.start", "{\"call_id\":\"c\",\"flow\":\"\",\"endpoint_id\":1}",
         "flow must not be empty"},
        {"ivr.start",
         "{\"call_id\":\"c\",\"flow\":\"f\",\"endpoint_id\":1,\"variables\":{\"a\":1}}",
         "variables: names of 1-47 letters, digits or _ (not starting with a digit), values "
         "strings"},
        {"ivr.start",
         "{\"call_id\":\"c\",\"flow\":\"f\",\"endpoint_id\":1,\"variables\":{\"9a\":\"x\"}}",
         "variables: names of 1-47 letters, digits or _ (not starting with a digit), values "
         "strings"},
        {"conf.start",
         "{\"call_id\":\"c\",\"endpoint_id\":1,\"room\":"
         "\"0123456789012345678901234567890123456789012345678901234567890123\"}",
         "room must be 1-63 characters"},
        {"vm.deposit",
         "{\"call_id\":\"c\",\"mailbox\":\"1\",\"reason\":\"because\",\"endpoint_id\":1}",
         "reason must be direct, busy, noanswer, unavailable, dnd, overflow or closed"},
        {"vm.deposit", "{\"call_id\":\"c\",\"mailbox\":\"\",\"reason\":\"busy\",\"endpoint_id\":1}",
         "mailbox must be 1-63 characters"},
        {"conf.list", "{}", "not a hand-over command"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ivrd_handover_t in;
        char err[200] = "";
        CC_CHECK_INT(s_handover(cases[i].cmd, cases[i].json, &in, err, sizeof err), -1);
        CC_CHECK_STR(err, cases[i].says);
    }
    s_handover_done();
}

CC_TEST(ivrd_args_conference_commands)
{
    ivrd_conf_cmd_t in;
    char err[200] = "";
    json_t *a = json_loads("{\"room\":\"r1\",\"who\":\"2\",\"muted\":true}", 0, NULL);
    CC_CHECK_INT(ivrd_args_conf("conf.mute", a, &in, err, sizeof err), 0);
    CC_CHECK(in.on);
    CC_CHECK_STR(in.who, "2");
    CC_CHECK_INT(ivrd_args_conf("conf.lock", a, &in, err, sizeof err), 0);
    CC_CHECK(!in.on && in.who == NULL); /* lock reads locked, not muted */
    json_decref(a);
    a = json_loads("{\"room\":\"r1\",\"who\":\"\"}", 0, NULL);
    CC_CHECK_INT(ivrd_args_conf("conf.kick", a, &in, err, sizeof err), -1);
    json_decref(a);
}
