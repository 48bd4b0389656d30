/* md_args.c - decoding and checking endpoint.create / endpoint.remote arguments (see
 * md_args.h). */
#include "md_args.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cc_events.h"

/* Check a nested object (endpoint.create's remote or pair) against the declared args of
 * the command it stands for, as the bus checks a command's top level and with the same
 * messages; `fill` is the one required arg the nested form leaves out (stolen). */
int md_args_check_nested(json_t *obj, const char *cmd, const char *key, json_t *fill, char *err,
                         size_t len)
{
    json_t *copy = json_copy(obj);
    int rc = copy && json_object_set_new(copy, key, fill) == 0 ? 0 : -1;
    if (!copy)
        json_decref(fill);
    if (rc < 0)
        snprintf(err, len, "out of memory");
    else
        rc = cc_events_check(CC_PART_ARG, cmd, copy, err, len);
    json_decref(copy);
    return rc;
}

/* Parse endpoint.remote's arguments (also the remote object of endpoint.create): 0, or -1
 * with the bad_args message in err. */
int md_args_remote_parse(json_t *args, md_remote_args_t *r, char *err, size_t len)
{
    const char *address = json_string_value(json_object_get(args, "address"));
    json_int_t port = json_integer_value(json_object_get(args, "port"));
    json_t *pts = json_object_get(args, "payload_types");
    json_t *send_pt = json_object_get(args, "payload_type");
    json_t *te_pt = json_object_get(args, "telephone_event");
    const char *direction = json_string_value(json_object_get(args, "direction"));
    memset(r, 0, sizeof *r);
    if (!address || inet_pton(AF_INET, address, &r->addr) != 1) {
        snprintf(err, len, "address must be an IPv4 address");
        return -1;
    }
    if (port < 0 || port > 65534) {
        snprintf(err, len, "port must be 0-65534");
        return -1;
    }
    r->port = (int)port;
    if (direction && strcmp(direction, "sendrecv") && strcmp(direction, "sendonly") &&
        strcmp(direction, "recvonly") && strcmp(direction, "inactive")) {
        snprintf(err, len, "direction must be sendrecv, sendonly, recvonly or inactive");
        return -1;
    }
    r->direction = direction ? direction : "sendrecv";
    if (json_array_size(pts) > 128) {
        snprintf(err, len, "at most 128 payload types");
        return -1;
    }
    json_t *v;
    size_t i;
    json_array_foreach(pts, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 127) {
            snprintf(err, len, "payload_types must be integers 0-127");
            return -1;
        }
        r->pts[r->npts++] = (int)json_integer_value(v);
    }
    if (send_pt && json_integer_value(send_pt) != 0 && json_integer_value(send_pt) != 8) {
        snprintf(err, len, "payload_type must be 0 (PCMU) or 8 (PCMA)");
        return -1;
    }
    if (te_pt && (json_integer_value(te_pt) < 96 || json_integer_value(te_pt) > 127)) {
        snprintf(err, len, "telephone_event must be 96-127");
        return -1;
    }
    r->send_pt = send_pt ? (int)json_integer_value(send_pt) : -1;
    r->te_pt = te_pt ? (int)json_integer_value(te_pt) : -1;
    json_t *srtp = json_object_get(args, "srtp");
    if (md_args_given(srtp)) {
        uint8_t key[MD_SRTP_KEY_LEN];
        r->srtp_suite = md_srtp_suite_parse(json_string_value(json_object_get(srtp, "suite")));
        r->srtp_key = json_string_value(json_object_get(srtp, "key"));
        if (r->srtp_suite == MD_SRTP_NONE || md_srtp_key_decode(r->srtp_key, key) < 0) {
            snprintf(err, len,
                     "srtp needs suite (AES_CM_128_HMAC_SHA1_80 or _32) and key "
                     "(base64 of 30 bytes)");
            return -1;
        }
        memset(key, 0, sizeof key);
    }
    return 0;
}

bool md_args_given(json_t *v)
{
    return v && !json_is_null(v);
}

/* leg, symmetric, dtmf, remote and restore of obj: 0, or -1 with the bad_args message. */
int md_args_leg_parse(json_t *obj, md_leg_args_t *leg, char *err, size_t len)
{
    memset(leg, 0, sizeof *leg);
    leg->leg = json_string_value(json_object_get(obj, "leg"));
    if (!leg->leg || !*leg->leg || strlen(leg->leg) >= MD_LEG_MAX) {
        snprintf(err, len, "leg must be 1-%d characters", MD_LEG_MAX - 1);
        return -1;
    }
    json_t *sym = json_object_get(obj, "symmetric");
    leg->symmetric = md_args_given(sym) ? json_is_true(sym) : true;
    leg->dtmf = json_is_true(json_object_get(obj, "dtmf"));
    json_t *remote = json_object_get(obj, "remote");
    if (md_args_given(remote)) {
        if (md_args_check_nested(remote, "endpoint.remote", "endpoint_id", json_integer(1), err,
                                 len) < 0 ||
            md_args_remote_parse(remote, &leg->remote, err, len) < 0)
            return -1;
        leg->has_remote = true;
    }
    json_t *restore = json_object_get(obj, "restore");
    if (md_args_given(restore)) {
        json_t *id = json_object_get(restore, "endpoint_id"),
               *port = json_object_get(restore, "port");
        if (!json_is_integer(id) || json_integer_value(id) <= 0 ||
            json_integer_value(id) > INT32_MAX || !json_is_integer(port) ||
            json_integer_value(port) < 1 || json_integer_value(port) > 65535) {
            snprintf(err, len, "restore needs endpoint_id (an id above 0) and port (1-65535)");
            return -1;
        }
        leg->has_restore = true;
        leg->restore.id = (int)json_integer_value(id);
        leg->restore.port = (int)json_integer_value(port);
    }
    json_t *srtp = json_object_get(obj, "srtp");
    if (md_args_given(srtp)) {
        uint8_t key[MD_SRTP_KEY_LEN];
        leg->srtp = true;
        leg->srtp_local = json_string_value(json_object_get(srtp, "key"));
        if (leg->srtp_local && md_srtp_key_decode(leg->srtp_local, key) < 0) {
            snprintf(err, len, "srtp key must be base64 of 30 bytes");
            return -1;
        }
        memset(key, 0, sizeof key);
    }
    if (leg->has_remote && leg->remote.srtp_suite != MD_SRTP_NONE && !leg->srtp) {
        snprintf(err, len, "remote srtp given for an endpoint created without srtp");
        return -1;
    }
    return 0;
}
