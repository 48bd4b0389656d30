/* sp_srtp_test.c - a=crypto parsing and writing (sp_sdp) and the SRTP policy decisions. */
#include <stdlib.h>
#include <string.h>

#include "cc_test.h"
#include "sp_sdp.h"
#include "sp_srtp.h"

#define S_KEY "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
#define S_KEY2 "PS1uQCVeeCFCR3duMy4wLjguOTAuMS4yLjQuNjY4"

static const char *S_SAVP = "v=0\r\n"
                            "o=- 1 1 IN IP4 10.0.0.5\r\n"
                            "s=-\r\n"
                            "c=IN IP4 10.0.0.5\r\n"
                            "t=0 0\r\n"
                            "m=audio 4000 RTP/SAVP 0 101\r\n"
                            "a=rtpmap:0 PCMU/8000\r\n"
                            "a=rtpmap:101 telephone-event/8000\r\n"
                            "a=crypto:1 AES_CM_256_HMAC_SHA1_80 inline:" S_KEY S_KEY "\r\n"
                            "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" S_KEY "|2^20|1:4\r\n"
                            "a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:" S_KEY2 "|2^31\r\n"
                            "a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:" S_KEY "\r\n"
                            "a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:short\r\n"
                            "a=sendrecv\r\n";

static const char *S_AVP = "v=0\r\n"
                           "o=- 1 1 IN IP4 10.0.0.6\r\n"
                           "s=-\r\n"
                           "c=IN IP4 10.0.0.6\r\n"
                           "t=0 0\r\n"
                           "m=audio 5000 RTP/AVP 0\r\n"
                           "a=rtpmap:0 PCMU/8000\r\n";

CC_TEST(sdp_crypto_lines_parsed_only_when_usable)
{
    sp_sdp_info_t info;
    char *out = sp_sdp_rewrite(S_SAVP, "127.0.0.1", 20000, &info, NULL);
    CC_CHECK(out != NULL);
    /* forwarded without crypto of ours: plain RTP/AVP, the party's keys gone */
    bool plain = strstr(out, "m=audio 20000 RTP/AVP 0 101\r\n") != NULL;
    bool leaked = strstr(out, "crypto") != NULL;
    free(out);
    CC_CHECK(plain);
    CC_CHECK(!leaked);
    CC_CHECK(info.savp);
    /* 256-bit suite, MKI and a short key are skipped; a lifetime is fine */
    CC_CHECK_INT(info.ncrypto, 2);
    CC_CHECK_INT(info.crypto[0].tag, 3);
    CC_CHECK(info.crypto[0].suite == SP_SUITE_AES_CM_128_HMAC_SHA1_32);
    CC_CHECK(strcmp(info.crypto[0].key, S_KEY2) == 0);
    CC_CHECK_INT(info.crypto[1].tag, 4);
    CC_CHECK(info.crypto[1].suite == SP_SUITE_AES_CM_128_HMAC_SHA1_80);
    CC_CHECK(strcmp(info.crypto[1].key, S_KEY) == 0);
}

CC_TEST(sdp_rewrite_and_make_write_our_crypto)
{
    sp_sdp_crypto_t ours[2];
    CC_CHECK_INT(sp_srtp_lines(S_KEY2, NULL, ours), 2);
    sp_sdp_info_t info;
    char *out = sp_sdp_rewrite_srtp(S_AVP, "127.0.0.1", 20000, ours, 2, false, &info, NULL);
    CC_CHECK(out != NULL);
    bool savp = strstr(out, "m=audio 20000 RTP/SAVP 0\r\n") != NULL;
    bool l1 = strstr(out, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" S_KEY2 "\r\n") != NULL;
    bool l2 = strstr(out, "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" S_KEY2 "\r\n") != NULL;
    sp_sdp_info_t back;
    char *again = sp_sdp_rewrite(out, "127.0.0.1", 1, &back, NULL);
    free(out);
    free(again);
    CC_CHECK(savp && l1 && l2);
    CC_CHECK(!info.savp && info.ncrypto == 0);
    CC_CHECK(back.savp && back.ncrypto == 2);

    sp_sdp_crypto_t chosen = {.tag = 7, .suite = SP_SUITE_AES_CM_128_HMAC_SHA1_32};
    CC_CHECK_INT(sp_srtp_lines(S_KEY, &chosen, ours), 1);
    char *made = sp_sdp_make_srtp("127.0.0.1", 30000, 0, 101, SP_DIR_SENDRECV, 3, ours, 1, false);
    CC_CHECK(made != NULL);
    bool m = strstr(made, "m=audio 30000 RTP/SAVP 0 101\r\n") != NULL;
    bool c = strstr(made, "a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:" S_KEY "\r\n") != NULL;
    free(made);
    CC_CHECK(m && c);
    /* answering best-effort SRTP (RTP/AVP with a=crypto): RTP/AVP kept, our line added */
    char *be = sp_sdp_make_srtp("127.0.0.1", 30000, 0, 0, SP_DIR_SENDRECV, 4, ours, 1, true);
    bool be_ok = be && strstr(be, "m=audio 30000 RTP/AVP 0\r\n") &&
                 strstr(be, "a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:" S_KEY "\r\n");
    free(be);
    CC_CHECK(be_ok);
    char *plain = sp_sdp_make("127.0.0.1", 30000, 0, 0, SP_DIR_SENDRECV, 3);
    bool avp = plain && strstr(plain, "RTP/AVP") && !strstr(plain, "crypto");
    free(plain);
    CC_CHECK(avp);
}

CC_TEST(srtp_policy_names)
{
    sp_srtp_policy_t p = SP_SRTP_OFF;
    CC_CHECK(sp_srtp_policy_parse("required", &p) == 0 && p == SP_SRTP_REQUIRED);
    CC_CHECK(sp_srtp_policy_parse("optional", &p) == 0 && p == SP_SRTP_OPTIONAL);
    CC_CHECK(sp_srtp_policy_parse("off", &p) == 0 && p == SP_SRTP_OFF);
    CC_CHECK(sp_srtp_policy_parse("yes", &p) < 0 && p == SP_SRTP_OFF);
    CC_CHECK(sp_srtp_policy_parse(NULL, &p) < 0);
    CC_CHECK(strcmp(sp_srtp_policy_name(SP_SRTP_REQUIRED), "required") == 0);
}

CC_TEST(srtp_policy_decides_each_offer)
{
    sp_sdp_info_t savp = {.savp = true, .ncrypto = 1}, savp_none = {.savp = true}, avp = {0},
                  avp_crypto = {.ncrypto = 1};
    const char *why = NULL;
    /* rows: policy; columns: SAVP+crypto, SAVP without a usable suite, AVP, AVP+crypto */
    static const sp_srtp_use_t want[3][4] = {
        [SP_SRTP_OPTIONAL] = {SP_SRTP_SECURE, SP_SRTP_REFUSE, SP_SRTP_PLAIN, SP_SRTP_SECURE},
        [SP_SRTP_REQUIRED] = {SP_SRTP_SECURE, SP_SRTP_REFUSE, SP_SRTP_REFUSE, SP_SRTP_SECURE},
        [SP_SRTP_OFF] = {SP_SRTP_REFUSE, SP_SRTP_REFUSE, SP_SRTP_PLAIN, SP_SRTP_PLAIN},
    };
    const sp_sdp_info_t *offers[4] = {&savp, &savp_none, &avp, &avp_crypto};
    for (int p = 0; p < 3; p++)
        for (int o = 0; o < 4; o++) {
            sp_srtp_use_t got = sp_srtp_answer((sp_srtp_policy_t)p, offers[o], &why);
            if (got != want[p][o])
                cc_test_fail(__FILE__, __LINE__, "policy %s offer %d: got %d, want %d",
                             sp_srtp_policy_name((sp_srtp_policy_t)p), o, got, want[p][o]);
            if ((got == SP_SRTP_REFUSE) != (why != NULL))
                cc_test_fail(__FILE__, __LINE__, "policy %d offer %d: why %s", p, o,
                             why ? why : "(none)");
        }
    CC_CHECK(sp_srtp_offer(SP_SRTP_REQUIRED));
    CC_CHECK(!sp_srtp_offer(SP_SRTP_OPTIONAL) && !sp_srtp_offer(SP_SRTP_OFF));
    CC_CHECK(sp_srtp_answered(true, &savp, &why) == SP_SRTP_SECURE);
    CC_CHECK(sp_srtp_answered(true, &avp, &why) == SP_SRTP_REFUSE && why);
    CC_CHECK(sp_srtp_answered(false, &avp_crypto, &why) == SP_SRTP_PLAIN);
}
