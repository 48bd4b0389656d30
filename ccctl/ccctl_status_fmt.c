/* ccctl_status_fmt.c - turning `status` replies into ccctl's view of a daemon and printing
 * it (see ccctl_status.h). No sockets here; ccctl_status.c gathers the replies. */
#include <errno.h>
#include <string.h>

#include "ccctl_out.h"
#include "ccctl_status.h"

void ccctl_status_from_reply(ccctl_daemon_status_t *st, int status, json_t *result)
{
    st->done = true;
    if (status == -ETIMEDOUT || (status != 0 && status != -EPROTO)) {
        st->up = false;
        if (status == -ETIMEDOUT)
            snprintf(st->error, sizeof st->error, "no reply within %d ms", st->timeout_ms);
        else
            snprintf(st->error, sizeof st->error, "request failed: %s", strerror(-status));
        return;
    }
    st->up = true;
    if (status == -EPROTO) {
        const char *msg = json_string_value(json_object_get(result, "message"));
        snprintf(st->error, sizeof st->error, "error reply: %s", msg ? msg : "(no message)");
        return;
    }
    json_t *ready = json_object_get(result, "ready"), *pid = json_object_get(result, "pid");
    if (!json_is_boolean(ready) || !json_is_integer(pid)) {
        snprintf(st->error, sizeof st->error, "malformed status reply");
        return;
    }
    st->ready = json_is_true(ready);
    st->pid = json_integer_value(pid);
    st->uptime_s = json_integer_value(json_object_get(result, "uptime_s"));
    const char *version = json_string_value(json_object_get(result, "version"));
    snprintf(st->version, sizeof st->version, "%s", version ? version : "");
    if (!st->ready)
        snprintf(st->error, sizeof st->error, "starting (not ready yet)");
}

bool ccctl_status_all_ready(const ccctl_daemon_status_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!list[i].up || !list[i].ready)
            return false;
    return n > 0;
}

json_t *ccctl_status_json(const ccctl_daemon_status_t *list, size_t n)
{
    json_t *daemons = json_array();
    for (size_t i = 0; i < n; i++) {
        const ccctl_daemon_status_t *st = &list[i];
        json_t *obj = json_pack("{s:s, s:s, s:b}", "daemon", st->daemon, "state",
                                st->up ? "up" : "down", "ready", st->ready);
        if (st->up && !st->error[0]) {
            json_object_set_new(obj, "pid", json_integer(st->pid));
            json_object_set_new(obj, "uptime_s", json_integer(st->uptime_s));
            json_object_set_new(obj, "version", json_string(st->version));
        } else if (st->up && st->pid) {
            json_object_set_new(obj, "pid", json_integer(st->pid));
        }
        if (st->error[0])
            json_object_set_new(obj, "error", json_string(st->error));
        json_array_append_new(daemons, obj);
    }
    return json_pack("{s:o, s:b}", "daemons", daemons, "all_ready",
                     ccctl_status_all_ready(list, n));
}

void ccctl_status_print(const ccctl_daemon_status_t *list, size_t n, FILE *out)
{
    static const char *const headers[] = {"DAEMON", "STATE", "READY", "PID",
                                          "UPTIME", "NOTE",  NULL};
    ccctl_table_t *table = ccctl_table_new(headers);
    for (size_t i = 0; table && i < n; i++) {
        const ccctl_daemon_status_t *st = &list[i];
        char pid[24] = "-", uptime[32] = "-";
        if (st->up && st->pid) {
            snprintf(pid, sizeof pid, "%lld", st->pid);
            ccctl_duration((long)st->uptime_s, uptime, sizeof uptime);
        }
        const char *cells[] = {st->daemon,
                               st->up ? "up" : "down",
                               st->up ? (st->ready ? "yes" : "no") : "-",
                               pid,
                               uptime,
                               st->error[0] ? st->error : ""};
        ccctl_table_add(table, cells);
    }
    ccctl_table_print_destroy(&table, out);
    fprintf(out, "%s\n",
            ccctl_status_all_ready(list, n) ? "all daemons ready" : "NOT all daemons ready");
}
