/* cc_throttle.c - failed-authentication counter per source address (see cc_throttle.h):
 * a cc_map from address to its window, and the same entries on a list ordered by window
 * start, whose head is the one to evict when `capacity` addresses are tracked. */
#include "cc_throttle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_map.h"

#define SP_ADDR_KEY 48

typedef struct s_entry {
    char addr[SP_ADDR_KEY]; /* the map's key, kept for eviction */
    uint64_t window_start;
    int failures;
    bool logged;
    struct s_entry *older, *newer; /* by window_start */
} s_entry_t;

struct cc_throttle {
    int limit;
    uint64_t window_ms;
    size_t capacity;
    cc_map_t *entries; /* addr -> s_entry_t (owned) */
    s_entry_t *oldest, *newest;
};

cc_throttle_t *cc_throttle_new(int limit, uint64_t window_ms, int capacity)
{
    if (limit < 1 || window_ms == 0 || capacity < 1)
        return NULL;
    cc_throttle_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->entries = cc_map_new(free);
    if (!self->entries) {
        free(self);
        return NULL;
    }
    self->limit = limit;
    self->window_ms = window_ms;
    self->capacity = (size_t)capacity;
    return self;
}

void cc_throttle_destroy(cc_throttle_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cc_map_destroy(&(*self_p)->entries);
    free(*self_p);
    *self_p = NULL;
}

static void s_unlink(cc_throttle_t *self, s_entry_t *e)
{
    if (e->older)
        e->older->newer = e->newer;
    else
        self->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        self->newest = e->older;
    e->older = e->newer = NULL;
}

static void s_append(cc_throttle_t *self, s_entry_t *e)
{
    e->older = self->newest;
    e->newer = NULL;
    if (self->newest)
        self->newest->newer = e;
    else
        self->oldest = e;
    self->newest = e;
}

/* Find addr's entry; with create, make one, evicting the oldest window when full. */
static s_entry_t *s_find(cc_throttle_t *self, const char *addr, uint64_t now, bool create)
{
    char key[SP_ADDR_KEY];
    snprintf(key, sizeof key, "%s", addr);
    s_entry_t *e = cc_map_get(self->entries, key);
    if (e || !create)
        return e;
    if (cc_map_size(self->entries) >= self->capacity && self->oldest) {
        s_entry_t *victim = self->oldest;
        s_unlink(self, victim);
        cc_map_delete(self->entries, victim->addr);
    }
    e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    memcpy(e->addr, key, sizeof e->addr);
    e->window_start = now;
    if (cc_map_insert(self->entries, e->addr, e) != 0) {
        free(e);
        return NULL;
    }
    s_append(self, e);
    return e;
}

static void s_roll(cc_throttle_t *self, s_entry_t *e, uint64_t now)
{
    if (now - e->window_start >= self->window_ms) {
        e->window_start = now;
        e->failures = 0;
        e->logged = false;
        s_unlink(self, e); /* the newest window now */
        s_append(self, e);
    }
}

bool cc_throttle_blocked(cc_throttle_t *self, const char *addr, uint64_t now_ms,
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

void cc_throttle_fail(cc_throttle_t *self, const char *addr, uint64_t now_ms)
{
    s_entry_t *e = s_find(self, addr, now_ms, true);
    if (!e) /* out of memory: this failure goes uncounted */
        return;
    s_roll(self, e, now_ms);
    e->failures++;
}

int cc_throttle_blocked_count(const cc_throttle_t *self, uint64_t now_ms)
{
    int n = 0;
    for (const s_entry_t *e = self->newest; e; e = e->older)
        if (now_ms - e->window_start < self->window_ms && e->failures >= self->limit)
            n++;
    return n;
}
