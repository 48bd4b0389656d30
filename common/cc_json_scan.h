/* cc_json_scan.h - a strict JSON reader that builds no tree: one pass checks a whole
 * document and lays its values out as a flat array of tokens in a buffer the caller owns;
 * values are then read in place, strings unescaped into a scratch buffer. For hot paths
 * that read a few fields of many small messages (cdrd's events, where a jansson tree per
 * event was half of its loop). jansson remains the suite's JSON library everywhere else.
 *
 * Strict means jansson's json_loadb(text, len, 0) would accept exactly the same documents:
 * an object or array at the top, RFC 8259 grammar, valid UTF-8 (no overlong forms, no
 * surrogates), no control characters in strings, no \u0000, paired \u surrogates,
 * integers within int64, reals that do not overflow a double, nesting up to 2048, nothing
 * but whitespace after the value. Duplicate keys are allowed and, as in jansson, the last
 * one counts. One difference, on the strict side: jansson 2.14 skips a NUL byte right
 * after a number or a literal ("[1\0]"), an artefact of its read-ahead buffer, and this
 * refuses it; a caller that must accept what jansson accepts falls back to jansson when
 * the scan refuses (the bus does). Whatever this accepts, jansson accepts and reads to
 * the same values: the unit tests and fuzz/fuzz_bus_messages.c check it. */
#ifndef CC_JSON_SCAN_H
#define CC_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CC_JSON_OBJECT,
    CC_JSON_ARRAY,
    CC_JSON_STRING,
    CC_JSON_INTEGER,
    CC_JSON_REAL,
    CC_JSON_TRUE,
    CC_JSON_FALSE,
    CC_JSON_NULL
} cc_json_kind_t;

/* One value. An object's members follow it as key, value, key, value...; `end` is the
 * index just past the value and everything inside it, so siblings are reached by jumps. */
typedef struct {
    uint8_t kind;   /* cc_json_kind_t */
    bool escaped;   /* a string holding a backslash escape */
    uint32_t start; /* offset in the text: a string's first byte after its quote */
    uint32_t len;   /* bytes of text (a string's, between its quotes) */
    uint32_t end;   /* index of the first token after this value */
    uint32_t cstr;  /* a string read before: 1 + its offset in the scratch; else 0 */
} cc_json_tok_t;

typedef struct cc_json_doc {
    const char *text;
    size_t len;
    cc_json_tok_t *toks;
    uint32_t ntoks, cap;
    char *scratch; /* at least len + 1 bytes: every string unescaped fits */
    size_t scratch_used;
} cc_json_doc_t;

#define CC_JSON_SCAN_INVALID (-1) /* not JSON (see above for jansson's one leniency) */
#define CC_JSON_SCAN_FULL (-2)    /* valid so far, but more than `cap` values */
#define CC_JSON_MAX_DEPTH 2048    /* jansson's JSON_PARSER_MAX_DEPTH */

/* Scan text[0, len) into toks (cap entries). scratch needs len + 1 bytes. The document's
 * value is token 0. Returns the number of tokens, CC_JSON_SCAN_INVALID or
 * CC_JSON_SCAN_FULL (then the caller may take the slow path: jansson). */
int cc_json_scan(cc_json_doc_t *doc, const char *text, size_t len, cc_json_tok_t *toks,
                 uint32_t cap, char *scratch);

/* The value of `key` in the object at index obj (the last one if repeated); -1 when obj
 * is not an object (or is -1) or has no such key. */
int cc_json_get(const cc_json_doc_t *doc, int obj, const char *key);

/* A string's text, unescaped and NUL-terminated (in the scratch; valid as long as the
 * doc); NULL when i is -1 or not a string. */
const char *cc_json_str(cc_json_doc_t *doc, int i);

/* True with the value for an integer; false for anything else (reals included). */
bool cc_json_int(const cc_json_doc_t *doc, int i, int64_t *out);
/* True with the value for an integer or a real (as jansson's json_number_value). */
bool cc_json_number(const cc_json_doc_t *doc, int i, double *out);

static inline int cc_json_kind(const cc_json_doc_t *doc, int i)
{
    return i >= 0 && (uint32_t)i < doc->ntoks ? doc->toks[i].kind : -1;
}

#endif
