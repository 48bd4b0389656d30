/* sp_throttle.h - per-source-address limit on failed authentications. Pure: the caller
 * passes the time in; no sockets, no clock. A source that failed more than `limit` times
 * inside one window is refused without checking credentials until the window ends; other
 * sources are unaffected. Bounded memory: at most `capacity` addresses are tracked; a new
 * one then evicts the address whose window started longest ago (an ended window first). */
#ifndef SP_THROTTLE_H
#define SP_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sp_throttle sp_throttle_t;

/* limit failures per window_ms per address; capacity: addresses tracked at once. */
sp_throttle_t *sp_throttle_new(int limit, uint64_t window_ms, int capacity);
void sp_throttle_destroy(sp_throttle_t **self_p);

/* True when requests from addr must be refused now. *first_in_window (may be NULL) is
 * set true exactly once per window per address, when it first becomes blocked: log then. */
bool sp_throttle_blocked(sp_throttle_t *self, const char *addr, uint64_t now_ms,
                         bool *first_in_window);
/* Record one failed authentication from addr. */
void sp_throttle_fail(sp_throttle_t *self, const char *addr, uint64_t now_ms);
/* Addresses currently blocked (for status). */
int sp_throttle_blocked_count(const sp_throttle_t *self, uint64_t now_ms);

#endif
