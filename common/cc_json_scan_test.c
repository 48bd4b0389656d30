/* cc_json_scan_test.c - the tree-less reader against jansson: the same documents accepted
 * and refused, and every value read the same, on hand-picked edge cases and on a bus
 * event as sipproxy sends it. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cc_json_scan.h"
#include "cc_test.h"

/* Does token i hold the same value as j (recursively, keys looked up both ways)? */
static bool s_same(cc_json_doc_t *doc, int i, json_t *j)
{
    switch (cc_json_kind(doc, i)) {
    case CC_JSON_OBJECT: {
        if (!json_is_object(j))
            return false;
        const char *key;
        json_t *v;
        size_t members = 0;
        json_object_foreach(j, key, v)
        {
            members++;
            if (!s_same(doc, cc_json_get(doc, i, key), v))
                return false;
        }
        /* as many distinct keys: every scanned key must be one of jansson's */
        for (uint32_t k = (uint32_t)i + 1; k < doc->toks[i].end; k = doc->toks[k + 1].end)
            if (!json_object_get(j, cc_json_str(doc, (int)k)))
                return false;
        return members == json_object_size(j);
    }
    case CC_JSON_ARRAY: {
        if (!json_is_array(j))
            return false;
        size_t n = 0;
        for (uint32_t k = (uint32_t)i + 1; k < doc->toks[i].end; k = doc->toks[k].end, n++)
            if (n >= json_array_size(j) || !s_same(doc, (int)k, json_array_get(j, n)))
                return false;
        return n == json_array_size(j);
    }
    case CC_JSON_STRING: {
        const char *s = cc_json_str(doc, i);
        return json_is_string(j) && s && strlen(s) == json_string_length(j) &&
               !strcmp(s, json_string_value(j));
    }
    case CC_JSON_INTEGER: {
        int64_t v;
        return json_is_integer(j) && cc_json_int(doc, i, &v) && v == json_integer_value(j);
    }
    case CC_JSON_REAL: {
        double v;
        return json_is_real(j) && cc_json_number(doc, i, &v) && v == json_real_value(j);
    }
    case CC_JSON_TRUE:
        return json_is_true(j);
    case CC_JSON_FALSE:
        return json_is_false(j);
    case CC_JSON_NULL:
        return json_is_null(j);
    default:
        return false;
    }
}

/* 1: both accept and agree on every value; 0: both refuse; -1: they differ. */
static int s_compare(const char *text, size_t len)
{
    cc_json_tok_t toks[4096];
    char *scratch = malloc(len + 1);
    cc_json_doc_t doc;
    int n = cc_json_scan(&doc, text, len, toks, 4096, scratch);
    json_t *j = json_loadb(text, len, 0, NULL);
    int rc = -1;
    if (n >= 0 && j)
        rc = s_same(&doc, 0, j) ? 1 : -1;
    else if (n == CC_JSON_SCAN_INVALID && !j)
        rc = 0;
    json_decref(j);
    free(scratch);
    return rc;
}

#define S_BOTH(text, expected) CC_CHECK_INT(s_compare(text, sizeof(text) - 1), expected)

CC_TEST(json_scan_accepts_what_jansson_accepts)
{
    S_BOTH("{}", 1);
    S_BOTH(" [ ] \r\n\t", 1);
    S_BOTH("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}", 1);
    S_BOTH("[-0, 0, 1.5, -1e5, 2E+3, 3e-2, 0.0]", 1);
    S_BOTH("[9223372036854775807, -9223372036854775808]", 1);
    S_BOTH("[1.7976931348623157e308, 1e-400]", 1); /* underflow is not an error */
    S_BOTH("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\u00e9\\u20AC\\ud83d\\ude00\"]", 1);
    S_BOTH("[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]", 1);
    S_BOTH("{\"a\":1,\"a\":2}", 1);                     /* the last one counts */
    S_BOTH("{\"c\\u0061ll\":\"x\",\"call\":\"y\"}", 1); /* an escaped key is the same key */
}

CC_TEST(json_scan_refuses_what_jansson_refuses)
{
    S_BOTH("", 0);
    S_BOTH("1", 0); /* not an object or array at the top */
    S_BOTH("\"a\"", 0);
    S_BOTH("{", 0);
    S_BOTH("{\"a\"}", 0);
    S_BOTH("{\"a\":1,}", 0);
    S_BOTH("[1,]", 0);
    S_BOTH("[01]", 0);
    S_BOTH("[-]", 0);
    S_BOTH("[1.]", 0);
    S_BOTH("[.5]", 0);
    S_BOTH("[1e]", 0);
    S_BOTH("[+1]", 0);
    S_BOTH("[9223372036854775808]", 0);
    S_BOTH("[-9223372036854775809]", 0);
    S_BOTH("[1e400]", 0);
    S_BOTH("[tru]", 0);
    S_BOTH("[truex]", 0);
    S_BOTH("[\"a\\u0000b\"]", 0);
    S_BOTH("[\"\\ud800\"]", 0);
    S_BOTH("[\"\\udc00\"]", 0);
    S_BOTH("[\"\\ud800\\u0041\"]", 0);
    S_BOTH("[\"\\x\"]", 0);
    S_BOTH("[\"\\u12\"]", 0);
    S_BOTH("[\"a\tb\"]", 0);
    S_BOTH("[\"\xc0\xaf\"]", 0);         /* overlong */
    S_BOTH("[\"\xed\xa0\x80\"]", 0);     /* a surrogate in UTF-8 */
    S_BOTH("[\"\xf4\x90\x80\x80\"]", 0); /* above U+10FFFF */
    S_BOTH("[\"\xe2\x82\"]", 0);         /* cut short */
    S_BOTH("{} x", 0);
    S_BOTH("{}{}", 0);
    S_BOTH("[1 2]", 0);
    S_BOTH("{\"a\" 1}", 0);
    S_BOTH("[\"unterminated]", 0);
    CC_CHECK_INT(s_compare("[\"a\0b\"]", 7), 0); /* a raw NUL */
    CC_CHECK_INT(s_compare("{}\0", 3), 0);
    /* jansson's leniency: a NUL right after a number or literal is skipped; the scanner
     * refuses it (the bus then asks jansson) */
    cc_json_tok_t toks[8];
    char scratch[8];
    cc_json_doc_t doc;
    CC_CHECK_INT(cc_json_scan(&doc, "[1\0]", 4, toks, 8, scratch), CC_JSON_SCAN_INVALID);
    json_t *j = json_loadb("[1\0]", 4, 0, NULL);
    CC_CHECK(j != NULL);
    json_decref(j);
}

CC_TEST(json_scan_nesting_limit)
{
    /* jansson takes values up to depth 2048: 2048 nested arrays, not 2049 */
    char deep[2 * 2049 + 1];
    for (int depth = 2048; depth <= 2049; depth++) {
        memset(deep, '[', (size_t)depth);
        memset(deep + depth, ']', (size_t)depth);
        CC_CHECK_INT(s_compare(deep, (size_t)depth * 2), depth == 2048 ? 1 : 0);
    }
}

CC_TEST(json_scan_full_and_lookups)
{
    const char *ev =
        "{\"type\":\"call.ended\",\"id\":{\"pub\":\"sipproxy\",\"epoch\":17,\"seq\":4},"
        "\"ts\":\"2026-11-21T13:17:03.123456Z\",\"call_id\":\"c-1\","
        "\"media\":{\"caller\":{\"jitter_ms\":1.25,\"lost\":3}},\"x\":[1,[2,3],{}]}";
    cc_json_tok_t toks[64];
    char scratch[512];
    cc_json_doc_t doc;
    CC_CHECK(cc_json_scan(&doc, ev, strlen(ev), toks, 64, scratch) > 0);
    CC_CHECK_STR(cc_json_str(&doc, cc_json_get(&doc, 0, "type")), "call.ended");
    int id = cc_json_get(&doc, 0, "id");
    int64_t v = 0;
    CC_CHECK(cc_json_int(&doc, cc_json_get(&doc, id, "seq"), &v) && v == 4);
    int caller = cc_json_get(&doc, cc_json_get(&doc, 0, "media"), "caller");
    double d = 0;
    CC_CHECK(cc_json_number(&doc, cc_json_get(&doc, caller, "jitter_ms"), &d) && d == 1.25);
    CC_CHECK(cc_json_number(&doc, cc_json_get(&doc, caller, "lost"), &d) && d == 3);
    CC_CHECK(!cc_json_int(&doc, cc_json_get(&doc, caller, "jitter_ms"), &v));
    CC_CHECK_INT(cc_json_get(&doc, caller, "nosuch"), -1);
    CC_CHECK_INT(cc_json_get(&doc, -1, "type"), -1);
    CC_CHECK(cc_json_str(&doc, id) == NULL);
    /* the member after an array holding containers is still found */
    CC_CHECK_INT(cc_json_kind(&doc, cc_json_get(&doc, 0, "x")), CC_JSON_ARRAY);
    CC_CHECK_STR(cc_json_str(&doc, cc_json_get(&doc, 0, "call_id")), "c-1");
    /* too many values for the tokens: FULL, never a partial success */
    CC_CHECK_INT(cc_json_scan(&doc, ev, strlen(ev), toks, 8, scratch), CC_JSON_SCAN_FULL);
}
