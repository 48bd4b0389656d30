/* rec_file.h - one recording file being written (rec_format.h says what is inside):
 * plain WAV, whose header sizes are refreshed every second so even a crash leaves a
 * playable file, or the encrypted chunk format, one sealed chunk per second of audio.
 * Also what restart and export need: repairing a file left by a crash, hashing it. */
#ifndef REC_FILE_H
#define REC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rec_format.h"

typedef struct rec_file rec_file_t;

/* Create path (mode 0640, parent directories 0750). master: NULL for a plain WAV. NULL on
 * failure (errno set). */
rec_file_t *rec_file_new(const char *path, const uint8_t *master);
/* Append stereo frames (interleaved int16). 0 or -1 (write failed: logged by the caller). */
int rec_file_write(rec_file_t *self, const int16_t *stereo, size_t frames);
/* Finish (final chunk / header sizes), close, and report size and SHA-256 of the file on
 * disk. Frees self. 0 or -1. */
int rec_file_close(rec_file_t **self_p, uint64_t *size, char sha256[65]);
uint64_t rec_file_frames(const rec_file_t *self);

/* After a crash: make the file at path whole again (plain: header sizes from its length;
 * encrypted: cut after the last authentic chunk) and report size, hash and audio frames. */
int rec_file_repair(const char *path, const uint8_t *master, uint64_t *size, char sha256[65],
                    uint64_t *frames);

/* Read a whole file (malloc'd, caller frees). 0 or -1. */
int rec_file_slurp(const char *path, uint8_t **buf, size_t *len);

/* The master key at path; when missing and create is set, a new random one is written
 * (0600, parent 0700). 0, or -1 with a reason in err. *created tells which. */
int rec_master_key_load(const char *path, bool create, uint8_t key[REC_KEY_LEN], bool *created,
                        char *err, size_t errlen);

#endif
