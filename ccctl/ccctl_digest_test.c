/* ccctl_digest_test.c - HA1s against published vectors and the unbiased alphabet mapping
 * of demo passwords. */
#include <string.h>

#include "cc_test.h"
#include "ccctl_digest.h"

CC_TEST(ha1_md5_matches_rfc2617_example)
{
    char md5[CCCTL_MD5_HEX_LEN + 1], sha[CCCTL_SHA256_HEX_LEN + 1];
    CC_CHECK_INT(ccctl_ha1("Mufasa", "testrealm@host.com", "Circle Of Life", md5, sha), 0);
    CC_CHECK_STR(md5, "939e7578ed9e3c518a452acee763bce9");
    CC_CHECK_STR(sha, "3ba6cd94661c5ef34598040c868f13b8775df29109986be50ad35ae537dd3aa4");
}

CC_TEST(ha1_matches_rfc7616_example)
{
    char md5[CCCTL_MD5_HEX_LEN + 1], sha[CCCTL_SHA256_HEX_LEN + 1];
    CC_CHECK_INT(ccctl_ha1("Mufasa", "http-auth@example.org", "Circle of Life", md5, sha), 0);
    CC_CHECK_STR(md5, "3d78807defe7de2157e2b0b6573a855f");
    CC_CHECK_STR(sha, "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232");
}

CC_TEST(ha1_refuses_inputs_too_long_to_hash)
{
    char md5[CCCTL_MD5_HEX_LEN + 1], sha[CCCTL_SHA256_HEX_LEN + 1], pw[600];
    memset(pw, 'a', sizeof pw - 1);
    pw[sizeof pw - 1] = '\0';
    CC_CHECK_INT(ccctl_ha1("1001", "cc.local", pw, md5, sha), -1);
}

CC_TEST(alnum_mapping_skips_biased_bytes)
{
    const unsigned char bytes[] = {0, 25, 26, 51, 52, 61, 62, 248, 255, 247};
    char out[16];
    size_t n = ccctl_alnum_from_bytes(bytes, sizeof bytes, out, 10);
    /* 248 and 255 are dropped; 62 wraps to 'A'; 247 = 3*62+61 -> '9'. */
    CC_CHECK_INT(n, 8);
    CC_CHECK_STR(out, "AZaz09A9");
    n = ccctl_alnum_from_bytes(bytes, sizeof bytes, out, 3);
    CC_CHECK_INT(n, 3);
    CC_CHECK_STR(out, "AZa");
}

CC_TEST(random_password_is_alphanumeric_of_the_asked_length)
{
    char a[13], b[13];
    CC_CHECK_INT(ccctl_random_password(a, 12), 0);
    CC_CHECK_INT(ccctl_random_password(b, 12), 0);
    CC_CHECK_INT(strlen(a), 12);
    CC_CHECK_INT(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), 12);
    CC_CHECK(strcmp(a, b) != 0);
}
