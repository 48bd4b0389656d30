/* ccctl_wav.c - any PCM/float WAV to an 8 kHz mono 16-bit prompt (see ccctl_wav.h):
 * parse the chunks, mix the channels down to one, resample with common/cc_resample.c
 * (speexdsp, as mediad), write a plain 44-byte-header WAV. */
#include "ccctl_wav.h"

#include "cc_bytes.h"
#include "cc_resample.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_RATE 8000
#define S_MAX_FRAMES (60u * 60u * 192000u) /* an hour at the highest rate */

typedef struct {
    unsigned format; /* 1 PCM, 3 IEEE float */
    unsigned channels, bits;
    uint32_t rate;
    const uint8_t *data;
    size_t frames;
} s_wav_t;

static uint32_t s_le32(const uint8_t *p)
{
    return (uint32_t)cc_le_get(p, 4);
}

static unsigned s_le16(const uint8_t *p)
{
    return (unsigned)cc_le_get(p, 2);
}

static int s_fmt(const uint8_t *p, uint32_t size, s_wav_t *w, char *err, size_t errlen)
{
    if (size < 16) {
        snprintf(err, errlen, "fmt chunk too short");
        return -1;
    }
    w->format = s_le16(p);
    if (w->format == 0xFFFE && size >= 26)
        w->format = s_le16(p + 24); /* WAVE_FORMAT_EXTENSIBLE: the sub-format */
    w->channels = s_le16(p + 2);
    w->rate = s_le32(p + 4);
    w->bits = s_le16(p + 14);
    bool pcm = w->format == 1 && (w->bits == 8 || w->bits == 16 || w->bits == 24 || w->bits == 32);
    bool flt = w->format == 3 && (w->bits == 32 || w->bits == 64);
    if (!pcm && !flt) {
        snprintf(err, errlen, "format %u with %u bits is not PCM or float audio", w->format,
                 w->bits);
        return -1;
    }
    if (w->channels < 1 || w->channels > 8) {
        snprintf(err, errlen, "%u channels (1-8 supported)", w->channels);
        return -1;
    }
    if (w->rate < 4000 || w->rate > 192000) {
        snprintf(err, errlen, "sample rate %u outside 4000-192000", (unsigned)w->rate);
        return -1;
    }
    return 0;
}

static int s_parse(const uint8_t *buf, size_t len, s_wav_t *w, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    if (len < 12 || memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WAVE", 4) != 0) {
        snprintf(err, errlen, "not a RIFF/WAVE file");
        return -1;
    }
    bool have_fmt = false;
    for (size_t pos = 12; pos + 8 <= len;) {
        const uint8_t *chunk = buf + pos;
        uint32_t size = s_le32(chunk + 4);
        size_t avail = len - pos - 8;
        if (memcmp(chunk, "fmt ", 4) == 0) {
            if (size > avail) {
                snprintf(err, errlen, "truncated fmt chunk");
                return -1;
            }
            if (s_fmt(chunk + 8, size, w, err, errlen) != 0)
                return -1;
            have_fmt = true;
        } else if (memcmp(chunk, "data", 4) == 0) {
            if (!have_fmt)
                break;
            size_t bytes = (size == 0 || size > avail) ? avail : size; /* streamed files */
            w->data = chunk + 8;
            w->frames = bytes / (w->bits / 8u * w->channels);
            if (w->frames == 0 || w->frames > S_MAX_FRAMES) {
                snprintf(err, errlen, w->frames ? "longer than an hour" : "no audio in it");
                return -1;
            }
            return 0;
        }
        size_t next = pos + 8 + (size_t)size + (size & 1);
        if (next <= pos)
            break;
        pos = next;
    }
    snprintf(err, errlen, have_fmt ? "no data chunk after the fmt chunk" : "no fmt chunk");
    return -1;
}

/* One sample as -1..1. */
static double s_sample(const s_wav_t *w, const uint8_t *p)
{
    if (w->format == 3) {
        if (w->bits == 32) {
            float f;
            memcpy(&f, p, sizeof f);
            return isfinite(f) ? f : 0.0;
        }
        double d;
        memcpy(&d, p, sizeof d);
        return isfinite(d) ? d : 0.0;
    }
    switch (w->bits) {
    case 8:
        return (p[0] - 128) / 128.0;
    case 16:
        return (int16_t)s_le16(p) / 32768.0;
    case 24: {
        int32_t v = (int32_t)((uint32_t)p[0] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 24);
        return v / 2147483648.0;
    }
    default:
        return (int32_t)s_le32(p) / 2147483648.0;
    }
}

/* The channels mixed to one 16-bit channel. */
static int16_t *s_mono(const s_wav_t *w)
{
    int16_t *out = malloc(w->frames * sizeof *out);
    size_t width = w->bits / 8u;
    for (size_t i = 0; out && i < w->frames; i++) {
        double sum = 0;
        for (unsigned ch = 0; ch < w->channels; ch++)
            sum += s_sample(w, w->data + (i * w->channels + ch) * width);
        double v = sum / w->channels * 32767.0;
        out[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : lrint(v));
    }
    return out;
}

/* At 8 kHz already: a copy; else cc_resample (the resampler mediad uses). */
static int16_t *s_to_8k(const int16_t *in, size_t n, uint32_t rate, size_t *out_n, char *err,
                        size_t errlen)
{
    if (rate != S_RATE)
        return cc_resample_to_8k(in, n, rate, out_n, err, errlen);
    int16_t *copy = malloc(n * sizeof *copy);
    if (copy)
        memcpy(copy, in, n * sizeof *copy);
    *out_n = n;
    return copy;
}

int ccctl_wav_to_prompt(const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen,
                        double *seconds, char *err, size_t errlen)
{
    s_wav_t w;
    if (s_parse(in, inlen, &w, err, errlen) != 0)
        return -1;
    size_t n = 0;
    int16_t *mono = s_mono(&w);
    snprintf(err, errlen, "out of memory");
    int16_t *pcm = mono ? s_to_8k(mono, w.frames, w.rate, &n, err, errlen) : NULL;
    free(mono);
    uint8_t *file = pcm ? malloc(44 + n * 2) : NULL;
    if (!file) {
        free(pcm);
        return -1;
    }
    memcpy(file, "RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\0\0\0\0\0\0\0\0\x02\0\x10\0data", 40);
    cc_le_put(file + 4, 36 + n * 2, 4);
    cc_le_put(file + 24, S_RATE, 4);
    cc_le_put(file + 28, S_RATE * 2, 4);
    cc_le_put(file + 40, n * 2, 4);
    for (size_t i = 0; i < n; i++) {
        file[44 + 2 * i] = (uint8_t)(pcm[i] & 0xff);
        file[45 + 2 * i] = (uint8_t)((uint16_t)pcm[i] >> 8);
    }
    free(pcm);
    *out = file;
    *outlen = 44 + n * 2;
    *seconds = (double)n / S_RATE;
    return 0;
}
