/* md_play_test.c - unit tests of playback scheduling: 20 ms pacing on 1 ms ticks, the RTP
 * stream (sequence, timestamp, marker, SSRC) across prompts and plays, finishing, looping,
 * stopping, barge-in, spreading many players over the phases, catching up after late
 * ticks, and references to prompts given back. Time is the test's; packets are captured. */
#include <errno.h>
#include <stdlib.h>

#include "cc_test.h"
#include "md_play.h"

#define MS 1000ull
#define T0 (7000000ull + 300) /* 7 s and a bit on the test's clock */

typedef struct {
    int ep_id;
    uint64_t at_us;
    uint8_t pkt[172];
} s_sent_t;

typedef struct {
    s_sent_t *sent;
    int n, cap;
    uint64_t now;
    int fail; /* make sends fail */
    int done_n;
    uint32_t done_id;
    md_play_reason_t done_reason;
    int done_ep;
} s_fx_t;

static int s_send(md_endpoint_t *ep, const uint8_t *pkt, size_t len, void *arg)
{
    s_fx_t *fx = arg;
    if (fx->fail)
        return -1;
    if (fx->n == fx->cap) {
        fx->cap = fx->cap ? fx->cap * 2 : 1024;
        fx->sent = realloc(fx->sent, (size_t)fx->cap * sizeof *fx->sent);
    }
    s_sent_t *s = &fx->sent[fx->n++];
    s->ep_id = ep->id;
    s->at_us = fx->now;
    memcpy(s->pkt, pkt, len < sizeof s->pkt ? len : sizeof s->pkt);
    return 0;
}

static void s_done(md_endpoint_t *ep, uint32_t play_id, md_play_reason_t reason, void *arg)
{
    s_fx_t *fx = arg;
    fx->done_n++;
    fx->done_id = play_id;
    fx->done_reason = reason;
    fx->done_ep = ep->id;
}

/* A prompt of `frames` frames whose frame i is filled with byte base + i. */
static md_prompt_t *s_prompt(int frames, int base)
{
    md_prompt_t *p = calloc(1, sizeof *p);
    p->refs = 1;
    p->frames = (size_t)frames;
    p->samples = p->frames * MD_FRAME_SAMPLES;
    p->pcmu = malloc(p->samples + 1);
    p->pcma = malloc(p->samples + 1);
    p->path = strdup("test");
    for (int i = 0; i < frames; i++) {
        memset(p->pcmu + i * MD_FRAME_SAMPLES, base + i, MD_FRAME_SAMPLES);
        memset(p->pcma + i * MD_FRAME_SAMPLES, 0x80 | (base + i), MD_FRAME_SAMPLES);
    }
    return p;
}

static void s_run(md_play_t *play, s_fx_t *fx, uint64_t until, uint64_t step)
{
    while (fx->now + step <= until) {
        fx->now += step;
        md_play_tick(play, fx->now);
    }
}

static uint16_t s_seq(const uint8_t *p)
{
    return (uint16_t)(p[2] << 8 | p[3]);
}
static uint32_t s_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

CC_TEST(play_pacing_stream_and_finish)
{
    s_fx_t fx = {.now = T0};
    md_core_t *core = md_core_new(4);
    md_endpoint_t *ep = md_core_create(core, 20000, "c", "caller", true);
    md_play_t *play = md_play_new(4, 42, s_send, s_done, &fx);
    md_prompt_t *a = s_prompt(3, 10), *b = s_prompt(2, 50);
    md_prompt_t *list[3] = {md_prompt_ref(a), md_prompt_ref(b), md_prompt_ref(a)};
    uint32_t id = 0;
    CC_CHECK_INT(md_play_start(play, ep, list, 3, 8, false, false, fx.now, &id), 0);
    CC_CHECK(id > 0 && ep->playing && md_play_is_playing(play, ep));
    CC_CHECK(list[0] == NULL); /* the references were taken */
    CC_CHECK_INT(a->refs, 3);
    s_run(play, &fx, T0 + 300 * MS, 1 * MS);
    CC_CHECK_INT(fx.n, 8);
    static const int want[8] = {10, 11, 12, 50, 51, 10, 11, 12};
    for (int i = 0; i < 8; i++) {
        const uint8_t *p = fx.sent[i].pkt;
        CC_CHECK_INT(p[0], 0x80);
        CC_CHECK_INT(p[1], (i == 0 ? 0x80 : 0) | 8); /* marker on the first, PCMA */
        CC_CHECK_INT(s_seq(p), (uint16_t)(s_seq(fx.sent[0].pkt) + i));
        CC_CHECK_INT(s_u32(p + 4), (uint32_t)(s_u32(fx.sent[0].pkt + 4) + 160u * (uint32_t)i));
        CC_CHECK_INT(s_u32(p + 8), s_u32(fx.sent[0].pkt + 8));
        CC_CHECK_INT(p[12], 0x80 | want[i]);
        CC_CHECK_INT(p[171], 0x80 | want[i]);
        if (i > 0)
            CC_CHECK_INT(fx.sent[i].at_us - fx.sent[i - 1].at_us, 20 * MS);
    }
    CC_CHECK(fx.sent[0].at_us > T0 && fx.sent[0].at_us <= T0 + 21 * MS);
    /* finished when the last frame's 20 ms are over, once */
    CC_CHECK_INT(fx.done_n, 1);
    CC_CHECK_INT(fx.done_id, id);
    CC_CHECK_INT(fx.done_reason, MD_PLAY_FINISHED);
    CC_CHECK(!ep->playing && md_play_active(play) == 0);
    CC_CHECK_INT(a->refs, 1); /* given back */
    CC_CHECK_INT(b->refs, 1);
    CC_CHECK_INT(md_play_stats(play)->packets, 8);
    CC_CHECK_INT(md_play_stats(play)->late_1ms, 0);
    /* the next play continues the stream: same SSRC, next sequence number, the timestamp
     * advanced by the pause, marker again */
    const uint8_t *last = fx.sent[7].pkt;
    uint64_t last_at = fx.sent[7].at_us;
    fx.now += 1000 * MS;
    md_prompt_t *one[1] = {md_prompt_ref(b)};
    CC_CHECK_INT(md_play_start(play, ep, one, 1, 0, false, false, fx.now, &id), 0);
    s_run(play, &fx, fx.now + 100 * MS, 1 * MS);
    CC_CHECK_INT(fx.n, 10);
    const uint8_t *p = fx.sent[8].pkt;
    CC_CHECK_INT(p[1], 0x80 | 0);
    CC_CHECK_INT(s_seq(p), (uint16_t)(s_seq(last) + 1));
    CC_CHECK_INT(s_u32(p + 8), s_u32(last + 8));
    uint32_t ts_gap = s_u32(p + 4) - s_u32(last + 4);
    CC_CHECK_NEAR(ts_gap, (fx.sent[8].at_us - last_at) / 125.0, 200);
    /* a new endpoint in the same slot is a new stream */
    uint32_t ssrc = s_u32(p + 8);
    md_play_forget(play, ep);
    md_core_delete(core, ep);
    md_endpoint_t *ep2 = md_core_create(core, 20002, "d", "caller", true);
    CC_CHECK_INT(ep2->slot, 0);
    one[0] = md_prompt_ref(b);
    CC_CHECK_INT(md_play_start(play, ep2, one, 1, 0, false, false, fx.now, &id), 0);
    s_run(play, &fx, fx.now + 100 * MS, 1 * MS);
    CC_CHECK(s_u32(fx.sent[10].pkt + 8) != ssrc);
    md_play_destroy(&play);
    md_prompt_unref(&a);
    md_prompt_unref(&b);
    md_core_destroy(&core);
    free(fx.sent);
}

CC_TEST(play_loop_stop_barge_in)
{
    s_fx_t fx = {.now = T0};
    md_core_t *core = md_core_new(4);
    md_endpoint_t *ep = md_core_create(core, 20000, "c", "caller", true);
    md_play_t *play = md_play_new(4, 1, s_send, s_done, &fx);
    md_prompt_t *a = s_prompt(2, 1);
    md_prompt_t *list[1] = {md_prompt_ref(a)};
    uint32_t id;
    CC_CHECK_INT(md_play_start(play, ep, list, 1, 0, true, false, fx.now, &id), 0);
    s_run(play, &fx, T0 + 1000 * MS, 1 * MS);
    CC_CHECK_NEAR(fx.n, 50, 1); /* loops on: a packet every 20 ms */
    CC_CHECK_INT(fx.done_n, 0);
    CC_CHECK_INT(fx.sent[7].pkt[12], 2);   /* frames 1,2,1,2,... */
    CC_CHECK(!md_play_barge_in(play, ep)); /* barge_in was not asked for */
    CC_CHECK_INT(md_play_stop(play, ep, MD_PLAY_STOPPED), id);
    CC_CHECK_INT(fx.done_n, 1);
    CC_CHECK_INT(fx.done_reason, MD_PLAY_STOPPED);
    CC_CHECK_INT(md_play_stop(play, ep, MD_PLAY_STOPPED), 0); /* nothing plays: no report */
    CC_CHECK_INT(fx.done_n, 1);
    int n = fx.n;
    s_run(play, &fx, fx.now + 200 * MS, 1 * MS);
    CC_CHECK_INT(fx.n, n);
    /* with barge_in, a key ends it */
    list[0] = md_prompt_ref(a);
    CC_CHECK_INT(md_play_start(play, ep, list, 1, 0, true, true, fx.now, &id), 0);
    CC_CHECK(md_play_barge_in(play, ep));
    CC_CHECK_INT(fx.done_n, 2);
    CC_CHECK_INT(fx.done_reason, MD_PLAY_BARGED_IN);
    CC_CHECK_INT(fx.done_id, id);
    /* a new play.start replaces a running one: the old ends as stopped */
    list[0] = md_prompt_ref(a);
    CC_CHECK_INT(md_play_start(play, ep, list, 1, 0, true, false, fx.now, &id), 0);
    uint32_t first = id;
    list[0] = md_prompt_ref(a);
    CC_CHECK_INT(md_play_start(play, ep, list, 1, 0, false, false, fx.now, &id), 0);
    CC_CHECK_INT(fx.done_n, 3);
    CC_CHECK_INT(fx.done_id, first);
    CC_CHECK(id != first);
    CC_CHECK_INT(md_play_active(play), 1);
    /* bad lists give the references back */
    list[0] = md_prompt_ref(a);
    CC_CHECK_INT(md_play_start(play, ep, list, 0, 0, false, false, fx.now, &id), -EINVAL);
    md_prompt_unref(&list[0]);
    md_play_destroy(&play); /* drops the running play's references */
    CC_CHECK_INT(a->refs, 1);
    CC_CHECK(!ep->playing);
    md_prompt_unref(&a);
    md_core_destroy(&core);
    free(fx.sent);
}

CC_TEST(play_empty_prompts_and_send_errors)
{
    s_fx_t fx = {.now = T0};
    md_core_t *core = md_core_new(2);
    md_endpoint_t *ep = md_core_create(core, 20000, "c", "caller", true);
    md_play_t *play = md_play_new(2, 1, s_send, s_done, &fx);
    md_prompt_t *empty = s_prompt(0, 0), *a = s_prompt(1, 5);
    /* an empty prompt is skipped; a looping list of only empty prompts just finishes */
    md_prompt_t *list[3] = {md_prompt_ref(empty), md_prompt_ref(a), md_prompt_ref(empty)};
    uint32_t id;
    CC_CHECK_INT(md_play_start(play, ep, list, 3, 0, false, false, fx.now, &id), 0);
    s_run(play, &fx, fx.now + 100 * MS, 1 * MS);
    CC_CHECK_INT(fx.n, 1);
    CC_CHECK_INT(fx.done_reason, MD_PLAY_FINISHED);
    list[0] = md_prompt_ref(empty);
    CC_CHECK_INT(md_play_start(play, ep, list, 1, 0, true, false, fx.now, &id), 0);
    s_run(play, &fx, fx.now + 100 * MS, 1 * MS);
    CC_CHECK_INT(fx.done_n, 2);
    CC_CHECK_INT(fx.done_reason, MD_PLAY_FINISHED);
    /* a second of failed sends ends the play with error */
    fx.fail = 1;
    list[0] = md_prompt_ref(a);
    CC_CHECK_INT(md_play_start(play, ep, list, 1, 0, true, false, fx.now, &id), 0);
    s_run(play, &fx, fx.now + 2000 * MS, 1 * MS);
    CC_CHECK_INT(fx.done_n, 3);
    CC_CHECK_INT(fx.done_reason, MD_PLAY_ERROR);
    CC_CHECK_INT(md_play_stats(play)->send_failed, MD_PLAY_MAX_SEND_FAILS);
    md_play_destroy(&play);
    md_prompt_unref(&empty);
    md_prompt_unref(&a);
    md_core_destroy(&core);
    free(fx.sent);
}

CC_TEST(play_spreads_players_over_phases)
{
    enum {
        N = 500
    };
    s_fx_t fx = {.now = T0};
    md_core_t *core = md_core_new(N);
    md_play_t *play = md_play_new(N, 3, s_send, s_done, &fx);
    md_prompt_t *a = s_prompt(4, 1);
    for (int i = 0; i < N; i++) {
        md_endpoint_t *ep = md_core_create(core, 20000 + 2 * i, "c", "caller", true);
        md_prompt_t *list[1] = {md_prompt_ref(a)};
        uint32_t id;
        CC_CHECK_INT(md_play_start(play, ep, list, 1, 0, true, false, fx.now, &id), 0);
    }
    for (int p = 0; p < MD_PLAY_PHASES; p++)
        CC_CHECK_INT(md_play_phase_load(play, p), N / MD_PLAY_PHASES);
    /* 1 ms ticks: no tick sends more than one phase's worth */
    int most = 0;
    for (int t = 0; t < 200; t++) {
        fx.now += MS;
        int sent = md_play_tick(play, fx.now);
        most = sent > most ? sent : most;
    }
    CC_CHECK_INT(most, N / MD_PLAY_PHASES);
    CC_CHECK_INT(fx.n, N * 10);
    /* each endpoint: 10 packets exactly 20 ms apart */
    uint64_t *last = calloc(N + 1, sizeof *last);
    int bad = 0;
    for (int i = 0; i < fx.n; i++) {
        int slot = (fx.sent[i].ep_id & 0xffff) - 1;
        if (last[slot] && fx.sent[i].at_us - last[slot] != 20 * MS)
            bad++;
        last[slot] = fx.sent[i].at_us;
    }
    CC_CHECK_INT(bad, 0);
    free(last);
    md_play_destroy(&play);
    md_prompt_unref(&a);
    md_core_destroy(&core);
    free(fx.sent);
}

CC_TEST(play_late_ticks_catch_up)
{
    s_fx_t fx = {.now = T0};
    md_core_t *core = md_core_new(2);
    md_endpoint_t *ep = md_core_create(core, 20000, "c", "caller", true);
    md_play_t *play = md_play_new(2, 1, s_send, s_done, &fx);
    md_prompt_t *a = s_prompt(100, 0);
    md_prompt_t *list[1] = {a};
    uint32_t id;
    CC_CHECK_INT(md_play_start(play, ep, list, 1, 0, false, false, fx.now, &id), 0);
    /* ticks every 7 ms instead of every 1: each packet goes at the first tick after its
     * due time, never two at once, none lost */
    s_run(play, &fx, T0 + 400 * MS, 7 * MS);
    CC_CHECK_NEAR(fx.n, 20, 1);
    for (int i = 1; i < fx.n; i++)
        CC_CHECK(fx.sent[i].at_us - fx.sent[i - 1].at_us >= 14 * MS &&
                 fx.sent[i].at_us - fx.sent[i - 1].at_us <= 28 * MS);
    CC_CHECK(md_play_stats(play)->late_1ms > 0);
    CC_CHECK(md_play_stats(play)->late_max_us < 7 * MS);
    /* a 200 ms stall: at most MD_PLAY_CATCH_UP packets at once, then the beat resumes */
    int before = fx.n;
    fx.now += 200 * MS;
    CC_CHECK_INT(md_play_tick(play, fx.now), MD_PLAY_CATCH_UP);
    s_run(play, &fx, fx.now + 100 * MS, 1 * MS);
    CC_CHECK_NEAR(fx.n - before, MD_PLAY_CATCH_UP + 5, 1);
    for (int i = before + MD_PLAY_CATCH_UP + 1; i < fx.n; i++)
        CC_CHECK_INT(fx.sent[i].at_us - fx.sent[i - 1].at_us, 20 * MS);
    /* sequence numbers never skip: the audio is delayed, not dropped */
    for (int i = 1; i < fx.n; i++)
        CC_CHECK_INT(s_seq(fx.sent[i].pkt), (uint16_t)(s_seq(fx.sent[i - 1].pkt) + 1));
    CC_CHECK_INT(fx.sent[fx.n - 1].pkt[12], fx.n - 1); /* frame k in packet k */
    md_play_destroy(&play);
    md_core_destroy(&core);
    free(fx.sent);
}

/* A mix went on with the player's stream after a prompt (md_mix): the next prompt goes on
 * from where the mix left it, not from the player's own numbers, which the mix has already
 * used (a phone drops repeated sequence numbers). */
CC_TEST(play_goes_on_after_a_mix_continued_its_stream)
{
    s_fx_t fx = {.now = T0};
    md_core_t *core = md_core_new(4);
    md_endpoint_t *ep = md_core_create(core, 20000, "c", "caller", true);
    md_play_t *play = md_play_new(4, 42, s_send, s_done, &fx);
    md_prompt_t *a = s_prompt(3, 10);
    md_prompt_t *one[1] = {md_prompt_ref(a)};
    uint32_t id = 0;
    CC_CHECK_INT(md_play_start(play, ep, one, 1, 0, false, false, fx.now, &id), 0);
    s_run(play, &fx, T0 + 100 * MS, 1 * MS);
    CC_CHECK_INT(fx.n, 3);
    const uint8_t *last = fx.sent[2].pkt;
    /* the mix sent 50 packets of the same stream (as md_rtp notes what goes out) */
    fx.now += 1000 * MS;
    ep->sent_known = true;
    ep->sent_ssrc = s_u32(last + 8);
    ep->sent_seq = (uint16_t)(s_seq(last) + 50);
    ep->sent_ts = s_u32(last + 4) + 50 * 160;
    ep->sent_us = fx.now;
    one[0] = md_prompt_ref(a);
    CC_CHECK_INT(md_play_start(play, ep, one, 1, 0, false, false, fx.now, &id), 0);
    s_run(play, &fx, fx.now + 100 * MS, 1 * MS);
    CC_CHECK_INT(fx.n, 6);
    const uint8_t *p = fx.sent[3].pkt;
    CC_CHECK_INT(s_u32(p + 8), ep->sent_ssrc);
    CC_CHECK_INT(s_seq(p), (uint16_t)(ep->sent_seq + 1));
    CC_CHECK((uint32_t)(s_u32(p + 4) - ep->sent_ts) <= 2 * 160u);
    md_play_destroy(&play);
    md_prompt_unref(&a);
    md_core_destroy(&core);
    free(fx.sent);
}
