/* dl_pick.h - which lead to dial next, and what becomes of a lead after an attempt. Pure:
 * the clock is passed in, the lead's local time comes from a conversion function the
 * caller passes (the tz database live, a fixed table in tests), and the do-not-call lists
 * are asked through a callback. Leads are dialled in list order, a retry when it falls due;
 * a lead is passed over while its number is on a do-not-call list, its local time is
 * outside the calling hours, its retry gap has not run out, it has used its attempts, or
 * its last call was abandoned less than 72 hours ago (unless an agent is guaranteed). */
#ifndef DL_PICK_H
#define DL_PICK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ivr_schedule.h"

#define DL_ABANDON_HOLD_MS (72LL * 3600 * 1000)

typedef enum {
    DL_OUT_ANSWERED = 0, /* a person answered and reached an agent */
    DL_OUT_BUSY,
    DL_OUT_NO_ANSWER,
    DL_OUT_MACHINE,
    DL_OUT_ABANDONED,   /* a person answered and found no agent within 2 s */
    DL_OUT_FAILED,      /* the network refused the call (not busy) */
    DL_OUT_SKIPPED,     /* preview: the agent skipped the lead */
    DL_OUT_DNC,         /* found on a do-not-call list (by the dialer or a disposition) */
    DL_OUT_INTERRUPTED, /* dialerd stopped during the call (found at its next start) */
    DL_OUT_COUNT
} dl_outcome_t;

const char *dl_outcome_name(dl_outcome_t o);
/* The outcome named `name`, or -1. */
int dl_outcome_parse(const char *name);

typedef struct {
    bool set;         /* no rule: the outcome is final, the lead is done */
    int min_gap_s;    /* wait at least this long before the next attempt */
    int max_attempts; /* no further attempt once the lead has had this many */
} dl_retry_t;

typedef struct {
    const ivr_schedule_t *hours; /* calling hours (borrowed); zone ignored: see zone below */
    const char *zone;            /* the campaign's zone: leads without one, or every lead */
    bool zone_from_lead;         /* tz_rule 'lead': a lead's own zone wins */
    int max_attempts;            /* over all outcomes */
    dl_retry_t retry[DL_OUT_COUNT];
    bool agent_guaranteed; /* preview: an agent is on the line before the customer */
} dl_rules_t;

typedef struct {
    int64_t id; /* list order */
    const char *number;
    const char *zone;     /* NULL: the list gave none */
    int attempts;         /* made so far */
    int64_t due_ms;       /* next attempt not before (UTC ms); 0: at once */
    int64_t abandoned_ms; /* when its last call was abandoned; 0: never */
    /* preview: the agent the lead is shown to (NULL or "": nobody) and until when (UTC ms);
     * dl_pick ignores both (see dl_preview.h) */
    const char *reserved_by;
    int64_t reserved_until_ms;
} dl_lead_t;

typedef enum {
    DL_LEAD_DUE = 0,
    DL_LEAD_NOT_DUE,       /* retry gap still running */
    DL_LEAD_OUTSIDE_HOURS, /* its local time is outside the calling hours */
    DL_LEAD_DNC,           /* on a do-not-call list: never dialled */
    DL_LEAD_EXHAUSTED,     /* no attempts left */
    DL_LEAD_ABANDON_HOLD,  /* abandoned less than 72 h ago */
    DL_LEAD_RESERVED,      /* preview: shown to another agent (dl_preview) */
} dl_verdict_t;

const char *dl_verdict_name(dl_verdict_t v);

typedef bool(dl_dnc_fn)(const char *number, void *arg);

/* What the core asks of the outside world. */
typedef struct {
    ivr_to_local_fn *to_local; /* UTC -> local time in a zone */
    dl_dnc_fn *is_dnc;         /* NULL: no list */
    void *dnc_arg;
} dl_world_t;

/* The zone a lead is called in. */
const char *dl_lead_zone(const dl_rules_t *rules, const dl_lead_t *lead);

/* May the lead be dialled at now_ms, and if not, why. A zone that cannot be converted
 * reads as outside the hours: never dial when unsure of the customer's local time. */
dl_verdict_t dl_lead_verdict(const dl_rules_t *rules, const dl_world_t *world,
                             const dl_lead_t *lead, int64_t now_ms);

/* Up to `want` leads to dial now, in order (due time, then list order): their indexes
 * into leads[] go to picked[] (room for `want`). verdicts[] (n entries, may be NULL)
 * receives each lead's verdict, so the caller can mark DNC and exhausted leads. Returns
 * how many were picked. leads[] is not reordered. */
size_t dl_pick(const dl_rules_t *rules, const dl_world_t *world, const dl_lead_t *leads, size_t n,
               int64_t now_ms, size_t want, size_t *picked, dl_verdict_t *verdicts);

/* A lead after an attempt that ended with `o` at now_ms (lead->attempts already counts
 * it): its new state ("ready", "done", "exhausted", "dnc") and, when ready, when it is
 * due; lead->due_ms and lead->abandoned_ms are updated. */
const char *dl_after_attempt(const dl_rules_t *rules, dl_lead_t *lead, dl_outcome_t o,
                             int64_t now_ms);

#endif
