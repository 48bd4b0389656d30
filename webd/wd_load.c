/* wd_load.c - what webd takes from Postgres: at start (on the daemon's own connection,
 * before the loop runs) the users, tokens, live sessions, queues, memberships and alert
 * rules, then today's rows of the reports fed to the core as the events they record (so
 * the day's figures start where the views are); on NOTIFY cc_config (on the worker) the
 * configuration again. Also the centre's day. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cc_log.h"
#include "wb_json.h"
#include "wd_app.h"

void wd_load_day(const char *time_zone, int64_t now_us, int64_t *start, int64_t *end)
{
    (void)time_zone; /* the process runs in it: main.c sets TZ */
    time_t now = (time_t)(now_us / 1000000);
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    time_t midnight = mktime(&tm);
    tm.tm_mday += 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    time_t next = mktime(&tm);
    *start = (int64_t)midnight * 1000000;
    *end = (int64_t)next * 1000000;
}

static const char *const s_users_sql =
    "SELECT name, role, array_to_json(queues) AS queues, coalesce(ext, '') AS ext, "
    "password_hash, disabled FROM web_users";
static const char *const s_tokens_sql =
    "SELECT name, role, array_to_json(queues) AS queues, token_sha256, "
    "(extract(epoch FROM expires_at) * 1000)::bigint AS expires_ms FROM web_tokens";
static const char *const s_queues_sql = "SELECT name, sl_threshold_s FROM v_queues";
static const char *const s_members_sql =
    "SELECT queue, ext, agent_name FROM v_queue_members ORDER BY queue, ext";
static const char *const s_rules_sql =
    "SELECT queue, sl_target_pct, max_wait_s, max_call_s, max_not_ready_s FROM web_alert_rules";

/* ---- applying the configuration ----------------------------------------------------------- */

static int s_int_or(json_t *row, const char *key, int dflt)
{
    json_t *v = json_object_get(row, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

static void s_apply_acd(wd_app_t *app, json_t *queues, json_t *members, json_t *rules,
                        const wb_rules_t *dflt)
{
    size_t i;
    json_t *row;
    json_array_foreach(queues, i, row)
        wb_core_queue_set(app->core, json_string_value(json_object_get(row, "name")),
                          s_int_or(row, "sl_threshold_s", 20));
    /* members per queue, every known queue (one that lost all its members gets none) */
    size_t pos = 0;
    for (wb_queue_t *q; (q = wb_core_next_queue(app->core, &pos));) {
        const char *exts[1024];
        size_t n = 0;
        json_array_foreach(members, i, row)
        {
            const char *queue = json_string_value(json_object_get(row, "queue"));
            const char *ext = json_string_value(json_object_get(row, "ext"));
            if (queue && ext && !strcmp(queue, q->name) && n < 1024) {
                exts[n++] = ext;
                wb_core_agent_set(app->core, ext,
                                  json_string_value(json_object_get(row, "agent_name")));
            }
        }
        wb_core_members_set(app->core, q->name, exts, n);
        wb_core_rules_set(app->core, q->name, dflt);
    }
    json_array_foreach(rules, i, row)
    {
        wb_rules_t r = {
            .sl_target_pct = s_int_or(row, "sl_target_pct", dflt->sl_target_pct),
            .max_wait_s = s_int_or(row, "max_wait_s", dflt->max_wait_s),
            .max_call_s = s_int_or(row, "max_call_s", dflt->max_call_s),
            .max_not_ready_s = s_int_or(row, "max_not_ready_s", dflt->max_not_ready_s),
        };
        wb_core_rules_set(app->core, json_string_value(json_object_get(row, "queue")), &r);
    }
}

static void s_apply_auth(wd_app_t *app, json_t *users, json_t *tokens)
{
    int skipped = 0;
    wd_auth_set_users(app->auth, users, &skipped);
    if (skipped)
        cc_warn("webd.users_skipped", "count=%d", skipped);
    wd_auth_set_tokens(app->auth, tokens, &skipped);
    if (skipped)
        cc_warn("webd.tokens_skipped", "count=%d", skipped);
}

/* ---- today's rows as events ------------------------------------------------------------------ */

/* One row of the history query below as a figures-only event. */
static int s_feed_row(wb_core_t *core, json_t *row)
{
    const char *kind = json_string_value(json_object_get(row, "kind"));
    json_t *secs = json_object_get(row, "secs");
    int64_t ms = json_is_number(secs) ? llround(json_number_value(secs) * 1000.0) : 0;
    int64_t ts = (int64_t)json_integer_value(json_object_get(row, "ts_us"));
    char target[WB_NAME_MAX] = "";
    const char *detail = json_string_value(json_object_get(row, "detail"));
    const char *colon = detail ? strstr(detail, "/queue:") : NULL;
    if (colon)
        snprintf(target, sizeof target, "%s", colon + 7);
    wb_event_t ev = {.ts_us = ts,
                     .live = false,
                     .call_id = json_string_value(json_object_get(row, "call_id")),
                     .queue = json_string_value(json_object_get(row, "queue")),
                     .agent = json_string_value(json_object_get(row, "agent")),
                     .caller = json_string_value(json_object_get(row, "caller")),
                     .target = target,
                     .wait_ms = ms,
                     .talk_ms = ms,
                     .previous_ms = ms,
                     .since_us = ts,
                     .in_sl = json_is_true(json_object_get(row, "in_sl"))};
    if (!kind)
        return -1;
    if (!strcmp(kind, "entered"))
        ev.kind = WB_EV_ENTERED;
    else if (!strcmp(kind, "answered"))
        ev.kind = WB_EV_ANSWERED;
    else if (!strcmp(kind, "abandoned"))
        ev.kind = WB_EV_ABANDONED;
    else if (!strcmp(kind, "overflowed"))
        ev.kind = WB_EV_OVERFLOWED;
    else if (!strcmp(kind, "completed"))
        ev.kind = WB_EV_COMPLETED;
    else if (!strcmp(kind, "callback"))
        ev.kind = WB_EV_CALLBACK_REQUESTED;
    else if (!strcmp(kind, "state")) {
        ev.kind = WB_EV_AGENT_STATE;
        ev.previous = WB_AGENT_WRAP_UP;
    } else
        return -1;
    return wb_core_apply(core, &ev);
}

/* Today's rows of the reports, in time order: each call's entry, answer, abandon and
 * overflow in each queue (v_queue_calls), each completion (v_agent_calls) and the end of
 * each wrap-up (v_agent_state_changes); the last completion of each agent before today
 * (the queue its first wrap-up today belongs to); and the callbacks still pending. */
static const char *const s_history_sql =
    "WITH d AS (SELECT to_timestamp($1::double precision) AS lo, "
    "                  to_timestamp($2::double precision) AS hi) "
    "SELECT (extract(epoch FROM h.ts) * 1000000)::bigint AS ts_us, h.* FROM ("
    " SELECT entered_at AS ts, 'entered' AS kind, call_id, queue, caller, NULL::text AS agent,"
    "   NULL::float8 AS secs, NULL::boolean AS in_sl, NULL::text AS detail"
    "  FROM v_queue_calls, d WHERE entered_at >= d.lo AND entered_at < d.hi"
    " UNION ALL SELECT answered_at, 'answered', call_id, queue, caller, agent, answer_wait_s,"
    "   in_sl, NULL FROM v_queue_calls, d"
    "  WHERE entered_at >= d.lo AND entered_at < d.hi AND answered_at IS NOT NULL"
    " UNION ALL SELECT abandoned_at, 'abandoned', call_id, queue, caller, NULL, abandon_wait_s,"
    "   NULL, NULL FROM v_queue_calls, d"
    "  WHERE entered_at >= d.lo AND entered_at < d.hi AND abandoned_at IS NOT NULL"
    " UNION ALL SELECT overflowed_at, 'overflowed', call_id, queue, caller, NULL, NULL, NULL,"
    "   overflow FROM v_queue_calls, d"
    "  WHERE entered_at >= d.lo AND entered_at < d.hi AND overflowed_at IS NOT NULL"
    " UNION ALL SELECT completed_at, 'completed', call_id, queue, NULL, agent, talk_s, NULL,"
    "   NULL FROM v_agent_calls, d WHERE completed_at >= d.lo AND completed_at < d.hi"
    " UNION ALL SELECT started_at, 'state', NULL, NULL, NULL, ext, previous_s, NULL, NULL"
    "  FROM v_agent_state_changes, d"
    "  WHERE started_at >= d.lo AND started_at < d.hi AND previous = 'wrap_up'"
    " UNION ALL (SELECT DISTINCT ON (agent) completed_at, 'completed', call_id, queue, NULL,"
    "   agent, talk_s, NULL, NULL FROM v_agent_calls, d WHERE completed_at < d.lo"
    "   ORDER BY agent, completed_at DESC)"
    " UNION ALL SELECT requested_at, 'callback', call_id, queue, number, NULL, NULL, NULL,"
    "   NULL FROM v_callbacks WHERE result = 'pending'"
    ") h ORDER BY h.ts";

static int s_load_history(wd_app_t *app, cc_pg_t *pg)
{
    int64_t start, end;
    wd_load_day(app->set.time_zone, wd_now_us(), &start, &end);
    wb_core_set_day(app->core, start, end);
    char lo[32], hi[32], err[256];
    snprintf(lo, sizeof lo, "%.6f", (double)start / 1e6);
    snprintf(hi, sizeof hi, "%.6f", (double)end / 1e6);
    const char *p[2] = {lo, hi};
    json_t *rows = wd_db_query(pg, s_history_sql, 2, p, err, sizeof err);
    if (!rows) {
        cc_error("webd.load_failed", "what=history error=%s", cc_logq(err));
        return -1;
    }
    size_t i, bad = 0;
    json_t *row;
    json_array_foreach(rows, i, row) bad += s_feed_row(app->core, row) != 0;
    cc_info("webd.history_loaded", "rows=%zu skipped=%zu", json_array_size(rows), bad);
    json_decref(rows);
    return 0;
}

static json_t *s_q(cc_pg_t *pg, const char *what, const char *sql)
{
    char err[256];
    json_t *rows = wd_db_query(pg, sql, 0, NULL, err, sizeof err);
    if (!rows)
        cc_error("webd.load_failed", "what=%s error=%s", what, cc_logq(err));
    return rows;
}

int wd_load_start(wd_app_t *app, cc_pg_t *pg)
{
    const char *tz[1] = {app->set.time_zone};
    PGresult *res = cc_pg_exec_params(pg, "SELECT set_config('TimeZone', $1, false)", 1, tz);
    if (!res) {
        cc_error("webd.load_failed", "what=time_zone error=%s", cc_logq(cc_pg_error(pg)));
        return -1;
    }
    PQclear(res);
    json_t *users = s_q(pg, "users", s_users_sql), *tokens = s_q(pg, "tokens", s_tokens_sql);
    json_t *sessions = s_q(pg, "sessions",
                           "SELECT id_sha256, user_name, csrf, address, "
                           "(extract(epoch FROM created_at) * 1000000)::bigint AS created_us, "
                           "(extract(epoch FROM expires_at) * 1000000)::bigint AS expires_us "
                           "FROM web_sessions WHERE expires_at > now()");
    json_t *queues = s_q(pg, "queues", s_queues_sql), *members = s_q(pg, "members", s_members_sql);
    json_t *rules = s_q(pg, "rules", s_rules_sql);
    int rc = users && tokens && sessions && queues && members && rules ? 0 : -1;
    if (rc == 0) {
        s_apply_auth(app, users, tokens);
        size_t i;
        json_t *row;
        json_array_foreach(sessions, i, row)
        {
            wd_session_t s = {0};
            snprintf(s.key, sizeof s.key, "%s",
                     json_string_value(json_object_get(row, "id_sha256")));
            snprintf(s.user, sizeof s.user, "%s",
                     json_string_value(json_object_get(row, "user_name")));
            snprintf(s.csrf, sizeof s.csrf, "%s", json_string_value(json_object_get(row, "csrf")));
            snprintf(s.address, sizeof s.address, "%s",
                     json_string_value(json_object_get(row, "address")));
            s.created_us = (int64_t)json_integer_value(json_object_get(row, "created_us"));
            s.expires_us = (int64_t)json_integer_value(json_object_get(row, "expires_us"));
            wd_auth_add_session(app->auth, &s);
        }
        s_apply_acd(app, queues, members, rules, &wd_default_rules);
        cc_info("webd.loaded", "users=%zu tokens=%zu sessions=%zu queues=%zu members=%zu",
                json_array_size(users), json_array_size(tokens), json_array_size(sessions),
                json_array_size(queues), json_array_size(members));
        rc = s_load_history(app, pg);
    }
    json_decref(users);
    json_decref(tokens);
    json_decref(sessions);
    json_decref(queues);
    json_decref(members);
    json_decref(rules);
    wb_core_clear_changes(app->core);
    return rc;
}

/* ---- reload on NOTIFY --------------------------------------------------------------------- */

void wd_load_reload_run(cc_pg_t *pg, wd_job_t *job)
{
    json_t *o = json_object();
    json_object_set_new(o, "users", s_q(pg, "users", s_users_sql));
    json_object_set_new(o, "tokens", s_q(pg, "tokens", s_tokens_sql));
    json_object_set_new(o, "queues", s_q(pg, "queues", s_queues_sql));
    json_object_set_new(o, "members", s_q(pg, "members", s_members_sql));
    json_object_set_new(o, "rules", s_q(pg, "rules", s_rules_sql));
    const char *const keys[] = {"users", "tokens", "queues", "members", "rules"};
    job->status = 0;
    for (size_t i = 0; i < 5; i++)
        if (!json_is_array(json_object_get(o, keys[i])))
            job->status = -1;
    job->result = o;
}

void wd_load_reload_done(wd_job_t *job, void *arg)
{
    wd_app_t *app = arg;
    if (job->status != 0) {
        cc_warn("webd.reload_failed", "kept=previous");
        return;
    }
    json_t *o = job->result;
    s_apply_auth(app, json_object_get(o, "users"), json_object_get(o, "tokens"));
    s_apply_acd(app, json_object_get(o, "queues"), json_object_get(o, "members"),
                json_object_get(o, "rules"), &wd_default_rules);
    /* sessions of users gone or disabled end now, rows included */
    char keys[64][WD_KEY_HEX];
    size_t n = wd_auth_stale_sessions(app->auth, wd_now_us(), keys, 64);
    for (size_t i = 0; i < n; i++) {
        wd_auth_drop_session(app->auth, keys[i]);
        const char *p[1] = {keys[i]};
        wd_db_submit(app->db, wd_job_sql("DELETE FROM web_sessions WHERE id_sha256 = $1", 1, p));
    }
    /* roles and queues may have changed: every stream gets a snapshot for its principal
     * as it is now (wd_board_flush refreshes them, and ends those no longer valid) */
    wb_core_mark_reset(app->core);
    wd_board_flush(app);
    cc_info("webd.reloaded", "users=%zu queues=%zu", json_array_size(json_object_get(o, "users")),
            json_array_size(json_object_get(o, "queues")));
}
