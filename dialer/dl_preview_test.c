/* dl_preview_test.c - preview mode: the next lead in list order, a skipped lead behind the
 * due ones, no abandon hold with an agent on the line, do-not-call checked at dial time, and
 * the outcome of a call from how far it got. A fixed clock; every zone is UTC. */
#include <time.h>

#include "cc_test.h"
#include "dl_preview.h"

#define HOUR_MS (3600LL * 1000)
/* Monday 2026-03-02 12:00 UTC */
#define MONDAY_NOON 1772452800000LL

static int s_utc(const char *zone, int64_t utc_ms, ivr_local_t *out)
{
    (void)zone;
    time_t t = (time_t)(utc_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    *out = (ivr_local_t){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, (tm.tm_wday + 6) % 7,
                         tm.tm_hour,        tm.tm_min,     tm.tm_sec};
    return 0;
}

static bool s_dnc(const char *number, void *arg)
{
    return arg && !strcmp(number, (const char *)arg);
}

static ivr_schedule_t *s_rules(dl_rules_t *rules, dl_world_t *world)
{
    char err[128];
    ivr_schedule_t *hours = ivr_schedule_new("UTC");
    ivr_schedule_add_hours(hours, "mon-fri 09:00-20:00", err, sizeof err);
    *rules = (dl_rules_t){.hours = hours, .zone = "UTC", .max_attempts = 3};
    rules->retry[DL_OUT_NO_ANSWER] = (dl_retry_t){true, 600, 3};
    *world = (dl_world_t){.to_local = s_utc, .is_dnc = s_dnc};
    return hours;
}

CC_TEST(dl_preview_next_is_the_first_due_lead_and_a_skip_goes_behind_the_due_ones)
{
    dl_rules_t rules;
    dl_world_t world;
    ivr_schedule_t *hours = s_rules(&rules, &world);
    dl_lead_t leads[] = {
        {.id = 10, .number = "5550010"},
        {.id = 11, .number = "5550011"},
        {.id = 12, .number = "5550012", .attempts = 1, .due_ms = MONDAY_NOON + HOUR_MS},
    };
    CC_CHECK_INT(dl_preview_next(&rules, &world, leads, 3, MONDAY_NOON, "a1", NULL), 0);
    /* the agent skips lead 10: not an attempt, due again now, behind every lead due before */
    const char *state = dl_after_attempt(&rules, &leads[0], DL_OUT_SKIPPED, MONDAY_NOON);
    CC_CHECK_STR(state, "ready");
    CC_CHECK_INT(leads[0].attempts, 0);
    CC_CHECK_INT(dl_preview_next(&rules, &world, leads, 3, MONDAY_NOON + 1000, "a1", NULL), 1);
    /* lead 11 dialled and gone: the skipped lead comes back before the retry not yet due */
    CC_CHECK_INT(dl_preview_next(&rules, &world, leads, 1, MONDAY_NOON + 2000, "a1", NULL), 0);
    leads[1].due_ms = MONDAY_NOON + 2 * HOUR_MS;
    dl_verdict_t v[3];
    CC_CHECK_INT(dl_preview_next(&rules, &world, leads, 3, MONDAY_NOON + 2000, "a1", v), 0);
    CC_CHECK_INT(v[2], DL_LEAD_NOT_DUE);
    /* nothing due at all: -1 */
    CC_CHECK_INT(dl_preview_next(&rules, &world, leads + 1, 2, MONDAY_NOON, "a1", NULL), -1);
    ivr_schedule_destroy(&hours);
}

CC_TEST(dl_preview_has_no_abandon_hold_but_keeps_hours_and_do_not_call)
{
    dl_rules_t rules;
    dl_world_t world;
    ivr_schedule_t *hours = s_rules(&rules, &world);
    rules.agent_guaranteed = false; /* even if the caller forgot: preview guarantees an agent */
    dl_lead_t held = {
        .id = 1, .number = "5550001", .attempts = 1, .abandoned_ms = MONDAY_NOON - HOUR_MS};
    CC_CHECK_INT(dl_lead_verdict(&rules, &world, &held, MONDAY_NOON), DL_LEAD_ABANDON_HOLD);
    CC_CHECK_INT(dl_preview_check(&rules, &world, &held, "a1", MONDAY_NOON), DL_LEAD_DUE);
    CC_CHECK_INT(dl_preview_next(&rules, &world, &held, 1, MONDAY_NOON, "a1", NULL), 0);
    /* a number put on a do-not-call list after the agent saw it: refused at dial time */
    world.dnc_arg = (void *)"5550001";
    CC_CHECK_INT(dl_preview_check(&rules, &world, &held, "a1", MONDAY_NOON), DL_LEAD_DNC);
    world.dnc_arg = NULL;
    /* Saturday: outside the calling hours, whoever dials */
    CC_CHECK_INT(dl_preview_check(&rules, &world, &held, "a1", MONDAY_NOON + 5 * 24 * HOUR_MS),
                 DL_LEAD_OUTSIDE_HOURS);
    held.attempts = 3;
    CC_CHECK_INT(dl_preview_check(&rules, &world, &held, "a1", MONDAY_NOON), DL_LEAD_EXHAUSTED);
    ivr_schedule_destroy(&hours);
}

CC_TEST(dl_preview_outcome_follows_how_far_the_call_got)
{
    CC_CHECK_INT(dl_preview_outcome(DL_PV_AGENT, NULL), DL_OUT_SKIPPED);
    CC_CHECK_INT(dl_preview_outcome(DL_PV_CUSTOMER, "busy"), DL_OUT_BUSY);
    CC_CHECK_INT(dl_preview_outcome(DL_PV_CUSTOMER, "declined"), DL_OUT_BUSY);
    CC_CHECK_INT(dl_preview_outcome(DL_PV_CUSTOMER, "no_answer"), DL_OUT_NO_ANSWER);
    CC_CHECK_INT(dl_preview_outcome(DL_PV_CUSTOMER, NULL), DL_OUT_NO_ANSWER);
    CC_CHECK_INT(dl_preview_outcome(DL_PV_CUSTOMER, "unreachable"), DL_OUT_FAILED);
    CC_CHECK_INT(dl_preview_outcome(DL_PV_TALKING, "answered"), DL_OUT_ANSWERED);
    CC_CHECK_INT(dl_outcome_of_result("answered"), DL_OUT_ANSWERED);
}

CC_TEST(dl_preview_a_lead_shown_to_one_agent_is_not_shown_to_another_until_it_expires)
{
    dl_rules_t rules;
    dl_world_t world;
    ivr_schedule_t *hours = s_rules(&rules, &world);
    int64_t until = MONDAY_NOON + DL_PREVIEW_HOLD_MS;
    dl_lead_t leads[] = {
        {.id = 20, .number = "5550020", .reserved_by = "a1", .reserved_until_ms = until},
        {.id = 21, .number = "5550021"},
        {.id = 22, .number = "5550022", .reserved_by = "", .reserved_until_ms = 0},
    };
    dl_verdict_t v[3];
    /* a1 sees its own lead again; a2 the next one, told why the first was passed over */
    CC_CHECK_INT(dl_preview_next(&rules, &world, leads, 3, MONDAY_NOON, "a1", v), 0);
    CC_CHECK_INT(dl_preview_next(&rules, &world, leads, 3, MONDAY_NOON, "a2", v), 1);
    CC_CHECK_INT(v[0], DL_LEAD_RESERVED);
    CC_CHECK_STR(dl_verdict_name(v[0]), "reserved");
    /* a2 holds 21 now: a3 gets 22 */
    leads[1].reserved_by = "a2";
    leads[1].reserved_until_ms = until;
    CC_CHECK_INT(dl_preview_next(&rules, &world, leads, 3, MONDAY_NOON + 1000, "a3", NULL), 2);
    /* a2 may not dial or skip a1's lead; a1 may */
    CC_CHECK_INT(dl_preview_check(&rules, &world, &leads[0], "a2", MONDAY_NOON), DL_LEAD_RESERVED);
    CC_CHECK_INT(dl_preview_check(&rules, &world, &leads[0], "a1", MONDAY_NOON), DL_LEAD_DUE);
    /* a1's page closed: at the expiry the lead is anyone's, in list order again */
    CC_CHECK_INT(dl_preview_next(&rules, &world, leads, 3, until, "a3", NULL), 0);
    CC_CHECK_INT(dl_preview_check(&rules, &world, &leads[0], "a2", until), DL_LEAD_DUE);
    /* every due lead shown to others: nothing for a4 */
    leads[2].reserved_by = "a3";
    leads[2].reserved_until_ms = until;
    CC_CHECK_INT(dl_preview_next(&rules, &world, leads, 3, MONDAY_NOON, "a4", NULL), -1);
    ivr_schedule_destroy(&hours);
}
