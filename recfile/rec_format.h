/* rec_format.h - what a recording looks like on disk. Plain: a stereo WAV (8 kHz, 16-bit
 * linear PCM, caller left, other party right) whose header sizes are written at close (or
 * repaired from the file length after a crash). Encrypted ("CCREC1", rec_crypto.h has the
 * bytes and the cipher): a header holding the file's wrapped data key, then the same WAV
 * stream in chunks sealed one by one, so a file cut short by a crash decrypts up to its
 * last whole chunk; a missing final chunk means the file is incomplete (crash) or
 * truncated. Pure: buffers in, buffers out; reading and writing files is
 * recorderd/rec_file.c's. Includes rec_crypto.h, so this one header gives the whole format. */
#ifndef REC_FORMAT_H
#define REC_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rec_crypto.h"

#define REC_RATE 8000
#define REC_CHANNELS 2
#define REC_WAV_HDR 44

/* A WAV header for `data_bytes` of stereo 16-bit 8 kHz PCM. */
void rec_wav_header(uint8_t out[REC_WAV_HDR], uint32_t data_bytes);
/* Whether buf starts with the header rec_wav_header writes (any sizes). */
bool rec_wav_is_ours(const uint8_t *buf, size_t len);

/* Whole-file decryption, for export: the WAV (sizes fixed) in *out (malloc'd, caller
 * frees). *complete: the final chunk was there. 0, or -1 with a message in err naming the
 * failing chunk or cause. */
int rec_decrypt(const uint8_t master[REC_KEY_LEN], const uint8_t *file, size_t len, uint8_t **out,
                size_t *out_len, bool *complete, char *err, size_t errlen);

/* Length of the longest prefix of file made of the header and whole, authentic chunks
 * (what crash recovery keeps); *chunks their count, *final whether the last is final. */
size_t rec_enc_valid_prefix(const uint8_t master[REC_KEY_LEN], const uint8_t *file, size_t len,
                            uint64_t *chunks, bool *final, uint64_t *plain_bytes);

#endif
