/* md_core.h - endpoints and their pairing: the table of endpoints, remotes, symmetric-RTP
 * latching, payload-type filtering, and the per-packet decision "count it, then send it
 * where?". Plain structs, no sockets and no clock (time is passed in): md_rtp.c does the
 * I/O, md_bus.c the commands.
 *
 * Latching (symmetric RTP, on by default) decides which source's packets an endpoint takes
 * and where it sends. A port may still receive audio of a dead call (a phone that has not
 * hung up yet, a previous mediad's call): that must never be relayed as if it belonged to
 * the new one. The signalled address is endpoint.remote's address:port; the learning
 * window lasts [mediad] latch_window_ms from when it was set (or changed).
 *   (a) A packet from the signalled address is always accepted and (re)latches it: it wins
 *       over a learnt source at any time, and once latched nothing else takes over.
 *   (b) A packet from the latched source is accepted.
 *   (c) While nothing is latched (the signalled address has sent nothing), one other
 *       source is learnt and latched (a phone behind NAT). A second different source within
 *       the window is ambiguous: both are dropped (the latch is undone) until the
 *       signalled address shows up, or the window is over and only one of them still
 *       sends (the other silent for MD_RELATCH_US). A first source after the window (a
 *       phone that starts late) is learnt the same way.
 *   (d) After the window another source never takes over, except that a learnt source
 *       silent for MD_RELATCH_US may be replaced by one with the same IP (its NAT binding
 *       changed port).
 *   (e) Before endpoint.remote, nothing is accepted.
 * Everything refused is counted in `dropped`. endpoint.remote with a new address starts
 * over (the same address again, e.g. a session refresh, keeps the latch). RTCP follows the
 * same rules on its own port (signalled: port + 1); RTCP on the RTP port (rtcp-mux) those
 * of RTP. symmetric=false: every source is accepted and the endpoint sends to the
 * signalled address. */
#ifndef MD_CORE_H
#define MD_CORE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "md_stats.h"

#define MD_RELATCH_US 1000000u
#define MD_LATCH_WINDOW_US 2000000u /* default of md_core_set_latch_window */
#define MD_CALL_ID_MAX 256
#define MD_LEG_MAX 32
#define MD_TE_PT_DEFAULT 101

typedef struct md_endpoint md_endpoint_t;
typedef struct md_owner md_owner_t;

/* One latched-or-configured destination (RTP or RTCP) and what latching knows of the
 * sources heard (see the header comment). sin_port 0: unknown yet. */
typedef struct {
    struct sockaddr_in addr;      /* where the endpoint sends: the latched source, else signalled */
    struct sockaddr_in signalled; /* from endpoint.remote */
    bool latched;                 /* addr was confirmed or learnt from received packets */
    bool learnt;                  /* latched on a source other than the signalled address */
    uint64_t last_us;             /* last packet from addr (once latched) */
    /* while nothing is latched: the one other source that may be learnt, and whether a
     * second one was heard too (then both wait until one is alone) */
    struct sockaddr_in candidate;
    uint64_t candidate_us;
    bool rival;
    uint64_t rival_us; /* last packet of a source other than the candidate */
} md_remote_t;

struct md_endpoint {
    int id;   /* > 0; stale ids never match a reused slot */
    int slot; /* index in the core's table, for adapters' parallel arrays */
    int port; /* local RTP port; RTCP is port + 1 */
    char call_id[MD_CALL_ID_MAX];
    char leg[MD_LEG_MAX];
    bool symmetric;
    bool expect_media;        /* false while the far party does not send (recvonly/inactive) */
    uint64_t expect_since_us; /* when media was last (re)expected: silence counts from here
                                 or from the last packet, whichever is later */
    bool idle_reported;       /* media.timeout published for the current silence */
    bool pt_filter;
    uint8_t pt_allowed[16]; /* bitmap over payload types 0-127 */
    md_endpoint_t *peer;
    bool playing; /* a prompt plays to the remote: what the peer sends is not relayed */
    bool mixing;  /* in a mix (md_mix): what it receives goes to the mix, not to its peer,
                        and it is sent the mix instead of what its peer sends */
    /* the RTP stream last sent to the remote (relayed or generated): a mix it joins goes on
     * with that SSRC and numbering, so the phone hears one stream going on, not a new source
     * starting at a random sequence number (phones' jitter buffers drop those as late) */
    bool sent_known;
    uint16_t sent_seq;
    uint32_t sent_ssrc, sent_ts;
    uint64_t sent_us;
    uint8_t send_pt; /* payload type of generated audio: 0 PCMU (default) or 8 PCMA */
    uint8_t te_pt;   /* payload type of RFC 4733 telephone-events received (default 101) */
    bool has_remote; /* endpoint.remote was given: before it nothing is accepted */
    uint64_t latch_window_us;
    uint64_t learn_until_us; /* end of the learning window of the current remote */
    md_remote_t rtp, rtcp;
    md_stats_t stats;
    bool in_use;
    /* who holds it (see "owners" below); NULL for endpoints without owner */
    const md_owner_t *owner;
    uint64_t owner_epoch;
    uint64_t owned_since_us; /* when the owner created (or restored) it */
    bool claimed;            /* listed in the endpoint.sync being handled */
};

typedef struct md_core md_core_t;

md_core_t *md_core_new(int capacity);
void md_core_destroy(md_core_t **self_p);

int md_core_capacity(const md_core_t *self);
int md_core_count(const md_core_t *self);
/* Endpoint in slot i (0 <= i < capacity), or NULL if the slot is free. */
md_endpoint_t *md_core_slot(md_core_t *self, int slot);

/* Start the slots' generations at values drawn from seed, so that a restarted mediad does
 * not hand out the ids its predecessor had (which a controller may still hold) for other
 * calls. Call before the first create; without it generations start at 1. */
void md_core_seed(md_core_t *self, uint64_t seed);

/* New endpoint on local port `port`; NULL when the table is full. call_id and leg are
 * copied (truncated to the buffers). */
md_endpoint_t *md_core_create(md_core_t *self, int port, const char *call_id, const char *leg,
                              bool symmetric);
/* Whether md_core_restore can take exactly this id: 0, -ENOENT if no id of this table looks
 * like it (slot beyond the capacity, no generation), -EBUSY if its slot is in use. */
int md_core_can_restore(const md_core_t *self, int id);
/* The same as md_core_create, on exactly the given id (an endpoint an earlier mediad had);
 * NULL unless md_core_can_restore says 0. Later endpoints of that slot count on from it. */
md_endpoint_t *md_core_restore(md_core_t *self, int id, int port, const char *call_id,
                               const char *leg, bool symmetric);
md_endpoint_t *md_core_find(md_core_t *self, int id);
/* Disconnects it from its peer and frees the slot (the pointer is invalid afterwards). */
void md_core_delete(md_core_t *self, md_endpoint_t *ep);

/* How long endpoints created from now on learn a source after their remote is set
 * (default MD_LATCH_WINDOW_US). */
void md_core_set_latch_window(md_core_t *self, uint64_t window_us);

/* Where ep sends: `addr` (IPv4, network order) and the RTP port (RTCP to port + 1), the
 * payload types accepted from the far party (NULL/0: all), and whether the far party is
 * expected to send at all (false pauses the media timeout). A changed address resets the
 * latch and starts the learning window at now_us. Returns 0, or -1 if a payload type is
 * outside 0-127. */
int md_core_set_remote(md_endpoint_t *ep, uint32_t addr, uint16_t port, const int *pts, size_t npts,
                       bool expect_media, uint64_t now_us);

/* Pair two endpoints (each first leaves any earlier pairing). -1 if a == b. */
int md_core_connect(md_endpoint_t *a, md_endpoint_t *b);
/* Unpair ep and its peer (no-op when not paired). */
void md_core_disconnect(md_endpoint_t *ep);

/* Where the stream ep's remote last heard goes on at now_us: its SSRC, the next sequence
 * number and the timestamp moved on by the time since. A generator that takes over sending
 * (a mix, a prompt after the mix) continues it, so the phone hears one stream and its
 * jitter buffer does not drop the new packets as late. false when nothing was sent yet. */
bool md_core_stream_next(const md_endpoint_t *ep, uint64_t now_us, uint32_t *ssrc, uint16_t *seq,
                         uint32_t *ts);

/* An RTP datagram of len bytes from src arrived on ep's RTP port at now_us. Returns the
 * endpoint that must send it on (ep's peer; the destination is peer->rtp.addr) or NULL to
 * drop it. rtcp_mux is set when it was an RTCP packet sent to the RTP port, to be relayed
 * to the peer's RTP address as well. Counts everything in ep->stats. */
md_endpoint_t *md_core_rtp_in(md_endpoint_t *ep, const struct sockaddr_in *src, const uint8_t *buf,
                              size_t len, uint64_t now_us);
/* The same for a datagram on ep's RTCP port (peer sends to peer->rtcp.addr). */
md_endpoint_t *md_core_rtcp_in(md_endpoint_t *ep, const struct sockaddr_in *src, size_t len,
                               uint64_t now_us);

/* ---- owners -------------------------------------------------------------------------
 * An endpoint may belong to an owner instance: the bus name of the daemon that holds it for
 * its call (sipproxy) and that daemon's bus epoch (its start time). The newest epoch seen of
 * each owner tells which endpoints are orphans: created by an instance that has restarted
 * since, so nobody will delete them. Endpoints without owner are never orphans. */
typedef enum {
    MD_EPOCH_FIRST,   /* the owner was not known yet */
    MD_EPOCH_CURRENT, /* the newest epoch seen */
    MD_EPOCH_NEWER,   /* newer than every one seen: the owner restarted */
    MD_EPOCH_OLDER,   /* from an instance that has restarted since (a late message) */
} md_epoch_t;

/* The owner `name` (registered on first use) after hearing from its instance `epoch`,
 * which becomes the owner's epoch when newer; *seen says how it compared. NULL if out of
 * memory. The owner lives as long as the core. */
md_owner_t *md_core_owner(md_core_t *self, const char *name, uint64_t epoch, md_epoch_t *seen);
const char *md_owner_name(const md_owner_t *owner);
uint64_t md_owner_epoch(const md_owner_t *owner);

/* ep belongs to owner's instance `epoch` from now_us on. */
void md_core_set_owner(md_endpoint_t *ep, const md_owner_t *owner, uint64_t epoch, uint64_t now_us);
/* Its owner is known to have restarted since it was created. */
bool md_core_orphaned(const md_endpoint_t *ep);

/* Calls fn for each endpoint of the given kind; fn may delete it (and only it). */
typedef void(md_core_ep_fn)(md_endpoint_t *ep, void *arg);
/* Calls fn for every orphan of owner; returns how many. */
int md_core_sweep_orphans(md_core_t *self, const md_owner_t *owner, md_core_ep_fn *fn, void *arg);
/* endpoint.sync: owner holds exactly ids[0..n) now. Calls fn for every other endpoint of
 * owner that it got at least grace_us before now_us (a younger one may belong to a create
 * still in flight when the list was made); returns how many. *kept: owner's endpoints left
 * alone. O(n + capacity), no allocation: an id names its slot. */
int md_core_sync(md_core_t *self, const md_owner_t *owner, const int *ids, size_t n,
                 uint64_t now_us, uint64_t grace_us, md_core_ep_fn *fn, void *arg, int *kept);
/* How many endpoints owner has. */
int md_core_owned(const md_core_t *self, const md_owner_t *owner);

/* Media timeout scan: calls fn for every endpoint that received media, expects more, and
 * has been silent for at least timeout_us, once per silence (a packet re-arms it). */
typedef void(md_core_idle_fn)(md_endpoint_t *ep, uint64_t idle_us, void *arg);
int md_core_scan_idle(md_core_t *self, uint64_t now_us, uint64_t timeout_us, md_core_idle_fn *fn,
                      void *arg);

#endif
