/* cc_map.c - string-keyed hash map with chained buckets (see cc_map.h). Owns the entries
 * and the bucket array; values belong to the map only when it was given a free function. */
#include "cc_map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define S_MIN_BUCKETS 16

struct cc_map_entry {
    cc_map_entry_t *next;
    uint64_t hash;
    void *value;
    char key[]; /* NUL-terminated copy */
};

struct cc_map {
    cc_map_entry_t **buckets;
    size_t nbuckets; /* a power of two */
    size_t size;
    cc_map_free_fn *free_value;
};

uint64_t cc_map_hash(const char *key)
{
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

cc_map_t *cc_map_new(cc_map_free_fn *free_value)
{
    cc_map_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->buckets = calloc(S_MIN_BUCKETS, sizeof *self->buckets);
    if (!self->buckets) {
        free(self);
        return NULL;
    }
    self->nbuckets = S_MIN_BUCKETS;
    self->free_value = free_value;
    return self;
}

void cc_map_clear(cc_map_t *self)
{
    for (size_t b = 0; b < self->nbuckets; b++) {
        cc_map_entry_t *e = self->buckets[b];
        while (e) {
            cc_map_entry_t *next = e->next;
            if (self->free_value && e->value)
                self->free_value(e->value);
            free(e);
            e = next;
        }
        self->buckets[b] = NULL;
    }
    self->size = 0;
}

void cc_map_destroy(cc_map_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cc_map_t *self = *self_p;
    cc_map_clear(self);
    free(self->buckets);
    free(self);
    *self_p = NULL;
}

static cc_map_entry_t **s_slot(const cc_map_t *self, const char *key, uint64_t hash)
{
    cc_map_entry_t **pp = &self->buckets[hash & (self->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->hash == hash && strcmp((*pp)->key, key) == 0)
            break;
    return pp;
}

/* Double the bucket array; on allocation failure the map just stays denser. */
static void s_grow(cc_map_t *self)
{
    size_t n = self->nbuckets * 2;
    cc_map_entry_t **nb = calloc(n, sizeof *nb);
    if (!nb)
        return;
    for (size_t b = 0; b < self->nbuckets; b++) {
        cc_map_entry_t *e = self->buckets[b];
        while (e) {
            cc_map_entry_t *next = e->next;
            cc_map_entry_t **head = &nb[e->hash & (n - 1)];
            e->next = *head;
            *head = e;
            e = next;
        }
    }
    free(self->buckets);
    self->buckets = nb;
    self->nbuckets = n;
}

static int s_add(cc_map_t *self, const char *key, void *value, bool replace)
{
    uint64_t hash = cc_map_hash(key);
    cc_map_entry_t **pp = s_slot(self, key, hash);
    if (*pp) {
        if (!replace)
            return -EEXIST;
        if (self->free_value && (*pp)->value && (*pp)->value != value)
            self->free_value((*pp)->value);
        (*pp)->value = value;
        return 0;
    }
    size_t klen = strlen(key);
    cc_map_entry_t *e = malloc(sizeof *e + klen + 1);
    if (!e)
        return -ENOMEM;
    e->hash = hash;
    e->value = value;
    memcpy(e->key, key, klen + 1);
    e->next = NULL;
    *pp = e;
    if (++self->size > self->nbuckets)
        s_grow(self);
    return 0;
}

int cc_map_put(cc_map_t *self, const char *key, void *value)
{
    return s_add(self, key, value, true);
}

int cc_map_insert(cc_map_t *self, const char *key, void *value)
{
    return s_add(self, key, value, false);
}

void *cc_map_get(const cc_map_t *self, const char *key)
{
    cc_map_entry_t *e = *s_slot(self, key, cc_map_hash(key));
    return e ? e->value : NULL;
}

bool cc_map_has(const cc_map_t *self, const char *key)
{
    return *s_slot(self, key, cc_map_hash(key)) != NULL;
}

void *cc_map_take(cc_map_t *self, const char *key)
{
    cc_map_entry_t **pp = s_slot(self, key, cc_map_hash(key));
    cc_map_entry_t *e = *pp;
    if (!e)
        return NULL;
    void *value = e->value;
    *pp = e->next;
    free(e);
    self->size--;
    return value;
}

bool cc_map_delete(cc_map_t *self, const char *key)
{
    cc_map_entry_t **pp = s_slot(self, key, cc_map_hash(key));
    cc_map_entry_t *e = *pp;
    if (!e)
        return false;
    *pp = e->next;
    if (self->free_value && e->value)
        self->free_value(e->value);
    free(e);
    self->size--;
    return true;
}

size_t cc_map_size(const cc_map_t *self)
{
    return self->size;
}

cc_map_iter_t cc_map_iter(cc_map_t *self)
{
    cc_map_iter_t it = {self, 0, NULL};
    while (it.bucket < self->nbuckets && !(it.next = self->buckets[it.bucket]))
        it.bucket++;
    return it;
}

/* The iterator always holds the entry after the one it returns, so the caller may delete
 * what it was given. */
cc_map_entry_t *cc_map_next(cc_map_iter_t *it)
{
    cc_map_entry_t *e = it->next;
    if (!e)
        return NULL;
    it->next = e->next;
    while (!it->next && ++it->bucket < it->map->nbuckets)
        it->next = it->map->buckets[it->bucket];
    return e;
}

const char *cc_map_key(const cc_map_entry_t *e)
{
    return e->key;
}

void *cc_map_value(const cc_map_entry_t *e)
{
    return e->value;
}

void cc_map_set_value(cc_map_entry_t *e, void *value)
{
    e->value = value;
}
