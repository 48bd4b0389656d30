/* wd_throttle.c - fixed-window failure counters per key (see wd_throttle.h). Windows that
 * have passed are swept when the table grows, so an address scan cannot fill memory. */
#include "wd_throttle.h"

#include <stdlib.h>

#include "cc_map.h"

#define S_SWEEP_AT 4096

typedef struct {
    int failures;
    int64_t window_end_us;
} s_entry_t;

struct wd_throttle {
    cc_map_t *keys;
    int max_failures;
    int64_t window_us;
};

wd_throttle_t *wd_throttle_new(int max_failures, int window_s)
{
    wd_throttle_t *self = calloc(1, sizeof *self);
    if (!self || !(self->keys = cc_map_new(free))) {
        free(self);
        return NULL;
    }
    self->max_failures = max_failures;
    self->window_us = (int64_t)window_s * 1000000;
    return self;
}

void wd_throttle_destroy(wd_throttle_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cc_map_destroy(&(*self_p)->keys);
    free(*self_p);
    *self_p = NULL;
}

static void s_sweep(wd_throttle_t *self, int64_t now_us)
{
    cc_map_iter_t it = cc_map_iter(self->keys);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));)
        if (((s_entry_t *)cc_map_value(e))->window_end_us <= now_us)
            cc_map_delete(self->keys, cc_map_key(e));
}

int wd_throttle_wait_s(wd_throttle_t *self, const char *key, int64_t now_us)
{
    s_entry_t *e = cc_map_get(self->keys, key);
    if (!e || e->window_end_us <= now_us || e->failures < self->max_failures)
        return 0;
    return (int)((e->window_end_us - now_us + 999999) / 1000000);
}

void wd_throttle_fail(wd_throttle_t *self, const char *key, int64_t now_us)
{
    s_entry_t *e = cc_map_get(self->keys, key);
    if (e && e->window_end_us <= now_us) {
        e->failures = 0;
        e->window_end_us = now_us + self->window_us;
    }
    if (!e) {
        if (cc_map_size(self->keys) >= S_SWEEP_AT)
            s_sweep(self, now_us);
        e = calloc(1, sizeof *e);
        if (!e || cc_map_insert(self->keys, key, e) != 0) {
            free(e);
            return;
        }
        e->window_end_us = now_us + self->window_us;
    }
    e->failures++;
}

void wd_throttle_clear(wd_throttle_t *self, const char *key)
{
    cc_map_delete(self->keys, key);
}
