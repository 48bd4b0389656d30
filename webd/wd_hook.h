/* wd_hook.h - webhooks: bus events posted as signed JSON to CRMs by a delivery thread
 * (wd_hook.c). The loop only hands events over; it never waits for a receiver. */
#ifndef WD_HOOK_H
#define WD_HOOK_H

#include <jansson.h>

typedef struct wd_hooks wd_hooks_t;

/* Start the delivery thread (its own Postgres connection reads web_hooks). NULL on error. */
wd_hooks_t *wd_hooks_start(const char *conninfo, int retry_ms, int max_attempts, int timeout_ms);
/* Hand one live event (the bus event's whole object) over; the thread decides who wants it. */
void wd_hooks_event(wd_hooks_t *self, json_t *body);
/* Stop the thread; events not delivered yet are dropped (logged by the caller). */
void wd_hooks_stop(wd_hooks_t **self_p);

#endif
