/* rec_file.c - writing, closing and repairing recording files (see rec_file.h). */
#include "rec_file.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc_secret.h"

#define CHUNK_BYTES (REC_RATE * REC_CHANNELS * 2) /* one second of audio per chunk */

struct rec_file {
    int fd;
    bool encrypted;
    uint8_t hdr[REC_ENC_HDR];
    uint8_t key[REC_KEY_LEN];
    uint64_t chunk_index;
    uint8_t *pending; /* plaintext not yet sealed (encrypted), or not yet written (plain) */
    size_t npending;
    uint64_t frames;
    uint64_t data_bytes; /* audio bytes written to disk (plain) */
    uint8_t *sealed;
    EVP_MD_CTX *sha; /* encrypted: the file is append-only, so hashed as it is written */
    uint64_t size;   /* encrypted: bytes written */
};

#define HASH_BLOCK 65536

static int s_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Encrypted files only grow: write and hash in one go. */
static int s_append(rec_file_t *self, const uint8_t *p, size_t n)
{
    if (s_write_all(self->fd, p, n) < 0 || EVP_DigestUpdate(self->sha, p, n) != 1)
        return -1;
    self->size += n;
    return 0;
}

static void s_hex(const uint8_t d[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* SHA-256 and size of the file at path, read in blocks (a long call is not read whole
 * into memory). */
static int s_hash_file(const char *path, uint64_t *size, char sha256[65])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    uint8_t *buf = malloc(HASH_BLOCK);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = fd >= 0 && buf && ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 ? 0 : -1;
    uint64_t total = 0;
    while (rc == 0) {
        ssize_t n = read(fd, buf, HASH_BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (n > 0 && EVP_DigestUpdate(ctx, buf, (size_t)n) != 1))
            rc = -1;
        if (n <= 0)
            break;
        total += (uint64_t)n;
    }
    uint8_t d[32];
    unsigned dlen = 0;
    if (rc == 0 && EVP_DigestFinal_ex(ctx, d, &dlen) == 1 && dlen == 32) {
        s_hex(d, sha256);
        *size = total;
    } else {
        rc = -1;
    }
    EVP_MD_CTX_free(ctx);
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int s_mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0750) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

static int s_seal(rec_file_t *self, bool final)
{
    long n = rec_enc_chunk_seal(self->key, self->hdr, self->chunk_index, final, self->pending,
                                self->npending, self->sealed);
    if (n < 0 || s_append(self, self->sealed, (size_t)n) < 0)
        return -1;
    self->chunk_index++;
    self->npending = 0;
    return 0;
}

/* Plain: write the audio held, then refresh the header sizes. */
static int s_flush_plain(rec_file_t *self)
{
    if (s_write_all(self->fd, self->pending, self->npending) < 0)
        return -1;
    self->data_bytes += self->npending;
    self->npending = 0;
    uint8_t h[REC_WAV_HDR];
    rec_wav_header(h, (uint32_t)self->data_bytes);
    return pwrite(self->fd, h, sizeof h, 0) == (ssize_t)sizeof h ? 0 : -1;
}

rec_file_t *rec_file_new(const char *path, const uint8_t *master)
{
    if (s_mkdirs(path) < 0)
        return NULL;
    rec_file_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->pending = malloc(CHUNK_BYTES + REC_WAV_HDR);
    self->sealed = master ? malloc(CHUNK_BYTES + REC_WAV_HDR + REC_CHUNK_OVERHEAD) : NULL;
    self->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    self->encrypted = master != NULL;
    self->sha = master ? EVP_MD_CTX_new() : NULL;
    bool ok = self->fd >= 0 && self->pending && (!master || (self->sealed && self->sha));
    if (ok && master)
        ok = EVP_DigestInit_ex(self->sha, EVP_sha256(), NULL) == 1 &&
             rec_enc_header_new(master, self->hdr, self->key) == 0 &&
             s_append(self, self->hdr, REC_ENC_HDR) == 0;
    uint8_t h[REC_WAV_HDR];
    rec_wav_header(h, 0);
    if (ok && master) {
        memcpy(self->pending, h, sizeof h); /* the WAV header is the first plaintext */
        self->npending = sizeof h;
    } else if (ok) {
        ok = s_write_all(self->fd, h, sizeof h) == 0;
    }
    if (!ok) {
        int e = errno;
        if (self->fd >= 0) {
            close(self->fd);
            unlink(path);
        }
        free(self->pending);
        free(self->sealed);
        EVP_MD_CTX_free(self->sha);
        free(self);
        errno = e;
        return NULL;
    }
    return self;
}

int rec_file_write(rec_file_t *self, const int16_t *stereo, size_t frames)
{
    const uint8_t *p = (const uint8_t *)stereo;
    size_t bytes = frames * REC_CHANNELS * 2;
    while (bytes > 0) {
        size_t room = CHUNK_BYTES - self->npending;
        size_t n = bytes < room ? bytes : room;
        memcpy(self->pending + self->npending, p, n);
        self->npending += n;
        p += n;
        bytes -= n;
        if (self->npending == CHUNK_BYTES &&
            (self->encrypted ? s_seal(self, false) : s_flush_plain(self)) < 0)
            return -1;
    }
    self->frames += frames;
    return 0;
}

uint64_t rec_file_frames(const rec_file_t *self)
{
    return self->frames;
}

static int s_fd_path(int fd, char *out, size_t len)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, out, len - 1);
    if (n <= 0)
        return -1;
    out[n] = '\0';
    return 0;
}

int rec_file_close(rec_file_t **self_p, uint64_t *size, char sha256[65])
{
    rec_file_t *self = *self_p;
    if (!self)
        return -1;
    *self_p = NULL;
    int rc = self->encrypted ? s_seal(self, true) : s_flush_plain(self);
    char path[4096];
    if (!self->encrypted && s_fd_path(self->fd, path, sizeof path) < 0)
        rc = -1;
    if (fsync(self->fd) < 0)
        rc = -1;
    close(self->fd);
    if (rc == 0 && self->encrypted) { /* hashed while written */
        uint8_t d[32];
        unsigned dlen = 0;
        rc = EVP_DigestFinal_ex(self->sha, d, &dlen) == 1 && dlen == 32 ? 0 : -1;
        if (rc == 0) {
            s_hex(d, sha256);
            *size = self->size;
        }
    } else if (rc == 0) { /* the WAV header changed last: read the file back */
        rc = s_hash_file(path, size, sha256);
    }
    OPENSSL_cleanse(self->key, sizeof self->key);
    EVP_MD_CTX_free(self->sha);
    free(self->pending);
    free(self->sealed);
    free(self);
    return rc;
}

int rec_file_slurp(const char *path, uint8_t **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (*buf && got < (size_t)st.st_size) {
        ssize_t n = read(fd, *buf + got, (size_t)st.st_size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!*buf || got != (size_t)st.st_size) {
        free(*buf);
        *buf = NULL;
        return -1;
    }
    *len = got;
    return 0;
}

int rec_file_repair(const char *path, const uint8_t *master, uint64_t *size, char sha256[65],
                    uint64_t *frames)
{
    uint8_t *buf;
    size_t len;
    if (rec_file_slurp(path, &buf, &len) < 0)
        return -1;
    int rc = 0;
    if (len >= 8 && memcmp(buf, REC_ENC_MAGIC, 8) == 0) {
        uint64_t chunks = 0, plain = 0; /* no key: nothing is read, no frames */
        bool final;
        size_t keep = master ? rec_enc_valid_prefix(master, buf, len, &chunks, &final, &plain) : 0;
        if (!master || keep == 0)
            rc = -1;
        else if (keep < len && truncate(path, (off_t)keep) < 0)
            rc = -1;
        *frames = plain > REC_WAV_HDR ? (plain - REC_WAV_HDR) / 4 : 0;
    } else if (rec_wav_is_ours(buf, len)) {
        size_t data = (len - REC_WAV_HDR) & ~(size_t)3;
        uint8_t h[REC_WAV_HDR];
        rec_wav_header(h, (uint32_t)data);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || pwrite(fd, h, sizeof h, 0) != (ssize_t)sizeof h ||
            ftruncate(fd, (off_t)(REC_WAV_HDR + data)) < 0)
            rc = -1;
        if (fd >= 0)
            close(fd);
        *frames = data / 4;
    } else {
        rc = -1;
    }
    free(buf);
    return rc == 0 ? s_hash_file(path, size, sha256) : -1;
}

int rec_master_key_load(const char *path, bool create, uint8_t key[REC_KEY_LEN], bool *created,
                        char *err, size_t errlen)
{
    *created = false;
    uint8_t *buf;
    size_t len;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) { /* a key others could read protects nothing: refuse it */
        int ok = cc_secret_fd_check(fd, path, "recording master key", err, errlen);
        close(fd);
        if (ok != 0)
            return -1;
    }
    if (rec_file_slurp(path, &buf, &len) == 0) {
        char text[256];
        snprintf(text, sizeof text, "%.*s", (int)(len < 255 ? len : 255), (const char *)buf);
        free(buf);
        if (rec_key_parse_hex(text, key) < 0) {
            snprintf(err, errlen, "%s does not hold 64 hex digits", path);
            return -1;
        }
        return 0;
    }
    if (errno != ENOENT || !create) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
            return -1;
        }
    }
    char hex[2 * REC_KEY_LEN + 2];
    if (RAND_bytes(key, REC_KEY_LEN) != 1) {
        snprintf(err, errlen, "no randomness for a master key");
        return -1;
    }
    for (int i = 0; i < REC_KEY_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    hex[2 * REC_KEY_LEN] = '\n';
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || s_write_all(fd, (const uint8_t *)hex, 2 * REC_KEY_LEN + 1) < 0 || fsync(fd) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    *created = true;
    return 0;
}
