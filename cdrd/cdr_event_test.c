/* cdr_event_test.c - unit tests of the bus-event decoding: ISO-8601 timestamps, call.*
 * fields, per-leg media stats from call.ended, events that are not ours. */
#include "cc_test.h"
#include "cdr_event.h"

#include <jansson.h>
#include <string.h>

static int s_decode(const char *type, const char *json, cdr_event_t *out, char *id, json_t **body_p)
{
    json_error_t jerr;
    *body_p = json_loads(json, 0, &jerr);
    json_t *cid = json_object_get(*body_p, "call_id");
    cc_bus_event_t ev = {.type = type,
                         .pub = "sipproxy",
                         .epoch = 77,
                         .seq = 5,
                         .call_id = json_string_value(cid),
                         .body = *body_p};
    char err[128] = "";
    return cdr_event_decode(&ev, out, id, 64, err, sizeof err);
}

CC_TEST(cdr_ts_parse)
{
    int64_t us = 0;
    CC_CHECK_INT(cdr_parse_ts("1970-01-01T00:00:00Z", &us), 0);
    CC_CHECK_INT(us, 0);
    CC_CHECK_INT(cdr_parse_ts("2026-11-21T13:17:03.123456Z", &us), 0);
    CC_CHECK_INT(us, 1795267023123456LL);
    CC_CHECK_INT(cdr_parse_ts("2000-02-29T23:59:59.5Z", &us), 0);
    CC_CHECK_INT(us, 951868799500000LL);
    CC_CHECK_INT(cdr_parse_ts("2024-03-01T00:00:00.123456789+00:00", &us), 0);
    CC_CHECK_INT(us, 1709251200123456LL);
    CC_CHECK_INT(cdr_parse_ts("2024-03-01T00:00:00", &us), -1);       /* no zone */
    CC_CHECK_INT(cdr_parse_ts("2024-03-01T00:00:00+02:00", &us), -1); /* not UTC */
    CC_CHECK_INT(cdr_parse_ts("2024-13-01T00:00:00Z", &us), -1);
    CC_CHECK_INT(cdr_parse_ts("2024-03-01T00:00:00.Z", &us), -1);
    CC_CHECK_INT(cdr_parse_ts("yesterday", &us), -1);
    CC_CHECK_INT(cdr_parse_ts(NULL, &us), -1);
}

CC_TEST(cdr_decode_created)
{
    cdr_event_t ev;
    char id[64];
    json_t *body;
    int rc = s_decode("call.created",
                      "{\"type\":\"call.created\",\"ts\":\"2026-11-21T13:17:03.000001Z\","
                      "\"call_id\":\"abc\",\"caller\":\"1001\",\"callee\":\"5551234\","
                      "\"direction\":\"outbound\",\"source\":\"127.0.0.1:5070\","
                      "\"trunk\":\"carrier\",\"route_kind\":\"trunk\","
                      "\"route_target\":\"carrier\"}",
                      &ev, id, &body);
    CC_CHECK_INT(rc, 1);
    CC_CHECK_INT(ev.kind, CDR_EV_CREATED);
    CC_CHECK_STR(ev.call_id, "abc");
    CC_CHECK_INT(ev.ts_us, 1795267023000001LL);
    CC_CHECK_STR(ev.event_id, "sipproxy:77:5");
    CC_CHECK_INT(ev.epoch, 77);
    CC_CHECK_STR(ev.caller, "1001");
    CC_CHECK_STR(ev.callee, "5551234");
    CC_CHECK_STR(ev.direction, "outbound");
    CC_CHECK_STR(ev.trunk, "carrier");
    CC_CHECK_STR(ev.route_kind, "trunk");
    CC_CHECK_STR(ev.route_target, "carrier");
    json_decref(body);
}

CC_TEST(cdr_decode_ended_with_media)
{
    cdr_event_t ev;
    char id[64];
    json_t *body;
    int rc = s_decode(
        "call.ended",
        "{\"ts\":\"2026-11-21T13:18:03Z\",\"call_id\":\"abc\",\"disposition\":\"answered\","
        "\"hangup_side\":\"callee\",\"sip_code\":200,\"reason\":\"callee hung up\","
        "\"media\":{\"caller\":{\"packets_in\":3000,\"bytes_in\":516000,\"packets_out\":2990,"
        "\"bytes_out\":514280,\"lost\":3,\"out_of_order\":1,\"jitter_ms\":2.5,"
        "\"max_gap_ms\":80,\"dropped\":5,\"srtp_auth_failed\":4,\"srtp_replayed\":1},\"callee\":{"
        "\"packets_in\":2990,\"jitter_ms\":1}}}",
        &ev, id, &body);
    CC_CHECK_INT(rc, 1);
    CC_CHECK_INT(ev.kind, CDR_EV_ENDED);
    CC_CHECK_STR(ev.disposition, "answered");
    CC_CHECK_STR(ev.hangup_side, "callee");
    CC_CHECK_STR(ev.reason, "callee hung up");
    CC_CHECK_INT(ev.sip_code, 200);
    const cdr_leg_stats_t *a = &ev.legs[CDR_LEG_CALLER], *b = &ev.legs[CDR_LEG_CALLEE];
    CC_CHECK(a->present && b->present);
    CC_CHECK_INT(a->packets_in, 3000);
    CC_CHECK_INT(a->bytes_in, 516000);
    CC_CHECK_INT(a->packets_out, 2990);
    CC_CHECK_INT(a->bytes_out, 514280);
    CC_CHECK_INT(a->lost, 3);
    CC_CHECK_INT(a->out_of_order, 1);
    CC_CHECK_NEAR(a->jitter_ms, 2.5, 1e-9);
    CC_CHECK_INT(a->max_gap_ms, 80);
    CC_CHECK_INT(a->srtp_auth_failed, 4);
    CC_CHECK_INT(a->srtp_replayed, 1);
    CC_CHECK_INT(b->packets_in, 2990);
    CC_CHECK_INT(b->srtp_auth_failed, 0);   /* a plain leg */
    CC_CHECK_INT(b->bytes_out, 0);          /* absent keys are 0 */
    CC_CHECK_NEAR(b->jitter_ms, 1.0, 1e-9); /* an integer where a real is expected */
    json_decref(body);
}

CC_TEST(cdr_decode_ended_without_media)
{
    cdr_event_t ev;
    char id[64];
    json_t *body;
    int rc = s_decode("call.ended",
                      "{\"ts\":\"2026-11-21T13:18:03Z\",\"call_id\":\"x\","
                      "\"disposition\":\"not_found\",\"hangup_side\":\"system\","
                      "\"sip_code\":404,\"reason\":\"no route\",\"media\":{\"caller\":5}}",
                      &ev, id, &body);
    CC_CHECK_INT(rc, 1);
    CC_CHECK(!ev.legs[CDR_LEG_CALLER].present); /* not an object: ignored */
    CC_CHECK(!ev.legs[CDR_LEG_CALLEE].present);
    CC_CHECK_INT(ev.sip_code, 404);
    json_decref(body);
}

CC_TEST(cdr_decode_ended_at_the_hang_up_not_the_event)
{
    /* call.ended waited 2.5 s for mediad's statistics: the call ended at ended_at. */
    cdr_event_t ev;
    char id[64];
    json_t *body;
    int rc = s_decode("call.ended",
                      "{\"ts\":\"2026-11-21T13:18:03.500000Z\",\"call_id\":\"x\","
                      "\"disposition\":\"answered\",\"hangup_side\":\"caller\",\"sip_code\":200,"
                      "\"reason\":\"caller hung up\",\"ended_at\":\"2026-11-21T13:18:01.000001Z\"}",
                      &ev, id, &body);
    CC_CHECK_INT(rc, 1);
    int64_t at;
    CC_CHECK_INT(cdr_parse_ts("2026-11-21T13:18:01.000001Z", &at), 0);
    CC_CHECK(ev.ts_us == at);
    json_decref(body);
    /* One later than the event itself, or unreadable, is not believed. */
    rc = s_decode("call.ended",
                  "{\"ts\":\"2026-11-21T13:18:03Z\",\"call_id\":\"x\",\"disposition\":\"answered\","
                  "\"hangup_side\":\"caller\",\"sip_code\":200,\"reason\":\"r\","
                  "\"ended_at\":\"2026-11-21T13:18:09Z\"}",
                  &ev, id, &body);
    CC_CHECK_INT(rc, 1);
    CC_CHECK_INT(cdr_parse_ts("2026-11-21T13:18:03Z", &at), 0);
    CC_CHECK(ev.ts_us == at);
    json_decref(body);
}

CC_TEST(cdr_decode_answered_and_ringing)
{
    cdr_event_t ev;
    char id[64];
    json_t *body;
    CC_CHECK_INT(s_decode("call.answered",
                          "{\"ts\":\"2026-11-21T13:17:04Z\",\"call_id\":\"abc\","
                          "\"answered_by\":\"1002\",\"contact\":\"sip:1002@1.2.3.4\"}",
                          &ev, id, &body),
                 1);
    CC_CHECK_INT(ev.kind, CDR_EV_ANSWERED);
    CC_CHECK_STR(ev.answered_by, "1002");
    json_decref(body);
    CC_CHECK_INT(s_decode("call.ringing",
                          "{\"ts\":\"2026-11-21T13:17:04Z\",\"call_id\":\"abc\",\"code\":180}", &ev,
                          id, &body),
                 1);
    CC_CHECK_INT(ev.kind, CDR_EV_RINGING);
    json_decref(body);
}

CC_TEST(cdr_decode_connect_result)
{
    cdr_event_t ev;
    char id[64];
    json_t *body;
    CC_CHECK_INT(s_decode("call.connect_result",
                          "{\"ts\":\"2026-11-21T13:17:09Z\",\"call_id\":\"abc\","
                          "\"connect_id\":1,\"result\":\"answered\",\"sip_code\":200,"
                          "\"target\":\"ext:1002\"}",
                          &ev, id, &body),
                 1);
    CC_CHECK_INT(ev.kind, CDR_EV_CONNECTED);
    CC_CHECK_STR(ev.answered_by, "ext:1002");
    json_decref(body);
    /* an agent who did not answer changes nothing in the CDR */
    CC_CHECK_INT(s_decode("call.connect_result",
                          "{\"ts\":\"2026-11-21T13:17:09Z\",\"call_id\":\"abc\","
                          "\"connect_id\":1,\"result\":\"no_answer\",\"sip_code\":408,"
                          "\"target\":\"ext:1002\"}",
                          &ev, id, &body),
                 0);
    json_decref(body);
}

CC_TEST(cdr_decode_not_ours_and_unusable)
{
    cdr_event_t ev;
    char id[64];
    json_t *body;
    CC_CHECK_INT(s_decode("daemon.heartbeat", "{\"ts\":\"2026-11-21T13:17:04Z\"}", &ev, id, &body),
                 0);
    json_decref(body);
    CC_CHECK_INT(s_decode("call.transferred", "{\"call_id\":\"abc\"}", &ev, id, &body), 0);
    json_decref(body);
    CC_CHECK_INT(s_decode("call.ringing", "{\"ts\":\"2026-11-21T13:17:04Z\"}", &ev, id, &body), -1);
    json_decref(body);
    CC_CHECK_INT(s_decode("call.ringing", "{\"call_id\":\"abc\",\"ts\":\"soon\"}", &ev, id, &body),
                 -1);
    json_decref(body);
}

/* Counters arrive from another process: reals are truncated, and one beyond int64 (or
 * NaN-like garbage) counts as absent instead of an undefined conversion (found by
 * fuzz/fuzz_bus_messages: 1e90 packets). */
CC_TEST(cdr_leg_stats_out_of_range_numbers)
{
    json_t *stats = json_loads(
        "{\"packets_in\": 1e90, \"bytes_in\": 12.9, \"packets_out\": -1e300, \"lost\": 7}", 0,
        NULL);
    cdr_leg_stats_t st;
    cdr_leg_stats_read(stats, &st);
    CC_CHECK_INT(st.packets_in, 0);
    CC_CHECK_INT(st.bytes_in, 12);
    CC_CHECK_INT(st.packets_out, 0);
    json_decref(stats);
}

CC_TEST(cdr_decode_event_id_large_numbers_and_truncation)
{
    json_error_t jerr;
    json_t *body = json_loads("{\"ts\":\"2026-11-21T13:17:03Z\",\"call_id\":\"x\"}", 0, &jerr);
    cc_bus_event_t ev = {.type = "call.ringing",
                         .pub = "sipproxy",
                         .epoch = 18446744073709551615ULL,
                         .seq = 0,
                         .call_id = "x",
                         .body = body};
    cdr_event_t out;
    char id[64], err[64];
    CC_CHECK_INT(cdr_event_decode(&ev, &out, id, sizeof id, err, sizeof err), 1);
    CC_CHECK_STR(out.event_id, "sipproxy:18446744073709551615:0");
    char small[12];
    CC_CHECK_INT(cdr_event_decode(&ev, &out, small, sizeof small, err, sizeof err), 1);
    CC_CHECK_STR(out.event_id, "sipproxy:18"); /* cut as snprintf would */
    json_decref(body);
}

/* Decode one wire event both ways the bus can deliver it; 1 when both agree (return code
 * and every field), 0 when they differ. */
static int s_both_ways(const char *wire)
{
    size_t len = strlen(wire);
    json_t *body = json_loadb(wire, len, 0, NULL);
    cc_json_tok_t toks[256];
    char scratch[1024];
    cc_json_doc_t doc;
    int n = cc_json_scan(&doc, wire, len, toks, 256, scratch);
    cc_bus_event_t from_tree, from_doc;
    bool ok_tree = body && cc_bus_event_parse(body, &from_tree, false);
    bool ok_doc = n > 0 && cc_bus_event_parse_doc(&doc, &from_doc);
    int same = ok_tree == ok_doc;
    if (same && ok_tree) {
        cdr_event_t a, b;
        char ida[96], idb[96], erra[160] = "", errb[160] = "";
        int ra = cdr_event_decode(&from_tree, &a, ida, sizeof ida, erra, sizeof erra);
        int rb = cdr_event_decode(&from_doc, &b, idb, sizeof idb, errb, sizeof errb);
        same = ra == rb && !strcmp(erra, errb) && (ra != 1 || cdr_event_equal(&a, &b));
    }
    json_decref(body);
    return same;
}

#define S_ENV "\"id\":{\"pub\":\"sipproxy\",\"epoch\":1764000000000000,\"seq\":42},"

CC_TEST(cdr_decode_scanned_matches_jansson)
{
    const char *events[] = {
        "{\"type\":\"call.created\"," S_ENV "\"ts\":\"2026-11-21T13:17:03.123456Z\","
        "\"call_id\":\"c1\",\"caller\":\"5551234\",\"callee\":\"600\",\"direction\":\"inbound\","
        "\"trunk\":\"carrier\",\"route_kind\":\"queue\",\"route_target\":\"sales\"}",
        "{\"type\":\"call.answered\"," S_ENV "\"ts\":\"2026-11-21T13:17:09Z\",\"call_id\":\"c1\","
        "\"answered_by\":\"2001\"}",
        "{\"type\":\"call.connect_result\"," S_ENV "\"ts\":\"2026-11-21T13:17:09Z\","
        "\"call_id\":\"c1\",\"result\":\"answered\",\"target\":\"2\\u00e9\\ud83d\\ude00\"}",
        "{\"type\":\"call.ended\"," S_ENV "\"ts\":\"2026-11-21T13:19:09Z\",\"call_id\":\"c1\","
        "\"ended_at\":\"2026-11-21T13:19:08.5Z\",\"disposition\":\"answered\",\"sip_code\":200,"
        "\"hangup_side\":\"caller\",\"reason\":\"BYE \\\"normal\\\"\",\"media\":{\"caller\":"
        "{\"packets_in\":1500,\"bytes_in\":258000,\"packets_out\":1e90,\"bytes_out\":12.9,"
        "\"lost\":-3,\"out_of_order\":0,\"jitter_ms\":1.5,\"max_gap_ms\":40},\"callee\":"
        "{\"jitter_ms\":2,\"lost\":\"x\",\"srtp_auth_failed\":9223372036854775807}}}",
        /* odd but valid: fields of the wrong type, repeated keys, an escaped key */
        "{\"type\":\"call.ended\"," S_ENV "\"ts\":\"2026-11-21T13:19:09Z\",\"call_id\":\"c2\","
        "\"sip_code\":200.0,\"disposition\":7,\"media\":[1],\"c\\u0061ller\":1,"
        "\"call_id\":\"c3\"}",
        "{\"type\":\"call.ringing\"," S_ENV "\"ts\":\"bad\",\"call_id\":\"c1\"}",
        "{\"type\":\"call.ringing\"," S_ENV "\"ts\":\"2026-11-21T13:17:03Z\"}",
        "{\"type\":\"queue.joined\"," S_ENV "\"ts\":\"2026-11-21T13:17:03Z\"}",
        "{\"type\":\"call.created\",\"id\":{\"pub\":\"sipproxy\",\"epoch\":-1,\"seq\":1.5}}",
        "{\"type\":\"call.created\",\"id\":[]}",
        "[\"call.created\"]",
    };
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
        if (!s_both_ways(events[i]))
            cc_test_fail(__FILE__, __LINE__, "event %zu decodes differently: %s", i, events[i]);
        CC_CHECK(!cc_test_current_failed());
    }
}
