/* acd_waiting.c - the caller waiting in a queue, while acdd holds the leg: entering the
 * queue (the row first, then the core), the answer, position announcements and hold music
 * on the caller's endpoint (play.* to mediad), and how a wait ends other than by an agent:
 * overflow, abandon, the caller hanging up; then the agent's part ending (wrap-up, the
 * completed row); after a mediad restart, what the caller should hear plays again. Offers
 * are in acd_offer.c, callbacks in acd_callback.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd_app.h"
#include "acd_say.h"
#include "cc_log.h"

/* ---- media on the caller's endpoint ----------------------------------------------------- */

/* The queue's own language, else [acdd] language. */
static const char *s_language(acd_app_t *app, const acd_call_t *call)
{
    const acd_qmeta_t *q = acd_queue_meta(app, call->queue);
    return q && q->language[0] ? q->language : app->language;
}

void acd_call_play(acd_app_t *app, acd_call_t *call, json_t *prompts, bool loop,
                   cc_bus_reply_fn *on_reply)
{
    if (call->endpoint_id <= 0 || call->leg_gone) {
        json_decref(prompts);
        return;
    }
    json_t *args = json_pack("{s:I, s:o, s:s, s:b}", "endpoint_id", (json_int_t)call->endpoint_id,
                             "prompts", prompts, "language", s_language(app, call), "loop", loop);
    acd_request(app, call, "mediad", "play.start", args, on_reply);
}

void acd_call_start_music(acd_app_t *app, acd_call_t *call)
{
    if (call->cb != ACD_CB_NONE || call->gone)
        return;
    call->announce_play_id = 0;
    call->media_started = true;
    const acd_qmeta_t *q = acd_queue_meta(app, call->queue); /* its own music, if set */
    acd_call_play(app, call, json_pack("[s]", q && q->music[0] ? q->music : app->music), true,
                  NULL);
}

void acd_call_play_stop(acd_app_t *app, acd_call_t *call)
{
    if (call->endpoint_id <= 0 || call->leg_gone)
        return;
    call->announce_play_id = 0;
    acd_request(app, call, "mediad", "play.stop",
                json_pack("{s:I}", "endpoint_id", (json_int_t)call->endpoint_id), NULL);
}

static void s_on_announce_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    acd_call_t *call = arg;
    if (status == 0)
        call->announce_play_id = json_integer_value(json_object_get(result, "play_id"));
    else /* a missing prompt must not leave the caller in silence */
        acd_call_start_music(call->app, call);
    acd_calls_sweep(call->app);
}

static void s_announce(acd_app_t *app, acd_call_t *call, int position, int wait_s)
{
    acd_say_t say;
    if (acd_say_announcement(&say, s_language(app, call), position, wait_s) != 0)
        return;
    json_t *prompts = json_array();
    for (size_t i = 0; i < say.count; i++)
        json_array_append_new(prompts, json_string(say.names[i]));
    /* the callback offer names the queue's own key */
    const acd_qmeta_t *q = acd_queue_meta(app, call->queue);
    acd_say_t key = {.count = 0};
    if (q && q->callback_key[0] && app->cb_offer_prompt[0] &&
        acd_say_key(&key, q->callback_key[0]) == 0) {
        json_array_append_new(prompts, json_string(app->cb_offer_prompt));
        json_array_append_new(prompts, json_string(key.names[0]));
    }
    call->media_started = true;
    acd_call_play(app, call, prompts, false, s_on_announce_reply);
}

static void s_on_answer_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result;
    acd_call_t *call = arg;
    acd_app_t *app = call->app;
    if (status != 0) {
        cc_warn("acd.answer_failed", NULL);
        if (call->in_core) { /* the caller is gone (e.g. died while acdd was down) */
            acd_event_t ev = {.kind = ACD_EV_CALL_ABANDONED, .call_id = call->id};
            acd_app_step(app, &ev);
        }
    } else {
        call->answered = true;
        if (call->pending_position > 0) {
            s_announce(app, call, call->pending_position, call->pending_wait_s);
            call->pending_position = 0;
        } else if (!call->gone) {
            acd_call_start_music(app, call);
        }
    }
    acd_calls_sweep(app);
}

void acd_call_answer(acd_app_t *app, acd_call_t *call, json_t *args)
{
    acd_request(app, call, "sipproxy", "call.answer", args, s_on_answer_reply);
}

void acd_call_on_play_done(acd_app_t *app, acd_call_t *call, int64_t play_id, const char *reason)
{
    if (play_id <= 0)
        return;
    if (play_id == call->confirm_play_id) { /* the callback's confirmation: goodbye */
        call->confirm_play_id = 0;
        acd_hangup(app, call->id, "queue callback requested");
        return;
    }
    if (play_id == call->announce_play_id && reason && !strcmp(reason, "finished")) {
        call->announce_play_id = 0;
        if (call->in_core && call->cb == ACD_CB_NONE)
            acd_call_start_music(app, call);
    }
}

/* The plays on the dead mediad are gone, and their media.play_done with them. A caller
 * waiting (also one being offered to agents, who keeps hearing the music while they ring)
 * hears the music again: an announcement that was cut off is not replayed, the next one
 * comes when due. A caller who asked for a callback hears the confirmation again, then is
 * hung up as before. A caller talking to an agent hears the agent: nothing of ours plays. */
void acd_call_on_media_restored(acd_app_t *app, acd_call_t *call, int64_t gap_ms)
{
    if (call->leg_gone || call->endpoint_id <= 0 || !call->answered)
        return;
    const char *what;
    if (call->cb != ACD_CB_NONE && call->confirm_play_id) {
        what = "confirmation";
        acd_cb_confirm(app, call);
    } else if (call->cb == ACD_CB_NONE && call->in_core && !call->gone) {
        what = call->announce_play_id ? "music_for_announcement" : "music";
        acd_call_start_music(app, call);
    } else {
        return;
    }
    cc_info("acd.media_restored", "queue=%s endpoint=%lld play=%s gap_ms=%lld", call->queue,
            (long long)call->endpoint_id, what, (long long)gap_ms);
}

/* ---- entering ------------------------------------------------------------------------- */

void acd_qcall_insert(acd_app_t *app, acd_call_t *call, const char *db_state)
{
    int64_t seq = (int64_t)cc_wall_us();
    call->seq = seq > app->last_seq ? seq : app->last_seq + 1;
    app->last_seq = call->seq;
    char pr[16], lv[16], enq[24], sq[24], ep[24];
    char *vars = call->variables ? json_dumps(call->variables, JSON_COMPACT) : NULL;
    const char *p[12] = {call->id,
                         call->queue,
                         acd_fmt_int(pr, sizeof pr, call->priority),
                         call->skill,
                         acd_fmt_int(lv, sizeof lv, call->skill_level),
                         acd_fmt_int(enq, sizeof enq, call->enqueued_ms),
                         acd_fmt_int(sq, sizeof sq, call->seq),
                         call->caller,
                         acd_fmt_int(ep, sizeof ep, call->endpoint_id),
                         vars ? vars : "{}",
                         db_state,
                         call->return_to_ivr ? "t" : "f"};
    acd_db_write(app->db, ACD_DB_QCALL_INSERT, p);
    free(vars);
}

int acd_call_enqueue(acd_app_t *app, acd_call_t *call, bool restored, const char *db_state)
{
    if (!call->enqueued_ms)
        call->enqueued_ms = acd_now_ms();
    acd_event_t ev = {.kind = ACD_EV_CALL_ENQUEUED,
                      .call_id = call->id,
                      .queue = call->queue,
                      .priority = call->priority,
                      .skill = call->skill[0] ? call->skill : NULL,
                      .min_level = call->skill_level,
                      .enqueued_ms = restored ? call->enqueued_ms : 0};
    /* the row first, so that the writer sees it before any update the step makes */
    if (!restored)
        acd_qcall_insert(app, call, db_state);
    call->in_core = true;
    int rc = acd_app_step(app, &ev);
    if (rc != 0) {
        call->in_core = false;
        if (!restored)
            acd_qcall_delete(app, call);
        return rc;
    }
    acd_call_info_t info;
    int position = 0, expected = -1;
    if (acd_core_call_info(app->core, call->id, &info) == 0) {
        position = info.position;
        expected = restored ? -1 : info.entry_wait_s;
    }
    json_t *e = json_pack("{s:s, s:s, s:i, s:i}", "queue", call->queue, "caller", call->caller,
                          "priority", call->priority, "position", position);
    if (expected >= 0)
        json_object_set_new(e, "expected_wait_s", json_integer(expected));
    if (call->skill[0])
        json_object_set_new(e, "skill", json_string(call->skill));
    if (restored)
        json_object_set_new(e, "restored", json_true());
    cc_bus_publish(app->bus, "queue.entered", call->id, e);
    if (!restored)
        acd_log_entered(app, call, NULL);
    return 0;
}

/* ---- actions about the wait ------------------------------------------------------------- */

void acd_act_announce(acd_app_t *app, const acd_action_t *a)
{
    acd_call_t *call = acd_call_find(app, a->call_id);
    if (!call || call->cb != ACD_CB_NONE || call->leg_gone)
        return;
    if (!call->answered) {
        call->pending_position = a->position;
        call->pending_wait_s = a->expected_wait_s;
        return;
    }
    s_announce(app, call, a->position, a->expected_wait_s);
}

static const char *s_overflow_kind(acd_overflow_kind_t kind)
{
    switch (kind) {
    case ACD_OVERFLOW_HANGUP:
        return "hangup";
    case ACD_OVERFLOW_QUEUE:
        return "queue";
    case ACD_OVERFLOW_EXTENSION:
        return "extension";
    case ACD_OVERFLOW_VOICEMAIL:
        return "voicemail";
    case ACD_OVERFLOW_CALLBACK:
        return "callback";
    }
    return "hangup";
}

typedef struct {
    acd_app_t *app;
    char call_id[ACD_ID_MAX];
} s_vm_handover_t;

/* ivrd's answer to a voicemail overflow: without a mailbox (or ivrd), the caller is hung
 * up as before. acdd has let go of the call: the request carries its id. */
static void s_on_vm_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_vm_handover_t *h = arg;
    if (status != 0) {
        const char *msg = status == -EPROTO ? json_string_value(json_object_get(result, "message"))
                                            : "ivrd did not answer";
        cc_warn("acd.overflow_voicemail_failed", "error=%s", cc_logq(msg));
        acd_hangup(h->app, h->call_id, "queue overflow: no mailbox");
    }
    free(h);
}

/* Overflow to voicemail: ivrd takes the caller into the queue's mailbox (the target, or
 * the queue's own name). */
static void s_overflow_voicemail(acd_app_t *app, acd_call_t *call, const acd_action_t *a)
{
    const char *box = a->target[0] ? a->target : a->queue;
    s_vm_handover_t *id = calloc(1, sizeof *id);
    if (id) {
        id->app = app;
        acd_text_copy(id->call_id, sizeof id->call_id, call->id);
    }
    acd_call_play_stop(app, call);
    json_t *args =
        json_pack("{s:s, s:s, s:s, s:s, s:I}", "call_id", call->id, "mailbox", box, "reason",
                  "overflow", "caller", call->caller, "endpoint_id", (json_int_t)call->endpoint_id);
    if (!id || !cc_bus_request(app->bus, NULL, "ivrd", "vm.deposit", args, app->req_timeout_ms,
                               s_on_vm_reply, id)) {
        free(id);
        acd_hangup(app, call->id, "queue overflow: no mailbox");
    }
}

void acd_act_overflow(acd_app_t *app, const acd_action_t *a)
{
    acd_call_t *call = acd_call_find(app, a->call_id);
    if (!call)
        return;
    const char *kind = s_overflow_kind(a->overflow);
    char detail[ACD_REASON_MAX + ACD_NAME_MAX + 16];
    snprintf(detail, sizeof detail, "%s/%s%s%s", a->reason, kind, a->target[0] ? ":" : "",
             a->target);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:f}", "queue", a->queue, "reason", a->reason, "kind",
                           kind, "wait_s", acd_call_wait_s(call));
    if (a->target[0])
        json_object_set_new(ev, "target", json_string(a->target));
    cc_bus_publish(app->bus, "queue.overflowed", call->id, ev);
    acd_log_queue(app, call->id, a->queue, "overflowed", NULL, call->caller, call->priority,
                  acd_call_wait_s(call), -1, -1, -1, detail);
    cc_info("acd.overflow", "queue=%s %s", a->queue, cc_logq(detail));
    if (a->overflow == ACD_OVERFLOW_QUEUE) { /* the core moved it already */
        acd_text_copy(call->queue, sizeof call->queue, a->target);
        call->enqueued_ms = acd_now_ms();
        acd_log_entered(app, call, "overflow");
        acd_qcall_update(app, call, "waiting");
        return;
    }
    call->in_core = false;
    if (a->overflow == ACD_OVERFLOW_CALLBACK && !call->leg_gone) {
        acd_call_request_callback(app, call, false);
        return;
    }
    acd_qcall_delete(app, call);
    if (call->leg_gone) { /* a callback that timed out again: give up */
        acd_cb_row(app, call, NULL, "failed");
        acd_call_kill(app, call);
        return;
    }
    call->gone = true;
    if (a->overflow == ACD_OVERFLOW_EXTENSION) {
        char target[ACD_NAME_MAX + 8];
        snprintf(target, sizeof target, "ext:%s", a->target);
        acd_call_play_stop(app, call);
        acd_request(app, call, "sipproxy", "call.connect",
                    json_pack("{s:s, s:[s], s:s}", "call_id", call->id, "targets", target,
                              "caller_name", acd_call_caller_name(call)),
                    NULL);
        return;
    }
    if (a->overflow == ACD_OVERFLOW_VOICEMAIL) {
        s_overflow_voicemail(app, call, a);
        return;
    }
    acd_hangup(app, call->id, a->reason[0] == 'f' ? "queue full" : "queue max wait");
}

void acd_act_abandoned(acd_app_t *app, const acd_action_t *a)
{
    acd_call_t *call = acd_call_find(app, a->call_id);
    if (!call)
        return;
    double wait = (double)a->wait_ms / 1000.0;
    call->in_core = false;
    call->noffer = 0;
    cc_bus_publish(
        app->bus, "queue.abandoned", call->id,
        json_pack("{s:s, s:f, s:i}", "queue", a->queue, "wait_s", wait, "position", a->position));
    acd_log_queue(app, call->id, a->queue, "abandoned", NULL, call->caller, call->priority, wait,
                  -1, a->position, 0, NULL);
    acd_qcall_delete(app, call);
    cc_info("acd.abandoned", "queue=%s wait_s=%.1f position=%d", a->queue, wait, a->position);
    acd_call_kill(app, call);
}

/* ---- the end of a leg ------------------------------------------------------------------- */

/* The agent's part of an answered call is over: wrap-up and the completed row. */
static void s_agent_done(acd_app_t *app, acd_call_t *call)
{
    if (!call->agent[0])
        return;
    acd_qcall_delete(app, call); /* the 'connected' row */
    acd_event_t ev = {.kind = ACD_EV_CALL_ENDED, .agent = call->agent};
    acd_app_step(app, &ev);
    acd_call_completed(app, call, NULL);
}

void acd_call_completed(acd_app_t *app, acd_call_t *call, const char *detail)
{
    double talk = (double)(acd_now_ms() - call->answered_ms) / 1000.0;
    cc_bus_publish(
        app->bus, "queue.completed", call->id,
        json_pack("{s:s, s:s, s:f}", "queue", call->queue, "agent", call->agent, "talk_s", talk));
    acd_log_queue(app, call->id, call->queue, "completed", call->agent, call->caller, -1, -1, talk,
                  -1, -1, detail);
}

void acd_call_on_ended(acd_app_t *app, acd_call_t *call, const char *call_id)
{
    if (call->cb != ACD_CB_NONE && call->cb_call_id[0] && !strcmp(call_id, call->cb_call_id)) {
        acd_cb_on_leg_ended(app, call);
        return;
    }
    if (strcmp(call_id, call->id) != 0)
        return;
    if (call->cb != ACD_CB_NONE) { /* the caller's leg, hung up after asking for a callback */
        call->leg_gone = true;
        call->endpoint_id = 0;
        return;
    }
    if (call->in_core) {
        acd_event_t ev = {.kind = ACD_EV_CALL_ABANDONED, .call_id = call->id};
        if (acd_app_step(app, &ev) != 0)
            acd_call_kill(app, call);
        return;
    }
    s_agent_done(app, call);
    acd_call_kill(app, call);
}

/* The agent's leg left a call that goes on: the agent transferred the caller away (REFER:
 * to a number, or to a queue or IVR, which hands the call over again), or hung up on a
 * return_to_ivr call (ivrd has it again). The agent's part ends here (wrap-up, the
 * completed row); later events of the call are not acdd's business. */
void acd_call_on_connect_ended(acd_app_t *app, acd_call_t *call, const char *call_id,
                               int64_t connect_id, const char *reason)
{
    if (strcmp(call_id, call->id) != 0 || !call->gone || !call->agent[0] ||
        call->cb != ACD_CB_NONE || (connect_id > 0 && connect_id != call->answered_connect_id))
        return;
    cc_info("acd.returned", "queue=%s agent=%s reason=%s", call->queue, call->agent,
            cc_logq(reason));
    s_agent_done(app, call);
    acd_call_kill(app, call);
}
