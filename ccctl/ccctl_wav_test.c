/* ccctl_wav_test.c - unit tests of the prompt converter: a 44.1 kHz stereo 24-bit tone and
 * an 8 kHz 8-bit one come out as 8 kHz mono 16-bit with the tone intact; files that are no
 * PCM audio are refused with a reason. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cc_test.h"
#include "ccctl_wav.h"

static void s_put(uint8_t *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A WAV of `seconds` of a sine at freq, in the given layout. Caller frees. */
static uint8_t *s_tone(unsigned format, unsigned channels, unsigned bits, uint32_t rate,
                       double freq, double seconds, size_t *len)
{
    size_t frames = (size_t)(rate * seconds), width = bits / 8;
    size_t data = frames * channels * width;
    uint8_t *f = calloc(1, 44 + data);
    memcpy(f, "RIFF", 4);
    s_put(f + 4, (uint32_t)(36 + data), 4);
    memcpy(f + 8, "WAVEfmt ", 8);
    s_put(f + 16, 16, 4);
    s_put(f + 20, format, 2);
    s_put(f + 22, channels, 2);
    s_put(f + 24, rate, 4);
    s_put(f + 28, (uint32_t)(rate * channels * width), 4);
    s_put(f + 32, (uint32_t)(channels * width), 2);
    s_put(f + 34, bits, 2);
    memcpy(f + 36, "data", 4);
    s_put(f + 40, (uint32_t)data, 4);
    for (size_t i = 0; i < frames; i++) {
        double v = 0.5 * sin(2 * M_PI * freq * (double)i / rate);
        for (unsigned ch = 0; ch < channels; ch++) {
            uint8_t *p = f + 44 + (i * channels + ch) * width;
            if (bits == 8)
                p[0] = (uint8_t)(128 + lrint(v * 127));
            else
                s_put(p, (uint32_t)(int32_t)lrint(v * (double)(1u << (bits - 1))), (int)width);
        }
    }
    *len = 44 + data;
    return f;
}

/* Share of the power of 16-bit mono samples at freq (8 kHz). */
static double s_share(const uint8_t *wav, size_t len, double freq)
{
    size_t n = (len - 44) / 2;
    double s1 = 0, s2 = 0, total = 0, k = 2 * cos(2 * M_PI * freq / 8000);
    for (size_t i = 400; i < n - 400; i++) { /* away from the filter's edges */
        double x = (int16_t)(wav[44 + 2 * i] | wav[45 + 2 * i] << 8);
        double s0 = x + k * s1 - s2;
        s2 = s1, s1 = s0;
        total += x * x;
    }
    double power = s1 * s1 + s2 * s2 - k * s1 * s2;
    return total > 0 ? power / (total * (double)(n - 800) / 2) : 0;
}

CC_TEST(wav_converts_stereo_24bit_44k)
{
    size_t len, outlen;
    uint8_t *in = s_tone(1, 2, 24, 44100, 1000, 1.0, &len), *out = NULL;
    double seconds = 0;
    char err[128];
    CC_CHECK(ccctl_wav_to_prompt(in, len, &out, &outlen, &seconds, err, sizeof err) == 0);
    free(in);
    CC_CHECK(memcmp(out, "RIFF", 4) == 0 && memcmp(out + 8, "WAVEfmt ", 8) == 0);
    CC_CHECK_INT(out[22], 1);                                     /* mono */
    CC_CHECK_INT(out[24] | out[25] << 8, 8000);                   /* 8 kHz */
    CC_CHECK_INT(out[34], 16);                                    /* 16-bit */
    CC_CHECK(outlen >= 44 + 2 * 7900 && outlen <= 44 + 2 * 8100); /* one second */
    CC_CHECK_NEAR(seconds, 1.0, 0.02);
    CC_CHECK(s_share(out, outlen, 1000) > 0.95);
    CC_CHECK(s_share(out, outlen, 600) < 0.05);
    free(out);
}

CC_TEST(wav_converts_8bit_mono_8k)
{
    size_t len, outlen;
    double seconds;
    char err[128];
    uint8_t *in = s_tone(1, 1, 8, 8000, 440, 0.5, &len), *out = NULL;
    CC_CHECK(ccctl_wav_to_prompt(in, len, &out, &outlen, &seconds, err, sizeof err) == 0);
    free(in);
    CC_CHECK_INT(outlen, 44 + 2 * 4000);
    CC_CHECK(s_share(out, outlen, 440) > 0.95);
    free(out);
}

CC_TEST(wav_refuses_what_is_not_pcm)
{
    size_t len, outlen;
    double seconds;
    char err[128];
    uint8_t *out = NULL;
    const uint8_t text[] = "this is not a wav file at all";
    CC_CHECK(ccctl_wav_to_prompt(text, sizeof text, &out, &outlen, &seconds, err, sizeof err) != 0);
    CC_CHECK_STR(err, "not a RIFF/WAVE file");
    uint8_t *in = s_tone(6, 1, 8, 8000, 440, 0.1, &len); /* A-law */
    CC_CHECK(ccctl_wav_to_prompt(in, len, &out, &outlen, &seconds, err, sizeof err) != 0);
    CC_CHECK(strstr(err, "not PCM") != NULL);
    in[20] = 1, in[22] = 9; /* PCM, 9 channels */
    CC_CHECK(ccctl_wav_to_prompt(in, len, &out, &outlen, &seconds, err, sizeof err) != 0);
    CC_CHECK_STR(err, "9 channels (1-8 supported)");
    in[22] = 1;
    s_put(in + 24, 1000, 4); /* 1 kHz */
    CC_CHECK(ccctl_wav_to_prompt(in, len, &out, &outlen, &seconds, err, sizeof err) != 0);
    CC_CHECK(strstr(err, "sample rate") != NULL);
    s_put(in + 24, 8000, 4);
    CC_CHECK(ccctl_wav_to_prompt(in, 44, &out, &outlen, &seconds, err, sizeof err) != 0);
    CC_CHECK_STR(err, "no audio in it");
    free(in);
}
