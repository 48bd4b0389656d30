/* cc_bus_sub.c - the receiving side of events: one SUB socket per publisher, best-effort
 * subscriptions filtered by type prefix, and reliable ones that keep a cursor, replay
 * from the publisher's ring on connect, gaps and restarts, and report what is gone.
 * The replay server itself is in cc_bus.c. */
#include "cc_bus_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"

static void s_replay_start(cc_bus_t *self, cc_bus_handler_t *h);

static cc_bus_subsock_t *s_subsock_get(cc_bus_t *self, const char *publisher)
{
    for (size_t i = 0; i < self->nsubs; i++)
        if (!strcmp(self->subs[i]->publisher, publisher))
            return self->subs[i];
    if (cc_bus_grow((void **)&self->subs, &self->subs_cap, self->nsubs, sizeof *self->subs))
        return NULL;
    cc_bus_subsock_t *ss = calloc(1, sizeof *ss);
    if (!ss || !(ss->publisher = strdup(publisher)))
        goto fail;
    ss->sock = cc_bus_socket_new(self, ZMQ_SUB, &ss->fd);
    if (!ss->sock)
        goto fail;
    zsock_set_rcvhwm(ss->sock, 100000);
    char ep[512];
    if (cc_bus_net_connect(self, ss->sock, publisher, "pub", ep, sizeof ep) < 0) {
        cc_error("bus.connect_failed", "endpoint=%s err=%s", cc_logq(ep),
                 cc_logq(zmq_strerror(errno)));
        cc_bus_socket_destroy(self, &ss->sock, ss->fd);
        goto fail;
    }
    self->subs[self->nsubs++] = ss;
    return ss;
fail:
    if (ss)
        free(ss->publisher);
    free(ss);
    return NULL;
}

static cc_bus_handler_t *s_handler_add(cc_bus_t *self, const char *publisher, const char *prefix,
                                       cc_bus_event_fn *fn, void *arg)
{
    cc_bus_subsock_t *ss = s_subsock_get(self, publisher);
    if (!ss || cc_bus_grow((void **)&ss->handlers, &ss->cap, ss->nhandlers, sizeof *ss->handlers))
        return NULL;
    cc_bus_handler_t *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    if (prefix && !(h->prefix = strdup(prefix))) {
        free(h);
        return NULL;
    }
    h->ss = ss;
    h->fn = fn;
    h->arg = arg;
    zsock_set_subscribe(ss->sock, prefix ? prefix : "");
    cc_bus_mark_dirty(self);
    ss->handlers[ss->nhandlers++] = h;
    return h;
}

int cc_bus_subscribe(cc_bus_t *self, const char *publisher, const char *type_prefix,
                     cc_bus_event_fn *fn, void *arg)
{
    return s_handler_add(self, publisher, type_prefix ? type_prefix : "", fn, arg) ? 0 : -ENOMEM;
}

static int s_subscribe_reliable(cc_bus_t *self, const char *publisher, cc_bus_cursor_t start,
                                cc_bus_event_fn *fn, void *arg, bool scanned)
{
    cc_bus_handler_t *h = s_handler_add(self, publisher, NULL, fn, arg);
    if (!h)
        return -ENOMEM;
    h->reliable = true;
    h->scanned = scanned;
    h->cursor = start;
    /* Subscribed first, replay second: whatever the replay misses arrives live. */
    s_replay_start(self, h);
    return 0;
}

int cc_bus_subscribe_reliable(cc_bus_t *self, const char *publisher, cc_bus_cursor_t start,
                              cc_bus_event_fn *fn, void *arg)
{
    return s_subscribe_reliable(self, publisher, start, fn, arg, false);
}

int cc_bus_subscribe_reliable_scanned(cc_bus_t *self, const char *publisher, cc_bus_cursor_t start,
                                      cc_bus_event_fn *fn, void *arg)
{
    return s_subscribe_reliable(self, publisher, start, fn, arg, true);
}

void cc_bus_subs_free(cc_bus_t *self)
{
    for (size_t i = 0; i < self->nsubs; i++) {
        cc_bus_subsock_t *ss = self->subs[i];
        for (size_t j = 0; j < ss->nhandlers; j++) {
            free(ss->handlers[j]->prefix);
            free(ss->handlers[j]);
        }
        free(ss->handlers);
        free(ss->toks);
        free(ss->scratch);
        cc_bus_socket_destroy(self, &ss->sock, ss->fd);
        free(ss->publisher);
        free(ss);
    }
    free(self->subs);
    self->subs = NULL;
    self->nsubs = self->subs_cap = 0;
}

/* ---- reliable delivery ---------------------------------------------------------- */

static void s_report_loss(cc_bus_t *self, cc_bus_handler_t *h, uint64_t epoch, uint64_t first,
                          uint64_t last)
{
    cc_warn("bus.loss",
            "pub=%s epoch=%" PRIu64 " first_seq=%" PRIu64 " last_seq=%" PRIu64 " count=%" PRIu64,
            cc_logq(h->ss->publisher), epoch, first, last, last - first + 1);
    if (self->loss_fn)
        self->loss_fn(self, h->ss->publisher, epoch, first, last, self->loss_arg);
}

bool cc_bus_event_parse(json_t *body, cc_bus_event_t *ev, bool replayed)
{
    json_t *id = json_object_get(body, "id");
    ev->type = json_string_value(json_object_get(body, "type"));
    ev->pub = json_string_value(json_object_get(id, "pub"));
    json_t *epoch = json_object_get(id, "epoch"), *seq = json_object_get(id, "seq");
    if (!ev->type || !ev->pub || !json_is_integer(epoch) || !json_is_integer(seq))
        return false;
    ev->epoch = (uint64_t)json_integer_value(epoch);
    ev->seq = (uint64_t)json_integer_value(seq);
    ev->call_id = json_string_value(json_object_get(body, "call_id"));
    ev->body = body;
    ev->doc = NULL;
    ev->replayed = replayed;
    return true;
}

bool cc_bus_event_parse_doc(cc_json_doc_t *doc, cc_bus_event_t *ev)
{
    int id = cc_json_get(doc, 0, "id");
    int64_t epoch, seq;
    ev->type = cc_json_str(doc, cc_json_get(doc, 0, "type"));
    ev->pub = cc_json_str(doc, cc_json_get(doc, id, "pub"));
    if (!ev->type || !ev->pub || !cc_json_int(doc, cc_json_get(doc, id, "epoch"), &epoch) ||
        !cc_json_int(doc, cc_json_get(doc, id, "seq"), &seq))
        return false;
    ev->epoch = (uint64_t)epoch;
    ev->seq = (uint64_t)seq;
    ev->call_id = cc_json_str(doc, cc_json_get(doc, 0, "call_id"));
    ev->body = NULL;
    ev->doc = doc;
    ev->replayed = false;
    return true;
}

static void s_deliver(cc_bus_t *self, cc_bus_handler_t *h, const cc_bus_event_t *ev)
{
    h->cursor.epoch = ev->epoch;
    h->cursor.seq = ev->seq;
    cc_log_set_call(ev->call_id);
    h->fn(self, ev, h->arg);
    cc_log_set_call(NULL);
}

static void s_on_replay(cc_bus_t *self, int status, json_t *result, void *arg)
{
    cc_bus_handler_t *h = arg;
    h->in_flight = false;
    json_t *events = json_object_get(result, "events");
    json_t *jepoch = json_object_get(result, "epoch");
    json_t *jfirst = json_object_get(result, "first_seq");
    json_t *jlast = json_object_get(result, "last_seq");
    if (status != 0 || !json_is_array(events) || !json_is_integer(jepoch) ||
        !json_is_integer(jfirst) || !json_is_integer(jlast)) {
        cc_warn("bus.replay_failed", "pub=%s status=%s", cc_logq(h->ss->publisher),
                status == -ETIMEDOUT ? "timeout"
                : status             ? "error"
                                     : "bad_reply");
        h->retry_at_ms = cc_bus_now_ms() + CC_BUS_REPLAY_RETRY_MS;
        return;
    }
    uint64_t epoch = (uint64_t)json_integer_value(jepoch);
    uint64_t first = (uint64_t)json_integer_value(jfirst);
    uint64_t last = (uint64_t)json_integer_value(jlast);
    if (epoch != h->cursor.epoch) {
        if (h->cursor.epoch)
            cc_info("bus.epoch_change", "pub=%s old=%" PRIu64 " new=%" PRIu64 " old_seq=%" PRIu64,
                    cc_logq(h->ss->publisher), h->cursor.epoch, epoch, h->cursor.seq);
        h->cursor.epoch = epoch;
        h->cursor.seq = 0;
    }
    /* Whatever lies between the cursor and the oldest event still held is gone. */
    if (first == 0)
        first = 1;
    uint64_t lost_to = first - 1 < last ? first - 1 : last;
    if (lost_to > h->cursor.seq) {
        s_report_loss(self, h, epoch, h->cursor.seq + 1, lost_to);
        h->cursor.seq = lost_to;
    }
    size_t i;
    json_t *body;
    json_array_foreach(events, i, body)
    {
        cc_bus_event_t ev;
        if (!cc_bus_event_parse(body, &ev, true) || ev.epoch != epoch || ev.seq <= h->cursor.seq)
            continue;
        if (ev.seq != h->cursor.seq + 1) /* a ring never has holes; be safe anyway */
            s_report_loss(self, h, epoch, h->cursor.seq + 1, ev.seq - 1);
        s_deliver(self, h, &ev);
    }
    /* Live events dropped while this page was on its way may be newer than the page
     * (PUB and ROUTER are separate streams): fetch them now rather than wait for the
     * next live event to show the gap. */
    if (json_is_true(json_object_get(result, "more")) ||
        (h->dropped.epoch == h->cursor.epoch && h->dropped.seq > h->cursor.seq))
        s_replay_start(self, h);
}

static void s_replay_start(cc_bus_t *self, cc_bus_handler_t *h)
{
    h->retry_at_ms = 0;
    h->dropped = (cc_bus_cursor_t){0, 0};
    json_t *args = json_pack("{s:I,s:I}", "epoch", (json_int_t)h->cursor.epoch, "after_seq",
                             (json_int_t)h->cursor.seq);
    if (!cc_bus_request(self, NULL, h->ss->publisher, "bus.replay", args, CC_BUS_REPLAY_TIMEOUT_MS,
                        s_on_replay, h)) {
        h->retry_at_ms = cc_bus_now_ms() + CC_BUS_REPLAY_RETRY_MS;
        return;
    }
    h->in_flight = true;
}

static void s_reliable_live(cc_bus_t *self, cc_bus_handler_t *h, const cc_bus_event_t *ev)
{
    bool same_epoch = ev->epoch == h->cursor.epoch;
    if (same_epoch && ev->seq <= h->cursor.seq)
        return; /* already delivered (by a replay) */
    if (same_epoch && ev->seq == h->cursor.seq + 1) {
        s_deliver(self, h, ev);
        return;
    }
    /* A gap or another epoch. While a replay is in flight its next page carries this
     * event; otherwise ask for one now. */
    if (h->in_flight) {
        if (ev->epoch != h->dropped.epoch || ev->seq > h->dropped.seq)
            h->dropped = (cc_bus_cursor_t){ev->epoch, ev->seq};
    } else {
        cc_debug("bus.gap",
                 "pub=%s epoch=%" PRIu64 " have=%" PRIu64 " got_epoch=%" PRIu64 " got=%" PRIu64,
                 cc_logq(h->ss->publisher), h->cursor.epoch, h->cursor.seq, ev->epoch, ev->seq);
        s_replay_start(self, h);
    }
}

/* Scan a live event's JSON when every handler takes it scanned: 1 with ev filled from
 * ss's doc, 0 when it must go the jansson way (a mixed socket, too many values, no
 * memory, or text the scanner refuses: jansson is the judge of what is JSON, and is more
 * lenient in one odd case, see cc_json_scan.h), -1 when it is JSON but not an event. */
static int s_scan_event(cc_bus_subsock_t *ss, cc_json_doc_t *doc, const zmq_msg_t *frame,
                        cc_bus_event_t *ev)
{
    for (size_t i = 0; i < ss->nhandlers; i++)
        if (!ss->handlers[i]->scanned)
            return 0;
    size_t len = zmq_msg_size(frame);
    if (!ss->toks && !(ss->toks = malloc(CC_BUS_SCAN_TOKENS * sizeof *ss->toks)))
        return 0;
    if (ss->scratch_cap < len + 1) {
        char *grown = realloc(ss->scratch, len + 1);
        if (!grown)
            return 0;
        ss->scratch = grown;
        ss->scratch_cap = len + 1;
    }
    int n = cc_json_scan(doc, zmq_msg_data((zmq_msg_t *)frame), len, ss->toks, CC_BUS_SCAN_TOKENS,
                         ss->scratch);
    if (n < 0)
        return 0;
    return cc_json_kind(doc, 0) == CC_JSON_OBJECT && cc_bus_event_parse_doc(doc, ev) ? 1 : -1;
}

bool cc_bus_sub_drain(cc_bus_t *self, cc_bus_subsock_t *ss)
{
    bool any = false;
    while (cc_bus_readable(ss->sock)) {
        zmq_msg_t frames[2];
        int n = cc_bus_recv_frames(ss->sock, frames, 2);
        if (n == 0)
            break;
        any = true;
        cc_bus_event_t ev;
        cc_json_doc_t doc;
        json_t *body = NULL;
        int scanned = n == 2 ? s_scan_event(ss, &doc, &frames[1], &ev) : -1;
        if (scanned == 0) {
            json_error_t jerr;
            body = json_loadb(zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]), 0, &jerr);
        }
        if (scanned < 0 || (scanned == 0 && (!body || !cc_bus_event_parse(body, &ev, false)))) {
            cc_bus_close_frames(frames, n);
            cc_warn("bus.bad_event_received", "pub=%s", cc_logq(ss->publisher));
            json_decref(body);
            continue;
        }
        /* By index: a handler may subscribe again and grow the array. */
        for (size_t i = 0; i < ss->nhandlers; i++) {
            cc_bus_handler_t *h = ss->handlers[i];
            if (h->reliable)
                s_reliable_live(self, h, &ev);
            else if (!strncmp(ev.type, h->prefix, strlen(h->prefix))) {
                cc_log_set_call(ev.call_id);
                h->fn(self, &ev, h->arg);
                cc_log_set_call(NULL);
            }
        }
        cc_bus_close_frames(frames, n); /* a scanned event's text lives in its frame */
        json_decref(body);
    }
    return any;
}

bool cc_bus_sub_timers(cc_bus_t *self, uint64_t now_ms)
{
    bool any = false;
    for (size_t i = 0; i < self->nsubs; i++) {
        cc_bus_subsock_t *ss = self->subs[i];
        for (size_t j = 0; j < ss->nhandlers; j++) {
            cc_bus_handler_t *h = ss->handlers[j];
            if (h->reliable && !h->in_flight && h->retry_at_ms && h->retry_at_ms <= now_ms) {
                s_replay_start(self, h);
                any = true;
            }
        }
    }
    return any;
}

int cc_bus_sub_next_ms(cc_bus_t *self, uint64_t now_ms)
{
    int best = -1;
    for (size_t i = 0; i < self->nsubs; i++) {
        cc_bus_subsock_t *ss = self->subs[i];
        for (size_t j = 0; j < ss->nhandlers; j++) {
            cc_bus_handler_t *h = ss->handlers[j];
            if (!h->reliable || h->in_flight || !h->retry_at_ms)
                continue;
            int ms = h->retry_at_ms <= now_ms ? 0 : (int)(h->retry_at_ms - now_ms);
            if (best < 0 || ms < best)
                best = ms;
        }
    }
    return best;
}
