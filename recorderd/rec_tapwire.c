/* rec_tapwire.c - tap batch parsing (see rec_tapwire.h). */
#include "rec_tapwire.h"

static uint64_t s_rd(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

int rec_batch_parse(const uint8_t *buf, size_t len, rec_batch_t *out, size_t *off)
{
    if (len < REC_TAP_HDR || s_rd(buf, 4) != REC_TAP_MAGIC || buf[4] != 1)
        return -1;
    out->flags = buf[5];
    out->nframes = (uint16_t)s_rd(buf + 6, 2);
    out->tap_id = s_rd(buf + 8, 8);
    out->batch_seq = (uint32_t)s_rd(buf + 16, 4);
    out->dropped = (uint32_t)s_rd(buf + 20, 4);
    *off = REC_TAP_HDR;
    return 0;
}

int rec_batch_next(const uint8_t *buf, size_t len, size_t *off, rec_frame_t *f)
{
    if (*off == len)
        return 0;
    if (len - *off < REC_TAP_FRAME_HDR)
        return -1;
    const uint8_t *p = buf + *off;
    f->party = p[0];
    f->pt = p[1];
    f->seq = (uint16_t)s_rd(p + 2, 2);
    f->ts = (uint32_t)s_rd(p + 4, 4);
    f->ssrc = (uint32_t)s_rd(p + 8, 4);
    f->arrival_us = s_rd(p + 12, 8);
    f->len = (size_t)s_rd(p + 20, 2);
    if (len - *off - REC_TAP_FRAME_HDR < f->len)
        return -1;
    f->payload = p + REC_TAP_FRAME_HDR;
    *off += REC_TAP_FRAME_HDR + f->len;
    return 1;
}
