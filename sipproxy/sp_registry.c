/* sp_registry.c - bindings per extension (see sp_registry.h): a cc_map from extension to
 * that user's contacts (at most SP_MAX_CONTACTS, kept in a small array). An extension
 * whose last binding goes is dropped from the map. */
#include "sp_registry.h"

#include <stdlib.h>
#include <string.h>

#include "cc_map.h"

typedef struct {
    int count;
    sp_contact_t contacts[SP_MAX_CONTACTS];
} s_aor_t;

struct sp_registry {
    cc_map_t *aors; /* ext -> s_aor_t (owned) */
    size_t total;
    sp_registry_removed_fn *removed_fn;
    void *removed_arg;
};

void sp_registry_on_removed(sp_registry_t *self, sp_registry_removed_fn *fn, void *arg)
{
    self->removed_fn = fn;
    self->removed_arg = arg;
}

sp_registry_t *sp_registry_new(void)
{
    sp_registry_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->aors = cc_map_new(free);
    if (!self->aors) {
        free(self);
        return NULL;
    }
    return self;
}

void sp_registry_destroy(sp_registry_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cc_map_destroy(&(*self_p)->aors);
    free(*self_p);
    *self_p = NULL;
}

static void s_remove_at(sp_registry_t *self, s_aor_t *a, int i, const char *reason)
{
    if (self->removed_fn)
        self->removed_fn(&a->contacts[i], reason, self->removed_arg);
    a->contacts[i] = a->contacts[a->count - 1];
    a->count--;
    self->total--;
}

int sp_registry_bind(sp_registry_t *self, const sp_contact_t *c, uint64_t now_s)
{
    s_aor_t *a = cc_map_get(self->aors, c->ext);
    if (!a) {
        a = calloc(1, sizeof *a);
        if (!a || cc_map_insert(self->aors, c->ext, a) != 0) {
            free(a);
            return -1;
        }
    }
    for (int i = 0; i < a->count; i++)
        if (strcmp(a->contacts[i].uri, c->uri) == 0) {
            a->contacts[i] = *c;
            return 0;
        }
    for (int i = a->count - 1; i >= 0; i--) /* make room from expired ones first */
        if (a->contacts[i].expires_at <= now_s)
            s_remove_at(self, a, i, "expired");
    if (a->count == SP_MAX_CONTACTS) {
        int oldest = 0;
        for (int i = 1; i < a->count; i++)
            if (a->contacts[i].expires_at < a->contacts[oldest].expires_at)
                oldest = i;
        s_remove_at(self, a, oldest, "replaced");
    }
    a->contacts[a->count++] = *c;
    self->total++;
    return 1;
}

int sp_registry_unbind(sp_registry_t *self, const char *ext, const char *uri)
{
    s_aor_t *a = cc_map_get(self->aors, ext);
    for (int i = 0; a && i < a->count; i++)
        if (strcmp(a->contacts[i].uri, uri) == 0) {
            s_remove_at(self, a, i, "unregistered");
            if (a->count == 0)
                cc_map_delete(self->aors, ext);
            return 0;
        }
    return -1;
}

int sp_registry_unbind_all(sp_registry_t *self, const char *ext)
{
    s_aor_t *a = cc_map_get(self->aors, ext);
    if (!a)
        return 0;
    int n = a->count;
    while (a->count > 0)
        s_remove_at(self, a, a->count - 1, "unregistered");
    cc_map_delete(self->aors, ext);
    return n;
}

size_t sp_registry_lookup(const sp_registry_t *self, const char *ext, uint64_t now_s,
                          sp_contact_t *out, size_t max)
{
    const s_aor_t *a = cc_map_get(self->aors, ext);
    size_t n = 0;
    for (int i = 0; a && i < a->count && n < max; i++)
        if (a->contacts[i].expires_at > now_s)
            out[n++] = a->contacts[i];
    return n;
}

size_t sp_registry_expire(sp_registry_t *self, uint64_t now_s, sp_registry_expired_fn *fn,
                          void *arg)
{
    size_t dropped = 0;
    cc_map_iter_t it = cc_map_iter(self->aors);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        s_aor_t *a = cc_map_value(e);
        for (int i = a->count - 1; i >= 0; i--)
            if (a->contacts[i].expires_at <= now_s) {
                if (fn)
                    fn(&a->contacts[i], arg);
                s_remove_at(self, a, i, "expired");
                dropped++;
            }
        if (a->count == 0) /* the entry just returned: deleting it is allowed */
            cc_map_delete(self->aors, cc_map_key(e));
    }
    return dropped;
}

size_t sp_registry_count(const sp_registry_t *self)
{
    return self->total;
}
