/* cc_errbuf.c - error messages into a caller's buffer (see cc_errbuf.h). */
#include "cc_errbuf.h"

#include <stdarg.h>
#include <stdio.h>

void cc_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
