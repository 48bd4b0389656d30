/* ivr_run_fixture.h - helpers for the interpreter's unit tests (ivr_run_fixture.c): actions
 * and paths as text. The fake prompt store, clock and flow loader they use come from the
 * flow model's fixture (ivrflow/ivr_fixture.h), included here. Test code only. */
#ifndef IVR_RUN_FIXTURE_H
#define IVR_RUN_FIXTURE_H

#include "ivr_actions.h"
#include "ivr_fixture.h"
#include "ivr_run.h"

/* The actions as text, in a static buffer. */
const char *ivr_fx_text(const ivr_actions_t *actions);
/* The path as "node:input" joined by spaces, in a static buffer. */
const char *ivr_fx_path(const ivr_run_t *run);

#endif
