/* wd_campaign.c - outbound campaigns in the web gateway, each action one of dialerd's bus
 * commands (common/events/dialer.def): a supervisor lists the campaigns of its queues,
 * reads one's figures (live from dialerd, by day from v_campaign_daily) and starts or
 * pauses it (campaign.list, campaign.set_state); an agent's preview panel asks for its next
 * lead, dials or skips it (campaign.preview_next|dial|skip), always for the session's own
 * extension: dialerd checks the agent serves the lead's campaign. A new campaign (POST
 * /api/campaigns) is judged by dialer/dl_campaign.c, as ccctl's, and stored here; dialerd
 * finds it at its next reload. Nothing else is decided here but the HTTP status of a
 * refusal and the supervisor's scope. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "dl_campaign.h"
#include "ivr_tz.h"
#include "wd_app.h"

static const char *s_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* dialerd refused: the HTTP status and the field the refusal is about. */
static void s_refused(wd_req_t *req, int status, json_t *error, const char *lead_field)
{
    static const struct {
        const char *code;
        int http;
        bool about_lead; /* else about the campaign */
    } map[] = {
        {"unknown_lead", 404, true},      {"not_served", 403, true},   {"not_running", 409, true},
        {"lead_taken", 409, true},        {"lead_not_due", 409, true}, {"bad_args", 400, true},
        {"unknown_campaign", 404, false},
    };
    const char *code = s_str(error, "code"), *msg = s_str(error, "message");
    for (size_t i = 0; status == -EPROTO && code && i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i].code, code)) {
            wd_reply_error(req, map[i].http, map[i].http == 403 ? "forbidden" : code,
                           map[i].about_lead ? lead_field : "campaign", "%s", msg ? msg : code);
            return;
        }
    wd_reply_bus_error(req, status, error);
}

static void s_send(wd_req_t *req, const char *cmd, json_t *args, cc_bus_reply_fn *fn)
{
    wd_app_t *app = req->app;
    if (!cc_bus_request(app->bus, &req->owner, "dialerd", cmd, args, app->set.request_timeout_ms,
                        fn, req)) {
        wd_reply_error(req, 503, "unavailable", NULL, "dialerd cannot be reached");
        return;
    }
    wd_reply_later(req);
}

/* ---- the agent's preview panel ------------------------------------------------------------ */

static void s_on_preview(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    wd_req_t *req = arg;
    if (status != 0) {
        /* the next lead names a campaign; dial and skip a lead */
        s_refused(req, status, result, strcmp(req->method, "GET") ? "lead_id" : "campaign");
        return;
    }
    wd_reply_json(req, 200, json_is_object(result) ? json_incref(result) : json_object());
}

static bool s_has_phone(wd_req_t *req)
{
    if (req->who.ext[0])
        return true;
    wd_reply_error(req, 409, "no_phone", NULL, "%s has no extension", req->who.name);
    return false;
}

/* GET /api/me/preview[?campaign=]: the lead to see next in the preview campaigns I serve. */
void wd_h_me_preview(wd_req_t *req)
{
    if (!s_has_phone(req))
        return;
    json_t *args = json_pack("{s:s}", "ext", req->who.ext);
    const char *campaign = s_str(req->body, "campaign");
    if (campaign)
        json_object_set_new(args, "campaign", json_string(campaign));
    s_send(req, "campaign.preview_next", args, s_on_preview);
}

static void s_lead_action(wd_req_t *req, const char *cmd)
{
    if (!s_has_phone(req))
        return;
    json_t *args = json_pack("{s:s, s:O}", "ext", req->who.ext, "lead_id",
                             json_object_get(req->body, "lead_id"));
    cc_info("webd.preview", "cmd=%s ext=%s user=%s lead=%lld", cmd, req->who.ext,
            cc_logq(req->who.name),
            (long long)json_integer_value(json_object_get(req->body, "lead_id")));
    s_send(req, cmd, args, s_on_preview);
}

/* POST /api/me/preview/dial {lead_id}: my phone rings, then the lead's. */
void wd_h_me_preview_dial(wd_req_t *req)
{
    s_lead_action(req, "campaign.preview_dial");
}

/* POST /api/me/preview/skip {lead_id}: the lead goes behind the due ones (not an attempt). */
void wd_h_me_preview_skip(wd_req_t *req)
{
    s_lead_action(req, "campaign.preview_skip");
}

/* ---- supervisors: list, figures, start and pause ------------------------------------------ */

static bool s_in_scope(wd_req_t *req, json_t *campaign)
{
    const wb_queue_t *q = wb_core_queue(req->app->core, s_str(campaign, "queue"));
    return wd_scope_queue(&req->who, q ? q->idx : -1);
}

/* The campaign the path names, from campaign.list's result, if this principal may see it;
 * NULL after replying 404 (unknown, or of a queue out of scope: not even its existence). */
static json_t *s_named(wd_req_t *req, json_t *result)
{
    const char *name = wd_param(&req->params, "campaign");
    json_t *c;
    size_t i;
    json_array_foreach(json_object_get(result, "campaigns"), i, c)
    {
        const char *n = s_str(c, "name");
        if (n && !strcmp(n, name) && s_in_scope(req, c))
            return c;
    }
    wd_reply_error(req, 404, "unknown_campaign", "campaign", "no campaign '%s' of your queues",
                   name);
    return NULL;
}

static void s_on_list(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    wd_req_t *req = arg;
    if (status != 0) {
        s_refused(req, status, result, NULL);
        return;
    }
    json_t *out = json_array(), *c;
    size_t i;
    json_array_foreach(json_object_get(result, "campaigns"), i, c)
    {
        if (s_in_scope(req, c))
            json_array_append(out, c);
    }
    wd_reply_json(req, 200, json_pack("{s:o}", "campaigns", out));
}

/* GET /api/campaigns: the campaigns of my queues, with dialerd's live figures. */
void wd_h_campaigns(wd_req_t *req)
{
    s_send(req, "campaign.list", NULL, s_on_list);
}

static void s_free_json(void *p)
{
    json_decref(p);
}

static void s_days_done(wd_job_t *job, void *app)
{
    wd_req_t *req = wd_req_find(app, job->req_id);
    if (!req)
        return;
    if (job->status != 0) {
        cc_warn("webd.campaign_query_failed", "error=%s", cc_logq(job->error));
        wd_reply_error(req, 503, "database", NULL, "the database did not answer; try again");
        return;
    }
    wd_reply_json(req, 200,
                  json_pack("{s:O, s:O}", "campaign", (json_t *)job->arg, "days", job->result));
}

static void s_on_stats_list(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    wd_req_t *req = arg;
    if (status != 0) {
        s_refused(req, status, result, NULL);
        return;
    }
    json_t *c = s_named(req, result);
    if (!c)
        return;
    const char *p[1] = {s_str(c, "name")};
    wd_job_t *job = wd_job_sql(
        "SELECT day, attempts, contacts, contact_rate, abandoned, abandon_rate, talk_s, "
        "agent_wait_s, wrap_s, avg_answer_to_agent_ms, leads_remaining FROM v_campaign_daily "
        "WHERE campaign = $1 ORDER BY day DESC LIMIT 31",
        1, p);
    if (!job) {
        wd_reply_error(req, 500, "internal", NULL, "out of memory");
        return;
    }
    job->arg = json_incref(c);
    job->free_arg = s_free_json;
    job->done = s_days_done;
    job->req_id = req->id;
    wd_db_submit(req->app->db, job);
}

/* GET /api/campaigns/{campaign}/stats: live figures and the last 31 days. */
void wd_h_campaign_stats(wd_req_t *req)
{
    s_send(req, "campaign.list", NULL, s_on_stats_list);
}

static void s_on_state_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    wd_req_t *req = arg;
    if (status != 0) {
        s_refused(req, status, result, "campaign");
        return;
    }
    json_t *doc = json_pack("{s:s, s:O}", "campaign", wd_param(&req->params, "campaign"), "state",
                            json_object_get(result, "state"));
    wd_reply_json(req, 200, doc ? doc : json_object());
}

static void s_on_state_list(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    wd_req_t *req = arg;
    if (status != 0) {
        s_refused(req, status, result, NULL);
        return;
    }
    json_t *c = s_named(req, result);
    if (!c)
        return;
    /* by the route, not the path: a campaign may be called "start" */
    const char *want = !strcmp(req->route->action, "campaign.start") ? "running" : "paused";
    if (!strcmp(s_str(c, "state"), "finished")) {
        wd_reply_error(req, 409, "finished", "campaign", "campaign %s is finished",
                       s_str(c, "name"));
        return;
    }
    cc_info("webd.campaign_state", "campaign=%s state=%s user=%s", s_str(c, "name"), want,
            cc_logq(req->who.name));
    if (!cc_bus_request(bus, &req->owner, "dialerd", "campaign.set_state",
                        json_pack("{s:s, s:s}", "name", s_str(c, "name"), "state", want),
                        req->app->set.request_timeout_ms, s_on_state_reply, req))
        wd_reply_error(req, 503, "unavailable", NULL, "dialerd cannot be reached");
}

/* POST /api/campaigns/{campaign}/start and /pause (campaign.set_state). */
void wd_h_campaign_state(wd_req_t *req)
{
    s_send(req, "campaign.list", NULL, s_on_state_list);
}

/* ---- a new campaign ----------------------------------------------------------------------- */

typedef struct {
    char name[64], mode[16], queue[64];
} s_added_t;

static void s_added(wd_job_t *job, void *app)
{
    wd_req_t *req = wd_req_find(app, job->req_id);
    const s_added_t *a = job->arg;
    if (!req)
        return;
    if (job->status != 0 && !strcmp(job->sqlstate, "23505")) {
        wd_reply_error(req, 409, "exists", "name", "a campaign '%s' exists", a->name);
    } else if (job->status != 0 && !strcmp(job->sqlstate, "23503")) {
        bool trunk = strstr(job->error, "trunk") != NULL;
        wd_reply_error(req, 400, trunk ? "unknown_trunk" : "unknown_queue",
                       trunk ? "trunk" : "queue", "no %s of that name", trunk ? "trunk" : "queue");
    } else if (job->status != 0) {
        cc_warn("webd.campaign_add_failed", "campaign=%s error=%s", a->name, cc_logq(job->error));
        wd_reply_error(req, 503, "database", NULL, "the database did not answer; try again");
    } else {
        cc_info("webd.campaign_added", "campaign=%s mode=%s queue=%s user=%s", a->name, a->mode,
                a->queue, cc_logq(req->who.name));
        wd_reply_json(req, 201,
                      json_pack("{s:s, s:s, s:s, s:s}", "campaign", a->name, "mode", a->mode,
                                "queue", a->queue, "state", "paused"));
    }
}

/* A list field of the body into spec's array (the route checked it holds strings only). */
static void s_spec_list(json_t *body, const char *key, const char **out, size_t *n)
{
    json_t *item;
    size_t i;
    *n = 0;
    json_array_foreach(json_object_get(body, key), i, item)
    {
        if (i < DL_CAMPAIGN_LIST_MAX)
            out[(*n)++] = json_string_value(item);
    }
}

/* POST /api/campaigns {name, queue, caller_id, mode, ...}: a new campaign, paused, with the
 * settings of `ccctl campaign add` under the same names (docs/API.md). 201, or 400 naming
 * the setting, 409 when the name is taken. */
void wd_h_campaign_add(wd_req_t *req)
{
    json_t *b = req->body;
    static const char *const numeric[] = {"abandon_cap", "ring", "max_attempts", "max_ratio"};
    char num[4][40];
    const char *numtext[4] = {NULL};
    for (size_t i = 0; i < 4; i++) {
        json_t *v = json_object_get(b, numeric[i]);
        if (json_is_integer(v))
            snprintf(num[i], sizeof num[i], "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
            snprintf(num[i], sizeof num[i], "%.10g", json_real_value(v));
        else
            continue;
        numtext[i] = num[i];
    }
    dl_campaign_spec_t spec = {
        .name = s_str(b, "name"),
        .queue = s_str(b, "queue"),
        .caller_id = s_str(b, "caller_id"),
        .mode = s_str(b, "mode"),
        .trunk = s_str(b, "trunk"),
        .time_zone = s_str(b, "time_zone"),
        .tz_rule = s_str(b, "tz_rule"),
        .abandon_cap = numtext[0],
        .ring = numtext[1],
        .max_attempts = numtext[2],
        .max_ratio = numtext[3],
        .abandon_prompt = s_str(b, "abandon_prompt"),
        .amd = s_str(b, "amd"),
        .amd_prompt = s_str(b, "amd_prompt"),
    };
    s_spec_list(b, "hours", spec.hours, &spec.nhours);
    s_spec_list(b, "retries", spec.retries, &spec.nretries);
    s_spec_list(b, "dispositions", spec.dispositions, &spec.ndispositions);
    dl_campaign_row_t row;
    dl_campaign_error_t err;
    if (dl_campaign_check(&spec, ivr_tz_exists, &row, &err) != 0) {
        char text[400];
        dl_campaign_error_text(&err, "", '_', text, sizeof text);
        wd_reply_error(req, 400, "bad_field", err.field, "%s", text);
        return;
    }
    s_added_t *a = calloc(1, sizeof *a);
    wd_job_t *job = a ? wd_job_sql(dl_campaign_insert_sql, DL_CAMPAIGN_NPARAMS, row.params) : NULL;
    if (!job) {
        free(a);
        wd_reply_error(req, 500, "internal", NULL, "out of memory");
        return;
    }
    snprintf(a->name, sizeof a->name, "%s", spec.name);
    snprintf(a->mode, sizeof a->mode, "%s", row.params[1]);
    snprintf(a->queue, sizeof a->queue, "%s", spec.queue);
    job->arg = a;
    job->free_arg = free;
    job->done = s_added;
    job->req_id = req->id;
    wd_db_submit(req->app->db, job);
    wd_reply_later(req);
}
