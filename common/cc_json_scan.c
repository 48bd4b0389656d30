/* cc_json_scan.c - the strict, tree-less JSON reader (see cc_json_scan.h): a recursive
 * descent over the text that checks what jansson checks and records one token per value.
 * No allocation except for a number longer than 64 bytes, which strtod needs terminated. */
#include "cc_json_scan.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    cc_json_doc_t *doc;
    const unsigned char *base, *p, *end;
} s_scan_t;

static bool s_isdigit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int s_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p (bounded by end) into *out. */
static bool s_hex4(const unsigned char *p, const unsigned char *end, uint32_t *out)
{
    if (end - p < 4)
        return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = s_hexval(p[i]);
        if (h < 0)
            return false;
        v = v << 4 | (uint32_t)h;
    }
    *out = v;
    return true;
}

/* Length of the valid UTF-8 sequence starting at p (lead byte >= 0x80), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF (jansson's utf8_check_*). */
static size_t s_utf8(const unsigned char *p, const unsigned char *end)
{
    unsigned char u = p[0];
    size_t n;
    uint32_t v;
    if (u >= 0xC2 && u <= 0xDF) {
        n = 2;
        v = u & 0x1F;
    } else if (u >= 0xE0 && u <= 0xEF) {
        n = 3;
        v = u & 0x0F;
    } else if (u >= 0xF0 && u <= 0xF4) {
        n = 4;
        v = u & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
        v = v << 6 | (p[i] & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) ||
        (n == 4 && v < 0x10000))
        return 0;
    return n;
}

static int s_tok(s_scan_t *s, cc_json_kind_t kind, const unsigned char *start)
{
    cc_json_doc_t *doc = s->doc;
    if (doc->ntoks >= doc->cap)
        return CC_JSON_SCAN_FULL;
    cc_json_tok_t *t = &doc->toks[doc->ntoks];
    memset(t, 0, sizeof *t);
    t->kind = (uint8_t)kind;
    t->start = (uint32_t)(start - s->base);
    return (int)doc->ntoks++;
}

static void s_ws(s_scan_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* A backslash escape at p (just after the backslash); returns its length, 0 if invalid. */
static size_t s_escape(const unsigned char *p, const unsigned char *end)
{
    if (p >= end)
        return 0;
    switch (*p) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        return 1;
    case 'u':
        break;
    default:
        return 0;
    }
    uint32_t v, low;
    if (!s_hex4(p + 1, end, &v) || v == 0) /* \u0000: jansson refuses it without ALLOW_NUL */
        return 0;
    if (v >= 0xDC00 && v <= 0xDFFF)
        return 0; /* a low surrogate alone */
    if (v < 0xD800 || v > 0xDBFF)
        return 5;
    if (end - p < 11 || p[5] != '\\' || p[6] != 'u' || !s_hex4(p + 7, end, &low) || low < 0xDC00 ||
        low > 0xDFFF)
        return 0;
    return 11;
}

static int s_string(s_scan_t *s)
{
    int i = s_tok(s, CC_JSON_STRING, s->p + 1);
    if (i < 0)
        return i;
    bool escaped = false;
    const unsigned char *p = s->p + 1;
    for (;;) {
        if (p >= s->end || *p < 0x20)
            return CC_JSON_SCAN_INVALID;
        if (*p == '"')
            break;
        size_t n = 1;
        if (*p == '\\') {
            escaped = true;
            n = s_escape(p + 1, s->end);
            if (n == 0)
                return CC_JSON_SCAN_INVALID;
            n++;
        } else if (*p >= 0x80 && (n = s_utf8(p, s->end)) == 0) {
            return CC_JSON_SCAN_INVALID;
        }
        p += n;
    }
    cc_json_tok_t *t = &s->doc->toks[i];
    t->escaped = escaped;
    t->len = (uint32_t)(p - s->base) - t->start;
    t->end = (uint32_t)i + 1;
    s->p = p + 1;
    return i;
}

/* strtod on a copy of text[0, n), which strtod needs terminated; 0 or -1 (out of memory). */
static int s_strtod(const char *text, size_t n, double *out)
{
    char small[64];
    char *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf)
        return -1;
    memcpy(buf, text, n);
    buf[n] = '\0';
    errno = 0;
    *out = strtod(buf, NULL);
    bool overflow = errno == ERANGE && isinf(*out);
    if (buf != small)
        free(buf);
    return overflow ? 1 : 0;
}

/* int64 from validated integer text, false when out of range (jansson: "too big"). */
static bool s_int_text(const unsigned char *p, const unsigned char *end, int64_t *out)
{
    bool neg = *p == '-';
    if (neg)
        p++;
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; p < end; p++) {
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static int s_number(s_scan_t *s)
{
    const unsigned char *q = s->p, *end = s->end;
    bool real = false;
    if (*q == '-')
        q++;
    if (q >= end || !s_isdigit(*q))
        return CC_JSON_SCAN_INVALID;
    if (*q == '0') {
        if (++q < end && s_isdigit(*q))
            return CC_JSON_SCAN_INVALID; /* a leading zero */
    } else {
        while (q < end && s_isdigit(*q))
            q++;
    }
    if (q < end && *q == '.') {
        real = true;
        if (++q >= end || !s_isdigit(*q))
            return CC_JSON_SCAN_INVALID;
        while (q < end && s_isdigit(*q))
            q++;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        real = true;
        if (++q < end && (*q == '+' || *q == '-'))
            q++;
        if (q >= end || !s_isdigit(*q))
            return CC_JSON_SCAN_INVALID;
        while (q < end && s_isdigit(*q))
            q++;
    }
    int64_t iv;
    double dv;
    if (!real && !s_int_text(s->p, q, &iv))
        return CC_JSON_SCAN_INVALID;
    if (real && s_strtod((const char *)s->p, (size_t)(q - s->p), &dv) != 0)
        return CC_JSON_SCAN_INVALID; /* overflow (or no memory for the copy) */
    int i = s_tok(s, real ? CC_JSON_REAL : CC_JSON_INTEGER, s->p);
    if (i < 0)
        return i;
    s->doc->toks[i].len = (uint32_t)(q - s->p);
    s->doc->toks[i].end = (uint32_t)i + 1;
    s->p = q;
    return i;
}

static int s_literal(s_scan_t *s, const char *word, cc_json_kind_t kind)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return CC_JSON_SCAN_INVALID;
    int i = s_tok(s, kind, s->p);
    if (i < 0)
        return i;
    s->doc->toks[i].len = (uint32_t)n;
    s->doc->toks[i].end = (uint32_t)i + 1;
    s->p += n;
    return i;
}

static int s_value(s_scan_t *s, int depth);

/* An object or array at s->p; members are separated by ',' and, in objects, a string key
 * and ':' come before each value. */
static int s_container(s_scan_t *s, int depth, bool object)
{
    unsigned char close = object ? '}' : ']';
    int i = s_tok(s, object ? CC_JSON_OBJECT : CC_JSON_ARRAY, s->p);
    if (i < 0)
        return i;
    s->p++;
    s_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
    } else {
        for (;;) {
            int rc;
            s_ws(s);
            if (object) {
                if (s->p >= s->end || *s->p != '"')
                    return CC_JSON_SCAN_INVALID;
                if ((rc = s_string(s)) < 0)
                    return rc;
                s_ws(s);
                if (s->p >= s->end || *s->p != ':')
                    return CC_JSON_SCAN_INVALID;
                s->p++;
            }
            if ((rc = s_value(s, depth + 1)) < 0)
                return rc;
            s_ws(s);
            if (s->p >= s->end)
                return CC_JSON_SCAN_INVALID;
            if (*s->p == ',') {
                s->p++;
                continue;
            }
            if (*s->p != close)
                return CC_JSON_SCAN_INVALID;
            s->p++;
            break;
        }
    }
    cc_json_tok_t *t = &s->doc->toks[i];
    t->len = (uint32_t)(s->p - s->base) - t->start;
    t->end = s->doc->ntoks;
    return i;
}

static int s_value(s_scan_t *s, int depth)
{
    if (depth > CC_JSON_MAX_DEPTH)
        return CC_JSON_SCAN_INVALID;
    s_ws(s);
    if (s->p >= s->end)
        return CC_JSON_SCAN_INVALID;
    switch (*s->p) {
    case '{':
        return s_container(s, depth, true);
    case '[':
        return s_container(s, depth, false);
    case '"':
        return s_string(s);
    case 't':
        return s_literal(s, "true", CC_JSON_TRUE);
    case 'f':
        return s_literal(s, "false", CC_JSON_FALSE);
    case 'n':
        return s_literal(s, "null", CC_JSON_NULL);
    default:
        return s_number(s);
    }
}

int cc_json_scan(cc_json_doc_t *doc, const char *text, size_t len, cc_json_tok_t *toks,
                 uint32_t cap, char *scratch)
{
    *doc = (cc_json_doc_t){.text = text, .len = len, .toks = toks, .cap = cap, .scratch = scratch};
    if (len >= UINT32_MAX)
        return CC_JSON_SCAN_FULL; /* offsets are 32-bit; jansson can have it */
    s_scan_t s = {.doc = doc,
                  .base = (const unsigned char *)text,
                  .p = (const unsigned char *)text,
                  .end = (const unsigned char *)text + len};
    s_ws(&s);
    if (s.p >= s.end || (*s.p != '{' && *s.p != '['))
        return CC_JSON_SCAN_INVALID; /* jansson without JSON_DECODE_ANY */
    int rc = s_value(&s, 1);
    if (rc < 0)
        return rc;
    s_ws(&s);
    return s.p == s.end ? (int)doc->ntoks : CC_JSON_SCAN_INVALID;
}

/* ---- reading ------------------------------------------------------------------- */

static size_t s_put_utf8(char *out, uint32_t v)
{
    if (v < 0x80) {
        out[0] = (char)v;
        return 1;
    }
    if (v < 0x800) {
        out[0] = (char)(0xC0 | v >> 6);
        out[1] = (char)(0x80 | (v & 0x3F));
        return 2;
    }
    if (v < 0x10000) {
        out[0] = (char)(0xE0 | v >> 12);
        out[1] = (char)(0x80 | (v >> 6 & 0x3F));
        out[2] = (char)(0x80 | (v & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | v >> 18);
    out[1] = (char)(0x80 | (v >> 12 & 0x3F));
    out[2] = (char)(0x80 | (v >> 6 & 0x3F));
    out[3] = (char)(0x80 | (v & 0x3F));
    return 4;
}

/* A scanned (so valid) string's text into out, unescaped; returns its length. out needs
 * at most n bytes: no escape grows when decoded. */
static size_t s_unescape(const unsigned char *p, size_t n, char *out)
{
    const unsigned char *end = p + n;
    size_t o = 0;
    while (p < end) {
        if (*p != '\\') {
            out[o++] = (char)*p++;
            continue;
        }
        unsigned char c = p[1];
        p += 2;
        switch (c) {
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'u': {
            uint32_t v, low;
            s_hex4(p, end, &v);
            p += 4;
            if (v >= 0xD800 && v <= 0xDBFF) {
                s_hex4(p + 2, end, &low);
                p += 6;
                v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00);
            }
            o += s_put_utf8(out + o, v);
            break;
        }
        default:
            out[o++] = (char)c;
            break; /* " \ / */
        }
    }
    return o;
}

int cc_json_get(const cc_json_doc_t *doc, int obj, const char *key)
{
    if (cc_json_kind(doc, obj) != CC_JSON_OBJECT)
        return -1;
    size_t klen = strlen(key);
    int found = -1;
    const cc_json_tok_t *toks = doc->toks;
    for (uint32_t k = (uint32_t)obj + 1; k < toks[obj].end; k = toks[k + 1].end) {
        const cc_json_tok_t *t = &toks[k];
        const unsigned char *text = (const unsigned char *)doc->text + t->start;
        if (!t->escaped) {
            if (t->len == klen && memcmp(text, key, klen) == 0)
                found = (int)k + 1;
            continue;
        }
        if (t->len < klen) /* unescaping only shortens */
            continue;
        char small[128];
        char *buf = t->len <= sizeof small ? small : malloc(t->len);
        if (!buf)
            continue;
        size_t n = s_unescape(text, t->len, buf);
        if (n == klen && memcmp(buf, key, klen) == 0)
            found = (int)k + 1;
        if (buf != small)
            free(buf);
    }
    return found;
}

const char *cc_json_str(cc_json_doc_t *doc, int i)
{
    if (cc_json_kind(doc, i) != CC_JSON_STRING)
        return NULL;
    cc_json_tok_t *t = &doc->toks[i];
    if (t->cstr)
        return doc->scratch + t->cstr - 1;
    char *out = doc->scratch + doc->scratch_used;
    const unsigned char *text = (const unsigned char *)doc->text + t->start;
    size_t n = t->escaped ? s_unescape(text, t->len, out) : (memcpy(out, text, t->len), t->len);
    out[n] = '\0';
    t->cstr = (uint32_t)doc->scratch_used + 1;
    doc->scratch_used += n + 1;
    return out;
}

bool cc_json_int(const cc_json_doc_t *doc, int i, int64_t *out)
{
    if (cc_json_kind(doc, i) != CC_JSON_INTEGER)
        return false;
    const unsigned char *p = (const unsigned char *)doc->text + doc->toks[i].start;
    return s_int_text(p, p + doc->toks[i].len, out);
}

bool cc_json_number(const cc_json_doc_t *doc, int i, double *out)
{
    int64_t v;
    if (cc_json_int(doc, i, &v)) {
        *out = (double)v;
        return true;
    }
    if (cc_json_kind(doc, i) != CC_JSON_REAL)
        return false;
    return s_strtod(doc->text + doc->toks[i].start, doc->toks[i].len, out) == 0;
}
