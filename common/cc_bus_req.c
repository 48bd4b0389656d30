/* cc_bus_req.c - the calling side of commands: one DEALER per target, created on first
 * use; requests with ids unique per process (name-pid-counter) and deadlines; replies
 * matched to their callback, late ones dropped. Also the blocking cc_bus_call for CLIs. */
#include "cc_bus_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc_log.h"

static cc_bus_dealer_t *s_dealer_find(cc_bus_t *self, const char *target)
{
    for (size_t i = 0; i < self->ndealers; i++)
        if (!strcmp(self->dealers[i]->target, target))
            return self->dealers[i];
    return NULL;
}

static cc_bus_dealer_t *s_dealer_get(cc_bus_t *self, const char *target)
{
    cc_bus_dealer_t *d = s_dealer_find(self, target);
    if (d)
        return d;
    if (cc_bus_grow((void **)&self->dealers, &self->dealers_cap, self->ndealers,
                    sizeof *self->dealers))
        return NULL;
    d = calloc(1, sizeof *d);
    if (!d || !(d->target = strdup(target)))
        goto fail;
    d->sock = cc_bus_socket_new(self, ZMQ_DEALER, &d->fd);
    if (!d->sock)
        goto fail;
    char ep[512];
    cc_bus_endpoint(ep, sizeof ep, self->run_dir, target, "cmd");
    /* connect() on ipc succeeds even before the target binds; requests queue meanwhile. */
    if (zsock_connect(d->sock, "%s", ep) < 0) {
        cc_error("bus.connect_failed", "endpoint=%s err=%s", cc_logq(ep),
                 cc_logq(zmq_strerror(errno)));
        cc_bus_socket_destroy(self, &d->sock, d->fd);
        goto fail;
    }
    self->dealers[self->ndealers++] = d;
    return d;
fail:
    if (d)
        free(d->target);
    free(d);
    return NULL;
}

int cc_bus_request(cc_bus_t *self, const char *target, const char *cmd, json_t *args,
                   int timeout_ms, cc_bus_reply_fn *fn, void *arg)
{
    int rc = -ENOMEM;
    cc_bus_dealer_t *d = s_dealer_get(self, target);
    cc_bus_pending_t *p = calloc(1, sizeof *p);
    if (!d || !p) {
        json_decref(args);
        free(p);
        return -ENOMEM;
    }
    snprintf(p->id, sizeof p->id, "%s-%d-%llu", self->name, (int)getpid(),
             (unsigned long long)++self->req_counter);
    json_t *msg = json_object();
    json_object_set_new(msg, "type", json_string(cmd));
    json_object_set_new(msg, "req", json_string(p->id));
    json_object_set_new(msg, "args", args ? args : json_object());
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text)
        goto fail;
    cc_bus_mark_dirty(self);
    if (zmq_send(zsock_resolve(d->sock), text, strlen(text), ZMQ_DONTWAIT) < 0) {
        rc = -errno;
        cc_warn("bus.request_failed", "target=%s cmd=%s err=%s", cc_logq(target), cc_logq(cmd),
                cc_logq(zmq_strerror(errno)));
        free(text);
        goto fail;
    }
    free(text);
    p->deadline_ms = cc_bus_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    p->fn = fn;
    p->arg = arg;
    p->next = self->pending;
    self->pending = p;
    return 0;
fail:
    free(p);
    return rc;
}

static cc_bus_pending_t *s_pending_take(cc_bus_t *self, const char *id)
{
    for (cc_bus_pending_t **pp = &self->pending; *pp; pp = &(*pp)->next) {
        if (!strcmp((*pp)->id, id)) {
            cc_bus_pending_t *p = *pp;
            *pp = p->next;
            return p;
        }
    }
    return NULL;
}

static void s_handle_reply(cc_bus_t *self, cc_bus_dealer_t *d, const char *data, size_t len)
{
    json_error_t jerr;
    json_t *msg = json_loadb(data, len, 0, &jerr);
    const char *id = json_string_value(json_object_get(msg, "req"));
    cc_bus_pending_t *p = id ? s_pending_take(self, id) : NULL;
    if (!p) {
        /* Usually the answer to a request that already timed out. */
        cc_debug("bus.late_reply", "target=%s req=%s", cc_logq(d->target),
                 cc_logq(id ? id : "-"));
        json_decref(msg);
        return;
    }
    if (json_is_true(json_object_get(msg, "ok"))) {
        p->fn(self, 0, json_object_get(msg, "result"), p->arg);
    } else {
        json_t *error = json_object_get(msg, "error");
        json_t *fallback = NULL;
        if (!json_is_object(error))
            error = fallback = json_pack("{s:s,s:s}", "code", "bad_reply", "message",
                                         "reply without ok or error");
        p->fn(self, -EPROTO, error, p->arg);
        json_decref(fallback);
    }
    free(p);
    json_decref(msg);
}

bool cc_bus_dealer_drain(cc_bus_t *self, cc_bus_dealer_t *d)
{
    bool any = false;
    while (cc_bus_readable(d->sock)) {
        zmq_msg_t frames[CC_BUS_MAX_ENVELOPE];
        int n = cc_bus_recv_frames(d->sock, frames, CC_BUS_MAX_ENVELOPE);
        if (n == 0)
            break;
        any = true;
        /* The body is the last frame; anything before it (an empty delimiter) is routing. */
        s_handle_reply(self, d, zmq_msg_data(&frames[n - 1]), zmq_msg_size(&frames[n - 1]));
        cc_bus_close_frames(frames, n);
    }
    return any;
}

bool cc_bus_expire_requests(cc_bus_t *self, uint64_t now_ms)
{
    /* Unlink first, call after: a callback may send new requests. */
    cc_bus_pending_t *expired = NULL;
    for (cc_bus_pending_t **pp = &self->pending; *pp;) {
        cc_bus_pending_t *p = *pp;
        if (p->deadline_ms <= now_ms) {
            *pp = p->next;
            p->next = expired;
            expired = p;
        } else {
            pp = &p->next;
        }
    }
    bool any = expired != NULL;
    while (expired) {
        cc_bus_pending_t *p = expired;
        expired = p->next;
        cc_debug("bus.request_timeout", "req=%s", cc_logq(p->id));
        p->fn(self, -ETIMEDOUT, NULL, p->arg);
        free(p);
    }
    return any;
}

int cc_bus_requests_next_ms(cc_bus_t *self, uint64_t now_ms)
{
    int best = -1;
    for (cc_bus_pending_t *p = self->pending; p; p = p->next) {
        int ms = p->deadline_ms <= now_ms ? 0 : (int)(p->deadline_ms - now_ms);
        if (best < 0 || ms < best)
            best = ms;
    }
    return best;
}

void cc_bus_requests_free(cc_bus_t *self)
{
    while (self->pending) {
        cc_bus_pending_t *p = self->pending;
        self->pending = p->next;
        free(p);
    }
    for (size_t i = 0; i < self->ndealers; i++) {
        cc_bus_dealer_t *d = self->dealers[i];
        cc_bus_socket_destroy(self, &d->sock, d->fd);
        free(d->target);
        free(d);
    }
    free(self->dealers);
    self->dealers = NULL;
    self->ndealers = self->dealers_cap = 0;
}

/* ---- blocking call ------------------------------------------------------------- */

typedef struct {
    bool done;
    int status;
    json_t *result;
} s_call_t;

static void s_call_done(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_call_t *call = arg;
    call->done = true;
    call->status = status;
    call->result = result ? json_incref(result) : NULL;
}

json_t *cc_bus_call(cc_bus_t *self, const char *target, const char *cmd, json_t *args,
                    int timeout_ms, char *err, size_t errlen)
{
    s_call_t call = {0};
    int rc = cc_bus_request(self, target, cmd, args, timeout_ms, s_call_done, &call);
    if (rc < 0) {
        snprintf(err, errlen, "%s: cannot send: %s", target, zmq_strerror(-rc));
        return NULL;
    }
    cc_bus_dealer_t *d = s_dealer_find(self, target);
    char id[CC_BUS_REQ_ID_MAX];
    memcpy(id, self->pending->id, sizeof id); /* cc_bus_request pushed it at the head */
    while (!call.done) {
        int wait = cc_bus_requests_next_ms(self, cc_bus_now_ms());
        zmq_pollitem_t item = {zsock_resolve(d->sock), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, wait) < 0 && errno != EINTR)
            break;
        cc_bus_dealer_drain(self, d);
        if (!call.done)
            cc_bus_expire_requests(self, cc_bus_now_ms());
    }
    if (!call.done) { /* zmq_poll failed: the context is going away */
        free(s_pending_take(self, id)); /* it points at this stack frame */
        snprintf(err, errlen, "%s: poll failed: %s", target, zmq_strerror(errno));
        return NULL;
    }
    if (call.status == 0) {
        if (!call.result)
            return json_null();
        return call.result;
    }
    if (call.status == -ETIMEDOUT) {
        snprintf(err, errlen, "timeout after %d ms", timeout_ms);
    } else {
        const char *code = json_string_value(json_object_get(call.result, "code"));
        const char *message = json_string_value(json_object_get(call.result, "message"));
        snprintf(err, errlen, "%s: %s: %s", target, code ? code : "error",
                 message ? message : "");
    }
    json_decref(call.result);
    return NULL;
}
