/* ivrd_conf.c - conference rooms on the bus: conf.start from sipproxy (answer, then the
 * room's core decides), the core's actions turned into play.* / mix.* commands to mediad
 * and call.hangup to sipproxy, mediad's and sipproxy's events fed back to the core, the
 * conf.* events, and the commands ccctl conf sends (conf.list / kick / mute / lock).
 * The rules are conf_room.c's; room settings come from Postgres (`conferences`, loaded at
 * start and on NOTIFY, see ivrd_flows.c). A live room owns its mediad mix: made when the
 * first participant goes in, deleted when the last one leaves. Each participant's call
 * owns the requests it sends, so a reply never reaches a call that has gone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "cc_map.h"
#include "conf_room.h"
#include "ivrd.h"
#include "ivrd_args.h"

#define S_CMD_TIMEOUT_MS 3000

typedef struct s_room s_room_t;

typedef struct {
    ivrd_conf_t *owner;
    s_room_t *room; /* NULL until answered */
    cc_bus_owner_t requests;
    char call_id[IVRD_CALL_ID_MAX];
    char caller[64];
    char room_name[CONF_NAME_MAX];
    int endpoint_id;
    int member;               /* id in the room, 0 until it arrived */
    unsigned play;            /* the core's id of what plays (0: nothing) */
    cc_bus_handle_t play_req; /* its play.start while unanswered */
    json_int_t md_play;       /* mediad's id for it */
    json_int_t finished;      /* a play reported done before its reply */
    char finished_reason[16];
    int timer_id;
    bool join_pending; /* waits for the room's mix */
    int join_tries;
    bool hangup_sent;
} s_member_t;

struct s_room {
    ivrd_conf_t *owner;
    conf_room_t *core;
    char name[CONF_NAME_MAX];
    cc_bus_owner_t requests;
    json_int_t mix_id;
    bool mix_creating;
    char rec_call_id[96]; /* recorded: recorderd's id of the recording's "call" ("": none) */
};

struct ivrd_conf {
    ivrd_t *ivrd;
    cc_map_t *cfgs;    /* name -> conf_room_cfg_t (owned) */
    cc_map_t *rooms;   /* name -> s_room_t, rooms somebody is in */
    cc_map_t *by_call; /* call_id -> s_member_t */
    conf_actions_t out;
    uint64_t started, refused;
};

static void s_apply(s_room_t *room, s_member_t *hint);
static void s_gone(s_member_t *m, const char *reason);

/* ---- helpers ------------------------------------------------------------------------ */

static cc_bus_t *s_bus(const ivrd_conf_t *self)
{
    return self->ivrd->daemon->bus;
}

static cc_loop_t *s_loop(const ivrd_conf_t *self)
{
    return self->ivrd->daemon->loop;
}

static int64_t s_now(const ivrd_conf_t *self)
{
    return ivrd_now_ms(self->ivrd);
}

static cc_bus_handle_t s_request(s_member_t *m, const char *target, const char *cmd, json_t *args,
                                 cc_bus_reply_fn *on_reply)
{
    cc_bus_handle_t h = cc_bus_request(s_bus(m->owner), on_reply ? &m->requests : NULL, target, cmd,
                                       args, S_CMD_TIMEOUT_MS, on_reply, on_reply ? m : NULL);
    if (!h)
        cc_warn("conf.send_failed", "cmd=%s target=%s", cmd, target);
    return h;
}

static s_member_t *s_by_id(s_room_t *room, int id, s_member_t *hint)
{
    if (hint && hint->member == id)
        return hint;
    const conf_member_t *cm = conf_room_member(room->core, id);
    return cm ? cc_map_get(room->owner->by_call, cm->call_id) : NULL;
}

static void s_member_free(s_member_t *m)
{
    cc_bus_owner_cancel(s_bus(m->owner), &m->requests);
    if (m->timer_id > 0)
        cc_loop_timer_cancel(s_loop(m->owner), m->timer_id);
    free(m);
}

static void s_room_free(s_room_t *room)
{
    cc_bus_owner_cancel(s_bus(room->owner), &room->requests);
    conf_room_destroy(&room->core);
    free(room);
}

/* ---- playback ----------------------------------------------------------------------- */

static void s_play_done(s_member_t *m, unsigned play)
{
    if (!m->room || !play)
        return;
    m->play = 0;
    m->md_play = 0;
    conf_room_prompt_done(m->room->core, m->member, play, s_now(m->owner), &m->owner->out);
    s_apply(m->room, m);
}

static void s_on_play_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_member_t *m = arg;
    m->play_req = 0;
    if (!m->play)
        return;
    if (status != 0) {
        json_t *msg = status == -EPROTO ? json_object_get(result, "message") : NULL;
        cc_warn("conf.play_failed", "room=%s error=%s", cc_logq(m->room_name),
                cc_logq(msg ? json_string_value(msg) : "no reply"));
        s_play_done(m, m->play); /* go on as if played */
        return;
    }
    m->md_play = json_integer_value(json_object_get(result, "play_id"));
    if (m->md_play && m->finished == m->md_play) {
        m->finished = 0;
        s_play_done(m, m->play);
    }
}

static void s_play(s_member_t *m, const conf_action_t *a)
{
    if (m->play_req)
        cc_bus_cancel(s_bus(m->owner), m->play_req);
    m->play_req = 0;
    json_t *prompts = json_array();
    for (size_t i = 0; i < a->nprompts; i++)
        json_array_append_new(prompts, json_string(a->prompts[i]));
    m->play = a->play;
    m->md_play = 0;
    m->finished = 0;
    /* the room's language, also before the member is in it (the PIN prompts) */
    const conf_room_cfg_t *cfg = cc_map_get(m->owner->cfgs, m->room_name);
    const char *lang = cfg && cfg->language[0] ? cfg->language : "en";
    m->play_req =
        s_request(m, "mediad", "play.start",
                  json_pack("{s:i, s:o, s:s, s:b, s:b}", "endpoint_id", m->endpoint_id, "prompts",
                            prompts, "language", lang, "loop", a->loop, "barge_in", a->barge_in),
                  s_on_play_reply);
}

static void s_stop(s_member_t *m)
{
    if (m->play_req)
        cc_bus_cancel(s_bus(m->owner), m->play_req);
    m->play_req = 0;
    m->play = 0;
    m->md_play = 0;
    s_request(m, "mediad", "play.stop", json_pack("{s:i}", "endpoint_id", m->endpoint_id), NULL);
}

/* ---- the mix -------------------------------------------------------------------------- */

static void s_join(s_member_t *m);

static void s_on_join_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_member_t *m = arg;
    if (status == 0) {
        m->join_tries = 0;
        return;
    }
    const char *code =
        status == -EPROTO ? json_string_value(json_object_get(result, "code")) : NULL;
    cc_warn("conf.join_failed", "room=%s endpoint=%d error=%s", cc_logq(m->room_name),
            m->endpoint_id, cc_logq(code ? code : "no reply"));
    if (code && strcmp(code, "unknown_mix") == 0 && m->room && ++m->join_tries < 3) {
        m->room->mix_id = 0; /* mediad restarted: the room makes its mix again */
        s_join(m);
    }
}

static void s_send_join(s_member_t *m)
{
    const conf_member_t *cm = conf_room_member(m->room->core, m->member);
    m->join_pending = false;
    s_request(m, "mediad", "mix.join",
              json_pack("{s:I, s:i, s:b}", "mix_id", m->room->mix_id, "endpoint_id", m->endpoint_id,
                        "muted", cm && cm->muted),
              s_on_join_reply);
}

static void s_on_rec_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_room_t *room = arg;
    const char *msg =
        status == -EPROTO ? json_string_value(json_object_get(result, "message")) : "no reply";
    if (status != 0)
        cc_warn("conf.record_failed", "room=%s recording=%s error=%s", cc_logq(room->name),
                cc_logq(room->rec_call_id), cc_logq(msg));
    else
        cc_info("conf.recording", "room=%s recording=%s recording_id=%lld", cc_logq(room->name),
                cc_logq(room->rec_call_id),
                (long long)json_integer_value(json_object_get(result, "recording_id")));
}

/* A recorded room's mix was made: recorderd records it, as one recording whose call id is
 * conf-ROOM-<ms the first mix was made>. A mix made anew (mediad restarted) is the same
 * recording, which follows the new mix. */
static void s_record(s_room_t *room)
{
    if (!conf_room_cfg(room->core)->record)
        return;
    if (!room->rec_call_id[0])
        snprintf(room->rec_call_id, sizeof room->rec_call_id, "conf-%s-%llu", room->name,
                 (unsigned long long)(cc_wall_us() / 1000u));
    char callee[96];
    snprintf(callee, sizeof callee, "conf:%s", room->name);
    cc_bus_request(s_bus(room->owner), &room->requests, "recorderd", "rec.start",
                   json_pack("{s:s, s:I, s:s}", "call_id", room->rec_call_id, "mix_id",
                             room->mix_id, "callee", callee),
                   S_CMD_TIMEOUT_MS, s_on_rec_reply, room);
}

/* The room empties (or ivrd stops): its recording closes. */
static void s_record_stop(s_room_t *room)
{
    if (!room->rec_call_id[0])
        return;
    cc_info("conf.recording_stop", "room=%s recording=%s", cc_logq(room->name),
            cc_logq(room->rec_call_id));
    cc_bus_request(s_bus(room->owner), NULL, "recorderd", "rec.stop",
                   json_pack("{s:s}", "call_id", room->rec_call_id), S_CMD_TIMEOUT_MS, NULL, NULL);
    room->rec_call_id[0] = '\0';
}

static void s_on_mix_created(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_room_t *room = arg;
    room->mix_creating = false;
    if (status != 0) {
        cc_error("conf.mix_failed", "room=%s", cc_logq(room->name));
        return; /* the next one to go in tries again */
    }
    room->mix_id = json_integer_value(json_object_get(result, "mix_id"));
    cc_info("conf.mix", "room=%s mix=%lld", cc_logq(room->name), (long long)room->mix_id);
    s_record(room);
    for (size_t i = 0; i < conf_room_slots(room->core); i++) {
        const conf_member_t *cm = conf_room_member_at(room->core, i);
        s_member_t *m = cc_map_get(room->owner->by_call, cm->call_id);
        if (m && m->join_pending)
            s_send_join(m);
    }
}

static void s_join(s_member_t *m)
{
    s_room_t *room = m->room;
    m->join_pending = true;
    if (room->mix_id) {
        s_send_join(m);
        return;
    }
    if (room->mix_creating)
        return;
    char label[96];
    snprintf(label, sizeof label, "conf:%s", room->name);
    room->mix_creating = true;
    if (!cc_bus_request(s_bus(room->owner), &room->requests, "mediad", "mix.create",
                        json_pack("{s:s}", "call_id", label), S_CMD_TIMEOUT_MS, s_on_mix_created,
                        room))
        room->mix_creating = false;
}

/* ---- actions -------------------------------------------------------------------------- */

static void s_on_timer(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop, (void)timer_id;
    s_member_t *m = arg;
    m->timer_id = 0;
    if (!m->room)
        return;
    cc_log_set_call(m->call_id);
    s_room_t *room = m->room;
    conf_room_timer(room->core, m->member, s_now(m->owner), &m->owner->out);
    bool gone = !conf_room_member(room->core, m->member);
    s_apply(room, m);
    if (gone)
        s_gone(m, NULL);
    cc_log_set_call(NULL);
}

static void s_timer(s_member_t *m, int64_t at)
{
    if (m->timer_id > 0)
        cc_loop_timer_cancel(s_loop(m->owner), m->timer_id);
    m->timer_id = 0;
    if (!at)
        return;
    int64_t delay = at - s_now(m->owner);
    m->timer_id =
        cc_loop_timer_add(s_loop(m->owner), delay > 0 ? (uint64_t)delay : 0, 0, s_on_timer, m);
}

static void s_hangup(s_member_t *m, const char *reason)
{
    if (m->hangup_sent)
        return;
    m->hangup_sent = true;
    char why[64];
    snprintf(why, sizeof why, "conference: %s", reason ? reason : "hangup");
    s_request(m, "sipproxy", "call.hangup",
              json_pack("{s:s, s:s}", "call_id", m->call_id, "reason", why), NULL);
}

static void s_publish(s_room_t *room, const conf_action_t *a, s_member_t *m)
{
    cc_bus_t *bus = s_bus(room->owner);
    const conf_member_t *cm = conf_room_member(room->core, a->member);
    int count = conf_room_count(room->core);
    switch (a->kind) {
    case CONF_ACT_JOINED:
        if (!cm)
            return;
        cc_info("conf.joined", "room=%s member=%d caller=%s moderator=%d waiting=%d members=%d",
                cc_logq(room->name), cm->id, cc_logq(cm->caller), cm->moderator,
                cm->state == CONF_M_WAITING, count);
        cc_bus_publish(bus, "conf.joined", cm->call_id,
                       json_pack("{s:s, s:i, s:s, s:b, s:b, s:i}", "room", room->name, "member",
                                 cm->id, "caller", cm->caller, "moderator", cm->moderator,
                                 "waiting", cm->state == CONF_M_WAITING, "members", count));
        break;
    case CONF_ACT_LEFT:
        cc_info("conf.left", "room=%s member=%d reason=%s members=%d", cc_logq(room->name),
                a->member, cc_logq(a->reason), count);
        cc_bus_publish(bus, "conf.left", m ? m->call_id : NULL,
                       json_pack("{s:s, s:i, s:s, s:s, s:i}", "room", room->name, "member",
                                 a->member, "caller", m ? m->caller : "", "reason", a->reason,
                                 "members", count));
        break;
    case CONF_ACT_MUTED:
        cc_info("conf.muted", "room=%s member=%d muted=%d by=%s", cc_logq(room->name), a->member,
                a->muted, a->by);
        cc_bus_publish(bus, "conf.muted", m ? m->call_id : NULL,
                       json_pack("{s:s, s:i, s:b, s:s}", "room", room->name, "member", a->member,
                                 "muted", a->muted, "by", a->by));
        break;
    case CONF_ACT_LOCKED:
        cc_info("conf.locked", "room=%s locked=%d by=%s", cc_logq(room->name), a->locked, a->by);
        cc_bus_publish(
            bus, "conf.locked", NULL,
            json_pack("{s:s, s:b, s:s}", "room", room->name, "locked", a->locked, "by", a->by));
        break;
    default:
        break;
    }
}

/* Carries out the core's actions (in owner->out); hint is the member the event was about,
 * which the core may have let go of already. */
static void s_apply(s_room_t *room, s_member_t *hint)
{
    conf_actions_t *out = &room->owner->out;
    for (size_t i = 0; i < out->n; i++) {
        const conf_action_t *a = &out->a[i];
        s_member_t *m = a->member ? s_by_id(room, a->member, hint) : NULL;
        switch (a->kind) {
        case CONF_ACT_PLAY:
            if (m)
                s_play(m, a);
            break;
        case CONF_ACT_STOP:
            if (m)
                s_stop(m);
            break;
        case CONF_ACT_JOIN:
            if (m)
                s_join(m);
            break;
        case CONF_ACT_MUTE:
            if (m && !m->join_pending)
                s_request(m, "mediad", "mix.set",
                          json_pack("{s:i, s:b}", "endpoint_id", m->endpoint_id, "muted", a->muted),
                          NULL);
            break;
        case CONF_ACT_TIMER:
            if (m)
                s_timer(m, a->at);
            break;
        case CONF_ACT_HANGUP:
            if (m)
                s_hangup(m, a->reason);
            break;
        default:
            s_publish(room, a, m);
            break;
        }
    }
    out->n = 0;
}

/* The member's call is over (or forgotten): out of the room; an empty room goes. */
static void s_gone(s_member_t *m, const char *reason)
{
    ivrd_conf_t *self = m->owner;
    s_room_t *room = m->room;
    cc_map_take(self->by_call, m->call_id);
    if (room) {
        if (conf_room_member(room->core, m->member)) {
            conf_room_gone(room->core, m->member, reason, &self->out);
            s_apply(room, m);
        }
        if (conf_room_slots(room->core) == 0) {
            s_record_stop(room); /* before the mix goes: mix.delete ships the tap's last batch */
            if (room->mix_id)
                cc_bus_request(s_bus(self), NULL, "mediad", "mix.delete",
                               json_pack("{s:I}", "mix_id", room->mix_id), S_CMD_TIMEOUT_MS, NULL,
                               NULL);
            cc_info("conf.room_empty", "room=%s", cc_logq(room->name));
            cc_map_take(self->rooms, room->name);
            s_room_free(room);
        }
    }
    s_member_free(m);
}

/* ---- conf.start ------------------------------------------------------------------------ */

static s_room_t *s_room_get(ivrd_conf_t *self, const char *name)
{
    s_room_t *room = cc_map_get(self->rooms, name);
    if (room)
        return room;
    const conf_room_cfg_t *cfg = cc_map_get(self->cfgs, name);
    if (!cfg)
        return NULL;
    room = calloc(1, sizeof *room);
    if (!room)
        return NULL;
    room->owner = self;
    snprintf(room->name, sizeof room->name, "%s", name);
    room->core = conf_room_new(cfg);
    if (!room->core || cc_map_insert(self->rooms, room->name, room) != 0) {
        s_room_free(room);
        return NULL;
    }
    return room;
}

static void s_on_answer_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result;
    s_member_t *m = arg;
    ivrd_conf_t *self = m->owner;
    if (status != 0) {
        cc_warn("conf.answer_failed", "status=%d", status);
        s_hangup(m, "could not answer");
        return;
    }
    s_room_t *room = s_room_get(self, m->room_name);
    if (!room) {
        cc_warn("conf.refused", "room=%s reason=\"room deleted\"", cc_logq(m->room_name));
        s_hangup(m, "no such room");
        return;
    }
    int id = conf_room_arrive(room->core, m->call_id, m->caller, s_now(self), &self->out);
    if (id < 0) {
        self->refused++;
        cc_warn("conf.refused", "room=%s reason=\"no slot left\"", cc_logq(room->name));
        s_hangup(m, "full");
        if (conf_room_slots(room->core) == 0) {
            cc_map_take(self->rooms, room->name);
            s_room_free(room);
        }
        return;
    }
    m->room = room;
    m->member = id;
    cc_info("conf.arrived", "room=%s member=%d caller=%s pin=%s", cc_logq(room->name), id,
            cc_logq(m->caller), conf_room_cfg(room->core)->pin[0] ? "asked" : "none");
    s_apply(room, m);
}

static void s_on_start(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    ivrd_conf_t *self = arg;
    ivrd_handover_t in;
    char err[200];
    if (ivrd_args_handover(cmd, args, &in, err, sizeof err) < 0) {
        cc_bus_reply_error(bus, req, "bad_args", "%s", err);
        return;
    }
    const char *call_id = in.call_id, *name = in.room, *caller = in.caller;
    if (cc_map_get(self->by_call, call_id)) {
        cc_bus_reply(bus, req, NULL); /* a retry: already ours */
        return;
    }
    if (!cc_map_get(self->cfgs, name)) {
        self->refused++;
        cc_warn("conf.refused", "room=%s reason=\"no such room\"", cc_logq(name));
        cc_bus_reply_error(bus, req, "unknown_room", "no conference room '%s'", name);
        return;
    }
    s_member_t *m = calloc(1, sizeof *m);
    if (!m) {
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    m->owner = self;
    snprintf(m->call_id, sizeof m->call_id, "%s", call_id);
    snprintf(m->caller, sizeof m->caller, "%s", caller);
    snprintf(m->room_name, sizeof m->room_name, "%s", name);
    m->endpoint_id = in.endpoint_id;
    if (cc_map_insert(self->by_call, m->call_id, m) != 0) {
        free(m);
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    self->started++;
    cc_bus_reply(bus, req, NULL);
    char by[96];
    snprintf(by, sizeof by, "conf:%s", name);
    s_request(m, "sipproxy", "call.answer",
              json_pack("{s:s, s:s}", "call_id", m->call_id, "answered_by", by), s_on_answer_reply);
}

/* ---- events ------------------------------------------------------------------------------ */

static s_member_t *s_event_member(ivrd_conf_t *self, const cc_bus_event_t *ev)
{
    s_member_t *m = ev->call_id ? cc_map_get(self->by_call, ev->call_id) : NULL;
    if (!m || !m->room ||
        json_integer_value(json_object_get(ev->body, "endpoint_id")) != m->endpoint_id)
        return NULL;
    return m;
}

static void s_on_media(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    ivrd_conf_t *self = arg;
    s_member_t *m = s_event_member(self, ev);
    if (!m)
        return;
    if (strcmp(ev->type, "media.play_done") == 0) {
        json_int_t id = json_integer_value(json_object_get(ev->body, "play_id"));
        const char *reason = json_string_value(json_object_get(ev->body, "reason"));
        if (m->play && m->md_play == id)
            s_play_done(m, m->play);
        else if (m->play && m->md_play == 0 && m->play_req) { /* the reply is on its way */
            m->finished = id;
            snprintf(m->finished_reason, sizeof m->finished_reason, "%s", reason ? reason : "");
        }
    } else if (strcmp(ev->type, "media.dtmf") == 0) {
        const char *digit = json_string_value(json_object_get(ev->body, "digit"));
        if (!digit || !digit[0])
            return;
        s_room_t *room = m->room;
        conf_room_digit(room->core, m->member, digit[0], s_now(self), &self->out);
        s_apply(room, m);
    } else if (strcmp(ev->type, "media.talking") == 0) {
        bool talking = json_is_true(json_object_get(ev->body, "talking"));
        conf_room_talking(m->room->core, m->member, talking);
        cc_bus_publish(s_bus(self), "conf.talking", m->call_id,
                       json_pack("{s:s, s:i, s:b}", "room", m->room->name, "member", m->member,
                                 "talking", talking));
    }
}

/* mediad restarted and gave the caller's endpoint back: the room's mix died with it. A
 * participant in the room joins again (the first one makes the mix anew); one waiting
 * hears the music again; one entering its PIN goes on (its timer still runs). */
static void s_media_restored(s_member_t *m, json_t *body)
{
    json_int_t ep = json_integer_value(json_object_get(body, "caller_endpoint"));
    if (ep > 0)
        m->endpoint_id = (int)ep;
    const conf_member_t *cm = conf_room_member(m->room->core, m->member);
    if (!cm)
        return;
    cc_info("conf.media_restored", "room=%s member=%d state=%s", cc_logq(m->room_name), m->member,
            conf_member_state_name(cm->state));
    if (cm->state == CONF_M_IN) {
        m->join_tries = 0;
        s_join(m); /* unknown_mix: made again */
    } else if (cm->state == CONF_M_WAITING) {
        s_request(m, "mediad", "play.start",
                  json_pack("{s:i, s:[s], s:b}", "endpoint_id", m->endpoint_id, "prompts",
                            "music/default", "loop", 1),
                  NULL);
    }
}

static void s_on_call(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    ivrd_conf_t *self = arg;
    s_member_t *m = ev->call_id ? cc_map_get(self->by_call, ev->call_id) : NULL;
    if (!m)
        return;
    if (strcmp(ev->type, "call.ended") == 0)
        s_gone(m, "hangup");
    else if (strcmp(ev->type, "call.media_restored") == 0 && m->room)
        s_media_restored(m, ev->body);
}

/* ---- commands ---------------------------------------------------------------------------- */

static json_t *s_room_json(s_room_t *room)
{
    json_t *members = json_array();
    for (size_t i = 0; i < conf_room_slots(room->core); i++) {
        const conf_member_t *cm = conf_room_member_at(room->core, i);
        json_array_append_new(members,
                              json_pack("{s:i, s:s, s:s, s:s, s:b, s:b, s:b, s:I}", "member",
                                        cm->id, "call_id", cm->call_id, "caller", cm->caller,
                                        "state", conf_member_state_name(cm->state), "moderator",
                                        cm->moderator, "muted", cm->muted, "talking", cm->talking,
                                        "joined", (json_int_t)(cm->joined_at / 1000)));
    }
    return json_pack("{s:s, s:b, s:o, s:o}", "room", room->name, "locked",
                     conf_room_locked(room->core), "members", members, "recording",
                     room->rec_call_id[0] ? json_string(room->rec_call_id) : json_null());
}

static void s_on_list(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    ivrd_conf_t *self = arg;
    const char *only = json_string_value(json_object_get(args, "room"));
    json_t *rooms = json_array();
    cc_map_iter_t it = cc_map_iter(self->rooms);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        s_room_t *room = cc_map_value(e);
        if (!only || strcmp(only, room->name) == 0)
            json_array_append_new(rooms, s_room_json(room));
    }
    cc_bus_reply(bus, req, json_pack("{s:o}", "rooms", rooms));
}

/* The live room named in args, or NULL after replying why. */
static s_room_t *s_cmd_room(ivrd_conf_t *self, cc_bus_req_t *req, const char *name)
{
    s_room_t *room = cc_map_get(self->rooms, name);
    if (room)
        return room;
    if (!cc_map_get(self->cfgs, name))
        cc_bus_reply_error(s_bus(self), req, "unknown_room", "no conference room '%s'", name);
    else
        cc_bus_reply_error(s_bus(self), req, "not_active", "nobody is in room '%s'", name);
    return NULL;
}

static int s_cmd_member(ivrd_conf_t *self, cc_bus_req_t *req, s_room_t *room, const char *who)
{
    int id = conf_room_find(room->core, who);
    if (id < 0)
        cc_bus_reply_error(s_bus(self), req, "unknown_member", "nobody '%s' in room '%s'", who,
                           room->name);
    return id;
}

/* A conference command's arguments and live room, or NULL after replying why. */
static s_room_t *s_cmd_decode(ivrd_conf_t *self, cc_bus_req_t *req, const char *cmd, json_t *args,
                              ivrd_conf_cmd_t *in)
{
    char err[200];
    if (ivrd_args_conf(cmd, args, in, err, sizeof err) < 0) {
        cc_bus_reply_error(s_bus(self), req, "bad_args", "%s", err);
        return NULL;
    }
    return s_cmd_room(self, req, in->room);
}

static void s_on_kick(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    ivrd_conf_t *self = arg;
    ivrd_conf_cmd_t in;
    s_room_t *room = s_cmd_decode(self, req, cmd, args, &in);
    int id = room ? s_cmd_member(self, req, room, in.who) : -1;
    if (id < 0)
        return;
    conf_room_kick(room->core, id, s_now(self), &self->out);
    cc_info("conf.kick", "room=%s member=%d", cc_logq(room->name), id);
    s_apply(room, NULL);
    cc_bus_reply(bus, req, json_pack("{s:i}", "member", id));
}

static void s_on_mute(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    ivrd_conf_t *self = arg;
    ivrd_conf_cmd_t in;
    s_room_t *room = s_cmd_decode(self, req, cmd, args, &in);
    int id = room ? s_cmd_member(self, req, room, in.who) : -1;
    if (id < 0)
        return;
    if (conf_room_mute(room->core, id, in.on, "admin", &self->out) != 0) {
        cc_bus_reply_error(bus, req, "bad_state", "participant %d is leaving", id);
        return;
    }
    s_apply(room, NULL);
    cc_bus_reply(bus, req, json_pack("{s:i}", "member", id));
}

static void s_on_lock(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    ivrd_conf_t *self = arg;
    ivrd_conf_cmd_t in;
    s_room_t *room = s_cmd_decode(self, req, cmd, args, &in);
    if (!room)
        return;
    if (conf_room_lock(room->core, in.on, "admin", &self->out) != 0) {
        cc_bus_reply_error(bus, req, "not_active", "nobody is in room '%s'", room->name);
        return;
    }
    s_apply(room, NULL);
    cc_bus_reply(bus, req, NULL);
}

/* ---- rooms from Postgres ---------------------------------------------------------------- */

int ivrd_conf_reload(ivrd_conf_t *self)
{
    cc_pg_t *pg = self->ivrd->daemon->pg;
    PGresult *res = cc_pg_exec_params(
        pg,
        "SELECT name, pin, moderator_pin, max_members, record, language FROM conferences "
        "ORDER BY name",
        0, NULL);
    if (!res) {
        cc_error("conf.rooms_read_failed", "error=%s", cc_logq(cc_pg_error(pg)));
        return -1;
    }
    cc_map_clear(self->cfgs);
    for (int r = 0; r < PQntuples(res); r++) {
        conf_room_cfg_t *cfg = calloc(1, sizeof *cfg);
        if (!cfg)
            break;
        snprintf(cfg->name, sizeof cfg->name, "%s", PQgetvalue(res, r, 0));
        snprintf(cfg->pin, sizeof cfg->pin, "%s", PQgetvalue(res, r, 1));
        snprintf(cfg->moderator_pin, sizeof cfg->moderator_pin, "%s", PQgetvalue(res, r, 2));
        cfg->max_members = atoi(PQgetvalue(res, r, 3));
        cfg->record = PQgetvalue(res, r, 4)[0] == 't';
        snprintf(cfg->language, sizeof cfg->language, "%s", PQgetvalue(res, r, 5));
        if (cc_map_put(self->cfgs, cfg->name, cfg) != 0) {
            free(cfg);
            continue;
        }
        s_room_t *room = cc_map_get(self->rooms, cfg->name);
        if (room)
            conf_room_configure(room->core, cfg); /* a deleted room's callers keep theirs */
    }
    cc_info("conf.rooms_loaded", "rooms=%d", PQntuples(res));
    PQclear(res);
    return 0;
}

/* ---- life -------------------------------------------------------------------------------- */

ivrd_conf_t *ivrd_conf_new(ivrd_t *ivrd)
{
    ivrd_conf_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->ivrd = ivrd;
    self->cfgs = cc_map_new(free);
    self->rooms = cc_map_new(NULL);
    self->by_call = cc_map_new(NULL);
    cc_bus_t *bus = ivrd->daemon->bus;
    if (!self->cfgs || !self->rooms || !self->by_call || ivrd_conf_reload(self) != 0 ||
        cc_bus_on_command(bus, "conf.start", s_on_start, self) != 0 ||
        cc_bus_on_command(bus, "conf.list", s_on_list, self) != 0 ||
        cc_bus_on_command(bus, "conf.kick", s_on_kick, self) != 0 ||
        cc_bus_on_command(bus, "conf.mute", s_on_mute, self) != 0 ||
        cc_bus_on_command(bus, "conf.lock", s_on_lock, self) != 0 ||
        cc_bus_subscribe(bus, "mediad", "media.", s_on_media, self) != 0 ||
        cc_bus_subscribe(bus, "sipproxy", "call.", s_on_call, self) != 0) {
        ivrd_conf_destroy(&self);
        return NULL;
    }
    return self;
}

void ivrd_conf_status(const ivrd_conf_t *self, json_t *details)
{
    size_t members = 0;
    cc_map_iter_t it = cc_map_iter(self->rooms);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));)
        members += conf_room_slots(((s_room_t *)cc_map_value(e))->core);
    json_object_set_new(details, "conf_rooms", json_integer((json_int_t)cc_map_size(self->rooms)));
    json_object_set_new(details, "conf_members", json_integer((json_int_t)members));
    json_object_set_new(details, "conf_started", json_integer((json_int_t)self->started));
    json_object_set_new(details, "conf_refused", json_integer((json_int_t)self->refused));
}

void ivrd_conf_stop(ivrd_conf_t *self)
{
    cc_map_iter_t it = cc_map_iter(self->by_call);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        s_member_t *m = cc_map_value(e);
        cc_log_set_call(m->call_id);
        s_hangup(m, "ivrd stopping");
    }
    cc_log_set_call(NULL);
    it = cc_map_iter(self->rooms);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));)
        s_record_stop(cc_map_value(e));
}

void ivrd_conf_destroy(ivrd_conf_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ivrd_conf_t *self = *self_p;
    if (self->by_call) {
        cc_map_iter_t it = cc_map_iter(self->by_call);
        for (cc_map_entry_t *e; (e = cc_map_next(&it));)
            s_member_free(cc_map_value(e));
        cc_map_destroy(&self->by_call);
    }
    if (self->rooms) {
        cc_map_iter_t it = cc_map_iter(self->rooms);
        for (cc_map_entry_t *e; (e = cc_map_next(&it));)
            s_room_free(cc_map_value(e));
        cc_map_destroy(&self->rooms);
    }
    cc_map_destroy(&self->cfgs);
    free(self);
    *self_p = NULL;
}
