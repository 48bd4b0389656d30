/* ivr_tz.h - UTC instant -> local time in a named tz database zone. The one impure bit of
 * the IVR core: it reads the system tz database through TZ/tzset/localtime_r, under a
 * lock, restoring TZ afterwards. Other threads calling localtime() at the same moment could
 * see the borrowed zone, so ivrd keeps all of this on its one loop thread (ccctl has only
 * one thread). Tests may pass their own ivr_to_local_fn instead. */
#ifndef IVR_TZ_H
#define IVR_TZ_H

#include <stdbool.h>

#include "ivr_schedule.h"

/* Matches ivr_to_local_fn. -1 for a zone name that is malformed or not installed. */
int ivr_tz_to_local(const char *zone, int64_t utc_ms, ivr_local_t *out);

/* True if `zone` is well formed (letters, digits, '/', '_', '-', '+', no "..") and found
 * under the tz database directory ($TZDIR or /usr/share/zoneinfo). */
bool ivr_tz_exists(const char *zone);

/* Only the syntax check of ivr_tz_exists (pure). */
bool ivr_tz_name_valid(const char *zone);

#endif
