/* cc_errbuf.h - why something failed, written into the caller's buffer: the one way the
 * pure cores (dialplan, flows, schedules, templates) say what is wrong with their input,
 * so a CLI or a bus reply can repeat it word for word. */
#ifndef CC_ERRBUF_H
#define CC_ERRBUF_H

#include <stddef.h>

/* printf into err (errlen bytes, cut if longer); does nothing when err is NULL or errlen 0. */
void cc_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
