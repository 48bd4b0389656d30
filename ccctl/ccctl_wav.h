/* ccctl_wav.h - `ccctl prompt upload`'s converter: any PCM WAV (8, 16, 24 or 32-bit
 * integer, or 32/64-bit float; 1-8 channels; 4-192 kHz) in, the prompt format out (8 kHz
 * mono 16-bit PCM WAV), resampled with speexdsp as mediad resamples prompts. Pure: bytes in,
 * bytes out; ccctl_prompt.c reads and writes the files. */
#ifndef CCCTL_WAV_H
#define CCCTL_WAV_H

#include <stddef.h>
#include <stdint.h>

/* Convert `in`; a malloc'd WAV file in *out (*outlen bytes), or -1 with a reason in err
 * ("not a RIFF/WAVE file", "A-law is not PCM"...). *seconds: the length. */
int ccctl_wav_to_prompt(const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen,
                        double *seconds, char *err, size_t errlen);

#endif
