/* cc_loop.c - epoll loop with fd callbacks (a table indexed by fd), timers (a binary
 * min-heap of slots, ids carry a generation so stale ids are harmless), prepare hooks and
 * signals via signalfd. Owns the dispatch order and its safety when callbacks add or
 * remove registrations; it owns none of the fds it watches (except its signalfd). */
#include "cc_loop.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cc_log.h"

/* Events taken per wake-up. A media relay at a few thousand calls gets dozens of ready
 * sockets per wake-up; a larger batch means fewer epoll_wait calls once busy. */
#define S_MAX_EVENTS 256
/* Timer ids: low 20 bits a slot index, upper bits a generation (1..2047), so an id stays
 * positive and a cancel of an id that already fired does not hit the slot's next user. */
#define S_SLOT_BITS 20
#define S_SLOT_MASK ((1 << S_SLOT_BITS) - 1)
#define S_GEN_MAX 2047

typedef struct {
    cc_loop_fd_fn *fn;
    void *arg;
    uint32_t events;
    uint32_t gen; /* bumped on every add, so events queued for an old registration are
                      not delivered to a new one on the same fd number */
    bool active;
} s_fd_t;

typedef struct {
    uint64_t due_us;
    uint64_t interval_us;
    uint64_t seq; /* insertion order: equal deadlines fire first-in first-out */
    cc_loop_timer_fn *fn;
    void *arg;
    int heap_idx; /* -1 when not in the heap (free slot) */
    int gen;
    int next_free;
} s_timer_t;

typedef struct {
    cc_loop_prepare_fn *fn;
    void *arg;
} s_prepare_t;

struct cc_loop {
    int epfd;
    bool stopping;

    s_fd_t *fds;
    int fds_cap;

    s_timer_t *timers;
    int timers_cap;
    int free_timer; /* head of the free slot list, -1 if none */
    int *heap;      /* slot indices */
    int heap_len;
    uint64_t timer_seq;

    s_prepare_t *prepares;
    int prepares_len, prepares_cap;
    int prepare_running; /* index of the hook running now, -1 outside the hooks */
    int fds_idle_by;     /* the hook that said cc_loop_fds_seen_idle, -1: none */

    int sigfd;
    cc_loop_signal_fn *sig_fn;
    void *sig_arg;

    uint64_t now_us;           /* monotonic clock read once per wake-up (cc_loop_now_us) */
    uint64_t wake_interval_us; /* cc_loop_set_wake_interval; 0: none */
    uint64_t woke_busy_us;     /* when a wait last returned ready descriptors */
};

/* ---- clocks ----------------------------------------------------------------------- */

uint64_t cc_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t cc_mono_ms(void)
{
    return cc_mono_us() / 1000u;
}

uint64_t cc_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void cc_wall_format(char *buf, size_t len, uint64_t wall_us)
{
    time_t secs = (time_t)(wall_us / 1000000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%06uZ", (unsigned)(wall_us % 1000000u));
}

/* ---- lifecycle -------------------------------------------------------------------- */

cc_loop_t *cc_loop_new(void)
{
    cc_loop_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->sigfd = -1;
    self->prepare_running = self->fds_idle_by = -1;
    self->free_timer = -1;
    self->now_us = cc_mono_us();
    self->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (self->epfd < 0) {
        free(self);
        return NULL;
    }
    return self;
}

void cc_loop_destroy(cc_loop_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cc_loop_t *self = *self_p;
    if (self->sigfd >= 0)
        close(self->sigfd);
    close(self->epfd);
    free(self->fds);
    free(self->timers);
    free(self->heap);
    free(self->prepares);
    free(self);
    *self_p = NULL;
}

/* ---- fds -------------------------------------------------------------------------- */

static int s_fds_reserve(cc_loop_t *self, int fd)
{
    if (fd < self->fds_cap)
        return 0;
    int cap = self->fds_cap ? self->fds_cap : 64;
    while (cap <= fd)
        cap *= 2;
    s_fd_t *grown = realloc(self->fds, (size_t)cap * sizeof *grown);
    if (!grown)
        return -ENOMEM;
    memset(grown + self->fds_cap, 0, (size_t)(cap - self->fds_cap) * sizeof *grown);
    self->fds = grown;
    self->fds_cap = cap;
    return 0;
}

int cc_loop_fd_add(cc_loop_t *self, int fd, uint32_t events, cc_loop_fd_fn *fn, void *arg)
{
    if (fd < 0 || !fn)
        return -EINVAL;
    int rc = s_fds_reserve(self, fd);
    if (rc)
        return rc;
    s_fd_t *rec = &self->fds[fd];
    if (rec->active)
        return -EEXIST;
    rec->gen++;
    struct epoll_event ev = {.events = events};
    ev.data.u64 = (uint64_t)(uint32_t)fd | (uint64_t)rec->gen << 32;
    if (epoll_ctl(self->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
        return -errno;
    rec->fn = fn;
    rec->arg = arg;
    rec->events = events;
    rec->active = true;
    return 0;
}

int cc_loop_fd_modify(cc_loop_t *self, int fd, uint32_t events)
{
    if (fd < 0 || fd >= self->fds_cap || !self->fds[fd].active)
        return -ENOENT;
    s_fd_t *rec = &self->fds[fd];
    struct epoll_event ev = {.events = events};
    ev.data.u64 = (uint64_t)(uint32_t)fd | (uint64_t)rec->gen << 32;
    if (epoll_ctl(self->epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
        return -errno;
    rec->events = events;
    return 0;
}

int cc_loop_fd_remove(cc_loop_t *self, int fd)
{
    if (fd < 0 || fd >= self->fds_cap || !self->fds[fd].active)
        return -ENOENT;
    /* The owner may have closed the fd already (EBADF): the registration goes anyway. */
    epoll_ctl(self->epfd, EPOLL_CTL_DEL, fd, NULL);
    self->fds[fd].active = false;
    self->fds[fd].fn = NULL;
    self->fds[fd].arg = NULL;
    return 0;
}

/* ---- timers ----------------------------------------------------------------------- */

static bool s_timer_before(const cc_loop_t *self, int a, int b)
{
    const s_timer_t *ta = &self->timers[a], *tb = &self->timers[b];
    if (ta->due_us != tb->due_us)
        return ta->due_us < tb->due_us;
    return ta->seq < tb->seq;
}

static void s_heap_set(cc_loop_t *self, int pos, int slot)
{
    self->heap[pos] = slot;
    self->timers[slot].heap_idx = pos;
}

static void s_heap_up(cc_loop_t *self, int pos)
{
    int slot = self->heap[pos];
    while (pos > 0) {
        int parent = (pos - 1) / 2;
        if (!s_timer_before(self, slot, self->heap[parent]))
            break;
        s_heap_set(self, pos, self->heap[parent]);
        pos = parent;
    }
    s_heap_set(self, pos, slot);
}

static void s_heap_down(cc_loop_t *self, int pos)
{
    int slot = self->heap[pos];
    for (;;) {
        int child = 2 * pos + 1;
        if (child >= self->heap_len)
            break;
        if (child + 1 < self->heap_len &&
            s_timer_before(self, self->heap[child + 1], self->heap[child]))
            child++;
        if (!s_timer_before(self, self->heap[child], slot))
            break;
        s_heap_set(self, pos, self->heap[child]);
        pos = child;
    }
    s_heap_set(self, pos, slot);
}

static void s_heap_remove(cc_loop_t *self, int slot)
{
    int pos = self->timers[slot].heap_idx;
    int last = self->heap[--self->heap_len];
    self->timers[slot].heap_idx = -1;
    if (pos == self->heap_len)
        return;
    s_heap_set(self, pos, last);
    s_heap_up(self, pos);
    s_heap_down(self, self->timers[last].heap_idx);
}

static void s_heap_push(cc_loop_t *self, int slot)
{
    self->timers[slot].seq = self->timer_seq++;
    self->heap[self->heap_len] = slot;
    self->timers[slot].heap_idx = self->heap_len;
    self->heap_len++;
    s_heap_up(self, self->heap_len - 1);
}

static int s_timer_slot_alloc(cc_loop_t *self)
{
    if (self->free_timer < 0) {
        int old = self->timers_cap;
        int cap = old ? old * 2 : 32;
        if (cap > S_SLOT_MASK)
            cap = S_SLOT_MASK;
        if (cap <= old)
            return -ENOSPC;
        s_timer_t *timers = realloc(self->timers, (size_t)cap * sizeof *timers);
        if (!timers)
            return -ENOMEM;
        self->timers = timers;
        int *heap = realloc(self->heap, (size_t)cap * sizeof *heap);
        if (!heap)
            return -ENOMEM;
        self->heap = heap;
        for (int i = cap - 1; i >= old; i--) {
            timers[i] = (s_timer_t){.heap_idx = -1, .gen = 0, .next_free = self->free_timer};
            self->free_timer = i;
        }
        self->timers_cap = cap;
    }
    int slot = self->free_timer;
    self->free_timer = self->timers[slot].next_free;
    return slot;
}

static void s_timer_slot_free(cc_loop_t *self, int slot)
{
    s_timer_t *t = &self->timers[slot];
    t->fn = NULL;
    t->arg = NULL;
    t->heap_idx = -1;
    t->next_free = self->free_timer;
    self->free_timer = slot;
}

static int s_timer_id(const cc_loop_t *self, int slot)
{
    return self->timers[slot].gen << S_SLOT_BITS | slot;
}

int cc_loop_timer_add(cc_loop_t *self, uint64_t delay_ms, uint64_t interval_ms,
                      cc_loop_timer_fn *fn, void *arg)
{
    if (!fn)
        return -EINVAL;
    int slot = s_timer_slot_alloc(self);
    if (slot < 0)
        return slot;
    s_timer_t *t = &self->timers[slot];
    t->gen = t->gen >= S_GEN_MAX ? 1 : t->gen + 1;
    t->due_us = cc_mono_us() + delay_ms * 1000u;
    t->interval_us = interval_ms * 1000u;
    t->fn = fn;
    t->arg = arg;
    s_heap_push(self, slot);
    return s_timer_id(self, slot);
}

void cc_loop_timer_cancel(cc_loop_t *self, int timer_id)
{
    if (timer_id <= 0)
        return;
    int slot = timer_id & S_SLOT_MASK;
    if (slot >= self->timers_cap)
        return;
    s_timer_t *t = &self->timers[slot];
    if (t->heap_idx < 0 || s_timer_id(self, slot) != timer_id)
        return;
    s_heap_remove(self, slot);
    s_timer_slot_free(self, slot);
}

/* Fire what is due. Timers added or rescheduled during this pass get a later seq and
 * wait for the next pass, so a callback re-arming itself at 0 ms cannot starve the fds. */
static int s_timers_dispatch(cc_loop_t *self, uint64_t now)
{
    uint64_t pass_seq = self->timer_seq;
    int fired = 0;
    while (self->heap_len > 0) {
        int slot = self->heap[0];
        s_timer_t *t = &self->timers[slot];
        if (t->due_us > now || t->seq >= pass_seq)
            break;
        int id = s_timer_id(self, slot);
        cc_loop_timer_fn *fn = t->fn;
        void *arg = t->arg;
        s_heap_remove(self, slot);
        if (t->interval_us) {
            t->due_us += t->interval_us;
            if (t->due_us <= now) /* we fell behind: skip missed ticks, no burst */
                t->due_us = now + t->interval_us;
            s_heap_push(self, slot);
        } else {
            s_timer_slot_free(self, slot);
        }
        fn(self, id, arg);
        fired++;
    }
    return fired;
}

/* Milliseconds until the first timer is due (rounded up), or -1 with none. Reads the
 * clock only when there is a timer. */
static int s_next_timeout_ms(const cc_loop_t *self)
{
    if (self->heap_len == 0)
        return -1;
    uint64_t due = self->timers[self->heap[0]].due_us;
    uint64_t now = cc_mono_us();
    if (due <= now)
        return 0;
    uint64_t ms = (due - now + 999) / 1000;
    return ms > 24 * 3600 * 1000 ? 24 * 3600 * 1000 : (int)ms;
}

/* ---- prepare hooks ---------------------------------------------------------------- */

int cc_loop_prepare_add(cc_loop_t *self, cc_loop_prepare_fn *fn, void *arg)
{
    if (!fn)
        return -EINVAL;
    if (self->prepares_len == self->prepares_cap) {
        int cap = self->prepares_cap ? self->prepares_cap * 2 : 4;
        s_prepare_t *grown = realloc(self->prepares, (size_t)cap * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        self->prepares = grown;
        self->prepares_cap = cap;
    }
    self->prepares[self->prepares_len++] = (s_prepare_t){fn, arg};
    return 0;
}

/* Hooks are few (one per bus) and removed only at teardown: a linear search is fine. */
void cc_loop_prepare_remove(cc_loop_t *self, cc_loop_prepare_fn *fn, void *arg)
{
    for (int i = 0; i < self->prepares_len; i++) {
        if (self->prepares[i].fn == fn && self->prepares[i].arg == arg) {
            self->prepares[i] = self->prepares[--self->prepares_len];
            return;
        }
    }
}

static bool s_prepare_run(cc_loop_t *self)
{
    bool worked = false;
    self->fds_idle_by = -1;
    /* Index, not pointer: a hook may add hooks (and grow the array). */
    for (int i = 0; i < self->prepares_len; i++) {
        self->prepare_running = i;
        if (self->prepares[i].fn(self, self->prepares[i].arg))
            worked = true;
    }
    self->prepare_running = -1;
    return worked;
}

void cc_loop_fds_seen_idle(cc_loop_t *self)
{
    self->fds_idle_by = self->prepare_running;
}

/* Whether this iteration may skip epoll: it would not sleep anyway, and the last hook
 * (none ran after it that could have made a watched fd ready) saw nothing ready. */
static bool s_fds_known_idle(const cc_loop_t *self, int timeout_ms)
{
    return timeout_ms == 0 && self->fds_idle_by >= 0 && self->fds_idle_by == self->prepares_len - 1;
}

/* ---- signals ---------------------------------------------------------------------- */

static const char *s_signal_name(int signo)
{
    switch (signo) {
    case SIGTERM:
        return "SIGTERM";
    case SIGINT:
        return "SIGINT";
    case SIGHUP:
        return "SIGHUP";
    default:
        return "?";
    }
}

static void s_on_signalfd(cc_loop_t *self, int fd, uint32_t events, void *arg)
{
    (void)events;
    (void)arg;
    struct signalfd_siginfo info;
    while (read(fd, &info, sizeof info) == (ssize_t)sizeof info) {
        int signo = (int)info.ssi_signo;
        if (self->sig_fn) {
            self->sig_fn(self, signo, self->sig_arg);
        } else if (signo == SIGHUP) {
            cc_info("loop.signal_ignored", "signal=%s", s_signal_name(signo));
        } else {
            cc_info("loop.signal_stop", "signal=%s", s_signal_name(signo));
            cc_loop_stop(self);
        }
        if (self->sigfd != fd)
            break; /* the handler tore the signal registration down */
    }
}

int cc_loop_signals(cc_loop_t *self, cc_loop_signal_fn *fn, void *arg)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    /* A peer closing a socket must be an EPIPE from write(), never a process exit. */
    signal(SIGPIPE, SIG_IGN);
    int rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (rc)
        return -rc;
    self->sig_fn = fn;
    self->sig_arg = arg;
    if (self->sigfd >= 0)
        return 0;
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    rc = cc_loop_fd_add(self, fd, EPOLLIN, s_on_signalfd, NULL);
    if (rc) {
        close(fd);
        return rc;
    }
    self->sigfd = fd;
    return 0;
}

/* ---- running ---------------------------------------------------------------------- */

/* With a wake interval: a wait that would sleep, this soon after the last wake-up that
 * brought work, first sleeps out the rest of the interval (no longer than timeout_ms),
 * then only looks. Returns the timeout for the wait. What became ready meanwhile is then
 * taken in one batch; an idle loop is not affected, since only wake-ups that found
 * something count, so it still sleeps until work or a timer comes. */
static int s_sleep_out_interval(cc_loop_t *self, int timeout_ms)
{
    uint64_t now = cc_mono_us();
    uint64_t until = self->woke_busy_us + self->wake_interval_us;
    if (now >= until)
        return timeout_ms;
    uint64_t rest_us = until - now;
    if (timeout_ms >= 0 && (uint64_t)timeout_ms * 1000 < rest_us)
        rest_us = (uint64_t)timeout_ms * 1000;
    struct timespec ts = {.tv_sec = (time_t)(rest_us / 1000000),
                          .tv_nsec = (long)(rest_us % 1000000) * 1000};
    nanosleep(&ts, NULL); /* a signal cutting it short just means an earlier look */
    return 0;
}

int cc_loop_run_once(cc_loop_t *self, int timeout_ms)
{
    struct epoll_event events[S_MAX_EVENTS];

    if (s_prepare_run(self))
        timeout_ms = 0;
    if (timeout_ms != 0) { /* no clock read when the wait does not sleep anyway */
        int next = s_next_timeout_ms(self);
        if (next >= 0 && (timeout_ms < 0 || next < timeout_ms))
            timeout_ms = next;
        if (self->wake_interval_us && timeout_ms != 0)
            timeout_ms = s_sleep_out_interval(self, timeout_ms);
    }

    int n = s_fds_known_idle(self, timeout_ms)
                ? 0
                : epoll_wait(self->epfd, events, S_MAX_EVENTS, timeout_ms);
    /* One clock read per wake-up: the callbacks of this batch and the timer pass share
     * it (cc_loop_now_us), instead of reading the clock per event. */
    self->now_us = cc_mono_us();
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        return -errno;
    }
    if (n > 0)
        self->woke_busy_us = self->now_us;
    for (int i = 0; i < n; i++) {
        int fd = (int)(uint32_t)events[i].data.u64;
        uint32_t gen = (uint32_t)(events[i].data.u64 >> 32);
        /* Removed (or removed and re-added) by an earlier callback of this batch. */
        if (fd >= self->fds_cap || !self->fds[fd].active || self->fds[fd].gen != gen)
            continue;
        self->fds[fd].fn(self, fd, events[i].events, self->fds[fd].arg);
    }
    s_timers_dispatch(self, self->now_us);
    return 0;
}

int cc_loop_run(cc_loop_t *self)
{
    while (!self->stopping) {
        int rc = cc_loop_run_once(self, -1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void cc_loop_set_wake_interval(cc_loop_t *self, uint64_t interval_us)
{
    self->wake_interval_us = interval_us;
}

void cc_loop_stop(cc_loop_t *self)
{
    self->stopping = true;
}

bool cc_loop_stopping(const cc_loop_t *self)
{
    return self->stopping;
}

int cc_loop_fd(const cc_loop_t *self)
{
    return self->epfd;
}

uint64_t cc_loop_now_us(const cc_loop_t *self)
{
    return self->now_us;
}

int cc_loop_next_timeout_ms(const cc_loop_t *self)
{
    return s_next_timeout_ms(self);
}
