/* md_amd_fixture.h - synthetic answers for the answering-machine detector's tests and its
 * benchmark (tests/bench/amd_bench): silence or steady noise at a given level, and
 * speech-like sound (voiced syllables: harmonics of a pitch under a rise-and-fall envelope,
 * separated by short gaps) shaped as a short greeting or a long one. Deterministic from a
 * seed; test helper only, never linked into mediad. */
#ifndef MD_AMD_FIXTURE_H
#define MD_AMD_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "md_amd.h"

typedef struct {
    int16_t *pcm; /* 8 kHz mono */
    size_t n, cap;
    uint32_t rng;
    double noise_db; /* background noise under everything (below -89: none) */
} md_amd_sig_t;

void md_amd_sig_init(md_amd_sig_t *s, uint32_t seed, double noise_db);
void md_amd_sig_free(md_amd_sig_t *s);
double md_amd_sig_uniform(md_amd_sig_t *s, double lo, double hi);
/* ms of the background only. */
void md_amd_sig_silence(md_amd_sig_t *s, uint32_t ms);
/* ms of steady white noise at level_db (dBFS RMS), over the background. */
void md_amd_sig_noise(md_amd_sig_t *s, uint32_t ms, double level_db);
/* ms of a steady sine of freq Hz at level_db (an answering machine's beep). */
void md_amd_sig_tone(md_amd_sig_t *s, uint32_t ms, double freq, double level_db);
/* One voiced syllable of ms at about level_db (peak RMS). */
void md_amd_sig_syllable(md_amd_sig_t *s, uint32_t ms, double level_db);
/* Speech for about ms: syllables of 120-260 ms, 20-90 ms apart, and a pause of
 * pause_min..pause_max ms after every 2-4 syllables. Returns the ms written. */
uint32_t md_amd_sig_speech(md_amd_sig_t *s, uint32_t ms, double level_db, uint32_t pause_min,
                           uint32_t pause_max);

/* Feed the signal to amd in 20 ms frames, frame k arriving at start_us + (k+1) * 20 ms (as
 * G.711 u-law RTP when g711), then let time pass in 20 ms steps without audio until it
 * decides. Returns the decision. */
md_amd_result_t md_amd_sig_run(const md_amd_sig_t *s, md_amd_t *amd, uint64_t start_us, bool g711);

#endif
