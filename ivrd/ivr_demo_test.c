/* ivr_demo_test.c - the example flows shipped in deploy/ivr/ validate, and issue 4's demo
 * (number 500: greeting; 1 -> ext 1001, 2 -> support queue, 0 -> operator ext 1000; closed
 * outside hours) walked through event by event: invalid key, three timeouts, barge-in,
 * closed and holiday, and the recorded path. */
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc_test.h"
#include "ivr_run_fixture.h"
#include "ivr_run.h"
#include "ivr_tz.h"

/* deploy/ivr/<name>: found from the test binary (build/<variant>/test/) or the cwd. */
static char *s_read_example(const char *name)
{
    char exe[PATH_MAX] = "", path[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *top = dirname(dirname(dirname(dirname(exe))));
        snprintf(path, sizeof path, "%s/deploy/ivr/%s", top, name);
        char *text = ivr_fx_read_file(path);
        if (text)
            return text;
    }
    const char *const prefixes[] = {"", "../", "../../"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%sdeploy/ivr/%s", prefixes[i], name);
        char *text = ivr_fx_read_file(path);
        if (text)
            return text;
    }
    return NULL;
}

static ivr_flow_t *s_load(const char *name)
{
    char *text = s_read_example(name);
    if (!text) {
        fprintf(stderr, "cannot find deploy/ivr/%s\n", name);
        return NULL;
    }
    ivr_flow_t *flow = ivr_fx_flow(text);
    free(text);
    return flow;
}

static bool s_real_zone(const char *zone, void *ctx)
{
    (void)ctx;
    return ivr_tz_exists(zone);
}

/* Monday 2025-06-02 10:00 UTC: the demo is open. */
#define T0 1748858400000LL

typedef struct {
    ivr_flow_t *flow;
    ivr_run_t *run;
    ivr_actions_t *out;
} s_call_t;

static bool s_call(s_call_t *c, int64_t start)
{
    c->flow = s_load("main.json");
    c->run = c->flow ? ivr_run_new(c->flow, ivr_fx_to_local) : NULL;
    c->out = ivr_actions_new();
    return c->run && c->out && ivr_run_start(c->run, start, "+33612345678", NULL, 0, c->out) == 0;
}

static void s_hang(s_call_t *c)
{
    ivr_run_destroy(&c->run);
    ivr_flow_destroy(&c->flow);
    ivr_actions_destroy(&c->out);
}

CC_TEST(ivr_demo_examples_validate)
{
    CC_CHECK_INT(ivr_fx_utc(2025, 6, 2, 10, 0, 0), T0);
    ivr_flow_t *main_flow = s_load("main.json");
    CC_CHECK(main_flow != NULL);
    CC_CHECK_STR(ivr_flow_name(main_flow), "main");
    ivr_flow_destroy(&main_flow);
    ivr_flow_t *vip = s_load("vip-support.json");
    CC_CHECK(vip != NULL);
    ivr_flow_destroy(&vip);
    /* Against the real tz database too, not only the test's zone list. */
    char *text = s_read_example("vip-support.json");
    CC_CHECK(text != NULL);
    ivr_flow_env_t env = {.zone_exists = s_real_zone};
    vip = ivr_flow_parse(text, &env, NULL);
    free(text);
    CC_CHECK(vip != NULL);
    ivr_flow_destroy(&vip);
}

CC_TEST(ivr_demo_invalid_key_then_support_with_barge_in)
{
    s_call_t c;
    CC_CHECK(s_call(&c, T0));
    CC_CHECK_STR(ivr_fx_text(c.out), "step hours open 1748858400000\n"
                                     "step greeting - 1748858400000\n"
                                     "play 1 barge welcome\n");
    CC_CHECK_INT(ivr_run_prompt_done(c.run, 1, T0 + 3000, c.out), 0);
    CC_CHECK_STR(ivr_fx_text(c.out), "step menu - 1748858403000\nplay 2 barge main-menu\n");
    ivr_run_prompt_done(c.run, 2, T0 + 6000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "timer 1748858411000\n"); /* 5 s to answer */
    ivr_run_digit(c.run, '7', T0 + 7000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "timer 0\n"
                                     "step menu invalid:7 1748858407000\n"
                                     "play 3 barge invalid-choice,main-menu\n");
    /* 2 during the repeated menu: the prompt stops and the key counts. */
    ivr_run_digit(c.run, '2', T0 + 8000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "stop\n"
                                     "step menu key:2 1748858408000\n"
                                     "step support - 1748858408000\n"
                                     "play 4 please-hold\n");
    ivr_run_prompt_done(c.run, 3, T0 + 8100, c.out); /* the stopped prompt reports late */
    CC_CHECK_INT(ivr_actions_size(c.out), 0);
    ivr_run_digit(c.run, '5', T0 + 8200, c.out); /* please-hold cannot be interrupted */
    CC_CHECK_INT(ivr_actions_size(c.out), 0);
    ivr_run_prompt_done(c.run, 4, T0 + 10000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "step support-queue route:queue:support 1748858410000\n"
                                     "route queue support 0 \n");
    const ivr_action_t *route = ivr_actions_at(c.out, 1);
    CC_CHECK_INT(route->var_count, 1);
    CC_CHECK_STR(route->vars[0].name, "caller");
    CC_CHECK_STR(route->vars[0].value, "+33612345678");
    ivr_run_hangup(c.run, T0 + 90000, c.out);
    CC_CHECK(ivr_run_done(c.run));
    CC_CHECK_STR(ivr_fx_path(c.run), "hours:open greeting:- menu:- menu:invalid:7 menu:key:2 "
                                     "support:- support-queue:route:queue:support "
                                     "support-queue:hangup");
    ivr_step_t step = ivr_run_path_at(c.run, 4);
    CC_CHECK_STR(step.node, "menu");
    CC_CHECK_INT(step.at, T0 + 8000);
    s_hang(&c);
}

CC_TEST(ivr_demo_three_timeouts_fall_back_to_operator)
{
    s_call_t c;
    CC_CHECK(s_call(&c, T0));
    ivr_run_prompt_done(c.run, 1, T0 + 3000, c.out);
    ivr_run_prompt_done(c.run, 2, T0 + 6000, c.out);
    ivr_run_timer(c.run, T0 + 10000, c.out); /* early: ignored */
    CC_CHECK_INT(ivr_actions_size(c.out), 0);
    ivr_run_timer(c.run, T0 + 11000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "step menu timeout 1748858411000\n"
                                     "play 3 barge no-input,main-menu\n");
    ivr_run_prompt_done(c.run, 3, T0 + 15000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "timer 1748858420000\n");
    ivr_run_timer(c.run, T0 + 20000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "step menu timeout 1748858420000\n"
                                     "play 4 barge no-input,main-menu\n");
    ivr_run_prompt_done(c.run, 4, T0 + 24000, c.out);
    ivr_run_timer(c.run, T0 + 29000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "step menu timeout 1748858429000\n"
                                     "step menu fallback 1748858429000\n"
                                     "play 5 no-input\n");
    ivr_run_digit(c.run, '1', T0 + 29500, c.out); /* too late to choose */
    CC_CHECK_INT(ivr_actions_size(c.out), 0);
    ivr_run_prompt_done(c.run, 5, T0 + 31000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "step operator route:ext:1000 1748858431000\n"
                                     "route ext 1000 0 \n");
    CC_CHECK_STR(ivr_fx_path(c.run), "hours:open greeting:- menu:- menu:timeout menu:timeout "
                                     "menu:timeout menu:fallback operator:route:ext:1000");
    s_hang(&c);
}

CC_TEST(ivr_demo_key_during_greeting_goes_straight_through)
{
    s_call_t c;
    CC_CHECK(s_call(&c, T0));
    ivr_run_digit(c.run, '1', T0 + 1000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "stop\n"
                                     "step greeting barge:1 1748858401000\n"
                                     "step menu - 1748858401000\n"
                                     "step menu typeahead:1 1748858401000\n"
                                     "step menu key:1 1748858401000\n"
                                     "step sales route:ext:1001 1748858401000\n"
                                     "route ext 1001 0 \n");
    ivr_run_prompt_done(c.run, 1, T0 + 1100, c.out);
    CC_CHECK_INT(ivr_actions_size(c.out), 0);
    s_hang(&c);
}

CC_TEST(ivr_demo_closed_outside_hours_and_on_holidays)
{
    /* Monday 2025-06-02 17:00 UTC: closing time. */
    s_call_t c;
    CC_CHECK(s_call(&c, ivr_fx_utc(2025, 6, 2, 17, 0, 0)));
    CC_CHECK_STR(ivr_fx_text(c.out), "step hours closed 1748883600000\n"
                                     "step closed - 1748883600000\n"
                                     "play 1 closed\n");
    ivr_run_digit(c.run, '1', ivr_fx_utc(2025, 6, 2, 17, 0, 1), c.out);
    CC_CHECK_INT(ivr_actions_size(c.out), 0);
    ivr_run_prompt_done(c.run, 1, ivr_fx_utc(2025, 6, 2, 17, 0, 4), c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "step closed end 1748883604000\nhangup\n");
    CC_CHECK(ivr_run_done(c.run));
    s_hang(&c);
    /* Saturday morning. */
    CC_CHECK(s_call(&c, ivr_fx_utc(2025, 6, 7, 10, 0, 0)));
    CC_CHECK_STR(ivr_fx_path(c.run), "hours:closed closed:-");
    s_hang(&c);
    /* Christmas 2025 is a Thursday: a holiday, which this flow treats as closed. */
    CC_CHECK(s_call(&c, ivr_fx_utc(2025, 12, 25, 10, 0, 0)));
    CC_CHECK_STR(ivr_fx_path(c.run), "hours:holiday closed:-");
    s_hang(&c);
}

CC_TEST(ivr_demo_caller_hangs_up_in_the_menu)
{
    s_call_t c;
    CC_CHECK(s_call(&c, T0));
    ivr_run_prompt_done(c.run, 1, T0 + 3000, c.out);
    ivr_run_hangup(c.run, T0 + 4000, c.out);
    CC_CHECK_STR(ivr_fx_text(c.out), "step menu hangup 1748858404000\n");
    CC_CHECK(ivr_run_done(c.run));
    ivr_run_digit(c.run, '1', T0 + 5000, c.out); /* nothing happens after the end */
    ivr_run_prompt_done(c.run, 2, T0 + 5000, c.out);
    ivr_run_timer(c.run, T0 + 99000, c.out);
    CC_CHECK_INT(ivr_actions_size(c.out), 0);
    CC_CHECK_STR(ivr_fx_path(c.run), "hours:open greeting:- menu:- menu:hangup");
    s_hang(&c);
}

/* The richer example: a VIP caller on a weekday in Paris reaches the support queue with
 * priority 90 and skill vip, then rates the call. Real tz database conversion. */
CC_TEST(ivr_demo_vip_example_walk)
{
    ivr_flow_t *flow = s_load("vip-support.json");
    CC_CHECK(flow != NULL);
    ivr_run_t *run = ivr_run_new(flow, NULL);
    ivr_actions_t *out = ivr_actions_new();
    int64_t t = ivr_fx_utc(2025, 6, 2, 8, 0, 0); /* 10:00 in Paris, summer time */
    CC_CHECK_INT(ivr_run_start(run, t, "+33612345678", NULL, 0, out), 0);
    CC_CHECK_STR(ivr_fx_text(out), "step hours open 1748851200000\n"
                                   "step who - 1748851200000\n"
                                   "lookup 1 customers +33612345678\n"
                                   "timer 1748851202000\n");
    const ivr_var_t rec[] = {{"name", "Ada"}, {"tier", "VIP"}};
    ivr_run_lookup_result(run, 1, true, rec, 2, t + 50, out);
    const ivr_action_t *route = ivr_actions_at(out, ivr_actions_size(out) - 1);
    CC_CHECK_INT(route->kind, IVR_ACT_ROUTE);
    CC_CHECK_STR(route->target, "support");
    CC_CHECK_INT(route->priority, 90);
    CC_CHECK_STR(route->skill, "vip");
    ivr_run_route_ended(run, true, t + 300000, out);
    ivr_run_digit(run, '5', t + 301000, out);
    CC_CHECK_STR(ivr_fx_text(out), "stop\n"
                                   "step survey score:5 1748851501000\n"
                                   "survey support-satisfaction 5\n"
                                   "play 2 survey-thanks\n");
    ivr_run_prompt_done(run, 2, t + 303000, out);
    CC_CHECK(ivr_run_done(run));
    CC_CHECK_STR(ivr_fx_path(run), "hours:open who:- who:found tier:case:VIP vip:- vip-skill:- "
                                   "queue:route:queue:support queue:route_ended survey:- "
                                   "survey:score:5 survey:end");
    /* The same flow on a public holiday (14 July) goes to the holiday message. */
    ivr_run_destroy(&run);
    run = ivr_run_new(flow, NULL);
    ivr_run_start(run, ivr_fx_utc(2025, 7, 14, 8, 0, 0), "+33612345678", NULL, 0, out);
    CC_CHECK_STR(ivr_fx_path(run), "hours:holiday holiday:-");
    ivr_run_destroy(&run);
    ivr_actions_destroy(&out);
    ivr_flow_destroy(&flow);
}
