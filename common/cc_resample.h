/* cc_resample.h - 16-bit mono audio to 8 kHz with speexdsp, the one resampler of the suite:
 * mediad's prompts (md_prompt.c) and ccctl's uploaded prompts (ccctl_wav.c) go through it,
 * so an uploaded file and one mediad resamples itself sound the same. Pure; links speexdsp
 * (only the programs that use it pull it in from libcommon.a). */
#ifndef CC_RESAMPLE_H
#define CC_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

/* n samples at `rate` (4000-192000) -> a malloc'd buffer at 8000 Hz (*out_n samples), the
 * filter's delay removed and its tail flushed. NULL with a reason in err. */
int16_t *cc_resample_to_8k(const int16_t *pcm, size_t n, uint32_t rate, size_t *out_n, char *err,
                           size_t errlen);

#endif
