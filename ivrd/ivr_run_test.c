/* ivr_run_test.c - the interpreter on small inline flows: digit collection (terminator,
 * inter-digit timeout, too few digits, max digits, private input), lookup with a branch on
 * the caller's tier, lookup timeouts and late results, surveys, numbers read out, route
 * variables and failures, the guard against flows that loop without waiting, and prompts
 * asked for again when the media comes back after a mediad restart. */
#include <stdlib.h>

#include "cc_test.h"
#include "ivr_run_fixture.h"
#include "ivr_run.h"

#define T0 1000000LL

typedef struct {
    ivr_flow_t *flow;
    ivr_run_t *run;
    ivr_actions_t *out;
} s_call_t;

/* Parses json and starts a call at T0 from caller 5551234 with the given variables. */
static bool s_call(s_call_t *c, const char *json, const ivr_var_t *vars, size_t n)
{
    c->flow = ivr_fx_flow(json);
    c->run = c->flow ? ivr_run_new(c->flow, ivr_fx_to_local) : NULL;
    c->out = ivr_actions_new();
    return c->run && c->out && ivr_run_start(c->run, T0, "5551234", vars, n, c->out) == 0;
}

static void s_hang(s_call_t *c)
{
    ivr_run_destroy(&c->run);
    ivr_flow_destroy(&c->flow);
    ivr_actions_destroy(&c->out);
}

static const char *s_var(const s_call_t *c, const char *name)
{
    return ivr_vars_get(ivr_run_vars(c->run), name);
}

#define S_COLLECT_FLOW                                                                             \
    "{\"name\":\"c\",\"start\":\"acct\",\"nodes\":{"                                               \
    "\"acct\":{\"kind\":\"collect\",\"prompt\":\"enter-account\",\"min_digits\":3,"                \
    "  \"max_digits\":5,\"timeout\":4,\"inter_digit_timeout\":2,\"retries\":2,"                    \
    "  \"variable\":\"account\",\"invalid_prompt\":\"invalid\",\"next\":\"done\","                 \
    "  \"fallback\":\"bye\"},"                                                                     \
    "\"done\":{\"kind\":\"play\",\"prompts\":[\"you-entered\",{\"digits\":\"${account}\"}],"       \
    "  \"next\":\"bye\"},"                                                                         \
    "\"bye\":{\"kind\":\"hangup\"}}}"

CC_TEST(ivr_run_collect_with_terminator)
{
    s_call_t c;
    CC_CHECK(s_call(&c, S_COLLECT_FLOW, NULL, 0));
    CC_CHECK_STR(ivr_fx_text(c.out), "step acct - 1000000\nplay 1 barge enter-account\n");
    ivr_run_digit(c.run, '4', T0 + 500, c.out); /* barge-in: first digit stops the prompt */
    CC_CHECK_STR(ivr_fx_text(c.out), "stop\ntimer 1002500\n");
    ivr_run_digit(c.run, '0', T0 + 1000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "timer 1003000\n");
    ivr_run_digit(c.run, '2', T0 + 1500, c.out);
    ivr_run_digit(c.run, '#', T0 + 2000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "timer 0\n"
                                     "step acct digits:402 1002000\n"
                                     "step done - 1002000\n"
                                     "play 2 you-entered,digit-4,digit-0,digit-2\n");
    CC_CHECK_STR(s_var(&c, "account"), "402");
    ivr_run_prompt_done(c.run, 1, T0 + 2100, c.out); /* the stopped first prompt */
    CC_CHECK_INT(ivr_actions_size(c.out), 0);
    ivr_run_prompt_done(c.run, 2, T0 + 4000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "step bye - 1004000\nstep bye end 1004000\nhangup\n");
    s_hang(&c);
}

CC_TEST(ivr_run_collect_ends_on_inter_digit_timeout_and_max_digits)
{
    s_call_t c;
    CC_CHECK(s_call(&c, S_COLLECT_FLOW, NULL, 0));
    ivr_run_prompt_done(c.run, 1, T0 + 3000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "timer 1007000\n"); /* first digit within 4 s */
    ivr_run_digit(c.run, '1', T0 + 4000, c.out);
    ivr_run_digit(c.run, '2', T0 + 5000, c.out);
    ivr_run_digit(c.run, '3', T0 + 6000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "timer 1008000\n");
    ivr_run_timer(c.run, T0 + 8000, c.out); /* 2 s of silence ends the number */
    CC_CHECK_STR(ivr_fx_text(c.out), "step acct digits:123 1008000\n"
                                     "step done - 1008000\n"
                                     "play 2 you-entered,digit-1,digit-2,digit-3\n");
    s_hang(&c);

    CC_CHECK(s_call(&c, S_COLLECT_FLOW, NULL, 0));
    const char *keys = "987654";
    for (int i = 0; i < 5; i++)
        ivr_run_digit(c.run, keys[i], T0 + 100 * i, c.out);
    CC_CHECK_STR(s_var(&c, "account"), "98765");    /* the fifth digit completes it */
    ivr_run_digit(c.run, keys[5], T0 + 600, c.out); /* the sixth is not a barge-in */
    CC_CHECK_INT(ivr_actions_size(c.out), 0);
    s_hang(&c);
}

CC_TEST(ivr_run_collect_too_short_retries_then_falls_back)
{
    s_call_t c;
    CC_CHECK(s_call(&c, S_COLLECT_FLOW, NULL, 0));
    ivr_run_digit(c.run, '1', T0 + 100, c.out);
    ivr_run_digit(c.run, '#', T0 + 200, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "timer 0\n"
                                     "step acct invalid:1 1000200\n"
                                     "play 2 barge invalid,enter-account\n");
    ivr_run_prompt_done(c.run, 2, T0 + 3000, c.out);
    ivr_run_timer(c.run, T0 + 7000, c.out); /* second failure: retries are 2 */
    CC_CHECK_STR(ivr_fx_text(c.out), "step acct timeout 1007000\n"
                                     "step acct fallback 1007000\n"
                                     "step bye - 1007000\n"
                                     "step bye end 1007000\n"
                                     "hangup\n");
    CC_CHECK(s_var(&c, "account") == NULL);
    s_hang(&c);
}

CC_TEST(ivr_run_collect_private_input_is_not_recorded)
{
    s_call_t c;
    CC_CHECK(s_call(&c,
                    "{\"name\":\"p\",\"start\":\"pin\",\"nodes\":{"
                    "\"pin\":{\"kind\":\"collect\",\"prompt\":\"enter-pin\",\"min_digits\":4,"
                    "  \"max_digits\":4,\"terminator\":\"\",\"private\":true,"
                    "  \"variable\":\"pin\",\"next\":\"bye\"},"
                    "\"bye\":{\"kind\":\"hangup\"}}}",
                    NULL, 0));
    ivr_run_digit(c.run, '#', T0 + 100, c.out); /* no terminator here: # is a digit */
    ivr_run_digit(c.run, '1', T0 + 200, c.out);
    ivr_run_digit(c.run, '2', T0 + 300, c.out);
    ivr_run_digit(c.run, '3', T0 + 400, c.out);
    CC_CHECK_STR(s_var(&c, "pin"), "#123");
    CC_CHECK_STR(ivr_fx_path(c.run), "pin:- pin:digits:<4 digits> bye:- bye:end");
    s_hang(&c);
}

#define S_LOOKUP_FLOW                                                                              \
    "{\"name\":\"l\",\"start\":\"who\",\"nodes\":{"                                                \
    "\"who\":{\"kind\":\"lookup\",\"table\":\"customers\",\"timeout\":2,\"next\":\"tier\","        \
    "  \"not_found\":\"std\"},"                                                                    \
    "\"tier\":{\"kind\":\"branch\",\"variable\":\"tier\",\"cases\":{\"VIP\":\"vip\"},"             \
    "  \"default\":\"std\"},"                                                                      \
    "\"vip\":{\"kind\":\"set\",\"variable\":\"priority\",\"value\":\"90\",\"next\":\"q\"},"        \
    "\"std\":{\"kind\":\"goto\",\"next\":\"q\"},"                                                  \
    "\"q\":{\"kind\":\"route\",\"to\":\"queue\",\"target\":\"support\","                           \
    "  \"priority\":\"${priority}\",\"skill\":\"${skill}\"}}}"

CC_TEST(ivr_run_lookup_branches_on_vip_tier)
{
    s_call_t c;
    const ivr_var_t in[] = {{"skill", "billing"}};
    CC_CHECK(s_call(&c, S_LOOKUP_FLOW, in, 1));
    CC_CHECK_STR(ivr_fx_text(c.out), "step who - 1000000\n"
                                     "lookup 1 customers 5551234\n"
                                     "timer 1002000\n");
    const ivr_var_t rec[] = {{"name", "Ada Lovelace"}, {"tier", "VIP"}};
    ivr_run_lookup_result(c.run, 1, true, rec, 2, T0 + 40, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "timer 0\n"
                                     "step who found 1000040\n"
                                     "step tier case:VIP 1000040\n"
                                     "step vip - 1000040\n"
                                     "step q route:queue:support 1000040\n"
                                     "route queue support 90 billing\n");
    const ivr_action_t *route = ivr_actions_at(c.out, 5);
    CC_CHECK_INT(route->var_count, 5); /* caller, skill, name, tier, priority */
    CC_CHECK_STR(s_var(&c, "name"), "Ada Lovelace");
    ivr_run_timer(c.run, T0 + 2000, c.out); /* the disarmed lookup timer */
    CC_CHECK_INT(ivr_actions_size(c.out), 0);
    s_hang(&c);
}

CC_TEST(ivr_run_lookup_not_found_timeout_and_late_result)
{
    s_call_t c;
    CC_CHECK(s_call(&c, S_LOOKUP_FLOW, NULL, 0));
    ivr_run_lookup_result(c.run, 1, false, NULL, 0, T0 + 30, c.out);
    CC_CHECK_STR(ivr_fx_path(c.run), "who:- who:not_found std:- q:route:queue:support");
    const ivr_action_t *route = ivr_actions_at(c.out, ivr_actions_size(c.out) - 1);
    CC_CHECK_INT(route->kind, IVR_ACT_ROUTE);
    CC_CHECK_INT(route->priority, 0); /* ${priority} unset */
    CC_CHECK_STR(route->skill, "");
    s_hang(&c);

    CC_CHECK(s_call(&c, S_LOOKUP_FLOW, NULL, 0));
    ivr_run_timer(c.run, T0 + 2000, c.out);
    CC_CHECK_STR(ivr_fx_path(c.run), "who:- who:timeout std:- q:route:queue:support");
    const ivr_var_t rec[] = {{"tier", "VIP"}};
    ivr_run_lookup_result(c.run, 1, true, rec, 1, T0 + 2500, c.out); /* too late */
    CC_CHECK_INT(ivr_actions_size(c.out), 0);
    CC_CHECK(s_var(&c, "tier") == NULL);
    s_hang(&c);
}

#define S_SURVEY_FLOW                                                                              \
    "{\"name\":\"s\",\"start\":\"q\",\"nodes\":{"                                                  \
    "\"q\":{\"kind\":\"route\",\"to\":\"ext\",\"target\":\"1001\",\"then\":\"rate\","              \
    "  \"failed\":\"sorry\"},"                                                                     \
    "\"rate\":{\"kind\":\"survey\",\"prompt\":\"rate-us\",\"invalid_prompt\":\"one-to-five\","     \
    "  \"thanks_prompt\":\"thanks\",\"question\":\"agent-score\"},"                                \
    "\"sorry\":{\"kind\":\"hangup\",\"prompts\":\"all-busy\"}}}"

CC_TEST(ivr_run_survey_after_the_agent_hangs_up)
{
    s_call_t c;
    CC_CHECK(s_call(&c, S_SURVEY_FLOW, NULL, 0));
    CC_CHECK_STR(ivr_fx_text(c.out), "step q route:ext:1001 1000000\nroute ext 1001 0 \n");
    ivr_run_route_ended(c.run, true, T0 + 60000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "step q route_ended 1060000\n"
                                     "step rate - 1060000\n"
                                     "play 1 barge rate-us\n");
    ivr_run_digit(c.run, '9', T0 + 61000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "stop\n"
                                     "step rate invalid:9 1061000\n"
                                     "play 2 barge one-to-five,rate-us\n");
    ivr_run_digit(c.run, '4', T0 + 62000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "stop\n"
                                     "step rate score:4 1062000\n"
                                     "survey agent-score 4\n"
                                     "play 3 thanks\n");
    const ivr_action_t *survey = ivr_actions_at(c.out, 2);
    CC_CHECK_INT(survey->score, 4);
    ivr_run_prompt_done(c.run, 3, T0 + 63000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "step rate end 1063000\nhangup\n");
    s_hang(&c);
}

CC_TEST(ivr_run_survey_without_answer_and_failed_route)
{
    s_call_t c;
    CC_CHECK(s_call(&c, S_SURVEY_FLOW, NULL, 0));
    ivr_run_route_ended(c.run, true, T0, c.out);
    ivr_run_prompt_done(c.run, 1, T0 + 1000, c.out);
    ivr_run_timer(c.run, T0 + 6000, c.out);
    ivr_run_prompt_done(c.run, 2, T0 + 8000, c.out);
    ivr_run_timer(c.run, T0 + 13000, c.out); /* second timeout: default retries 2 */
    CC_CHECK_STR(ivr_fx_path(c.run), "q:route:ext:1001 q:route_ended rate:- rate:timeout "
                                     "rate:timeout rate:fallback rate:end");
    CC_CHECK(ivr_run_done(c.run));
    s_hang(&c);

    CC_CHECK(s_call(&c, S_SURVEY_FLOW, NULL, 0));
    ivr_run_route_ended(c.run, false, T0 + 30000, c.out); /* nobody answered */
    CC_CHECK_STR(ivr_fx_text(c.out), "step q route_failed 1030000\n"
                                     "step sorry - 1030000\n"
                                     "play 1 all-busy\n");
    s_hang(&c);
}

CC_TEST(ivr_run_reads_numbers_from_variables)
{
    s_call_t c;
    const ivr_var_t in[] = {{"waiting", "42"}};
    CC_CHECK(s_call(&c,
                    "{\"name\":\"n\",\"start\":\"a\",\"nodes\":{"
                    "\"a\":{\"kind\":\"play\",\"prompts\":[\"callers-ahead\","
                    "  {\"number\":\"${waiting}\"},{\"number\":\"${unset}\"}],\"next\":\"b\"},"
                    "\"b\":{\"kind\":\"hangup\"}}}",
                    in, 1));
    CC_CHECK_STR(ivr_fx_text(c.out), "step a - 1000000\nplay 1 callers-ahead,num-40,num-2\n");
    s_hang(&c);
}

CC_TEST(ivr_run_stops_a_flow_that_loops_without_waiting)
{
    s_call_t c;
    CC_CHECK(s_call(&c,
                    "{\"name\":\"l\",\"start\":\"a\",\"nodes\":{"
                    "\"a\":{\"kind\":\"set\",\"variable\":\"x\",\"value\":\"1\","
                    "  \"next\":\"b\"},"
                    "\"b\":{\"kind\":\"branch\",\"variable\":\"x\",\"cases\":{\"2\":\"c\"},"
                    "  \"default\":\"a\"},"
                    "\"c\":{\"kind\":\"hangup\"}}}",
                    NULL, 0));
    CC_CHECK(ivr_run_done(c.run));
    const ivr_action_t *last = ivr_actions_at(c.out, ivr_actions_size(c.out) - 1);
    CC_CHECK_INT(last->kind, IVR_ACT_HANGUP);
    const ivr_action_t *loop = ivr_actions_at(c.out, ivr_actions_size(c.out) - 2);
    CC_CHECK_STR(loop->input, "loop");
    CC_CHECK_INT(ivr_run_path_size(c.run), 101);
    s_hang(&c);
}

CC_TEST(ivr_run_route_without_target_takes_failed_path)
{
    s_call_t c;
    CC_CHECK(s_call(&c,
                    "{\"name\":\"r\",\"start\":\"a\",\"nodes\":{"
                    "\"a\":{\"kind\":\"route\",\"to\":\"ext\",\"target\":\"${agent}\","
                    "  \"failed\":\"b\"},"
                    "\"b\":{\"kind\":\"route\",\"to\":\"trunk\",\"target\":\"+3315550000\"}}}",
                    NULL, 0));
    CC_CHECK_STR(ivr_fx_text(c.out), "step a route:no-target 1000000\n"
                                     "step b route:trunk:+3315550000 1000000\n"
                                     "route trunk +3315550000 0 \n");
    ivr_run_start(c.run, T0 + 5, "x", NULL, 0, c.out); /* a second start is ignored */
    CC_CHECK_INT(ivr_actions_size(c.out), 0);
    s_hang(&c);
}

CC_TEST(ivr_run_call_keeps_its_flow_version)
{
    s_call_t c;
    CC_CHECK(s_call(&c, S_COLLECT_FLOW, NULL, 0));
    ivr_flow_destroy(&c.flow); /* the live flow is replaced by a reload */
    ivr_run_digit(c.run, '1', T0 + 100, c.out);
    ivr_run_digit(c.run, '2', T0 + 200, c.out);
    ivr_run_digit(c.run, '3', T0 + 300, c.out);
    ivr_run_digit(c.run, '#', T0 + 400, c.out);
    CC_CHECK_STR(ivr_run_node(c.run), "done");
    CC_CHECK_INT(ivr_flow_version(ivr_run_flow(c.run)), 7);
    s_hang(&c);
}

CC_TEST(ivr_run_media_restored_asks_a_collect_again)
{
    s_call_t c;
    CC_CHECK(s_call(&c, S_COLLECT_FLOW, NULL, 0));
    /* the prompt ends, the caller starts typing; mediad dies with "40" in (keys pressed
     * meanwhile never arrive) and is back at +3 s */
    ivr_run_prompt_done(c.run, 1, T0 + 1000, c.out);
    ivr_run_digit(c.run, '4', T0 + 1500, c.out);
    ivr_run_digit(c.run, '0', T0 + 1800, c.out);
    ivr_run_media_restored(c.run, T0 + 3000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "step acct media_restored 1003000\n"
                                     "timer 0\n"
                                     "play 2 barge enter-account\n");
    ivr_run_timer(c.run, T0 + 3800, c.out); /* the old inter-digit deadline: gone */
    CC_CHECK_INT(ivr_actions_size(c.out), 0);
    ivr_run_prompt_done(c.run, 1, T0 + 3900, c.out); /* the lost play: ignored */
    CC_CHECK_INT(ivr_actions_size(c.out), 0);
    ivr_run_prompt_done(c.run, 2, T0 + 6000, c.out); /* the timeout counts from here */
    CC_CHECK_STR(ivr_fx_text(c.out), "timer 1010000\n");
    ivr_run_digit(c.run, '1', T0 + 7000, c.out);
    ivr_run_digit(c.run, '2', T0 + 7100, c.out);
    ivr_run_digit(c.run, '3', T0 + 7200, c.out);
    ivr_run_digit(c.run, '#', T0 + 7300, c.out);
    CC_CHECK_STR(s_var(&c, "account"), "123");
    CC_CHECK_STR(ivr_fx_path(c.run), "acct:- acct:media_restored acct:digits:123 done:-");
    s_hang(&c);
}

CC_TEST(ivr_run_media_restored_replays_what_was_cut_off)
{
    s_call_t c;
    /* a retry's lead-in and prompt, cut off: both again from the start, with barge-in */
    CC_CHECK(s_call(&c, S_COLLECT_FLOW, NULL, 0));
    ivr_run_digit(c.run, '1', T0 + 100, c.out);
    ivr_run_digit(c.run, '#', T0 + 200, c.out);
    ivr_run_media_restored(c.run, T0 + 2000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "step acct media_restored 1002000\n"
                                     "play 3 barge invalid,enter-account\n");
    ivr_run_digit(c.run, '5', T0 + 2500, c.out); /* barge-in as before */
    CC_CHECK_STR(ivr_fx_text(c.out), "stop\ntimer 1004500\n");
    s_hang(&c);

    /* a play node: again from its first prompt, same barge-in, then on as before */
    CC_CHECK(s_call(&c,
                    "{\"name\":\"g\",\"start\":\"hi\",\"nodes\":{"
                    "\"hi\":{\"kind\":\"play\",\"prompts\":[\"welcome\",\"options\"],"
                    "  \"barge_in\":true,\"next\":\"bye\"},"
                    "\"bye\":{\"kind\":\"hangup\",\"prompts\":\"goodbye\"}}}",
                    NULL, 0));
    ivr_run_media_restored(c.run, T0 + 1000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "step hi media_restored 1001000\n"
                                     "play 2 barge welcome,options\n");
    ivr_run_prompt_done(c.run, 2, T0 + 5000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "step bye - 1005000\nplay 3 goodbye\n");
    ivr_run_media_restored(c.run, T0 + 5500, c.out); /* the hangup's prompt, no barge-in */
    CC_CHECK_STR(ivr_fx_text(c.out), "step bye media_restored 1005500\nplay 4 goodbye\n");
    ivr_run_prompt_done(c.run, 3, T0 + 6000, c.out);
    CC_CHECK(!ivr_run_done(c.run));
    ivr_run_prompt_done(c.run, 4, T0 + 7000, c.out);
    CC_CHECK(ivr_run_done(c.run));
    s_hang(&c);
}

CC_TEST(ivr_run_media_restored_leaves_lookups_and_routes_alone)
{
    s_call_t c;
    CC_CHECK(s_call(&c, S_LOOKUP_FLOW, NULL, 0));
    ivr_run_media_restored(c.run, T0 + 500, c.out); /* waiting for the database */
    CC_CHECK_INT(ivr_actions_size(c.out), 0);
    CC_CHECK_INT(ivr_run_deadline(c.run), T0 + 2000);
    ivr_run_lookup_result(c.run, 1, false, NULL, 0, T0 + 600, c.out);
    ivr_run_media_restored(c.run, T0 + 700, c.out); /* routed: the queue's business */
    CC_CHECK_INT(ivr_actions_size(c.out), 0);
    CC_CHECK_STR(ivr_fx_path(c.run), "who:- who:not_found std:- q:route:queue:support");
    s_hang(&c);
}

/* Routing by the caller's prefix: a branch with "match": "prefix" takes the longest case
 * the value starts with (the caller 5551234 here, a set variable after). */
#define S_PREFIX_FLOW                                                                              \
    "{\"name\":\"p\",\"start\":\"by\",\"nodes\":{"                                                 \
    "\"by\":{\"kind\":\"branch\",\"variable\":\"caller\",\"match\":\"prefix\","                    \
    "  \"cases\":{\"555\":\"wide\",\"5551\":\"near\",\"+44\":\"uk\"},\"default\":\"far\"},"        \
    "\"near\":{\"kind\":\"set\",\"variable\":\"x\",\"value\":\"+442071\",\"next\":\"by2\"},"       \
    "\"by2\":{\"kind\":\"branch\",\"variable\":\"x\",\"match\":\"prefix\","                        \
    "  \"cases\":{\"555\":\"wide\",\"+44\":\"uk\"},\"default\":\"far\"},"                          \
    "\"wide\":{\"kind\":\"hangup\"},\"uk\":{\"kind\":\"hangup\"},\"far\":{\"kind\":\"hangup\"}}}"

CC_TEST(ivr_run_branch_on_the_callers_prefix)
{
    s_call_t c;
    CC_CHECK(s_call(&c, S_PREFIX_FLOW, NULL, 0));
    CC_CHECK_STR(ivr_fx_path(c.run), "by:case:5551 near:- by2:case:+44 uk:- uk:end");
    s_hang(&c);
}
