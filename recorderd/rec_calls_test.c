/* rec_calls_test.c - the tap index: tap batches find their recording by id, and only the
 * recording indexed under an id can take it out. */
#include "cc_test.h"
#include "rec_calls_int.h"

CC_TEST(rec_tap_index_by_recording_id)
{
    rec_calls_t self = {.by_tap = cc_map_new(NULL)};
    rec_call_t a = {.rec_id = 7}, b = {.rec_id = 70}, stale = {.rec_id = 70};
    CC_CHECK_INT(rec_calls_tap_link(&self, &a), 0);
    CC_CHECK_INT(rec_calls_tap_link(&self, &b), 0);
    CC_CHECK(rec_calls_tap_find(&self, 7) == &a);
    CC_CHECK(rec_calls_tap_find(&self, 70) == &b);
    CC_CHECK(rec_calls_tap_find(&self, 700) == NULL);
    rec_calls_tap_unlink(&self, &stale); /* not the one indexed under 70 */
    CC_CHECK(rec_calls_tap_find(&self, 70) == &b);
    rec_calls_tap_unlink(&self, &a);
    CC_CHECK(rec_calls_tap_find(&self, 7) == NULL);
    CC_CHECK_INT(cc_map_size(self.by_tap), 1);
    cc_map_destroy(&self.by_tap);
}
