/* md_tap.c - a tap's batch buffer (see md_tap.h): RTP packets in, tap wire batches out
 * (encoded by common/cc_tapwire.c). The packet path pays one header parse and one copy of
 * the payload per packet; everything else happens per batch. */
#include "md_tap.h"

#include <stdlib.h>

#include "md_stats.h"

md_tap_t *md_tap_new(uint64_t id)
{
    md_tap_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->id = id;
    self->len = CC_TAP_HDR;
    return self;
}

void md_tap_destroy(md_tap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

int md_tap_add(md_tap_t *self, int party, const uint8_t *pkt, size_t len, uint64_t now_us)
{
    md_rtp_hdr_t rtp;
    if (md_rtp_parse(pkt, len, &rtp) < 0)
        return 1;
    size_t off, plen;
    if (md_rtp_payload(pkt, len, &off, &plen) < 0 || plen == 0)
        return 1;
    if (plen > MD_TAP_BUF - CC_TAP_HDR - CC_TAP_FRAME_HDR)
        return 1;
    if (self->len + CC_TAP_FRAME_HDR + plen > MD_TAP_BUF || self->nframes == UINT16_MAX)
        return -1;
    cc_tap_frame_t f = {.party = party,
                        .pt = rtp.pt,
                        .seq = rtp.seq,
                        .ts = rtp.ts,
                        .ssrc = rtp.ssrc,
                        .arrival_us = now_us,
                        .payload = pkt + off,
                        .len = plen};
    self->len += cc_tap_frame_put(self->buf + self->len, &f);
    self->nframes++;
    self->frames++;
    return 0;
}

const uint8_t *md_tap_take(md_tap_t *self, int flags, size_t *len, uint16_t *nframes)
{
    if (self->nframes == 0 && !flags)
        return NULL;
    cc_tap_batch_put(self->buf, &(cc_tap_batch_t){.flags = (uint8_t)flags,
                                                  .nframes = self->nframes,
                                                  .tap_id = self->id,
                                                  .batch_seq = ++self->batch_seq,
                                                  .dropped = (uint32_t)self->frames_dropped});
    *len = self->len;
    *nframes = self->nframes;
    self->len = CC_TAP_HDR;
    self->nframes = 0;
    return self->buf;
}

void md_tap_sent(md_tap_t *self, uint16_t nframes, bool ok)
{
    if (ok) {
        self->batches++;
    } else {
        self->batches_dropped++;
        self->frames_dropped += nframes;
    }
}
