/* cdr_bus.c - from sipproxy's event stream to the write batch: decode, step the core,
 * fold its output into the batch, move the cursor on every event (ours or not), and tell
 * the flusher. Owns no SQL and no CDR arithmetic. */
#include "cdr_bus.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "cdr_event.h"

struct cdr_bus {
    cc_bus_t *bus;
    char *publisher;
    cc_bus_cursor_t start;
    cdr_core_t *core;
    cdr_batch_t *batch;
    cdr_flush_t *flush;
    uint64_t epoch, seq; /* last event taken */
    int64_t alive_us;    /* ts of the newest event of `epoch` seen: its last sign of life */
    uint64_t events, ignored, bad, lost, orphans;
};

cdr_bus_t *cdr_bus_new(cc_bus_t *bus, const char *publisher, cc_bus_cursor_t start,
                       cdr_core_t *core, cdr_batch_t *batch, cdr_flush_t *flush)
{
    cdr_bus_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->publisher = strdup(publisher);
    if (!self->publisher) {
        free(self);
        return NULL;
    }
    self->bus = bus;
    self->start = start;
    self->epoch = start.epoch;
    self->seq = start.seq;
    self->core = core;
    self->batch = batch;
    self->flush = flush;
    return self;
}

void cdr_bus_destroy(cdr_bus_t **self_p)
{
    cdr_bus_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    free(self->publisher);
    free(self);
    *self_p = NULL;
}

static void s_end_row(cdr_bus_t *self, cdr_row_t *row)
{
    if (cdr_batch_end_call(self->batch, &row) != 0) {
        cc_error("cdr.out_of_memory", NULL);
        cdr_row_destroy(&row);
    }
}

/* One of the calls a publisher restart ended: not the call of the event being handled,
 * so its lines carry its own id. */
static void s_on_orphan(cdr_row_t *row, void *arg)
{
    cdr_bus_t *self = arg;
    cc_log_call_saved_t handling;
    cc_log_enter_call(&handling, row->call_id);
    cc_warn("cdr.orphan", "reason=\"sipproxy restarted during the call\"");
    self->orphans++;
    s_end_row(self, row);
    cc_log_leave_call(&handling);
}

static int64_t s_event_ts(const cc_bus_event_t *ev)
{
    int64_t ts_us = 0;
    if (cdr_event_ts(ev, &ts_us) != 0)
        return 0;
    return ts_us;
}

/* sipproxy restarted: its calls died with it. Close them at the old epoch's last sign of
 * life (its events come first, from its journal, so that is within a heartbeat of its
 * end); if none was seen since cdrd started, at the new epoch's first event. */
static void s_new_epoch(cdr_bus_t *self, const cc_bus_event_t *ev)
{
    int64_t ts_us = self->alive_us ? self->alive_us : s_event_ts(ev);
    char trigger[96];
    snprintf(trigger, sizeof trigger, "%s:%" PRIu64 ":%" PRIu64, ev->pub, ev->epoch, ev->seq);
    size_t n = cdr_core_end_orphans(self->core, ev->epoch, ts_us, trigger, s_on_orphan, self);
    cc_info("cdr.publisher_restarted",
            "publisher=%s old_epoch=%" PRIu64 " epoch=%" PRIu64
            " calls_closed=%zu last_alive_us=%" PRId64,
            ev->pub, self->epoch, ev->epoch, n, ts_us);
}

static void s_apply(cdr_bus_t *self, const cdr_event_t *cev, const cc_bus_event_t *ev)
{
    cdr_step_t st;
    cdr_core_step(self->core, cev, &st);
    if (st.note)
        cc_warn("cdr.anomaly", "event=%s id=%s note=%s", ev->type, cev->event_id, cc_logq(st.note));
    switch (st.kind) {
    case CDR_STEP_IGNORED:
        self->ignored++;
        cc_warn("cdr.event_ignored", "type=%s id=%s why=%s", ev->type, cev->event_id,
                cc_logq(st.why ? st.why : "?"));
        break;
    case CDR_STEP_ACTIVE:
        if (cdr_batch_put_call(self->batch, st.call, st.is_new) != 0)
            cc_error("cdr.out_of_memory", NULL);
        break;
    case CDR_STEP_ENDED:
        s_end_row(self, st.row);
        break;
    }
}

static void s_on_event(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    cdr_bus_t *self = arg;
    self->events++;
    if (ev->epoch != self->epoch && cdr_core_active(self->core) > 0)
        s_new_epoch(self, ev);
    if (ev->epoch != self->epoch)
        self->alive_us = 0;
    int64_t ts_us = s_event_ts(ev);
    if (ts_us > self->alive_us)
        self->alive_us = ts_us;
    self->epoch = ev->epoch;
    self->seq = ev->seq;

    cdr_event_t cev;
    char id[96], err[160];
    int rc = cdr_event_decode(ev, &cev, id, sizeof id, err, sizeof err);
    if (rc < 0) {
        self->bad++;
        cc_error("cdr.bad_event", "type=%s seq=%" PRIu64 " err=%s", ev->type, ev->seq,
                 cc_logq(err));
    } else if (rc > 0) {
        s_apply(self, &cev, ev);
    }
    cdr_batch_advance(self->batch, ev->epoch, ev->seq);
    cdr_flush_kick(self->flush);
}

static void s_on_loss(cc_bus_t *bus, const char *publisher, uint64_t epoch, uint64_t first,
                      uint64_t last, void *arg)
{
    (void)bus;
    cdr_bus_t *self = arg;
    self->lost += last >= first ? last - first + 1 : 0;
    cc_error("cdr.events_lost",
             "publisher=%s epoch=%" PRIu64 " first_seq=%" PRIu64 " last_seq=%" PRIu64
             " effect=\"calls in this range may get partial CDRs or none\"",
             publisher, epoch, first, last);
}

int cdr_bus_start(cdr_bus_t *self)
{
    cc_bus_on_loss(self->bus, s_on_loss, self);
    /* scanned: of each event cdrd reads a few fields, and a jansson tree per event was
     * half of its loop at full speed */
    return cc_bus_subscribe_reliable_scanned(self->bus, self->publisher, self->start, s_on_event,
                                             self);
}

void cdr_bus_status(cdr_bus_t *self, json_t *details)
{
    json_object_set_new(details, "calls_active",
                        json_integer((json_int_t)cdr_core_active(self->core)));
    json_object_set_new(details, "events", json_integer((json_int_t)self->events));
    json_object_set_new(details, "events_ignored", json_integer((json_int_t)self->ignored));
    json_object_set_new(details, "events_bad", json_integer((json_int_t)self->bad));
    json_object_set_new(details, "events_lost", json_integer((json_int_t)self->lost));
    json_object_set_new(details, "calls_orphaned", json_integer((json_int_t)self->orphans));
    json_t *seen = json_object();
    json_object_set_new(seen, "epoch", json_integer((json_int_t)self->epoch));
    json_object_set_new(seen, "seq", json_integer((json_int_t)self->seq));
    json_object_set_new(details, "cursor_seen", seen);
}
