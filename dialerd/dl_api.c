/* dl_api.c - dialerd's bus commands (see dl_api.h). campaign.list and campaign.set_state:
 * a state change is written to Postgres and the campaigns are read again at once, so
 * dialling starts or stops without waiting for [dialerd] reload_s. campaign.preview_next,
 * preview_dial and preview_skip: an agent's next lead in the preview campaigns it serves
 * (a member of the campaign's queue), reserved for that agent while shown (so the next
 * agent sees the next lead), and dialling or skipping it; the decisions are
 * dialer/dl_preview's, the call dl_live's. */
#include "dl_api.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "dl_preview.h"

#define S_PREVIEW_LEADS 200 /* ready leads judged per campaign for an agent's next lead */

typedef struct dl_api s_api_t;
struct dl_api {
    dl_db_t *db;
    dl_live_t *live;
};

static void s_list(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    (void)args;
    s_api_t *api = arg;
    PGresult *res = dl_db_campaigns(api->db);
    if (!res) {
        cc_bus_reply_error(bus, req, "internal", "reading the campaigns failed");
        return;
    }
    json_t *list = json_array();
    for (int r = 0; r < PQntuples(res); r++) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "name", PQgetvalue(res, r, 0), "mode",
                              PQgetvalue(res, r, 1), "state", PQgetvalue(res, r, 2), "queue",
                              PQgetvalue(res, r, 3), "leads_ready",
                              (json_int_t)strtoll(PQgetvalue(res, r, 4), NULL, 10));
        dl_live_campaign_figures(api->live, PQgetvalue(res, r, 0), o);
        json_array_append_new(list, o);
    }
    PQclear(res);
    cc_bus_reply(bus, req, json_pack("{s:o}", "campaigns", list));
}

static void s_set_state(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    s_api_t *api = arg;
    const char *name = json_string_value(json_object_get(args, "name"));
    const char *state = json_string_value(json_object_get(args, "state"));
    if (strcmp(state, "running") && strcmp(state, "paused") && strcmp(state, "finished")) {
        cc_bus_reply_error(bus, req, "bad_args", "state must be running, paused or finished");
        return;
    }
    PGresult *res = dl_db_set_state(api->db, name, state);
    if (!res) {
        cc_bus_reply_error(bus, req, "internal", "writing the campaign's state failed");
        return;
    }
    int rows = PQntuples(res);
    PQclear(res);
    if (rows == 0) {
        cc_bus_reply_error(bus, req, "unknown_campaign", "no campaign '%s'", name);
        return;
    }
    cc_info("dialer.campaign_state", "campaign=%s state=%s", name, state);
    dl_live_reload(api->live);
    cc_bus_reply(bus, req, json_pack("{s:s}", "state", state));
}

/* ---- preview mode ------------------------------------------------------------------------ */

static int64_t s_now_ms(void)
{
    return (int64_t)(cc_wall_us() / 1000);
}

/* A lead as the agent's page shows it: row r of dl_db_ready_leads or dl_db_preview_lead. */
static json_t *s_lead_json(const char *campaign, PGresult *res, int r)
{
    json_t *fields = json_loads(PQgetvalue(res, r, 7), 0, NULL);
    if (!json_is_object(fields)) {
        json_decref(fields);
        fields = json_object();
    }
    return json_pack("{s:I, s:s, s:s, s:s, s:o, s:i}", "id",
                     (json_int_t)strtoll(PQgetvalue(res, r, 0), NULL, 10), "campaign", campaign,
                     "number", PQgetvalue(res, r, 1), "name", PQgetvalue(res, r, 6), "fields",
                     fields, "attempts", atoi(PQgetvalue(res, r, 3)));
}

/* The next due lead of one campaign for agent `ext`, reserved for it (a lead found on a
 * do-not-call list or out of attempts is closed on the way, as the dialer's tick does), or
 * NULL. */
static json_t *s_next_of(s_api_t *api, const char *campaign, const char *ext, int64_t now)
{
    dl_world_t world;
    const dl_rules_t *rules = dl_live_rules(api->live, campaign, &world);
    if (!rules)
        return NULL; /* started a moment ago: dialerd reads it at its next reload */
    PGresult *res = dl_db_ready_leads(api->db, campaign, S_PREVIEW_LEADS);
    int rows = res ? PQntuples(res) : 0;
    dl_lead_t *leads = calloc((size_t)(rows ? rows : 1), sizeof *leads);
    dl_verdict_t *verdicts = calloc((size_t)(rows ? rows : 1), sizeof *verdicts);
    json_t *out = NULL;
    if (res && leads && verdicts) {
        for (int r = 0; r < rows; r++) {
            leads[r] = dl_db_lead_at(res, r);
            dl_db_lead_reservation(res, r, 8, &leads[r]);
        }
        long k = dl_preview_next(rules, &world, leads, (size_t)rows, now, ext, verdicts);
        for (int r = 0; r < rows; r++)
            if (verdicts[r] == DL_LEAD_DNC || verdicts[r] == DL_LEAD_EXHAUSTED)
                dl_db_lead_state(api->db, leads[r].id,
                                 verdicts[r] == DL_LEAD_DNC ? "dnc" : "exhausted");
        /* the reservation is written only if no other agent's runs: should the table have
         * changed under us, the next candidate is tried */
        for (int tries = 0; k >= 0 && tries < rows; tries++) {
            int got =
                dl_db_preview_reserve(api->db, leads[k].id, ext, (int)(DL_PREVIEW_HOLD_MS / 1000));
            if (got < 0)
                break;
            if (got == 1) {
                out = s_lead_json(campaign, res, (int)k);
                break;
            }
            leads[k].reserved_by = "?";
            leads[k].reserved_until_ms = INT64_MAX;
            k = dl_preview_next(rules, &world, leads, (size_t)rows, now, ext, NULL);
        }
    }
    free(leads);
    free(verdicts);
    PQclear(res);
    return out;
}

static void s_preview_next(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                           void *arg)
{
    (void)cmd;
    s_api_t *api = arg;
    const char *ext = json_string_value(json_object_get(args, "ext"));
    const char *want = json_string_value(json_object_get(args, "campaign"));
    PGresult *res = dl_db_preview_campaigns(api->db, ext);
    if (!res) {
        cc_bus_reply_error(bus, req, "internal", "reading the agent's campaigns failed");
        return;
    }
    json_t *served = json_array(), *lead = NULL;
    for (int r = 0; r < PQntuples(res); r++)
        json_array_append_new(served, json_string(PQgetvalue(res, r, 0)));
    bool found = !want;
    int64_t now = s_now_ms();
    for (int r = 0; r < PQntuples(res) && !lead; r++) {
        const char *name = PQgetvalue(res, r, 0);
        if (want && strcmp(want, name) != 0)
            continue;
        found = true;
        lead = s_next_of(api, name, ext, now);
    }
    PQclear(res);
    if (!found) {
        json_decref(served);
        cc_bus_reply_error(bus, req, "not_served",
                           "agent %s serves no running preview campaign '%s'", ext, want);
        return;
    }
    json_t *out = json_pack("{s:o}", "campaigns", served);
    if (lead) /* none due: no "lead" */
        json_object_set_new(out, "lead", lead);
    cc_bus_reply(bus, req, out);
}

/* The lead an agent names, checked: it exists, its campaign is a running preview campaign
 * the agent serves, it is ready and not shown to another agent. The row, or NULL after
 * replying with the error. */
static PGresult *s_agent_lead(s_api_t *api, cc_bus_t *bus, cc_bus_req_t *req, json_t *args)
{
    const char *ext = json_string_value(json_object_get(args, "ext"));
    int64_t id = (int64_t)json_integer_value(json_object_get(args, "lead_id"));
    PGresult *res = dl_db_preview_lead(api->db, id, ext);
    const char *code = NULL;
    char why[160] = "";
    if (!res) {
        cc_bus_reply_error(bus, req, "internal", "reading the lead failed");
        return NULL;
    }
    if (PQntuples(res) != 1) {
        code = "unknown_lead";
        snprintf(why, sizeof why, "no lead %" PRId64, id);
    } else if (strcmp(PQgetvalue(res, 0, 12), "t") != 0) {
        code = "not_served";
        snprintf(why, sizeof why,
                 "lead %" PRId64 " is of campaign %s, whose queue you do not serve", id,
                 PQgetvalue(res, 0, 9));
    } else if (strcmp(PQgetvalue(res, 0, 10), "preview") != 0 ||
               strcmp(PQgetvalue(res, 0, 11), "running") != 0) {
        code = "not_running";
        snprintf(why, sizeof why, "campaign %s is %s, in %s mode", PQgetvalue(res, 0, 9),
                 PQgetvalue(res, 0, 11), PQgetvalue(res, 0, 10));
    } else if (strcmp(PQgetvalue(res, 0, 8), "ready") != 0) {
        code = "lead_taken";
        snprintf(why, sizeof why, "lead %" PRId64 " is %s", id, PQgetvalue(res, 0, 8));
    } else {
        dl_lead_t lead = dl_db_lead_at(res, 0);
        dl_db_lead_reservation(res, 0, 13, &lead);
        if (dl_preview_reserved_for_other(&lead, ext, s_now_ms())) {
            code = "lead_taken";
            snprintf(why, sizeof why, "lead %" PRId64 " is shown to another agent", id);
        }
    }
    if (code) {
        PQclear(res);
        cc_bus_reply_error(bus, req, code, "%s", why);
        return NULL;
    }
    return res;
}

static void s_preview_dial(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                           void *arg)
{
    (void)cmd;
    s_api_t *api = arg;
    PGresult *res = s_agent_lead(api, bus, req, args);
    if (!res)
        return;
    const char *ext = json_string_value(json_object_get(args, "ext"));
    const char *campaign = PQgetvalue(res, 0, 9);
    dl_lead_t lead = dl_db_lead_at(res, 0);
    dl_db_lead_reservation(res, 0, 13, &lead);
    dl_world_t world;
    const dl_rules_t *rules = dl_live_rules(api->live, campaign, &world);
    dl_verdict_t v = rules ? dl_preview_check(rules, &world, &lead, ext, s_now_ms()) : DL_LEAD_DUE;
    int64_t attempt = 0;
    if (!rules) {
        cc_bus_reply_error(bus, req, "not_running", "campaign %s is not running yet", campaign);
    } else if (v != DL_LEAD_DUE) {
        if (v == DL_LEAD_DNC || v == DL_LEAD_EXHAUSTED)
            dl_db_lead_state(api->db, lead.id, v == DL_LEAD_DNC ? "dnc" : "exhausted");
        cc_bus_reply_error(bus, req, "lead_not_due", "lead %" PRId64 " may not be dialled now: %s",
                           lead.id, dl_verdict_name(v));
    } else if ((attempt = dl_live_preview_dial(api->live, campaign, &lead, PQgetvalue(res, 0, 6),
                                               PQgetvalue(res, 0, 7), ext)) <= 0) {
        cc_bus_reply_error(bus, req, attempt == 0 ? "lead_taken" : "not_running",
                           "lead %" PRId64 " could not be dialled", lead.id);
    } else {
        cc_bus_reply(bus, req,
                     json_pack("{s:I, s:I, s:s, s:s}", "attempt_id", (json_int_t)attempt, "lead_id",
                               (json_int_t)lead.id, "campaign", campaign, "state",
                               "ringing_agent"));
    }
    PQclear(res);
}

static void s_preview_skip(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                           void *arg)
{
    (void)cmd;
    s_api_t *api = arg;
    PGresult *res = s_agent_lead(api, bus, req, args);
    if (!res)
        return;
    const char *ext = json_string_value(json_object_get(args, "ext"));
    const char *campaign = PQgetvalue(res, 0, 9);
    dl_lead_t lead = dl_db_lead_at(res, 0);
    dl_world_t world;
    const dl_rules_t *rules = dl_live_rules(api->live, campaign, &world);
    dl_rules_t none = {0};
    /* not an attempt: the lead is due again now, behind the leads already due */
    dl_after_attempt(rules ? rules : &none, &lead, DL_OUT_SKIPPED, s_now_ms());
    int64_t row = dl_db_preview_skip(api->db, campaign, lead.id, lead.due_ms, ext);
    if (row < 0)
        cc_bus_reply_error(bus, req, "internal", "writing the skip failed");
    else if (row == 0)
        cc_bus_reply_error(bus, req, "lead_taken", "lead %" PRId64 " is no longer ready", lead.id);
    else {
        cc_info("dialer.preview_skip", "campaign=%s lead=%" PRId64 " agent=%s", campaign, lead.id,
                ext);
        cc_bus_reply(bus, req,
                     json_pack("{s:I, s:s, s:s}", "lead_id", (json_int_t)lead.id, "campaign",
                               campaign, "state", "ready"));
    }
    PQclear(res);
}

dl_api_t *dl_api_new(cc_daemon_t *daemon, dl_db_t *db, dl_live_t *live)
{
    dl_api_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->db = db;
    self->live = live;
    if (cc_bus_on_command(daemon->bus, "campaign.list", s_list, self) != 0 ||
        cc_bus_on_command(daemon->bus, "campaign.set_state", s_set_state, self) != 0 ||
        cc_bus_on_command(daemon->bus, "campaign.preview_next", s_preview_next, self) != 0 ||
        cc_bus_on_command(daemon->bus, "campaign.preview_dial", s_preview_dial, self) != 0 ||
        cc_bus_on_command(daemon->bus, "campaign.preview_skip", s_preview_skip, self) != 0) {
        free(self);
        return NULL;
    }
    return self;
}

void dl_api_destroy(dl_api_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}
