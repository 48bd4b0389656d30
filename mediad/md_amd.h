/* md_amd.h - answering-machine detection: is the party that just answered a person, a
 * machine, or can we not tell? Judged from the level of the audio it sends (20 ms frames of
 * decoded PCM) and the cadence of speech and silence in the first seconds. Pure: no I/O, no
 * clock (each frame comes with its arrival time), no allocation; one struct per endpoint.
 *
 * The rule, in short (numbers are the defaults of md_amd_cfg_default):
 *   - A frame is voice when its level is at least -45 dBFS and 9 dB above the noise floor
 *     (a minimum that follows quieter frames at once and rises 3 dB/s at most).
 *   - Voice frames separated by pauses under 400 ms form one "word" (a run of speech);
 *     a run with under 100 ms of voice in it is a click or a pop and does not count.
 *   - The greeting is the sum of the runs' lengths (pauses inside a run included, longer
 *     pauses between runs not).
 *   - Person: a greeting of at most 1500 ms followed by 800 ms of silence ("Hello?" and
 *     then waiting for an answer).
 *   - Machine: a greeting reaching 2000 ms ("Hi, you've reached..."), provided the level
 *     moves like speech does (mean frame-to-frame change of the voice frames of at least
 *     1.5 dB: syllables); a steady sound that loud (a line noise, a tone) is unsure.
 *   - Unsure: no word within 2500 ms of the start (a long silence), or no decision by
 *     4000 ms (e.g. a greeting between 1.5 and 2 s, then silence).
 * Between 1.5 s and 2 s of greeting the detector waits: a machine goes on speaking, a
 * person stays silent until the deadline says unsure. Unsure is meant to be treated as a
 * person (an agent takes it): the costly mistake is hanging up on a person. */
#ifndef MD_AMD_H
#define MD_AMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    MD_AMD_PENDING = 0,
    MD_AMD_HUMAN,
    MD_AMD_MACHINE,
    MD_AMD_UNSURE,
} md_amd_result_t;

typedef struct {
    uint32_t max_ms;             /* decide by then at the latest (unsure) */
    uint32_t initial_silence_ms; /* no word by then: unsure */
    uint32_t human_max_ms;       /* a greeting this short, then silence: a person */
    uint32_t human_silence_ms;   /* the silence after it that decides */
    uint32_t machine_ms;         /* a greeting this long: a machine */
    uint32_t pause_ms;           /* shorter silences stay inside a word */
    uint32_t min_word_ms;        /* less voice than this in a run: not a word */
    double voice_min_db;         /* dBFS a voice frame must reach */
    double voice_snr_db;         /* and how far above the noise floor */
    double floor_rise_db_s;      /* how fast the floor may rise */
    double min_modulation_db;    /* speech moves at least this much frame to frame */
} md_amd_cfg_t;

/* The figures a decision rests on, all in ms from the start unless said otherwise. */
typedef struct {
    md_amd_result_t result;
    const char *reason;          /* short_greeting, long_greeting, steady_sound,
                                    initial_silence, timeout */
    uint32_t decision_ms;        /* when it decided */
    uint32_t initial_silence_ms; /* before the first word (the whole time if none) */
    uint32_t greeting_ms;        /* sum of the words' lengths */
    uint32_t words;              /* runs of speech */
    uint32_t silence_ms;         /* silence since the last voice at the decision */
    uint32_t voice_ms;           /* voice frames in words */
    double modulation_db;        /* mean level change between successive voice frames */
    double peak_db;              /* loudest frame, dBFS */
    uint32_t frames;
} md_amd_figures_t;

typedef struct {
    md_amd_cfg_t cfg;
    uint64_t start_us;
    double floor_db;
    bool have_floor;
    uint64_t last_frame_us; /* arrival of the last frame, for the floor's rise */
    /* the run of speech being heard (or the last one) */
    bool in_run;
    uint64_t run_start_us, last_voice_end_us;
    uint32_t run_voice_ms;
    bool any_word;
    uint64_t first_word_us;
    uint32_t done_ms; /* length of the words that ended */
    double prev_voice_db;
    bool have_prev_voice;
    double mod_sum;
    uint32_t mod_n;
    md_amd_figures_t fig;
} md_amd_t;

/* The defaults described above. */
void md_amd_cfg_default(md_amd_cfg_t *cfg);
/* NULL when cfg is usable, else the name of the first field out of bounds:
 * max_ms 1000-30000, initial_silence_ms 500-max_ms, human_max_ms 200-machine_ms,
 * human_silence_ms 200-5000, machine_ms human_max_ms-max_ms, pause_ms 100-human_silence_ms,
 * min_word_ms 20-1000. */
const char *md_amd_cfg_check(const md_amd_cfg_t *cfg);

/* Start judging at start_us (the answer, or when asked). cfg must pass md_amd_cfg_check. */
void md_amd_init(md_amd_t *self, const md_amd_cfg_t *cfg, uint64_t start_us);

/* One frame of n samples of 8 kHz 16-bit audio (about 20 ms) that arrived at now_us.
 * Returns the result so far: MD_AMD_PENDING until decided, then the decision (frames after
 * it change nothing). */
md_amd_result_t md_amd_pcm(md_amd_t *self, const int16_t *pcm, size_t n, uint64_t now_us);
/* The same for a G.711 payload (pt 0 PCMU, 8 PCMA); other payload types are ignored
 * (the result so far is returned). */
md_amd_result_t md_amd_g711(md_amd_t *self, const uint8_t *payload, size_t len, int pt,
                            uint64_t now_us);
/* An RTP packet the endpoint accepted: its G.711 payload (header, CSRCs, extension and
 * padding skipped); anything else is ignored. */
md_amd_result_t md_amd_packet(md_amd_t *self, const uint8_t *pkt, size_t len, uint64_t now_us);
/* Time passes without audio (no packets at all, or between them): decides when a
 * silence or the deadline is reached. */
md_amd_result_t md_amd_tick(md_amd_t *self, uint64_t now_us);

const md_amd_figures_t *md_amd_figures(const md_amd_t *self);
const char *md_amd_result_name(md_amd_result_t r); /* pending, human, machine, unsure */

#endif
