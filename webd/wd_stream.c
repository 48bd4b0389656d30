/* wd_stream.c - the frame ring and the per-stream buffers (see wd_stream.h). */
#include "wd_stream.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    wd_cursor_t id;
    wb_qset_t scope;
    char *frame;
    size_t len;
} s_item_t;

struct wd_stream {
    wd_principal_t who;
    void *conn;
    char *buf;
    size_t start, end, cap;
    bool overflowed;
    size_t index; /* in the streams' array */
};

struct wd_streams {
    s_item_t *ring;
    size_t cap, head, count; /* oldest at head */
    wd_cursor_t base;        /* the position just before the oldest frame held */
    wd_cursor_t last;
    size_t buf_max;
    wd_wake_fn *wake;
    wd_stream_t **streams;
    size_t nstreams, streams_cap;
};

int wd_cursor_parse(const char *text, wd_cursor_t *out)
{
    unsigned long long e, s;
    unsigned k;
    int n = 0;
    if (!text || sscanf(text, "acdd:%llu:%llu.%u%n", &e, &s, &k, &n) != 3 || text[n] != '\0')
        return -1;
    out->epoch = e;
    out->seq = s;
    out->k = k;
    return 0;
}

void wd_cursor_format(const wd_cursor_t *c, char *buf, size_t len)
{
    snprintf(buf, len, "acdd:%" PRIu64 ":%" PRIu64 ".%u", c->epoch, c->seq, c->k);
}

bool wd_cursor_equal(const wd_cursor_t *a, const wd_cursor_t *b)
{
    return a->epoch == b->epoch && a->seq == b->seq && a->k == b->k;
}

wd_streams_t *wd_streams_new(size_t ring_cap, size_t buf_max, wd_wake_fn *wake)
{
    wd_streams_t *self = calloc(1, sizeof *self);
    if (!self || !(self->ring = calloc(ring_cap ? ring_cap : 1, sizeof *self->ring))) {
        free(self);
        return NULL;
    }
    self->cap = ring_cap ? ring_cap : 1;
    self->buf_max = buf_max;
    self->wake = wake;
    return self;
}

static void s_ring_clear(wd_streams_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        free(self->ring[(self->head + i) % self->cap].frame);
    self->head = self->count = 0;
}

void wd_streams_destroy(wd_streams_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wd_streams_t *self = *self_p;
    s_ring_clear(self);
    free(self->ring);
    for (size_t i = 0; i < self->nstreams; i++) {
        free(self->streams[i]->buf);
        free(self->streams[i]);
    }
    free(self->streams);
    free(self);
    *self_p = NULL;
}

wd_cursor_t wd_streams_last(const wd_streams_t *self)
{
    return self->last;
}

void wd_streams_reset(wd_streams_t *self, const wd_cursor_t *at)
{
    s_ring_clear(self);
    self->base = self->last = *at;
}

static bool s_visible(const wd_stream_t *s, const wb_qset_t *scope)
{
    return wd_scope_set(&s->who, scope);
}

static void s_append(wd_streams_t *self, wd_stream_t *s, const char *bytes, size_t len)
{
    if (s->overflowed)
        return;
    if (s->end - s->start + len > self->buf_max) {
        s->overflowed = true;
        self->wake(s, s->conn);
        return;
    }
    if (s->start > 0 && s->end + len > s->cap) { /* move what is unsent to the front */
        memmove(s->buf, s->buf + s->start, s->end - s->start);
        s->end -= s->start;
        s->start = 0;
    }
    if (s->end + len > s->cap) {
        size_t ncap = s->cap ? s->cap : 4096;
        while (ncap < s->end + len)
            ncap *= 2;
        char *n = realloc(s->buf, ncap);
        if (!n) {
            s->overflowed = true;
            self->wake(s, s->conn);
            return;
        }
        s->buf = n;
        s->cap = ncap;
    }
    memcpy(s->buf + s->end, bytes, len);
    s->end += len;
    self->wake(s, s->conn); /* cheap: the adapter resumes a suspended stream, or notes work */
}

void wd_streams_publish(wd_streams_t *self, const wd_cursor_t *id, const wb_qset_t *scope,
                        const char *event, const char *json)
{
    char idtext[96];
    wd_cursor_format(id, idtext, sizeof idtext);
    size_t len = strlen(idtext) + strlen(event) + strlen(json) + 32;
    char *frame = malloc(len);
    if (!frame)
        return;
    len = (size_t)snprintf(frame, len, "id: %s\nevent: %s\ndata: %s\n\n", idtext, event, json);
    for (size_t i = 0; i < self->nstreams; i++)
        if (s_visible(self->streams[i], scope))
            s_append(self, self->streams[i], frame, len);
    if (self->count == self->cap) { /* the oldest goes: resumes from before it snapshot */
        s_item_t *old = &self->ring[self->head];
        self->base = old->id;
        free(old->frame);
        self->head = (self->head + 1) % self->cap;
        self->count--;
    }
    s_item_t *it = &self->ring[(self->head + self->count++) % self->cap];
    it->id = *id;
    it->scope = *scope;
    it->frame = frame;
    it->len = len;
    self->last = *id;
}

wd_stream_t *wd_stream_open(wd_streams_t *self, const wd_principal_t *who, void *conn)
{
    if (self->nstreams == self->streams_cap) {
        size_t ncap = self->streams_cap ? self->streams_cap * 2 : 64;
        wd_stream_t **n = realloc(self->streams, ncap * sizeof *n);
        if (!n)
            return NULL;
        self->streams = n;
        self->streams_cap = ncap;
    }
    wd_stream_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->who = *who;
    s->conn = conn;
    s->index = self->nstreams;
    self->streams[self->nstreams++] = s;
    return s;
}

void wd_stream_close(wd_streams_t *self, wd_stream_t **stream_p)
{
    if (!stream_p || !*stream_p)
        return;
    wd_stream_t *s = *stream_p;
    size_t i = s->index;
    self->streams[i] = self->streams[--self->nstreams];
    self->streams[i]->index = i;
    free(s->buf);
    free(s);
    *stream_p = NULL;
}

int wd_stream_resume(wd_streams_t *self, wd_stream_t *stream, const wd_cursor_t *after)
{
    size_t from;
    if (wd_cursor_equal(after, &self->base)) {
        from = 0;
    } else {
        size_t i = self->count;
        while (i > 0 && !wd_cursor_equal(&self->ring[(self->head + i - 1) % self->cap].id, after))
            i--;
        if (i == 0)
            return -1;
        from = i; /* the frame after the one it had */
    }
    for (size_t i = from; i < self->count; i++) {
        const s_item_t *it = &self->ring[(self->head + i) % self->cap];
        if (s_visible(stream, &it->scope))
            s_append(self, stream, it->frame, it->len);
    }
    return 0;
}

void wd_stream_send(wd_streams_t *self, wd_stream_t *stream, const char *bytes, size_t len)
{
    s_append(self, stream, bytes, len);
}

size_t wd_stream_read(wd_stream_t *s, char *buf, size_t max)
{
    size_t n = s->end - s->start;
    if (n > max)
        n = max;
    if (n == 0)
        return 0;
    memcpy(buf, s->buf + s->start, n);
    s->start += n;
    if (s->start == s->end) {
        s->start = s->end = 0;
        if (s->cap > 64 * 1024) { /* a snapshot's worth: give it back */
            free(s->buf);
            s->buf = NULL;
            s->cap = 0;
        }
    }
    return n;
}

size_t wd_stream_pending(const wd_stream_t *s)
{
    return s->end - s->start;
}

bool wd_stream_overflowed(const wd_stream_t *s)
{
    return s->overflowed;
}

wd_principal_t *wd_stream_who(wd_stream_t *s)
{
    return &s->who;
}

void *wd_stream_conn(const wd_stream_t *s)
{
    return s->conn;
}

size_t wd_streams_count(const wd_streams_t *self)
{
    return self->nstreams;
}

wd_stream_t *wd_streams_at(const wd_streams_t *self, size_t i)
{
    return i < self->nstreams ? self->streams[i] : NULL;
}
