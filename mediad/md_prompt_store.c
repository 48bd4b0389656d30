/* md_prompt_store.c - the prompt cache: resolves names to files, loads each file once and
 * hands out references (see md_prompt.h). Entries are few (a prompt set is a few hundred
 * files), so they sit in a list searched by file identity. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc_log.h"
#include "md_prompt.h"

#define MAX_FILE_BYTES (256u << 20) /* a WAV larger than this is refused */

typedef struct s_entry {
    struct s_entry *next;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    md_prompt_t *prompt; /* the store's reference */
} s_entry_t;

struct md_prompt_store {
    char *dir;
    s_entry_t *entries;
    int count;
};

md_prompt_store_t *md_prompt_store_new(const char *dir)
{
    md_prompt_store_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->dir = strdup(dir ? dir : "");
    if (!self->dir) {
        free(self);
        return NULL;
    }
    return self;
}

void md_prompt_store_destroy(md_prompt_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    md_prompt_store_t *self = *self_p;
    while (self->entries) {
        s_entry_t *e = self->entries;
        self->entries = e->next;
        md_prompt_unref(&e->prompt);
        free(e);
    }
    free(self->dir);
    free(self);
    *self_p = NULL;
}

const char *md_prompt_store_dir(const md_prompt_store_t *self)
{
    return self->dir;
}

int md_prompt_store_count(const md_prompt_store_t *self)
{
    return self->count;
}

size_t md_prompt_store_bytes(const md_prompt_store_t *self)
{
    size_t bytes = 0;
    for (const s_entry_t *e = self->entries; e; e = e->next)
        bytes += 2 * e->prompt->frames * MD_FRAME_SAMPLES;
    return bytes;
}

/* The first candidate path that is a regular file: 0 with *st and path filled. */
static int s_locate(md_prompt_store_t *self, const char *language, const char *name, char *path,
                    size_t len, struct stat *st, char *err, size_t errlen)
{
    char paths[2][4096];
    int n = md_prompt_paths(self->dir, language, name, paths, err, errlen);
    if (n < 0)
        return -EINVAL;
    for (int i = 0; i < n; i++) {
        if (stat(paths[i], st) == 0 && S_ISREG(st->st_mode)) {
            snprintf(path, len, "%s", paths[i]);
            return 0;
        }
    }
    snprintf(err, errlen, "prompt file not found: %s", paths[0]);
    return -ENOENT;
}

int md_prompt_store_find(md_prompt_store_t *self, const char *language, const char *name,
                         char *path, size_t len, char *err, size_t errlen)
{
    struct stat st;
    return s_locate(self, language, name, path, len, &st, err, errlen);
}

static bool s_same_file(const s_entry_t *e, const struct stat *st)
{
    return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
           e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Read the whole file into a new buffer. */
static uint8_t *s_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    uint8_t *buf = NULL;
    if (fstat(fd, &st) < 0 || st.st_size < 0 || (uint64_t)st.st_size > MAX_FILE_BYTES) {
        snprintf(err, errlen, "%s: unreadable or larger than %u MB", path, MAX_FILE_BYTES >> 20);
        goto done;
    }
    size_t want = (size_t)st.st_size, got = 0;
    buf = malloc(want ? want : 1);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto done;
    }
    while (got < want) {
        ssize_t n = read(fd, buf + got, want - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    *len = got;
done:
    close(fd);
    return buf;
}

int md_prompt_store_get(md_prompt_store_t *self, const char *language, const char *name,
                        md_prompt_t **out, char *err, size_t errlen)
{
    char path[4096];
    struct stat st;
    int rc = s_locate(self, language, name, path, sizeof path, &st, err, errlen);
    if (rc < 0)
        return rc;
    s_entry_t **link = &self->entries;
    while (*link) {
        s_entry_t *e = *link;
        if (s_same_file(e, &st)) {
            *out = md_prompt_ref(e->prompt);
            return 0;
        }
        if ((e->dev == st.st_dev && e->ino == st.st_ino) || strcmp(e->prompt->path, path) == 0) {
            /* changed or replaced: forget the old copy (its players keep their refs) */
            *link = e->next;
            md_prompt_unref(&e->prompt);
            free(e);
            self->count--;
            continue;
        }
        link = &e->next;
    }
    size_t len = 0;
    uint8_t *buf = s_read_file(path, &len, err, errlen);
    if (!buf)
        return -EIO;
    char why[200];
    md_prompt_t *prompt = md_prompt_from_wav(buf, len, path, why, sizeof why);
    free(buf);
    if (!prompt) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -EIO;
    }
    s_entry_t *e = calloc(1, sizeof *e);
    if (!e) {
        md_prompt_unref(&prompt);
        snprintf(err, errlen, "%s: out of memory", path);
        return -EIO;
    }
    *e = (s_entry_t){.next = self->entries,
                     .dev = st.st_dev,
                     .ino = st.st_ino,
                     .size = st.st_size,
                     .mtime = st.st_mtim,
                     .prompt = prompt};
    self->entries = e;
    self->count++;
    cc_info("prompt.loaded", "path=%s rate=%u seconds=%.2f frames=%zu", cc_logq(path),
            (unsigned)prompt->src_rate, (double)prompt->samples / 8000.0, prompt->frames);
    *out = md_prompt_ref(prompt);
    return 0;
}
