/* cc_bus_test.c - the bus over real ipc sockets in a temporary directory: events with
 * their envelope, commands and error replies, timeouts, replay pages, and reliable
 * subscriptions through late starts, restarts and overflowed rings. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <czmq.h>

#include "cc_bus.h"
#include "cc_loop.h"
#include "cc_test.h"

/* ---- fixtures ------------------------------------------------------------------- */

static char s_dir[64];

static const char *s_tmpdir(void)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/cc-bus-test-XXXXXX");
    return mkdtemp(s_dir);
}

/* libzmq unlinks an ipc file when the socket's I/O thread gets round to it, which may be
 * after zsock_destroy returned: remove whatever is still there. */
static void s_rmdir(void)
{
    DIR *dir = opendir(s_dir);
    struct dirent *de;
    char path[512];
    while (dir && (de = readdir(dir))) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", s_dir, de->d_name);
        unlink(path);
    }
    if (dir)
        closedir(dir);
    rmdir(s_dir);
}

static cc_bus_t *s_server(const char *name, int depth)
{
    cc_bus_t *bus = cc_bus_new(name, s_dir, depth);
    if (bus && cc_bus_bind(bus) < 0)
        cc_bus_destroy(&bus);
    return bus;
}

static int s_heartbeat(cc_bus_t *bus, int n)
{
    return cc_bus_publish(bus, "daemon.heartbeat", NULL,
                          json_pack("{s:s,s:i,s:i,s:b}", "daemon", cc_bus_name(bus), "pid", 1,
                                    "uptime_s", n, "ready", 1));
}

typedef bool(s_done_fn)(void *arg);

/* Dispatch every bus until done() or the deadline; `tick` (may be NULL) runs each round. */
static bool s_pump(cc_bus_t **buses, int n, int max_ms, s_done_fn *done, void *arg,
                   void (*tick)(void *), void *tick_arg)
{
    uint64_t end = cc_mono_ms() + (uint64_t)max_ms;
    while (cc_mono_ms() < end) {
        for (int i = 0; i < n; i++)
            cc_bus_dispatch(buses[i]);
        if (done && done(arg))
            return true;
        if (tick)
            tick(tick_arg);
        usleep(1000);
    }
    return done ? done(arg) : true;
}

/* What subscribers saw. */
typedef struct {
    int count;
    uint64_t epoch[4096], seq[4096];
    bool replayed[4096];
    char type[64], pub[64], call_id[64], ts[64];
    json_int_t code;
    int losses;
    uint64_t loss_epoch, loss_first, loss_last;
} s_seen_t;

static void s_on_event(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    s_seen_t *seen = arg;
    if (seen->count < 4096) {
        seen->epoch[seen->count] = ev->epoch;
        seen->seq[seen->count] = ev->seq;
        seen->replayed[seen->count] = ev->replayed;
    }
    seen->count++;
    snprintf(seen->type, sizeof seen->type, "%s", ev->type);
    snprintf(seen->pub, sizeof seen->pub, "%s", ev->pub);
    snprintf(seen->call_id, sizeof seen->call_id, "%s", ev->call_id ? ev->call_id : "");
    snprintf(seen->ts, sizeof seen->ts, "%s", json_string_value(json_object_get(ev->body, "ts")));
    seen->code = json_integer_value(json_object_get(ev->body, "code"));
}

static void s_on_loss(cc_bus_t *bus, const char *pub, uint64_t epoch, uint64_t first, uint64_t last,
                      void *arg)
{
    (void)bus, (void)pub;
    s_seen_t *seen = arg;
    seen->losses++;
    seen->loss_epoch = epoch;
    seen->loss_first = first;
    seen->loss_last = last;
}

static bool s_seen_any(void *arg)
{
    return ((s_seen_t *)arg)->count > 0;
}

/* ---- events ---------------------------------------------------------------------- */

static void s_publish_ringing(void *arg)
{
    cc_bus_publish(arg, "call.ringing", "call-7", json_pack("{s:i}", "code", 180));
    s_heartbeat(arg, 0); /* filtered out by the subscriber's "call." prefix */
}

CC_TEST(bus_publish_subscribe_envelope)
{
    CC_CHECK(s_tmpdir());
    cc_bus_t *pub = s_server("tpub", 100), *sub = cc_bus_new("tsub", s_dir, 0);
    CC_CHECK(pub && sub);
    s_seen_t *seen = calloc(1, sizeof *seen);
    CC_CHECK_INT(cc_bus_subscribe(sub, "tpub", "call.", s_on_event, seen), 0);
    cc_bus_t *buses[] = {pub, sub};
    /* A SUB joins late (the slow joiner): publish until the first one gets through. */
    bool got = s_pump(buses, 2, 3000, s_seen_any, seen, s_publish_ringing, pub);
    uint64_t epoch = cc_bus_epoch(pub);
    s_pump(buses, 2, 50, NULL, NULL, NULL, NULL);
    uint64_t last_seq = cc_bus_last_seq(pub);
    cc_bus_destroy(&sub);
    cc_bus_destroy(&pub);
    s_rmdir();
    s_seen_t s = *seen;
    free(seen);
    CC_CHECK(got);
    CC_CHECK_STR(s.type, "call.ringing");
    CC_CHECK_STR(s.pub, "tpub");
    CC_CHECK_STR(s.call_id, "call-7");
    CC_CHECK_INT(s.code, 180);
    CC_CHECK(s.epoch[0] == epoch);
    CC_CHECK(s.seq[0] >= 1 && s.seq[0] <= last_seq);
    CC_CHECK(s.seq[0] % 2 == 1); /* odd: the heartbeats (even) never arrived */
    CC_CHECK(!s.replayed[0]);
    CC_CHECK_INT(strlen(s.ts), 27); /* 2026-11-21T13:17:03.123456Z */
    CC_CHECK(s.ts[10] == 'T' && s.ts[26] == 'Z' && s.ts[19] == '.');
}

CC_TEST(bus_publish_refuses_undeclared)
{
    CC_CHECK(s_tmpdir());
    cc_bus_t *pub = s_server("tbad", 10);
    CC_CHECK(pub);
    int undeclared = cc_bus_publish(pub, "call.nonsense", NULL, NULL);
    int missing = cc_bus_publish(pub, "call.ringing", NULL, json_object());
    int extra = cc_bus_publish(pub, "call.ringing", NULL,
                               json_pack("{s:i,s:s}", "code", 180, "colour", "blue"));
    int good = cc_bus_publish(pub, "call.ringing", "c", json_pack("{s:i}", "code", 183));
    uint64_t seq = cc_bus_last_seq(pub);
    cc_bus_destroy(&pub);
    s_rmdir();
    CC_CHECK_INT(undeclared, -EINVAL);
    CC_CHECK_INT(missing, -EINVAL);
    CC_CHECK_INT(extra, -EINVAL);
    CC_CHECK_INT(good, 0);
    CC_CHECK_INT(seq, 1);
}

/* ---- commands -------------------------------------------------------------------- */

typedef struct {
    int calls;
    int status;
    json_t *result;
} s_reply_t;

static void s_on_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_reply_t *r = arg;
    r->calls++;
    r->status = status;
    json_decref(r->result);
    r->result = result ? json_incref(result) : NULL;
}

static bool s_replied(void *arg)
{
    return ((s_reply_t *)arg)->calls > 0;
}

static cc_bus_req_t *s_deferred;

static void s_on_delete(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)arg;
    json_int_t id = json_integer_value(json_object_get(args, "endpoint_id"));
    if (id == 99) { /* answer later */
        s_deferred = req;
        return;
    }
    cc_bus_reply(bus, req, json_pack("{s:{s:I,s:s}}", "stats", "id", id, "cmd", cmd));
}

static void s_on_connect(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd, (void)args, (void)arg;
    cc_bus_reply_error(bus, req, "no_such_endpoint", "endpoint %d is gone", 5);
}

/* Send `cmd` and pump until the reply; the reply's status and result land in r. */
static bool s_ask(cc_bus_t **buses, const char *cmd, json_t *args, s_reply_t *r)
{
    r->calls = 0;
    if (!cc_bus_request(buses[1], NULL, "tsrv", cmd, args, 2000, s_on_reply, r))
        return false;
    return s_pump(buses, 2, 3000, s_replied, r, NULL, NULL);
}

static const char *s_err_code(const s_reply_t *r)
{
    return json_string_value(json_object_get(r->result, "code"));
}

CC_TEST(bus_command_round_trip_and_errors)
{
    CC_CHECK(s_tmpdir());
    cc_bus_t *srv = s_server("tsrv", 0), *cli = cc_bus_new("tcli", s_dir, 0);
    CC_CHECK(srv && cli);
    CC_CHECK_INT(cc_bus_on_command(srv, "endpoint.delete", s_on_delete, NULL), 0);
    CC_CHECK_INT(cc_bus_on_command(srv, "endpoint.connect", s_on_connect, NULL), 0);
    CC_CHECK_INT(cc_bus_on_command(srv, "not.declared", s_on_connect, NULL), -EINVAL);
    cc_bus_t *buses[] = {srv, cli};
    s_reply_t ok = {0}, ping = {0}, unknown = {0}, undeclared = {0}, badargs = {0},
              handler_err = {0}, deferred = {0};
    bool all = s_ask(buses, "endpoint.delete", json_pack("{s:i}", "endpoint_id", 4), &ok) &&
               s_ask(buses, "ping", NULL, &ping) &&
               s_ask(buses, "endpoint.create",
                     json_pack("{s:s,s:s}", "call_id", "c", "leg", "caller"), &unknown) &&
               s_ask(buses, "frobnicate", NULL, &undeclared) &&
               s_ask(buses, "endpoint.connect", json_pack("{s:i}", "endpoint_a", 1), &badargs) &&
               s_ask(buses, "endpoint.connect",
                     json_pack("{s:i,s:i}", "endpoint_a", 1, "endpoint_b", 2), &handler_err);
    /* A reply given later, outside the handler. */
    s_deferred = NULL;
    cc_bus_request(cli, NULL, "tsrv", "endpoint.delete", json_pack("{s:i}", "endpoint_id", 99),
                   2000, s_on_reply, &deferred);
    s_pump(buses, 2, 200, NULL, NULL, NULL, NULL);
    int before = deferred.calls;
    if (s_deferred)
        cc_bus_reply(srv, s_deferred, json_pack("{s:{}}", "stats"));
    s_pump(buses, 2, 2000, s_replied, &deferred, NULL, NULL);
    cc_bus_destroy(&cli);
    cc_bus_destroy(&srv);
    s_rmdir();
    s_reply_t *all_replies[] = {&ok,      &ping,        &unknown, &undeclared,
                                &badargs, &handler_err, &deferred};
    json_t *r_ok = ok.result, *r_ping = ping.result, *r_bad = badargs.result,
           *r_handler = handler_err.result;
    int statuses[7];
    for (int i = 0; i < 7; i++)
        statuses[i] = all_replies[i]->status;
    const char *unknown_code = s_err_code(&unknown), *undeclared_code = s_err_code(&undeclared);
    bool checks =
        all && json_integer_value(json_object_get(json_object_get(r_ok, "stats"), "id")) == 4 &&
        json_is_true(json_object_get(r_ping, "pong")) &&
        !strcmp(json_string_value(json_object_get(r_ping, "daemon")), "tsrv") && unknown_code &&
        !strcmp(unknown_code, "unknown_command") && undeclared_code &&
        !strcmp(undeclared_code, "unknown_command") &&
        !strcmp(json_string_value(json_object_get(r_bad, "code")), "bad_args") &&
        !strcmp(json_string_value(json_object_get(r_bad, "message")), "missing arg 'endpoint_b'") &&
        !strcmp(json_string_value(json_object_get(r_handler, "code")), "no_such_endpoint") &&
        !strcmp(json_string_value(json_object_get(r_handler, "message")), "endpoint 5 is gone");
    for (int i = 0; i < 7; i++)
        json_decref(all_replies[i]->result);
    CC_CHECK(all);
    CC_CHECK_INT(statuses[0], 0);
    CC_CHECK_INT(statuses[1], 0);
    CC_CHECK_INT(statuses[2], -EPROTO);
    CC_CHECK_INT(statuses[3], -EPROTO);
    CC_CHECK_INT(statuses[4], -EPROTO);
    CC_CHECK_INT(statuses[5], -EPROTO);
    CC_CHECK(checks);
    CC_CHECK(s_deferred != NULL);
    CC_CHECK_INT(before, 0);
    CC_CHECK_INT(deferred.calls, 1);
    CC_CHECK_INT(statuses[6], 0);
}

CC_TEST(bus_bad_json_gets_error_reply)
{
    CC_CHECK(s_tmpdir());
    cc_bus_t *srv = s_server("tjson", 0);
    CC_CHECK(srv);
    zsock_t *raw = zsock_new(ZMQ_DEALER);
    zsock_set_linger(raw, 0);
    zsock_set_rcvtimeo(raw, 20);
    char ep[256];
    zsock_connect(raw, "%s", cc_bus_endpoint(ep, sizeof ep, s_dir, "tjson", "cmd"));
    zstr_send(raw, "{not json");
    zstr_send(raw, "[1,2]");
    zstr_send(raw, "{\"req\":\"r3\",\"args\":{}}");
    char *replies[3] = {0};
    int got = 0;
    uint64_t end = cc_mono_ms() + 3000;
    while (got < 3 && cc_mono_ms() < end) {
        cc_bus_dispatch(srv);
        char *s = zstr_recv(raw);
        if (s)
            replies[got++] = s;
    }
    zsock_destroy(&raw);
    cc_bus_destroy(&srv);
    s_rmdir();
    bool ok = got == 3 && strstr(replies[0], "\"bad_json\"") &&
              strstr(replies[0], "\"req\":null") && strstr(replies[1], "\"bad_json\"") &&
              strstr(replies[2], "\"req\":\"r3\"") && strstr(replies[2], "\"bad_json\"") &&
              strstr(replies[2], "\"ok\":false");
    for (int i = 0; i < got; i++)
        zstr_free(&replies[i]);
    CC_CHECK_INT(got, 3);
    CC_CHECK(ok);
}

CC_TEST(bus_request_timeout_and_late_reply)
{
    CC_CHECK(s_tmpdir());
    cc_bus_t *srv = s_server("tsrv", 0), *cli = cc_bus_new("tcli", s_dir, 0);
    CC_CHECK(srv && cli);
    cc_bus_on_command(srv, "endpoint.delete", s_on_delete, NULL);
    cc_bus_t *buses[] = {srv, cli};
    /* Nobody there: the callback reports a timeout. */
    s_reply_t nobody = {0}, late = {0};
    uint64_t t0 = cc_mono_ms();
    cc_bus_request(cli, NULL, "nobody", "ping", NULL, 100, s_on_reply, &nobody);
    int next = cc_bus_next_timeout_ms(cli);
    s_pump(buses, 2, 2000, s_replied, &nobody, NULL, NULL);
    uint64_t took = cc_mono_ms() - t0;
    /* The blocking call says so in words. */
    char err[128] = "";
    json_t *res = cc_bus_call(cli, "nobody", "ping", NULL, 100, err, sizeof err);
    /* A reply that comes after the timeout is dropped, not delivered twice. */
    s_deferred = NULL;
    cc_bus_request(cli, NULL, "tsrv", "endpoint.delete", json_pack("{s:i}", "endpoint_id", 99), 100,
                   s_on_reply, &late);
    s_pump(buses, 2, 2000, s_replied, &late, NULL, NULL);
    if (s_deferred)
        cc_bus_reply(srv, s_deferred, json_pack("{s:{}}", "stats"));
    s_pump(buses, 2, 200, NULL, NULL, NULL, NULL);
    int pending_after = cc_bus_next_timeout_ms(cli);
    cc_bus_destroy(&cli);
    cc_bus_destroy(&srv);
    s_rmdir();
    CC_CHECK(next >= 0 && next <= 100);
    CC_CHECK_INT(nobody.calls, 1);
    CC_CHECK_INT(nobody.status, -ETIMEDOUT);
    CC_CHECK(took >= 100 && took < 1000);
    CC_CHECK(res == NULL);
    CC_CHECK_STR(err, "timeout after 100 ms");
    CC_CHECK(s_deferred != NULL);
    CC_CHECK_INT(late.calls, 1);
    CC_CHECK_INT(late.status, -ETIMEDOUT);
    CC_CHECK_INT(pending_after, -1);
}

/* An owner that goes cancels its requests: their replies and timeouts never reach the
 * callbacks; a request cancelled by handle likewise; others are untouched. */
CC_TEST(bus_requests_cancelled_with_their_owner)
{
    CC_CHECK(s_tmpdir());
    cc_bus_t *srv = s_server("tsrv", 0), *cli = cc_bus_new("tcli", s_dir, 0);
    CC_CHECK(srv && cli);
    cc_bus_on_command(srv, "endpoint.delete", s_on_delete, NULL);
    cc_bus_t *buses[] = {srv, cli};
    cc_bus_owner_t call = {0}, other = {0};
    s_reply_t a = {0}, b = {0}, c = {0}, d = {0}, kept = {0};
    cc_bus_handle_t ha = cc_bus_request(cli, &call, "tsrv", "endpoint.delete",
                                        json_pack("{s:i}", "endpoint_id", 1), 2000, s_on_reply, &a);
    cc_bus_handle_t hb = cc_bus_request(cli, &call, "nobody", "ping", NULL, 50, s_on_reply, &b);
    cc_bus_handle_t hc = cc_bus_request(cli, &other, "tsrv", "endpoint.delete",
                                        json_pack("{s:i}", "endpoint_id", 2), 2000, s_on_reply, &c);
    cc_bus_handle_t hd = cc_bus_request(cli, &other, "nobody", "ping", NULL, 50, s_on_reply, &d);
    cc_bus_request(cli, NULL, "tsrv", "endpoint.delete", json_pack("{s:i}", "endpoint_id", 3), 2000,
                   s_on_reply, &kept);
    size_t owned = cc_bus_owner_pending(&call), all = cc_bus_pending_count(cli);
    cc_bus_owner_cancel(cli, &call);
    bool cancelled_c = cc_bus_cancel(cli, hc);
    bool again = cc_bus_cancel(cli, hc);
    size_t left = cc_bus_pending_count(cli);
    s_pump(buses, 2, 300, NULL, NULL, NULL, NULL); /* replies for 1 and 2 arrive, 50 ms passes */
    cc_bus_destroy(&cli);
    cc_bus_destroy(&srv);
    s_rmdir();
    CC_CHECK(ha && hb && hc && hd && ha != hb);
    CC_CHECK_INT(owned, 2);
    CC_CHECK_INT(all, 5);
    CC_CHECK_INT(cc_bus_owner_pending(&call), 0);
    CC_CHECK(call.head == NULL);
    CC_CHECK(cancelled_c && !again);
    CC_CHECK_INT(left, 2);
    CC_CHECK_INT(a.calls + b.calls + c.calls, 0);
    CC_CHECK_INT(d.calls, 1);
    CC_CHECK_INT(d.status, -ETIMEDOUT);
    CC_CHECK_INT(kept.calls, 1);
    CC_CHECK_INT(kept.status, 0);
    json_decref(kept.result);
    json_decref(d.result);
}

/* Many requests with mixed deadlines time out in deadline order, whatever the send order. */
static int s_order[64], s_norder;

static void s_on_ordered(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result;
    if (status == -ETIMEDOUT && s_norder < 64)
        s_order[s_norder++] = (int)(intptr_t)arg;
}

CC_TEST(bus_request_timeouts_in_deadline_order)
{
    CC_CHECK(s_tmpdir());
    cc_bus_t *cli = cc_bus_new("tcli", s_dir, 0);
    CC_CHECK(cli);
    s_norder = 0;
    int delays[] = {90, 30, 60, 10, 80, 20, 70, 40, 50};
    int n = (int)(sizeof delays / sizeof delays[0]);
    for (int i = 0; i < n; i++)
        cc_bus_request(cli, NULL, "nobody", "ping", NULL, delays[i], s_on_ordered,
                       (void *)(intptr_t)delays[i]);
    uint64_t end = cc_mono_ms() + 1000;
    while (s_norder < n && cc_mono_ms() < end) {
        usleep(5000);
        cc_bus_dispatch(cli);
    }
    cc_bus_destroy(&cli);
    s_rmdir();
    CC_CHECK_INT(s_norder, n);
    for (int i = 1; i < n; i++)
        CC_CHECK(s_order[i - 1] < s_order[i]);
}

/* A watched daemon: seen when it first answers, reported down when it stops, and seen
 * with its new epoch when it comes back (a restart). */
typedef struct {
    int calls;
    uint64_t old[8], now[8];
} s_watch_seen_t;

static void s_on_peer(cc_bus_t *bus, const char *target, uint64_t old_epoch, uint64_t new_epoch,
                      void *arg)
{
    (void)bus, (void)target;
    s_watch_seen_t *w = arg;
    if (w->calls < 8) {
        w->old[w->calls] = old_epoch;
        w->now[w->calls] = new_epoch;
    }
    w->calls++;
}

static bool s_watch_calls(void *arg)
{
    return ((s_watch_seen_t *)arg)->calls >= 1;
}
static bool s_watch_calls2(void *arg)
{
    return ((s_watch_seen_t *)arg)->calls >= 2;
}
static bool s_watch_calls3(void *arg)
{
    return ((s_watch_seen_t *)arg)->calls >= 3;
}

CC_TEST(bus_watch_sees_a_restart)
{
    CC_CHECK(s_tmpdir());
    cc_bus_t *srv = s_server("twatch", 0), *cli = cc_bus_new("tcli", s_dir, 0);
    CC_CHECK(srv && cli);
    s_watch_seen_t seen = {0};
    CC_CHECK_INT(cc_bus_watch(cli, "twatch", 40, s_on_peer, &seen), 0);
    uint64_t first = cc_bus_epoch(srv);
    cc_bus_t *buses[] = {cli, srv};
    bool up = s_pump(buses, 2, 2000, s_watch_calls, &seen, NULL, NULL);
    uint64_t watched = cc_bus_watched_epoch(cli, "twatch");
    cc_bus_destroy(&srv);
    bool down = s_pump(buses, 1, 2000, s_watch_calls2, &seen, NULL, NULL);
    usleep(2000); /* a new epoch (start time in microseconds) */
    srv = s_server("twatch", 0);
    uint64_t second = srv ? cc_bus_epoch(srv) : 0;
    buses[1] = srv;
    bool back = srv && s_pump(buses, 2, 3000, s_watch_calls3, &seen, NULL, NULL);
    cc_bus_destroy(&cli);
    cc_bus_destroy(&srv);
    s_rmdir();
    CC_CHECK(up && down && back);
    CC_CHECK(first != 0 && second != 0 && first != second);
    CC_CHECK(watched == first);
    CC_CHECK(seen.old[0] == 0 && seen.now[0] == first);
    CC_CHECK(seen.old[1] == first && seen.now[1] == 0);
    CC_CHECK(seen.old[2] == 0 && seen.now[2] == second);
}

/* cc_bus_call blocks, so the server runs in a thread of its own. */
static volatile bool s_stop;

static void *s_serve(void *arg)
{
    while (!s_stop) {
        cc_bus_dispatch(arg);
        usleep(500);
    }
    return NULL;
}

CC_TEST(bus_blocking_call)
{
    CC_CHECK(s_tmpdir());
    cc_bus_t *srv = s_server("tsrv", 0), *cli = cc_bus_new("tcli", s_dir, 0);
    CC_CHECK(srv && cli);
    cc_bus_on_command(srv, "endpoint.connect", s_on_connect, NULL);
    pthread_t thread;
    s_stop = false;
    pthread_create(&thread, NULL, s_serve, srv);
    char err1[128] = "", err2[128] = "";
    json_t *pong = cc_bus_call(cli, "tsrv", "ping", NULL, 2000, err1, sizeof err1);
    json_t *fail = cc_bus_call(cli, "tsrv", "endpoint.connect",
                               json_pack("{s:i,s:i}", "endpoint_a", 1, "endpoint_b", 2), 2000, err2,
                               sizeof err2);
    s_stop = true;
    pthread_join(thread, NULL);
    bool pong_ok = json_is_true(json_object_get(pong, "pong"));
    json_decref(pong);
    cc_bus_destroy(&cli);
    cc_bus_destroy(&srv);
    s_rmdir();
    CC_CHECK(pong_ok);
    CC_CHECK(fail == NULL);
    CC_CHECK_STR(err2, "tsrv: no_such_endpoint: endpoint 5 is gone");
}

/* ---- replay ---------------------------------------------------------------------- */

static json_t *s_replay(cc_bus_t **buses, const char *target, uint64_t epoch, uint64_t after)
{
    s_reply_t r = {0};
    cc_bus_request(
        buses[1], NULL, target, "bus.replay",
        json_pack("{s:I,s:I}", "epoch", (json_int_t)epoch, "after_seq", (json_int_t)after), 2000,
        s_on_reply, &r);
    s_pump(buses, 2, 3000, s_replied, &r, NULL, NULL);
    if (r.status != 0) {
        json_decref(r.result);
        return NULL;
    }
    return r.result;
}

static json_int_t s_int(json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

static json_int_t s_event_seq(json_t *page, size_t i)
{
    json_t *ev = json_array_get(json_object_get(page, "events"), i);
    return json_integer_value(json_object_get(json_object_get(ev, "id"), "seq"));
}

CC_TEST(bus_replay_pages)
{
    CC_CHECK(s_tmpdir());
    cc_bus_t *pub = s_server("trep", 5000), *cli = cc_bus_new("tcli", s_dir, 0);
    CC_CHECK(pub && cli);
    for (int i = 0; i < 2500; i++)
        s_heartbeat(pub, i);
    uint64_t e = cc_bus_epoch(pub);
    cc_bus_t *buses[] = {pub, cli};
    json_t *p1 = s_replay(buses, "trep", e, 0), *p2 = s_replay(buses, "trep", e, 2000),
           *pnew = s_replay(buses, "trep", 0, 0), *pend = s_replay(buses, "trep", e, 2500);
    cc_bus_destroy(&cli);
    cc_bus_destroy(&pub);
    /* A ring smaller than what was published holds only the newest. */
    cc_bus_t *small = s_server("tsmall", 10), *cli2 = cc_bus_new("tcli", s_dir, 0);
    for (int i = 0; i < 25; i++)
        s_heartbeat(small, i);
    cc_bus_t *buses2[] = {small, cli2};
    json_t *ps = s_replay(buses2, "tsmall", cc_bus_epoch(small), 3);
    cc_bus_destroy(&cli2);
    cc_bus_destroy(&small);
    s_rmdir();
    json_t *pages[] = {p1, p2, pnew, pend, ps};
    json_int_t facts[][6] = {
        /* epoch==e, first, last, n events, first seq, more */
        {0}, {0}, {0}, {0}, {0},
    };
    for (int i = 0; i < 5; i++) {
        json_t *p = pages[i];
        if (!p)
            continue;
        facts[i][0] = (uint64_t)s_int(p, "epoch") == (i < 4 ? e : 0) || i == 4;
        facts[i][1] = s_int(p, "first_seq");
        facts[i][2] = s_int(p, "last_seq");
        facts[i][3] = (json_int_t)json_array_size(json_object_get(p, "events"));
        facts[i][4] = facts[i][3] ? s_event_seq(p, 0) : 0;
        facts[i][5] = json_is_true(json_object_get(p, "more"));
    }
    json_int_t last_of_p1 = p1 ? s_event_seq(p1, 999) : 0;
    for (int i = 0; i < 5; i++)
        json_decref(pages[i]);
    CC_CHECK(p1 && p2 && pnew && pend && ps);
    json_int_t want[][6] = {
        {1, 1, 2500, 1000, 1, 1}, {1, 1, 2500, 500, 2001, 0},
        {1, 1, 2500, 1000, 1, 1}, /* another epoch: from the start */
        {1, 1, 2500, 0, 0, 0},    {1, 16, 25, 10, 16, 0},
    };
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 6; j++)
            if (facts[i][j] != want[i][j])
                cc_test_fail(__FILE__, __LINE__, "page %d fact %d: expected %lld, saw %lld", i, j,
                             (long long)want[i][j], (long long)facts[i][j]);
    CC_CHECK_INT(last_of_p1, 1000);
}

/* ---- reliable subscriptions --------------------------------------------------------- */

/* Every delivery in order, no duplicates, all of one epoch, from first to last. */
static bool s_in_order(const s_seen_t *s, uint64_t epoch, uint64_t first, uint64_t last)
{
    if (s->count != (int)(last - first + 1))
        return false;
    for (int i = 0; i < s->count && i < 4096; i++)
        if (s->epoch[i] != epoch || s->seq[i] != first + (uint64_t)i)
            return false;
    return true;
}

typedef struct {
    cc_bus_t *pub;
    int published, limit;
    s_seen_t *seen;
    uint64_t want_seq;
} s_feed_t;

static void s_feed_tick(void *arg)
{
    s_feed_t *f = arg;
    if (f->published < f->limit) {
        s_heartbeat(f->pub, f->published);
        f->published++;
    }
}

static bool s_feed_done(void *arg)
{
    s_feed_t *f = arg;
    int n = f->seen->count;
    return n > 0 && n <= 4096 && f->seen->seq[n - 1] >= f->want_seq &&
           f->seen->epoch[n - 1] == cc_bus_epoch(f->pub);
}

CC_TEST(bus_reliable_late_start_catches_up)
{
    CC_CHECK(s_tmpdir());
    cc_bus_t *pub = s_server("trel", 1000), *sub = cc_bus_new("tsub", s_dir, 0);
    CC_CHECK(pub && sub);
    for (int i = 0; i < 30; i++) /* before anyone listens */
        s_heartbeat(pub, i);
    s_seen_t *seen = calloc(1, sizeof *seen);
    cc_bus_on_loss(sub, s_on_loss, seen);
    CC_CHECK_INT(cc_bus_subscribe_reliable(sub, "trel", (cc_bus_cursor_t){0, 0}, s_on_event, seen),
                 0);
    /* Live events keep coming while the replay is under way. */
    s_feed_t feed = {pub, 0, 60, seen, 90};
    cc_bus_t *buses[] = {pub, sub};
    bool done = s_pump(buses, 2, 5000, s_feed_done, &feed, s_feed_tick, &feed);
    s_pump(buses, 2, 100, NULL, NULL, NULL, NULL);
    /* A second consumer resumes from a stored cursor. */
    s_seen_t *resumed = calloc(1, sizeof *resumed);
    cc_bus_subscribe_reliable(sub, "trel", (cc_bus_cursor_t){cc_bus_epoch(pub), 50}, s_on_event,
                              resumed);
    s_feed_t feed2 = {pub, 0, 10, resumed, 100};
    bool done2 = s_pump(buses, 2, 5000, s_feed_done, &feed2, s_feed_tick, &feed2);
    s_pump(buses, 2, 100, NULL, NULL, NULL, NULL);
    uint64_t epoch = cc_bus_epoch(pub);
    cc_bus_destroy(&sub);
    cc_bus_destroy(&pub);
    s_rmdir();
    bool order = s_in_order(seen, epoch, 1, 100), order2 = s_in_order(resumed, epoch, 51, 100);
    bool first_replayed = seen->replayed[0];
    int count = seen->count, count2 = resumed->count, losses = seen->losses;
    free(seen);
    free(resumed);
    CC_CHECK(done);
    CC_CHECK(done2);
    CC_CHECK_INT(count, 100);
    CC_CHECK(order);
    CC_CHECK(first_replayed);
    CC_CHECK_INT(count2, 50);
    CC_CHECK(order2);
    CC_CHECK_INT(losses, 0);
}

CC_TEST(bus_reliable_follows_epoch_change)
{
    CC_CHECK(s_tmpdir());
    cc_bus_t *pub = s_server("tepo", 1000), *sub = cc_bus_new("tsub", s_dir, 0);
    CC_CHECK(pub && sub);
    for (int i = 0; i < 5; i++)
        s_heartbeat(pub, i);
    s_seen_t *seen = calloc(1, sizeof *seen);
    cc_bus_on_loss(sub, s_on_loss, seen);
    cc_bus_subscribe_reliable(sub, "tepo", (cc_bus_cursor_t){0, 0}, s_on_event, seen);
    s_feed_t feed = {pub, 0, 0, seen, 5};
    cc_bus_t *buses[] = {pub, sub};
    bool first = s_pump(buses, 2, 3000, s_feed_done, &feed, NULL, NULL);
    uint64_t old_epoch = cc_bus_epoch(pub);
    /* The publisher restarts: same name, new epoch, sequence from 1 again. */
    cc_bus_destroy(&pub);
    usleep(2000);
    pub = s_server("tepo", 1000);
    CC_CHECK(pub);
    buses[0] = pub;
    for (int i = 0; i < 3; i++)
        s_heartbeat(pub, i);
    s_feed_t feed2 = {pub, 0, 3000, seen, 8}; /* until the SUB has reconnected */
    bool second = s_pump(buses, 2, 5000, s_feed_done, &feed2, s_feed_tick, &feed2);
    uint64_t new_epoch = cc_bus_epoch(pub);
    int count = seen->count, losses = seen->losses;
    bool old_ok = count >= 5 && seen->epoch[4] == old_epoch && seen->seq[4] == 5;
    bool new_ok = true;
    for (int i = 5; i < count && i < 4096; i++)
        new_ok = new_ok && seen->epoch[i] == new_epoch && seen->seq[i] == (uint64_t)(i - 4);
    cc_bus_destroy(&sub);
    cc_bus_destroy(&pub);
    s_rmdir();
    free(seen);
    CC_CHECK(first);
    CC_CHECK(second);
    CC_CHECK(new_epoch != old_epoch);
    CC_CHECK(old_ok);
    CC_CHECK(new_ok); /* new epoch from its seq 1, in order, no duplicates */
    CC_CHECK(count >= 13);
    CC_CHECK_INT(losses, 0);
}

CC_TEST(bus_reliable_reports_loss_once)
{
    CC_CHECK(s_tmpdir());
    cc_bus_t *pub = s_server("tlos", 10), *sub = cc_bus_new("tsub", s_dir, 0);
    CC_CHECK(pub && sub);
    for (int i = 0; i < 25; i++) /* the ring keeps 16..25 */
        s_heartbeat(pub, i);
    s_seen_t *seen = calloc(1, sizeof *seen);
    cc_bus_on_loss(sub, s_on_loss, seen);
    cc_bus_subscribe_reliable(sub, "tlos", (cc_bus_cursor_t){0, 0}, s_on_event, seen);
    s_feed_t feed = {pub, 0, 0, seen, 25};
    cc_bus_t *buses[] = {pub, sub};
    bool done = s_pump(buses, 2, 3000, s_feed_done, &feed, NULL, NULL);
    s_pump(buses, 2, 100, NULL, NULL, NULL, NULL);
    uint64_t epoch = cc_bus_epoch(pub);
    cc_bus_destroy(&sub);
    cc_bus_destroy(&pub);
    s_rmdir();
    s_seen_t s = *seen;
    free(seen);
    CC_CHECK(done);
    CC_CHECK_INT(s.losses, 1);
    CC_CHECK(s.loss_epoch == epoch);
    CC_CHECK_INT(s.loss_first, 1);
    CC_CHECK_INT(s.loss_last, 15);
    CC_CHECK(s_in_order(&s, epoch, 16, 25));
}

CC_TEST(bus_journal_hands_a_crashed_publishers_tail_to_its_successor)
{
    CC_CHECK(s_tmpdir());
    /* A publisher (ring of 8: its journal rotates) puts out 20 events nobody receives
     * (the consumer is down), then dies. */
    cc_bus_t *pub = s_server("tjrn", 8);
    CC_CHECK(pub);
    for (int i = 0; i < 20; i++)
        s_heartbeat(pub, i);
    uint64_t old_epoch = cc_bus_epoch(pub);
    cc_bus_destroy(&pub); /* the files stay, as after kill -9 */
    /* Its half-written last line is not an event. */
    char path[256];
    snprintf(path, sizeof path, "%s/tjrn.journal", s_dir);
    FILE *f = fopen(path, "a");
    CC_CHECK(f != NULL);
    if (f) {
        fputs("{\"type\":\"daemon.heart", f);
        fclose(f);
    }
    usleep(2000);
    pub = s_server("tjrn", 8);
    CC_CHECK(pub);
    s_heartbeat(pub, 0);
    /* The consumer had seq 10 of the old epoch: it gets 13..20 from the journal (the last
     * ring's worth; 11 and 12 are reported lost), then the new epoch from 1. */
    cc_bus_t *sub = cc_bus_new("tsub", s_dir, 0);
    s_seen_t *seen = calloc(1, sizeof *seen);
    cc_bus_on_loss(sub, s_on_loss, seen);
    cc_bus_subscribe_reliable(sub, "tjrn", (cc_bus_cursor_t){old_epoch, 10}, s_on_event, seen);
    s_feed_t feed = {pub, 0, 3000, seen, 11};
    cc_bus_t *buses[] = {pub, sub};
    bool done = s_pump(buses, 2, 5000, s_feed_done, &feed, s_feed_tick, &feed);
    uint64_t new_epoch = cc_bus_epoch(pub);
    cc_bus_destroy(&sub);
    cc_bus_destroy(&pub);
    s_rmdir();
    bool old_ok = seen->count >= 9;
    for (int i = 0; old_ok && i < 8; i++)
        old_ok =
            seen->epoch[i] == old_epoch && seen->seq[i] == 13 + (uint64_t)i && seen->replayed[i];
    bool new_ok = seen->count >= 9 && seen->epoch[8] == new_epoch && seen->seq[8] == 1;
    s_seen_t s = *seen;
    free(seen);
    CC_CHECK(done);
    CC_CHECK(old_ok);
    CC_CHECK(new_ok);
    CC_CHECK_INT(s.losses, 1);
    CC_CHECK(s.loss_epoch == old_epoch);
    CC_CHECK_INT(s.loss_first, 11);
    CC_CHECK_INT(s.loss_last, 12);
}

/* ---- with a cc_loop ----------------------------------------------------------------- */

typedef struct {
    int fds;
} s_watch_t;

static void s_on_watch(cc_bus_t *bus, int fd, void *arg)
{
    (void)bus;
    if (fd >= 0)
        ((s_watch_t *)arg)->fds++;
}

CC_TEST(bus_attached_to_loop)
{
    CC_CHECK(s_tmpdir());
    cc_loop_t *loop = cc_loop_new();
    cc_bus_t *srv = s_server("tloop", 100), *cli = cc_bus_new("tcli", s_dir, 0);
    CC_CHECK(loop && srv && cli);
    s_watch_t watch = {0};
    cc_bus_set_fd_watcher(cli, s_on_watch, &watch);
    CC_CHECK_INT(cc_bus_attach(srv, loop), 0);
    CC_CHECK_INT(cc_bus_attach(cli, loop), 0);
    s_reply_t ping = {0}, timeout = {0};
    s_seen_t *seen = calloc(1, sizeof *seen);
    cc_bus_subscribe_reliable(cli, "tloop", (cc_bus_cursor_t){0, 0}, s_on_event, seen);
    cc_bus_request(cli, NULL, "tloop", "ping", NULL, 2000, s_on_reply, &ping);
    cc_bus_request(cli, NULL, "nobody", "ping", NULL, 60, s_on_reply, &timeout);
    uint64_t end = cc_mono_ms() + 3000;
    int published = 0;
    while (cc_mono_ms() < end && (!ping.calls || !timeout.calls || seen->count < 20)) {
        if (published < 20)
            s_heartbeat(srv, published++);
        cc_loop_run_once(loop, 20);
    }
    cc_bus_destroy(&cli);
    cc_bus_destroy(&srv);
    cc_loop_destroy(&loop);
    s_rmdir();
    bool pong = json_is_true(json_object_get(ping.result, "pong"));
    json_decref(ping.result);
    int count = seen->count;
    free(seen);
    CC_CHECK(pong);
    CC_CHECK_INT(timeout.status, -ETIMEDOUT);
    CC_CHECK_INT(count, 20);
    CC_CHECK_INT(watch.fds, 3); /* SUB to tloop, DEALERs to tloop and nobody */
}

/* Each reply's handler sends the next request on the same DEALER, two chains at once:
 * every reply is read (a send from a handler marks its socket for another look). */
typedef struct {
    int done, ok, left;
} s_chain_t;

static void s_on_chain_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)result;
    s_chain_t *c = arg;
    c->done++;
    c->ok += status == 0;
    if (--c->left > 0)
        cc_bus_request(bus, NULL, "tchain", "ping", NULL, 2000, s_on_chain_reply, c);
}

CC_TEST(bus_requests_chained_from_reply_handlers)
{
    CC_CHECK(s_tmpdir());
    cc_loop_t *loop = cc_loop_new();
    cc_bus_t *srv = s_server("tchain", 100), *cli = cc_bus_new("tcli", s_dir, 0);
    CC_CHECK(loop && srv && cli);
    CC_CHECK_INT(cc_bus_attach(srv, loop), 0);
    CC_CHECK_INT(cc_bus_attach(cli, loop), 0);
    s_chain_t a = {.left = 300}, b = {.left = 300}; /* two chains on one socket */
    cc_bus_request(cli, NULL, "tchain", "ping", NULL, 2000, s_on_chain_reply, &a);
    cc_bus_request(cli, NULL, "tchain", "ping", NULL, 2000, s_on_chain_reply, &b);
    uint64_t end = cc_mono_ms() + 5000;
    while (cc_mono_ms() < end && (a.left > 0 || b.left > 0))
        cc_loop_run_once(loop, 50);
    cc_bus_destroy(&cli);
    cc_bus_destroy(&srv);
    cc_loop_destroy(&loop);
    s_rmdir();
    CC_CHECK_INT(a.done, 300);
    CC_CHECK_INT(b.done, 300);
    CC_CHECK_INT(a.ok + b.ok, 600);
}

/* A reply waits in the DEALER while a second request goes out on it (the send makes
 * libzmq process the socket's pending commands, which may include the reply's wake-up):
 * both replies are read in the next two turns of the client's loop that do not sleep,
 * not only when the bus's 50 ms timer looks. Server and client run on loops of their own
 * so the reply can arrive while the client's loop is not running. */
CC_TEST(bus_reply_hidden_by_a_send_is_read)
{
    CC_CHECK(s_tmpdir());
    cc_loop_t *ls = cc_loop_new(), *lc = cc_loop_new();
    cc_bus_t *srv = s_server("thide", 100), *cli = cc_bus_new("tcli", s_dir, 0);
    CC_CHECK(ls && lc && srv && cli);
    CC_CHECK_INT(cc_bus_attach(srv, ls), 0);
    CC_CHECK_INT(cc_bus_attach(cli, lc), 0);
    s_reply_t first = {0}, second = {0};
    cc_bus_request(cli, NULL, "thide", "ping", NULL, 3000, s_on_reply, &first);
    for (int i = 0; i < 10; i++) /* the client's loop turns once: its DEALER connects */
        cc_loop_run_once(i == 0 ? lc : ls, 20);
    usleep(50000); /* the first reply lands in the client's DEALER */
    cc_bus_request(cli, NULL, "thide", "ping", NULL, 3000, s_on_reply, &second);
    for (int i = 0; i < 10; i++)
        cc_loop_run_once(ls, 20);
    usleep(50000);
    /* Two turns that do not sleep: the prepare hook must read the socket now. (The bus's
     * 50 ms timer would find the replies too, later: that is the latency this avoids.) */
    cc_loop_run_once(lc, 0);
    cc_loop_run_once(lc, 0);
    cc_bus_destroy(&cli);
    cc_bus_destroy(&srv);
    cc_loop_destroy(&lc);
    cc_loop_destroy(&ls);
    s_rmdir();
    json_decref(first.result);
    json_decref(second.result);
    CC_CHECK_INT(first.calls, 1);
    CC_CHECK_INT(first.status, 0);
    CC_CHECK_INT(second.calls, 1);
    CC_CHECK_INT(second.status, 0);
}
