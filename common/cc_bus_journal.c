/* cc_bus_journal.c - a publisher's events on disk, so that its crash does not take with it
 * the events no subscriber had yet. Every event published is appended, as the line of JSON
 * the ring keeps, to <run_dir>/<name>.journal (one write per event, no fsync: a killed
 * process loses nothing the kernel has, and a machine that goes down takes the calls with
 * it). At ring_cap lines the file becomes <name>.journal.1 and a new one starts, so the
 * two hold at least the last ring_cap events. The next process of that name loads the
 * tail of its predecessor's epoch from them and serves it to bus.replay (cc_bus.c) before
 * its own events; it then starts journals of its own. What it loaded lives in memory
 * only: a second crash before the subscribers caught up loses it (reported as a loss).
 * A clean stop leaves its journal too: a subscriber that was down may still need it. */
#include "cc_bus_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cc_log.h"

static char *s_path(const cc_bus_t *self, const char *suffix)
{
    size_t len = strlen(self->run_dir) + strlen(self->name) + strlen(suffix) + 16;
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "%s/%s.journal%s", self->run_dir, self->name, suffix);
    return path;
}

static void s_prev_clear(cc_bus_t *self)
{
    for (size_t i = 0; self->prev && i < self->ring_cap; i++)
        free(self->prev[i]);
    free(self->prev);
    free(self->prev_len);
    self->prev = NULL;
    self->prev_len = NULL;
    self->prev_epoch = self->prev_first = self->prev_last = 0;
}

/* One journal line: keep it in the predecessor's ring if it continues that epoch's run of
 * sequence numbers; a line of another epoch or out of order starts the run again (only
 * the newest epoch's unbroken tail is served). */
static void s_load_line(cc_bus_t *self, char *line, size_t len)
{
    json_error_t jerr;
    json_t *ev = json_loadb(line, len, 0, &jerr);
    json_t *id = json_object_get(ev, "id");
    json_t *jepoch = json_object_get(id, "epoch"), *jseq = json_object_get(id, "seq");
    if (!json_is_integer(jepoch) || !json_is_integer(jseq) || json_integer_value(jseq) < 1) {
        json_decref(ev);
        return; /* a line cut short by the crash, or not ours */
    }
    uint64_t epoch = (uint64_t)json_integer_value(jepoch), seq = (uint64_t)json_integer_value(jseq);
    json_decref(ev);
    if (epoch != self->prev_epoch || seq != self->prev_last + 1) {
        for (size_t i = 0; i < self->ring_cap; i++) {
            free(self->prev[i]);
            self->prev[i] = NULL;
        }
        self->prev_epoch = epoch;
        self->prev_first = seq;
    }
    char *text = strndup(line, len);
    if (!text)
        return;
    size_t slot = (size_t)((seq - 1) % self->ring_cap);
    free(self->prev[slot]);
    self->prev[slot] = text;
    self->prev_len[slot] = len;
    self->prev_last = seq;
    if (self->prev_last - self->prev_first + 1 > self->ring_cap)
        self->prev_first = self->prev_last - self->ring_cap + 1;
}

static void s_load_file(cc_bus_t *self, const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] != '\n')
            break; /* the last line, cut short by the crash */
        s_load_line(self, line, (size_t)n - 1);
    }
    free(line);
    fclose(f);
}

static int s_open_new(cc_bus_t *self)
{
    self->journal_fd =
        open(self->journal_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
    self->journal_lines = 0;
    if (self->journal_fd < 0) {
        cc_error("bus.journal_failed", "path=%s err=%s", cc_logq(self->journal_path),
                 cc_logq(strerror(errno)));
        return -errno;
    }
    return 0;
}

int cc_bus_journal_open(cc_bus_t *self)
{
    self->journal_fd = -1;
    if (!self->ring_cap)
        return 0;
    self->journal_path = s_path(self, "");
    self->journal_old = s_path(self, ".1");
    self->prev = calloc(self->ring_cap, sizeof *self->prev);
    self->prev_len = calloc(self->ring_cap, sizeof *self->prev_len);
    if (!self->journal_path || !self->journal_old || !self->prev || !self->prev_len)
        return -ENOMEM;
    s_load_file(self, self->journal_old);
    s_load_file(self, self->journal_path);
    if (self->prev_last) {
        cc_info("bus.journal_loaded",
                "name=%s epoch=%" PRIu64 " first_seq=%" PRIu64 " last_seq=%" PRIu64,
                cc_logq(self->name), self->prev_epoch, self->prev_first, self->prev_last);
    } else {
        s_prev_clear(self);
    }
    unlink(self->journal_old);
    return s_open_new(self);
}

void cc_bus_journal_append(cc_bus_t *self, const char *text, size_t len)
{
    if (self->journal_fd < 0)
        return;
    if (self->journal_lines >= self->ring_cap) { /* the older half goes, the newer stays */
        close(self->journal_fd);
        self->journal_fd = -1;
        if (rename(self->journal_path, self->journal_old) != 0 || s_open_new(self) != 0)
            return;
    }
    struct iovec iov[2] = {{(void *)text, len}, {"\n", 1}};
    ssize_t n = writev(self->journal_fd, iov, 2);
    if (n != (ssize_t)len + 1) {
        cc_error("bus.journal_failed", "path=%s err=%s", cc_logq(self->journal_path),
                 cc_logq(n < 0 ? strerror(errno) : "short write"));
        close(self->journal_fd); /* rather no journal than one with holes */
        self->journal_fd = -1;
        return;
    }
    self->journal_lines++;
}

/* The files stay: after a clean stop too a subscriber may not have everything yet (it
 * was down), and the successor serves it. */
void cc_bus_journal_close(cc_bus_t *self)
{
    if (self->journal_fd >= 0)
        close(self->journal_fd);
    self->journal_fd = -1;
    free(self->journal_path);
    free(self->journal_old);
    self->journal_path = self->journal_old = NULL;
    s_prev_clear(self);
}
