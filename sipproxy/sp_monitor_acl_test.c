/* sp_monitor_acl_test.c - who may monitor whom. */
#include "cc_test.h"
#include "sp_monitor_acl.h"

CC_TEST(monitor_acl_supervisor_admin_and_others)
{
    sp_monitor_acl_t *acl = sp_monitor_acl_new();
    CC_CHECK(acl);
    sp_monitor_acl_add_supervisor(acl, "2001", "sue", false, "sales,support");
    sp_monitor_acl_add_supervisor(acl, "2002", "ann", true, NULL);
    sp_monitor_acl_add_supervisor(acl, "2003", "all", false, NULL);
    sp_monitor_acl_add_member(acl, "sales", "1002");
    sp_monitor_acl_add_member(acl, "billing", "1003");
    sp_monitor_acl_add_member(acl, "salesx", "1004"); /* not "sales" */
    const char *who;
    CC_CHECK_INT(sp_monitor_acl_check(acl, "2001", "1002", &who), SP_MONITOR_ALLOWED);
    CC_CHECK_STR(who, "sue");
    CC_CHECK_INT(sp_monitor_acl_check(acl, "2001", "1003", &who), SP_MONITOR_NOT_THEIR_AGENT);
    CC_CHECK_STR(who, "sue");
    CC_CHECK_INT(sp_monitor_acl_check(acl, "2001", "1004", NULL), SP_MONITOR_NOT_THEIR_AGENT);
    CC_CHECK_INT(sp_monitor_acl_check(acl, "2001", "1099", NULL), SP_MONITOR_NOT_THEIR_AGENT);
    /* an admin: anyone; a supervisor of every queue: any agent, not any extension */
    CC_CHECK_INT(sp_monitor_acl_check(acl, "2002", "1099", NULL), SP_MONITOR_ALLOWED);
    CC_CHECK_INT(sp_monitor_acl_check(acl, "2003", "1003", NULL), SP_MONITOR_ALLOWED);
    CC_CHECK_INT(sp_monitor_acl_check(acl, "2003", "1099", NULL), SP_MONITOR_NOT_THEIR_AGENT);
    CC_CHECK_INT(sp_monitor_acl_check(acl, "1002", "1003", &who), SP_MONITOR_NOT_SUPERVISOR);
    CC_CHECK(who == NULL);
    CC_CHECK_INT(sp_monitor_acl_check(acl, "2002", "2002", NULL), SP_MONITOR_SELF);
    CC_CHECK_STR(sp_monitor_verdict_name(SP_MONITOR_NOT_THEIR_AGENT), "not_their_agent");
    sp_monitor_acl_destroy(&acl);
    CC_CHECK(acl == NULL);
}
