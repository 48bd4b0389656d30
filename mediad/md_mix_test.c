/* md_mix_test.c - unit tests of mixing: who hears whom (default, muted, deaf, explicit
 * lists as in listen / whisper / barge), saturation, one encode per distinct output, the
 * outgoing RTP stream and its pacing, jitter (reordering and loss concealed, no gap over a
 * frame), a new incoming stream, PCMA members, talk detection, leaving and freeing. Time is
 * the test's; members send constant levels so what each hears is a sum that can be read
 * back from one decoded sample. */
#include <errno.h>
#include <stdlib.h>

#include "cc_test.h"
#include "md_g711.h"
#include "md_mix.h"

#define MS 1000ull
#define T0 (5000000ull) /* on a 20 ms boundary */

typedef struct {
    int ep_id;
    uint64_t at_us;
    uint8_t pkt[12 + MD_MIX_FRAME];
} s_sent_t;

typedef struct {
    s_sent_t *sent;
    int n, cap;
    uint64_t now;
    int talk_n;
    int talk_ep;
    bool talk_on;
    /* what the tap callback was handed */
    int ntap;
    void *tap_seen;
    uint32_t tap_mix;
    uint64_t tap_due[64];
    uint8_t tap_pkt[64][12 + MD_MIX_FRAME];
} s_fx_t;

static int s_send(md_endpoint_t *ep, const uint8_t *pkt, size_t len, void *arg)
{
    s_fx_t *fx = arg;
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

static void s_talk(uint32_t mix_id, md_endpoint_t *ep, bool talking, void *arg)
{
    (void)mix_id;
    s_fx_t *fx = arg;
    fx->talk_n++;
    fx->talk_ep = ep->id;
    fx->talk_on = talking;
}

static void s_tap(uint32_t mix_id, void *tap, const uint8_t *pkt, size_t len, uint64_t due_us,
                  void *arg)
{
    s_fx_t *fx = arg;
    if (fx->ntap < 64 && len == sizeof fx->tap_pkt[0]) {
        memcpy(fx->tap_pkt[fx->ntap], pkt, len);
        fx->tap_due[fx->ntap] = due_us;
    }
    fx->ntap++;
    fx->tap_seen = tap;
    fx->tap_mix = mix_id;
}

typedef struct {
    md_endpoint_t ep;
    uint16_t seq;
    uint32_t ts, ssrc;
    int16_t level; /* what it sends: a constant */
    int pt;
} s_party_t;

static void s_party(s_party_t *p, int id)
{
    memset(p, 0, sizeof *p);
    p->ep.id = id;
    p->ep.slot = id - 1;
    p->ep.in_use = true;
    p->seq = (uint16_t)(id * 1000);
    p->ts = (uint32_t)id * 100000u;
    p->ssrc = 0x1000u + (uint32_t)id;
    p->pt = MD_PT_PCMU;
}

/* The packet p sends for frame k of its stream (seq and ts are k frames on). */
static size_t s_packet(const s_party_t *p, int k, uint8_t *pkt)
{
    pkt[0] = 0x80;
    pkt[1] = (uint8_t)p->pt;
    uint16_t seq = (uint16_t)(p->seq + k);
    uint32_t ts = p->ts + (uint32_t)k * MD_MIX_FRAME;
    pkt[2] = (uint8_t)(seq >> 8);
    pkt[3] = (uint8_t)seq;
    pkt[4] = (uint8_t)(ts >> 24);
    pkt[5] = (uint8_t)(ts >> 16);
    pkt[6] = (uint8_t)(ts >> 8);
    pkt[7] = (uint8_t)ts;
    pkt[8] = (uint8_t)(p->ssrc >> 24);
    pkt[9] = (uint8_t)(p->ssrc >> 16);
    pkt[10] = (uint8_t)(p->ssrc >> 8);
    pkt[11] = (uint8_t)p->ssrc;
    uint8_t code = p->pt == MD_PT_PCMA ? md_alaw_encode(p->level) : md_ulaw_encode(p->level);
    memset(pkt + 12, code, MD_MIX_FRAME);
    return 12 + MD_MIX_FRAME;
}

static void s_put(md_mixer_t *mx, s_party_t *p, int k, uint64_t now)
{
    uint8_t pkt[12 + MD_MIX_FRAME];
    size_t len = s_packet(p, k, pkt);
    md_mixer_put(mx, &p->ep, pkt, len, now);
}

/* What ep was last sent, as one decoded sample (the frames are constant); -99999: nothing. */
static int s_heard(const s_fx_t *fx, int ep_id)
{
    for (int i = fx->n - 1; i >= 0; i--) {
        if (fx->sent[i].ep_id != ep_id)
            continue;
        const uint8_t *pkt = fx->sent[i].pkt;
        int pt = pkt[1] & 0x7f;
        return pt == MD_PT_PCMA ? md_alaw_table[pkt[12 + 80]] : md_ulaw_table[pkt[12 + 80]];
    }
    return -99999;
}

/* Every party sends frame k, then the mixer ticks at the frame's due time. */
static void s_frame(md_mixer_t *mx, s_fx_t *fx, s_party_t **ps, int n, int k)
{
    fx->now = T0 + (uint64_t)k * 20 * MS + 20 * MS;
    for (int i = 0; i < n; i++)
        s_put(mx, ps[i], k, fx->now - 5 * MS);
    md_mixer_tick(mx, fx->now + 19 * MS); /* every mix's phase of this period */
}

#define CHECK_NEAR_LEVEL(seen, want) CC_CHECK_NEAR((seen), (want), 0.04 * abs(want) + 40)

static md_mixer_t *s_mixer(s_fx_t *fx)
{
    memset(fx, 0, sizeof *fx);
    md_g711_init();
    return md_mixer_new(128, 42, s_send, s_talk, fx);
}

CC_TEST(mix_everyone_hears_the_others_not_itself)
{
    s_fx_t fx;
    md_mixer_t *mx = s_mixer(&fx);
    s_party_t a, b, c;
    s_party(&a, 1);
    s_party(&b, 2);
    s_party(&c, 3);
    a.level = 1000, b.level = 2000, c.level = 4000;
    uint32_t id;
    CC_CHECK_INT(md_mixer_create(mx, "call-1", T0, &id), 0);
    s_party_t *ps[] = {&a, &b, &c};
    for (int i = 0; i < 3; i++)
        CC_CHECK_INT(md_mixer_join(mx, id, &ps[i]->ep, NULL, T0), 0);
    CC_CHECK(a.ep.mixing && b.ep.mixing && c.ep.mixing);
    for (int k = 0; k < 10; k++)
        s_frame(mx, &fx, ps, 3, k);
    CHECK_NEAR_LEVEL(s_heard(&fx, 1), 6000);
    CHECK_NEAR_LEVEL(s_heard(&fx, 2), 5000);
    CHECK_NEAR_LEVEL(s_heard(&fx, 3), 3000);
    md_mixer_destroy(&mx);
    CC_CHECK(!a.ep.mixing && !b.ep.mixing && !c.ep.mixing);
    free(fx.sent);
}

/* Supervisor monitoring as roles: caller C, agent A, supervisor S. */
CC_TEST(mix_listen_whisper_barge)
{
    s_fx_t fx;
    md_mixer_t *mx = s_mixer(&fx);
    s_party_t c, a, s;
    s_party(&c, 1);
    s_party(&a, 2);
    s_party(&s, 3);
    c.level = 1000, a.level = 2000, s.level = 4000;
    uint32_t id;
    md_mixer_create(mx, "call-1", T0, &id);
    s_party_t *ps[] = {&c, &a, &s};
    md_mix_role_t listen;
    md_mix_role_default(&listen);
    listen.muted = true;
    md_mixer_join(mx, id, &c.ep, NULL, T0);
    md_mixer_join(mx, id, &a.ep, NULL, T0);
    md_mixer_join(mx, id, &s.ep, &listen, T0);
    for (int k = 0; k < 8; k++)
        s_frame(mx, &fx, ps, 3, k);
    CHECK_NEAR_LEVEL(s_heard(&fx, 1), 2000); /* the caller hears the agent only */
    CHECK_NEAR_LEVEL(s_heard(&fx, 2), 1000); /* the agent the caller only */
    CHECK_NEAR_LEVEL(s_heard(&fx, 3), 3000); /* the supervisor both */

    /* whisper: the supervisor is heard, but the caller hears only the agent */
    md_mix_role_t only_agent;
    md_mix_role_default(&only_agent);
    only_agent.nhears = 1;
    only_agent.hears[0] = a.ep.id;
    CC_CHECK_INT(md_mixer_set_role(mx, &c.ep, &only_agent), 0);
    CC_CHECK_INT(md_mixer_set_role(mx, &s.ep, NULL), 0);
    for (int k = 8; k < 12; k++)
        s_frame(mx, &fx, ps, 3, k);
    CHECK_NEAR_LEVEL(s_heard(&fx, 1), 2000);
    CHECK_NEAR_LEVEL(s_heard(&fx, 2), 5000);
    CHECK_NEAR_LEVEL(s_heard(&fx, 3), 3000);

    /* barge: everyone hears everyone */
    md_mixer_set_role(mx, &c.ep, NULL);
    for (int k = 12; k < 16; k++)
        s_frame(mx, &fx, ps, 3, k);
    CHECK_NEAR_LEVEL(s_heard(&fx, 1), 6000);
    CHECK_NEAR_LEVEL(s_heard(&fx, 2), 5000);
    CHECK_NEAR_LEVEL(s_heard(&fx, 3), 3000);
    md_mixer_destroy(&mx);
    free(fx.sent);
}

CC_TEST(mix_deaf_hears_silence_and_is_still_heard)
{
    s_fx_t fx;
    md_mixer_t *mx = s_mixer(&fx);
    s_party_t a, b;
    s_party(&a, 1);
    s_party(&b, 2);
    a.level = 3000, b.level = 5000;
    uint32_t id;
    md_mixer_create(mx, NULL, T0, &id);
    md_mix_role_t deaf;
    md_mix_role_default(&deaf);
    deaf.deaf = true;
    md_mixer_join(mx, id, &a.ep, &deaf, T0);
    md_mixer_join(mx, id, &b.ep, NULL, T0);
    s_party_t *ps[] = {&a, &b};
    for (int k = 0; k < 6; k++)
        s_frame(mx, &fx, ps, 2, k);
    CC_CHECK_INT(s_heard(&fx, 1), 0);
    CHECK_NEAR_LEVEL(s_heard(&fx, 2), 3000);
    md_mixer_destroy(&mx);
    free(fx.sent);
}

CC_TEST(mix_saturates_instead_of_wrapping)
{
    s_fx_t fx;
    md_mixer_t *mx = s_mixer(&fx);
    s_party_t a, b, c;
    s_party(&a, 1);
    s_party(&b, 2);
    s_party(&c, 3);
    a.level = 30000, b.level = 30000, c.level = -30000;
    uint32_t id;
    md_mixer_create(mx, NULL, T0, &id);
    s_party_t *ps[] = {&a, &b, &c};
    for (int i = 0; i < 3; i++)
        md_mixer_join(mx, id, &ps[i]->ep, NULL, T0);
    for (int k = 0; k < 6; k++)
        s_frame(mx, &fx, ps, 3, k);
    CC_CHECK(s_heard(&fx, 3) > 30000);    /* 60000 clipped to the top, not wrapped negative */
    CC_CHECK(abs(s_heard(&fx, 1)) < 300); /* 30000 - 30000 */
    md_mixer_destroy(&mx);
    free(fx.sent);
}

CC_TEST(mix_encodes_once_per_distinct_output)
{
    s_fx_t fx;
    md_mixer_t *mx = s_mixer(&fx);
    s_party_t p[10];
    s_party_t *ps[10];
    uint32_t id;
    md_mixer_create(mx, NULL, T0, &id);
    md_mix_role_t muted;
    md_mix_role_default(&muted);
    muted.muted = true;
    for (int i = 0; i < 10; i++) {
        s_party(&p[i], i + 1);
        p[i].level = (int16_t)(100 * (i + 1));
        ps[i] = &p[i];
        /* two talkers, eight listeners who hear the same thing */
        md_mixer_join(mx, id, &p[i].ep, i < 2 ? NULL : &muted, T0);
    }
    s_frame(mx, &fx, ps, 10, 0);
    uint64_t before = md_mixer_stats(mx)->encodes;
    s_frame(mx, &fx, ps, 10, 1);
    CC_CHECK_INT(md_mixer_stats(mx)->encodes - before, 3); /* talker 1, talker 2, listeners */
    CHECK_NEAR_LEVEL(s_heard(&fx, 5), 300);
    CHECK_NEAR_LEVEL(s_heard(&fx, 1), 200);
    md_mixer_destroy(&mx);
    free(fx.sent);
}

CC_TEST(mix_stream_is_paced_and_numbered)
{
    s_fx_t fx;
    md_mixer_t *mx = s_mixer(&fx);
    s_party_t a;
    s_party(&a, 1);
    uint32_t id;
    md_mixer_create(mx, NULL, T0 + 3 * MS, &id);
    md_mixer_join(mx, id, &a.ep, NULL, T0);
    /* 1 ms ticks for 200 ms: ten packets, 20 ms apart */
    for (uint64_t t = T0; t < T0 + 200 * MS; t += MS) {
        fx.now = t;
        md_mixer_tick(mx, t);
    }
    CC_CHECK(fx.n >= 9 && fx.n <= 10);
    for (int i = 1; i < fx.n; i++) {
        const uint8_t *p0 = fx.sent[i - 1].pkt, *p1 = fx.sent[i].pkt;
        CC_CHECK_INT(fx.sent[i].at_us - fx.sent[i - 1].at_us, 20 * MS);
        CC_CHECK_INT((uint16_t)((p1[2] << 8 | p1[3]) - (p0[2] << 8 | p0[3])), 1);
        uint32_t ts0 = (uint32_t)p0[4] << 24 | (uint32_t)p0[5] << 16 | p0[6] << 8 | p0[7];
        uint32_t ts1 = (uint32_t)p1[4] << 24 | (uint32_t)p1[5] << 16 | p1[6] << 8 | p1[7];
        CC_CHECK_INT(ts1 - ts0, MD_MIX_FRAME);
        CC_CHECK(!(p1[1] & 0x80));
        CC_CHECK(memcmp(p0 + 8, p1 + 8, 4) == 0); /* one SSRC */
    }
    CC_CHECK(fx.sent[0].pkt[1] & 0x80); /* the marker on the first */
    /* a 100 ms stall: at most MD_MIX_CATCH_UP frames at once, then the beat from now */
    int before = fx.n;
    fx.now = T0 + 300 * MS;
    md_mixer_tick(mx, fx.now);
    CC_CHECK_INT(fx.n - before, MD_MIX_CATCH_UP);
    CC_CHECK(md_mixer_stats(mx)->skipped > 0);
    CC_CHECK(md_mixer_next_due(mx) > fx.now);
    md_mixer_destroy(&mx);
    free(fx.sent);
}

/* Reordered pairs and 5% loss: what the other member hears never drops out for more than
 * one frame; lost frames are concealed. */
CC_TEST(mix_jitter_and_loss_leave_no_gap)
{
    s_fx_t fx;
    md_mixer_t *mx = s_mixer(&fx);
    s_party_t a, b;
    s_party(&a, 1);
    s_party(&b, 2);
    a.level = 8000;
    uint32_t id;
    md_mixer_create(mx, NULL, T0, &id);
    md_mixer_join(mx, id, &a.ep, NULL, T0);
    md_mixer_join(mx, id, &b.ep, NULL, T0);
    int frames = 500, silent_run = 0, worst_run = 0, heard = 0;
    for (int k = 0; k < frames; k++) {
        uint64_t due = T0 + (uint64_t)k * 20 * MS + 40 * MS;
        /* a sends frame k at its time, but swaps each pair (k+1 before k) and loses every
         * 20th frame; arrival jitters by 0-15 ms */
        int send = (k % 2 == 0) ? k + 1 : k - 1;
        uint64_t arrival = due - 20 * MS + (uint64_t)((k * 7) % 16) * MS;
        fx.now = arrival;
        if (send % 20 != 7)
            s_put(mx, &a, send, arrival);
        fx.now = due;
        int n0 = fx.n;
        md_mixer_tick(mx, due + 19 * MS);
        if (fx.n == n0)
            continue;
        if (k < 10)
            continue; /* the buffer finds its depth */
        int lvl = s_heard(&fx, 2);
        if (lvl > 4000) {
            heard++;
            silent_run = 0;
        } else if (++silent_run > worst_run) {
            worst_run = silent_run;
        }
    }
    CC_CHECK(heard > 400);
    CC_CHECK(worst_run <= 1);
    CC_CHECK(md_mixer_stats(mx)->concealed > 0);
    md_mixer_destroy(&mx);
    free(fx.sent);
}

CC_TEST(mix_new_incoming_stream_is_taken_at_once)
{
    s_fx_t fx;
    md_mixer_t *mx = s_mixer(&fx);
    s_party_t a, b;
    s_party(&a, 1);
    s_party(&b, 2);
    a.level = 6000;
    uint32_t id;
    md_mixer_create(mx, NULL, T0, &id);
    md_mixer_join(mx, id, &a.ep, NULL, T0);
    md_mixer_join(mx, id, &b.ep, NULL, T0);
    s_party_t *ps[] = {&a};
    for (int k = 0; k < 10; k++)
        s_frame(mx, &fx, ps, 1, k);
    CHECK_NEAR_LEVEL(s_heard(&fx, 2), 6000);
    /* the phone starts a new stream (new SSRC, timestamps elsewhere) at a lower level */
    a.ssrc ^= 0xffff;
    a.ts += 123456789u;
    a.seq += 30000;
    a.level = 2000;
    for (int k = 10; k < 14; k++)
        s_frame(mx, &fx, ps, 1, k);
    CHECK_NEAR_LEVEL(s_heard(&fx, 2), 2000);
    md_mixer_destroy(&mx);
    free(fx.sent);
}

CC_TEST(mix_pcma_member_gets_pcma)
{
    s_fx_t fx;
    md_mixer_t *mx = s_mixer(&fx);
    s_party_t a, b;
    s_party(&a, 1);
    s_party(&b, 2);
    a.level = 2500, b.level = 1500;
    b.pt = MD_PT_PCMA;
    b.ep.send_pt = MD_PT_PCMA;
    uint32_t id;
    md_mixer_create(mx, NULL, T0, &id);
    md_mixer_join(mx, id, &a.ep, NULL, T0);
    md_mixer_join(mx, id, &b.ep, NULL, T0);
    s_party_t *ps[] = {&a, &b};
    for (int k = 0; k < 6; k++)
        s_frame(mx, &fx, ps, 2, k);
    for (int i = fx.n - 1; i >= 0; i--)
        if (fx.sent[i].ep_id == 2) {
            CC_CHECK_INT(fx.sent[i].pkt[1] & 0x7f, MD_PT_PCMA);
            break;
        }
    CHECK_NEAR_LEVEL(s_heard(&fx, 2), 2500);
    CHECK_NEAR_LEVEL(s_heard(&fx, 1), 1500);
    md_mixer_destroy(&mx);
    free(fx.sent);
}

CC_TEST(mix_talk_detection_has_hysteresis)
{
    s_fx_t fx;
    md_mixer_t *mx = s_mixer(&fx);
    s_party_t a;
    s_party(&a, 1);
    a.level = 3000;
    uint32_t id;
    md_mixer_create(mx, NULL, T0, &id);
    md_mixer_join(mx, id, &a.ep, NULL, T0);
    s_party_t *ps[] = {&a};
    s_frame(mx, &fx, ps, 1, 0);
    s_frame(mx, &fx, ps, 1, 1);
    CC_CHECK_INT(fx.talk_n, 0);
    for (int k = 2; k < 5; k++)
        s_frame(mx, &fx, ps, 1, k);
    CC_CHECK_INT(fx.talk_n, 1);
    CC_CHECK(fx.talk_on && fx.talk_ep == 1);
    CC_CHECK(md_mixer_talking(mx, &a.ep));
    a.level = 10; /* quiet: talk ends only after 500 ms */
    for (int k = 5; k < 20; k++)
        s_frame(mx, &fx, ps, 1, k);
    CC_CHECK_INT(fx.talk_n, 1);
    for (int k = 20; k < 40; k++)
        s_frame(mx, &fx, ps, 1, k);
    CC_CHECK_INT(fx.talk_n, 2);
    CC_CHECK(!fx.talk_on);
    md_mixer_destroy(&mx);
    free(fx.sent);
}

CC_TEST(mix_membership_rules)
{
    s_fx_t fx;
    md_mixer_t *mx = s_mixer(&fx);
    s_party_t a, b;
    s_party(&a, 1);
    s_party(&b, 2);
    uint32_t m1, m2;
    md_mixer_create(mx, "room", T0, &m1);
    md_mixer_create(mx, "room2", T0, &m2);
    CC_CHECK(m1 != m2 && m1 > 0);
    CC_CHECK_INT(md_mixer_join(mx, 999, &a.ep, NULL, T0), -ENOENT);
    CC_CHECK_INT(md_mixer_join(mx, m1, &a.ep, NULL, T0), 0);
    CC_CHECK_INT(md_mixer_join(mx, m2, &a.ep, NULL, T0), -EBUSY);
    CC_CHECK_INT(md_mixer_join(mx, m1, &a.ep, NULL, T0), 0); /* again: a role change */
    CC_CHECK_INT(md_mixer_mix_of(mx, &a.ep), m1);
    CC_CHECK_INT(md_mixer_set_role(mx, &b.ep, NULL), -ENOENT);
    CC_CHECK_INT(md_mixer_leave(mx, &b.ep), -ENOENT);
    CC_CHECK_INT(md_mixer_leave(mx, &a.ep), 0);
    CC_CHECK(!a.ep.mixing);
    CC_CHECK_INT(md_mixer_mix_of(mx, &a.ep), 0);
    md_mixer_join(mx, m2, &b.ep, NULL, T0);
    CC_CHECK_INT(md_mixer_delete(mx, m2), 0);
    CC_CHECK(!b.ep.mixing);
    CC_CHECK_INT(md_mixer_delete(mx, m2), -ENOENT);
    CC_CHECK_INT((int)md_mixer_stats(mx)->mixes, 1);
    CC_CHECK_INT((int)md_mixer_stats(mx)->members, 0);
    /* a full mix refuses the 65th */
    s_party_t p[MD_MIX_MAX_MEMBERS + 1];
    for (int i = 0; i <= MD_MIX_MAX_MEMBERS; i++) {
        s_party(&p[i], i + 1);
        int rc = md_mixer_join(mx, m1, &p[i].ep, NULL, T0);
        CC_CHECK_INT(rc, i < MD_MIX_MAX_MEMBERS ? 0 : -ENOSPC);
    }
    md_mixer_destroy(&mx);
    free(fx.sent);
}

static void s_delete_idle(uint32_t mix_id, void *arg)
{
    md_mixer_delete(arg, mix_id);
}

CC_TEST(mix_empty_mixes_are_found_after_idle_time)
{
    s_fx_t fx;
    md_mixer_t *mx = s_mixer(&fx);
    s_party_t a;
    s_party(&a, 1);
    uint32_t m1, m2;
    md_mixer_create(mx, NULL, T0, &m1);
    md_mixer_create(mx, NULL, T0, &m2);
    md_mixer_join(mx, m2, &a.ep, NULL, T0);
    CC_CHECK_INT(md_mixer_scan_empty(mx, T0 + 30000 * MS, 60000 * MS, s_delete_idle, mx), 0);
    CC_CHECK_INT(md_mixer_scan_empty(mx, T0 + 60000 * MS, 60000 * MS, s_delete_idle, mx), 1);
    CC_CHECK(!md_mixer_exists(mx, m1));
    CC_CHECK(md_mixer_exists(mx, m2)); /* it has a member */
    md_mixer_destroy(&mx);
    free(fx.sent);
}

CC_TEST(mix_playing_member_is_sent_nothing_but_heard)
{
    s_fx_t fx;
    md_mixer_t *mx = s_mixer(&fx);
    s_party_t a, b;
    s_party(&a, 1);
    s_party(&b, 2);
    a.level = 4000, b.level = 1000;
    uint32_t id;
    md_mixer_create(mx, NULL, T0, &id);
    md_mixer_join(mx, id, &a.ep, NULL, T0);
    md_mixer_join(mx, id, &b.ep, NULL, T0);
    a.ep.playing = true; /* a join tone plays to a */
    s_party_t *ps[] = {&a, &b};
    for (int k = 0; k < 6; k++)
        s_frame(mx, &fx, ps, 2, k);
    CC_CHECK_INT(s_heard(&fx, 1), -99999);
    CHECK_NEAR_LEVEL(s_heard(&fx, 2), 4000);
    md_mixer_destroy(&mx);
    free(fx.sent);
}

static uint32_t s_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A recorded mix hands its tap the total of everyone heard (a muted member is not in it),
 * as PCMU on a stream of its own: one packet per frame, sequence +1, timestamp +160, the
 * marker on the first only; while the mix is empty nothing, but the timestamp runs on. */
CC_TEST(mix_tap_gets_the_full_mix_on_its_own_stream)
{
    s_fx_t fx;
    md_mixer_t *mx = s_mixer(&fx);
    s_party_t a, b, c;
    s_party(&a, 1);
    s_party(&b, 2);
    s_party(&c, 3);
    a.level = 1000, b.level = 2000, c.level = 4000;
    c.pt = MD_PT_PCMA; /* what members send or are sent does not change the tap's PCMU */
    uint32_t id, other;
    md_mixer_create(mx, "conf-1", T0, &id);
    md_mixer_create(mx, "call-2", T0, &other);
    int tap_token = 7;
    CC_CHECK_INT(md_mixer_set_tap(mx, id, &tap_token), -EINVAL); /* no handler yet */
    md_mixer_on_tap(mx, s_tap);
    CC_CHECK_INT(md_mixer_set_tap(mx, 999, &tap_token), -ENOENT);
    CC_CHECK_INT(md_mixer_set_tap(mx, id, &tap_token), 0);
    CC_CHECK(md_mixer_tap(mx, id) == &tap_token);
    CC_CHECK(md_mixer_tap(mx, other) == NULL);
    md_mix_role_t muted;
    md_mix_role_default(&muted);
    muted.muted = true;
    md_mixer_join(mx, id, &a.ep, NULL, T0);
    md_mixer_join(mx, id, &b.ep, NULL, T0);
    md_mixer_join(mx, id, &c.ep, &muted, T0);
    s_party_t *ps[] = {&a, &b, &c};
    for (int k = 0; k < 10; k++)
        s_frame(mx, &fx, ps, 3, k);
    CC_CHECK_INT(fx.ntap, 10);
    CC_CHECK(fx.tap_seen == &tap_token);
    CC_CHECK_INT(fx.tap_mix, id);
    const uint8_t *first = fx.tap_pkt[0], *last = fx.tap_pkt[9];
    CC_CHECK_INT(first[0], 0x80);
    CC_CHECK_INT(first[1], 0x80 | MD_PT_PCMU); /* the marker */
    CC_CHECK_INT(last[1], MD_PT_PCMU);
    CC_CHECK_INT((uint16_t)((last[2] << 8 | last[3]) - (first[2] << 8 | first[3])), 9);
    CC_CHECK_INT(s_be32(last + 4) - s_be32(first + 4), 9 * MD_MIX_FRAME);
    CC_CHECK_INT(s_be32(last + 8), s_be32(first + 8));
    CC_CHECK(s_be32(first + 8) != 0x1001u && s_be32(first + 8) != 0x1002u);
    CHECK_NEAR_LEVEL(md_ulaw_table[last[12 + 80]], 3000); /* a + b; c is muted */
    CC_CHECK(fx.tap_due[9] - fx.tap_due[0] == 9 * 20 * MS);
    /* unmuted, c is in it too */
    md_mixer_set_role(mx, &c.ep, NULL);
    for (int k = 10; k < 16; k++)
        s_frame(mx, &fx, ps, 3, k);
    CHECK_NEAR_LEVEL(md_ulaw_table[fx.tap_pkt[15][12 + 80]], 7000);
    uint32_t ts_before = s_be32(fx.tap_pkt[15] + 4);
    /* everyone leaves for 5 frames: nothing handed out, the clock runs on */
    for (int i = 0; i < 3; i++)
        md_mixer_leave(mx, &ps[i]->ep);
    for (int k = 16; k < 21; k++)
        s_frame(mx, &fx, ps, 0, k);
    CC_CHECK_INT(fx.ntap, 16);
    md_mixer_join(mx, id, &a.ep, NULL, T0);
    s_frame(mx, &fx, ps, 1, 21);
    CC_CHECK_INT(fx.ntap, 17);
    CC_CHECK_INT(s_be32(fx.tap_pkt[16] + 4) - ts_before, 6 * MD_MIX_FRAME);
    CC_CHECK_INT(fx.tap_pkt[16][1], MD_PT_PCMU); /* the same stream: no marker */
    /* untapped: nothing more */
    CC_CHECK_INT(md_mixer_set_tap(mx, id, NULL), 0);
    s_frame(mx, &fx, ps, 1, 22);
    CC_CHECK_INT(fx.ntap, 17);
    /* a deleted mix forgets its tap without a call */
    md_mixer_set_tap(mx, id, &tap_token);
    CC_CHECK_INT(md_mixer_delete(mx, id), 0);
    s_frame(mx, &fx, ps, 0, 23);
    CC_CHECK_INT(fx.ntap, 17);
    CC_CHECK_INT(md_mixer_stats(mx)->tapped, 17);
    md_mixer_destroy(&mx);
    free(fx.sent);
}

CC_TEST(mix_encode_tables_match_the_encoders)
{
    md_g711_init();
    for (int i = 0; i < 65536; i++) {
        int16_t s = (int16_t)(uint16_t)i;
        CC_CHECK_INT(md_ulaw_enc_table[i], md_ulaw_encode(s));
        CC_CHECK_INT(md_alaw_enc_table[i], md_alaw_encode(s));
    }
}

/* A phone that was hearing a stream (relayed or a prompt) hears the mix as the same
 * stream going on: same SSRC, the next sequence number, the timestamp moved on by the time
 * between. Phones drop a "new" stream whose numbers look older as late packets. */
CC_TEST(mix_goes_on_with_the_stream_the_phone_was_hearing)
{
    s_fx_t fx;
    md_mixer_t *mx = s_mixer(&fx);
    s_party_t a, b;
    s_party(&a, 1);
    s_party(&b, 2);
    b.level = 3000;
    a.ep.sent_known = true;
    a.ep.sent_ssrc = 0xCAFE0001u;
    a.ep.sent_seq = 65535;
    a.ep.sent_ts = 1000;
    a.ep.sent_us = T0;
    uint32_t id;
    md_mixer_create(mx, NULL, T0, &id);
    md_mixer_join(mx, id, &a.ep, NULL, T0 + 40 * MS);
    md_mixer_join(mx, id, &b.ep, NULL, T0 + 40 * MS);
    s_party_t *ps[] = {&b};
    for (int k = 2; k < 5; k++)
        s_frame(mx, &fx, ps, 1, k);
    const uint8_t *first = NULL;
    for (int i = 0; i < fx.n && !first; i++)
        if (fx.sent[i].ep_id == 1)
            first = fx.sent[i].pkt;
    CC_CHECK(first != NULL);
    uint32_t ssrc =
        (uint32_t)first[8] << 24 | (uint32_t)first[9] << 16 | first[10] << 8 | first[11];
    uint32_t ts = (uint32_t)first[4] << 24 | (uint32_t)first[5] << 16 | first[6] << 8 | first[7];
    CC_CHECK_INT(ssrc, 0xCAFE0001u);
    CC_CHECK_INT(first[2] << 8 | first[3], 0); /* 65535 + 1 */
    CC_CHECK_INT(ts, 1000 + 320);              /* 40 ms later */
    CC_CHECK(first[1] & 0x80);
    md_mixer_destroy(&mx);
    free(fx.sent);
}

/* After a prompt to a member (its join tone) the mix goes on with the prompt's stream, not
 * with its own numbers, which stood still while the prompt played: phones dropped those as
 * late packets for as long as the prompt had lasted. */
CC_TEST(mix_after_a_prompt_goes_on_with_the_prompts_stream)
{
    s_fx_t fx;
    md_mixer_t *mx = s_mixer(&fx);
    s_party_t a, b;
    s_party(&a, 1);
    s_party(&b, 2);
    b.level = 3000;
    uint32_t id;
    md_mixer_create(mx, NULL, T0, &id);
    md_mixer_join(mx, id, &a.ep, NULL, T0);
    md_mixer_join(mx, id, &b.ep, NULL, T0);
    a.ep.playing = true;
    s_party_t *ps[] = {&b};
    for (int k = 1; k < 50; k++)
        s_frame(mx, &fx, ps, 1, k);
    /* the player's last packet, as md_rtp noted it */
    a.ep.sent_known = true;
    a.ep.sent_ssrc = 0xBEEF0001u;
    a.ep.sent_seq = 700;
    a.ep.sent_ts = 90000;
    a.ep.sent_us = T0 + 49 * 20 * MS;
    a.ep.playing = false;
    int before = fx.n;
    s_frame(mx, &fx, ps, 1, 50);
    const uint8_t *first = NULL;
    for (int i = before; i < fx.n && !first; i++)
        if (fx.sent[i].ep_id == 1)
            first = fx.sent[i].pkt;
    CC_CHECK(first != NULL);
    CC_CHECK_INT(s_be32(first + 8), 0xBEEF0001u);
    CC_CHECK_INT(first[2] << 8 | first[3], 701);
    CC_CHECK(s_be32(first + 4) - 90000u <= 3 * MD_MIX_FRAME);
    CC_CHECK(first[1] & 0x80);
    CHECK_NEAR_LEVEL(md_ulaw_table[first[12 + 80]], 3000);
    md_mixer_destroy(&mx);
    free(fx.sent);
}
