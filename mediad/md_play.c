/* md_play.c - players, their phases and the generated RTP stream (see md_play.h). Players
 * live in an array indexed by endpoint slot; each phase is a doubly linked list through
 * that array, so joining, leaving and serving a phase never allocate. */
#include "md_play.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RTP_HEADER 12

typedef struct {
    /* the endpoint's generated stream; survives between plays of the same endpoint */
    int ep_id; /* endpoint the stream belongs to (0: none yet) */
    uint32_t ssrc;
    uint16_t seq;          /* of the next packet */
    uint32_t ts;           /* of the next packet */
    uint64_t last_sent_us; /* 0: nothing sent yet */
    /* the current play */
    md_endpoint_t *ep; /* NULL when not playing */
    uint32_t play_id;
    md_prompt_t **items;
    size_t count, item, frame;
    size_t total_frames;
    bool loop, barge_in, marker;
    int pt;
    int phase, prev, next; /* phase list links (slot indices, -1: none) */
    uint64_t due_us;
    int fails;
} s_player_t;

struct md_play {
    int capacity;
    s_player_t *players;
    int head[MD_PLAY_PHASES];
    int load[MD_PLAY_PHASES];
    int active;
    bool ticked;
    uint64_t last_ms; /* last millisecond served */
    uint32_t last_play_id;
    uint64_t rng;
    md_play_send_fn *send;
    md_play_done_fn *done;
    void *arg;
    md_play_stats_t stats;
    uint8_t pkt[RTP_HEADER + MD_FRAME_SAMPLES];
};

const char *md_play_reason_name(md_play_reason_t reason)
{
    switch (reason) {
    case MD_PLAY_FINISHED:
        return "finished";
    case MD_PLAY_STOPPED:
        return "stopped";
    case MD_PLAY_BARGED_IN:
        return "barged_in";
    case MD_PLAY_ERROR:
        return "error";
    }
    return "error";
}

static uint32_t s_random(md_play_t *self)
{
    /* xorshift64*: only for SSRCs and initial sequence numbers, not for security */
    self->rng ^= self->rng >> 12;
    self->rng ^= self->rng << 25;
    self->rng ^= self->rng >> 27;
    return (uint32_t)((self->rng * 0x2545F4914F6CDD1Dull) >> 32);
}

md_play_t *md_play_new(int capacity, uint64_t seed, md_play_send_fn *send, md_play_done_fn *done,
                       void *arg)
{
    if (capacity < 1 || !send || !done)
        return NULL;
    md_play_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->players = calloc((size_t)capacity, sizeof *self->players);
    if (!self->players) {
        free(self);
        return NULL;
    }
    self->capacity = capacity;
    for (int i = 0; i < capacity; i++)
        self->players[i].prev = self->players[i].next = -1;
    for (int p = 0; p < MD_PLAY_PHASES; p++)
        self->head[p] = -1;
    self->rng = seed ? seed : 0x9E3779B97F4A7C15ull;
    self->send = send;
    self->done = done;
    self->arg = arg;
    return self;
}

static void s_drop_items(s_player_t *p)
{
    for (size_t i = 0; i < p->count; i++)
        md_prompt_unref(&p->items[i]);
    free(p->items);
    p->items = NULL;
    p->count = 0;
}

void md_play_destroy(md_play_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    md_play_t *self = *self_p;
    for (int i = 0; i < self->capacity; i++) {
        if (self->players[i].ep)
            self->players[i].ep->playing = false;
        s_drop_items(&self->players[i]);
    }
    free(self->players);
    free(self);
    *self_p = NULL;
}

static void s_link(md_play_t *self, int slot, int phase)
{
    s_player_t *p = &self->players[slot];
    p->phase = phase;
    p->prev = -1;
    p->next = self->head[phase];
    if (p->next >= 0)
        self->players[p->next].prev = slot;
    self->head[phase] = slot;
    self->load[phase]++;
}

static void s_unlink(md_play_t *self, int slot)
{
    s_player_t *p = &self->players[slot];
    if (p->prev >= 0)
        self->players[p->prev].next = p->next;
    else
        self->head[p->phase] = p->next;
    if (p->next >= 0)
        self->players[p->next].prev = p->prev;
    p->prev = p->next = -1;
    self->load[p->phase]--;
}

/* End the play in slot (if any) and report it. */
static uint32_t s_end(md_play_t *self, int slot, md_play_reason_t reason)
{
    s_player_t *p = &self->players[slot];
    md_endpoint_t *ep = p->ep;
    if (!ep)
        return 0;
    uint32_t id = p->play_id;
    s_unlink(self, slot);
    s_drop_items(p);
    p->ep = NULL;
    ep->playing = false;
    self->active--;
    self->done(ep, id, reason, self->arg);
    return id;
}

/* The phase a new player joins: the least loaded, and of those the soonest. */
static int s_pick_phase(const md_play_t *self, uint64_t first_ms)
{
    int best = (int)(first_ms % MD_PLAY_PHASES);
    for (int k = 1; k < MD_PLAY_PHASES; k++) {
        int p = (int)((first_ms + (uint64_t)k) % MD_PLAY_PHASES);
        if (self->load[p] < self->load[best])
            best = p;
    }
    return best;
}

int md_play_start(md_play_t *self, md_endpoint_t *ep, md_prompt_t **prompts, size_t n, int pt,
                  bool loop, bool barge_in, uint64_t now_us, uint32_t *play_id)
{
    md_prompt_t **items = NULL;
    if (n == 0 || n > MD_PLAY_MAX_ITEMS || ep->slot < 0 || ep->slot >= self->capacity ||
        !(items = malloc(n * sizeof *items))) {
        for (size_t i = 0; i < n; i++)
            md_prompt_unref(&prompts[i]);
        return n == 0 || n > MD_PLAY_MAX_ITEMS ? -EINVAL : -ENOMEM;
    }
    s_player_t *p = &self->players[ep->slot];
    s_end(self, ep->slot, MD_PLAY_STOPPED);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        items[i] = prompts[i];
        prompts[i] = NULL;
        total += items[i]->frames;
    }
    if (p->ep_id != ep->id) { /* a new stream: fresh SSRC, random start (RFC 3550 5.1) */
        p->ep_id = ep->id;
        p->ssrc = s_random(self);
        p->seq = (uint16_t)s_random(self);
        p->ts = s_random(self);
        p->last_sent_us = 0;
    } else if (ep->sent_known && ep->sent_ssrc == p->ssrc && ep->sent_us > p->last_sent_us) {
        /* a mix went on with this player's stream since: go on from where the mix was */
        md_core_stream_next(ep, now_us, &p->ssrc, &p->seq, &p->ts);
        p->last_sent_us = ep->sent_us;
    } else if (p->last_sent_us && now_us > p->last_sent_us + MD_PLAY_PERIOD_US) {
        /* the clock ran on while nothing played */
        p->ts += (uint32_t)((now_us - p->last_sent_us - MD_PLAY_PERIOD_US) / 125u);
    }
    p->ep = ep;
    p->play_id = ++self->last_play_id ? self->last_play_id : ++self->last_play_id;
    p->items = items;
    p->count = n;
    p->item = p->frame = 0;
    p->total_frames = total;
    p->loop = loop;
    p->barge_in = barge_in;
    p->marker = true;
    p->pt = pt;
    p->fails = 0;
    uint64_t first_ms = now_us / 1000 + 1;
    int phase = s_pick_phase(self, first_ms);
    uint64_t wait = ((uint64_t)phase + MD_PLAY_PHASES - first_ms % MD_PLAY_PHASES) % MD_PLAY_PHASES;
    p->due_us = (first_ms + wait) * 1000;
    s_link(self, ep->slot, phase);
    ep->playing = true;
    self->active++;
    self->stats.plays++;
    *play_id = p->play_id;
    return 0;
}

uint32_t md_play_stop(md_play_t *self, md_endpoint_t *ep, md_play_reason_t reason)
{
    if (ep->slot < 0 || ep->slot >= self->capacity || self->players[ep->slot].ep != ep)
        return 0;
    return s_end(self, ep->slot, reason);
}

bool md_play_barge_in(md_play_t *self, md_endpoint_t *ep)
{
    if (ep->slot < 0 || ep->slot >= self->capacity || self->players[ep->slot].ep != ep ||
        !self->players[ep->slot].barge_in)
        return false;
    s_end(self, ep->slot, MD_PLAY_BARGED_IN);
    return true;
}

void md_play_forget(md_play_t *self, md_endpoint_t *ep)
{
    md_play_stop(self, ep, MD_PLAY_STOPPED);
    if (ep->slot >= 0 && ep->slot < self->capacity)
        self->players[ep->slot].ep_id = 0;
}

/* The frame to send next (moving over ended prompts, looping), or NULL when done. */
static const uint8_t *s_next_frame(s_player_t *p)
{
    for (int wrapped = 0; wrapped < 2; wrapped++) {
        while (p->item < p->count && p->frame >= p->items[p->item]->frames) {
            p->item++;
            p->frame = 0;
        }
        if (p->item < p->count)
            return md_prompt_frame(p->items[p->item], p->pt, p->frame++);
        if (!p->loop || p->total_frames == 0)
            return NULL;
        p->item = 0;
        p->frame = 0;
    }
    return NULL;
}

static void s_put_header(uint8_t *h, const s_player_t *p)
{
    h[0] = 0x80;
    h[1] = (uint8_t)((p->marker ? 0x80 : 0) | (p->pt & 0x7f));
    h[2] = (uint8_t)(p->seq >> 8);
    h[3] = (uint8_t)p->seq;
    h[4] = (uint8_t)(p->ts >> 24);
    h[5] = (uint8_t)(p->ts >> 16);
    h[6] = (uint8_t)(p->ts >> 8);
    h[7] = (uint8_t)p->ts;
    h[8] = (uint8_t)(p->ssrc >> 24);
    h[9] = (uint8_t)(p->ssrc >> 16);
    h[10] = (uint8_t)(p->ssrc >> 8);
    h[11] = (uint8_t)p->ssrc;
}

/* Send what is due for the player in slot. Returns the packets sent. */
static int s_serve(md_play_t *self, int slot, uint64_t now_us)
{
    s_player_t *p = &self->players[slot];
    int sent = 0;
    while (p->ep && p->due_us <= now_us && sent < MD_PLAY_CATCH_UP) {
        const uint8_t *frame = s_next_frame(p);
        if (!frame) {
            s_end(self, slot, MD_PLAY_FINISHED);
            return sent;
        }
        s_put_header(self->pkt, p);
        memcpy(self->pkt + RTP_HEADER, frame, MD_FRAME_SAMPLES);
        uint64_t late = now_us - p->due_us;
        if (self->send(p->ep, self->pkt, sizeof self->pkt, self->arg) == 0) {
            p->fails = 0;
            self->stats.packets++;
        } else {
            self->stats.send_failed++;
            p->fails++;
        }
        self->stats.late_1ms += late > 1000;
        self->stats.late_5ms += late > 5000;
        if (late > self->stats.late_max_us)
            self->stats.late_max_us = late;
        p->seq++;
        p->ts += MD_FRAME_SAMPLES;
        p->marker = false;
        p->last_sent_us = now_us;
        p->due_us += MD_PLAY_PERIOD_US;
        sent++;
        if (p->fails >= MD_PLAY_MAX_SEND_FAILS) {
            s_end(self, slot, MD_PLAY_ERROR);
            return sent;
        }
    }
    if (p->ep && p->due_us <= now_us) /* a long stall: take up the beat again from now */
        p->due_us +=
            (now_us - p->due_us) / MD_PLAY_PERIOD_US * MD_PLAY_PERIOD_US + MD_PLAY_PERIOD_US;
    return sent;
}

int md_play_tick(md_play_t *self, uint64_t now_us)
{
    uint64_t now_ms = now_us / 1000;
    uint64_t from = self->last_ms + 1;
    if (!self->ticked || now_ms - self->last_ms > MD_PLAY_PHASES) /* each phase once at most */
        from = now_ms + 1 >= MD_PLAY_PHASES ? now_ms + 1 - MD_PLAY_PHASES : 0;
    if (self->ticked && now_ms <= self->last_ms)
        return 0;
    self->ticked = true;
    self->last_ms = now_ms;
    int sent = 0;
    for (uint64_t ms = from; ms <= now_ms; ms++) {
        int phase = (int)(ms % MD_PLAY_PHASES);
        int slot = self->head[phase];
        while (slot >= 0) {
            int next = self->players[slot].next;
            sent += s_serve(self, slot, now_us);
            /* a done callback may have changed this phase's list: if `next` left it,
             * start over (players already served are not due again) */
            if (next >= 0 && (!self->players[next].ep || self->players[next].phase != phase))
                next = self->head[phase];
            slot = next;
        }
    }
    return sent;
}

int md_play_active(const md_play_t *self)
{
    return self->active;
}

bool md_play_is_playing(const md_play_t *self, const md_endpoint_t *ep)
{
    return ep->slot >= 0 && ep->slot < self->capacity && self->players[ep->slot].ep == ep;
}

int md_play_phase_load(const md_play_t *self, int phase)
{
    return phase >= 0 && phase < MD_PLAY_PHASES ? self->load[phase] : 0;
}

const md_play_stats_t *md_play_stats(const md_play_t *self)
{
    return &self->stats;
}
