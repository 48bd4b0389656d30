/* wd_search.c - the JSON API's searches in Postgres, on the worker thread (wd_db.c): CDRs
 * (v_cdr), recordings (v_recordings), the audit log, and a finished day's figures of a
 * queue straight from the views the wallboard's own figures must equal. A principal who
 * sees only some queues sees only the calls and recordings of those queues. Parameters
 * only; a filter not given is passed as NULL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wb_json.h"
#include "wd_app.h"

static void s_rows_done(wd_job_t *job, void *arg)
{
    wd_req_t *req = wd_req_find(arg, job->req_id);
    if (!req)
        return;
    if (job->status != 0) {
        wd_reply_error(req, 503, "database", NULL, "the search failed; try again");
        return;
    }
    wd_reply_json(req, 200, json_pack("{s:O}", (const char *)job->arg, job->result));
}

static const char *s_str(wd_req_t *req, const char *key)
{
    return json_string_value(json_object_get(req->body, key));
}

static void s_limit(wd_req_t *req, char *buf, size_t len, int dflt)
{
    json_t *v = json_object_get(req->body, "limit");
    snprintf(buf, len, "%lld", v ? (long long)json_integer_value(v) : (long long)dflt);
}

/* Run sql for the request; the rows come back under `key`. */
static void s_search(wd_req_t *req, const char *key, const char *sql, int n,
                     const char *const *params)
{
    wd_job_t *job = wd_job_sql(sql, n, params);
    if (!job) {
        wd_reply_error(req, 500, "internal", NULL, "out of memory");
        return;
    }
    job->done = s_rows_done;
    job->req_id = req->id;
    job->arg = (void *)key; /* a string literal: nothing to free */
    wd_db_submit(req->app->db, job);
    wd_reply_later(req);
}

static const char *s_scope(wd_req_t *req)
{
    return req->who.all_queues ? NULL : req->who.queues_sql;
}

void wd_h_cdrs(wd_req_t *req)
{
    char limit[24];
    s_limit(req, limit, sizeof limit, 100);
    const char *p[8] = {
        s_str(req, "from"),  s_str(req, "to"),          s_str(req, "number"), s_str(req, "agent"),
        s_str(req, "queue"), s_str(req, "disposition"), s_scope(req),         limit};
    s_search(
        req, "cdrs",
        "SELECT c.call_id, to_json(c.created_at) AS created_at, "
        "to_json(c.answered_at) AS answered_at, to_json(c.ended_at) AS ended_at, c.caller, "
        "c.callee, c.direction, c.route_kind, c.route_target, c.answered_by, c.disposition, "
        "c.hangup_side, c.sip_code, c.reason, c.ring_ms, c.talk_ms, "
        "(SELECT array_to_json(array_agg(DISTINCT q.queue)) FROM v_queue_calls q "
        "  WHERE q.call_id = c.call_id) AS queues, "
        "w.code AS wrapup_code, w.notes AS wrapup_notes, w.agent AS wrapup_agent "
        "FROM v_cdr c LEFT JOIN call_wrapups w ON w.call_id = c.call_id "
        "WHERE ($1::timestamptz IS NULL OR c.created_at >= $1::timestamptz) "
        "  AND ($2::timestamptz IS NULL OR c.created_at < $2::timestamptz) "
        "  AND ($3::text IS NULL OR c.caller = $3 OR c.callee = $3) "
        "  AND ($4::text IS NULL OR c.answered_by = $4 OR EXISTS (SELECT 1 FROM v_queue_calls q"
        "       WHERE q.call_id = c.call_id AND q.agent = $4)) "
        "  AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM v_queue_calls q"
        "       WHERE q.call_id = c.call_id AND q.queue = $5)) "
        "  AND ($6::text IS NULL OR c.disposition = $6) "
        "  AND ($7::text[] IS NULL OR EXISTS (SELECT 1 FROM v_queue_calls q"
        "       WHERE q.call_id = c.call_id AND q.queue = ANY($7::text[]))) "
        "ORDER BY c.created_at DESC LIMIT $8::integer",
        8, p);
}

void wd_h_recordings(wd_req_t *req)
{
    char limit[24];
    s_limit(req, limit, sizeof limit, 100);
    const char *p[8] = {s_str(req, "from"),
                        s_str(req, "to"),
                        s_str(req, "number"),
                        s_str(req, "agent"),
                        s_str(req, "queue"),
                        s_scope(req),
                        limit,
                        s_str(req, "disposition")};
    /* the columns are qualified: "started_at" alone in ORDER BY would be the JSON output
     * column, which has no ordering */
    s_search(req, "recordings",
             "SELECT r.id, r.call_id, r.caller, r.callee, r.agent, r.queue, r.trunk, r.mode, "
             "to_json(r.started_at) AS started_at, to_json(r.ended_at) AS ended_at, r.duration_s, "
             "r.size, r.encrypted, r.complete, r.pauses, r.gaps, r.legal_hold, r.deleted, "
             "w.code AS wrapup_code "
             "FROM v_recordings r LEFT JOIN call_wrapups w ON w.call_id = r.call_id "
             "WHERE ($1::timestamptz IS NULL OR r.started_at >= $1::timestamptz) "
             "  AND ($2::timestamptz IS NULL OR r.started_at < $2::timestamptz) "
             "  AND ($3::text IS NULL OR r.caller = $3 OR r.callee = $3) "
             "  AND ($4::text IS NULL OR r.agent = $4) "
             "  AND ($5::text IS NULL OR r.queue = $5) "
             "  AND ($6::text[] IS NULL OR r.queue = ANY($6::text[])) "
             "  AND ($8::text IS NULL OR w.code = $8) "
             "ORDER BY r.started_at DESC LIMIT $7::integer",
             8, p);
}

void wd_h_audit(wd_req_t *req)
{
    char limit[24];
    s_limit(req, limit, sizeof limit, 100);
    const char *p[2] = {s_str(req, "actor"), limit};
    s_search(req, "audit",
             "SELECT id, to_json(at) AS at, actor, role, action, target, detail, address, result "
             "FROM web_audit WHERE ($1::text IS NULL OR actor = $1) ORDER BY id DESC "
             "LIMIT $2::integer",
             2, p);
}

/* A day of one queue from the views, in the centre's time zone (the worker's session). */
void wd_h_figures(wd_req_t *req)
{
    const char *p[2] = {wd_param(&req->params, "queue"), s_str(req, "day")};
    s_search(
        req, "figures",
        "SELECT s.queue, to_char(s.day, 'YYYY-MM-DD') AS day, s.offered, s.answered, "
        "s.abandoned, s.overflowed, s.answered_in_sl, s.abandoned_in_sl, s.abandon_rate_pct, "
        "s.answer_rate_pct, s.service_level_pct, s.sl_answered_pct, s.sl_offered_pct, s.asa_s, "
        "s.avg_talk_s, h.handled, h.talk_s, h.wrap_up_s, h.aht_s "
        "FROM v_queue_stats_daily s LEFT JOIN v_queue_handle_daily h "
        "  ON h.queue = s.queue AND h.day = s.day "
        "WHERE s.queue = $1 AND s.day = $2::date::timestamptz",
        2, p);
}
