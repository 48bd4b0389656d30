/* vm_mail_test.c - the voicemail e-mail's MIME text. */
#include <stdlib.h>
#include <string.h>

#include "cc_test.h"
#include "vm_mail.h"

CC_TEST(vm_mail_mime_parts_and_base64)
{
    vm_mail_t m = {.from = "vm@pbx.example",
                   .to = "ann@example.org",
                   .mailbox = "1001",
                   .caller = "1003",
                   .received = "2026-12-03 01:45:12+00",
                   .date = "Thu, 03 Dec 2026 01:45:14 +0000",
                   .boundary = "b-42",
                   .message_id = "vm-42@pbx.example",
                   .duration_ms = 65400,
                   .id = 42};
    const uint8_t wav[] = {'R', 'I', 'F', 'F', 0, 1, 2, 3, 250, 251};
    char *out = NULL;
    size_t len = 0;
    CC_CHECK_INT(vm_mail_build(&m, wav, sizeof wav, &out, &len), 0);
    CC_CHECK(strlen(out) == len);
    CC_CHECK(strstr(out, "To: <ann@example.org>\r\n") != NULL);
    CC_CHECK(strstr(out, "Subject: Voicemail from 1003 (65 s)\r\n") != NULL);
    CC_CHECK(strstr(out, "multipart/mixed; boundary=\"b-42\"") != NULL);
    CC_CHECK(strstr(out, "Length:   1:05 (65400 ms)") != NULL);
    CC_CHECK(strstr(out, "filename=\"voicemail-42.wav\"") != NULL);
    CC_CHECK(strstr(out, "\r\n\r\nUklGRgABAgP6+w==\r\n") != NULL); /* base64 of wav */
    CC_CHECK(strstr(out, "\r\n--b-42--\r\n") != NULL);
    free(out);
    /* a header value with a line break would inject headers: refused */
    m.caller = "1003\r\nBcc: x@y";
    CC_CHECK_INT(vm_mail_build(&m, wav, sizeof wav, &out, &len), -1);
    /* long attachments wrap at 76 */
    m.caller = "";
    uint8_t big[300] = {0};
    CC_CHECK_INT(vm_mail_build(&m, big, sizeof big, &out, &len), 0);
    CC_CHECK(strstr(out, "Voicemail from an unknown caller") != NULL);
    const char *p = strstr(out, "AAAA");
    CC_CHECK(p && strstr(p, "\r\n") - p == 76);
    free(out);
}
