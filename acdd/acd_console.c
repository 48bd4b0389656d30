/* acd_console.c - what the supervisor console (webd) and ccctl ask of acdd beyond agent
 * states: queue.snapshot (everything held, with the sequence number it reflects, so a
 * follower of acdd's events starts from it), queue.move (another queue or priority for a
 * waiting call, through the core's ACD_EV_CALL_MOVE) and queue.callback (a callback to a
 * number, waiting like one a caller asked for). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acd_app.h"
#include "acd_args.h"
#include "cc_log.h"

static const char *s_call_state(acd_app_t *app, const acd_call_t *call, int *position)
{
    acd_call_info_t info;
    *position = 0;
    if (call->cb != ACD_CB_NONE)
        return "callback";
    if (call->in_core && acd_core_call_info(app->core, call->id, &info) == 0) {
        *position = info.position;
        return info.offered ? "ringing" : "waiting";
    }
    if (call->gone && call->agent[0] && call->answered_ms > 0)
        return "talking";
    return NULL; /* overflowed away, ending: not the wallboard's business */
}

static json_t *s_call_json(acd_app_t *app, const acd_call_t *call)
{
    int position;
    const char *state = s_call_state(app, call, &position);
    if (!state)
        return NULL;
    char entered[40];
    acd_iso_time(call->enqueued_ms, entered, sizeof entered);
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:i}", "call_id", call->id, "queue",
                          call->queue, "caller", call->caller, "priority", call->priority,
                          "entered", entered, "state", state, "position", position);
    const char *agent = call->agent[0] ? call->agent : call->noffer > 0 ? call->offer[0] : "";
    if (agent[0])
        json_object_set_new(o, "agent", json_string(agent));
    if (!strcmp(state, "talking")) {
        char answered[40];
        acd_iso_time(call->answered_ms, answered, sizeof answered);
        json_object_set_new(o, "answered", json_string(answered));
    }
    return o;
}

static void s_snapshot(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    (void)args;
    acd_app_t *app = arg;
    json_t *calls = json_array();
    cc_map_iter_t it = cc_map_iter(app->calls);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        acd_call_t *c = cc_map_value(e);
        /* a callback's originated leg maps to its call too: list each call once */
        if (!c || c->dead || strcmp(cc_map_key(e), c->id) != 0)
            continue;
        json_t *o = s_call_json(app, c);
        if (o)
            json_array_append_new(calls, o);
    }
    cc_bus_reply(bus, req,
                 json_pack("{s:I, s:I, s:o, s:o}", "epoch", (json_int_t)cc_bus_epoch(bus), "seq",
                           (json_int_t)cc_bus_last_seq(bus), "calls", calls, "agents",
                           acd_agents_json(app)));
}

static void s_move(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    acd_app_t *app = arg;
    acd_move_args_t in;
    char err[160];
    if (acd_args_move(args, &in, err, sizeof err) < 0) {
        cc_bus_reply_error(bus, req, "bad_args", "%s", err);
        return;
    }
    const char *call_id = in.call_id, *queue = in.queue;
    int priority = in.priority;
    acd_call_t *call = acd_call_find(app, call_id);
    if (!call || call->dead || !call->in_core || call->cb != ACD_CB_NONE) {
        cc_bus_reply_error(bus, req, "unknown_call", "no call %s waiting", call_id);
        return;
    }
    if (queue && !acd_queue_meta(app, queue)) {
        cc_bus_reply_error(bus, req, "unknown_queue", "no queue '%s'", queue);
        return;
    }
    int before = call->priority;
    acd_event_t ev = {
        .kind = ACD_EV_CALL_MOVE, .call_id = call->id, .queue = queue, .priority = priority};
    int rc = acd_app_step(app, &ev); /* a move: the overflow action re-points call->queue */
    if (rc == -EPERM) {
        cc_bus_reply_error(bus, req, "bad_state", "call %s is ringing an agent", call_id);
        return;
    }
    if (rc != 0) {
        cc_bus_reply_error(bus, req, "internal", "move failed: %s", strerror(-rc));
        return;
    }
    acd_call_info_t info = {0};
    acd_core_call_info(app->core, call->id, &info);
    if (priority >= 0 && priority != before) {
        call->priority = priority;
        cc_bus_publish(app->bus, "queue.priority_changed", call->id,
                       json_pack("{s:s, s:i, s:i}", "queue", call->queue, "priority", priority,
                                 "position", info.position));
        acd_qcall_update(app, call, "waiting");
    }
    cc_info("acd.call_moved", "call=%s queue=%s priority=%d", call->id, call->queue,
            call->priority);
    cc_bus_reply(bus, req,
                 json_pack("{s:s, s:s, s:i, s:i}", "call_id", call->id, "queue", call->queue,
                           "priority", call->priority, "position", info.position));
    acd_calls_sweep(app);
}

static void s_callback(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    static unsigned s_counter;
    acd_app_t *app = arg;
    acd_callback_args_t in;
    char err[160];
    if (acd_args_callback(args, &in, err, sizeof err) < 0) {
        cc_bus_reply_error(bus, req, "bad_args", "%s", err);
        return;
    }
    const char *queue = in.queue, *number = in.number;
    if (!acd_queue_meta(app, queue)) {
        cc_bus_reply_error(bus, req, "unknown_queue", "no queue '%s'", queue);
        return;
    }
    char id[ACD_ID_MAX];
    snprintf(id, sizeof id, "callback-%lld-%u", (long long)acd_now_ms(), ++s_counter);
    acd_call_t *call = acd_call_new(app, id);
    if (!call) {
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    acd_text_copy(call->queue, sizeof call->queue, queue);
    acd_text_copy(call->caller, sizeof call->caller, number);
    call->enqueued_ms = acd_now_ms();
    call->leg_gone = true; /* nobody on the line: the agent is called first */
    acd_qcall_insert(app, call, "callback");
    acd_call_request_callback(app, call, false);
    acd_call_info_t info = {0};
    if (!call->in_core || acd_core_call_info(app->core, call->id, &info) != 0) {
        acd_qcall_delete(app, call);
        acd_call_kill(app, call);
        acd_calls_sweep(app);
        cc_bus_reply_error(bus, req, "internal", "the queue refused the callback");
        return;
    }
    cc_bus_reply(bus, req, json_pack("{s:s, s:i}", "call_id", id, "position", info.position));
    acd_calls_sweep(app);
}

int acd_console_attach(acd_app_t *app)
{
    int rc = cc_bus_on_command(app->bus, "queue.snapshot", s_snapshot, app);
    rc |= cc_bus_on_command(app->bus, "queue.move", s_move, app);
    rc |= cc_bus_on_command(app->bus, "queue.callback", s_callback, app);
    return rc;
}
