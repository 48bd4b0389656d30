/* wd_follow.c - webd follows acdd as the zguide's Clone pattern has it: ask for a snapshot
 * of the live state (queue.snapshot: calls, agents and the sequence number they reflect),
 * then subscribe reliably from a little before that number, so every event reaches the
 * core exactly once and in order: those the snapshot already reflects only add to today's
 * figures (idempotently: Postgres may hold them too), later ones change the board. When
 * acdd restarts (a new epoch) or events were lost, the live state is fetched again and the
 * events that arrived meanwhile are applied after it. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cc_log.h"
#include "wd_app.h"

#define S_RETRY_MS 2000

static void s_ask_snapshot(wd_app_t *app);

/* "2026-11-21T13:17:03.123456Z" (or .123Z, or none) -> microseconds since 1970. */
static int64_t s_iso_us(const char *text)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = text ? strptime(text, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!rest)
        return 0;
    int64_t us = (int64_t)timegm(&tm) * 1000000;
    if (*rest == '.') {
        int64_t frac = 0, scale = 1000000;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++)
            if (scale > 1) {
                scale /= 10;
                frac += (*rest - '0') * scale;
            }
        us += frac;
    }
    return us;
}

static int64_t s_ms(json_t *body, const char *key)
{
    json_t *v = json_object_get(body, key);
    return json_is_number(v) ? llround(json_number_value(v) * 1000.0) : 0;
}

static const char *s_str(json_t *body, const char *key)
{
    return json_string_value(json_object_get(body, key));
}

static const struct {
    const char *type;
    wb_event_kind_t kind;
} s_kinds[] = {
    {"queue.entered", WB_EV_ENTERED},
    {"queue.offered", WB_EV_OFFERED},
    {"queue.offer_failed", WB_EV_OFFER_FAILED},
    {"queue.answered", WB_EV_ANSWERED},
    {"queue.abandoned", WB_EV_ABANDONED},
    {"queue.overflowed", WB_EV_OVERFLOWED},
    {"queue.completed", WB_EV_COMPLETED},
    {"queue.priority_changed", WB_EV_PRIORITY},
    {"queue.callback_requested", WB_EV_CALLBACK_REQUESTED},
    {"queue.callback_attempt", WB_EV_CALLBACK_ATTEMPT},
    {"queue.callback_done", WB_EV_CALLBACK_DONE},
    {"agent.state", WB_EV_AGENT_STATE},
};

/* A bus event as the core's event; false for types the wallboard does not follow. */
static bool s_event(json_t *body, wb_event_t *ev)
{
    const char *type = s_str(body, "type");
    memset(ev, 0, sizeof *ev);
    size_t i = 0, n = sizeof s_kinds / sizeof s_kinds[0];
    while (i < n && (!type || strcmp(type, s_kinds[i].type) != 0))
        i++;
    if (i == n)
        return false;
    ev->kind = s_kinds[i].kind;
    ev->ts_us = s_iso_us(s_str(body, "ts"));
    ev->call_id = s_str(body, "call_id");
    ev->queue = s_str(body, "queue");
    ev->agent = ev->kind == WB_EV_AGENT_STATE ? s_str(body, "ext") : s_str(body, "agent");
    ev->caller =
        ev->kind == WB_EV_CALLBACK_REQUESTED ? s_str(body, "number") : s_str(body, "caller");
    ev->reason = s_str(body, "reason");
    ev->result = s_str(body, "result");
    ev->priority = (int)json_integer_value(json_object_get(body, "priority"));
    ev->wait_ms = s_ms(body, "wait_s");
    ev->talk_ms = s_ms(body, "talk_s");
    ev->in_sl = json_is_true(json_object_get(body, "in_sl"));
    ev->restored = json_is_true(json_object_get(body, "restored"));
    const char *kind = s_str(body, "kind");
    if (ev->kind == WB_EV_OVERFLOWED && kind && !strcmp(kind, "queue"))
        ev->target = s_str(body, "target");
    if (ev->kind == WB_EV_AGENT_STATE) {
        if (wb_agent_state_parse(s_str(body, "state"), &ev->state) != 0 ||
            wb_agent_state_parse(s_str(body, "previous"), &ev->previous) != 0)
            return false;
        ev->since_us = s_iso_us(s_str(body, "since"));
        ev->previous_ms = s_ms(body, "previous_s");
    }
    return true;
}

/* One acdd event into the core and out to the streams. */
static void s_apply(wd_app_t *app, json_t *body, uint64_t epoch, uint64_t seq)
{
    wb_event_t ev;
    app->follow.epoch = epoch;
    app->cursor = (wd_cursor_t){epoch, seq, 0};
    app->cursor.k = (uint32_t)-1; /* the first frame of this event is k = 0 */
    bool live = !(epoch == app->follow.snap_epoch && seq <= app->follow.snap_seq);
    if (live)
        wd_hooks_event(app->hooks, body);
    if (!s_event(body, &ev))
        return;
    ev.live = live;
    if (ev.kind == WB_EV_OFFERED)
        wd_desk_offered(app, body, ev.live && !ev.restored);
    app->last_event_ts_us = ev.ts_us;
    int rc = wb_core_apply(app->core, &ev);
    if (rc != 0)
        cc_warn("webd.event_skipped", "type=%s seq=%llu rc=%d", cc_logq(s_str(body, "type")),
                (unsigned long long)seq, rc);
    wd_board_flush(app);
}

static void s_resync(wd_app_t *app, const char *why)
{
    if (app->follow.resyncing)
        return;
    cc_info("webd.resync", "reason=%s", why);
    app->follow.resyncing = true;
    s_ask_snapshot(app);
}

static void s_on_event(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    wd_app_t *app = arg;
    if (!app->follow.resyncing && app->follow.snap_epoch && ev->epoch != app->follow.snap_epoch)
        s_resync(app, "acdd_restarted");
    if (app->follow.resyncing) { /* after the snapshot, in order */
        json_t *item = json_pack("{s:O, s:I, s:I}", "body", ev->body, "epoch",
                                 (json_int_t)ev->epoch, "seq", (json_int_t)ev->seq);
        json_array_append_new(app->follow.held, item);
        return;
    }
    s_apply(app, ev->body, ev->epoch, ev->seq);
}

static void s_on_loss(cc_bus_t *bus, const char *publisher, uint64_t epoch, uint64_t first,
                      uint64_t last, void *arg)
{
    (void)bus;
    (void)epoch;
    (void)first;
    (void)last;
    if (!strcmp(publisher, "acdd"))
        s_resync(arg, "events_lost");
}

static void s_on_sipproxy(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    wd_app_t *app = arg;
    if (strcmp(ev->type, "call.monitor") == 0) { /* the agent shows as monitored */
        const char *action = s_str(ev->body, "action"), *user = s_str(ev->body, "supervisor_user");
        bool stopped = action && (!strcmp(action, "stopped") || !strcmp(action, "takeover"));
        if (wb_core_agent_monitor(app->core, s_str(ev->body, "agent"),
                                  user ? user : s_str(ev->body, "supervisor"),
                                  stopped ? NULL : s_str(ev->body, "mode")) == 0)
            wd_board_flush(app);
        return;
    }
    if (!ev->replayed)
        wd_hooks_event(app->hooks, ev->body);
    wd_desk_on_sipproxy(app, ev);
    wd_console_on_sipproxy(app, ev);
}

/* ---- the snapshot --------------------------------------------------------------------------- */

static void s_live_snapshot(wd_app_t *app, json_t *result)
{
    wb_core_live_begin(app->core);
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(result, "calls"), i, o)
    {
        wb_call_t c;
        memset(&c, 0, sizeof c);
        snprintf(c.id, sizeof c.id, "%s", s_str(o, "call_id") ? s_str(o, "call_id") : "");
        snprintf(c.queue, sizeof c.queue, "%s", s_str(o, "queue") ? s_str(o, "queue") : "");
        snprintf(c.caller, sizeof c.caller, "%s", s_str(o, "caller") ? s_str(o, "caller") : "");
        snprintf(c.agent, sizeof c.agent, "%s", s_str(o, "agent") ? s_str(o, "agent") : "");
        c.priority = (int)json_integer_value(json_object_get(o, "priority"));
        c.entered_us = s_iso_us(s_str(o, "entered"));
        c.answered_us = s_iso_us(s_str(o, "answered"));
        const char *st = s_str(o, "state");
        c.state = !st                       ? WB_CALL_WAITING
                  : !strcmp(st, "ringing")  ? WB_CALL_RINGING
                  : !strcmp(st, "talking")  ? WB_CALL_TALKING
                  : !strcmp(st, "callback") ? WB_CALL_CALLBACK
                                            : WB_CALL_WAITING;
        if (c.id[0] && c.queue[0])
            wb_core_live_call(app->core, &c);
    }
    json_array_foreach(json_object_get(result, "agents"), i, o)
    {
        wb_agent_state_t st;
        const char *ext = s_str(o, "ext");
        if (!ext || wb_agent_state_parse(s_str(o, "state"), &st) != 0)
            continue;
        wb_core_agent_set(app->core, ext, s_str(o, "name"));
        wb_core_live_agent(app->core, ext, st, s_str(o, "reason"), s_iso_us(s_str(o, "since")),
                           s_str(o, "call_id"));
    }
    wb_core_live_end(app->core);
}

static void s_on_retry(cc_loop_t *loop, int id, void *arg)
{
    (void)loop;
    (void)id;
    wd_app_t *app = arg;
    app->follow.retry_timer = 0;
    s_ask_snapshot(app);
}

static void s_on_snapshot(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    wd_app_t *app = arg;
    json_t *jepoch = json_object_get(result, "epoch"), *jseq = json_object_get(result, "seq");
    if (status != 0 || !json_is_integer(jepoch) || !json_is_integer(jseq)) {
        cc_warn("webd.snapshot_failed", "status=%s retry_ms=%d",
                status == -ETIMEDOUT ? "timeout"
                : status             ? "error"
                                     : "bad_reply",
                S_RETRY_MS);
        app->follow.retry_timer = cc_loop_timer_add(app->d->loop, S_RETRY_MS, 0, s_on_retry, app);
        return;
    }
    wd_follow_t *f = &app->follow;
    f->snap_epoch = (uint64_t)json_integer_value(jepoch);
    f->snap_seq = (uint64_t)json_integer_value(jseq);
    s_live_snapshot(app, result);
    app->cursor = (wd_cursor_t){f->snap_epoch, f->snap_seq, 0};
    app->last_event_ts_us = wd_now_us();
    f->have_snapshot = true;
    cc_info("webd.snapshot", "epoch=%llu seq=%llu calls=%zu agents=%zu",
            (unsigned long long)f->snap_epoch, (unsigned long long)f->snap_seq,
            json_array_size(json_object_get(result, "calls")),
            json_array_size(json_object_get(result, "agents")));
    if (!f->subscribed) {
        uint64_t replay = (uint64_t)app->set.startup_replay;
        cc_bus_cursor_t from = {f->snap_epoch, f->snap_seq > replay ? f->snap_seq - replay : 0};
        if (cc_bus_subscribe_reliable(bus, "acdd", from, s_on_event, app) == 0)
            f->subscribed = true;
        else
            cc_error("webd.subscribe_failed", "publisher=acdd");
    }
    wd_board_flush(app); /* the snapshot is a reset: every stream gets it */
    f->resyncing = false;
    json_t *held = f->held;
    f->held = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(held, i, item) s_on_event(
        bus,
        &(cc_bus_event_t){.type = s_str(json_object_get(item, "body"), "type"),
                          .epoch = (uint64_t)json_integer_value(json_object_get(item, "epoch")),
                          .seq = (uint64_t)json_integer_value(json_object_get(item, "seq")),
                          .body = json_object_get(item, "body")},
        app);
    json_decref(held);
}

static void s_ask_snapshot(wd_app_t *app)
{
    if (!cc_bus_request(app->bus, &app->follow.owner, "acdd", "queue.snapshot", NULL,
                        app->set.request_timeout_ms, s_on_snapshot, app))
        app->follow.retry_timer = cc_loop_timer_add(app->d->loop, S_RETRY_MS, 0, s_on_retry, app);
}

int wd_follow_start(wd_app_t *app)
{
    app->follow.held = json_array();
    cc_bus_on_loss(app->bus, s_on_loss, app);
    if (cc_bus_subscribe(app->bus, "sipproxy", "call.connect_result", s_on_sipproxy, app) != 0 ||
        cc_bus_subscribe(app->bus, "sipproxy", "call.monitor", s_on_sipproxy, app) != 0 ||
        cc_bus_subscribe(app->bus, "sipproxy", "call.created", s_on_sipproxy, app) != 0 ||
        cc_bus_subscribe(app->bus, "sipproxy", "call.answered", s_on_sipproxy, app) != 0 ||
        cc_bus_subscribe(app->bus, "sipproxy", "call.ended", s_on_sipproxy, app) != 0 ||
        cc_bus_subscribe(app->bus, "sipproxy", "call.consult_state", s_on_sipproxy, app) != 0)
        return -1;
    s_ask_snapshot(app);
    return 0;
}

void wd_follow_stop(wd_app_t *app)
{
    cc_bus_owner_cancel(app->bus, &app->follow.owner);
    if (app->follow.retry_timer > 0)
        cc_loop_timer_cancel(app->d->loop, app->follow.retry_timer);
    json_decref(app->follow.held);
    app->follow.held = NULL;
}
