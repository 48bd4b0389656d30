/* sp_auth_test.c - digest arithmetic (RFC 2617 example), nonces, parsing, throttle. */
#include <stdio.h>
#include <string.h>

#include "cc_test.h"
#include "sp_digest.h"
#include "cc_throttle.h"

CC_TEST(digest_rfc2617_example)
{
    /* RFC 2617 section 3.5: Mufasa / Circle Of Life */
    char ha1[SP_DIGEST_HEX], resp[SP_DIGEST_HEX];
    sp_digest_ha1(SP_DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life", ha1);
    sp_digest_cred_t c = {0};
    strcpy(c.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
    strcpy(c.uri, "/dir/index.html");
    strcpy(c.qop, "auth");
    strcpy(c.nc, "00000001");
    strcpy(c.cnonce, "0a4f113b");
    sp_digest_response(SP_DIGEST_MD5, ha1, "GET", &c, resp);
    CC_CHECK_STR(resp, "6629fae49393a05397450978507c4ef1");
}

CC_TEST(digest_rfc7616_sha256_example)
{
    /* RFC 7616 section 3.9.1: Mufasa / Circle of Life, SHA-256 */
    char ha1[SP_DIGEST_HEX], resp[SP_DIGEST_HEX];
    sp_digest_ha1(SP_DIGEST_SHA256, "Mufasa", "http-auth@example.org", "Circle of Life", ha1);
    sp_digest_cred_t c = {0};
    strcpy(c.nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
    strcpy(c.uri, "/dir/index.html");
    strcpy(c.qop, "auth");
    strcpy(c.nc, "00000001");
    strcpy(c.cnonce, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
    sp_digest_response(SP_DIGEST_SHA256, ha1, "GET", &c, resp);
    CC_CHECK_STR(resp, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

CC_TEST(digest_algorithm_names_and_lists)
{
    sp_digest_alg_t a;
    CC_CHECK_INT(sp_digest_alg_parse("", &a), 0);
    CC_CHECK_INT(a, SP_DIGEST_MD5);
    CC_CHECK_INT(sp_digest_alg_parse("sha-256", &a), 0);
    CC_CHECK_INT(a, SP_DIGEST_SHA256);
    CC_CHECK_INT(sp_digest_alg_parse("MD5-sess", &a), -1);
    CC_CHECK_INT(sp_digest_alg_parse("SHA-512-256", &a), -1);
    sp_digest_alg_t algs[2];
    int n;
    char err[128];
    CC_CHECK_INT(sp_digest_algs_parse("SHA-256 MD5", algs, &n, err, sizeof err), 0);
    CC_CHECK(n == 2 && algs[0] == SP_DIGEST_SHA256 && algs[1] == SP_DIGEST_MD5);
    CC_CHECK_INT(sp_digest_algs_parse("md5", algs, &n, err, sizeof err), 0);
    CC_CHECK(n == 1 && algs[0] == SP_DIGEST_MD5);
    CC_CHECK_INT(sp_digest_algs_parse("MD5, MD5", algs, &n, err, sizeof err), -1);
    CC_CHECK_STR(err, "MD5 is listed twice");
    CC_CHECK_INT(sp_digest_algs_parse("SHA1", algs, &n, err, sizeof err), -1);
    CC_CHECK(strstr(err, "'SHA1'") != NULL);
    CC_CHECK_INT(sp_digest_algs_parse(" , ", algs, &n, err, sizeof err), -1);
}

CC_TEST(nonce_valid_stale_forged_unique)
{
    char nonce[96], other[96];
    sp_nonce_make("s3cret", 1000, 1, nonce, sizeof nonce);
    sp_nonce_make("s3cret", 1000, 2, other, sizeof other);
    CC_CHECK(strcmp(nonce, other) != 0); /* two challenges in the same second differ */
    CC_CHECK_INT(sp_nonce_check("s3cret", nonce, 1000, 300), 0);
    CC_CHECK_INT(sp_nonce_check("s3cret", other, 1000, 300), 0);
    CC_CHECK_INT(sp_nonce_check("s3cret", nonce, 1300, 300), 0);
    CC_CHECK_INT(sp_nonce_check("s3cret", nonce, 1301, 300), 1);
    CC_CHECK_INT(sp_nonce_check("other", nonce, 1000, 300), -1);
    nonce[0] = nonce[0] == '3' ? '4' : '3';
    CC_CHECK_INT(sp_nonce_check("s3cret", nonce, 1000, 300), -1);
    CC_CHECK_INT(sp_nonce_check("s3cret", "garbage", 1000, 300), -1);
    CC_CHECK_INT(sp_nonce_check("s3cret", "-", 1000, 300), -1);
    CC_CHECK_INT(sp_nonce_check("s3cret", ".-", 1000, 300), -1);
    CC_CHECK_INT(sp_nonce_check("s3cret", "3e8.-abc", 1000, 300), -1);
}

/* Credentials for `alg` as a client would send them, through the parser. */
static void s_cred(sp_digest_alg_t alg, const char *ha1, const char *method, const char *nonce,
                   const char *nc, sp_digest_cred_t *parsed)
{
    sp_digest_cred_t c = {0};
    strcpy(c.nonce, nonce);
    strcpy(c.uri, "sip:cc.local");
    strcpy(c.qop, "auth");
    strcpy(c.nc, nc);
    strcpy(c.cnonce, "abc");
    char resp[SP_DIGEST_HEX];
    sp_digest_response(alg, ha1, method, &c, resp);
    char p_user[] = "username=\"1001\"", p_realm[] = "realm=\"cc.local\"", p_nonce[160],
         p_uri[] = "uri=\"sip:cc.local\"", p_resp[100], p_qop[] = "qop=auth", p_nc[40],
         p_cn[] = "cnonce=\"abc\"", p_alg[40];
    snprintf(p_nonce, sizeof p_nonce, "nonce=\"%s\"", nonce);
    snprintf(p_resp, sizeof p_resp, "response=\"%s\"", resp);
    snprintf(p_nc, sizeof p_nc, "nc=%s", nc);
    snprintf(p_alg, sizeof p_alg, "algorithm=%s", sp_digest_alg_name(alg));
    const char *params[] = {p_user, p_realm, p_nonce, p_uri, p_resp,
                            p_qop,  p_nc,    p_cn,    p_alg, NULL};
    CC_CHECK_INT(sp_digest_parse(params, parsed), 0);
}

CC_TEST(digest_parse_and_verify_both_algorithms)
{
    char nonce[96], md5[SP_DIGEST_HEX], sha[SP_DIGEST_HEX];
    sp_nonce_make("k", 5000, 7, nonce, sizeof nonce);
    sp_digest_ha1(SP_DIGEST_MD5, "1001", "cc.local", "pw", md5);
    sp_digest_ha1(SP_DIGEST_SHA256, "1001", "cc.local", "pw", sha);
    sp_digest_cred_t parsed;
    s_cred(SP_DIGEST_MD5, md5, "REGISTER", nonce, "00000001", &parsed);
    CC_CHECK_STR(parsed.username, "1001");
    CC_CHECK_STR(parsed.cnonce, "abc");
    CC_CHECK_INT(sp_digest_verify(&parsed, "REGISTER", "cc.local", md5, sha, "k", 5010, 300), 0);
    CC_CHECK_INT(sp_digest_verify(&parsed, "INVITE", "cc.local", md5, sha, "k", 5010, 300), -1);
    CC_CHECK_INT(sp_digest_verify(&parsed, "REGISTER", "other", md5, sha, "k", 5010, 300), -1);
    CC_CHECK_INT(sp_digest_verify(&parsed, "REGISTER", "cc.local", md5, sha, "k", 9000, 300), 1);
    char wrong[SP_DIGEST_HEX];
    sp_digest_ha1(SP_DIGEST_MD5, "1001", "cc.local", "nope", wrong);
    CC_CHECK_INT(sp_digest_verify(&parsed, "REGISTER", "cc.local", wrong, sha, "k", 5010, 300), -1);
    /* SHA-256: checked against the SHA-256 HA1 only */
    s_cred(SP_DIGEST_SHA256, sha, "INVITE", nonce, "00000002", &parsed);
    CC_CHECK_STR(parsed.algorithm, "SHA-256");
    CC_CHECK_INT(strlen(parsed.response), 64);
    CC_CHECK_INT(sp_digest_verify(&parsed, "INVITE", "cc.local", md5, sha, "k", 5010, 300), 0);
    CC_CHECK_INT(sp_digest_verify(&parsed, "INVITE", "cc.local", md5, "", "k", 5010, 300), -1);
    CC_CHECK_INT(sp_digest_verify(&parsed, "INVITE", "cc.local", sha, md5, "k", 5010, 300), -1);
    strcpy(parsed.algorithm, "MD5-sess");
    CC_CHECK_INT(sp_digest_verify(&parsed, "INVITE", "cc.local", md5, sha, "k", 5010, 300), -1);
    char p_user[] = "username=\"1001\"", p_realm[] = "realm=\"cc.local\"";
    const char *missing[] = {p_user, p_realm, NULL};
    CC_CHECK_INT(sp_digest_parse(missing, &parsed), -1);
}

/* RFC 7616 3.3: each request under one nonce carries a higher count; one already used is a
 * replay. Per user; forgotten when the nonce expires; a full table forgets its oldest
 * entry, one at a time, and a forgotten nonce is challenged again, never taken as new. */
CC_TEST(nonce_counts_refuse_replays)
{
    sp_nonce_counts_t *t = sp_nonce_counts_new(4);
    char n1[96], n2[96];
    sp_nonce_make("k", 1000, 1, n1, sizeof n1);
    sp_nonce_make("k", 1000, 2, n2, sizeof n2);
    CC_CHECK_INT(sp_nonce_counts_use(t, "1001", n1, "00000001", 1000, 300), 0);
    CC_CHECK_INT(sp_nonce_counts_use(t, "1001", n1, "00000001", 1001, 300), -1); /* replay */
    CC_CHECK_INT(sp_nonce_counts_use(t, "1001", n1, "00000002", 1001, 300), 0);
    CC_CHECK_INT(sp_nonce_counts_use(t, "1001", n1, "00000002", 1002, 300), -1);
    CC_CHECK_INT(sp_nonce_counts_use(t, "1001", n1, "00000001", 1002, 300), -1); /* older */
    CC_CHECK_INT(sp_nonce_counts_use(t, "1002", n1, "00000001", 1002, 300), 0);  /* per user */
    CC_CHECK_INT(sp_nonce_counts_use(t, "1001", n2, "", 1002, 300), 0);          /* no qop: once */
    CC_CHECK_INT(sp_nonce_counts_use(t, "1001", n2, "", 1003, 300), -1);
    CC_CHECK_INT(sp_nonce_counts_use(t, "1001", n2, "zz", 1003, 300), -1);
    CC_CHECK_INT(sp_nonce_counts_use(t, "1001", "garbage", "1", 1003, 300), -1);
    CC_CHECK_INT(sp_nonce_counts_size(t), 3);
    /* full of live nonces: the oldest entry (1001 with n1) goes to make room, the rest
     * stay; what it forgot is never taken as new afterwards, later nonces are */
    char n3[96], n4[96], n5[96];
    sp_nonce_make("k", 1004, 3, n3, sizeof n3);
    CC_CHECK_INT(sp_nonce_counts_use(t, "1003", n3, "1", 1004, 300), 0);
    CC_CHECK_INT(sp_nonce_counts_size(t), 4);
    sp_nonce_make("k", 1005, 4, n4, sizeof n4);
    CC_CHECK_INT(sp_nonce_counts_use(t, "1004", n4, "1", 1005, 300), 0);
    CC_CHECK_INT(sp_nonce_counts_size(t), 4);
    CC_CHECK_INT(sp_nonce_counts_use(t, "1001", n1, "00000001", 1006, 300), 1);  /* forgotten */
    CC_CHECK_INT(sp_nonce_counts_use(t, "1002", n1, "00000001", 1006, 300), -1); /* kept */
    CC_CHECK_INT(sp_nonce_counts_use(t, "1002", n1, "00000002", 1006, 300), 0);
    sp_nonce_make("k", 1006, 5, n5, sizeof n5);
    CC_CHECK_INT(sp_nonce_counts_use(t, "1001", n5, "1", 1006, 300), 0);
    CC_CHECK_INT(sp_nonce_counts_size(t), 4);
    /* expired entries make room first */
    char n6[96];
    for (int i = 0; i < 3; i++) {
        sp_nonce_make("k", 1010, (uint64_t)(10 + i), n6, sizeof n6);
        CC_CHECK_INT(sp_nonce_counts_use(t, "1001", n6, "1", 1010, 300), 0);
    }
    sp_nonce_make("k", 2000, 20, n6, sizeof n6);
    CC_CHECK_INT(sp_nonce_counts_use(t, "1001", n6, "1", 2000, 300), 0);
    CC_CHECK_INT(sp_nonce_counts_size(t), 1);
    sp_nonce_counts_destroy(&t);
    CC_CHECK(t == NULL);
}

/* A registration storm: five times more fresh nonces than the table holds, each answered
 * right after its challenge, 1,000 a second (the table holds four seconds of them, as
 * sipproxy's 65,536 hold five at its highest rate). Every one is accepted: the table
 * forgets the oldest, not the ones in flight (it used to forget them all and challenge
 * the lot again), and it never holds more than its capacity. */
CC_TEST(nonce_counts_survive_a_registration_storm)
{
    sp_nonce_counts_t *t = sp_nonce_counts_new(4000);
    int accepted = 0;
    size_t most = 0;
    for (int i = 0; i < 20000; i++) {
        uint64_t now = 5000 + (uint64_t)i / 1000;
        char n[96], user[16];
        sp_nonce_make("k", now, (uint64_t)i, n, sizeof n);
        snprintf(user, sizeof user, "%d", 70000 + i % 1000);
        accepted += sp_nonce_counts_use(t, user, n, "00000001", now, 300) == 0;
        if (sp_nonce_counts_size(t) > most)
            most = sp_nonce_counts_size(t);
    }
    sp_nonce_counts_destroy(&t);
    CC_CHECK_INT(accepted, 20000);
    CC_CHECK_INT(most, 4000);
}

CC_TEST(throttle_blocks_one_source_only)
{
    cc_throttle_t *t = cc_throttle_new(3, 60000, 64);
    CC_CHECK(t != NULL);
    bool first = false;
    for (int i = 0; i < 3; i++) {
        CC_CHECK(!cc_throttle_blocked(t, "10.0.0.1", 1000 + (uint64_t)i, &first));
        cc_throttle_fail(t, "10.0.0.1", 1000 + (uint64_t)i);
    }
    CC_CHECK(cc_throttle_blocked(t, "10.0.0.1", 2000, &first));
    CC_CHECK(first);
    CC_CHECK(cc_throttle_blocked(t, "10.0.0.1", 3000, &first));
    CC_CHECK(!first); /* logged once per window */
    CC_CHECK(!cc_throttle_blocked(t, "10.0.0.2", 3000, &first));
    CC_CHECK_INT(cc_throttle_blocked_count(t, 3000), 1);
    /* the window ends: allowed again */
    CC_CHECK(!cc_throttle_blocked(t, "10.0.0.1", 61001, &first));
    cc_throttle_destroy(&t);
    CC_CHECK(t == NULL);
    cc_throttle_destroy(&t);
}

CC_TEST(throttle_table_full_evicts_without_harm)
{
    cc_throttle_t *t = cc_throttle_new(2, 1000, 4);
    char addr[32];
    for (int i = 0; i < 100; i++) {
        snprintf(addr, sizeof addr, "10.0.%d.%d", i / 250, i % 250);
        cc_throttle_fail(t, addr, (uint64_t)i);
        cc_throttle_fail(t, addr, (uint64_t)i);
        CC_CHECK(cc_throttle_blocked(t, addr, (uint64_t)i, NULL));
    }
    CC_CHECK(!cc_throttle_blocked(t, "192.168.0.1", 100, NULL));
    cc_throttle_destroy(&t);
}
