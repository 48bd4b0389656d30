/* md_dtmf.c - RFC 4733 event tracking and the in-band Goertzel detector (see md_dtmf.h).
 * Levels are on samples scaled to [-1, 1): a sine of amplitude A, exactly at a filter's
 * frequency, gives that filter a power of (A * N / 2)^2 over a block of N samples, and the
 * block an energy of A^2 * N / 2; the thresholds below are stated in those terms. */
#include "md_dtmf.h"

#include <math.h>
#include <string.h>

#include "md_g711.h"
#include "md_stats.h"

static const float s_freqs[8] = {697, 770, 852, 941, 1209, 1336, 1477, 1633};
static const char s_keys[4][4] = {
    {'1', '2', '3', 'A'}, {'4', '5', '6', 'B'}, {'7', '8', '9', 'C'}, {'*', '0', '#', 'D'}};

#define MIN_AMPLITUDE 0.01f   /* each tone at least -40 dBFS (about -37 dBm0) */
#define TWIST_NORMAL_DB 8.0f  /* high group weaker than the low group by at most this */
#define TWIST_REVERSE_DB 4.0f /* high group stronger than the low group by at most this */
#define DOMINANCE 4.0f        /* a group's peak over any other filter of its group (6 dB) */
#define MIN_PURITY 0.55f      /* the two tones' share of the block's energy */

static float s_coeff[8];

static void s_init_coeffs(void)
{
    if (s_coeff[0] != 0.0f)
        return;
    for (int i = 0; i < 8; i++)
        s_coeff[i] = 2.0f * cosf(2.0f * (float)M_PI * s_freqs[i] / 8000.0f);
}

void md_dtmf_init(md_dtmf_t *self)
{
    memset(self, 0, sizeof *self);
    s_init_coeffs();
    md_g711_init();
}

int md_te_parse(const uint8_t *payload, size_t len, md_te_payload_t *out)
{
    if (len < 4)
        return -1;
    out->event = payload[0];
    out->end = (payload[1] & 0x80) != 0;
    out->volume = payload[1] & 0x3f;
    out->duration = (uint16_t)(payload[2] << 8 | payload[3]);
    return 0;
}

char md_dtmf_digit(int event)
{
    static const char map[16] = "0123456789*#ABCD";
    return event >= 0 && event < 16 ? map[event] : 0;
}

static int s_emit(md_dtmf_event_t *out, int n, char digit, md_dtmf_method_t method, bool end,
                  uint32_t duration_ms)
{
    if (n >= MD_DTMF_MAX_EVENTS)
        return n;
    out[n] =
        (md_dtmf_event_t){.digit = digit, .method = method, .end = end, .duration_ms = duration_ms};
    return n + 1;
}

/* ---- RFC 4733 ------------------------------------------------------------------- */

static int s_te_close(md_dtmf_t *self, md_dtmf_event_t *out, int n)
{
    uint32_t units = self->te_base + self->te_duration;
    self->te_active = false;
    self->te_have_ended = true;
    self->te_ended_ts = self->te_ts;
    return s_emit(out, n, md_dtmf_digit(self->te_event), MD_DTMF_RFC4733, true, units / 8);
}

int md_dtmf_rfc4733(md_dtmf_t *self, uint32_t rtp_ts, const uint8_t *payload, size_t len,
                    uint64_t now_us, md_dtmf_event_t *out)
{
    md_te_payload_t te;
    int n = 0;
    if (md_te_parse(payload, len, &te) < 0 || !md_dtmf_digit(te.event))
        return 0; /* not DTMF (flash, tones): ignored */
    self->te_seen = true;
    if (self->cur) { /* an in-band key the tone started: from now on events are the truth */
        self->cur = 0;
        self->cand = 0;
    }
    if (self->te_have_ended && rtp_ts == self->te_ended_ts && !self->te_active)
        return 0; /* a retransmitted end, or a late packet of an event already reported */
    if (self->te_active && rtp_ts != self->te_ts) {
        /* a long event goes on in a new segment (RFC 4733 2.5.1.3): same key, contiguous */
        bool continued = te.event == self->te_event && rtp_ts == self->te_ts + self->te_duration;
        if (continued) {
            self->te_base += self->te_duration;
            self->te_ts = rtp_ts;
            self->te_duration = 0;
        } else {
            n = s_te_close(self, out, n); /* its end was lost */
        }
    }
    if (!self->te_active) {
        self->te_active = true;
        self->te_event = te.event;
        self->te_ts = rtp_ts;
        self->te_base = 0;
        self->te_duration = 0;
        n = s_emit(out, n, md_dtmf_digit(te.event), MD_DTMF_RFC4733, false, 0);
    }
    if (te.duration > self->te_duration)
        self->te_duration = te.duration;
    self->te_last_us = now_us;
    if (te.end)
        n = s_te_close(self, out, n);
    return n;
}

/* ---- in-band ---------------------------------------------------------------------- */

/* The digit the finished block holds, or 0. */
static char s_block_digit(const md_dtmf_t *self)
{
    float power[8];
    for (int i = 0; i < 8; i++)
        power[i] = self->s1[i] * self->s1[i] + self->s2[i] * self->s2[i] -
                   s_coeff[i] * self->s1[i] * self->s2[i];
    int row = 0, col = 4;
    for (int i = 1; i < 4; i++) {
        if (power[i] > power[row])
            row = i;
        if (power[4 + i] > power[col])
            col = 4 + i;
    }
    const float half = MD_DTMF_BLOCK / 2.0f;
    const float min_power = (MIN_AMPLITUDE * half) * (MIN_AMPLITUDE * half);
    if (power[row] < min_power || power[col] < min_power)
        return 0;
    if (power[col] > power[row] * powf(10.0f, TWIST_REVERSE_DB / 10.0f) ||
        power[col] < power[row] * powf(10.0f, -TWIST_NORMAL_DB / 10.0f))
        return 0;
    for (int i = 0; i < 4; i++) {
        if ((i != row && power[i] * DOMINANCE > power[row]) ||
            (4 + i != col && power[4 + i] * DOMINANCE > power[col]))
            return 0;
    }
    /* (P_row + P_col) / (N / 2) is the tones' energy; speech and noise spread theirs */
    if ((power[row] + power[col]) / half < MIN_PURITY * self->energy)
        return 0;
    return s_keys[row][col - 4];
}

static uint32_t s_blocks_ms(uint64_t blocks)
{
    return (uint32_t)(blocks * MD_DTMF_BLOCK / 8);
}

/* Judge the finished block and move the key state on. */
static int s_block_done(md_dtmf_t *self, md_dtmf_event_t *out, int n)
{
    char digit = s_block_digit(self);
    uint64_t b = self->blocks++;
    if (digit && digit == self->cand) {
        self->cand_blocks++;
    } else {
        self->cand = digit;
        self->cand_blocks = digit ? 1 : 0;
        self->cand_first = b;
    }
    if (self->cur && digit == self->cur) {
        self->cur_last = b;
        self->cur_misses = 0;
    } else if (self->cur && ++self->cur_misses >= MD_DTMF_END_BLOCKS) {
        n = s_emit(out, n, self->cur, MD_DTMF_INBAND, true,
                   s_blocks_ms(self->cur_last - self->cur_first + 1));
        self->cur = 0;
    }
    if (!self->cur && self->cand && self->cand_blocks >= MD_DTMF_MIN_BLOCKS) {
        self->cur = self->cand;
        self->cur_first = self->cand_first;
        self->cur_last = b;
        self->cur_misses = 0;
        self->cand = 0; /* a key counts once: it must be released before it counts again */
        self->cand_blocks = 0;
        n = s_emit(out, n, self->cur, MD_DTMF_INBAND, false, 0);
    }
    memset(self->s1, 0, sizeof self->s1);
    memset(self->s2, 0, sizeof self->s2);
    self->energy = 0.0f;
    self->block_n = 0;
    return n;
}

static inline int s_sample(md_dtmf_t *self, float x, md_dtmf_event_t *out, int n)
{
    for (int i = 0; i < 8; i++) {
        float s0 = x + s_coeff[i] * self->s1[i] - self->s2[i];
        self->s2[i] = self->s1[i];
        self->s1[i] = s0;
    }
    self->energy += x * x;
    if (++self->block_n == MD_DTMF_BLOCK)
        n = s_block_done(self, out, n);
    return n;
}

int md_dtmf_audio(md_dtmf_t *self, const uint8_t *payload, size_t len, int pt, md_dtmf_event_t *out)
{
    const int16_t *table = pt == 8 ? md_alaw_table : md_ulaw_table;
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n = s_sample(self, (float)table[payload[i]] * (1.0f / 32768.0f), out, n);
    return n;
}

int md_dtmf_pcm(md_dtmf_t *self, const int16_t *pcm, size_t len, md_dtmf_event_t *out)
{
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n = s_sample(self, (float)pcm[i] * (1.0f / 32768.0f), out, n);
    return n;
}

/* ---- a whole packet ------------------------------------------------------------- */

int md_dtmf_packet(md_dtmf_t *self, int te_pt, const uint8_t *pkt, size_t len, uint64_t now_us,
                   md_dtmf_event_t *out)
{
    size_t off, plen;
    if (md_rtp_payload(pkt, len, &off, &plen) < 0)
        return 0;
    int n = 0;
    int pt = pkt[1] & 0x7f;
    if (self->te_active && pt != te_pt && now_us - self->te_last_us > MD_DTMF_TE_LOST_US)
        n = s_te_close(self, out, n);
    if (pt == te_pt) {
        uint32_t ts =
            (uint32_t)pkt[4] << 24 | (uint32_t)pkt[5] << 16 | (uint32_t)pkt[6] << 8 | pkt[7];
        md_dtmf_event_t more[MD_DTMF_MAX_EVENTS];
        int m = md_dtmf_rfc4733(self, ts, pkt + off, plen, now_us, more);
        for (int i = 0; i < m; i++)
            n = s_emit(out, n, more[i].digit, more[i].method, more[i].end, more[i].duration_ms);
        return n;
    }
    if ((pt == 0 || pt == 8) && !self->te_seen) {
        md_dtmf_event_t more[MD_DTMF_MAX_EVENTS];
        int m = md_dtmf_audio(self, pkt + off, plen, pt, more);
        for (int i = 0; i < m; i++)
            n = s_emit(out, n, more[i].digit, more[i].method, more[i].end, more[i].duration_ms);
    }
    return n;
}
