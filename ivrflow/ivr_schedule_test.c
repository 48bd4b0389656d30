/* ivr_schedule_test.c - business hours: rule and holiday syntax with the reasons given,
 * open/closed/holiday at local times, and UTC -> local through real tz database zones. */
#include "cc_test.h"
#include "ivr_fixture.h"
#include "ivr_schedule.h"
#include "ivr_tz.h"

static ivr_local_t s_local(int y, int mo, int d, int wd, int h, int mi)
{
    ivr_local_t t = {y, mo, d, wd, h, mi, 0};
    return t;
}

CC_TEST(ivr_schedule_weekday_ranges)
{
    ivr_schedule_t *s = ivr_schedule_new("UTC");
    CC_CHECK_INT(ivr_schedule_add_hours(s, "mon-fri 09:00-12:30,13:30-17:00", NULL, 0), 0);
    CC_CHECK_INT(ivr_schedule_add_hours(s, "sat 10:00-12:00", NULL, 0), 0);
    ivr_local_t t = s_local(2025, 6, 2, 0, 9, 0); /* Monday 09:00: opening minute */
    CC_CHECK_INT(ivr_schedule_state_at(s, &t), IVR_SCHEDULE_OPEN);
    t.hour = 8, t.minute = 59;
    CC_CHECK_INT(ivr_schedule_state_at(s, &t), IVR_SCHEDULE_CLOSED);
    t.hour = 12, t.minute = 45; /* lunch */
    CC_CHECK_INT(ivr_schedule_state_at(s, &t), IVR_SCHEDULE_CLOSED);
    t.hour = 16, t.minute = 59;
    CC_CHECK_INT(ivr_schedule_state_at(s, &t), IVR_SCHEDULE_OPEN);
    t.hour = 17, t.minute = 0; /* the end minute is closed */
    CC_CHECK_INT(ivr_schedule_state_at(s, &t), IVR_SCHEDULE_CLOSED);
    t = s_local(2025, 6, 7, 5, 11, 0); /* Saturday */
    CC_CHECK_INT(ivr_schedule_state_at(s, &t), IVR_SCHEDULE_OPEN);
    t = s_local(2025, 6, 8, 6, 11, 0); /* Sunday */
    CC_CHECK_INT(ivr_schedule_state_at(s, &t), IVR_SCHEDULE_CLOSED);
    ivr_schedule_destroy(&s);
    CC_CHECK(s == NULL);
}

CC_TEST(ivr_schedule_wrapping_lists_and_midnight)
{
    ivr_schedule_t *s = ivr_schedule_new("UTC");
    CC_CHECK_INT(ivr_schedule_add_hours(s, "fri-mon 22:00-24:00", NULL, 0), 0);
    CC_CHECK_INT(ivr_schedule_add_hours(s, "tue,thu 00:00-01:00", NULL, 0), 0);
    ivr_local_t t = s_local(2025, 6, 8, 6, 23, 59); /* Sunday, inside fri-mon */
    CC_CHECK_INT(ivr_schedule_state_at(s, &t), IVR_SCHEDULE_OPEN);
    t.weekday = 2; /* Wednesday: not in fri-mon */
    CC_CHECK_INT(ivr_schedule_state_at(s, &t), IVR_SCHEDULE_CLOSED);
    t = s_local(2025, 6, 5, 3, 0, 30); /* Thursday 00:30 */
    CC_CHECK_INT(ivr_schedule_state_at(s, &t), IVR_SCHEDULE_OPEN);
    ivr_schedule_t *daily = ivr_schedule_new("UTC");
    CC_CHECK_INT(ivr_schedule_add_hours(daily, "daily 00:00-24:00", NULL, 0), 0);
    CC_CHECK_INT(ivr_schedule_state_at(daily, &t), IVR_SCHEDULE_OPEN);
    ivr_schedule_destroy(&s);
    ivr_schedule_destroy(&daily);
}

CC_TEST(ivr_schedule_holidays)
{
    ivr_schedule_t *s = ivr_schedule_new("UTC");
    CC_CHECK_INT(ivr_schedule_add_hours(s, "mon-fri 09:00-17:00", NULL, 0), 0);
    CC_CHECK_INT(ivr_schedule_add_holiday(s, "12-25", NULL, 0), 0);      /* every year */
    CC_CHECK_INT(ivr_schedule_add_holiday(s, "2025-06-02", NULL, 0), 0); /* that day only */
    ivr_local_t t = s_local(2025, 12, 25, 3, 10, 0);
    CC_CHECK_INT(ivr_schedule_state_at(s, &t), IVR_SCHEDULE_HOLIDAY);
    t.year = 2031;
    CC_CHECK_INT(ivr_schedule_state_at(s, &t), IVR_SCHEDULE_HOLIDAY);
    t = s_local(2025, 6, 2, 0, 10, 0);
    CC_CHECK_INT(ivr_schedule_state_at(s, &t), IVR_SCHEDULE_HOLIDAY);
    t.year = 2026; /* 2026-06-02 is a Tuesday, a working day */
    t.weekday = 1;
    CC_CHECK_INT(ivr_schedule_state_at(s, &t), IVR_SCHEDULE_OPEN);
    CC_CHECK_STR(ivr_schedule_state_name(IVR_SCHEDULE_HOLIDAY), "holiday");
    ivr_schedule_destroy(&s);
}

CC_TEST(ivr_schedule_syntax_errors_say_why)
{
    ivr_schedule_t *s = ivr_schedule_new("UTC");
    char why[160];
    CC_CHECK_INT(ivr_schedule_add_hours(s, "fry 09:00-17:00", why, sizeof why), -1);
    CC_CHECK_STR(why, "'fry' is not a weekday or weekday range (mon..sun)");
    CC_CHECK_INT(ivr_schedule_add_hours(s, "mon-fri 9:00-17:00", why, sizeof why), -1);
    CC_CHECK_STR(why, "'9:00-17:00' is not a time range HH:MM-HH:MM");
    CC_CHECK_INT(ivr_schedule_add_hours(s, "mon 17:00-09:00", why, sizeof why), -1);
    CC_CHECK_STR(why, "'17:00-09:00' ends before it starts (split overnight hours in two)");
    CC_CHECK_INT(ivr_schedule_add_hours(s, "mon 09:00-24:30", why, sizeof why), -1);
    CC_CHECK_INT(ivr_schedule_add_hours(s, "mon", why, sizeof why), -1);
    CC_CHECK_STR(why, "'mon' is not \"<days> HH:MM-HH:MM\"");
    CC_CHECK_INT(ivr_schedule_add_hours(s, "mon 09:00-10:00,", why, sizeof why), -1);
    CC_CHECK_INT(ivr_schedule_add_holiday(s, "2025-02-30", why, sizeof why), -1);
    CC_CHECK_STR(why, "'2025-02-30' is not a date YYYY-MM-DD or MM-DD");
    CC_CHECK_INT(ivr_schedule_add_holiday(s, "2024-02-29", why, sizeof why), 0);
    CC_CHECK_INT(ivr_schedule_add_holiday(s, "02-29", why, sizeof why), 0);
    CC_CHECK_INT(ivr_schedule_add_holiday(s, "25-12", why, sizeof why), -1);
    CC_CHECK_INT(ivr_schedule_add_holiday(s, "christmas", why, sizeof why), -1);
    ivr_schedule_destroy(&s);
}

CC_TEST(ivr_tz_converts_with_daylight_saving)
{
    ivr_local_t t;
    /* 2025-01-15 12:00 UTC: Paris is UTC+1, New York UTC-5. */
    CC_CHECK_INT(ivr_tz_to_local("Europe/Paris", ivr_fx_utc(2025, 1, 15, 12, 0, 0), &t), 0);
    CC_CHECK_INT(t.hour, 13);
    CC_CHECK_INT(t.weekday, 2);
    CC_CHECK_INT(ivr_tz_to_local("America/New_York", ivr_fx_utc(2025, 1, 15, 12, 0, 0), &t), 0);
    CC_CHECK_INT(t.hour, 7);
    /* 2025-06-02 07:30 UTC: Paris summer time, UTC+2, Monday 09:30. */
    CC_CHECK_INT(ivr_tz_to_local("Europe/Paris", ivr_fx_utc(2025, 6, 2, 7, 30, 0), &t), 0);
    CC_CHECK_INT(t.hour, 9);
    CC_CHECK_INT(t.minute, 30);
    CC_CHECK_INT(t.weekday, 0);
    /* 2025-06-02 02:00 UTC is still Sunday evening in New York. */
    CC_CHECK_INT(ivr_tz_to_local("America/New_York", ivr_fx_utc(2025, 6, 2, 2, 0, 0), &t), 0);
    CC_CHECK_INT(t.weekday, 6);
    CC_CHECK_INT(t.day, 1);
    CC_CHECK_INT(t.hour, 22);
    CC_CHECK_INT(ivr_tz_to_local("Mars/Olympus", 0, &t), -1);
    CC_CHECK_INT(ivr_tz_to_local("../etc/passwd", 0, &t), -1);
    CC_CHECK(ivr_tz_exists("UTC"));
    CC_CHECK(!ivr_tz_exists("Europe"));
}

CC_TEST(ivr_schedule_state_in_zone)
{
    ivr_schedule_t *s = ivr_schedule_new("Europe/Paris");
    CC_CHECK_INT(ivr_schedule_add_hours(s, "mon-fri 09:00-17:00", NULL, 0), 0);
    ivr_schedule_state_t st;
    /* 07:30 UTC = 09:30 in Paris (summer): open; the same instant in UTC would be closed. */
    CC_CHECK_INT(ivr_schedule_state(s, ivr_fx_utc(2025, 6, 2, 7, 30, 0), ivr_tz_to_local, &st), 0);
    CC_CHECK_INT(st, IVR_SCHEDULE_OPEN);
    CC_CHECK_INT(ivr_schedule_state(s, ivr_fx_utc(2025, 6, 2, 15, 30, 0), ivr_tz_to_local, &st), 0);
    CC_CHECK_INT(st, IVR_SCHEDULE_CLOSED);
    /* A zone the converter cannot read: closed, and the caller is told. */
    CC_CHECK_INT(ivr_schedule_state(s, ivr_fx_utc(2025, 6, 2, 10, 0, 0), ivr_fx_to_local, &st), -1);
    CC_CHECK_INT(st, IVR_SCHEDULE_CLOSED);
    ivr_schedule_destroy(&s);
}
