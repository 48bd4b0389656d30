/* sp_divert_test.c - DND and forwarding decisions, loops and hop limits. */
#include "sp_divert.h"

#include <stdio.h>

#include "cc_test.h"

static sp_divert_settings_t s_fwd(sp_divert_cond_t cond, const char *target)
{
    sp_divert_settings_t s = {.ring_time_s = 20};
    snprintf(s.fwd[cond], sizeof s.fwd[cond], "%s", target);
    return s;
}

CC_TEST(divert_plain_ring_and_ring_time)
{
    sp_divert_state_t st = {0};
    sp_divert_t d = sp_divert_before_ring(&st, "1001", NULL);
    CC_CHECK_INT(d.action, SP_DIVERT_RING);
    CC_CHECK_INT(d.ring_s, 0);
    sp_divert_settings_t s = s_fwd(SP_DIVERT_NOANSWER, "vm:1001");
    s.ring_time_s = 7;
    d = sp_divert_before_ring(&st, "1001", &s);
    CC_CHECK_INT(d.action, SP_DIVERT_RING);
    CC_CHECK_INT(d.ring_s, 7);
    d = sp_divert_after_fail(&st, "1001", &s, sp_divert_cond_of(408));
    CC_CHECK_INT(d.action, SP_DIVERT_TO);
    CC_CHECK_STR(d.target, "vm:1001");
    CC_CHECK_STR(d.reason, "noanswer");
}

CC_TEST(divert_dnd)
{
    sp_divert_state_t st = {0};
    sp_divert_settings_t s = {.dnd = true};
    sp_divert_t d = sp_divert_before_ring(&st, "1001", &s);
    CC_CHECK_INT(d.action, SP_DIVERT_REJECT);
    CC_CHECK_INT(d.code, 486);
    s = s_fwd(SP_DIVERT_BUSY, "ext:1002");
    s.dnd = true;
    d = sp_divert_before_ring(&st, "1001", &s);
    CC_CHECK_INT(d.action, SP_DIVERT_TO);
    CC_CHECK_STR(d.target, "ext:1002");
    CC_CHECK_STR(d.reason, "dnd");
    /* DND wins over forward-always */
    snprintf(s.fwd[SP_DIVERT_ALWAYS], sizeof s.fwd[0], "ext:1003");
    d = sp_divert_before_ring(&(sp_divert_state_t){0}, "1001", &s);
    CC_CHECK_STR(d.target, "ext:1002");
}

CC_TEST(divert_conditions)
{
    sp_divert_settings_t s = {0};
    snprintf(s.fwd[SP_DIVERT_BUSY], sizeof s.fwd[0], "ext:2001");
    snprintf(s.fwd[SP_DIVERT_UNAVAILABLE], sizeof s.fwd[0], "number:95551234");
    sp_divert_state_t st = {0};
    sp_divert_t d = sp_divert_after_fail(&st, "1001", &s, sp_divert_cond_of(486));
    CC_CHECK_STR(d.target, "ext:2001");
    CC_CHECK_STR(d.reason, "busy");
    st = (sp_divert_state_t){0};
    d = sp_divert_after_fail(&st, "1001", &s, sp_divert_cond_of(480));
    CC_CHECK_STR(d.target, "number:95551234");
    CC_CHECK_STR(d.reason, "unavailable");
    d = sp_divert_after_fail(&st, "1001", &s, sp_divert_cond_of(408));
    CC_CHECK_INT(d.action, SP_DIVERT_NONE);
    CC_CHECK_INT(sp_divert_cond_of(603), SP_DIVERT_BUSY);
    CC_CHECK_INT(sp_divert_after_fail(&st, "1001", NULL, SP_DIVERT_BUSY).action, SP_DIVERT_NONE);
    /* forward-always is never a failure condition */
    CC_CHECK_INT(sp_divert_after_fail(&st, "1001", &s, SP_DIVERT_ALWAYS).action, SP_DIVERT_NONE);
}

CC_TEST(divert_loop_stopped)
{
    sp_divert_settings_t a = s_fwd(SP_DIVERT_ALWAYS, "ext:1002");
    sp_divert_settings_t b = s_fwd(SP_DIVERT_ALWAYS, "ext:1001");
    sp_divert_state_t st = {0};
    sp_divert_t d = sp_divert_before_ring(&st, "1001", &a);
    CC_CHECK_STR(d.target, "ext:1002");
    d = sp_divert_before_ring(&st, "1002", &b);
    CC_CHECK_INT(d.action, SP_DIVERT_RING); /* back to 1001 would loop: 1002 rings */
    CC_CHECK_INT(st.hops, 1);
    /* busy at 1002 forwarding to 1001: stopped too */
    sp_divert_settings_t c = s_fwd(SP_DIVERT_BUSY, "ext:1001");
    CC_CHECK_INT(sp_divert_after_fail(&st, "1002", &c, SP_DIVERT_BUSY).action, SP_DIVERT_NONE);
}

CC_TEST(divert_max_hops)
{
    sp_divert_state_t st = {0};
    char ext[16], next[SP_DIVERT_TARGET_MAX];
    int diverted = 0;
    for (int i = 0; i < 10; i++) {
        snprintf(ext, sizeof ext, "10%02d", i);
        snprintf(next, sizeof next, "ext:10%02d", i + 1);
        sp_divert_settings_t s = s_fwd(SP_DIVERT_ALWAYS, next);
        sp_divert_t d = sp_divert_before_ring(&st, ext, &s);
        if (d.action != SP_DIVERT_TO)
            break;
        diverted++;
    }
    CC_CHECK_INT(diverted, SP_DIVERT_MAX_HOPS);
}

CC_TEST(divert_names_and_targets)
{
    CC_CHECK_INT(sp_divert_cond_parse("noanswer"), SP_DIVERT_NOANSWER);
    CC_CHECK_INT(sp_divert_cond_parse("never"), -1);
    CC_CHECK_STR(sp_divert_cond_name(SP_DIVERT_UNAVAILABLE), "unavailable");
    CC_CHECK(sp_divert_target_ok("ext:1002"));
    CC_CHECK(sp_divert_target_ok("number:+4930123"));
    CC_CHECK(sp_divert_target_ok("vm:1001"));
    CC_CHECK(!sp_divert_target_ok("ext:1"));
    CC_CHECK(!sp_divert_target_ok("ext:10a"));
    CC_CHECK(!sp_divert_target_ok("queue:support"));
    CC_CHECK(!sp_divert_target_ok("number:"));
    CC_CHECK(!sp_divert_target_ok("vm:a b"));
    CC_CHECK(!sp_divert_target_ok(NULL));
}

CC_TEST(divert_followme)
{
    sp_divert_settings_t s = {.ring_time_s = 20};
    char err[128];
    CC_CHECK_INT(sp_divert_followme_parse("ext:1001/10,ext:1002/15,number:95551234/20", s.followme,
                                          &s.nfollowme, err, sizeof err),
                 0);
    CC_CHECK_INT(s.nfollowme, 3);
    snprintf(s.fwd[SP_DIVERT_NOANSWER], sizeof s.fwd[0], "vm:1001");
    sp_divert_state_t st = {0};
    sp_divert_t d = sp_divert_before_ring(&st, "1001", &s);
    CC_CHECK_INT(d.action, SP_DIVERT_STEP);
    CC_CHECK_STR(d.target, "ext:1001");
    CC_CHECK_INT(d.ring_s, 10);
    d = sp_divert_followme_next(&st, &s);
    CC_CHECK_STR(d.target, "ext:1002");
    CC_CHECK_INT(d.ring_s, 15);
    d = sp_divert_followme_next(&st, &s);
    CC_CHECK_STR(d.target, "number:95551234");
    CC_CHECK_STR(d.reason, "followme");
    d = sp_divert_followme_next(&st, &s);
    CC_CHECK_INT(d.action, SP_DIVERT_TO);
    CC_CHECK_STR(d.target, "vm:1001");
    CC_CHECK_STR(d.reason, "noanswer");
    CC_CHECK(!st.fm_active);
    /* DND and forward-always come first */
    s.dnd = true;
    CC_CHECK_INT(sp_divert_before_ring(&(sp_divert_state_t){0}, "1001", &s).action,
                 SP_DIVERT_REJECT);
}

CC_TEST(divert_followme_parse_refuses)
{
    sp_divert_step_t steps[SP_DIVERT_MAX_STEPS];
    int n;
    char err[128];
    CC_CHECK_INT(sp_divert_followme_parse("", steps, &n, err, sizeof err), 0);
    CC_CHECK_INT(n, 0);
    CC_CHECK_INT(sp_divert_followme_parse("ext:1002", steps, &n, err, sizeof err), -1);
    CC_CHECK_INT(sp_divert_followme_parse("ext:1002/2", steps, &n, err, sizeof err), -1);
    CC_CHECK_INT(sp_divert_followme_parse("ext:1002/15,", steps, &n, err, sizeof err), -1);
    CC_CHECK_INT(sp_divert_followme_parse("vm:1002/15", steps, &n, err, sizeof err), -1);
    CC_CHECK_INT(sp_divert_followme_parse("queue:x/15", steps, &n, err, sizeof err), -1);
    CC_CHECK_INT(sp_divert_followme_parse("ext:1002/1x", steps, &n, err, sizeof err), -1);
    CC_CHECK_INT(sp_divert_followme_parse("ext:10/5,ext:11/5,ext:12/5,ext:13/5,ext:14/5,ext:15/5,"
                                          "ext:16/5,ext:17/5,ext:18/5",
                                          steps, &n, err, sizeof err),
                 -1);
}

static sp_divert_settings_t s_group(bool all, bool hunt)
{
    sp_divert_settings_t g = {.group = true, .all = all, .hunt = hunt};
    const char *m[] = {"ext:1001", "ext:1002", "ext:1003"};
    for (int i = 0; i < 3; i++) {
        snprintf(g.followme[i].target, sizeof g.followme[i].target, "%s", m[i]);
        g.followme[i].ring_s = 15;
    }
    g.nfollowme = 3;
    snprintf(g.fwd[SP_DIVERT_NOANSWER], sizeof g.fwd[0], "vm:1001");
    return g;
}

CC_TEST(divert_group_modes)
{
    sp_divert_settings_t g = s_group(true, false);
    sp_divert_state_t st = {0};
    sp_divert_t d = sp_divert_group_start(&st, "group:sales", &g, 7);
    CC_CHECK_INT(d.action, SP_DIVERT_STEP);
    CC_CHECK_STR(d.target, "group:sales"); /* all at once */
    CC_CHECK_STR(d.reason, "group");
    CC_CHECK_INT(d.ring_s, 15);
    d = sp_divert_followme_next(&st, &g);
    CC_CHECK_INT(d.action, SP_DIVERT_TO);
    CC_CHECK_STR(d.target, "vm:1001");

    g = s_group(false, false);
    st = (sp_divert_state_t){0};
    CC_CHECK_STR(sp_divert_group_start(&st, "group:sales", &g, 7).target, "ext:1001");
    CC_CHECK_STR(sp_divert_followme_next(&st, &g).target, "ext:1002");
    CC_CHECK_STR(sp_divert_followme_next(&st, &g).target, "ext:1003");
    CC_CHECK_STR(sp_divert_followme_next(&st, &g).target, "vm:1001");

    g = s_group(false, true); /* hunt: the 8th call starts at member 7 % 3 = 1 */
    st = (sp_divert_state_t){0};
    CC_CHECK_STR(sp_divert_group_start(&st, "group:sales", &g, 7).target, "ext:1002");
    CC_CHECK_STR(sp_divert_followme_next(&st, &g).target, "ext:1003");
    CC_CHECK_STR(sp_divert_followme_next(&st, &g).target, "ext:1001");
    d = sp_divert_followme_next(&st, &g);
    CC_CHECK_STR(d.target, "vm:1001");
    CC_CHECK_STR(d.reason, "noanswer");
    g.fwd[SP_DIVERT_NOANSWER][0] = '\0';
    st = (sp_divert_state_t){0};
    sp_divert_group_start(&st, "group:sales", &g, 0);
    sp_divert_followme_next(&st, &g);
    sp_divert_followme_next(&st, &g);
    CC_CHECK_INT(sp_divert_followme_next(&st, &g).action, SP_DIVERT_NONE);
}
