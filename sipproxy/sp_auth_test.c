/* sp_auth_test.c - digest arithmetic (RFC 2617 example), nonces, parsing, throttle. */
#include <string.h>

#include "cc_test.h"
#include "sp_digest.h"
#include "sp_throttle.h"

CC_TEST(digest_rfc2617_example)
{
    /* RFC 2617 section 3.5: Mufasa / Circle Of Life */
    char ha1[SP_MD5_HEX], resp[SP_MD5_HEX];
    sp_digest_ha1("Mufasa", "testrealm@host.com", "Circle Of Life", ha1);
    sp_digest_cred_t c = {0};
    strcpy(c.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
    strcpy(c.uri, "/dir/index.html");
    strcpy(c.qop, "auth");
    strcpy(c.nc, "00000001");
    strcpy(c.cnonce, "0a4f113b");
    sp_digest_response(ha1, "GET", &c, resp);
    CC_CHECK_STR(resp, "6629fae49393a05397450978507c4ef1");
}

CC_TEST(digest_ha1_matches_md5_of_user_realm_password)
{
    char ha1[SP_MD5_HEX], direct[SP_MD5_HEX];
    sp_digest_ha1("1001", "cc.local", "secret", ha1);
    sp_md5_hex("1001:cc.local:secret", strlen("1001:cc.local:secret"), direct);
    CC_CHECK_STR(ha1, direct);
    sp_md5_hex("", 0, direct);
    CC_CHECK_STR(direct, "d41d8cd98f00b204e9800998ecf8427e");
}

CC_TEST(nonce_valid_stale_forged)
{
    char nonce[96];
    sp_nonce_make("s3cret", 1000, nonce, sizeof nonce);
    CC_CHECK_INT(sp_nonce_check("s3cret", nonce, 1000, 300), 0);
    CC_CHECK_INT(sp_nonce_check("s3cret", nonce, 1300, 300), 0);
    CC_CHECK_INT(sp_nonce_check("s3cret", nonce, 1301, 300), 1);
    CC_CHECK_INT(sp_nonce_check("other", nonce, 1000, 300), -1);
    nonce[0] = nonce[0] == '3' ? '4' : '3';
    CC_CHECK_INT(sp_nonce_check("s3cret", nonce, 1000, 300), -1);
    CC_CHECK_INT(sp_nonce_check("s3cret", "garbage", 1000, 300), -1);
    CC_CHECK_INT(sp_nonce_check("s3cret", "-", 1000, 300), -1);
}

CC_TEST(digest_parse_and_verify)
{
    char nonce[96], ha1[SP_MD5_HEX], resp[SP_MD5_HEX];
    sp_nonce_make("k", 5000, nonce, sizeof nonce);
    sp_digest_ha1("1001", "cc.local", "pw", ha1);
    sp_digest_cred_t c = {0};
    strcpy(c.nonce, nonce);
    strcpy(c.uri, "sip:cc.local");
    strcpy(c.qop, "auth");
    strcpy(c.nc, "00000001");
    strcpy(c.cnonce, "abc");
    sp_digest_response(ha1, "REGISTER", &c, resp);

    char p_user[] = "username=\"1001\"", p_realm[] = "realm=\"cc.local\"", p_nonce[160],
         p_uri[] = "uri=\"sip:cc.local\"", p_resp[80], p_qop[] = "qop=auth", p_nc[] = "nc=00000001",
         p_cn[] = "cnonce=\"abc\"", p_alg[] = "algorithm=MD5";
    snprintf(p_nonce, sizeof p_nonce, "nonce=\"%s\"", nonce);
    snprintf(p_resp, sizeof p_resp, "response=\"%s\"", resp);
    const char *params[] = {p_user, p_realm, p_nonce, p_uri, p_resp,
                            p_qop,  p_nc,    p_cn,    p_alg, NULL};
    sp_digest_cred_t parsed;
    CC_CHECK_INT(sp_digest_parse(params, &parsed), 0);
    CC_CHECK_STR(parsed.username, "1001");
    CC_CHECK_STR(parsed.cnonce, "abc");
    CC_CHECK_INT(sp_digest_verify(&parsed, "REGISTER", "cc.local", ha1, "k", 5010, 300), 0);
    CC_CHECK_INT(sp_digest_verify(&parsed, "INVITE", "cc.local", ha1, "k", 5010, 300), -1);
    CC_CHECK_INT(sp_digest_verify(&parsed, "REGISTER", "other", ha1, "k", 5010, 300), -1);
    CC_CHECK_INT(sp_digest_verify(&parsed, "REGISTER", "cc.local", ha1, "k", 9000, 300), 1);
    char wrong[SP_MD5_HEX];
    sp_digest_ha1("1001", "cc.local", "nope", wrong);
    CC_CHECK_INT(sp_digest_verify(&parsed, "REGISTER", "cc.local", wrong, "k", 5010, 300), -1);
    const char *missing[] = {p_user, p_realm, NULL};
    CC_CHECK_INT(sp_digest_parse(missing, &parsed), -1);
}

CC_TEST(throttle_blocks_one_source_only)
{
    sp_throttle_t *t = sp_throttle_new(3, 60000, 64);
    CC_CHECK(t != NULL);
    bool first = false;
    for (int i = 0; i < 3; i++) {
        CC_CHECK(!sp_throttle_blocked(t, "10.0.0.1", 1000 + (uint64_t)i, &first));
        sp_throttle_fail(t, "10.0.0.1", 1000 + (uint64_t)i);
    }
    CC_CHECK(sp_throttle_blocked(t, "10.0.0.1", 2000, &first));
    CC_CHECK(first);
    CC_CHECK(sp_throttle_blocked(t, "10.0.0.1", 3000, &first));
    CC_CHECK(!first); /* logged once per window */
    CC_CHECK(!sp_throttle_blocked(t, "10.0.0.2", 3000, &first));
    CC_CHECK_INT(sp_throttle_blocked_count(t, 3000), 1);
    /* the window ends: allowed again */
    CC_CHECK(!sp_throttle_blocked(t, "10.0.0.1", 61001, &first));
    sp_throttle_destroy(&t);
    CC_CHECK(t == NULL);
    sp_throttle_destroy(&t);
}

CC_TEST(throttle_table_full_evicts_without_harm)
{
    sp_throttle_t *t = sp_throttle_new(2, 1000, 4);
    char addr[32];
    for (int i = 0; i < 100; i++) {
        snprintf(addr, sizeof addr, "10.0.%d.%d", i / 250, i % 250);
        sp_throttle_fail(t, addr, (uint64_t)i);
        sp_throttle_fail(t, addr, (uint64_t)i);
        CC_CHECK(sp_throttle_blocked(t, addr, (uint64_t)i, NULL));
    }
    CC_CHECK(!sp_throttle_blocked(t, "192.168.0.1", 100, NULL));
    sp_throttle_destroy(&t);
}
