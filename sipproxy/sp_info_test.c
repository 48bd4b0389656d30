/* sp_info_test.c - which SIP INFO bodies carry a key. */
#include "sp_info.h"

#include "cc_test.h"

CC_TEST(info_dtmf_relay_and_dtmf)
{
    char d;
    int ms;
    CC_CHECK_INT(
        sp_info_dtmf_parse("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", &d, &ms),
        SP_INFO_OK);
    CC_CHECK_INT(d, '5');
    CC_CHECK_INT(ms, 160);
    CC_CHECK_INT(sp_info_dtmf_parse("Application/DTMF-Relay", "signal = #\n", &d, &ms), SP_INFO_OK);
    CC_CHECK_INT(d, '#');
    CC_CHECK_INT(ms, 0);
    CC_CHECK_INT(sp_info_dtmf_parse("application/dtmf-relay", "Signal=11\r\n", &d, &ms),
                 SP_INFO_OK);
    CC_CHECK_INT(d, '#');
    CC_CHECK_INT(sp_info_dtmf_parse("application/dtmf-relay", "Signal=a", &d, &ms), SP_INFO_OK);
    CC_CHECK_INT(d, 'A');
    CC_CHECK_INT(sp_info_dtmf_parse("application/dtmf", "5", &d, &ms), SP_INFO_OK);
    CC_CHECK_INT(d, '5');
    CC_CHECK_INT(sp_info_dtmf_parse("application/dtmf", " *\r\n", &d, &ms), SP_INFO_OK);
    CC_CHECK_INT(d, '*');
}

CC_TEST(info_refused_bodies)
{
    char d;
    int ms;
    CC_CHECK_INT(sp_info_dtmf_parse("text/plain", "5", &d, &ms), SP_INFO_UNSUPPORTED);
    CC_CHECK_INT(sp_info_dtmf_parse(NULL, NULL, &d, &ms), SP_INFO_UNSUPPORTED);
    CC_CHECK_INT(sp_info_dtmf_parse("application/media_control+xml", "<x/>", &d, &ms),
                 SP_INFO_UNSUPPORTED);
    CC_CHECK_INT(sp_info_dtmf_parse("application/dtmf-relay", NULL, &d, &ms), SP_INFO_BAD);
    CC_CHECK_INT(sp_info_dtmf_parse("application/dtmf-relay", "Duration=100", &d, &ms),
                 SP_INFO_BAD);
    CC_CHECK_INT(sp_info_dtmf_parse("application/dtmf-relay", "Signal=16", &d, &ms), SP_INFO_BAD);
    CC_CHECK_INT(sp_info_dtmf_parse("application/dtmf-relay", "Signal=55", &d, &ms), SP_INFO_BAD);
    CC_CHECK_INT(sp_info_dtmf_parse("application/dtmf", "x", &d, &ms), SP_INFO_BAD);
    CC_CHECK_INT(sp_info_dtmf_parse("application/dtmf", "", &d, &ms), SP_INFO_BAD);
}
