/* md_prompt.h - prompts held in memory: a WAV file (PCM 16-bit, mono or stereo, any rate
 * from 4 to 192 kHz) decoded once, resampled to 8 kHz with speexdsp when it is not 8 kHz,
 * and encoded once as PCMU and as PCMA in whole 20 ms frames, so that playing it is a copy
 * of 160 bytes per packet. A prompt is refcounted: every call playing it holds a
 * reference, and the store (md_prompt_store_*) holds one while the file is unchanged.
 *
 * Names: "<dir>/<language>/<name>.wav", falling back to the language-neutral
 * "<dir>/<name>.wav" (e.g. music/default); a name starting with '/' is an absolute path
 * (".wav" is appended when it has no extension). Names may hold '/' (digits/4) but no ".."
 * segment. The store is keyed by the file's device, inode, size and mtime, so symlinked
 * aliases share one copy and an edited file is loaded afresh (players of the old copy keep
 * it until they finish). Loading reads the file on the caller's thread (once per file). */
#ifndef MD_PROMPT_H
#define MD_PROMPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MD_FRAME_SAMPLES 160 /* 20 ms at 8 kHz */
#define MD_PROMPT_NAME_MAX 256
#define MD_LANGUAGE_MAX 16

typedef struct {
    int refs;
    char *path;        /* the file it came from (for logs and errors) */
    uint32_t src_rate; /* the file's sample rate */
    size_t samples;    /* at 8 kHz, before padding the last frame */
    size_t frames;     /* 20 ms frames */
    uint8_t *pcmu;     /* frames * 160 bytes */
    uint8_t *pcma;
} md_prompt_t;

/* Where a WAV file's samples are, as md_wav_parse found them (pointers into the buffer). */
typedef struct {
    uint32_t rate;
    int channels;
    const uint8_t *data; /* little-endian 16-bit samples, interleaved */
    size_t frames;       /* sample frames (one sample per channel each) */
} md_wav_t;

/* Parse a RIFF/WAVE file held in buf. 0, or -1 with the reason in err. */
int md_wav_parse(const uint8_t *buf, size_t len, md_wav_t *out, char *err, size_t errlen);

/* A prompt from linear mono samples at `rate` (resampled to 8 kHz when needed), with one
 * reference held by the caller; path is copied (may be NULL). NULL with err set on failure. */
md_prompt_t *md_prompt_from_pcm(const int16_t *pcm, size_t n, uint32_t rate, const char *path,
                                char *err, size_t errlen);
/* The same from a whole WAV file's bytes. */
md_prompt_t *md_prompt_from_wav(const uint8_t *buf, size_t len, const char *path, char *err,
                                size_t errlen);

md_prompt_t *md_prompt_ref(md_prompt_t *self);
/* Drop one reference (frees on the last) and set *self_p to NULL. */
void md_prompt_unref(md_prompt_t **self_p);

/* Frame i (0 <= i < frames) encoded for payload type pt (8: PCMA, anything else PCMU). */
static inline const uint8_t *md_prompt_frame(const md_prompt_t *self, int pt, size_t i)
{
    return (pt == 8 ? self->pcma : self->pcmu) + i * MD_FRAME_SAMPLES;
}

/* Check a prompt name and a language (see the header comment). 0 or -1 with err set. */
int md_prompt_check_name(const char *name, const char *language, char *err, size_t errlen);

/* The candidate paths of a name, most specific first: returns how many (1 or 2) were
 * written into paths[0..1] (each `len` bytes), or -1 if the name or language is invalid
 * (err set) or a path would not fit. */
int md_prompt_paths(const char *dir, const char *language, const char *name, char paths[2][4096],
                    char *err, size_t errlen);

/* ---- the store ------------------------------------------------------------------- */

typedef struct md_prompt_store md_prompt_store_t;

md_prompt_store_t *md_prompt_store_new(const char *dir);
void md_prompt_store_destroy(md_prompt_store_t **self_p);
const char *md_prompt_store_dir(const md_prompt_store_t *self);

/* The prompt `name` in `language`, loaded on first use: 0 with *out holding a new
 * reference; -ENOENT when no candidate file exists (err names the file looked for first),
 * -EINVAL for a bad name, -EIO when the file cannot be read or is not a usable WAV (err
 * names the file and the reason). */
int md_prompt_store_get(md_prompt_store_t *self, const char *language, const char *name,
                        md_prompt_t **out, char *err, size_t errlen);

/* The file a name resolves to (without loading it): 0 with path filled, or as above. */
int md_prompt_store_find(md_prompt_store_t *self, const char *language, const char *name,
                         char *path, size_t len, char *err, size_t errlen);

int md_prompt_store_count(const md_prompt_store_t *self);
size_t md_prompt_store_bytes(const md_prompt_store_t *self); /* audio held, both codecs */

#endif
