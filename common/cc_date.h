/* cc_date.h - calendar arithmetic without time zones or libc: day numbers of civil
 * (proleptic Gregorian) dates, for parsing timestamps and building test clocks. */
#ifndef CC_DATE_H
#define CC_DATE_H

#include <stdint.h>

/* Days from 1970-01-01 to year-month-day (month 1-12); negative before 1970. */
int64_t cc_days_from_civil(int64_t year, int64_t month, int64_t day);

#endif
