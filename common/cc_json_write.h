/* cc_json_write.h - compact JSON text from jansson values, written into a growing buffer
 * without jansson's dump machinery. The bus writes every event and request with it: an
 * event's envelope goes straight into the text, so no second object is built and copied
 * for it. The output is byte for byte what json_dumps(value, JSON_COMPACT) writes (keys in
 * insertion order, UTF-8 passed through, the same escapes); cc_json_write_test.c checks it
 * against jansson. */
#ifndef CC_JSON_WRITE_H
#define CC_JSON_WRITE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *buf; /* NUL-terminated; the caller owns it once done (cc_jw_take) */
    size_t len;
    size_t cap;
    bool failed; /* out of memory or a value that cannot be written: the text is void */
} cc_jw_t;

void cc_jw_init(cc_jw_t *w);
void cc_jw_raw(cc_jw_t *w, const char *text, size_t len);
#define cc_jw_lit(w, literal) cc_jw_raw((w), (literal), sizeof(literal) - 1)
void cc_jw_str(cc_jw_t *w, const char *s); /* a quoted, escaped string */
void cc_jw_strn(cc_jw_t *w, const char *s, size_t len);
void cc_jw_int(cc_jw_t *w, int64_t v);
void cc_jw_value(cc_jw_t *w, const json_t *v); /* any value, compact */
/* The text (malloc'd, NUL-terminated, length in *len if len is not NULL), or NULL when
 * writing failed; the writer is reset either way. */
char *cc_jw_take(cc_jw_t *w, size_t *len);
void cc_jw_drop(cc_jw_t *w);

/* json_dumps(v, JSON_COMPACT) for objects and arrays, faster. */
char *cc_json_compact(const json_t *v, size_t *len);

#endif
