/* ivrd_vm.c - voicemail deposits on the bus: vm.deposit from sipproxy (or acdd), the
 * deposit core's (vm_core.c) actions turned into call.answer / call.hangup to sipproxy,
 * play.* / mix.* (a one-member mix whose media.talking tells silence) to mediad and
 * rec.start / rec.stop to recorderd (a message is a recording, with its encryption and
 * retention), and the message's row in voicemail_messages plus the vm.message event.
 * Mailboxes are read from Postgres on each deposit, so a change applies to the next caller.
 * Each deposit owns the requests it sends; it lives until its recording is stopped and
 * indexed, also when the caller hung up first. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "cc_map.h"
#include "ivrd.h"
#include "ivrd_args.h"
#include "ivrd_leg.h"
#include "vm_core.h"

#define S_CMD_TIMEOUT_MS 3000

typedef struct {
    ivrd_vm_t *owner;
    ivrd_leg_t leg; /* call id, endpoint, requests, prompt, timers, hang-up */
    char caller[64], callee[64];
    char language[8];
    vm_deposit_t core;
    json_int_t mix_id;
    json_int_t rec_id;
    char rec_path[VM_PATH_MAX];
    bool rec_starting, stop_wanted, stop_keep, stopped;
    int64_t duration_ms;
} s_dep_t;

struct ivrd_vm {
    ivrd_t *ivrd;
    cc_map_t *by_call; /* call_id -> s_dep_t */
    vm_actions_t out;
    int64_t silence_ms, min_ms;
    uint64_t deposits, kept, discarded, refused;
};

static void s_apply(s_dep_t *d);
static void s_maybe_free(s_dep_t *d);

/* ---- helpers ---------------------------------------------------------------------------- */

static cc_bus_t *s_bus(const ivrd_vm_t *self)
{
    return self->ivrd->daemon->bus;
}

static int64_t s_now(const ivrd_vm_t *self)
{
    return ivrd_now_ms(self->ivrd);
}

static cc_bus_handle_t s_request(s_dep_t *d, const char *target, const char *cmd, json_t *args,
                                 cc_bus_reply_fn *on_reply)
{
    return ivrd_leg_request(&d->leg, target, cmd, args, on_reply);
}

static void s_free(s_dep_t *d)
{
    ivrd_leg_release(&d->leg);
    free(d);
}

/* ---- the mailbox's counts and the message's row ----------------------------------------- */

int ivrd_vm_counts(ivrd_vm_t *self, const char *mailbox, int *new_count, int *saved_count)
{
    cc_pg_t *pg = self->ivrd->daemon->pg;
    const char *p[] = {mailbox};
    PGresult *res = cc_pg_exec_params(pg,
                                      "SELECT count(*) FILTER (WHERE folder = 'new'), "
                                      "count(*) FILTER (WHERE folder = 'saved') "
                                      "FROM voicemail_messages WHERE mailbox = $1",
                                      1, p);
    if (!res) {
        cc_error("vm.count_failed", "mailbox=%s error=%s", cc_logq(mailbox),
                 cc_logq(cc_pg_error(pg)));
        return -1;
    }
    *new_count = atoi(PQgetvalue(res, 0, 0));
    *saved_count = atoi(PQgetvalue(res, 0, 1));
    PQclear(res);
    return 0;
}

void ivrd_vm_publish(ivrd_vm_t *self, const char *mailbox, const char *call_id, json_t *extra)
{
    int n = 0, s = 0;
    if (ivrd_vm_counts(self, mailbox, &n, &s) != 0) {
        json_decref(extra);
        return;
    }
    json_t *ev = json_pack("{s:s, s:i, s:i}", "mailbox", mailbox, "new", n, "saved", s);
    if (extra) {
        json_object_update(ev, extra);
        json_decref(extra);
    }
    cc_bus_publish(s_bus(self), "vm.message", call_id, ev);
}

/* The message is in its file: index it, announce the box's new counts. */
static void s_index(s_dep_t *d)
{
    ivrd_vm_t *self = d->owner;
    cc_pg_t *pg = self->ivrd->daemon->pg;
    char dur[24], rec[24];
    snprintf(dur, sizeof dur, "%lld", (long long)d->duration_ms);
    snprintf(rec, sizeof rec, "%lld", (long long)d->rec_id);
    const char *p[] = {d->core.box.mailbox, d->leg.call_id, d->caller, d->core.reason, dur, rec,
                       d->rec_path};
    PGresult *res = cc_pg_exec_params(
        pg,
        "INSERT INTO voicemail_messages (mailbox, call_id, caller, reason, duration_ms, "
        "recording_id, path, email_state) "
        "SELECT $1, $2, $3, $4, $5::integer, $6::bigint, $7, "
        "CASE WHEN email IS NULL THEN 'none' ELSE 'pending' END FROM mailboxes "
        "WHERE mailbox = $1 RETURNING id",
        7, p);
    if (!res || PQntuples(res) != 1) {
        cc_error("vm.index_failed", "mailbox=%s recording=%lld error=%s",
                 cc_logq(d->core.box.mailbox), (long long)d->rec_id,
                 cc_logq(res ? "mailbox deleted" : cc_pg_error(pg)));
        if (res)
            PQclear(res);
        return;
    }
    long long id = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    self->kept++;
    cc_info("vm.message_left", "mailbox=%s message=%lld caller=%s duration_ms=%lld recording=%lld",
            cc_logq(d->core.box.mailbox), id, cc_logq(d->caller), (long long)d->duration_ms,
            (long long)d->rec_id);
    ivrd_vm_publish(self, d->core.box.mailbox, d->leg.call_id,
                    json_pack("{s:I, s:s, s:I}", "message_id", (json_int_t)id, "caller", d->caller,
                              "duration_ms", (json_int_t)d->duration_ms));
    ivrd_vmmail_kick(self->ivrd->vmmail);
}

/* ---- recording ---------------------------------------------------------------------------- */

static void s_stop_now(s_dep_t *d);

static void s_on_rec_started(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_dep_t *d = arg;
    d->rec_starting = false;
    if (status != 0) {
        const char *msg =
            status == -EPROTO ? json_string_value(json_object_get(result, "message")) : "no reply";
        cc_error("vm.record_failed", "mailbox=%s error=%s", cc_logq(d->core.box.mailbox),
                 cc_logq(msg));
        d->rec_id = 0;
    } else {
        d->rec_id = json_integer_value(json_object_get(result, "recording_id"));
        snprintf(d->rec_path, sizeof d->rec_path, "%s",
                 json_string_value(json_object_get(result, "path")));
        cc_info("vm.recording", "mailbox=%s recording=%lld", cc_logq(d->core.box.mailbox),
                (long long)d->rec_id);
    }
    if (d->stop_wanted)
        s_stop_now(d);
}

static void s_on_mix_joined(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result, (void)arg;
    if (status != 0)
        cc_warn("vm.silence_detection_off", "reason=\"mix.join failed\"");
}

static void s_on_mix_created(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_dep_t *d = arg;
    if (status != 0) {
        cc_warn("vm.silence_detection_off", "reason=\"mix.create failed\"");
        return;
    }
    d->mix_id = json_integer_value(json_object_get(result, "mix_id"));
    if (d->stop_wanted || d->leg.ended) {
        s_request(d, "mediad", "mix.delete", json_pack("{s:I}", "mix_id", d->mix_id), NULL);
        d->mix_id = 0;
        return;
    }
    /* deaf: the caller hears nothing from the (empty) mix; its talk is measured */
    s_request(d, "mediad", "mix.join",
              json_pack("{s:I, s:i, s:b}", "mix_id", d->mix_id, "endpoint_id", d->leg.endpoint_id,
                        "deaf", 1),
              s_on_mix_joined);
}

static void s_record(s_dep_t *d)
{
    char callee[96];
    snprintf(callee, sizeof callee, "vm:%s", d->core.box.mailbox);
    d->rec_starting = true;
    if (!s_request(d, "recorderd", "rec.start",
                   json_pack("{s:s, s:i, s:s, s:s}", "call_id", d->leg.call_id, "caller_endpoint",
                             d->leg.endpoint_id, "caller", d->caller, "callee", callee),
                   s_on_rec_started))
        d->rec_starting = false;
    if (d->core.box.silence_ms > 0)
        s_request(d, "mediad", "mix.create", json_pack("{s:s}", "call_id", d->leg.call_id),
                  s_on_mix_created);
}

static void s_on_rec_stopped(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result;
    s_dep_t *d = arg;
    /* not_recording: the call ended and recorderd closed the file itself */
    if (status != 0 && status != -EPROTO)
        cc_warn("vm.record_stop_failed", "recording=%lld status=%d", (long long)d->rec_id, status);
    d->stopped = true;
    if (d->stop_keep && d->rec_id > 0)
        s_index(d);
    s_maybe_free(d);
}

static void s_stop_now(s_dep_t *d)
{
    if (d->mix_id) {
        s_request(d, "mediad", "mix.delete", json_pack("{s:I}", "mix_id", d->mix_id), NULL);
        d->mix_id = 0;
    }
    if (d->rec_starting)
        return; /* s_on_rec_started comes back here */
    if (d->rec_id <= 0) {
        d->stopped = true;
        s_maybe_free(d);
        return;
    }
    if (!s_request(d, "recorderd", "rec.stop", json_pack("{s:s}", "call_id", d->leg.call_id),
                   s_on_rec_stopped))
        s_on_rec_stopped(NULL, -EIO, NULL, d);
}

static void s_stop(s_dep_t *d, const vm_action_t *a)
{
    d->stop_wanted = true;
    d->stop_keep = a->keep;
    d->duration_ms = a->duration_ms;
    if (!a->keep)
        d->owner->discarded++;
    cc_info("vm.record_end", "mailbox=%s reason=%s duration_ms=%lld keep=%d",
            cc_logq(d->core.box.mailbox), a->reason, (long long)a->duration_ms, a->keep);
    s_stop_now(d);
}

/* ---- the leg's callbacks ------------------------------------------------------------------ */

static void s_leg_play_done(void *arg)
{
    s_dep_t *d = arg;
    vm_deposit_play_done(&d->core, d->core.play, s_now(d->owner), &d->owner->out);
    s_apply(d);
}

static void s_leg_timer(void *arg)
{
    s_dep_t *d = arg;
    vm_deposit_timer(&d->core, s_now(d->owner), &d->owner->out);
    s_apply(d);
}

static void s_leg_reaped(void *arg)
{
    s_dep_t *d = arg;
    cc_map_delete(d->owner->by_call, d->leg.call_id);
    s_free(d);
}

static const ivrd_leg_calls_t s_leg_calls = {s_leg_play_done, s_leg_timer, s_leg_reaped};

static void s_apply(s_dep_t *d)
{
    vm_actions_t *out = &d->owner->out;
    vm_actions_t todo = *out; /* an action may feed the core again */
    out->n = 0;
    for (size_t i = 0; i < todo.n; i++) {
        const vm_action_t *a = &todo.a[i];
        switch (a->kind) {
        case VM_ACT_PLAY:
            if (!d->leg.ended)
                ivrd_leg_play(&d->leg, a->prompts, a->nprompts, d->language, -1);
            break;
        case VM_ACT_STOP_PLAY:
            ivrd_leg_stop_play(&d->leg);
            break;
        case VM_ACT_RECORD:
            s_record(d);
            break;
        case VM_ACT_STOP:
            s_stop(d, a);
            break;
        case VM_ACT_TIMER:
            ivrd_leg_timer_at(&d->leg, a->at);
            break;
        case VM_ACT_HANGUP:
            ivrd_leg_hangup(&d->leg, a->reason);
            break;
        }
    }
}

/* Forgotten once the call has ended and the recording is closed and indexed. */
static void s_maybe_free(s_dep_t *d)
{
    if (!d->leg.ended || d->core.state != VM_D_DONE)
        return;
    if (d->stop_wanted && !d->stopped)
        return;
    cc_map_delete(d->owner->by_call, d->leg.call_id);
    s_free(d);
}

/* ---- vm.deposit ------------------------------------------------------------------------------ */

/* The box's settings into box. 1 found, 0 no such mailbox, -1 database error. */
static int s_load_box(ivrd_vm_t *self, const char *mailbox, vm_box_t *box, char *lang, size_t len)
{
    cc_pg_t *pg = self->ivrd->daemon->pg;
    const char *p[] = {mailbox};
    PGresult *res = cc_pg_exec_params(
        pg,
        "SELECT owner_kind, coalesce(greeting_unavailable, ''), coalesce(greeting_busy, ''), "
        "coalesce(greeting_name, ''), max_message_s, language FROM mailboxes WHERE mailbox = $1",
        1, p);
    if (!res) {
        cc_error("vm.mailbox_read_failed", "mailbox=%s error=%s", cc_logq(mailbox),
                 cc_logq(cc_pg_error(pg)));
        return -1;
    }
    int found = PQntuples(res) == 1;
    if (found) {
        memset(box, 0, sizeof *box);
        snprintf(box->mailbox, sizeof box->mailbox, "%s", mailbox);
        box->is_queue = strcmp(PQgetvalue(res, 0, 0), "queue") == 0;
        snprintf(box->greeting_unavailable, sizeof box->greeting_unavailable, "%s",
                 PQgetvalue(res, 0, 1));
        snprintf(box->greeting_busy, sizeof box->greeting_busy, "%s", PQgetvalue(res, 0, 2));
        snprintf(box->greeting_name, sizeof box->greeting_name, "%s", PQgetvalue(res, 0, 3));
        box->max_ms = atoll(PQgetvalue(res, 0, 4)) * 1000;
        box->silence_ms = self->silence_ms;
        box->min_ms = self->min_ms;
        snprintf(lang, len, "%s", PQgetvalue(res, 0, 5));
    }
    PQclear(res);
    return found;
}

static void s_on_answer_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result;
    s_dep_t *d = arg;
    cc_log_set_call(d->leg.call_id);
    if (status != 0) {
        cc_warn("vm.answer_failed", "status=%d", status);
        vm_deposit_hangup(&d->core, s_now(d->owner), &d->owner->out);
        s_apply(d);
        ivrd_leg_hangup(&d->leg, "voicemail: could not answer");
    } else {
        s_request(d, "mediad", "dtmf.detect", json_pack("{s:i}", "endpoint_id", d->leg.endpoint_id),
                  NULL);
        vm_deposit_answered(&d->core, s_now(d->owner), &d->owner->out);
        s_apply(d);
    }
    cc_log_set_call(NULL);
}

int ivrd_vm_start(ivrd_vm_t *self, const ivrd_vm_req_t *r, const char **code, char *msg, size_t len)
{
    const char *call_id = r->call_id, *mailbox = r->mailbox, *reason = r->reason;
    if (!call_id || !mailbox || strlen(call_id) >= sizeof(((ivrd_leg_t *)0)->call_id) ||
        strlen(mailbox) >= VM_NAME_MAX || !vm_reason_ok(reason) || r->endpoint_id <= 0 ||
        r->endpoint_id > INT32_MAX) {
        *code = "bad_args";
        snprintf(msg, len,
                 "call_id or mailbox missing or too long, endpoint_id not positive, or "
                 "reason not direct, busy, noanswer, unavailable, dnd, overflow, closed");
        return -1;
    }
    if (cc_map_get(self->by_call, call_id))
        return 0; /* a retry: already ours */
    vm_box_t box;
    char lang[8] = "en";
    int found = s_load_box(self, mailbox, &box, lang, sizeof lang);
    if (found <= 0) {
        self->refused++;
        cc_warn("vm.refused", "mailbox=%s reason=%s", cc_logq(mailbox),
                found < 0 ? "\"database error\"" : "\"no such mailbox\"");
        *code = found < 0 ? "internal" : "unknown_mailbox";
        snprintf(msg, len, found < 0 ? "cannot read mailbox '%s'" : "no mailbox '%s'", mailbox);
        return -1;
    }
    s_dep_t *d = calloc(1, sizeof *d);
    if (!d) {
        *code = "internal";
        snprintf(msg, len, "out of memory");
        return -1;
    }
    d->owner = self;
    ivrd_leg_init(&d->leg, self->ivrd, "vm", call_id, (int)r->endpoint_id, &s_leg_calls, d);
    snprintf(d->caller, sizeof d->caller, "%s", r->caller ? r->caller : "");
    snprintf(d->callee, sizeof d->callee, "%s", r->callee ? r->callee : "");
    snprintf(d->language, sizeof d->language, "%s", lang);
    vm_deposit_init(&d->core, &box, reason);
    if (cc_map_insert(self->by_call, d->leg.call_id, d) != 0) {
        free(d);
        *code = "internal";
        snprintf(msg, len, "out of memory");
        return -1;
    }
    self->deposits++;
    cc_log_set_call(d->leg.call_id);
    cc_info("vm.deposit", "mailbox=%s reason=%s caller=%s", cc_logq(mailbox), reason,
            cc_logq(d->caller));
    char by[96];
    snprintf(by, sizeof by, "vm:%s", mailbox);
    s_request(d, "sipproxy", "call.answer",
              json_pack("{s:s, s:s}", "call_id", d->leg.call_id, "answered_by", by),
              s_on_answer_reply);
    cc_log_set_call(NULL);
    return 0;
}

static void s_on_deposit(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    ivrd_handover_t in;
    char msg[200];
    if (ivrd_args_handover(cmd, args, &in, msg, sizeof msg) < 0) {
        cc_bus_reply_error(bus, req, "bad_args", "%s", msg);
        return;
    }
    ivrd_vm_req_t r = {in.call_id, in.mailbox, in.reason, in.caller, in.callee, in.endpoint_id};
    const char *code = NULL;
    if (ivrd_vm_start(arg, &r, &code, msg, sizeof msg) != 0)
        cc_bus_reply_error(bus, req, code, "%s", msg);
    else
        cc_bus_reply(bus, req, NULL);
}

/* ---- events ------------------------------------------------------------------------------- */

static void s_on_media(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    ivrd_vm_t *self = arg;
    s_dep_t *d = ev->call_id ? cc_map_get(self->by_call, ev->call_id) : NULL;
    if (!d || !ivrd_leg_media_event_ours(&d->leg, ev))
        return;
    cc_log_set_call(d->leg.call_id);
    if (strcmp(ev->type, "media.play_done") == 0) {
        ivrd_leg_play_event(&d->leg, json_integer_value(json_object_get(ev->body, "play_id")),
                            d->core.play != 0);
    } else if (strcmp(ev->type, "media.dtmf") == 0) {
        const char *digit = json_string_value(json_object_get(ev->body, "digit"));
        if (digit && digit[0]) {
            vm_deposit_digit(&d->core, digit[0], s_now(self), &self->out);
            s_apply(d);
        }
    } else if (strcmp(ev->type, "media.talking") == 0) {
        vm_deposit_talking(&d->core, json_is_true(json_object_get(ev->body, "talking")),
                           s_now(self), &self->out);
        s_apply(d);
    }
    cc_log_set_call(NULL);
}

static void s_on_call(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    ivrd_vm_t *self = arg;
    s_dep_t *d = ev->call_id ? cc_map_get(self->by_call, ev->call_id) : NULL;
    if (!d || strcmp(ev->type, "call.ended") != 0 || d->leg.ended)
        return;
    cc_log_set_call(d->leg.call_id);
    ivrd_leg_ended(&d->leg);
    vm_deposit_hangup(&d->core, s_now(self), &self->out);
    s_apply(d);
    if (d->mix_id) {
        s_request(d, "mediad", "mix.delete", json_pack("{s:I}", "mix_id", d->mix_id), NULL);
        d->mix_id = 0;
    }
    s_maybe_free(d);
    cc_log_set_call(NULL);
}

static void s_on_counts(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    ivrd_vm_t *self = arg;
    const char *box = json_string_value(json_object_get(args, "mailbox"));
    const char *p[] = {box};
    PGresult *res = cc_pg_exec_params(self->ivrd->daemon->pg,
                                      "SELECT 1 FROM mailboxes WHERE mailbox = $1", 1, p);
    bool found = res && PQntuples(res) == 1;
    if (res)
        PQclear(res);
    int n = 0, s = 0;
    if (!found)
        cc_bus_reply_error(bus, req, "unknown_mailbox", "no mailbox '%s'", box);
    else if (ivrd_vm_counts(self, box, &n, &s) != 0)
        cc_bus_reply_error(bus, req, "internal", "cannot count the messages");
    else
        cc_bus_reply(bus, req, json_pack("{s:i, s:i}", "new", n, "saved", s));
}

/* ---- life --------------------------------------------------------------------------------- */

ivrd_vm_t *ivrd_vm_new(ivrd_t *ivrd)
{
    ivrd_vm_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->ivrd = ivrd;
    self->silence_ms = cc_config_int(ivrd->daemon->cfg, "voicemail", "silence_s") * 1000;
    self->min_ms = cc_config_int(ivrd->daemon->cfg, "voicemail", "min_message_ms");
    self->by_call = cc_map_new(NULL);
    cc_bus_t *bus = ivrd->daemon->bus;
    if (!self->by_call || cc_bus_on_command(bus, "vm.deposit", s_on_deposit, self) != 0 ||
        cc_bus_on_command(bus, "vm.counts", s_on_counts, self) != 0 ||
        cc_bus_subscribe(bus, "mediad", "media.", s_on_media, self) != 0 ||
        cc_bus_subscribe(bus, "sipproxy", "call.", s_on_call, self) != 0) {
        ivrd_vm_destroy(&self);
        return NULL;
    }
    return self;
}

void ivrd_vm_status(const ivrd_vm_t *self, json_t *details)
{
    json_object_set_new(details, "vm_deposits_active",
                        json_integer((json_int_t)cc_map_size(self->by_call)));
    json_object_set_new(details, "vm_deposits", json_integer((json_int_t)self->deposits));
    json_object_set_new(details, "vm_messages_kept", json_integer((json_int_t)self->kept));
    json_object_set_new(details, "vm_messages_discarded",
                        json_integer((json_int_t)self->discarded));
    json_object_set_new(details, "vm_refused", json_integer((json_int_t)self->refused));
}

void ivrd_vm_stop(ivrd_vm_t *self)
{
    cc_map_iter_t it = cc_map_iter(self->by_call);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        s_dep_t *d = cc_map_value(e);
        cc_log_set_call(d->leg.call_id);
        if (d->core.state == VM_D_RECORDING && d->rec_id > 0)
            cc_bus_request(s_bus(self), NULL, "recorderd", "rec.stop",
                           json_pack("{s:s}", "call_id", d->leg.call_id), S_CMD_TIMEOUT_MS, NULL,
                           NULL);
        ivrd_leg_hangup(&d->leg, "ivrd stopping");
    }
    cc_log_set_call(NULL);
}

void ivrd_vm_destroy(ivrd_vm_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ivrd_vm_t *self = *self_p;
    if (self->by_call) {
        cc_map_iter_t it = cc_map_iter(self->by_call);
        for (cc_map_entry_t *e; (e = cc_map_next(&it));)
            s_free(cc_map_value(e));
        cc_map_destroy(&self->by_call);
    }
    free(self);
    *self_p = NULL;
}
