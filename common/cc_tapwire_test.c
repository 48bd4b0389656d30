/* cc_tapwire_test.c - the tap wire format: a batch read from known bytes (and refused when
 * cut short or of another magic), and what the writers produce, byte for byte and read
 * back. */
#include <string.h>

#include "cc_tapwire.h"
#include "cc_test.h"

CC_TEST(tap_batch_parse)
{
    uint8_t b[CC_TAP_HDR + CC_TAP_FRAME_HDR + 4] = {0x52, 0x54, 0x41, 0x50, 1, 1, 1, 0, 7, 0, 0,
                                                    0,    0,    0,    0,    0, 3, 0, 0, 0, 2};
    uint8_t *f = b + CC_TAP_HDR;
    f[0] = 1;
    f[1] = 8;
    f[2] = 0x34;
    f[3] = 0x12;
    f[4] = 0xa0;
    f[20] = 4;
    memcpy(f + 22, "abcd", 4);
    cc_tap_batch_t h;
    cc_tap_frame_t fr;
    size_t off;
    CC_CHECK_INT(cc_tap_batch_parse(b, sizeof b, &h, &off), 0);
    CC_CHECK(h.tap_id == 7 && h.batch_seq == 3 && h.dropped == 2 && h.nframes == 1);
    CC_CHECK(h.flags == CC_TAP_FLAG_LAST);
    CC_CHECK_INT(cc_tap_batch_next(b, sizeof b, &off, &fr), 1);
    CC_CHECK(fr.party == 1 && fr.pt == 8 && fr.seq == 0x1234 && fr.ts == 0xa0 && fr.len == 4);
    CC_CHECK_INT(cc_tap_batch_next(b, sizeof b, &off, &fr), 0);
    CC_CHECK_INT(cc_tap_batch_next(b, sizeof b - 1, &(size_t){CC_TAP_HDR}, &fr), -1);
    b[0] = 0;
    CC_CHECK_INT(cc_tap_batch_parse(b, sizeof b, &h, &off), -1);
}

CC_TEST(tap_batch_written_and_read_back)
{
    uint8_t b[CC_TAP_HDR + 2 * CC_TAP_FRAME_HDR + 5];
    const uint8_t audio[3] = {0xd5, 0x55, 0x7f};
    cc_tap_frame_t in[2] = {{.party = 1,
                             .pt = 8,
                             .seq = 0xabcd,
                             .ts = 0x11223344u,
                             .ssrc = 0xdeadbeefu,
                             .arrival_us = 0x0102030405060708ull,
                             .payload = audio,
                             .len = 3},
                            {.party = 0,
                             .pt = 0,
                             .seq = 7,
                             .ts = 160,
                             .ssrc = 42,
                             .arrival_us = 9,
                             .payload = audio,
                             .len = 2}};
    size_t len = CC_TAP_HDR;
    for (int i = 0; i < 2; i++)
        len += cc_tap_frame_put(b + len, &in[i]);
    CC_CHECK_INT(len, sizeof b);
    cc_tap_batch_put(b, &(cc_tap_batch_t){.flags = CC_TAP_FLAG_LAST,
                                          .nframes = 2,
                                          .tap_id = 0x1122334455667788ull,
                                          .batch_seq = 5,
                                          .dropped = 3});
    const uint8_t head[] = {
        0x52, 0x54, 0x41, 0x50, 1, 1, 2, 0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 5,
        0,    0,    0,    3,    0, 0, 0, 1, 8,    0xcd, 0xab, 0x44, 0x33, 0x22, 0x11, 0xef, 0xbe,
        0xad, 0xde, 8,    7,    6, 5, 4, 3, 2,    1,    3,    0,    0xd5, 0x55, 0x7f};
    CC_CHECK(memcmp(b, head, sizeof head) == 0);
    cc_tap_batch_t h;
    cc_tap_frame_t f;
    size_t off;
    CC_CHECK_INT(cc_tap_batch_parse(b, len, &h, &off), 0);
    CC_CHECK(h.flags == CC_TAP_FLAG_LAST && h.nframes == 2 && h.batch_seq == 5 && h.dropped == 3);
    CC_CHECK(h.tap_id == 0x1122334455667788ull);
    for (int i = 0; i < 2; i++) {
        CC_CHECK_INT(cc_tap_batch_next(b, len, &off, &f), 1);
        CC_CHECK(f.party == in[i].party && f.pt == in[i].pt && f.seq == in[i].seq);
        CC_CHECK(f.ts == in[i].ts && f.ssrc == in[i].ssrc && f.arrival_us == in[i].arrival_us);
        CC_CHECK(f.len == in[i].len && memcmp(f.payload, audio, f.len) == 0);
    }
    CC_CHECK_INT(cc_tap_batch_next(b, len, &off, &f), 0);
}
