/* wd_http.c - webd's HTTP(S) adapter on libmicrohttpd: the server runs in the daemon's own
 * loop (MHD's epoll fd is one of the loop's), each request becomes a wd_req_t and goes
 * through the route table's decisions in a fixed order before its handler runs:
 *   route (404/405) -> body size (413) -> who (cookie or bearer) and role (401/403) ->
 *   CSRF and Origin (403) -> body / query fields (400) -> queue scope (403/404) -> handler.
 * Handlers answer at once or later (bus and database replies): the connection is
 * suspended meanwhile and resumed by the reply. Live streams are responses fed from
 * wd_stream.c, suspended while they have nothing to send. Every reply to a route with an
 * audit action writes its audit row here, so no action goes unrecorded. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cc_log.h"
#include "wb_json.h"
#include "wd_app.h"

struct wd_http {
    wd_app_t *app;
    struct MHD_Daemon *mhd;
    int epfd;
    int timer;
    bool need_run;
    char *cert, *key;
    bool tls;
};

/* ---- replies ----------------------------------------------------------------------------- */

static void s_finish(wd_req_t *req, int status, const char *code);

void wd_reply_json(wd_req_t *req, int status, json_t *body)
{
    if (req->answered) {
        json_decref(body);
        return;
    }
    req->resp = body ? json_dumps(body, WB_JSON_FLAGS) : strdup("{}");
    req->resp_len = req->resp ? strlen(req->resp) : 0;
    req->ctype = "application/json";
    char code[64];
    snprintf(code, sizeof code, "%s", status < 400 ? "ok" : "error");
    const char *err = json_string_value(json_object_get(json_object_get(body, "error"), "code"));
    if (status >= 400 && err)
        snprintf(code, sizeof code, "%s", err);
    json_decref(body);
    s_finish(req, status, code);
}

void wd_reply_text(wd_req_t *req, int status, char *json)
{
    if (req->answered || !json) {
        free(json);
        if (!req->answered)
            wd_reply_error(req, 500, "internal", NULL, "out of memory");
        return;
    }
    free(req->resp);
    req->resp = json;
    req->resp_len = strlen(json);
    req->ctype = "application/json";
    s_finish(req, status, status < 400 ? "ok" : "error");
}

void wd_reply_bytes(wd_req_t *req, int status, const char *ctype, char *buf, size_t len)
{
    if (req->answered) {
        free(buf);
        return;
    }
    free(req->resp);
    req->resp = buf;
    req->resp_len = len;
    req->ctype = ctype;
    s_finish(req, status, status < 400 ? "ok" : "error");
}

void wd_reply_error(wd_req_t *req, int status, const char *code, const char *field, const char *fmt,
                    ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *err = json_pack("{s:s, s:s}", "code", code, "message", msg);
    if (field && *field)
        json_object_set_new(err, "field", json_string(field));
    wd_reply_json(req, status, json_pack("{s:o}", "error", err));
}

void wd_reply_bus_error(wd_req_t *req, int status, json_t *error)
{
    if (status == -ETIMEDOUT) {
        wd_reply_error(req, 504, "timeout", NULL, "no answer from the daemon in time");
        return;
    }
    const char *code = json_string_value(json_object_get(error, "code"));
    const char *message = json_string_value(json_object_get(error, "message"));
    static const struct {
        const char *code;
        int http;
    } map[] = {{"bad_args", 400},      {"unknown_call", 404}, {"unknown_queue", 404},
               {"unknown_agent", 404}, {"not_allowed", 409},  {"bad_state", 409},
               {"exists", 409}};
    int http = 502;
    for (size_t i = 0; code && i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i].code, code))
            http = map[i].http;
    wd_reply_error(req, http, code ? code : "bad_gateway", NULL, "%s",
                   message ? message : "the daemon refused");
}

void wd_reply_later(wd_req_t *req)
{
    (void)req; /* the access handler suspends the connection when it sees no reply */
}

wd_req_t *wd_req_find(wd_app_t *app, uint64_t id)
{
    char key[24];
    snprintf(key, sizeof key, "%llu", (unsigned long long)id);
    return cc_map_get(app->reqs, key);
}

static void s_resume(wd_req_t *req)
{
    if (!req->suspended)
        return;
    req->suspended = false;
    MHD_resume_connection(req->conn);
    req->app->http->need_run = true;
}

static void s_finish(wd_req_t *req, int status, const char *code)
{
    req->answered = true;
    req->status = status;
    if (req->route && req->route->action)
        wd_audit(req, code);
    s_resume(req);
}

/* ---- the response ------------------------------------------------------------------------ */

static void s_security_headers(wd_http_t *self, struct MHD_Response *r, bool html)
{
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    if (html)
        MHD_add_response_header(r, "Content-Security-Policy",
                                "default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; connect-src 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    if (self->tls)
        MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
}

static enum MHD_Result s_queue(wd_http_t *self, wd_req_t *req)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(req->resp_len, req->resp, MHD_RESPMEM_MUST_FREE);
    if (!r)
        return MHD_NO;
    req->resp = NULL; /* MHD frees it */
    MHD_add_response_header(r, "Content-Type", req->ctype ? req->ctype : "application/json");
    bool html = req->ctype && !strncmp(req->ctype, "text/html", 9);
    bool asset = req->route && !strcmp(req->route->pattern, "/static/*");
    MHD_add_response_header(r, "Cache-Control", asset ? "no-cache" : "no-store");
    s_security_headers(self, r, html);
    for (int i = 0; i < 2; i++)
        if (req->cookie[i][0])
            MHD_add_response_header(r, "Set-Cookie", req->cookie[i]);
    if (req->location[0])
        MHD_add_response_header(r, "Location", req->location);
    if (req->allow[0])
        MHD_add_response_header(r, "Allow", req->allow);
    if (req->accept_ranges)
        MHD_add_response_header(r, "Accept-Ranges", "bytes");
    if (req->content_range[0])
        MHD_add_response_header(r, "Content-Range", req->content_range);
    if (req->disposition[0])
        MHD_add_response_header(r, "Content-Disposition", req->disposition);
    if (req->retry_after > 0) {
        char s[16];
        snprintf(s, sizeof s, "%d", req->retry_after);
        MHD_add_response_header(r, "Retry-After", s);
    }
    enum MHD_Result rc = MHD_queue_response(req->conn, (unsigned)req->status, r);
    MHD_destroy_response(r);
    return rc;
}

/* ---- live streams ------------------------------------------------------------------------- */

void wd_http_wake(wd_stream_t *stream, void *conn)
{
    (void)stream;
    wd_req_t *req = conn;
    s_resume(req);
    /* not suspended (between two reads of a busy stream): libmicrohttpd asks for more
     * only when it runs again, and an idle socket gives it no reason to */
    req->app->http->need_run = true;
}

static ssize_t s_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    wd_req_t *req = cls;
    if (!req->stream || wd_stream_overflowed(req->stream))
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = wd_stream_read(req->stream, buf, max);
    if (n > 0) {
        /* more than one block waiting: run again once this one is out, rather than wait
         * for the socket or the timer to bring libmicrohttpd back */
        if (wd_stream_pending(req->stream) > 0)
            req->app->http->need_run = true;
        return (ssize_t)n;
    }
    if (req->stream_end)
        return MHD_CONTENT_READER_END_OF_STREAM;
    req->suspended = true;
    MHD_suspend_connection(req->conn);
    return 0;
}

void wd_http_stream(wd_req_t *req)
{
    wd_app_t *app = req->app;
    req->stream = wd_stream_open(app->streams, &req->who, req);
    if (!req->stream) {
        wd_reply_error(req, 503, "busy", NULL, "cannot open a stream now");
        return;
    }
    /* the browser's own reconnect sends the header; a page that starts a new EventSource
     * (after a refused one) passes the id in the query */
    const char *last = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Last-Event-ID");
    if (!last)
        last = json_string_value(json_object_get(req->body, "last_event_id"));
    wd_cursor_t after;
    /* "retry" makes the browser come back after a second when the stream drops */
    wd_stream_send(app->streams, req->stream, "retry: 1000\n\n", 13);
    if (!last || wd_cursor_parse(last, &after) != 0 ||
        wd_stream_resume(app->streams, req->stream, &after) != 0)
        wd_board_send_snapshot(app, req->stream);
    cc_debug("webd.stream_open", "who=%s resumed=%s streams=%zu", cc_logq(req->who.name),
             last ? last : "-", wd_streams_count(app->streams));
}

static enum MHD_Result s_queue_stream(wd_http_t *self, wd_req_t *req)
{
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 8 * 1024, s_stream_read, req, NULL);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    s_security_headers(self, r, false);
    req->answered = true;
    enum MHD_Result rc = MHD_queue_response(req->conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

/* ---- requests ---------------------------------------------------------------------------- */

static void s_client_addr(struct MHD_Connection *conn, char *out, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, len, "?");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)len);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)len);
}

static wd_req_t *s_req_new(wd_http_t *self, struct MHD_Connection *conn, const char *url,
                           const char *method)
{
    wd_app_t *app = self->app;
    wd_req_t *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->app = app;
    req->conn = conn;
    req->id = ++app->next_req_id;
    snprintf(req->method, sizeof req->method, "%s", method);
    snprintf(req->path, sizeof req->path, "%s", url);
    s_client_addr(conn, req->addr, sizeof req->addr);
    char key[24];
    snprintf(key, sizeof key, "%llu", (unsigned long long)req->id);
    if (cc_map_insert(app->reqs, key, req) != 0) {
        free(req);
        return NULL;
    }
    return req;
}

static void s_req_free(wd_http_t *self, wd_req_t *req)
{
    wd_app_t *app = self->app;
    cc_bus_owner_cancel(app->bus, &req->owner);
    if (req->stream)
        wd_stream_close(app->streams, &req->stream);
    char key[24];
    snprintf(key, sizeof key, "%llu", (unsigned long long)req->id);
    cc_map_take(app->reqs, key);
    json_decref(req->body);
    free(req->upload);
    free(req->resp);
    free(req);
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    wd_req_t *req = *con_cls;
    if (req)
        s_req_free(cls, req);
    *con_cls = NULL;
}

static const char *s_header(wd_req_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *wd_req_header(wd_req_t *req, const char *name)
{
    return s_header(req, name);
}

const char *wd_req_cookie(wd_req_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

/* The Origin of a state-changing request, when the browser sent one, must be this host. */
static bool s_origin_ok(wd_http_t *self, wd_req_t *req)
{
    const char *origin = s_header(req, "Origin"), *host = s_header(req, "Host");
    if (!origin)
        return true;
    char want[300];
    snprintf(want, sizeof want, "%s://%s", self->tls ? "https" : "http", host ? host : "");
    return !strcmp(origin, want);
}

static void s_unauthorized(wd_req_t *req, int status, const char *why)
{
    if (req->route->flags & WD_R_PAGE) {
        if (status == 401) {
            snprintf(req->location, sizeof req->location, "/login");
            req->resp = strdup("");
            req->ctype = "text/html; charset=utf-8";
            s_finish(req, 302, "login");
            return;
        }
    }
    wd_reply_error(req, status, status == 401 ? "unauthenticated" : "forbidden", NULL, "%s", why);
}

/* Headers are in: route, size, who, role, CSRF. Answers at once when any fails. */
static void s_begin(wd_http_t *self, wd_req_t *req)
{
    wd_app_t *app = self->app;
    size_t n;
    const wd_route_t *table = wd_routes(&n);
    int rc = wd_route_match(table, n, req->method, req->path, &req->route, &req->params, req->allow,
                            sizeof req->allow);
    if (rc == 404 || rc == 400) {
        req->allow[0] = '\0';
        wd_reply_error(req, rc, rc == 404 ? "not_found" : "bad_path", NULL,
                       rc == 404 ? "no such route" : "a path parameter cannot be read");
        return;
    }
    if (rc == 405) {
        wd_reply_error(req, 405, "method_not_allowed", NULL, "use %s", req->allow);
        return;
    }
    const char *clen = s_header(req, "Content-Length");
    if (clen && strtoll(clen, NULL, 10) > app->set.max_body) {
        req->too_large = true;
        wd_reply_error(req, 413, "too_large", NULL, "the body is larger than %d bytes",
                       app->set.max_body);
        return;
    }
    const char *auth = s_header(req, "Authorization");
    const char *bearer = auth && !strncasecmp(auth, "Bearer ", 7) ? auth + 7 : NULL;
    const char *cookie = MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, "cc_session");
    wd_auth_principal(app->auth, app->core, cookie, bearer, wd_now_us(), &req->who);
    const char *why;
    rc = wd_route_authorize(req->route, &req->who, s_header(req, "X-CSRF-Token"),
                            MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, "cc_prelogin"),
                            &why);
    if (rc == 0 && strcmp(req->method, "GET") != 0 && !s_origin_ok(self, req)) {
        rc = 403;
        why = "cross-origin request refused";
    }
    if (rc != 0)
        s_unauthorized(req, rc, why);
}

static void s_upload(wd_http_t *self, wd_req_t *req, const char *data, size_t len)
{
    if (req->too_large || req->answered)
        return;
    if (req->upload_len + len > (size_t)self->app->set.max_body) {
        req->too_large = true;
        return;
    }
    char *n = realloc(req->upload, req->upload_len + len + 1);
    if (!n) {
        req->too_large = true;
        return;
    }
    memcpy(n + req->upload_len, data, len);
    req->upload = n;
    req->upload_len += len;
    req->upload[req->upload_len] = '\0';
}

static enum MHD_Result s_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    json_object_set_new(cls, key, json_string(value ? value : ""));
    return MHD_YES;
}

/* The route's fields, from the query (GET) or the JSON body. 0 or answered (400). */
static int s_fields(wd_req_t *req)
{
    bool query = !strcmp(req->method, "GET");
    if (query) {
        req->body = json_object();
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, s_query_arg, req->body);
    } else if (req->upload_len == 0) {
        req->body = json_object();
    } else {
        json_error_t jerr;
        req->body = json_loadb(req->upload, req->upload_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!req->body) {
            wd_reply_error(req, 400, "bad_json", NULL, "the body is not JSON: %s", jerr.text);
            return -1;
        }
    }
    const char *field;
    char msg[256];
    if (wd_fields_check(req->route->fields, req->body, query, &field, msg, sizeof msg) != 0) {
        wd_reply_error(req, 400, "bad_field", field, "%s", msg);
        return -1;
    }
    return 0;
}

static int s_scope_queue(wd_req_t *req, const char *name, const char *field)
{
    if (!name || wd_scope_queue(&req->who, wb_queue_index(req->app->core, name)))
        return 0;
    wd_reply_error(req, 403, "queue_not_assigned", field, "queue '%s' is not one of yours", name);
    return -1;
}

static int s_scope_agent(wd_req_t *req, const char *ext, const char *field)
{
    if (!ext)
        return 0;
    const wb_agent_t *a = wb_core_agent(req->app->core, ext);
    if (!a) {
        wd_reply_error(req, 404, "unknown_agent", field, "no agent %s", ext);
        return -1;
    }
    if (wd_scope_set(&req->who, &a->queues))
        return 0;
    wd_reply_error(req, 403, "agent_not_assigned", field, "agent %s serves none of your queues",
                   ext);
    return -1;
}

/* The queue checks of the route, before its handler. 0 or answered. */
static int s_scope(wd_req_t *req)
{
    unsigned sc = req->route->scope;
    const char *body_queue = json_string_value(json_object_get(req->body, "queue"));
    const char *body_agent = json_string_value(json_object_get(req->body, "agent"));
    if ((sc & WD_SCOPE_QUEUE) && s_scope_queue(req, wd_param(&req->params, "queue"), NULL))
        return -1;
    if ((sc & WD_SCOPE_AGENT) && s_scope_agent(req, wd_param(&req->params, "ext"), NULL))
        return -1;
    if (sc & WD_SCOPE_CALL) {
        const char *id = wd_param(&req->params, "call_id");
        const wb_call_t *c = wb_core_call(req->app->core, id);
        if (!c) {
            wd_reply_error(req, 404, "unknown_call", NULL, "no call %s on the board", id);
            return -1;
        }
        if (s_scope_queue(req, c->queue, NULL))
            return -1;
    }
    if ((sc & WD_SCOPE_BODY_QUEUE) && s_scope_queue(req, body_queue, "queue"))
        return -1;
    if ((sc & WD_SCOPE_BODY_AGENT) && s_scope_agent(req, body_agent, "agent"))
        return -1;
    return 0;
}

static void s_dispatch(wd_http_t *self, wd_req_t *req)
{
    (void)self;
    if (req->too_large) {
        wd_reply_error(req, 413, "too_large", NULL, "the body is larger than %d bytes",
                       req->app->set.max_body);
        return;
    }
    if (s_fields(req) != 0 || s_scope(req) != 0)
        return;
    req->route->fn(req);
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **con_cls)
{
    (void)version;
    wd_http_t *self = cls;
    wd_req_t *req = *con_cls;
    if (!req) {
        if (!(req = s_req_new(self, conn, url, method)))
            return MHD_NO;
        *con_cls = req;
        s_begin(self, req);
        if (!req->answered)
            return MHD_YES;
        req->queued = true; /* refused on its headers: the body is not read */
        return s_queue(self, req);
    }
    if (*upload_data_size > 0) {
        s_upload(self, req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->queued)
        return MHD_YES;
    if (!req->dispatched) {
        req->dispatched = true;
        s_dispatch(self, req);
        if (req->stream && !req->answered)
            return s_queue_stream(self, req);
    }
    if (req->answered) {
        if (req->stream)
            return MHD_YES;
        req->queued = true;
        return s_queue(self, req);
    }
    req->suspended = true; /* a bus or database reply will resume it */
    MHD_suspend_connection(conn);
    return MHD_YES;
}

/* ---- the server in the loop ----------------------------------------------------------------- */

static void s_run(wd_http_t *self)
{
    self->need_run = false;
    MHD_run(self->mhd);
}

static void s_on_ready(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    s_run(arg);
}

static void s_on_timer(cc_loop_t *loop, int id, void *arg)
{
    (void)loop;
    (void)id;
    s_run(arg);
}

/* Connections were resumed (a reply, or a stream with something to send): libmicrohttpd
 * takes a resumed connection back in one MHD_run and serves it in the next, so two runs,
 * or its bytes would wait for the next socket event or timer. */
static bool s_prepare(cc_loop_t *loop, void *arg)
{
    (void)loop;
    wd_http_t *self = arg;
    if (!self->need_run)
        return false;
    s_run(self);
    MHD_run(self->mhd);
    return true;
}

static void s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    cc_warn("webd.http", "msg=%s", cc_logq(msg));
}

static char *s_read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = calloc(1, 1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (!buf || n == 0) {
        free(buf);
        snprintf(err, errlen, "%s is empty or too large", path);
        return NULL;
    }
    return buf;
}

static int s_bind_addr(const char *bind, int port, struct sockaddr_storage *sa, bool *v6)
{
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_PASSIVE, .ai_socktype = SOCK_STREAM},
                    *res = NULL;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%d", port);
    if (getaddrinfo(bind && *bind ? bind : NULL, portstr, &hints, &res) != 0 || !res)
        return -1;
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return 0;
}

wd_http_t *wd_http_start(wd_app_t *app, char *err, size_t errlen)
{
    wd_http_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->app = app;
    app->http = self;
    struct sockaddr_storage sa;
    bool v6 = false;
    if (s_bind_addr(app->set.bind, app->set.port, &sa, &v6) != 0) {
        snprintf(err, errlen, "bad bind address '%s'", app->set.bind);
        goto fail;
    }
    self->tls = app->set.tls_cert[0] != '\0';
    if (self->tls && (!(self->cert = s_read_file(app->set.tls_cert, err, errlen)) ||
                      !(self->key = s_read_file(app->set.tls_key, err, errlen))))
        goto fail;
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &sa},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)s_completed, self},
        {MHD_OPTION_CONNECTION_LIMIT, app->set.max_connections, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, 120, NULL},
        /* per connection: request headers and the response being sent; a thousand
         * wallboards are a thousand of these */
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 16 * 1024, NULL},
        {self->tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, self->key},
        {self->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, self->cert},
        {MHD_OPTION_END, 0, NULL},
    };
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     (v6 ? MHD_USE_IPv6 : 0) | (self->tls ? MHD_USE_TLS : 0);
    self->mhd = MHD_start_daemon(flags, (uint16_t)app->set.port, NULL, NULL, s_access, self,
                                 MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, self, MHD_OPTION_ARRAY,
                                 opts, MHD_OPTION_END);
    if (!self->mhd) {
        snprintf(err, errlen, "cannot listen on %s port %d (in use, or a bad certificate)",
                 app->set.bind, app->set.port);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    self->epfd = info ? info->epoll_fd : -1;
    cc_loop_t *loop = app->d->loop;
    self->timer = cc_loop_timer_add(loop, 250, 250, s_on_timer, self);
    if (self->epfd < 0 || cc_loop_fd_add(loop, self->epfd, EPOLLIN, s_on_ready, self) != 0 ||
        self->timer < 0 || cc_loop_prepare_add(loop, s_prepare, self) != 0) {
        snprintf(err, errlen, "cannot watch the HTTP server's sockets");
        goto fail;
    }
    return self;
fail:
    wd_http_stop(&self);
    app->http = NULL;
    return NULL;
}

size_t wd_http_connections(const wd_http_t *self)
{
    const union MHD_DaemonInfo *info =
        self && self->mhd ? MHD_get_daemon_info(self->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS)
                          : NULL;
    return info ? info->num_connections : 0;
}

void wd_http_stop(wd_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wd_http_t *self = *self_p;
    wd_app_t *app = self->app;
    if (self->mhd) {
        MHD_quiesce_daemon(self->mhd);
        /* every stream ends, every waiting request gets its answer */
        cc_map_iter_t it = cc_map_iter(app->reqs);
        for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
            wd_req_t *req = cc_map_value(e);
            cc_bus_owner_cancel(app->bus, &req->owner);
            if (req->stream)
                req->stream_end = true;
            else if (req->dispatched && !req->answered)
                wd_reply_error(req, 503, "stopping", NULL, "webd is stopping");
            s_resume(req);
        }
        for (int i = 0; i < 5; i++)
            MHD_run(self->mhd);
        MHD_stop_daemon(self->mhd);
    }
    cc_loop_t *loop = app->d->loop;
    if (self->epfd >= 0 && self->mhd)
        cc_loop_fd_remove(loop, self->epfd);
    if (self->timer > 0)
        cc_loop_timer_cancel(loop, self->timer);
    cc_loop_prepare_remove(loop, s_prepare, self);
    if (self->key)
        memset(self->key, 0, strlen(self->key));
    free(self->key);
    free(self->cert);
    free(self);
    *self_p = NULL;
}
