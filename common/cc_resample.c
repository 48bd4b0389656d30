/* cc_resample.c - speexdsp to 8 kHz (see cc_resample.h). */
#include "cc_resample.h"

#include <speex/speex_resampler.h>
#include <stdio.h>
#include <stdlib.h>

#define S_QUALITY 8 /* 0-10; done once per file, so take a good one */

int16_t *cc_resample_to_8k(const int16_t *pcm, size_t n, uint32_t rate, size_t *out_n, char *err,
                           size_t errlen)
{
    int rc = 0;
    SpeexResamplerState *st = speex_resampler_init(1, rate, 8000, S_QUALITY, &rc);
    if (!st) {
        snprintf(err, errlen, "resampler: %s", speex_resampler_strerror(rc));
        return NULL;
    }
    speex_resampler_skip_zeros(st); /* drop the filter's leading delay */
    size_t want = (size_t)(((uint64_t)n * 8000 + rate - 1) / rate);
    size_t latency = (size_t)speex_resampler_get_input_latency(st);
    int16_t *out = calloc(want + 1, sizeof *out);
    int16_t *tail = calloc(latency + 1, sizeof *tail); /* zeros that flush the filter */
    size_t done = 0;
    if (!out || !tail) {
        snprintf(err, errlen, "out of memory");
        speex_resampler_destroy(st);
        free(out);
        free(tail);
        return NULL;
    }
    /* in chunks, since the resampler takes 32-bit lengths */
    const int16_t *src = pcm;
    size_t left = n;
    for (int pass = 0; pass < 2; pass++) {
        while (left > 0 && done < want) {
            spx_uint32_t in_len = left > 1u << 20 ? 1u << 20 : (spx_uint32_t)left;
            spx_uint32_t out_len = (spx_uint32_t)(want - done);
            speex_resampler_process_int(st, 0, src, &in_len, out + done, &out_len);
            if (in_len == 0 && out_len == 0)
                break;
            src += in_len;
            left -= in_len;
            done += out_len;
        }
        src = tail; /* second pass: push the filter's tail out */
        left = latency;
    }
    speex_resampler_destroy(st);
    free(tail);
    *out_n = done;
    return out;
}
