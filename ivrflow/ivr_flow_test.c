/* ivr_flow_test.c - the flow validator: a good flow compiles to the expected graph, and
 * each kind of mistake is refused with the JSON Pointer path of the bad place and a reason.
 * Also reference counting: a call keeps its version alive after the flow is replaced. */
#include <stdlib.h>

#include "cc_test.h"
#include "ivr_fixture.h"
#include "ivr_flow.h"

/* Refuses json and returns the errors (static), or NULL if it was accepted. */
static const ivr_flow_errors_t *s_refuse(const char *json)
{
    static ivr_flow_errors_t errors;
    ivr_flow_t *flow = ivr_flow_parse(json, ivr_fx_env(), &errors);
    if (flow) {
        ivr_flow_destroy(&flow);
        return NULL;
    }
    return &errors;
}

/* The reason given for path, or NULL. */
static const char *s_reason(const ivr_flow_errors_t *errors, const char *path)
{
    for (size_t i = 0; errors && i < errors->count; i++)
        if (strcmp(errors->items[i].path, path) == 0)
            return errors->items[i].reason;
    return NULL;
}

#define S_HEAD "{\"name\":\"t\",\"start\":\"a\",\"nodes\":{"

CC_TEST(ivr_flow_compiles_a_good_flow)
{
    ivr_flow_t *flow = ivr_fx_flow(
        S_HEAD
        "\"a\":{\"kind\":\"play\",\"prompts\":[\"welcome\",{\"number\":\"${n}\"}],\"next\":\"m\"},"
        "\"m\":{\"kind\":\"menu\",\"prompt\":\"main-menu\",\"options\":{\"1\":\"r\",\"#\":\"h\"},"
        "  \"timeout\":2.5,\"retries\":2},"
        "\"r\":{\"kind\":\"route\",\"to\":\"queue\",\"target\":\"support\",\"priority\":7},"
        "\"h\":{\"kind\":\"hangup\"}}}");
    CC_CHECK(flow != NULL);
    CC_CHECK_STR(ivr_flow_name(flow), "t");
    CC_CHECK_STR(ivr_flow_language(flow), "en");
    CC_CHECK_INT(ivr_flow_version(flow), 7);
    CC_CHECK_INT(ivr_flow_node_count(flow), 4);
    const ivr_node_t *a = ivr_flow_node(flow, ivr_flow_start(flow));
    CC_CHECK_STR(a->id, "a");
    CC_CHECK_INT(a->u.play.prompts.count, 2);
    CC_CHECK_INT(a->u.play.prompts.items[1].say, IVR_SAY_NUMBER);
    const ivr_node_t *m = ivr_flow_node(flow, a->next);
    CC_CHECK_STR(m->id, "m");
    CC_CHECK_INT(m->u.menu.input.timeout_ms, 2500);
    CC_CHECK_INT(m->u.menu.input.retries, 2);
    CC_CHECK_INT(m->u.menu.input.fallback, IVR_NONE);
    CC_CHECK_INT(m->u.menu.option_count, 2);
    const ivr_node_t *r = ivr_flow_node(flow, ivr_flow_find(flow, "r"));
    CC_CHECK_STR(r->u.route.priority, "7");
    CC_CHECK_INT(r->u.route.to, IVR_ROUTE_QUEUE);
    CC_CHECK(ivr_flow_node(flow, 4) == NULL);
    ivr_flow_destroy(&flow);
    CC_CHECK(flow == NULL);
}

/* A mailbox as a route target: the reason says whether the caller came after hours. */
CC_TEST(ivr_flow_routes_to_voicemail)
{
    ivr_flow_t *flow =
        ivr_fx_flow(S_HEAD "\"a\":{\"kind\":\"route\",\"to\":\"voicemail\",\"target\":\"sales\","
                           "  \"reason\":\"closed\",\"failed\":\"b\"},"
                           "\"b\":{\"kind\":\"route\",\"to\":\"voicemail\",\"target\":\"1001\"}}}");
    CC_CHECK(flow != NULL);
    const ivr_node_t *a = ivr_flow_node(flow, ivr_flow_start(flow));
    CC_CHECK_INT(a->u.route.to, IVR_ROUTE_VOICEMAIL);
    CC_CHECK(a->u.route.closed);
    CC_CHECK_STR(ivr_route_kind_name(a->u.route.to), "voicemail");
    const ivr_node_t *b = ivr_flow_node(flow, ivr_flow_find(flow, "b"));
    CC_CHECK(!b->u.route.closed);
    ivr_flow_destroy(&flow);
    const ivr_flow_errors_t *e = s_refuse(
        S_HEAD
        "\"a\":{\"kind\":\"route\",\"to\":\"voicemail\",\"target\":\"x\",\"reason\":\"late\"},"
        "\"b\":{\"kind\":\"route\",\"to\":\"ext\",\"target\":\"1001\",\"reason\":\"closed\"},"
        "\"c\":{\"kind\":\"route\",\"to\":\"voicemail\",\"target\":\"bad box!\"}}}");
    CC_CHECK(e != NULL);
    CC_CHECK_STR(s_reason(e, "/nodes/a/reason"), "must be \"direct\" or \"closed\"");
    CC_CHECK_STR(s_reason(e, "/nodes/b/reason"), "only a voicemail route has a reason");
    CC_CHECK(s_reason(e, "/nodes/c/target") != NULL);
}

CC_TEST(ivr_flow_refuses_unknown_kind)
{
    const ivr_flow_errors_t *e = s_refuse(S_HEAD "\"a\":{\"kind\":\"dance\",\"next\":\"a\"}}}");
    CC_CHECK(e != NULL);
    CC_CHECK_STR(s_reason(e, "/nodes/a/kind"), "unknown node kind 'dance'");
    e = s_refuse(S_HEAD "\"a\":{\"next\":\"a\"}}}");
    CC_CHECK_STR(s_reason(e, "/nodes/a"), "missing required key 'kind'");
}

CC_TEST(ivr_flow_refuses_next_pointing_nowhere)
{
    const ivr_flow_errors_t *e = s_refuse(
        S_HEAD
        "\"a\":{\"kind\":\"menu\",\"prompt\":\"p\",\"options\":{\"1\":\"b\",\"2\":\"nowhere\"}},"
        "\"b\":{\"kind\":\"goto\",\"next\":\"elsewhere\"}}}");
    CC_CHECK(e != NULL);
    CC_CHECK_INT(e->count, 2);
    CC_CHECK_STR(s_reason(e, "/nodes/a/options/2"), "points to 'nowhere', which is not a node");
    CC_CHECK_STR(s_reason(e, "/nodes/b/next"), "points to 'elsewhere', which is not a node");
    e = s_refuse("{\"name\":\"t\",\"start\":\"zz\",\"nodes\":{\"a\":{\"kind\":\"hangup\"}}}");
    CC_CHECK_STR(s_reason(e, "/start"), "points to 'zz', which is not a node");
}

CC_TEST(ivr_flow_refuses_unreachable_node)
{
    const ivr_flow_errors_t *e = s_refuse(S_HEAD "\"a\":{\"kind\":\"goto\",\"next\":\"b\"},"
                                                 "\"b\":{\"kind\":\"hangup\"},"
                                                 "\"orphan\":{\"kind\":\"goto\",\"next\":\"b\"}}}");
    CC_CHECK(e != NULL);
    CC_CHECK_INT(e->count, 1);
    CC_CHECK_STR(s_reason(e, "/nodes/orphan"), "unreachable from the start node 'a'");
}

CC_TEST(ivr_flow_refuses_missing_prompt)
{
    const ivr_flow_errors_t *e = s_refuse(
        S_HEAD
        "\"a\":{\"kind\":\"menu\",\"prompt\":\"main-menu\",\"invalid_prompt\":\"missing-oops\","
        "  \"options\":{\"1\":\"b\"}},"
        "\"b\":{\"kind\":\"play\",\"prompts\":[\"ok\",\"missing-two\"],\"next\":\"c\"},"
        "\"c\":{\"kind\":\"hangup\",\"prompts\":\"../etc/passwd\"}}}");
    CC_CHECK(e != NULL);
    CC_CHECK_STR(s_reason(e, "/nodes/a/invalid_prompt"),
                 "prompt 'missing-oops' not found for language 'en'");
    CC_CHECK_STR(s_reason(e, "/nodes/b/prompts/1"),
                 "prompt 'missing-two' not found for language 'en'");
    CC_CHECK_STR(s_reason(e, "/nodes/c/prompts"),
                 "'../etc/passwd' is not a prompt name (letters, digits, _ - . /)");
    /* A language with no prompts at all: the say set is checked too. */
    e = s_refuse("{\"name\":\"t\",\"language\":\"xx\",\"start\":\"a\",\"nodes\":{"
                 "\"a\":{\"kind\":\"play\",\"prompts\":[{\"digits\":\"${x}\"}],\"next\":\"b\"},"
                 "\"b\":{\"kind\":\"hangup\"}}}");
    CC_CHECK_STR(s_reason(e, "/nodes/a/prompts/0"), "prompt 'digit-0' not found for language 'xx'");
}

CC_TEST(ivr_flow_refuses_bad_schedule)
{
    const ivr_flow_errors_t *e = s_refuse(
        S_HEAD
        "\"a\":{\"kind\":\"schedule\",\"timezone\":\"Mars/Olympus\","
        "  \"hours\":[\"mon-fri 09:00-17:00\",\"mon-fry 9-5\"],\"holidays\":[\"2025-13-01\"],"
        "  \"open\":\"b\",\"closed\":\"b\"},"
        "\"b\":{\"kind\":\"hangup\"}}}");
    CC_CHECK(e != NULL);
    CC_CHECK_STR(s_reason(e, "/nodes/a/timezone"), "'Mars/Olympus' is not a known time zone");
    CC_CHECK_STR(s_reason(e, "/nodes/a/hours/1"),
                 "'mon-fry' is not a weekday or weekday range (mon..sun)");
    CC_CHECK_STR(s_reason(e, "/nodes/a/holidays/0"),
                 "'2025-13-01' is not a date YYYY-MM-DD or MM-DD");
    CC_CHECK(s_reason(e, "/nodes/a/hours/0") == NULL);
}

CC_TEST(ivr_flow_refuses_missing_required_keys)
{
    const ivr_flow_errors_t *e =
        s_refuse(S_HEAD "\"a\":{\"kind\":\"collect\",\"prompt\":\"p\",\"next\":\"b\"},"
                        "\"b\":{\"kind\":\"route\",\"to\":\"ext\"},"
                        "\"c\":{\"kind\":\"branch\",\"variable\":\"tier\",\"default\":\"b\"}}}");
    CC_CHECK(e != NULL);
    CC_CHECK_STR(s_reason(e, "/nodes/a"), "missing required key 'variable'");
    CC_CHECK_STR(s_reason(e, "/nodes/b"), "missing required key 'target'");
    CC_CHECK_STR(s_reason(e, "/nodes/c"), "missing required key 'cases'");
    e = s_refuse("{\"name\":\"t\",\"nodes\":{\"a\":{\"kind\":\"hangup\"}}}");
    CC_CHECK_STR(s_reason(e, "/"), "missing required key 'start'");
}

CC_TEST(ivr_flow_refuses_bad_values)
{
    const ivr_flow_errors_t *e = s_refuse(
        S_HEAD
        "\"a\":{\"kind\":\"menu\",\"prompt\":\"p\",\"options\":{\"12\":\"b\"},\"retries\":0,"
        "  \"nxt\":\"b\"},"
        "\"b\":{\"kind\":\"route\",\"to\":\"ext\",\"target\":\"1\",\"priority\":500},"
        "\"c\":{\"kind\":\"route\",\"to\":\"fax\",\"target\":\"x\"},"
        "\"d\":{\"kind\":\"collect\",\"prompt\":\"p\",\"variable\":\"acct\",\"min_digits\":6,"
        "  \"max_digits\":4,\"terminator\":\"x\",\"next\":\"b\"},"
        "\"e\":{\"kind\":\"set\",\"variable\":\"x\",\"value\":\"${oops\",\"next\":\"b\"}}}");
    CC_CHECK(e != NULL);
    CC_CHECK_STR(s_reason(e, "/nodes/a/options/12"), "'12' is not a key (one of 0-9 * #)");
    CC_CHECK_STR(s_reason(e, "/nodes/a/retries"), "must be an integer from 1 to 10");
    CC_CHECK_STR(s_reason(e, "/nodes/a/nxt"), "unknown key 'nxt'");
    CC_CHECK(s_reason(e, "/nodes/b/target") != NULL);
    CC_CHECK_STR(s_reason(e, "/nodes/b/priority"), "must be from 0 to 100");
    CC_CHECK_STR(s_reason(e, "/nodes/c/to"),
                 "'fax' is not a route kind (ext, queue, trunk, voicemail)");
    CC_CHECK_STR(s_reason(e, "/nodes/d/terminator"), "must be \"#\", \"*\" or \"\" (none)");
    CC_CHECK_STR(s_reason(e, "/nodes/e/value"), "'${' at position 0 is not closed by '}'");
}

CC_TEST(ivr_flow_refuses_bad_documents)
{
    const ivr_flow_errors_t *e = s_refuse("{\"name\":\"t\",");
    CC_CHECK(e != NULL);
    CC_CHECK_INT(e->count, 1);
    CC_CHECK_STR(e->items[0].path, "/");
    CC_CHECK(strncmp(e->items[0].reason, "not valid JSON: line 1", 22) == 0);
    e = s_refuse("[1,2]");
    CC_CHECK_STR(s_reason(e, "/"), "a flow must be a JSON object");
    e = s_refuse("{\"name\":\"t\",\"start\":\"a\",\"nodes\":{},\"colour\":\"red\"}");
    CC_CHECK_STR(s_reason(e, "/nodes"), "must be an object of node id -> node, with at least one");
    CC_CHECK_STR(s_reason(e, "/colour"), "unknown key 'colour'");
    e = s_refuse("{\"name\":\"t\",\"start\":\"a\",\"nodes\":{\"a\":{\"kind\":\"hangup\"},"
                 "\"a\":{\"kind\":\"hangup\"}}}");
    CC_CHECK(e != NULL); /* duplicate keys are refused, not silently merged */
    e = s_refuse("{\"name\":\"t\",\"language\":\"English\",\"start\":\"a b\","
                 "\"nodes\":{\"a b\":{\"kind\":\"hangup\"}}}");
    CC_CHECK(s_reason(e, "/language") != NULL);
    CC_CHECK_STR(s_reason(e, "/nodes/a b"),
                 "node id 'a b' must be 1-63 of letters, digits, _ and -");
}

CC_TEST(ivr_flow_reports_every_error_and_formats_them)
{
    const ivr_flow_errors_t *e = s_refuse(S_HEAD "\"a\":{\"kind\":\"goto\",\"next\":\"x1\"},"
                                                 "\"b\":{\"kind\":\"goto\",\"next\":\"x2\"},"
                                                 "\"c\":{\"kind\":\"goto\",\"next\":\"x3\"}}}");
    CC_CHECK(e != NULL);
    CC_CHECK_INT(e->count, 3);
    char text[1024];
    ivr_flow_errors_format(e, text, sizeof text);
    CC_CHECK_STR(text, "/nodes/a/next: points to 'x1', which is not a node\n"
                       "/nodes/b/next: points to 'x2', which is not a node\n"
                       "/nodes/c/next: points to 'x3', which is not a node\n");
    ivr_flow_errors_t none;
    CC_CHECK(ivr_flow_parse("{", NULL, NULL) == NULL); /* errors not wanted: fine */
    CC_CHECK(ivr_flow_parse("{", NULL, &none) == NULL);
    CC_CHECK_INT(none.count, 1);
}

CC_TEST(ivr_flow_escapes_paths)
{
    const ivr_flow_errors_t *e = s_refuse(
        S_HEAD "\"a\":{\"kind\":\"branch\",\"variable\":\"v\",\"cases\":{\"x/y~z\":\"nope\"},"
               "  \"default\":\"b\"},"
               "\"b\":{\"kind\":\"hangup\"}}}");
    CC_CHECK_STR(s_reason(e, "/nodes/a/cases/x~1y~0z"), "points to 'nope', which is not a node");
}

CC_TEST(ivr_flow_reference_outlives_the_owner)
{
    ivr_flow_t *live = ivr_fx_flow(S_HEAD "\"a\":{\"kind\":\"hangup\",\"prompts\":\"bye\"}}}");
    CC_CHECK(live != NULL);
    ivr_flow_t *held_by_call = ivr_flow_ref(live);
    ivr_flow_destroy(&live); /* a reload replaces the live version */
    CC_CHECK(live == NULL);
    CC_CHECK_STR(ivr_flow_node(held_by_call, 0)->u.hangup.prompts.items[0].text, "bye");
    ivr_flow_destroy(&held_by_call);
    ivr_flow_destroy(&held_by_call); /* NULL: nothing */
}

CC_TEST(ivr_flow_branch_prefix_match_is_checked)
{
    ivr_flow_t *ok = ivr_fx_flow(
        S_HEAD "\"a\":{\"kind\":\"branch\",\"variable\":\"caller\",\"match\":\"prefix\","
               "  \"cases\":{\"+44\":\"b\",\"030\":\"b\"},\"default\":\"b\"},"
               "\"b\":{\"kind\":\"hangup\"}}}");
    CC_CHECK(ok != NULL);
    CC_CHECK(ivr_flow_node(ok, 0)->u.branch.prefix);
    ivr_flow_destroy(&ok);
    const ivr_flow_errors_t *e =
        s_refuse(S_HEAD "\"a\":{\"kind\":\"branch\",\"variable\":\"caller\",\"match\":\"prefix\","
                        "  \"cases\":{\"4+4\":\"b\"},\"default\":\"b\"},"
                        "\"b\":{\"kind\":\"hangup\"}}}");
    CC_CHECK_STR(s_reason(e, "/nodes/a/cases/4+4"),
                 "not a number prefix (1-32 of 0-9 * # after an optional +)");
    e = s_refuse(S_HEAD "\"a\":{\"kind\":\"branch\",\"variable\":\"caller\",\"match\":\"glob\","
                        "  \"cases\":{\"1\":\"b\"},\"default\":\"b\"},"
                        "\"b\":{\"kind\":\"hangup\"}}}");
    CC_CHECK_STR(s_reason(e, "/nodes/a/match"), "must be exact or prefix, not 'glob'");
}
