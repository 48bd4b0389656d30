/* sp_callargs_test.c - call.connect / call.originate arguments: targets, X-CC-* headers
 * (nothing that could end a SIP header line gets through), timeouts. */
#include "cc_test.h"
#include "sp_callargs.h"

static int s_headers(const char *json, char *out, size_t len, char *err, size_t errlen)
{
    json_t *obj = json_loads(json, 0, NULL);
    int rc = sp_callargs_headers(obj, out, len, err, errlen);
    json_decref(obj);
    return rc;
}

CC_TEST(callargs_headers_only_safe_x_cc)
{
    char out[256], err[128];
    CC_CHECK_INT(s_headers("{\"X-CC-Queue\":\"support\",\"x-cc-wait\":\"12\"}", out, sizeof out,
                           err, sizeof err),
                 0);
    CC_CHECK_STR(out, "X-CC-Queue: support\r\nx-cc-wait: 12");
    CC_CHECK_INT(s_headers("{\"X-CC-A\":\"x\\r\\nVia: evil\"}", out, sizeof out, err, sizeof err),
                 -1);
    CC_CHECK_STR(err, "header 'X-CC-A' has a control character");
    CC_CHECK_INT(s_headers("{\"Contact\":\"x\"}", out, sizeof out, err, sizeof err), -1);
    CC_CHECK_INT(s_headers("{\"X-CC-A B\":\"x\"}", out, sizeof out, err, sizeof err), -1);
    CC_CHECK_STR(err, "header name 'X-CC-A B' is not a token");
    CC_CHECK_INT(s_headers("{\"X-CC-A\":5}", out, sizeof out, err, sizeof err), -1);
    CC_CHECK_INT(s_headers("{\"X-CC-A\":\"0123456789\"}", out, 12, err, sizeof err), -1);
    CC_CHECK_STR(err, "headers too long");
}

CC_TEST(callargs_targets_and_options)
{
    char err[128], headers[64];
    CC_CHECK(sp_callargs_target_ok("ext:1001"));
    CC_CHECK(sp_callargs_target_ok("number:+44*1#"));
    CC_CHECK(!sp_callargs_target_ok("ext:"));
    CC_CHECK(!sp_callargs_target_ok("queue:support"));
    CC_CHECK(!sp_callargs_target_ok("number:12a"));
    json_t *two = json_loads("[\"ext:1001\", \"number:5551234\"]", 0, NULL);
    CC_CHECK_INT(sp_callargs_targets(two, 8, err, sizeof err), 0);
    CC_CHECK_INT(sp_callargs_targets(two, 1, err, sizeof err), -1);
    CC_CHECK_STR(err, "targets must hold 1-1 entries");
    json_decref(two);
    int timeout = -1;
    bool ret = true;
    json_t *args = json_loads("{\"timeout_s\": 4294967301}", 0, NULL); /* 2^32 + 5 */
    CC_CHECK_INT(
        sp_callargs_attempt(args, headers, sizeof headers, &timeout, &ret, err, sizeof err),
        -1); /* not read as 5 */
    CC_CHECK_STR(err, "timeout_s must be 1-600");
    json_decref(args);
    args = json_loads("{\"timeout_s\": 30, \"on_callee_hangup\": \"return\"}", 0, NULL);
    CC_CHECK_INT(
        sp_callargs_attempt(args, headers, sizeof headers, &timeout, &ret, err, sizeof err), 0);
    CC_CHECK_INT(timeout, 30);
    CC_CHECK(ret);
    json_decref(args);
}
