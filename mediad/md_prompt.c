/* md_prompt.c - WAV parsing, resampling, G.711 encoding and refcounting of prompts, and
 * the checks on prompt names (see md_prompt.h). No file I/O here: md_prompt_store.c reads
 * the files. */
#include "md_prompt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_resample.h"
#include "md_g711.h"

static uint32_t s_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t s_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* The "fmt " chunk: PCM (1) or WAVE_FORMAT_EXTENSIBLE (0xFFFE) with a PCM sub-format. */
static int s_wav_fmt(const uint8_t *p, uint32_t size, md_wav_t *out, char *err, size_t errlen)
{
    if (size < 16) {
        snprintf(err, errlen, "fmt chunk too short");
        return -1;
    }
    unsigned format = s_le16(p);
    if (format == 0xFFFE && size >= 26)
        format = s_le16(p + 24); /* first two bytes of the sub-format GUID */
    unsigned channels = s_le16(p + 2), bits = s_le16(p + 14);
    uint32_t rate = s_le32(p + 4);
    if (format != 1 || bits != 16) {
        snprintf(err, errlen, "not 16-bit PCM (format %u, %u bits)", format, bits);
        return -1;
    }
    if (channels < 1 || channels > 2) {
        snprintf(err, errlen, "%u channels (mono or stereo only)", channels);
        return -1;
    }
    if (rate < 4000 || rate > 192000) {
        snprintf(err, errlen, "sample rate %u outside 4000-192000", (unsigned)rate);
        return -1;
    }
    out->rate = rate;
    out->channels = (int)channels;
    return 0;
}

int md_wav_parse(const uint8_t *buf, size_t len, md_wav_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (len < 12 || memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WAVE", 4) != 0) {
        snprintf(err, errlen, "not a RIFF/WAVE file");
        return -1;
    }
    bool have_fmt = false;
    size_t pos = 12;
    while (pos + 8 <= len) {
        const uint8_t *chunk = buf + pos;
        uint32_t size = s_le32(chunk + 4);
        size_t avail = len - pos - 8;
        if (memcmp(chunk, "fmt ", 4) == 0) {
            if (size > avail || s_wav_fmt(chunk + 8, size, out, err, errlen) < 0) {
                if (size > avail)
                    snprintf(err, errlen, "truncated fmt chunk");
                return -1;
            }
            have_fmt = true;
        } else if (memcmp(chunk, "data", 4) == 0) {
            if (!have_fmt) {
                snprintf(err, errlen, "data chunk before fmt chunk");
                return -1;
            }
            /* streamed files carry 0 or 0xFFFFFFFF here: take what is there */
            size_t bytes = (size == 0 || size > avail) ? avail : size;
            out->data = chunk + 8;
            out->frames = bytes / (2u * (size_t)out->channels);
            return 0;
        }
        pos += 8 + (size_t)size + (size & 1); /* chunks are padded to even sizes */
        if (pos < 12)                         /* wrapped */
            break;
    }
    snprintf(err, errlen, have_fmt ? "no data chunk" : "no fmt chunk");
    return -1;
}

md_prompt_t *md_prompt_ref(md_prompt_t *self)
{
    if (self)
        self->refs++;
    return self;
}

void md_prompt_unref(md_prompt_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    md_prompt_t *self = *self_p;
    *self_p = NULL;
    if (--self->refs > 0)
        return;
    free(self->path);
    free(self->pcmu);
    free(self->pcma);
    free(self);
}

/* Resample n samples at rate to 8 kHz into a new buffer; *out_n gets its length. */
md_prompt_t *md_prompt_from_pcm(const int16_t *pcm, size_t n, uint32_t rate, const char *path,
                                char *err, size_t errlen)
{
    int16_t *resampled = NULL;
    if (rate != 8000) {
        resampled = cc_resample_to_8k(pcm, n, rate, &n, err, errlen);
        if (!resampled)
            return NULL;
        pcm = resampled;
    }
    md_prompt_t *self = calloc(1, sizeof *self);
    size_t frames = (n + MD_FRAME_SAMPLES - 1) / MD_FRAME_SAMPLES;
    size_t bytes = frames * MD_FRAME_SAMPLES;
    if (self) {
        self->pcmu = malloc(bytes ? bytes : 1);
        self->pcma = malloc(bytes ? bytes : 1);
        self->path = strdup(path ? path : "");
    }
    if (!self || !self->pcmu || !self->pcma || !self->path) {
        snprintf(err, errlen, "out of memory");
        if (self)
            self->refs = 1;
        md_prompt_unref(&self);
        free(resampled);
        return NULL;
    }
    for (size_t i = 0; i < bytes; i++) {
        int16_t s = i < n ? pcm[i] : 0; /* the last frame is padded with silence */
        self->pcmu[i] = md_ulaw_encode(s);
        self->pcma[i] = md_alaw_encode(s);
    }
    self->refs = 1;
    self->src_rate = rate;
    self->samples = n;
    self->frames = frames;
    free(resampled);
    return self;
}

md_prompt_t *md_prompt_from_wav(const uint8_t *buf, size_t len, const char *path, char *err,
                                size_t errlen)
{
    md_wav_t wav;
    if (md_wav_parse(buf, len, &wav, err, errlen) < 0)
        return NULL;
    int16_t *mono = malloc((wav.frames ? wav.frames : 1) * sizeof *mono);
    if (!mono) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < wav.frames; i++) {
        const uint8_t *p = wav.data + i * 2u * (size_t)wav.channels;
        int32_t sum = (int16_t)s_le16(p);
        if (wav.channels == 2)
            sum = (sum + (int16_t)s_le16(p + 2)) / 2;
        mono[i] = (int16_t)sum;
    }
    md_prompt_t *self = md_prompt_from_pcm(mono, wav.frames, wav.rate, path, err, errlen);
    free(mono);
    return self;
}

/* ---- names ----------------------------------------------------------------------- */

int md_prompt_check_name(const char *name, const char *language, char *err, size_t errlen)
{
    if (!language || !*language || strlen(language) >= MD_LANGUAGE_MAX ||
        strspn(language, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
            strlen(language)) {
        snprintf(err, errlen, "language must be 1-%d letters, digits, '-' or '_'",
                 MD_LANGUAGE_MAX - 1);
        return -1;
    }
    if (!name || !*name || strlen(name) >= MD_PROMPT_NAME_MAX) {
        snprintf(err, errlen, "a prompt name must be 1-%d characters", MD_PROMPT_NAME_MAX - 1);
        return -1;
    }
    for (const char *p = name; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            snprintf(err, errlen, "prompt name holds a control character");
            return -1;
        }
    }
    /* no ".." segment anywhere, so a relative name stays inside the prompt directory */
    for (const char *seg = name; seg; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL) {
        if (seg[0] == '.' && seg[1] == '.' && (seg[2] == '/' || seg[2] == '\0')) {
            snprintf(err, errlen, "prompt name '%s' holds a '..' segment", name);
            return -1;
        }
    }
    return 0;
}

/* True if the last path segment of name has an extension. */
static bool s_has_extension(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash : name, '.');
    return dot && dot[1] != '\0' && dot != (slash ? slash + 1 : name);
}

int md_prompt_paths(const char *dir, const char *language, const char *name, char paths[2][4096],
                    char *err, size_t errlen)
{
    if (md_prompt_check_name(name, language, err, errlen) < 0)
        return -1;
    const char *ext = s_has_extension(name) ? "" : ".wav";
    int n;
    if (name[0] == '/') {
        n = snprintf(paths[0], 4096, "%s%s", name, ext);
        if (n < 0 || n >= 4096)
            goto too_long;
        return 1;
    }
    n = snprintf(paths[0], 4096, "%s/%s/%s%s", dir, language, name, ext);
    if (n < 0 || n >= 4096)
        goto too_long;
    n = snprintf(paths[1], 4096, "%s/%s%s", dir, name, ext);
    if (n < 0 || n >= 4096)
        goto too_long;
    return 2;
too_long:
    snprintf(err, errlen, "prompt path too long");
    return -1;
}
