/* md_args_test.c - endpoint.create / endpoint.remote arguments: what is taken, what is
 * refused and with which message. */
#include "cc_test.h"
#include "md_args.h"

#define S_KEY "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz" /* base64 of 30 bytes */

static int s_leg(const char *text, md_leg_args_t *leg, char *err, size_t len)
{
    json_t *obj = json_loads(text, 0, NULL);
    int rc = obj ? md_args_leg_parse(obj, leg, err, len) : -2;
    json_decref(obj);
    return rc;
}

CC_TEST(args_leg_with_remote_and_srtp)
{
    md_leg_args_t leg;
    char err[160] = "";
    int rc = s_leg("{\"leg\":\"caller\",\"dtmf\":true,\"srtp\":{},\"remote\":{\"address\":"
                   "\"192.0.2.1\",\"port\":4000,\"payload_types\":[0,8,101],"
                   "\"telephone_event\":101,\"srtp\":{\"suite\":\"AES_CM_128_HMAC_SHA1_80\","
                   "\"key\":\"" S_KEY "\"}}}",
                   &leg, err, sizeof err);
    CC_CHECK_STR(err, "");
    CC_CHECK_INT(rc, 0);
    CC_CHECK(leg.dtmf && leg.symmetric && leg.srtp && leg.has_remote && !leg.has_restore);
    CC_CHECK_INT(leg.remote.port, 4000);
    CC_CHECK_INT(leg.remote.npts, 3);
    CC_CHECK_INT(leg.remote.te_pt, 101);
    CC_CHECK_INT(leg.remote.send_pt, -1);
    CC_CHECK_STR(leg.remote.direction, "sendrecv");
}

CC_TEST(args_refused_with_the_reason)
{
    static const struct {
        const char *json, *says;
    } cases[] = {
        {"{\"leg\":\"\"}", "leg must be 1-31 characters"},
        {"{\"leg\":\"a\",\"remote\":{\"address\":\"nowhere\",\"port\":1}}", "IPv4 address"},
        {"{\"leg\":\"a\",\"remote\":{\"address\":\"192.0.2.1\",\"port\":70000}}", "port must be"},
        {"{\"leg\":\"a\",\"remote\":{\"address\":\"192.0.2.1\",\"port\":1,\"direction\":\"up\"}}",
         "direction must be"},
        {"{\"leg\":\"a\",\"remote\":{\"address\":\"192.0.2.1\",\"port\":1,"
         "\"payload_types\":[0,128]}}",
         "payload_types must be integers 0-127"},
        {"{\"leg\":\"a\",\"remote\":{\"address\":\"192.0.2.1\",\"port\":1,\"payload_type\":18}}",
         "payload_type must be 0 (PCMU) or 8 (PCMA)"},
        {"{\"leg\":\"a\",\"remote\":{\"address\":\"192.0.2.1\",\"port\":1,"
         "\"srtp\":{\"suite\":\"AES_CM_128_HMAC_SHA1_80\",\"key\":\"c2hvcnQ=\"}}}",
         "srtp needs suite"},
        {"{\"leg\":\"a\",\"remote\":{\"address\":\"192.0.2.1\",\"port\":1,"
         "\"srtp\":{\"suite\":\"AES_CM_128_HMAC_SHA1_80\",\"key\":\"" S_KEY "\"}}}",
         "remote srtp given for an endpoint created without srtp"},
        {"{\"leg\":\"a\",\"restore\":{\"endpoint_id\":0,\"port\":4000}}", "restore needs"},
        {"{\"leg\":\"a\",\"srtp\":{\"key\":\"not base64!\"}}", "srtp key must be base64"},
        {"{\"leg\":\"a\",\"remote\":{\"port\":1}}", "address"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        md_leg_args_t leg;
        char err[160] = "";
        int rc = s_leg(cases[i].json, &leg, err, sizeof err);
        if (rc != -1 || !strstr(err, cases[i].says))
            cc_test_fail(__FILE__, __LINE__, "case %zu: rc %d, err \"%s\"", i, rc, err);
    }
}
