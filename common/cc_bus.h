/* cc_bus.h - the ZeroMQ bus between daemons. Owns the sockets, the JSON envelope, the
 * replay ring, gap detection and request/reply matching; knows nothing of what events mean.
 *
 * Each daemon binds a PUB socket (events) at ipc://<run_dir>/<name>.pub and a ROUTER
 * socket (commands) at ipc://<run_dir>/<name>.cmd. Consumers SUB to the publishers they
 * need; callers reach a daemon's ROUTER with one DEALER per target, asynchronously.
 *
 * Event on the wire: two frames, [type][json]. The JSON object carries the envelope
 *   {"type":"call.answered","id":{"pub":"sipproxy","epoch":E,"seq":N},
 *    "ts":"2026-11-21T13:17:03.123456Z","call_id":"...", ...fields}
 * epoch = the publisher's start time in microseconds (changes on every restart), seq
 * counts from 1 within an epoch across all of that publisher's event types.
 * Command on the wire: one frame {"type":"cmd.name","req":"<request id>","args":{...}};
 * reply one frame {"req":"<id>","ok":true,"result":{...}} or
 *                 {"req":"<id>","ok":false,"error":{"code":"bad_args","message":"..."}}.
 *
 * Every event and command is declared in common/events/<domain>.def (see cc_events.h).
 * Publishing an undeclared type, or without a required field, is logged as an error and
 * not sent. Commands are checked against their declared args before the handler runs:
 * bad JSON, an unknown command or missing/mistyped args get an error reply, never a crash.
 *
 * ZMQ_FD is edge-triggered and a send can consume the edge: the bus drains every socket
 * (while ZMQ_EVENTS says readable) in cc_bus_dispatch(), which cc_loop runs as a prepare
 * hook before every wait, so nothing is left unread after a send. */
#ifndef CC_BUS_H
#define CC_BUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cc_json_scan.h"
#include "cc_loop.h"

typedef struct cc_bus cc_bus_t;

/* ---- lifecycle ---------------------------------------------------------------- */

/* `name` is this process's bus name (a daemon name, or e.g. "ccctl-<pid>" for clients).
 * `replay_depth` is how many published events are kept for replay (0 for pure clients).
 * Creating the bus also tells czmq not to install its own signal handlers. */
cc_bus_t *cc_bus_new(const char *name, const char *run_dir, int replay_depth);
void cc_bus_destroy(cc_bus_t **self_p);

/* Across hosts: the daemons named in `peers` ("mediad=tcp://10.0.0.2:7700 cdrd=tcp://...",
 * spaces or commas between) are reached over TCP, PORT for events and PORT+1 for commands,
 * instead of ipc in run_dir; a bus whose own name is listed binds there. Every TCP socket
 * is CURVE-encrypted and authenticated: this bus's key pair is keys_dir/KEY.cert_secret
 * (KEY = the bus name up to its first '-', so "ccctl-123" uses ccctl's), a peer's public
 * certificate allow_dir/PEER.cert, and a client may connect only when its public
 * certificate is in allow_dir. Call before cc_bus_bind and before any request or
 * subscription. 0, or -1 with err naming what is wrong. */
typedef struct {
    const char *peers;     /* "" or NULL: ipc only, keys not needed */
    const char *keys_dir;  /* this host's NAME.cert_secret files */
    const char *allow_dir; /* public NAME.cert of every allowed peer */
} cc_bus_network_t;
int cc_bus_set_network(cc_bus_t *self, const cc_bus_network_t *net, char *err, size_t errlen);

/* cc_bus_new + cc_bus_set_network from the instance's config ([common] run_dir, bus_peers,
 * bus_keys_dir, bus_allow_dir): how daemons and ccctl make their bus. NULL with err. */
struct cc_config;
cc_bus_t *cc_bus_from_config(const char *name, const struct cc_config *cfg, int replay_depth,
                             char *err, size_t errlen);
/* True when `daemon` is certainly not running: it is reached by ipc and its command socket
 * file is missing (say so at once instead of waiting for a timeout). False when it may be
 * running, including every daemon reached over TCP. */
bool cc_bus_config_surely_down(const struct cc_config *cfg, const char *daemon);

/* Bind PUB and ROUTER. Returns 0, or -errno with an error logged (event=bus.bind_failed). */
int cc_bus_bind(cc_bus_t *self);

/* Register the bus with a cc_loop: its sockets' fds, a prepare hook that drains them, and a
 * timer that expires requests. Sockets created later are registered as they appear. */
int cc_bus_attach(cc_bus_t *self, cc_loop_t *loop);

/* For a loop that is not cc_loop (sofia's su_root): the bus reports each fd to watch for
 * readability as it creates sockets; the owner calls cc_bus_dispatch() when one fires and
 * before every wait, and wakes up no later than cc_bus_next_timeout_ms(). */
typedef void(cc_bus_fd_fn)(cc_bus_t *bus, int fd, void *arg);
void cc_bus_set_fd_watcher(cc_bus_t *self, cc_bus_fd_fn *fn, void *arg);
/* Drain every socket, run handlers, expire overdue requests. True if anything happened. */
bool cc_bus_dispatch(cc_bus_t *self);
/* A send or a connect since the last dispatch may have consumed a socket's ZMQ_FD edge:
 * dispatch before sleeping. False when nothing can be waiting unnoticed. */
bool cc_bus_needs_dispatch(const cc_bus_t *self);
/* The dispatch for that case: only the sockets sent on (all of them after a connect or a
 * new subscription), plus the overdue timers; the sockets' own ZMQ_FDs cover the rest. */
bool cc_bus_dispatch_sent(cc_bus_t *self);
/* Milliseconds until the next request timeout, or -1 when none is pending. */
int cc_bus_next_timeout_ms(cc_bus_t *self);

const char *cc_bus_name(const cc_bus_t *self);
uint64_t cc_bus_epoch(const cc_bus_t *self);
uint64_t cc_bus_last_seq(const cc_bus_t *self);

/* "ipc://<run_dir>/<name>.<kind>" (kind: "pub" or "cmd") into buf; returns buf. */
char *cc_bus_endpoint(char *buf, size_t len, const char *run_dir, const char *name,
                      const char *kind);

/* ---- events ------------------------------------------------------------------- */

/* Publish. `fields` (stolen, may be NULL) holds the event's own fields; the envelope is
 * added here. call_id may be NULL. Returns 0, or -EINVAL if the event does not match its
 * declaration (logged, not sent), or -errno from the socket. Never blocks. */
int cc_bus_publish(cc_bus_t *self, const char *type, const char *call_id, json_t *fields);

typedef struct {
    const char *type; /* "call.answered" */
    const char *pub;  /* publisher's name */
    uint64_t epoch;
    uint64_t seq;
    const char *call_id; /* NULL when the event has none */
    json_t *body;        /* the whole event object, borrowed for the callback's duration;
                            NULL when doc holds it instead */
    cc_json_doc_t *doc;  /* scanned subscriptions, live events: the event as tokens
                                (cc_json_scan.h, value 0), borrowed; else NULL */
    bool replayed;       /* came from a replay rather than live */
} cc_bus_event_t;

typedef void(cc_bus_event_fn)(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg);

/* Fill `ev` from an event object as it came off the wire (its strings and body borrow from
 * `body`); false if it lacks a usable envelope (type, id.pub, id.epoch, id.seq). */
bool cc_bus_event_parse(json_t *body, cc_bus_event_t *ev, bool replayed);
/* The same from a scanned event (token 0 its object): ev->doc = doc, body NULL. */
bool cc_bus_event_parse_doc(cc_json_doc_t *doc, cc_bus_event_t *ev);

/* Best-effort subscription: live events of `publisher` whose type starts with prefix
 * ("" for all). Events published while not connected are simply missed. */
int cc_bus_subscribe(cc_bus_t *self, const char *publisher, const char *type_prefix,
                     cc_bus_event_fn *fn, void *arg);

/* Where a reliable consumer is in a publisher's stream: the last event it processed. */
typedef struct {
    uint64_t epoch; /* 0: never saw this publisher */
    uint64_t seq;
} cc_bus_cursor_t;

/* Reliable subscription to every event of `publisher`, each delivered once and in order
 * after `start`: on connect and on any gap the bus asks the publisher to replay from the
 * cursor (command bus.replay) and delivers the missed events before live ones. If the
 * publisher restarted (new epoch) the new epoch is replayed from its first event; events
 * the publisher no longer holds are reported once through the loss callback and logged
 * (event=bus.loss). The consumer stores ev->epoch/ev->seq with its own writes. */
int cc_bus_subscribe_reliable(cc_bus_t *self, const char *publisher, cc_bus_cursor_t start,
                              cc_bus_event_fn *fn, void *arg);

/* The same, for a consumer that reads a few fields of many events: live events come as
 * ev->doc (scanned by cc_json_scan, no jansson tree built) with body NULL, and the handler
 * reads both forms (replayed events, and any too big for the scanner's tokens, still come
 * as body). Only when every subscription to that publisher is scanned: otherwise all get
 * body. */
int cc_bus_subscribe_reliable_scanned(cc_bus_t *self, const char *publisher, cc_bus_cursor_t start,
                                      cc_bus_event_fn *fn, void *arg);

typedef void(cc_bus_loss_fn)(cc_bus_t *bus, const char *publisher, uint64_t epoch,
                             uint64_t first_lost_seq, uint64_t last_lost_seq, void *arg);
void cc_bus_on_loss(cc_bus_t *self, cc_bus_loss_fn *fn, void *arg);

/* ---- commands: serving ------------------------------------------------------- */

/* A command waiting for its reply. The handler (or code it hands the request to) must
 * answer it exactly once, now or later, with cc_bus_reply or cc_bus_reply_error; that
 * frees it. */
typedef struct cc_bus_req cc_bus_req_t;

typedef void(cc_bus_command_fn)(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                                void *arg);

/* Serve command `cmd` (declared in the catalogue). `ping` and `bus.replay` are built in. */
int cc_bus_on_command(cc_bus_t *self, const char *cmd, cc_bus_command_fn *fn, void *arg);
void cc_bus_reply(cc_bus_t *self, cc_bus_req_t *req, json_t *result /* stolen, may be NULL */);
void cc_bus_reply_error(cc_bus_t *self, cc_bus_req_t *req, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- commands: calling ------------------------------------------------------- */

/* status: 0 ok (result is the reply's "result", may be NULL), -ETIMEDOUT (no reply within
 * the timeout; result NULL), -EPROTO (error reply: result is the "error" object). The
 * result is borrowed for the callback's duration. */
typedef void(cc_bus_reply_fn)(cc_bus_t *bus, int status, json_t *result, void *arg);

/* A request in flight; 0 is never a valid handle. */
typedef uint64_t cc_bus_handle_t;

/* Whoever a request is for (a call, an HTTP session, a recording): embed a zeroed
 * cc_bus_owner_t in that object and pass it with each request. When the object goes,
 * cc_bus_owner_cancel drops everything it still waits for, so a reply that arrives later
 * finds nothing and no callback ever sees a freed object. */
typedef struct cc_bus_pending cc_bus_pending_t;
typedef struct {
    cc_bus_pending_t *head;
    size_t count; /* requests in flight for this owner */
} cc_bus_owner_t;

/* Send `cmd` to daemon `target` without blocking. args stolen (may be NULL); owner may be
 * NULL for a request nobody needs to cancel. Exactly one of fn(reply), fn(-ETIMEDOUT) or a
 * cancel ends it. Returns the request's handle, or 0 when it could not even be queued
 * (then fn is never called). fn may be NULL when nobody wants the reply. */
cc_bus_handle_t cc_bus_request(cc_bus_t *self, cc_bus_owner_t *owner, const char *target,
                               const char *cmd, json_t *args, int timeout_ms, cc_bus_reply_fn *fn,
                               void *arg);
/* Forget one request: its callback will not run. False if it already ended. */
bool cc_bus_cancel(cc_bus_t *self, cc_bus_handle_t handle);
/* Forget every request of owner (none of their callbacks runs); the owner may then be freed. */
void cc_bus_owner_cancel(cc_bus_t *self, cc_bus_owner_t *owner);
static inline size_t cc_bus_owner_pending(const cc_bus_owner_t *owner)
{
    return owner->count;
}
/* Requests in flight, all owners. */
size_t cc_bus_pending_count(const cc_bus_t *self);

/* ---- watching a daemon for restarts ------------------------------------------ */

/* Ping `target` every interval_ms. fn runs when the epoch in its reply differs from the
 * last one seen: old_epoch 0 the first time it answers (or after it was down), new_epoch 0
 * when a ping went unanswered for three intervals (down). A changed non-zero epoch means the
 * daemon restarted: whatever it held for this one (mediad's endpoints) is gone. */
typedef struct cc_bus_watch cc_bus_watch_t;
typedef void(cc_bus_watch_fn)(cc_bus_t *bus, const char *target, uint64_t old_epoch,
                              uint64_t new_epoch, void *arg);
int cc_bus_watch(cc_bus_t *self, const char *target, int interval_ms, cc_bus_watch_fn *fn,
                 void *arg);
/* The epoch the watch last saw for target (0: none yet, down, or not watched). */
uint64_t cc_bus_watched_epoch(const cc_bus_t *self, const char *target);
/* When (cc_mono_ms) target last answered a ping; inside the watch callback, still the
 * answer of the epoch before the change: the last sign of life of a daemon now gone. */
uint64_t cc_bus_watched_seen_ms(const cc_bus_t *self, const char *target);

/* Blocking call for command-line tools and tests (never inside a daemon's loop). Returns
 * the result object (new reference, json null if the reply had none) or NULL with err set
 * ("timeout after 2000 ms", "sipproxy: bad_args: missing 'number'"). */
json_t *cc_bus_call(cc_bus_t *self, const char *target, const char *cmd, json_t *args,
                    int timeout_ms, char *err, size_t errlen);

#endif
