/* md_rtp.c - sockets and the per-packet path (see md_rtp.h). Socket state lives in an
 * array parallel to the core's endpoint table (indexed by slot), so the packet path finds
 * the peer's socket with one index. Owns the fds; the endpoints belong to md_core.
 *
 * Each endpoint's RTP port has two sockets: the main socket, never connected, and a
 * "fast" socket on the same port connect()ed to where the endpoint currently sends
 * (its latched or configured remote). Sending is then send() on a connected socket (the
 * kernel keeps the route instead of looking it up per datagram) and datagrams from that
 * remote arrive on the fast socket (the kernel prefers the connected match), everything
 * else on the main one. Both feed the same handler, and md_core still judges every
 * datagram by its source address, so latching, re-latching after silence and the
 * counting of strays are exactly as with one socket. The fast socket is re-aimed
 * lazily, on the first send after the remote changed; without it (no fd left) the main
 * socket does everything with sendto(). */
#include "md_rtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cc_log.h"
#include "md_srtp.h"

#define MD_BUF_SIZE 8192 /* larger than any RTP packet; longer datagrams are dropped */

typedef struct {
    md_rtp_t *rtp;
    md_endpoint_t *ep;
    int fd_rtp, fd_rtcp;
    int fd_fast;                /* -1: none */
    struct sockaddr_in fast_to; /* where fd_fast is connected (last attempt) */
    bool fast_ok;               /* the connect to fast_to succeeded */
    md_dtmf_t *dtmf;            /* NULL: detection off */
    md_amd_t *amd;              /* NULL: no answering-machine detection running */
    md_tap_t *tap;              /* NULL: not recorded */
    int tap_party;
    md_srtp_t *srtp; /* NULL: plain RTP on this leg */
} md_sock_t;

struct md_rtp {
    cc_loop_t *loop;
    md_core_t *core;
    md_ports_t *ports;
    struct in_addr bind_addr;
    int tos;
    md_sock_t *socks; /* [core capacity] */
    uint64_t relayed, send_errors, fast_connects, fast_failed;
    md_rtp_dtmf_fn *on_dtmf;
    void *on_dtmf_arg;
    md_rtp_amd_fn *on_amd;
    void *on_amd_arg;
    struct {
        md_rtp_close_fn *fn;
        void *arg;
    } on_close[MD_RTP_CLOSE_HANDLERS];
    md_rtp_mix_fn *on_mix;
    void *on_mix_arg;
    md_rtp_tap_fn *on_tap;
    void *on_tap_arg;
    uint8_t buf[MD_BUF_SIZE] __attribute__((aligned(16)));
    /* what is sent to an SRTP leg is protected here, so buf stays plain for the taps,
     * DTMF detection and mixes that read it after the relay */
    uint8_t sbuf[MD_BUF_SIZE + MD_SRTP_TRAILER] __attribute__((aligned(16)));
};

md_rtp_t *md_rtp_new(cc_loop_t *loop, md_core_t *core, md_ports_t *ports, const char *bind_addr,
                     int tos)
{
    struct in_addr addr;
    if (inet_pton(AF_INET, bind_addr, &addr) != 1)
        return NULL;
    md_rtp_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    int cap = md_core_capacity(core);
    self->socks = calloc((size_t)cap, sizeof *self->socks);
    if (!self->socks) {
        free(self);
        return NULL;
    }
    for (int i = 0; i < cap; i++)
        self->socks[i].fd_rtp = self->socks[i].fd_rtcp = self->socks[i].fd_fast = -1;
    self->loop = loop;
    self->core = core;
    self->ports = ports;
    self->bind_addr = addr;
    self->tos = tos;
    return self;
}

void md_rtp_destroy(md_rtp_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    md_rtp_t *self = *self_p;
    for (int i = 0; i < md_core_capacity(self->core); i++) {
        md_endpoint_t *ep = md_core_slot(self->core, i);
        if (ep)
            md_rtp_close(self, ep);
    }
    free(self->socks);
    free(self);
    *self_p = NULL;
}

uint64_t md_rtp_relayed(const md_rtp_t *self)
{
    return self->relayed;
}

uint64_t md_rtp_send_errors(const md_rtp_t *self)
{
    return self->send_errors;
}

uint64_t md_rtp_fast_connects(const md_rtp_t *self)
{
    return self->fast_connects;
}

uint64_t md_rtp_fast_failed(const md_rtp_t *self)
{
    return self->fast_failed;
}

/* ---- the packet path ------------------------------------------------------------ */

/* The datagram calls of the relay path go straight to the kernel: the libc wrappers are
 * thread-cancellation points that switch asynchronous cancellation on and off around
 * every call, a third of the user-space instructions per relayed packet, and no thread
 * of mediad is ever cancelled. Same arguments, results and errno as the wrappers. */
static inline ssize_t s_sys_recvfrom(int fd, void *buf, size_t len, int flags,
                                     struct sockaddr_in *src, socklen_t *slen)
{
    return (ssize_t)syscall(SYS_recvfrom, fd, buf, len, flags, src, slen);
}

static inline ssize_t s_sys_sendto(int fd, const void *buf, size_t len,
                                   const struct sockaddr_in *to)
{
    return (ssize_t)syscall(SYS_sendto, fd, buf, len, 0, to, to ? sizeof *to : 0);
}

static bool s_same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

/* Send len bytes of pkt from s's RTP port to `to`: send() on the fast socket when it is
 * (or can be) connected there, else sendto() on the main socket. Returns what was sent. */
static ssize_t s_send_rtp_port(md_rtp_t *self, md_sock_t *s, const uint8_t *pkt, size_t len,
                               const struct sockaddr_in *to)
{
    if (s->fd_fast >= 0) {
        if (!s_same_addr(&s->fast_to, to)) { /* the remote changed: re-aim, once */
            s->fast_to = *to;
            s->fast_ok = connect(s->fd_fast, (const struct sockaddr *)to, sizeof *to) == 0;
            self->fast_connects++;
        }
        if (s->fast_ok) {
            ssize_t sent = s_sys_sendto(s->fd_fast, pkt, len, NULL);
            /* A connected socket reports an earlier ICMP error (port unreachable) on its
             * next call instead of ignoring it; that packet was never sent: retry once,
             * as an unconnected socket would have sent it. */
            if (sent < 0 && errno == ECONNREFUSED)
                sent = s_sys_sendto(s->fd_fast, pkt, len, NULL);
            return sent;
        }
    }
    return s_sys_sendto(s->fd_rtp, pkt, len, to);
}

/* ep sent the RTP packet pkt at now_us: remember its stream (see md_endpoint_t). */
static void s_note_sent(md_endpoint_t *ep, const uint8_t *pkt, uint64_t now_us)
{
    ep->sent_known = true;
    ep->sent_seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
    ep->sent_ts = (uint32_t)pkt[4] << 24 | (uint32_t)pkt[5] << 16 | (uint32_t)pkt[6] << 8 | pkt[7];
    ep->sent_ssrc =
        (uint32_t)pkt[8] << 24 | (uint32_t)pkt[9] << 16 | (uint32_t)pkt[10] << 8 | pkt[11];
    ep->sent_us = now_us;
}

/* Relay self->buf (len bytes, received by `from`) to peer's remote. */
/* pkt (len bytes, plain) protected for s's SRTP leg into self->sbuf: its new length, or 0
 * when it cannot be (counted by the caller as dropped). Off the plain path. */
static size_t s_protect(md_rtp_t *self, md_sock_t *s, const uint8_t *pkt, size_t len, bool rtcp)
{
    if (len > MD_BUF_SIZE)
        return 0;
    memcpy(self->sbuf, pkt, len);
    if (md_srtp_protect(s->srtp, self->sbuf, &len, rtcp) < 0)
        return 0;
    return len;
}

static void s_relay(md_rtp_t *self, md_endpoint_t *from, md_endpoint_t *peer, size_t len, bool rtp,
                    uint64_t now_us)
{
    md_sock_t *ps = &self->socks[peer->slot];
    const uint8_t *out = self->buf;
    size_t out_len = len;
    if (ps->srtp) { /* the one test the plain path pays on sending */
        out = self->sbuf;
        out_len = s_protect(self, ps, self->buf, len, rtp ? false : md_rtp_is_rtcp(self->buf, len));
        if (out_len == 0) {
            from->stats.dropped++;
            return;
        }
    }
    ssize_t sent = s_send_rtp_port(self, ps, out, out_len, &peer->rtp.addr);
    if (sent == (ssize_t)out_len) {
        if (rtp) {
            md_stats_rtp_out(&peer->stats, len);
            s_note_sent(peer, self->buf, now_us);
            self->relayed++;
        } else {
            peer->stats.rtcp_out++;
        }
    } else {
        from->stats.dropped++;
        self->send_errors++;
    }
}

static void s_relay_rtcp(md_rtp_t *self, md_endpoint_t *from, md_endpoint_t *peer, size_t len)
{
    const struct sockaddr_in *to = &peer->rtcp.addr;
    md_sock_t *ps = &self->socks[peer->slot];
    const uint8_t *out = self->buf;
    if (ps->srtp) {
        out = self->sbuf;
        len = s_protect(self, ps, self->buf, len, true);
        if (len == 0) {
            from->stats.dropped++;
            return;
        }
    }
    ssize_t sent = sendto(ps->fd_rtcp, out, len, 0, (const struct sockaddr *)to, sizeof *to);
    if (sent == (ssize_t)len) {
        peer->stats.rtcp_out++;
    } else {
        from->stats.dropped++;
        self->send_errors++;
    }
}

static ssize_t s_recv(md_rtp_t *self, int fd, struct sockaddr_in *src)
{
    socklen_t slen = sizeof *src;
    ssize_t n = s_sys_recvfrom(fd, self->buf, sizeof self->buf, MSG_TRUNC, src, &slen);
    if (n > (ssize_t)sizeof self->buf)
        return -1;
    return n;
}

/* Off the relay path proper: only for endpoints with detection on. */
static void s_detect(md_rtp_t *self, md_sock_t *s, size_t len, uint64_t now_us)
{
    md_dtmf_event_t evs[MD_DTMF_MAX_EVENTS];
    int n = md_dtmf_packet(s->dtmf, s->ep->te_pt, self->buf, len, now_us, evs);
    for (int i = 0; i < n && self->on_dtmf; i++)
        self->on_dtmf(s->ep, &evs[i], self->on_dtmf_arg);
}

/* Off the relay path too: only while a detection runs on the endpoint. The detector is
 * freed before the handler hears the decision. */
static void s_amd(md_rtp_t *self, md_sock_t *s, size_t len, uint64_t now_us)
{
    if (md_amd_packet(s->amd, self->buf, len, now_us) != MD_AMD_PENDING)
        md_rtp_amd_decide(self, s->ep, now_us);
}

/* An SRTP leg's datagram (n bytes in self->buf) made plain in place, before anything
 * else looks at it: its plain length, or -1 when it is dropped (counted: a tag that does
 * not verify, a replay, or no key yet). Off the plain path. */
static ssize_t s_unprotect(md_rtp_t *self, md_sock_t *s, ssize_t n, bool rtcp)
{
    size_t len = (size_t)n;
    md_srtp_status_t st = md_srtp_unprotect(s->srtp, self->buf, &len, rtcp);
    if (st == MD_SRTP_OK)
        return (ssize_t)len;
    md_stats_t *stats = &s->ep->stats;
    stats->dropped++;
    if (st == MD_SRTP_AUTH_FAILED)
        stats->srtp_auth_failed++;
    else if (st == MD_SRTP_REPLAYED)
        stats->srtp_replayed++;
    return -1;
}

static void s_on_rtp(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)events;
    md_sock_t *s = arg;
    md_rtp_t *self = s->rtp;
    struct sockaddr_in src;
    ssize_t n = s_recv(self, fd, &src);
    if (n < 0)
        return;    /* EAGAIN, an ICMP error, or an oversized datagram */
    if (s->srtp) { /* the one test the plain path pays on receiving */
        n = s_unprotect(self, s, n, md_rtp_is_rtcp(self->buf, (size_t)n));
        if (n < 0)
            return;
    }
    /* the wake-up's clock: every datagram of this batch was queued before it */
    uint64_t now = cc_loop_now_us(self->loop);
    uint64_t accepted = s->ep->stats.packets_in;
    md_endpoint_t *peer = md_core_rtp_in(s->ep, &src, self->buf, (size_t)n, now);
    if (s->ep->mixing) { /* its audio goes to the mix, not to the peer */
        if (s->ep->stats.packets_in != accepted && self->on_mix)
            self->on_mix(s->ep, self->buf, (size_t)n, now, self->on_mix_arg);
    } else if (peer && !peer->playing && !peer->mixing) { /* those are sent something else */
        s_relay(self, s->ep, peer, (size_t)n, s->ep->stats.packets_in != accepted, now);
    }
    if (s->dtmf && s->ep->stats.packets_in != accepted)
        s_detect(self, s, (size_t)n, now);
    if (s->amd && s->ep->stats.packets_in != accepted)
        s_amd(self, s, (size_t)n, now);
    if (s->tap && s->ep->stats.packets_in != accepted &&
        md_tap_add(s->tap, s->tap_party, self->buf, (size_t)n, now) < 0) {
        self->on_tap(s->tap, s->ep, false, self->on_tap_arg); /* batch full: ship it */
        md_tap_add(s->tap, s->tap_party, self->buf, (size_t)n, now);
    }
}

int md_rtp_send(md_rtp_t *self, md_endpoint_t *ep, const uint8_t *pkt, size_t len)
{
    md_sock_t *s = &self->socks[ep->slot];
    if (ep->rtp.addr.sin_port == 0 || ep->rtp.addr.sin_addr.s_addr == INADDR_ANY || s->fd_rtp < 0)
        return 0;
    const uint8_t *out = pkt;
    size_t out_len = len;
    if (s->srtp) {
        out = self->sbuf;
        out_len = s_protect(self, s, pkt, len, false);
        if (out_len == 0) {
            self->send_errors++;
            return -1;
        }
    }
    ssize_t sent = s_send_rtp_port(self, s, out, out_len, &ep->rtp.addr);
    if (sent != (ssize_t)out_len) {
        self->send_errors++;
        return -1;
    }
    md_stats_rtp_out(&ep->stats, len);
    if (len >= 12)
        s_note_sent(ep, pkt, cc_loop_now_us(self->loop));
    return 0;
}

int md_rtp_dtmf(md_rtp_t *self, md_endpoint_t *ep, bool enable)
{
    md_sock_t *s = &self->socks[ep->slot];
    if (!enable) {
        free(s->dtmf);
        s->dtmf = NULL;
        return 0;
    }
    if (s->dtmf)
        return 0;
    s->dtmf = malloc(sizeof *s->dtmf);
    if (!s->dtmf)
        return -ENOMEM;
    md_dtmf_init(s->dtmf);
    return 0;
}

bool md_rtp_dtmf_enabled(const md_rtp_t *self, const md_endpoint_t *ep)
{
    return self->socks[ep->slot].dtmf != NULL;
}

void md_rtp_on_dtmf(md_rtp_t *self, md_rtp_dtmf_fn *fn, void *arg)
{
    self->on_dtmf = fn;
    self->on_dtmf_arg = arg;
}

int md_rtp_amd_start(md_rtp_t *self, md_endpoint_t *ep, const md_amd_cfg_t *cfg, uint64_t now_us)
{
    md_sock_t *s = &self->socks[ep->slot];
    if (!s->amd && !(s->amd = malloc(sizeof *s->amd)))
        return -ENOMEM;
    md_amd_init(s->amd, cfg, now_us);
    return 0;
}

bool md_rtp_amd_running(const md_rtp_t *self, const md_endpoint_t *ep)
{
    return self->socks[ep->slot].amd != NULL;
}

void md_rtp_amd_stop(md_rtp_t *self, md_endpoint_t *ep)
{
    md_sock_t *s = &self->socks[ep->slot];
    free(s->amd);
    s->amd = NULL;
}

bool md_rtp_amd_decide(md_rtp_t *self, md_endpoint_t *ep, uint64_t now_us)
{
    md_sock_t *s = &self->socks[ep->slot];
    if (!s->amd || md_amd_tick(s->amd, now_us) == MD_AMD_PENDING)
        return false;
    md_amd_figures_t fig = *md_amd_figures(s->amd);
    md_rtp_amd_stop(self, ep);
    if (self->on_amd)
        self->on_amd(ep, &fig, self->on_amd_arg);
    return true;
}

void md_rtp_on_amd(md_rtp_t *self, md_rtp_amd_fn *fn, void *arg)
{
    self->on_amd = fn;
    self->on_amd_arg = arg;
}

int md_rtp_on_close(md_rtp_t *self, md_rtp_close_fn *fn, void *arg)
{
    for (int i = 0; i < MD_RTP_CLOSE_HANDLERS; i++) {
        if (!self->on_close[i].fn) {
            self->on_close[i].fn = fn;
            self->on_close[i].arg = arg;
            return 0;
        }
    }
    return -1;
}

void md_rtp_off_close(md_rtp_t *self, md_rtp_close_fn *fn, void *arg)
{
    for (int i = 0; i < MD_RTP_CLOSE_HANDLERS; i++)
        if (self->on_close[i].fn == fn && self->on_close[i].arg == arg)
            self->on_close[i].fn = NULL;
}

void md_rtp_on_mix(md_rtp_t *self, md_rtp_mix_fn *fn, void *arg)
{
    self->on_mix = fn;
    self->on_mix_arg = arg;
}

void md_rtp_on_tap(md_rtp_t *self, md_rtp_tap_fn *fn, void *arg)
{
    self->on_tap = fn;
    self->on_tap_arg = arg;
}

void md_rtp_tap(md_rtp_t *self, md_endpoint_t *ep, md_tap_t *tap, int party)
{
    md_sock_t *s = &self->socks[ep->slot];
    s->tap = self->on_tap ? tap : NULL;
    s->tap_party = party;
}

md_tap_t *md_rtp_tap_of(const md_rtp_t *self, const md_endpoint_t *ep)
{
    return self->socks[ep->slot].tap;
}

void md_rtp_set_srtp(md_rtp_t *self, md_endpoint_t *ep, md_srtp_t **srtp_p)
{
    md_sock_t *s = &self->socks[ep->slot];
    md_srtp_destroy(&s->srtp);
    s->srtp = srtp_p ? *srtp_p : NULL;
    if (srtp_p)
        *srtp_p = NULL;
}

md_srtp_t *md_rtp_srtp_of(const md_rtp_t *self, const md_endpoint_t *ep)
{
    return self->socks[ep->slot].srtp;
}

static void s_on_rtcp(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)events;
    md_sock_t *s = arg;
    md_rtp_t *self = s->rtp;
    struct sockaddr_in src;
    ssize_t n = s_recv(self, fd, &src);
    if (n < 0)
        return;
    if (s->srtp && (n = s_unprotect(self, s, n, true)) < 0)
        return;
    md_endpoint_t *peer = md_core_rtcp_in(s->ep, &src, (size_t)n, cc_loop_now_us(self->loop));
    if (peer && !s->ep->mixing && !peer->mixing) /* reports on a stream the mix replaced */
        s_relay_rtcp(self, s->ep, peer, (size_t)n);
}

/* ---- endpoints -------------------------------------------------------------------- */

/* reuseport: set SO_REUSEPORT before binding (only the fast socket, see s_bind_fast). */
static int s_bind_one(md_rtp_t *self, int port, bool reuseport)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    if (self->tos > 0)
        (void)setsockopt(fd, IPPROTO_IP, IP_TOS, &self->tos, sizeof self->tos);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = self->bind_addr};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

/* The fast twin of the RTP socket fd_rtp, bound to the same port, or -errno. The main
 * socket was bound exclusively (a port anyone else holds is EADDRINUSE and skipped);
 * SO_REUSEPORT is switched on for just long enough to bind the twin, then off on both,
 * so no other socket, not even another mediad of the same user, can join the port
 * afterwards. Delivery between the two needs no reuseport group: the kernel's lookup
 * prefers the connected socket for its remote and the main one for everything else. */
static int s_bind_fast(md_rtp_t *self, int fd_rtp, int port)
{
    int on = 1, off = 0;
    if (setsockopt(fd_rtp, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0)
        return -errno;
    int fd = s_bind_one(self, port, true);
    (void)setsockopt(fd_rtp, SOL_SOCKET, SO_REUSEPORT, &off, sizeof off);
    if (fd >= 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &off, sizeof off);
    return fd;
}

/* Bind both sockets of the pair at port; 0 or -errno (both closed on failure). */
static int s_bind_pair(md_rtp_t *self, int port, int *fd_rtp, int *fd_rtcp)
{
    *fd_rtp = s_bind_one(self, port, false);
    if (*fd_rtp < 0)
        return *fd_rtp;
    *fd_rtcp = s_bind_one(self, port + 1, false);
    if (*fd_rtcp < 0) {
        int rc = *fd_rtcp;
        close(*fd_rtp);
        return rc;
    }
    return 0;
}

/* A pair from the pool, bound: 0 with *port, or -ENOSPC / -errno. Ports held by another
 * process are skipped: they go to the back of the queue. */
static int s_bind_any(md_rtp_t *self, int *port, int *fd_rtp, int *fd_rtcp)
{
    int rc = -ENOSPC;
    for (int tries = 0; tries < 64; tries++) {
        *port = md_ports_alloc(self->ports, cc_mono_us());
        if (*port < 0)
            return -ENOSPC;
        rc = s_bind_pair(self, *port, fd_rtp, fd_rtcp);
        if (rc == 0)
            return 0;
        md_ports_free(self->ports, *port, cc_mono_us());
        if (rc != -EADDRINUSE)
            return rc;
        cc_warn("rtp.port_busy", "port=%d", *port);
    }
    return rc;
}

/* Exactly the pair and slot a restore names, bound: 0, -EBUSY (the slot or port is in
 * use, here or by another process), -ENOENT (not an id or port of this mediad), -errno. */
static int s_bind_restore(md_rtp_t *self, const md_restore_t *restore, int *fd_rtp, int *fd_rtcp)
{
    int rc = md_core_can_restore(self->core, restore->id);
    if (rc == 0)
        rc = md_ports_take(self->ports, restore->port);
    if (rc < 0)
        return rc;
    rc = s_bind_pair(self, restore->port, fd_rtp, fd_rtcp);
    if (rc < 0) {
        md_ports_free(self->ports, restore->port, cc_mono_us());
        return rc == -EADDRINUSE ? -EBUSY : rc;
    }
    return 0;
}

/* Watch the endpoint's sockets and add its fast twin. 0 or -errno (nothing watched). */
static int s_watch(md_rtp_t *self, md_sock_t *s, int port)
{
    int rc = cc_loop_fd_add(self->loop, s->fd_rtp, EPOLLIN, s_on_rtp, s);
    if (rc == 0) {
        rc = cc_loop_fd_add(self->loop, s->fd_rtcp, EPOLLIN, s_on_rtcp, s);
        if (rc < 0)
            cc_loop_fd_remove(self->loop, s->fd_rtp);
    }
    if (rc < 0)
        return rc;
    /* the fast socket is an optimisation: the endpoint works without it */
    int fd_fast = s_bind_fast(self, s->fd_rtp, port);
    if (fd_fast >= 0 && cc_loop_fd_add(self->loop, fd_fast, EPOLLIN, s_on_rtp, s) == 0)
        s->fd_fast = fd_fast;
    else if (fd_fast >= 0)
        close(fd_fast);
    else
        self->fast_failed++;
    return 0;
}

int md_rtp_open(md_rtp_t *self, const char *call_id, const char *leg, bool symmetric,
                const md_restore_t *restore, md_endpoint_t **out)
{
    int fd_rtp = -1, fd_rtcp = -1, port = restore ? restore->port : -1, rc;
    if (restore)
        rc = s_bind_restore(self, restore, &fd_rtp, &fd_rtcp);
    else if (md_core_count(self->core) >= md_core_capacity(self->core))
        rc = -ENOSPC;
    else
        rc = s_bind_any(self, &port, &fd_rtp, &fd_rtcp);
    if (rc < 0)
        return rc;
    md_endpoint_t *ep =
        restore ? md_core_restore(self->core, restore->id, port, call_id, leg, symmetric)
                : md_core_create(self->core, port, call_id, leg, symmetric);
    if (!ep) { /* cannot happen after the checks above; stay safe anyway */
        close(fd_rtp);
        close(fd_rtcp);
        md_ports_free(self->ports, port, cc_mono_us());
        return -ENOSPC;
    }
    md_sock_t *s = &self->socks[ep->slot];
    *s = (md_sock_t){.rtp = self, .ep = ep, .fd_rtp = fd_rtp, .fd_rtcp = fd_rtcp, .fd_fast = -1};
    rc = s_watch(self, s, port);
    if (rc < 0) {
        close(fd_rtp);
        close(fd_rtcp);
        s->fd_rtp = s->fd_rtcp = -1;
        md_ports_free(self->ports, port, cc_mono_us());
        md_core_delete(self->core, ep);
        return rc;
    }
    *out = ep;
    return 0;
}

void md_rtp_close(md_rtp_t *self, md_endpoint_t *ep)
{
    for (int i = 0; i < MD_RTP_CLOSE_HANDLERS; i++)
        if (self->on_close[i].fn)
            self->on_close[i].fn(ep, self->on_close[i].arg);
    md_sock_t *s = &self->socks[ep->slot];
    if (s->tap && self->on_tap)
        self->on_tap(s->tap, ep, true, self->on_tap_arg);
    free(s->dtmf);
    free(s->amd);
    md_srtp_destroy(&s->srtp);
    if (s->fd_rtp >= 0) {
        cc_loop_fd_remove(self->loop, s->fd_rtp);
        close(s->fd_rtp);
    }
    if (s->fd_rtcp >= 0) {
        cc_loop_fd_remove(self->loop, s->fd_rtcp);
        close(s->fd_rtcp);
    }
    if (s->fd_fast >= 0) {
        cc_loop_fd_remove(self->loop, s->fd_fast);
        close(s->fd_fast);
    }
    *s = (md_sock_t){.fd_rtp = -1, .fd_rtcp = -1, .fd_fast = -1};
    md_ports_free(self->ports, ep->port, cc_mono_us());
    md_core_delete(self->core, ep);
}
