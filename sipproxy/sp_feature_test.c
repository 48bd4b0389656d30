/* sp_feature_test.c - which dialled numbers are agent feature codes. */
#include <stdbool.h>
#include <stddef.h>

#include "cc_test.h"

bool sp_feature_match(const char *dialled, char *code, size_t codelen, char *digits,
                      size_t digitslen);

CC_TEST(feature_codes_recognised)
{
    char code[4], digits[4];
    CC_CHECK(sp_feature_match("*45", code, sizeof code, digits, sizeof digits));
    CC_CHECK_STR(code, "45");
    CC_CHECK_STR(digits, "");
    CC_CHECK(sp_feature_match("*471", code, sizeof code, digits, sizeof digits));
    CC_CHECK_STR(code, "47");
    CC_CHECK_STR(digits, "1");
    CC_CHECK(sp_feature_match("*47", code, sizeof code, digits, sizeof digits));
    CC_CHECK(sp_feature_match("*48", code, sizeof code, digits, sizeof digits));
    CC_CHECK(sp_feature_match("*33", code, sizeof code, digits, sizeof digits));
    CC_CHECK_STR(code, "33");
    CC_CHECK(!sp_feature_match("*331", code, sizeof code, digits, sizeof digits));
    CC_CHECK(!sp_feature_match("*461", code, sizeof code, digits, sizeof digits));
    CC_CHECK(!sp_feature_match("*4712", code, sizeof code, digits, sizeof digits));
    CC_CHECK(!sp_feature_match("*1", code, sizeof code, digits, sizeof digits));
    CC_CHECK(!sp_feature_match("*99", code, sizeof code, digits, sizeof digits));
    CC_CHECK(sp_feature_match("*97", code, sizeof code, digits, sizeof digits));
    CC_CHECK_STR(code, "97");
    CC_CHECK(sp_feature_match("*98", code, sizeof code, digits, sizeof digits));
    CC_CHECK(!sp_feature_match("*971", code, sizeof code, digits, sizeof digits));
    CC_CHECK(!sp_feature_match("45", code, sizeof code, digits, sizeof digits));
    CC_CHECK(!sp_feature_match("*47#", code, sizeof code, digits, sizeof digits));
}
