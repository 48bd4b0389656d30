/* ivrd_vmmenu.c - the mailbox menu by phone on the bus: vm.menu from sipproxy (*97, *98),
 * the menu core's (vm_menu.c) actions turned into call.answer / call.hangup, play.* to
 * mediad, rec.* to recorderd (greetings), and the box's rows in Postgres: PIN checks
 * (Argon2id, throttled per mailbox with common's cc_throttle), messages loaded, saved,
 * deleted (each change announced by vm.message), PIN and greeting changes. A message is
 * played from a mono copy of its recording's caller channel (vm_audio.c) in
 * VAR_DIR/voicemail, made when the box is opened. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cc_log.h"
#include "cc_map.h"
#include "cc_throttle.h"
#include "ivrd.h"
#include "ivrd_args.h"
#include "ivrd_leg.h"
#include "vm_audio.h"
#include "vm_menu.h"

#define S_PIN_FAILS 5          /* wrong PINs per mailbox ... */
#define S_PIN_WINDOW_MS 600000 /* ... in 10 minutes, then the box refuses PINs until then */

typedef struct {
    ivrd_vmmenu_t *owner;
    ivrd_leg_t leg; /* call id, endpoint, requests, prompt, timers, hang-up */
    char caller[64];
    char language[8]; /* the box's once known; before, the caller's own box's, or en */
    vm_menu_t core;
    char greeting[16]; /* the greeting being recorded ("": none) */
    char rec_path[VM_PATH_MAX];
    bool greet_keep, greet_stopping;
} s_sess_t;

struct ivrd_vmmenu {
    ivrd_t *ivrd;
    ivrd_vm_t *vm;
    cc_map_t *by_call;
    cc_throttle_t *throttle;
    vm_menu_actions_t out;
    char dir[256]; /* VAR_DIR/voicemail */
    uint8_t master[REC_KEY_LEN];
    bool have_master;
    uint64_t sessions, pin_failures;
};

static void s_apply(s_sess_t *s);

static cc_pg_t *s_pg(const ivrd_vmmenu_t *self)
{
    return self->ivrd->daemon->pg;
}

static int64_t s_now(const ivrd_vmmenu_t *self)
{
    return ivrd_now_ms(self->ivrd);
}

static cc_bus_handle_t s_request(s_sess_t *s, const char *target, const char *cmd, json_t *args,
                                 cc_bus_reply_fn *on_reply)
{
    return ivrd_leg_request(&s->leg, target, cmd, args, on_reply);
}

static void s_free(s_sess_t *s)
{
    ivrd_leg_release(&s->leg);
    free(s);
}

static void s_forget(s_sess_t *s)
{
    if (s->greet_stopping)
        return; /* freed when the greeting's recording is stopped */
    cc_map_delete(s->owner->by_call, s->leg.call_id);
    s_free(s);
}

/* ---- the box in Postgres ---------------------------------------------------------------- */

static void s_lookup(s_sess_t *s, const char *box)
{
    const char *p[] = {box};
    PGresult *res = cc_pg_exec_params(
        s_pg(s->owner),
        "SELECT pin_hash IS NOT NULL, pin_required, language FROM mailboxes WHERE mailbox = $1", 1,
        p);
    bool found = res && PQntuples(res) == 1;
    bool has_pin = found && PQgetvalue(res, 0, 0)[0] == 't';
    bool required = found && PQgetvalue(res, 0, 1)[0] == 't';
    if (found) { /* the menu speaks the box's language from here on */
        snprintf(s->language, sizeof s->language, "%s", PQgetvalue(res, 0, 2));
        vm_menu_language(&s->core, s->language);
    }
    if (!res)
        cc_error("vm.mailbox_read_failed", "mailbox=%s error=%s", cc_logq(box),
                 cc_logq(cc_pg_error(s_pg(s->owner))));
    if (res)
        PQclear(res);
    cc_info("vm.menu_box", "mailbox=%s found=%d own=%d", cc_logq(box), found, s->core.own);
    /* another phone always needs the PIN; the owner's own only when the box says so */
    vm_menu_box(&s->core, found, required || !s->core.own, has_pin, s_now(s->owner),
                &s->owner->out);
}

static void s_check_pin(s_sess_t *s, const char *box, const char *pin)
{
    ivrd_vmmenu_t *self = s->owner;
    uint64_t now = cc_mono_us() / 1000;
    bool first = false;
    if (cc_throttle_blocked(self->throttle, box, now, &first)) {
        if (first)
            cc_warn("vm.pin_blocked", "mailbox=%s window_s=%d", cc_logq(box),
                    S_PIN_WINDOW_MS / 1000);
        vm_menu_pin_result(&s->core, false, true, s_now(self), &self->out);
        return;
    }
    const char *p[] = {box};
    PGresult *res = cc_pg_exec_params(
        s_pg(self), "SELECT pin_hash FROM mailboxes WHERE mailbox = $1 AND pin_hash IS NOT NULL", 1,
        p);
    bool ok = res && PQntuples(res) == 1 &&
              crypto_pwhash_str_verify(PQgetvalue(res, 0, 0), pin, strlen(pin)) == 0;
    if (res)
        PQclear(res);
    if (!ok) {
        self->pin_failures++;
        cc_throttle_fail(self->throttle, box, now);
    }
    cc_info("vm.pin_check", "mailbox=%s ok=%d caller=%s", cc_logq(box), ok, cc_logq(s->caller));
    vm_menu_pin_result(&s->core, ok, false, s_now(self), &self->out);
}

static void s_load(s_sess_t *s, const char *box)
{
    ivrd_vmmenu_t *self = s->owner;
    const char *p[] = {box};
    PGresult *res = cc_pg_exec_params(s_pg(self),
                                      "SELECT id, path FROM voicemail_messages WHERE mailbox = $1 "
                                      "ORDER BY folder = 'saved', received_at, id LIMIT 50",
                                      1, p);
    int64_t ids[VM_MENU_MSGS_MAX];
    char paths[VM_MENU_MSGS_MAX][VM_PATH_MAX];
    const char *pp[VM_MENU_MSGS_MAX];
    int n = 0;
    for (int r = 0; res && r < PQntuples(res) && n < VM_MENU_MSGS_MAX; r++) {
        int64_t id = atoll(PQgetvalue(res, r, 0));
        snprintf(paths[n], sizeof paths[n], "%s/msg-%lld.wav", self->dir, (long long)id);
        struct stat st;
        char err[256];
        if (stat(paths[n], &st) != 0 &&
            vm_audio_extract(PQgetvalue(res, r, 1), self->have_master ? self->master : NULL,
                             paths[n], err, sizeof err) != 0) {
            cc_warn("vm.message_unplayable", "message=%lld error=%s", (long long)id, cc_logq(err));
            continue;
        }
        ids[n] = id;
        pp[n] = paths[n];
        n++;
    }
    if (res)
        PQclear(res);
    int nw = 0, sv = 0;
    ivrd_vm_counts(self->vm, box, &nw, &sv);
    vm_menu_loaded(&s->core, n, ids, pp, nw, sv, s_now(self), &self->out);
}

static void s_change(s_sess_t *s, const char *sql, int64_t id, const char *what)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    const char *p[] = {ids, s->core.box};
    PGresult *res = cc_pg_exec_params(s_pg(s->owner), sql, 2, p);
    if (!res) {
        cc_error("vm.message_change_failed", "message=%s error=%s", ids,
                 cc_logq(cc_pg_error(s_pg(s->owner))));
        return;
    }
    PQclear(res);
    cc_info("vm.message_changed", "mailbox=%s message=%s to=%s", cc_logq(s->core.box), ids, what);
    if (strcmp(what, "deleted") == 0) {
        char path[4200];
        snprintf(path, sizeof path, "%s/msg-%s.wav", s->owner->dir, ids);
        remove(path); /* the playable copy; the recording follows its retention */
    }
    ivrd_vm_publish(s->owner->vm, s->core.box, s->leg.call_id, NULL);
}

static void s_set_pin(s_sess_t *s, const char *pin)
{
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, pin, strlen(pin), crypto_pwhash_OPSLIMIT_MIN,
                          crypto_pwhash_MEMLIMIT_MIN * 128) != 0) {
        cc_error("vm.pin_hash_failed", NULL);
        return;
    }
    const char *p[] = {s->core.box, hash};
    PGresult *res = cc_pg_exec_params(
        s_pg(s->owner), "UPDATE mailboxes SET pin_hash = $2 WHERE mailbox = $1", 2, p);
    if (res)
        PQclear(res);
    cc_info("vm.pin_changed", "mailbox=%s ok=%d", cc_logq(s->core.box), res != NULL);
}

/* ---- greetings ----------------------------------------------------------------------------- */

static void s_on_greet_started(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_sess_t *s = arg;
    if (status != 0) {
        cc_warn("vm.greeting_record_failed", "mailbox=%s", cc_logq(s->core.box));
        s->greeting[0] = '\0';
        return;
    }
    snprintf(s->rec_path, sizeof s->rec_path, "%s",
             json_string_value(json_object_get(result, "path")));
}

/* The greeting's recording is closed (or its file at least stops growing): a mono copy
 * becomes the box's greeting. */
static void s_on_greet_stopped(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)status, (void)result;
    s_sess_t *s = arg;
    ivrd_vmmenu_t *self = s->owner;
    s->greet_stopping = false;
    if (s->greet_keep && s->rec_path[0]) {
        char out[VM_PATH_MAX], err[256];
        snprintf(out, sizeof out, "%s/greeting-%s-%s-%llu.wav", self->dir, s->core.box, s->greeting,
                 (unsigned long long)(cc_wall_us() / 1000));
        if (vm_audio_extract(s->rec_path, self->have_master ? self->master : NULL, out, err,
                             sizeof err) != 0) {
            cc_warn("vm.greeting_failed", "mailbox=%s error=%s", cc_logq(s->core.box),
                    cc_logq(err));
        } else {
            static const char *const sql[] = {
                "UPDATE mailboxes SET greeting_unavailable = $2 WHERE mailbox = $1",
                "UPDATE mailboxes SET greeting_busy = $2 WHERE mailbox = $1",
                "UPDATE mailboxes SET greeting_name = $2 WHERE mailbox = $1"};
            int k = strcmp(s->greeting, "unavailable") == 0 ? 0
                    : strcmp(s->greeting, "busy") == 0      ? 1
                                                            : 2;
            const char *p[] = {s->core.box, out};
            PGresult *res = cc_pg_exec_params(s_pg(self), sql[k], 2, p);
            if (res)
                PQclear(res);
            cc_info("vm.greeting_set", "mailbox=%s greeting=%s path=%s ok=%d", cc_logq(s->core.box),
                    s->greeting, cc_logq(out), res != NULL);
        }
    }
    s->greeting[0] = '\0';
    s->rec_path[0] = '\0';
    if (s->leg.ended)
        s_forget(s);
}

static void s_greet_start(s_sess_t *s, const char *kind)
{
    snprintf(s->greeting, sizeof s->greeting, "%s", kind);
    s->rec_path[0] = '\0';
    char callee[96];
    snprintf(callee, sizeof callee, "vm:%s:greeting", s->core.box);
    s_request(s, "recorderd", "rec.start",
              json_pack("{s:s, s:i, s:s, s:s}", "call_id", s->leg.call_id, "caller_endpoint",
                        s->leg.endpoint_id, "caller", s->caller, "callee", callee),
              s_on_greet_started);
}

static void s_greet_stop(s_sess_t *s, bool keep)
{
    if (!s->greeting[0])
        return;
    s->greet_keep = keep;
    s->greet_stopping = true;
    if (!s_request(s, "recorderd", "rec.stop", json_pack("{s:s}", "call_id", s->leg.call_id),
                   s_on_greet_stopped)) {
        s->greet_stopping = false; /* the old greeting stays */
        s->greeting[0] = '\0';
    }
}

/* ---- the leg's callbacks and the actions ----------------------------------------------------- */

static void s_leg_play_done(void *arg)
{
    s_sess_t *s = arg;
    vm_menu_play_done(&s->core, s->core.play, s_now(s->owner), &s->owner->out);
    s_apply(s);
}

static void s_leg_timer(void *arg)
{
    s_sess_t *s = arg;
    vm_menu_timer(&s->core, s_now(s->owner), &s->owner->out);
    s_apply(s);
}

static void s_leg_reaped(void *arg)
{
    s_forget(arg);
}

static const ivrd_leg_calls_t s_leg_calls = {s_leg_play_done, s_leg_timer, s_leg_reaped};

static void s_apply(s_sess_t *s)
{
    ivrd_vmmenu_t *self = s->owner;
    /* an action may feed the core again (lookups answer at once): take them out first */
    vm_menu_actions_t todo = self->out;
    self->out.n = 0;
    for (size_t i = 0; i < todo.n; i++) {
        const vm_menu_action_t *a = &todo.a[i];
        switch (a->kind) {
        case VM_MA_PLAY:
            if (!s->leg.ended)
                ivrd_leg_play(&s->leg, a->prompts, a->nprompts, s->language, a->barge_in);
            break;
        case VM_MA_TIMER:
            ivrd_leg_timer_at(&s->leg, a->at);
            break;
        case VM_MA_LOOKUP:
            s_lookup(s, a->box);
            break;
        case VM_MA_CHECK_PIN:
            s_check_pin(s, a->box, a->digits);
            break;
        case VM_MA_LOAD:
            s_load(s, a->box);
            break;
        case VM_MA_SAVE:
            s_change(s,
                     "UPDATE voicemail_messages SET folder = 'saved' WHERE id = $1::bigint AND "
                     "mailbox = $2",
                     a->id, "saved");
            break;
        case VM_MA_DELETE:
            s_change(s, "DELETE FROM voicemail_messages WHERE id = $1::bigint AND mailbox = $2",
                     a->id, "deleted");
            break;
        case VM_MA_SET_PIN:
            s_set_pin(s, a->digits);
            break;
        case VM_MA_REC_GREET:
            s_greet_start(s, a->greeting);
            break;
        case VM_MA_STOP_GREET:
            s_greet_stop(s, a->keep);
            break;
        case VM_MA_HANGUP:
            ivrd_leg_hangup(&s->leg, a->digits ? a->digits : "voicemail menu");
            break;
        }
        if (self->out.n) /* what the answer asked for, in order */
            s_apply(s);
    }
}

/* Before a box is chosen (*98), the menu speaks the language of the caller's own mailbox,
 * if the caller has one. */
static void s_caller_language(ivrd_vmmenu_t *self, const char *caller, char *lang, size_t len)
{
    snprintf(lang, len, "en");
    if (!caller || !caller[0])
        return;
    const char *p[] = {caller};
    PGresult *res =
        cc_pg_exec_params(s_pg(self), "SELECT language FROM mailboxes WHERE mailbox = $1", 1, p);
    if (res && PQntuples(res) == 1)
        snprintf(lang, len, "%s", PQgetvalue(res, 0, 0));
    if (res)
        PQclear(res);
}

/* ---- vm.menu --------------------------------------------------------------------------------- */

static void s_on_answer_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result;
    s_sess_t *s = arg;
    if (status != 0) {
        cc_warn("vm.answer_failed", "status=%d", status);
        ivrd_leg_hangup(&s->leg, "voicemail menu: could not answer");
        return;
    }
    s_request(s, "mediad", "dtmf.detect", json_pack("{s:i}", "endpoint_id", s->leg.endpoint_id),
              NULL);
    char box[VM_NAME_MAX]; /* vm_menu_start clears the core it is kept in */
    snprintf(box, sizeof box, "%s", s->core.box);
    vm_menu_start(&s->core, s->core.own, box, s_now(s->owner), &s->owner->out);
    vm_menu_language(&s->core, s->language);
    s_apply(s);
}

static void s_on_menu(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    ivrd_vmmenu_t *self = arg;
    ivrd_handover_t in;
    char err[200];
    if (ivrd_args_handover(cmd, args, &in, err, sizeof err) < 0) {
        cc_bus_reply_error(bus, req, "bad_args", "%s", err);
        return;
    }
    const char *call_id = in.call_id, *box = in.mailbox, *caller = in.caller;
    if (cc_map_get(self->by_call, call_id)) {
        cc_bus_reply(bus, req, NULL);
        return;
    }
    s_sess_t *s = calloc(1, sizeof *s);
    if (!s) {
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    s->owner = self;
    ivrd_leg_init(&s->leg, self->ivrd, "vm-menu", call_id, in.endpoint_id, &s_leg_calls, s);
    s_caller_language(self, caller, s->language, sizeof s->language);
    snprintf(s->caller, sizeof s->caller, "%s", caller ? caller : "");
    s->core.own = box[0] != '\0';
    snprintf(s->core.box, sizeof s->core.box, "%s", box);
    if (cc_map_insert(self->by_call, s->leg.call_id, s) != 0) {
        free(s);
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    self->sessions++;
    cc_bus_reply(bus, req, NULL);
    cc_info("vm.menu", "mailbox=%s caller=%s", cc_logq(box[0] ? box : "(asked)"),
            cc_logq(s->caller));
    s_request(s, "sipproxy", "call.answer",
              json_pack("{s:s, s:s}", "call_id", s->leg.call_id, "answered_by", "vm:menu"),
              s_on_answer_reply);
}

static void s_on_media(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    ivrd_vmmenu_t *self = arg;
    s_sess_t *s = ev->call_id ? cc_map_get(self->by_call, ev->call_id) : NULL;
    if (!s || !ivrd_leg_media_event_ours(&s->leg, ev))
        return;
    cc_log_set_call(s->leg.call_id);
    if (strcmp(ev->type, "media.play_done") == 0) {
        ivrd_leg_play_event(&s->leg, json_integer_value(json_object_get(ev->body, "play_id")),
                            s->core.play != 0);
    } else if (strcmp(ev->type, "media.dtmf") == 0) {
        const char *digit = json_string_value(json_object_get(ev->body, "digit"));
        if (digit && digit[0]) {
            vm_menu_digit(&s->core, digit[0], s_now(self), &self->out);
            s_apply(s);
        }
    }
    cc_log_set_call(NULL);
}

static void s_on_call(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    ivrd_vmmenu_t *self = arg;
    s_sess_t *s = ev->call_id ? cc_map_get(self->by_call, ev->call_id) : NULL;
    if (!s || strcmp(ev->type, "call.ended") != 0 || s->leg.ended)
        return;
    cc_log_set_call(s->leg.call_id);
    ivrd_leg_ended(&s->leg);
    vm_menu_hangup(&s->core, &self->out);
    s_apply(s);
    s_forget(s);
    cc_log_set_call(NULL);
}

ivrd_vmmenu_t *ivrd_vmmenu_new(ivrd_t *ivrd, ivrd_vm_t *vm)
{
    ivrd_vmmenu_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->ivrd = ivrd;
    self->vm = vm;
    const cc_config_t *cfg = ivrd->daemon->cfg;
    snprintf(self->dir, sizeof self->dir, "%s/voicemail", cc_config_var_dir(cfg));
    if (mkdir(self->dir, 0750) != 0 && errno != EEXIST)
        cc_warn("vm.dir_failed", "dir=%s error=%s", cc_logq(self->dir), cc_logq(strerror(errno)));
    self->have_master = vm_audio_master_key(cc_config_str(cfg, "recorderd", "master_key_file"),
                                            cc_config_var_dir(cfg), self->master) == 0;
    self->by_call = cc_map_new(NULL);
    self->throttle = cc_throttle_new(S_PIN_FAILS, S_PIN_WINDOW_MS, 4096);
    cc_bus_t *bus = ivrd->daemon->bus;
    if (sodium_init() < 0 || !self->by_call || !self->throttle ||
        cc_bus_on_command(bus, "vm.menu", s_on_menu, self) != 0 ||
        cc_bus_subscribe(bus, "mediad", "media.", s_on_media, self) != 0 ||
        cc_bus_subscribe(bus, "sipproxy", "call.", s_on_call, self) != 0) {
        ivrd_vmmenu_destroy(&self);
        return NULL;
    }
    return self;
}

void ivrd_vmmenu_stop(ivrd_vmmenu_t *self)
{
    cc_map_iter_t it = cc_map_iter(self->by_call);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        s_sess_t *s = cc_map_value(e);
        cc_log_set_call(s->leg.call_id);
        ivrd_leg_hangup(&s->leg, "ivrd stopping");
    }
    cc_log_set_call(NULL);
}

void ivrd_vmmenu_status(const ivrd_vmmenu_t *self, json_t *details)
{
    json_object_set_new(details, "vm_menus_active",
                        json_integer((json_int_t)cc_map_size(self->by_call)));
    json_object_set_new(details, "vm_menus", json_integer((json_int_t)self->sessions));
    json_object_set_new(details, "vm_pin_failures", json_integer((json_int_t)self->pin_failures));
}

void ivrd_vmmenu_destroy(ivrd_vmmenu_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ivrd_vmmenu_t *self = *self_p;
    if (self->by_call) {
        cc_map_iter_t it = cc_map_iter(self->by_call);
        for (cc_map_entry_t *e; (e = cc_map_next(&it));)
            s_free(cc_map_value(e));
        cc_map_destroy(&self->by_call);
    }
    cc_throttle_destroy(&self->throttle);
    sodium_memzero(self->master, sizeof self->master);
    free(self);
    *self_p = NULL;
}
