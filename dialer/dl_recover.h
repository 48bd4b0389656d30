/* dl_recover.h - attempts a previous run of dialerd left in progress (it was killed or the
 * machine stopped mid-call): what their leads become when dialerd starts again. Pure: how
 * far each call got is read from its attempt row and handed in, with the campaign's rules
 * and the clock. The attempt itself is closed with outcome `interrupted`. */
#ifndef DL_RECOVER_H
#define DL_RECOVER_H

#include "dl_pick.h"

/* How far an unfinished attempt got, from its row in dialer_attempts. */
typedef struct {
    bool answered; /* answered_at: the customer (or a machine) answered */
    bool agent;    /* agent_at: an agent took the call */
} dl_unfinished_t;

/* The outcome whose retry rule decides the lead's fate. An agent reached: answered (the
 * contact took place; the lead is done). Answered with no agent known: abandoned, so the
 * 72-hour hold protects a person who may have been dropped. Not answered: no_answer (the
 * customer was not reached, or not known to be; the campaign's no-answer gap and count
 * apply). */
dl_outcome_t dl_recover_fate(const dl_unfinished_t *u);

/* The lead of such an attempt (lead->attempts already counts it) at now_ms: as
 * dl_after_attempt with dl_recover_fate's outcome; its new state, lead->due_ms and
 * lead->abandoned_ms updated. */
const char *dl_recover_lead(const dl_rules_t *rules, dl_lead_t *lead, const dl_unfinished_t *u,
                            int64_t now_ms);

#endif
