/* ivr_fixture.h - helpers for the unit tests of the IVR flow model and of ivrd's
 * interpreter (ivr_fixture.c, linked into both as libivrflow_fixture.a): a fake prompt
 * store and zone list for the validator, a fixed-offset clock for schedules, UTC instants
 * from calendar dates. Test code only; the interpreter's own helpers are in
 * ivrd/ivr_run_fixture.h. */
#ifndef IVR_FIXTURE_H
#define IVR_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "ivr_flow.h"
#include "ivr_schedule.h"

/* Every prompt exists except names starting "missing"; language "xx" has none. */
bool ivr_fx_prompt_exists(const char *name, const char *language, void *ctx);
/* Every well-formed zone exists except "Mars/Olympus". */
bool ivr_fx_zone_exists(const char *zone, void *ctx);
/* "UTC" and "Test/Plus2" (UTC+2 all year); anything else fails. */
int ivr_fx_to_local(const char *zone, int64_t utc_ms, ivr_local_t *out);
/* The env above. */
const ivr_flow_env_t *ivr_fx_env(void);
/* UTC milliseconds of a calendar date and time. */
int64_t ivr_fx_utc(int year, int month, int day, int hour, int minute, int second);
/* Parses with the fake env; on failure prints the errors and returns NULL. */
ivr_flow_t *ivr_fx_flow(const char *json);
/* Reads a whole file (the caller frees), or NULL. */
char *ivr_fx_read_file(const char *path);

#endif
