/* wd_auth.h - who is who in webd: the web users and API tokens (as loaded from Postgres and
 * reloaded on NOTIFY), the live sessions, and turning a request's cookie or bearer token
 * into a principal (wd_route.h). Secrets are only ever held as SHA-256 (tokens, session
 * ids) or Argon2id (passwords; checked by the caller off the event loop). Pure apart from
 * libsodium's hashing and random numbers: no sockets, no SQL. */
#ifndef WD_AUTH_H
#define WD_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "wb_core.h"
#include "wd_route.h"

#define WD_KEY_HEX 65    /* SHA-256 as hex + NUL */
#define WD_SECRET_B64 48 /* 32 random bytes, base64url without padding + NUL */

typedef struct {
    char name[65];
    wd_role_t role;
    json_t *queues; /* array of names, or NULL: every queue */
    char ext[32];
    char hash[160]; /* $argon2id$... */
    bool disabled;
} wd_user_t;

typedef struct {
    char key[WD_KEY_HEX]; /* SHA-256 of the cookie */
    char user[65];
    char csrf[WD_SECRET_B64];
    char address[64];
    int64_t created_us, expires_us;
} wd_session_t;

typedef struct wd_auth wd_auth_t;

wd_auth_t *wd_auth_new(void);
void wd_auth_destroy(wd_auth_t **self_p);

/* Replace the users / tokens with rows from Postgres:
 *   users:  [{name, role, queues: [..]|null, ext, password_hash, disabled}]
 *   tokens: [{name, role, queues, token_sha256, expires_ms: int|null}]
 * Sessions of users that are gone or disabled stop working at once (the caller deletes
 * their rows). 0 or -1 (bad rows are skipped and counted in *skipped). */
int wd_auth_set_users(wd_auth_t *self, json_t *rows, int *skipped);
int wd_auth_set_tokens(wd_auth_t *self, json_t *rows, int *skipped);
const wd_user_t *wd_auth_user(const wd_auth_t *self, const char *name);

/* Sessions: add one loaded from Postgres ([{id_sha256, user_name, csrf, address,
 * created_ms, expires_ms}]) or made at login; find; drop. */
int wd_auth_add_session(wd_auth_t *self, const wd_session_t *s);
const wd_session_t *wd_auth_session(const wd_auth_t *self, const char *key, int64_t now_us);
void wd_auth_drop_session(wd_auth_t *self, const char *key);
/* Keys of the sessions of users that no longer exist or are disabled, or expired: the
 * caller drops them (and their rows). Returns how many were written to keys (<= max). */
size_t wd_auth_stale_sessions(const wd_auth_t *self, int64_t now_us, char (*keys)[WD_KEY_HEX],
                              size_t max);
size_t wd_auth_session_count(const wd_auth_t *self);

/* A new session for user at address: fresh random id (returned in cookie, base64url) and
 * CSRF token; the caller stores the row. */
int wd_auth_new_session(wd_auth_t *self, const char *user, const char *address, int64_t now_us,
                        int ttl_s, char cookie[WD_SECRET_B64], wd_session_t *out);

/* Hex SHA-256 of a secret (cookie or token). */
void wd_auth_key(const char *secret, char key[WD_KEY_HEX]);
/* 32 random bytes as base64url. */
void wd_auth_random(char out[WD_SECRET_B64]);

/* The principal of a request: from the session cookie, else the bearer token (either may
 * be NULL). Not authenticated when neither is valid now. */
void wd_auth_principal(const wd_auth_t *self, const wb_core_t *core, const char *cookie,
                       const char *bearer, int64_t now_us, wd_principal_t *out);
/* Whether the session or token behind a principal still holds; if so its role and queues
 * are brought up to date (streams keep their principal while they live). */
bool wd_auth_refresh(const wd_auth_t *self, const wb_core_t *core, wd_principal_t *who,
                     int64_t now_us);
/* Fill the queue parts of a principal from a list of names (NULL: every queue). */
void wd_auth_scope(wd_principal_t *who, const wb_core_t *core, json_t *queues);

#endif
