/* cc_bus_priv.h - the inside of cc_bus_t, shared by the bus's own files only:
 * cc_bus.c (lifecycle, dispatch, publishing, serving commands, replay ring),
 * cc_bus_req.c (DEALERs and requests), cc_bus_sub.c (SUB sockets, reliable delivery),
 * cc_bus_journal.c (events on disk, the predecessor's tail).
 * Nothing outside common/cc_bus*.c includes this. */
#ifndef CC_BUS_PRIV_H
#define CC_BUS_PRIV_H

#include <czmq.h>
#include <errno.h>

#include "cc_bus.h"
#include "cc_map.h"

#define CC_BUS_REPLAY_PAGE 1000 /* events per bus.replay reply */
#define CC_BUS_REPLAY_TIMEOUT_MS 3000
#define CC_BUS_REPLAY_RETRY_MS 1000 /* after a failed replay request */
#define CC_BUS_TIMER_MS 50          /* how often a cc_loop expires requests */
#define CC_BUS_MAX_ENVELOPE 8       /* routing frames kept for a reply */
#define CC_BUS_REQ_ID_MAX 128

typedef struct cc_bus_subsock cc_bus_subsock_t;
typedef struct cc_bus_net cc_bus_net_t;

/* One subscription on a publisher's SUB socket. */
typedef struct {
    cc_bus_subsock_t *ss;
    cc_bus_event_fn *fn;
    void *arg;
    char *prefix; /* best-effort: type prefix; NULL for reliable */
    bool reliable;
    bool scanned;            /* reliable: takes live events as a cc_json_doc_t */
    cc_bus_cursor_t cursor;  /* reliable: last event delivered */
    bool in_flight;          /* reliable: a bus.replay request is outstanding */
    uint64_t retry_at_ms;    /* reliable: when to ask again after a failure (0: no) */
    cc_bus_cursor_t dropped; /* reliable: newest live event dropped during this replay */
} cc_bus_handler_t;

/* One SUB socket per publisher, shared by all subscriptions to it. */
struct cc_bus_subsock {
    char *publisher;
    zsock_t *sock;
    int fd;
    cc_bus_handler_t **handlers;
    size_t nhandlers, cap;
    /* When every handler is scanned: the tokens and string scratch of the event being
     * delivered, reused from one event to the next. */
    cc_json_tok_t *toks;
    char *scratch;
    size_t scratch_cap;
};

#define CC_BUS_SCAN_TOKENS 512 /* values in a scanned event; more: jansson parses it */

/* One DEALER per command target. */
typedef struct {
    char *target;
    zsock_t *sock;
    int fd;
    bool sent; /* a request went out since the socket was last read (cc_bus_mark_sent) */
} cc_bus_dealer_t;

/* A request waiting for its reply: in the id map, in the deadline heap (heap_idx), and in
 * its owner's list when it has one. */
struct cc_bus_pending {
    char id[CC_BUS_REQ_ID_MAX];
    cc_bus_handle_t handle;
    uint64_t deadline_ms;
    size_t heap_idx;
    cc_bus_owner_t *owner;
    cc_bus_pending_t *owner_prev, *owner_next;
    cc_bus_reply_fn *fn;
    void *arg;
    char log_call[64]; /* the log's call context when sent, restored for the callback */
};

typedef struct {
    const char *name; /* the catalogue's string: static */
    cc_bus_command_fn *fn;
    void *arg;
} cc_bus_cmd_t;

/* A received command until it is answered: the routing frames to reply through. */
struct cc_bus_req {
    zmq_msg_t envelope[CC_BUS_MAX_ENVELOPE];
    int nenvelope;
    char *id;        /* the caller's "req", NULL if it sent none */
    const char *cmd; /* catalogue name, or NULL when the command was not understood */
};

struct cc_bus {
    char *name;
    char *run_dir;
    uint64_t epoch;
    uint64_t seq;
    zsock_t *pub;
    zsock_t *router;
    bool bound; /* we created the ipc files, so we remove them on destroy */
    /* Set by anything that may have consumed a socket's ZMQ_FD edge (a send, a connect)
     * outside cc_bus_dispatch; the loop's prepare hook drains only then, so an idle bus
     * costs no syscalls per loop iteration (mediad iterates once per RTP packet). A send
     * names its socket (cc_bus_mark_sent), and then only that socket is looked at; a new
     * socket or subscription (cc_bus_mark_dirty) has every socket looked at. */
    bool dirty;
    bool dirty_all;
    bool router_sent; /* a reply went out on the router since it was last read */
    /* Replay ring: the event with sequence s lives in slot (s - 1) % ring_cap. */
    char **ring;
    size_t *ring_len;
    size_t ring_cap;
    /* The journal (cc_bus_journal.c) and the predecessor's tail loaded from it, laid out
     * as the ring is: sequence s of prev_epoch in slot (s - 1) % ring_cap. */
    int journal_fd; /* -1: none */
    size_t journal_lines;
    char *journal_path, *journal_old;
    char **prev;
    size_t *prev_len;
    uint64_t prev_epoch, prev_first, prev_last; /* prev_last 0: nothing loaded */
    cc_bus_cmd_t *cmds;
    size_t ncmds, cmds_cap;
    cc_bus_subsock_t **subs;
    size_t nsubs, subs_cap;
    cc_bus_dealer_t **dealers;
    size_t ndealers, dealers_cap;
    cc_map_t *pending;       /* request id -> cc_bus_pending_t */
    cc_bus_pending_t **heap; /* by deadline, earliest first */
    size_t nheap, heap_cap;
    uint64_t req_counter;
    char req_prefix[96]; /* "<name>-<pid>-": request ids are prefix + handle */
    cc_bus_loss_fn *loss_fn;
    void *loss_arg;
    cc_loop_t *loop;
    int timer_id;
    cc_bus_fd_fn *fd_fn;
    void *fd_arg;
    cc_bus_watch_t **watches; /* daemons pinged for their epoch (cc_bus_watch.c) */
    size_t nwatches, watches_cap;
    cc_bus_owner_t watch_owner; /* the pings in flight */
    cc_bus_net_t *net;          /* TCP peers and CURVE keys (cc_bus_net.c); NULL: ipc only */
};

/* cc_bus_journal.c: open at bind (loading the predecessor's tail), one line per event
 * published, close at destroy. */
int cc_bus_journal_open(cc_bus_t *self);
void cc_bus_journal_append(cc_bus_t *self, const char *text, size_t len);
void cc_bus_journal_close(cc_bus_t *self);

/* cc_bus.c */
static inline void cc_bus_mark_dirty(cc_bus_t *self)
{
    self->dirty = self->dirty_all = true;
}
/* A send on one socket: *sent is that socket's flag (router_sent, a dealer's sent). */
static inline void cc_bus_mark_sent(cc_bus_t *self, bool *sent)
{
    *sent = true;
    self->dirty = true;
}
uint64_t cc_bus_now_ms(void);
zsock_t *cc_bus_socket_new(cc_bus_t *self, int type, int *fd_out); /* linger 0, watched */
void cc_bus_socket_destroy(cc_bus_t *self, zsock_t **sock_p, int fd);
bool cc_bus_readable(zsock_t *sock);
/* Receive one multipart message; keeps at most `max` frames (the rest are dropped) and
 * returns how many were kept, 0 when nothing could be read. Frames are initialised. */
int cc_bus_recv_frames(zsock_t *sock, zmq_msg_t *frames, int max);
void cc_bus_close_frames(zmq_msg_t *frames, int n);

/* cc_bus_req.c */
bool cc_bus_dealer_drain(cc_bus_t *self, cc_bus_dealer_t *d);
int cc_bus_requests_init(cc_bus_t *self);
bool cc_bus_expire_requests(cc_bus_t *self, uint64_t now_ms);
void cc_bus_requests_free(cc_bus_t *self);
int cc_bus_requests_next_ms(cc_bus_t *self, uint64_t now_ms);

/* cc_bus_watch.c */
bool cc_bus_watch_timers(cc_bus_t *self, uint64_t now_ms);
int cc_bus_watch_next_ms(cc_bus_t *self, uint64_t now_ms);
void cc_bus_watches_free(cc_bus_t *self);

/* cc_bus_sub.c */
bool cc_bus_sub_drain(cc_bus_t *self, cc_bus_subsock_t *ss);
bool cc_bus_sub_timers(cc_bus_t *self, uint64_t now_ms);
int cc_bus_sub_next_ms(cc_bus_t *self, uint64_t now_ms);
void cc_bus_subs_free(cc_bus_t *self);

/* cc_bus_net.c: where a socket binds or connects, with CURVE on TCP. kind "pub"/"cmd".
 * The endpoint used is written to ep (for logs). 0, or -1 with errno set and the reason
 * logged. */
int cc_bus_net_bind(cc_bus_t *self, zsock_t *sock, const char *kind, char *ep, size_t eplen);
int cc_bus_net_connect(cc_bus_t *self, zsock_t *sock, const char *peer, const char *kind, char *ep,
                       size_t eplen);
void cc_bus_net_free(cc_bus_t *self);
/* Answer the ZAP requests waiting (a bus that binds TCP); true if there were any. */
bool cc_bus_net_drain(cc_bus_t *self);

/* Grow an array of `*cap` elements of `size` bytes to hold one more. 0 or -ENOMEM. */
int cc_bus_grow(void **array, size_t *cap, size_t count, size_t size);

#endif
