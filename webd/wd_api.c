/* wd_api.c - webd's handlers for logging in and out, the pages and their files, the live
 * stream, the wallboard's lists, a finished day's figures from the views, and the audit
 * row every action writes. The route table has already checked who may call each one. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cc_log.h"
#include "wb_json.h"
#include "wd_app.h"

/* ---- the audit log ---------------------------------------------------------------------- */

void wd_audit(wd_req_t *req, const char *result)
{
    wd_app_t *app = req->app;
    const char *actor = req->actor[0] ? req->actor : req->who.authenticated ? req->who.name : "-";
    char target[300] = "";
    size_t used = 0;
    for (int i = 0; i < req->params.n && used < sizeof target - 1; i++)
        used += (size_t)snprintf(target + used, sizeof target - used, "%s%s:%s", used ? " " : "",
                                 req->params.name[i], req->params.value[i]);
    json_t *detail = json_is_object(req->body) ? json_deep_copy(req->body) : json_object();
    json_object_del(detail, "password");
    char *dtext = json_dumps(detail, JSON_COMPACT);
    json_decref(detail);
    const char *p[7] = {actor,
                        req->who.authenticated ? wd_role_name(req->who.role) : NULL,
                        req->route->action,
                        target[0] ? target : NULL,
                        dtext ? dtext : "{}",
                        req->addr,
                        result ? result : "error"};
    wd_db_submit(app->db, wd_job_sql("INSERT INTO web_audit (at, actor, role, action, target, "
                                     "detail, address, result) VALUES (now(), $1, $2, $3, $4, "
                                     "$5::jsonb, $6, $7)",
                                     7, p));
    cc_info("webd.action", "actor=%s action=%s target=%s result=%s address=%s", cc_logq(actor),
            req->route->action, cc_logq(target), cc_logq(result), req->addr);
    free(dtext);
}

/* ---- files ---------------------------------------------------------------------------------- */

static const char *s_ctype(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html; charset=utf-8"},
                 {".css", "text/css; charset=utf-8"},
                 {".js", "application/javascript; charset=utf-8"},
                 {".svg", "image/svg+xml"},
                 {".png", "image/png"},
                 {".ico", "image/x-icon"},
                 {".json", "application/json"}};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].type;
    return NULL;
}

static void s_reply_file(wd_req_t *req, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", req->app->set.www_dir, rel);
    const char *type = s_ctype(rel);
    FILE *f = type ? fopen(path, "rb") : NULL;
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (8 << 20)) {
        if (f)
            fclose(f);
        wd_reply_error(req, 404, "not_found", NULL, "no such file");
        return;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    if (!buf || n != (size_t)st.st_size) {
        free(buf);
        wd_reply_error(req, 500, "read_failed", NULL, "cannot read the file");
        return;
    }
    free(req->resp);
    req->resp = buf;
    req->resp_len = n;
    req->ctype = type;
    req->answered = true;
    req->status = 200;
}

void wd_h_static(wd_req_t *req)
{
    const char *name = req->path + strlen("/static/");
    bool ok = *name && *name != '.' && strlen(name) < 100;
    for (const char *c = name; ok && *c; c++)
        ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
             *c == '_' || *c == '-' || *c == '.';
    if (!ok) {
        wd_reply_error(req, 404, "not_found", NULL, "no such file");
        return;
    }
    char rel[128];
    snprintf(rel, sizeof rel, "static/%s", name);
    s_reply_file(req, rel);
}

void wd_h_page(wd_req_t *req)
{
    s_reply_file(req, !strcmp(req->path, "/login")        ? "login.html"
                      : !strcmp(req->path, "/agent")      ? "agent.html"
                      : !strcmp(req->path, "/recordings") ? "recordings.html"
                      : !strcmp(req->path, "/campaigns")  ? "campaigns.html"
                                                          : "wallboard.html");
}

void wd_h_root(wd_req_t *req)
{
    snprintf(req->location, sizeof req->location, "%s",
             req->who.authenticated && req->who.role == WD_ROLE_AGENT ? "/agent" : "/wallboard");
    wd_reply_json(req, 302, json_object());
}

/* ---- sessions ----------------------------------------------------------------------------- */

static void s_cookie(wd_req_t *req, int slot, const char *name, const char *value, const char *path,
                     int max_age)
{
    snprintf(req->cookie[slot], sizeof req->cookie[slot],
             "%s=%s; Path=%s; HttpOnly; SameSite=Strict; Max-Age=%d%s", name, value, path, max_age,
             req->app->set.tls_cert[0] ? "; Secure" : "");
}

void wd_h_csrf(wd_req_t *req)
{
    char token[WD_SECRET_B64];
    wd_auth_random(token);
    s_cookie(req, 0, "cc_prelogin", token, "/api/login", 600);
    wd_reply_json(req, 200, json_pack("{s:s}", "csrf", token));
}

typedef struct {
    char hash[160];
    char password[260];
    bool ok;
} s_verify_t;

static void s_verify_free(void *arg)
{
    sodium_memzero(arg, sizeof(s_verify_t));
    free(arg);
}

static void s_verify_run(cc_pg_t *pg, wd_job_t *job)
{
    (void)pg;
    s_verify_t *v = job->arg;
    v->ok = crypto_pwhash_str_verify(v->hash, v->password, strlen(v->password)) == 0;
    sodium_memzero(v->password, sizeof v->password);
}

static json_t *s_session_json(wd_app_t *app, const char *name, wd_role_t role, json_t *queues,
                              const char *ext, const char *csrf)
{
    return json_pack("{s:s, s:s, s:O, s:s, s:s, s:s, s:s}", "name", name, "role",
                     wd_role_name(role), "queues", queues ? queues : json_null(), "ext", ext,
                     "csrf", csrf, "sl_formula", wb_sl_formula_name(wb_core_formula(app->core)),
                     "time_zone", app->set.time_zone);
}

static void s_login_done(wd_job_t *job, void *arg)
{
    wd_app_t *app = arg;
    wd_req_t *req = wd_req_find(app, job->req_id);
    const s_verify_t *v = job->arg;
    if (!req)
        return;
    const char *name = json_string_value(json_object_get(req->body, "name"));
    const wd_user_t *u = wd_auth_user(app->auth, name);
    int64_t now = wd_now_us();
    if (!v->ok || !u || u->disabled) {
        wd_throttle_fail(app->fail_user, name, now);
        wd_throttle_fail(app->fail_addr, req->addr, now);
        wd_reply_error(req, 401, "bad_credentials", NULL, "wrong name or password");
        return;
    }
    wd_throttle_clear(app->fail_user, name);
    /* a new session id every time: whatever cookie came in is dropped (fixation) */
    const char *old = wd_req_cookie(req, "cc_session");
    if (old) {
        char key[WD_KEY_HEX];
        wd_auth_key(old, key);
        wd_auth_drop_session(app->auth, key);
        const char *p[1] = {key};
        wd_db_submit(app->db, wd_job_sql("DELETE FROM web_sessions WHERE id_sha256 = $1", 1, p));
    }
    char cookie[WD_SECRET_B64];
    wd_session_t s;
    if (wd_auth_new_session(app->auth, u->name, req->addr, now, app->set.session_ttl_s, cookie,
                            &s) != 0) {
        wd_reply_error(req, 500, "internal", NULL, "cannot make a session");
        return;
    }
    char created[32], expires[32];
    snprintf(created, sizeof created, "%.6f", (double)s.created_us / 1e6);
    snprintf(expires, sizeof expires, "%.6f", (double)s.expires_us / 1e6);
    const char *p[6] = {s.key, s.user, s.csrf, s.address, created, expires};
    wd_db_submit(app->db, wd_job_sql("INSERT INTO web_sessions (id_sha256, user_name, csrf, "
                                     "address, created_at, expires_at) VALUES ($1, $2, $3, $4, "
                                     "to_timestamp($5::float8), to_timestamp($6::float8))",
                                     6, p));
    s_cookie(req, 0, "cc_session", cookie, "/", app->set.session_ttl_s);
    s_cookie(req, 1, "cc_prelogin", "", "/api/login", 0);
    sodium_memzero(cookie, sizeof cookie);
    wd_reply_json(req, 200, s_session_json(app, u->name, u->role, u->queues, u->ext, s.csrf));
}

void wd_h_login(wd_req_t *req)
{
    wd_app_t *app = req->app;
    const char *name = json_string_value(json_object_get(req->body, "name"));
    const char *password = json_string_value(json_object_get(req->body, "password"));
    snprintf(req->actor, sizeof req->actor, "%s", name);
    int64_t now = wd_now_us();
    int wait = wd_throttle_wait_s(app->fail_addr, req->addr, now);
    int wait_user = wd_throttle_wait_s(app->fail_user, name, now);
    if (wait_user > wait)
        wait = wait_user;
    if (wait > 0) {
        req->retry_after = wait;
        wd_reply_error(req, 429, "too_many_attempts", NULL,
                       "too many failed logins: try again in %d s", wait);
        return;
    }
    /* the check costs the same whether the user exists or not */
    const wd_user_t *u = wd_auth_user(app->auth, name);
    s_verify_t *v = calloc(1, sizeof *v);
    wd_job_t *job = calloc(1, sizeof *job);
    if (!v || !job) {
        free(v);
        free(job);
        wd_reply_error(req, 500, "internal", NULL, "out of memory");
        return;
    }
    snprintf(v->hash, sizeof v->hash, "%s", u && u->hash[0] ? u->hash : app->dummy_hash);
    snprintf(v->password, sizeof v->password, "%s", password);
    job->run = s_verify_run;
    job->done = s_login_done;
    job->arg = v;
    job->free_arg = s_verify_free;
    job->req_id = req->id;
    wd_db_submit(app->db, job);
    wd_reply_later(req);
}

void wd_h_logout(wd_req_t *req)
{
    wd_app_t *app = req->app;
    if (!req->who.is_token) {
        wd_auth_drop_session(app->auth, req->who.session_key);
        const char *p[1] = {req->who.session_key};
        wd_db_submit(app->db, wd_job_sql("DELETE FROM web_sessions WHERE id_sha256 = $1", 1, p));
        s_cookie(req, 0, "cc_session", "", "/", 0);
    }
    wd_reply_json(req, 200, json_object());
}

void wd_h_session(wd_req_t *req)
{
    wd_app_t *app = req->app;
    const wd_user_t *u = req->who.is_token ? NULL : wd_auth_user(app->auth, req->who.name);
    json_t *queues = u ? json_incref(u->queues) : NULL;
    if (req->who.is_token && !req->who.all_queues) { /* a token's queues, from its scope */
        queues = json_array();
        size_t pos = 0;
        for (const wb_queue_t *q; (q = wb_core_next_queue(app->core, &pos));)
            if (wb_qset_has(&req->who.qset, q->idx))
                json_array_append_new(queues, json_string(q->name));
    }
    json_t *doc =
        s_session_json(app, req->who.name, req->who.role, queues, req->who.ext, req->who.csrf);
    json_decref(queues);
    wd_reply_json(req, 200, doc);
}

/* ---- the wallboard ------------------------------------------------------------------------- */

void wd_h_stream(wd_req_t *req)
{
    wd_http_stream(req);
}

void wd_h_board(wd_req_t *req)
{
    wd_reply_json(req, 200, wd_board_snapshot(req->app, &req->who));
}

void wd_h_queues(wd_req_t *req)
{
    wd_reply_text(req, 200, wd_board_queues_text(req->app, &req->who));
}

void wd_h_queue(wd_req_t *req)
{
    const char *name = wd_param(&req->params, "queue");
    const wb_queue_t *q = wb_core_queue(req->app->core, name);
    if (!q) {
        wd_reply_error(req, 404, "unknown_queue", NULL, "no queue '%s'", name);
        return;
    }
    json_t *doc = wb_json_queue(req->app->core, q);
    json_object_set_new(doc, "calls", wd_board_calls(req->app, &req->who, name));
    json_object_set_new(doc, "sl_formula",
                        json_string(wb_sl_formula_name(wb_core_formula(req->app->core))));
    wd_reply_json(req, 200, doc);
}

void wd_h_agents(wd_req_t *req)
{
    wd_reply_json(req, 200, json_pack("{s:o}", "agents", wd_board_agents(req->app, &req->who)));
}

void wd_h_calls(wd_req_t *req)
{
    const char *queue = json_string_value(json_object_get(req->body, "queue"));
    wd_reply_json(req, 200,
                  json_pack("{s:o}", "calls", wd_board_calls(req->app, &req->who, queue)));
}

void wd_h_abandoned(wd_req_t *req)
{
    wd_reply_json(req, 200,
                  json_pack("{s:o}", "abandoned", wd_board_abandoned(req->app, &req->who)));
}

void wd_h_alerts(wd_req_t *req)
{
    wd_reply_json(req, 200, json_pack("{s:o}", "alerts", wd_board_alerts(req->app, &req->who)));
}
