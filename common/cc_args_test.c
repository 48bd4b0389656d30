/* cc_args_test.c - bounded strings and ranged integers from command arguments: null is
 * absent, an id must not be empty or longer than its buffer, a number is checked as sent. */
#include <jansson.h>

#include "cc_args.h"
#include "cc_test.h"

CC_TEST(args_text_bounds_and_presence)
{
    json_t *a = json_loads("{\"id\":\"abc\",\"empty\":\"\",\"nul\":\"a\\u0000b\",\"n\":5,"
                           "\"none\":null}",
                           JSON_ALLOW_NUL, NULL);
    CC_CHECK(a);
    const char *s = "x";
    char err[120] = "";
    CC_CHECK_INT(cc_args_text(a, "id", true, 4, &s, err, sizeof err), 0);
    CC_CHECK_STR(s, "abc");
    CC_CHECK_INT(cc_args_text(a, "id", true, 3, &s, err, sizeof err), -1); /* no room for NUL */
    CC_CHECK_STR(err, "id must be 1-2 characters");
    CC_CHECK_INT(cc_args_text(a, "empty", true, 8, &s, err, sizeof err), -1);
    CC_CHECK_INT(cc_args_text(a, "empty", false, 8, &s, err, sizeof err), 0);
    CC_CHECK_STR(s, "");
    /* a NUL inside would make two different ids one */
    CC_CHECK_INT(cc_args_text(a, "nul", false, 8, &s, err, sizeof err), -1);
    CC_CHECK_STR(err, "nul must not contain NUL");
    CC_CHECK_INT(cc_args_text(a, "n", false, 8, &s, err, sizeof err), -1);
    CC_CHECK_STR(err, "n must be a string");
    CC_CHECK_INT(cc_args_text(a, "none", false, 8, &s, err, sizeof err), 0);
    CC_CHECK(s == NULL);
    CC_CHECK_INT(cc_args_text(a, "none", true, 8, &s, err, sizeof err), -1);
    CC_CHECK_STR(err, "none is required");
    json_decref(a);
}

CC_TEST(args_int_range_as_sent)
{
    json_t *a =
        json_loads("{\"p\":100,\"big\":4294967301,\"neg\":-1,\"s\":\"5\",\"none\":null}", 0, NULL);
    CC_CHECK(a);
    json_int_t v = 7;
    char err[120] = "";
    CC_CHECK_INT(cc_args_int(a, "p", true, 0, 100, &v, err, sizeof err), 0);
    CC_CHECK_INT(v, 100);
    /* 2^32 + 5: would be 5 once cut to an int */
    CC_CHECK_INT(cc_args_int(a, "big", false, 0, 100, &v, err, sizeof err), -1);
    CC_CHECK_STR(err, "big must be an integer 0-100");
    CC_CHECK_INT(cc_args_int(a, "neg", false, 0, 100, &v, err, sizeof err), -1);
    CC_CHECK_INT(cc_args_int(a, "s", false, 0, 100, &v, err, sizeof err), -1);
    v = 7;
    CC_CHECK_INT(cc_args_int(a, "none", false, 0, 100, &v, err, sizeof err), 0);
    CC_CHECK_INT(v, 7); /* absent: left as it was */
    CC_CHECK_INT(cc_args_int(a, "missing", true, 0, 100, &v, err, sizeof err), -1);
    CC_CHECK_STR(err, "missing is required");
    json_decref(a);
}
