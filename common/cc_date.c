/* cc_date.c - civil date to day number. Counts in 400-year eras (146097 days each) with
 * the year starting in March, so the leap day falls at the end of the year and every
 * month's start is a linear formula of its index (H. Hinnant's method). */
#include "cc_date.h"

int64_t cc_days_from_civil(int64_t year, int64_t month, int64_t day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}
