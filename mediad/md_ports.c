/* md_ports.c - port pair pool (see md_ports.h): the free pairs form a doubly linked FIFO
 * through index arrays, each stamped with when it was freed; the stamps grow from head to
 * tail, so the head is the only pair that can have left quarantine first. */
#include "md_ports.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

struct md_ports {
    int first; /* lowest even port */
    int total; /* pairs */
    uint64_t quarantine_us;
    int *next, *prev; /* the free queue, by pair index; -1 ends it */
    int head, tail, count;
    uint64_t *freed_us; /* when each free pair was freed */
    bool *in_use;
};

md_ports_t *md_ports_new(int lo, int hi, uint64_t quarantine_us, uint64_t now_us)
{
    int first = lo + (lo & 1);
    if (lo < 1 || hi > 65535 || first + 1 > hi)
        return NULL;
    md_ports_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->first = first;
    self->total = (hi - first + 1) / 2;
    self->quarantine_us = quarantine_us;
    size_t n = (size_t)self->total;
    self->next = calloc(n, sizeof *self->next);
    self->prev = calloc(n, sizeof *self->prev);
    self->freed_us = calloc(n, sizeof *self->freed_us);
    self->in_use = calloc(n, sizeof *self->in_use);
    if (!self->next || !self->prev || !self->freed_us || !self->in_use) {
        md_ports_destroy(&self);
        return NULL;
    }
    for (int i = 0; i < self->total; i++) {
        self->prev[i] = i - 1;
        self->next[i] = i + 1 < self->total ? i + 1 : -1;
        self->freed_us[i] = now_us;
    }
    self->head = 0;
    self->tail = self->total - 1;
    self->count = self->total;
    return self;
}

void md_ports_destroy(md_ports_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    md_ports_t *self = *self_p;
    free(self->next);
    free(self->prev);
    free(self->freed_us);
    free(self->in_use);
    free(self);
    *self_p = NULL;
}

static void s_unlink(md_ports_t *self, int idx)
{
    int p = self->prev[idx], n = self->next[idx];
    if (p >= 0)
        self->next[p] = n;
    else
        self->head = n;
    if (n >= 0)
        self->prev[n] = p;
    else
        self->tail = p;
    self->count--;
    self->in_use[idx] = true;
}

int md_ports_alloc(md_ports_t *self, uint64_t now_us)
{
    int idx = self->head;
    if (idx < 0 || now_us < self->freed_us[idx] + self->quarantine_us)
        return -1;
    s_unlink(self, idx);
    return self->first + 2 * idx;
}

/* The pair index of port, or -1 if it is not an even port of the pool. */
static int s_index(const md_ports_t *self, int port)
{
    int off = port - self->first;
    return off < 0 || (off & 1) || off / 2 >= self->total ? -1 : off / 2;
}

int md_ports_take(md_ports_t *self, int port)
{
    int idx = s_index(self, port);
    if (idx < 0)
        return -ENOENT;
    if (self->in_use[idx])
        return -EBUSY;
    s_unlink(self, idx);
    return 0;
}

void md_ports_free(md_ports_t *self, int port, uint64_t now_us)
{
    int idx = s_index(self, port);
    if (idx < 0 || !self->in_use[idx])
        return;
    self->in_use[idx] = false;
    /* stamps must not decrease along the queue: a clock that went back counts as now */
    uint64_t last = self->tail >= 0 ? self->freed_us[self->tail] : 0;
    self->freed_us[idx] = now_us > last ? now_us : last;
    self->prev[idx] = self->tail;
    self->next[idx] = -1;
    if (self->tail >= 0)
        self->next[self->tail] = idx;
    else
        self->head = idx;
    self->tail = idx;
    self->count++;
}

int md_ports_total(const md_ports_t *self)
{
    return self->total;
}

int md_ports_available(const md_ports_t *self)
{
    return self->count;
}

int md_ports_quarantined(const md_ports_t *self, uint64_t now_us)
{
    int n = 0;
    for (int i = self->tail; i >= 0 && now_us < self->freed_us[i] + self->quarantine_us;
         i = self->prev[i])
        n++;
    return n;
}
