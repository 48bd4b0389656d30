/* md_tap_test.c - unit tests of a recording tap's batch buffer (md_tap): the wire layout of
 * batches and frames, what is not audio, a full batch, and how dropped batches are counted
 * and marked for recorderd (cumulative dropped frames and a gap in batch_seq). */
#include <string.h>

#include "cc_bytes.h"
#include "cc_test.h"
#include "md_tap.h"

/* An RTP packet: 12-byte header (PT pt, sequence seq, timestamp ts, SSRC ssrc) then plen
 * payload bytes of value fill. Returns its length. */
static size_t s_rtp(uint8_t *pkt, int pt, uint16_t seq, uint32_t ts, uint32_t ssrc, size_t plen,
                    uint8_t fill)
{
    pkt[0] = 0x80;
    pkt[1] = (uint8_t)pt;
    pkt[2] = (uint8_t)(seq >> 8);
    pkt[3] = (uint8_t)seq;
    for (int i = 0; i < 4; i++) {
        pkt[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
        pkt[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
    }
    memset(pkt + 12, fill, plen);
    return 12 + plen;
}

CC_TEST(tap_batch_layout)
{
    md_tap_t *t = md_tap_new(0x0102030405060708ull);
    CC_CHECK(t);
    uint8_t pkt[200];
    size_t n = s_rtp(pkt, 0x80 | 8, 0xabcd, 0x11223344u, 0xdeadbeefu, 160, 0x55); /* marker set */
    CC_CHECK_INT(md_tap_add(t, 1, pkt, n, 123456789ull), 0);
    n = s_rtp(pkt, 0, 7, 160, 42, 80, 0x66);
    CC_CHECK_INT(md_tap_add(t, 0, pkt, n, 123476789ull), 0);
    size_t len = 0;
    uint16_t nframes = 0;
    const uint8_t *b = md_tap_take(t, 0, &len, &nframes);
    CC_CHECK(b);
    CC_CHECK_INT(nframes, 2);
    CC_CHECK_INT(len, CC_TAP_HDR + 2 * CC_TAP_FRAME_HDR + 160 + 80);
    CC_CHECK_INT(cc_le_get(b, 4), CC_TAP_MAGIC);
    CC_CHECK_INT(b[4], CC_TAP_VERSION);
    CC_CHECK_INT(b[5], 0);
    CC_CHECK_INT(cc_le_get(b + 6, 2), 2);
    CC_CHECK(cc_le_get(b + 8, 8) == 0x0102030405060708ull);
    CC_CHECK_INT(cc_le_get(b + 16, 4), 1); /* first batch */
    CC_CHECK_INT(cc_le_get(b + 20, 4), 0); /* nothing dropped */
    const uint8_t *f = b + CC_TAP_HDR;
    CC_CHECK_INT(f[0], 1);                     /* party */
    CC_CHECK_INT(f[1], 8);                     /* payload type, marker stripped */
    CC_CHECK_INT(cc_le_get(f + 2, 2), 0xabcd); /* sequence, little-endian */
    CC_CHECK_INT(cc_le_get(f + 4, 4), 0x11223344u);
    CC_CHECK_INT(cc_le_get(f + 8, 4), 0xdeadbeefu);
    CC_CHECK(cc_le_get(f + 12, 8) == 123456789ull);
    CC_CHECK_INT(cc_le_get(f + 20, 2), 160);
    CC_CHECK_INT(f[CC_TAP_FRAME_HDR], 0x55);
    CC_CHECK_INT(f[CC_TAP_FRAME_HDR + 159], 0x55);
    f += CC_TAP_FRAME_HDR + 160;
    CC_CHECK_INT(f[0], 0);
    CC_CHECK_INT(cc_le_get(f + 2, 2), 7);
    CC_CHECK_INT(cc_le_get(f + 20, 2), 80);
    CC_CHECK_INT(f[CC_TAP_FRAME_HDR + 79], 0x66);
    md_tap_sent(t, nframes, true);
    CC_CHECK_INT(t->frames, 2);
    CC_CHECK_INT(t->batches, 1);
    /* the tap starts over: nothing to take, the next batch is number 2 */
    CC_CHECK(md_tap_take(t, 0, &len, &nframes) == NULL);
    CC_CHECK_INT(md_tap_add(t, 0, pkt, n, 1), 0);
    b = md_tap_take(t, 0, &len, &nframes);
    CC_CHECK(b && nframes == 1 && cc_le_get(b + 16, 4) == 2);
    md_tap_destroy(&t);
    CC_CHECK(t == NULL);
    md_tap_destroy(&t); /* NULL is fine */
}

CC_TEST(tap_skips_what_is_not_audio)
{
    md_tap_t *t = md_tap_new(1);
    uint8_t pkt[400];
    size_t n = s_rtp(pkt, 0, 1, 0, 1, 160, 0);
    CC_CHECK_INT(md_tap_add(t, 0, pkt, 11, 0), 1); /* shorter than a header */
    CC_CHECK_INT(md_tap_add(t, 0, pkt, 12, 0), 1); /* header only */
    pkt[0] = 0x40;                                 /* version 1 */
    CC_CHECK_INT(md_tap_add(t, 0, pkt, n, 0), 1);
    /* two CSRCs: the payload starts 8 bytes later */
    n = s_rtp(pkt, 0, 1, 0, 1, 168, 0x11);
    pkt[0] = 0x82;
    memset(pkt + 12, 0xee, 8);
    CC_CHECK_INT(md_tap_add(t, 0, pkt, n, 0), 0);
    /* a header extension of one word, then 2 bytes of padding */
    n = s_rtp(pkt, 0, 2, 0, 1, 4 + 4 + 160 + 2, 0x22);
    pkt[0] = 0x80 | 0x10 | 0x20;
    pkt[12] = 0xbe, pkt[13] = 0xde, pkt[14] = 0, pkt[15] = 1;
    pkt[n - 1] = 2;
    CC_CHECK_INT(md_tap_add(t, 1, pkt, n, 0), 0);
    /* padding that eats the whole payload */
    n = s_rtp(pkt, 0, 3, 0, 1, 4, 0);
    pkt[0] = 0xa0;
    pkt[n - 1] = 4;
    CC_CHECK_INT(md_tap_add(t, 1, pkt, n, 0), 1);
    size_t len;
    uint16_t nf;
    const uint8_t *b = md_tap_take(t, 0, &len, &nf);
    CC_CHECK_INT(nf, 2);
    const uint8_t *f = b + CC_TAP_HDR;
    CC_CHECK_INT(cc_le_get(f + 20, 2), 160);
    CC_CHECK_INT(f[CC_TAP_FRAME_HDR], 0x11); /* not a CSRC byte */
    f += CC_TAP_FRAME_HDR + 160;
    CC_CHECK_INT(cc_le_get(f + 20, 2), 160);
    CC_CHECK_INT(f[CC_TAP_FRAME_HDR], 0x22);
    CC_CHECK_INT(f[CC_TAP_FRAME_HDR + 159], 0x22);
    CC_CHECK_INT(len, CC_TAP_HDR + 2 * (CC_TAP_FRAME_HDR + 160));
    md_tap_destroy(&t);
}

CC_TEST(tap_full_batch_then_append_again)
{
    md_tap_t *t = md_tap_new(9);
    uint8_t pkt[200];
    size_t n = s_rtp(pkt, 0, 0, 0, 1, 160, 0x7f);
    int fit = (MD_TAP_BUF - CC_TAP_HDR) / (CC_TAP_FRAME_HDR + 160);
    for (int i = 0; i < fit; i++) {
        pkt[3] = (uint8_t)i;
        CC_CHECK_INT(md_tap_add(t, i % 2, pkt, n, (uint64_t)i), 0);
    }
    pkt[3] = (uint8_t)fit;
    CC_CHECK_INT(md_tap_add(t, 0, pkt, n, 0), -1); /* no room: nothing appended */
    CC_CHECK_INT(t->frames, fit);
    size_t len;
    uint16_t nf;
    const uint8_t *b = md_tap_take(t, 0, &len, &nf);
    CC_CHECK_INT(nf, fit);
    CC_CHECK(len <= MD_TAP_BUF);
    CC_CHECK_INT(len, CC_TAP_HDR + (size_t)fit * (CC_TAP_FRAME_HDR + 160));
    const uint8_t *last = b + CC_TAP_HDR + (size_t)(fit - 1) * (CC_TAP_FRAME_HDR + 160);
    CC_CHECK_INT(cc_le_get(last + 2, 2), fit - 1);
    md_tap_sent(t, nf, true);
    CC_CHECK_INT(md_tap_add(t, 0, pkt, n, 0), 0); /* the packet that did not fit */
    b = md_tap_take(t, 0, &len, &nf);
    CC_CHECK(nf == 1 && cc_le_get(b + CC_TAP_HDR + 2, 2) == (uint64_t)fit);
    /* a payload that could never fit a batch is skipped, not retried forever */
    static uint8_t big[MD_TAP_BUF + 64];
    n = s_rtp(big, 0, 0, 0, 1, MD_TAP_BUF, 0);
    CC_CHECK_INT(md_tap_add(t, 0, big, n, 0), 1);
    md_tap_destroy(&t);
}

CC_TEST(tap_drops_are_counted_and_marked)
{
    md_tap_t *t = md_tap_new(5);
    uint8_t pkt[200];
    size_t n = s_rtp(pkt, 0, 0, 0, 1, 160, 0);
    size_t len;
    uint16_t nf;
    /* batch 1 goes out, batch 2 (3 frames) cannot be queued, batch 3 goes out */
    md_tap_add(t, 0, pkt, n, 0);
    md_tap_take(t, 0, &len, &nf);
    md_tap_sent(t, nf, true);
    for (int i = 0; i < 3; i++)
        md_tap_add(t, 0, pkt, n, 0);
    const uint8_t *b = md_tap_take(t, 0, &len, &nf);
    CC_CHECK_INT(cc_le_get(b + 16, 4), 2);
    md_tap_sent(t, nf, false);
    CC_CHECK_INT(t->frames_dropped, 3);
    CC_CHECK_INT(t->batches_dropped, 1);
    CC_CHECK_INT(t->batches, 1);
    md_tap_add(t, 1, pkt, n, 0);
    b = md_tap_take(t, 0, &len, &nf);
    /* recorderd sees batch 3 after 1 (a gap of one batch) and 3 frames dropped so far */
    CC_CHECK_INT(cc_le_get(b + 16, 4), 3);
    CC_CHECK_INT(cc_le_get(b + 20, 4), 3);
    md_tap_sent(t, nf, true);
    /* another drop: the count in later headers is cumulative */
    md_tap_add(t, 0, pkt, n, 0);
    md_tap_add(t, 1, pkt, n, 0);
    md_tap_take(t, 0, &len, &nf);
    md_tap_sent(t, nf, false);
    b = md_tap_take(t, CC_TAP_FLAG_LAST, &len, &nf);
    CC_CHECK(b != NULL); /* the last batch goes even empty, to carry the flag and counts */
    CC_CHECK_INT(nf, 0);
    CC_CHECK_INT(len, CC_TAP_HDR);
    CC_CHECK_INT(b[5], CC_TAP_FLAG_LAST);
    CC_CHECK_INT(cc_le_get(b + 16, 4), 5);
    CC_CHECK_INT(cc_le_get(b + 20, 4), 5);
    CC_CHECK_INT(t->frames, 7);
    CC_CHECK_INT(t->frames_dropped, 5);
    CC_CHECK_INT(t->batches_dropped, 2);
    md_tap_destroy(&t);
}
