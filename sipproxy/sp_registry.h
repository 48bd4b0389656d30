/* sp_registry.h - the registrar's bindings: extension -> contacts, each with its expiry
 * and the address the REGISTER really came from (for phones behind NAT). Pure: time in
 * seconds is passed in; persistence is the caller's (sp_db writes behind). */
#ifndef SP_REGISTRY_H
#define SP_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_MAX_CONTACTS 8

typedef struct {
    char ext[16];
    char uri[256];     /* Contact URI as registered */
    char source[64];   /* "ip:port" the REGISTER came from */
    char transport[8]; /* udp, tcp, tls */
    char user_agent[128];
    char call_id[128];
    uint32_t cseq;
    uint64_t expires_at; /* wall seconds */
} sp_contact_t;

typedef struct sp_registry sp_registry_t;

sp_registry_t *sp_registry_new(void);
void sp_registry_destroy(sp_registry_t **self_p);

/* Add or refresh the binding (ext, uri). Returns 1 added, 0 refreshed, -1 when the user
 * already has SP_MAX_CONTACTS live bindings (oldest expiring one is replaced: returns 1). */
int sp_registry_bind(sp_registry_t *self, const sp_contact_t *c, uint64_t now_s);
/* Remove one binding; 0 removed, -1 not found. */
int sp_registry_unbind(sp_registry_t *self, const char *ext, const char *uri);
/* Remove every binding of ext; the number removed. */
int sp_registry_unbind_all(sp_registry_t *self, const char *ext);

/* Live bindings of ext (expires_at > now), copied into out; their number. */
size_t sp_registry_lookup(const sp_registry_t *self, const char *ext, uint64_t now_s,
                          sp_contact_t *out, size_t max);

/* Drop expired bindings; calls fn for each dropped one first. The number dropped. */
typedef void(sp_registry_expired_fn)(const sp_contact_t *c, void *arg);
size_t sp_registry_expire(sp_registry_t *self, uint64_t now_s, sp_registry_expired_fn *fn,
                          void *arg);

size_t sp_registry_count(const sp_registry_t *self);

/* Told of every binding that goes, just before it goes, with why: "unregistered"
 * (unbind, unbind_all), "expired" (sp_registry_expire, or found expired by a bind) or
 * "replaced" (the oldest binding dropped for a new one beyond SP_MAX_CONTACTS). */
typedef void(sp_registry_removed_fn)(const sp_contact_t *c, const char *reason, void *arg);
void sp_registry_on_removed(sp_registry_t *self, sp_registry_removed_fn *fn, void *arg);

#endif
