/* wd_board.c - from the wallboard core to the browsers: each change becomes one frame on
 * the live streams (scoped by queue), a reset becomes a fresh snapshot for every stream,
 * alerts also go onto the bus (web.alert); the same documents answer the JSON API's list
 * routes. Once a second: the centre's day, the alerts, and keep-alives that also end
 * streams whose session has gone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cc_log.h"
#include "wb_json.h"
#include "wd_app.h"

/* ---- frames ------------------------------------------------------------------------------ */

/* The next id: the k-th frame after the last bus event applied. */
static wd_cursor_t s_next_id(wd_app_t *app)
{
    wd_cursor_t c = app->cursor;
    c.k++;
    app->cursor = c;
    return c;
}

/* One frame {"t": type, "v": value (JSON text), "ts": ms of the bus event}. */
static void s_publish_text(wd_app_t *app, const wb_qset_t *scope, const char *type,
                           const char *value)
{
    size_t len = strlen(value) + strlen(type) + 64;
    char *text = malloc(len);
    if (!text)
        return;
    snprintf(text, len, "{\"t\":\"%s\",\"v\":%s,\"ts\":%lld}", type, value,
             (long long)(app->last_event_ts_us / 1000));
    wd_cursor_t id = s_next_id(app);
    wd_streams_publish(app->streams, &id, scope, "update", text);
    free(text);
}

static void s_publish(wd_app_t *app, const wb_qset_t *scope, const char *type, json_t *value)
{
    char *text = json_dumps(value, WB_JSON_FLAGS);
    json_decref(value);
    if (text)
        s_publish_text(app, scope, type, text);
    free(text);
}

/* A queue's document as text, rendered when it changed and kept for the frames and for
 * GET /api/queues (the busiest route: a script polling the queue figures). */
static const char *s_queue_text(wd_app_t *app, const wb_queue_t *q, bool fresh)
{
    char *text = fresh ? NULL : cc_map_get(app->queue_text, q->name);
    if (text)
        return text;
    json_t *doc = wb_json_queue(app->core, q);
    text = json_dumps(doc, WB_JSON_FLAGS);
    json_decref(doc);
    if (!text || cc_map_put(app->queue_text, q->name, text) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

char *wd_board_queues_text(wd_app_t *app, const wd_principal_t *who)
{
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    len = (size_t)snprintf(out, cap, "{\"queues\":[");
    size_t pos = 0, n = 0;
    for (const wb_queue_t *q; (q = wb_core_next_queue(app->core, &pos));) {
        const char *t = wd_scope_queue(who, q->idx) ? s_queue_text(app, q, false) : NULL;
        size_t tl = t ? strlen(t) : 0;
        if (!t)
            continue;
        if (len + tl + 128 > cap) {
            while (len + tl + 128 > cap)
                cap *= 2;
            char *grown = realloc(out, cap);
            if (!grown) {
                free(out);
                return NULL;
            }
            out = grown;
        }
        len += (size_t)snprintf(out + len, cap - len, "%s%s", n++ ? "," : "", t);
    }
    snprintf(out + len, cap - len, "],\"sl_formula\":\"%s\"}",
             wb_sl_formula_name(wb_core_formula(app->core)));
    return out;
}

static wb_qset_t s_one(int idx)
{
    wb_qset_t s = {{0}};
    wb_qset_add(&s, idx);
    return s;
}

static void s_alert_to_bus(wd_app_t *app, const wb_alert_t *a)
{
    json_t *f = json_pack("{s:s, s:s, s:s, s:f, s:f}", "alert", wb_alert_name(a->kind), "state",
                          a->active ? "raised" : "cleared", "queue", a->queue, "value", a->value,
                          "threshold", a->threshold);
    if (a->agent[0])
        json_object_set_new(f, "agent", json_string(a->agent));
    cc_bus_publish(app->bus, "web.alert", a->call_id[0] ? a->call_id : NULL, f);
    cc_info("webd.alert", "alert=%s state=%s queue=%s agent=%s value=%.1f threshold=%.1f",
            wb_alert_name(a->kind), a->active ? "raised" : "cleared", cc_logq(a->queue),
            cc_logq(a->agent), a->value, a->threshold);
}

/* Every stream starts again from a snapshot of its (refreshed) principal's view. */
static void s_reset_streams(wd_app_t *app)
{
    wd_cursor_t at = s_next_id(app);
    wd_streams_reset(app->streams, &at);
    int64_t now = wd_now_us();
    for (size_t i = 0; i < wd_streams_count(app->streams); i++) {
        wd_stream_t *s = wd_streams_at(app->streams, i);
        wd_req_t *req = wd_stream_conn(s);
        if (!wd_auth_refresh(app->auth, app->core, wd_stream_who(s), now)) {
            req->stream_end = true;
            wd_stream_send(app->streams, s, "event: end\ndata: {}\n\n", 21);
            continue;
        }
        wd_board_send_snapshot(app, s);
    }
}

void wd_board_flush(wd_app_t *app)
{
    const wb_changes_t *ch = wb_core_changes(app->core);
    for (size_t i = 0; i < ch->nalerts; i++)
        s_alert_to_bus(app, &ch->alerts[i]);
    if (ch->reset) {
        cc_map_clear(app->queue_text);
        s_reset_streams(app);
        wb_core_clear_changes(app->core);
        return;
    }
    for (size_t i = 0; i < ch->nqueues; i++) {
        wb_qset_t scope = s_one(ch->queues[i]->idx);
        const char *text = s_queue_text(app, ch->queues[i], true);
        if (text)
            s_publish_text(app, &scope, "queue", text);
    }
    for (size_t i = 0; i < ch->nagents; i++) {
        wb_qset_t scope = wb_json_agent_scope(ch->agents[i]);
        s_publish(app, &scope, "agent", wb_json_agent(app->core, ch->agents[i]));
    }
    for (size_t i = 0; i < ch->ncalls; i++) {
        const wb_call_t *c = ch->calls[i];
        wb_qset_t scope = s_one(wb_queue_index(app->core, c->queue));
        if (c->removed)
            s_publish(app, &scope, "call_gone",
                      json_pack("{s:s, s:s}", "call_id", c->id, "queue", c->queue));
        else
            s_publish(app, &scope, "call", wb_json_call(c));
    }
    size_t nab;
    const wb_abandoned_t *ab = wb_core_abandoned(app->core, &nab);
    for (size_t i = 0; i < ch->nabandoned; i++) {
        if (ch->abandoned[i] >= nab)
            continue;
        const wb_abandoned_t *a = &ab[ch->abandoned[i]];
        wb_qset_t scope = s_one(wb_queue_index(app->core, a->queue));
        s_publish(app, &scope, "abandoned", wb_json_abandoned(a));
    }
    for (size_t i = 0; i < ch->nalerts; i++) {
        wb_qset_t scope = s_one(wb_queue_index(app->core, ch->alerts[i].queue));
        s_publish(app, &scope, "alert", wb_json_alert(&ch->alerts[i]));
    }
    wb_core_clear_changes(app->core);
}

/* ---- what a principal may see -------------------------------------------------------------- */

json_t *wd_board_queues(wd_app_t *app, const wd_principal_t *who)
{
    json_t *list = json_array();
    size_t pos = 0;
    for (const wb_queue_t *q; (q = wb_core_next_queue(app->core, &pos));)
        if (wd_scope_queue(who, q->idx))
            json_array_append_new(list, wb_json_queue(app->core, q));
    return list;
}

json_t *wd_board_agents(wd_app_t *app, const wd_principal_t *who)
{
    json_t *list = json_array();
    size_t pos = 0;
    for (const wb_agent_t *a; (a = wb_core_next_agent(app->core, &pos));)
        if (wd_scope_set(who, &a->queues))
            json_array_append_new(list, wb_json_agent(app->core, a));
    return list;
}

json_t *wd_board_calls(wd_app_t *app, const wd_principal_t *who, const char *queue)
{
    json_t *list = json_array();
    size_t pos = 0;
    for (const wb_call_t *c; (c = wb_core_next_call(app->core, &pos));)
        if ((!queue || !strcmp(queue, c->queue)) &&
            wd_scope_queue(who, wb_queue_index(app->core, c->queue)))
            json_array_append_new(list, wb_json_call(c));
    return list;
}

json_t *wd_board_abandoned(wd_app_t *app, const wd_principal_t *who)
{
    json_t *list = json_array();
    size_t n;
    const wb_abandoned_t *ab = wb_core_abandoned(app->core, &n);
    size_t shown = 0;
    for (size_t i = n; i > 0 && shown < (size_t)app->set.abandoned_max; i--) { /* newest first */
        if (!wd_scope_queue(who, wb_queue_index(app->core, ab[i - 1].queue)))
            continue;
        json_array_append_new(list, wb_json_abandoned(&ab[i - 1]));
        shown++;
    }
    return list;
}

json_t *wd_board_alerts(wd_app_t *app, const wd_principal_t *who)
{
    json_t *list = json_array();
    size_t n;
    const wb_alert_t *al = wb_core_alerts(app->core, &n);
    for (size_t i = 0; i < n; i++)
        if (wd_scope_queue(who, wb_queue_index(app->core, al[i].queue)))
            json_array_append_new(list, wb_json_alert(&al[i]));
    return list;
}

json_t *wd_board_snapshot(wd_app_t *app, const wd_principal_t *who)
{
    json_t *o = json_object();
    json_object_set_new(o, "queues", wd_board_queues(app, who));
    json_object_set_new(o, "agents", wd_board_agents(app, who));
    json_object_set_new(o, "calls", wd_board_calls(app, who, NULL));
    json_object_set_new(o, "abandoned", wd_board_abandoned(app, who));
    json_object_set_new(o, "alerts", wd_board_alerts(app, who));
    json_object_set_new(o, "now", json_integer((json_int_t)(wd_now_us() / 1000)));
    json_object_set_new(o, "day_start",
                        json_integer((json_int_t)(wb_core_day_start(app->core) / 1000)));
    json_object_set_new(o, "time_zone", json_string(app->set.time_zone));
    json_object_set_new(o, "sl_formula",
                        json_string(wb_sl_formula_name(wb_core_formula(app->core))));
    json_object_set_new(o, "live", json_boolean(app->follow.have_snapshot));
    return o;
}

void wd_board_send_snapshot(wd_app_t *app, wd_stream_t *stream)
{
    json_t *doc = wd_board_snapshot(app, wd_stream_who(stream));
    char *text = json_dumps(doc, WB_JSON_FLAGS);
    json_decref(doc);
    if (!text)
        return;
    char id[96];
    wd_cursor_t last = wd_streams_last(app->streams);
    wd_cursor_format(&last, id, sizeof id);
    size_t len = strlen(text) + strlen(id) + 40;
    char *frame = malloc(len);
    if (frame) {
        len = (size_t)snprintf(frame, len, "id: %s\nevent: snapshot\ndata: %s\n\n", id, text);
        wd_stream_send(app->streams, stream, frame, len);
    }
    free(frame);
    free(text);
}

/* ---- once a second -------------------------------------------------------------------------- */

static void s_keepalive(wd_app_t *app, int64_t now)
{
    char frame[96];
    int len = snprintf(frame, sizeof frame, "event: ping\ndata: {\"now\":%lld}\n\n",
                       (long long)(now / 1000));
    for (size_t i = 0; i < wd_streams_count(app->streams); i++) {
        wd_stream_t *s = wd_streams_at(app->streams, i);
        wd_req_t *req = wd_stream_conn(s);
        if (!wd_auth_refresh(app->auth, app->core, wd_stream_who(s), now)) {
            req->stream_end = true; /* logged out, expired or disabled */
            wd_stream_send(app->streams, s, "event: end\ndata: {}\n\n", 21);
            continue;
        }
        wd_stream_send(app->streams, s, frame, (size_t)len);
    }
}

void wd_board_tick(wd_app_t *app)
{
    int64_t now = wd_now_us(), start, end;
    wd_load_day(app->set.time_zone, now, &start, &end);
    if (start != wb_core_day_start(app->core)) {
        cc_info("webd.new_day", "start_us=%lld", (long long)start);
        wb_core_set_day(app->core, start, end);
    }
    wb_core_check_alerts(app->core, now);
    app->last_event_ts_us = now;
    wd_board_flush(app);
    if (now - app->last_keepalive_us >= (int64_t)app->set.keepalive_s * 1000000) {
        app->last_keepalive_us = now;
        s_keepalive(app, now);
    }
}
