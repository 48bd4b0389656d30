/* md_core.c - endpoint table, pairing, owners and the per-packet decision (see
 * md_core.h). The table is allocated once; create/delete take and return slots from a free
 * stack (with each slot's place in it, so a restore can take a given slot), so the packet
 * path never allocates and endpoint pointers stay valid until deleted. */
#include "md_core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_map.h"

/* An id encodes the slot (low 16 bits, plus one) and the slot's generation (15 bits). */
#define SLOT_BITS 16
#define SLOT_MASK ((1 << SLOT_BITS) - 1)
#define GEN_MASK 0x7fff

struct md_owner {
    uint64_t epoch; /* the newest seen */
    char name[];
};

struct md_core {
    int capacity;
    int count;
    md_endpoint_t *eps;
    uint16_t *gen;
    int *free_stack;
    int *free_pos; /* each slot's index in free_stack, -1 while in use */
    int free_top;
    uint64_t latch_window_us;
    cc_map_t *owners; /* name -> md_owner_t (owned) */
};

md_core_t *md_core_new(int capacity)
{
    if (capacity < 1 || capacity > SLOT_MASK)
        return NULL;
    md_core_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->capacity = capacity;
    self->eps = calloc((size_t)capacity, sizeof *self->eps);
    self->gen = calloc((size_t)capacity, sizeof *self->gen);
    self->free_stack = calloc((size_t)capacity, sizeof *self->free_stack);
    self->free_pos = calloc((size_t)capacity, sizeof *self->free_pos);
    self->owners = cc_map_new(free);
    if (!self->eps || !self->gen || !self->free_stack || !self->free_pos || !self->owners) {
        md_core_destroy(&self);
        return NULL;
    }
    /* lowest slots on top, so a quiet daemon keeps its endpoints packed */
    for (int i = 0; i < capacity; i++) {
        self->free_stack[i] = capacity - 1 - i;
        self->free_pos[capacity - 1 - i] = i;
    }
    self->free_top = capacity;
    self->latch_window_us = MD_LATCH_WINDOW_US;
    return self;
}

void md_core_destroy(md_core_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    md_core_t *self = *self_p;
    free(self->eps);
    free(self->gen);
    free(self->free_stack);
    free(self->free_pos);
    cc_map_destroy(&self->owners);
    free(self);
    *self_p = NULL;
}

void md_core_seed(md_core_t *self, uint64_t seed)
{
    for (int i = 0; i < self->capacity; i++) {
        uint64_t x = seed + 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1); /* splitmix64 */
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
        self->gen[i] = (uint16_t)((x ^ (x >> 31)) & GEN_MASK);
    }
}

int md_core_capacity(const md_core_t *self)
{
    return self->capacity;
}

int md_core_count(const md_core_t *self)
{
    return self->count;
}

md_endpoint_t *md_core_slot(md_core_t *self, int slot)
{
    if (slot < 0 || slot >= self->capacity || !self->eps[slot].in_use)
        return NULL;
    return &self->eps[slot];
}

/* Take slot off the free stack (it may sit anywhere in it). */
static void s_take_slot(md_core_t *self, int slot)
{
    int pos = self->free_pos[slot];
    int last = self->free_stack[--self->free_top];
    self->free_stack[pos] = last;
    self->free_pos[last] = pos;
    self->free_pos[slot] = -1;
}

static md_endpoint_t *s_init(md_core_t *self, int slot, uint16_t gen, int port, const char *call_id,
                             const char *leg, bool symmetric)
{
    s_take_slot(self, slot);
    self->gen[slot] = gen;
    md_endpoint_t *ep = &self->eps[slot];
    memset(ep, 0, sizeof *ep);
    ep->id = (gen << SLOT_BITS) | (slot + 1);
    ep->slot = slot;
    ep->port = port;
    snprintf(ep->call_id, sizeof ep->call_id, "%s", call_id ? call_id : "");
    snprintf(ep->leg, sizeof ep->leg, "%s", leg ? leg : "");
    ep->symmetric = symmetric;
    ep->expect_media = true;
    ep->te_pt = MD_TE_PT_DEFAULT;
    ep->latch_window_us = self->latch_window_us;
    ep->in_use = true;
    md_stats_init(&ep->stats);
    self->count++;
    return ep;
}

md_endpoint_t *md_core_create(md_core_t *self, int port, const char *call_id, const char *leg,
                              bool symmetric)
{
    if (self->free_top == 0)
        return NULL;
    int slot = self->free_stack[self->free_top - 1];
    uint16_t gen = (uint16_t)((self->gen[slot] + 1) & GEN_MASK);
    return s_init(self, slot, gen ? gen : 1, port, call_id, leg, symmetric);
}

int md_core_can_restore(const md_core_t *self, int id)
{
    int slot = (id & SLOT_MASK) - 1;
    if (id <= 0 || slot < 0 || slot >= self->capacity || (id >> SLOT_BITS) == 0 ||
        (id >> SLOT_BITS) > GEN_MASK)
        return -ENOENT;
    return self->eps[slot].in_use ? -EBUSY : 0;
}

md_endpoint_t *md_core_restore(md_core_t *self, int id, int port, const char *call_id,
                               const char *leg, bool symmetric)
{
    if (md_core_can_restore(self, id) < 0)
        return NULL;
    return s_init(self, (id & SLOT_MASK) - 1, (uint16_t)(id >> SLOT_BITS), port, call_id, leg,
                  symmetric);
}

md_endpoint_t *md_core_find(md_core_t *self, int id)
{
    int slot = (id & SLOT_MASK) - 1;
    if (id <= 0 || slot < 0 || slot >= self->capacity)
        return NULL;
    md_endpoint_t *ep = &self->eps[slot];
    return ep->in_use && ep->id == id ? ep : NULL;
}

void md_core_delete(md_core_t *self, md_endpoint_t *ep)
{
    if (!ep || !ep->in_use)
        return;
    md_core_disconnect(ep);
    ep->in_use = false;
    self->free_pos[ep->slot] = self->free_top;
    self->free_stack[self->free_top++] = ep->slot;
    self->count--;
}

void md_core_set_latch_window(md_core_t *self, uint64_t window_us)
{
    self->latch_window_us = window_us;
}

static struct sockaddr_in s_sockaddr(uint32_t addr, uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = addr;
    a.sin_port = htons(port);
    return a;
}

/* Forget what was latched and learnt: send to the signalled address again. */
static void s_remote_reset(md_remote_t *r, struct sockaddr_in signalled)
{
    memset(r, 0, sizeof *r);
    r->signalled = signalled;
    r->addr = signalled;
}

int md_core_set_remote(md_endpoint_t *ep, uint32_t addr, uint16_t port, const int *pts, size_t npts,
                       bool expect_media, uint64_t now_us)
{
    uint8_t allowed[16] = {0};
    for (size_t i = 0; i < npts; i++) {
        if (pts[i] < 0 || pts[i] > 127)
            return -1;
        allowed[pts[i] >> 3] |= (uint8_t)(1u << (pts[i] & 7));
    }
    memcpy(ep->pt_allowed, allowed, sizeof allowed);
    ep->pt_filter = pts && npts > 0;
    if (expect_media && !ep->expect_media)
        ep->expect_since_us = now_us;
    ep->expect_media = expect_media;
    ep->idle_reported = false;
    if (ep->has_remote && ep->rtp.signalled.sin_addr.s_addr == addr &&
        ep->rtp.signalled.sin_port == htons(port))
        return 0; /* same address: keep what was latched */
    ep->has_remote = true;
    ep->learn_until_us = now_us + ep->latch_window_us;
    s_remote_reset(&ep->rtp, s_sockaddr(addr, port));
    s_remote_reset(&ep->rtcp, s_sockaddr(addr, port ? (uint16_t)(port + 1) : 0));
    return 0;
}

int md_core_connect(md_endpoint_t *a, md_endpoint_t *b)
{
    if (a == b)
        return -1;
    if (a->peer != b) {
        md_core_disconnect(a);
        md_core_disconnect(b);
    }
    a->peer = b;
    b->peer = a;
    return 0;
}

void md_core_disconnect(md_endpoint_t *ep)
{
    if (ep->peer) {
        ep->peer->peer = NULL;
        ep->peer = NULL;
    }
}

bool md_core_stream_next(const md_endpoint_t *ep, uint64_t now_us, uint32_t *ssrc, uint16_t *seq,
                         uint32_t *ts)
{
    if (!ep->sent_known)
        return false;
    *ssrc = ep->sent_ssrc;
    *seq = (uint16_t)(ep->sent_seq + 1);
    *ts = ep->sent_ts + (uint32_t)((now_us > ep->sent_us ? now_us - ep->sent_us : 0) / 125u);
    return true;
}

static bool s_same_source(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

static void s_latch_on(md_remote_t *r, const struct sockaddr_in *src, bool learnt, uint64_t now_us)
{
    r->addr.sin_family = AF_INET;
    r->addr.sin_addr = src->sin_addr;
    r->addr.sin_port = src->sin_port;
    r->latched = true;
    r->learnt = learnt;
    r->last_us = now_us;
    r->candidate.sin_port = 0;
    r->rival = false;
}

/* Rules (c) and (d) of md_core.h, for a source that is neither the latched one nor the
 * signalled address: off the per-packet path of an established call. */
static bool __attribute__((noinline))
s_learn(md_endpoint_t *ep, md_remote_t *r, const struct sockaddr_in *src, uint64_t now_us)
{
    bool learning = now_us < ep->learn_until_us;
    if (r->latched) {
        if (!r->learnt)
            return false; /* the signalled address holds it */
        if (learning) {   /* a second source in the window: ambiguous, undo the latch */
            r->candidate = r->addr;
            r->candidate_us = r->last_us;
            r->rival = true;
            r->rival_us = now_us;
            r->addr = r->signalled;
            r->latched = r->learnt = false;
            return false;
        }
        if (now_us - r->last_us >= MD_RELATCH_US &&
            src->sin_addr.s_addr == r->addr.sin_addr.s_addr) {
            s_latch_on(r, src, true, now_us); /* the same NAT, a new port */
            return true;
        }
        return false;
    }
    /* Nothing latched. src becomes the candidate unless another one is still sending. */
    if (r->candidate.sin_port && s_same_source(src, &r->candidate)) {
        r->candidate_us = now_us;
    } else if (!r->candidate.sin_port || now_us - r->candidate_us >= MD_RELATCH_US) {
        if (r->candidate.sin_port) { /* the old candidate fell silent: it is the rival now */
            r->rival = true;
            r->rival_us = r->candidate_us;
        }
        r->candidate = *src;
        r->candidate_us = now_us;
    } else {
        r->rival = true;
        r->rival_us = now_us;
        return false;
    }
    bool alone = !r->rival || (!learning && now_us - r->rival_us >= MD_RELATCH_US);
    if (!alone)
        return false;
    s_latch_on(r, src, true, now_us);
    return true;
}

/* Symmetric RTP: accept (and maybe latch) src, or refuse it as a stray. */
static inline bool s_latch(md_endpoint_t *ep, md_remote_t *r, const struct sockaddr_in *src,
                           uint64_t now_us)
{
    if (!ep->symmetric)
        return true;
    if (r->latched && s_same_source(src, &r->addr)) { /* (b), every packet of a call */
        r->last_us = now_us;
        return true;
    }
    if (!ep->has_remote)
        return false;
    if (s_same_source(src, &r->signalled)) { /* (a) */
        s_latch_on(r, src, false, now_us);
        return true;
    }
    return s_learn(ep, r, src, now_us);
}

static md_endpoint_t *s_forward_to(md_endpoint_t *ep, const md_remote_t *r)
{
    md_endpoint_t *peer = ep->peer;
    if (!peer || r->addr.sin_port == 0)
        return NULL;
    return peer;
}

md_endpoint_t *md_core_rtp_in(md_endpoint_t *ep, const struct sockaddr_in *src, const uint8_t *buf,
                              size_t len, uint64_t now_us)
{
    md_rtp_hdr_t hdr;
    if (md_rtp_parse(buf, len, &hdr) < 0) {
        ep->stats.dropped++;
        return NULL;
    }
    if (md_rtp_is_rtcp(buf, len)) { /* rtcp-mux: relay as is, no RTP stats */
        if (!s_latch(ep, &ep->rtp, src, now_us)) {
            ep->stats.dropped++;
            return NULL;
        }
        ep->stats.rtcp_in++;
        return ep->peer ? s_forward_to(ep, &ep->peer->rtp) : NULL;
    }
    if ((ep->pt_filter && !(ep->pt_allowed[hdr.pt >> 3] & (1u << (hdr.pt & 7)))) ||
        !s_latch(ep, &ep->rtp, src, now_us)) {
        ep->stats.dropped++;
        return NULL;
    }
    md_stats_rtp_in(&ep->stats, &hdr, len, now_us);
    ep->idle_reported = false;
    return ep->peer ? s_forward_to(ep, &ep->peer->rtp) : NULL;
}

md_endpoint_t *md_core_rtcp_in(md_endpoint_t *ep, const struct sockaddr_in *src, size_t len,
                               uint64_t now_us)
{
    (void)len;
    if (!s_latch(ep, &ep->rtcp, src, now_us)) {
        ep->stats.dropped++;
        return NULL;
    }
    ep->stats.rtcp_in++;
    return ep->peer ? s_forward_to(ep, &ep->peer->rtcp) : NULL;
}

int md_core_scan_idle(md_core_t *self, uint64_t now_us, uint64_t timeout_us, md_core_idle_fn *fn,
                      void *arg)
{
    int reported = 0;
    for (int i = 0; i < self->capacity; i++) {
        md_endpoint_t *ep = &self->eps[i];
        if (!ep->in_use || !ep->expect_media || ep->idle_reported || ep->stats.packets_in == 0)
            continue;
        uint64_t since =
            ep->stats.last_us > ep->expect_since_us ? ep->stats.last_us : ep->expect_since_us;
        uint64_t idle = now_us > since ? now_us - since : 0;
        if (idle >= timeout_us) {
            ep->idle_reported = true;
            fn(ep, idle, arg);
            reported++;
        }
    }
    return reported;
}

/* ---- owners ----------------------------------------------------------------------- */

md_owner_t *md_core_owner(md_core_t *self, const char *name, uint64_t epoch, md_epoch_t *seen)
{
    md_owner_t *o = cc_map_get(self->owners, name);
    if (!o) {
        size_t len = strlen(name);
        o = malloc(sizeof *o + len + 1);
        if (!o)
            return NULL;
        memcpy(o->name, name, len + 1);
        o->epoch = epoch;
        if (cc_map_insert(self->owners, name, o) < 0) {
            free(o);
            return NULL;
        }
        *seen = MD_EPOCH_FIRST;
    } else if (epoch > o->epoch) {
        o->epoch = epoch;
        *seen = MD_EPOCH_NEWER;
    } else {
        *seen = epoch == o->epoch ? MD_EPOCH_CURRENT : MD_EPOCH_OLDER;
    }
    return o;
}

const char *md_owner_name(const md_owner_t *owner)
{
    return owner->name;
}

uint64_t md_owner_epoch(const md_owner_t *owner)
{
    return owner->epoch;
}

void md_core_set_owner(md_endpoint_t *ep, const md_owner_t *owner, uint64_t epoch, uint64_t now_us)
{
    ep->owner = owner;
    ep->owner_epoch = epoch;
    ep->owned_since_us = now_us;
}

bool md_core_orphaned(const md_endpoint_t *ep)
{
    return ep->owner && ep->owner_epoch < ep->owner->epoch;
}

int md_core_sweep_orphans(md_core_t *self, const md_owner_t *owner, md_core_ep_fn *fn, void *arg)
{
    int n = 0;
    for (int i = 0; i < self->capacity; i++) {
        md_endpoint_t *ep = &self->eps[i];
        if (ep->in_use && ep->owner == owner && md_core_orphaned(ep)) {
            fn(ep, arg);
            n++;
        }
    }
    return n;
}

int md_core_sync(md_core_t *self, const md_owner_t *owner, const int *ids, size_t n,
                 uint64_t now_us, uint64_t grace_us, md_core_ep_fn *fn, void *arg, int *kept)
{
    for (size_t i = 0; i < n; i++) {
        md_endpoint_t *ep = md_core_find(self, ids[i]);
        if (ep && ep->owner == owner)
            ep->claimed = true;
    }
    int freed = 0;
    *kept = 0;
    for (int i = 0; i < self->capacity; i++) {
        md_endpoint_t *ep = &self->eps[i];
        if (!ep->in_use || ep->owner != owner)
            continue;
        if (ep->claimed || now_us < ep->owned_since_us + grace_us) {
            ep->claimed = false;
            (*kept)++;
            continue;
        }
        fn(ep, arg);
        freed++;
    }
    return freed;
}

int md_core_owned(const md_core_t *self, const md_owner_t *owner)
{
    int n = 0;
    for (int i = 0; i < self->capacity; i++)
        n += self->eps[i].in_use && self->eps[i].owner == owner;
    return n;
}
