/* vm_mail.c - a voicemail e-mail as MIME text (see vm_mail.h). */
#include "vm_mail.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;
} s_str_t;

static void s_put(s_str_t *s, const char *data, size_t n)
{
    if (s->failed)
        return;
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b) {
            s->failed = true;
            return;
        }
        s->buf = b, s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = '\0';
}

static void s_printf(s_str_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_printf(s_str_t *s, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line) {
        s->failed = true;
        return;
    }
    s_put(s, line, (size_t)n);
}

static bool s_clean(const char *v)
{
    return v && !strpbrk(v, "\r\n");
}

static const char s_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 in lines of 76 characters, each ended by CRLF. */
static void s_base64(s_str_t *s, const uint8_t *in, size_t n)
{
    char line[80];
    size_t col = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        line[col++] = s_b64[(v >> 18) & 63];
        line[col++] = s_b64[(v >> 12) & 63];
        line[col++] = i + 1 < n ? s_b64[(v >> 6) & 63] : '=';
        line[col++] = i + 2 < n ? s_b64[v & 63] : '=';
        if (col == 76) {
            line[col++] = '\r', line[col++] = '\n';
            s_put(s, line, col);
            col = 0;
        }
    }
    if (col) {
        line[col++] = '\r', line[col++] = '\n';
        s_put(s, line, col);
    }
}

int vm_mail_build(const vm_mail_t *m, const uint8_t *wav, size_t wav_len, char **out, size_t *len)
{
    if (!s_clean(m->from) || !s_clean(m->to) || !s_clean(m->mailbox) || !s_clean(m->caller) ||
        !s_clean(m->received) || !s_clean(m->date) || !s_clean(m->boundary) ||
        !s_clean(m->message_id))
        return -1;
    s_str_t s = {0};
    long secs = (long)((m->duration_ms + 500) / 1000);
    const char *caller = m->caller[0] ? m->caller : "an unknown caller";
    s_printf(&s, "From: <%s>\r\nTo: <%s>\r\n", m->from, m->to);
    s_printf(&s, "Subject: Voicemail from %s (%ld s)\r\n", caller, secs);
    s_printf(&s, "Date: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n", m->date, m->message_id);
    s_printf(&s, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", m->boundary);
    s_printf(&s,
             "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
             "Content-Transfer-Encoding: 8bit\r\n\r\n",
             m->boundary);
    s_printf(&s,
             "New voicemail in mailbox %s.\r\n\r\nFrom:     %s\r\nReceived: %s\r\n"
             "Length:   %ld:%02ld (%lld ms)\r\n\r\nThe message is attached as a WAV file.\r\n",
             m->mailbox, caller, m->received, secs / 60, secs % 60, (long long)m->duration_ms);
    s_printf(&s,
             "\r\n--%s\r\nContent-Type: audio/wav; name=\"voicemail-%lld.wav\"\r\n"
             "Content-Transfer-Encoding: base64\r\n"
             "Content-Disposition: attachment; filename=\"voicemail-%lld.wav\"\r\n\r\n",
             m->boundary, m->id, m->id);
    s_base64(&s, wav, wav_len);
    s_printf(&s, "\r\n--%s--\r\n", m->boundary);
    if (s.failed) {
        free(s.buf);
        return -1;
    }
    *out = s.buf;
    *len = s.len;
    return 0;
}
