/* cc_args.c - bounded strings and ranged integers out of a command's arguments (see
 * cc_args.h). */
#include "cc_args.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static json_t *s_given(json_t *args, const char *key)
{
    json_t *v = json_object_get(args, key);
    return json_is_null(v) ? NULL : v;
}

int cc_args_text(json_t *args, const char *key, bool required, size_t size, const char **out,
                 char *err, size_t len)
{
    json_t *v = s_given(args, key);
    *out = NULL;
    if (!v) {
        if (!required)
            return 0;
        snprintf(err, len, "%s is required", key);
        return -1;
    }
    const char *s = json_string_value(v);
    if (!s) {
        snprintf(err, len, "%s must be a string", key);
        return -1;
    }
    /* the JSON length, not strlen: "a\u0000b" would pass a strlen check and be cut */
    size_t n = json_string_length(v);
    if (strlen(s) != n) {
        snprintf(err, len, "%s must not contain NUL", key);
        return -1;
    }
    if ((required && n == 0) || n >= size) {
        if (size == SIZE_MAX)
            snprintf(err, len, "%s must not be empty", key);
        else if (required)
            snprintf(err, len, "%s must be 1-%zu characters", key, size - 1);
        else
            snprintf(err, len, "%s must be at most %zu characters", key, size - 1);
        return -1;
    }
    *out = s;
    return 0;
}

int cc_args_int(json_t *args, const char *key, bool required, json_int_t min, json_int_t max,
                json_int_t *out, char *err, size_t len)
{
    json_t *v = s_given(args, key);
    if (!v) {
        if (!required)
            return 0;
        snprintf(err, len, "%s is required", key);
        return -1;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        snprintf(err, len, "%s must be an integer %lld-%lld", key, (long long)min, (long long)max);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}
