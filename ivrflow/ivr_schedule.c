/* ivr_schedule.c - parsing of hours rules and holiday dates, and the open/closed/holiday
 * decision for a local time. Opening hours are kept as one bit per minute of the week
 * (1,260 bytes), so overlapping rules simply merge. Pure: no clock, no tz database. */
#include "ivr_schedule.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_errbuf.h"

#define S_DAY_MINUTES 1440
#define S_WEEK_MINUTES (7 * S_DAY_MINUTES)

typedef struct {
    int year; /* 0: every year */
    int month, day;
} s_holiday_t;

struct ivr_schedule {
    char *zone;
    uint8_t open[S_WEEK_MINUTES / 8];
    s_holiday_t *holidays;
    size_t holiday_count;
};

static const char *const s_days[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

ivr_schedule_t *ivr_schedule_new(const char *zone)
{
    ivr_schedule_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->zone = strdup(zone ? zone : "UTC");
    if (!self->zone)
        ivr_schedule_destroy(&self);
    return self;
}

void ivr_schedule_destroy(ivr_schedule_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ivr_schedule_t *self = *self_p;
    free(self->zone);
    free(self->holidays);
    free(self);
    *self_p = NULL;
}

const char *ivr_schedule_zone(const ivr_schedule_t *self)
{
    return self->zone;
}

static int s_weekday(const char *name, size_t len)
{
    for (int i = 0; i < 7; i++)
        if (len == 3 && strncmp(name, s_days[i], 3) == 0)
            return i;
    return -1;
}

/* "mon-fri", "sat", "mon,wed", "daily" -> a bit per weekday. */
static int s_parse_days(const char *text, size_t len, unsigned *mask, char *err, size_t errlen)
{
    *mask = 0;
    if (len == 5 && strncmp(text, "daily", 5) == 0) {
        *mask = 0x7f;
        return 0;
    }
    const char *end = text + len;
    for (const char *p = text; p < end;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *item_end = comma ? comma : end;
        const char *dash = memchr(p, '-', (size_t)(item_end - p));
        const char *first_end = dash ? dash : item_end;
        int from = s_weekday(p, (size_t)(first_end - p));
        int to = dash ? s_weekday(dash + 1, (size_t)(item_end - dash - 1)) : from;
        if (from < 0 || to < 0) {
            cc_errf(err, errlen, "'%.*s' is not a weekday or weekday range (mon..sun)",
                    (int)(item_end - p), p);
            return -1;
        }
        for (int d = from;; d = (d + 1) % 7) {
            *mask |= 1u << d;
            if (d == to)
                break;
        }
        p = comma ? comma + 1 : end;
    }
    return 0;
}

/* "HH:MM" (00:00-24:00) -> minutes. */
static int s_parse_clock(const char *p, int *minutes)
{
    if (!(p[0] >= '0' && p[0] <= '2' && p[1] >= '0' && p[1] <= '9' && p[2] == ':' && p[3] >= '0' &&
          p[3] <= '5' && p[4] >= '0' && p[4] <= '9'))
        return -1;
    int h = (p[0] - '0') * 10 + (p[1] - '0'), m = (p[3] - '0') * 10 + (p[4] - '0');
    if (h > 24 || (h == 24 && m != 0))
        return -1;
    *minutes = h * 60 + m;
    return 0;
}

static void s_open_range(ivr_schedule_t *self, unsigned days, int from, int to)
{
    for (int d = 0; d < 7; d++) {
        if (!(days & (1u << d)))
            continue;
        for (int m = from; m < to; m++) {
            int bit = d * S_DAY_MINUTES + m;
            self->open[bit / 8] |= (uint8_t)(1u << (bit % 8));
        }
    }
}

int ivr_schedule_add_hours(ivr_schedule_t *self, const char *rule, char *err, size_t errlen)
{
    const char *space = rule ? strchr(rule, ' ') : NULL;
    if (!space) {
        cc_errf(err, errlen, "'%s' is not \"<days> HH:MM-HH:MM\"", rule ? rule : "");
        return -1;
    }
    unsigned days;
    if (s_parse_days(rule, (size_t)(space - rule), &days, err, errlen) < 0)
        return -1;
    const char *p = space;
    while (*p == ' ')
        p++;
    if (!*p) {
        cc_errf(err, errlen, "'%s' has no time range", rule);
        return -1;
    }
    while (*p) {
        int from, to;
        if (strlen(p) < 11 || s_parse_clock(p, &from) < 0 || p[5] != '-' ||
            s_parse_clock(p + 6, &to) < 0 || (p[11] != '\0' && p[11] != ',') ||
            (p[11] == ',' && p[12] == '\0')) {
            cc_errf(err, errlen, "'%s' is not a time range HH:MM-HH:MM", p);
            return -1;
        }
        if (from >= to) {
            cc_errf(err, errlen, "'%.11s' ends before it starts (split overnight hours in two)", p);
            return -1;
        }
        s_open_range(self, days, from, to);
        p += p[11] == ',' ? 12 : 11;
    }
    return 0;
}

static int s_days_in_month(int year, int month)
{
    static const int days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && year != 0 && !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 28;
    return days[month - 1];
}

int ivr_schedule_add_holiday(ivr_schedule_t *self, const char *date, char *err, size_t errlen)
{
    s_holiday_t h = {0, 0, 0};
    int n = 0;
    size_t len = date ? strlen(date) : 0;
    bool ok = false;
    if (len == 10 && sscanf(date, "%4d-%2d-%2d%n", &h.year, &h.month, &h.day, &n) == 3 && n == 10)
        ok = h.year >= 1970;
    else if (len == 5 && sscanf(date, "%2d-%2d%n", &h.month, &h.day, &n) == 2 && n == 5)
        ok = true;
    for (size_t i = 0; ok && i < len; i++)
        ok = date[i] == '-' || (date[i] >= '0' && date[i] <= '9');
    if (ok)
        ok = h.month >= 1 && h.month <= 12 && h.day >= 1 &&
             h.day <= s_days_in_month(h.year, h.month);
    if (!ok) {
        cc_errf(err, errlen, "'%s' is not a date YYYY-MM-DD or MM-DD", date ? date : "");
        return -1;
    }
    s_holiday_t *grown = realloc(self->holidays, (self->holiday_count + 1) * sizeof *grown);
    if (!grown) {
        cc_errf(err, errlen, "out of memory");
        return -1;
    }
    self->holidays = grown;
    self->holidays[self->holiday_count++] = h;
    return 0;
}

ivr_schedule_state_t ivr_schedule_state_at(const ivr_schedule_t *self, const ivr_local_t *local)
{
    for (size_t i = 0; i < self->holiday_count; i++) {
        const s_holiday_t *h = &self->holidays[i];
        if ((h->year == 0 || h->year == local->year) && h->month == local->month &&
            h->day == local->day)
            return IVR_SCHEDULE_HOLIDAY;
    }
    if (local->weekday < 0 || local->weekday > 6 || local->hour < 0 || local->hour > 23 ||
        local->minute < 0 || local->minute > 59)
        return IVR_SCHEDULE_CLOSED;
    int bit = local->weekday * S_DAY_MINUTES + local->hour * 60 + local->minute;
    return (self->open[bit / 8] & (1u << (bit % 8))) ? IVR_SCHEDULE_OPEN : IVR_SCHEDULE_CLOSED;
}

int ivr_schedule_state(const ivr_schedule_t *self, int64_t utc_ms, ivr_to_local_fn *to_local,
                       ivr_schedule_state_t *state)
{
    ivr_local_t local;
    if (!to_local || to_local(self->zone, utc_ms, &local) < 0) {
        *state = IVR_SCHEDULE_CLOSED;
        return -1;
    }
    *state = ivr_schedule_state_at(self, &local);
    return 0;
}

const char *ivr_schedule_state_name(ivr_schedule_state_t state)
{
    switch (state) {
    case IVR_SCHEDULE_OPEN:
        return "open";
    case IVR_SCHEDULE_HOLIDAY:
        return "holiday";
    default:
        return "closed";
    }
}
