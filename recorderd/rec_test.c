/* rec_test.c - unit tests of recorderd's pure parts: the timeline (timestamp placement,
 * gaps, reordering, wrap, pause, a mediad restart, a lost tail), policy resolution,
 * retention and feature codes. The file format's tests are in recfile/, the tap batches'
 * in common/cc_tapwire_test.c. */
#include <stdlib.h>
#include <string.h>

#include "cc_test.h"
#include "rec_mix.h"
#include "rec_policy.h"

typedef struct {
    int16_t buf[2 * 80000];
    size_t n;
} s_out_t;

static void s_sink(const int16_t *st, size_t frames, void *arg)
{
    s_out_t *o = arg;
    if (o->n + frames <= 80000)
        memcpy(o->buf + 2 * o->n, st, frames * 4);
    o->n += frames;
}

/* A 160-byte PCMU frame of constant code (0x80: a large positive sample). */
static void s_frame(rec_mix_t *m, int party, uint32_t ts, uint64_t arrival_us)
{
    uint8_t p[160];
    memset(p, party ? 0x90 : 0x80, sizeof p);
    rec_mix_frame(m, party, 0, ts, 1234, arrival_us, p, sizeof p);
}

CC_TEST(mix_places_by_timestamp_with_gap_and_reorder)
{
    static s_out_t o;
    o.n = 0;
    rec_mix_t *m = rec_mix_new(0, 4000, 500, s_sink, &o);
    CC_CHECK(m);
    /* party 0: frames at ts 1000.., the first arriving at 20 ms; frame 3 is lost, 5 and 4 swap */
    uint32_t base = 4294967000u; /* wraps inside the call */
    for (int i = 0; i < 8; i++) {
        if (i == 3)
            continue;
        int k = i == 4 ? 5 : i == 5 ? 4 : i;
        /* arrival jitters up to 15 ms: placement must ignore it */
        s_frame(m, 0, base + 160u * (uint32_t)k, 20000 + 20000 * (uint64_t)i + (i % 2) * 15000);
    }
    int64_t len = rec_mix_finish(m, 160000);
    CC_CHECK_INT(len, 1280);
    CC_CHECK_INT(o.n, 1280);
    CC_CHECK(o.buf[0] != 0 && o.buf[2 * 479] != 0); /* frames 0-2 */
    CC_CHECK_INT(o.buf[2 * 480], 0);                /* frame 3 lost: silence */
    CC_CHECK_INT(o.buf[2 * 639], 0);
    CC_CHECK(o.buf[2 * 640] != 0 && o.buf[2 * 1279] != 0); /* 4-7, reordered in place */
    CC_CHECK_INT(o.buf[1], 0);                             /* right channel: nothing sent */
    rec_mix_destroy(&m);
}

CC_TEST(mix_no_drift_and_parties_aligned)
{
    static s_out_t o;
    o.n = 0;
    rec_mix_t *m = rec_mix_new(0, 4000, 500, s_sink, &o);
    /* 10 s; party 1 starts 1 s later with another timestamp base; arrivals run 0.5% fast,
     * which must not move samples (no drift) */
    for (int i = 0; i < 500; i++) {
        s_frame(m, 0, 160u * (uint32_t)i, (uint64_t)(20000 + i * 19900));
        if (i >= 50)
            s_frame(m, 1, 77777u + 160u * (uint32_t)(i - 50), (uint64_t)(20000 + i * 19900));
    }
    int64_t len = rec_mix_finish(m, 0);
    CC_CHECK_INT(len, 80000);
    /* party 1's first frame arrived at 1.015 s: it starts at 7960 (arrival 0.5% early) */
    CC_CHECK_INT(o.buf[2 * 7959 + 1], 0);
    CC_CHECK(o.buf[2 * 7960 + 1] != 0);
    CC_CHECK(o.buf[2 * 79999] != 0 && o.buf[2 * 79959 + 1] != 0);
    CC_CHECK_INT(m->reanchors, 0);
    rec_mix_destroy(&m);
}

CC_TEST(mix_pause_is_silence_and_late_frames_count)
{
    static s_out_t o;
    o.n = 0;
    rec_mix_t *m = rec_mix_new(0, 4000, 100, s_sink, &o);
    for (int i = 0; i < 100; i++) {
        uint64_t t = 20000 + 20000 * (uint64_t)i;
        if (i == 25)
            rec_mix_pause(m, t);
        if (i == 50)
            rec_mix_resume(m, t);
        s_frame(m, 0, 160u * (uint32_t)i, t);
        rec_mix_advance(m, t);
    }
    rec_mix_advance(m, 2600000);       /* final up to the newest arrival (2.0 s) less the hold */
    s_frame(m, 0, 160u * 80, 2010000); /* too late: dropped, counted */
    rec_mix_finish(m, 0);
    CC_CHECK_INT(m->late, 1);
    CC_CHECK_INT(m->npauses, 1);
    int64_t a = m->pauses[0].start, b = m->pauses[0].end;
    CC_CHECK_INT(b - a, 4000);
    for (int64_t i = a; i < b; i++)
        CC_CHECK_INT(o.buf[2 * i], 0);
    CC_CHECK(o.buf[2 * (a - 1)] != 0 && o.buf[2 * b] != 0);
    rec_mix_destroy(&m);
}

CC_TEST(mix_loss_marks_a_gap_where_the_silence_is)
{
    static s_out_t o;
    o.n = 0;
    rec_mix_t *m = rec_mix_new(0, 4000, 500, s_sink, &o);
    /* 1 s of both parties, 2 s lost (the tap said so), 1 s more; then a loss reported at
     * the end with nothing after it: no span, since no audio says where it ended */
    for (int i = 0; i < 150; i++) {
        if (i >= 50 && i < 100)
            continue;
        if (i == 100) {
            rec_mix_mark_loss(m);
            rec_mix_mark_loss(m); /* two reports before the next frame: one gap */
        }
        uint64_t t = 20000 + 20000 * (uint64_t)i;
        s_frame(m, 0, 160u * (uint32_t)i, t);
        s_frame(m, 1, 5000u + 160u * (uint32_t)i, t);
    }
    rec_mix_mark_loss(m);
    rec_mix_finish(m, 0);
    CC_CHECK_INT(m->ngaps, 1);
    CC_CHECK_INT(m->gaps[0].start, 8000);
    CC_CHECK_INT(m->gaps[0].end, 16000);
    CC_CHECK_INT(o.buf[2 * 8000], 0);
    CC_CHECK(o.buf[2 * 7999] != 0 && o.buf[2 * 16000] != 0);
    rec_mix_destroy(&m);
    /* more gaps than the list holds: the last span widens to cover the rest */
    o.n = 0;
    m = rec_mix_new(0, 4000, 500, s_sink, &o);
    for (int i = 0; i < 2 * REC_MIX_MAX_GAPS + 10; i++) {
        if (i % 2)
            continue; /* every other frame lost, each loss reported */
        if (i)
            rec_mix_mark_loss(m);
        s_frame(m, 0, 160u * (uint32_t)i, 20000 + 20000 * (uint64_t)i);
    }
    CC_CHECK_INT(m->ngaps, REC_MIX_MAX_GAPS);
    CC_CHECK_INT(m->gaps[0].start, 160);
    CC_CHECK_INT(m->gaps[0].end, 320);
    CC_CHECK_INT(m->gaps[REC_MIX_MAX_GAPS - 1].end, 160 * (2 * REC_MIX_MAX_GAPS + 8));
    rec_mix_destroy(&m);
}

CC_TEST(mix_mediad_restart_is_a_gap_and_keeps_placement)
{
    static s_out_t o;
    o.n = 0;
    rec_mix_t *m = rec_mix_new(0, 4000, 500, s_sink, &o);
    /* 1 s of both parties from the old mediad; it dies (its last batch with it) and a new
     * one taps the restored endpoints 2 s later. The phones' timestamps and SSRCs ran on
     * and the arrival clock is the host's CLOCK_MONOTONIC in both, so what follows lands
     * by timestamp, with no new anchor; recorderd marks the loss when it restarts the tap.
     * Meanwhile it keeps advancing on its own clock: nothing past the audio goes out. */
    for (int i = 0; i < 150; i++) {
        uint64_t t = 20000 + 20000 * (uint64_t)i;
        if (i >= 50 && i < 100) {
            rec_mix_advance(m, t);
            continue;
        }
        if (i == 100)
            rec_mix_mark_loss(m);
        s_frame(m, 0, 160u * (uint32_t)i, t + 3000);
        s_frame(m, 1, 5000u + 160u * (uint32_t)i, t + 3000);
        rec_mix_advance(m, t);
    }
    rec_mix_finish(m, 0);
    CC_CHECK_INT(m->reanchors, 0);
    CC_CHECK_INT(m->late, 0);
    CC_CHECK_INT(m->ngaps, 1);
    CC_CHECK_INT(m->gaps[0].start, 8000 + 24);
    CC_CHECK_INT(m->gaps[0].end, 16000 + 24);
    CC_CHECK_INT(o.n, 24000 + 24);
    CC_CHECK(o.buf[2 * 8023] != 0 && o.buf[2 * 8023 + 1] != 0);
    CC_CHECK_INT(o.buf[2 * 8024], 0);
    CC_CHECK_INT(o.buf[2 * 16023 + 1], 0);
    CC_CHECK(o.buf[2 * 16024] != 0 && o.buf[2 * 16024 + 1] != 0);
    rec_mix_destroy(&m);
}

CC_TEST(mix_tail_lost_is_a_gap_to_the_end)
{
    static s_out_t o;
    o.n = 0;
    rec_mix_t *m = rec_mix_new(0, 4000, 500, s_sink, &o);
    /* 1 s of audio, then mediad dies and the call ends at 1.5 s: the last 0.5 s is a gap */
    for (int i = 0; i < 50; i++)
        s_frame(m, 0, 160u * (uint32_t)i, 20000 + 20000 * (uint64_t)i);
    rec_mix_mark_tail_lost(m);
    CC_CHECK_INT(rec_mix_finish(m, 1500000), 12000);
    CC_CHECK_INT(m->ngaps, 1);
    CC_CHECK_INT(m->gaps[0].start, 8000);
    CC_CHECK_INT(m->gaps[0].end, 12000);
    rec_mix_destroy(&m);
    /* a restart that never brought a frame (the tap could not start again) before the end:
     * the gap runs from the loss to the end */
    o.n = 0;
    m = rec_mix_new(0, 4000, 500, s_sink, &o);
    for (int i = 0; i < 50; i++)
        s_frame(m, 0, 160u * (uint32_t)i, 20000 + 20000 * (uint64_t)i);
    rec_mix_mark_loss(m);
    rec_mix_mark_tail_lost(m);
    rec_mix_finish(m, 3000000);
    CC_CHECK_INT(m->ngaps, 1);
    CC_CHECK_INT(m->gaps[0].start, 8000);
    CC_CHECK_INT(m->gaps[0].end, 24000);
    rec_mix_destroy(&m);
}

CC_TEST(mix_backlog_after_a_stall_is_placed_whole)
{
    static s_out_t o;
    o.n = 0;
    rec_mix_t *m = rec_mix_new(0, 4000, 100, s_sink, &o);
    /* 3 s of both parties reach recorderd only at 20 s (it was stopped), one batch at a
     * time, party 1's frame of each moment one batch after party 0's; recorderd advances
     * to its own "now" after every batch, as it does. Nothing may come out chopped. */
    for (int i = 0; i < 150; i++) {
        uint64_t t = 20000 + 20000 * (uint64_t)i;
        s_frame(m, 0, 160u * (uint32_t)i, t);
        rec_mix_advance(m, 20000000);
        s_frame(m, 1, 999u + 160u * (uint32_t)i, t + 5000);
        rec_mix_advance(m, 20000000);
    }
    rec_mix_finish(m, 0);
    CC_CHECK_INT(m->late, 0);
    CC_CHECK_INT(o.n, 24000 + 40); /* party 1 anchored 5 ms later */
    int holes = 0;
    for (size_t i = 40; i < 24000; i++)
        holes += o.buf[2 * i] == 0 || o.buf[2 * i + 1] == 0;
    CC_CHECK_INT(holes, 0);
    rec_mix_destroy(&m);
}

CC_TEST(policy_resolution)
{
    rec_policy_t p[] = {{"ext", "1001", REC_NEVER, -1},
                        {"queue", "sales", REC_ALWAYS, 30},
                        {"ext", "1002", REC_ON_DEMAND, 400},
                        {"trunk", "sip1", REC_ALWAYS, -1}};
    rec_decision_t d;
    rec_call_keys_t k = {.caller_ext = "1001", .callee_ext = "1002"};
    rec_policy_resolve(p, 4, &k, REC_NEVER, 90, &d);
    CC_CHECK_INT(d.mode, REC_ON_DEMAND);
    CC_CHECK_INT(d.retention_days, 400);
    CC_CHECK_STR(d.matched, "ext:1002");
    rec_call_keys_t q = {.caller_ext = "1001", .queue = "sales", .agent_ext = "1002"};
    rec_policy_resolve(p, 4, &q, REC_NEVER, 90, &d);
    CC_CHECK_INT(d.mode, REC_ALWAYS);
    CC_CHECK_INT(d.retention_days, 400); /* the longest of those that record */
    rec_call_keys_t t = {.caller_ext = "5555", .trunk = "sip1"};
    rec_policy_resolve(p, 4, &t, REC_NEVER, 90, &d);
    CC_CHECK(d.mode == REC_ALWAYS && d.retention_days == 90);
    rec_call_keys_t none = {.caller_ext = "5555", .callee_ext = "6666"};
    rec_policy_resolve(p, 4, &none, REC_ON_DEMAND, 7, &d);
    CC_CHECK(d.mode == REC_ON_DEMAND && d.retention_days == 7);
    CC_CHECK_STR(d.matched, "default");
    rec_call_keys_t only_never = {.caller_ext = "1001"};
    rec_policy_resolve(p, 4, &only_never, REC_ALWAYS, 7, &d);
    CC_CHECK_INT(d.mode, REC_NEVER);
}

CC_TEST(retention_decisions)
{
    int64_t day = 86400LL * 1000000;
    int64_t until = rec_retention_until(1000, 0);
    CC_CHECK_INT(until, 1000);
    CC_CHECK(rec_retention_expired(until, false, false, true, 1000));
    CC_CHECK(!rec_retention_expired(until, true, false, true, 1000 + 100 * day)); /* hold */
    CC_CHECK(!rec_retention_expired(until, false, true, true, 5000));             /* gone */
    CC_CHECK(!rec_retention_expired(until, false, false, false, 5000));           /* open */
    CC_CHECK(!rec_retention_expired(rec_retention_until(0, 30), false, false, true, 29 * day));
    CC_CHECK(rec_retention_expired(rec_retention_until(0, 30), false, false, true, 30 * day));
}

CC_TEST(feature_codes)
{
    rec_fc_state_t st = {0};
    CC_CHECK_INT(rec_fc_feed(&st, '1', 0), REC_FC_NONE);
    CC_CHECK_INT(rec_fc_feed(&st, '*', 10), REC_FC_NONE);
    CC_CHECK_INT(rec_fc_feed(&st, '1', 20), REC_FC_PAUSE);
    CC_CHECK_INT(rec_fc_feed(&st, '2', 30), REC_FC_NONE);
    rec_fc_feed(&st, '*', 100);
    CC_CHECK_INT(rec_fc_feed(&st, '2', 100 + REC_FC_WINDOW_US + 1), REC_FC_NONE);
    rec_fc_feed(&st, '*', 0);
    CC_CHECK_INT(rec_fc_feed(&st, '3', 1), REC_FC_START);
    rec_fc_feed(&st, '*', 0);
    CC_CHECK_INT(rec_fc_feed(&st, '4', 1), REC_FC_STOP);
}
