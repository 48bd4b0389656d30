/* ivr_fixture.h - helpers for ivrd's unit tests (ivr_fixture_test.c): a fake prompt store
 * and zone list for the validator, a fixed-offset clock for schedules, UTC instants from
 * calendar dates, and actions as text. Test code only. */
#ifndef IVR_FIXTURE_H
#define IVR_FIXTURE_H

#include <stdint.h>

#include "ivr_actions.h"
#include "ivr_flow.h"
#include "ivr_run.h"

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
/* The actions as text, in a static buffer. */
const char *ivr_fx_text(const ivr_actions_t *actions);
/* The path as "node:input" joined by spaces, in a static buffer. */
const char *ivr_fx_path(const ivr_run_t *run);

#endif
