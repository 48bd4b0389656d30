/* dl_preview.h - preview mode's decisions: which lead an agent sees next, whether the lead
 * an agent asks to dial may be dialled now, and what an attempt's outcome is from how far
 * the call got (the agent's phone rings first, then the customer's). Pure, like dl_pick:
 * the clock, the zones and the do-not-call lists are handed in. The bus, the database and
 * the calls themselves are dialerd's (dl_preview.c, dl_live.c there). */
#ifndef DL_PREVIEW_H
#define DL_PREVIEW_H

#include "dl_pick.h"

/* How far a preview call got when it ended. */
typedef enum {
    DL_PV_AGENT,    /* the agent's phone was ringing: the customer was never called */
    DL_PV_CUSTOMER, /* the agent is on the line, the customer's phone rings */
    DL_PV_TALKING,  /* the customer answered: agent and customer talk */
} dl_preview_phase_t;

/* The lead the agent sees next among leads[] (due order, then list order, as dl_pick),
 * its index, or -1 when none is due. rules->agent_guaranteed holds in preview mode, so the
 * 72-hour abandon hold does not apply. verdicts[] (n entries, may be NULL) as in dl_pick. */
long dl_preview_next(const dl_rules_t *rules, const dl_world_t *world, const dl_lead_t *leads,
                     size_t n, int64_t now_ms, dl_verdict_t *verdicts);

/* May the agent dial this lead now: DL_LEAD_DUE, or why not. The same rules as the lead
 * the dialer would pick (a number put on a do-not-call list since the agent saw the lead is
 * refused), with an agent guaranteed whatever rules says. */
dl_verdict_t dl_preview_check(const dl_rules_t *rules, const dl_world_t *world,
                              const dl_lead_t *lead, int64_t now_ms);

/* The outcome of a sipproxy call.connect_result `result` of the customer's leg ("busy",
 * "declined", "no_answer", ...; NULL: none came). */
dl_outcome_t dl_outcome_of_result(const char *result);

/* The outcome of a preview call that ended in `phase`; customer_result is the customer's
 * leg result if one came (NULL otherwise). Ended while the agent's phone rang: skipped (not
 * an attempt: the customer was never called). Ended while the customer's phone rang with
 * no result (the agent gave up): no_answer. */
dl_outcome_t dl_preview_outcome(dl_preview_phase_t phase, const char *customer_result);

#endif
