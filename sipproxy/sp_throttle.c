/* sp_throttle.c - failed-authentication counter per source address (see sp_throttle.h). */
#include "sp_throttle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SP_ADDR_KEY 48

typedef struct {
    char addr[SP_ADDR_KEY]; /* "" = free slot */
    uint64_t window_start;
    int failures;
    bool logged;
} s_entry_t;

struct sp_throttle {
    int limit;
    uint64_t window_ms;
    int capacity;
    s_entry_t *entries;
};

sp_throttle_t *sp_throttle_new(int limit, uint64_t window_ms, int capacity)
{
    if (limit < 1 || window_ms == 0 || capacity < 1)
        return NULL;
    sp_throttle_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->entries = calloc((size_t)capacity, sizeof *self->entries);
    if (!self->entries) {
        free(self);
        return NULL;
    }
    self->limit = limit;
    self->window_ms = window_ms;
    self->capacity = capacity;
    return self;
}

void sp_throttle_destroy(sp_throttle_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->entries);
    free(*self_p);
    *self_p = NULL;
}

static uint32_t s_hash(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

/* 0 free slot, 1 expired entry, 2 live entry: lower is a better slot to reuse. */
static int s_rank(const sp_throttle_t *self, const s_entry_t *e, uint64_t now)
{
    if (!e->addr[0])
        return 0;
    return now - e->window_start >= self->window_ms ? 1 : 2;
}

/* Find addr's entry; with create, take a free or expired slot, else evict the oldest of
 * the probe sequence. */
static s_entry_t *s_find(sp_throttle_t *self, const char *addr, uint64_t now, bool create)
{
    int start = (int)(s_hash(addr) % (uint32_t)self->capacity);
    int probes = self->capacity < 8 ? self->capacity : 8;
    s_entry_t *victim = NULL;
    for (int i = 0; i < probes; i++) {
        s_entry_t *e = &self->entries[(start + i) % self->capacity];
        if (e->addr[0] && strncmp(e->addr, addr, SP_ADDR_KEY - 1) == 0)
            return e;
        if (!victim || s_rank(self, e, now) < s_rank(self, victim, now) ||
            (s_rank(self, e, now) == 2 && s_rank(self, victim, now) == 2 &&
             e->window_start < victim->window_start))
            victim = e;
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof *victim);
    snprintf(victim->addr, sizeof victim->addr, "%s", addr);
    victim->window_start = now;
    return victim;
}

static void s_roll(sp_throttle_t *self, s_entry_t *e, uint64_t now)
{
    if (now - e->window_start >= self->window_ms) {
        e->window_start = now;
        e->failures = 0;
        e->logged = false;
    }
}

bool sp_throttle_blocked(sp_throttle_t *self, const char *addr, uint64_t now_ms,
                         bool *first_in_window)
{
    if (first_in_window)
        *first_in_window = false;
    s_entry_t *e = s_find(self, addr, now_ms, false);
    if (!e)
        return false;
    s_roll(self, e, now_ms);
    if (e->failures < self->limit)
        return false;
    if (!e->logged) {
        e->logged = true;
        if (first_in_window)
            *first_in_window = true;
    }
    return true;
}

void sp_throttle_fail(sp_throttle_t *self, const char *addr, uint64_t now_ms)
{
    s_entry_t *e = s_find(self, addr, now_ms, true);
    s_roll(self, e, now_ms);
    e->failures++;
}

int sp_throttle_blocked_count(const sp_throttle_t *self, uint64_t now_ms)
{
    int n = 0;
    for (int i = 0; i < self->capacity; i++) {
        const s_entry_t *e = &self->entries[i];
        if (e->addr[0] && now_ms - e->window_start < self->window_ms && e->failures >= self->limit)
            n++;
    }
    return n;
}
