/* dl_preview.c - preview mode's decisions (see dl_preview.h). */
#include "dl_preview.h"

#include <string.h>

long dl_preview_next(const dl_rules_t *rules, const dl_world_t *world, const dl_lead_t *leads,
                     size_t n, int64_t now_ms, dl_verdict_t *verdicts)
{
    dl_rules_t r = *rules;
    r.agent_guaranteed = true;
    size_t picked[1];
    if (dl_pick(&r, world, leads, n, now_ms, 1, picked, verdicts) != 1)
        return -1;
    return (long)picked[0];
}

dl_verdict_t dl_preview_check(const dl_rules_t *rules, const dl_world_t *world,
                              const dl_lead_t *lead, int64_t now_ms)
{
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
