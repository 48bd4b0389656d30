/* rec_mix.c - timestamp placement, the hold ring and pause masking (see rec_mix.h). */
#include "rec_mix.h"

#include <stdlib.h>
#include <string.h>

#define REANCHOR_SAMPLES 8000 /* timestamps more than 1 s off arrival time: a new source */

int16_t rec_ulaw_decode(uint8_t u)
{
    u = (uint8_t)~u;
    int t = ((u & 0x0f) << 3) + 0x84;
    t <<= (u & 0x70) >> 4;
    return (int16_t)((u & 0x80) ? (0x84 - t) : (t - 0x84));
}

int16_t rec_alaw_decode(uint8_t a)
{
    a ^= 0x55;
    int t = (a & 0x0f) << 4;
    int seg = (a & 0x70) >> 4;
    if (seg == 0)
        t += 8;
    else if (seg == 1)
        t += 0x108;
    else
        t = (t + 0x108) << (seg - 1);
    return (int16_t)((a & 0x80) ? t : -t);
}

rec_mix_t *rec_mix_new(uint64_t start_us, int cap_ms, int hold_ms, rec_mix_sink_fn *sink, void *arg)
{
    if (cap_ms < 100 || hold_ms < 0 || hold_ms >= cap_ms)
        return NULL;
    rec_mix_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cap = (uint32_t)cap_ms * 8;
    self->hold = (uint32_t)hold_ms * 8;
    self->ring = calloc((size_t)self->cap * 2, sizeof *self->ring);
    if (!self->ring) {
        free(self);
        return NULL;
    }
    self->start_us = start_us;
    self->sink = sink;
    self->sink_arg = arg;
    return self;
}

void rec_mix_destroy(rec_mix_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->ring);
    free(*self_p);
    *self_p = NULL;
}

int64_t rec_mix_pos(const rec_mix_t *self, uint64_t us)
{
    int64_t d = (int64_t)(us - self->start_us);
    return d * 8 / 1000;
}

static bool s_paused_at(const rec_mix_t *self, int64_t pos)
{
    for (int i = 0; i < self->npauses; i++)
        if (pos >= self->pauses[i].start && (self->pauses[i].end < 0 || pos < self->pauses[i].end))
            return true;
    return false;
}

/* Hand out [emitted, upto) in runs that wrap neither the ring nor a pause edge. */
static void s_emit(rec_mix_t *self, int64_t upto)
{
    while (self->emitted < upto) {
        uint32_t at = (uint32_t)(self->emitted % self->cap);
        int64_t n = upto - self->emitted;
        if (n > self->cap - at)
            n = self->cap - at;
        bool paused = s_paused_at(self, self->emitted);
        for (int i = 0; i < self->npauses; i++) { /* stop the run at the next pause edge */
            int64_t edges[2] = {self->pauses[i].start, self->pauses[i].end};
            for (int e = 0; e < 2; e++)
                if (edges[e] > self->emitted && edges[e] < self->emitted + n)
                    n = edges[e] - self->emitted;
        }
        int16_t *p = self->ring + 2 * at;
        if (paused)
            memset(p, 0, (size_t)n * 2 * sizeof *p);
        if (self->sink)
            self->sink(p, (size_t)n, self->sink_arg);
        memset(p, 0, (size_t)n * 2 * sizeof *p);
        self->emitted += n;
    }
}

/* A gap [start, end): merged with the last one when they touch; when the list is full the
 * last span grows to cover it (the index then over-states, never hides, what is missing). */
static void s_add_gap(rec_mix_t *self, int64_t start, int64_t end)
{
    rec_span_t *last = self->ngaps ? &self->gaps[self->ngaps - 1] : NULL;
    if (last && (start <= last->end || self->ngaps == REC_MIX_MAX_GAPS)) {
        if (end > last->end)
            last->end = end;
        return;
    }
    self->gaps[self->ngaps++] = (rec_span_t){start, end};
}

int rec_mix_frame(rec_mix_t *self, int party, int pt, uint32_t ts, uint32_t ssrc,
                  uint64_t arrival_us, const uint8_t *payload, size_t len)
{
    if ((pt != 0 && pt != 8) || party < 0 || party > 1 || len == 0 || len > self->cap / 2)
        return 1;
    /* the frame's audio ends about when it arrived */
    int64_t by_arrival = rec_mix_pos(self, arrival_us) - (int64_t)len;
    int64_t by_ts = self->anchor_pos[party] + (int32_t)(ts - self->anchor_ts[party]);
    if (!self->anchored[party] || ssrc != self->ssrc[party] ||
        llabs(by_ts - by_arrival) > REANCHOR_SAMPLES) {
        if (self->anchored[party])
            self->reanchors++;
        self->anchored[party] = true;
        self->anchor_pos[party] = by_arrival;
        self->anchor_ts[party] = ts;
        self->ssrc[party] = ssrc;
        by_ts = by_arrival;
    }
    int64_t pos = by_ts;
    if (pos < self->emitted) { /* late: keep the part that is not final yet */
        int64_t skip = self->emitted - pos;
        if (skip >= (int64_t)len) {
            self->late++;
            return 2;
        }
        payload += skip;
        len -= (size_t)skip;
        pos = self->emitted;
    }
    if (pos + (int64_t)len > self->emitted + self->cap) /* far ahead: make room */
        s_emit(self, pos + (int64_t)len - self->cap);
    for (size_t i = 0; i < len; i++) {
        uint32_t at = (uint32_t)((pos + (int64_t)i) % self->cap);
        self->ring[2 * at + party] =
            pt == 0 ? rec_ulaw_decode(payload[i]) : rec_alaw_decode(payload[i]);
    }
    if (self->loss_pending) {
        self->loss_pending = false;
        if (pos > self->loss_from)
            s_add_gap(self, self->loss_from, pos);
    }
    if (pos + (int64_t)len > self->head)
        self->head = pos + (int64_t)len;
    if (arrival_us > self->latest_arrival_us)
        self->latest_arrival_us = arrival_us;
    self->frames++;
    return 0;
}

void rec_mix_mark_loss(rec_mix_t *self)
{
    if (!self->loss_pending) { /* several reports before the next frame: one gap */
        self->loss_pending = true;
        self->loss_from = self->head;
    }
}

void rec_mix_advance(rec_mix_t *self, uint64_t now_us)
{
    /* The hold is counted on the tap's clock, not only ours: a backlog delivered at once
     * (recorderd was stalled) carries frames that arrived at mediad long ago, and the other
     * party's frames of the same moment may be in the next batch; emitting up to "now"
     * would make them late and chop both channels. */
    if (now_us > self->latest_arrival_us)
        now_us = self->latest_arrival_us;
    int64_t upto = rec_mix_pos(self, now_us) - self->hold;
    if (upto > self->head)
        upto = self->head; /* nothing beyond the audio yet: the end is decided at finish */
    if (upto > self->emitted)
        s_emit(self, upto);
}

void rec_mix_mark_tail_lost(rec_mix_t *self)
{
    self->tail_lost = true;
}

int64_t rec_mix_finish(rec_mix_t *self, uint64_t end_us)
{
    int64_t end = rec_mix_pos(self, end_us);
    if (self->head > end)
        end = self->head;
    int64_t lost_from = self->loss_pending ? self->loss_from : self->head;
    if (self->tail_lost && end > lost_from)
        s_add_gap(self, lost_from, end);
    rec_mix_resume(self, end_us);
    if (end > self->emitted)
        s_emit(self, end);
    return self->emitted;
}

void rec_mix_pause(rec_mix_t *self, uint64_t us)
{
    if (rec_mix_paused(self) || self->npauses == REC_MIX_MAX_PAUSES)
        return;
    int64_t pos = rec_mix_pos(self, us);
    if (pos < self->emitted)
        pos = self->emitted;
    self->pauses[self->npauses++] = (rec_span_t){.start = pos, .end = -1};
}

void rec_mix_resume(rec_mix_t *self, uint64_t us)
{
    if (!rec_mix_paused(self))
        return;
    rec_span_t *s = &self->pauses[self->npauses - 1];
    int64_t pos = rec_mix_pos(self, us);
    s->end = pos > s->start ? pos : s->start;
}

bool rec_mix_paused(const rec_mix_t *self)
{
    return self->npauses > 0 && self->pauses[self->npauses - 1].end < 0;
}
