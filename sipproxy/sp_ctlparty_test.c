/* sp_ctlparty_test.c - the sides of a call and the rules of the desktop's call controls. */
#include "cc_test.h"
#include "sp_ctlparty.h"

CC_TEST(ctlparty_sides)
{
    /* a queue call from a trunk: the agent is the connected callee */
    sp_ctl_view_t q = {true, "", "5551234", false, "ext:1002", false, false};
    CC_CHECK_INT(sp_ctl_side(&q, "1002"), SP_SIDE_B);
    CC_CHECK_INT(sp_ctl_side(&q, "5551234"), SP_SIDE_NONE); /* not a user: not a party */
    CC_CHECK_INT(sp_ctl_side(&q, "100"), SP_SIDE_NONE);
    CC_CHECK_INT(sp_ctl_side(&q, ""), SP_SIDE_NONE);
    CC_CHECK_INT(sp_ctl_side(&q, NULL), SP_SIDE_NONE);
    /* an extension that called another: both are parties */
    sp_ctl_view_t d = {true, "", "1001", true, "ext:1002", false, false};
    CC_CHECK_INT(sp_ctl_side(&d, "1001"), SP_SIDE_A);
    CC_CHECK_INT(sp_ctl_side(&d, "1002"), SP_SIDE_B);
    /* click-to-dial: the agent's phone was rung first (leg A), then the number */
    sp_ctl_view_t o = {true, "ext:1002", "2002", false, "number:2002", false, false};
    CC_CHECK_INT(sp_ctl_side(&o, "1002"), SP_SIDE_A);
    CC_CHECK_INT(sp_ctl_side(&o, "2002"), SP_SIDE_NONE); /* a number, not an extension */
    /* an originated call's caller is only a label: it makes nobody a party */
    sp_ctl_view_t l = {true, "ext:1002", "1003", true, "ext:1004", false, false};
    CC_CHECK_INT(sp_ctl_side(&l, "1003"), SP_SIDE_NONE);
}

CC_TEST(ctlparty_rules)
{
    char why[128];
    sp_ctl_view_t v = {true, "", "5551234", false, "ext:1002", false, false};
    CC_CHECK(sp_ctl_refuse(&v, SP_CTL_HOLD, "1002", why, sizeof why) == NULL);
    CC_CHECK(sp_ctl_refuse(&v, SP_CTL_RESUME, "1002", why, sizeof why) == NULL);
    CC_CHECK(sp_ctl_refuse(&v, SP_CTL_TRANSFER, "1002", why, sizeof why) == NULL);
    CC_CHECK(sp_ctl_refuse(&v, SP_CTL_CONSULT, "1002", why, sizeof why) == NULL);
    CC_CHECK_STR(sp_ctl_refuse(&v, SP_CTL_HOLD, "1003", why, sizeof why), "not_party");
    CC_CHECK_STR(why, "that extension is not a party of this call");
    CC_CHECK_STR(sp_ctl_refuse(&v, SP_CTL_CONSULT_COMPLETE, "1002", why, sizeof why), "bad_state");
    CC_CHECK_STR(why, "there is no consultation to complete");
    CC_CHECK_STR(sp_ctl_refuse(&v, SP_CTL_CONSULT_CANCEL, "1002", why, sizeof why), "bad_state");
    /* consulting, target still ringing: only cancel (and hold, already so) */
    v.consulting = true;
    CC_CHECK(sp_ctl_refuse(&v, SP_CTL_HOLD, "1002", why, sizeof why) == NULL);
    CC_CHECK(sp_ctl_refuse(&v, SP_CTL_CONSULT_CANCEL, "1002", why, sizeof why) == NULL);
    CC_CHECK_STR(sp_ctl_refuse(&v, SP_CTL_CONSULT_COMPLETE, "1002", why, sizeof why), "bad_state");
    CC_CHECK_STR(why, "the consulted party has not answered yet");
    for (int cmd = SP_CTL_RESUME; cmd <= SP_CTL_CONSULT; cmd++)
        CC_CHECK_STR(sp_ctl_refuse(&v, (sp_ctl_cmd_t)cmd, "1002", why, sizeof why), "bad_state");
    v.consult_up = true;
    CC_CHECK(sp_ctl_refuse(&v, SP_CTL_CONSULT_COMPLETE, "1002", why, sizeof why) == NULL);
    /* not connected (ringing, or the callee left): nothing */
    sp_ctl_view_t r = {false, "", "1001", true, "", false, false};
    CC_CHECK_STR(sp_ctl_refuse(&r, SP_CTL_HOLD, "1001", why, sizeof why), "bad_state");
}
