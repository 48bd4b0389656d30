/* md_core_test.c - unit tests of the endpoint core: ids, pairing, the relay decision,
 * symmetric latching (signalled address, NAT learning, ambiguity, the window, re-latching
 * behind the same NAT), payload-type filtering, media timeout scan. */
#include <arpa/inet.h>
#include <errno.h>

#include "cc_test.h"
#include "md_core.h"

#define MS 1000ull
#define T0 (5000000ull) /* 5 s on the test's clock */

static struct sockaddr_in s_addr(const char *ip, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static uint32_t s_ip(const char *ip)
{
    struct in_addr a;
    inet_pton(AF_INET, ip, &a);
    return a.s_addr;
}

/* A 172-byte RTP packet with payload type pt and sequence seq. */
static const uint8_t *s_pkt(int pt, uint16_t seq)
{
    static uint8_t p[172];
    p[0] = 0x80;
    p[1] = (uint8_t)pt;
    p[2] = (uint8_t)(seq >> 8);
    p[3] = (uint8_t)seq;
    p[4] = p[5] = 0;
    p[6] = (uint8_t)(seq >> 8);
    p[7] = (uint8_t)seq;
    return p;
}

CC_TEST(core_ids_and_slots)
{
    md_core_t *c = md_core_new(2);
    CC_CHECK(c);
    md_endpoint_t *a = md_core_create(c, 20000, "call-1", "caller", true);
    md_endpoint_t *b = md_core_create(c, 20002, "call-1", "callee", true);
    CC_CHECK(a && b);
    CC_CHECK(a->id != b->id);
    CC_CHECK(md_core_create(c, 20004, "call-2", "caller", true) == NULL); /* full */
    CC_CHECK(md_core_find(c, a->id) == a);
    CC_CHECK(md_core_find(c, 0) == NULL);
    CC_CHECK(md_core_find(c, -5) == NULL);
    CC_CHECK(md_core_find(c, 12345) == NULL);
    int old_id = a->id;
    md_core_delete(c, a);
    CC_CHECK_INT(md_core_count(c), 1);
    CC_CHECK(md_core_find(c, old_id) == NULL);
    md_endpoint_t *a2 = md_core_create(c, 20004, "call-2", "caller", false);
    CC_CHECK(a2);
    CC_CHECK(a2->id != old_id); /* same slot, new generation */
    CC_CHECK(md_core_find(c, old_id) == NULL);
    CC_CHECK(md_core_find(c, a2->id) == a2);
    CC_CHECK_STR(a2->call_id, "call-2");
    md_core_destroy(&c);
    CC_CHECK(c == NULL);
}

CC_TEST(core_pairing)
{
    md_core_t *c = md_core_new(8);
    md_endpoint_t *a = md_core_create(c, 20000, "x", "caller", true);
    md_endpoint_t *b = md_core_create(c, 20002, "x", "callee", true);
    md_endpoint_t *d = md_core_create(c, 20004, "y", "caller", true);
    CC_CHECK_INT(md_core_connect(a, a), -1);
    CC_CHECK_INT(md_core_connect(a, b), 0);
    CC_CHECK(a->peer == b && b->peer == a);
    CC_CHECK_INT(md_core_connect(a, d), 0); /* a leaves b */
    CC_CHECK(a->peer == d && d->peer == a && b->peer == NULL);
    md_core_disconnect(d);
    CC_CHECK(a->peer == NULL && d->peer == NULL);
    md_core_connect(a, b);
    md_core_delete(c, b);
    CC_CHECK(a->peer == NULL);
    md_core_destroy(&c);
}

CC_TEST(core_relay_decision)
{
    md_core_t *c = md_core_new(4);
    md_endpoint_t *a = md_core_create(c, 20000, "x", "caller", false);
    md_endpoint_t *b = md_core_create(c, 20002, "x", "callee", false);
    struct sockaddr_in pa = s_addr("127.0.0.1", 40000);
    md_core_set_remote(a, s_ip("127.0.0.1"), 40000, NULL, 0, true, T0);
    /* not connected: counted, not relayed */
    CC_CHECK(md_core_rtp_in(a, &pa, s_pkt(0, 1), 172, T0) == NULL);
    CC_CHECK_INT(a->stats.packets_in, 1);
    md_core_connect(a, b);
    /* b has no remote yet (non-symmetric): nowhere to send */
    CC_CHECK(md_core_rtp_in(a, &pa, s_pkt(0, 2), 172, T0 + 20 * MS) == NULL);
    md_core_set_remote(b, s_ip("127.0.0.1"), 40002, NULL, 0, true, T0);
    CC_CHECK(md_core_rtp_in(a, &pa, s_pkt(0, 3), 172, T0 + 40 * MS) == b);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 40002);
    CC_CHECK_INT(ntohs(b->rtcp.addr.sin_port), 40003);
    /* not RTP at all */
    CC_CHECK(md_core_rtp_in(a, &pa, (const uint8_t *)"hello world!", 12, T0) == NULL);
    CC_CHECK_INT(a->stats.dropped, 1);
    /* non-symmetric: any source accepted */
    struct sockaddr_in other = s_addr("127.0.0.2", 1234);
    CC_CHECK(md_core_rtp_in(a, &other, s_pkt(0, 4), 172, T0 + 60 * MS) == b);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 40002);
    /* RTCP to the RTCP port goes to the peer's RTCP address */
    CC_CHECK(md_core_rtcp_in(a, &pa, 40, T0) == b);
    CC_CHECK_INT(a->stats.rtcp_in, 1);
    CC_CHECK_INT(a->stats.packets_in, 4);
    CC_CHECK_INT(md_stats_lost(&a->stats), 0);
    md_core_destroy(&c);
}

/* a and b connected; b's SDP says 10.0.0.9:4000 (set at T0), a's is 127.0.0.1:40000 */
static md_core_t *s_call(md_endpoint_t **a, md_endpoint_t **b)
{
    md_core_t *c = md_core_new(4);
    *a = md_core_create(c, 20000, "x", "caller", true);
    *b = md_core_create(c, 20002, "x", "callee", true);
    md_core_connect(*a, *b);
    md_core_set_remote(*a, s_ip("127.0.0.1"), 40000, NULL, 0, true, T0);
    md_core_set_remote(*b, s_ip("10.0.0.9"), 4000, NULL, 0, true, T0);
    return c;
}

CC_TEST(core_latch_nat_then_signalled_wins)
{
    md_endpoint_t *a, *b;
    md_core_t *c = s_call(&a, &b);
    struct sockaddr_in nat = s_addr("127.0.0.1", 50000);
    struct sockaddr_in sdp = s_addr("10.0.0.9", 4000);
    CC_CHECK(!b->rtp.latched);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 4000); /* the SDP address until b sends */
    /* (c) the signalled address sends nothing, another source does: learnt (NAT) */
    CC_CHECK(md_core_rtp_in(b, &nat, s_pkt(0, 1), 172, T0 + 5 * MS) == a);
    CC_CHECK(b->rtp.latched && b->rtp.learnt);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 50000);
    CC_CHECK(b->rtp.addr.sin_addr.s_addr == s_ip("127.0.0.1"));
    CC_CHECK(md_core_rtp_in(b, &nat, s_pkt(0, 2), 172, T0 + 3000 * MS) == a);
    /* (a) the signalled address wins at any time, even after the window ... */
    CC_CHECK(md_core_rtp_in(b, &sdp, s_pkt(0, 3), 172, T0 + 3010 * MS) == a);
    CC_CHECK(b->rtp.latched && !b->rtp.learnt);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 4000);
    /* ... and then holds it: the learnt source is a stray now, even after a silence */
    CC_CHECK(md_core_rtp_in(b, &nat, s_pkt(0, 4), 172, T0 + 3020 * MS) == NULL);
    CC_CHECK(md_core_rtp_in(b, &nat, s_pkt(0, 5), 172, T0 + 9000 * MS) == NULL);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 4000);
    CC_CHECK_INT(b->stats.dropped, 2);
    CC_CHECK_INT(b->stats.packets_in, 3);
    md_core_destroy(&c);
}

CC_TEST(core_latch_after_window_no_takeover)
{
    md_endpoint_t *a, *b;
    md_core_t *c = s_call(&a, &b);
    struct sockaddr_in nat = s_addr("127.0.0.1", 50000);
    struct sockaddr_in stray = s_addr("127.0.0.1", 50002);
    struct sockaddr_in far = s_addr("192.0.2.7", 50000);
    CC_CHECK(md_core_rtp_in(b, &nat, s_pkt(0, 1), 172, T0 + 5 * MS) == a);
    /* (d) after the window another source does not take over while nat sends ... */
    CC_CHECK(md_core_rtp_in(b, &nat, s_pkt(0, 2), 172, T0 + 2500 * MS) == a);
    CC_CHECK(md_core_rtp_in(b, &stray, s_pkt(0, 3), 172, T0 + 2600 * MS) == NULL);
    CC_CHECK(md_core_rtp_in(b, &stray, s_pkt(0, 3), 172, T0 + 3499 * MS) == NULL);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 50000);
    /* ... nor after it fell silent when the IP differs (not the same NAT) ... */
    CC_CHECK(md_core_rtp_in(b, &far, s_pkt(0, 3), 172, T0 + 3600 * MS) == NULL);
    /* ... but the same IP on a new port, after MD_RELATCH_US of silence, is */
    CC_CHECK(md_core_rtp_in(b, &stray, s_pkt(0, 3), 172, T0 + 3500 * MS + MD_RELATCH_US) == a);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 50002);
    CC_CHECK(md_core_rtp_in(b, &nat, s_pkt(0, 4), 172, T0 + 4600 * MS) == NULL);
    CC_CHECK_INT(b->stats.dropped, 4);
    /* the same SDP address again (session refresh) keeps the latch */
    md_core_set_remote(b, s_ip("10.0.0.9"), 4000, NULL, 0, true, T0 + 5000 * MS);
    CC_CHECK(b->rtp.latched);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 50002);
    /* a new SDP address starts over, with a new window */
    md_core_set_remote(b, s_ip("10.0.0.9"), 4100, NULL, 0, true, T0 + 6000 * MS);
    CC_CHECK(!b->rtp.latched);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 4100);
    CC_CHECK(md_core_rtp_in(b, &far, s_pkt(0, 5), 172, T0 + 6100 * MS) == a);
    CC_CHECK(b->rtp.learnt && b->rtp.addr.sin_addr.s_addr == s_ip("192.0.2.7"));
    md_core_destroy(&c);
}

CC_TEST(core_latch_two_sources_are_ambiguous)
{
    md_endpoint_t *a, *b;
    md_core_t *c = s_call(&a, &b);
    struct sockaddr_in s1 = s_addr("127.0.0.1", 50000);
    struct sockaddr_in s2 = s_addr("127.0.0.1", 50002);
    struct sockaddr_in sdp = s_addr("10.0.0.9", 4000);
    CC_CHECK(md_core_rtp_in(b, &s1, s_pkt(0, 1), 172, T0 + 10 * MS) == a);
    /* a second source within the window: the latch is undone, both are dropped */
    CC_CHECK(md_core_rtp_in(b, &s2, s_pkt(0, 1), 172, T0 + 20 * MS) == NULL);
    CC_CHECK(!b->rtp.latched);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 4000);
    /* both keep sending every 20 ms, past the end of the window: nothing passes */
    uint16_t seq = 2;
    uint64_t t;
    for (t = T0 + 40 * MS; t < T0 + 2600 * MS; t += 20 * MS, seq++) {
        CC_CHECK(md_core_rtp_in(b, &s1, s_pkt(0, seq), 172, t) == NULL);
        CC_CHECK(md_core_rtp_in(b, &s2, s_pkt(0, seq), 172, t + 1 * MS) == NULL);
    }
    CC_CHECK_INT(b->stats.dropped, 1 + 2 * (seq - 2));
    CC_CHECK_INT(b->stats.packets_in, 1);
    uint64_t s2_last = t - 20 * MS + 1 * MS;
    /* s2 stops; once it has been silent for MD_RELATCH_US, s1 is alone and learnt */
    for (; t < s2_last + MD_RELATCH_US; t += 20 * MS, seq++)
        CC_CHECK(md_core_rtp_in(b, &s1, s_pkt(0, seq), 172, t) == NULL);
    CC_CHECK(md_core_rtp_in(b, &s1, s_pkt(0, seq), 172, t) == a);
    CC_CHECK(b->rtp.latched && b->rtp.learnt);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 50000);
    md_core_destroy(&c);

    /* the other way out: the signalled address shows up during the ambiguity */
    c = s_call(&a, &b);
    CC_CHECK(md_core_rtp_in(b, &s1, s_pkt(0, 1), 172, T0 + 10 * MS) == a);
    CC_CHECK(md_core_rtp_in(b, &s2, s_pkt(0, 1), 172, T0 + 20 * MS) == NULL);
    CC_CHECK(md_core_rtp_in(b, &sdp, s_pkt(0, 2), 172, T0 + 30 * MS) == a);
    CC_CHECK(b->rtp.latched && !b->rtp.learnt);
    CC_CHECK(md_core_rtp_in(b, &s1, s_pkt(0, 3), 172, T0 + 40 * MS) == NULL);
    CC_CHECK(md_core_rtp_in(b, &s2, s_pkt(0, 3), 172, T0 + 50 * MS) == NULL);
    md_core_destroy(&c);

    /* the first source falls silent within the window before the second shows up: the
     * second becomes the candidate but is latched only once the window is over */
    c = s_call(&a, &b);
    CC_CHECK(md_core_rtp_in(b, &s1, s_pkt(0, 1), 172, T0 + 10 * MS) == a);
    CC_CHECK(md_core_rtp_in(b, &s2, s_pkt(0, 1), 172, T0 + 1500 * MS) == NULL);
    CC_CHECK(md_core_rtp_in(b, &s2, s_pkt(0, 2), 172, T0 + 1520 * MS) == NULL);
    CC_CHECK(md_core_rtp_in(b, &s2, s_pkt(0, 3), 172, T0 + 2000 * MS) == a);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 50002);
    md_core_destroy(&c);
}

CC_TEST(core_latch_without_remote_and_late_start)
{
    md_core_t *c = md_core_new(4);
    md_endpoint_t *a = md_core_create(c, 20000, "x", "caller", true);
    md_endpoint_t *b = md_core_create(c, 20002, "x", "callee", true);
    md_core_connect(a, b);
    md_core_set_remote(b, s_ip("127.0.0.1"), 40002, NULL, 0, true, T0);
    struct sockaddr_in pa = s_addr("127.0.0.1", 40000);
    /* (e) no remote yet: nothing is accepted, nothing latched */
    CC_CHECK(md_core_rtp_in(a, &pa, s_pkt(0, 1), 172, T0) == NULL);
    CC_CHECK(md_core_rtcp_in(a, &pa, 28, T0) == NULL);
    CC_CHECK(!a->rtp.latched);
    CC_CHECK_INT(a->stats.dropped, 2);
    CC_CHECK_INT(a->stats.packets_in, 0);
    /* a phone behind NAT that starts sending only after the window (it sent nothing
     * while ringing) is still learnt: it is the only source */
    md_core_set_remote(a, s_ip("10.1.1.1"), 7000, NULL, 0, true, T0);
    CC_CHECK(md_core_rtp_in(a, &pa, s_pkt(0, 2), 172, T0 + 15000 * MS) == b);
    CC_CHECK(a->rtp.learnt);
    CC_CHECK_INT(ntohs(a->rtp.addr.sin_port), 40000);
    md_core_destroy(&c);
}

CC_TEST(core_latch_window_is_configurable)
{
    md_core_t *c = md_core_new(4);
    md_core_set_latch_window(c, 100 * MS);
    md_endpoint_t *a = md_core_create(c, 20000, "x", "caller", true);
    md_core_set_remote(a, s_ip("10.1.1.1"), 7000, NULL, 0, true, T0);
    struct sockaddr_in s1 = s_addr("127.0.0.1", 50000);
    struct sockaddr_in s2 = s_addr("127.0.0.1", 50002);
    CC_CHECK(md_core_rtp_in(a, &s1, s_pkt(0, 1), 172, T0 + 10 * MS) == NULL); /* not connected */
    CC_CHECK(a->rtp.latched);
    /* 150 ms: the window is over, s2 does not take over */
    CC_CHECK(md_core_rtp_in(a, &s2, s_pkt(0, 1), 172, T0 + 150 * MS) == NULL);
    CC_CHECK(a->rtp.latched);
    CC_CHECK_INT(ntohs(a->rtp.addr.sin_port), 50000);
    CC_CHECK_INT(a->stats.dropped, 1);
    md_core_destroy(&c);
}

CC_TEST(core_payload_type_filter)
{
    md_core_t *c = md_core_new(4);
    md_endpoint_t *a = md_core_create(c, 20000, "x", "caller", true);
    md_endpoint_t *b = md_core_create(c, 20002, "x", "callee", true);
    md_core_connect(a, b);
    md_core_set_remote(b, s_ip("127.0.0.1"), 40002, NULL, 0, true, T0);
    int pts[] = {0, 101};
    CC_CHECK_INT(md_core_set_remote(a, s_ip("127.0.0.1"), 40000, pts, 2, true, T0), 0);
    int bad[] = {0, 128};
    CC_CHECK_INT(md_core_set_remote(a, s_ip("127.0.0.1"), 40000, bad, 2, true, T0), -1);
    struct sockaddr_in pa = s_addr("127.0.0.1", 40000);
    CC_CHECK(md_core_rtp_in(a, &pa, s_pkt(0, 1), 172, T0) == b);
    CC_CHECK(md_core_rtp_in(a, &pa, s_pkt(8, 2), 172, T0) == NULL);
    CC_CHECK(md_core_rtp_in(a, &pa, s_pkt(101, 3), 172, T0) == b);
    CC_CHECK(md_core_rtp_in(a, &pa, s_pkt(18, 4), 172, T0) == NULL);
    CC_CHECK_INT(a->stats.dropped, 2);
    CC_CHECK_INT(a->stats.packets_in, 2);
    /* b accepts anything */
    struct sockaddr_in pb = s_addr("127.0.0.1", 40002);
    CC_CHECK(md_core_rtp_in(b, &pb, s_pkt(8, 1), 172, T0) == a);
    md_core_destroy(&c);
}

static int s_idle_calls;
static uint64_t s_idle_us;
static void s_on_idle(md_endpoint_t *ep, uint64_t idle_us, void *arg)
{
    (void)ep;
    (void)arg;
    s_idle_calls++;
    s_idle_us = idle_us;
}

CC_TEST(core_media_timeout_scan)
{
    md_core_t *c = md_core_new(4);
    md_endpoint_t *a = md_core_create(c, 20000, "x", "caller", true);
    md_endpoint_t *b = md_core_create(c, 20002, "x", "callee", true);
    (void)b;
    md_core_set_remote(a, s_ip("127.0.0.1"), 40000, NULL, 0, true, T0);
    uint64_t to = 1000 * MS;
    s_idle_calls = 0;
    /* nothing ever received: never times out */
    CC_CHECK_INT(md_core_scan_idle(c, T0 + 10000 * MS, to, s_on_idle, NULL), 0);
    struct sockaddr_in pa = s_addr("127.0.0.1", 40000);
    md_core_rtp_in(a, &pa, s_pkt(0, 1), 172, T0);
    CC_CHECK_INT(md_core_scan_idle(c, T0 + 999 * MS, to, s_on_idle, NULL), 0);
    CC_CHECK_INT(md_core_scan_idle(c, T0 + 1500 * MS, to, s_on_idle, NULL), 1);
    CC_CHECK_INT(s_idle_us, 1500 * MS);
    /* once per silence */
    CC_CHECK_INT(md_core_scan_idle(c, T0 + 3000 * MS, to, s_on_idle, NULL), 0);
    /* media resumes, then stops again: reported again */
    md_core_rtp_in(a, &pa, s_pkt(0, 2), 172, T0 + 4000 * MS);
    CC_CHECK_INT(md_core_scan_idle(c, T0 + 4500 * MS, to, s_on_idle, NULL), 0);
    CC_CHECK_INT(md_core_scan_idle(c, T0 + 5000 * MS, to, s_on_idle, NULL), 1);
    /* on hold (far party recvonly): no timeout; resumed: silence counts from resumption */
    md_core_rtp_in(a, &pa, s_pkt(0, 3), 172, T0 + 6000 * MS);
    md_core_set_remote(a, s_ip("127.0.0.1"), 40000, NULL, 0, false, T0 + 6000 * MS);
    CC_CHECK_INT(md_core_scan_idle(c, T0 + 20000 * MS, to, s_on_idle, NULL), 0);
    md_core_set_remote(a, s_ip("127.0.0.1"), 40000, NULL, 0, true, T0 + 20000 * MS);
    CC_CHECK_INT(md_core_scan_idle(c, T0 + 20500 * MS, to, s_on_idle, NULL), 0);
    CC_CHECK_INT(md_core_scan_idle(c, T0 + 21000 * MS, to, s_on_idle, NULL), 1);
    CC_CHECK_INT(s_idle_calls, 3);
    md_core_destroy(&c);
}

CC_TEST(core_rtcp_mux_and_rtcp_latching)
{
    md_core_t *c = md_core_new(4);
    md_endpoint_t *a = md_core_create(c, 20000, "x", "caller", true);
    md_endpoint_t *b = md_core_create(c, 20002, "x", "callee", true);
    md_core_connect(a, b);
    md_core_set_remote(a, s_ip("127.0.0.1"), 40000, NULL, 0, true, T0);
    md_core_set_remote(b, s_ip("127.0.0.1"), 40002, NULL, 0, true, T0);
    struct sockaddr_in pa = s_addr("127.0.0.1", 40000);
    /* an RTCP sender report on the RTP port (rtcp-mux): relayed, not counted as RTP */
    static const uint8_t sr[28] = {0x80, 200, 0, 6};
    CC_CHECK(md_core_rtp_in(a, &pa, sr, sizeof sr, T0) == b);
    CC_CHECK_INT(a->stats.packets_in, 0);
    CC_CHECK_INT(a->stats.rtcp_in, 1);
    /* RTCP on the RTCP port latches on its own, by the same rules: the signalled RTCP
     * address is port + 1; a source behind NAT is learnt (the RTP latch is untouched) */
    CC_CHECK_INT(ntohs(a->rtcp.signalled.sin_port), 40001);
    struct sockaddr_in pa_rtcp = s_addr("127.0.0.1", 40101);
    CC_CHECK(md_core_rtcp_in(a, &pa_rtcp, 28, T0) == b);
    CC_CHECK(a->rtcp.learnt);
    CC_CHECK_INT(ntohs(a->rtcp.addr.sin_port), 40101);
    CC_CHECK_INT(ntohs(a->rtp.addr.sin_port), 40000);
    CC_CHECK_INT(ntohs(b->rtcp.addr.sin_port), 40003);
    /* after the window another source is a stray */
    struct sockaddr_in stray = s_addr("127.0.0.1", 40999);
    CC_CHECK(md_core_rtcp_in(a, &pa_rtcp, 28, T0 + 2500 * MS) == b);
    CC_CHECK(md_core_rtcp_in(a, &stray, 28, T0 + 2510 * MS) == NULL);
    CC_CHECK_INT(a->stats.dropped, 1);
    /* and the signalled RTCP address wins */
    struct sockaddr_in sig = s_addr("127.0.0.1", 40001);
    CC_CHECK(md_core_rtcp_in(a, &sig, 28, T0 + 2600 * MS) == b);
    CC_CHECK_INT(ntohs(a->rtcp.addr.sin_port), 40001);
    CC_CHECK(md_core_rtcp_in(a, &pa_rtcp, 28, T0 + 2610 * MS) == NULL);
    md_core_destroy(&c);
}

CC_TEST(core_restore_exact_ids)
{
    /* the ids of one table are taken again, exactly, by a fresh one (a restarted mediad) */
    md_core_t *old = md_core_new(8);
    md_core_seed(old, 42);
    md_endpoint_t *a = md_core_create(old, 20000, "x", "caller", true);
    md_endpoint_t *b = md_core_create(old, 20002, "x", "callee", true);
    md_core_delete(old, a);
    a = md_core_create(old, 20004, "y", "caller", true); /* the slot's next generation */
    int ids[2] = {a->id, b->id};
    md_core_t *c = md_core_new(8);
    md_core_seed(c, 4242);
    CC_CHECK_INT(md_core_can_restore(c, ids[1]), 0);
    md_endpoint_t *rb = md_core_restore(c, ids[1], 20002, "x", "callee", true);
    CC_CHECK(rb && rb->id == ids[1] && rb->port == 20002);
    CC_CHECK_STR(rb->leg, "callee");
    CC_CHECK(md_core_find(c, ids[1]) == rb);
    md_endpoint_t *ra = md_core_restore(c, ids[0], 20004, "y", "caller", true);
    CC_CHECK(ra && ra->id == ids[0]);
    CC_CHECK_INT(md_core_count(c), 2);
    /* conflicts: a taken slot (whatever its generation), ids no table of 8 can hold */
    CC_CHECK_INT(md_core_can_restore(c, ids[0]), -EBUSY);
    CC_CHECK_INT(md_core_can_restore(c, (123 << 16) | 8), 0); /* slot 7, free */
    CC_CHECK(md_core_restore(c, ids[1] + (1 << 16), 1, "z", "caller", true) == NULL);
    CC_CHECK_INT(md_core_can_restore(c, (1 << 16) | 9), -ENOENT); /* slot 8 of 0-7 */
    CC_CHECK_INT(md_core_can_restore(c, 5), -ENOENT);             /* no generation */
    CC_CHECK_INT(md_core_can_restore(c, 0), -ENOENT);
    CC_CHECK_INT(md_core_can_restore(c, -7), -ENOENT);
    /* plain creates go around the restored slots, and reuse of a restored slot counts on
     * from its generation */
    for (int i = 0; i < 6; i++) {
        md_endpoint_t *e = md_core_create(c, 30000 + 2 * i, "n", "caller", true);
        CC_CHECK(e && e->slot != ra->slot && e->slot != rb->slot);
        CC_CHECK(e->id != ids[0] && e->id != ids[1]);
    }
    CC_CHECK(md_core_create(c, 1, "n", "caller", true) == NULL); /* full */
    int slot = rb->slot;
    md_core_delete(c, rb);
    md_endpoint_t *again = md_core_create(c, 20002, "n", "caller", true);
    CC_CHECK(again && again->slot == slot);
    CC_CHECK_INT(again->id, ids[1] + (1 << 16));
    md_core_destroy(&old);
    md_core_destroy(&c);
}

CC_TEST(core_seeded_generations_differ)
{
    /* two mediads with different seeds hand out different ids for their first endpoints */
    md_core_t *c1 = md_core_new(16), *c2 = md_core_new(16);
    md_core_seed(c1, 1000001);
    md_core_seed(c2, 2000002);
    int same = 0;
    for (int i = 0; i < 16; i++) {
        md_endpoint_t *e1 = md_core_create(c1, 20000, "x", "caller", true);
        md_endpoint_t *e2 = md_core_create(c2, 20000, "x", "caller", true);
        CC_CHECK(e1 && e2 && e1->slot == e2->slot);
        CC_CHECK(e1->id > 0 && (e1->id >> 16) >= 1);
        same += e1->id == e2->id;
    }
    CC_CHECK(same <= 1);
    md_core_destroy(&c1);
    md_core_destroy(&c2);
}

static int s_freed[16];
static int s_nfreed;
static md_core_t *s_core;
static void s_free_ep(md_endpoint_t *ep, void *arg)
{
    (void)arg;
    s_freed[s_nfreed++] = ep->id;
    md_core_delete(s_core, ep); /* as the adapter does: the scan goes on */
}

CC_TEST(core_owners_and_orphans)
{
    md_core_t *c = s_core = md_core_new(8);
    md_epoch_t seen;
    md_owner_t *sp = md_core_owner(c, "sipproxy", 100, &seen);
    CC_CHECK(sp && seen == MD_EPOCH_FIRST);
    CC_CHECK_STR(md_owner_name(sp), "sipproxy");
    md_endpoint_t *a = md_core_create(c, 20000, "x", "caller", true);
    md_endpoint_t *b = md_core_create(c, 20002, "x", "callee", true);
    md_endpoint_t *free_ep = md_core_create(c, 20004, "t", "caller", true); /* no owner */
    md_core_connect(a, b);
    md_core_set_owner(a, sp, 100, T0);
    md_core_set_owner(b, sp, 100, T0);
    md_owner_t *other = md_core_owner(c, "ivrd", 7, &seen);
    md_endpoint_t *d = md_core_create(c, 20006, "z", "caller", true);
    md_core_set_owner(d, other, 7, T0);
    CC_CHECK(md_core_owner(c, "sipproxy", 100, &seen) == sp && seen == MD_EPOCH_CURRENT);
    CC_CHECK(!md_core_orphaned(a));
    /* sipproxy restarts: its new epoch makes the old one's endpoints orphans */
    CC_CHECK(md_core_owner(c, "sipproxy", 200, &seen) == sp && seen == MD_EPOCH_NEWER);
    CC_CHECK_INT(md_owner_epoch(sp), 200);
    md_endpoint_t *e = md_core_create(c, 20008, "w", "caller", true);
    md_core_set_owner(e, sp, 200, T0 + 10 * MS);
    CC_CHECK(md_core_orphaned(a) && md_core_orphaned(b) && !md_core_orphaned(e));
    CC_CHECK(!md_core_orphaned(free_ep) && !md_core_orphaned(d));
    int ida = a->id, idb = b->id;
    s_nfreed = 0;
    CC_CHECK_INT(md_core_sweep_orphans(c, sp, s_free_ep, NULL), 2);
    CC_CHECK_INT(s_nfreed, 2);
    CC_CHECK(s_freed[0] == ida && s_freed[1] == idb);
    CC_CHECK_INT(md_core_count(c), 3); /* e, the ownerless one and ivrd's */
    /* a late message of the old instance does not bring its epoch back */
    CC_CHECK(md_core_owner(c, "sipproxy", 100, &seen) == sp && seen == MD_EPOCH_OLDER);
    CC_CHECK_INT(md_owner_epoch(sp), 200);
    CC_CHECK_INT(md_core_owned(c, sp), 1);
    CC_CHECK_INT(md_core_owned(c, other), 1);
    md_core_destroy(&c);
}

CC_TEST(core_sync_frees_unclaimed_after_grace)
{
    md_core_t *c = s_core = md_core_new(8);
    md_epoch_t seen;
    md_owner_t *sp = md_core_owner(c, "sipproxy", 100, &seen);
    md_owner_t *other = md_core_owner(c, "ivrd", 5, &seen);
    md_endpoint_t *eps[5];
    for (int i = 0; i < 5; i++) {
        eps[i] = md_core_create(c, 20000 + 2 * i, "x", "caller", true);
        md_core_set_owner(eps[i], sp, 100, T0);
    }
    md_core_set_owner(eps[4], sp, 100, T0 + 1900 * MS); /* created just before the sync */
    md_endpoint_t *ivr = md_core_create(c, 21000, "i", "caller", true);
    md_core_set_owner(ivr, other, 5, T0);
    md_endpoint_t *mine = md_core_create(c, 21002, "t", "caller", true);
    /* the owner holds 0 and 2 (and an id it cannot have: ivrd's, and a stale one) */
    int held[] = {eps[0]->id, eps[2]->id, ivr->id, 12345};
    int id1 = eps[1]->id, id3 = eps[3]->id;
    int kept = -1;
    s_nfreed = 0;
    CC_CHECK_INT(md_core_sync(c, sp, held, 4, T0 + 2000 * MS, 2000 * MS, s_free_ep, NULL, &kept),
                 2);
    CC_CHECK_INT(kept, 3); /* 0, 2 and the young 4 */
    CC_CHECK(s_freed[0] == id1 && s_freed[1] == id3);
    CC_CHECK(md_core_find(c, ivr->id) == ivr && md_core_find(c, mine->id) == mine);
    /* the marks do not linger: the next sync without 2 frees it */
    int held2[] = {eps[0]->id, eps[4]->id};
    int id2 = eps[2]->id;
    s_nfreed = 0;
    CC_CHECK_INT(md_core_sync(c, sp, held2, 2, T0 + 3000 * MS, 2000 * MS, s_free_ep, NULL, &kept),
                 1);
    CC_CHECK_INT(s_freed[0], id2);
    CC_CHECK_INT(kept, 2);
    /* an empty list frees everything old enough */
    CC_CHECK_INT(md_core_sync(c, sp, NULL, 0, T0 + 9000 * MS, 2000 * MS, s_free_ep, NULL, &kept),
                 2);
    CC_CHECK_INT(kept, 0);
    CC_CHECK_INT(md_core_count(c), 2);
    md_core_destroy(&c);
}
