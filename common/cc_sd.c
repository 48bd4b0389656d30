/* cc_sd.c - sd_notify wrappers for readiness, stopping, status and the watchdog. Owns
 * nothing but the message strings; without NOTIFY_SOCKET libsystemd does nothing. */
#include "cc_sd.h"

#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

/* `head` ("READY=1", "STOPPING=1" or "") followed by STATUS=<status>. STATUS= is one line
 * in `systemctl status`, and a newline would start a new assignment: flatten it. */
static void s_notify(const char *head, const char *status)
{
    char text[256];
    char msg[300];
    snprintf(text, sizeof text, "%s", status ? status : "");
    for (char *p = text; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    snprintf(msg, sizeof msg, "%s%sSTATUS=%s", head, *head ? "\n" : "", text);
    sd_notify(0, msg);
}

void cc_sd_ready(const char *status)
{
    s_notify("READY=1", status);
}

void cc_sd_stopping(const char *status)
{
    s_notify("STOPPING=1", status);
}

void cc_sd_watchdog(void)
{
    sd_notify(0, "WATCHDOG=1");
}

void cc_sd_status(const char *status)
{
    s_notify("", status);
}

uint64_t cc_sd_watchdog_usec(void)
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0)
        return usec;
    return 0;
}
