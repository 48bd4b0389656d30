/* md_amd_fixture.c - synthetic answers for md_amd's tests and benchmark (see
 * md_amd_fixture.h). */
#include "md_amd_fixture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "md_g711.h"

#define S_RATE 8000

void md_amd_sig_init(md_amd_sig_t *s, uint32_t seed, double noise_db)
{
    memset(s, 0, sizeof *s);
    s->rng = seed ? seed : 1;
    s->noise_db = noise_db;
}

void md_amd_sig_free(md_amd_sig_t *s)
{
    free(s->pcm);
    memset(s, 0, sizeof *s);
}

static uint32_t s_next(md_amd_sig_t *s) /* xorshift32 */
{
    uint32_t x = s->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return s->rng = x;
}

double md_amd_sig_uniform(md_amd_sig_t *s, double lo, double hi)
{
    return lo + (hi - lo) * (s_next(s) / 4294967296.0);
}

/* Unit-variance noise sample (sum of uniforms). */
static double s_gauss(md_amd_sig_t *s)
{
    double sum = 0;
    for (int i = 0; i < 4; i++)
        sum += md_amd_sig_uniform(s, -1, 1);
    return sum * 0.8660254; /* 4 uniforms on [-1,1] have variance 4/3 */
}

static double s_amp(double db)
{
    return 32768.0 * pow(10.0, db / 20.0);
}

static void s_put(md_amd_sig_t *s, double v)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : S_RATE;
        int16_t *p = realloc(s->pcm, cap * sizeof *p);
        if (!p)
            abort(); /* test helper */
        s->pcm = p;
        s->cap = cap;
    }
    if (s->noise_db > -89)
        v += s_gauss(s) * s_amp(s->noise_db);
    v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    s->pcm[s->n++] = (int16_t)lrint(v);
}

void md_amd_sig_silence(md_amd_sig_t *s, uint32_t ms)
{
    for (uint32_t i = 0; i < ms * 8; i++)
        s_put(s, 0);
}

void md_amd_sig_noise(md_amd_sig_t *s, uint32_t ms, double level_db)
{
    double a = s_amp(level_db);
    for (uint32_t i = 0; i < ms * 8; i++)
        s_put(s, s_gauss(s) * a);
}

void md_amd_sig_tone(md_amd_sig_t *s, uint32_t ms, double freq, double level_db)
{
    double a = s_amp(level_db) * sqrt(2.0);
    for (uint32_t i = 0; i < ms * 8; i++)
        s_put(s, a * sin(2 * M_PI * freq * i / S_RATE));
}

void md_amd_sig_syllable(md_amd_sig_t *s, uint32_t ms, double level_db)
{
    double f0 = md_amd_sig_uniform(s, 95, 230), formant = md_amd_sig_uniform(s, 400, 1100);
    double glide = md_amd_sig_uniform(s, -0.25, 0.25); /* pitch moves within a syllable */
    uint32_t n = ms * 8;
    double w[16], norm = 0;
    int harmonics = 0;
    for (int h = 1; h <= 16 && h * f0 < 3400; h++, harmonics++) {
        double d = (h * f0 - formant) / 600.0;
        w[h - 1] = exp(-d * d) + 0.15 / h;
        norm += w[h - 1] * w[h - 1] / 2;
    }
    double a = s_amp(level_db) / sqrt(norm), phase = 0;
    for (uint32_t i = 0; i < n; i++) {
        double t = (double)i / n;
        double env = pow(sin(M_PI * t), 0.6);
        phase += 2 * M_PI * f0 * (1 + glide * t) / S_RATE;
        double v = 0;
        for (int h = 1; h <= harmonics; h++)
            v += w[h - 1] * sin(h * phase);
        s_put(s, a * env * v);
    }
}

uint32_t md_amd_sig_speech(md_amd_sig_t *s, uint32_t ms, double level_db, uint32_t pause_min,
                           uint32_t pause_max)
{
    uint32_t done = 0;
    int until_pause = 2 + (int)(s_next(s) % 3);
    while (done < ms) {
        uint32_t syl = (uint32_t)md_amd_sig_uniform(s, 120, 260);
        md_amd_sig_syllable(s, syl, level_db + md_amd_sig_uniform(s, -6, 0));
        done += syl;
        if (done >= ms)
            break;
        uint32_t gap;
        if (--until_pause == 0) {
            gap = (uint32_t)md_amd_sig_uniform(s, pause_min, pause_max);
            until_pause = 2 + (int)(s_next(s) % 3);
        } else {
            gap = (uint32_t)md_amd_sig_uniform(s, 20, 90);
        }
        md_amd_sig_silence(s, gap);
        done += gap;
    }
    return done;
}

md_amd_result_t md_amd_sig_run(const md_amd_sig_t *s, md_amd_t *amd, uint64_t start_us, bool g711)
{
    md_amd_result_t r = MD_AMD_PENDING;
    uint64_t t = start_us;
    uint8_t pkt[12 + 160] = {0x80, 0};
    for (size_t off = 0; off + 160 <= s->n && r == MD_AMD_PENDING; off += 160) {
        t += 20000;
        if (g711) {
            for (int i = 0; i < 160; i++)
                pkt[12 + i] = md_ulaw_encode(s->pcm[off + (size_t)i]);
            r = md_amd_packet(amd, pkt, sizeof pkt, t);
        } else {
            r = md_amd_pcm(amd, s->pcm + off, 160, t);
        }
    }
    for (int i = 0; i < 3000 && r == MD_AMD_PENDING; i++) {
        t += 20000;
        r = md_amd_tick(amd, t);
    }
    return r;
}
