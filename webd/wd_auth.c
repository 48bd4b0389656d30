/* wd_auth.c - users, tokens and sessions in memory, and the principal of a request (see
 * wd_auth.h). */
#include "wd_auth.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_map.h"
#include "wb_json.h"

typedef struct {
    char name[65];
    wd_role_t role;
    json_t *queues;
    int64_t expires_us; /* 0: never */
} s_token_t;

struct wd_auth {
    cc_map_t *users;    /* name -> wd_user_t */
    cc_map_t *tokens;   /* sha256 hex -> s_token_t */
    cc_map_t *sessions; /* sha256 hex -> wd_session_t */
};

static void s_user_free(void *p)
{
    wd_user_t *u = p;
    json_decref(u->queues);
    free(u);
}

static void s_token_free(void *p)
{
    s_token_t *t = p;
    json_decref(t->queues);
    free(t);
}

wd_auth_t *wd_auth_new(void)
{
    wd_auth_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->users = cc_map_new(s_user_free);
    self->tokens = cc_map_new(s_token_free);
    self->sessions = cc_map_new(free);
    if (!self->users || !self->tokens || !self->sessions)
        wd_auth_destroy(&self);
    return self;
}

void wd_auth_destroy(wd_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cc_map_destroy(&(*self_p)->users);
    cc_map_destroy(&(*self_p)->tokens);
    cc_map_destroy(&(*self_p)->sessions);
    free(*self_p);
    *self_p = NULL;
}

/* The queues column: an array of strings, or null for every queue. */
static json_t *s_queues(json_t *v, bool *ok)
{
    *ok = true;
    if (!v || json_is_null(v))
        return NULL;
    size_t i;
    json_t *q;
    json_array_foreach(v, i, q) if (!json_is_string(q)) *ok = false;
    if (!json_is_array(v))
        *ok = false;
    return *ok ? json_incref(v) : NULL;
}

static const char *s_str(json_t *row, const char *key)
{
    const char *v = json_string_value(json_object_get(row, key));
    return v ? v : "";
}

/* A user or token from its row, with the key it is found by; NULL if the row is bad. */
typedef void *(s_parse_fn)(json_t *row, const char **key);

static void *s_parse_user(json_t *row, const char **key)
{
    wd_user_t *u = calloc(1, sizeof *u);
    bool ok = u != NULL;
    if (ok) {
        snprintf(u->name, sizeof u->name, "%s", s_str(row, "name"));
        snprintf(u->ext, sizeof u->ext, "%s", s_str(row, "ext"));
        snprintf(u->hash, sizeof u->hash, "%s", s_str(row, "password_hash"));
        u->disabled = json_is_true(json_object_get(row, "disabled"));
        u->queues = s_queues(json_object_get(row, "queues"), &ok);
        ok = ok && u->name[0] && wd_role_parse(s_str(row, "role"), &u->role) == 0;
    }
    if (!ok && u) {
        s_user_free(u);
        u = NULL;
    }
    *key = u ? u->name : NULL;
    return u;
}

static void *s_parse_token(json_t *row, const char **key)
{
    s_token_t *t = calloc(1, sizeof *t);
    bool ok = t != NULL;
    *key = s_str(row, "token_sha256");
    if (ok) {
        snprintf(t->name, sizeof t->name, "%s", s_str(row, "name"));
        t->expires_us = (int64_t)json_integer_value(json_object_get(row, "expires_ms")) * 1000;
        t->queues = s_queues(json_object_get(row, "queues"), &ok);
        ok = ok && strlen(*key) == 64 && wd_role_parse(s_str(row, "role"), &t->role) == 0;
    }
    if (!ok && t) {
        s_token_free(t);
        t = NULL;
    }
    return t;
}

/* Replace *map by one built from rows; rows that do not parse are counted, not loaded. */
static int s_replace(cc_map_t **map, cc_map_free_fn *free_fn, json_t *rows, s_parse_fn *parse,
                     int *skipped)
{
    *skipped = 0;
    cc_map_t *fresh = cc_map_new(free_fn);
    if (!fresh)
        return -1;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *key;
        void *item = parse(row, &key);
        if (!item || cc_map_put(fresh, key, item) != 0) {
            if (item)
                free_fn(item);
            (*skipped)++;
        }
    }
    cc_map_destroy(map);
    *map = fresh;
    return 0;
}

int wd_auth_set_users(wd_auth_t *self, json_t *rows, int *skipped)
{
    return s_replace(&self->users, s_user_free, rows, s_parse_user, skipped);
}

int wd_auth_set_tokens(wd_auth_t *self, json_t *rows, int *skipped)
{
    return s_replace(&self->tokens, s_token_free, rows, s_parse_token, skipped);
}

const wd_user_t *wd_auth_user(const wd_auth_t *self, const char *name)
{
    return name ? cc_map_get(self->users, name) : NULL;
}

int wd_auth_add_session(wd_auth_t *self, const wd_session_t *s)
{
    wd_session_t *copy = malloc(sizeof *copy);
    if (!copy)
        return -1;
    *copy = *s;
    return cc_map_put(self->sessions, copy->key, copy);
}

const wd_session_t *wd_auth_session(const wd_auth_t *self, const char *key, int64_t now_us)
{
    const wd_session_t *s = key ? cc_map_get(self->sessions, key) : NULL;
    return s && s->expires_us > now_us ? s : NULL;
}

void wd_auth_drop_session(wd_auth_t *self, const char *key)
{
    cc_map_delete(self->sessions, key);
}

size_t wd_auth_session_count(const wd_auth_t *self)
{
    return cc_map_size(self->sessions);
}

size_t wd_auth_stale_sessions(const wd_auth_t *self, int64_t now_us, char (*keys)[WD_KEY_HEX],
                              size_t max)
{
    size_t n = 0;
    cc_map_iter_t it = cc_map_iter(self->sessions);
    for (cc_map_entry_t *e; n < max && (e = cc_map_next(&it));) {
        const wd_session_t *s = cc_map_value(e);
        const wd_user_t *u = cc_map_get(self->users, s->user);
        if (s->expires_us <= now_us || !u || u->disabled)
            snprintf(keys[n++], WD_KEY_HEX, "%s", s->key);
    }
    return n;
}

void wd_auth_key(const char *secret, char key[WD_KEY_HEX])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)secret, strlen(secret));
    sodium_bin2hex(key, WD_KEY_HEX, digest, sizeof digest);
}

void wd_auth_random(char out[WD_SECRET_B64])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, WD_SECRET_B64, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

int wd_auth_new_session(wd_auth_t *self, const char *user, const char *address, int64_t now_us,
                        int ttl_s, char cookie[WD_SECRET_B64], wd_session_t *out)
{
    memset(out, 0, sizeof *out);
    wd_auth_random(cookie);
    wd_auth_key(cookie, out->key);
    wd_auth_random(out->csrf);
    snprintf(out->user, sizeof out->user, "%s", user);
    snprintf(out->address, sizeof out->address, "%s", address);
    out->created_us = now_us;
    out->expires_us = now_us + (int64_t)ttl_s * 1000000;
    return wd_auth_add_session(self, out);
}

/* An agent sees what concerns the queues its extension serves (its own tile, its calls,
 * its colleagues' states): never a queue by the user's --queues, never all of them. */
static void s_agent_scope(wd_principal_t *who, const wb_core_t *core)
{
    memset(&who->qset, 0, sizeof who->qset);
    who->all_queues = false;
    const wb_agent_t *a = who->ext[0] ? wb_core_agent(core, who->ext) : NULL;
    size_t used = (size_t)snprintf(who->queues_sql, sizeof who->queues_sql, "{");
    size_t pos = 0;
    for (const wb_queue_t *q; a && (q = wb_core_next_queue(core, &pos));) {
        if (!wb_qset_has(&a->queues, q->idx))
            continue;
        wb_qset_add(&who->qset, q->idx);
        if (used + strlen(q->name) + 4 < sizeof who->queues_sql)
            used += (size_t)snprintf(who->queues_sql + used, sizeof who->queues_sql - used,
                                     "%s\"%s\"", used > 1 ? "," : "", q->name);
    }
    snprintf(who->queues_sql + used, sizeof who->queues_sql - used, "}");
}

void wd_auth_scope(wd_principal_t *who, const wb_core_t *core, json_t *queues)
{
    if (who->role == WD_ROLE_AGENT) {
        s_agent_scope(who, core);
        return;
    }
    memset(&who->qset, 0, sizeof who->qset);
    who->all_queues = queues == NULL;
    size_t used = (size_t)snprintf(who->queues_sql, sizeof who->queues_sql, "{");
    size_t i;
    json_t *q;
    json_array_foreach(queues, i, q)
    {
        const char *name = json_string_value(q);
        wb_qset_add(&who->qset, wb_queue_index(core, name));
        if (used + strlen(name) + 4 < sizeof who->queues_sql)
            used += (size_t)snprintf(who->queues_sql + used, sizeof who->queues_sql - used,
                                     "%s\"%s\"", i ? "," : "", name);
    }
    snprintf(who->queues_sql + used, sizeof who->queues_sql - used, "}");
}

void wd_auth_principal(const wd_auth_t *self, const wb_core_t *core, const char *cookie,
                       const char *bearer, int64_t now_us, wd_principal_t *out)
{
    memset(out, 0, sizeof *out);
    char key[WD_KEY_HEX];
    if (cookie && *cookie) {
        wd_auth_key(cookie, key);
        const wd_session_t *s = wd_auth_session(self, key, now_us);
        const wd_user_t *u = s ? cc_map_get(self->users, s->user) : NULL;
        if (u && !u->disabled) {
            out->authenticated = true;
            snprintf(out->name, sizeof out->name, "%s", u->name);
            out->role = u->role;
            snprintf(out->ext, sizeof out->ext, "%s", u->ext);
            snprintf(out->csrf, sizeof out->csrf, "%s", s->csrf);
            snprintf(out->session_key, sizeof out->session_key, "%s", key);
            wd_auth_scope(out, core, u->queues);
            return;
        }
    }
    if (bearer && *bearer) {
        wd_auth_key(bearer, key);
        const s_token_t *t = cc_map_get(self->tokens, key);
        if (t && (t->expires_us == 0 || t->expires_us > now_us)) {
            out->authenticated = true;
            out->is_token = true;
            snprintf(out->session_key, sizeof out->session_key, "%s", key);
            snprintf(out->name, sizeof out->name, "token:%s", t->name);
            out->role = t->role;
            wd_auth_scope(out, core, t->queues);
        }
    }
}

bool wd_auth_refresh(const wd_auth_t *self, const wb_core_t *core, wd_principal_t *who,
                     int64_t now_us)
{
    if (who->is_token) {
        const s_token_t *t = cc_map_get(self->tokens, who->session_key);
        if (!t || (t->expires_us != 0 && t->expires_us <= now_us))
            return false;
        who->role = t->role;
        wd_auth_scope(who, core, t->queues);
        return true;
    }
    const wd_session_t *s = wd_auth_session(self, who->session_key, now_us);
    const wd_user_t *u = s ? cc_map_get(self->users, s->user) : NULL;
    if (!u || u->disabled)
        return false;
    who->role = u->role;
    wd_auth_scope(who, core, u->queues);
    return true;
}
