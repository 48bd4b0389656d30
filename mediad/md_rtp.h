/* md_rtp.h - the packet engine's I/O: one non-blocking UDP socket pair (RTP, RTCP) per
 * endpoint, bound to a port pair from the pool and watched by the daemon's cc_loop
 * (level-triggered, one receive per readiness event), plus a connected twin of the RTP
 * socket that sends to the current remote (md_rtp.c). Each datagram is received into one
 * engine-wide buffer, judged by md_core and sent on from the peer's socket: no allocation,
 * no lock and no log per packet. Knows nothing of the bus. */
#ifndef MD_RTP_H
#define MD_RTP_H

#include <stdbool.h>
#include <stdint.h>

#include "cc_loop.h"
#include "md_amd.h"
#include "md_core.h"
#include "md_dtmf.h"
#include "md_ports.h"
#include "md_srtp.h"
#include "md_tap.h"

typedef struct md_rtp md_rtp_t;

/* bind_addr: IPv4 address the sockets bind to; tos: IP TOS byte for sent packets (0: leave
 * the default). Borrows loop, core and ports, which must outlive it. NULL if bind_addr is
 * not an IPv4 address. */
md_rtp_t *md_rtp_new(cc_loop_t *loop, md_core_t *core, md_ports_t *ports, const char *bind_addr,
                     int tos);
/* Closes the sockets of every endpoint still open and deletes them from the core. */
void md_rtp_destroy(md_rtp_t **self_p);

/* An endpoint an earlier mediad had, to be taken again: its id and local RTP port. */
typedef struct {
    int id;
    int port;
} md_restore_t;

/* Create an endpoint with its sockets bound and watched: on any free id and a pair out of
 * quarantine, or with restore (may be NULL) on exactly its id and port, quarantined or not.
 * Returns 0 with *out set, -ENOSPC when no port pair (or endpoint slot) is left, for a
 * restore -EBUSY (its slot or port is in use) or -ENOENT (not an id or port this mediad
 * can have), or another -errno from socket/bind. */
int md_rtp_open(md_rtp_t *self, const char *call_id, const char *leg, bool symmetric,
                const md_restore_t *restore, md_endpoint_t **out);
/* Close the endpoint's sockets, free its ports and delete it from the core. */
void md_rtp_close(md_rtp_t *self, md_endpoint_t *ep);

/* Send a generated RTP packet from ep's RTP socket to its remote (nothing when the remote
 * is unknown or port 0). 0 if sent or nothing to do, -1 if the send failed. Counted in
 * ep->stats as sent. */
int md_rtp_send(md_rtp_t *self, md_endpoint_t *ep, const uint8_t *pkt, size_t len);

/* DTMF detection on what ep receives (md_dtmf): enable allocates the detector (once),
 * disable frees it. While disabled the packet path pays one pointer test. 0 or -ENOMEM. */
int md_rtp_dtmf(md_rtp_t *self, md_endpoint_t *ep, bool enable);
bool md_rtp_dtmf_enabled(const md_rtp_t *self, const md_endpoint_t *ep);
/* Who hears detected keys (one handler; NULL to remove). */
typedef void(md_rtp_dtmf_fn)(md_endpoint_t *ep, const md_dtmf_event_t *ev, void *arg);
void md_rtp_on_dtmf(md_rtp_t *self, md_rtp_dtmf_fn *fn, void *arg);
/* Answering-machine detection (md_amd) on what ep receives: start (or start over) with cfg
 * at now_us, allocating the detector once; stop frees it. While none runs the packet path
 * pays one pointer test. md_rtp_amd_decide lets time pass without audio (the deadline
 * timer); whenever a decision is reached, by a packet or by it, the detector is freed and
 * the handler (one; NULL to remove) hears the figures. decide: true if it decided now. */
int md_rtp_amd_start(md_rtp_t *self, md_endpoint_t *ep, const md_amd_cfg_t *cfg, uint64_t now_us);
bool md_rtp_amd_running(const md_rtp_t *self, const md_endpoint_t *ep);
void md_rtp_amd_stop(md_rtp_t *self, md_endpoint_t *ep);
bool md_rtp_amd_decide(md_rtp_t *self, md_endpoint_t *ep, uint64_t now_us);
typedef void(md_rtp_amd_fn)(md_endpoint_t *ep, const md_amd_figures_t *fig, void *arg);
void md_rtp_on_amd(md_rtp_t *self, md_rtp_amd_fn *fn, void *arg);
/* Who hears that an endpoint is about to be closed: up to MD_RTP_CLOSE_HANDLERS handlers
 * (prompts, mixes), called in the order added. on_close returns -1 when all are taken. */
#define MD_RTP_CLOSE_HANDLERS 4
typedef void(md_rtp_close_fn)(md_endpoint_t *ep, void *arg);
int md_rtp_on_close(md_rtp_t *self, md_rtp_close_fn *fn, void *arg);
void md_rtp_off_close(md_rtp_t *self, md_rtp_close_fn *fn, void *arg);

/* Who takes what an endpoint in a mix (ep->mixing) receives: one handler (NULL to remove).
 * pkt is an RTP packet md_core accepted, valid only during the call. */
typedef void(md_rtp_mix_fn)(md_endpoint_t *ep, const uint8_t *pkt, size_t len, uint64_t now_us,
                            void *arg);
void md_rtp_on_mix(md_rtp_t *self, md_rtp_mix_fn *fn, void *arg);

/* Recording taps (md_tap): what ep receives is appended to tap as `party` (0 or 1); NULL
 * detaches. While untapped the packet path pays one pointer test. The tap handler (one;
 * set it before tapping) hears of a full batch (closing false: take and ship it now) and
 * of a tapped endpoint about to close (closing true: ship what is buffered, forget ep). */
typedef void(md_rtp_tap_fn)(md_tap_t *tap, md_endpoint_t *ep, bool closing, void *arg);
void md_rtp_on_tap(md_rtp_t *self, md_rtp_tap_fn *fn, void *arg);
void md_rtp_tap(md_rtp_t *self, md_endpoint_t *ep, md_tap_t *tap, int party);
md_tap_t *md_rtp_tap_of(const md_rtp_t *self, const md_endpoint_t *ep);

/* SRTP on ep's leg (md_srtp): takes *srtp_p (NULL: plain again). What ep receives is
 * unprotected before anything else sees it (a packet that fails is dropped and counted
 * in srtp_auth_failed or srtp_replayed), what is sent to its remote is protected after
 * everything else. A plain endpoint's packets pay one pointer test on each side. */
void md_rtp_set_srtp(md_rtp_t *self, md_endpoint_t *ep, md_srtp_t **srtp_p);
md_srtp_t *md_rtp_srtp_of(const md_rtp_t *self, const md_endpoint_t *ep);

uint64_t md_rtp_relayed(const md_rtp_t *self); /* RTP packets sent on */
uint64_t md_rtp_send_errors(const md_rtp_t *self);
/* Connected "fast" sockets (see md_rtp.c): how often one was (re)aimed at a remote, and
 * how many endpoints had to do without one (socket or bind failed, e.g. out of fds). */
uint64_t md_rtp_fast_connects(const md_rtp_t *self);
uint64_t md_rtp_fast_failed(const md_rtp_t *self);

#endif
