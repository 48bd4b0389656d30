/* sp_directory.c - users/trunks/dialplan snapshot (see sp_directory.h). Users live in an
 * open hash table sized at insert time; trunks are few and scanned. */
#include "sp_directory.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sp_directory {
    sp_user_t *users;  /* open addressing, ext[0] == 0 means empty */
    size_t user_cap, user_count;
    sp_trunk_t *trunks;
    size_t trunk_cap, trunk_count;
    cc_dialplan_t *dialplan;
};

sp_directory_t *sp_directory_new(void)
{
    sp_directory_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->dialplan = cc_dialplan_new();
    if (!self->dialplan) {
        free(self);
        return NULL;
    }
    return self;
}

void sp_directory_destroy(sp_directory_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sp_directory_t *self = *self_p;
    free(self->users);
    free(self->trunks);
    cc_dialplan_destroy(&self->dialplan);
    free(self);
    *self_p = NULL;
}

static uint32_t s_hash(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

static sp_user_t *s_slot(sp_user_t *table, size_t cap, const char *ext)
{
    size_t i = s_hash(ext) & (cap - 1);
    while (table[i].ext[0] && strcmp(table[i].ext, ext) != 0)
        i = (i + 1) & (cap - 1);
    return &table[i];
}

static int s_grow(sp_directory_t *self)
{
    size_t cap = self->user_cap ? self->user_cap * 2 : 64;
    sp_user_t *table = calloc(cap, sizeof *table);
    if (!table)
        return -1;
    for (size_t i = 0; i < self->user_cap; i++)
        if (self->users[i].ext[0])
            *s_slot(table, cap, self->users[i].ext) = self->users[i];
    free(self->users);
    self->users = table;
    self->user_cap = cap;
    return 0;
}

int sp_directory_add_user(sp_directory_t *self, const sp_user_t *user)
{
    if (!user->ext[0])
        return -1;
    if ((self->user_count + 1) * 2 > self->user_cap && s_grow(self) < 0)
        return -1;
    sp_user_t *slot = s_slot(self->users, self->user_cap, user->ext);
    if (!slot->ext[0])
        self->user_count++;
    *slot = *user;
    return 0;
}

int sp_directory_add_trunk(sp_directory_t *self, const sp_trunk_t *trunk)
{
    if (self->trunk_count == self->trunk_cap) {
        size_t cap = self->trunk_cap ? self->trunk_cap * 2 : 8;
        sp_trunk_t *t = realloc(self->trunks, cap * sizeof *t);
        if (!t)
            return -1;
        self->trunks = t;
        self->trunk_cap = cap;
    }
    self->trunks[self->trunk_count++] = *trunk;
    return 0;
}

void sp_directory_set_dialplan(sp_directory_t *self, cc_dialplan_t **dialplan_p)
{
    cc_dialplan_destroy(&self->dialplan);
    self->dialplan = *dialplan_p;
    *dialplan_p = NULL;
}

const sp_user_t *sp_directory_user(const sp_directory_t *self, const char *ext)
{
    if (!self->user_cap || !ext || !ext[0])
        return NULL;
    sp_user_t *slot = s_slot(self->users, self->user_cap, ext);
    return slot->ext[0] ? slot : NULL;
}

const sp_trunk_t *sp_directory_trunk(const sp_directory_t *self, const char *name)
{
    for (size_t i = 0; i < self->trunk_count; i++)
        if (strcmp(self->trunks[i].name, name) == 0)
            return &self->trunks[i];
    return NULL;
}

const sp_trunk_t *sp_directory_trunk_at(const sp_directory_t *self, const char *ip, int port)
{
    for (size_t i = 0; i < self->trunk_count; i++) {
        const sp_trunk_t *t = &self->trunks[i];
        if (t->enabled && t->port == port && strcmp(t->host, ip) == 0)
            return t;
    }
    return NULL;
}

const cc_dialplan_t *sp_directory_dialplan(const sp_directory_t *self)
{
    return self->dialplan;
}

size_t sp_directory_user_count(const sp_directory_t *self)
{
    return self->user_count;
}

size_t sp_directory_trunk_count(const sp_directory_t *self)
{
    return self->trunk_count;
}
