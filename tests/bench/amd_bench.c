/* amd_bench.c - runs mediad's answering-machine detector (mediad/md_amd.c, linked from
 * libmediad.a) over generated answers (mediad/md_amd_fixture.c) of several kinds, people
 * and machines with varied lengths, pauses, levels and noise, fed as 20 ms G.711 packets,
 * and prints one line per answer: kind, truth, verdict, reason, decision_ms. Driven by
 * tests/bench/amd_bench.py, which sums them up.
 *
 *     amd_bench N SEED [NAME=MS]...   N answers of each kind; NAME one of max_ms,
 *                                     initial_silence_ms, human_max_ms, human_silence_ms,
 *                                     machine_ms overrides the default */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md_amd.h"
#include "md_amd_fixture.h"

typedef void(s_make_fn)(md_amd_sig_t *s);

static double s_level(md_amd_sig_t *s)
{
    return md_amd_sig_uniform(s, -30, -10);
}

/* A person: "Hello?" / "Yes?" / "Hello, hi" - 1 to 4 syllables, 0.2-1.4 s, then waits. */
static void s_person_short(md_amd_sig_t *s)
{
    md_amd_sig_silence(s, (uint32_t)md_amd_sig_uniform(s, 150, 1500));
    int syl = 1 + (int)md_amd_sig_uniform(s, 0, 4);
    double level = s_level(s);
    for (int i = 0; i < syl; i++) {
        md_amd_sig_syllable(s, (uint32_t)md_amd_sig_uniform(s, 120, 300), level);
        md_amd_sig_silence(s, (uint32_t)md_amd_sig_uniform(s, 20, 120));
    }
    md_amd_sig_silence(s, 5000);
}

/* A person who says more: "Hello, Smith residence" / "Hi, this is Mary" - 1.4-2.4 s. */
static void s_person_long(md_amd_sig_t *s)
{
    md_amd_sig_silence(s, (uint32_t)md_amd_sig_uniform(s, 150, 1000));
    md_amd_sig_speech(s, (uint32_t)md_amd_sig_uniform(s, 1400, 2400), s_level(s), 150, 400);
    md_amd_sig_silence(s, 5000);
}

/* A person who says "Hello?", waits, and says it again. */
static void s_person_twice(md_amd_sig_t *s)
{
    md_amd_sig_silence(s, (uint32_t)md_amd_sig_uniform(s, 150, 800));
    double level = s_level(s);
    md_amd_sig_syllable(s, 180, level);
    md_amd_sig_syllable(s, 250, level);
    md_amd_sig_silence(s, (uint32_t)md_amd_sig_uniform(s, 500, 1500));
    md_amd_sig_syllable(s, 180, level);
    md_amd_sig_syllable(s, 250, level);
    md_amd_sig_silence(s, 5000);
}

/* A machine: 3-10 s of speech, pauses of 150-600 ms between phrases, maybe a beep. */
static void s_machine_long(md_amd_sig_t *s)
{
    md_amd_sig_silence(s, (uint32_t)md_amd_sig_uniform(s, 0, 800));
    md_amd_sig_speech(s, (uint32_t)md_amd_sig_uniform(s, 3000, 10000), s_level(s), 150, 600);
    md_amd_sig_tone(s, 400, 1000, -15);
    md_amd_sig_silence(s, 3000);
}

/* A machine that speaks slowly: phrases with pauses of 500-900 ms. */
static void s_machine_slow(md_amd_sig_t *s)
{
    md_amd_sig_silence(s, (uint32_t)md_amd_sig_uniform(s, 0, 800));
    md_amd_sig_speech(s, (uint32_t)md_amd_sig_uniform(s, 4000, 10000), s_level(s), 500, 900);
    md_amd_sig_silence(s, 3000);
}

/* A machine with a short greeting: "Leave a message" (1-1.8 s), then the beep. */
static void s_machine_short(md_amd_sig_t *s)
{
    md_amd_sig_silence(s, (uint32_t)md_amd_sig_uniform(s, 0, 800));
    md_amd_sig_speech(s, (uint32_t)md_amd_sig_uniform(s, 1000, 1800), s_level(s), 150, 300);
    md_amd_sig_silence(s, (uint32_t)md_amd_sig_uniform(s, 200, 600));
    md_amd_sig_tone(s, 500, 1000, -15);
    md_amd_sig_silence(s, 3000);
}

static const struct {
    const char *kind, *truth;
    s_make_fn *make;
} s_kinds[] = {
    {"person_short", "human", s_person_short},   {"person_long", "human", s_person_long},
    {"person_twice", "human", s_person_twice},   {"machine_long", "machine", s_machine_long},
    {"machine_slow", "machine", s_machine_slow}, {"machine_short", "machine", s_machine_short},
};

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: amd_bench N SEED [NAME=MS]...\n");
        return 2;
    }
    int n = atoi(argv[1]);
    unsigned seed = (unsigned)strtoul(argv[2], NULL, 10);
    md_amd_cfg_t cfg;
    md_amd_cfg_default(&cfg);
    for (int i = 3; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        uint32_t v = eq ? (uint32_t)strtoul(eq + 1, NULL, 10) : 0;
        size_t len = eq ? (size_t)(eq - argv[i]) : 0;
        if (len == 6 && !strncmp(argv[i], "max_ms", len))
            cfg.max_ms = v;
        else if (len == 18 && !strncmp(argv[i], "initial_silence_ms", len))
            cfg.initial_silence_ms = v;
        else if (len == 12 && !strncmp(argv[i], "human_max_ms", len))
            cfg.human_max_ms = v;
        else if (len == 16 && !strncmp(argv[i], "human_silence_ms", len))
            cfg.human_silence_ms = v;
        else if (len == 10 && !strncmp(argv[i], "machine_ms", len))
            cfg.machine_ms = v;
        else {
            fprintf(stderr, "amd_bench: unknown setting '%s'\n", argv[i]);
            return 2;
        }
    }
    const char *bad = md_amd_cfg_check(&cfg);
    if (bad) {
        fprintf(stderr, "amd_bench: %s out of bounds\n", bad);
        return 2;
    }
    for (size_t k = 0; k < sizeof s_kinds / sizeof s_kinds[0]; k++) {
        for (int i = 0; i < n; i++) {
            md_amd_sig_t s;
            /* background: none, or line noise from -65 to -45 dBFS */
            md_amd_sig_init(&s, seed * 7919u + (unsigned)k * 1000003u + (unsigned)i + 1, -95);
            double noise = md_amd_sig_uniform(&s, -75, -45);
            s.noise_db = noise < -65 ? -95 : noise;
            s_kinds[k].make(&s);
            md_amd_t amd;
            md_amd_init(&amd, &cfg, 1000000);
            md_amd_result_t r = md_amd_sig_run(&s, &amd, 1000000, true);
            const md_amd_figures_t *f = md_amd_figures(&amd);
            printf("%s %s %s %s %u %.0f\n", s_kinds[k].kind, s_kinds[k].truth,
                   md_amd_result_name(r), f->reason, f->decision_ms, s.noise_db);
            md_amd_sig_free(&s);
        }
    }
    return 0;
}
