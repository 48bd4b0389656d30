/* dl_pick_test.c - lead order, do-not-call, calling hours in the lead's own zone (a fixed
 * clock and a fake zone table), retry gaps, attempts and the 72-hour abandon hold. */
#include <time.h>

#include "cc_test.h"
#include "dl_pick.h"

#define HOUR_MS (3600LL * 1000)
/* Monday 2026-03-02 12:00 UTC */
#define MONDAY_NOON 1772452800000LL

/* Fake zones: "UTC", "East" (+3 h), "West" (-10 h). */
static int s_to_local(const char *zone, int64_t utc_ms, ivr_local_t *out)
{
    int64_t off = !strcmp(zone, "UTC")    ? 0
                  : !strcmp(zone, "East") ? 3 * HOUR_MS
                  : !strcmp(zone, "West") ? -10 * HOUR_MS
                                          : -1;
    if (off == -1)
        return -1;
    time_t t = (time_t)((utc_ms + off) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    *out = (ivr_local_t){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, (tm.tm_wday + 6) % 7,
                         tm.tm_hour,        tm.tm_min,     tm.tm_sec};
    return 0;
}

static bool s_dnc(const char *number, void *arg)
{
    (void)arg;
    return !strcmp(number, "5550666");
}

typedef struct {
    ivr_schedule_t *hours;
    dl_rules_t rules;
    dl_world_t world;
} s_fix_t;

static void s_fix(s_fix_t *f)
{
    char err[128];
    f->hours = ivr_schedule_new("UTC");
    ivr_schedule_add_hours(f->hours, "mon-sat 09:00-20:00", err, sizeof err);
    f->rules =
        (dl_rules_t){.hours = f->hours, .zone = "UTC", .zone_from_lead = true, .max_attempts = 5};
    f->rules.retry[DL_OUT_BUSY] = (dl_retry_t){true, 600, 3};
    f->rules.retry[DL_OUT_NO_ANSWER] = (dl_retry_t){true, 3600, 4};
    f->rules.retry[DL_OUT_ABANDONED] = (dl_retry_t){true, 60, 3};
    f->world = (dl_world_t){.to_local = s_to_local, .is_dnc = s_dnc};
}

CC_TEST(dl_pick_list_order_then_due_retries_and_dnc_skipped)
{
    s_fix_t f;
    s_fix(&f);
    dl_lead_t leads[] = {
        {.id = 3, .number = "5550003"},
        {.id = 1, .number = "5550001"},
        {.id = 2, .number = "5550666"}, /* on the DNC list */
        {.id = 4, .number = "5550004", .attempts = 1, .due_ms = MONDAY_NOON + 60000}, /* later */
        {.id = 5, .number = "5550005", .attempts = 1, .due_ms = MONDAY_NOON - 1},     /* due */
    };
    size_t picked[5];
    dl_verdict_t v[5];
    size_t n = dl_pick(&f.rules, &f.world, leads, 5, MONDAY_NOON, 5, picked, v);
    CC_CHECK_INT(n, 3);
    CC_CHECK_INT(leads[picked[0]].id, 1); /* fresh leads (due at once) in list order... */
    CC_CHECK_INT(leads[picked[1]].id, 3);
    CC_CHECK_INT(leads[picked[2]].id, 5); /* ...then the retry that fell due */
    CC_CHECK_INT(v[2], DL_LEAD_DNC);
    CC_CHECK_INT(v[3], DL_LEAD_NOT_DUE);
    n = dl_pick(&f.rules, &f.world, leads, 5, MONDAY_NOON, 1, picked, NULL);
    CC_CHECK_INT(n, 1);
    CC_CHECK_INT(leads[picked[0]].id, 1);
    ivr_schedule_destroy(&f.hours);
}

CC_TEST(dl_pick_calling_hours_in_the_leads_own_zone)
{
    s_fix_t f;
    s_fix(&f);
    dl_lead_t utc = {.id = 1, .number = "5550001", .zone = "UTC"};
    dl_lead_t east = {.id = 2, .number = "5550002", .zone = "East"};
    dl_lead_t west = {.id = 3, .number = "5550003", .zone = "West"};
    dl_lead_t mars = {.id = 4, .number = "5550004", .zone = "Mars"};
    dl_lead_t none = {.id = 5, .number = "5550005"};
    /* Monday 12:00 UTC: 15:00 East, 02:00 West */
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &utc, MONDAY_NOON), DL_LEAD_DUE);
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &east, MONDAY_NOON), DL_LEAD_DUE);
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &west, MONDAY_NOON), DL_LEAD_OUTSIDE_HOURS);
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &mars, MONDAY_NOON), DL_LEAD_OUTSIDE_HOURS);
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &none, MONDAY_NOON), DL_LEAD_DUE);
    /* Monday 18:00 UTC: 21:00 East (closed), 08:00 West (closed), 18:00 UTC (open) */
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &east, MONDAY_NOON + 6 * HOUR_MS),
                 DL_LEAD_OUTSIDE_HOURS);
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &west, MONDAY_NOON + 6 * HOUR_MS),
                 DL_LEAD_OUTSIDE_HOURS);
    /* 20:00 UTC: 10:00 West, open */
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &west, MONDAY_NOON + 8 * HOUR_MS),
                 DL_LEAD_DUE);
    /* Sunday noon UTC: closed for everyone; Saturday 23:00 West is Sunday 09:00 East */
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &utc, MONDAY_NOON - 24 * HOUR_MS),
                 DL_LEAD_OUTSIDE_HOURS);
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &east, MONDAY_NOON - 27 * HOUR_MS),
                 DL_LEAD_OUTSIDE_HOURS);
    /* tz_rule campaign: the lead's own zone is ignored */
    f.rules.zone_from_lead = false;
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &west, MONDAY_NOON), DL_LEAD_DUE);
    ivr_schedule_destroy(&f.hours);
}

CC_TEST(dl_pick_retry_gaps_and_max_attempts_per_outcome)
{
    s_fix_t f;
    s_fix(&f);
    dl_lead_t l = {.id = 1, .number = "5550001"};
    int64_t t = MONDAY_NOON;
    l.attempts = 1;
    CC_CHECK_STR(dl_after_attempt(&f.rules, &l, DL_OUT_BUSY, t), "ready");
    CC_CHECK_INT(l.due_ms, t + 600000);
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &l, t + 599999), DL_LEAD_NOT_DUE);
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &l, t + 600000), DL_LEAD_DUE);
    l.attempts = 2;
    CC_CHECK_STR(dl_after_attempt(&f.rules, &l, DL_OUT_BUSY, t), "ready");
    l.attempts = 3; /* busy allows 3 attempts in all */
    CC_CHECK_STR(dl_after_attempt(&f.rules, &l, DL_OUT_BUSY, t), "exhausted");
    l.attempts = 3; /* no answer allows 4 */
    CC_CHECK_STR(dl_after_attempt(&f.rules, &l, DL_OUT_NO_ANSWER, t), "ready");
    CC_CHECK_INT(l.due_ms, t + 3600000);
    l.attempts = 5; /* the campaign's own maximum wins */
    f.rules.retry[DL_OUT_NO_ANSWER].max_attempts = 10;
    CC_CHECK_STR(dl_after_attempt(&f.rules, &l, DL_OUT_NO_ANSWER, t), "exhausted");
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &l, t + 86400000LL), DL_LEAD_EXHAUSTED);
    /* no rule for machine: final; answered: done; dnc: dnc */
    l.attempts = 1;
    CC_CHECK_STR(dl_after_attempt(&f.rules, &l, DL_OUT_MACHINE, t), "done");
    CC_CHECK_STR(dl_after_attempt(&f.rules, &l, DL_OUT_ANSWERED, t), "done");
    CC_CHECK_STR(dl_after_attempt(&f.rules, &l, DL_OUT_DNC, t), "dnc");
    ivr_schedule_destroy(&f.hours);
}

CC_TEST(dl_pick_abandoned_number_held_72_hours_unless_agent_guaranteed)
{
    s_fix_t f;
    s_fix(&f);
    dl_lead_t l = {.id = 1, .number = "5550001", .attempts = 1};
    int64_t t = MONDAY_NOON;
    CC_CHECK_STR(dl_after_attempt(&f.rules, &l, DL_OUT_ABANDONED, t), "ready");
    CC_CHECK_INT(l.abandoned_ms, t);
    CC_CHECK_INT(l.due_ms, t + DL_ABANDON_HOLD_MS); /* the 60 s gap is not enough */
    l.due_ms = 0; /* even a lead someone made due at once is held */
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &l, t + 71 * HOUR_MS), DL_LEAD_ABANDON_HOLD);
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &l, t + 72 * HOUR_MS), DL_LEAD_DUE);
    f.rules.agent_guaranteed = true; /* preview: the agent is already on the line */
    CC_CHECK_INT(dl_lead_verdict(&f.rules, &f.world, &l, t + HOUR_MS), DL_LEAD_DUE);
    l.attempts = 2;
    CC_CHECK_STR(dl_after_attempt(&f.rules, &l, DL_OUT_ABANDONED, t), "ready");
    CC_CHECK_INT(l.due_ms, t + 60000);
    ivr_schedule_destroy(&f.hours);
}

CC_TEST(dl_pick_outcome_names_round_trip)
{
    for (int i = 0; i < DL_OUT_COUNT; i++)
        CC_CHECK_INT(dl_outcome_parse(dl_outcome_name((dl_outcome_t)i)), i);
    CC_CHECK_INT(dl_outcome_parse("nope"), -1);
    CC_CHECK_STR(dl_verdict_name(DL_LEAD_ABANDON_HOLD), "abandon_hold");
}
