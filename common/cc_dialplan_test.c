/* cc_dialplan_test.c - unit tests of the dialplan matcher: every pattern feature, the
 * specificity order, invalid patterns with their reasons, targets, extensions, rewrite. */
#include <stdio.h>
#include <string.h>

#include "cc_dialplan.h"
#include "cc_test.h"

static cc_route_t s_route(long id, const char *pattern, cc_target_kind_t kind, const char *target)
{
    cc_route_t r;
    memset(&r, 0, sizeof r);
    r.id = id;
    snprintf(r.pattern, sizeof r.pattern, "%s", pattern);
    r.kind = kind;
    snprintf(r.target, sizeof r.target, "%s", target);
    return r;
}

/* The route id chosen for number, or 0 for none. */
static long s_best(const cc_dialplan_t *dp, const char *number)
{
    const cc_route_t *r = cc_dialplan_match(dp, number);
    return r ? r->id : 0;
}

CC_TEST(dialplan_literals)
{
    CC_CHECK(cc_pattern_matches("1001", "1001"));
    CC_CHECK(!cc_pattern_matches("1001", "1002"));
    CC_CHECK(!cc_pattern_matches("1001", "100"));
    CC_CHECK(!cc_pattern_matches("1001", "10011"));
    CC_CHECK(cc_pattern_matches("*72", "*72"));
    CC_CHECK(cc_pattern_matches("#9", "#9"));
    CC_CHECK(cc_pattern_matches("+4930", "+4930"));
    CC_CHECK(!cc_pattern_matches("+4930", "04930"));
    CC_CHECK(!cc_pattern_matches("*72", "#72"));
    CC_CHECK(!cc_pattern_matches("1001", ""));
    CC_CHECK(!cc_pattern_matches("1001", NULL));
}

CC_TEST(dialplan_digit_classes)
{
    for (char d = '0'; d <= '9'; d++) {
        char num[3] = {'5', d, '\0'};
        CC_CHECK(cc_pattern_matches("5X", num));
        CC_CHECK_INT(cc_pattern_matches("5Z", num), d >= '1');
        CC_CHECK_INT(cc_pattern_matches("5N", num), d >= '2');
    }
    /* Classes match digits only, never * # + or letters. */
    CC_CHECK(!cc_pattern_matches("X", "*"));
    CC_CHECK(!cc_pattern_matches("X", "#"));
    CC_CHECK(!cc_pattern_matches("Z", "+"));
    CC_CHECK(!cc_pattern_matches("N", "a"));
    CC_CHECK(cc_pattern_matches("NXXNXXXXXX", "2125551234"));
    CC_CHECK(!cc_pattern_matches("NXXNXXXXXX", "1125551234"));
    CC_CHECK(!cc_pattern_matches("NXXNXXXXXX", "212555123"));
}

CC_TEST(dialplan_sets)
{
    CC_CHECK(cc_pattern_matches("[1-5]", "1"));
    CC_CHECK(cc_pattern_matches("[1-5]", "5"));
    CC_CHECK(!cc_pattern_matches("[1-5]", "0"));
    CC_CHECK(!cc_pattern_matches("[1-5]", "6"));
    CC_CHECK(cc_pattern_matches("[147]", "4"));
    CC_CHECK(!cc_pattern_matches("[147]", "5"));
    CC_CHECK(cc_pattern_matches("[13-57]", "4"));
    CC_CHECK(cc_pattern_matches("[13-57]", "7"));
    CC_CHECK(!cc_pattern_matches("[13-57]", "2"));
    CC_CHECK(!cc_pattern_matches("[13-57]", "6"));
    CC_CHECK(cc_pattern_matches("[5-5]", "5"));
    CC_CHECK(cc_pattern_matches("[0-9]", "0"));
    CC_CHECK(cc_pattern_matches("2[1-3]X", "229"));
    CC_CHECK(!cc_pattern_matches("2[1-3]X", "249"));
    CC_CHECK(!cc_pattern_matches("2[1-3]X", "22"));
    CC_CHECK(!cc_pattern_matches("[1-5]", "*"));
}

CC_TEST(dialplan_tails)
{
    /* '.' needs at least one more character, of any kind. */
    CC_CHECK(cc_pattern_matches("9.", "90"));
    CC_CHECK(cc_pattern_matches("9.", "9004930123456"));
    CC_CHECK(cc_pattern_matches("9.", "9*#+"));
    CC_CHECK(!cc_pattern_matches("9.", "9"));
    CC_CHECK(!cc_pattern_matches("9.", "8123"));
    /* '!' takes zero or more. */
    CC_CHECK(cc_pattern_matches("9!", "9"));
    CC_CHECK(cc_pattern_matches("9!", "91234"));
    CC_CHECK(!cc_pattern_matches("9!", ""));
    CC_CHECK(cc_pattern_matches("!", ""));
    CC_CHECK(cc_pattern_matches("!", "anything"));
    CC_CHECK(cc_pattern_matches(".", "1"));
    CC_CHECK(!cc_pattern_matches(".", ""));
    CC_CHECK(cc_pattern_matches("0Z.", "0301234"));
    CC_CHECK(!cc_pattern_matches("0Z.", "00301234"));
    CC_CHECK(!cc_pattern_matches("0Z.", "03"));
    CC_CHECK(cc_pattern_matches("+49[1-9]!", "+491"));
}

static void s_expect_invalid(const char *pattern, const char *reason, int line)
{
    char err[256] = "";
    if (cc_pattern_validate(pattern, err, sizeof err) == 0) {
        cc_test_fail(__FILE__, line, "pattern '%s': expected invalid, saw valid", pattern);
        return;
    }
    if (!strstr(err, reason))
        cc_test_fail(__FILE__, line,
                     "pattern '%s': expected reason containing \"%s\", "
                     "saw \"%s\"",
                     pattern, reason, err);
    if (cc_pattern_matches(pattern, "1234"))
        cc_test_fail(__FILE__, line, "invalid pattern '%s' matched something", pattern);
}

CC_TEST(dialplan_invalid_patterns)
{
    s_expect_invalid("", "empty pattern", __LINE__);
    s_expect_invalid(NULL, "empty pattern", __LINE__);
    s_expect_invalid("12[3", "'[' not closed at position 3", __LINE__);
    s_expect_invalid("[", "'[' not closed at position 1", __LINE__);
    s_expect_invalid("1]2", "']' at position 2 has no matching '['", __LINE__);
    s_expect_invalid("1[]2", "empty set '[]' at position 2", __LINE__);
    s_expect_invalid("[5-1]", "range 5-1 at position 2 goes backwards", __LINE__);
    s_expect_invalid("[1-]", "range at position 2 has no upper end", __LINE__);
    s_expect_invalid("[1-a]", "'a' at position 4 is not a digit", __LINE__);
    s_expect_invalid("[X]", "'X' at position 2 is not a digit", __LINE__);
    s_expect_invalid("[1[2]]", "'[' at position 3 is not a digit", __LINE__);
    s_expect_invalid("9.1", "'.' at position 2 must be the last character", __LINE__);
    s_expect_invalid("9!!", "'!' at position 2 must be the last character", __LINE__);
    s_expect_invalid(".!", "'.' at position 1 must be the last character", __LINE__);
    s_expect_invalid("12a4", "invalid character 'a' at position 3", __LINE__);
    s_expect_invalid("1x", "invalid character 'x' at position 2", __LINE__);
    s_expect_invalid("_1XX", "invalid character '_' at position 1", __LINE__);
    s_expect_invalid("10 01", "invalid character ' ' at position 3", __LINE__);
    s_expect_invalid("1\t", "invalid character 0x09 at position 2", __LINE__);
    char long_pattern[CC_PATTERN_MAX + 1];
    memset(long_pattern, '1', CC_PATTERN_MAX);
    long_pattern[CC_PATTERN_MAX] = '\0';
    s_expect_invalid(long_pattern, "at most 63", __LINE__);
    long_pattern[CC_PATTERN_MAX - 1] = '\0';
    CC_CHECK_INT(cc_pattern_validate(long_pattern, NULL, 0), 0);

    /* And the valid ones say nothing. */
    const char *valid[] = {"1001",  "*72", "#",  "+X.", "NXXNXXXXXX", "[1-5]XX",
                           "[147]", "9.",  "9!", "!",   ".",          "0[0-9][13-57]!"};
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        char err[128] = "";
        if (cc_pattern_validate(valid[i], err, sizeof err) != 0) {
            cc_test_fail(__FILE__, __LINE__, "pattern '%s' rejected: %s", valid[i], err);
            return;
        }
    }
}

CC_TEST(dialplan_fixed_beats_tail)
{
    cc_dialplan_t *dp = cc_dialplan_new();
    CC_CHECK(dp);
    cc_route_t a = s_route(1, "1!", CC_TARGET_QUEUE, "wild"); /* many literals... */
    cc_route_t b = s_route(2, "XXXX", CC_TARGET_EXT, "1001"); /* ...but fixed wins */
    CC_CHECK_INT(cc_dialplan_add(dp, &a), 0);
    CC_CHECK_INT(cc_dialplan_add(dp, &b), 0);
    long seen = s_best(dp, "1234");
    long tail_only = s_best(dp, "12345");
    cc_dialplan_destroy(&dp);
    CC_CHECK(dp == NULL);
    CC_CHECK_INT(seen, 2);
    CC_CHECK_INT(tail_only, 1);
}

CC_TEST(dialplan_more_literals_win)
{
    cc_dialplan_t *dp = cc_dialplan_new();
    cc_route_t r[] = {
        s_route(1, "XXXX", CC_TARGET_EXT, "10"),        s_route(2, "1XXX", CC_TARGET_EXT, "11"),
        s_route(3, "10XX", CC_TARGET_EXT, "12"),        s_route(4, "1001", CC_TARGET_EXT, "13"),
        s_route(5, "9.", CC_TARGET_TRUNK, "pstn"),      s_route(6, "90.", CC_TARGET_TRUNK, "intl"),
        s_route(7, "900.", CC_TARGET_TRUNK, "premium"),
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        CC_CHECK_INT(cc_dialplan_add(dp, &r[i]), 0);
    CC_CHECK_INT(cc_dialplan_size(dp), 7);
    long got[] = {s_best(dp, "1001"),  s_best(dp, "1002"), s_best(dp, "1102"),
                  s_best(dp, "2102"),  s_best(dp, "91"),   s_best(dp, "901"),
                  s_best(dp, "90012"), s_best(dp, "9"),    s_best(dp, "555")};
    cc_dialplan_destroy(&dp);
    CC_CHECK_INT(got[0], 4);
    CC_CHECK_INT(got[1], 3);
    CC_CHECK_INT(got[2], 2);
    CC_CHECK_INT(got[3], 1);
    CC_CHECK_INT(got[4], 5);
    CC_CHECK_INT(got[5], 6);
    CC_CHECK_INT(got[6], 7);
    CC_CHECK_INT(got[7], 0);
    CC_CHECK_INT(got[8], 0);
}

CC_TEST(dialplan_longer_then_older_wins)
{
    cc_dialplan_t *dp = cc_dialplan_new();
    /* Same literal count (one): the pattern with more positions wins. */
    cc_route_t a = s_route(10, "9.", CC_TARGET_TRUNK, "short");
    cc_route_t b = s_route(11, "9XX.", CC_TARGET_TRUNK, "long");
    /* Same everything: the lower id (older row) wins, whatever the insertion order. */
    cc_route_t c = s_route(21, "5[1-3]X", CC_TARGET_QUEUE, "newer");
    cc_route_t d = s_route(20, "5XX", CC_TARGET_QUEUE, "older");
    /* A set counts as a class, not a literal: equal to X for specificity. */
    CC_CHECK_INT(cc_dialplan_add(dp, &a), 0);
    CC_CHECK_INT(cc_dialplan_add(dp, &b), 0);
    CC_CHECK_INT(cc_dialplan_add(dp, &c), 0);
    CC_CHECK_INT(cc_dialplan_add(dp, &d), 0);
    long got[] = {s_best(dp, "9123"), s_best(dp, "912"), s_best(dp, "521"), s_best(dp, "541")};
    cc_dialplan_destroy(&dp);
    CC_CHECK_INT(got[0], 11);
    CC_CHECK_INT(got[1], 10);
    CC_CHECK_INT(got[2], 20);
    CC_CHECK_INT(got[3], 20);
}

CC_TEST(dialplan_order_independent)
{
    /* The same routes added in two orders give the same answers. */
    const char *patterns[] = {"!", "1.", "1XX", "10X", "100", "1!", "[1-2]00", "N00"};
    const char *numbers[] = {"100", "101", "110", "200", "300", "1", "", "1000", "*"};
    long first[9], second[9];
    for (int pass = 0; pass < 2; pass++) {
        cc_dialplan_t *dp = cc_dialplan_new();
        for (int i = 0; i < 8; i++) {
            int k = pass == 0 ? i : 7 - i;
            cc_route_t r = s_route(k + 1, patterns[k], CC_TARGET_EXT, "1001");
            CC_CHECK_INT(cc_dialplan_add(dp, &r), 0);
        }
        for (int n = 0; n < 9; n++)
            (pass == 0 ? first : second)[n] = s_best(dp, numbers[n]);
        cc_dialplan_destroy(&dp);
    }
    for (int n = 0; n < 9; n++)
        CC_CHECK_INT(second[n], first[n]);
    CC_CHECK_INT(first[0], 5); /* 100: literal */
    CC_CHECK_INT(first[1], 4); /* 101: 10X */
    CC_CHECK_INT(first[2], 3); /* 110: 1XX */
    CC_CHECK_INT(first[3], 7); /* 200: [1-2]00 (id 7) before N00 (id 8) */
    CC_CHECK_INT(first[4], 8); /* 300: N00 */
    CC_CHECK_INT(first[5], 6); /* 1: 1! */
    CC_CHECK_INT(first[6], 1); /* "": only ! */
    CC_CHECK_INT(first[7], 2); /* 1000: 1. and 1! tie on everything: older id 2 */
    CC_CHECK_INT(first[8], 1); /* "*": only ! */
}

CC_TEST(dialplan_add_rejects_bad_routes)
{
    cc_dialplan_t *dp = cc_dialplan_new();
    cc_route_t bad = s_route(1, "12[", CC_TARGET_EXT, "1001");
    cc_route_t neg = s_route(2, "12", CC_TARGET_EXT, "1001");
    neg.strip = -1;
    cc_route_t kind = s_route(3, "12", CC_TARGET_EXT, "1001");
    kind.kind = (cc_target_kind_t)42;
    int rc_bad = cc_dialplan_add(dp, &bad);
    int rc_neg = cc_dialplan_add(dp, &neg);
    int rc_kind = cc_dialplan_add(dp, &kind);
    size_t size = cc_dialplan_size(dp);
    const cc_route_t *none = cc_dialplan_match(dp, "12");
    cc_dialplan_destroy(&dp);
    cc_dialplan_destroy(&dp); /* NULL is a no-op */
    CC_CHECK_INT(rc_bad, -1);
    CC_CHECK_INT(rc_neg, -1);
    CC_CHECK_INT(rc_kind, -1);
    CC_CHECK_INT(size, 0);
    CC_CHECK(none == NULL);
}

CC_TEST(dialplan_match_returns_copy)
{
    cc_dialplan_t *dp = cc_dialplan_new();
    cc_route_t r = s_route(7, "9.", CC_TARGET_TRUNK, "pstn");
    r.strip = 1;
    snprintf(r.prefix, sizeof r.prefix, "+49");
    CC_CHECK_INT(cc_dialplan_add(dp, &r), 0);
    memset(&r, 0, sizeof r); /* the table holds its own copy */
    const cc_route_t *m = cc_dialplan_match(dp, "9030123");
    bool ok = m && m->id == 7 && m->kind == CC_TARGET_TRUNK && strcmp(m->target, "pstn") == 0 &&
              m->strip == 1 && strcmp(m->prefix, "+49") == 0 && strcmp(m->pattern, "9.") == 0;
    cc_dialplan_destroy(&dp);
    CC_CHECK(ok);
}

CC_TEST(dialplan_many_routes)
{
    /* 1000 extensions plus catch-alls: every extension finds its own row. */
    cc_dialplan_t *dp = cc_dialplan_new();
    cc_route_t all = s_route(1, "!", CC_TARGET_IVR, "main");
    CC_CHECK_INT(cc_dialplan_add(dp, &all), 0);
    for (int i = 0; i < 1000; i++) {
        char pat[16];
        snprintf(pat, sizeof pat, "%d", 2000 + i);
        cc_route_t r = s_route(100 + i, pat, CC_TARGET_EXT, pat);
        CC_CHECK_INT(cc_dialplan_add(dp, &r), 0);
    }
    cc_route_t block = s_route(2, "3XXX", CC_TARGET_QUEUE, "overflow");
    CC_CHECK_INT(cc_dialplan_add(dp, &block), 0);
    int wrong = 0;
    for (int i = 0; i < 1000; i++) {
        char num[16];
        snprintf(num, sizeof num, "%d", 2000 + i);
        if (s_best(dp, num) != 100 + i)
            wrong++;
    }
    long other = s_best(dp, "4999"), fallback = s_best(dp, "3999");
    cc_dialplan_destroy(&dp);
    CC_CHECK_INT(wrong, 0);
    CC_CHECK_INT(other, 1);
    CC_CHECK_INT(fallback, 2);
}

CC_TEST(dialplan_targets)
{
    cc_target_kind_t kind = CC_TARGET_TRUNK;
    char name[CC_TARGET_NAME_MAX], err[256];
    CC_CHECK_INT(cc_target_parse("ext:1001", &kind, name, sizeof name, err, sizeof err), 0);
    CC_CHECK_INT(kind, CC_TARGET_EXT);
    CC_CHECK_STR(name, "1001");
    CC_CHECK_INT(cc_target_parse("queue:support", &kind, name, sizeof name, err, sizeof err), 0);
    CC_CHECK_INT(kind, CC_TARGET_QUEUE);
    CC_CHECK_STR(name, "support");
    CC_CHECK_INT(cc_target_parse("ivr:main", &kind, name, sizeof name, err, sizeof err), 0);
    CC_CHECK_INT(kind, CC_TARGET_IVR);
    CC_CHECK_STR(name, "main");
    CC_CHECK_INT(cc_target_parse("trunk:pstn-1_a.b", &kind, name, sizeof name, err, sizeof err), 0);
    CC_CHECK_INT(kind, CC_TARGET_TRUNK);
    CC_CHECK_STR(name, "pstn-1_a.b");
    CC_CHECK_INT(cc_target_parse("conf:board-room", &kind, name, sizeof name, err, sizeof err), 0);
    CC_CHECK_INT(kind, CC_TARGET_CONF);
    CC_CHECK_STR(name, "board-room");
    CC_CHECK_STR(cc_target_kind_name(CC_TARGET_CONF), "conf");
    CC_CHECK_INT(cc_target_parse("vm:1001", &kind, name, sizeof name, err, sizeof err), 0);
    CC_CHECK_INT(kind, CC_TARGET_VOICEMAIL);
    CC_CHECK_STR(name, "1001");
    CC_CHECK_STR(cc_target_kind_name(CC_TARGET_VOICEMAIL), "vm");
    /* and such a route is taken and matched (sipproxy and ccctl route test) */
    cc_dialplan_t *dp = cc_dialplan_new();
    cc_route_t room = {.id = 1, .kind = CC_TARGET_CONF};
    snprintf(room.pattern, sizeof room.pattern, "700");
    snprintf(room.target, sizeof room.target, "board-room");
    CC_CHECK_INT(cc_dialplan_add(dp, &room), 0);
    const cc_route_t *m = cc_dialplan_match(dp, "700");
    bool found = m && m->kind == CC_TARGET_CONF;
    cc_dialplan_destroy(&dp);
    CC_CHECK(found);
    CC_CHECK_STR(cc_target_kind_name(CC_TARGET_EXT), "ext");
    CC_CHECK_STR(cc_target_kind_name(CC_TARGET_QUEUE), "queue");
    CC_CHECK_STR(cc_target_kind_name(CC_TARGET_IVR), "ivr");
    CC_CHECK_STR(cc_target_kind_name(CC_TARGET_TRUNK), "trunk");
    CC_CHECK_STR(cc_target_kind_name((cc_target_kind_t)9), "?");

    char max_name[80] = "queue:";
    memset(max_name + 6, 'q', 63);
    max_name[69] = '\0';
    CC_CHECK_INT(cc_target_parse(max_name, &kind, name, sizeof name, err, sizeof err), 0);
    CC_CHECK_INT(strlen(name), 63);
}

static void s_expect_bad_target(const char *text, const char *reason, int line)
{
    cc_target_kind_t kind = CC_TARGET_EXT;
    char name[CC_TARGET_NAME_MAX] = "untouched", err[256] = "";
    if (cc_target_parse(text, &kind, name, sizeof name, err, sizeof err) == 0) {
        cc_test_fail(__FILE__, line, "target '%s': expected an error, saw kind %d name %s",
                     text ? text : "(null)", kind, name);
        return;
    }
    if (!strstr(err, reason))
        cc_test_fail(__FILE__, line,
                     "target '%s': expected reason containing \"%s\", saw "
                     "\"%s\"",
                     text ? text : "(null)", reason, err);
}

CC_TEST(dialplan_bad_targets)
{
    s_expect_bad_target("", "target is empty", __LINE__);
    s_expect_bad_target(NULL, "target is empty", __LINE__);
    s_expect_bad_target("support", "is not kind:name", __LINE__);
    s_expect_bad_target("voicemail:1001", "unknown target kind 'voicemail'", __LINE__);
    s_expect_bad_target("Queue:support", "unknown target kind 'Queue'", __LINE__);
    s_expect_bad_target(":support", "unknown target kind ''", __LINE__);
    s_expect_bad_target("queue:", "empty name", __LINE__);
    s_expect_bad_target("queue:sup port", "invalid character at position 4", __LINE__);
    s_expect_bad_target("ivr:main/x", "invalid character at position 5", __LINE__);
    s_expect_bad_target("trunk:a:b", "invalid character at position 2", __LINE__);
    s_expect_bad_target("ext:1", "has 1 digits (2-15 allowed)", __LINE__);
    s_expect_bad_target("ext:abc", "non-digit at position 1", __LINE__);
    s_expect_bad_target("ext:", "extension is empty", __LINE__);
    char long_name[80] = "queue:";
    memset(long_name + 6, 'q', 64);
    long_name[70] = '\0';
    s_expect_bad_target(long_name, "at most 63", __LINE__);

    /* A name that is valid but does not fit the caller's buffer. */
    char small[4], err[128];
    CC_CHECK_INT(cc_target_parse("queue:support", NULL, small, sizeof small, err, sizeof err), -1);
    CC_CHECK(strstr(err, "does not fit") != NULL);
    /* err may be omitted. */
    CC_CHECK_INT(cc_target_parse("nope", NULL, NULL, 0, NULL, 0), -1);
}

CC_TEST(dialplan_extensions)
{
    char err[128];
    CC_CHECK_INT(cc_extension_validate("10", err, sizeof err), 0);
    CC_CHECK_INT(cc_extension_validate("1001", err, sizeof err), 0);
    CC_CHECK_INT(cc_extension_validate("123456789012345", err, sizeof err), 0);
    CC_CHECK_INT(cc_extension_validate("0049", err, sizeof err), 0);
    CC_CHECK_INT(cc_extension_validate("1234567890123456", err, sizeof err), -1);
    CC_CHECK(strstr(err, "has 16 digits (2-15 allowed)") != NULL);
    CC_CHECK_INT(cc_extension_validate("1", err, sizeof err), -1);
    CC_CHECK(strstr(err, "has 1 digits") != NULL);
    CC_CHECK_INT(cc_extension_validate("", err, sizeof err), -1);
    CC_CHECK_STR(err, "extension is empty");
    CC_CHECK_INT(cc_extension_validate(NULL, err, sizeof err), -1);
    CC_CHECK_INT(cc_extension_validate("10a1", err, sizeof err), -1);
    CC_CHECK_STR(err, "extension '10a1' has a non-digit at position 3");
    CC_CHECK_INT(cc_extension_validate("+1001", err, sizeof err), -1);
    CC_CHECK_INT(cc_extension_validate("10 01", err, sizeof err), -1);
    CC_CHECK_INT(cc_extension_validate("*72", NULL, 0), -1);
}

CC_TEST(dialplan_extensions_without_routes)
{
    /* A user's extension is dialable with no table row; a wildcard row never hides it,
     * a row with the very same pattern takes the number elsewhere, whatever the order. */
    for (int pass = 0; pass < 2; pass++) {
        cc_dialplan_t *dp = cc_dialplan_new();
        cc_route_t trunk = s_route(3, "1.", CC_TARGET_TRUNK, "pstn");
        cc_route_t queue = s_route(9, "1005", CC_TARGET_QUEUE, "support");
        if (pass == 0) {
            CC_CHECK_INT(cc_dialplan_add_extension(dp, "1001"), 0);
            CC_CHECK_INT(cc_dialplan_add_extension(dp, "1005"), 0);
        }
        CC_CHECK_INT(cc_dialplan_add(dp, &trunk), 0);
        CC_CHECK_INT(cc_dialplan_add(dp, &queue), 0);
        if (pass == 1) {
            CC_CHECK_INT(cc_dialplan_add_extension(dp, "1005"), 0);
            CC_CHECK_INT(cc_dialplan_add_extension(dp, "1001"), 0);
        }
        const cc_route_t *r = cc_dialplan_match(dp, "1001");
        CC_CHECK(r != NULL);
        if (r) {
            CC_CHECK(r->implicit);
            CC_CHECK_INT(r->id, 0);
            CC_CHECK_INT(r->kind, CC_TARGET_EXT);
            CC_CHECK_STR(r->target, "1001");
            CC_CHECK_STR(r->pattern, "1001");
        }
        CC_CHECK_INT(s_best(dp, "1005"), 9); /* the row with the same pattern wins */
        CC_CHECK_INT(s_best(dp, "1002"), 3); /* not a user: the wildcard row */
        CC_CHECK_INT(cc_dialplan_size(dp), 4);
        cc_dialplan_destroy(&dp);
    }
    cc_dialplan_t *dp = cc_dialplan_new();
    CC_CHECK_INT(cc_dialplan_add_extension(dp, "1"), -1); /* not an extension */
    CC_CHECK_INT(cc_dialplan_add_extension(dp, "10a1"), -1);
    CC_CHECK_INT(cc_dialplan_add_extension(dp, NULL), -1);
    CC_CHECK(cc_dialplan_match(dp, "1") == NULL);
    cc_dialplan_destroy(&dp);
}

CC_TEST(dialplan_rewrite)
{
    cc_route_t r = s_route(1, "0.", CC_TARGET_TRUNK, "pstn");
    char out[CC_NUMBER_MAX];
    /* Plain pass-through. */
    CC_CHECK_INT(cc_route_rewrite(&r, "0301234", out, sizeof out), 0);
    CC_CHECK_STR(out, "0301234");
    /* Strip the outside-line digit, then prefix the country code. */
    r.strip = 1;
    snprintf(r.prefix, sizeof r.prefix, "+49");
    CC_CHECK_INT(cc_route_rewrite(&r, "0301234", out, sizeof out), 0);
    CC_CHECK_STR(out, "+49301234");
    /* Prefix only. */
    r.strip = 0;
    snprintf(r.prefix, sizeof r.prefix, "9");
    CC_CHECK_INT(cc_route_rewrite(&r, "555", out, sizeof out), 0);
    CC_CHECK_STR(out, "9555");
    /* Strip more than there is: nothing left but the prefix. */
    r.strip = 10;
    snprintf(r.prefix, sizeof r.prefix, "100");
    CC_CHECK_INT(cc_route_rewrite(&r, "555", out, sizeof out), 0);
    CC_CHECK_STR(out, "100");
    r.strip = 3;
    r.prefix[0] = '\0';
    CC_CHECK_INT(cc_route_rewrite(&r, "555", out, sizeof out), 0);
    CC_CHECK_STR(out, "");
    /* Exact fit and one byte short. */
    r.strip = 1;
    snprintf(r.prefix, sizeof r.prefix, "+1");
    char tiny[6];
    CC_CHECK_INT(cc_route_rewrite(&r, "9555", tiny, sizeof tiny), 0); /* "+1555" + NUL */
    CC_CHECK_STR(tiny, "+1555");
    CC_CHECK_INT(cc_route_rewrite(&r, "95555", tiny, sizeof tiny), -1);
    CC_CHECK_INT(cc_route_rewrite(&r, "9555", tiny, 0), -1);
    r.strip = -2;
    CC_CHECK_INT(cc_route_rewrite(&r, "9555", out, sizeof out), -1);
}
