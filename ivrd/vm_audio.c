/* vm_audio.c - a message's caller channel as a mono WAV (see vm_audio.h). */
#include "vm_audio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void s_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}

static void s_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

int vm_wav_left(const uint8_t *wav, size_t len, uint8_t **out, size_t *out_len)
{
    if (!rec_wav_is_ours(wav, len) || len < REC_WAV_HDR)
        return -1;
    size_t frames = (len - REC_WAV_HDR) / 4;
    if (frames > (UINT32_MAX - VM_WAV_HDR) / 2)
        return -1;
    uint8_t *o = malloc(VM_WAV_HDR + frames * 2);
    if (!o)
        return -1;
    uint32_t data = (uint32_t)(frames * 2);
    memcpy(o, "RIFF", 4);
    s_le32(o + 4, 36 + data);
    memcpy(o + 8, "WAVEfmt ", 8);
    s_le32(o + 16, 16);
    s_le16(o + 20, 1); /* PCM */
    s_le16(o + 22, 1); /* mono */
    s_le32(o + 24, REC_RATE);
    s_le32(o + 28, REC_RATE * 2);
    s_le16(o + 32, 2);
    s_le16(o + 34, 16);
    memcpy(o + 36, "data", 4);
    s_le32(o + 40, data);
    const uint8_t *in = wav + REC_WAV_HDR;
    for (size_t i = 0; i < frames; i++) {
        o[VM_WAV_HDR + 2 * i] = in[4 * i];
        o[VM_WAV_HDR + 2 * i + 1] = in[4 * i + 1];
    }
    *out = o;
    *out_len = VM_WAV_HDR + frames * 2;
    return 0;
}

static int s_read(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 16, n = 0;
    uint8_t *b = malloc(cap);
    while (b) {
        if (n == cap) {
            uint8_t *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb, cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (!b || bad) {
        free(b);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

int vm_audio_extract(const char *path, const uint8_t *master, const char *out_path, char *err,
                     size_t errlen)
{
    uint8_t *file = NULL, *plain = NULL, *mono = NULL;
    size_t len = 0, plen = 0, mlen = 0;
    int rc = -1;
    if (s_read(path, &file, &len) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    const uint8_t *wav = file;
    size_t wlen = len;
    if (!rec_wav_is_ours(file, len)) {
        bool whole = false;
        if (!master) {
            snprintf(err, errlen, "%s is not a plain WAV and no master key is loaded", path);
            goto done;
        }
        if (rec_decrypt(master, file, len, &plain, &plen, &whole, err, errlen) != 0)
            goto done;
        wav = plain, wlen = plen;
    }
    if (vm_wav_left(wav, wlen, &mono, &mlen) != 0) {
        snprintf(err, errlen, "%s is not a recording's WAV", path);
        goto done;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.part", out_path);
    FILE *f = fopen(tmp, "wb");
    bool written = f && fwrite(mono, 1, mlen, f) == mlen;
    if (f && fclose(f) != 0)
        written = false;
    if (!written || rename(tmp, out_path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", out_path, strerror(errno));
        unlink(tmp);
        goto done;
    }
    rc = 0;
done:
    free(file);
    free(plain);
    free(mono);
    return rc;
}

int vm_audio_master_key(const char *key_file, const char *var_dir, uint8_t key[REC_KEY_LEN])
{
    char path[4200], text[256];
    if (key_file && *key_file)
        snprintf(path, sizeof path, "%s", key_file);
    else
        snprintf(path, sizeof path, "%s/secrets/recording-master.key", var_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    int rc = rec_key_parse_hex(text, key);
    memset(text, 0, sizeof text);
    return rc < 0 ? -1 : 0;
}
