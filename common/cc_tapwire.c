/* cc_tapwire.c - tap batches written and read (see cc_tapwire.h). The writers run on
 * mediad's packet path: no allocation, one copy of the payload. */
#include "cc_tapwire.h"

#include <string.h>

#include "cc_bytes.h"

void cc_tap_batch_put(uint8_t out[CC_TAP_HDR], const cc_tap_batch_t *b)
{
    cc_le_put(out, CC_TAP_MAGIC, 4);
    out[4] = CC_TAP_VERSION;
    out[5] = b->flags;
    cc_le_put(out + 6, b->nframes, 2);
    cc_le_put(out + 8, b->tap_id, 8);
    cc_le_put(out + 16, b->batch_seq, 4);
    cc_le_put(out + 20, b->dropped, 4);
}

size_t cc_tap_frame_put(uint8_t *out, const cc_tap_frame_t *f)
{
    out[0] = (uint8_t)f->party;
    out[1] = (uint8_t)f->pt;
    cc_le_put(out + 2, f->seq, 2);
    cc_le_put(out + 4, f->ts, 4);
    cc_le_put(out + 8, f->ssrc, 4);
    cc_le_put(out + 12, f->arrival_us, 8);
    cc_le_put(out + 20, f->len, 2);
    memcpy(out + CC_TAP_FRAME_HDR, f->payload, f->len);
    return CC_TAP_FRAME_HDR + f->len;
}

int cc_tap_batch_parse(const uint8_t *buf, size_t len, cc_tap_batch_t *out, size_t *off)
{
    if (len < CC_TAP_HDR || cc_le_get(buf, 4) != CC_TAP_MAGIC || buf[4] != CC_TAP_VERSION)
        return -1;
    out->flags = buf[5];
    out->nframes = (uint16_t)cc_le_get(buf + 6, 2);
    out->tap_id = cc_le_get(buf + 8, 8);
    out->batch_seq = (uint32_t)cc_le_get(buf + 16, 4);
    out->dropped = (uint32_t)cc_le_get(buf + 20, 4);
    *off = CC_TAP_HDR;
    return 0;
}

int cc_tap_batch_next(const uint8_t *buf, size_t len, size_t *off, cc_tap_frame_t *f)
{
    if (*off == len)
        return 0;
    if (len - *off < CC_TAP_FRAME_HDR)
        return -1;
    const uint8_t *p = buf + *off;
    f->party = p[0];
    f->pt = p[1];
    f->seq = (uint16_t)cc_le_get(p + 2, 2);
    f->ts = (uint32_t)cc_le_get(p + 4, 4);
    f->ssrc = (uint32_t)cc_le_get(p + 8, 4);
    f->arrival_us = cc_le_get(p + 12, 8);
    f->len = (size_t)cc_le_get(p + 20, 2);
    if (len - *off - CC_TAP_FRAME_HDR < f->len)
        return -1;
    f->payload = p + CC_TAP_FRAME_HDR;
    *off += CC_TAP_FRAME_HDR + f->len;
    return 1;
}
