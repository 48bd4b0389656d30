/* cc_log.c - the one-line structured log writer behind cc_log.h. Owns the line format,
 * the level filter and value quoting; it does not own where stderr goes (journald, a
 * terminal, a file), only whether a timestamp is needed there. */
#include "cc_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A line longer than this is cut and ends in "...": one write(2) must stay atomic and
 * no log line is worth allocating for. */
#define S_LINE_MAX 4096
#define S_QUOTE_SLOTS 8
#define S_QUOTE_SIZE 256

extern char *program_invocation_short_name;

static char s_name[64];
static volatile cc_log_level_t s_min_level = CC_LOG_INFO;
static int s_want_timestamp = -1; /* -1: not decided yet */

static const char *s_level_names[] = {"debug", "info", "warn", "error"};

/* The call the thread is handling now (cc_log_set_call): "" when none. Call ids are ours
 * (short) or a SIP Call-ID; a longer one is cut, as a log line would cut it anyway. */
static __thread char s_call[CC_LOG_CALL_MAX];

/* journald sets JOURNAL_STREAM=<dev>:<ino> for the stream it gave us; it stamps lines
 * itself. If the variable is missing, or stderr was redirected since (it is inherited
 * by children too), the line carries its own timestamp. */
static int s_decide_timestamp(void)
{
    const char *stream = getenv("JOURNAL_STREAM");
    if (!stream || !*stream)
        return 1;
    unsigned long long dev = 0, ino = 0;
    struct stat st;
    if (sscanf(stream, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
        return 1;
    return ((unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino) ? 0 : 1;
}

void cc_log_init(const char *daemon_name, cc_log_level_t min_level)
{
    snprintf(s_name, sizeof s_name, "%s", daemon_name ? daemon_name : "?");
    cc_log_set_level(min_level);
    s_want_timestamp = s_decide_timestamp();
}

void cc_log_set_level(cc_log_level_t min_level)
{
    if (min_level < CC_LOG_DEBUG)
        min_level = CC_LOG_DEBUG;
    if (min_level > CC_LOG_ERROR)
        min_level = CC_LOG_ERROR;
    s_min_level = min_level;
}

bool cc_log_enabled(cc_log_level_t level)
{
    return level >= s_min_level;
}

int cc_log_level_parse(const char *text, cc_log_level_t *out)
{
    static const struct {
        const char *name;
        cc_log_level_t level;
    } names[] = {
        {"debug", CC_LOG_DEBUG},  {"info", CC_LOG_INFO},   {"warn", CC_LOG_WARN},
        {"warning", CC_LOG_WARN}, {"error", CC_LOG_ERROR},
    };
    if (!text)
        return -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(text, names[i].name) == 0) {
            if (out)
                *out = names[i].level;
            return 0;
        }
    }
    return -1;
}

const char *cc_log_level_name(cc_log_level_t level)
{
    if (level < CC_LOG_DEBUG || level > CC_LOG_ERROR)
        return "?";
    return s_level_names[level];
}

void cc_log_set_call(const char *call_id)
{
    if (!call_id) {
        s_call[0] = '\0';
        return;
    }
    if (call_id == s_call)
        return;
    size_t n = strnlen(call_id, sizeof s_call - 1);
    memcpy(s_call, call_id, n);
    s_call[n] = '\0';
}

const char *cc_log_call(void)
{
    return s_call;
}

void cc_log_enter_call(cc_log_call_saved_t *saved, const char *call_id)
{
    memcpy(saved->id, s_call, sizeof saved->id);
    cc_log_set_call(call_id);
}

void cc_log_leave_call(const cc_log_call_saved_t *saved)
{
    cc_log_set_call(saved->id);
}

/* Appends at most what fits; returns the new length (never beyond cap - 1). */
static size_t s_append(char *buf, size_t len, size_t cap, const char *text)
{
    size_t n = strlen(text);
    if (len + n > cap - 1)
        n = cap - 1 - len;
    memcpy(buf + len, text, n);
    return len + n;
}

void cc_log(cc_log_level_t level, const char *event, const char *fields, ...)
{
    if (!cc_log_enabled(level))
        return;
    if (s_want_timestamp < 0)
        s_want_timestamp = s_decide_timestamp();

    char line[S_LINE_MAX];
    size_t cap = sizeof line - 1; /* keep one byte for the newline */
    size_t len = 0;

    if (s_want_timestamp) {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        len = strftime(line, cap, "%Y-%m-%dT%H:%M:%S", &tm);
        len += (size_t)snprintf(line + len, cap - len, ".%03ldZ ", ts.tv_nsec / 1000000L);
    }
    len = s_append(line, len, cap, cc_log_level_name(level));
    len = s_append(line, len, cap, " event=");
    len = s_append(line, len, cap, event && *event ? event : "-");
    len = s_append(line, len, cap, " daemon=");
    len = s_append(line, len, cap, s_name[0] ? s_name : program_invocation_short_name);
    if (s_call[0]) {
        len = s_append(line, len, cap, " call=");
        len = s_append(line, len, cap, cc_logq(s_call));
    }

    if (fields && *fields && len < cap - 1) {
        line[len++] = ' ';
        size_t start = len;
        va_list ap;
        va_start(ap, fields);
        int n = vsnprintf(line + len, cap - len, fields, ap);
        va_end(ap);
        if (n < 0) {
            n = 0;
        } else if ((size_t)n >= cap - len) {
            n = (int)(cap - len - 1);
            if (n >= 3)
                memcpy(line + len + n - 3, "...", 3);
        }
        len += (size_t)n;
        /* A raw newline from an unquoted value would forge a second log line. */
        for (size_t i = start; i < len; i++)
            if (line[i] == '\n' || line[i] == '\r')
                line[i] = ' ';
    }
    line[len++] = '\n';

    ssize_t w;
    do {
        w = write(STDERR_FILENO, line, len);
    } while (w < 0 && errno == EINTR);
}

static bool s_needs_quoting(const char *value)
{
    if (!*value)
        return true;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '\\' || *p == '=' || *p == 0x7f)
            return true;
    return false;
}

const char *cc_logq(const char *value)
{
    static __thread char ring[S_QUOTE_SLOTS][S_QUOTE_SIZE];
    static __thread unsigned next;
    char *out = ring[next++ % S_QUOTE_SLOTS];
    const size_t room = S_QUOTE_SIZE - 5; /* leaves space for ..." and the NUL */

    if (!value)
        value = "";
    if (!s_needs_quoting(value)) {
        size_t n = strlen(value);
        if (n < S_QUOTE_SIZE)
            return value;
        memcpy(out, value, S_QUOTE_SIZE - 4);
        memcpy(out + S_QUOTE_SIZE - 4, "...", 4);
        return out;
    }

    size_t len = 0;
    out[len++] = '"';
    const unsigned char *p = (const unsigned char *)value;
    for (; *p; p++) {
        char piece[5];
        size_t n;
        if (*p == '"' || *p == '\\') {
            piece[0] = '\\';
            piece[1] = (char)*p;
            n = 2;
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(piece, sizeof piece, "\\x%02x", *p);
            n = 4;
        } else {
            piece[0] = (char)*p;
            n = 1;
        }
        if (len + n > room)
            break;
        memcpy(out + len, piece, n);
        len += n;
    }
    if (*p) {
        memcpy(out + len, "...", 3);
        len += 3;
    }
    out[len++] = '"';
    out[len] = '\0';
    return out;
}
