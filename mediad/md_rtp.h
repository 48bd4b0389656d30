/* md_rtp.h - the packet engine's I/O: one non-blocking UDP socket pair (RTP, RTCP) per
 * endpoint, bound to a port pair from the pool and watched by the daemon's cc_loop
 * (level-triggered, one receive per readiness event). Each datagram is received into one
 * engine-wide buffer, judged by md_core and sent on from the peer's socket: no allocation,
 * no lock and no log per packet. Knows nothing of the bus. */
#ifndef MD_RTP_H
#define MD_RTP_H

#include <stdbool.h>
#include <stdint.h>

#include "cc_loop.h"
#include "md_core.h"
#include "md_ports.h"

typedef struct md_rtp md_rtp_t;

/* bind_addr: IPv4 address the sockets bind to; tos: IP TOS byte for sent packets (0: leave
 * the default). Borrows loop, core and ports, which must outlive it. NULL if bind_addr is
 * not an IPv4 address. */
md_rtp_t *md_rtp_new(cc_loop_t *loop, md_core_t *core, md_ports_t *ports, const char *bind_addr,
                     int tos);
/* Closes the sockets of every endpoint still open and deletes them from the core. */
void md_rtp_destroy(md_rtp_t **self_p);

/* Create an endpoint with its sockets bound and watched. Returns 0 with *out set, -ENOSPC
 * when no port pair (or endpoint slot) is left, or another -errno from socket/bind. */
int md_rtp_open(md_rtp_t *self, const char *call_id, const char *leg, bool symmetric,
                md_endpoint_t **out);
/* Close the endpoint's sockets, free its ports and delete it from the core. */
void md_rtp_close(md_rtp_t *self, md_endpoint_t *ep);

uint64_t md_rtp_relayed(const md_rtp_t *self);    /* RTP packets sent on */
uint64_t md_rtp_send_errors(const md_rtp_t *self);

#endif
