/* dl_preview.c - preview mode's decisions (see dl_preview.h). */
#include "dl_preview.h"

#include <stdlib.h>
#include <string.h>

bool dl_preview_reserved_for_other(const dl_lead_t *lead, const char *agent, int64_t now_ms)
{
    return lead->reserved_by && lead->reserved_by[0] && lead->reserved_until_ms > now_ms &&
           (!agent || strcmp(lead->reserved_by, agent) != 0);
}

long dl_preview_next(const dl_rules_t *rules, const dl_world_t *world, const dl_lead_t *leads,
                     size_t n, int64_t now_ms, const char *agent, dl_verdict_t *verdicts)
{
    dl_rules_t r = *rules;
    r.agent_guaranteed = true;
    size_t *picked = malloc((n ? n : 1) * sizeof *picked);
    if (!picked)
        return -1;
    /* every due lead in order; the first not shown to someone else is this agent's */
    size_t got = dl_pick(&r, world, leads, n, now_ms, n, picked, verdicts);
    long out = -1;
    for (size_t k = 0; k < got && out < 0; k++) {
        if (!dl_preview_reserved_for_other(&leads[picked[k]], agent, now_ms))
            out = (long)picked[k];
        else if (verdicts)
            verdicts[picked[k]] = DL_LEAD_RESERVED;
    }
    free(picked);
    return out;
}

dl_verdict_t dl_preview_check(const dl_rules_t *rules, const dl_world_t *world,
                              const dl_lead_t *lead, const char *agent, int64_t now_ms)
{
    if (dl_preview_reserved_for_other(lead, agent, now_ms))
        return DL_LEAD_RESERVED;
    dl_rules_t r = *rules;
    r.agent_guaranteed = true;
    return dl_lead_verdict(&r, world, lead, now_ms);
}

dl_outcome_t dl_outcome_of_result(const char *result)
{
    if (!result)
        return DL_OUT_NO_ANSWER;
    if (!strcmp(result, "answered"))
        return DL_OUT_ANSWERED;
    if (!strcmp(result, "busy") || !strcmp(result, "declined"))
        return DL_OUT_BUSY;
    if (!strcmp(result, "no_answer"))
        return DL_OUT_NO_ANSWER;
    return DL_OUT_FAILED;
}

dl_outcome_t dl_preview_outcome(dl_preview_phase_t phase, const char *customer_result)
{
    switch (phase) {
    case DL_PV_AGENT:
        return DL_OUT_SKIPPED;
    case DL_PV_TALKING:
        return DL_OUT_ANSWERED;
    case DL_PV_CUSTOMER:
    default:
        break;
    }
    dl_outcome_t o = dl_outcome_of_result(customer_result);
    return o == DL_OUT_ANSWERED ? DL_OUT_NO_ANSWER : o; /* answered yet not talking: cannot be */
}
