/* md_ports.c - port pair pool (see md_ports.h): a ring of free pair indexes plus an
 * in-use flag per pair to ignore double frees. O(1) allocate and free. */
#include "md_ports.h"

#include <stdbool.h>
#include <stdlib.h>

struct md_ports {
    int first;     /* lowest even port */
    int total;     /* pairs */
    int *ring;     /* free pair indexes, ring of `total` slots */
    int head, count;
    bool *in_use;
};

md_ports_t *md_ports_new(int lo, int hi)
{
    int first = lo + (lo & 1);
    if (lo < 1 || hi > 65535 || first + 1 > hi)
        return NULL;
    md_ports_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->first = first;
    self->total = (hi - first + 1) / 2;
    self->ring = calloc((size_t)self->total, sizeof *self->ring);
    self->in_use = calloc((size_t)self->total, sizeof *self->in_use);
    if (!self->ring || !self->in_use) {
        md_ports_destroy(&self);
        return NULL;
    }
    for (int i = 0; i < self->total; i++)
        self->ring[i] = i;
    self->count = self->total;
    return self;
}

void md_ports_destroy(md_ports_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    md_ports_t *self = *self_p;
    free(self->ring);
    free(self->in_use);
    free(self);
    *self_p = NULL;
}

int md_ports_alloc(md_ports_t *self)
{
    if (self->count == 0)
        return -1;
    int idx = self->ring[self->head];
    self->head = (self->head + 1) % self->total;
    self->count--;
    self->in_use[idx] = true;
    return self->first + 2 * idx;
}

void md_ports_free(md_ports_t *self, int port)
{
    int off = port - self->first;
    if (off < 0 || (off & 1) || off / 2 >= self->total || !self->in_use[off / 2])
        return;
    int idx = off / 2;
    self->in_use[idx] = false;
    self->ring[(self->head + self->count) % self->total] = idx;
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
