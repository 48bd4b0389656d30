/* cc_loop_test.c - unit tests of the event loop: timer order, periodic timers, cancel
 * (also from inside callbacks), fd readiness on pipes, prepare hooks, removal of fds during
 * dispatch, signals through the signalfd, and the wake interval. Timers are short (a few
 * ms); the wake interval test takes about half a second. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cc_loop.h"
#include "cc_test.h"

/* Runs the loop until *done or deadline_ms passes. */
static void s_run_until(cc_loop_t *loop, const int *done, uint64_t deadline_ms)
{
    uint64_t end = cc_mono_ms() + deadline_ms;
    while (!*done && cc_mono_ms() < end)
        cc_loop_run_once(loop, 10);
}

typedef struct {
    int order[16];
    int count;
    int done;
    int expect;
} s_record_t;

typedef struct {
    s_record_t *rec;
    int tag;
} s_tagged_t;

static void s_tag_timer(cc_loop_t *loop, int id, void *arg)
{
    (void)loop;
    (void)id;
    s_tagged_t *t = arg;
    if (t->rec->count < 16)
        t->rec->order[t->rec->count] = t->tag;
    t->rec->count++;
    if (t->rec->count == t->rec->expect)
        t->rec->done = 1;
}

CC_TEST(loop_timers_fire_in_order)
{
    cc_loop_t *loop = cc_loop_new();
    CC_CHECK(loop);
    s_record_t rec = {.expect = 5};
    s_tagged_t tags[5] = {{&rec, 30}, {&rec, 10}, {&rec, 20}, {&rec, 11}, {&rec, 0}};
    uint64_t delays[5] = {30, 10, 20, 10, 0};
    uint64_t start = cc_mono_ms();
    for (int i = 0; i < 5; i++)
        CC_CHECK(cc_loop_timer_add(loop, delays[i], 0, s_tag_timer, &tags[i]) > 0);
    s_run_until(loop, &rec.done, 1000);
    uint64_t took = cc_mono_ms() - start;
    cc_loop_destroy(&loop);
    CC_CHECK(loop == NULL);
    CC_CHECK_INT(rec.count, 5);
    CC_CHECK_INT(rec.order[0], 0);
    CC_CHECK_INT(rec.order[1], 10); /* equal deadlines: first added first */
    CC_CHECK_INT(rec.order[2], 11);
    CC_CHECK_INT(rec.order[3], 20);
    CC_CHECK_INT(rec.order[4], 30);
    CC_CHECK(took >= 30);
    CC_CHECK(took < 500);
}

typedef struct {
    int fired;
    int stop_after;
    uint64_t times[8];
    int done;
} s_periodic_t;

static void s_periodic(cc_loop_t *loop, int id, void *arg)
{
    s_periodic_t *p = arg;
    if (p->fired < 8)
        p->times[p->fired] = cc_mono_ms();
    p->fired++;
    if (p->fired == p->stop_after) {
        cc_loop_timer_cancel(loop, id); /* a periodic timer may cancel itself */
        p->done = 1;
    }
}

CC_TEST(loop_periodic_timer)
{
    cc_loop_t *loop = cc_loop_new();
    s_periodic_t p = {.stop_after = 4};
    uint64_t start = cc_mono_ms();
    int id = cc_loop_timer_add(loop, 5, 10, s_periodic, &p);
    CC_CHECK(id > 0);
    s_run_until(loop, &p.done, 1000);
    /* Once cancelled it stays quiet. */
    int never = 0;
    s_run_until(loop, &never, 40);
    cc_loop_destroy(&loop);
    CC_CHECK_INT(p.fired, 4);
    CC_CHECK(p.times[3] - start < 400);
    /* Ticks keep their schedule, start + 5 + 10k: never early, and a late tick does not
     * shift the later ones (so no lower bound between two ticks: on a loaded machine a late
     * first tick is followed closely by the second). */
    for (int k = 0; k < 4; k++)
        CC_CHECK(p.times[k] - start >= (uint64_t)(5 + 10 * k));
}

CC_TEST(loop_timer_cancel)
{
    cc_loop_t *loop = cc_loop_new();
    s_record_t rec = {.expect = 2};
    s_tagged_t a = {&rec, 1}, b = {&rec, 2}, c = {&rec, 3};
    int ida = cc_loop_timer_add(loop, 5, 0, s_tag_timer, &a);
    int idb = cc_loop_timer_add(loop, 6, 0, s_tag_timer, &b);
    int idc = cc_loop_timer_add(loop, 7, 0, s_tag_timer, &c);
    CC_CHECK(ida > 0 && idb > 0 && idc > 0 && ida != idb && idb != idc);
    cc_loop_timer_cancel(loop, idb);
    cc_loop_timer_cancel(loop, idb); /* twice: no-op */
    cc_loop_timer_cancel(loop, 0);   /* unknown ids: no-op */
    cc_loop_timer_cancel(loop, 123456789);
    s_run_until(loop, &rec.done, 1000);
    /* A fired one-shot id is dead: cancelling it must not hit the slot's next timer. */
    s_record_t rec2 = {.expect = 1};
    s_tagged_t d = {&rec2, 4};
    int idd = cc_loop_timer_add(loop, 1, 0, s_tag_timer, &d);
    cc_loop_timer_cancel(loop, ida);
    cc_loop_timer_cancel(loop, idc);
    s_run_until(loop, &rec2.done, 1000);
    cc_loop_destroy(&loop);
    CC_CHECK(idd > 0 && idd != ida && idd != idc);
    CC_CHECK_INT(rec.count, 2);
    CC_CHECK_INT(rec.order[0], 1);
    CC_CHECK_INT(rec.order[1], 3);
    CC_CHECK_INT(rec2.count, 1);
}

/* Many timers with random-ish deadlines and cancels: the heap keeps its order. */
typedef struct {
    uint64_t last_due;
    int fired;
    int out_of_order;
} s_heap_check_t;

static uint64_t s_due[200];

static void s_heap_timer(cc_loop_t *loop, int id, void *arg)
{
    (void)loop;
    s_heap_check_t *h = arg;
    (void)id;
    h->fired++;
    (void)h;
}

CC_TEST(loop_many_timers_and_cancels)
{
    cc_loop_t *loop = cc_loop_new();
    s_heap_check_t h = {0};
    int ids[200];
    unsigned seed = 12345;
    for (int i = 0; i < 200; i++) {
        seed = seed * 1103515245u + 12345u;
        s_due[i] = (seed >> 16) % 30;
        ids[i] = cc_loop_timer_add(loop, s_due[i], 0, s_heap_timer, &h);
        CC_CHECK(ids[i] > 0);
    }
    int cancelled = 0;
    for (int i = 0; i < 200; i += 3) {
        cc_loop_timer_cancel(loop, ids[i]);
        cancelled++;
    }
    uint64_t end = cc_mono_ms() + 1000;
    while (h.fired < 200 - cancelled && cc_mono_ms() < end)
        cc_loop_run_once(loop, 10);
    int never = 0;
    s_run_until(loop, &never, 10);
    cc_loop_destroy(&loop);
    CC_CHECK_INT(h.fired, 200 - cancelled);
}

/* ---- timers changing timers during dispatch --------------------------------------- */

typedef struct {
    cc_loop_t *loop;
    int victim;
    int victim_fired;
    int killer_fired;
    int child_fired;
    int child_fired_in_same_pass;
    int in_killer;
} s_meddle_t;

static void s_victim(cc_loop_t *loop, int id, void *arg)
{
    (void)loop;
    (void)id;
    ((s_meddle_t *)arg)->victim_fired++;
}

static void s_child(cc_loop_t *loop, int id, void *arg)
{
    (void)loop;
    (void)id;
    s_meddle_t *m = arg;
    m->child_fired++;
    if (m->in_killer)
        m->child_fired_in_same_pass = 1;
}

static void s_killer(cc_loop_t *loop, int id, void *arg)
{
    (void)id;
    s_meddle_t *m = arg;
    m->killer_fired++;
    m->in_killer = 1;
    cc_loop_timer_cancel(loop, m->victim);     /* due in the same pass */
    cc_loop_timer_add(loop, 0, 0, s_child, m); /* not in this pass */
    m->in_killer = 0;
}

CC_TEST(loop_timer_callbacks_change_timers)
{
    cc_loop_t *loop = cc_loop_new();
    s_meddle_t m = {.loop = loop};
    CC_CHECK(cc_loop_timer_add(loop, 2, 0, s_killer, &m) > 0);
    m.victim = cc_loop_timer_add(loop, 2, 0, s_victim, &m);
    CC_CHECK(m.victim > 0);
    usleep(5000); /* both due before the first dispatch */
    cc_loop_run_once(loop, 0);
    int after_first = m.child_fired;
    int done = 0;
    uint64_t end = cc_mono_ms() + 500;
    while (!m.child_fired && cc_mono_ms() < end)
        cc_loop_run_once(loop, 10);
    (void)done;
    cc_loop_destroy(&loop);
    CC_CHECK_INT(m.killer_fired, 1);
    CC_CHECK_INT(m.victim_fired, 0);
    CC_CHECK_INT(after_first, 0);
    CC_CHECK_INT(m.child_fired, 1);
    CC_CHECK_INT(m.child_fired_in_same_pass, 0);
}

/* ---- fds -------------------------------------------------------------------------- */

typedef struct {
    int calls;
    uint32_t events;
    char got[16];
    int done;
} s_reader_t;

static void s_read_fd(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    s_reader_t *r = arg;
    r->calls++;
    r->events = events;
    ssize_t n = read(fd, r->got, sizeof r->got - 1);
    r->got[n > 0 ? n : 0] = '\0';
    r->done = 1;
}

CC_TEST(loop_fd_readiness)
{
    cc_loop_t *loop = cc_loop_new();
    int p[2];
    CC_CHECK_INT(pipe(p), 0);
    s_reader_t r = {0};
    CC_CHECK_INT(cc_loop_fd_add(loop, p[0], EPOLLIN, s_read_fd, &r), 0);
    CC_CHECK_INT(cc_loop_fd_add(loop, p[0], EPOLLIN, s_read_fd, &r), -EEXIST);
    CC_CHECK_INT(cc_loop_fd_add(loop, -1, EPOLLIN, s_read_fd, &r), -EINVAL);
    /* Nothing to read: the wait times out without a call. */
    uint64_t t0 = cc_mono_ms();
    cc_loop_run_once(loop, 20);
    uint64_t waited = cc_mono_ms() - t0;
    int calls_idle = r.calls;
    CC_CHECK(write(p[1], "hello", 5) == 5);
    s_run_until(loop, &r.done, 1000);
    int calls_after = r.calls;
    /* Modify to no events: data written is not reported. */
    CC_CHECK_INT(cc_loop_fd_modify(loop, p[0], 0), 0);
    r.done = 0;
    CC_CHECK(write(p[1], "x", 1) == 1);
    cc_loop_run_once(loop, 10);
    int calls_muted = r.calls;
    CC_CHECK_INT(cc_loop_fd_remove(loop, p[0]), 0);
    CC_CHECK_INT(cc_loop_fd_remove(loop, p[0]), -ENOENT);
    CC_CHECK_INT(cc_loop_fd_modify(loop, p[0], EPOLLIN), -ENOENT);
    cc_loop_destroy(&loop);
    close(p[0]);
    close(p[1]);
    CC_CHECK_INT(calls_idle, 0);
    CC_CHECK(waited >= 15);
    CC_CHECK_INT(calls_after, 1);
    CC_CHECK(r.events & EPOLLIN);
    CC_CHECK_STR(r.got, "hello");
    CC_CHECK_INT(calls_muted, 1);
}

CC_TEST(loop_high_fd_numbers)
{
    /* The table grows to whatever fd number the kernel hands out. */
    cc_loop_t *loop = cc_loop_new();
    int p[2];
    CC_CHECK_INT(pipe(p), 0);
    int high = dup2(p[0], 700);
    CC_CHECK_INT(high, 700);
    s_reader_t r = {0};
    CC_CHECK_INT(cc_loop_fd_add(loop, high, EPOLLIN, s_read_fd, &r), 0);
    CC_CHECK(write(p[1], "hi", 2) == 2);
    s_run_until(loop, &r.done, 1000);
    cc_loop_fd_remove(loop, high);
    cc_loop_destroy(&loop);
    close(high);
    close(p[0]);
    close(p[1]);
    CC_CHECK_STR(r.got, "hi");
}

typedef struct {
    int pipes[3][2];
    int calls[3];
    int remove_others; /* first callback to run removes the other two fds */
    int remove_self;
    cc_loop_t *loop;
} s_removal_t;

static void s_removing_reader(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)events;
    s_removal_t *s = arg;
    int me = -1;
    for (int i = 0; i < 3; i++)
        if (s->pipes[i][0] == fd)
            me = i;
    s->calls[me]++;
    char buf[8];
    if (read(fd, buf, sizeof buf) < 0)
        return;
    if (s->remove_others) {
        s->remove_others = 0;
        for (int i = 0; i < 3; i++)
            if (i != me)
                cc_loop_fd_remove(loop, s->pipes[i][0]);
    }
    if (s->remove_self)
        cc_loop_fd_remove(loop, fd);
}

CC_TEST(loop_fd_removal_during_dispatch)
{
    cc_loop_t *loop = cc_loop_new();
    s_removal_t s = {.remove_others = 1, .loop = loop};
    for (int i = 0; i < 3; i++) {
        CC_CHECK_INT(pipe(s.pipes[i]), 0);
        CC_CHECK_INT(cc_loop_fd_add(loop, s.pipes[i][0], EPOLLIN, s_removing_reader, &s), 0);
        CC_CHECK(write(s.pipes[i][1], "x", 1) == 1);
    }
    /* All three are ready in the same wait; whoever runs first removes the others, whose
     * already-collected events must not be delivered. */
    cc_loop_run_once(loop, 100);
    int total = s.calls[0] + s.calls[1] + s.calls[2];
    /* Self-removal: the remaining fd removes itself and is not called again. */
    int survivor = -1;
    for (int i = 0; i < 3; i++)
        if (s.calls[i])
            survivor = i;
    s.remove_self = 1;
    CC_CHECK(survivor >= 0);
    CC_CHECK(write(s.pipes[survivor][1], "y", 1) == 1);
    cc_loop_run_once(loop, 100);
    CC_CHECK(write(s.pipes[survivor][1], "z", 1) == 1);
    cc_loop_run_once(loop, 10);
    int survivor_calls = s.calls[survivor];
    cc_loop_destroy(&loop);
    for (int i = 0; i < 3; i++) {
        close(s.pipes[i][0]);
        close(s.pipes[i][1]);
    }
    CC_CHECK_INT(total, 1);
    CC_CHECK_INT(survivor_calls, 2);
}

/* Removing an fd and adding a new registration on the same number in one batch: the
 * old event must not reach the new callback. */
typedef struct {
    int a[2], b[2];
    int a_calls, b_calls, new_calls;
} s_reuse_t;

static void s_reuse_new(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    ((s_reuse_t *)arg)->new_calls++;
}

static void s_reuse_cb(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)events;
    s_reuse_t *s = arg;
    int other = fd == s->a[0] ? s->b[0] : s->a[0];
    if (fd == s->a[0])
        s->a_calls++;
    else
        s->b_calls++;
    char buf[4];
    if (read(fd, buf, sizeof buf) < 0)
        return;
    /* Re-register the other fd with a new callback; its pending event is stale. */
    cc_loop_fd_remove(loop, other);
    cc_loop_fd_add(loop, other, EPOLLIN, s_reuse_new, s);
    /* Drain it so the new registration has nothing to report. */
    if (read(other, buf, sizeof buf) < 0)
        return;
    cc_loop_fd_remove(loop, fd);
}

CC_TEST(loop_fd_reregistered_during_dispatch)
{
    cc_loop_t *loop = cc_loop_new();
    s_reuse_t s = {0};
    CC_CHECK_INT(pipe(s.a), 0);
    CC_CHECK_INT(pipe(s.b), 0);
    CC_CHECK_INT(cc_loop_fd_add(loop, s.a[0], EPOLLIN, s_reuse_cb, &s), 0);
    CC_CHECK_INT(cc_loop_fd_add(loop, s.b[0], EPOLLIN, s_reuse_cb, &s), 0);
    CC_CHECK(write(s.a[1], "x", 1) == 1);
    CC_CHECK(write(s.b[1], "x", 1) == 1);
    cc_loop_run_once(loop, 100);
    cc_loop_run_once(loop, 10);
    cc_loop_destroy(&loop);
    close(s.a[0]);
    close(s.a[1]);
    close(s.b[0]);
    close(s.b[1]);
    CC_CHECK_INT(s.a_calls + s.b_calls, 1);
    CC_CHECK_INT(s.new_calls, 0);
}

/* ---- prepare hooks ---------------------------------------------------------------- */

typedef struct {
    int runs;
    int work_left;
} s_prep_t;

static bool s_prepare(cc_loop_t *loop, void *arg)
{
    (void)loop;
    s_prep_t *p = arg;
    p->runs++;
    if (p->work_left > 0) {
        p->work_left--;
        return true;
    }
    return false;
}

CC_TEST(loop_prepare_hook)
{
    cc_loop_t *loop = cc_loop_new();
    s_prep_t p = {.work_left = 3};
    CC_CHECK_INT(cc_loop_prepare_add(loop, s_prepare, &p), 0);
    /* While the hook reports work, a run_once with a long timeout returns at once. */
    uint64_t t0 = cc_mono_ms();
    for (int i = 0; i < 3; i++)
        cc_loop_run_once(loop, 1000);
    uint64_t busy = cc_mono_ms() - t0;
    /* Without work it waits for the timeout. */
    t0 = cc_mono_ms();
    cc_loop_run_once(loop, 20);
    uint64_t idle = cc_mono_ms() - t0;
    cc_loop_destroy(&loop);
    CC_CHECK_INT(p.runs, 4);
    CC_CHECK(busy < 200);
    CC_CHECK(idle >= 15);
}

/* A hook standing in for sipproxy's: it "slept on the loop's fd" and says whether it saw
 * it idle; a second hook may run after it. */
typedef struct {
    bool say_idle;
} s_idle_hook_t;

static bool s_idle_prepare(cc_loop_t *loop, void *arg)
{
    s_idle_hook_t *h = arg;
    if (h->say_idle)
        cc_loop_fds_seen_idle(loop);
    return true;
}

static bool s_plain_prepare(cc_loop_t *loop, void *arg)
{
    (void)loop, (void)arg;
    return false;
}

static void s_count_timer(cc_loop_t *loop, int id, void *arg)
{
    (void)loop, (void)id;
    (*(int *)arg)++;
}

CC_TEST(loop_fds_seen_idle_skips_one_poll)
{
    cc_loop_t *loop = cc_loop_new();
    int p[2];
    CC_CHECK_INT(pipe(p), 0);
    s_reader_t r = {0};
    s_idle_hook_t h = {.say_idle = true};
    int fired = 0;
    CC_CHECK_INT(cc_loop_fd_add(loop, p[0], EPOLLIN, s_read_fd, &r), 0);
    CC_CHECK_INT(cc_loop_prepare_add(loop, s_idle_prepare, &h), 0);
    CC_CHECK(cc_loop_timer_add(loop, 0, 0, s_count_timer, &fired) > 0);
    CC_CHECK(write(p[1], "a", 1) == 1);
    /* The last hook said idle: the fd is not polled this time, the due timer still runs. */
    cc_loop_run_once(loop, 0);
    int calls_skipped = r.calls, fired_skipped = fired;
    /* Without the word, the ready fd is dispatched. */
    h.say_idle = false;
    cc_loop_run_once(loop, 0);
    int calls_polled = r.calls;
    /* A hook after the one that said idle could have made an fd ready: no skip. */
    h.say_idle = true;
    CC_CHECK(write(p[1], "b", 1) == 1);
    CC_CHECK_INT(cc_loop_prepare_add(loop, s_plain_prepare, NULL), 0);
    cc_loop_run_once(loop, 0);
    int calls_later_hook = r.calls;
    /* Said outside a hook: ignored. */
    cc_loop_prepare_remove(loop, s_idle_prepare, &h);
    cc_loop_fds_seen_idle(loop);
    CC_CHECK(write(p[1], "c", 1) == 1);
    cc_loop_run_once(loop, 0);
    int calls_outside = r.calls;
    cc_loop_destroy(&loop);
    close(p[0]);
    close(p[1]);
    CC_CHECK_INT(calls_skipped, 0);
    CC_CHECK_INT(fired_skipped, 1);
    CC_CHECK_INT(calls_polled, 1);
    CC_CHECK_INT(calls_later_hook, 2);
    CC_CHECK_INT(calls_outside, 3);
}

/* ---- stop and signals ------------------------------------------------------------- */

static void s_stop_timer(cc_loop_t *loop, int id, void *arg)
{
    (void)id;
    (*(int *)arg)++;
    cc_loop_stop(loop);
}

CC_TEST(loop_run_until_stop)
{
    cc_loop_t *loop = cc_loop_new();
    int fired = 0;
    CC_CHECK(cc_loop_timer_add(loop, 5, 0, s_stop_timer, &fired) > 0);
    CC_CHECK(!cc_loop_stopping(loop));
    int rc = cc_loop_run(loop);
    bool stopping = cc_loop_stopping(loop);
    cc_loop_destroy(&loop);
    cc_loop_destroy(&loop); /* NULL: no-op */
    CC_CHECK_INT(rc, 0);
    CC_CHECK_INT(fired, 1);
    CC_CHECK(stopping);
}

typedef struct {
    int signals[4];
    int count;
} s_sigrec_t;

static void s_on_signal(cc_loop_t *loop, int signo, void *arg)
{
    s_sigrec_t *s = arg;
    if (s->count < 4)
        s->signals[s->count] = signo;
    s->count++;
    if (signo == SIGTERM)
        cc_loop_stop(loop);
}

CC_TEST(loop_signals_through_signalfd)
{
    sigset_t old;
    pthread_sigmask(SIG_SETMASK, NULL, &old);
    cc_loop_t *loop = cc_loop_new();
    s_sigrec_t s = {{0}, 0};
    CC_CHECK_INT(cc_loop_signals(loop, s_on_signal, &s), 0);
    raise(SIGHUP);
    raise(SIGTERM);
    int rc = cc_loop_run(loop); /* returns once the SIGTERM handler stops it */
    cc_loop_destroy(&loop);
    /* Leave the test process as we found it (blocked signals would outlive the test). */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    CC_CHECK_INT(rc, 0);
    CC_CHECK_INT(s.count, 2);
    CC_CHECK_INT(s.signals[0], SIGHUP);
    CC_CHECK_INT(s.signals[1], SIGTERM);
}

CC_TEST(loop_clocks)
{
    uint64_t m1 = cc_mono_us();
    usleep(2000);
    uint64_t m2 = cc_mono_us();
    uint64_t wall = cc_wall_us();
    CC_CHECK(m2 - m1 >= 2000);
    CC_CHECK(cc_mono_ms() >= m2 / 1000);
    CC_CHECK(wall > 1700000000ULL * 1000000ULL); /* after 2023 */
}

typedef struct {
    uint64_t seen_us;
    int calls;
} s_now_t;

static void s_note_now(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)events;
    char c;
    s_now_t *n = arg;
    if (read(fd, &c, 1) == 1) {
        n->seen_us = cc_loop_now_us(loop);
        n->calls++;
    }
}

/* The wake-up's clock: read when the wait returned, shared by the batch, never ahead of
 * the real clock and never behind the moment the event was made ready. */
CC_TEST(loop_now_is_the_wakeup_time)
{
    cc_loop_t *loop = cc_loop_new();
    int p[2];
    CC_CHECK_INT(pipe(p), 0);
    s_now_t n = {0};
    CC_CHECK_INT(cc_loop_fd_add(loop, p[0], EPOLLIN, s_note_now, &n), 0);
    uint64_t created = cc_loop_now_us(loop);
    usleep(3000);
    uint64_t before = cc_mono_us();
    CC_CHECK(write(p[1], "x", 1) == 1);
    cc_loop_run_once(loop, 100);
    uint64_t after = cc_mono_us();
    /* an idle wait that times out still advances it */
    cc_loop_run_once(loop, 5);
    uint64_t idle = cc_loop_now_us(loop);
    cc_loop_destroy(&loop);
    close(p[0]);
    close(p[1]);
    CC_CHECK(created > 0);
    CC_CHECK_INT(n.calls, 1);
    CC_CHECK(n.seen_us >= before && n.seen_us <= after);
    CC_CHECK(idle >= after + 4000);
}

/* A wake interval: what arrives soon after a wake-up that found work waits out the rest of
 * the interval and comes in one batch with whatever else arrived; a timer due earlier ends
 * the wait on time; once the interval has passed, the next message is taken at once. Only
 * lower bounds of elapsed time are checked, or bounds with a margin of hundreds of ms. */
CC_TEST(loop_wake_interval_batches_what_arrives)
{
    cc_loop_t *loop = cc_loop_new();
    int p[2];
    CC_CHECK_INT(pipe(p), 0);
    s_reader_t r = {0};
    CC_CHECK_INT(cc_loop_fd_add(loop, p[0], EPOLLIN, s_read_fd, &r), 0);
    cc_loop_set_wake_interval(loop, 150 * 1000);

    /* the first message: no wake-up with work yet, so taken at once */
    CC_CHECK(write(p[1], "a", 1) == 1);
    cc_loop_run_once(loop, 1000);
    int first = r.calls;
    uint64_t woke = cc_loop_now_us(loop);
    /* two more right behind it: one batch, at the end of the interval */
    CC_CHECK(write(p[1], "b", 1) == 1);
    CC_CHECK(write(p[1], "c", 1) == 1);
    cc_loop_run_once(loop, 1000);
    uint64_t batch_at = cc_mono_us();
    int after_batch = r.calls;
    char batch[16];
    memcpy(batch, r.got, sizeof batch);

    /* a timer due before the interval ends fires on time, not at its end */
    s_record_t rec = {.expect = 1};
    s_tagged_t t = {&rec, 7};
    cc_loop_set_wake_interval(loop, 5 * 1000 * 1000);
    CC_CHECK(write(p[1], "d", 1) == 1);
    cc_loop_run_once(loop, 1000); /* the interval counts from here */
    uint64_t t0 = cc_mono_us();
    CC_CHECK(cc_loop_timer_add(loop, 20, 0, s_tag_timer, &t) > 0);
    s_run_until(loop, &rec.done, 3000);
    uint64_t timer_took = cc_mono_us() - t0;

    /* the interval passed: the next message is not held back */
    cc_loop_set_wake_interval(loop, 150 * 1000);
    usleep(200 * 1000);
    CC_CHECK(write(p[1], "e", 1) == 1);
    uint64_t t1 = cc_mono_us();
    cc_loop_run_once(loop, 1000);
    uint64_t prompt_took = cc_mono_us() - t1;
    cc_loop_destroy(&loop);
    close(p[0]);
    close(p[1]);

    CC_CHECK_INT(first, 1);
    CC_CHECK_INT(after_batch, 2);
    CC_CHECK_STR(batch, "bc");
    CC_CHECK(batch_at >= woke + 150 * 1000);
    CC_CHECK_INT(rec.done, 1);
    CC_CHECK(timer_took < 2 * 1000 * 1000);
    CC_CHECK_STR(r.got, "e");
    CC_CHECK(prompt_took < 120 * 1000);
}
