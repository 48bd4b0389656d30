/* sp_sdp_test.c - SDP rewriting: addresses, ports, codec filtering, attributes kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_test.h"
#include "sp_sdp.h"

static const char *S_OFFER = "v=0\r\n"
                             "o=alice 2890844526 2890844527 IN IP4 10.0.0.5\r\n"
                             "s=-\r\n"
                             "c=IN IP4 10.0.0.5\r\n"
                             "t=0 0\r\n"
                             "a=ice-ufrag:abcd\r\n"
                             "m=audio 49170 RTP/AVP 96 0 8 18 101\r\n"
                             "a=rtpmap:96 opus/48000/2\r\n"
                             "a=fmtp:96 useinbandfec=1\r\n"
                             "a=rtpmap:0 PCMU/8000\r\n"
                             "a=rtpmap:8 PCMA/8000\r\n"
                             "a=rtpmap:18 G729/8000\r\n"
                             "a=rtpmap:101 telephone-event/8000\r\n"
                             "a=fmtp:101 0-16\r\n"
                             "a=ptime:20\r\n"
                             "a=rtcp:49171\r\n"
                             "a=candidate:1 1 UDP 2130706431 10.0.0.5 49170 typ host\r\n"
                             "a=sendrecv\r\n"
                             "m=video 51372 RTP/AVP 31\r\n"
                             "a=rtpmap:31 H261/90000\r\n";

CC_TEST(sdp_rewrite_points_media_at_mediad)
{
    sp_sdp_info_t info;
    const char *why = NULL;
    char *out = sp_sdp_rewrite(S_OFFER, "127.0.0.1", 20000, &info, &why);
    CC_CHECK(out != NULL);
    CC_CHECK(strstr(out, "o=alice 2890844526 2890844527 IN IP4 127.0.0.1\r\n") != NULL);
    CC_CHECK(strstr(out, "c=IN IP4 127.0.0.1\r\n") != NULL);
    CC_CHECK(strstr(out, "m=audio 20000 RTP/AVP 0 8 101\r\n") != NULL);
    CC_CHECK(strstr(out, "10.0.0.5") == NULL);
    free(out);
}

CC_TEST(sdp_rewrite_keeps_g711_events_ptime_direction)
{
    sp_sdp_info_t info;
    char *out = sp_sdp_rewrite(S_OFFER, "127.0.0.1", 20000, &info, NULL);
    CC_CHECK(out != NULL);
    CC_CHECK(strstr(out, "a=rtpmap:0 PCMU/8000\r\n") != NULL);
    CC_CHECK(strstr(out, "a=rtpmap:8 PCMA/8000\r\n") != NULL);
    CC_CHECK(strstr(out, "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n") != NULL);
    CC_CHECK(strstr(out, "a=ptime:20\r\n") != NULL);
    CC_CHECK(strstr(out, "a=sendrecv\r\n") != NULL);
    free(out);
}

CC_TEST(sdp_rewrite_drops_other_codecs_ice_rtcp_and_refuses_video)
{
    sp_sdp_info_t info;
    char *out = sp_sdp_rewrite(S_OFFER, "127.0.0.1", 20000, &info, NULL);
    CC_CHECK(out != NULL);
    CC_CHECK(strstr(out, "opus") == NULL);
    CC_CHECK(strstr(out, "G729") == NULL);
    CC_CHECK(strstr(out, "fmtp:96") == NULL);
    CC_CHECK(strstr(out, "ice-ufrag") == NULL);
    CC_CHECK(strstr(out, "candidate") == NULL);
    CC_CHECK(strstr(out, "a=rtcp:") == NULL);
    CC_CHECK(strstr(out, "m=video 0 RTP/AVP 31\r\n") != NULL);
    CC_CHECK(strstr(out, "H261") == NULL);
    free(out);
}

CC_TEST(sdp_info_describes_the_original)
{
    sp_sdp_info_t info;
    char *out = sp_sdp_rewrite(S_OFFER, "127.0.0.1", 20000, &info, NULL);
    CC_CHECK(out != NULL);
    free(out);
    CC_CHECK_STR(info.address, "10.0.0.5");
    CC_CHECK_INT(info.port, 49170);
    CC_CHECK_INT(info.npts, 3);
    CC_CHECK_INT(info.ncodecs, 2);
    CC_CHECK_INT(info.pts[0], 0);
    CC_CHECK_INT(info.pts[1], 8);
    CC_CHECK_INT(info.pts[2], 101);
    CC_CHECK_INT(info.dir, SP_DIR_SENDRECV);
}

CC_TEST(sdp_media_level_connection_and_hold)
{
    const char *hold = "v=0\n"
                       "o=- 1 2 IN IP4 192.168.1.2\n"
                       "s=call\n"
                       "t=0 0\n"
                       "m=audio 4000 RTP/AVP 8\n"
                       "c=IN IP4 192.168.1.2\n"
                       "a=sendonly\n";
    sp_sdp_info_t info;
    char *out = sp_sdp_rewrite(hold, "127.0.0.1", 30000, &info, NULL);
    CC_CHECK(out != NULL);
    CC_CHECK_STR(info.address, "192.168.1.2");
    CC_CHECK_INT(info.dir, SP_DIR_SENDONLY);
    CC_CHECK(strstr(out, "m=audio 30000 RTP/AVP 8\r\nc=IN IP4 127.0.0.1\r\n") != NULL);
    CC_CHECK(strstr(out, "a=sendonly\r\n") != NULL);
    CC_CHECK_STR(sp_sdp_dir_name(info.dir), "sendonly");
    free(out);
}

CC_TEST(sdp_static_types_without_rtpmap_and_session_direction)
{
    const char *sdp = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
                      "a=inactive\r\nm=audio 5000 RTP/AVP 0\r\n";
    sp_sdp_info_t info;
    char *out = sp_sdp_rewrite(sdp, "127.0.0.1", 1000, &info, NULL);
    CC_CHECK(out != NULL);
    CC_CHECK_INT(info.npts, 1);
    CC_CHECK_INT(info.dir, SP_DIR_INACTIVE);
    CC_CHECK(strstr(out, "a=inactive\r\n") != NULL);
    free(out);
}

CC_TEST(sdp_no_common_codec_is_refused)
{
    const char *sdp = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
                      "m=audio 5000 RTP/AVP 96 101\r\na=rtpmap:96 opus/48000/2\r\n"
                      "a=rtpmap:101 telephone-event/8000\r\n";
    sp_sdp_info_t info;
    const char *why = NULL;
    CC_CHECK(sp_sdp_rewrite(sdp, "127.0.0.1", 1000, &info, &why) == NULL);
    CC_CHECK(why != NULL && strstr(why, "codec") != NULL);
}

CC_TEST(sdp_garbage_and_no_audio_are_refused)
{
    sp_sdp_info_t info;
    const char *why = NULL;
    CC_CHECK(sp_sdp_rewrite("hello world", "127.0.0.1", 1000, &info, &why) == NULL);
    CC_CHECK(sp_sdp_rewrite("", "127.0.0.1", 1000, &info, &why) == NULL);
    CC_CHECK(sp_sdp_rewrite(NULL, "127.0.0.1", 1000, &info, &why) == NULL);
    CC_CHECK(sp_sdp_rewrite("v=0\r\nm=video 1 RTP/AVP 31\r\n", "127.0.0.1", 1, &info, &why) ==
             NULL);
    CC_CHECK(sp_sdp_rewrite("v=0\r\nm=audio\r\n", "127.0.0.1", 1, &info, &why) == NULL);
    CC_CHECK(sp_sdp_rewrite("v=0\r\nm=audio 4 RTP/AVP 0\r\n", "127.0.0.1", 1, &info, &why) == NULL);
}

CC_TEST(sdp_make_builds_a_parsable_body)
{
    char *sdp = sp_sdp_make("127.0.0.1", 20000, 8, 101, SP_DIR_RECVONLY, 7);
    CC_CHECK(sdp != NULL);
    CC_CHECK(strstr(sdp, "m=audio 20000 RTP/AVP 8 101\r\n") != NULL);
    sp_sdp_info_t info;
    char *again = sp_sdp_rewrite(sdp, "10.0.0.1", 30000, &info, NULL);
    CC_CHECK(again != NULL);
    CC_CHECK_STR(info.address, "127.0.0.1");
    CC_CHECK_INT(info.port, 20000);
    CC_CHECK_INT(info.dir, SP_DIR_RECVONLY);
    CC_CHECK_INT(sp_sdp_codec(&info), 8);
    CC_CHECK_INT(sp_sdp_te(&info), 101);
    free(again);
    free(sdp);
    sdp = sp_sdp_make("127.0.0.1", 20000, 0, 0, SP_DIR_SENDRECV, 1);
    CC_CHECK(sdp != NULL && strstr(sdp, "telephone-event") == NULL);
    free(sdp);
}

/* Found by fuzz/fuzz_sdp: bodies whose rewrite used to be invalid SDP (an o= line missing
 * fields became "o=- xIN IP4 ..."; an m= line without a port was written back without
 * one), formats that are not numbers taken for PCMU (atoi gave 0), and a refused stream's
 * line too long for the old fixed buffer written without its formats. */
CC_TEST(sdp_malformed_lines_are_refused_not_half_rewritten)
{
    sp_sdp_info_t info;
    const char *why = NULL;
    CC_CHECK(sp_sdp_rewrite("v=0\r\no=- 1.0.0.1\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n",
                            "127.0.0.1", 20000, &info, &why) == NULL);
    CC_CHECK_STR(why, "bad o= line");
    CC_CHECK(sp_sdp_rewrite("v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio\r\nm=audio 0 RTP/AVP 0\r\n",
                            "127.0.0.1", 20000, &info, &why) == NULL);
    CC_CHECK_STR(why, "bad m= line");
    CC_CHECK(sp_sdp_rewrite("v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4x00 RTP/AVP 0\r\n", "127.0.0.1",
                            20000, &info, &why) == NULL);
    /* formats that are not payload types are ignored, not read as 0 (PCMU) */
    CC_CHECK(sp_sdp_rewrite("v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP abc 99999999999\r\n",
                            "127.0.0.1", 20000, &info, &why) == NULL);
    CC_CHECK_STR(why, "no common codec (PCMU, PCMA)");
    /* an m= line with spaces before its media is that media: the same stream whether read
     * in the offer or in our rewrite of it (found by the fuzzer after 6.7M inputs) */
    CC_CHECK(sp_sdp_rewrite("v=0\r\nc=IN IP4 10.0.0.1\r\nm=  audio 4000 RTP/AVP 5\r\n"
                            "m=audio 5000 RTP/AVP 0\r\n",
                            "127.0.0.1", 20000, &info, &why) == NULL);
    CC_CHECK_STR(why, "no common codec (PCMU, PCMA)");
    /* more lines than a rewrite could add to and read back whole: refused, not cut */
    char *many = malloc(300 * 24 + 64);
    int m = sprintf(many, "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n");
    for (int i = 0; i < 250; i++)
        m += sprintf(many + m, "a=x-filler:%d\r\n", i);
    CC_CHECK(sp_sdp_rewrite(many, "127.0.0.1", 20000, &info, &why) == NULL);
    CC_CHECK_STR(why, "too many lines");
    free(many);
    /* a refused stream keeps its media, port 0, proto and its first format, however long */
    char body[2048];
    int n = snprintf(body, sizeof body,
                     "v=0\r\no=a  1   2 IN IP4 10.0.0.1\r\nc=IN IP4 10.0.0.1\r\n"
                     "m=audio 4000/2 RTP/AVP 8\r\nm=video 5000 RTP/AVP 96");
    for (int i = 0; i < 200; i++)
        n += snprintf(body + n, sizeof body - (size_t)n, " %d", 96 + i % 30);
    snprintf(body + n, sizeof body - (size_t)n, "\r\n");
    char *out = sp_sdp_rewrite(body, "127.0.0.1", 20000, &info, &why);
    CC_CHECK(out != NULL);
    CC_CHECK_INT(info.port, 4000);
    CC_CHECK(strstr(out, "o=a 1 2 IN IP4 127.0.0.1\r\n") != NULL);
    CC_CHECK(strstr(out, "m=audio 20000 RTP/AVP 8\r\n") != NULL);
    CC_CHECK(strstr(out, "m=video 0 RTP/AVP 96\r\n") != NULL);
    free(out);
}
