/* cdr_batch_test.c - unit tests of the pending-write batch: folding per call, calls that
 * live and die inside one batch, the cursor, clearing. */
#include "cc_test.h"
#include "cdr_batch.h"

#include <stdlib.h>
#include <string.h>

static cdr_row_t *s_row(const char *call_id)
{
    cdr_row_t *row = calloc(1, sizeof *row);
    row->call_id = strdup(call_id);
    return row;
}

static const cdr_call_t *s_find(cdr_batch_t *batch, const char *call_id, bool *found)
{
    cdr_batch_call_t it;
    *found = false;
    for (bool ok = cdr_batch_first_call(batch, &it); ok; ok = cdr_batch_next_call(batch, &it))
        if (!strcmp(it.call_id, call_id)) {
            *found = true;
            return it.state;
        }
    return NULL;
}

CC_TEST(cdr_batch_folds_changes_per_call)
{
    cdr_batch_t *batch = cdr_batch_new();
    cdr_call_t call = {.call_id = "a",
                       .caller = "1001",
                       .created_us = 1,
                       .ringing_us = CDR_UNKNOWN,
                       .answered_us = CDR_UNKNOWN};
    CC_CHECK_INT(cdr_batch_put_call(batch, &call, true), 0);
    call.answered_us = 5;
    CC_CHECK_INT(cdr_batch_put_call(batch, &call, false), 0);
    cdr_call_t old = {
        .call_id = "b", .created_us = 1, .ringing_us = CDR_UNKNOWN, .answered_us = CDR_UNKNOWN};
    CC_CHECK_INT(cdr_batch_put_call(batch, &old, false), 0);
    CC_CHECK_INT(cdr_batch_calls(batch), 2);
    bool found;
    const cdr_call_t *state = s_find(batch, "a", &found);
    CC_CHECK(found && state);
    CC_CHECK_INT(state->answered_us, 5); /* the latest state, a copy */
    CC_CHECK_STR(state->caller, "1001");

    /* "a" lived and died inside the batch: nothing for calls_active; "b" must go. */
    cdr_row_t *row = s_row("a");
    CC_CHECK_INT(cdr_batch_end_call(batch, &row), 0);
    CC_CHECK(row == NULL);
    row = s_row("b");
    CC_CHECK_INT(cdr_batch_end_call(batch, &row), 0);
    row = s_row("c"); /* never seen: a delete is harmless */
    CC_CHECK_INT(cdr_batch_end_call(batch, &row), 0);
    s_find(batch, "a", &found);
    CC_CHECK(!found);
    CC_CHECK(s_find(batch, "b", &found) == NULL && found);
    CC_CHECK(s_find(batch, "c", &found) == NULL && found);
    CC_CHECK_INT(cdr_batch_rows(batch), 3);
    CC_CHECK_STR(cdr_batch_first_row(batch)->call_id, "a");
    CC_CHECK_STR(cdr_batch_next_row(batch)->call_id, "b");
    CC_CHECK_STR(cdr_batch_next_row(batch)->call_id, "c");
    CC_CHECK(cdr_batch_next_row(batch) == NULL);
    cdr_batch_destroy(&batch);
    CC_CHECK(batch == NULL);
}

CC_TEST(cdr_batch_cursor_and_clear)
{
    cdr_batch_t *batch = cdr_batch_new();
    CC_CHECK_INT(cdr_batch_events(batch), 0);
    cdr_batch_advance(batch, 9, 1);
    cdr_batch_advance(batch, 9, 2);
    cdr_row_t *row = s_row("x");
    cdr_batch_end_call(batch, &row);
    CC_CHECK_INT(cdr_batch_events(batch), 2);
    cdr_batch_clear(batch);
    CC_CHECK_INT(cdr_batch_events(batch), 0);
    CC_CHECK_INT(cdr_batch_rows(batch), 0);
    CC_CHECK_INT(cdr_batch_calls(batch), 0);
    uint64_t epoch, seq;
    cdr_batch_cursor(batch, &epoch, &seq);
    CC_CHECK_INT(epoch, 9);
    CC_CHECK_INT(seq, 2);
    cdr_batch_destroy(&batch);
}

CC_TEST(cdr_batch_uncertain_commit_keeps_deletes)
{
    cdr_batch_t *batch = cdr_batch_new();
    cdr_call_t call = {
        .call_id = "u", .created_us = 1, .ringing_us = CDR_UNKNOWN, .answered_us = CDR_UNKNOWN};
    cdr_batch_put_call(batch, &call, true);
    cdr_batch_mark_uncertain(batch); /* the COMMIT may have landed */
    cdr_row_t *row = s_row("u");
    cdr_batch_end_call(batch, &row);
    bool found;
    CC_CHECK(s_find(batch, "u", &found) == NULL && found); /* a delete, not nothing */
    cdr_batch_destroy(&batch);
}

CC_TEST(cdr_batch_keeps_many_rows_in_order_across_clears)
{
    cdr_batch_t *batch = cdr_batch_new();
    char id[16];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 200; i++) {
            snprintf(id, sizeof id, "r%d", i);
            cdr_row_t *row = s_row(id);
            CC_CHECK_INT(cdr_batch_end_call(batch, &row), 0);
            CC_CHECK(row == NULL);
        }
        CC_CHECK_INT(cdr_batch_rows(batch), 200);
        CC_CHECK_INT(cdr_batch_calls(batch), 200); /* each may be in calls_active */
        int n = 0;
        for (cdr_row_t *row = cdr_batch_first_row(batch); row; row = cdr_batch_next_row(batch)) {
            snprintf(id, sizeof id, "r%d", n++);
            CC_CHECK_STR(row->call_id, id);
        }
        CC_CHECK_INT(n, 200);
        cdr_batch_clear(batch);
        CC_CHECK(cdr_batch_first_row(batch) == NULL);
        cdr_batch_call_t it;
        CC_CHECK(!cdr_batch_first_call(batch, &it));
    }
    cdr_batch_destroy(&batch);
}

CC_TEST(cdr_batch_move_hands_over_everything_and_keeps_the_cursor)
{
    cdr_batch_t *pending = cdr_batch_new(), *writing = cdr_batch_new();
    cdr_call_t call = {
        .call_id = "m", .created_us = 1, .ringing_us = CDR_UNKNOWN, .answered_us = CDR_UNKNOWN};
    CC_CHECK_INT(cdr_batch_put_call(pending, &call, true), 0);
    cdr_row_t *row = s_row("ended");
    CC_CHECK_INT(cdr_batch_end_call(pending, &row), 0);
    cdr_batch_advance(pending, 7, 41);
    cdr_batch_advance(pending, 7, 42);
    cdr_batch_move(writing, pending);
    CC_CHECK_INT(cdr_batch_events(writing), 2);
    CC_CHECK_INT(cdr_batch_rows(writing), 1);
    CC_CHECK_INT(cdr_batch_calls(writing), 2);
    CC_CHECK_INT(cdr_batch_events(pending), 0);
    CC_CHECK_INT(cdr_batch_rows(pending), 0);
    CC_CHECK_INT(cdr_batch_calls(pending), 0);
    uint64_t epoch, seq;
    cdr_batch_cursor(pending, &epoch, &seq);
    CC_CHECK_INT(epoch, 7);
    CC_CHECK_INT(seq, 42);
    /* the pending batch goes on with the next events while the other is written */
    cdr_batch_advance(pending, 7, 43);
    CC_CHECK_INT(cdr_batch_put_call(pending, &call, false), 0);
    CC_CHECK_INT(cdr_batch_calls(pending), 1);
    cdr_batch_clear(writing);
    cdr_batch_move(writing, pending);
    cdr_batch_cursor(writing, &epoch, &seq);
    CC_CHECK_INT(seq, 43);
    CC_CHECK_INT(cdr_batch_calls(writing), 1);
    cdr_batch_destroy(&pending);
    cdr_batch_destroy(&writing);
}
