/* acd_calltable_test.c - the call table: a killed call stays until the sweep, then goes
 * with every id that named it (a callback's originated leg too), killed twice or not. */
#include "acd_app.h"
#include "cc_test.h"

CC_TEST(acd_calltable_sweep_frees_killed_calls_and_their_leg_ids)
{
    acd_app_t app = {.calls = cc_map_new(NULL)}; /* no bus: no request is in flight */
    acd_call_t *a = acd_call_new(&app, "call-a");
    acd_call_t *b = acd_call_new(&app, "call-b");
    CC_CHECK(a && b && a->app == &app);
    CC_CHECK(acd_call_new(&app, "call-a") == NULL); /* one call per id */
    acd_text_copy(a->cb_call_id, sizeof a->cb_call_id, "leg-a");
    CC_CHECK_INT(cc_map_insert(app.calls, a->cb_call_id, a), 0);
    CC_CHECK(acd_call_find(&app, "leg-a") == a);
    CC_CHECK_INT(app.ncalls, 2);

    acd_call_kill(&app, a);
    acd_call_kill(&app, a);
    CC_CHECK(a->dead && acd_call_find(&app, "call-a") == a); /* until the sweep */
    acd_calls_sweep(&app);
    CC_CHECK(acd_call_find(&app, "call-a") == NULL);
    CC_CHECK(acd_call_find(&app, "leg-a") == NULL);
    CC_CHECK(acd_call_find(&app, "call-b") == b);
    CC_CHECK_INT(app.ncalls, 1);
    CC_CHECK_INT(cc_map_size(app.calls), 1);

    a = acd_call_new(&app, "call-a"); /* the id is free again */
    CC_CHECK(a != NULL);
    acd_calls_free_all(&app);
    CC_CHECK_INT(app.ncalls, 0);
    CC_CHECK(app.calls == NULL);
}
