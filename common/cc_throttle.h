/* cc_throttle.h - per-key limit on failed authentications (sipproxy: per source address;
 * ivrd: per mailbox, for voicemail PINs). Pure: the caller passes the time in; no
 * sockets, no clock. A source that failed more than `limit` times
 * inside one window is refused without checking credentials until the window ends; other
 * sources are unaffected. Bounded memory: at most `capacity` addresses are tracked; a new
 * one then evicts the address whose window started longest ago (an ended window first). */
#ifndef CC_THROTTLE_H
#define CC_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cc_throttle cc_throttle_t;

/* limit failures per window_ms per address; capacity: addresses tracked at once. */
cc_throttle_t *cc_throttle_new(int limit, uint64_t window_ms, int capacity);
void cc_throttle_destroy(cc_throttle_t **self_p);

/* True when requests from addr must be refused now. *first_in_window (may be NULL) is
 * set true exactly once per window per address, when it first becomes blocked: log then. */
bool cc_throttle_blocked(cc_throttle_t *self, const char *addr, uint64_t now_ms,
                         bool *first_in_window);
/* Record one failed authentication from addr. */
void cc_throttle_fail(cc_throttle_t *self, const char *addr, uint64_t now_ms);
/* Addresses currently blocked (for status). */
int cc_throttle_blocked_count(const cc_throttle_t *self, uint64_t now_ms);

#endif
