/* md_core_test.c - unit tests of the endpoint core: ids, pairing, the relay decision,
 * symmetric latching (signalled address, NAT learning, ambiguity, the window, re-latching
 * behind the same NAT), payload-type filtering, media timeout scan. */
#include <arpa/inet.h>

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
