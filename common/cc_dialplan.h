/* cc_dialplan.h - dialled number -> route. Pure: plain structs in, a route out; no SQL,
 * no sockets. sipproxy loads the routes from Postgres and asks here; ccctl validates with
 * the same functions, so what ccctl accepts is exactly what sipproxy understands.
 *
 * Pattern syntax (dialplan.pattern):
 *   literal characters  0-9 * # +     match themselves
 *   X  any digit 0-9     Z  1-9     N  2-9     [1-5] / [147]  one digit from a set
 *   .  (last only)  one or more further characters of any kind
 *   !  (last only)  zero or more further characters
 * When several patterns match, the most specific wins: a pattern without . or ! beats one
 * with; then the one with more literal characters; then the longer; then a row of the
 * dialplan table beats a user's extension (below); then the older route.
 *
 * Every user's extension is dialable without a row in the dialplan table: whoever loads the
 * routes adds each enabled user with cc_dialplan_add_extension(), an implicit route
 * EXT -> ext:EXT that ranks as its literal pattern does. So a new extension rings at once,
 * a deleted one stops, and only a table row with exactly that pattern sends the number
 * elsewhere (wildcards never hide an extension).
 *
 * Targets: "ext:1001", "queue:support", "ivr:main", "trunk:pstn", "conf:sales-weekly",
 * "vm:1001" (a mailbox: an extension's, or a queue's by its name). */
#ifndef CC_DIALPLAN_H
#define CC_DIALPLAN_H

#include <stdbool.h>
#include <stddef.h>

#define CC_PATTERN_MAX 64
#define CC_TARGET_NAME_MAX 64
#define CC_NUMBER_MAX 64

typedef enum {
    CC_TARGET_EXT = 0,
    CC_TARGET_QUEUE,
    CC_TARGET_IVR,
    CC_TARGET_TRUNK,
    CC_TARGET_CONF,      /* a conference room (ivrd) */
    CC_TARGET_VOICEMAIL, /* a mailbox: leave a message (ivrd) */
    CC_TARGET_GROUP      /* a ring group (sipproxy rings its members) */
} cc_target_kind_t;

typedef struct {
    long id; /* row id, also the tie-breaker: lower wins */
    char pattern[CC_PATTERN_MAX];
    cc_target_kind_t kind;
    char target[CC_TARGET_NAME_MAX]; /* "1001", "support", "main", "pstn", a room */
    int strip;                       /* leading characters removed before dialling out */
    char prefix[CC_NUMBER_MAX];      /* then prepended */
    bool implicit;                   /* a user's extension, not a table row (id 0) */
} cc_route_t;

typedef struct cc_dialplan cc_dialplan_t;

/* 0 if valid, else -1 with a reason ("'[' not closed at position 3"). */
int cc_pattern_validate(const char *pattern, char *err, size_t errlen);
bool cc_pattern_matches(const char *pattern, const char *number);

/* "queue:support" -> kind + name. Names: 1-63 of [A-Za-z0-9_.-] (ext: 2-15 digits).
 * 0, or -1 with a reason. */
int cc_target_parse(const char *text, cc_target_kind_t *kind, char *name, size_t namelen, char *err,
                    size_t errlen);
const char *cc_target_kind_name(cc_target_kind_t kind); /* "ext", "queue", ... */

/* Extensions are 2-15 decimal digits. 0 or -1 with a reason. */
int cc_extension_validate(const char *ext, char *err, size_t errlen);

cc_dialplan_t *cc_dialplan_new(void);
void cc_dialplan_destroy(cc_dialplan_t **self_p);
/* Copies the route in. -1 if its pattern is invalid. */
int cc_dialplan_add(cc_dialplan_t *self, const cc_route_t *route);
/* The implicit route of a user's extension: EXT -> ext:EXT, id 0, implicit. -1 if ext is
 * not a valid extension (cc_extension_validate). */
int cc_dialplan_add_extension(cc_dialplan_t *self, const char *ext);
size_t cc_dialplan_size(const cc_dialplan_t *self);
/* The best route for `number`, or NULL (unknown number: 404). Borrowed. */
const cc_route_t *cc_dialplan_match(const cc_dialplan_t *self, const char *number);
/* Number to send on: strip then prefix. Writes into out; -1 if it does not fit. */
int cc_route_rewrite(const cc_route_t *route, const char *number, char *out, size_t outlen);

#endif
