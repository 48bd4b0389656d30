/* cc_screen_test.c - unit tests of screening: block and allow lists (global, per
 * extension, exact, prefix, anonymous, allow over block, the most specific block's
 * action), pattern validation, classes of service with emergency numbers, caller routes. */
#include <stdio.h>
#include <string.h>

#include "cc_screen.h"
#include "cc_test.h"

static void s_rule(cc_screen_t *s, const char *ext, cc_screen_list_t list, const char *pattern,
                   cc_screen_action_t action)
{
    cc_screen_rule_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.ext, sizeof r.ext, "%s", ext);
    r.list = list;
    snprintf(r.pattern, sizeof r.pattern, "%s", pattern);
    r.action = action;
    if (cc_screen_add_rule(s, &r) != 0)
        cc_test_fail(__FILE__, __LINE__, "rule %s refused", pattern);
}

CC_TEST(screen_patterns)
{
    char err[120];
    CC_CHECK(cc_screen_pattern_validate("anonymous", err, sizeof err) == 0);
    CC_CHECK(cc_screen_pattern_validate("+441234", err, sizeof err) == 0);
    CC_CHECK(cc_screen_pattern_validate("+44*", err, sizeof err) == 0);
    CC_CHECK(cc_screen_pattern_validate("0900*", err, sizeof err) == 0);
    CC_CHECK(cc_screen_pattern_validate("", err, sizeof err) != 0);
    CC_CHECK(cc_screen_pattern_validate("*", err, sizeof err) == 0); /* the number "*" */
    CC_CHECK(cc_screen_pattern_validate("44+1", err, sizeof err) != 0);
    CC_CHECK(strstr(err, "'+'") != NULL);
    CC_CHECK(cc_screen_pattern_validate("12a*", err, sizeof err) != 0);
    CC_CHECK(cc_screen_pattern_validate("Anonymous", err, sizeof err) != 0);
    CC_CHECK(cc_screen_pattern_validate("123456789012345678901234567890123", err, sizeof err) != 0);
    cc_cos_t cos;
    CC_CHECK(cc_cos_parse("national", &cos) == 0 && cos == CC_COS_NATIONAL);
    CC_CHECK(cc_cos_parse("world", &cos) != 0);
    cc_screen_action_t a;
    CC_CHECK(cc_screen_action_parse("message", &a) == 0 && a == CC_SCREEN_MESSAGE);
    CC_CHECK(cc_screen_action_parse("hangup", &a) != 0);
}

CC_TEST(screen_anonymous)
{
    CC_CHECK(cc_screen_is_anonymous("anonymous", false));
    CC_CHECK(cc_screen_is_anonymous("Anonymous", false));
    CC_CHECK(cc_screen_is_anonymous("", false));
    CC_CHECK(cc_screen_is_anonymous(NULL, false));
    CC_CHECK(cc_screen_is_anonymous("+4412345", true)); /* Privacy: id */
    CC_CHECK(!cc_screen_is_anonymous("+4412345", false));
}

CC_TEST(screen_blocks_and_allows)
{
    cc_screen_t *s = cc_screen_new();
    CC_CHECK(s);
    cc_screen_verdict_t v;
    cc_screen_check(s, "+4412345", false, "1001", &v); /* no rules: through */
    CC_CHECK(!v.blocked);
    s_rule(s, "", CC_SCREEN_BLOCK, "+44*", CC_SCREEN_BUSY);
    s_rule(s, "", CC_SCREEN_BLOCK, "anonymous", CC_SCREEN_MESSAGE);
    s_rule(s, "1001", CC_SCREEN_BLOCK, "5550001", CC_SCREEN_MESSAGE);
    s_rule(s, "", CC_SCREEN_ALLOW, "+4420*", CC_SCREEN_BUSY);
    s_rule(s, "1002", CC_SCREEN_ALLOW, "anonymous", CC_SCREEN_BUSY);
    CC_CHECK_INT(cc_screen_rule_count(s), 5);

    cc_screen_check(s, "+4416112", false, "1001", &v);
    CC_CHECK(v.blocked);
    CC_CHECK_INT(v.action, CC_SCREEN_BUSY);
    CC_CHECK_STR(v.reason, "blocked: global list +44*");
    cc_screen_check(s, "+442071", false, "1001", &v); /* the allow list wins */
    CC_CHECK(!v.blocked);
    CC_CHECK_STR(v.reason, "");
    cc_screen_check(s, "+3312", false, "1001", &v);
    CC_CHECK(!v.blocked);

    cc_screen_check(s, "anonymous", true, "1001", &v);
    CC_CHECK(v.blocked);
    CC_CHECK_INT(v.action, CC_SCREEN_MESSAGE);
    CC_CHECK_STR(v.reason, "blocked: global list anonymous");
    cc_screen_check(s, "anonymous", true, "1002", &v); /* 1002 takes anonymous calls */
    CC_CHECK(!v.blocked);
    cc_screen_check(s, "anonymous", true, NULL, &v); /* a queue: the global list */
    CC_CHECK(v.blocked);

    cc_screen_check(s, "5550001", false, "1001", &v); /* the extension's own list */
    CC_CHECK(v.blocked);
    CC_CHECK_INT(v.action, CC_SCREEN_MESSAGE);
    CC_CHECK_STR(v.reason, "blocked: ext 1001 list 5550001");
    cc_screen_check(s, "5550001", false, "1003", &v); /* not another extension's */
    CC_CHECK(!v.blocked);
    cc_screen_check(s, "55500011", false, "1001", &v); /* exact means exact */
    CC_CHECK(!v.blocked);
    cc_screen_destroy(&s);
    CC_CHECK(s == NULL);
    cc_screen_destroy(&s);
}

CC_TEST(screen_most_specific_block_decides)
{
    cc_screen_t *s = cc_screen_new();
    s_rule(s, "", CC_SCREEN_BLOCK, "+44*", CC_SCREEN_BUSY);
    s_rule(s, "", CC_SCREEN_BLOCK, "+4420*", CC_SCREEN_MESSAGE);
    s_rule(s, "1001", CC_SCREEN_BLOCK, "+4*", CC_SCREEN_BUSY);
    cc_screen_verdict_t v;
    cc_screen_check(s, "+442071", false, "1002", &v);
    CC_CHECK(v.blocked && v.action == CC_SCREEN_MESSAGE); /* the longer prefix */
    cc_screen_check(s, "+442071", false, "1001", &v);
    CC_CHECK(v.blocked && v.action == CC_SCREEN_BUSY); /* the extension's rule */
    CC_CHECK_STR(v.reason, "blocked: ext 1001 list +4*");
    cc_screen_check(s, "anonymous", true, "1001", &v); /* prefixes never match anonymous */
    CC_CHECK(!v.blocked);
    cc_screen_rule_t bad = {.list = CC_SCREEN_BLOCK};
    snprintf(bad.pattern, sizeof bad.pattern, "1x*");
    CC_CHECK(cc_screen_add_rule(s, &bad) != 0);
    cc_screen_destroy(&s);
}

CC_TEST(screen_classes_of_service)
{
    cc_screen_t *s = cc_screen_new();
    CC_CHECK(cc_screen_add_cos_prefix(s, CC_COS_LOCAL, "2") == 0);
    CC_CHECK(cc_screen_add_cos_prefix(s, CC_COS_LOCAL, "3") == 0);
    CC_CHECK(cc_screen_add_cos_prefix(s, CC_COS_NATIONAL, "0") == 0);
    CC_CHECK(cc_screen_add_cos_prefix(s, CC_COS_INTERNATIONAL, "00") == 0);
    CC_CHECK(cc_screen_add_cos_prefix(s, CC_COS_EMERGENCY, "110") == 0);
    CC_CHECK(cc_screen_add_cos_prefix(s, CC_COS_INTERNAL, "5") != 0);
    CC_CHECK(cc_screen_add_cos_prefix(s, CC_COS_LOCAL, "5a") != 0);
    CC_CHECK_INT(cc_screen_number_class(s, "2345678"), CC_COS_LOCAL);
    CC_CHECK_INT(cc_screen_number_class(s, "030123456"), CC_COS_NATIONAL);
    CC_CHECK_INT(cc_screen_number_class(s, "0044207"), CC_COS_INTERNATIONAL); /* longest */
    CC_CHECK_INT(cc_screen_number_class(s, "+44207"), CC_COS_INTERNATIONAL);  /* unknown */
    CC_CHECK_INT(cc_screen_number_class(s, "112"), CC_COS_EMERGENCY);
    CC_CHECK_INT(cc_screen_number_class(s, "911"), CC_COS_EMERGENCY);
    CC_CHECK_INT(cc_screen_number_class(s, "999"), CC_COS_EMERGENCY);
    CC_CHECK_INT(cc_screen_number_class(s, "110"), CC_COS_EMERGENCY);
    CC_CHECK_INT(cc_screen_number_class(s, "1101"), CC_COS_INTERNATIONAL); /* exact only */

    char why[120] = "";
    CC_CHECK(cc_screen_may_dial(s, CC_COS_LOCAL, "2345678", why, sizeof why));
    CC_CHECK(!cc_screen_may_dial(s, CC_COS_LOCAL, "0044207", why, sizeof why));
    CC_CHECK_STR(why, "not permitted: international number for a local extension");
    CC_CHECK(!cc_screen_may_dial(s, CC_COS_LOCAL, "030123", why, sizeof why));
    CC_CHECK(cc_screen_may_dial(s, CC_COS_NATIONAL, "030123", why, sizeof why));
    CC_CHECK(cc_screen_may_dial(s, CC_COS_LOCAL, "112", why, sizeof why));
    CC_CHECK(cc_screen_may_dial(s, CC_COS_INTERNAL, "911", why, sizeof why));
    CC_CHECK(!cc_screen_may_dial(s, CC_COS_INTERNAL, "2345678", why, sizeof why));
    CC_CHECK_STR(why, "not permitted: local number for an internal extension");
    CC_CHECK(cc_screen_may_dial(s, CC_COS_INTERNATIONAL, "+1555", why, sizeof why));
    CC_CHECK(cc_screen_set_user_cos(s, "1001", CC_COS_LOCAL) == 0);
    CC_CHECK(cc_screen_set_user_cos(s, "1002", CC_COS_INTERNATIONAL) == 0);
    CC_CHECK(cc_screen_set_user_cos(s, "1003", CC_COS_EMERGENCY) != 0);
    CC_CHECK_INT(cc_screen_user_cos(s, "1001"), CC_COS_LOCAL);
    CC_CHECK_INT(cc_screen_user_cos(s, "1002"), CC_COS_INTERNATIONAL);
    CC_CHECK_INT(cc_screen_user_cos(s, "1009"), CC_COS_INTERNATIONAL);
    cc_screen_destroy(&s);
    /* no table at all: only emergency numbers are not international */
    CC_CHECK_INT(cc_screen_number_class(NULL, "112"), CC_COS_EMERGENCY);
    CC_CHECK_INT(cc_screen_number_class(NULL, "2345"), CC_COS_INTERNATIONAL);
}

CC_TEST(screen_caller_routes)
{
    cc_screen_t *s = cc_screen_new();
    CC_CHECK(cc_screen_add_caller_route(s, "7000", "+44", "queue:uk") == 0);
    CC_CHECK(cc_screen_add_caller_route(s, "7000", "+4420", "queue:london") == 0);
    CC_CHECK(cc_screen_add_caller_route(s, "7000", "+49", "ivr:de") == 0);
    CC_CHECK(cc_screen_add_caller_route(s, "7001", "+44", "ext:1001") == 0);
    CC_CHECK(cc_screen_add_caller_route(s, "7000", "4x", "queue:x") != 0);
    CC_CHECK(cc_screen_add_caller_route(s, "7000", "+1", "") != 0);
    CC_CHECK_STR(cc_screen_caller_route(s, "7000", "+441612"), "queue:uk");
    CC_CHECK_STR(cc_screen_caller_route(s, "7000", "+442071"), "queue:london");
    CC_CHECK_STR(cc_screen_caller_route(s, "7000", "+4930"), "ivr:de");
    CC_CHECK_STR(cc_screen_caller_route(s, "7001", "+441612"), "ext:1001");
    CC_CHECK(cc_screen_caller_route(s, "7000", "+3312") == NULL);
    CC_CHECK(cc_screen_caller_route(s, "7002", "+441612") == NULL);
    cc_screen_destroy(&s);
}
