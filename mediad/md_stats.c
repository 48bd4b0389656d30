/* md_stats.c - RTP statistics arithmetic (see md_stats.h). Sequence tracking follows
 * RFC 3550 A.1 without the probation step, loss A.3, jitter A.8. Owns no memory. */
#include "md_stats.h"

#include <string.h>

#define SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000u
#define MAX_MISORDER 100u

void md_stats_init(md_stats_t *self)
{
    memset(self, 0, sizeof *self);
    self->jitter_pt = -1;
}

int md_rtp_parse(const uint8_t *buf, size_t len, md_rtp_hdr_t *out)
{
    if (len < 12 || (buf[0] >> 6) != 2)
        return -1;
    out->version = 2;
    out->marker = (buf[1] & 0x80) != 0;
    out->pt = buf[1] & 0x7f;
    out->seq = (uint16_t)((buf[2] << 8) | buf[3]);
    out->ts =
        ((uint32_t)buf[4] << 24) | ((uint32_t)buf[5] << 16) | ((uint32_t)buf[6] << 8) | buf[7];
    out->ssrc =
        ((uint32_t)buf[8] << 24) | ((uint32_t)buf[9] << 16) | ((uint32_t)buf[10] << 8) | buf[11];
    return 0;
}

int md_rtp_payload(const uint8_t *pkt, size_t len, size_t *off, size_t *plen)
{
    if (len < 12 || (pkt[0] >> 6) != 2)
        return -1;
    size_t pos = 12 + 4u * (pkt[0] & 0x0f);
    if ((pkt[0] & 0x10) != 0) { /* header extension */
        if (pos + 4 > len)
            return -1;
        pos += 4 + 4u * (size_t)(pkt[pos + 2] << 8 | pkt[pos + 3]);
    }
    size_t end = len;
    if ((pkt[0] & 0x20) != 0) { /* padding: its count is the last byte */
        if (pkt[len - 1] > len)
            return -1;
        end -= pkt[len - 1];
    }
    if (pos > end)
        return -1;
    *off = pos;
    *plen = end - pos;
    return 0;
}

bool md_rtp_is_rtcp(const uint8_t *buf, size_t len)
{
    return len >= 8 && (buf[0] >> 6) == 2 && buf[1] >= 200 && buf[1] <= 207;
}

uint32_t md_rtp_clock_rate(int pt)
{
    switch (pt) {
    case 10:
    case 11:
        return 44100; /* L16 */
    case 6:
        return 16000; /* DVI4 16k */
    case 16:
        return 11025;
    case 17:
        return 22050; /* DVI4 */
    case 14:
    case 25:
    case 26:
    case 28:
    case 31:
    case 32:
    case 33:
    case 34:
        return 90000; /* MPA and video */
    default:
        return 8000;
    }
}

static void s_seq_start(md_stats_t *self, uint16_t seq)
{
    self->seq_init = true;
    self->base_seq = seq;
    self->max_seq = seq;
    self->bad_seq = SEQ_MOD + 1; /* cannot match a 16-bit number */
    self->cycles = 0;
    self->received = 0;
}

/* Returns true if the packet counts in the sequence space (A.1's update_seq). */
static bool s_seq_update(md_stats_t *self, uint16_t seq)
{
    if (!self->seq_init) {
        s_seq_start(self, seq);
        self->received = 1;
        return true;
    }
    uint16_t udelta = (uint16_t)(seq - self->max_seq);
    if (udelta == 0) {
        self->out_of_order++; /* duplicate */
    } else if (udelta < MAX_DROPOUT) {
        if (seq < self->max_seq)
            self->cycles += SEQ_MOD;
        self->max_seq = seq;
    } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
        /* a very large jump: believe it only when the next packet follows it */
        if (seq == self->bad_seq) {
            self->lost_prior = md_stats_lost(self); /* includes the earlier prior */
            s_seq_start(self, seq);
        } else {
            self->bad_seq = (seq + 1) & (SEQ_MOD - 1);
            return false;
        }
    } else {
        self->out_of_order++; /* late, within the misorder window */
    }
    self->received++;
    return true;
}

static void s_jitter_update(md_stats_t *self, const md_rtp_hdr_t *hdr, uint64_t now_us)
{
    if (hdr->pt != self->jitter_pt) {
        /* measure on the first payload type seen; switch only to another static audio
         * type (a codec change), never to events or comfort noise (13, dynamic types) */
        if (self->jitter_pt >= 0 && (hdr->pt >= 96 || hdr->pt == 13))
            return;
        self->jitter_pt = hdr->pt;
        self->jitter_clock = md_rtp_clock_rate(hdr->pt);
        self->have_transit = false;
    }
    int64_t arrival = (int64_t)(now_us * self->jitter_clock / 1000000u);
    int64_t transit = arrival - (int64_t)hdr->ts;
    if (self->have_transit) {
        /* transit differences are taken modulo 2^32 like the timestamps themselves */
        int64_t d = (int64_t)(int32_t)(uint32_t)(transit - self->last_transit);
        if (d < 0)
            d = -d;
        self->jitter += ((double)d - self->jitter) / 16.0;
    }
    self->last_transit = transit;
    self->have_transit = true;
}

void md_stats_rtp_in(md_stats_t *self, const md_rtp_hdr_t *hdr, size_t len, uint64_t now_us)
{
    self->packets_in++;
    self->bytes_in += len;
    if (self->packets_in > 1) {
        uint64_t gap = now_us > self->last_us ? now_us - self->last_us : 0;
        if (gap > self->max_gap_us)
            self->max_gap_us = gap;
    } else {
        self->first_us = now_us;
    }
    self->last_us = now_us;
    if (s_seq_update(self, hdr->seq))
        s_jitter_update(self, hdr, now_us);
}

uint64_t md_stats_expected(const md_stats_t *self)
{
    if (!self->seq_init)
        return 0;
    return (uint64_t)self->cycles + self->max_seq - self->base_seq + 1;
}

uint64_t md_stats_lost(const md_stats_t *self)
{
    uint64_t expected = md_stats_expected(self);
    uint64_t lost = expected > self->received ? expected - self->received : 0;
    return lost + self->lost_prior;
}

double md_stats_jitter_ms(const md_stats_t *self)
{
    return self->jitter_clock ? self->jitter * 1000.0 / self->jitter_clock : 0.0;
}

double md_stats_max_gap_ms(const md_stats_t *self)
{
    return (double)self->max_gap_us / 1000.0;
}
