/* cc_json_write_test.c - the writer's text equals jansson's compact dump, byte for byte:
 * hand-picked values (escapes, UTF-8, integer limits, reals, nesting, empty containers)
 * and a few thousand generated ones. */
#include <stdint.h>
#include <stdlib.h>

#include "cc_json_write.h"
#include "cc_test.h"

static bool s_same_as_jansson(const json_t *v)
{
    char *want = json_dumps(v, JSON_COMPACT);
    size_t len = 0;
    char *got = cc_json_compact(v, &len);
    bool same = want && got && !strcmp(want, got) && len == strlen(want);
    if (!same)
        fprintf(stderr, "jansson: %s\nwriter:  %s\n", want ? want : "(null)", got ? got : "(null)");
    free(want);
    free(got);
    return same;
}

CC_TEST(json_write_values_as_jansson)
{
    const char *texts[] = {
        "{}",
        "[]",
        "{\"a\":1,\"b\":-1,\"c\":0,\"d\":9223372036854775807,\"e\":-9223372036854775808}",
        "{\"s\":\"quote \\\" backslash \\\\ slash / tab \\t nl \\n cr \\r bs \\b ff \\f\"}",
        "{\"ctl\":\"\\u0001\\u001f\\u0000x\",\"del\":\"\\u007f\"}",
        "{\"utf8\":\"caf\\u00e9 \\u20ac \\ud83d\\ude00\",\"k\\\"ey\":true}",
        "{\"r\":1.5,\"r2\":-0.25,\"r3\":1e300,\"r4\":100.0,\"r5\":3.0e-7}",
        "{\"t\":true,\"f\":false,\"n\":null,\"arr\":[1,\"two\",[],{},[null,[false]]]}",
        "[1,2,{\"x\":{\"y\":{\"z\":\"deep\"}}}]",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        json_error_t err;
        json_t *v = json_loads(texts[i], JSON_ALLOW_NUL, &err);
        CC_CHECK(v != NULL);
        bool same = s_same_as_jansson(v);
        json_decref(v);
        CC_CHECK(same);
    }
}

static json_t *s_random_value(unsigned *seed, int depth)
{
    static const char *words[] = {"",
                                  "a",
                                  "call.created",
                                  "\"q\"",
                                  "back\\slash",
                                  "t\tab",
                                  "\x01\x1f",
                                  "\xc3\xa9t\xc3\xa9",
                                  "sip:1000@127.0.0.1;tag=x"};
    int kind = rand_r(seed) % (depth > 3 ? 5 : 7);
    switch (kind) {
    case 0:
        return json_string(words[rand_r(seed) % (sizeof words / sizeof *words)]);
    case 1:
        return json_integer((json_int_t)rand_r(seed) * (rand_r(seed) % 2 ? 1 : -1) *
                            (json_int_t)(rand_r(seed) % 100000));
    case 2:
        return json_real((double)rand_r(seed) / (double)(rand_r(seed) + 1));
    case 3:
        return json_boolean(rand_r(seed) % 2);
    case 4:
        return json_null();
    case 5: {
        json_t *a = json_array();
        for (int n = rand_r(seed) % 5; n > 0; n--)
            json_array_append_new(a, s_random_value(seed, depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (int n = rand_r(seed) % 6; n > 0; n--) {
            char key[16];
            snprintf(key, sizeof key, "k%d%s", rand_r(seed) % 50, n % 3 ? "" : "\"\\");
            json_object_set_new(o, key, s_random_value(seed, depth + 1));
        }
        return o;
    }
    }
}

CC_TEST(json_write_generated_values_as_jansson)
{
    unsigned seed = 20261203;
    for (int i = 0; i < 3000; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "v", s_random_value(&seed, 0));
        bool same = s_same_as_jansson(o);
        json_decref(o);
        CC_CHECK(same);
    }
}

CC_TEST(json_write_pieces)
{
    cc_jw_t w;
    cc_jw_init(&w);
    cc_jw_raw(&w, "{", 1);
    cc_jw_str(&w, "seq");
    cc_jw_raw(&w, ":", 1);
    cc_jw_int(&w, INT64_MIN);
    cc_jw_raw(&w, ",", 1);
    cc_jw_strn(&w, "a\0b", 3);
    cc_jw_raw(&w, ":", 1);
    cc_jw_int(&w, 0);
    cc_jw_raw(&w, "}", 1);
    size_t len;
    char *text = cc_jw_take(&w, &len);
    CC_CHECK_STR(text, "{\"seq\":-9223372036854775808,\"a\\u0000b\":0}");
    CC_CHECK_INT(len, strlen(text));
    free(text);
    CC_CHECK(w.buf == NULL && w.len == 0);
    cc_jw_value(&w, NULL); /* a missing value voids the text */
    CC_CHECK(cc_jw_take(&w, NULL) == NULL);
    char *empty = cc_jw_take(&w, &len); /* nothing written: an empty string, not NULL */
    CC_CHECK(empty && empty[0] == '\0' && len == 0);
    free(empty);
    json_t *s = json_string("x");
    CC_CHECK(cc_json_compact(s, NULL) == NULL); /* as json_dumps without JSON_ENCODE_ANY */
    json_decref(s);
}
