/* cc_map.h - the suite's one hash map: string keys (copied into the entry), void * values,
 * optionally owned. Every daemon's tables of calls, agents, users, contacts and pending
 * requests are cc_maps, so there is one hash, one growth policy and one way to iterate.
 * Pure: no I/O, no czmq, usable from any core.
 *
 * Separate chaining with the key stored in the entry (one allocation per entry) and the
 * full hash kept, so lookups compare strings only on a hash match and growth never
 * re-hashes a key. The table doubles past one entry per bucket and never shrinks, so
 * entries stay put while iterating; deleting the entry just returned by the iterator is
 * allowed (and is how a table is swept). */
#ifndef CC_MAP_H
#define CC_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cc_map cc_map_t;
typedef struct cc_map_entry cc_map_entry_t;

/* Called on a value when the map lets go of it (delete, replace, destroy). */
typedef void(cc_map_free_fn)(void *value);

/* NULL free_value: the map never frees values (they belong to someone else). */
cc_map_t *cc_map_new(cc_map_free_fn *free_value);
/* Frees every entry (and value, if owned). */
void cc_map_destroy(cc_map_t **self_p);

/* Insert or replace: an existing value for key is freed (if owned) and replaced.
 * Returns 0, or -ENOMEM (nothing changed). */
int cc_map_put(cc_map_t *self, const char *key, void *value);
/* Insert only: -EEXIST (nothing changed) when key is present. 0 or -ENOMEM otherwise. */
int cc_map_insert(cc_map_t *self, const char *key, void *value);
/* The value for key, or NULL. */
void *cc_map_get(const cc_map_t *self, const char *key);
bool cc_map_has(const cc_map_t *self, const char *key);
/* Remove key and return its value without freeing it (NULL if absent). */
void *cc_map_take(cc_map_t *self, const char *key);
/* Remove key, freeing its value if owned. True if it was there. */
bool cc_map_delete(cc_map_t *self, const char *key);
/* Remove every entry (values freed if owned); the table keeps its size. */
void cc_map_clear(cc_map_t *self);
size_t cc_map_size(const cc_map_t *self);

/* Iteration in no particular order:
 *     cc_map_iter_t it = cc_map_iter(map);
 *     for (cc_map_entry_t *e; (e = cc_map_next(&it));) use(cc_map_key(e), cc_map_value(e));
 * Inserting while iterating is not allowed (the table may grow); deleting the entry that
 * cc_map_next just returned is. */
typedef struct {
    cc_map_t *map;
    size_t bucket;
    cc_map_entry_t *next;
} cc_map_iter_t;
cc_map_iter_t cc_map_iter(cc_map_t *self);
cc_map_entry_t *cc_map_next(cc_map_iter_t *it);
const char *cc_map_key(const cc_map_entry_t *e);
void *cc_map_value(const cc_map_entry_t *e);
/* Replace an entry's value in place (the old one is not freed). */
void cc_map_set_value(cc_map_entry_t *e, void *value);

/* The hash cc_map uses (64-bit FNV-1a), for cores that need a stable string hash. */
uint64_t cc_map_hash(const char *key);

#endif
