/* md_prompt_test.c - unit tests of prompt preparation: G.711 round trips, WAV parsing
 * (PCM, extensible, stereo, odd chunks, refusals), resampling to 8 kHz (length and the
 * tone kept), frame padding, refcounting, and prompt names and paths. */
#include <math.h>
#include <stdlib.h>

#include "cc_test.h"
#include "md_g711.h"
#include "md_prompt.h"

CC_TEST(g711_round_trips)
{
    md_g711_init();
    /* every code decodes to a value that encodes back to the same code (except u-law's
     * negative zero 0x7F, which encodes as 0xFF, and A-law's smallest negative step) */
    for (int c = 0; c < 256; c++) {
        if (c != 0x7f)
            CC_CHECK_INT(md_ulaw_encode(md_ulaw_table[c]), c);
        CC_CHECK_INT(md_alaw_encode(md_alaw_table[c]), c);
    }
    CC_CHECK_INT(md_ulaw_encode(0), MD_ULAW_SILENCE);
    CC_CHECK_INT(md_alaw_encode(0), MD_ALAW_SILENCE);
    /* quantisation error stays within half a step of its segment (1/32 of the value) */
    for (int v = -32768; v < 32768; v += 7) {
        int u = md_ulaw_table[md_ulaw_encode((int16_t)v)];
        int a = md_alaw_table[md_alaw_encode((int16_t)v)];
        int tol = abs(v) / 32 + 40;
        if (abs(v) > 32635)
            tol = 1100; /* u-law clips at 32635 */
        CC_CHECK(abs(u - v) <= tol);
        CC_CHECK(abs(a - v) <= tol);
    }
    CC_CHECK_INT(md_ulaw_table[0x00], -32124);
    CC_CHECK_INT(md_ulaw_table[0x80], 32124);
    CC_CHECK_INT(md_alaw_table[0xd5], 8);
    CC_CHECK_INT(md_alaw_table[0xaa], 32256);
}

/* A WAV file in memory: header, optional extra chunk, data. */
static size_t s_wav(uint8_t *buf, int format, int channels, uint32_t rate, int bits,
                    const int16_t *pcm, size_t frames, bool junk)
{
    size_t pos = 0;
#define PUT(s, n) (memcpy(buf + pos, s, n), pos += n)
#define U16(v) (buf[pos] = (uint8_t)(v), buf[pos + 1] = (uint8_t)((v) >> 8), pos += 2)
#define U32(v) (U16((v)&0xffff), U16((uint32_t)(v) >> 16))
    size_t data = frames * (size_t)channels * 2;
    PUT("RIFF", 4);
    U32(0); /* readers do not need it */
    PUT("WAVE", 4);
    if (junk) { /* an odd-sized chunk before fmt, padded */
        PUT("LIST", 4);
        U32(3);
        PUT("abc\0", 4);
    }
    PUT("fmt ", 4);
    U32(format == 0xFFFE ? 40 : 16);
    U16(format);
    U16(channels);
    U32(rate);
    U32(rate * (uint32_t)channels * 2);
    U16(channels * 2);
    U16(bits);
    if (format == 0xFFFE) {
        U16(22);
        U16(bits);
        U32(channels == 1 ? 4 : 3);
        U16(1); /* KSDATAFORMAT_SUBTYPE_PCM starts 01 00 */
        PUT("\0\0\0\0\x10\0\x80\0\0\xaa\0\x38\x9b\x71", 14);
    }
    PUT("data", 4);
    U32((uint32_t)data);
    for (size_t i = 0; i < frames * (size_t)channels; i++)
        U16((uint16_t)pcm[i]);
    return pos;
#undef PUT
#undef U16
#undef U32
}

CC_TEST(wav_parse_forms)
{
    static uint8_t buf[4096];
    int16_t pcm[8] = {1, -2, 300, -400, 5000, -6000, 32767, -32768};
    md_wav_t w;
    char err[200];
    size_t len = s_wav(buf, 1, 1, 8000, 16, pcm, 8, false);
    CC_CHECK_INT(md_wav_parse(buf, len, &w, err, sizeof err), 0);
    CC_CHECK_INT(w.rate, 8000);
    CC_CHECK_INT(w.channels, 1);
    CC_CHECK_INT(w.frames, 8);
    CC_CHECK_INT((int16_t)(w.data[14] | w.data[15] << 8), -32768);
    len = s_wav(buf, 0xFFFE, 2, 22050, 16, pcm, 4, true);
    CC_CHECK_INT(md_wav_parse(buf, len, &w, err, sizeof err), 0);
    CC_CHECK_INT(w.rate, 22050);
    CC_CHECK_INT(w.channels, 2);
    CC_CHECK_INT(w.frames, 4);
    /* stereo is mixed down */
    md_prompt_t *p = md_prompt_from_wav(buf, len, "x.wav", err, sizeof err);
    CC_CHECK(p);
    md_prompt_unref(&p);
    /* refusals, each with a reason */
    len = s_wav(buf, 1, 1, 8000, 8, pcm, 8, false);
    CC_CHECK_INT(md_wav_parse(buf, len, &w, err, sizeof err), -1);
    CC_CHECK(strstr(err, "16-bit"));
    len = s_wav(buf, 3, 1, 8000, 16, pcm, 8, false); /* float */
    CC_CHECK_INT(md_wav_parse(buf, len, &w, err, sizeof err), -1);
    len = s_wav(buf, 1, 6, 8000, 16, pcm, 1, false);
    CC_CHECK_INT(md_wav_parse(buf, len, &w, err, sizeof err), -1);
    CC_CHECK(strstr(err, "channels"));
    len = s_wav(buf, 1, 1, 1000, 16, pcm, 8, false);
    CC_CHECK_INT(md_wav_parse(buf, len, &w, err, sizeof err), -1);
    CC_CHECK_INT(md_wav_parse((const uint8_t *)"RIFF\0\0\0\0WAVE", 12, &w, err, sizeof err), -1);
    CC_CHECK_STR(err, "no fmt chunk");
    CC_CHECK_INT(md_wav_parse((const uint8_t *)"hello world, not a wav", 22, &w, err, sizeof err),
                 -1);
    CC_CHECK(md_prompt_from_wav((const uint8_t *)"nope", 4, "y.wav", err, sizeof err) == NULL);
    /* a truncated data chunk (a file still being written) yields what is there */
    len = s_wav(buf, 1, 1, 8000, 16, pcm, 8, false);
    CC_CHECK_INT(md_wav_parse(buf, len - 5, &w, err, sizeof err), 0);
    CC_CHECK_INT(w.frames, 5);
}

/* Relative power of freq in x[0..n) (Goertzel / energy, ~1 for a pure tone). */
static double s_tone_share(const int16_t *x, size_t n, double freq, double rate)
{
    double k = 2 * cos(2 * M_PI * freq / rate), s1 = 0, s2 = 0, e = 0;
    for (size_t i = 0; i < n; i++) {
        double s0 = x[i] + k * s1 - s2;
        s2 = s1;
        s1 = s0;
        e += (double)x[i] * x[i];
    }
    return (s1 * s1 + s2 * s2 - k * s1 * s2) / (e * n / 2);
}

CC_TEST(prompt_resample_and_encode)
{
    md_g711_init();
    char err[200];
    /* 1 s of 1 kHz at 16 kHz and at 44.1 kHz -> 8000 samples of 1 kHz at 8 kHz */
    static const uint32_t rates[] = {16000, 44100, 22050, 11025};
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        uint32_t rate = rates[r];
        int16_t *pcm = malloc(rate * sizeof *pcm);
        for (uint32_t i = 0; i < rate; i++)
            pcm[i] = (int16_t)lrint(12000 * sin(2 * M_PI * 1000 * i / rate));
        md_prompt_t *p = md_prompt_from_pcm(pcm, rate, rate, "tone", err, sizeof err);
        free(pcm);
        CC_CHECK(p);
        CC_CHECK_INT(p->src_rate, rate);
        CC_CHECK_INT(p->samples, 8000);
        CC_CHECK_INT(p->frames, 50);
        /* decode the middle and look for the tone (skipping the filter's edges) */
        int16_t out[4000];
        for (int i = 0; i < 4000; i++)
            out[i] = md_ulaw_table[p->pcmu[2000 + i]];
        CC_CHECK(s_tone_share(out, 4000, 1000, 8000) > 0.95);
        double peak = 0;
        for (int i = 0; i < 4000; i++)
            peak = fmax(peak, fabs((double)md_alaw_table[p->pcma[2000 + i]]));
        CC_CHECK_NEAR(peak, 12000, 800); /* the level survives */
        md_prompt_unref(&p);
        CC_CHECK(p == NULL);
    }
    /* a 4 kHz tone at 16 kHz is above 8 kHz's Nyquist: filtered out, not aliased */
    int16_t hi[16000];
    for (int i = 0; i < 16000; i++)
        hi[i] = (int16_t)lrint(12000 * sin(2 * M_PI * 5000 * i / 16000.0));
    md_prompt_t *p = md_prompt_from_pcm(hi, 16000, 16000, NULL, err, sizeof err);
    CC_CHECK(p);
    double e = 0;
    for (int i = 1000; i < 7000; i++)
        e += fabs((double)md_ulaw_table[p->pcmu[i]]);
    CC_CHECK(e / 6000 < 200);
    md_prompt_unref(&p);
}

CC_TEST(prompt_frames_padding_and_refs)
{
    md_g711_init();
    char err[200];
    int16_t pcm[170];
    for (int i = 0; i < 170; i++)
        pcm[i] = (int16_t)(i * 100);
    md_prompt_t *p = md_prompt_from_pcm(pcm, 170, 8000, "a/b.wav", err, sizeof err);
    CC_CHECK(p);
    CC_CHECK_INT(p->samples, 170); /* 8 kHz: used as is */
    CC_CHECK_INT(p->frames, 2);
    CC_CHECK_STR(p->path, "a/b.wav");
    for (int i = 0; i < 170; i++) {
        CC_CHECK_INT(md_prompt_frame(p, 0, 0)[i], md_ulaw_encode(pcm[i]));
        CC_CHECK_INT(md_prompt_frame(p, 8, 0)[i], md_alaw_encode(pcm[i]));
    }
    for (int i = 170; i < 320; i++) { /* the tail of the last frame is silence */
        CC_CHECK_INT(p->pcmu[i], MD_ULAW_SILENCE);
        CC_CHECK_INT(p->pcma[i], MD_ALAW_SILENCE);
    }
    md_prompt_t *q = md_prompt_ref(p);
    CC_CHECK(q == p && p->refs == 2);
    md_prompt_unref(&q);
    CC_CHECK(q == NULL && p->refs == 1);
    md_prompt_unref(&p);
    md_prompt_unref(&p); /* NULL: no-op */
    /* an empty prompt is valid (no frames) */
    p = md_prompt_from_pcm(pcm, 0, 8000, "empty", err, sizeof err);
    CC_CHECK(p && p->frames == 0);
    md_prompt_unref(&p);
}

CC_TEST(prompt_names_and_paths)
{
    char paths[2][4096];
    char err[200];
    CC_CHECK_INT(md_prompt_paths("/p", "en", "greeting", paths, err, sizeof err), 2);
    CC_CHECK_STR(paths[0], "/p/en/greeting.wav");
    CC_CHECK_STR(paths[1], "/p/greeting.wav");
    CC_CHECK_INT(md_prompt_paths("/p", "cmn", "digits/4", paths, err, sizeof err), 2);
    CC_CHECK_STR(paths[0], "/p/cmn/digits/4.wav");
    CC_CHECK_INT(md_prompt_paths("/p", "en", "music/default.wav", paths, err, sizeof err), 2);
    CC_CHECK_STR(paths[1], "/p/music/default.wav");
    CC_CHECK_INT(md_prompt_paths("/p", "en", "/srv/a.b/custom", paths, err, sizeof err), 1);
    CC_CHECK_STR(paths[0], "/srv/a.b/custom.wav");
    CC_CHECK_INT(md_prompt_paths("/p", "en", "v1.2/x", paths, err, sizeof err), 2);
    CC_CHECK_STR(paths[0], "/p/en/v1.2/x.wav");
    CC_CHECK_INT(md_prompt_paths("/p", "en", "..hidden", paths, err, sizeof err), 2);
    /* refused */
    CC_CHECK_INT(md_prompt_paths("/p", "en", "../etc/passwd", paths, err, sizeof err), -1);
    CC_CHECK(strstr(err, ".."));
    CC_CHECK_INT(md_prompt_paths("/p", "en", "a/../../b", paths, err, sizeof err), -1);
    CC_CHECK_INT(md_prompt_paths("/p", "en", "a/..", paths, err, sizeof err), -1);
    CC_CHECK_INT(md_prompt_paths("/p", "en", "", paths, err, sizeof err), -1);
    CC_CHECK_INT(md_prompt_paths("/p", "en", "a\nb", paths, err, sizeof err), -1);
    CC_CHECK_INT(md_prompt_paths("/p", "../x", "a", paths, err, sizeof err), -1);
    CC_CHECK_INT(md_prompt_paths("/p", "", "a", paths, err, sizeof err), -1);
    CC_CHECK_INT(md_prompt_check_name("ok", "zh-CN", err, sizeof err), 0);
}
