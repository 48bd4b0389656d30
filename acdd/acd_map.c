/* acd_map.c - linear-probing hash map with backward-shift deletion (no tombstones, so
 * lookups stay short however many calls come and go). Grows at 50% load, never shrinks:
 * in steady state a put allocates nothing. */
#include "acd_map.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static uint64_t s_hash(const char *key)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

void acd_map_init(acd_map_t *map)
{
    memset(map, 0, sizeof *map);
}

void acd_map_free(acd_map_t *map)
{
    free(map->slots);
    acd_map_init(map);
}

static acd_map_slot_t *s_find(const acd_map_t *map, const char *key, uint64_t hash)
{
    if (!map->cap) return NULL;
    size_t mask = map->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        acd_map_slot_t *slot = &map->slots[i];
        if (!slot->key) return NULL;
        if (slot->hash == hash && strcmp(slot->key, key) == 0) return slot;
    }
}

void *acd_map_get(const acd_map_t *map, const char *key)
{
    acd_map_slot_t *slot = s_find(map, key, s_hash(key));
    return slot ? slot->value : NULL;
}

static void s_place(acd_map_slot_t *slots, size_t cap, const acd_map_slot_t *entry)
{
    size_t mask = cap - 1, i = entry->hash & mask;
    while (slots[i].key)
        i = (i + 1) & mask;
    slots[i] = *entry;
}

static int s_grow(acd_map_t *map)
{
    size_t cap = map->cap ? map->cap * 2 : 64;
    acd_map_slot_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return -ENOMEM;
    for (size_t i = 0; i < map->cap; i++)
        if (map->slots[i].key) s_place(slots, cap, &map->slots[i]);
    free(map->slots);
    map->slots = slots;
    map->cap = cap;
    return 0;
}

int acd_map_put(acd_map_t *map, const char *key, void *value)
{
    uint64_t hash = s_hash(key);
    if (s_find(map, key, hash)) return -EEXIST;
    if ((map->count + 1) * 2 > map->cap && s_grow(map) < 0) return -ENOMEM;
    acd_map_slot_t entry = {.key = key, .hash = hash, .value = value};
    s_place(map->slots, map->cap, &entry);
    map->count++;
    return 0;
}

/* True if home slot k lies cyclically in (hole, j]: the entry at j may not move to hole. */
static bool s_stays(size_t k, size_t hole, size_t j)
{
    if (hole <= j) return hole < k && k <= j;
    return hole < k || k <= j;
}

void *acd_map_del(acd_map_t *map, const char *key)
{
    acd_map_slot_t *slot = s_find(map, key, s_hash(key));
    if (!slot) return NULL;
    void *value = slot->value;
    size_t mask = map->cap - 1, hole = (size_t)(slot - map->slots);
    for (size_t j = (hole + 1) & mask; map->slots[j].key; j = (j + 1) & mask) {
        size_t home = map->slots[j].hash & mask;
        if (s_stays(home, hole, j)) continue;
        map->slots[hole] = map->slots[j];
        hole = j;
    }
    map->slots[hole].key = NULL;
    map->slots[hole].value = NULL;
    map->count--;
    return value;
}
