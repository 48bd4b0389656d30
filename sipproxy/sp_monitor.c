/* sp_monitor.c - supervisor monitoring from a phone: *22<ext> listen, *23<ext> whisper,
 * *24<ext> barge. Who may is sp_monitor_acl's rule (a supervisor, for agents of their
 * queues; an admin, for anyone). The supervisor's call is answered here with an endpoint
 * of its own; that endpoint and the agent's call's two are put in one mediad mix whose
 * roles make the mode:
 *   listen   the supervisor is muted: hears both, heard by nobody
 *   whisper  the supervisor is heard, but the other party hears only the agent
 *   barge    everyone hears everyone
 * Keys on the supervisor's phone switch: 4 listen, 5 whisper, 6 barge; 7 takes over (the
 * agent's leg ends, the supervisor stays with the other party). The supervisor
 * hanging up deletes the mix and the call relays as before, untouched; the monitored call
 * ending ends the supervisor's. Every session, mode change and refusal is audited
 * (web_audit) and published (call.monitor, on the monitored call). */
#include "sp_call.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "sp_db.h"

static const char *s_mode_name(int mode)
{
    return mode == SP_MONITOR_WHISPER ? "whisper" : mode == SP_MONITOR_BARGE ? "barge" : "listen";
}

bool sp_monitor_match(const char *dialled, sp_monitor_mode_t *mode, char *ext, size_t extlen)
{
    if (!dialled || dialled[0] != '*' || dialled[1] != '2' || dialled[2] < '2' || dialled[2] > '4')
        return false;
    const char *rest = dialled + 3;
    size_t n = strlen(rest);
    if (n < 2 || n > 15 || n >= extlen)
        return false;
    for (const char *p = rest; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    *mode = dialled[2] == '2'   ? SP_MONITOR_LISTEN
            : dialled[2] == '3' ? SP_MONITOR_WHISPER
                                : SP_MONITOR_BARGE;
    snprintf(ext, extlen, "%s", rest);
    return true;
}

/* ---- audit and events ------------------------------------------------------------- */

static void s_audit(sp_call_t *c, const char *action, const char *result)
{
    sp_audit_t a = {0};
    if (c->mon.user[0])
        snprintf(a.actor, sizeof a.actor, "%s", c->mon.user);
    else
        snprintf(a.actor, sizeof a.actor, "ext:%s", c->mon.sup);
    snprintf(a.role, sizeof a.role, "%s", c->mon.user[0] ? "supervisor" : "");
    snprintf(a.action, sizeof a.action, "%s", action);
    snprintf(a.target, sizeof a.target, "ext:%s", c->mon.agent);
    json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "mode", s_mode_name(c->mon.mode), "via",
                          c->mon.via, "supervisor_ext", c->mon.sup, "supervisor_call_id", c->id);
    if (c->mon.target[0])
        json_object_set_new(d, "call_id", json_string(c->mon.target));
    char *text = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    snprintf(a.detail, sizeof a.detail, "%s", text ? text : "{}");
    free(text);
    snprintf(a.address, sizeof a.address, "%s", c->source);
    snprintf(a.result, sizeof a.result, "%s", result);
    if (c->proxy->db)
        sp_db_audit(c->proxy->db, &a);
}

static void s_publish(sp_call_t *c, const char *action)
{
    json_t *f =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "action", action, "mode", s_mode_name(c->mon.mode),
                  "supervisor", c->mon.sup, "agent", c->mon.agent, "supervisor_call_id", c->id);
    if (c->mon.user[0])
        json_object_set_new(f, "supervisor_user", json_string(c->mon.user));
    cc_bus_publish(c->proxy->bus, "call.monitor", c->mon.target, f);
}

/* ---- the agent's call -------------------------------------------------------------- */

typedef struct {
    const char *agent;
    sp_call_t *self;
    sp_call_t *found;
    bool agent_is_caller;
} s_find_t;

/* A call is the agent's when it is answered with both endpoints up and the agent is its
 * connected callee (a queue or direct call) or its caller. */
static void s_find_agent_call(sp_call_t *c, void *arg)
{
    s_find_t *f = arg;
    if (f->found || c == f->self || c->state != SP_CALL_ANSWERED || c->mon.mode || c->ea.id <= 0 ||
        c->eb.id <= 0 || !c->winner)
        return;
    char target[80];
    snprintf(target, sizeof target, "ext:%s", f->agent);
    if (strcmp(c->winner->target, target) == 0) {
        f->found = c;
        f->agent_is_caller = false;
    } else if (strcmp(c->caller, f->agent) == 0) {
        f->found = c;
        f->agent_is_caller = true;
    }
}

/* ---- the mix ------------------------------------------------------------------------ */

static void s_refuse(sp_call_t *c, int code, const char *why)
{
    cc_info("call.monitor_refused", "agent=%s reason=%s", c->mon.agent, why);
    s_audit(c, "monitor.start", why);
    snprintf(c->reason, sizeof c->reason, "monitoring refused: %s", why);
    sp_call_end(c, SP_END_CONTROLLER_HANGUP, code);
}

static void s_on_mix_step(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    sp_call_t *c = arg;
    if (status == 0 || c->state >= SP_CALL_ENDING)
        return;
    const char *code = json_string_value(json_object_get(result, "code"));
    cc_warn("call.monitor_failed", "status=%d error=%s", status, cc_logq(code ? code : "timeout"));
    snprintf(c->reason, sizeof c->reason, "monitoring failed: mediad said %s",
             code ? code : "nothing");
    sp_call_end(c, SP_END_MEDIA_FAILED, 0);
}

/* The roles of the mode: mix.set for the supervisor and the other party. */
static void s_apply_mode(sp_call_t *c)
{
    sp_media(
        c, "mix.set",
        json_pack("{s:i, s:b}", "endpoint_id", c->ea.id, "muted", c->mon.mode == SP_MONITOR_LISTEN),
        s_on_mix_step);
    json_t *other =
        c->mon.mode == SP_MONITOR_WHISPER
            ? json_pack("{s:i, s:[i]}", "endpoint_id", c->mon.ep_other, "hears", c->mon.ep_agent)
            : json_pack("{s:i, s:b}", "endpoint_id", c->mon.ep_other, "hears_all", 1);
    sp_media(c, "mix.set", other, s_on_mix_step);
}

static void s_on_mix_created(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    sp_call_t *c = arg;
    if (status != 0) {
        s_on_mix_step(bus, status, result, arg);
        return;
    }
    c->mon.mix_id = (int)json_integer_value(json_object_get(result, "mix_id"));
    if (c->state >= SP_CALL_ENDING) { /* ended while the mix was being made */
        cc_bus_request(c->proxy->bus, &c->proxy->mediad_owner, "mediad", "mix.delete",
                       json_pack("{s:i}", "mix_id", c->mon.mix_id), c->proxy->set.media_timeout_ms,
                       NULL, NULL);
        return;
    }
    int ids[3] = {c->mon.ep_other, c->mon.ep_agent, c->ea.id};
    for (int i = 0; i < 3; i++)
        sp_media(c, "mix.join",
                 json_pack("{s:i, s:i, s:b}", "mix_id", c->mon.mix_id, "endpoint_id", ids[i],
                           "muted", i == 2 && c->mon.mode == SP_MONITOR_LISTEN),
                 s_on_mix_step);
    if (c->mon.mode == SP_MONITOR_WHISPER)
        s_apply_mode(c);
    cc_info("call.monitor_started", "agent=%s mode=%s target=%s mix=%d", c->mon.agent,
            s_mode_name(c->mon.mode), c->mon.target, c->mon.mix_id);
    s_audit(c, "monitor.start", "ok");
    s_publish(c, "started");
}

/* The supervisor's endpoint exists: answer, then build the mix. */
static void s_ready(sp_call_t *c)
{
    c->state = (sp_call_state_t)sp_call_next(c->state, SP_EV_MEDIA_READY);
    sp_call_t *target = sp_call_find(c->proxy, c->mon.target);
    if (!target || target->state != SP_CALL_ANSWERED) {
        s_refuse(c, 480, "call_ended");
        return;
    }
    if (sp_call_answer_here(c) != 0) {
        sp_call_end(c, SP_END_MEDIA_FAILED, 0);
        return;
    }
    sp_media(c, "mix.create", json_pack("{s:s}", "call_id", target->id), s_on_mix_created);
}

/* Check who may and find the agent's call: 0, or the SIP code of why not (the reason
 * in *why). On success c->mon names the target and its endpoints, counted as monitored. */
static int s_take_target(sp_call_t *c, const char *supervisor_ext, const char **why)
{
    const char *user = NULL;
    sp_monitor_verdict_t v = sp_monitor_acl_check(sp_directory_monitor_acl(c->proxy->dir),
                                                  supervisor_ext, c->mon.agent, &user);
    if (user && !c->mon.user[0])
        snprintf(c->mon.user, sizeof c->mon.user, "%s", user);
    if (v != SP_MONITOR_ALLOWED) {
        *why = sp_monitor_verdict_name(v);
        return 403;
    }
    s_find_t f = {.agent = c->mon.agent, .self = c};
    sp_b2bua_foreach(c->proxy, s_find_agent_call, &f);
    cc_log_set_call(c->id); /* foreach moved the log context */
    if (!f.found) {
        *why = "agent_not_in_a_call";
        return 480;
    }
    snprintf(c->mon.target, sizeof c->mon.target, "%s", f.found->id);
    c->mon.ep_agent = f.agent_is_caller ? f.found->ea.id : f.found->eb.id;
    c->mon.ep_other = f.agent_is_caller ? f.found->eb.id : f.found->ea.id;
    f.found->monitored_by++; /* until this call ends: sp_monitor_call_ending */
    return 0;
}

void sp_monitor_start(sp_call_t *c, sp_monitor_mode_t mode, const char *agent)
{
    c->mon.mode = mode;
    snprintf(c->mon.sup, sizeof c->mon.sup, "%s", c->caller);
    snprintf(c->mon.via, sizeof c->mon.via, "phone");
    snprintf(c->mon.agent, sizeof c->mon.agent, "%s", agent);
    snprintf(c->answered_by, sizeof c->answered_by, "monitor:%s", agent);
    cc_info("call.monitor", "agent=%s mode=%s", agent, s_mode_name(mode));
    const char *why = NULL;
    int code = s_take_target(c, c->caller, &why);
    if (code) {
        s_refuse(c, code, why);
        return;
    }
    sp_media_answer_offer(c, true, s_ready);
}

/* ---- call.monitor: the web console's way in ------------------------------------------ */

static int s_mode_of(const char *name)
{
    return !name                          ? 0
           : strcmp(name, "listen") == 0  ? SP_MONITOR_LISTEN
           : strcmp(name, "whisper") == 0 ? SP_MONITOR_WHISPER
           : strcmp(name, "barge") == 0   ? SP_MONITOR_BARGE
                                          : 0;
}

static void s_on_monitor(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    sp_proxy_t *p = arg;
    const char *id = json_string_value(json_object_get(args, "call_id"));
    const char *agent = json_string_value(json_object_get(args, "agent"));
    const char *user = json_string_value(json_object_get(args, "user"));
    int mode = s_mode_of(json_string_value(json_object_get(args, "mode")));
    if (!mode || !agent || !*agent || strlen(agent) > 15 ||
        strspn(agent, "0123456789") != strlen(agent)) {
        cc_bus_reply_error(bus, req, "bad_args",
                           "mode must be listen, whisper or barge and agent "
                           "an extension");
        return;
    }
    sp_call_t *c = id ? sp_call_find(p, id) : NULL;
    if (!c) {
        cc_bus_reply_error(bus, req, "unknown_call", "no call '%s'", id ? id : "");
        return;
    }
    /* the supervisor's phone: the answered leg A of an originated call, else the caller */
    const char *colon = strchr(c->a.target, ':');
    const char *sup = strncmp(c->a.target, "ext:", 4) == 0 && colon ? colon + 1 : c->caller;
    if (c->state != SP_CALL_ANSWERED || c->mon.mode || c->ea.id <= 0 || c->winner) {
        cc_bus_reply_error(bus, req, "bad_state",
                           "the call must be answered, to the supervisor alone, and not "
                           "monitoring already");
        return;
    }
    c->mon.mode = mode;
    snprintf(c->mon.agent, sizeof c->mon.agent, "%s", agent);
    if (user)
        snprintf(c->mon.user, sizeof c->mon.user, "%s", user);
    snprintf(c->mon.sup, sizeof c->mon.sup, "%s", sup);
    snprintf(c->mon.via, sizeof c->mon.via, "console");
    const char *why = NULL;
    int code = s_take_target(c, sup, &why);
    if (code) {
        cc_info("call.monitor_refused", "agent=%s supervisor=%s reason=%s", agent, sup, why);
        s_audit(c, "monitor.start", why);
        c->mon.mode = 0;
        cc_bus_reply_error(bus, req, code == 403 ? "forbidden" : "not_in_call", "%s", why);
        return;
    }
    cc_info("call.monitor", "agent=%s mode=%s via=console", agent, s_mode_name(mode));
    sp_media(c, "mix.create", json_pack("{s:s}", "call_id", c->mon.target), s_on_mix_created);
    cc_bus_reply(bus, req, json_pack("{s:s}", "monitored_call_id", c->mon.target));
}

void sp_monitor_attach(sp_proxy_t *p)
{
    cc_bus_on_command(p->bus, "call.monitor", s_on_monitor, p);
}

/* Key 7: the supervisor takes the agent's place. The agent's leg ends (its controller
 * hears the connection ended, as after a transfer) and the supervisor's leg and endpoint
 * move into the monitored call. The mix stays, now the caller's and the supervisor's
 * (everyone heard), so neither phone's stream changes source; it goes with the call. */
static void s_take_over(sp_call_t *c)
{
    sp_call_t *t = sp_call_find(c->proxy, c->mon.target);
    if (!t || t->state != SP_CALL_ANSWERED || !t->winner || !t->a.nh)
        return;
    bool agent_is_a = t->ea.id == c->mon.ep_agent;
    if (agent_is_a && sp_transfer_take_a_side(t, &t->a) != 0)
        return;
    sp_media(c, "mix.set", json_pack("{s:i, s:b}", "endpoint_id", c->ea.id, "muted", 0),
             s_on_mix_step);
    sp_media(c, "mix.set", json_pack("{s:i, s:b}", "endpoint_id", c->mon.ep_other, "hears_all", 1),
             s_on_mix_step);
    cc_info("call.monitor_takeover", "agent=%s target=%s", c->mon.agent, t->id);
    s_audit(c, "monitor.takeover", "ok");
    s_publish(c, "takeover");
    t->tw.mix_id = c->mon.mix_id; /* deleted when t ends (sp_threeway_call_ending) */
    c->mon.mix_id = 0;
    c->mon.mode = 0; /* no longer a monitor: its end must not touch t */
    if (t->monitored_by > 0)
        t->monitored_by--;
    char why[128];
    snprintf(why, sizeof why, "the supervisor took over call %.47s", t->id);
    sp_transfer_move_leg(t, c, &c->a, 0, SP_END_CONTROLLER_HANGUP, why);
}

void sp_monitor_media_event(sp_call_t *c, const char *type, json_t *body)
{
    if (strcmp(type, "media.dtmf") != 0 || c->state != SP_CALL_ANSWERED || c->mon.mix_id <= 0 ||
        json_integer_value(json_object_get(body, "endpoint_id")) != c->ea.id)
        return;
    const char *digit = json_string_value(json_object_get(body, "digit"));
    if (digit && strcmp(digit, "7") == 0) {
        s_take_over(c);
        return;
    }
    int mode = !digit                    ? 0
               : strcmp(digit, "4") == 0 ? SP_MONITOR_LISTEN
               : strcmp(digit, "5") == 0 ? SP_MONITOR_WHISPER
               : strcmp(digit, "6") == 0 ? SP_MONITOR_BARGE
                                         : 0;
    if (!mode || mode == c->mon.mode)
        return;
    c->mon.mode = mode;
    cc_info("call.monitor_mode", "agent=%s mode=%s", c->mon.agent, s_mode_name(mode));
    s_apply_mode(c);
    s_audit(c, "monitor.mode", "ok");
    s_publish(c, "mode");
}

static void s_end_supervisor(sp_call_t *c, void *arg)
{
    const char *target = arg;
    if (c->mon.mode && strcmp(c->mon.target, target) == 0 && c->state < SP_CALL_ENDING) {
        snprintf(c->reason, sizeof c->reason, "%s", "the monitored call ended");
        sp_call_end(c, SP_END_CONTROLLER_HANGUP, 0);
    }
}

void sp_monitor_call_ending(sp_call_t *c)
{
    if (c->monitored_by > 0) {
        c->monitored_by = 0;
        char id[sizeof c->id];
        snprintf(id, sizeof id, "%s", c->id);
        sp_b2bua_foreach(c->proxy, s_end_supervisor, id);
        cc_log_set_call(id);
    }
    if (!c->mon.mode || !c->mon.target[0])
        return;
    sp_call_t *target = sp_call_find(c->proxy, c->mon.target);
    if (target && target->monitored_by > 0)
        target->monitored_by--;
    if (c->mon.mix_id > 0) { /* the call relays as before: not owned by c, which goes */
        cc_bus_request(c->proxy->bus, &c->proxy->mediad_owner, "mediad", "mix.delete",
                       json_pack("{s:i}", "mix_id", c->mon.mix_id), c->proxy->set.media_timeout_ms,
                       NULL, NULL);
        cc_info("call.monitor_stopped", "agent=%s mode=%s", c->mon.agent, s_mode_name(c->mon.mode));
        s_publish(c, "stopped");
        c->mon.mix_id = 0;
    }
}

void sp_monitor_media_restored(sp_call_t *c)
{
    if (!c->mon.mode || c->state >= SP_CALL_ENDING)
        return;
    /* the mix died with the old mediad: the session ends, the supervisor dials again */
    c->mon.mix_id = 0;
    snprintf(c->reason, sizeof c->reason, "%s", "media server restarted: monitoring ended");
    sp_call_end(c, SP_END_CONTROLLER_HANGUP, 0);
}
