/* sp_callargs.c - checks of the call-control arguments controllers send (sp_callargs.h). */
#include "sp_callargs.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

bool sp_callargs_target_ok(const char *t)
{
    if (!t)
        return false;
    const char *v = strncmp(t, "ext:", 4) == 0      ? t + 4
                    : strncmp(t, "number:", 7) == 0 ? t + 7
                                                    : NULL;
    if (!v || !*v || strlen(t) >= 80)
        return false;
    for (; *v; v++)
        if (!isdigit((unsigned char)*v) && !strchr("*#+", *v))
            return false;
    return true;
}

int sp_callargs_targets(json_t *targets, size_t max, char *err, size_t errlen)
{
    size_t n = json_array_size(targets), i;
    json_t *t;
    if (n < 1 || n > max) {
        snprintf(err, errlen, "targets must hold 1-%zu entries", max);
        return -1;
    }
    json_array_foreach(targets, i, t)
    {
        if (!sp_callargs_target_ok(json_string_value(t))) {
            snprintf(err, errlen, "target %zu must be \"ext:DIGITS\" or \"number:DIGITS\"", i);
            return -1;
        }
    }
    return 0;
}

int sp_callargs_headers(json_t *obj, char *out, size_t len, char *err, size_t errlen)
{
    out[0] = '\0';
    if (!obj)
        return 0;
    size_t n = 0;
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        if (strncasecmp(key, "X-CC-", 5) != 0 || !key[5]) {
            snprintf(err, errlen, "header '%s' not allowed (only X-CC-*)", key);
            return -1;
        }
        for (const char *k = key; *k; k++)
            if (!isalnum((unsigned char)*k) && *k != '-') {
                snprintf(err, errlen, "header name '%s' is not a token", key);
                return -1;
            }
        const char *v = json_string_value(val);
        if (!v) {
            snprintf(err, errlen, "header '%s' must be a string", key);
            return -1;
        }
        for (const char *s = v; *s; s++)
            if ((unsigned char)*s < 0x20 && *s != '\t') {
                snprintf(err, errlen, "header '%s' has a control character", key);
                return -1;
            }
        int w = snprintf(out + n, len - n, "%s%s: %s", n ? "\r\n" : "", key, v);
        if (w < 0 || (size_t)w >= len - n) {
            snprintf(err, errlen, "headers too long");
            out[n] = '\0';
            return -1;
        }
        n += (size_t)w;
    }
    return 0;
}

int sp_callargs_attempt(json_t *args, char *headers, size_t hlen, int *timeout_s,
                        bool *on_hangup_return, char *err, size_t errlen)
{
    if (sp_callargs_headers(json_object_get(args, "headers"), headers, hlen, err, errlen))
        return -1;
    json_t *t = json_object_get(args, "timeout_s");
    json_int_t timeout = t ? json_integer_value(t) : 0;
    if (t && (timeout < 1 || timeout > 600)) {
        snprintf(err, errlen, "timeout_s must be 1-600");
        return -1;
    }
    const char *och = json_string_value(json_object_get(args, "on_callee_hangup"));
    if (och && strcmp(och, "end") != 0 && strcmp(och, "return") != 0) {
        snprintf(err, errlen, "on_callee_hangup must be end or return");
        return -1;
    }
    *timeout_s = (int)timeout;
    *on_hangup_return = och && strcmp(och, "return") == 0;
    return 0;
}
