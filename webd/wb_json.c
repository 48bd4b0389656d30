/* wb_json.c - the wallboard core's objects as JSON documents (see wb_json.h). */
#include "wb_json.h"

#include <string.h>

static json_t *s_ms(int64_t us)
{
    return us ? json_integer((json_int_t)(us / 1000)) : json_null();
}

static json_t *s_tenths(int64_t x10)
{
    return x10 < 0 ? json_null() : json_real((double)x10 / 10.0);
}

static json_t *s_today(const wb_core_t *core, const wb_queue_t *q)
{
    const wb_today_t *t = &q->today;
    wb_figures_t f;
    wb_figures(t, wb_core_formula(core), &f);
    json_t *o = json_pack(
        "{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "offered", (int)t->offered, "answered",
        (int)t->answered, "abandoned", (int)t->abandoned, "overflowed", (int)t->overflowed,
        "answered_in_sl", (int)t->answered_in_sl, "abandoned_in_sl", (int)t->abandoned_in_sl,
        "handled", (int)t->handled, "callbacks_pending", (int)t->callbacks_pending);
    json_object_set_new(o, "abandon_rate_pct", s_tenths(f.abandon_rate_x10));
    json_object_set_new(o, "answer_rate_pct", s_tenths(f.answer_rate_x10));
    json_object_set_new(o, "sl_pct", s_tenths(f.sl_x10));
    json_object_set_new(o, "asa_s", s_tenths(f.asa_x10));
    json_object_set_new(o, "aht_s", s_tenths(f.aht_x10));
    json_object_set_new(o, "talk_s", s_tenths(f.talk_x10));
    json_object_set_new(o, "wrap_up_s", s_tenths(f.wrap_x10));
    return o;
}

static json_t *s_staff(const wb_queue_t *q)
{
    wb_staff_t st;
    wb_queue_staff(q, &st);
    json_t *reasons = json_object();
    for (size_t i = 0; i < q->nmembers; i++) {
        const wb_agent_t *a = q->members[i];
        if (a->state != WB_AGENT_NOT_READY)
            continue;
        const char *r = a->reason[0] ? a->reason : "pause";
        json_object_set_new(reasons, r,
                            json_integer(json_integer_value(json_object_get(reasons, r)) + 1));
    }
    return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:o}", "members", (int)q->nmembers,
                     "logged_in", (int)st.logged_in, "ready", (int)st.by_state[WB_AGENT_READY],
                     "reserved", (int)st.by_state[WB_AGENT_RESERVED], "on_call",
                     (int)st.by_state[WB_AGENT_ON_CALL], "wrap_up",
                     (int)st.by_state[WB_AGENT_WRAP_UP], "not_ready",
                     (int)st.by_state[WB_AGENT_NOT_READY], "not_ready_reasons", reasons);
}

json_t *wb_json_queue(const wb_core_t *core, const wb_queue_t *q)
{
    json_t *o = json_pack("{s:s, s:i, s:i}", "name", q->name, "sl_threshold_s", q->sl_threshold_s,
                          "waiting", (int)q->waiting);
    json_object_set_new(o, "oldest", s_ms(q->oldest_us));
    json_object_set_new(o, "agents", s_staff(q));
    json_object_set_new(o, "today", s_today(core, q));
    json_object_set_new(o, "rules",
                        json_pack("{s:i, s:i, s:i, s:i}", "sl_target_pct", q->rules.sl_target_pct,
                                  "max_wait_s", q->rules.max_wait_s, "max_call_s",
                                  q->rules.max_call_s, "max_not_ready_s",
                                  q->rules.max_not_ready_s));
    return o;
}

int wb_queue_index(const wb_core_t *core, const char *name)
{
    const wb_queue_t *q = wb_core_queue(core, name);
    return q ? q->idx : -1;
}

wb_qset_t wb_json_agent_scope(const wb_agent_t *a)
{
    return a->queues;
}

json_t *wb_json_agent(const wb_core_t *core, const wb_agent_t *a)
{
    json_t *queues = json_array();
    size_t pos = 0;
    for (const wb_queue_t *q; (q = wb_core_next_queue(core, &pos));)
        if (wb_qset_has(&a->queues, q->idx))
            json_array_append_new(queues, json_string(q->name));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "ext", a->ext, "name", a->name, "state",
                          wb_agent_state_name(a->state), "reason", a->reason, "queues", queues);
    json_object_set_new(o, "since", s_ms(a->since_us));
    if (a->call_id[0])
        json_object_set_new(o, "call",
                            json_pack("{s:s, s:s, s:s, s:o}", "call_id", a->call_id, "queue",
                                      a->call_queue, "caller", a->caller, "since",
                                      s_ms(a->call_since_us)));
    else
        json_object_set_new(o, "call", json_null());
    json_object_set_new(
        o, "monitored",
        a->monitor_mode[0] ? json_pack("{s:s, s:s}", "by", a->monitored_by, "mode", a->monitor_mode)
                           : json_null());
    json_object_set_new(o, "today",
                        json_pack("{s:i, s:o}", "calls", (int)a->calls_today, "talk_s",
                                  s_tenths(wb_mean_s_x10(a->talk_ms_today, 1))));
    return o;
}

json_t *wb_json_call(const wb_call_t *c)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "call_id", c->id, "queue", c->queue,
                          "caller", c->caller, "priority", c->priority, "state",
                          wb_call_state_name(c->state), "agent", c->agent);
    json_object_set_new(o, "entered", s_ms(c->entered_us));
    json_object_set_new(o, "answered", s_ms(c->answered_us));
    return o;
}

json_t *wb_json_abandoned(const wb_abandoned_t *a)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "call_id", a->call_id, "queue", a->queue,
                          "caller", a->caller, "called_back", a->called_back);
    json_object_set_new(o, "wait_s", s_tenths(wb_mean_s_x10(a->wait_ms, 1)));
    json_object_set_new(o, "at", s_ms(a->at_us));
    return o;
}

json_t *wb_json_alert(const wb_alert_t *a)
{
    char key[WB_NAME_MAX + WB_EXT_MAX + WB_ID_MAX + 24];
    snprintf(key, sizeof key, "%s/%s/%s/%s", wb_alert_name(a->kind), a->queue, a->agent,
             a->call_id);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:b}", "key", key, "alert",
                          wb_alert_name(a->kind), "queue", a->queue, "agent", a->agent, "value",
                          a->value, "threshold", a->threshold, "active", a->active);
    if (a->call_id[0])
        json_object_set_new(o, "call_id", json_string(a->call_id));
    json_object_set_new(o, "since", s_ms(a->since_us));
    return o;
}
