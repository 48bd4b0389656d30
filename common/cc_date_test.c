/* cc_date_test.c - day numbers of civil dates: the epoch, leap days, centuries, before 1970. */
#include "cc_date.h"
#include "cc_test.h"

CC_TEST(date_days_from_civil)
{
    CC_CHECK_INT(cc_days_from_civil(1970, 1, 1), 0);
    CC_CHECK_INT(cc_days_from_civil(1970, 1, 2), 1);
    CC_CHECK_INT(cc_days_from_civil(1969, 12, 31), -1);
    CC_CHECK_INT(cc_days_from_civil(2000, 3, 1) - cc_days_from_civil(2000, 2, 28), 2);
    CC_CHECK_INT(cc_days_from_civil(1900, 3, 1) - cc_days_from_civil(1900, 2, 28), 1);
    CC_CHECK_INT(cc_days_from_civil(2026, 12, 2), 20789); /* date -d 2026-12-02 +%s / 86400 */
    CC_CHECK_INT(cc_days_from_civil(1600, 1, 1), -135140);
}
