/* cc_bus_req.c - the calling side of commands: one DEALER per target, created on first
 * use; requests with ids unique per process (name-pid-handle), found by id in a map, timed
 * out from a deadline heap, and linked to their owner so an owner that goes cancels them
 * all at once; late replies are dropped. Also the blocking cc_bus_call for CLIs. */
#include "cc_bus_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc_json_write.h"
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
    /* connect() succeeds even before the target binds; requests queue meanwhile. */
    if (cc_bus_net_connect(self, d->sock, target, "cmd", ep, sizeof ep) < 0) {
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

/* ---- pending requests: id map, deadline heap, owner lists -------------------------- */

int cc_bus_requests_init(cc_bus_t *self)
{
    snprintf(self->req_prefix, sizeof self->req_prefix, "%s-%d-", self->name, (int)getpid());
    self->pending = cc_map_new(NULL);
    return self->pending ? 0 : -ENOMEM;
}

static bool s_earlier(const cc_bus_pending_t *a, const cc_bus_pending_t *b)
{
    return a->deadline_ms < b->deadline_ms ||
           (a->deadline_ms == b->deadline_ms && a->handle < b->handle);
}

static void s_heap_set(cc_bus_t *self, size_t i, cc_bus_pending_t *p)
{
    self->heap[i] = p;
    p->heap_idx = i;
}

static void s_heap_up(cc_bus_t *self, size_t i)
{
    cc_bus_pending_t *p = self->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!s_earlier(p, self->heap[parent]))
            break;
        s_heap_set(self, i, self->heap[parent]);
        i = parent;
    }
    s_heap_set(self, i, p);
}

static void s_heap_down(cc_bus_t *self, size_t i)
{
    cc_bus_pending_t *p = self->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, best = i;
        const cc_bus_pending_t *bp = p;
        if (l < self->nheap && s_earlier(self->heap[l], bp))
            best = l, bp = self->heap[l];
        if (l + 1 < self->nheap && s_earlier(self->heap[l + 1], bp))
            best = l + 1;
        if (best == i)
            break;
        s_heap_set(self, i, self->heap[best]);
        i = best;
    }
    s_heap_set(self, i, p);
}

/* Take p out of the map, the heap and its owner's list (it is then the caller's). */
static void s_unlink(cc_bus_t *self, cc_bus_pending_t *p)
{
    cc_map_take(self->pending, p->id);
    size_t i = p->heap_idx;
    cc_bus_pending_t *last = self->heap[--self->nheap];
    if (i < self->nheap) {
        s_heap_set(self, i, last);
        s_heap_up(self, i);
        s_heap_down(self, last->heap_idx);
    }
    if (p->owner) {
        if (p->owner_prev)
            p->owner_prev->owner_next = p->owner_next;
        else
            p->owner->head = p->owner_next;
        if (p->owner_next)
            p->owner_next->owner_prev = p->owner_prev;
        p->owner->count--;
        p->owner = NULL;
    }
}

static int s_link(cc_bus_t *self, cc_bus_pending_t *p, cc_bus_owner_t *owner)
{
    if (cc_bus_grow((void **)&self->heap, &self->heap_cap, self->nheap, sizeof *self->heap) ||
        cc_map_insert(self->pending, p->id, p) != 0)
        return -ENOMEM;
    self->heap[self->nheap] = p;
    p->heap_idx = self->nheap++;
    s_heap_up(self, p->heap_idx);
    if (owner) {
        p->owner = owner;
        p->owner_next = owner->head;
        if (owner->head)
            owner->head->owner_prev = p;
        owner->head = p;
        owner->count++;
    }
    return 0;
}

size_t cc_bus_pending_count(const cc_bus_t *self)
{
    return self->nheap;
}

cc_bus_handle_t cc_bus_request(cc_bus_t *self, cc_bus_owner_t *owner, const char *target,
                               const char *cmd, json_t *args, int timeout_ms, cc_bus_reply_fn *fn,
                               void *arg)
{
    cc_bus_dealer_t *d = s_dealer_get(self, target);
    cc_bus_pending_t *p = calloc(1, sizeof *p);
    if (!d || !p) {
        json_decref(args);
        free(p);
        return 0;
    }
    p->handle = ++self->req_counter;
    snprintf(p->id, sizeof p->id, "%s%llu", self->req_prefix, (unsigned long long)p->handle);
    /* {"type":..,"req":..,"args":{..}} written directly, the args not copied */
    cc_jw_t w;
    cc_jw_init(&w);
    cc_jw_lit(&w, "{\"type\":");
    cc_jw_str(&w, cmd);
    cc_jw_lit(&w, ",\"req\":");
    cc_jw_str(&w, p->id);
    cc_jw_lit(&w, ",\"args\":");
    if (args)
        cc_jw_value(&w, args);
    else
        cc_jw_lit(&w, "{}");
    cc_jw_lit(&w, "}");
    json_decref(args);
    char *text = cc_jw_take(&w, NULL);
    if (!text)
        goto fail;
    cc_bus_mark_sent(self, &d->sent);
    if (zmq_send(zsock_resolve(d->sock), text, strlen(text), ZMQ_DONTWAIT) < 0) {
        cc_warn("bus.request_failed", "target=%s cmd=%s err=%s", cc_logq(target), cc_logq(cmd),
                cc_logq(zmq_strerror(errno)));
        free(text);
        goto fail;
    }
    free(text);
    p->deadline_ms = cc_bus_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    p->fn = fn;
    p->arg = arg;
    snprintf(p->log_call, sizeof p->log_call, "%s", cc_log_call());
    if (s_link(self, p, owner) != 0) {
        /* sent, but nobody could take the reply: it will be dropped as a late one */
        cc_warn("bus.request_untracked", "target=%s cmd=%s", cc_logq(target), cc_logq(cmd));
        goto fail;
    }
    return p->handle;
fail:
    free(p);
    return 0;
}

bool cc_bus_cancel(cc_bus_t *self, cc_bus_handle_t handle)
{
    char id[CC_BUS_REQ_ID_MAX];
    snprintf(id, sizeof id, "%s%llu", self->req_prefix, (unsigned long long)handle);
    cc_bus_pending_t *p = handle ? cc_map_get(self->pending, id) : NULL;
    if (!p)
        return false;
    s_unlink(self, p);
    free(p);
    return true;
}

void cc_bus_owner_cancel(cc_bus_t *self, cc_bus_owner_t *owner)
{
    while (owner->head) {
        cc_bus_pending_t *p = owner->head;
        s_unlink(self, p);
        free(p);
    }
}

static void s_handle_reply(cc_bus_t *self, cc_bus_dealer_t *d, const char *data, size_t len)
{
    json_error_t jerr;
    json_t *msg = json_loadb(data, len, 0, &jerr);
    const char *id = json_string_value(json_object_get(msg, "req"));
    cc_bus_pending_t *p = id ? cc_map_get(self->pending, id) : NULL;
    if (!p) {
        /* Usually the answer to a request that timed out or was cancelled. */
        cc_debug("bus.late_reply", "target=%s req=%s", cc_logq(d->target), cc_logq(id ? id : "-"));
        json_decref(msg);
        return;
    }
    s_unlink(self, p);
    cc_log_set_call(p->log_call);
    if (!p->fn) {
        /* fire and forget */
    } else if (json_is_true(json_object_get(msg, "ok"))) {
        p->fn(self, 0, json_object_get(msg, "result"), p->arg);
    } else {
        json_t *error = json_object_get(msg, "error");
        json_t *fallback = NULL;
        if (!json_is_object(error))
            error = fallback =
                json_pack("{s:s,s:s}", "code", "bad_reply", "message", "reply without ok or error");
        p->fn(self, -EPROTO, error, p->arg);
        json_decref(fallback);
    }
    cc_log_set_call(NULL);
    free(p);
    json_decref(msg);
}

bool cc_bus_dealer_drain(cc_bus_t *self, cc_bus_dealer_t *d)
{
    bool any = false;
    d->sent = false; /* read until empty below: a send after this marks it again */
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
    bool any = false;
    /* One at a time off the top: a callback may send new requests or cancel others. */
    while (self->nheap > 0 && self->heap[0]->deadline_ms <= now_ms) {
        cc_bus_pending_t *p = self->heap[0];
        s_unlink(self, p);
        cc_log_set_call(p->log_call);
        cc_debug("bus.request_timeout", "req=%s", cc_logq(p->id));
        if (p->fn)
            p->fn(self, -ETIMEDOUT, NULL, p->arg);
        cc_log_set_call(NULL);
        free(p);
        any = true;
    }
    return any;
}

int cc_bus_requests_next_ms(cc_bus_t *self, uint64_t now_ms)
{
    if (self->nheap == 0)
        return -1;
    uint64_t at = self->heap[0]->deadline_ms;
    return at <= now_ms ? 0 : (int)(at - now_ms);
}

void cc_bus_requests_free(cc_bus_t *self)
{
    while (self->nheap > 0) {
        cc_bus_pending_t *p = self->heap[0];
        s_unlink(self, p);
        free(p);
    }
    free(self->heap);
    self->heap = NULL;
    self->heap_cap = 0;
    cc_map_destroy(&self->pending);
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
    cc_bus_handle_t h =
        cc_bus_request(self, NULL, target, cmd, args, timeout_ms, s_call_done, &call);
    if (!h) {
        snprintf(err, errlen, "%s: cannot send", target);
        return NULL;
    }
    cc_bus_dealer_t *d = s_dealer_find(self, target);
    while (!call.done) {
        int wait = cc_bus_requests_next_ms(self, cc_bus_now_ms());
        zmq_pollitem_t item = {zsock_resolve(d->sock), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, wait) < 0 && errno != EINTR)
            break;
        cc_bus_dealer_drain(self, d);
        if (!call.done)
            cc_bus_expire_requests(self, cc_bus_now_ms());
    }
    if (!call.done) {           /* zmq_poll failed: the context is going away */
        cc_bus_cancel(self, h); /* it points at this stack frame */
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
        snprintf(err, errlen, "%s: %s: %s", target, code ? code : "error", message ? message : "");
    }
    json_decref(call.result);
    return NULL;
}
