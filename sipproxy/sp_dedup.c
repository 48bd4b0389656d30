/* sp_dedup.c - recent INVITEs by merged-request key (see sp_dedup.h): a cc_map for the
 * lookups and a FIFO for expiry, since every entry lives the same window and so expires
 * in the order it was added. */
#include "sp_dedup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_map.h"

typedef struct s_entry {
    struct s_entry *next; /* FIFO, oldest first */
    uint64_t added_ms;
    int status;
    char *reply; /* the answer's bytes, for a stateless answer's retransmissions (or NULL) */
    size_t reply_len;
    char key[];
} s_entry_t;

struct sp_dedup {
    cc_map_t *map; /* key -> s_entry_t (not owned: the FIFO owns) */
    s_entry_t *head, **tail;
    uint64_t window_ms;
    size_t capacity;
};

sp_dedup_t *sp_dedup_new(uint64_t window_ms, size_t capacity)
{
    sp_dedup_t *self = calloc(1, sizeof *self);
    if (!self || !(self->map = cc_map_new(NULL))) {
        free(self);
        return NULL;
    }
    self->tail = &self->head;
    self->window_ms = window_ms;
    self->capacity = capacity ? capacity : 1;
    return self;
}

static void s_pop(sp_dedup_t *self)
{
    s_entry_t *e = self->head;
    cc_map_delete(self->map, e->key);
    self->head = e->next;
    if (!self->head)
        self->tail = &self->head;
    free(e->reply);
    free(e);
}

void sp_dedup_destroy(sp_dedup_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sp_dedup_t *self = *self_p;
    while (self->head)
        s_pop(self);
    cc_map_destroy(&self->map);
    free(self);
    *self_p = NULL;
}

void sp_dedup_key(char *buf, size_t len, const char *call_id, const char *from_tag, uint32_t cseq)
{
    if (!call_id || !*call_id)
        snprintf(buf, len, "%s", "");
    else
        snprintf(buf, len, "%s\x1f%s\x1f%u", call_id, from_tag ? from_tag : "", cseq);
}

void sp_dedup_expire(sp_dedup_t *self, uint64_t now_ms)
{
    while (self->head && now_ms - self->head->added_ms >= self->window_ms)
        s_pop(self);
}

int sp_dedup_seen(sp_dedup_t *self, const char *key, uint64_t now_ms)
{
    sp_dedup_expire(self, now_ms);
    const s_entry_t *e = key[0] ? cc_map_get(self->map, key) : NULL;
    return e ? e->status : -1;
}

static int s_add(sp_dedup_t *self, const char *key, uint64_t now_ms, const char *reply,
                 size_t reply_len)
{
    if (!key[0])
        return 0;
    sp_dedup_expire(self, now_ms);
    while (cc_map_size(self->map) >= self->capacity && self->head)
        s_pop(self);
    size_t klen = strlen(key);
    s_entry_t *e = malloc(sizeof *e + klen + 1);
    if (!e)
        return -ENOMEM;
    e->next = NULL;
    e->added_ms = now_ms;
    e->status = 0;
    e->reply = NULL;
    e->reply_len = 0;
    memcpy(e->key, key, klen + 1);
    if (reply && !(e->reply = malloc(reply_len ? reply_len : 1))) {
        free(e);
        return -ENOMEM;
    }
    if (reply) {
        memcpy(e->reply, reply, reply_len);
        e->reply_len = reply_len;
    }
    if (cc_map_insert(self->map, e->key, e) != 0) {
        free(e->reply); /* already there (or no memory): the older entry stands */
        free(e);
        return 0;
    }
    *self->tail = e;
    self->tail = &e->next;
    return 0;
}

int sp_dedup_add(sp_dedup_t *self, const char *key, uint64_t now_ms)
{
    return s_add(self, key, now_ms, NULL, 0);
}

int sp_dedup_add_reply(sp_dedup_t *self, const char *key, uint64_t now_ms, const char *reply,
                       size_t len)
{
    return s_add(self, key, now_ms, reply, len);
}

const char *sp_dedup_reply(sp_dedup_t *self, const char *key, uint64_t now_ms, size_t *len)
{
    sp_dedup_expire(self, now_ms);
    const s_entry_t *e = key[0] ? cc_map_get(self->map, key) : NULL;
    if (!e || !e->reply)
        return NULL;
    *len = e->reply_len;
    return e->reply;
}

void sp_dedup_final(sp_dedup_t *self, const char *key, int status)
{
    s_entry_t *e = key[0] ? cc_map_get(self->map, key) : NULL;
    if (e && e->status == 0)
        e->status = status;
}

size_t sp_dedup_count(const sp_dedup_t *self)
{
    return cc_map_size(self->map);
}
