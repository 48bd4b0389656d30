/* sp_tls_policy_test.c - the per-user TLS policy decisions. */
#include "cc_test.h"
#include "sp_tls_policy.h"

CC_TEST(tls_policy_decides_by_transport)
{
    sp_tls_policy_t p;
    CC_CHECK_INT(sp_tls_policy_parse("required", &p), 0);
    CC_CHECK_INT(p, SP_TLS_REQUIRED);
    CC_CHECK_INT(sp_tls_policy_parse("off", &p), 0);
    CC_CHECK_INT(p, SP_TLS_OFF);
    CC_CHECK_INT(sp_tls_policy_parse("optional", &p), 0);
    CC_CHECK_INT(p, SP_TLS_OPTIONAL);
    CC_CHECK_INT(sp_tls_policy_parse("sometimes", &p), -1);
    CC_CHECK_INT(sp_tls_policy_parse(NULL, &p), -1);
    CC_CHECK_STR(sp_tls_policy_name(SP_TLS_REQUIRED), "required");

    CC_CHECK(sp_tls_policy_refusal(SP_TLS_OPTIONAL, false) == NULL);
    CC_CHECK(sp_tls_policy_refusal(SP_TLS_OPTIONAL, true) == NULL);
    CC_CHECK_STR(sp_tls_policy_refusal(SP_TLS_REQUIRED, false), "TLS Required");
    CC_CHECK(sp_tls_policy_refusal(SP_TLS_REQUIRED, true) == NULL);
    CC_CHECK_STR(sp_tls_policy_refusal(SP_TLS_OFF, true), "TLS Not Allowed");
    CC_CHECK(sp_tls_policy_refusal(SP_TLS_OFF, false) == NULL);

    CC_CHECK(sp_tls_policy_contact_ok(SP_TLS_REQUIRED, "tls"));
    CC_CHECK(sp_tls_policy_contact_ok(SP_TLS_REQUIRED, "TLS"));
    CC_CHECK(!sp_tls_policy_contact_ok(SP_TLS_REQUIRED, "udp"));
    CC_CHECK(!sp_tls_policy_contact_ok(SP_TLS_REQUIRED, NULL));
    CC_CHECK(!sp_tls_policy_contact_ok(SP_TLS_OFF, "tls"));
    CC_CHECK(sp_tls_policy_contact_ok(SP_TLS_OFF, "tcp"));
    CC_CHECK(sp_tls_policy_contact_ok(SP_TLS_OPTIONAL, "tls"));
}
