/* fuzz_commands.c - libFuzzer target: command arguments as another process sends them,
 * through the same path the handlers take: the catalogue's check of the top level
 * (cc_events_check, what the bus does before a handler runs), then the daemon's own
 * decoding: mediad's endpoint.create (its remote, restore, srtp and pair) and
 * endpoint.remote (md_args), sipproxy's call.connect and call.originate (sp_callargs).
 * Beyond "no crash": whatever was accepted is within what the handlers rely on (ports,
 * payload types, directions, an SRTP key that decodes; headers that cannot end a SIP
 * header line or name anything but X-CC-*). The first byte picks the command (its low two
 * bits); the rest is its JSON arguments. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_input.h"
#include "cc_events.h"
#include "md_args.h"
#include "sp_callargs.h"

static void s_check_remote(const md_remote_args_t *r)
{
    if (r->port < 0 || r->port > 65534 || r->npts > 128)
        abort();
    for (size_t i = 0; i < r->npts; i++)
        if (r->pts[i] < 0 || r->pts[i] > 127)
            abort();
    static const char *const dirs[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
    bool dir_ok = false;
    for (size_t i = 0; i < 4; i++)
        dir_ok = dir_ok || (r->direction && !strcmp(r->direction, dirs[i]));
    if (!dir_ok || (r->send_pt != -1 && r->send_pt != 0 && r->send_pt != 8) ||
        (r->te_pt != -1 && (r->te_pt < 96 || r->te_pt > 127)))
        abort();
    uint8_t key[MD_SRTP_KEY_LEN];
    if (r->srtp_suite != MD_SRTP_NONE && md_srtp_key_decode(r->srtp_key, key) < 0)
        abort(); /* mediad would use a key it cannot read */
}

static void s_check_leg(const md_leg_args_t *leg)
{
    if (!leg->leg || !*leg->leg || strlen(leg->leg) >= MD_LEG_MAX)
        abort();
    if (leg->has_remote) {
        s_check_remote(&leg->remote);
        if (leg->remote.srtp_suite != MD_SRTP_NONE && !leg->srtp)
            abort(); /* a far key for an endpoint without SRTP */
    }
    if (leg->has_restore &&
        (leg->restore.id <= 0 || leg->restore.port < 1 || leg->restore.port > 65535))
        abort();
    uint8_t key[MD_SRTP_KEY_LEN];
    if (leg->srtp_local && md_srtp_key_decode(leg->srtp_local, key) < 0)
        abort();
}

/* Headers we would put on an INVITE: "X-CC-...: value" lines joined by CRLF, no other
 * CR or LF anywhere. */
static void s_check_headers(const char *h)
{
    if (!*h)
        return;
    for (const char *line = h;;) {
        if (strncasecmp(line, "X-CC-", 5) != 0)
            abort();
        const char *end = strstr(line, "\r\n");
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (memchr(line, '\r', n) || memchr(line, '\n', n))
            abort();
        if (!end)
            break;
        line = end + 2;
    }
}

static void s_call_control(json_t *args, bool originate)
{
    char err[256], headers[1024];
    if (cc_events_check(CC_PART_ARG, originate ? "call.originate" : "call.connect", args, err,
                        sizeof err) != 0)
        return;
    if (originate) {
        if (!sp_callargs_target_ok(json_string_value(json_object_get(args, "target"))))
            return;
    } else if (sp_callargs_targets(json_object_get(args, "targets"), 8, err, sizeof err) != 0) {
        return;
    }
    int timeout;
    bool ret;
    if (sp_callargs_attempt(args, headers, sizeof headers, &timeout, &ret, err, sizeof err) != 0)
        return;
    if (timeout < 0 || timeout > 600)
        abort();
    s_check_headers(headers);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    if (size < 1)
        return 0;
    int which = data[0] & 3; /* 0 endpoint.remote, 1 endpoint.create, 2 connect, 3 originate */
    bool create = which == 1;
    char *text = fuzz_text(data + 1, size - 1);
    if (!text)
        return 0;
    json_t *args = json_loads(text, JSON_DECODE_ANY, NULL);
    free(text);
    if (!json_is_object(args)) {
        json_decref(args);
        return 0;
    }
    if (which >= 2) {
        s_call_control(args, which == 3);
        json_decref(args);
        return 0;
    }
    char err[256];
    const char *cmd = create ? "endpoint.create" : "endpoint.remote";
    if (cc_events_check(CC_PART_ARG, cmd, args, err, sizeof err) == 0) {
        if (create) {
            md_leg_args_t legs[2];
            if (md_args_leg_parse(args, &legs[0], err, sizeof err) == 0) {
                s_check_leg(&legs[0]);
                json_t *pair = json_object_get(args, "pair");
                const char *call_id = json_string_value(json_object_get(args, "call_id"));
                if (md_args_given(pair) && call_id &&
                    md_args_check_nested(pair, "endpoint.create", "call_id", json_string(call_id),
                                         err, sizeof err) == 0 &&
                    md_args_leg_parse(pair, &legs[1], err, sizeof err) == 0)
                    s_check_leg(&legs[1]);
            }
        } else {
            md_remote_args_t r;
            if (md_args_remote_parse(args, &r, err, sizeof err) == 0)
                s_check_remote(&r);
        }
    }
    json_decref(args);
    return 0;
}
