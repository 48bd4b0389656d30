/* dl_preview.h - preview mode's decisions: which lead an agent sees next (never one shown
 * to another agent), whether the lead an agent asks to dial may be dialled now, and what an attempt's outcome is from how far
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

/* A lead shown to an agent is reserved for it this long, renewed each time the agent's page
 * asks again (every 30 s while a lead is shown): a page closed without a word frees its
 * lead within this time. */
#define DL_PREVIEW_HOLD_MS (90LL * 1000)

/* Is the lead shown to an agent other than `agent` at now_ms (a reservation not expired)? */
bool dl_preview_reserved_for_other(const dl_lead_t *lead, const char *agent, int64_t now_ms);

/* The lead agent `agent` sees next among leads[] (due order, then list order, as dl_pick),
 * its index, or -1 when none is due. A lead shown to another agent is passed over (verdict
 * DL_LEAD_RESERVED), so two agents never see the same lead; the agent's own lead is seen
 * again. rules->agent_guaranteed holds in preview mode, so the 72-hour abandon hold does
 * not apply. verdicts[] (n entries, may be NULL) as in dl_pick. -1 also when out of
 * memory. */
long dl_preview_next(const dl_rules_t *rules, const dl_world_t *world, const dl_lead_t *leads,
                     size_t n, int64_t now_ms, const char *agent, dl_verdict_t *verdicts);

/* May agent `agent` dial (or skip) this lead now: DL_LEAD_DUE, or why not. Shown to another
 * agent: DL_LEAD_RESERVED. Then the same rules as the lead the dialer would pick (a number
 * put on a do-not-call list since the agent saw the lead is refused), with an agent
 * guaranteed whatever rules says. */
dl_verdict_t dl_preview_check(const dl_rules_t *rules, const dl_world_t *world,
                              const dl_lead_t *lead, const char *agent, int64_t now_ms);

/* The outcome of a sipproxy call.connect_result `result` of the customer's leg ("busy",
 * "declined", "no_answer", ...; NULL: none came). */
dl_outcome_t dl_outcome_of_result(const char *result);

/* The outcome of a preview call that ended in `phase`; customer_result is the customer's
 * leg result if one came (NULL otherwise). Ended while the agent's phone rang: skipped (not
 * an attempt: the customer was never called). Ended while the customer's phone rang with
 * no result (the agent gave up): no_answer. */
dl_outcome_t dl_preview_outcome(dl_preview_phase_t phase, const char *customer_result);

#endif
