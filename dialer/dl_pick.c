/* dl_pick.c - lead selection and retry scheduling (see dl_pick.h). */
#include "dl_pick.h"

#include <stdlib.h>
#include <string.h>

static const char *const s_outcomes[DL_OUT_COUNT] = {"answered", "busy",      "no_answer",
                                                     "machine",  "abandoned", "failed",
                                                     "skipped",  "dnc",       "interrupted"};

const char *dl_outcome_name(dl_outcome_t o)
{
    return o >= 0 && o < DL_OUT_COUNT ? s_outcomes[o] : "?";
}

int dl_outcome_parse(const char *name)
{
    for (int i = 0; i < DL_OUT_COUNT; i++)
        if (name && !strcmp(name, s_outcomes[i]))
            return i;
    return -1;
}

const char *dl_verdict_name(dl_verdict_t v)
{
    static const char *const names[] = {"due",       "not_due",      "outside_hours", "dnc",
                                        "exhausted", "abandon_hold", "reserved"};
    return v >= 0 && v <= DL_LEAD_RESERVED ? names[v] : "?";
}

const char *dl_lead_zone(const dl_rules_t *rules, const dl_lead_t *lead)
{
    if (rules->zone_from_lead && lead->zone && lead->zone[0])
        return lead->zone;
    return rules->zone;
}

dl_verdict_t dl_lead_verdict(const dl_rules_t *rules, const dl_world_t *world,
                             const dl_lead_t *lead, int64_t now_ms)
{
    /* DNC first: it is the one verdict that ends the lead whatever else holds */
    if (world->is_dnc && world->is_dnc(lead->number, world->dnc_arg))
        return DL_LEAD_DNC;
    if (lead->attempts >= rules->max_attempts)
        return DL_LEAD_EXHAUSTED;
    if (lead->abandoned_ms && !rules->agent_guaranteed &&
        now_ms - lead->abandoned_ms < DL_ABANDON_HOLD_MS)
        return DL_LEAD_ABANDON_HOLD;
    if (lead->due_ms > now_ms)
        return DL_LEAD_NOT_DUE;
    ivr_local_t local;
    if (!rules->hours || world->to_local(dl_lead_zone(rules, lead), now_ms, &local) != 0 ||
        ivr_schedule_state_at(rules->hours, &local) != IVR_SCHEDULE_OPEN)
        return DL_LEAD_OUTSIDE_HOURS;
    return DL_LEAD_DUE;
}

/* Order of candidates: due time (0, "at once", first), then list order. */
static int s_by_due(const void *a, const void *b, void *arg)
{
    const dl_lead_t *leads = arg;
    const dl_lead_t *x = &leads[*(const size_t *)a], *y = &leads[*(const size_t *)b];
    if (x->due_ms != y->due_ms)
        return x->due_ms < y->due_ms ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

size_t dl_pick(const dl_rules_t *rules, const dl_world_t *world, const dl_lead_t *leads, size_t n,
               int64_t now_ms, size_t want, size_t *picked, dl_verdict_t *verdicts)
{
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    size_t got = 0;
    if (!order)
        return 0;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof *order, s_by_due, (void *)leads);
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        dl_verdict_t v = dl_lead_verdict(rules, world, &leads[i], now_ms);
        if (verdicts)
            verdicts[i] = v;
        if (v == DL_LEAD_DUE && got < want)
            picked[got++] = i;
    }
    free(order);
    return got;
}

const char *dl_after_attempt(const dl_rules_t *rules, dl_lead_t *lead, dl_outcome_t o,
                             int64_t now_ms)
{
    if (o == DL_OUT_DNC)
        return "dnc";
    if (o == DL_OUT_ABANDONED)
        lead->abandoned_ms = now_ms;
    if (o == DL_OUT_SKIPPED) { /* a preview skip is not an attempt: back at the end */
        lead->due_ms = now_ms + 1;
        return "ready";
    }
    const dl_retry_t *r = o >= 0 && o < DL_OUT_COUNT ? &rules->retry[o] : NULL;
    if (!r || !r->set)
        return "done"; /* answered, or an outcome the campaign does not retry */
    if (lead->attempts >= r->max_attempts || lead->attempts >= rules->max_attempts)
        return "exhausted";
    int64_t gap = (int64_t)r->min_gap_s * 1000;
    if (o == DL_OUT_ABANDONED && !rules->agent_guaranteed && gap < DL_ABANDON_HOLD_MS)
        gap = DL_ABANDON_HOLD_MS;
    lead->due_ms = now_ms + gap;
    return "ready";
}
