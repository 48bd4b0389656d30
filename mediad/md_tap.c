/* md_tap.c - a tap's batch buffer (see md_tap.h). The packet path pays one header parse
 * and one copy of the payload per packet; everything else happens per batch. */
#include "md_tap.h"

#include <stdlib.h>
#include <string.h>

static void s_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void s_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void s_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

md_tap_t *md_tap_new(uint64_t id)
{
    md_tap_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->id = id;
    self->len = MD_TAP_HDR;
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
    if (len < 12 || (pkt[0] >> 6) != 2)
        return 1;
    size_t off = 12 + 4u * (pkt[0] & 0x0f);
    if ((pkt[0] & 0x10) && len >= off + 4) /* header extension */
        off += 4 + 4u * (((size_t)pkt[off + 2] << 8) | pkt[off + 3]);
    size_t end = len;
    if ((pkt[0] & 0x20) && len > 0) /* padding */
        end = pkt[len - 1] <= len ? len - pkt[len - 1] : 0;
    if (off >= end)
        return 1;
    size_t plen = end - off;
    if (plen > MD_TAP_BUF - MD_TAP_HDR - MD_TAP_FRAME_HDR)
        return 1;
    if (self->len + MD_TAP_FRAME_HDR + plen > MD_TAP_BUF || self->nframes == UINT16_MAX)
        return -1;
    uint8_t *f = self->buf + self->len;
    f[0] = (uint8_t)party;
    f[1] = pkt[1] & 0x7f;
    f[2] = pkt[3]; /* sequence, to little-endian */
    f[3] = pkt[2];
    s_put32(f + 4, ((uint32_t)pkt[4] << 24) | ((uint32_t)pkt[5] << 16) |
                       ((uint32_t)pkt[6] << 8) | pkt[7]);
    s_put32(f + 8, ((uint32_t)pkt[8] << 24) | ((uint32_t)pkt[9] << 16) |
                       ((uint32_t)pkt[10] << 8) | pkt[11]);
    s_put64(f + 12, now_us);
    s_put16(f + 20, (uint16_t)plen);
    memcpy(f + MD_TAP_FRAME_HDR, pkt + off, plen);
    self->len += MD_TAP_FRAME_HDR + plen;
    self->nframes++;
    self->frames++;
    return 0;
}

const uint8_t *md_tap_take(md_tap_t *self, int flags, size_t *len, uint16_t *nframes)
{
    if (self->nframes == 0 && !flags)
        return NULL;
    uint8_t *h = self->buf;
    s_put32(h, MD_TAP_MAGIC);
    h[4] = MD_TAP_VERSION;
    h[5] = (uint8_t)flags;
    s_put16(h + 6, self->nframes);
    s_put64(h + 8, self->id);
    s_put32(h + 16, ++self->batch_seq);
    s_put32(h + 20, (uint32_t)self->frames_dropped);
    *len = self->len;
    *nframes = self->nframes;
    self->len = MD_TAP_HDR;
    self->nframes = 0;
    return h;
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
