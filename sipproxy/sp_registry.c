/* sp_registry.c - bindings per extension in a chained hash table (see sp_registry.h). */
#include "sp_registry.h"

#include <stdlib.h>
#include <string.h>

#define SP_REG_BUCKETS 4096

typedef struct s_aor {
    struct s_aor *next;
    char ext[16];
    int count;
    sp_contact_t contacts[SP_MAX_CONTACTS];
} s_aor_t;

struct sp_registry {
    s_aor_t *buckets[SP_REG_BUCKETS];
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
    return calloc(1, sizeof(sp_registry_t));
}

void sp_registry_destroy(sp_registry_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    for (int i = 0; i < SP_REG_BUCKETS; i++) {
        s_aor_t *a = (*self_p)->buckets[i];
        while (a) {
            s_aor_t *next = a->next;
            free(a);
            a = next;
        }
    }
    free(*self_p);
    *self_p = NULL;
}

static unsigned s_bucket(const char *s)
{
    unsigned h = 2166136261u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h % SP_REG_BUCKETS;
}

static s_aor_t *s_find(const sp_registry_t *self, const char *ext)
{
    for (s_aor_t *a = self->buckets[s_bucket(ext)]; a; a = a->next)
        if (strcmp(a->ext, ext) == 0)
            return a;
    return NULL;
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
    s_aor_t *a = s_find(self, c->ext);
    if (!a) {
        a = calloc(1, sizeof *a);
        if (!a)
            return -1;
        memcpy(a->ext, c->ext, sizeof a->ext);
        unsigned b = s_bucket(c->ext);
        a->next = self->buckets[b];
        self->buckets[b] = a;
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
    s_aor_t *a = s_find(self, ext);
    for (int i = 0; a && i < a->count; i++)
        if (strcmp(a->contacts[i].uri, uri) == 0) {
            s_remove_at(self, a, i, "unregistered");
            return 0;
        }
    return -1;
}

int sp_registry_unbind_all(sp_registry_t *self, const char *ext)
{
    s_aor_t *a = s_find(self, ext);
    if (!a)
        return 0;
    int n = a->count;
    while (a->count > 0)
        s_remove_at(self, a, a->count - 1, "unregistered");
    return n;
}

size_t sp_registry_lookup(const sp_registry_t *self, const char *ext, uint64_t now_s,
                          sp_contact_t *out, size_t max)
{
    const s_aor_t *a = s_find(self, ext);
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
    for (int b = 0; b < SP_REG_BUCKETS; b++)
        for (s_aor_t *a = self->buckets[b]; a; a = a->next)
            for (int i = a->count - 1; i >= 0; i--)
                if (a->contacts[i].expires_at <= now_s) {
                    if (fn)
                        fn(&a->contacts[i], arg);
                    s_remove_at(self, a, i, "expired");
                    dropped++;
                }
    return dropped;
}

size_t sp_registry_count(const sp_registry_t *self)
{
    return self->total;
}
