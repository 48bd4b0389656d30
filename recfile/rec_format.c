/* rec_format.c - WAV headers, and reading an encrypted recording as a whole: up to a
 * crash (crash recovery) or to the end (export). Sealing and opening each chunk is
 * rec_crypto.c's; this file calls no cipher itself. */
#include "rec_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_bytes.h"

void rec_wav_header(uint8_t h[REC_WAV_HDR], uint32_t data_bytes)
{
    memcpy(h, "RIFF", 4);
    cc_le_put(h + 4, data_bytes + 36, 4);
    memcpy(h + 8, "WAVEfmt ", 8);
    cc_le_put(h + 16, 16, 4);
    cc_le_put(h + 20, 1, 2); /* PCM */
    cc_le_put(h + 22, REC_CHANNELS, 2);
    cc_le_put(h + 24, REC_RATE, 4);
    cc_le_put(h + 28, REC_RATE * REC_CHANNELS * 2, 4);
    cc_le_put(h + 32, REC_CHANNELS * 2, 2);
    cc_le_put(h + 34, 16, 2);
    memcpy(h + 36, "data", 4);
    cc_le_put(h + 40, data_bytes, 4);
}

bool rec_wav_is_ours(const uint8_t *b, size_t len)
{
    return len >= REC_WAV_HDR && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WAVEfmt ", 8) &&
           !memcmp(b + 36, "data", 4);
}

size_t rec_enc_valid_prefix(const uint8_t master[REC_KEY_LEN], const uint8_t *file, size_t len,
                            uint64_t *chunks, bool *final, uint64_t *plain_bytes)
{
    uint8_t key[REC_KEY_LEN];
    *chunks = 0;
    *final = false;
    *plain_bytes = 0;
    if (rec_enc_header_open(master, file, len, key) != 0)
        return 0;
    uint8_t *pt = malloc(REC_CHUNK_MAX);
    size_t off = REC_ENC_HDR;
    while (pt && !*final) {
        size_t n, used;
        bool fin;
        if (rec_enc_chunk_open(key, file, *chunks, file + off, len - off, pt, &n, &used, &fin))
            break;
        off += used;
        *plain_bytes += n;
        ++*chunks;
        *final = fin;
    }
    free(pt);
    return off;
}

int rec_decrypt(const uint8_t master[REC_KEY_LEN], const uint8_t *file, size_t len, uint8_t **out,
                size_t *out_len, bool *complete, char *err, size_t errlen)
{
    uint8_t key[REC_KEY_LEN];
    int rc = rec_enc_header_open(master, file, len, key);
    *out = NULL;
    *complete = false;
    if (rc != 0) {
        snprintf(err, errlen, "%s",
                 rc == -1   ? "not an encrypted recording (no CCREC1 header)"
                 : rc == -2 ? "encrypted under another master key"
                            : "header altered: the data key does not unwrap");
        return -1;
    }
    size_t cap = len, used_out = 0, off = REC_ENC_HDR;
    uint8_t *buf = malloc(cap + REC_WAV_HDR);
    uint8_t *pt = malloc(REC_CHUNK_MAX);
    uint64_t index = 0;
    rc = buf && pt ? 0 : -1;
    if (rc)
        snprintf(err, errlen, "out of memory");
    while (rc == 0 && off < len && !*complete) {
        size_t n, used;
        int r =
            rec_enc_chunk_open(key, file, index, file + off, len - off, pt, &n, &used, complete);
        if (r == 1)
            break; /* cut short: a crash while writing it */
        if (r < 0) {
            snprintf(err, errlen,
                     "chunk %llu (at byte %zu) fails authentication: the file was "
                     "altered",
                     (unsigned long long)index, off);
            rc = -1;
            break;
        }
        memcpy(buf + used_out, pt, n);
        used_out += n;
        off += used;
        index++;
    }
    if (rc == 0 && *complete && off != len) {
        snprintf(err, errlen, "%zu bytes after the final chunk: the file was altered", len - off);
        rc = -1;
    }
    if (rc == 0 && !rec_wav_is_ours(buf, used_out)) {
        snprintf(err, errlen, "no audio inside (%llu chunks)", (unsigned long long)index);
        rc = -1;
    }
    free(pt);
    if (rc != 0) {
        free(buf);
        return -1;
    }
    size_t data = (used_out - REC_WAV_HDR) & ~(size_t)3;
    rec_wav_header(buf, (uint32_t)data);
    *out = buf;
    *out_len = REC_WAV_HDR + data;
    return 0;
}
