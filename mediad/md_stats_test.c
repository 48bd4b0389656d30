/* md_stats_test.c - unit tests of the RTP statistics arithmetic: loss across the sequence
 * wrap, reordering, duplicates, restarts, jitter against hand-computed vectors, max gap. */
#include "cc_test.h"
#include "md_stats.h"

/* Feed one packet: sequence seq, RTP timestamp ts, arrival at ms milliseconds. */
static void s_feed(md_stats_t *st, uint16_t seq, uint32_t ts, double ms, int pt)
{
    md_rtp_hdr_t h = {.version = 2, .pt = (uint8_t)pt, .seq = seq, .ts = ts, .ssrc = 1};
    md_stats_rtp_in(st, &h, 172, (uint64_t)(ms * 1000.0) + 1000000000ull);
}

CC_TEST(stats_parse_header)
{
    uint8_t pkt[12] = {0x80, 0x80 | 8, 0x12, 0x34, 0, 0, 0x01, 0x40, 0xde, 0xad, 0xbe, 0xef};
    md_rtp_hdr_t h;
    CC_CHECK_INT(md_rtp_parse(pkt, sizeof pkt, &h), 0);
    CC_CHECK_INT(h.pt, 8);
    CC_CHECK(h.marker);
    CC_CHECK_INT(h.seq, 0x1234);
    CC_CHECK_INT(h.ts, 320);
    CC_CHECK_INT(h.ssrc, 0xdeadbeefu);
    CC_CHECK_INT(md_rtp_parse(pkt, 11, &h), -1);
    pkt[0] = 0x40; /* version 1 */
    CC_CHECK_INT(md_rtp_parse(pkt, sizeof pkt, &h), -1);
    uint8_t rtcp[8] = {0x81, 200, 0, 6, 0, 0, 0, 1};
    CC_CHECK(md_rtp_is_rtcp(rtcp, sizeof rtcp));
    CC_CHECK(!md_rtp_is_rtcp(pkt, sizeof pkt));
    CC_CHECK_INT(md_rtp_clock_rate(0), 8000);
    CC_CHECK_INT(md_rtp_clock_rate(34), 90000);
}

CC_TEST(stats_in_order_no_loss)
{
    md_stats_t st;
    md_stats_init(&st);
    for (int i = 0; i < 100; i++)
        s_feed(&st, (uint16_t)(1000 + i), 160u * i, 20.0 * i, 0);
    CC_CHECK_INT(st.packets_in, 100);
    CC_CHECK_INT(st.bytes_in, 17200);
    CC_CHECK_INT(md_stats_expected(&st), 100);
    CC_CHECK_INT(md_stats_lost(&st), 0);
    CC_CHECK_INT(st.out_of_order, 0);
    CC_CHECK_NEAR(md_stats_jitter_ms(&st), 0.0, 1e-9);
    CC_CHECK_NEAR(md_stats_max_gap_ms(&st), 20.0, 1e-6);
}

CC_TEST(stats_loss_across_wrap)
{
    md_stats_t st;
    md_stats_init(&st);
    /* 65530..65535, 0..5 with 1 and 3 missing: 12 expected, 10 received */
    uint16_t seq = 65530;
    int sent = 0;
    for (int i = 0; i < 12; i++, seq++) {
        if (seq == 1 || seq == 3)
            continue;
        s_feed(&st, seq, 160u * i, 20.0 * i, 0);
        sent++;
    }
    CC_CHECK_INT(sent, 10);
    CC_CHECK_INT(md_stats_expected(&st), 12);
    CC_CHECK_INT(md_stats_lost(&st), 2);
    CC_CHECK_INT(st.cycles, 65536);
    CC_CHECK_NEAR(md_stats_max_gap_ms(&st), 40.0, 1e-6);
}

CC_TEST(stats_reordering_and_duplicates)
{
    md_stats_t st;
    md_stats_init(&st);
    uint16_t order[] = {10, 11, 13, 12, 14, 14, 15, 9};
    for (unsigned i = 0; i < sizeof order / sizeof order[0]; i++)
        s_feed(&st, order[i], 160u * order[i], 20.0 * i, 0);
    /* 12 and 9 are late, the second 14 a duplicate */
    CC_CHECK_INT(st.out_of_order, 3);
    CC_CHECK_INT(st.packets_in, 8);
    /* base 10, max 15: 6 expected; 8 counted (incl. the duplicate and 9, from before
     * base): never negative */
    CC_CHECK_INT(md_stats_expected(&st), 6);
    CC_CHECK_INT(md_stats_lost(&st), 0);
}

CC_TEST(stats_reorder_across_wrap)
{
    md_stats_t st;
    md_stats_init(&st);
    uint16_t order[] = {65534, 0, 65535, 1, 2};
    for (unsigned i = 0; i < 5; i++)
        s_feed(&st, order[i], 160u * i, 20.0 * i, 0);
    CC_CHECK_INT(st.out_of_order, 1);
    CC_CHECK_INT(md_stats_expected(&st), 5);
    CC_CHECK_INT(md_stats_lost(&st), 0);
    CC_CHECK_INT(st.cycles, 65536); /* counted once, not again for the late 65535 */
}

CC_TEST(stats_sequence_restart)
{
    md_stats_t st;
    md_stats_init(&st);
    for (int i = 0; i < 10; i++) /* 100..109, 105 lost */
        if (i != 5)
            s_feed(&st, (uint16_t)(100 + i), 160u * i, 20.0 * i, 0);
    CC_CHECK_INT(md_stats_lost(&st), 1);
    /* the source restarts at 40000: the first packet is doubted, the second confirms */
    for (int i = 0; i < 5; i++)
        s_feed(&st, (uint16_t)(40000 + i), 160u * (10 + i), 20.0 * (10 + i), 0);
    CC_CHECK_INT(st.packets_in, 14);
    CC_CHECK_INT(md_stats_lost(&st), 1);
    CC_CHECK_INT(md_stats_expected(&st), 4); /* 40001..40004 in the new run */
}

CC_TEST(stats_jitter_known_vector)
{
    md_stats_t st;
    md_stats_init(&st);
    /* PCMU, 20 ms packets; packet 3 arrives 10 ms late (80 timestamp units at 8 kHz).
     * D(2,3) = 80: J = 80/16 = 5; D(3,4) = 80: J = 5 + 75/16 = 9.6875 units = 1.2109 ms;
     */
    for (int i = 0; i < 5; i++)
        s_feed(&st, (uint16_t)i, 160u * i, 20.0 * i + (i == 3 ? 10.0 : 0.0), 0);
    CC_CHECK_NEAR(st.jitter, 9.6875, 1e-9);
    CC_CHECK_NEAR(md_stats_jitter_ms(&st), 9.6875 / 8.0, 1e-9);
    s_feed(&st, 5, 800, 100.0, 0); /* on time again: D = 0, J *= 15/16 */
    CC_CHECK_NEAR(st.jitter, 9.6875 * 15.0 / 16.0, 1e-9);
    CC_CHECK_NEAR(md_stats_max_gap_ms(&st), 30.0, 1e-6);
}

CC_TEST(stats_jitter_steady_alternation)
{
    md_stats_t st;
    md_stats_init(&st);
    /* every packet alternately 0 and 4 ms late: |D| = 32 units each time; J -> 32 (4 ms) */
    for (int i = 0; i < 2000; i++)
        s_feed(&st, (uint16_t)i, 160u * i, 20.0 * i + (i & 1 ? 4.0 : 0.0), 8);
    CC_CHECK_NEAR(md_stats_jitter_ms(&st), 4.0, 1e-6);
}

CC_TEST(stats_jitter_ignores_events)
{
    md_stats_t st;
    md_stats_init(&st);
    for (int i = 0; i < 10; i++)
        s_feed(&st, (uint16_t)i, 160u * i, 20.0 * i, 0);
    /* RFC 4733 events keep the timestamp of the event start while time runs on */
    for (int i = 10; i < 20; i++)
        s_feed(&st, (uint16_t)i, 1600u, 20.0 * i, 101);
    CC_CHECK_NEAR(md_stats_jitter_ms(&st), 0.0, 1e-9);
    CC_CHECK_INT(st.jitter_pt, 0);
    CC_CHECK_INT(md_stats_lost(&st), 0);
}

CC_TEST(stats_out_counters)
{
    md_stats_t st;
    md_stats_init(&st);
    md_stats_rtp_out(&st, 172);
    md_stats_rtp_out(&st, 100);
    CC_CHECK_INT(st.packets_out, 2);
    CC_CHECK_INT(st.bytes_out, 272);
    CC_CHECK_INT(md_stats_lost(&st), 0);
    CC_CHECK_INT(md_stats_expected(&st), 0);
}
