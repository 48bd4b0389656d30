/* wd_throttle.h - failed-login throttling: per key (a user name, an address), the failures
 * within a fixed window; at the limit the key waits until the window has passed. Pure
 * (time passed in). */
#ifndef WD_THROTTLE_H
#define WD_THROTTLE_H

#include <stdint.h>

typedef struct wd_throttle wd_throttle_t;

wd_throttle_t *wd_throttle_new(int max_failures, int window_s);
void wd_throttle_destroy(wd_throttle_t **self_p);
/* Seconds until `key` may try again: 0 now. */
int wd_throttle_wait_s(wd_throttle_t *self, const char *key, int64_t now_us);
/* Count a failure (starts a window when none is open). */
void wd_throttle_fail(wd_throttle_t *self, const char *key, int64_t now_us);
/* Forget the key's failures (a successful login of that user). */
void wd_throttle_clear(wd_throttle_t *self, const char *key);

#endif
