/* ivr_say_test.c - reading numbers and digits as prompt names, English and Mandarin, and
 * ${variable} templates. */
#include <stdio.h>
#include <stdlib.h>

#include "cc_test.h"
#include "ivr_say.h"
#include "ivr_vars.h"

static const char *s_say(ivr_say_mode_t mode, const char *lang, const char *value)
{
    static char text[512];
    const char *names[IVR_SAY_MAX];
    size_t n = ivr_say_prompts(mode, lang, value, names, IVR_SAY_MAX), len = 0;
    text[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", i ? " " : "", names[i]);
    return text;
}

CC_TEST(ivr_say_english_numbers)
{
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "en", "0"), "num-0");
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "en", "15"), "num-15");
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "en", "42"), "num-40 num-2");
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "en", "105"), "num-1 num-hundred num-5");
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "en", "1234"),
                 "num-1 num-thousand num-2 num-hundred num-30 num-4");
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "en", "2000070"), "num-2 num-million num-70");
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "en", "007"), "num-7");
    /* Not a number we read: digit by digit. */
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "en", "12a"), "digit-1 digit-2");
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "en", "1234567890"),
                 "digit-1 digit-2 digit-3 digit-4 digit-5 digit-6 digit-7 digit-8 digit-9 digit-0");
}

CC_TEST(ivr_say_mandarin_numbers)
{
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "zh", "12"), "num-10 num-2"); /* shi er */
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "zh", "20"), "num-2 num-10"); /* er shi */
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "zh", "105"), "num-1 num-hundred num-0 num-5");
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "cmn", "12"), "num-10 num-2"); /* Mandarin by its own code */
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "zh-CN", "1010"), "num-1 num-thousand num-0 num-1 num-10");
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "zh", "10005"), "num-1 num-wan num-0 num-5");
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "zh", "100500"), "num-10 num-wan num-0 num-5 num-hundred");
    CC_CHECK_STR(s_say(IVR_SAY_NUMBER, "zh", "100000000"), "num-1 num-yi");
}

CC_TEST(ivr_say_digits)
{
    CC_CHECK_STR(s_say(IVR_SAY_DIGITS, "en", "40#7"), "digit-4 digit-0 digit-7");
    CC_CHECK_STR(s_say(IVR_SAY_DIGITS, "zh", ""), "");
    const char *names[64];
    CC_CHECK_INT(ivr_say_required(IVR_SAY_DIGITS, "en", names, 64), 10);
    CC_CHECK_INT(ivr_say_required(IVR_SAY_NUMBER, "en", names, 64), 10 + 20 + 8 + 3);
    CC_CHECK_INT(ivr_say_required(IVR_SAY_NUMBER, "zh", names, 64), 10 + 11 + 4);
}

CC_TEST(ivr_vars_templates)
{
    ivr_vars_t *vars = ivr_vars_new();
    CC_CHECK_INT(ivr_vars_set(vars, "tier", "VIP"), 0);
    CC_CHECK_INT(ivr_vars_set(vars, "name", "Ada"), 0);
    CC_CHECK_INT(ivr_vars_set(vars, "tier", "gold"), 0); /* replaces */
    CC_CHECK_INT(ivr_vars_set(vars, "9lives", "x"), -1);
    CC_CHECK_INT(ivr_vars_size(vars), 2);
    char *text = ivr_template_expand("${name} is ${tier}${unset}!", vars);
    CC_CHECK_STR(text, "Ada is gold!");
    free(text);
    text = ivr_template_expand("no refs, $ and { alone", vars);
    CC_CHECK_STR(text, "no refs, $ and { alone");
    free(text);
    char why[128];
    CC_CHECK_INT(ivr_template_check("queue_${tier}", why, sizeof why), 0);
    CC_CHECK_INT(ivr_template_check("${tier", why, sizeof why), -1);
    CC_CHECK_STR(why, "'${' at position 0 is not closed by '}'");
    CC_CHECK_INT(ivr_template_check("a${t-x}", why, sizeof why), -1);
    CC_CHECK_STR(why, "'t-x' is not a valid variable name");
    ivr_vars_destroy(&vars);
    CC_CHECK(vars == NULL);
}
