/* wd_route.h - webd's authorisation in one place: the route table (method, path, the roles
 * allowed, CSRF, the scope checks, the fields accepted, the audit action, the handler) and
 * the pure functions that match a request against it and decide, in a fixed order,
 * 404 / 405 / 401 / 403 / 413 / 400 before any handler runs. Handlers never check roles.
 * The table itself is in wd_routes.c; the HTTP adapter (wd_http.c) applies the decisions. */
#ifndef WD_ROUTE_H
#define WD_ROUTE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "wb_core.h"

typedef enum {
    WD_ROLE_AGENT = 1,
    WD_ROLE_SUPERVISOR = 2,
    WD_ROLE_ADMIN = 4,
} wd_role_t;
#define WD_ROLES_STAFF (WD_ROLE_SUPERVISOR | WD_ROLE_ADMIN)
#define WD_ROLES_ANY (WD_ROLE_AGENT | WD_ROLE_SUPERVISOR | WD_ROLE_ADMIN)

const char *wd_role_name(wd_role_t role);
int wd_role_parse(const char *text, wd_role_t *out); /* 0 or -1 */

/* Who is asking: a logged-in user (session cookie) or an API token. */
typedef struct {
    bool authenticated;
    bool is_token;
    char name[80]; /* user name, or "token:NAME" */
    wd_role_t role;
    bool all_queues;       /* sees every queue */
    wb_qset_t qset;        /* otherwise these (by the core's queue index) */
    char queues_sql[1024]; /* the same as a Postgres array literal, for SQL filters */
    char ext[32];          /* agent role: its extension */
    char csrf[64];         /* session: the token state-changing requests must echo */
    char session_key[65];  /* SHA-256 (hex) of the session cookie or the token */
} wd_principal_t;

/* Fields a route accepts (a JSON body for POST, the query string for GET). */
typedef enum {
    WD_F_STRING = 0,
    WD_F_INT,
    WD_F_BOOL,
    WD_F_TIME,
    WD_F_NUMBER, /* integer or decimal: its range is the handler's to judge */
    WD_F_LIST    /* array of up to WD_LIST_MAX strings, each as a STRING field */
} wd_ftype_t;
#define WD_LIST_MAX 32
typedef enum {
    WD_CS_TEXT = 0, /* printable, no control characters */
    WD_CS_NAME,     /* A-Z a-z 0-9 _ . - (queues, reasons) */
    WD_CS_USER,     /* A-Z a-z 0-9 _ . @ - */
    WD_CS_DIGITS,   /* extensions */
    WD_CS_NUMBER,   /* dialled numbers: 0-9 * # + */
    WD_CS_NOTES,    /* as TEXT, and newlines and tabs (an agent's notes) */
} wd_charset_t;

typedef struct {
    const char *name;
    wd_ftype_t type;
    bool required;
    long min, max; /* INT: value bounds; STRING and LIST items: length bounds */
    wd_charset_t charset;
    const char *const *choices; /* STRING: one of these (NULL-terminated), or NULL */
} wd_field_t;

/* Scope checks made before the handler, against the principal's queues. */
enum {
    WD_SCOPE_QUEUE = 1,      /* path {queue} */
    WD_SCOPE_AGENT = 2,      /* path {ext}: the agent serves one of the queues */
    WD_SCOPE_CALL = 4,       /* path {call_id}: the live call is in one of them */
    WD_SCOPE_BODY_QUEUE = 8, /* body field "queue", when given */
    WD_SCOPE_BODY_AGENT = 16 /* body field "agent", when given */
};

/* Route flags. */
enum {
    WD_R_CSRF = 1,   /* state-changing: sessions must send X-CSRF-Token */
    WD_R_LOGIN = 2,  /* the login itself: CSRF by the pre-login cookie (double submit) */
    WD_R_PAGE = 4,   /* an HTML page: 401 becomes a redirect to /login */
    WD_R_STREAM = 8, /* the live stream */
};

typedef struct wd_req wd_req_t;
typedef void(wd_handler_fn)(wd_req_t *req);

typedef struct {
    const char *method;       /* "GET", "POST" */
    const char *pattern;      /* "/api/queues/{queue}"; a trailing "*" matches the rest */
    unsigned roles;           /* WD_ROLE_* allowed; 0: public (no login) */
    unsigned flags;           /* WD_R_* */
    unsigned scope;           /* WD_SCOPE_* */
    const wd_field_t *fields; /* accepted fields, ending with {NULL}; NULL: none */
    const char *action;       /* audit action, NULL for reads */
    wd_handler_fn *fn;
} wd_route_t;

/* Path parameters ("{queue}" -> value), as decoded by libmicrohttpd. */
#define WD_PARAMS_MAX 4
typedef struct {
    const char *name[WD_PARAMS_MAX];
    char value[WD_PARAMS_MAX][160];
    int n;
} wd_params_t;
const char *wd_param(const wd_params_t *p, const char *name);

/* The table (wd_routes.c). */
const wd_route_t *wd_routes(size_t *count);

/* Find the route for method + path in table. 0 (found: *out, params), 404 (no route has
 * this path), 405 (a route has it with another method: allow lists them, "GET, POST"),
 * or 400 (a parameter too long or holding a control character). */
int wd_route_match(const wd_route_t *table, size_t n, const char *method, const char *path,
                   const wd_route_t **out, wd_params_t *params, char *allow, size_t allow_len);

/* Role and CSRF, in that order: 0, 401 (no or unknown session/token on a route that needs
 * one), 403 (wrong role, or a missing/wrong CSRF token: *why says which). csrf_header is
 * X-CSRF-Token (NULL if absent); prelogin is the pre-login cookie (WD_R_LOGIN routes). */
int wd_route_authorize(const wd_route_t *r, const wd_principal_t *who, const char *csrf_header,
                       const char *prelogin, const char **why);

/* Whether the principal may see a queue / any of a set of queues. */
bool wd_scope_queue(const wd_principal_t *who, int queue_idx);
bool wd_scope_set(const wd_principal_t *who, const wb_qset_t *set);

/* Validate an object of fields (body, or query arguments as strings) against the route's
 * list: unknown fields, missing required ones, wrong types, out of bounds, bad characters.
 * Query values arrive as strings: INT and BOOL fields are converted in place. 0, or -1 with
 * the offending field in *field and a message in msg. */
int wd_fields_check(const wd_field_t *fields, json_t *obj, bool from_query, const char **field,
                    char *msg, size_t msglen);

/* An HTTP Range header ("bytes=A-B", "bytes=A-", "bytes=-N") against a body of len bytes:
 * 1 (one range: *from..*to, inclusive, clipped to the body), 0 (absent, malformed or
 * several ranges: send the whole body), -1 (not satisfiable: 416). */
int wd_range_parse(const char *header, size_t len, size_t *from, size_t *to);

/* Constant-time comparison of two NUL-terminated secrets. */
bool wd_secret_equal(const char *a, const char *b);

#endif
