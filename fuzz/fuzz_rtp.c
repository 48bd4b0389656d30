/* fuzz_rtp.c - libFuzzer target: datagrams on a mediad endpoint's RTP and RTCP ports, as a
 * phone or an attacker may send them: the endpoint's checks and latching (md_core), RFC 4733
 * and in-band DTMF detection (md_dtmf), and a mix member's jitter buffer (md_mixer_put, then
 * a tick); and on an SRTP leg (md_srtp, fixed keys): SRTP/SRTCP unprotect of every datagram
 * (tampered, replayed, truncated) and protect of what the endpoint accepted. The input is a sequence of datagrams, each preceded by a 2-byte length and a
 * flags byte (bit 0: RTCP port, bit 1: from a second source address, bits 2-7: ms since the
 * previous one), so the fuzzer can build streams, not only single packets. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "md_core.h"
#include "md_dtmf.h"
#include "md_g711.h"
#include "md_mix.h"
#include "md_srtp.h"

#define S_KEY_A "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
#define S_KEY_B "PS1uQCVeeCFCR3duMy4wLjguOTAuMS4yLjQuNjY4"

static int s_send(md_endpoint_t *ep, const uint8_t *pkt, size_t len, void *arg)
{
    (void)ep, (void)pkt, (void)len, (void)arg;
    return 0;
}

static void s_talk(uint32_t mix_id, md_endpoint_t *ep, bool talking, void *arg)
{
    (void)mix_id, (void)ep, (void)talking, (void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        md_g711_init();
        md_srtp_init();
        ready = true;
    }
    static uint8_t sbuf[65536 + MD_SRTP_TRAILER];
    md_srtp_t *srtp = md_srtp_new(S_KEY_A);
    if (srtp && md_srtp_set_remote(srtp,
                                   data && size && (data[0] & 1) ? MD_SRTP_AES_CM_128_HMAC_SHA1_32
                                                                 : MD_SRTP_AES_CM_128_HMAC_SHA1_80,
                                   S_KEY_B) < 0)
        md_srtp_destroy(&srtp);
    md_core_t *core = md_core_new(4);
    md_mixer_t *mx = md_mixer_new(4, 1, s_send, s_talk, NULL);
    md_endpoint_t *a = md_core_create(core, 20000, "fuzz", "caller", true);
    md_endpoint_t *b = md_core_create(core, 20002, "fuzz", "callee", true);
    md_endpoint_t *c = md_core_create(core, 20004, "fuzz", "third", true);
    const int pts[] = {0, 8, 101};
    uint64_t now = 1000000000ull;
    md_core_set_remote(a, htonl(0x7f000001), 40000, pts, 3, true, now);
    md_core_set_remote(b, htonl(0x7f000001), 40002, pts, 3, true, now);
    md_core_connect(a, b);
    uint32_t mix;
    md_mixer_create(mx, "fuzz", now, &mix);
    md_mixer_join(mx, mix, c, NULL, now);
    md_mixer_join(mx, mix, b, NULL, now);
    md_dtmf_t dtmf;
    md_dtmf_init(&dtmf);
    md_dtmf_event_t ev[MD_DTMF_MAX_EVENTS];
    struct sockaddr_in src[2] = {{.sin_family = AF_INET, .sin_port = htons(40000)},
                                 {.sin_family = AF_INET, .sin_port = htons(41000)}};
    src[0].sin_addr.s_addr = htonl(0x7f000001);
    src[1].sin_addr.s_addr = htonl(0x7f000002);
    size_t at = 0;
    while (at + 3 <= size) {
        size_t len = (size_t)data[at] << 8 | data[at + 1];
        uint8_t flags = data[at + 2];
        at += 3;
        if (len > size - at)
            len = size - at;
        const uint8_t *pkt = data + at;
        at += len;
        now += (uint64_t)(flags >> 2) * 1000u;
        const struct sockaddr_in *from = &src[(flags >> 1) & 1];
        if (srtp) { /* what an SRTP leg does first with any datagram */
            size_t n = len;
            memcpy(sbuf, pkt, len);
            md_srtp_unprotect(srtp, sbuf, &n, flags & 1);
        }
        if (flags & 1) {
            md_core_rtcp_in(a, from, len, now);
            continue;
        }
        if (md_core_rtp_in(a, from, pkt, len, now)) {
            md_dtmf_packet(&dtmf, 101, pkt, len, now, ev);
            md_mixer_put(mx, c, pkt, len, now);
            if (srtp) { /* what is sent to an SRTP leg is protected last */
                size_t n = len;
                memcpy(sbuf, pkt, len);
                md_srtp_protect(srtp, sbuf, &n, md_rtp_is_rtcp(pkt, len));
            }
        }
        md_te_payload_t te;
        if (len > 12)
            md_te_parse(pkt + 12, len - 12, &te);
        md_mixer_tick(mx, now);
    }
    md_srtp_destroy(&srtp);
    md_mixer_destroy(&mx);
    md_core_destroy(&core);
    return 0;
}
