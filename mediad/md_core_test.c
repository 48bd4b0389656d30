/* md_core_test.c - unit tests of the endpoint core: ids, pairing, the relay decision,
 * symmetric latching and re-latching, payload-type filtering, media timeout scan. */
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

CC_TEST(core_symmetric_latching)
{
    md_core_t *c = md_core_new(4);
    md_endpoint_t *a = md_core_create(c, 20000, "x", "caller", true);
    md_endpoint_t *b = md_core_create(c, 20002, "x", "callee", true);
    md_core_connect(a, b);
    /* b's SDP says 10.0.0.9:4000, but the phone is behind NAT */
    md_core_set_remote(b, s_ip("10.0.0.9"), 4000, NULL, 0, true, T0);
    struct sockaddr_in nat = s_addr("127.0.0.1", 50000);
    struct sockaddr_in pa = s_addr("127.0.0.1", 40000);
    /* a has no remote at all: its first packet latches it */
    CC_CHECK(md_core_rtp_in(a, &pa, s_pkt(0, 1), 172, T0) == b);
    CC_CHECK(a->rtp.latched);
    CC_CHECK_INT(ntohs(a->rtp.addr.sin_port), 40000);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 4000); /* b's SDP address until b sends */
    CC_CHECK(md_core_rtp_in(b, &nat, s_pkt(0, 1), 172, T0 + 5 * MS) == a);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 50000);
    CC_CHECK(b->rtp.addr.sin_addr.s_addr == s_ip("127.0.0.1"));
    /* a stray source while the latched one is alive is dropped */
    struct sockaddr_in stray = s_addr("127.0.0.1", 50002);
    CC_CHECK(md_core_rtp_in(b, &stray, s_pkt(0, 2), 172, T0 + 500 * MS) == NULL);
    CC_CHECK_INT(b->stats.dropped, 1);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 50000);
    /* the latched source sends until 1.0 s, then falls silent; 0.9 s later the new
     * source is still refused, after 1 s of silence it is latched */
    CC_CHECK(md_core_rtp_in(b, &nat, s_pkt(0, 2), 172, T0 + 1000 * MS) == a);
    CC_CHECK(md_core_rtp_in(b, &stray, s_pkt(0, 3), 172, T0 + 1900 * MS) == NULL);
    CC_CHECK(md_core_rtp_in(b, &stray, s_pkt(0, 3), 172, T0 + 2001 * MS) == a);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 50002);
    /* the same SDP address again (session refresh) keeps the latch */
    md_core_set_remote(b, s_ip("10.0.0.9"), 4000, NULL, 0, true, T0);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 50002);
    /* a new SDP address resets it */
    md_core_set_remote(b, s_ip("10.0.0.9"), 4100, NULL, 0, true, T0);
    CC_CHECK(!b->rtp.latched);
    CC_CHECK_INT(ntohs(b->rtp.addr.sin_port), 4100);
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
    md_core_set_remote(b, s_ip("127.0.0.1"), 40002, NULL, 0, true, T0);
    struct sockaddr_in pa = s_addr("127.0.0.1", 40000);
    /* an RTCP sender report on the RTP port (rtcp-mux): relayed, not counted as RTP */
    static const uint8_t sr[28] = {0x80, 200, 0, 6};
    CC_CHECK(md_core_rtp_in(a, &pa, sr, sizeof sr, T0) == b);
    CC_CHECK_INT(a->stats.packets_in, 0);
    CC_CHECK_INT(a->stats.rtcp_in, 1);
    /* RTCP on the RTCP port latches its own address, independently of RTP */
    struct sockaddr_in pa_rtcp = s_addr("127.0.0.1", 40101);
    CC_CHECK(md_core_rtcp_in(a, &pa_rtcp, 28, T0) == b);
    CC_CHECK_INT(ntohs(a->rtcp.addr.sin_port), 40101);
    CC_CHECK_INT(ntohs(a->rtp.addr.sin_port), 40000);
    CC_CHECK_INT(ntohs(b->rtcp.addr.sin_port), 40003);
    struct sockaddr_in stray = s_addr("127.0.0.1", 40999);
    CC_CHECK(md_core_rtcp_in(a, &stray, 28, T0 + 10 * MS) == NULL);
    CC_CHECK_INT(a->stats.dropped, 1);
    md_core_destroy(&c);
}
