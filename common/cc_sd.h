/* cc_sd.h - talking to systemd: READY, STOPPING, WATCHDOG and STATUS through sd_notify.
 * Harmless without systemd (no NOTIFY_SOCKET: the calls do nothing). */
#ifndef CC_SD_H
#define CC_SD_H

#include <stdint.h>

void cc_sd_ready(const char *status);    /* READY=1 and STATUS= */
void cc_sd_stopping(const char *status); /* STOPPING=1 and STATUS= */
void cc_sd_watchdog(void);               /* WATCHDOG=1 */
void cc_sd_status(const char *status);   /* STATUS= only */
/* The watchdog period the service manager asked for, in microseconds (0: none). Pet it at
 * half that period. */
uint64_t cc_sd_watchdog_usec(void);

#endif
