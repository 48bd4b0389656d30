/* cdr_flush_policy.c - the batching decision (see cdr_flush_policy.h). No I/O, no clock. */
#include "cdr_flush_policy.h"

int64_t cdr_flush_decide(size_t pending, uint64_t age_ms, bool writing, const cdr_flush_cfg_t *cfg)
{
    if (pending == 0 || writing)
        return CDR_FLUSH_IDLE; /* the writer's completion asks again */
    if (pending >= cfg->flush_events || age_ms >= cfg->flush_ms)
        return 0;
    return (int64_t)(cfg->flush_ms - age_ms);
}
