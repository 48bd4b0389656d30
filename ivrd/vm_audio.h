/* vm_audio.h - a voicemail message's audio for playback and e-mail: the caller's channel
 * (left) of a recording, as a mono 8 kHz 16-bit WAV that mediad plays and mail clients
 * open. vm_wav_left is pure; vm_audio_extract reads the recording (decrypting it with the
 * recording master key when it is a CCREC1 file) and writes the mono file. */
#ifndef VM_AUDIO_H
#define VM_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#include "rec_format.h"

#define VM_WAV_HDR 44

/* The left channel of a recording's stereo WAV (header sizes may be unset: the data is
 * whatever follows the header) as a mono WAV in *out (malloc'd). 0, or -1 (not our WAV). */
int vm_wav_left(const uint8_t *wav, size_t len, uint8_t **out, size_t *out_len);

/* Writes the mono WAV of recording `path` to `out_path` (atomically: a temporary file,
 * then rename). master may be NULL when recordings are not encrypted. 0 or -1 with err. */
int vm_audio_extract(const char *path, const uint8_t *master, const char *out_path, char *err,
                     size_t errlen);

/* Loads the recording master key ([recorderd] master_key_file, else
 * VAR_DIR/secrets/recording-master.key). 0, or -1 when there is none (plain recordings). */
int vm_audio_master_key(const char *key_file, const char *var_dir, uint8_t key[REC_KEY_LEN]);

#endif
