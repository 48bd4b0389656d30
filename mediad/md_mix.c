/* md_mix.c - mixes, their members, jitter buffers, concealment, the hearing matrix and the
 * mixed RTP streams (see md_mix.h). Members are found from the packet path by endpoint
 * slot; a mix keeps its members in an array whose order means nothing (a leaving member's
 * place is taken by the last one), so the per-frame masks are rebuilt every frame. */
#include "md_mix.h"

#include <errno.h>
#include <speex/speex_jitter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md_g711.h"
#include "md_stats.h"

#define RTP_HEADER 12
#define S_FIFO (MD_MIX_MAX_PAYLOAD + MD_MIX_FRAME)
#define S_JUMP_SAMPLES 16000 /* a timestamp jump of 2 s starts the stream over */

typedef struct s_mix s_mix_t;

typedef struct {
    s_mix_t *mix;
    md_endpoint_t *ep;
    md_mix_role_t role;
    /* incoming */
    JitterBuffer *jb;
    bool have_in;         /* something was put since the last (re)start */
    bool pulled;          /* ... and taken out: the buffer's pointer means something */
    uint32_t in_ssrc;     /* stream being taken */
    uint32_t in_ts;       /* timestamp of the last packet put */
    int16_t fifo[S_FIFO]; /* decoded samples not mixed yet (packets longer than 20 ms) */
    int fifo_n;
    int16_t frame[MD_MIX_FRAME]; /* this frame's audio */
    bool has_frame;              /* ... real or concealed */
    int16_t last[MD_MIX_FRAME];  /* the last real frame, for concealment */
    int lost;                    /* frames concealed in a row */
    /* talk detector */
    bool talking;
    int above, below;
    /* outgoing */
    uint32_t ssrc;
    uint16_t seq;
    uint32_t ts;
    bool marker;
    bool held; /* a prompt was playing to it: the mix resumes the prompt's stream */
} s_member_t;

struct s_mix {
    uint32_t id;
    char call_id[MD_CALL_ID_MAX];
    s_member_t *m[MD_MIX_MAX_MEMBERS];
    int n;
    uint64_t due_us;
    uint64_t empty_since_us; /* when the last member left (or the mix was made) */
    void *tap;               /* recorded (md_mixer_set_tap): its own stream */
    uint32_t tap_ssrc, tap_ts;
    uint16_t tap_seq;
    bool tap_marker;
};

struct md_mixer {
    int capacity;
    s_member_t **by_slot; /* [capacity] */
    s_mix_t **mixes;
    int nmixes, cap;
    uint32_t last_id;
    uint64_t rng;
    md_mix_send_fn *send;
    md_mix_talk_fn *talk;
    md_mix_tap_fn *tap;
    void *arg;
    md_mix_stats_t stats;
    /* scratch of one frame: the total, and the distinct outputs encoded so far */
    int32_t total[MD_MIX_FRAME];
    int32_t sum[MD_MIX_FRAME];
    int nout;
    uint64_t out_mask[MD_MIX_MAX_MEMBERS + 1];
    uint8_t out_pt[MD_MIX_MAX_MEMBERS + 1];
    uint8_t out_pkt[MD_MIX_MAX_MEMBERS + 1][RTP_HEADER + MD_MIX_FRAME];
};

void md_mix_role_default(md_mix_role_t *role)
{
    role->muted = false;
    role->deaf = false;
    role->nhears = -1;
}

static uint32_t s_random(md_mixer_t *self)
{
    /* xorshift64*: SSRCs and initial sequence numbers, not for security */
    self->rng ^= self->rng >> 12;
    self->rng ^= self->rng << 25;
    self->rng ^= self->rng >> 27;
    return (uint32_t)((self->rng * 0x2545F4914F6CDD1Dull) >> 32);
}

md_mixer_t *md_mixer_new(int capacity, uint64_t seed, md_mix_send_fn *send, md_mix_talk_fn *talk,
                         void *arg)
{
    if (capacity < 1 || !send)
        return NULL;
    md_mixer_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->by_slot = calloc((size_t)capacity, sizeof *self->by_slot);
    if (!self->by_slot) {
        free(self);
        return NULL;
    }
    self->capacity = capacity;
    self->rng = seed ? seed : 0x9E3779B97F4A7C15ull;
    self->send = send;
    self->talk = talk;
    self->arg = arg;
    md_g711_init();
    return self;
}

static s_mix_t *s_find(const md_mixer_t *self, uint32_t id)
{
    for (int i = 0; i < self->nmixes; i++)
        if (self->mixes[i]->id == id)
            return self->mixes[i];
    return NULL;
}

static s_member_t *s_member(const md_mixer_t *self, const md_endpoint_t *ep)
{
    if (ep->slot < 0 || ep->slot >= self->capacity)
        return NULL;
    s_member_t *m = self->by_slot[ep->slot];
    return m && m->ep == ep ? m : NULL;
}

static void s_free_member(md_mixer_t *self, s_member_t *m)
{
    s_mix_t *mix = m->mix;
    for (int i = 0; i < mix->n; i++) {
        if (mix->m[i] == m) {
            mix->m[i] = mix->m[--mix->n];
            mix->m[mix->n] = NULL;
            break;
        }
    }
    m->ep->mixing = false;
    self->by_slot[m->ep->slot] = NULL;
    jitter_buffer_destroy(m->jb);
    free(m);
    self->stats.members--;
}

void md_mixer_destroy(md_mixer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    md_mixer_t *self = *self_p;
    while (self->nmixes > 0)
        md_mixer_delete(self, self->mixes[0]->id);
    free(self->mixes);
    free(self->by_slot);
    free(self);
    *self_p = NULL;
}

int md_mixer_create(md_mixer_t *self, const char *call_id, uint64_t now_us, uint32_t *mix_id)
{
    if (self->nmixes == self->cap) {
        int cap = self->cap ? self->cap * 2 : 16;
        s_mix_t **mixes = realloc(self->mixes, (size_t)cap * sizeof *mixes);
        if (!mixes)
            return -ENOMEM;
        self->mixes = mixes;
        self->cap = cap;
    }
    s_mix_t *mix = calloc(1, sizeof *mix);
    if (!mix)
        return -ENOMEM;
    do
        mix->id = ++self->last_id;
    while (mix->id == 0 || s_find(self, mix->id));
    snprintf(mix->call_id, sizeof mix->call_id, "%s", call_id ? call_id : "");
    /* the next 20 ms boundary, then a phase of its own so mixes do not all send at once */
    uint64_t period = MD_MIX_PERIOD_US;
    mix->due_us = (now_us / period + 1) * period + (mix->id % 20u) * 1000u;
    mix->empty_since_us = now_us;
    self->mixes[self->nmixes++] = mix;
    self->stats.mixes++;
    *mix_id = mix->id;
    return 0;
}

int md_mixer_delete(md_mixer_t *self, uint32_t mix_id)
{
    for (int i = 0; i < self->nmixes; i++) {
        s_mix_t *mix = self->mixes[i];
        if (mix->id != mix_id)
            continue;
        while (mix->n > 0)
            s_free_member(self, mix->m[mix->n - 1]);
        self->mixes[i] = self->mixes[--self->nmixes];
        free(mix);
        self->stats.mixes--;
        return 0;
    }
    return -ENOENT;
}

bool md_mixer_exists(const md_mixer_t *self, uint32_t mix_id)
{
    return s_find(self, mix_id) != NULL;
}

const char *md_mixer_call_id(const md_mixer_t *self, uint32_t mix_id)
{
    s_mix_t *mix = s_find(self, mix_id);
    return mix ? mix->call_id : NULL;
}

static int s_check_role(const md_mix_role_t *role)
{
    return role && role->nhears > MD_MIX_MAX_MEMBERS ? -EINVAL : 0;
}

int md_mixer_join(md_mixer_t *self, uint32_t mix_id, md_endpoint_t *ep, const md_mix_role_t *role,
                  uint64_t now_us)
{
    s_mix_t *mix = s_find(self, mix_id);
    if (!mix)
        return -ENOENT;
    if (s_check_role(role) < 0 || ep->slot < 0 || ep->slot >= self->capacity)
        return -EINVAL;
    s_member_t *m = s_member(self, ep);
    if (m && m->mix != mix)
        return -EBUSY;
    if (m)
        return md_mixer_set_role(self, ep, role);
    if (mix->n == MD_MIX_MAX_MEMBERS)
        return -ENOSPC;
    m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    m->jb = jitter_buffer_init(MD_MIX_FRAME);
    if (!m->jb) {
        free(m);
        return -ENOMEM;
    }
    m->mix = mix;
    m->ep = ep;
    if (role)
        m->role = *role;
    else
        md_mix_role_default(&m->role);
    if (!md_core_stream_next(ep, now_us, &m->ssrc, &m->seq, &m->ts)) {
        m->ssrc = s_random(self);
        m->seq = (uint16_t)s_random(self);
        m->ts = s_random(self);
    }
    m->marker = true;
    mix->m[mix->n++] = m;
    self->by_slot[ep->slot] = m;
    ep->mixing = true;
    self->stats.members++;
    return 0;
}

int md_mixer_set_role(md_mixer_t *self, md_endpoint_t *ep, const md_mix_role_t *role)
{
    s_member_t *m = s_member(self, ep);
    if (!m)
        return -ENOENT;
    if (s_check_role(role) < 0)
        return -EINVAL;
    if (role)
        m->role = *role;
    else
        md_mix_role_default(&m->role);
    return 0;
}

int md_mixer_leave(md_mixer_t *self, md_endpoint_t *ep)
{
    s_member_t *m = s_member(self, ep);
    if (!m)
        return -ENOENT;
    s_mix_t *mix = m->mix;
    s_free_member(self, m);
    if (mix->n == 0)
        mix->empty_since_us = mix->due_us; /* about now: the mix runs on its own clock */
    return 0;
}

uint32_t md_mixer_mix_of(const md_mixer_t *self, const md_endpoint_t *ep)
{
    s_member_t *m = s_member(self, ep);
    return m ? m->mix->id : 0;
}

const md_mix_role_t *md_mixer_role(const md_mixer_t *self, const md_endpoint_t *ep)
{
    s_member_t *m = s_member(self, ep);
    return m ? &m->role : NULL;
}

bool md_mixer_talking(const md_mixer_t *self, const md_endpoint_t *ep)
{
    s_member_t *m = s_member(self, ep);
    return m && m->talking;
}

int md_mixer_members(md_mixer_t *self, uint32_t mix_id, md_mix_member_fn *fn, void *arg)
{
    s_mix_t *mix = s_find(self, mix_id);
    if (!mix)
        return -ENOENT;
    for (int i = 0; i < mix->n; i++)
        fn(mix->m[i]->ep, arg);
    return mix->n;
}

void md_mixer_on_tap(md_mixer_t *self, md_mix_tap_fn *fn)
{
    self->tap = fn;
}

int md_mixer_set_tap(md_mixer_t *self, uint32_t mix_id, void *tap)
{
    s_mix_t *mix = s_find(self, mix_id);
    if (!mix)
        return -ENOENT;
    if (tap && !self->tap)
        return -EINVAL;
    if (tap && tap != mix->tap) { /* a new stream */
        mix->tap_ssrc = s_random(self);
        mix->tap_seq = (uint16_t)s_random(self);
        mix->tap_ts = s_random(self);
        mix->tap_marker = true;
    }
    mix->tap = tap;
    return 0;
}

void *md_mixer_tap(const md_mixer_t *self, uint32_t mix_id)
{
    s_mix_t *mix = s_find(self, mix_id);
    return mix ? mix->tap : NULL;
}

/* ---- incoming ----------------------------------------------------------------------- */

static void s_restart_in(s_member_t *m)
{
    jitter_buffer_reset(m->jb);
    m->have_in = false;
    m->pulled = false;
    m->fifo_n = 0;
}

void md_mixer_put(md_mixer_t *self, md_endpoint_t *ep, const uint8_t *pkt, size_t len,
                  uint64_t now_us)
{
    (void)now_us; /* the jitter buffer measures arrival against its own ticks */
    s_member_t *m = s_member(self, ep);
    md_rtp_hdr_t h;
    size_t off, plen;
    if (!m || md_rtp_parse(pkt, len, &h) < 0 || (h.pt != MD_PT_PCMU && h.pt != MD_PT_PCMA) ||
        md_rtp_payload(pkt, len, &off, &plen) < 0 || plen == 0 || plen > MD_MIX_MAX_PAYLOAD)
        return;
    if (m->have_in) {
        int32_t jump = (int32_t)(h.ts - m->in_ts);
        if (h.ssrc != m->in_ssrc || jump > S_JUMP_SAMPLES || jump < -S_JUMP_SAMPLES)
            s_restart_in(m); /* a new stream (or a clock jump) starts over, not waits */
        else if (m->pulled && (int32_t)(h.ts + (uint32_t)plen -
                                        (uint32_t)jitter_buffer_get_pointer_timestamp(m->jb)) <= 0)
            self->stats.frames_late++; /* its time was mixed already: the buffer still needs
                                          to see it, to learn it should wait longer */
    }
    JitterBufferPacket p = {
        .data = (char *)(uintptr_t)(pkt + off),
        .len = (spx_uint32_t)plen,
        .timestamp = h.ts,
        .span = (spx_uint32_t)plen, /* G.711: one byte per sample */
        .sequence = h.seq,
        .user_data = h.pt,
    };
    jitter_buffer_put(m->jb, &p);
    if (!m->have_in || (int32_t)(h.ts - m->in_ts) > 0)
        m->in_ts = h.ts;
    m->have_in = true;
    m->in_ssrc = h.ssrc;
    self->stats.frames_in++;
}

/* Append n samples of G.711 (payload type pt) to m's FIFO, skipping the first `skip`. */
static void s_decode(s_member_t *m, const char *data, int n, int skip, int pt)
{
    const int16_t *table = pt == MD_PT_PCMA ? md_alaw_table : md_ulaw_table;
    for (int i = skip; i < n && m->fifo_n < S_FIFO; i++)
        m->fifo[m->fifo_n++] = table[(uint8_t)data[i]];
}

/* This frame's audio of m into m->frame: from the jitter buffer, else concealed. Each get
 * asks for exactly what the FIFO lacks, so the buffer's idea of what the application holds
 * (remaining_span) stays true with packets of any length. */
static void s_pull(md_mixer_t *self, s_member_t *m)
{
    char data[MD_MIX_MAX_PAYLOAD];
    bool got = false;
    while (m->have_in && m->fifo_n < MD_MIX_FRAME) {
        JitterBufferPacket p = {.data = data, .len = sizeof data};
        spx_int32_t offset = 0;
        if (jitter_buffer_get(m->jb, &p, MD_MIX_FRAME - m->fifo_n, &offset) != JITTER_BUFFER_OK)
            break;
        got = true;
        m->pulled = true;
        if (offset > 0) /* the packet starts after a hole: silence for the hole */
            for (int i = 0; i < offset && m->fifo_n < S_FIFO; i++)
                m->fifo[m->fifo_n++] = 0;
        s_decode(m, data, (int)p.len, offset < 0 ? -offset : 0, (int)p.user_data);
    }
    if (got && m->fifo_n < MD_MIX_FRAME) /* a short packet and nothing after it: pad */
        while (m->fifo_n < MD_MIX_FRAME)
            m->fifo[m->fifo_n++] = 0;
    if (m->fifo_n >= MD_MIX_FRAME) {
        memcpy(m->frame, m->fifo, sizeof m->frame);
        memmove(m->fifo, m->fifo + MD_MIX_FRAME, (size_t)(m->fifo_n - MD_MIX_FRAME) * 2);
        m->fifo_n -= MD_MIX_FRAME;
        memcpy(m->last, m->frame, sizeof m->last);
        m->lost = 0;
        m->has_frame = true;
    } else if (m->have_in && m->lost < MD_MIX_PLC_FRAMES && m->has_frame) {
        /* conceal: the last frame again, fading out linearly across the concealed frames so
         * the loss is heard as a dip, not a click; after that the member is silent */
        int from = MD_MIX_PLC_FRAMES - m->lost, to = from - 1;
        for (int i = 0; i < MD_MIX_FRAME; i++) {
            int32_t g = from * (MD_MIX_FRAME - i) + to * i; /* gain * PLC_FRAMES * FRAME */
            m->frame[i] = (int16_t)((int32_t)m->last[i] * g / (MD_MIX_PLC_FRAMES * MD_MIX_FRAME));
        }
        m->lost++;
        self->stats.concealed++;
    } else {
        m->has_frame = false;
    }
    if (m->have_in) {
        jitter_buffer_remaining_span(m->jb, (spx_uint32_t)m->fifo_n);
        jitter_buffer_tick(m->jb);
    }
}

static void s_detect_talk(md_mixer_t *self, s_mix_t *mix, s_member_t *m)
{
    bool loud = false;
    if (m->has_frame && m->lost == 0) {
        int64_t level = 0;
        for (int i = 0; i < MD_MIX_FRAME; i++)
            level += m->frame[i] < 0 ? -m->frame[i] : m->frame[i];
        loud = level >= (int64_t)MD_MIX_TALK_LEVEL * MD_MIX_FRAME;
    }
    if (loud) {
        m->below = 0;
        if (!m->talking && ++m->above >= MD_MIX_TALK_ON_FRAMES) {
            m->talking = true;
            if (self->talk)
                self->talk(mix->id, m->ep, true, self->arg);
        }
    } else {
        m->above = 0;
        if (m->talking && ++m->below >= MD_MIX_TALK_OFF_FRAMES) {
            m->talking = false;
            if (self->talk)
                self->talk(mix->id, m->ep, false, self->arg);
        }
    }
}

/* ---- outgoing ----------------------------------------------------------------------- */

static uint64_t s_bit(int i)
{
    return 1ull << i;
}

/* The members m may hear (bits by index in the mix), itself excluded. */
static uint64_t s_hears(const s_mix_t *mix, int self_i)
{
    const md_mix_role_t *r = &mix->m[self_i]->role;
    if (r->deaf)
        return 0;
    uint64_t all = (mix->n == 64 ? ~0ull : s_bit(mix->n) - 1) & ~s_bit(self_i);
    if (r->nhears < 0)
        return all;
    uint64_t mask = 0;
    for (int i = 0; i < mix->n; i++)
        for (int k = 0; k < r->nhears; k++)
            if (mix->m[i]->ep->id == r->hears[k]) {
                mask |= s_bit(i);
                break;
            }
    return mask & all;
}

/* The encoded payload of what `mask` hears, as payload type pt: computed once per frame.
 * total holds the sum of `heard` (every member heard this frame); a mask that is heard
 * minus one member is the total minus that member's frame. */
static const uint8_t *s_output(md_mixer_t *self, s_mix_t *mix, uint64_t mask, uint64_t heard,
                               int pt)
{
    for (int k = 0; k < self->nout; k++)
        if (self->out_mask[k] == mask && self->out_pt[k] == pt)
            return self->out_pkt[k] + RTP_HEADER;
    int k = self->nout++;
    self->out_mask[k] = mask;
    self->out_pt[k] = (uint8_t)pt;
    uint8_t *out = self->out_pkt[k] + RTP_HEADER;
    const int32_t *src;
    uint64_t missing = heard & ~mask;
    if (mask == heard) {
        src = self->total;
    } else if ((mask & ~heard) == 0 && missing && (missing & (missing - 1)) == 0) {
        const int16_t *own = mix->m[__builtin_ctzll(missing)]->frame;
        for (int i = 0; i < MD_MIX_FRAME; i++)
            self->sum[i] = self->total[i] - own[i];
        src = self->sum;
    } else {
        memset(self->sum, 0, sizeof self->sum);
        for (int j = 0; j < mix->n; j++)
            if (mask & s_bit(j))
                for (int i = 0; i < MD_MIX_FRAME; i++)
                    self->sum[i] += mix->m[j]->frame[i];
        src = self->sum;
    }
    const uint8_t *enc = pt == MD_PT_PCMA ? md_alaw_enc_table : md_ulaw_enc_table;
    for (int i = 0; i < MD_MIX_FRAME; i++) { /* saturate, then encode */
        int32_t v = src[i] > 32767 ? 32767 : src[i] < -32768 ? -32768 : src[i];
        out[i] = enc[(uint16_t)(int16_t)v];
    }
    self->stats.encodes++;
    return out;
}

static void s_put_header(uint8_t *h, bool marker, int pt, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
    h[0] = 0x80;
    h[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
    h[2] = (uint8_t)(seq >> 8);
    h[3] = (uint8_t)seq;
    h[4] = (uint8_t)(ts >> 24);
    h[5] = (uint8_t)(ts >> 16);
    h[6] = (uint8_t)(ts >> 8);
    h[7] = (uint8_t)ts;
    h[8] = (uint8_t)(ssrc >> 24);
    h[9] = (uint8_t)(ssrc >> 16);
    h[10] = (uint8_t)(ssrc >> 8);
    h[11] = (uint8_t)ssrc;
}

/* The full mix of this frame to the mix's tap. */
static void s_tap_frame(md_mixer_t *self, s_mix_t *mix, uint64_t heard, uint64_t due_us)
{
    uint8_t pkt[RTP_HEADER + MD_MIX_FRAME];
    const uint8_t *payload = s_output(self, mix, heard, heard, MD_PT_PCMU);
    s_put_header(pkt, mix->tap_marker, MD_PT_PCMU, mix->tap_seq, mix->tap_ts, mix->tap_ssrc);
    memcpy(pkt + RTP_HEADER, payload, MD_MIX_FRAME);
    self->tap(mix->id, mix->tap, pkt, sizeof pkt, due_us, self->arg);
    mix->tap_marker = false;
    mix->tap_seq++;
    self->stats.tapped++;
}

/* One 20 ms frame of mix, due at due_us. Returns the packets sent. */
static int s_mix_frame(md_mixer_t *self, s_mix_t *mix, uint64_t due_us)
{
    uint64_t heard = 0;
    for (int j = 0; j < mix->n; j++) {
        s_member_t *m = mix->m[j];
        s_pull(self, m);
        s_detect_talk(self, mix, m);
        if (m->has_frame && !m->role.muted)
            heard |= s_bit(j);
    }
    memset(self->total, 0, sizeof self->total);
    for (int j = 0; j < mix->n; j++)
        if (heard & s_bit(j))
            for (int i = 0; i < MD_MIX_FRAME; i++)
                self->total[i] += mix->m[j]->frame[i];
    self->nout = 0;
    self->stats.ticks++;
    int sent = 0;
    uint8_t pkt[RTP_HEADER + MD_MIX_FRAME];
    for (int j = 0; j < mix->n; j++) {
        s_member_t *m = mix->m[j];
        int pt = m->ep->send_pt == MD_PT_PCMA ? MD_PT_PCMA : MD_PT_PCMU;
        /* while a prompt plays the phone hears the player's stream; after it, that stream
         * goes on (a return to the mix's own numbers, which stood still meanwhile, made
         * phones drop the mix as late packets for as long as the prompt had lasted) */
        if (m->ep->playing) {
            m->held = true;
        } else {
            if (m->held && md_core_stream_next(m->ep, due_us, &m->ssrc, &m->seq, &m->ts))
                m->marker = true;
            m->held = false;
            const uint8_t *payload = s_output(self, mix, s_hears(mix, j) & heard, heard, pt);
            s_put_header(pkt, m->marker, pt, m->seq, m->ts, m->ssrc);
            memcpy(pkt + RTP_HEADER, payload, MD_MIX_FRAME);
            if (self->send(m->ep, pkt, sizeof pkt, self->arg) == 0) {
                self->stats.packets++;
                sent++;
            } else {
                self->stats.send_failed++;
            }
            m->marker = false;
            m->seq++;
        }
        m->ts += MD_MIX_FRAME;
    }
    if (mix->tap)
        s_tap_frame(self, mix, heard, due_us);
    return sent;
}

int md_mixer_tick(md_mixer_t *self, uint64_t now_us)
{
    int sent = 0;
    for (int k = 0; k < self->nmixes; k++) {
        s_mix_t *mix = self->mixes[k];
        for (int f = 0; mix->due_us <= now_us && f < MD_MIX_CATCH_UP; f++) {
            uint64_t late = now_us - mix->due_us;
            self->stats.late_1ms += late > 1000;
            self->stats.late_5ms += late > 5000;
            if (late > self->stats.late_max_us)
                self->stats.late_max_us = late;
            if (mix->n > 0)
                sent += s_mix_frame(self, mix, mix->due_us);
            if (mix->tap)
                mix->tap_ts += MD_MIX_FRAME; /* also while empty: silence keeps its length */
            mix->due_us += MD_MIX_PERIOD_US;
        }
        while (mix->due_us <= now_us) { /* a long stall: take up the beat again from now */
            mix->due_us += MD_MIX_PERIOD_US;
            if (mix->tap)
                mix->tap_ts += MD_MIX_FRAME;
            self->stats.skipped++;
        }
    }
    return sent;
}

uint64_t md_mixer_next_due(const md_mixer_t *self)
{
    uint64_t next = 0;
    for (int k = 0; k < self->nmixes; k++)
        if (next == 0 || self->mixes[k]->due_us < next)
            next = self->mixes[k]->due_us;
    return next;
}

int md_mixer_scan_empty(md_mixer_t *self, uint64_t now_us, uint64_t idle_us, md_mix_idle_fn *fn,
                        void *arg)
{
    int found = 0;
    for (int k = self->nmixes - 1; k >= 0; k--) {
        if (k >= self->nmixes)
            continue; /* fn deleted more than one */
        s_mix_t *mix = self->mixes[k];
        if (mix->n == 0 && now_us >= mix->empty_since_us + idle_us) {
            found++;
            fn(mix->id, arg);
        }
    }
    return found;
}

const md_mix_stats_t *md_mixer_stats(const md_mixer_t *self)
{
    return &self->stats;
}
