/* sp_directory.c - users/trunks/dialplan snapshot (see sp_directory.h). Users live in a
 * cc_map by extension; trunks are few and scanned. */
#include "sp_directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_map.h"

struct sp_directory {
    cc_map_t *users; /* ext -> sp_user_t (owned) */
    sp_trunk_t *trunks;
    size_t trunk_cap, trunk_count;
    cc_dialplan_t *dialplan;
    sp_monitor_acl_t *monitor_acl;
    cc_screen_t *screen;
    cc_map_t *music;  /* ext -> its music on hold (owned strings); NULL until one is set */
    cc_map_t *pickup; /* ext -> its pickup group (owned strings); NULL until one is set */
    cc_map_t *divert; /* ext or group:NAME -> sp_divert_settings_t (owned) */
    cc_map_t *turns;  /* group:NAME -> unsigned calls so far (owned) */
};

sp_directory_t *sp_directory_new(void)
{
    sp_directory_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->dialplan = cc_dialplan_new();
    self->users = cc_map_new(free);
    self->monitor_acl = sp_monitor_acl_new();
    self->divert = cc_map_new(free);
    self->turns = cc_map_new(free);
    if (!self->dialplan || !self->users || !self->monitor_acl || !self->divert || !self->turns) {
        cc_map_destroy(&self->divert);
        cc_map_destroy(&self->turns);
        sp_monitor_acl_destroy(&self->monitor_acl);
        cc_dialplan_destroy(&self->dialplan);
        cc_map_destroy(&self->users);
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
    cc_map_destroy(&self->users);
    cc_map_destroy(&self->divert);
    cc_map_destroy(&self->turns);
    free(self->trunks);
    cc_dialplan_destroy(&self->dialplan);
    sp_monitor_acl_destroy(&self->monitor_acl);
    cc_screen_destroy(&self->screen);
    cc_map_destroy(&self->music);
    cc_map_destroy(&self->pickup);
    free(self);
    *self_p = NULL;
}

int sp_directory_add_user(sp_directory_t *self, const sp_user_t *user)
{
    if (!user->ext[0])
        return -1;
    sp_user_t *known = cc_map_get(self->users, user->ext);
    if (known) { /* a later row for the same extension replaces the earlier one */
        *known = *user;
        return 0;
    }
    sp_user_t *copy = malloc(sizeof *copy);
    if (!copy)
        return -1;
    *copy = *user;
    if (cc_map_insert(self->users, copy->ext, copy) != 0) {
        free(copy);
        return -1;
    }
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
    if (!ext || !ext[0])
        return NULL;
    return cc_map_get(self->users, ext);
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

void sp_directory_set_monitor_acl(sp_directory_t *self, sp_monitor_acl_t **acl_p)
{
    sp_monitor_acl_destroy(&self->monitor_acl);
    self->monitor_acl = *acl_p;
    *acl_p = NULL;
}

const sp_monitor_acl_t *sp_directory_monitor_acl(const sp_directory_t *self)
{
    return self->monitor_acl;
}

size_t sp_directory_user_count(const sp_directory_t *self)
{
    return cc_map_size(self->users);
}

size_t sp_directory_trunk_count(const sp_directory_t *self)
{
    return self->trunk_count;
}

void sp_directory_set_screen(sp_directory_t *self, cc_screen_t **screen_p)
{
    cc_screen_destroy(&self->screen);
    self->screen = *screen_p;
    *screen_p = NULL;
}

const cc_screen_t *sp_directory_screen(const sp_directory_t *self)
{
    return self->screen;
}

int sp_directory_set_user_music(sp_directory_t *self, const char *ext, const char *music)
{
    if (!self->music && !(self->music = cc_map_new(free)))
        return -1;
    char *copy = strdup(music);
    if (!copy || cc_map_put(self->music, ext, copy) != 0) {
        free(copy);
        return -1;
    }
    return 0;
}

int sp_directory_set_pickup_group(sp_directory_t *self, const char *ext, const char *group)
{
    if (!self->pickup && !(self->pickup = cc_map_new(free)))
        return -1;
    char *copy = strdup(group);
    if (!copy || cc_map_put(self->pickup, ext, copy) != 0) {
        free(copy);
        return -1;
    }
    return 0;
}

const char *sp_directory_pickup_group(const sp_directory_t *self, const char *ext)
{
    const char *g = self->pickup && ext ? cc_map_get(self->pickup, ext) : NULL;
    return g ? g : "";
}

int sp_directory_set_divert(sp_directory_t *self, const char *ext,
                            const sp_divert_settings_t *settings)
{
    sp_divert_settings_t *known = cc_map_get(self->divert, ext);
    if (known) {
        *known = *settings;
        return 0;
    }
    sp_divert_settings_t *copy = malloc(sizeof *copy);
    if (!copy)
        return -1;
    *copy = *settings;
    if (cc_map_put(self->divert, ext, copy) != 0) {
        free(copy);
        return -1;
    }
    return 0;
}

const char *sp_directory_user_music(const sp_directory_t *self, const char *ext)
{
    return self->music && ext ? cc_map_get(self->music, ext) : NULL;
}

const sp_divert_settings_t *sp_directory_divert(const sp_directory_t *self, const char *ext)
{
    return ext ? cc_map_get(self->divert, ext) : NULL;
}

unsigned sp_directory_group_turn(sp_directory_t *self, const char *key)
{
    unsigned *n = cc_map_get(self->turns, key);
    if (!n) {
        n = calloc(1, sizeof *n);
        if (!n || cc_map_put(self->turns, key, n) != 0) {
            free(n);
            return 0;
        }
    }
    return (*n)++;
}
