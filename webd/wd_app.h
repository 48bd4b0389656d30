/* wd_app.h - what webd's adapters share: the application (the wallboard core, auth, the
 * streams, the database worker, the bus, settings) and the HTTP request object handlers
 * work on. main.c builds it; wd_http.c (libmicrohttpd) runs requests through the route
 * table into the handlers of wd_api.c, wd_console.c and wd_search.c; wd_follow.c follows
 * acdd into the core; wd_board.c turns the core's changes into stream frames and builds
 * snapshots; wd_load.c loads and reloads what Postgres holds. */
#ifndef WD_APP_H
#define WD_APP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cc_bus.h"
#include "cc_daemon.h"
#include "cc_map.h"
#include "wb_core.h"
#include "wd_auth.h"
#include "wd_db.h"
#include "wd_hook.h"
#include "wd_route.h"
#include "wd_stream.h"
#include "wd_throttle.h"

typedef struct wd_http wd_http_t;

typedef struct {
    const char *www_dir;
    const char *time_zone;
    const char *bind;
    int port;
    const char *tls_cert, *tls_key;
    int session_ttl_s;
    int max_body, max_connections;
    int keepalive_s;
    int startup_replay;
    int request_timeout_ms;
    int abandoned_max;
    size_t stream_ring;
    char rec_key_path[1024]; /* recorderd's master key, to play recordings */
} wd_settings_t;

/* Following acdd: the live snapshot and the reliable subscription (wd_follow.c). */
typedef struct {
    bool subscribed;
    bool have_snapshot;
    bool resyncing;                /* a snapshot was asked for after an epoch change or a loss */
    uint64_t snap_epoch, snap_seq; /* events up to here are in the snapshot */
    uint64_t epoch;                /* of the last event applied */
    json_t *held;                  /* events received while resyncing, applied after the snapshot */
    int retry_timer;
    cc_bus_owner_t owner; /* the snapshot request */
} wd_follow_t;

typedef struct wd_app {
    cc_daemon_t *d;
    cc_bus_t *bus;
    wd_settings_t set;
    wb_core_t *core;
    wd_auth_t *auth;
    wd_throttle_t *fail_user, *fail_addr;
    wd_streams_t *streams;
    wd_db_t *db;
    wd_http_t *http;
    wd_follow_t follow;
    wd_cursor_t cursor;       /* position of the last frame made */
    int64_t last_event_ts_us; /* ts of the bus event being applied (frames carry it) */
    cc_map_t *reqs;           /* request id -> wd_req_t, for async completions */
    uint64_t next_req_id;
    int tick_timer;
    int64_t last_keepalive_us;
    bool stopping;
    cc_map_t *originates;    /* click-to-call: originated call id -> what to connect it to */
    cc_map_t *queue_text;    /* queue name -> its document as JSON text (wd_board.c) */
    int64_t originate_at_us; /* the last click-to-call sent */
    cc_map_t *offers;        /* agent ext -> the last queue.offered to it (the screen pop) */
    cc_map_t *directs;       /* agent ext -> the last call dialled straight to it */
    cc_map_t *mycalls;    /* call id -> agent ext: its calls outside the queues (wd_deskcall.c) */
    wd_hooks_t *hooks;    /* webhooks' delivery thread */
    char dummy_hash[160]; /* checked for unknown users, so a login costs the same */
} wd_app_t;

/* ---- a request (wd_http.c) ---------------------------------------------------------- */

struct wd_req {
    uint64_t id;
    wd_app_t *app;
    void *conn; /* struct MHD_Connection */
    const wd_route_t *route;
    wd_params_t params;
    json_t *body; /* the validated fields (body or query), never NULL once run */
    wd_principal_t who;
    char addr[64];
    char method[8];
    char path[512];
    cc_bus_owner_t owner; /* bus requests made for it, cancelled when it goes */
    /* upload */
    char *upload;
    size_t upload_len;
    bool too_large;
    /* state */
    bool dispatched, suspended, answered, queued;
    /* the response */
    int status;
    char *resp;
    size_t resp_len;
    const char *ctype;
    char cookie[2][256]; /* Set-Cookie values */
    char location[128];
    char allow[64];
    int retry_after;
    bool accept_ranges;     /* a file that may be fetched in parts (recordings) */
    char content_range[96]; /* of a 206 or 416 */
    char disposition[96];   /* Content-Disposition (a download) */
    /* audit */
    char actor[80]; /* who, when not the principal (a login attempt) */
    char target[200];
    /* the live stream */
    wd_stream_t *stream;
    bool stream_end;
};

/* Replies: each request gets exactly one (the first wins). */
void wd_reply_json(wd_req_t *req, int status, json_t *body /* stolen */);
/* A JSON document already printed (stolen; NULL: out of memory, 500). */
void wd_reply_text(wd_req_t *req, int status, char *json);
/* Bytes of any type (stolen; e.g. audio). */
void wd_reply_bytes(wd_req_t *req, int status, const char *ctype, char *buf, size_t len);
void wd_reply_error(wd_req_t *req, int status, const char *code, const char *field, const char *fmt,
                    ...) __attribute__((format(printf, 5, 6)));
/* The handler started something asynchronous: the reply comes later. */
void wd_reply_later(wd_req_t *req);
/* The request still waiting with this id, or NULL (it went away). */
wd_req_t *wd_req_find(wd_app_t *app, uint64_t id);
/* A bus error reply as an HTTP one: codes acdd/sipproxy send map to 4xx, the rest 502. */
void wd_reply_bus_error(wd_req_t *req, int status, json_t *error);

/* ---- wd_http.c ------------------------------------------------------------------------ */

/* A request's cookie or header (NULL if absent). */
const char *wd_req_cookie(wd_req_t *req, const char *name);
const char *wd_req_header(wd_req_t *req, const char *name);

wd_http_t *wd_http_start(wd_app_t *app, char *err, size_t errlen);
/* End every stream and waiting request, then stop listening. */
void wd_http_stop(wd_http_t **self_p);
/* A stream has something to send (wd_streams_new's wake). */
void wd_http_wake(wd_stream_t *stream, void *conn);
/* Open the live stream for a request (the route's handler). */
void wd_http_stream(wd_req_t *req);
size_t wd_http_connections(const wd_http_t *self);

/* ---- wd_board.c ----------------------------------------------------------------------- */

/* Turn what the core changed into frames for the streams (and alerts onto the bus). */
void wd_board_flush(wd_app_t *app);
/* Everything a principal may see, as one JSON document (the snapshot, also GET /api/board). */
json_t *wd_board_snapshot(wd_app_t *app, const wd_principal_t *who);
/* Send the snapshot frame to one stream. */
void wd_board_send_snapshot(wd_app_t *app, wd_stream_t *stream);
/* Lists for the API, filtered by the principal's queues. */
json_t *wd_board_queues(wd_app_t *app, const wd_principal_t *who);
/* GET /api/queues's whole body as text, from the queues' documents kept as text. */
char *wd_board_queues_text(wd_app_t *app, const wd_principal_t *who);
json_t *wd_board_agents(wd_app_t *app, const wd_principal_t *who);
json_t *wd_board_calls(wd_app_t *app, const wd_principal_t *who, const char *queue);
json_t *wd_board_abandoned(wd_app_t *app, const wd_principal_t *who);
json_t *wd_board_alerts(wd_app_t *app, const wd_principal_t *who);
/* The second of the centre's day, alerts, keep-alives: once a second. */
void wd_board_tick(wd_app_t *app);

/* ---- wd_follow.c ---------------------------------------------------------------------- */

int wd_follow_start(wd_app_t *app);
void wd_follow_stop(wd_app_t *app);

/* ---- wd_load.c ------------------------------------------------------------------------ */

/* At start, on the daemon's own connection (before the loop runs): users, tokens,
 * sessions, queues, members, rules, and today's rows fed to the core. 0 or -1 (logged). */
int wd_load_start(wd_app_t *app, cc_pg_t *pg);
/* On the worker after NOTIFY cc_config: users, tokens, queues, members, rules. */
void wd_load_reload_run(cc_pg_t *pg, wd_job_t *job);
void wd_load_reload_done(wd_job_t *job, void *app);
/* The centre's day around now: [start, end) in UTC microseconds. */
void wd_load_day(const char *time_zone, int64_t now_us, int64_t *start, int64_t *end);

/* ---- handlers (wd_api.c, wd_console.c, wd_search.c) ----------------------------------- */

wd_handler_fn wd_h_csrf, wd_h_login, wd_h_logout, wd_h_session, wd_h_stream, wd_h_board,
    wd_h_queues, wd_h_queue, wd_h_agents, wd_h_calls, wd_h_abandoned, wd_h_alerts, wd_h_agent_state,
    wd_h_hangup, wd_h_move, wd_h_callback, wd_h_originate, wd_h_monitor, wd_h_cdrs, wd_h_recordings,
    wd_h_audit, wd_h_figures, wd_h_page, wd_h_static, wd_h_root;

/* Audit one action of a request (wd_http.c calls it for every reply to an action route). */
void wd_audit(wd_req_t *req, const char *result);
/* Click-to-call: a connect result for a call webd originated (wd_console.c); and the
 * sweep of results kept for calls not known yet. */
void wd_console_on_sipproxy(wd_app_t *app, const cc_bus_event_t *ev);
void wd_console_sweep(wd_app_t *app, int64_t now_us);
void wd_console_free(wd_app_t *app);

/* ---- wd_desk.c: the agent desktop ------------------------------------------------------ */

wd_handler_fn wd_h_recording_audio, wd_h_me_recordings;
wd_handler_fn wd_h_me, wd_h_me_state, wd_h_me_pop, wd_h_me_wrapup, wd_h_me_hangup, wd_h_me_dial,
    wd_h_me_today, wd_h_me_recording;
/* wd_deskcall.c: the agent's call controls (call.hold ... on sipproxy) */
wd_handler_fn wd_h_me_hold, wd_h_me_resume, wd_h_me_transfer, wd_h_me_consult,
    wd_h_me_consult_complete, wd_h_me_consult_cancel;
wd_handler_fn wd_h_call_hold, wd_h_call_resume, wd_h_call_transfer;
void wd_deskcall_on_sipproxy(wd_app_t *app, const cc_bus_event_t *ev);
/* wd_campaign.c: outbound campaigns (dialerd) for supervisors, preview mode for agents. */
wd_handler_fn wd_h_campaigns, wd_h_campaign_add, wd_h_campaign_stats, wd_h_campaign_state,
    wd_h_me_preview, wd_h_me_preview_dial, wd_h_me_preview_skip;
/* An event frame (no id) to the agent's open pages; o is stolen. */
void wd_desk_push(wd_app_t *app, const char *ext, const char *event, json_t *o);
/* Keep the screen pop of a queue.offered event (wd_follow.c calls it for each one) and,
 * for a live one, tell the agent's pages; the same for sipproxy's call.created of a call
 * dialled to an agent's extension. */
void wd_desk_offered(wd_app_t *app, json_t *body, bool live);
void wd_desk_on_sipproxy(wd_app_t *app, const cc_bus_event_t *ev);
void wd_desk_free(wd_app_t *app);

/* wd_app.c: the wall clock every part reads (one place to change it), and the alert rules
 * of queues without their own, as main.c set them from the config. */
int64_t wd_now_us(void);
extern wb_rules_t wd_default_rules;

#endif
