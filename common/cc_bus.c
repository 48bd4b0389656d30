/* cc_bus.c - the bus's lifecycle and its serving side: sockets and their registration
 * with a loop, the drain-everything dispatch, publishing with the replay ring, and the
 * ROUTER that validates commands and answers ping and bus.replay itself.
 * Requests live in cc_bus_req.c, subscriptions in cc_bus_sub.c. */
#include "cc_bus_priv.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cc_events.h"
#include "cc_json_write.h"
#include "cc_log.h"

#define S_PUB_HWM 100000 /* a slow subscriber loses events (and replays) past this */
#define S_MAX_MSG (16 * 1024 * 1024)

/* ---- small helpers shared by the bus files --------------------------------------- */

uint64_t cc_bus_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t s_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int cc_bus_grow(void **array, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *n = realloc(*array, ncap * size);
    if (!n)
        return -ENOMEM;
    *array = n;
    *cap = ncap;
    return 0;
}

bool cc_bus_readable(zsock_t *sock)
{
    return sock && (zsock_events(sock) & ZMQ_POLLIN);
}

int cc_bus_recv_frames(zsock_t *sock, zmq_msg_t *frames, int max)
{
    void *handle = zsock_resolve(sock);
    int n = 0;
    for (;;) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&part);
            break; /* EAGAIN on the first frame: nothing there */
        }
        bool more = zmq_msg_more(&part);
        if (n < max) {
            zmq_msg_init(&frames[n]);
            zmq_msg_move(&frames[n++], &part);
        }
        zmq_msg_close(&part);
        if (!more)
            break;
    }
    return n;
}

void cc_bus_close_frames(zmq_msg_t *frames, int n)
{
    for (int i = 0; i < n; i++)
        zmq_msg_close(&frames[i]);
}

/* ---- sockets and loop registration --------------------------------------------- */

static void s_on_fd(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop, (void)fd, (void)events;
    cc_bus_dispatch(arg);
}

static bool s_on_prepare(cc_loop_t *loop, void *arg)
{
    (void)loop;
    cc_bus_t *self = arg;
    return self->dirty ? cc_bus_dispatch_sent(self) : false;
}

static void s_on_timer(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop, (void)timer_id;
    cc_bus_dispatch(arg);
}

static void s_watch(cc_bus_t *self, int fd)
{
    if (self->loop) {
        int rc = cc_loop_fd_add(self->loop, fd, EPOLLIN, s_on_fd, self);
        if (rc < 0)
            cc_error("bus.watch_failed", "fd=%d err=%s", fd, cc_logq(strerror(-rc)));
    }
    if (self->fd_fn)
        self->fd_fn(self, fd, self->fd_arg);
}

zsock_t *cc_bus_socket_new(cc_bus_t *self, int type, int *fd_out)
{
    zsock_t *sock = zsock_new(type);
    if (!sock)
        return NULL;
    zsock_set_linger(sock, 0);
    *fd_out = zsock_fd(sock);
    cc_bus_mark_dirty(self);
    if (type != ZMQ_PUB)
        s_watch(self, *fd_out);
    return sock;
}

void cc_bus_socket_destroy(cc_bus_t *self, zsock_t **sock_p, int fd)
{
    if (!*sock_p)
        return;
    if (self->loop)
        cc_loop_fd_remove(self->loop, fd);
    zsock_destroy(sock_p);
}

/* ---- lifecycle ------------------------------------------------------------------ */

/* ZeroMQ's I/O threads run as SCHED_BATCH: woken, they do not preempt the thread that
 * runs (the kernel's wake-up preemption skips batch tasks) but wait for it to sleep, or
 * run on an idle core. Otherwise every send that wakes the I/O thread costs the sender
 * two context switches at once, and the I/O thread moves one message per wake-up; this
 * way it moves what a handler sent in one go. At 1,200 calls/s it cut the suite's CPU
 * per call by about a tenth (mediad and cdrd by a quarter). libzmq aborts when it cannot
 * set the policy it was given, so this thread tries it first (and is put back); a
 * system that refuses keeps the default. Applies to I/O threads started later: the
 * first bus of a process comes before its first socket. */
static void s_io_threads_batch(void *ctx)
{
    static bool tried;
    if (tried)
        return;
    tried = true;
    int policy;
    struct sched_param was, batch = {.sched_priority = 0};
    if (pthread_getschedparam(pthread_self(), &policy, &was) != 0)
        return;
    if (pthread_setschedparam(pthread_self(), SCHED_BATCH, &batch) != 0)
        return;
    (void)pthread_setschedparam(pthread_self(), policy, &was);
    zmq_ctx_set(ctx, ZMQ_THREAD_SCHED_POLICY, SCHED_BATCH);
}

cc_bus_t *cc_bus_new(const char *name, const char *run_dir, int replay_depth)
{
    /* czmq must not take SIGINT/SIGTERM: cc_loop owns signals. Before any socket. */
    zsys_handler_set(NULL);
    s_io_threads_batch(zsys_init());
    cc_bus_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->name = strdup(name);
    self->run_dir = strdup(run_dir);
    self->epoch = s_wall_us();
    self->dirty = true;
    self->journal_fd = -1;
    self->ring_cap = replay_depth > 0 ? (size_t)replay_depth : 0;
    if (self->ring_cap) {
        self->ring = calloc(self->ring_cap, sizeof *self->ring);
        self->ring_len = calloc(self->ring_cap, sizeof *self->ring_len);
    }
    if (!self->name || !self->run_dir || (self->ring_cap && (!self->ring || !self->ring_len)) ||
        cc_bus_requests_init(self) != 0) {
        cc_bus_destroy(&self);
        return NULL;
    }
    return self;
}

static void s_unlink_ipc_files(const cc_bus_t *self)
{
    static const char *const kinds[] = {"pub", "cmd"};
    for (size_t i = 0; i < 2; i++) {
        char ep[512];
        cc_bus_endpoint(ep, sizeof ep, self->run_dir, self->name, kinds[i]);
        if (strncmp(ep, "ipc://", 6) == 0)
            unlink(ep + 6);
    }
}

void cc_bus_destroy(cc_bus_t **self_p)
{
    cc_bus_t *self = *self_p;
    if (!self)
        return;
    if (self->loop && self->timer_id > 0)
        cc_loop_timer_cancel(self->loop, self->timer_id);
    if (self->loop)
        cc_loop_prepare_remove(self->loop, s_on_prepare, self);
    cc_bus_watches_free(self);
    cc_bus_requests_free(self);
    cc_bus_subs_free(self);
    if (self->router)
        cc_bus_socket_destroy(self, &self->router, zsock_fd(self->router));
    zsock_destroy(&self->pub);
    /* libzmq removes an ipc file only when its reaper gets to the socket, which a prompt
     * exit can beat: remove ours so `ccctl status` doesn't mistake them for a live daemon. */
    if (self->bound)
        s_unlink_ipc_files(self);
    cc_bus_journal_close(self);
    cc_bus_net_free(self);
    for (size_t i = 0; i < self->ring_cap; i++)
        free(self->ring[i]);
    free(self->ring);
    free(self->ring_len);
    free(self->cmds);
    free(self->name);
    free(self->run_dir);
    free(self);
    *self_p = NULL;
}

char *cc_bus_endpoint(char *buf, size_t len, const char *run_dir, const char *name,
                      const char *kind)
{
    snprintf(buf, len, "ipc://%s/%s.%s", run_dir, name, kind);
    return buf;
}

int cc_bus_bind(cc_bus_t *self)
{
    char ep[512] = "";
    int fd;
    errno = 0;
    self->pub = cc_bus_socket_new(self, ZMQ_PUB, &fd);
    if (!self->pub)
        goto fail;
    zsock_set_sndhwm(self->pub, S_PUB_HWM);
    if (cc_bus_net_bind(self, self->pub, "pub", ep, sizeof ep) < 0)
        goto fail;
    self->router = cc_bus_socket_new(self, ZMQ_ROUTER, &fd);
    if (!self->router)
        goto fail;
    zsock_set_maxmsgsize(self->router, S_MAX_MSG);
    if (cc_bus_net_bind(self, self->router, "cmd", ep, sizeof ep) < 0)
        goto fail;
    self->bound = true;
    if (cc_bus_journal_open(self) != 0) /* logged; the bus works on without one */
        cc_warn("bus.no_journal", "name=%s effect=\"a crash loses events not yet delivered\"",
                cc_logq(self->name));
    cc_info("bus.bound", "name=%s epoch=%" PRIu64 " dir=%s", cc_logq(self->name), self->epoch,
            cc_logq(self->run_dir));
    return 0;
fail:;
    int err = errno ? errno : EINVAL;
    cc_error("bus.bind_failed", "endpoint=%s err=%s", cc_logq(ep), cc_logq(zmq_strerror(err)));
    if (self->router)
        cc_bus_socket_destroy(self, &self->router, zsock_fd(self->router));
    zsock_destroy(&self->pub);
    return -err;
}

int cc_bus_attach(cc_bus_t *self, cc_loop_t *loop)
{
    self->loop = loop;
    if (self->router)
        s_watch(self, zsock_fd(self->router));
    for (size_t i = 0; i < self->nsubs; i++)
        s_watch(self, self->subs[i]->fd);
    for (size_t i = 0; i < self->ndealers; i++)
        s_watch(self, self->dealers[i]->fd);
    int rc = cc_loop_prepare_add(loop, s_on_prepare, self);
    if (rc < 0)
        return rc;
    self->timer_id = cc_loop_timer_add(loop, CC_BUS_TIMER_MS, CC_BUS_TIMER_MS, s_on_timer, self);
    return self->timer_id < 0 ? self->timer_id : 0;
}

void cc_bus_set_fd_watcher(cc_bus_t *self, cc_bus_fd_fn *fn, void *arg)
{
    self->fd_fn = fn;
    self->fd_arg = arg;
    if (!fn)
        return;
    if (self->router)
        fn(self, zsock_fd(self->router), arg);
    for (size_t i = 0; i < self->nsubs; i++)
        fn(self, self->subs[i]->fd, arg);
    for (size_t i = 0; i < self->ndealers; i++)
        fn(self, self->dealers[i]->fd, arg);
}

const char *cc_bus_name(const cc_bus_t *self)
{
    return self->name;
}
uint64_t cc_bus_epoch(const cc_bus_t *self)
{
    return self->epoch;
}
uint64_t cc_bus_last_seq(const cc_bus_t *self)
{
    return self->seq;
}

void cc_bus_on_loss(cc_bus_t *self, cc_bus_loss_fn *fn, void *arg)
{
    self->loss_fn = fn;
    self->loss_arg = arg;
}

/* ---- publishing ------------------------------------------------------------------ */

static void s_ring_store(cc_bus_t *self, uint64_t seq, char *text, size_t len)
{
    if (!self->ring_cap) {
        free(text);
        return;
    }
    size_t slot = (size_t)((seq - 1) % self->ring_cap);
    free(self->ring[slot]);
    self->ring[slot] = text;
    self->ring_len[slot] = len;
}

static uint64_t s_ring_first(const cc_bus_t *self)
{
    if (self->seq > self->ring_cap)
        return self->seq - self->ring_cap + 1;
    return self->ring_cap ? 1 : self->seq + 1;
}

int cc_bus_publish(cc_bus_t *self, const char *type, const char *call_id, json_t *fields)
{
    char err[256];
    if (cc_events_check(CC_PART_FIELD, type, fields, err, sizeof err) < 0) {
        cc_error("bus.bad_event", "type=%s reason=%s", cc_logq(type), cc_logq(err));
        json_decref(fields);
        return -EINVAL;
    }
    if (!self->pub) {
        cc_error("bus.not_bound", "type=%s", cc_logq(type));
        json_decref(fields);
        return -ENOTCONN;
    }
    char ts[40];
    uint64_t seq = self->seq + 1;
    cc_wall_format(ts, sizeof ts, s_wall_us());
    /* The envelope is written straight into the text, then the fields after it (the
     * envelope's own names skipped): the same text as a merged object dumped by jansson,
     * without building and copying that object for every event. */
    cc_jw_t w;
    cc_jw_init(&w);
    cc_jw_lit(&w, "{\"type\":");
    cc_jw_str(&w, type);
    cc_jw_lit(&w, ",\"id\":{\"pub\":");
    cc_jw_str(&w, self->name);
    cc_jw_lit(&w, ",\"epoch\":");
    cc_jw_int(&w, (int64_t)self->epoch);
    cc_jw_lit(&w, ",\"seq\":");
    cc_jw_int(&w, (int64_t)seq);
    cc_jw_lit(&w, "},\"ts\":");
    cc_jw_str(&w, ts);
    json_t *cid = fields ? json_object_get(fields, "call_id") : NULL;
    if (call_id || json_is_string(cid)) {
        cc_jw_lit(&w, ",\"call_id\":");
        if (call_id)
            cc_jw_str(&w, call_id);
        else
            cc_jw_value(&w, cid);
    }
    const char *key;
    size_t klen;
    json_t *value;
    if (fields) {
        json_object_keylen_foreach(fields, key, klen, value)
        {
            if (strcmp(key, "type") && strcmp(key, "id") && strcmp(key, "ts") &&
                strcmp(key, "call_id")) {
                cc_jw_lit(&w, ",");
                cc_jw_strn(&w, key, klen);
                cc_jw_lit(&w, ":");
                cc_jw_value(&w, value);
            }
        }
    }
    cc_jw_lit(&w, "}");
    json_decref(fields);
    size_t len = 0;
    char *text = cc_jw_take(&w, &len);
    if (!text)
        return -ENOMEM;
    /* The event counts as published once it is in the ring, even if the send fails:
     * subscribers then see a gap and replay it. */
    self->seq = seq;
    cc_bus_journal_append(self, text, len); /* on disk before any subscriber has it */
    void *handle = zsock_resolve(self->pub);
    int rc = zmq_send(handle, type, strlen(type), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0)
        rc = zmq_send(handle, text, len, ZMQ_DONTWAIT);
    int send_err = rc < 0 ? errno : 0;
    s_ring_store(self, seq, text, len);
    if (send_err) {
        cc_warn("bus.publish_failed", "type=%s seq=%" PRIu64 " err=%s", cc_logq(type), seq,
                cc_logq(zmq_strerror(send_err)));
        return -send_err;
    }
    return 0;
}

/* ---- serving commands ---------------------------------------------------------- */

int cc_bus_on_command(cc_bus_t *self, const char *cmd, cc_bus_command_fn *fn, void *arg)
{
    const cc_def_t *def = cc_events_find(CC_DEF_COMMAND, cmd);
    if (!def) {
        cc_error("bus.undeclared_command", "cmd=%s", cc_logq(cmd));
        return -EINVAL;
    }
    for (size_t i = 0; i < self->ncmds; i++) {
        if (!strcmp(self->cmds[i].name, def->name)) {
            self->cmds[i].fn = fn;
            self->cmds[i].arg = arg;
            return 0;
        }
    }
    if (cc_bus_grow((void **)&self->cmds, &self->cmds_cap, self->ncmds, sizeof *self->cmds))
        return -ENOMEM;
    self->cmds[self->ncmds++] = (cc_bus_cmd_t){def->name, fn, arg};
    return 0;
}

/* Send the envelope frames and then `body`; frees the request. */
static void s_send_reply(cc_bus_t *self, cc_bus_req_t *req, const char *body, size_t len)
{
    void *handle = zsock_resolve(self->router);
    int rc = 0;
    for (int i = 0; i < req->nenvelope && rc >= 0; i++)
        rc = zmq_msg_send(&req->envelope[i], handle, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0)
        rc = zmq_send(handle, body, len, ZMQ_DONTWAIT);
    cc_bus_mark_sent(self, &self->router_sent);
    if (rc < 0)
        cc_warn("bus.reply_failed", "cmd=%s req=%s err=%s", cc_logq(req->cmd ? req->cmd : "?"),
                cc_logq(req->id ? req->id : "-"), cc_logq(zmq_strerror(errno)));
    cc_bus_close_frames(req->envelope, req->nenvelope);
    free(req->id);
    free(req);
}

static void s_send_reply_json(cc_bus_t *self, cc_bus_req_t *req, json_t *reply)
{
    char *text = cc_json_compact(reply, NULL);
    json_decref(reply);
    if (!text) {
        cc_error("bus.reply_failed", "cmd=%s err=encoding", cc_logq(req->cmd ? req->cmd : "?"));
        cc_bus_close_frames(req->envelope, req->nenvelope);
        free(req->id);
        free(req);
        return;
    }
    s_send_reply(self, req, text, strlen(text));
    free(text);
}

static json_t *s_reply_head(const cc_bus_req_t *req, bool ok)
{
    json_t *reply = json_object();
    json_object_set_new(reply, "req", req->id ? json_string(req->id) : json_null());
    json_object_set_new(reply, "ok", json_boolean(ok));
    return reply;
}

void cc_bus_reply(cc_bus_t *self, cc_bus_req_t *req, json_t *result)
{
    char err[256];
    if (req->cmd && cc_events_check(CC_PART_RESULT, req->cmd, result, err, sizeof err) < 0)
        cc_warn("bus.bad_result", "cmd=%s reason=%s", cc_logq(req->cmd), cc_logq(err));
    json_t *reply = s_reply_head(req, true);
    if (result)
        json_object_set_new(reply, "result", result);
    s_send_reply_json(self, req, reply);
}

void cc_bus_reply_error(cc_bus_t *self, cc_bus_req_t *req, const char *code, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    cc_debug("bus.error_reply", "cmd=%s req=%s code=%s message=%s",
             cc_logq(req->cmd ? req->cmd : "?"), cc_logq(req->id ? req->id : "-"), cc_logq(code),
             cc_logq(message));
    json_t *reply = s_reply_head(req, false);
    json_object_set_new(reply, "error", json_pack("{s:s,s:s}", "code", code, "message", message));
    s_send_reply_json(self, req, reply);
}

/* Events to replay from: this epoch's ring, or the predecessor's tail from its journal.
 * Sequence s is in slot (s - 1) % cap of both. */
typedef struct {
    uint64_t epoch, first, last;
    char **texts;
    size_t *lens;
    size_t cap;
} s_replay_src_t;

/* bus.replay: the reply is assembled as text from the ring's stored events, so a page of
 * 1000 events costs one allocation rather than 1000 parses. A subscriber still in the
 * predecessor's epoch gets the rest of it first (with more=true, so it asks again and
 * then moves on to this epoch). */
static void s_serve_replay(cc_bus_t *self, cc_bus_req_t *req, json_t *args)
{
    uint64_t epoch = (uint64_t)json_integer_value(json_object_get(args, "epoch"));
    json_int_t after = json_integer_value(json_object_get(args, "after_seq"));
    s_replay_src_t src = {self->epoch, s_ring_first(self), self->seq,
                          self->ring,  self->ring_len,     self->ring_cap};
    bool prev = self->prev_last && epoch == self->prev_epoch && after >= 0 &&
                (uint64_t)after < self->prev_last;
    if (prev)
        src = (s_replay_src_t){self->prev_epoch, self->prev_first, self->prev_last,
                               self->prev,       self->prev_len,   self->ring_cap};
    uint64_t last = src.last, first = src.first;
    uint64_t from = epoch == src.epoch && after > 0 ? (uint64_t)after + 1 : 1;
    if (from < first)
        from = first;
    uint64_t count = last >= from ? last - from + 1 : 0;
    if (count > CC_BUS_REPLAY_PAGE)
        count = CC_BUS_REPLAY_PAGE;
    bool more = prev || from + count <= last;

    json_t *idj = req->id ? json_string(req->id) : json_null();
    char *id = json_dumps(idj, JSON_ENCODE_ANY);
    json_decref(idj);
    char head[256];
    int hlen = snprintf(head, sizeof head,
                        ",\"ok\":true,\"result\":{\"epoch\":%" PRIu64 ",\"first_seq\":%" PRIu64
                        ",\"last_seq\":%" PRIu64 ",\"more\":%s,\"events\":[",
                        src.epoch, first, last, more ? "true" : "false");
    size_t size = 8 + (id ? strlen(id) : 4) + (size_t)hlen + 4;
    for (uint64_t s = from; s < from + count; s++)
        size += src.lens[(s - 1) % src.cap] + 1;
    char *body = malloc(size);
    if (!body) {
        free(id);
        cc_bus_reply_error(self, req, "internal", "out of memory");
        return;
    }
    size_t n = (size_t)snprintf(body, size, "{\"req\":%s%s", id ? id : "null", head);
    for (uint64_t s = from; s < from + count; s++) {
        size_t slot = (size_t)((s - 1) % src.cap);
        if (s > from)
            body[n++] = ',';
        memcpy(body + n, src.texts[slot], src.lens[slot]);
        n += src.lens[slot];
    }
    memcpy(body + n, "]}}", 3);
    n += 3;
    free(id);
    s_send_reply(self, req, body, n);
    free(body);
}

static void s_handle_command(cc_bus_t *self, cc_bus_req_t *req, const char *data, size_t len)
{
    json_error_t jerr;
    json_t *msg = json_loadb(data, len, 0, &jerr);
    if (!json_is_object(msg)) {
        json_decref(msg);
        cc_bus_reply_error(self, req, "bad_json", "%s", msg ? "not a JSON object" : jerr.text);
        return;
    }
    const char *id = json_string_value(json_object_get(msg, "req"));
    req->id = id ? strdup(id) : NULL;
    const char *type = json_string_value(json_object_get(msg, "type"));
    json_t *args = json_object_get(msg, "args");
    if (!type) {
        cc_bus_reply_error(self, req, "bad_json", "missing string 'type'");
        goto done;
    }
    const cc_def_t *def = cc_events_find(CC_DEF_COMMAND, type);
    cc_bus_cmd_t *cmd = NULL;
    for (size_t i = 0; def && i < self->ncmds; i++)
        if (!strcmp(self->cmds[i].name, def->name))
            cmd = &self->cmds[i];
    bool builtin = def && (!strcmp(def->name, "ping") || !strcmp(def->name, "bus.replay"));
    if (!cmd && !builtin) {
        cc_bus_reply_error(self, req, "unknown_command", "%s does not serve '%s'", self->name,
                           type);
        goto done;
    }
    req->cmd = def->name;
    if (!args || json_is_null(args))
        json_object_set_new(msg, "args", args = json_object());
    char err[256];
    if (cc_events_check(CC_PART_ARG, def->name, args, err, sizeof err) < 0) {
        cc_bus_reply_error(self, req, "bad_args", "%s", err);
        goto done;
    }
    if (cmd) {
        /* commands about a call name it in call_id: their log lines carry it */
        cc_log_set_call(json_string_value(json_object_get(args, "call_id")));
        cmd->fn(self, req, def->name, args, cmd->arg);
        cc_log_set_call(NULL);
    } else if (!strcmp(def->name, "ping"))
        cc_bus_reply(self, req,
                     json_pack("{s:b,s:s,s:I}", "pong", 1, "daemon", self->name, "epoch",
                               (json_int_t)self->epoch));
    else
        s_serve_replay(self, req, args);
done:
    json_decref(msg);
}

static bool s_drain_router(cc_bus_t *self)
{
    bool any = false;
    while (cc_bus_readable(self->router)) {
        zmq_msg_t frames[CC_BUS_MAX_ENVELOPE + 1];
        int n = cc_bus_recv_frames(self->router, frames, CC_BUS_MAX_ENVELOPE + 1);
        if (n == 0)
            break;
        any = true;
        if (n < 2) { /* a ROUTER always prepends the identity; nothing to answer */
            cc_bus_close_frames(frames, n);
            continue;
        }
        cc_bus_req_t *req = calloc(1, sizeof *req);
        if (!req) {
            cc_bus_close_frames(frames, n);
            continue;
        }
        req->nenvelope = n - 1;
        for (int i = 0; i < n - 1; i++) {
            zmq_msg_init(&req->envelope[i]);
            zmq_msg_move(&req->envelope[i], &frames[i]);
            zmq_msg_close(&frames[i]);
        }
        s_handle_command(self, req, zmq_msg_data(&frames[n - 1]), zmq_msg_size(&frames[n - 1]));
        zmq_msg_close(&frames[n - 1]);
    }
    return any;
}

/* ---- dispatch -------------------------------------------------------------------- */

/* One look at the sockets: every one, or only those a send marked. Each is read until
 * it is empty, so a message that comes later raises its ZMQ_FD again. */
static bool s_pass(cc_bus_t *self, bool all)
{
    bool progress = all && cc_bus_net_drain(self);
    if (self->router && (all || self->router_sent)) {
        self->router_sent = false;
        progress = s_drain_router(self) || progress;
    }
    for (size_t i = 0; all && i < self->nsubs; i++)
        progress = cc_bus_sub_drain(self, self->subs[i]) || progress;
    for (size_t i = 0; i < self->ndealers; i++)
        if (all || self->dealers[i]->sent)
            progress = cc_bus_dealer_drain(self, self->dealers[i]) || progress;
    return progress;
}

/* Only a send can hide a message (it may consume the socket's edge), and every send on a
 * socket we read marks it: pass again, over those, while handlers send. (Checking a
 * socket costs libzmq a poll and a getpid: looking at every socket after every send was
 * about a fifth of sipproxy's system calls.) */
static bool s_dispatch(cc_bus_t *self, bool all)
{
    uint64_t now = cc_bus_now_ms();
    bool any = cc_bus_expire_requests(self, now);
    any = cc_bus_sub_timers(self, now) || any;
    any = cc_bus_watch_timers(self, now) || any;
    do {
        all = all || self->dirty_all;
        self->dirty = self->dirty_all = false;
        any = s_pass(self, all) || any;
        all = false;
    } while (self->dirty);
    return any;
}

bool cc_bus_dispatch(cc_bus_t *self)
{
    return s_dispatch(self, true);
}

bool cc_bus_dispatch_sent(cc_bus_t *self)
{
    return s_dispatch(self, false);
}

bool cc_bus_needs_dispatch(const cc_bus_t *self)
{
    return self->dirty;
}

int cc_bus_next_timeout_ms(cc_bus_t *self)
{
    uint64_t now = cc_bus_now_ms();
    int next = -1;
    int each[] = {cc_bus_requests_next_ms(self, now), cc_bus_sub_next_ms(self, now),
                  cc_bus_watch_next_ms(self, now)};
    for (size_t i = 0; i < sizeof each / sizeof each[0]; i++)
        if (each[i] >= 0 && (next < 0 || each[i] < next))
            next = each[i];
    return next;
}
