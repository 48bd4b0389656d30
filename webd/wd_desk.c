/* wd_desk.c - the agent desktop's handlers (/api/me/...): an agent acts on itself only, so
 * no route takes an extension: it is always the session's own (wd_principal_t.ext). Its
 * state changes are acdd's agent.* commands (what the page shows comes back through the
 * same live stream as the wallboard's), hang-up and click-to-dial are sipproxy's
 * call.hangup and call.originate as the supervisor console sends them, pausing the
 * recording is recorderd's rec.pause / rec.resume. What Postgres keeps
 * (pause reasons, wrap-up codes, the wrap-up saved with a call, the caller's history and
 * customer record) is read and written on the database worker (wd_db.c). The screen pop
 * is acdd's queue.offered event, kept per agent as it passes (wd_desk_offered). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "wb_json.h"
#include "wd_app.h"

static const char *s_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void s_json_free(void *p)
{
    json_decref(p);
}

/* Tell the agent's open pages something about its calls: an event without an id (like the
 * keep-alive), so it never moves a page's place in acdd's stream. "pop": a call pops, and
 * the page then asks for the pop itself (GET /api/me/pop); "consult": wd_deskcall.c. */
void wd_desk_push(wd_app_t *app, const char *ext, const char *event, json_t *o /* stolen */)
{
    char *data = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!data)
        return;
    char frame[512];
    int len = snprintf(frame, sizeof frame, "event: %s\ndata: %s\n\n", event, data);
    free(data);
    if (len <= 0 || (size_t)len >= sizeof frame)
        return;
    for (size_t i = 0; i < wd_streams_count(app->streams); i++) {
        wd_stream_t *st = wd_streams_at(app->streams, i);
        const wd_principal_t *who = wd_stream_who(st);
        if (who->role == WD_ROLE_AGENT && !strcmp(who->ext, ext))
            wd_stream_send(app->streams, st, frame, (size_t)len);
    }
}

static void s_push(wd_app_t *app, const char *ext, const char *call_id, const char *kind)
{
    wd_desk_push(app, ext, "pop", json_pack("{s:s, s:s}", "call_id", call_id, "kind", kind));
}

/* Queue offers and direct calls are kept apart: a direct call that rings during a queue
 * call's wrap-up must not take the place of the call whose code the queue still wants. */
static void s_keep(cc_map_t **map, const char *ext, json_t *pop /* stolen */)
{
    if (!*map && !(*map = cc_map_new(s_json_free))) {
        json_decref(pop);
        return;
    }
    json_object_set_new(pop, "offered_at_ms", json_integer(wd_now_us() / 1000));
    cc_map_delete(*map, ext);
    if (cc_map_insert(*map, ext, pop) != 0)
        json_decref(pop);
}

void wd_desk_offered(wd_app_t *app, json_t *body, bool live)
{
    const char *agent = s_str(body, "agent"), *call_id = s_str(body, "call_id");
    if (!agent || !*agent || !call_id)
        return;
    s_keep(&app->offers, agent, json_deep_copy(body));
    if (live)
        s_push(app, agent, call_id, "queue");
}

/* A call dialled straight to an agent's extension pops too: the caller's number, its
 * customer record and history (no queue, no IVR). */
void wd_desk_on_sipproxy(wd_app_t *app, const cc_bus_event_t *ev)
{
    wd_deskcall_on_sipproxy(app, ev);
    if (strcmp(ev->type, "call.created") != 0 || !ev->call_id)
        return;
    const char *kind = s_str(ev->body, "route_kind"), *ext = s_str(ev->body, "route_target");
    const char *caller = s_str(ev->body, "caller");
    if (!kind || strcmp(kind, "ext") != 0 || !ext || !caller || !wb_core_agent(app->core, ext))
        return;
    s_keep(&app->directs, ext,
           json_pack("{s:s, s:s, s:s, s:s, s:b}", "call_id", ev->call_id, "agent", ext, "caller",
                     caller, "callee", s_str(ev->body, "callee") ? s_str(ev->body, "callee") : ext,
                     "direct", 1));
    s_push(app, ext, ev->call_id, "direct");
}

void wd_desk_free(wd_app_t *app)
{
    cc_map_destroy(&app->offers);
    cc_map_destroy(&app->directs);
    cc_map_destroy(&app->mycalls);
}

static json_t *s_offer(wd_req_t *req)
{
    return req->app->offers ? cc_map_get(req->app->offers, req->who.ext) : NULL;
}

static json_t *s_direct(wd_req_t *req)
{
    return req->app->directs ? cc_map_get(req->app->directs, req->who.ext) : NULL;
}

static json_int_t s_at(json_t *pop)
{
    return json_integer_value(json_object_get(pop, "offered_at_ms"));
}

/* The pop to show: the later of the last queue offer and the last direct call. */
static json_t *s_latest(wd_req_t *req)
{
    json_t *q = s_offer(req), *d = s_direct(req);
    return !d ? q : !q ? d : s_at(d) > s_at(q) ? d : q;
}

/* The call of mine with this id, as offered (queue) or dialled (direct), or NULL. */
static json_t *s_mine(wd_req_t *req, const char *call_id)
{
    json_t *q = s_offer(req), *d = s_direct(req);
    if (q && !strcmp(s_str(q, "call_id"), call_id))
        return q;
    if (d && !strcmp(s_str(d, "call_id"), call_id))
        return d;
    return NULL;
}

/* ---- a query whose rows become the reply (or feed a next step) ------------------------- */

typedef void(s_rows_fn)(wd_req_t *req, json_t *rows);

typedef struct {
    s_rows_fn *fn;
} s_step_t;

static void s_step_done(wd_job_t *job, void *app)
{
    wd_req_t *req = wd_req_find(app, job->req_id);
    const s_step_t *st = job->arg;
    if (!req)
        return;
    if (job->status != 0) {
        cc_warn("webd.desk_query_failed", "error=%s", cc_logq(job->error));
        wd_reply_error(req, 503, "database", NULL, "the database did not answer; try again");
        return;
    }
    st->fn(req, job->result);
}

static void s_query(wd_req_t *req, const char *sql, int n, const char *const *params, s_rows_fn *fn)
{
    wd_job_t *job = wd_job_sql(sql, n, params);
    s_step_t *st = calloc(1, sizeof *st);
    if (!job || !st) {
        free(st);
        if (job)
            wd_job_free(job);
        wd_reply_error(req, 500, "internal", NULL, "out of memory");
        return;
    }
    st->fn = fn;
    job->arg = st;
    job->free_arg = free;
    job->done = s_step_done;
    job->req_id = req->id;
    wd_db_submit(req->app->db, job);
    wd_reply_later(req);
}

static json_t *s_first(json_t *rows)
{
    return json_array_get(rows, 0);
}

/* ---- the bus ------------------------------------------------------------------------------ */

static void s_on_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    wd_req_t *req = arg;
    if (status != 0) {
        wd_reply_bus_error(req, status, result);
        return;
    }
    wd_reply_json(req, 200, json_is_object(result) ? json_incref(result) : json_object());
}

static void s_send(wd_req_t *req, const char *target, const char *cmd, json_t *args)
{
    wd_app_t *app = req->app;
    if (!cc_bus_request(app->bus, &req->owner, target, cmd, args, app->set.request_timeout_ms,
                        s_on_reply, req)) {
        wd_reply_error(req, 503, "unavailable", NULL, "%s cannot be reached", target);
        return;
    }
    wd_reply_later(req);
}

static const wb_agent_t *s_me(wd_req_t *req)
{
    return wb_core_agent(req->app->core, req->who.ext);
}

/* ---- GET /api/me: who I am, my state, the reasons and codes I may pick ------------------- */

static void s_me_rows(wd_req_t *req, json_t *rows)
{
    json_t *row = s_first(rows);
    const wb_agent_t *a = s_me(req);
    json_t *doc =
        json_pack("{s:s, s:s, s:o, s:O, s:O}", "name", req->who.name, "ext", req->who.ext, "agent",
                  a ? wb_json_agent(req->app->core, a) : json_null(), "reasons",
                  json_object_get(row, "reasons"), "queues", json_object_get(row, "queues"));
    json_t *offer = s_latest(req);
    json_object_set_new(doc, "last_offer", offer ? json_deep_copy(offer) : json_null());
    wd_reply_json(req, 200, doc);
}

void wd_h_me(wd_req_t *req)
{
    const char *p[1] = {req->who.queues_sql};
    s_query(req,
            "SELECT (SELECT coalesce(json_agg(json_build_object('name', r.name, 'label', r.label) "
            "ORDER BY r.name), '[]'::json) FROM agent_pause_reasons r) AS reasons, "
            "(SELECT coalesce(json_agg(json_build_object('queue', q.name, 'code_required', "
            "q.wrapup_code_required, 'codes', (SELECT coalesce(json_agg(json_build_object("
            "'code', c.code, 'label', c.label) ORDER BY c.code), '[]'::json) FROM "
            "queue_wrapup_codes c WHERE c.queue = q.name)) ORDER BY q.name), '[]'::json) "
            "FROM queues q WHERE q.name = ANY($1::text[])) AS queues",
            1, p, s_me_rows);
}

/* ---- POST /api/me/state -------------------------------------------------------------------- */

static void s_state_send(wd_req_t *req)
{
    const char *state = s_str(req->body, "state"), *reason = s_str(req->body, "reason");
    const char *cmd = !strcmp(state, "ready")   ? "agent.ready"
                      : !strcmp(state, "pause") ? "agent.pause"
                      : !strcmp(state, "login") ? "agent.login"
                                                : "agent.logout";
    json_t *args = json_pack("{s:s}", "ext", req->who.ext);
    if (reason)
        json_object_set_new(args, "reason", json_string(reason));
    else if (!strcmp(state, "logout"))
        json_object_set_new(args, "reason", json_string("desktop"));
    s_send(req, "acdd", cmd, args);
}

static void s_reason_checked(wd_req_t *req, json_t *rows)
{
    if (!json_is_true(json_object_get(s_first(rows), "ok"))) {
        wd_reply_error(req, 400, "bad_field", "reason",
                       "'%s' is not a pause reason (ccctl agent reason list)",
                       s_str(req->body, "reason"));
        return;
    }
    s_state_send(req);
}

static void s_ready_checked(wd_req_t *req, json_t *rows)
{
    json_t *row = s_first(rows);
    if (json_is_true(json_object_get(row, "missing"))) {
        wd_reply_error(req, 409, "disposition_required", "code",
                       "queue %s needs a wrap-up code for call %s before you go ready",
                       s_str(row, "queue"), s_str(row, "call_id"));
        return;
    }
    s_state_send(req);
}

void wd_h_me_state(wd_req_t *req)
{
    const char *state = s_str(req->body, "state"), *reason = s_str(req->body, "reason");
    if (!s_me(req)) {
        wd_reply_error(req, 404, "unknown_agent", NULL,
                       "extension %s is not an agent (ccctl agent add %s --queue ...)",
                       req->who.ext, req->who.ext);
        return;
    }
    if (reason && strcmp(state, "pause") != 0) {
        wd_reply_error(req, 400, "bad_field", "reason", "'reason' goes with pause only");
        return;
    }
    if (!strcmp(state, "pause")) {
        if (!reason) {
            wd_reply_error(req, 400, "bad_field", "reason", "pause needs a 'reason'");
            return;
        }
        const char *p[1] = {reason};
        s_query(req, "SELECT EXISTS (SELECT 1 FROM agent_pause_reasons WHERE name = $1) AS ok", 1,
                p, s_reason_checked);
        return;
    }
    /* going ready from wrap-up: the queue may want a code saved with the call first */
    const wb_agent_t *a = s_me(req);
    json_t *offer = s_offer(req);
    if (!strcmp(state, "ready") && a->state == WB_AGENT_WRAP_UP && offer) {
        const char *p[2] = {s_str(offer, "queue"), s_str(offer, "call_id")};
        s_query(req,
                "SELECT $1::text AS queue, $2::text AS call_id, EXISTS (SELECT 1 FROM queues q "
                "WHERE q.name = $1 AND q.wrapup_code_required AND NOT EXISTS (SELECT 1 FROM "
                "call_wrapups w WHERE w.call_id = $2 AND w.code IS NOT NULL)) AS missing",
                2, p, s_ready_checked);
        return;
    }
    s_state_send(req);
}

/* ---- GET /api/me/pop: the call offered to me, the caller's record and history ------------ */

static void s_pop_rows(wd_req_t *req, json_t *rows)
{
    json_t *offer = s_latest(req);
    if (!offer) { /* gone meanwhile (cannot: offers are only replaced) */
        wd_reply_error(req, 404, "no_call", NULL, "nothing was offered to you yet");
        return;
    }
    json_t *row = s_first(rows);
    json_t *vars = json_object_get(offer, "variables");
    const char *name = NULL;
    static const char *const keys[] = {"caller_name", "customer_name", "name", NULL};
    for (int i = 0; !name && keys[i]; i++)
        name = s_str(vars, keys[i]);
    json_t *customer = json_object_get(row, "customer");
    if (!name && json_is_object(customer))
        name = s_str(customer, "name");
    json_t *doc = json_pack(
        "{s:s, s:s?, s:s, s:s?, s:O, s:I, s:O, s:O, s:O, s:O, s:O, s:O}", "call_id",
        s_str(offer, "call_id"), "queue", s_str(offer, "queue"), "caller", s_str(offer, "caller"),
        "caller_name", name && *name ? name : NULL, "wait_s",
        json_object_get(offer, "wait_s") ? json_object_get(offer, "wait_s") : json_null(),
        "offered_at_ms", (json_int_t)json_integer_value(json_object_get(offer, "offered_at_ms")),
        "variables", vars ? vars : json_null(), "callback",
        json_is_true(json_object_get(offer, "callback")) ? json_true() : json_false(), "customer",
        customer ? customer : json_null(), "ivr_path",
        json_object_get(row, "ivr_path") ? json_object_get(row, "ivr_path") : json_null(),
        "history", json_object_get(row, "history") ? json_object_get(row, "history") : json_null(),
        "wrapup", json_object_get(row, "wrapup") ? json_object_get(row, "wrapup") : json_null());
    if (!doc) {
        wd_reply_error(req, 500, "internal", NULL, "cannot build the pop");
        return;
    }
    json_object_set_new(doc, "direct",
                        json_boolean(json_is_true(json_object_get(offer, "direct"))));
    json_t *campaign = json_object_get(row, "campaign");
    json_object_set(doc, "campaign", campaign ? campaign : json_null());
    wd_reply_json(req, 200, doc);
}

void wd_h_me_pop(wd_req_t *req)
{
    json_t *offer = s_latest(req);
    if (!offer) {
        wd_reply_error(req, 404, "no_call", NULL, "nothing was offered to you yet");
        return;
    }
    const char *p[2] = {s_str(offer, "caller"), s_str(offer, "call_id")};
    s_query(req,
            "SELECT (SELECT json_build_object('number', c.number, 'name', c.name, 'tier', "
            "c.tier, 'account', c.account, 'language', c.language, 'data', c.data) FROM "
            "customers c WHERE c.number = $1) AS customer, "
            "(SELECT json_agg(json_build_object('node', s.node, 'input', s.input) ORDER BY "
            "s.seq) FROM ivr_path s WHERE s.call_id = $2) AS ivr_path, "
            "(SELECT json_build_object('code', w.code, 'notes', w.notes) FROM call_wrapups w "
            "WHERE w.call_id = $2) AS wrapup, "
            "(SELECT coalesce(json_agg(h ORDER BY h.at DESC), '[]'::json) FROM (SELECT "
            "v.call_id, v.entered_at AS at, v.queue, v.agent, v.outcome, w.code AS "
            "disposition, l.label AS disposition_label, w.notes FROM v_queue_calls v "
            "LEFT JOIN call_wrapups w ON w.call_id = v.call_id LEFT JOIN queue_wrapup_codes l "
            "ON l.queue = w.queue AND l.code = w.code WHERE v.caller = $1 AND v.call_id <> $2 "
            "ORDER BY v.entered_at DESC LIMIT 5) h) AS history, "
            /* a campaign's call (an attempt with this call id): the campaign's codes, which
             * the wrap-up offers besides the queue's */
            "(SELECT json_build_object('name', a.campaign, 'codes', (SELECT "
            "coalesce(json_agg(json_build_object('code', d.code, 'label', d.label, 'adds_dnc', "
            "d.adds_dnc) ORDER BY d.code), '[]'::json) FROM campaign_dispositions d WHERE "
            "d.campaign = a.campaign)) FROM dialer_attempts a WHERE a.call_id = $2 "
            "ORDER BY a.id DESC LIMIT 1) AS campaign",
            2, p, s_pop_rows);
}

/* ---- POST /api/me/wrapup: a code of the queue's list and notes, saved with the call ------- */

static void s_wrapup_saved(wd_req_t *req, json_t *rows)
{
    json_t *row = s_first(rows);
    if (!row) {
        wd_reply_error(req, 400, "bad_field", "code",
                       "'%s' is not a wrap-up code of the queue or campaign of call %s",
                       s_str(req->body, "code"), s_str(req->body, "call_id"));
        return;
    }
    const char *dnc = s_str(row, "dnc");
    json_t *added = dnc ? json_string(dnc) : json_null();
    if (dnc && json_is_object(req->body)) /* the audit row says which list it went on */
        json_object_set(req->body, "dnc_added", added);
    json_object_set_new(row, "dnc_added", added); /* "campaign:NAME NUMBER", "global NUMBER" */
    json_object_del(row, "dnc");
    wd_reply_json(req, 200, json_incref(row));
}

/* The wrap-up row, and for a campaign call (an attempt with this call id) the campaign's
 * disposition: the attempt takes the code, and a code with adds_dnc puts the number on the
 * campaign's do-not-call list (dnc_global: the global one), so dialerd never dials it again.
 * One statement: all of it or nothing. */
static const char s_wrapup_sql[] =
    "WITH att AS (SELECT a.id, a.campaign, a.number FROM dialer_attempts a WHERE a.call_id = $1), "
    "disp AS (SELECT d.adds_dnc, d.dnc_global FROM campaign_dispositions d JOIN att ON "
    "  d.campaign = att.campaign WHERE d.code = $4), "
    "w AS (INSERT INTO call_wrapups (call_id, queue, agent, code, notes, saved_by) "
    "  SELECT $1, $2, $3, $4, $5, $6 WHERE $4::text IS NULL OR EXISTS (SELECT 1 FROM "
    "  queue_wrapup_codes c WHERE c.queue = $2 AND c.code = $4) OR EXISTS (SELECT 1 FROM disp) "
    "  ON CONFLICT (call_id) DO UPDATE SET code = excluded.code, notes = excluded.notes, "
    "  saved_by = excluded.saved_by, saved_at = now() "
    "  RETURNING call_id, queue, code, notes, saved_at), "
    "upd AS (UPDATE dialer_attempts SET disposition = $4 WHERE id IN (SELECT id FROM att) "
    "  AND EXISTS (SELECT 1 FROM w) AND EXISTS (SELECT 1 FROM disp) RETURNING id), "
    "dn AS (INSERT INTO dnc (campaign, number, reason, added_by) "
    "  SELECT CASE WHEN disp.dnc_global THEN NULL ELSE att.campaign END, att.number, "
    "  'disposition ' || $4 || ' of call ' || $1, $6 || ' (' || $3 || ')' "
    "  FROM att, disp WHERE disp.adds_dnc AND EXISTS (SELECT 1 FROM w) "
    "  ON CONFLICT DO NOTHING RETURNING campaign, number) "
    "SELECT w.*, (SELECT CASE WHEN d.dnc_global THEN 'global' ELSE 'campaign:' || a.campaign END "
    "  || ' ' || a.number FROM att a, disp d WHERE d.adds_dnc) AS dnc "
    "FROM w"; /* upd and dn run whether or not read */

void wd_h_me_wrapup(wd_req_t *req)
{
    const char *call_id = s_str(req->body, "call_id");
    /* the last call offered to me (or dialled to me) is the one I may wrap up: no other
     * agent's, no guess */
    json_t *offer = s_mine(req, call_id);
    if (!offer) {
        wd_reply_error(req, 404, "unknown_call", "call_id", "call %s was not offered to you",
                       call_id);
        return;
    }
    const char *code = s_str(req->body, "code"), *notes = s_str(req->body, "notes");
    const char *p[6] = {call_id, s_str(offer, "queue"), req->who.ext,
                        code,    notes ? notes : "",    req->who.name};
    s_query(req, s_wrapup_sql, 6, p, s_wrapup_saved);
}

/* ---- POST /api/me/recording, /api/me/dial (hang-up: wd_deskcall.c) ----------------------------------------------------- */

/* Pause the recording of my call while the caller reads a card number out, then resume:
 * recorderd writes silence meanwhile and marks the span (rec.pause / rec.resume). */
void wd_h_me_recording(wd_req_t *req)
{
    const wb_agent_t *a = s_me(req);
    if (!a || !a->call_id[0] || a->state != WB_AGENT_ON_CALL) {
        wd_reply_error(req, 409, "no_call", NULL, "you are not talking on a queue call");
        return;
    }
    const char *action = s_str(req->body, "action");
    s_send(req, "recorderd", !strcmp(action, "pause") ? "rec.pause" : "rec.resume",
           json_pack("{s:s}", "call_id", a->call_id));
}

void wd_h_me_dial(wd_req_t *req)
{
    /* the console's click-to-call with my own phone as the first leg */
    json_object_set_new(req->body, "agent", json_string(req->who.ext));
    wd_h_originate(req);
}

/* ---- GET /api/me/today: my figures of the centre's day ------------------------------------ */

static void s_rows_today(wd_req_t *req, json_t *rows)
{
    json_t *row = s_first(rows);
    wd_reply_json(req, 200, row ? json_incref(row) : json_object());
}

void wd_h_me_today(wd_req_t *req)
{
    const char *p[1] = {req->who.ext};
    s_query(req,
            "WITH d AS (SELECT date_trunc('day', now()) AS day), "
            "done AS (SELECT count(*) AS handled, round(avg(talk_s)::numeric, 1) AS avg_talk_s "
            "FROM v_queue_calls, d WHERE agent = $1 AND answered_at >= d.day AND talk_s IS NOT "
            "NULL), "
            "ch AS (SELECT state, started_at, lead(started_at, 1, now()) OVER (ORDER BY "
            "started_at) AS ended_at FROM v_agent_state_changes, d WHERE ext = $1 AND "
            "started_at >= d.day), "
            "st AS (SELECT state, round(sum(extract(epoch FROM ended_at - started_at))::numeric, "
            "1) AS s FROM ch GROUP BY state) "
            "SELECT done.handled, done.avg_talk_s, (SELECT round((done.avg_talk_s * "
            "done.handled + coalesce((SELECT s FROM st WHERE state = 'wrap_up'), 0)) / "
            "nullif(done.handled, 0), 1)) AS aht_s, (SELECT coalesce(json_object_agg(state, s), "
            "'{}'::json) FROM st) AS state_s FROM done",
            1, p, s_rows_today);
}
