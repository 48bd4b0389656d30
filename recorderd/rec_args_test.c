/* rec_args_test.c - rec.* command arguments: what rec.start's handler gets, and what is
 * refused before it (empty or oversized call ids, endpoints that are not mediad ids or
 * would be cut to an int, a mix together with endpoints). */
#include <jansson.h>
#include <string.h>

#include "cc_test.h"
#include "rec_args.h"

static int s_start(const char *text, rec_start_args_t *in, char *err, size_t len)
{
    json_t *a = json_loads(text, 0, NULL);
    int rc = a ? rec_args_start(a, in, err, len) : -2;
    json_decref(a);
    return rc;
}

CC_TEST(rec_args_start_taken)
{
    rec_start_args_t in;
    char err[160] = "";
    CC_CHECK_INT(s_start("{\"call_id\":\"c1\",\"caller_endpoint\":3,\"callee_endpoint\":"
                         "2147483647,\"caller\":\"1001\",\"callee\":null}",
                         &in, err, sizeof err),
                 0);
    CC_CHECK_INT(in.caller_ep, 3);
    CC_CHECK_INT(in.callee_ep, 2147483647);
    CC_CHECK_INT(in.mix_id, 0);
    CC_CHECK(in.callee == NULL); /* null: keep what call.created said */
    CC_CHECK_INT(s_start("{\"call_id\":\"conf-r1-1\",\"mix_id\":4294967295}", &in, err, sizeof err),
                 0);
    CC_CHECK(in.mix_id == UINT32_MAX && in.caller_ep == 0 && in.callee_ep == 0);
}

CC_TEST(rec_args_start_refused)
{
    static const struct {
        const char *json, *says;
    } cases[] = {
        {"{\"call_id\":\"\"}", "call_id must be 1-255 characters"},
        /* 2^32 + 5 was taken as endpoint 5: someone else's call */
        {"{\"call_id\":\"c\",\"caller_endpoint\":4294967301}",
         "caller_endpoint must be an integer 1-2147483647"},
        {"{\"call_id\":\"c\",\"callee_endpoint\":0}",
         "callee_endpoint must be an integer 1-2147483647"},
        {"{\"call_id\":\"c\",\"mix_id\":4294967296}", "mix_id must be an integer 1-4294967295"},
        {"{\"call_id\":\"c\",\"mix_id\":7,\"caller_endpoint\":3}",
         "give mix_id or endpoints, not both"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rec_start_args_t in;
        char err[160] = "";
        CC_CHECK_INT(s_start(cases[i].json, &in, err, sizeof err), -1);
        CC_CHECK_STR(err, cases[i].says);
    }
    char id[300];
    memset(id, 'x', sizeof id);
    id[256] = '\0';
    json_t *a = json_pack("{s:s}", "call_id", id);
    const char *call_id;
    char err[160] = "";
    CC_CHECK_INT(rec_args_call(a, &call_id, err, sizeof err), -1); /* 256: no room for NUL */
    id[255] = '\0';
    json_object_set_new(a, "call_id", json_string(id));
    CC_CHECK_INT(rec_args_call(a, &call_id, err, sizeof err), 0);
    json_decref(a);
}
