/* ivr_flow.h - an IVR flow document, parsed, validated and compiled into an immutable
 * graph of nodes whose links are indices. The format is documented in docs/IVR-FLOWS.md.
 * Pure: JSON text in, a flow or a list of errors out; whether prompt files and time zones
 * exist is asked through callbacks, so the adapter decides how to look.
 * A flow is refcounted: each call holds a reference, so a reload can swap the live flow
 * while calls in progress finish on the version they started with. */
#ifndef IVR_FLOW_H
#define IVR_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ivr_say.h"
#include "ivr_schedule.h"

#define IVR_NODE_ID_MAX 64 /* node ids: 1-63 of [A-Za-z0-9_-] */
#define IVR_NONE (-1)      /* "no node": a link not given */

typedef enum {
    IVR_NODE_PLAY = 0,
    IVR_NODE_MENU,
    IVR_NODE_COLLECT,
    IVR_NODE_SCHEDULE,
    IVR_NODE_LOOKUP,
    IVR_NODE_BRANCH,
    IVR_NODE_SET,
    IVR_NODE_GOTO,
    IVR_NODE_ROUTE,
    IVR_NODE_HANGUP,
    IVR_NODE_SURVEY
} ivr_node_kind_t;

typedef enum {
    IVR_ROUTE_EXT = 0,
    IVR_ROUTE_QUEUE,
    IVR_ROUTE_TRUNK,
    IVR_ROUTE_VOICEMAIL /* leave a message in a mailbox (ivrd's own deposit) */
} ivr_route_kind_t;

/* One item of a prompt list: a prompt name (say == IVR_SAY_NONE), or a template whose value
 * is read out as digits or a number. */
typedef struct {
    ivr_say_mode_t say;
    char *text;
} ivr_prompt_t;

typedef struct {
    ivr_prompt_t *items;
    size_t count;
} ivr_prompts_t;

/* What menu, collect and survey share: a prompt, how input is gathered, and what is
 * said on a wrong or missing answer. Times in milliseconds. */
typedef struct {
    ivr_prompts_t prompt, invalid_prompt, timeout_prompt;
    int timeout_ms;     /* from the end of the prompt to the first digit */
    int inter_digit_ms; /* between digits (collect) */
    int min_digits, max_digits;
    char terminator; /* '#', '*' or 0 for none */
    int retries;     /* failed attempts before the fallback */
    int fallback;    /* node, or IVR_NONE: hang up */
} ivr_input_t;

typedef struct {
    char digit;
    int next;
} ivr_option_t;

typedef struct {
    char *value;
    int next;
} ivr_case_t;

typedef struct {
    char id[IVR_NODE_ID_MAX];
    ivr_node_kind_t kind;
    int next; /* play, collect, lookup, set, goto, survey; IVR_NONE else */
    union {
        struct {
            ivr_prompts_t prompts;
            bool barge_in; /* a key stops it and is kept for the next menu/collect */
        } play;
        struct {
            ivr_input_t input;
            ivr_option_t options[12]; /* 0-9 * # */
            size_t option_count;
        } menu;
        struct {
            ivr_input_t input;
            char *variable;
            bool private_input; /* path records the length, not the digits */
        } collect;
        struct {
            ivr_schedule_t *schedule;
            int open, closed, holiday; /* holiday: IVR_NONE -> closed */
        } schedule;
        struct {
            char *table;
            char *key; /* template, default "${caller}" */
            int timeout_ms;
            int not_found; /* IVR_NONE -> next */
        } lookup;
        struct {
            char *variable;
            ivr_case_t *cases;
            size_t case_count;
            int otherwise; /* "default" */
            bool prefix;   /* "match": "prefix": the longest case the value starts with */
        } branch;
        struct {
            char *variable;
            char *value; /* template */
        } set;
        struct {
            ivr_route_kind_t to;
            char *target, *priority, *skill; /* templates; priority/skill may be NULL */
            int then;                        /* after the routed call ends, caller still here */
            int failed;                      /* route could not be completed */
            bool closed; /* voicemail: "reason": "closed" (after hours) rather than direct */
        } route;
        struct {
            ivr_prompts_t prompts;
        } hangup;
        struct {
            ivr_input_t input;
            char *question;
            ivr_prompts_t thanks;
        } survey;
    } u;
} ivr_node_t;

typedef struct ivr_flow ivr_flow_t;

/* One validation error: a JSON Pointer to the bad place ("/nodes/menu/options/7") and why. */
typedef struct {
    char path[192];
    char reason[256];
} ivr_flow_error_t;

#define IVR_FLOW_ERRORS_MAX 32

/* Every error found (up to the max; `truncated` says more were found). */
typedef struct {
    ivr_flow_error_t items[IVR_FLOW_ERRORS_MAX];
    size_t count;
    bool truncated;
} ivr_flow_errors_t;

/* What the validator may ask the outside world. Each callback may be NULL (not checked). */
typedef struct {
    bool (*prompt_exists)(const char *name, const char *language, void *ctx);
    bool (*zone_exists)(const char *zone, void *ctx);
    void *ctx;
    long version; /* stored with the flow, e.g. the Postgres row version */
} ivr_flow_env_t;

/* Parses and validates. A flow with refcount 1, or NULL with errors filled (errors may be
 * NULL if the caller does not want them). */
ivr_flow_t *ivr_flow_parse(const char *json_text, const ivr_flow_env_t *env,
                           ivr_flow_errors_t *errors);
/* Another reference to the same flow; drop it with ivr_flow_destroy. */
ivr_flow_t *ivr_flow_ref(ivr_flow_t *self);
/* Drops one reference; the last frees the flow. Sets *self_p to NULL. */
void ivr_flow_destroy(ivr_flow_t **self_p);

const char *ivr_flow_name(const ivr_flow_t *self);
const char *ivr_flow_language(const ivr_flow_t *self);
long ivr_flow_version(const ivr_flow_t *self);
int ivr_flow_start(const ivr_flow_t *self); /* index of the start node */
size_t ivr_flow_node_count(const ivr_flow_t *self);
const ivr_node_t *ivr_flow_node(const ivr_flow_t *self, int index); /* NULL if out of range */
int ivr_flow_find(const ivr_flow_t *self, const char *id);          /* index or IVR_NONE */

const char *ivr_node_kind_name(ivr_node_kind_t kind); /* "play", "menu", ... */
/* "ext", "queue", "trunk", "voicemail" */
const char *ivr_route_kind_name(ivr_route_kind_t kind);

/* "path: reason" lines, one per error, into buf (cut to fit). For ccctl and logs. */
void ivr_flow_errors_format(const ivr_flow_errors_t *errors, char *buf, size_t buflen);

#endif
