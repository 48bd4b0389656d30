/* cc_bus_watch.c - watching another daemon for restarts: a ping every interval, whose
 * reply carries the daemon's bus epoch. A new epoch means the daemon restarted and lost
 * what it held for us (mediad its endpoints), so the watcher can rebuild it; no reply
 * means it is down. Runs from cc_bus_dispatch, so it works on cc_loop and on a foreign
 * loop (sofia's) alike. */
#include "cc_bus_priv.h"

#include <stdlib.h>
#include <string.h>

#include "cc_log.h"

struct cc_bus_watch {
    cc_bus_t *bus;
    char *target;
    int interval_ms;
    uint64_t next_ms; /* when the next ping goes */
    uint64_t epoch;   /* last epoch seen, 0: none yet or down */
    uint64_t seen_ms; /* when a ping of that epoch was last answered */
    bool in_flight;
    cc_bus_watch_fn *fn;
    void *arg;
};

static void s_on_pong(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    cc_bus_watch_t *w = arg;
    w->in_flight = false;
    uint64_t epoch = 0;
    if (status == 0)
        epoch = (uint64_t)json_integer_value(json_object_get(result, "epoch"));
    if (epoch && epoch == w->epoch)
        w->seen_ms = cc_bus_now_ms();
    if (epoch == w->epoch)
        return;
    uint64_t old = w->epoch;
    w->epoch = epoch;
    if (epoch)
        cc_info("bus.peer_epoch", "peer=%s old_epoch=%llu epoch=%llu", cc_logq(w->target),
                (unsigned long long)old, (unsigned long long)epoch);
    else
        cc_warn("bus.peer_down", "peer=%s epoch=%llu", cc_logq(w->target), (unsigned long long)old);
    w->fn(w->bus, w->target, old, epoch, w->arg); /* seen_ms: still the old epoch's */
    if (epoch)
        w->seen_ms = cc_bus_now_ms();
}

int cc_bus_watch(cc_bus_t *self, const char *target, int interval_ms, cc_bus_watch_fn *fn,
                 void *arg)
{
    if (cc_bus_grow((void **)&self->watches, &self->watches_cap, self->nwatches,
                    sizeof *self->watches))
        return -ENOMEM;
    cc_bus_watch_t *w = calloc(1, sizeof *w);
    if (!w || !(w->target = strdup(target))) {
        free(w);
        return -ENOMEM;
    }
    w->bus = self;
    w->interval_ms = interval_ms > 0 ? interval_ms : 500;
    w->fn = fn;
    w->arg = arg;
    self->watches[self->nwatches++] = w;
    return 0;
}

uint64_t cc_bus_watched_epoch(const cc_bus_t *self, const char *target)
{
    for (size_t i = 0; i < self->nwatches; i++)
        if (!strcmp(self->watches[i]->target, target))
            return self->watches[i]->epoch;
    return 0;
}

uint64_t cc_bus_watched_seen_ms(const cc_bus_t *self, const char *target)
{
    for (size_t i = 0; i < self->nwatches; i++)
        if (!strcmp(self->watches[i]->target, target))
            return self->watches[i]->seen_ms;
    return 0;
}

bool cc_bus_watch_timers(cc_bus_t *self, uint64_t now_ms)
{
    bool any = false;
    for (size_t i = 0; i < self->nwatches; i++) {
        cc_bus_watch_t *w = self->watches[i];
        if (w->in_flight || now_ms < w->next_ms)
            continue;
        w->next_ms = now_ms + (uint64_t)w->interval_ms;
        /* a daemon that cannot answer a ping within three intervals counts as down: a
         * busy one is slow now and then, a dead one never answers */
        w->in_flight = cc_bus_request(self, &self->watch_owner, w->target, "ping", NULL,
                                      3 * w->interval_ms, s_on_pong, w) != 0;
        any = true;
    }
    return any;
}

int cc_bus_watch_next_ms(cc_bus_t *self, uint64_t now_ms)
{
    int best = -1;
    for (size_t i = 0; i < self->nwatches; i++) {
        const cc_bus_watch_t *w = self->watches[i];
        if (w->in_flight)
            continue;
        int ms = w->next_ms <= now_ms ? 0 : (int)(w->next_ms - now_ms);
        if (best < 0 || ms < best)
            best = ms;
    }
    return best;
}

void cc_bus_watches_free(cc_bus_t *self)
{
    cc_bus_owner_cancel(self, &self->watch_owner);
    for (size_t i = 0; i < self->nwatches; i++) {
        free(self->watches[i]->target);
        free(self->watches[i]);
    }
    free(self->watches);
    self->watches = NULL;
    self->nwatches = self->watches_cap = 0;
}
