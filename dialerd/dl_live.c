/* dl_live.c - live dialling (see dl_live.h). Owns the campaigns in memory (rules, pacing
 * state, do-not-call numbers, counts of lines ringing and customers waiting) and one
 * attempt object per call placed, which owns its bus requests and its no-agent timer; the
 * attempt ends on call.ended, where its outcome is written and its lead rescheduled. A
 * preview attempt (an agent's Dial) rings the agent's phone first and calls the customer
 * into that call once it answers; it never goes through a queue. */
#include "dl_live.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "cc_map.h"
#include "dl_amd.h"
#include "dl_pace.h"
#include "dl_pick.h"
#include "dl_preview.h"
#include "dl_recover.h"
#include "ivr_tz.h"

#define S_MAX_PICK 50           /* lines placed in one tick at most */
#define S_NO_AGENT_MS 2000      /* an answered customer with no agent by then is abandoned */
#define S_MESSAGE_MAX_MS 20000  /* the abandon message ends the call by then at the latest */
#define S_EARLY 256             /* ends of calls not (yet) known, remembered */
#define S_AMD_MAX_MS 4000       /* mediad decides by then (its default deadline) */
#define S_AMD_GRACE_MS 2000     /* no verdict this long after it: the call goes to the queue */
#define S_HOLD_REASON "preview" /* acdd's hold on an agent dialling a preview lead */

typedef struct {
    char name[64], queue[64], caller[24], zone[64], mode_name[16], abandon_prompt[104];
    char amd_prompt[104];
    char trunk[64]; /* the campaign's trunk for customers' numbers; "" = the dialplan's */
    bool amd;       /* detect answering machines before the queue */
    dl_amd_machine_t amd_machine;
    dl_mode_t mode;
    int ring_s;
    bool running;
    ivr_schedule_t *hours;
    dl_rules_t rules;
    dl_pace_t *pace;
    cc_map_t *dnc;                 /* number -> (void *)1 */
    int ready, staffed;            /* acdd's figures for the queue, last tick */
    int ringing, waiting, talking; /* this campaign's attempts by phase */
} s_campaign_t;

typedef enum {
    S_AGENT, /* preview: the agent's phone rings; the customer is not called yet */
    S_RINGING,
    S_WAITING,
    S_TALKING
} s_phase_t;

typedef struct {
    dl_live_t *live;
    s_campaign_t *c; /* campaigns are kept until dialerd stops, so this stays valid */
    cc_bus_owner_t owner;
    int64_t attempt_id, lead_id, connect_id;
    dl_lead_t lead; /* for dl_after_attempt: attempts, due, abandoned */
    char number[24], call_id[64], agent[32], outcome[16];
    json_t *variables; /* the screen pop: campaign, lead, name and the list's extra fields */
    int64_t dial_ms, answer_ms, agent_ms;
    json_int_t endpoint_id; /* the customer's mediad endpoint, once answered */
    json_int_t play_id;     /* the abandon message's play, once mediad said its id */
    s_phase_t phase;
    bool offered, abandon_counted;
    bool messaging;         /* a message plays, then the call ends (abandoned, or a machine) */
    const char *end_reason; /* the hang-up's reason after the message */
    const char *prompt;     /* the message playing (the campaign's, which outlives it) */
    bool detecting;         /* answering-machine detection asked, no verdict yet */
    int no_agent_timer, message_timer, amd_timer;
    /* preview: the agent's extension (its phone is the first leg), the customer's leg */
    bool preview;
    bool held; /* acdd was asked to hold the agent: released when the attempt ends */
    char ext[16], customer_result[16], lead_name[64];
} s_attempt_t;

struct dl_live {
    cc_daemon_t *d;
    dl_db_t *db;
    dl_live_cfg_t cfg;
    cc_map_t *campaigns; /* name -> s_campaign_t */
    cc_map_t *calls;     /* call id -> s_attempt_t (after call.originate replied) */
    cc_map_t *attempts;  /* attempt id -> s_attempt_t: every attempt alive, the owner */
    cc_bus_owner_t owner;
    /* A busy line can end before call.originate's reply reaches us (the reply and the
     * events travel on different sockets): the ends of unknown calls are kept a while, and
     * an attempt whose reply names one of them ends at once. */
    struct {
        char call_id[64], outcome[16], result[16];
        int64_t connect_id; /* of the first result (preview: the agent's leg) */
        bool ended;
    } early[S_EARLY];
    unsigned early_next;
    int tick_timer;
    bool list_pending;
    long dialled, answered, abandoned, machines;
};

static int64_t s_now_ms(void)
{
    return (int64_t)(cc_wall_us() / 1000);
}

static bool s_is_dnc(const char *number, void *arg)
{
    return cc_map_has(arg, number);
}

/* ---- campaigns ---------------------------------------------------------------------- */

static void s_campaign_free(void *p)
{
    s_campaign_t *c = p;
    ivr_schedule_destroy(&c->hours);
    dl_pace_destroy(&c->pace);
    cc_map_destroy(&c->dnc);
    free(c);
}

static void s_campaign_rules(dl_live_t *self, s_campaign_t *c, PGresult *row, int r)
{
    snprintf(c->mode_name, sizeof c->mode_name, "%s", PQgetvalue(row, r, 1));
    c->mode = (dl_mode_t)dl_mode_parse(c->mode_name);
    snprintf(c->queue, sizeof c->queue, "%s", PQgetvalue(row, r, 2));
    snprintf(c->caller, sizeof c->caller, "%s", PQgetvalue(row, r, 3));
    snprintf(c->zone, sizeof c->zone, "%s", PQgetvalue(row, r, 5));
    c->ring_s = atoi(PQgetvalue(row, r, 8));
    snprintf(c->abandon_prompt, sizeof c->abandon_prompt, "%s", PQgetvalue(row, r, 11));
    c->amd = !strcmp(PQgetvalue(row, r, 12), "t");
    int policy = dl_amd_machine_parse(PQgetvalue(row, r, 13));
    c->amd_machine = policy < 0 ? DL_AMD_HANGUP : (dl_amd_machine_t)policy;
    snprintf(c->amd_prompt, sizeof c->amd_prompt, "%s", PQgetvalue(row, r, 14));
    snprintf(c->trunk, sizeof c->trunk, "%s", PQgetvalue(row, r, 15));
    if (c->ring_s < self->cfg.min_ring_s)
        c->ring_s = self->cfg.min_ring_s;
    ivr_schedule_destroy(&c->hours);
    c->hours = ivr_schedule_new(c->zone);
    char hours[1024], err[160];
    snprintf(hours, sizeof hours, "%s", PQgetvalue(row, r, 4));
    for (char *save = NULL, *rule = strtok_r(hours, ";", &save); rule && c->hours;
         rule = strtok_r(NULL, ";", &save))
        if (ivr_schedule_add_hours(c->hours, rule, err, sizeof err) != 0)
            cc_warn("dialer.bad_hours", "campaign=%s rule=%s err=%s", c->name, cc_logq(rule),
                    cc_logq(err));
    memset(&c->rules, 0, sizeof c->rules);
    c->rules.hours = c->hours;
    c->rules.zone = c->zone;
    c->rules.zone_from_lead = !strcmp(PQgetvalue(row, r, 6), "lead");
    c->rules.max_attempts = atoi(PQgetvalue(row, r, 9));
    c->rules.agent_guaranteed = c->mode == DL_MODE_PREVIEW;
    PGresult *rt = dl_db_retries(self->db, c->name);
    for (int i = 0; rt && i < PQntuples(rt); i++) {
        int o = dl_outcome_parse(PQgetvalue(rt, i, 0));
        if (o >= 0)
            c->rules.retry[o] =
                (dl_retry_t){true, atoi(PQgetvalue(rt, i, 1)), atoi(PQgetvalue(rt, i, 2))};
    }
    PQclear(rt);
    cc_map_clear(c->dnc);
    PGresult *dn = dl_db_dnc(self->db, c->name);
    for (int i = 0; dn && i < PQntuples(dn); i++)
        cc_map_put(c->dnc, PQgetvalue(dn, i, 0), (void *)1);
    PQclear(dn);
    dl_pace_cfg_t pc = {.mode = c->mode,
                        .cap = atof(PQgetvalue(row, r, 7)) / 100.0,
                        .max_ratio = atof(PQgetvalue(row, r, 10)),
                        .window_s = self->cfg.window_s};
    if (c->pace)
        dl_pace_configure(c->pace, &pc);
    else
        c->pace = dl_pace_new(&pc);
}

void dl_live_reload(dl_live_t *self)
{
    PGresult *res = dl_db_running(self->db);
    if (!res) {
        cc_warn("dialer.reload_failed", "err=%s", cc_logq(dl_db_error(self->db)));
        return;
    }
    cc_map_iter_t it = cc_map_iter(self->campaigns);
    for (cc_map_entry_t *e = cc_map_next(&it); e; e = cc_map_next(&it))
        ((s_campaign_t *)cc_map_value(e))->running = false;
    for (int r = 0; r < PQntuples(res); r++) {
        const char *name = PQgetvalue(res, r, 0);
        s_campaign_t *c = cc_map_get(self->campaigns, name);
        if (!c) {
            c = calloc(1, sizeof *c);
            if (!c || !(c->dnc = cc_map_new(NULL))) {
                free(c);
                continue;
            }
            snprintf(c->name, sizeof c->name, "%s", name);
            cc_map_insert(self->campaigns, c->name, c);
            cc_info("dialer.campaign_running", "campaign=%s mode=%s", name, PQgetvalue(res, r, 1));
        }
        c->running = true;
        s_campaign_rules(self, c, res, r);
    }
    PQclear(res);
}

/* ---- attempts a previous run left in progress ------------------------------------------ */

/* The rules of campaign `name` whatever its state: the running campaign's, else read into
 * `loaded` (name -> s_campaign_t, freed by the caller). NULL for an unknown campaign. */
static const dl_rules_t *s_any_rules(dl_live_t *self, cc_map_t *loaded, const char *name)
{
    s_campaign_t *c = cc_map_get(self->campaigns, name);
    if (c && c->running)
        return &c->rules;
    if ((c = cc_map_get(loaded, name)))
        return &c->rules;
    PGresult *res = dl_db_campaign(self->db, name);
    if (!res || PQntuples(res) != 1 || !(c = calloc(1, sizeof *c)) ||
        !(c->dnc = cc_map_new(NULL))) {
        free(c);
        PQclear(res);
        return NULL;
    }
    snprintf(c->name, sizeof c->name, "%s", name);
    s_campaign_rules(self, c, res, 0);
    PQclear(res);
    if (cc_map_insert(loaded, c->name, c) != 0) {
        s_campaign_free(c);
        return NULL;
    }
    return &c->rules;
}

int dl_live_recover(dl_live_t *self)
{
    PGresult *res = dl_db_unfinished(self->db);
    cc_map_t *loaded = cc_map_new(s_campaign_free);
    if (!res || !loaded) {
        cc_warn("dialer.recover_failed", "err=%s", cc_logq(dl_db_error(self->db)));
        PQclear(res);
        cc_map_destroy(&loaded);
        return -1;
    }
    int64_t now = s_now_ms();
    for (int r = 0; r < PQntuples(res); r++) {
        dl_lead_t lead = dl_db_lead_at(res, r);
        int64_t attempt = strtoll(PQgetvalue(res, r, 6), NULL, 10);
        const char *campaign = PQgetvalue(res, r, 7);
        dl_unfinished_t u = {.answered = !strcmp(PQgetvalue(res, r, 8), "t"),
                             .agent = !strcmp(PQgetvalue(res, r, 9), "t")};
        dl_db_attempt_end(self->db, attempt, dl_outcome_name(DL_OUT_INTERRUPTED), -1);
        if (strcmp(PQgetvalue(res, r, 10), "dialling") != 0) {
            /* an operator has set the lead since: theirs to keep */
            cc_info("dialer.attempt_recovered",
                    "campaign=%s lead=%" PRId64 " attempt=%" PRId64 " lead_state=%s", campaign,
                    lead.id, attempt, PQgetvalue(res, r, 10));
            continue;
        }
        const dl_rules_t *rules = s_any_rules(self, loaded, campaign);
        dl_rules_t none = {0};
        const char *state = dl_recover_lead(rules ? rules : &none, &lead, &u, now);
        dl_db_lead_after(self->db, lead.id, state, !strcmp(state, "ready") ? lead.due_ms : 0,
                         dl_recover_fate(&u) == DL_OUT_ABANDONED ? now : 0,
                         dl_outcome_name(DL_OUT_INTERRUPTED));
        cc_info("dialer.attempt_recovered",
                "campaign=%s lead=%" PRId64 " attempt=%" PRId64 " answered=%d agent=%d "
                "lead_state=%s",
                campaign, lead.id, attempt, u.answered, u.agent, state);
    }
    PQclear(res);
    cc_map_destroy(&loaded);
    /* agents held for preview dials of that run: no dial of this run is in progress yet */
    cc_bus_request(self->d->bus, &self->owner, "acdd", "agent.unhold",
                   json_pack("{s:s}", "reason", S_HOLD_REASON), 3000, NULL, NULL);
    return 0;
}

/* ---- an attempt's end ---------------------------------------------------------------------- */

static dl_outcome_t s_outcome_of(const s_attempt_t *a)
{
    if (a->outcome[0])
        return (dl_outcome_t)dl_outcome_parse(a->outcome);
    if (a->agent_ms)
        return DL_OUT_ANSWERED;
    if (a->answer_ms)
        return DL_OUT_ABANDONED;
    return DL_OUT_FAILED;
}

static void s_attempt_free(s_attempt_t *a)
{
    dl_live_t *self = a->live;
    cc_bus_owner_cancel(self->d->bus, &a->owner);
    if (a->no_agent_timer > 0)
        cc_loop_timer_cancel(self->d->loop, a->no_agent_timer);
    if (a->message_timer > 0)
        cc_loop_timer_cancel(self->d->loop, a->message_timer);
    if (a->amd_timer > 0)
        cc_loop_timer_cancel(self->d->loop, a->amd_timer);
    if (a->call_id[0] && cc_map_get(self->calls, a->call_id) == a)
        cc_map_delete(self->calls, a->call_id);
    char key[24];
    snprintf(key, sizeof key, "%" PRId64, a->attempt_id);
    if (cc_map_get(self->attempts, key) == a)
        cc_map_delete(self->attempts, key);
    json_decref(a->variables);
    free(a);
}

/* The preview dial is over: acdd may offer the agent queue calls again, unless another
 * preview dial of the same agent is still in progress. The request is the live object's,
 * as the attempt is freed at once. */
static void s_release_agent(dl_live_t *self, const s_attempt_t *a)
{
    cc_map_iter_t it = cc_map_iter(self->attempts);
    for (cc_map_entry_t *e = cc_map_next(&it); e; e = cc_map_next(&it)) {
        const s_attempt_t *other = cc_map_value(e);
        if (other != a && other->held && !strcmp(other->ext, a->ext))
            return;
    }
    cc_bus_request(self->d->bus, &self->owner, "acdd", "agent.unhold",
                   json_pack("{s:s}", "ext", a->ext), 2000, NULL, NULL);
}

static void s_attempt_end(s_attempt_t *a)
{
    dl_live_t *self = a->live;
    s_campaign_t *c = a->c;
    int64_t now = s_now_ms();
    dl_outcome_t o = s_outcome_of(a);
    if (a->preview)
        o = dl_preview_outcome(a->phase == S_AGENT     ? DL_PV_AGENT
                               : a->phase == S_RINGING ? DL_PV_CUSTOMER
                                                       : DL_PV_TALKING,
                               a->customer_result[0] ? a->customer_result : NULL);
    if (a->phase == S_AGENT) {
        /* the agent's phone never answered: nothing to count */
    } else if (a->phase == S_RINGING) {
        c->ringing--;
        dl_pace_unanswered(c->pace, now);
    } else if (a->phase == S_WAITING) {
        c->waiting--;
    } else {
        c->talking--;
        dl_pace_handled(c->pace, now, now - a->agent_ms);
    }
    if (o == DL_OUT_ABANDONED && !a->abandon_counted) {
        dl_pace_abandoned(c->pace, now);
        self->abandoned++;
    }
    dl_db_attempt_end(self->db, a->attempt_id, dl_outcome_name(o),
                      a->agent_ms ? now - a->agent_ms : -1);
    const char *state = dl_after_attempt(&c->rules, &a->lead, o, now);
    if (o == DL_OUT_SKIPPED) /* the customer was never called: not an attempt */
        dl_db_lead_uncount(self->db, a->lead_id);
    dl_db_lead_after(self->db, a->lead_id, state, !strcmp(state, "ready") ? a->lead.due_ms : 0,
                     o == DL_OUT_ABANDONED ? now : 0, dl_outcome_name(o));
    cc_info("dialer.attempt_ended", "campaign=%s lead=%" PRId64 " outcome=%s lead_state=%s",
            c->name, a->lead_id, dl_outcome_name(o), state);
    if (a->held)
        s_release_agent(self, a);
    s_attempt_free(a);
}

/* ---- answered: to the queue, or abandoned ------------------------------------------------ */

static void s_hangup(s_attempt_t *a, const char *reason)
{
    cc_bus_request(a->live->d->bus, &a->owner, "sipproxy", "call.hangup",
                   json_pack("{s:s, s:s}", "call_id", a->call_id, "reason", reason), 3000, NULL,
                   NULL);
}

/* The message was played (or could not be, or took too long): end the call, unless an
 * agent took it meanwhile. */
static void s_message_over(s_attempt_t *a)
{
    if (a->message_timer > 0)
        cc_loop_timer_cancel(a->live->d->loop, a->message_timer);
    a->message_timer = 0;
    if (a->messaging && !a->agent_ms) {
        a->messaging = false;
        s_hangup(a, a->end_reason);
    }
}

static void s_on_message_timeout(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_attempt_t *a = arg;
    a->message_timer = 0;
    s_message_over(a);
}

static void s_on_play_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_attempt_t *a = arg;
    if (status == 0)
        a->play_id = json_integer_value(json_object_get(result, "play_id"));
    if (status != 0) { /* no such prompt, mediad away: end the call without it */
        cc_warn("dialer.message_failed", "campaign=%s prompt=%s", a->c->name, cc_logq(a->prompt));
        s_message_over(a);
    }
}

/* Play `prompt` to the customer, then end the call with `reason` (20 s at most). */
static void s_message_then_end(s_attempt_t *a, const char *prompt, const char *reason)
{
    a->messaging = true;
    a->prompt = prompt;
    a->end_reason = reason;
    a->message_timer =
        cc_loop_timer_add(a->live->d->loop, S_MESSAGE_MAX_MS, 0, s_on_message_timeout, a);
    if (a->endpoint_id > 0)
        cc_bus_request(a->live->d->bus, &a->owner, "mediad", "play.start",
                       json_pack("{s:I, s:[s]}", "endpoint_id", a->endpoint_id, "prompts", prompt),
                       3000, s_on_play_reply, a);
    else
        s_message_over(a);
}

/* 2 s after the answer: an agent taken or ringing, or the customer is abandoned. An
 * abandoned customer hears the campaign's message (naming who called), then the call
 * ends; should an agent take the call meanwhile it goes on (still counted abandoned). */
static void s_on_no_agent(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_attempt_t *a = arg;
    a->no_agent_timer = 0;
    if (a->agent_ms || a->offered) /* an agent's phone rings: let it be answered */
        return;
    a->abandon_counted = true;
    a->live->abandoned++;
    dl_pace_abandoned(a->c->pace, s_now_ms());
    snprintf(a->outcome, sizeof a->outcome, "abandoned");
    cc_info("dialer.abandoned", "campaign=%s lead=%" PRId64 " prompt=%s", a->c->name, a->lead_id,
            cc_logq(a->c->abandon_prompt));
    s_message_then_end(a, a->c->abandon_prompt, "dialer: no agent within 2 s");
}

static void s_on_queue_enter_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    (void)result;
    s_attempt_t *a = arg;
    if (status != 0) {
        cc_warn("dialer.queue_enter_failed", "campaign=%s queue=%s", a->c->name, a->c->queue);
        s_hangup(a, "dialer: queue refused the call");
    }
}

/* To the campaign's queue; 2 s from now without an agent it is abandoned. */
static void s_to_queue(s_attempt_t *a)
{
    dl_live_t *self = a->live;
    json_t *args = json_pack("{s:s, s:s, s:s, s:b}", "call_id", a->call_id, "queue", a->c->queue,
                             "caller", a->number, "answered", 1);
    if (a->endpoint_id > 0)
        json_object_set_new(args, "endpoint_id", json_integer(a->endpoint_id));
    if (a->variables)
        json_object_set(args, "variables", a->variables);
    cc_bus_request(self->d->bus, &a->owner, "acdd", "queue.enter", args, 3000,
                   s_on_queue_enter_reply, a);
    a->no_agent_timer = cc_loop_timer_add(self->d->loop, S_NO_AGENT_MS, 0, s_on_no_agent, a);
}

/* The detector's verdict (or none: result NULL) decides the answered call's way. */
static void s_amd_verdict(s_attempt_t *a, const char *result, const char *reason, int64_t ms)
{
    if (!a->detecting)
        return;
    a->detecting = false;
    if (a->amd_timer > 0)
        cc_loop_timer_cancel(a->live->d->loop, a->amd_timer);
    a->amd_timer = 0;
    if (result)
        dl_db_attempt_amd(a->live->db, a->attempt_id, result, reason, ms);
    dl_amd_action_t act = dl_amd_action(result, a->c->amd_machine);
    cc_info("dialer.amd",
            "campaign=%s lead=%" PRId64 " result=%s reason=%s decision_ms=%" PRId64 " action=%s",
            a->c->name, a->lead_id, result ? result : "none", reason ? reason : "no_verdict", ms,
            act == DL_AMD_TO_QUEUE ? "queue"
            : act == DL_AMD_END    ? "hangup"
                                   : "message");
    if (act == DL_AMD_TO_QUEUE) {
        s_to_queue(a);
        return;
    }
    a->live->machines++;
    snprintf(a->outcome, sizeof a->outcome, "machine");
    if (act == DL_AMD_END)
        s_hangup(a, "dialer: answering machine");
    else
        s_message_then_end(a, a->c->amd_prompt, "dialer: answering machine, message left");
}

static void s_on_amd_timeout(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_attempt_t *a = arg;
    a->amd_timer = 0;
    cc_warn("dialer.amd_no_verdict", "campaign=%s lead=%" PRId64, a->c->name, a->lead_id);
    s_amd_verdict(a, NULL, NULL, s_now_ms() - a->answer_ms);
}

static void s_on_amd_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    (void)result;
    s_attempt_t *a = arg;
    if (status != 0) { /* mediad away or the endpoint gone: no verdict, an agent takes it */
        cc_warn("dialer.amd_failed", "campaign=%s lead=%" PRId64, a->c->name, a->lead_id);
        s_amd_verdict(a, NULL, NULL, s_now_ms() - a->answer_ms);
    }
}

static void s_answered(dl_live_t *self, s_attempt_t *a, const cc_bus_event_t *ev)
{
    if (a->phase != S_RINGING)
        return;
    int64_t now = s_now_ms();
    a->answer_ms = now;
    a->phase = S_WAITING;
    a->c->ringing--;
    a->c->waiting++;
    self->answered++;
    dl_pace_answered(a->c->pace, now, now - a->dial_ms);
    dl_db_attempt_mark(self->db, a->attempt_id, "answered_at", NULL);
    a->endpoint_id = json_integer_value(json_object_get(ev->body, "caller_endpoint"));
    if (!a->c->amd || a->endpoint_id <= 0) {
        s_to_queue(a);
        return;
    }
    /* a person's greeting first: the agent is taken only for a person (or in doubt) */
    a->detecting = true;
    a->amd_timer =
        cc_loop_timer_add(self->d->loop, S_AMD_MAX_MS + S_AMD_GRACE_MS, 0, s_on_amd_timeout, a);
    cc_bus_request(
        self->d->bus, &a->owner, "mediad", "endpoint.amd_start",
        json_pack("{s:I, s:i}", "endpoint_id", (json_int_t)a->endpoint_id, "max_ms", S_AMD_MAX_MS),
        3000, s_on_amd_reply, a);
}

/* ---- events ---------------------------------------------------------------------------- */

static const char *s_result_outcome(const char *result)
{
    return dl_outcome_name(dl_outcome_of_result(result));
}

/* An event of a call we do not know (yet): remember its result and whether it ended. */
static void s_early_event(dl_live_t *self, const cc_bus_event_t *ev)
{
    bool ended = !strcmp(ev->type, "call.ended");
    const char *result = json_string_value(json_object_get(ev->body, "result"));
    if (!ev->call_id || (!ended && !(result && !strcmp(ev->type, "call.connect_result"))))
        return;
    unsigned k = S_EARLY;
    for (unsigned i = 0; i < S_EARLY && k == S_EARLY; i++)
        if (!strcmp(self->early[i].call_id, ev->call_id))
            k = i;
    if (k == S_EARLY) {
        k = self->early_next++ % S_EARLY;
        memset(&self->early[k], 0, sizeof self->early[k]);
        snprintf(self->early[k].call_id, sizeof self->early[k].call_id, "%s", ev->call_id);
    }
    if (!ended && !self->early[k].result[0]) {
        snprintf(self->early[k].result, sizeof self->early[k].result, "%s", result);
        self->early[k].connect_id = json_integer_value(json_object_get(ev->body, "connect_id"));
    }
    if (ended)
        self->early[k].ended = true;
    else if (strcmp(result, "answered") != 0)
        snprintf(self->early[k].outcome, sizeof self->early[k].outcome, "%s",
                 s_result_outcome(result));
}

/* ---- preview: the agent's phone first, then the customer ------------------------------- */

static void s_on_connect_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    (void)result;
    s_attempt_t *a = arg;
    if (status != 0 && a->phase == S_RINGING) {
        cc_warn("dialer.connect_failed", "call=%s campaign=%s lead=%" PRId64, a->call_id,
                a->c->name, a->lead_id);
        snprintf(a->customer_result, sizeof a->customer_result, "failed");
        s_hangup(a, "dialer: the customer could not be called");
    }
}

/* The agent answered: now the customer is called, into the agent's call. */
static void s_preview_call_customer(s_attempt_t *a)
{
    dl_live_t *self = a->live;
    a->phase = S_RINGING;
    a->dial_ms = s_now_ms();
    a->c->ringing++;
    self->dialled++;
    dl_pace_dialled(a->c->pace, a->dial_ms);
    char target[40];
    snprintf(target, sizeof target, "number:%s", a->number);
    cc_info("dialer.preview_customer", "call=%s campaign=%s lead=%" PRId64 " agent=%s", a->call_id,
            a->c->name, a->lead_id, a->ext);
    json_t *args = json_pack("{s:s, s:[s], s:i}", "call_id", a->call_id, "targets", target,
                             "timeout_s", a->c->ring_s);
    if (a->c->trunk[0])
        json_object_set_new(args, "trunk", json_string(a->c->trunk));
    if (!cc_bus_request(self->d->bus, &a->owner, "sipproxy", "call.connect", args, 3000,
                        s_on_connect_reply, a))
        s_on_connect_reply(self->d->bus, -1, NULL, a);
}

/* A leg's result: the agent's (the first, connect_id of the originate) or the customer's
 * (any other, as its call.connect reply may come after the result). */
static void s_preview_result(s_attempt_t *a, int64_t connect_id, const char *result)
{
    if (!result)
        return;
    if (a->phase == S_AGENT && connect_id == a->connect_id) {
        if (!strcmp(result, "answered"))
            s_preview_call_customer(a);
        else /* the agent did not answer: the call's end says skipped */
            s_hangup(a, "dialer: the agent did not answer");
        return;
    }
    if (a->phase != S_RINGING || connect_id == a->connect_id)
        return;
    snprintf(a->customer_result, sizeof a->customer_result, "%s", result);
    if (strcmp(result, "answered") != 0) {
        s_hangup(a, "dialer: the customer did not answer");
        return;
    }
    dl_live_t *self = a->live;
    int64_t now = s_now_ms();
    a->answer_ms = a->agent_ms = now; /* the agent was on the line already */
    snprintf(a->agent, sizeof a->agent, "%s", a->ext);
    a->phase = S_TALKING;
    a->c->ringing--;
    a->c->talking++;
    self->answered++;
    dl_pace_answered(a->c->pace, now, now - a->dial_ms);
    dl_db_attempt_mark(self->db, a->attempt_id, "answered_at", NULL);
    dl_db_attempt_mark(self->db, a->attempt_id, "agent_at", a->agent);
}

static void s_preview_event(s_attempt_t *a, const cc_bus_event_t *ev)
{
    if (!strcmp(ev->type, "call.ended"))
        s_attempt_end(a);
    else if (!strcmp(ev->type, "call.connect_result"))
        s_preview_result(a, json_integer_value(json_object_get(ev->body, "connect_id")),
                         json_string_value(json_object_get(ev->body, "result")));
}

static void s_on_call_event(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    dl_live_t *self = arg;
    s_attempt_t *a = ev->call_id ? cc_map_get(self->calls, ev->call_id) : NULL;
    if (!a) {
        s_early_event(self, ev);
        return;
    }
    if (a->preview) {
        s_preview_event(a, ev);
        return;
    }
    if (!strcmp(ev->type, "call.answered")) {
        s_answered(self, a, ev);
    } else if (!strcmp(ev->type, "call.connect_result")) {
        const char *result = json_string_value(json_object_get(ev->body, "result"));
        json_int_t id = json_integer_value(json_object_get(ev->body, "connect_id"));
        if (result && id == a->connect_id && a->phase == S_RINGING && strcmp(result, "answered"))
            snprintf(a->outcome, sizeof a->outcome, "%s", s_result_outcome(result));
    } else if (!strcmp(ev->type, "call.ended")) {
        s_attempt_end(a);
    }
}

static void s_on_queue_event(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    dl_live_t *self = arg;
    s_attempt_t *a = ev->call_id ? cc_map_get(self->calls, ev->call_id) : NULL;
    if (!a)
        return;
    if (!strcmp(ev->type, "queue.offered")) {
        a->offered = true;
    } else if (!strcmp(ev->type, "queue.offer_failed")) {
        a->offered = false;
    } else if (!strcmp(ev->type, "queue.answered") && a->phase == S_WAITING) {
        const char *agent = json_string_value(json_object_get(ev->body, "agent"));
        a->agent_ms = s_now_ms();
        snprintf(a->agent, sizeof a->agent, "%s", agent ? agent : "");
        a->phase = S_TALKING;
        a->messaging = false; /* taken during the message: the call goes on */
        a->outcome[0] = '\0';
        a->c->waiting--;
        a->c->talking++;
        dl_db_attempt_mark(self->db, a->attempt_id, "agent_at", a->agent);
    }
}

static void s_on_media_event(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    dl_live_t *self = arg;
    json_int_t ep = json_integer_value(json_object_get(ev->body, "endpoint_id"));
    json_int_t play = json_integer_value(json_object_get(ev->body, "play_id"));
    cc_map_iter_t it = cc_map_iter(self->attempts); /* few attempts abandon: a scan will do */
    for (cc_map_entry_t *e = cc_map_next(&it); e; e = cc_map_next(&it)) {
        s_attempt_t *a = cc_map_value(e);
        /* only our message's end: starting it stopped acdd's hold music on the same
         * endpoint, whose play_done (stopped) comes first */
        if (a->messaging && a->endpoint_id == ep && a->play_id && a->play_id == play) {
            s_message_over(a);
            return;
        }
    }
}

static void s_on_amd_event(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    dl_live_t *self = arg;
    s_attempt_t *a = ev->call_id ? cc_map_get(self->calls, ev->call_id) : NULL;
    json_int_t ep = json_integer_value(json_object_get(ev->body, "endpoint_id"));
    if (!a || !a->detecting || ep != a->endpoint_id)
        return;
    s_amd_verdict(a, json_string_value(json_object_get(ev->body, "result")),
                  json_string_value(json_object_get(ev->body, "reason")),
                  json_integer_value(json_object_get(ev->body, "decision_ms")));
}

/* ---- dialling ---------------------------------------------------------------------------- */

static void s_on_originate_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_attempt_t *a = arg;
    const char *call_id =
        status == 0 ? json_string_value(json_object_get(result, "call_id")) : NULL;
    if (!call_id) {
        cc_warn("dialer.originate_failed", "campaign=%s lead=%" PRId64, a->c->name, a->lead_id);
        snprintf(a->outcome, sizeof a->outcome, "failed");
        s_attempt_end(a);
        return;
    }
    snprintf(a->call_id, sizeof a->call_id, "%s", call_id);
    a->connect_id = json_integer_value(json_object_get(result, "connect_id"));
    cc_map_insert(a->live->calls, a->call_id, a);
    dl_db_attempt_call(a->live->db, a->attempt_id, a->call_id);
    dl_live_t *self = a->live;
    for (unsigned i = 0; i < S_EARLY; i++) /* did it end before this reply came? */
        if (!strcmp(self->early[i].call_id, call_id)) {
            if (self->early[i].outcome[0] && !a->preview)
                snprintf(a->outcome, sizeof a->outcome, "%s", self->early[i].outcome);
            bool ended = self->early[i].ended;
            char result[16];
            snprintf(result, sizeof result, "%s", self->early[i].result);
            self->early[i].call_id[0] = '\0';
            if (a->preview && result[0])
                s_preview_result(a, self->early[i].connect_id, result);
            if (ended)
                s_attempt_end(a);
            return;
        }
}

/* What the agent sees: the list's extra fields (as text), the lead's name as
 * customer_name (the name acdd shows on the agent's phone), the campaign and the lead. */
static json_t *s_screen_pop(const s_campaign_t *c, int64_t lead_id, const char *name,
                            const char *fields)
{
    json_t *vars = json_loads(fields, 0, NULL);
    if (!json_is_object(vars)) {
        json_decref(vars);
        vars = json_object();
    }
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, lead_id);
    json_object_set_new(vars, "campaign", json_string(c->name));
    json_object_set_new(vars, "lead_id", json_string(id));
    if (name && *name)
        json_object_set_new(vars, "customer_name", json_string(name));
    return vars;
}

/* A new attempt on the lead (state dialling, a row in dialer_attempts), owned by
 * self->attempts; NULL when the lead is no longer ready or on failure. */
static s_attempt_t *s_attempt_new(dl_live_t *self, s_campaign_t *c, const dl_lead_t *lead,
                                  const char *name, const char *fields)
{
    s_attempt_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->variables = s_screen_pop(c, lead->id, name, fields);
    a->live = self;
    a->c = c;
    a->lead = *lead;
    a->lead.attempts++;
    a->lead.number = NULL; /* the copies below outlive the query's result */
    a->lead.zone = NULL;
    a->lead_id = lead->id;
    snprintf(a->number, sizeof a->number, "%s", lead->number);
    a->attempt_id =
        dl_db_attempt_start(self->db, c->name, lead->id, a->number, a->lead.attempts, c->mode_name);
    if (a->attempt_id <= 0) {
        json_decref(a->variables);
        free(a);
        return NULL;
    }
    char key[24];
    snprintf(key, sizeof key, "%" PRId64, a->attempt_id);
    if (cc_map_insert(self->attempts, key, a) != 0) {
        json_decref(a->variables);
        free(a);
        return NULL; /* out of memory: the lead stays 'dialling' until an operator looks */
    }
    return a;
}

static void s_dial(dl_live_t *self, s_campaign_t *c, const dl_lead_t *lead, const char *name,
                   const char *fields)
{
    s_attempt_t *a = s_attempt_new(self, c, lead, name, fields);
    if (!a)
        return;
    a->dial_ms = s_now_ms();
    a->phase = S_RINGING;
    c->ringing++;
    self->dialled++;
    dl_pace_dialled(c->pace, a->dial_ms);
    char target[40];
    snprintf(target, sizeof target, "number:%s", a->number);
    json_t *args =
        json_pack("{s:s, s:s, s:s, s:s, s:i}", "target", target, "caller", c->caller, "caller_name",
                  c->name, "controller", "dialerd", "timeout_s", c->ring_s);
    if (c->trunk[0]) /* the campaign's trunk, not the dialplan route of the number */
        json_object_set_new(args, "trunk", json_string(c->trunk));
    cc_info("dialer.dial", "campaign=%s lead=%" PRId64 " attempt=%d", c->name, lead->id,
            a->lead.attempts);
    if (!cc_bus_request(self->d->bus, &a->owner, "sipproxy", "call.originate", args, 5000,
                        s_on_originate_reply, a)) {
        snprintf(a->outcome, sizeof a->outcome, "failed");
        s_attempt_end(a);
    }
}

static void s_campaign_tick(dl_live_t *self, s_campaign_t *c)
{
    if (!c->running || !c->pace || c->mode == DL_MODE_PREVIEW)
        return;
    int busy = c->staffed - c->ready;
    dl_floor_t f = {.ready = c->ready,
                    .busy = busy > 0 ? busy : 0,
                    .ringing = c->ringing,
                    .waiting = c->waiting};
    int64_t now = s_now_ms();
    int n = dl_pace_lines(c->pace, &f, now, NULL);
    if (n <= 0)
        return;
    n = n > S_MAX_PICK ? S_MAX_PICK : n;
    PGresult *res = dl_db_ready_leads(self->db, c->name, n * 4 > 200 ? n * 4 : 200);
    if (!res)
        return;
    int rows = PQntuples(res);
    dl_lead_t *leads = calloc((size_t)(rows ? rows : 1), sizeof *leads);
    dl_verdict_t *verdicts = calloc((size_t)(rows ? rows : 1), sizeof *verdicts);
    size_t picked[S_MAX_PICK];
    for (int r = 0; leads && r < rows; r++)
        leads[r] = dl_db_lead_at(res, r);
    dl_world_t world = {.to_local = ivr_tz_to_local, .is_dnc = s_is_dnc, .dnc_arg = c->dnc};
    size_t got = leads && verdicts ? dl_pick(&c->rules, &world, leads, (size_t)rows, now, (size_t)n,
                                             picked, verdicts)
                                   : 0;
    for (int r = 0; leads && verdicts && r < rows; r++)
        if (verdicts[r] == DL_LEAD_DNC || verdicts[r] == DL_LEAD_EXHAUSTED) {
            const char *st = verdicts[r] == DL_LEAD_DNC ? "dnc" : "exhausted";
            dl_db_lead_state(self->db, leads[r].id, st);
            cc_info("dialer.lead_closed", "campaign=%s lead=%" PRId64 " state=%s", c->name,
                    leads[r].id, st);
        }
    for (size_t k = 0; k < got; k++)
        s_dial(self, c, &leads[picked[k]], PQgetvalue(res, (int)picked[k], 6),
               PQgetvalue(res, (int)picked[k], 7));
    free(leads);
    free(verdicts);
    PQclear(res);
}

static void s_on_queues(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    dl_live_t *self = arg;
    self->list_pending = false;
    if (status != 0)
        return; /* acdd down or slow: no agents known, nothing dialled this tick */
    json_t *queues = json_object_get(result, "queues"), *q;
    size_t i;
    cc_map_iter_t it = cc_map_iter(self->campaigns);
    for (cc_map_entry_t *e = cc_map_next(&it); e; e = cc_map_next(&it)) {
        s_campaign_t *c = cc_map_value(e);
        c->ready = c->staffed = 0;
        json_array_foreach(queues, i, q)
        {
            const char *qname = json_string_value(json_object_get(q, "name"));
            if (qname && !strcmp(qname, c->queue)) {
                c->ready = (int)json_integer_value(json_object_get(q, "ready"));
                c->staffed = (int)json_integer_value(json_object_get(q, "staffed"));
            }
        }
        s_campaign_tick(self, c);
    }
}

static void s_on_tick(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    dl_live_t *self = arg;
    bool any = false;
    cc_map_iter_t it = cc_map_iter(self->campaigns);
    for (cc_map_entry_t *e = cc_map_next(&it); e; e = cc_map_next(&it))
        any |= ((s_campaign_t *)cc_map_value(e))->running;
    if (!any || self->list_pending)
        return;
    if (cc_bus_request(self->d->bus, &self->owner, "acdd", "queue.list", NULL, 2000, s_on_queues,
                       self))
        self->list_pending = true;
}

/* The agent's phone is rung once acdd holds the agent (or could not say): no queue call is
 * offered to it on top of the dial. */
static void s_preview_originate(s_attempt_t *a)
{
    s_campaign_t *c = a->c;
    char target[40], shown[96];
    snprintf(target, sizeof target, "ext:%s", a->ext);
    snprintf(shown, sizeof shown, "Lead %s", a->lead_name[0] ? a->lead_name : a->number);
    json_t *args = json_pack("{s:s, s:s, s:s, s:s, s:i}", "target", target, "caller", c->caller,
                             "caller_name", shown, "controller", "dialerd", "timeout_s", 30);
    if (!cc_bus_request(a->live->d->bus, &a->owner, "sipproxy", "call.originate", args, 5000,
                        s_on_originate_reply, a)) {
        snprintf(a->outcome, sizeof a->outcome, "failed");
        s_attempt_end(a);
    }
}

static void s_on_hold_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    (void)result;
    s_attempt_t *a = arg;
    if (status != 0) /* acdd away: dial anyway, the agent chose to */
        cc_warn("dialer.hold_failed", "campaign=%s agent=%s", a->c->name, a->ext);
    s_preview_originate(a);
}

int64_t dl_live_preview_dial(dl_live_t *self, const char *campaign, const dl_lead_t *lead,
                             const char *name, const char *fields, const char *ext)
{
    s_campaign_t *c = cc_map_get(self->campaigns, campaign);
    if (!c || !c->running || c->mode != DL_MODE_PREVIEW)
        return -1;
    s_attempt_t *a = s_attempt_new(self, c, lead, name, fields);
    if (!a)
        return 0;
    int64_t id = a->attempt_id;
    a->preview = true;
    a->phase = S_AGENT;
    snprintf(a->ext, sizeof a->ext, "%s", ext);
    snprintf(a->lead_name, sizeof a->lead_name, "%s", name ? name : "");
    cc_info("dialer.preview_dial", "campaign=%s lead=%" PRId64 " attempt=%d agent=%s", c->name,
            lead->id, a->lead.attempts, ext);
    a->held = true;
    if (!cc_bus_request(self->d->bus, &a->owner, "acdd", "agent.hold",
                        json_pack("{s:s, s:s}", "ext", ext, "reason", S_HOLD_REASON), 2000,
                        s_on_hold_reply, a))
        s_preview_originate(a); /* may end the attempt: id is kept above */
    return id;
}

const dl_rules_t *dl_live_rules(dl_live_t *self, const char *campaign, dl_world_t *world)
{
    s_campaign_t *c = cc_map_get(self->campaigns, campaign);
    if (!c || !c->running)
        return NULL;
    *world = (dl_world_t){.to_local = ivr_tz_to_local, .is_dnc = s_is_dnc, .dnc_arg = c->dnc};
    return &c->rules;
}

/* ---- life ---------------------------------------------------------------------------------- */

dl_live_t *dl_live_new(cc_daemon_t *daemon, dl_db_t *db, const dl_live_cfg_t *cfg)
{
    dl_live_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->d = daemon;
    self->db = db;
    self->cfg = *cfg;
    self->campaigns = cc_map_new(s_campaign_free);
    self->calls = cc_map_new(NULL);
    self->attempts = cc_map_new(NULL);
    if (!self->campaigns || !self->calls || !self->attempts ||
        cc_bus_subscribe(daemon->bus, "sipproxy", "call.", s_on_call_event, self) != 0 ||
        cc_bus_subscribe(daemon->bus, "acdd", "queue.", s_on_queue_event, self) != 0 ||
        cc_bus_subscribe(daemon->bus, "mediad", "media.play_done", s_on_media_event, self) != 0 ||
        cc_bus_subscribe(daemon->bus, "mediad", "media.amd_result", s_on_amd_event, self) != 0) {
        dl_live_destroy(&self);
        return NULL;
    }
    self->tick_timer = cc_loop_timer_add(daemon->loop, (uint64_t)cfg->tick_ms,
                                         (uint64_t)cfg->tick_ms, s_on_tick, self);
    if (self->tick_timer < 0) {
        dl_live_destroy(&self);
        return NULL;
    }
    return self;
}

void dl_live_campaign_figures(dl_live_t *self, const char *name, json_t *obj)
{
    s_campaign_t *c = cc_map_get(self->campaigns, name);
    if (!c || !c->pace)
        return;
    json_object_set_new(obj, "ringing", json_integer(c->ringing));
    json_object_set_new(obj, "waiting", json_integer(c->waiting));
    json_object_set_new(obj, "talking", json_integer(c->talking));
    json_object_set_new(obj, "abandon_rate",
                        json_real(dl_pace_abandon_rate(c->pace, s_now_ms(), NULL, NULL)));
}

void dl_live_status(dl_live_t *self, json_t *details)
{
    json_object_set_new(details, "dialled", json_integer(self->dialled));
    json_object_set_new(details, "answered", json_integer(self->answered));
    json_object_set_new(details, "abandoned", json_integer(self->abandoned));
    json_object_set_new(details, "machines", json_integer(self->machines));
    json_object_set_new(details, "in_flight",
                        json_integer((json_int_t)cc_map_size(self->attempts)));
}

void dl_live_destroy(dl_live_t **self_p)
{
    dl_live_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    if (self->tick_timer > 0)
        cc_loop_timer_cancel(self->d->loop, self->tick_timer);
    cc_bus_owner_cancel(self->d->bus, &self->owner);
    /* attempts still in flight: their calls go on in sipproxy and acdd; their leads stay
     * 'dialling' in Postgres until the next start, which closes them (dl_live_recover) */
    while (self->attempts && cc_map_size(self->attempts) > 0) {
        cc_map_iter_t it = cc_map_iter(self->attempts);
        s_attempt_free(cc_map_value(cc_map_next(&it)));
    }
    cc_map_destroy(&self->attempts);
    cc_map_destroy(&self->calls);
    cc_map_destroy(&self->campaigns);
    free(self);
    *self_p = NULL;
}
