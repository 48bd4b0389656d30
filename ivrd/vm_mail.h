/* vm_mail.h - a voicemail e-mail as RFC 5322 / MIME text: headers, a plain-text part with
 * the caller, the time and the length, and the message as a base64 WAV attachment.
 * Pure (buffers in, a string out), so it is unit-tested alone; ivrd_vmmail.c sends it. */
#ifndef VM_MAIL_H
#define VM_MAIL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *from, *to;
    const char *mailbox, *caller;
    const char *received; /* "2026-12-03 01:45:12+00" as Postgres gives it */
    const char *date;     /* RFC 5322 Date header value */
    const char *boundary; /* unique: must not occur in the text */
    const char *message_id;
    int64_t duration_ms;
    long long id;
} vm_mail_t;

/* The whole mail, CRLF line ends, in *out (malloc'd, NUL-terminated); *len its length.
 * 0, or -1 (no memory, or a header value holding CR/LF). */
int vm_mail_build(const vm_mail_t *m, const uint8_t *wav, size_t wav_len, char **out, size_t *len);

#endif
