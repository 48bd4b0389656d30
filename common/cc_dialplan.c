/* cc_dialplan.c - dialplan patterns (validation, compilation to per-position digit masks,
 * matching), route ordering by specificity, targets, extensions and number rewriting.
 * Pure: no I/O, no clock; the route table is filled by whoever loads it (sipproxy). */
#include "cc_dialplan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_errbuf.h"

/* One pattern position: a set of digits (bit d for digit d) or one non-digit literal
 * ('*', '#', '+'). Compiled once at add time so matching is a tight loop. */
typedef struct {
    uint16_t digits;
    char literal;
} s_elem_t;

typedef enum {
    S_TAIL_NONE = 0,
    S_TAIL_ONE_OR_MORE,
    S_TAIL_ZERO_OR_MORE
} s_tail_t;

typedef struct {
    s_elem_t elems[CC_PATTERN_MAX];
    int len; /* fixed positions, not counting the tail */
    s_tail_t tail;
    int literals; /* positions that match exactly one character */
} s_compiled_t;

typedef struct {
    cc_route_t route;
    s_compiled_t pat;
} s_entry_t;

struct cc_dialplan {
    s_entry_t *entries; /* kept most specific first, so the first match is the best */
    size_t len, cap;
};

#define S_ALL_DIGITS 0x3ffu

static bool s_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parses a [set] starting at pattern[*pos] == '['; leaves *pos after the ']'. */
static int s_compile_set(const char *pattern, size_t *pos, uint16_t *mask, char *err, size_t errlen)
{
    size_t open = *pos, i = open + 1;
    uint16_t set = 0;
    for (;;) {
        char c = pattern[i];
        if (c == '\0') {
            cc_errf(err, errlen, "'[' not closed at position %zu", open + 1);
            return -1;
        }
        if (c == ']')
            break;
        if (!s_is_digit(c)) {
            cc_errf(err, errlen,
                    "'%c' at position %zu is not a digit (only digits and "
                    "ranges go inside [ ])",
                    c, i + 1);
            return -1;
        }
        if (pattern[i + 1] == '-' && pattern[i + 2] != ']' && pattern[i + 2] != '\0') {
            char hi = pattern[i + 2];
            if (!s_is_digit(hi)) {
                cc_errf(err, errlen,
                        "'%c' at position %zu is not a digit (only digits and "
                        "ranges go inside [ ])",
                        hi, i + 3);
                return -1;
            }
            if (hi < c) {
                cc_errf(err, errlen, "range %c-%c at position %zu goes backwards", c, hi, i + 1);
                return -1;
            }
            for (char d = c; d <= hi; d++)
                set |= (uint16_t)(1u << (d - '0'));
            i += 3;
        } else if (pattern[i + 1] == '-') {
            cc_errf(err, errlen, "range at position %zu has no upper end", i + 1);
            return -1;
        } else {
            set |= (uint16_t)(1u << (c - '0'));
            i++;
        }
    }
    if (!set) {
        cc_errf(err, errlen, "empty set '[]' at position %zu", open + 1);
        return -1;
    }
    *mask = set;
    *pos = i + 1;
    return 0;
}

static int s_compile(const char *pattern, s_compiled_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!pattern || !*pattern) {
        cc_errf(err, errlen, "empty pattern");
        return -1;
    }
    size_t plen = strlen(pattern);
    if (plen >= CC_PATTERN_MAX) {
        cc_errf(err, errlen, "pattern is %zu characters long (at most %d)", plen,
                CC_PATTERN_MAX - 1);
        return -1;
    }
    size_t i = 0;
    while (i < plen) {
        char c = pattern[i];
        s_elem_t e = {0, 0};
        if (c == '.' || c == '!') {
            if (i != plen - 1) {
                cc_errf(err, errlen, "'%c' at position %zu must be the last character", c, i + 1);
                return -1;
            }
            out->tail = c == '.' ? S_TAIL_ONE_OR_MORE : S_TAIL_ZERO_OR_MORE;
            i++;
            continue;
        }
        if (s_is_digit(c)) {
            e.digits = (uint16_t)(1u << (c - '0'));
            out->literals++;
            i++;
        } else if (c == '*' || c == '#' || c == '+') {
            e.literal = c;
            out->literals++;
            i++;
        } else if (c == 'X') {
            e.digits = S_ALL_DIGITS;
            i++;
        } else if (c == 'Z') {
            e.digits = S_ALL_DIGITS & ~1u;
            i++;
        } else if (c == 'N') {
            e.digits = S_ALL_DIGITS & ~3u;
            i++;
        } else if (c == '[') {
            if (s_compile_set(pattern, &i, &e.digits, err, errlen) != 0)
                return -1;
        } else if (c == ']') {
            cc_errf(err, errlen, "']' at position %zu has no matching '['", i + 1);
            return -1;
        } else if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f) {
            cc_errf(err, errlen, "invalid character 0x%02x at position %zu", (unsigned char)c,
                    i + 1);
            return -1;
        } else {
            cc_errf(err, errlen,
                    "invalid character '%c' at position %zu (allowed: 0-9 * # + "
                    "X Z N [set] and a final . or !)",
                    c, i + 1);
            return -1;
        }
        out->elems[out->len++] = e;
    }
    return 0;
}

static bool s_match_compiled(const s_compiled_t *p, const char *number)
{
    int i = 0;
    for (; i < p->len; i++) {
        char c = number[i];
        if (c == '\0')
            return false;
        const s_elem_t *e = &p->elems[i];
        if (s_is_digit(c)) {
            if (!(e->digits & (1u << (c - '0'))))
                return false;
        } else if (c != e->literal) {
            return false;
        }
    }
    switch (p->tail) {
    case S_TAIL_NONE:
        return number[i] == '\0';
    case S_TAIL_ONE_OR_MORE:
        return number[i] != '\0';
    case S_TAIL_ZERO_OR_MORE:
        return true;
    }
    return false;
}

int cc_pattern_validate(const char *pattern, char *err, size_t errlen)
{
    s_compiled_t c;
    return s_compile(pattern, &c, err, errlen);
}

bool cc_pattern_matches(const char *pattern, const char *number)
{
    s_compiled_t c;
    if (!number || s_compile(pattern, &c, NULL, 0) != 0)
        return false;
    return s_match_compiled(&c, number);
}

/* ---- targets and extensions ------------------------------------------------------- */

static const char *s_kind_names[] = {"ext", "queue", "ivr", "trunk", "conf", "vm", "group"};
#define S_NKINDS (int)(sizeof s_kind_names / sizeof s_kind_names[0])

const char *cc_target_kind_name(cc_target_kind_t kind)
{
    if ((unsigned)kind >= sizeof s_kind_names / sizeof s_kind_names[0])
        return "?";
    return s_kind_names[kind];
}

int cc_extension_validate(const char *ext, char *err, size_t errlen)
{
    if (!ext || !*ext) {
        cc_errf(err, errlen, "extension is empty");
        return -1;
    }
    size_t n = 0;
    for (const char *p = ext; *p; p++, n++) {
        if (!s_is_digit(*p)) {
            cc_errf(err, errlen, "extension '%s' has a non-digit at position %zu", ext, n + 1);
            return -1;
        }
    }
    if (n < 2 || n > 15) {
        cc_errf(err, errlen, "extension '%s' has %zu digits (2-15 allowed)", ext, n);
        return -1;
    }
    return 0;
}

static bool s_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || s_is_digit(c) || c == '_' ||
           c == '.' || c == '-';
}

int cc_target_parse(const char *text, cc_target_kind_t *kind, char *name, size_t namelen, char *err,
                    size_t errlen)
{
    if (!text || !*text) {
        cc_errf(err, errlen, "target is empty");
        return -1;
    }
    const char *colon = strchr(text, ':');
    if (!colon) {
        cc_errf(err, errlen,
                "target '%s' is not kind:name (kinds: ext, queue, ivr, trunk, conf, vm, group)",
                text);
        return -1;
    }
    size_t klen = (size_t)(colon - text);
    int found = -1;
    for (int k = 0; k < S_NKINDS; k++)
        if (strlen(s_kind_names[k]) == klen && strncmp(text, s_kind_names[k], klen) == 0)
            found = k;
    if (found < 0) {
        cc_errf(err, errlen,
                "unknown target kind '%.*s' (kinds: ext, queue, ivr, trunk, conf, vm, group)",
                (int)klen, text);
        return -1;
    }
    const char *nm = colon + 1;
    size_t nlen = strlen(nm);
    if (found == CC_TARGET_EXT) {
        if (cc_extension_validate(nm, err, errlen) != 0)
            return -1;
    } else {
        if (nlen == 0) {
            cc_errf(err, errlen, "target '%s' has an empty name", text);
            return -1;
        }
        if (nlen > CC_TARGET_NAME_MAX - 1) {
            cc_errf(err, errlen, "target name is %zu characters long (at most %d)", nlen,
                    CC_TARGET_NAME_MAX - 1);
            return -1;
        }
        for (size_t i = 0; i < nlen; i++) {
            if (!s_name_char(nm[i])) {
                cc_errf(err, errlen,
                        "target name '%s' has an invalid character at position "
                        "%zu (allowed: A-Z a-z 0-9 _ . -)",
                        nm, i + 1);
                return -1;
            }
        }
    }
    if (name) {
        if (nlen + 1 > namelen) {
            cc_errf(err, errlen, "target name does not fit in %zu bytes", namelen);
            return -1;
        }
        memcpy(name, nm, nlen + 1);
    }
    if (kind)
        *kind = (cc_target_kind_t)found;
    return 0;
}

/* ---- the route table -------------------------------------------------------------- */

cc_dialplan_t *cc_dialplan_new(void)
{
    return calloc(1, sizeof(cc_dialplan_t));
}

void cc_dialplan_destroy(cc_dialplan_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->entries);
    free(*self_p);
    *self_p = NULL;
}

size_t cc_dialplan_size(const cc_dialplan_t *self)
{
    return self->len;
}

/* True if a is more specific than b: fixed length beats a tail, then more literal
 * positions, then more positions, then a table row beats a user's extension, then the
 * older (lower id) route. */
static bool s_more_specific(const s_entry_t *a, const s_entry_t *b)
{
    bool a_fixed = a->pat.tail == S_TAIL_NONE, b_fixed = b->pat.tail == S_TAIL_NONE;
    if (a_fixed != b_fixed)
        return a_fixed;
    if (a->pat.literals != b->pat.literals)
        return a->pat.literals > b->pat.literals;
    if (a->pat.len != b->pat.len)
        return a->pat.len > b->pat.len;
    if (a->route.implicit != b->route.implicit)
        return !a->route.implicit;
    return a->route.id < b->route.id;
}

int cc_dialplan_add(cc_dialplan_t *self, const cc_route_t *route)
{
    s_entry_t entry;
    if (!route || memchr(route->pattern, '\0', sizeof route->pattern) == NULL)
        return -1;
    if (s_compile(route->pattern, &entry.pat, NULL, 0) != 0)
        return -1;
    if ((unsigned)route->kind > CC_TARGET_GROUP || route->strip < 0 ||
        memchr(route->target, '\0', sizeof route->target) == NULL ||
        memchr(route->prefix, '\0', sizeof route->prefix) == NULL)
        return -1;
    entry.route = *route;

    if (self->len == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        s_entry_t *grown = realloc(self->entries, cap * sizeof *grown);
        if (!grown)
            return -1;
        self->entries = grown;
        self->cap = cap;
    }
    /* Insertion keeps the table ordered; loading is rare, matching is constant. */
    size_t pos = self->len;
    while (pos > 0 && s_more_specific(&entry, &self->entries[pos - 1]))
        pos--;
    memmove(&self->entries[pos + 1], &self->entries[pos],
            (self->len - pos) * sizeof *self->entries);
    self->entries[pos] = entry;
    self->len++;
    return 0;
}

int cc_dialplan_add_extension(cc_dialplan_t *self, const char *ext)
{
    if (cc_extension_validate(ext, NULL, 0) != 0)
        return -1;
    cc_route_t route = {.id = 0, .kind = CC_TARGET_EXT, .implicit = true};
    snprintf(route.pattern, sizeof route.pattern, "%s", ext);
    snprintf(route.target, sizeof route.target, "%s", ext);
    return cc_dialplan_add(self, &route);
}

const cc_route_t *cc_dialplan_match(const cc_dialplan_t *self, const char *number)
{
    if (!self || !number)
        return NULL;
    for (size_t i = 0; i < self->len; i++)
        if (s_match_compiled(&self->entries[i].pat, number))
            return &self->entries[i].route;
    return NULL;
}

int cc_route_rewrite(const cc_route_t *route, const char *number, char *out, size_t outlen)
{
    if (!route || !number || !out || route->strip < 0)
        return -1;
    size_t nlen = strlen(number);
    size_t strip = (size_t)route->strip < nlen ? (size_t)route->strip : nlen;
    size_t plen = strnlen(route->prefix, sizeof route->prefix);
    size_t total = plen + (nlen - strip);
    if (total + 1 > outlen)
        return -1;
    memcpy(out, route->prefix, plen);
    memcpy(out + plen, number + strip, nlen - strip);
    out[total] = '\0';
    return 0;
}
