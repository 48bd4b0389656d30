/* acd_map.h - string key -> pointer hash map for the ACD core (calls by id, agents by
 * extension, queues and skills by name). Open addressing; keys are borrowed and must live
 * as long as their entry (they point into the object stored). No ordering, no I/O. */
#ifndef ACD_MAP_H
#define ACD_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *key; /* NULL: empty slot */
    uint64_t hash;
    void *value;
} acd_map_slot_t;

typedef struct {
    acd_map_slot_t *slots;
    size_t cap; /* a power of two, or 0 before the first put */
    size_t count;
} acd_map_t;

void acd_map_init(acd_map_t *map);
void acd_map_free(acd_map_t *map); /* frees the table, not the values */
void *acd_map_get(const acd_map_t *map, const char *key);
/* 0, -EEXIST if the key is present, -ENOMEM. */
int acd_map_put(acd_map_t *map, const char *key, void *value);
/* Removes the entry and returns its value, or NULL if absent. */
void *acd_map_del(acd_map_t *map, const char *key);

#endif
