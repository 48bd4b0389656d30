/* cc_loop.h - the event loop of a daemon's main thread: epoll over file descriptors,
 * one-shot and periodic timers on a min-heap, prepare hooks run before every wait (the
 * bus drains its edge-triggered ZMQ_FDs there), and SIGTERM/SIGINT/SIGHUP taken through
 * a signalfd so handlers never run in signal context. No allocation per event. */
#ifndef CC_LOOP_H
#define CC_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

typedef struct cc_loop cc_loop_t;

/* fd readiness: `events` are the EPOLL* bits that fired. */
typedef void(cc_loop_fd_fn)(cc_loop_t *loop, int fd, uint32_t events, void *arg);
/* timer expiry: `timer_id` is the id cc_loop_timer_add returned. */
typedef void(cc_loop_timer_fn)(cc_loop_t *loop, int timer_id, void *arg);
/* prepare hook: run before every wait; returns true if it did work (then the loop does
 * not sleep on this iteration, so work produced by it is seen at once). */
typedef bool(cc_loop_prepare_fn)(cc_loop_t *loop, void *arg);
/* signal: SIGTERM, SIGINT or SIGHUP arrived. */
typedef void(cc_loop_signal_fn)(cc_loop_t *loop, int signo, void *arg);

cc_loop_t *cc_loop_new(void);
void cc_loop_destroy(cc_loop_t **self_p);

/* Watch fd (level-triggered unless EPOLLET is in events). One registration per fd.
 * Returns 0 or -errno. The fd stays the caller's: the loop never closes it. */
int cc_loop_fd_add(cc_loop_t *self, int fd, uint32_t events, cc_loop_fd_fn *fn, void *arg);
int cc_loop_fd_modify(cc_loop_t *self, int fd, uint32_t events);
int cc_loop_fd_remove(cc_loop_t *self, int fd);

/* Timer after delay_ms, then every interval_ms (0: once). Returns an id > 0 or -errno.
 * A one-shot timer's id is invalid after it fired; cancelling an unknown id is a no-op. */
int cc_loop_timer_add(cc_loop_t *self, uint64_t delay_ms, uint64_t interval_ms,
                      cc_loop_timer_fn *fn, void *arg);
void cc_loop_timer_cancel(cc_loop_t *self, int timer_id);

int cc_loop_prepare_add(cc_loop_t *self, cc_loop_prepare_fn *fn, void *arg);
/* Said by the last prepare hook of an iteration that has just slept on cc_loop_fd() in a
 * foreign loop and did not see it readable: nothing the loop watches was ready, so this
 * iteration does not ask epoll again (its timers still run). Saves sipproxy one system
 * call per SIP message; anything that becomes ready meanwhile wakes the next wait. */
void cc_loop_fds_seen_idle(cc_loop_t *self);
/* Remove a hook added with the same fn and arg (no-op if absent). */
void cc_loop_prepare_remove(cc_loop_t *self, cc_loop_prepare_fn *fn, void *arg);

/* Block SIGTERM/SIGINT/SIGHUP in this thread and deliver them through the loop. Without
 * a handler set, SIGTERM and SIGINT stop the loop and SIGHUP is logged and ignored. */
int cc_loop_signals(cc_loop_t *self, cc_loop_signal_fn *fn, void *arg);

/* Run until cc_loop_stop(). Returns 0, or -errno if epoll itself failed. */
int cc_loop_run(cc_loop_t *self);
/* Run at most one wait of up to timeout_ms and dispatch what is ready (tests, embedding). */
int cc_loop_run_once(cc_loop_t *self, int timeout_ms);
void cc_loop_stop(cc_loop_t *self);
/* Wake up at most once per interval_us (0, the default: at once). When a descriptor
 * becomes ready sooner after the last wake-up that found work, the loop first sleeps out
 * the rest of the interval and then takes everything that arrived in one batch. For a
 * daemon whose work is not latency-bound (cdrd) under a steady trickle of messages, each
 * wake-up of its thread, and of ZeroMQ's behind it, costs more than the message it brings.
 * Timers still fire on time (the sleep ends at the next one); an idle loop sleeps as
 * before, until work or a timer comes. */
void cc_loop_set_wake_interval(cc_loop_t *self, uint64_t interval_us);
/* The loop's epoll fd, readable whenever something the loop watches is ready: lets a
 * foreign loop (sofia's su_root) sleep on both at once, then call cc_loop_run_once(0). */
int cc_loop_fd(const cc_loop_t *self);
/* Milliseconds until the loop's next timer is due (0: overdue), -1 when it has none: how
 * long a foreign loop sleeping on cc_loop_fd() may wait before cc_loop_run_once(0). */
int cc_loop_next_timeout_ms(const cc_loop_t *self);
bool cc_loop_stopping(const cc_loop_t *self);
/* cc_mono_us() as read once when the current wait returned: what callbacks dispatched in
 * this batch may use instead of reading the clock per event (it lags the clock by the
 * time the batch has taken so far; the events themselves arrived before it). */
uint64_t cc_loop_now_us(const cc_loop_t *self);

/* Clocks. Monotonic for timing, wall clock (UTC, microseconds since 1970) for stamps. */
uint64_t cc_mono_ms(void);
uint64_t cc_mono_us(void);
uint64_t cc_wall_us(void);
/* A wall-clock time as the bus stamps events: "2026-11-21T13:17:03.123456Z" (buf >= 32). */
void cc_wall_format(char *buf, size_t len, uint64_t wall_us);

#endif
