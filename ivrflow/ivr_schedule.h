/* ivr_schedule.h - business hours: weekly time ranges, a holiday calendar and the time
 * zone they are read in. Pure: is-open takes a local time already broken down
 * (ivr_local_t); turning a UTC instant into that is ivr_tz.h's job, the one impure bit.
 *
 * Hours syntax, one string per rule:  "<days> <range>[,<range>...]"
 *   days   mon tue wed thu fri sat sun, a list "mon,wed,fri", a range "mon-fri" (may wrap:
 *          "fri-mon"), or "daily"
 *   range  HH:MM-HH:MM, start before end, 00:00 to 24:00; open from start up to, not
 *          including, end. Overnight opening is two rules ("fri 22:00-24:00", "sat 00:00-02:00").
 * Holidays: "YYYY-MM-DD" (that day only) or "MM-DD" (every year). A holiday closes the
 * whole local day, whatever the hours say. */
#ifndef IVR_SCHEDULE_H
#define IVR_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

/* A local wall-clock time. weekday: 0 = Monday ... 6 = Sunday. */
typedef struct {
    int year, month, day; /* month 1-12, day 1-31 */
    int weekday;
    int hour, minute, second;
} ivr_local_t;

/* UTC milliseconds since the epoch -> local time in `zone`. 0, or -1 if it cannot. */
typedef int(ivr_to_local_fn)(const char *zone, int64_t utc_ms, ivr_local_t *out);

typedef enum {
    IVR_SCHEDULE_OPEN = 0,
    IVR_SCHEDULE_CLOSED,
    IVR_SCHEDULE_HOLIDAY
} ivr_schedule_state_t;

typedef struct ivr_schedule ivr_schedule_t;

/* zone: a tz database name ("Europe/Paris", "UTC"); copied. NULL if out of memory. */
ivr_schedule_t *ivr_schedule_new(const char *zone);
void ivr_schedule_destroy(ivr_schedule_t **self_p);
const char *ivr_schedule_zone(const ivr_schedule_t *self);

/* Each: 0, or -1 with a reason naming what is wrong ("'fry' is not a weekday"). */
int ivr_schedule_add_hours(ivr_schedule_t *self, const char *rule, char *err, size_t errlen);
int ivr_schedule_add_holiday(ivr_schedule_t *self, const char *date, char *err, size_t errlen);

/* Open, closed, or a holiday, at the given local time. */
ivr_schedule_state_t ivr_schedule_state_at(const ivr_schedule_t *self, const ivr_local_t *local);
/* The same at a UTC instant, converted with `to_local` in the schedule's zone. A failed
 * conversion reads as closed (and returns -1) so a caller is never let in by mistake. */
int ivr_schedule_state(const ivr_schedule_t *self, int64_t utc_ms, ivr_to_local_fn *to_local,
                       ivr_schedule_state_t *state);
const char *ivr_schedule_state_name(ivr_schedule_state_t state); /* "open", ... */

#endif
