/* sp_callmedia.c - a call's mediad commands: endpoints created, pointed at the far party,
 * connected, stopped playing and deleted (their stats kept for call.ended). Every request
 * belongs to the call (c->bus): freeing the call cancels what is still in flight, so a
 * reply never finds a freed call. Decisions are sp_b2bua's. */
#include "sp_call.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cc_log.h"

int sp_media(sp_call_t *c, const char *cmd, json_t *args, cc_bus_reply_fn *fn)
{
    if (!cc_bus_request(c->proxy->bus, &c->bus, "mediad", cmd, args,
                        c->proxy->set.media_timeout_ms, fn, c)) {
        cc_warn("call.media_request_failed", "cmd=%s", cmd);
        return -1;
    }
    return 0;
}

static void s_done(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)arg;
    if (status != 0) {
        const char *code = json_string_value(json_object_get(result, "code"));
        cc_warn("call.media_command_failed", "status=%d error=%s", status,
                cc_logq(code ? code : status == -ETIMEDOUT ? "timeout" : "?"));
    }
}

/* ---- create --------------------------------------------------------------------- */

static void s_on_created(sp_call_t *c, bool caller_side, int status, json_t *result)
{
    void (*ready)(sp_call_t *) = caller_side ? c->caller_ready : c->callee_ready;
    c->creates_pending--;
    int ep = 0, port = 0;
    const char *addr = NULL;
    if (status == 0 && result) {
        ep = (int)json_integer_value(json_object_get(result, "endpoint_id"));
        addr = json_string_value(json_object_get(result, "address"));
        port = (int)json_integer_value(json_object_get(result, "port"));
    }
    if (ep > 0 && addr) {
        if (caller_side) {
            c->ep_a = ep;
            snprintf(c->ep_a_addr, sizeof c->ep_a_addr, "%s", addr);
            c->ep_a_port = port;
        } else {
            c->ep_b = ep;
            snprintf(c->ep_b_addr, sizeof c->ep_b_addr, "%s", addr);
            c->ep_b_port = port;
        }
    }
    if (c->state >= SP_CALL_ENDING) { /* ended while mediad was working: give it back */
        sp_media_delete(c, caller_side);
        sp_call_try_finish(c);
        sp_call_maybe_free(c);
        return;
    }
    if (ep <= 0 || !addr) {
        const char *code = json_string_value(json_object_get(result, "code"));
        cc_warn("call.media_unavailable", "status=%d error=%s", status,
                cc_logq(code ? code : status == -ETIMEDOUT ? "timeout" : "?"));
        sp_call_end(c, SP_END_MEDIA_FAILED, 0);
        return;
    }
    if (ready)
        ready(c);
}

static void s_on_created_a(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_on_created(arg, true, status, result);
}

static void s_on_created_b(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_on_created(arg, false, status, result);
}

void sp_media_create(sp_call_t *c, bool caller_side, bool dtmf, void (*ready)(sp_call_t *c))
{
    json_t *args = json_pack("{s:s, s:s, s:b}", "call_id", c->id, "leg",
                             caller_side ? "caller" : "callee", "symmetric", 1);
    if (!args) {
        sp_call_end(c, SP_END_MEDIA_FAILED, 0);
        return;
    }
    if (dtmf)
        json_object_set_new(args, "dtmf", json_true());
    if (caller_side)
        c->caller_ready = ready;
    else
        c->callee_ready = ready;
    c->creates_pending++;
    if (sp_media(c, "endpoint.create", args, caller_side ? s_on_created_a : s_on_created_b)) {
        c->creates_pending--;
        sp_call_end(c, SP_END_MEDIA_FAILED, 0);
    }
}

/* ---- delete --------------------------------------------------------------------- */

static void s_on_deleted(cc_bus_t *bus, int status, json_t *result, void *arg, const char *leg)
{
    (void)bus;
    sp_call_t *c = arg;
    c->deletes_pending--;
    if (status == 0 && result) {
        json_t *stats = json_object_get(result, "stats");
        if (stats) {
            if (!c->stats)
                c->stats = json_object();
            json_object_set(c->stats, leg, stats);
        }
    }
    sp_call_try_finish(c);
    sp_call_maybe_free(c);
}

static void s_on_deleted_a(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    s_on_deleted(bus, status, result, arg, "caller");
}

static void s_on_deleted_b(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    s_on_deleted(bus, status, result, arg, "callee");
}

void sp_media_delete(sp_call_t *c, bool caller_side)
{
    int *ep = caller_side ? &c->ep_a : &c->ep_b;
    if (*ep <= 0)
        return;
    json_t *args = json_pack("{s:i}", "endpoint_id", *ep);
    *ep = 0;
    if (sp_media(c, "endpoint.delete", args, caller_side ? s_on_deleted_a : s_on_deleted_b) == 0)
        c->deletes_pending++;
}

/* ---- remote, connect, play.stop ------------------------------------------------ */

void sp_media_remote(sp_call_t *c, int ep, const sp_sdp_info_t *info)
{
    if (ep <= 0 || info->port <= 0 || strcmp(info->address, "0.0.0.0") == 0)
        return;
    json_t *pts = json_array();
    for (int i = 0; i < info->npts; i++)
        json_array_append_new(pts, json_integer(info->pts[i]));
    json_t *args = json_pack("{s:i, s:s, s:i, s:o}", "endpoint_id", ep, "address",
                             info->address, "port", info->port, "payload_types", pts);
    int te = sp_sdp_te(info);
    if (args)
        json_object_set_new(args, "direction", json_string(sp_sdp_dir_name(info->dir)));
    if (args && te)
        json_object_set_new(args, "telephone_event", json_integer(te));
    sp_media(c, "endpoint.remote", args, s_done);
}

void sp_media_connect(sp_call_t *c)
{
    if (c->ep_a <= 0 || c->ep_b <= 0)
        return;
    json_t *args = json_pack("{s:i, s:i}", "endpoint_a", c->ep_a, "endpoint_b", c->ep_b);
    sp_media(c, "endpoint.connect", args, s_done);
}

void sp_media_play_stop(sp_call_t *c, int ep)
{
    if (ep <= 0)
        return;
    sp_media(c, "play.stop", json_pack("{s:i}", "endpoint_id", ep), s_done);
}

