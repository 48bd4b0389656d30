/* cc_screen.h - screening and calling permissions, decided before a call is routed: blocked
 * and allowed callers (global or per extension, exact numbers, prefixes, anonymous), the
 * class of service of a number dialled out, and routing by the caller's prefix. Pure: the
 * rules come in as plain values (sipproxy loads them from Postgres, table screen_rules,
 * cos_prefixes, caller_routes), a verdict comes out; ccctl validates with the same
 * functions, so what ccctl accepts is what sipproxy matches.
 *
 * Caller rules: "anonymous", an exact number ("+441234"), or a prefix ending in '*'
 * ("+44*"). An allow rule that matches (global or the callee extension's) wins over every
 * block; else the most specific matching block (the extension's over a global one, then
 * the longer pattern, exact over prefix) decides, with its action.
 *
 * Classes of service, widest last: internal < local < national < international. A number
 * dialled out through a trunk has the class of the longest matching prefix, international
 * when none matches. Emergency numbers (112, 911, 999 and any added) are always allowed. */
#ifndef CC_SCREEN_H
#define CC_SCREEN_H

#include <stdbool.h>
#include <stddef.h>

#define CC_SCREEN_PATTERN_MAX 40
#define CC_SCREEN_REASON_MAX 120

typedef enum {
    CC_SCREEN_BLOCK = 0,
    CC_SCREEN_ALLOW
} cc_screen_list_t;
typedef enum {
    CC_SCREEN_BUSY = 0,
    CC_SCREEN_MESSAGE
} cc_screen_action_t;

typedef enum {
    CC_COS_INTERNAL = 0,
    CC_COS_LOCAL,
    CC_COS_NATIONAL,
    CC_COS_INTERNATIONAL,
    CC_COS_EMERGENCY /* a number class only: never a user's class */
} cc_cos_t;

typedef struct {
    char ext[16]; /* "" : every call */
    cc_screen_list_t list;
    char pattern[CC_SCREEN_PATTERN_MAX];
    cc_screen_action_t action;
} cc_screen_rule_t;

typedef struct {
    bool blocked;
    cc_screen_action_t action;
    char reason[CC_SCREEN_REASON_MAX]; /* "blocked: ext 1001 list +4420*"; "" if let through */
} cc_screen_verdict_t;

typedef struct cc_screen cc_screen_t;

cc_screen_t *cc_screen_new(void);
void cc_screen_destroy(cc_screen_t **self_p);

/* 0 if the pattern is valid, else -1 with a reason. */
int cc_screen_pattern_validate(const char *pattern, char *err, size_t errlen);
/* "busy"/"message", "block"/"allow", "internal".."international"[/"emergency"]: 0 or -1. */
int cc_screen_action_parse(const char *text, cc_screen_action_t *out);
int cc_screen_list_parse(const char *text, cc_screen_list_t *out);
int cc_cos_parse(const char *text, cc_cos_t *out);
const char *cc_cos_name(cc_cos_t cos);
/* A caller prefix or class prefix: 1-32 of + (first only) 0-9 * #. 0 or -1 with a reason. */
int cc_screen_prefix_validate(const char *prefix, char *err, size_t errlen);

/* Copies in; -1 for an invalid rule. */
int cc_screen_add_rule(cc_screen_t *self, const cc_screen_rule_t *rule);
int cc_screen_add_cos_prefix(cc_screen_t *self, cc_cos_t cos, const char *prefix);
/* Caller routing: calls to `number` from callers starting with `caller_prefix` go to
 * `target` ("queue:uk"; validated by the loader with cc_target_parse). */
int cc_screen_add_caller_route(cc_screen_t *self, const char *number, const char *caller_prefix,
                               const char *target);
size_t cc_screen_rule_count(const cc_screen_t *self);
/* An extension's class of service (sip_users.cos); one not set is international. */
int cc_screen_set_user_cos(cc_screen_t *self, const char *ext, cc_cos_t cos);
cc_cos_t cc_screen_user_cos(const cc_screen_t *self, const char *ext);

/* True for a caller with no usable number: "", "anonymous", "unknown" (any case), or one
 * that asked for privacy (Privacy: id) - the caller passes that flag. */
bool cc_screen_is_anonymous(const char *caller, bool privacy_id);

/* Screen a caller for a call that reaches callee_ext (NULL or "": not an extension). */
void cc_screen_check(const cc_screen_t *self, const char *caller, bool anonymous,
                     const char *callee_ext, cc_screen_verdict_t *out);

/* The class of a number dialled out through a trunk. */
cc_cos_t cc_screen_number_class(const cc_screen_t *self, const char *number);
/* May a user of class `user_cos` dial `number` out through a trunk? When not, reason says
 * why ("not permitted: international number for a local extension"). */
bool cc_screen_may_dial(const cc_screen_t *self, cc_cos_t user_cos, const char *number,
                        char *reason, size_t reasonlen);

/* The target for a call to `number` from `caller` by caller prefix (longest wins), or
 * NULL (borrowed). */
const char *cc_screen_caller_route(const cc_screen_t *self, const char *number, const char *caller);

#endif
