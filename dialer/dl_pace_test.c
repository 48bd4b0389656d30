/* dl_pace_test.c - lines per mode; predictive from measured figures, bounded by the ratio,
 * held back as the measured abandon rate nears the cap; the rolling window forgets. */
#include "cc_test.h"
#include "dl_pace.h"

#define T0 1000000000LL

static dl_pace_t *s_pace(dl_mode_t mode)
{
    dl_pace_cfg_t cfg = {.mode = mode, .cap = 0.03, .max_ratio = 4, .window_s = 1800};
    return dl_pace_new(&cfg);
}

/* Teach it an answer rate, a time to answer and a handle time. */
static void s_learn(dl_pace_t *p, int64_t *t, double rate, int n, int64_t ring_ms,
                    int64_t handle_ms)
{
    int answered = 0;
    for (int i = 0; i < n; i++) {
        *t += 1000;
        if ((double)(answered + 1) <= rate * (i + 1)) {
            answered++;
            dl_pace_answered(p, *t, ring_ms);
            dl_pace_handled(p, *t, handle_ms);
        } else {
            dl_pace_unanswered(p, *t);
        }
    }
}

CC_TEST(dl_pace_preview_and_progressive)
{
    dl_pace_t *p = s_pace(DL_MODE_PREVIEW);
    dl_floor_t f = {.ready = 5, .busy = 3};
    CC_CHECK_INT(dl_pace_lines(p, &f, T0, NULL), 0);
    dl_pace_cfg_t cfg = {.mode = DL_MODE_PROGRESSIVE, .cap = 0.03, .max_ratio = 4};
    dl_pace_configure(p, &cfg);
    CC_CHECK_INT(dl_pace_lines(p, &f, T0, NULL), 5);
    f.ringing = 2;
    f.waiting = 1;
    CC_CHECK_INT(dl_pace_lines(p, &f, T0, NULL), 2);
    f.ringing = 7;
    CC_CHECK_INT(dl_pace_lines(p, &f, T0, NULL), 0);
    dl_pace_destroy(&p);
    CC_CHECK(p == NULL);
}

CC_TEST(dl_pace_predictive_dials_ahead_more_when_fewer_answer)
{
    int64_t t = T0, t2 = T0;
    dl_pace_t *low = s_pace(DL_MODE_PREDICTIVE), *high = s_pace(DL_MODE_PREDICTIVE);
    s_learn(low, &t, 0.10, 1000, 8000, 180000);
    s_learn(high, &t2, 0.40, 1000, 8000, 180000);
    dl_floor_t f = {.ready = 2, .busy = 18};
    dl_pace_why_t why;
    int n_low = dl_pace_lines(low, &f, t, &why);
    CC_CHECK_NEAR(why.answer_rate, 0.10, 0.02);
    CC_CHECK(why.expected <= why.target);
    int n_high = dl_pace_lines(high, &f, t2, &why);
    CC_CHECK_NEAR(why.answer_rate, 0.40, 0.03);
    CC_CHECK(n_low > f.ready); /* dials ahead of the ready agents */
    CC_CHECK(n_low > n_high);  /* and more when fewer answer */
    CC_CHECK(n_low <= 4 * 20); /* never beyond the ratio */
    /* no agents at all: nothing */
    dl_floor_t none = {0};
    CC_CHECK_INT(dl_pace_lines(low, &none, t, NULL), 0);
    /* the ratio bounds lines in flight, counting those already ringing */
    dl_floor_t full = {.ready = 20, .busy = 0, .ringing = 80};
    CC_CHECK_INT(dl_pace_lines(low, &full, t, NULL), 0);
    dl_pace_destroy(&low);
    dl_pace_destroy(&high);
}

CC_TEST(dl_pace_predictive_holds_back_near_the_cap)
{
    int64_t t = T0;
    dl_pace_t *calm = s_pace(DL_MODE_PREDICTIVE), *hot = s_pace(DL_MODE_PREDICTIVE);
    s_learn(calm, &t, 0.2, 500, 6000, 200000);
    s_learn(hot, &t, 0.2, 500, 6000, 200000);
    for (int i = 0; i < 3; i++) /* 3 of 100 contacts abandoned: at the cap */
        dl_pace_abandoned(hot, t);
    dl_floor_t f = {.ready = 3, .busy = 17};
    dl_pace_why_t wc, wh;
    int n_calm = dl_pace_lines(calm, &f, t, &wc);
    int n_hot = dl_pace_lines(hot, &f, t, &wh);
    CC_CHECK_INT(wh.contacts_window, 100);
    CC_CHECK_INT(wh.abandons_window, 3);
    CC_CHECK_NEAR(wh.abandon_rate, 0.03, 1e-9);
    CC_CHECK(wh.target < wc.target);
    CC_CHECK(n_hot < n_calm);
    CC_CHECK(wh.expected <= wh.target);
    dl_pace_destroy(&calm);
    dl_pace_destroy(&hot);
}

CC_TEST(dl_pace_window_forgets_old_abandons)
{
    dl_pace_t *p = s_pace(DL_MODE_PREDICTIVE);
    int64_t t = T0;
    dl_pace_answered(p, t, 5000);
    dl_pace_abandoned(p, t);
    int c, a;
    CC_CHECK_NEAR(dl_pace_abandon_rate(p, t + 1000, &c, &a), 1.0, 1e-9);
    CC_CHECK_INT(c, 1);
    dl_pace_answered(p, t + 1700 * 1000, 5000);
    CC_CHECK_NEAR(dl_pace_abandon_rate(p, t + 1700 * 1000, &c, &a), 0.5, 1e-9);
    /* 31 minutes on, the first contact and its abandon are out of the 30-minute window */
    CC_CHECK_NEAR(dl_pace_abandon_rate(p, t + 1860 * 1000, &c, &a), 0.0, 1e-9);
    CC_CHECK_INT(c, 1);
    CC_CHECK_INT(a, 0);
    dl_pace_destroy(&p);
}

CC_TEST(dl_pace_mode_names)
{
    CC_CHECK_INT(dl_mode_parse("predictive"), DL_MODE_PREDICTIVE);
    CC_CHECK_INT(dl_mode_parse("preview"), DL_MODE_PREVIEW);
    CC_CHECK_INT(dl_mode_parse("auto"), -1);
    CC_CHECK_STR(dl_mode_name(DL_MODE_PROGRESSIVE), "progressive");
}

CC_TEST(dl_pace_uses_elapsed_handle_and_ring_times)
{
    int64_t t = T0;
    dl_pace_t *p = s_pace(DL_MODE_PREDICTIVE);
    s_learn(p, &t, 0.3, 1000, 8000, 200000); /* every answer at 8 s, every contact 200 s */
    int64_t fresh[10] = {0}, ending[10], rung[4] = {1000, 1000, 1000, 1000}, old[4];
    for (int i = 0; i < 10; i++)
        fresh[i] = 10000, ending[i] = 195000;
    for (int i = 0; i < 4; i++)
        old[i] = 16000; /* past every answer seen: they will ring out */
    dl_floor_t f = {.ready = 0, .busy = 10, .busy_ms = fresh};
    int n_fresh = dl_pace_lines(p, &f, t, NULL);
    f.busy_ms = ending;
    int n_ending = dl_pace_lines(p, &f, t, NULL);
    CC_CHECK(n_ending > n_fresh); /* agents about to finish: dial for them now */
    f.ringing = 4;
    f.ringing_ms = rung;
    int n_young = dl_pace_lines(p, &f, t, NULL);
    f.ringing_ms = old;
    int n_old = dl_pace_lines(p, &f, t, NULL);
    CC_CHECK(n_old > n_young); /* lines that will not answer leave room for new ones */
    dl_pace_destroy(&p);
}
