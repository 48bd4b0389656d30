/* sp_feature_test.c - which dialled numbers are feature codes; the message-summary body
 * sp_mwi.c notifies. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "cc_test.h"

int sp_mwi_body(char *buf, size_t len, const char *account, int new_count, int old_count);

bool sp_feature_match(const char *dialled, char *code, size_t codelen, char *digits,
                      size_t digitslen);

CC_TEST(feature_codes_recognised)
{
    char code[4], digits[24];
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
    /* DND and forwarding */
    CC_CHECK(sp_feature_match("*78", code, sizeof code, digits, sizeof digits));
    CC_CHECK_STR(code, "78");
    CC_CHECK(sp_feature_match("*79", code, sizeof code, digits, sizeof digits));
    CC_CHECK(sp_feature_match("*73", code, sizeof code, digits, sizeof digits));
    CC_CHECK(!sp_feature_match("*781", code, sizeof code, digits, sizeof digits));
    CC_CHECK(!sp_feature_match("*72", code, sizeof code, digits, sizeof digits));
    CC_CHECK(!sp_feature_match("*721", code, sizeof code, digits, sizeof digits));
    CC_CHECK(sp_feature_match("*721002", code, sizeof code, digits, sizeof digits));
    CC_CHECK_STR(code, "72");
    CC_CHECK_STR(digits, "1002");
    CC_CHECK(
        !sp_feature_match("*72123456789012345678901", code, sizeof code, digits, sizeof digits));
    CC_CHECK(!sp_feature_match("*72100a", code, sizeof code, digits, sizeof digits));
}

CC_TEST(mwi_message_summary_body)
{
    char buf[200];
    int n = sp_mwi_body(buf, sizeof buf, "sip:1001@pbx", 2, 5);
    CC_CHECK(n > 0);
    CC_CHECK_STR(buf, "Messages-Waiting: yes\r\nMessage-Account: sip:1001@pbx\r\n"
                      "Voice-Message: 2/5\r\n");
    sp_mwi_body(buf, sizeof buf, "sip:1001@pbx", 0, 1);
    CC_CHECK(strstr(buf, "Messages-Waiting: no\r\n") == buf);
    CC_CHECK(strstr(buf, "Voice-Message: 0/1\r\n") != NULL);
    CC_CHECK_INT(sp_mwi_body(buf, 10, "sip:1001@pbx", 0, 1), -1);
}
