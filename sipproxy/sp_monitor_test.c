/* sp_monitor_test.c - which dialled numbers are monitoring codes. */
#include "cc_test.h"
#include "sp_call.h"

CC_TEST(monitor_codes_match)
{
    sp_monitor_mode_t mode;
    char ext[16];
    CC_CHECK(sp_monitor_match("*221002", &mode, ext, sizeof ext));
    CC_CHECK_INT(mode, SP_MONITOR_LISTEN);
    CC_CHECK_STR(ext, "1002");
    CC_CHECK(sp_monitor_match("*2310", &mode, ext, sizeof ext));
    CC_CHECK_INT(mode, SP_MONITOR_WHISPER);
    CC_CHECK(sp_monitor_match("*24123456789012345", &mode, ext, sizeof ext));
    CC_CHECK_INT(mode, SP_MONITOR_BARGE);
    CC_CHECK_STR(ext, "123456789012345");
    CC_CHECK(!sp_monitor_match("*22", &mode, ext, sizeof ext));
    CC_CHECK(!sp_monitor_match("*221", &mode, ext, sizeof ext));
    CC_CHECK(!sp_monitor_match("*2212345678901234567", &mode, ext, sizeof ext));
    CC_CHECK(!sp_monitor_match("*251002", &mode, ext, sizeof ext));
    CC_CHECK(!sp_monitor_match("*211002", &mode, ext, sizeof ext));
    CC_CHECK(!sp_monitor_match("*2210#2", &mode, ext, sizeof ext));
    CC_CHECK(!sp_monitor_match("221002", &mode, ext, sizeof ext));
    CC_CHECK(!sp_monitor_match(NULL, &mode, ext, sizeof ext));
}
