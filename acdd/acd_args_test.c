/* acd_args_test.c - acdd's command arguments: what the handlers get, and what is refused
 * before them (empty or oversized ids, priorities and levels out of range, numbers cut to
 * an int, unknown feature codes) with which message. */
#include <jansson.h>

#include "acd_args.h"
#include "cc_test.h"

static json_t *s_json(const char *text)
{
    return json_loads(text, 0, NULL);
}

CC_TEST(acd_args_enter_taken)
{
    json_t *a = s_json("{\"call_id\":\"c1\",\"queue\":\"sales\",\"caller\":\"1001\","
                       "\"endpoint_id\":7,\"answered\":true,\"priority\":100,\"skill\":"
                       "\"english\",\"skill_level\":3,\"variables\":{\"acct\":\"9\"}}");
    acd_enter_args_t in;
    char err[160] = "";
    CC_CHECK_INT(acd_args_enter(a, &in, err, sizeof err), 0);
    CC_CHECK_STR(in.call_id, "c1");
    CC_CHECK_STR(in.queue, "sales");
    CC_CHECK_STR(in.caller, "1001");
    CC_CHECK_INT(in.endpoint_id, 7);
    CC_CHECK(in.answered && !in.return_to_ivr);
    CC_CHECK_INT(in.priority, 100);
    CC_CHECK_STR(in.skill, "english");
    CC_CHECK_INT(in.skill_level, 3);
    CC_CHECK(in.variables == json_object_get(a, "variables"));
    json_decref(a);
    /* the least a call brings: defaults, no skill of its own, no variables */
    a = s_json("{\"call_id\":\"c1\",\"queue\":\"q\",\"caller\":\"\",\"endpoint_id\":0,"
               "\"skill\":\"\",\"priority\":null,\"variables\":{}}");
    CC_CHECK_INT(acd_args_enter(a, &in, err, sizeof err), 0);
    CC_CHECK(in.skill == NULL && in.variables == NULL);
    CC_CHECK_INT(in.priority, 0);
    CC_CHECK_INT(in.skill_level, 0);
    json_decref(a);
}

CC_TEST(acd_args_enter_refused)
{
    static const struct {
        const char *json, *says;
    } cases[] = {
        {"{\"call_id\":\"\",\"queue\":\"q\",\"caller\":\"1\",\"endpoint_id\":1}",
         "call_id must be 1-127 characters"},
        {"{\"call_id\":\"c\",\"queue\":\"\",\"caller\":\"1\",\"endpoint_id\":1}",
         "queue must be 1-63 characters"},
        /* was cut to an int: 2^32 + 5 became priority 5 */
        {"{\"call_id\":\"c\",\"queue\":\"q\",\"caller\":\"1\",\"endpoint_id\":1,"
         "\"priority\":4294967301}",
         "priority must be an integer 0-100"},
        {"{\"call_id\":\"c\",\"queue\":\"q\",\"caller\":\"1\",\"endpoint_id\":1,\"priority\":-1}",
         "priority must be an integer 0-100"},
        {"{\"call_id\":\"c\",\"queue\":\"q\",\"caller\":\"1\",\"endpoint_id\":1,"
         "\"skill_level\":11}",
         "skill_level must be an integer 0-10"},
        {"{\"call_id\":\"c\",\"queue\":\"q\",\"caller\":\"1\",\"endpoint_id\":-3}",
         "endpoint_id must be an integer 0-2147483647"},
        {"{\"call_id\":\"c\",\"queue\":\"q\",\"caller\":\"1\",\"endpoint_id\":2147483648}",
         "endpoint_id must be an integer 0-2147483647"},
        {"{\"call_id\":\"c\",\"queue\":\"q\",\"caller\":\"1\",\"endpoint_id\":1,\"skill\":"
         "\"0123456789012345678901234567890123456789012345678901234567890123\"}",
         "skill must be at most 63 characters"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *a = s_json(cases[i].json);
        acd_enter_args_t in;
        char err[160] = "";
        int rc = acd_args_enter(a, &in, err, sizeof err);
        json_decref(a);
        CC_CHECK_INT(rc, -1);
        CC_CHECK_STR(err, cases[i].says);
    }
}

CC_TEST(acd_args_agent_commands)
{
    acd_agent_args_t in;
    char err[160] = "";
    json_t *a = s_json("{\"ext\":\"1002\",\"reason\":\"\"}");
    CC_CHECK_INT(acd_args_agent("agent.pause", a, &in, err, sizeof err), 0);
    CC_CHECK_INT(in.kind, ACD_EV_AGENT_PAUSE);
    CC_CHECK_STR(in.reason, "pause"); /* a pause always has a reason */
    CC_CHECK_INT(acd_args_agent("agent.login", a, &in, err, sizeof err), 0);
    CC_CHECK(in.kind == ACD_EV_AGENT_LOGIN && in.reason == NULL); /* "": log in ready */
    CC_CHECK_INT(acd_args_agent("agent.list", a, &in, err, sizeof err), -1);
    json_decref(a);
    a = s_json("{\"ext\":\"1002\",\"reason\":\"a reason far longer than thirty-one\"}");
    CC_CHECK_INT(acd_args_agent("agent.logout", a, &in, err, sizeof err), -1);
    CC_CHECK_STR(err, "reason must be at most 31 characters");
    CC_CHECK_INT(acd_args_agent("agent.ready", a, &in, err, sizeof err), 0); /* not read */
    json_decref(a);
    a = s_json("{\"ext\":\"\"}");
    CC_CHECK_INT(acd_args_agent("agent.ready", a, &in, err, sizeof err), -1);
    CC_CHECK_STR(err, "ext must be 1-31 characters");
    json_decref(a);
}

CC_TEST(acd_args_feature_codes)
{
    acd_agent_args_t in;
    char err[160] = "";
    json_t *a = s_json("{\"ext\":\"1005\",\"code\":\"*47\",\"digits\":\"2\"}");
    CC_CHECK_INT(acd_args_feature(a, &in, err, sizeof err), 0);
    CC_CHECK_INT(in.kind, ACD_EV_AGENT_PAUSE);
    CC_CHECK_STR(in.reason, "pause");
    CC_CHECK_INT(in.pause_choice, 2);
    json_decref(a);
    a = s_json("{\"ext\":\"1005\",\"code\":\"45\",\"digits\":\"2\"}");
    CC_CHECK_INT(acd_args_feature(a, &in, err, sizeof err), 0);
    CC_CHECK(in.kind == ACD_EV_AGENT_LOGIN && in.pause_choice == 0 && !in.reason);
    json_decref(a);
    a = s_json("{\"ext\":\"1005\",\"code\":\"47\",\"digits\":\"0\"}");
    CC_CHECK_INT(acd_args_feature(a, &in, err, sizeof err), 0);
    CC_CHECK_INT(in.pause_choice, 0);
    json_decref(a);
    a = s_json("{\"ext\":\"1005\",\"code\":\"99\"}");
    CC_CHECK_INT(acd_args_feature(a, &in, err, sizeof err), -1);
    CC_CHECK_STR(err, "unknown feature code '99'");
    json_decref(a);
}

CC_TEST(acd_args_move_and_callback)
{
    acd_move_args_t mv;
    acd_callback_args_t cb;
    char err[160] = "";
    json_t *a = s_json("{\"call_id\":\"c1\",\"priority\":null}");
    /* null is absent: nothing to do, not "priority 0" */
    CC_CHECK_INT(acd_args_move(a, &mv, err, sizeof err), -1);
    CC_CHECK_STR(err, "give queue, priority or both");
    json_decref(a);
    a = s_json("{\"call_id\":\"c1\",\"priority\":40}");
    CC_CHECK_INT(acd_args_move(a, &mv, err, sizeof err), 0);
    CC_CHECK(mv.priority == 40 && mv.queue == NULL);
    json_decref(a);
    a = s_json("{\"call_id\":\"c1\",\"queue\":\"\"}");
    CC_CHECK_INT(acd_args_move(a, &mv, err, sizeof err), -1);
    json_decref(a);
    a = s_json("{\"queue\":\"q\",\"number\":\"+44#123*\"}");
    CC_CHECK_INT(acd_args_callback(a, &cb, err, sizeof err), 0);
    CC_CHECK_STR(cb.number, "+44#123*");
    json_decref(a);
    a = s_json("{\"queue\":\"q\",\"number\":\"12a\"}");
    CC_CHECK_INT(acd_args_callback(a, &cb, err, sizeof err), -1);
    CC_CHECK_STR(err, "number: 1-31 of 0-9 * # +");
    json_decref(a);
    a = s_json("{\"queue\":\"q\",\"number\":\"01234567890123456789012345678901\"}");
    CC_CHECK_INT(acd_args_callback(a, &cb, err, sizeof err), -1);
    json_decref(a);
}
