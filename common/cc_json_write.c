/* cc_json_write.c - compact JSON writer (see cc_json_write.h). Strings are escaped as
 * jansson escapes them without JSON_ENSURE_ASCII: '"' and '\\', the five short control
 * escapes, other control characters as \u00XX (upper-case hex, as jansson); everything else, UTF-8 included, is copied.
 * Integers are written without printf; reals, rare on the bus, are left to jansson so
 * their digits stay exactly its own. */
#include "cc_json_write.h"

#include <stdlib.h>
#include <string.h>

static bool s_reserve(cc_jw_t *w, size_t more)
{
    if (w->failed)
        return false;
    if (w->len + more + 1 <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + more + 1)
        cap *= 2;
    char *buf = realloc(w->buf, cap);
    if (!buf) {
        w->failed = true;
        return false;
    }
    w->buf = buf;
    w->cap = cap;
    return true;
}

void cc_jw_init(cc_jw_t *w)
{
    *w = (cc_jw_t){0};
}

void cc_jw_raw(cc_jw_t *w, const char *text, size_t len)
{
    if (!s_reserve(w, len))
        return;
    memcpy(w->buf + w->len, text, len);
    w->len += len;
    w->buf[w->len] = '\0';
}

void cc_jw_strn(cc_jw_t *w, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF"; /* jansson writes \u001F */
    /* worst case: every byte becomes \u00XX */
    if (!s_reserve(w, len * 6 + 2))
        return;
    char *o = w->buf + w->len;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *o++ = (char)c;
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    *o = '\0';
    w->len = (size_t)(o - w->buf);
}

void cc_jw_str(cc_jw_t *w, const char *s)
{
    cc_jw_strn(w, s, strlen(s));
}

void cc_jw_int(cc_jw_t *w, int64_t v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    /* through the unsigned magnitude, so INT64_MIN has one too */
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    if (v < 0)
        *--p = '-';
    cc_jw_raw(w, p, (size_t)(tmp + sizeof tmp - p));
}

static void s_real(cc_jw_t *w, const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        w->failed = true;
        return;
    }
    cc_jw_raw(w, text, strlen(text));
    free(text);
}

void cc_jw_value(cc_jw_t *w, const json_t *v)
{
    if (!v) {
        w->failed = true;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        cc_jw_raw(w, "{", 1);
        const char *key;
        size_t klen;
        json_t *item;
        bool first = true;
        json_object_keylen_foreach((json_t *)v, key, klen, item)
        {
            if (!first)
                cc_jw_raw(w, ",", 1);
            first = false;
            cc_jw_strn(w, key, klen);
            cc_jw_raw(w, ":", 1);
            cc_jw_value(w, item);
        }
        cc_jw_raw(w, "}", 1);
        break;
    }
    case JSON_ARRAY: {
        cc_jw_raw(w, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                cc_jw_raw(w, ",", 1);
            cc_jw_value(w, json_array_get(v, i));
        }
        cc_jw_raw(w, "]", 1);
        break;
    }
    case JSON_STRING:
        cc_jw_strn(w, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        cc_jw_int(w, (int64_t)json_integer_value(v));
        break;
    case JSON_REAL:
        s_real(w, v);
        break;
    case JSON_TRUE:
        cc_jw_raw(w, "true", 4);
        break;
    case JSON_FALSE:
        cc_jw_raw(w, "false", 5);
        break;
    case JSON_NULL:
        cc_jw_raw(w, "null", 4);
        break;
    }
}

char *cc_jw_take(cc_jw_t *w, size_t *len)
{
    if (!w->failed && !w->buf && s_reserve(w, 0))
        w->buf[0] = '\0'; /* nothing written: an empty text */
    if (w->failed) {
        cc_jw_drop(w);
        return NULL;
    }
    char *text = w->buf;
    if (len)
        *len = w->len;
    cc_jw_init(w);
    return text;
}

void cc_jw_drop(cc_jw_t *w)
{
    free(w->buf);
    cc_jw_init(w);
}

char *cc_json_compact(const json_t *v, size_t *len)
{
    if (!json_is_object(v) && !json_is_array(v))
        return NULL; /* as json_dumps without JSON_ENCODE_ANY */
    cc_jw_t w;
    cc_jw_init(&w);
    cc_jw_value(&w, v);
    return cc_jw_take(&w, len);
}
