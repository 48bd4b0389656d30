/* ccctl_status.h - what `ccctl status` makes of each daemon's reply to the bus command
 * `status`, and how it prints the lot. Pure (no sockets), so it is unit-tested; the bus
 * round trip is in ccctl_status.c. */
#ifndef CCCTL_STATUS_H
#define CCCTL_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct {
    const char *daemon; /* "sipproxy" */
    int timeout_ms;     /* how long the request was given, for the message */
    bool done;          /* a reply (or the timeout) arrived */
    bool up;            /* it answered at all */
    bool ready;
    long long pid;
    long long uptime_s;
    char version[32];
    char error[160]; /* why it is down or not ready ("" if neither) */
} ccctl_daemon_status_t;

/* Fill st from a cc_bus reply: status 0 with the result object, -ETIMEDOUT, or -EPROTO
 * with the error object. A result missing "ready" or "pid" counts as up but not ready. */
void ccctl_status_from_reply(ccctl_daemon_status_t *st, int status, json_t *result);

/* True if every daemon is up and ready. */
bool ccctl_status_all_ready(const ccctl_daemon_status_t *list, size_t n);

/* {"daemons":[{"daemon","state":"up"|"down","ready","pid","uptime_s","version","error"}...],
 *  "all_ready":bool}; pid/uptime_s/version only when up, error only when set. */
json_t *ccctl_status_json(const ccctl_daemon_status_t *list, size_t n);
void ccctl_status_print(const ccctl_daemon_status_t *list, size_t n, FILE *out);

#endif
