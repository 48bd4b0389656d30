/* md_logctx.h - the call on mediad's log lines (cc_log_set_call) around work about one
 * endpoint that starts outside a command about its call: timers, packets (DTMF, taps),
 * sweeps of many calls. What was set before is put back afterwards, since such work also
 * runs inside commands about another call (an owner sweep inside endpoint.create). */
#ifndef MD_LOGCTX_H
#define MD_LOGCTX_H

#include <stdio.h>

#include "cc_log.h"

typedef struct {
    char call[CC_LOG_CALL_MAX];
} md_logctx_t;

/* From now on log lines carry call_id (NULL: no call); saved keeps what they carried. */
static inline void md_logctx_enter(md_logctx_t *saved, const char *call_id)
{
    snprintf(saved->call, sizeof saved->call, "%s", cc_log_call());
    cc_log_set_call(call_id);
}

static inline void md_logctx_leave(const md_logctx_t *saved)
{
    cc_log_set_call(saved->call);
}

#endif
