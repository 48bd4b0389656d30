/* dl_recover.c - the leads of attempts left in progress by a stopped dialerd (see
 * dl_recover.h). */
#include "dl_recover.h"

dl_outcome_t dl_recover_fate(const dl_unfinished_t *u)
{
    if (u->agent)
        return DL_OUT_ANSWERED;
    if (u->answered) /* maybe a person left without an agent: err towards not calling */
        return DL_OUT_ABANDONED;
    return DL_OUT_NO_ANSWER;
}

const char *dl_recover_lead(const dl_rules_t *rules, dl_lead_t *lead, const dl_unfinished_t *u,
                            int64_t now_ms)
{
    return dl_after_attempt(rules, lead, dl_recover_fate(u), now_ms);
}
