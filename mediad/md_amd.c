/* md_amd.c - answering-machine detection from level and cadence (see md_amd.h for the
 * rule). Owns nothing but the struct it is given; knows nothing of sockets or the bus. */
#include "md_amd.h"

#include <math.h>
#include <string.h>

#include "md_g711.h"
#include "md_stats.h"

#define S_FLOOR_DB -90.0  /* digital silence and anything quieter */
#define S_MAX_SAMPLES 480 /* 60 ms: longer frames are judged in pieces of this size */

void md_amd_cfg_default(md_amd_cfg_t *cfg)
{
    *cfg = (md_amd_cfg_t){.max_ms = 4000,
                          .initial_silence_ms = 2500,
                          .human_max_ms = 1500,
                          .human_silence_ms = 800,
                          .machine_ms = 2000,
                          .pause_ms = 400,
                          .min_word_ms = 100,
                          .voice_min_db = -45.0,
                          .voice_snr_db = 9.0,
                          .floor_rise_db_s = 3.0,
                          .min_modulation_db = 1.5};
}

const char *md_amd_cfg_check(const md_amd_cfg_t *c)
{
    if (c->max_ms < 1000 || c->max_ms > 30000)
        return "max_ms";
    if (c->initial_silence_ms < 500 || c->initial_silence_ms > c->max_ms)
        return "initial_silence_ms";
    if (c->human_max_ms < 200 || c->human_max_ms > c->machine_ms)
        return "human_max_ms";
    if (c->human_silence_ms < 200 || c->human_silence_ms > 5000)
        return "human_silence_ms";
    if (c->machine_ms < c->human_max_ms || c->machine_ms > c->max_ms)
        return "machine_ms";
    if (c->pause_ms < 100 || c->pause_ms > c->human_silence_ms)
        return "pause_ms";
    if (c->min_word_ms < 20 || c->min_word_ms > 1000)
        return "min_word_ms";
    if (!(c->voice_min_db >= -80 && c->voice_min_db <= 0))
        return "voice_min_db";
    if (!(c->voice_snr_db >= 0 && c->voice_snr_db <= 40))
        return "voice_snr_db";
    if (!(c->floor_rise_db_s > 0 && c->floor_rise_db_s <= 100))
        return "floor_rise_db_s";
    if (!(c->min_modulation_db >= 0 && c->min_modulation_db <= 20))
        return "min_modulation_db";
    return NULL;
}

void md_amd_init(md_amd_t *self, const md_amd_cfg_t *cfg, uint64_t start_us)
{
    memset(self, 0, sizeof *self);
    self->cfg = *cfg;
    self->start_us = start_us;
    self->last_frame_us = start_us;
    self->fig.reason = "";
    md_g711_init();
}

const char *md_amd_result_name(md_amd_result_t r)
{
    switch (r) {
    case MD_AMD_HUMAN:
        return "human";
    case MD_AMD_MACHINE:
        return "machine";
    case MD_AMD_UNSURE:
        return "unsure";
    default:
        return "pending";
    }
}

const md_amd_figures_t *md_amd_figures(const md_amd_t *self)
{
    return &self->fig;
}

static uint32_t s_ms(uint64_t from_us, uint64_t to_us)
{
    return to_us > from_us ? (uint32_t)((to_us - from_us) / 1000) : 0;
}

/* The run being heard counts as a word once it holds enough voice. */
static bool s_run_is_word(const md_amd_t *self)
{
    return self->in_run && self->run_voice_ms >= self->cfg.min_word_ms;
}

static void s_close_run(md_amd_t *self)
{
    if (s_run_is_word(self)) {
        self->done_ms += s_ms(self->run_start_us, self->last_voice_end_us);
        self->fig.words++;
        self->fig.voice_ms += self->run_voice_ms;
    }
    self->in_run = false;
}

/* Bring the figures up to now_us and apply the rule. */
static md_amd_result_t s_judge(md_amd_t *self, uint64_t now_us)
{
    md_amd_figures_t *f = &self->fig;
    const md_amd_cfg_t *c = &self->cfg;
    if (self->in_run && s_ms(self->last_voice_end_us, now_us) >= c->pause_ms)
        s_close_run(self);
    bool word_now = s_run_is_word(self);
    uint32_t greeting =
        self->done_ms + (word_now ? s_ms(self->run_start_us, self->last_voice_end_us) : 0);
    uint32_t words = f->words + (word_now ? 1 : 0);
    bool any_word = words > 0;
    uint32_t elapsed = s_ms(self->start_us, now_us);
    uint32_t silence = any_word ? s_ms(self->last_voice_end_us, now_us) : elapsed;
    double modulation = self->mod_n ? self->mod_sum / self->mod_n : 0.0;
    md_amd_result_t r = MD_AMD_PENDING;
    if (greeting >= c->machine_ms) {
        r = modulation >= c->min_modulation_db ? MD_AMD_MACHINE : MD_AMD_UNSURE;
        f->reason = r == MD_AMD_MACHINE ? "long_greeting" : "steady_sound";
    } else if (any_word && !self->in_run && silence >= c->human_silence_ms &&
               greeting <= c->human_max_ms) {
        r = MD_AMD_HUMAN;
        f->reason = "short_greeting";
    } else if (!any_word && elapsed >= c->initial_silence_ms) {
        r = MD_AMD_UNSURE;
        f->reason = "initial_silence";
    } else if (elapsed >= c->max_ms) {
        r = MD_AMD_UNSURE;
        f->reason = "timeout";
    }
    if (r != MD_AMD_PENDING) {
        f->result = r;
        f->decision_ms = elapsed;
        f->initial_silence_ms =
            self->any_word ? s_ms(self->start_us, self->first_word_us) : elapsed;
        f->greeting_ms = greeting;
        f->words = words;
        f->silence_ms = silence;
        f->voice_ms += word_now ? self->run_voice_ms : 0;
        f->modulation_db = modulation;
    }
    return r;
}

static double s_level_db(const int16_t *pcm, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)pcm[i] * pcm[i];
    double ms = sum / (double)n / (32768.0 * 32768.0);
    double db = ms > 0 ? 10.0 * log10(ms) : S_FLOOR_DB;
    return db < S_FLOOR_DB ? S_FLOOR_DB : db;
}

/* One frame's level: voice or not, the floor, the current run. */
static void s_frame(md_amd_t *self, double db, uint32_t frame_ms, uint64_t now_us)
{
    const md_amd_cfg_t *c = &self->cfg;
    if (!self->have_floor) { /* a call that starts with speech must still find it voice */
        double start = c->voice_min_db - c->voice_snr_db;
        self->floor_db = db < start ? db : start;
        self->have_floor = true;
    }
    bool voice = db >= c->voice_min_db && db >= self->floor_db + c->voice_snr_db;
    if (db < self->floor_db) {
        self->floor_db = db;
    } else {
        double dt = (double)(now_us > self->last_frame_us ? now_us - self->last_frame_us
                                                          : (uint64_t)frame_ms * 1000) /
                    1e6;
        double up = self->floor_db + c->floor_rise_db_s * dt;
        self->floor_db = db < up ? db : up;
    }
    self->last_frame_us = now_us;
    if (db > self->fig.peak_db || self->fig.frames == 0)
        self->fig.peak_db = db;
    self->fig.frames++;
    if (!voice)
        return;
    uint64_t frame_start = now_us - (uint64_t)frame_ms * 1000;
    if (frame_start < self->start_us)
        frame_start = self->start_us;
    if (self->in_run && s_ms(self->last_voice_end_us, frame_start) >= c->pause_ms)
        s_close_run(self);
    if (!self->in_run) {
        self->in_run = true;
        self->run_start_us = frame_start;
        self->run_voice_ms = 0;
        self->have_prev_voice = false;
    }
    if (self->have_prev_voice) {
        self->mod_sum += fabs(db - self->prev_voice_db);
        self->mod_n++;
    }
    self->prev_voice_db = db;
    self->have_prev_voice = true;
    self->run_voice_ms += frame_ms;
    self->last_voice_end_us = now_us;
    if (!self->any_word && s_run_is_word(self)) {
        self->any_word = true;
        self->first_word_us = self->run_start_us;
    }
}

md_amd_result_t md_amd_pcm(md_amd_t *self, const int16_t *pcm, size_t n, uint64_t now_us)
{
    if (self->fig.result != MD_AMD_PENDING)
        return self->fig.result;
    if (now_us < self->start_us)
        now_us = self->start_us;
    /* pieces of at most 60 ms, ending at now_us in order */
    size_t done = 0;
    while (done < n) {
        size_t k = n - done > S_MAX_SAMPLES ? S_MAX_SAMPLES : n - done;
        uint64_t left_us = (uint64_t)(n - done - k) * 125; /* 8 kHz: 125 us a sample */
        uint64_t at = now_us > self->start_us + left_us ? now_us - left_us : self->start_us;
        s_frame(self, s_level_db(pcm + done, k), (uint32_t)(k / 8), at);
        done += k;
    }
    return s_judge(self, now_us);
}

md_amd_result_t md_amd_g711(md_amd_t *self, const uint8_t *payload, size_t len, int pt,
                            uint64_t now_us)
{
    if (pt != MD_PT_PCMU && pt != MD_PT_PCMA)
        return self->fig.result;
    const int16_t *table = pt == MD_PT_PCMU ? md_ulaw_table : md_alaw_table;
    int16_t pcm[S_MAX_SAMPLES];
    md_amd_result_t r = self->fig.result;
    for (size_t off = 0; off < len && r == MD_AMD_PENDING;) {
        size_t k = len - off > S_MAX_SAMPLES ? S_MAX_SAMPLES : len - off;
        for (size_t i = 0; i < k; i++)
            pcm[i] = table[payload[off + i]];
        off += k;
        uint64_t left_us = (uint64_t)(len - off) * 125;
        r = md_amd_pcm(self, pcm, k, now_us > left_us ? now_us - left_us : 0);
    }
    return r;
}

md_amd_result_t md_amd_packet(md_amd_t *self, const uint8_t *pkt, size_t len, uint64_t now_us)
{
    size_t off, plen;
    if (self->fig.result != MD_AMD_PENDING || md_rtp_payload(pkt, len, &off, &plen) < 0)
        return self->fig.result;
    return md_amd_g711(self, pkt + off, plen, pkt[1] & 0x7f, now_us);
}

md_amd_result_t md_amd_tick(md_amd_t *self, uint64_t now_us)
{
    if (self->fig.result != MD_AMD_PENDING)
        return self->fig.result;
    return s_judge(self, now_us < self->start_us ? self->start_us : now_us);
}
