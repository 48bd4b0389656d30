/* cdr_core_test.c - unit tests of the CDR builder: every disposition, the ring/talk
 * arithmetic, lost, duplicate and late events, orphans after a publisher restart. */
#include "cc_test.h"
#include "cdr_core.h"

#include <stdlib.h>

#define T0 1700000000000000LL /* an arbitrary event time, microseconds */
#define EPOCH 42

static cdr_event_t s_ev(cdr_event_kind_t kind, const char *call_id, int64_t ts_us)
{
    static int seq;
    static char ids[64][32];
    char *id = ids[seq++ % 64];
    snprintf(id, 32, "sipproxy:%d:%d", EPOCH, seq);
    cdr_event_t ev = {
        .kind = kind, .call_id = call_id, .ts_us = ts_us, .epoch = EPOCH, .event_id = id};
    return ev;
}

static cdr_event_t s_created(const char *call_id, int64_t ts_us)
{
    cdr_event_t ev = s_ev(CDR_EV_CREATED, call_id, ts_us);
    ev.caller = "1001";
    ev.callee = "1002";
    ev.direction = "internal";
    ev.route_kind = "ext";
    ev.route_target = "1002";
    return ev;
}

static cdr_event_t s_ended(const char *call_id, int64_t ts_us, const char *disposition,
                           const char *side, int code)
{
    cdr_event_t ev = s_ev(CDR_EV_ENDED, call_id, ts_us);
    ev.disposition = disposition;
    ev.hangup_side = side;
    ev.sip_code = code;
    ev.reason = "test";
    return ev;
}

/* Run one event and return the step kind. */
static cdr_step_kind_t s_step(cdr_core_t *core, cdr_event_t ev, cdr_step_t *out)
{
    cdr_core_step(core, &ev, out);
    return out->kind;
}

CC_TEST(cdr_answered_call_ring_and_talk_times)
{
    cdr_core_t *core = cdr_core_new(0);
    cdr_step_t st;
    CC_CHECK_INT(s_step(core, s_created("c1", T0), &st), CDR_STEP_ACTIVE);
    CC_CHECK(st.is_new);
    CC_CHECK_STR(st.call->caller, "1001");
    CC_CHECK_INT(cdr_core_active(core), 1);
    cdr_event_t ringing = s_ev(CDR_EV_RINGING, "c1", T0 + 150000);
    CC_CHECK_INT(s_step(core, ringing, &st), CDR_STEP_ACTIVE);
    CC_CHECK(!st.is_new);
    CC_CHECK_INT(st.call->ringing_us, T0 + 150000);
    cdr_event_t answered = s_ev(CDR_EV_ANSWERED, "c1", T0 + 4250000);
    answered.answered_by = "1002";
    CC_CHECK_INT(s_step(core, answered, &st), CDR_STEP_ACTIVE);
    CC_CHECK_STR(st.call->answered_by, "1002");
    CC_CHECK_INT(s_step(core, s_ended("c1", T0 + 64250999, "answered", "caller", 200), &st),
                 CDR_STEP_ENDED);
    cdr_row_t *row = st.row;
    CC_CHECK_STR(row->call_id, "c1");
    CC_CHECK_STR(row->caller, "1001");
    CC_CHECK_STR(row->callee, "1002");
    CC_CHECK_STR(row->direction, "internal");
    CC_CHECK_STR(row->answered_by, "1002");
    CC_CHECK_STR(row->disposition, "answered");
    CC_CHECK_STR(row->hangup_side, "caller");
    CC_CHECK_INT(row->sip_code, 200);
    CC_CHECK_INT(row->created_us, T0);
    CC_CHECK_INT(row->answered_us, T0 + 4250000);
    CC_CHECK_INT(row->ended_us, T0 + 64250999);
    CC_CHECK_INT(row->ring_ms, 4250);  /* created -> answered, not ringing -> answered */
    CC_CHECK_INT(row->talk_ms, 60000); /* answered -> ended, truncated to whole ms */
    CC_CHECK(!row->partial);
    CC_CHECK_INT(cdr_core_active(core), 0);
    cdr_row_destroy(&st.row);
    CC_CHECK(st.row == NULL);
    cdr_core_destroy(&core);
    CC_CHECK(core == NULL);
}

/* Every unanswered outcome: ring time runs to the end, talk time is 0. */
static cdr_event_t s_queue_call(const char *call_id, int64_t ts_us)
{
    cdr_event_t ev = s_created(call_id, ts_us);
    ev.callee = "600";
    ev.route_kind = "queue";
    ev.route_target = "support";
    return ev;
}

static cdr_event_t s_answered_by(const char *call_id, int64_t ts_us, const char *by)
{
    cdr_event_t ev = s_ev(CDR_EV_ANSWERED, call_id, ts_us);
    ev.answered_by = by;
    return ev;
}

static cdr_event_t s_connected(const char *call_id, int64_t ts_us, const char *target)
{
    cdr_event_t ev = s_ev(CDR_EV_CONNECTED, call_id, ts_us);
    ev.answered_by = target;
    return ev;
}

CC_TEST(cdr_queue_call_taken_by_an_agent)
{
    /* acdd answers at 0.2 s (music), the agent 1003 takes the call at 12 s, the caller
     * hangs up at 40 s: the agent answered, the caller waited 12 s, talked 28 s. */
    cdr_core_t *core = cdr_core_new(0);
    cdr_step_t st;
    s_step(core, s_queue_call("q1", T0), &st);
    s_step(core, s_answered_by("q1", T0 + 200000, "queue:support"), &st);
    CC_CHECK_INT(s_step(core, s_connected("q1", T0 + 12000000, "ext:1003"), &st), CDR_STEP_ACTIVE);
    CC_CHECK_STR(st.call->answered_by, "1003");
    CC_CHECK_INT(st.call->answered_us, T0 + 12000000);
    /* a later connect (a transfer) keeps the first person */
    CC_CHECK_INT(s_step(core, s_connected("q1", T0 + 30000000, "ext:1004"), &st), CDR_STEP_ACTIVE);
    CC_CHECK_STR(st.call->answered_by, "1003");
    CC_CHECK_INT(s_step(core, s_ended("q1", T0 + 40000000, "answered", "caller", 200), &st),
                 CDR_STEP_ENDED);
    CC_CHECK_STR(st.row->callee, "600");
    CC_CHECK_STR(st.row->answered_by, "1003");
    CC_CHECK_STR(st.row->disposition, "answered");
    CC_CHECK_INT(st.row->ring_ms, 12000);
    CC_CHECK_INT(st.row->talk_ms, 28000);
    cdr_row_destroy(&st.row);
    cdr_core_destroy(&core);
}

CC_TEST(cdr_queue_call_abandoned_before_an_agent)
{
    /* The caller hears the queue for 32 s and hangs up: answered by the system only, so
     * abandoned with no talk; the wait is in ring_ms up to the system's answer and in
     * the call's length. The system ending it (max wait) is not an abandon. */
    cdr_core_t *core = cdr_core_new(0);
    cdr_step_t st;
    s_step(core, s_queue_call("q2", T0), &st);
    s_step(core, s_answered_by("q2", T0 + 200000, "queue:support"), &st);
    s_step(core, s_ended("q2", T0 + 32200000, "answered", "caller", 200), &st);
    CC_CHECK_STR(st.row->answered_by, "queue:support");
    CC_CHECK_STR(st.row->disposition, "abandoned");
    CC_CHECK_INT(st.row->ring_ms, 200);
    CC_CHECK_INT(st.row->talk_ms, 0);
    cdr_row_destroy(&st.row);
    s_step(core, s_queue_call("q3", T0), &st);
    s_step(core, s_answered_by("q3", T0 + 200000, "queue:support"), &st);
    s_step(core, s_ended("q3", T0 + 60200000, "answered", "system", 200), &st);
    CC_CHECK_STR(st.row->disposition, "answered");
    CC_CHECK_INT(st.row->talk_ms, 0);
    cdr_row_destroy(&st.row);
    /* an IVR the caller leaves is answered by the system, not abandoned */
    s_step(core, s_queue_call("i1", T0), &st);
    s_step(core, s_answered_by("i1", T0 + 100000, "ivr:main"), &st);
    s_step(core, s_ended("i1", T0 + 20100000, "answered", "caller", 200), &st);
    CC_CHECK_STR(st.row->disposition, "answered");
    CC_CHECK_STR(st.row->answered_by, "ivr:main");
    CC_CHECK_INT(st.row->talk_ms, 0);
    cdr_row_destroy(&st.row);
    cdr_core_destroy(&core);
}

CC_TEST(cdr_direct_and_originated_calls_keep_their_answer)
{
    /* call.originate: the agent's leg answers first (call.answered names it), then the
     * customer is connected: the agent stays the one who answered. */
    cdr_core_t *core = cdr_core_new(0);
    cdr_step_t st;
    s_step(core, s_created("o1", T0), &st);
    s_step(core, s_answered_by("o1", T0 + 3000000, "1002"), &st);
    s_step(core, s_connected("o1", T0 + 3000500, "ext:1002"), &st);
    s_step(core, s_connected("o1", T0 + 9000000, "number:0301234"), &st);
    CC_CHECK_STR(st.call->answered_by, "1002");
    CC_CHECK_INT(st.call->answered_us, T0 + 3000000);
    s_step(core, s_ended("o1", T0 + 13000000, "answered", "callee", 200), &st);
    CC_CHECK_INT(st.row->talk_ms, 10000);
    CC_CHECK_STR(st.row->disposition, "answered");
    cdr_row_destroy(&st.row);
    /* a connect whose call.answered was lost still gives who and when */
    s_step(core, s_queue_call("q4", T0), &st);
    s_step(core, s_connected("q4", T0 + 5000000, "ext:1005"), &st);
    s_step(core, s_ended("q4", T0 + 6000000, "answered", "caller", 200), &st);
    CC_CHECK_STR(st.row->answered_by, "1005");
    CC_CHECK_INT(st.row->talk_ms, 1000);
    cdr_row_destroy(&st.row);
    cdr_core_destroy(&core);
}

CC_TEST(cdr_unanswered_dispositions)
{
    static const struct {
        const char *disposition, *side;
        int code;
    } cases[] = {
        {"busy", "callee", 486},     {"no_answer", "system", 480},   {"cancelled", "caller", 487},
        {"declined", "callee", 603}, {"unavailable", "system", 480}, {"not_found", "system", 404},
        {"failed", "system", 503},
    };
    cdr_core_t *core = cdr_core_new(0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char call_id[16];
        snprintf(call_id, sizeof call_id, "u%zu", i);
        cdr_step_t st;
        s_step(core, s_created(call_id, T0), &st);
        s_step(core, s_ev(CDR_EV_RINGING, call_id, T0 + 100000), &st);
        CC_CHECK_INT(s_step(core,
                            s_ended(call_id, T0 + 30000000, cases[i].disposition, cases[i].side,
                                    cases[i].code),
                            &st),
                     CDR_STEP_ENDED);
        CC_CHECK_STR(st.row->disposition, cases[i].disposition);
        CC_CHECK_STR(st.row->hangup_side, cases[i].side);
        CC_CHECK_INT(st.row->sip_code, cases[i].code);
        CC_CHECK_INT(st.row->answered_us, CDR_UNKNOWN);
        CC_CHECK(st.row->answered_by == NULL);
        CC_CHECK_INT(st.row->ring_ms, 30000);
        CC_CHECK_INT(st.row->talk_ms, 0);
        CC_CHECK(st.note == NULL);
        cdr_row_destroy(&st.row);
    }
    CC_CHECK_INT(cdr_core_active(core), 0);
    cdr_core_destroy(&core);
}

CC_TEST(cdr_media_timeout_is_an_answered_call)
{
    cdr_core_t *core = cdr_core_new(0);
    cdr_step_t st;
    s_step(core, s_created("m1", T0), &st);
    cdr_event_t answered = s_ev(CDR_EV_ANSWERED, "m1", T0 + 2000000);
    answered.answered_by = "1002";
    s_step(core, answered, &st);
    s_step(core, s_ended("m1", T0 + 12000000, "media_timeout", "system", 200), &st);
    CC_CHECK_STR(st.row->disposition, "media_timeout");
    CC_CHECK_INT(st.row->ring_ms, 2000);
    CC_CHECK_INT(st.row->talk_ms, 10000);
    cdr_row_destroy(&st.row);
    cdr_core_destroy(&core);
}

CC_TEST(cdr_leg_stats_copied_to_the_row)
{
    cdr_core_t *core = cdr_core_new(0);
    cdr_step_t st;
    s_step(core, s_created("l1", T0), &st);
    cdr_event_t ended = s_ended("l1", T0 + 1000000, "answered", "callee", 200);
    ended.legs[CDR_LEG_CALLER] = (cdr_leg_stats_t){.present = true,
                                                   .packets_in = 50,
                                                   .bytes_in = 8600,
                                                   .lost = 2,
                                                   .jitter_ms = 1.25,
                                                   .max_gap_ms = 60};
    ended.legs[CDR_LEG_CALLEE] =
        (cdr_leg_stats_t){.present = true, .packets_out = 49, .out_of_order = 1};
    s_step(core, ended, &st);
    CC_CHECK(st.row->legs[CDR_LEG_CALLER].present);
    CC_CHECK_INT(st.row->legs[CDR_LEG_CALLER].packets_in, 50);
    CC_CHECK_INT(st.row->legs[CDR_LEG_CALLER].bytes_in, 8600);
    CC_CHECK_INT(st.row->legs[CDR_LEG_CALLER].lost, 2);
    CC_CHECK_NEAR(st.row->legs[CDR_LEG_CALLER].jitter_ms, 1.25, 1e-9);
    CC_CHECK_INT(st.row->legs[CDR_LEG_CALLER].max_gap_ms, 60);
    CC_CHECK_INT(st.row->legs[CDR_LEG_CALLEE].packets_out, 49);
    CC_CHECK_INT(st.row->legs[CDR_LEG_CALLEE].out_of_order, 1);
    /* answered but no call.answered seen: talk time unknown rather than invented */
    CC_CHECK_INT(st.row->talk_ms, CDR_UNKNOWN);
    CC_CHECK_STR(cdr_leg_name(CDR_LEG_CALLER), "caller");
    CC_CHECK_STR(cdr_leg_name(CDR_LEG_CALLEE), "callee");
    cdr_row_destroy(&st.row);
    cdr_core_destroy(&core);
}

CC_TEST(cdr_duplicates_and_late_events_ignored)
{
    cdr_core_t *core = cdr_core_new(0);
    cdr_step_t st;
    s_step(core, s_created("d1", T0), &st);
    CC_CHECK_INT(s_step(core, s_created("d1", T0 + 5), &st), CDR_STEP_IGNORED);
    CC_CHECK_STR(st.why, "duplicate call.created");
    s_step(core, s_ev(CDR_EV_RINGING, "d1", T0 + 10), &st);
    CC_CHECK_INT(s_step(core, s_ev(CDR_EV_RINGING, "d1", T0 + 20), &st), CDR_STEP_IGNORED);
    cdr_event_t answered = s_ev(CDR_EV_ANSWERED, "d1", T0 + 1000000);
    s_step(core, answered, &st);
    CC_CHECK_INT(s_step(core, answered, &st), CDR_STEP_IGNORED);
    CC_CHECK_INT(cdr_core_find(core, "d1")->answered_us, T0 + 1000000);
    CC_CHECK_INT(s_step(core, s_ended("d1", T0 + 3000000, "answered", "caller", 200), &st),
                 CDR_STEP_ENDED);
    cdr_row_destroy(&st.row);
    CC_CHECK_INT(s_step(core, s_ended("d1", T0 + 3000001, "answered", "caller", 200), &st),
                 CDR_STEP_IGNORED);
    CC_CHECK_STR(st.why, "duplicate call.ended");
    CC_CHECK(st.row == NULL);
    CC_CHECK_INT(s_step(core, s_ev(CDR_EV_RINGING, "d1", T0 + 4000000), &st), CDR_STEP_IGNORED);
    CC_CHECK_INT(cdr_core_active(core), 0);
    cdr_core_destroy(&core);
}

CC_TEST(cdr_recent_ring_forgets_oldest)
{
    cdr_core_t *core = cdr_core_new(2);
    cdr_step_t st;
    const char *ids[] = {"r1", "r2", "r3"};
    for (int i = 0; i < 3; i++) {
        s_step(core, s_ended(ids[i], T0, "failed", "system", 500), &st);
        cdr_row_destroy(&st.row);
    }
    /* r1 fell out of a ring of two: a second call.ended for it is taken as new. */
    CC_CHECK_INT(s_step(core, s_ended("r3", T0, "failed", "system", 500), &st), CDR_STEP_IGNORED);
    CC_CHECK_INT(s_step(core, s_ended("r1", T0, "failed", "system", 500), &st), CDR_STEP_ENDED);
    cdr_row_destroy(&st.row);
    cdr_core_destroy(&core);
}

CC_TEST(cdr_ended_without_created_gives_partial_row)
{
    cdr_core_t *core = cdr_core_new(0);
    cdr_step_t st;
    CC_CHECK_INT(s_step(core, s_ended("p1", T0 + 9000000, "busy", "callee", 486), &st),
                 CDR_STEP_ENDED);
    CC_CHECK(st.note != NULL);
    CC_CHECK(st.row->partial);
    CC_CHECK(st.row->caller == NULL);
    CC_CHECK(st.row->direction == NULL);
    CC_CHECK_INT(st.row->created_us, T0 + 9000000);
    CC_CHECK_INT(st.row->ring_ms, CDR_UNKNOWN);
    CC_CHECK_INT(st.row->talk_ms, 0);
    CC_CHECK_STR(st.row->disposition, "busy");
    cdr_row_destroy(&st.row);
    cdr_core_destroy(&core);
}

CC_TEST(cdr_answered_without_created_keeps_what_is_known)
{
    cdr_core_t *core = cdr_core_new(0);
    cdr_step_t st;
    cdr_event_t answered = s_ev(CDR_EV_ANSWERED, "p2", T0 + 2000000);
    answered.answered_by = "2001";
    CC_CHECK_INT(s_step(core, answered, &st), CDR_STEP_ACTIVE);
    CC_CHECK(st.is_new);
    CC_CHECK(st.note != NULL);
    CC_CHECK(!st.call->seen_created);
    s_step(core, s_ended("p2", T0 + 7000000, "answered", "callee", 200), &st);
    CC_CHECK(st.row->partial);
    CC_CHECK_INT(st.row->created_us, T0 + 2000000); /* earliest known */
    CC_CHECK_INT(st.row->ring_ms, CDR_UNKNOWN);
    CC_CHECK_INT(st.row->talk_ms, 5000);
    CC_CHECK_STR(st.row->answered_by, "2001");
    cdr_row_destroy(&st.row);
    cdr_core_destroy(&core);
}

CC_TEST(cdr_created_after_answered_fills_the_stub)
{
    cdr_core_t *core = cdr_core_new(0);
    cdr_step_t st;
    s_step(core, s_ev(CDR_EV_ANSWERED, "o1", T0 + 3000000), &st);
    CC_CHECK_INT(s_step(core, s_created("o1", T0), &st), CDR_STEP_ACTIVE);
    CC_CHECK(!st.is_new);
    CC_CHECK(st.note != NULL);
    s_step(core, s_ended("o1", T0 + 4000000, "answered", "caller", 200), &st);
    CC_CHECK(!st.row->partial);
    CC_CHECK_STR(st.row->caller, "1001");
    CC_CHECK_INT(st.row->ring_ms, 3000);
    CC_CHECK_INT(st.row->talk_ms, 1000);
    cdr_row_destroy(&st.row);
    cdr_core_destroy(&core);
}

CC_TEST(cdr_clock_step_back_never_negative)
{
    cdr_core_t *core = cdr_core_new(0);
    cdr_step_t st;
    s_step(core, s_created("n1", T0), &st);
    s_step(core, s_ev(CDR_EV_ANSWERED, "n1", T0 - 500000), &st);
    s_step(core, s_ended("n1", T0 - 900000, "answered", "caller", 200), &st);
    CC_CHECK_INT(st.row->ring_ms, 0);
    CC_CHECK_INT(st.row->talk_ms, 0);
    cdr_row_destroy(&st.row);
    cdr_core_destroy(&core);
}

CC_TEST(cdr_values_outside_the_sets_normalised)
{
    cdr_core_t *core = cdr_core_new(0);
    cdr_step_t st;
    cdr_event_t created = s_created("v1", T0);
    created.direction = "sideways";
    s_step(core, created, &st);
    CC_CHECK(st.note != NULL);
    CC_CHECK(st.call->direction == NULL);
    s_step(core, s_ended("v1", T0 + 1000, "exploded", "nobody", 500), &st);
    CC_CHECK_STR(st.row->disposition, "failed");
    CC_CHECK_STR(st.row->hangup_side, "system");
    CC_CHECK(st.note != NULL);
    cdr_row_destroy(&st.row);
    cdr_event_t bad = s_created("", T0);
    CC_CHECK_INT(cdr_core_step(core, &bad, &st), -1);
    CC_CHECK_INT(st.kind, CDR_STEP_IGNORED);
    CC_CHECK(cdr_disposition_valid("no_answer"));
    CC_CHECK(!cdr_disposition_valid(NULL));
    cdr_core_destroy(&core);
}

static void s_collect(cdr_row_t *row, void *arg)
{
    cdr_row_t **rows = arg;
    for (int i = 0; i < 4; i++)
        if (!rows[i]) {
            rows[i] = row;
            return;
        }
    cdr_row_destroy(&row);
}

CC_TEST(cdr_restore_and_orphans_of_an_old_epoch)
{
    cdr_core_t *core = cdr_core_new(0);
    cdr_call_t saved = {.call_id = "old1",
                        .caller = "1001",
                        .callee = "1002",
                        .direction = "internal",
                        .answered_by = "1002",
                        .created_us = T0,
                        .ringing_us = CDR_UNKNOWN,
                        .answered_us = T0 + 1000000,
                        .updated_us = T0 + 1000000,
                        .epoch = 7,
                        .seen_created = true};
    CC_CHECK_INT(cdr_core_restore(core, &saved), 0);
    CC_CHECK_INT(cdr_core_restore(core, &saved), -1);
    cdr_step_t st;
    s_step(core, s_created("new1", T0 + 5000000), &st); /* epoch 42 */
    cdr_row_t *rows[4] = {0};
    CC_CHECK_INT(cdr_core_end_orphans(core, EPOCH, T0 + 9000000, "sipproxy:42:1", s_collect, rows),
                 1);
    CC_CHECK(rows[0] != NULL && rows[1] == NULL);
    CC_CHECK_STR(rows[0]->call_id, "old1");
    CC_CHECK_STR(rows[0]->disposition, "interrupted");
    CC_CHECK_STR(rows[0]->hangup_side, "system");
    CC_CHECK_STR(rows[0]->reason, CDR_ORPHAN_REASON);
    CC_CHECK_INT(rows[0]->created_us, T0);
    CC_CHECK_INT(rows[0]->ended_us, T0 + 9000000);
    CC_CHECK_STR(rows[0]->event_id, "sipproxy:42:1/orphan/old1");
    CC_CHECK_INT(rows[0]->talk_ms, 8000);
    CC_CHECK_INT(rows[0]->ring_ms, 1000);
    CC_CHECK_INT(rows[0]->sip_code, 0);
    cdr_row_destroy(&rows[0]);
    CC_CHECK_INT(cdr_core_active(core), 1);
    CC_CHECK(cdr_core_find(core, "new1") != NULL);
    /* A late event of the orphan is dropped, not turned into a new call. */
    CC_CHECK_INT(s_step(core, s_ended("old1", T0 + 9500000, "answered", "caller", 200), &st),
                 CDR_STEP_IGNORED);
    cdr_core_destroy(&core);
}

static void s_count_row(cdr_row_t *row, void *arg)
{
    (*(int *)arg)++;
    cdr_row_destroy(&row);
}

CC_TEST(cdr_orphans_among_many_calls_all_end_and_the_rest_stay)
{
    cdr_core_t *core = cdr_core_new(0);
    char id[16];
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "c%d", i);
        cdr_call_t saved = {.call_id = id,
                            .created_us = T0,
                            .ringing_us = CDR_UNKNOWN,
                            .answered_us = CDR_UNKNOWN,
                            .updated_us = T0,
                            .epoch = i % 3 ? 7 : EPOCH,
                            .seen_created = true};
        CC_CHECK_INT(cdr_core_restore(core, &saved), 0);
    }
    int rows = 0;
    CC_CHECK_INT(cdr_core_end_orphans(core, EPOCH, T0 + 1000, "sipproxy:42:1", s_count_row, &rows),
                 200);
    CC_CHECK_INT(rows, 200);
    CC_CHECK_INT(cdr_core_active(core), 100);
    CC_CHECK(cdr_core_find(core, "c0") != NULL);
    CC_CHECK(cdr_core_find(core, "c1") == NULL);
    cdr_step_t st; /* an orphan's late event is dropped */
    CC_CHECK_INT(s_step(core, s_ended("c1", T0 + 2000, "answered", "caller", 200), &st),
                 CDR_STEP_IGNORED);
    cdr_core_destroy(&core);
}

CC_TEST(cdr_orphan_never_ends_before_its_own_last_event)
{
    /* The publisher's last sign of life can be older than a call's last event (a heartbeat
     * before call.answered): the call ends at the later of the two, never before it began. */
    cdr_core_t *core = cdr_core_new(0);
    cdr_call_t saved = {.call_id = "c1",
                        .caller = "1001",
                        .callee = "1002",
                        .direction = "internal",
                        .created_us = T0,
                        .ringing_us = CDR_UNKNOWN,
                        .answered_us = T0 + 2000000,
                        .updated_us = T0 + 2000000,
                        .epoch = 7,
                        .seen_created = true};
    CC_CHECK_INT(cdr_core_restore(core, &saved), 0);
    cdr_row_t *rows[2] = {0};
    CC_CHECK_INT(cdr_core_end_orphans(core, EPOCH, T0 + 1500000, "sipproxy:42:1", s_collect, rows),
                 1);
    CC_CHECK_STR(rows[0]->disposition, "interrupted");
    CC_CHECK_INT(rows[0]->ended_us, T0 + 2000000);
    CC_CHECK_INT(rows[0]->talk_ms, 0);
    CC_CHECK_INT(rows[0]->ring_ms, 2000);
    cdr_row_destroy(&rows[0]);
    cdr_core_destroy(&core);
}

CC_TEST(cdr_interrupted_is_a_disposition_call_ended_may_carry)
{
    CC_CHECK(cdr_disposition_valid("interrupted"));
    CC_CHECK(!cdr_disposition_valid("crashed"));
}

CC_TEST(cdr_blocked_is_a_disposition_call_ended_may_carry)
{
    CC_CHECK(cdr_disposition_valid("blocked"));
}
