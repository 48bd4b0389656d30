/* md_amd_test.c - unit tests of answering-machine detection on synthetic answers: a short
 * greeting then silence (a person), a long greeting with short pauses (a machine), long
 * silence, steady loud noise, clicks, a greeting of in-between length, background noise,
 * G.711 packets, and the bounds of the settings. */
#include <string.h>

#include "cc_test.h"
#include "md_amd.h"
#include "md_amd_fixture.h"

#define START 5000000ull /* any start: times are relative to it */

static md_amd_result_t s_judge(md_amd_sig_t *s, md_amd_t *amd, bool g711)
{
    md_amd_cfg_t cfg;
    md_amd_cfg_default(&cfg);
    md_amd_init(amd, &cfg, START);
    md_amd_result_t r = md_amd_sig_run(s, amd, START, g711);
    md_amd_sig_free(s);
    return r;
}

CC_TEST(amd_short_greeting_is_human)
{
    md_amd_sig_t s;
    md_amd_sig_init(&s, 7, -95);
    md_amd_sig_silence(&s, 400);
    md_amd_sig_syllable(&s, 200, -18); /* "Hel-" */
    md_amd_sig_silence(&s, 40);
    md_amd_sig_syllable(&s, 260, -20); /* "-lo?" */
    md_amd_sig_silence(&s, 3000);
    md_amd_t amd;
    CC_CHECK_INT(s_judge(&s, &amd, false), MD_AMD_HUMAN);
    const md_amd_figures_t *f = md_amd_figures(&amd);
    CC_CHECK_STR(f->reason, "short_greeting");
    CC_CHECK_INT(f->words, 1);
    CC_CHECK_NEAR(f->initial_silence_ms, 400, 60);
    CC_CHECK_NEAR(f->greeting_ms, 500, 80);
    /* decided once 800 ms of silence followed the greeting, not at the deadline */
    CC_CHECK_NEAR(f->decision_ms, 400 + 500 + 800, 100);
    CC_CHECK(f->silence_ms >= 800);
}

CC_TEST(amd_long_greeting_is_machine)
{
    md_amd_sig_t s;
    md_amd_sig_init(&s, 11, -95);
    md_amd_sig_silence(&s, 300);
    md_amd_sig_speech(&s, 6000, -16, 150, 350); /* "Hi, you've reached ..." */
    md_amd_sig_silence(&s, 1000);
    md_amd_t amd;
    CC_CHECK_INT(s_judge(&s, &amd, false), MD_AMD_MACHINE);
    const md_amd_figures_t *f = md_amd_figures(&amd);
    CC_CHECK_STR(f->reason, "long_greeting");
    CC_CHECK(f->greeting_ms >= 2000);
    CC_CHECK(f->decision_ms < 4000);
    CC_CHECK(f->modulation_db >= 1.5);
}

CC_TEST(amd_silence_is_unsure)
{
    md_amd_sig_t s;
    md_amd_sig_init(&s, 3, -95);
    md_amd_sig_silence(&s, 5000);
    md_amd_t amd;
    CC_CHECK_INT(s_judge(&s, &amd, false), MD_AMD_UNSURE);
    CC_CHECK_STR(md_amd_figures(&amd)->reason, "initial_silence");
    CC_CHECK_NEAR(md_amd_figures(&amd)->decision_ms, 2500, 20);
    CC_CHECK_INT(md_amd_figures(&amd)->words, 0);
}

CC_TEST(amd_no_packets_decides_on_ticks)
{
    md_amd_cfg_t cfg;
    md_amd_cfg_default(&cfg);
    md_amd_t amd;
    md_amd_init(&amd, &cfg, START);
    CC_CHECK_INT(md_amd_tick(&amd, START + 2000000), MD_AMD_PENDING);
    CC_CHECK_INT(md_amd_tick(&amd, START + 2500000), MD_AMD_UNSURE);
    CC_CHECK_INT(md_amd_figures(&amd)->frames, 0);
    /* decided: later audio changes nothing */
    int16_t loud[160];
    for (int i = 0; i < 160; i++)
        loud[i] = (int16_t)(i % 2 ? 20000 : -20000);
    CC_CHECK_INT(md_amd_pcm(&amd, loud, 160, START + 2520000), MD_AMD_UNSURE);
    CC_CHECK_INT(md_amd_figures(&amd)->frames, 0);
}

CC_TEST(amd_steady_loud_noise_is_unsure)
{
    md_amd_sig_t s;
    md_amd_sig_init(&s, 5, -95);
    md_amd_sig_silence(&s, 300);
    md_amd_sig_noise(&s, 5000, -12);
    md_amd_t amd;
    CC_CHECK_INT(s_judge(&s, &amd, false), MD_AMD_UNSURE);
    CC_CHECK_STR(md_amd_figures(&amd)->reason, "steady_sound");
    CC_CHECK(md_amd_figures(&amd)->modulation_db < 1.5);
    /* the same noise from the first frame on */
    md_amd_sig_init(&s, 6, -95);
    md_amd_sig_noise(&s, 5000, -12);
    CC_CHECK_INT(s_judge(&s, &amd, false), MD_AMD_UNSURE);
}

CC_TEST(amd_clicks_are_not_words)
{
    md_amd_sig_t s;
    md_amd_sig_init(&s, 9, -95);
    md_amd_sig_silence(&s, 500);
    md_amd_sig_noise(&s, 40, -10); /* a pop when the handset is lifted */
    md_amd_sig_silence(&s, 1000);
    md_amd_sig_noise(&s, 40, -10);
    md_amd_sig_silence(&s, 3000);
    md_amd_t amd;
    CC_CHECK_INT(s_judge(&s, &amd, false), MD_AMD_UNSURE);
    CC_CHECK_STR(md_amd_figures(&amd)->reason, "initial_silence");
    CC_CHECK_INT(md_amd_figures(&amd)->words, 0);
}

CC_TEST(amd_middling_greeting_waits_for_deadline)
{
    md_amd_sig_t s;
    md_amd_sig_init(&s, 13, -95);
    md_amd_sig_silence(&s, 300);
    md_amd_sig_speech(&s, 1750, -18, 150, 250); /* "Hello, this is Mary" */
    md_amd_sig_silence(&s, 4000);
    md_amd_t amd;
    md_amd_result_t r = s_judge(&s, &amd, false);
    const md_amd_figures_t *f = md_amd_figures(&amd);
    CC_CHECK(f->greeting_ms > 1500 && f->greeting_ms < 2000);
    CC_CHECK_INT(r, MD_AMD_UNSURE);
    CC_CHECK_STR(f->reason, "timeout");
    CC_CHECK_NEAR(f->decision_ms, 4000, 20);
}

CC_TEST(amd_background_noise_still_hears_a_person)
{
    md_amd_sig_t s;
    md_amd_sig_init(&s, 17, -48); /* a noisy line under everything */
    md_amd_sig_silence(&s, 600);
    md_amd_sig_syllable(&s, 180, -20);
    md_amd_sig_silence(&s, 50);
    md_amd_sig_syllable(&s, 240, -22);
    md_amd_sig_silence(&s, 3000);
    md_amd_t amd;
    CC_CHECK_INT(s_judge(&s, &amd, false), MD_AMD_HUMAN);
    CC_CHECK_NEAR(md_amd_figures(&amd)->initial_silence_ms, 600, 80);
}

CC_TEST(amd_g711_packets)
{
    md_amd_sig_t s;
    md_amd_sig_init(&s, 21, -95);
    md_amd_sig_silence(&s, 300);
    md_amd_sig_speech(&s, 5000, -16, 150, 350);
    md_amd_t amd;
    CC_CHECK_INT(s_judge(&s, &amd, true), MD_AMD_MACHINE);
    md_amd_sig_init(&s, 22, -95);
    md_amd_sig_silence(&s, 700);
    md_amd_sig_syllable(&s, 300, -18);
    md_amd_sig_silence(&s, 3000);
    CC_CHECK_INT(s_judge(&s, &amd, true), MD_AMD_HUMAN);
    /* telephone-events and short packets are not audio */
    md_amd_cfg_t cfg;
    md_amd_cfg_default(&cfg);
    md_amd_init(&amd, &cfg, START);
    uint8_t te[16] = {0x80, 101};
    CC_CHECK_INT(md_amd_packet(&amd, te, sizeof te, START + 20000), MD_AMD_PENDING);
    CC_CHECK_INT(md_amd_packet(&amd, te, 5, START + 40000), MD_AMD_PENDING);
    CC_CHECK_INT(md_amd_figures(&amd)->frames, 0);
}

CC_TEST(amd_cfg_bounds)
{
    md_amd_cfg_t cfg;
    md_amd_cfg_default(&cfg);
    CC_CHECK(md_amd_cfg_check(&cfg) == NULL);
    md_amd_cfg_t bad = cfg;
    bad.max_ms = 500;
    CC_CHECK_STR(md_amd_cfg_check(&bad), "max_ms");
    bad = cfg;
    bad.machine_ms = 1000; /* under human_max_ms */
    CC_CHECK_STR(md_amd_cfg_check(&bad), "human_max_ms");
    bad = cfg;
    bad.machine_ms = 5000; /* over max_ms */
    CC_CHECK_STR(md_amd_cfg_check(&bad), "machine_ms");
    bad = cfg;
    bad.initial_silence_ms = 9000;
    CC_CHECK_STR(md_amd_cfg_check(&bad), "initial_silence_ms");
    bad = cfg;
    bad.pause_ms = 900;
    CC_CHECK_STR(md_amd_cfg_check(&bad), "pause_ms");
    CC_CHECK_STR(md_amd_result_name(MD_AMD_HUMAN), "human");
    CC_CHECK_STR(md_amd_result_name(MD_AMD_MACHINE), "machine");
    CC_CHECK_STR(md_amd_result_name(MD_AMD_UNSURE), "unsure");
}
