/* sp_callmedia.c - a call's mediad commands: endpoints created (a direct call's two in
 * one command, pointed at the caller's offer and connected), pointed at the far party,
 * connected, stopped playing, deleted (their stats kept for call.ended), and created
 * again on the same ids and ports after mediad restarted. Each endpoint keeps what that
 * takes (sp_endpoint_t). Every request belongs to the call (c->bus): freeing the call
 * cancels what is still in flight, so a reply never finds a freed call. Decisions are
 * sp_b2bua's; mediad as a whole (restarts, sync) is sp_mediad.c's. */
#include "sp_call.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"

#define S_EXHAUSTED_MS 250 /* how long a no_ports answer sheds new calls */

int sp_media(sp_call_t *c, const char *cmd, json_t *args, cc_bus_reply_fn *fn)
{
    if (!cc_bus_request(c->proxy->bus, &c->bus, "mediad", cmd, args, c->proxy->set.media_timeout_ms,
                        fn, c)) {
        cc_warn("call.media_request_failed", "cmd=%s", cmd);
        return -1;
    }
    return 0;
}

static const char *s_error(int status, json_t *result)
{
    const char *code =
        status == -EPROTO ? json_string_value(json_object_get(result, "code")) : NULL;
    return code ? code : status == -ETIMEDOUT ? "timeout" : "error";
}

static void s_done(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)arg;
    if (status != 0)
        cc_warn("call.media_command_failed", "status=%d error=%s", status,
                cc_logq(s_error(status, result)));
}

sp_endpoint_t *sp_media_endpoint(sp_call_t *c, int id)
{
    return id <= 0 ? NULL : c->ea.id == id ? &c->ea : c->eb.id == id ? &c->eb : NULL;
}

/* endpoint.remote's arguments for the far party's SDP; NULL when it names no address
 * (0.0.0.0 or port 0: nothing to send to yet). */
static json_t *s_remote_args(const sp_sdp_info_t *info, bool srtp)
{
    if (info->port <= 0 || strcmp(info->address, "0.0.0.0") == 0)
        return NULL;
    json_t *pts = json_array();
    for (int i = 0; i < info->npts; i++)
        json_array_append_new(pts, json_integer(info->pts[i]));
    json_t *args = json_pack("{s:s, s:i, s:o, s:s}", "address", info->address, "port", info->port,
                             "payload_types", pts, "direction", sp_sdp_dir_name(info->dir));
    int te = sp_sdp_te(info);
    if (args && te)
        json_object_set_new(args, "telephone_event", json_integer(te));
    if (args && srtp && info->ncrypto > 0) /* the party's chosen line: the key it sends with */
        json_object_set_new(args, "srtp",
                            json_pack("{s:s, s:s}", "suite",
                                      sp_sdp_suite_name(info->crypto[0].suite), "key",
                                      info->crypto[0].key));
    return args;
}

/* The caller or callee side of one endpoint.create: leg, owner, and the far party if
 * known (remembered for a restore). */
static json_t *s_create_args(sp_call_t *c, bool caller_side, bool dtmf, const sp_sdp_info_t *remote)
{
    sp_endpoint_t *e = caller_side ? &c->ea : &c->eb;
    json_t *args = json_pack("{s:s, s:s, s:b, s:s, s:I}", "call_id", c->id, "leg",
                             caller_side ? "caller" : "callee", "symmetric", 1, "owner",
                             cc_bus_name(c->proxy->bus), "owner_epoch",
                             (json_int_t)cc_bus_epoch(c->proxy->bus));
    if (!args)
        return NULL;
    e->dtmf = dtmf;
    if (dtmf)
        json_object_set_new(args, "dtmf", json_true());
    if (e->srtp) /* a key of its own, or (restoring) the one it had */
        json_object_set_new(
            args, "srtp", e->srtp_key[0] ? json_pack("{s:s}", "key", e->srtp_key) : json_object());
    json_t *r = remote ? s_remote_args(remote, e->srtp) : NULL;
    e->has_remote = r != NULL;
    if (r) {
        e->remote = *remote;
        json_object_set_new(args, "remote", r);
    }
    return args;
}

static void s_take(sp_endpoint_t *e, json_t *result)
{
    const char *addr = json_string_value(json_object_get(result, "address"));
    e->id = (int)json_integer_value(json_object_get(result, "endpoint_id"));
    e->port = (int)json_integer_value(json_object_get(result, "port"));
    snprintf(e->addr, sizeof e->addr, "%s", addr ? addr : "");
    const char *key = json_string_value(json_object_get(result, "srtp_key"));
    snprintf(e->srtp_key, sizeof e->srtp_key, "%s", key ? key : "");
    if (!addr || e->port <= 0 || (e->srtp && strlen(e->srtp_key) != SP_SDP_KEY_MAX - 1))
        e->id = 0;
}

/* ---- create ------------------------------------------------------------------------- */

/* A create's reply: both sides for a pair. */
static void s_on_created(sp_call_t *c, bool caller_side, bool pair, int status, json_t *result)
{
    void (*ready)(sp_call_t *) = caller_side ? c->caller_ready : c->callee_ready;
    c->creates_pending--;
    if (status == 0 && result) {
        s_take(caller_side ? &c->ea : &c->eb, result);
        if (pair) {
            s_take(&c->eb, json_object_get(result, "pair"));
            c->media_connected = c->ea.id > 0 && c->eb.id > 0;
        }
    }
    if (c->state >= SP_CALL_ENDING) { /* ended while mediad was working: give it back */
        sp_media_delete_all(c);
        sp_call_try_finish(c);
        sp_call_maybe_free(c);
        return;
    }
    bool ok = (caller_side ? c->ea.id : c->eb.id) > 0 && (!pair || c->eb.id > 0);
    if (!ok && status == -EPROTO && strcmp(s_error(status, result), "no_ports") == 0)
        /* every port pair busy or in quarantine: new calls are turned away at the door
         * (503, no call) for a moment, rather than each failing here */
        c->proxy->media_exhausted_until_ms = cc_mono_ms() + S_EXHAUSTED_MS;
    if (!ok) {
        cc_warn("call.media_unavailable", "status=%d error=%s", status,
                cc_logq(s_error(status, result)));
        sp_call_end(c, sp_mediad_crashed(c->proxy) ? SP_END_MEDIA_DOWN : SP_END_MEDIA_FAILED, 0);
        return;
    }
    if (ready)
        ready(c);
}

static void s_on_created_a(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_on_created(arg, true, false, status, result);
}

static void s_on_created_b(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_on_created(arg, false, false, status, result);
}

static void s_on_created_pair(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_on_created(arg, true, true, status, result);
}

void sp_media_create(sp_call_t *c, bool caller_side, bool dtmf, const sp_sdp_info_t *remote,
                     void (*ready)(sp_call_t *c))
{
    json_t *args = s_create_args(c, caller_side, dtmf, remote);
    if (!args) {
        sp_call_end(c, SP_END_MEDIA_FAILED, 0);
        return;
    }
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

void sp_media_create_pair(sp_call_t *c, void (*ready)(sp_call_t *c))
{
    json_t *args = s_create_args(c, true, false, &c->offer_info);
    json_t *pair = s_create_args(c, false, false, NULL);
    if (!args || !pair) {
        json_decref(args);
        json_decref(pair);
        sp_call_end(c, SP_END_MEDIA_FAILED, 0);
        return;
    }
    json_object_del(pair, "call_id"); /* the pair's own object holds only its side */
    json_object_del(pair, "owner");
    json_object_del(pair, "owner_epoch");
    json_object_set_new(args, "pair", pair);
    c->caller_ready = ready;
    c->creates_pending++;
    if (sp_media(c, "endpoint.create", args, s_on_created_pair)) {
        c->creates_pending--;
        sp_call_end(c, SP_END_MEDIA_FAILED, 0);
    }
}

/* ---- delete --------------------------------------------------------------------- */

static void s_keep_stats(sp_call_t *c, const char *leg, json_t *stats)
{
    if (!json_is_object(stats))
        return;
    if (!c->stats)
        c->stats = json_object();
    json_object_set(c->stats, leg, stats);
}

static void s_on_deleted(sp_call_t *c, int status, json_t *result, const char *leg)
{
    c->deletes_pending--;
    if (status == 0 && result) {
        json_t *all = json_object_get(result, "all_stats");
        if (all) {
            s_keep_stats(c, "caller", json_array_get(all, 0));
            s_keep_stats(c, "callee", json_array_get(all, 1));
        } else {
            s_keep_stats(c, leg, json_object_get(result, "stats"));
        }
    }
    sp_call_try_finish(c);
    sp_call_maybe_free(c);
}

static void s_on_deleted_a(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_on_deleted(arg, status, result, "caller");
}

static void s_on_deleted_b(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_on_deleted(arg, status, result, "callee");
}

static void s_forget(sp_call_t *c, sp_endpoint_t *e)
{
    memset(e, 0, sizeof *e);
    c->media_connected = false;
}

void sp_media_delete(sp_call_t *c, bool caller_side)
{
    sp_endpoint_t *e = caller_side ? &c->ea : &c->eb;
    if (e->id <= 0)
        return;
    json_t *args = json_pack("{s:i}", "endpoint_id", e->id);
    s_forget(c, e);
    if (sp_media(c, "endpoint.delete", args, caller_side ? s_on_deleted_a : s_on_deleted_b) == 0)
        c->deletes_pending++;
}

void sp_media_delete_all(sp_call_t *c)
{
    if (c->ea.id <= 0 || c->eb.id <= 0) {
        sp_media_delete(c, true);
        sp_media_delete(c, false);
        return;
    }
    json_t *args = json_pack("{s:[i,i]}", "endpoint_ids", c->ea.id, c->eb.id);
    s_forget(c, &c->ea);
    s_forget(c, &c->eb);
    if (sp_media(c, "endpoint.delete", args, s_on_deleted_a) == 0)
        c->deletes_pending++;
}

/* ---- remote, connect, play.stop ------------------------------------------------ */

void sp_media_remote(sp_call_t *c, int ep, const sp_sdp_info_t *info)
{
    sp_endpoint_t *e = sp_media_endpoint(c, ep);
    json_t *args = ep > 0 ? s_remote_args(info, e && e->srtp) : NULL;
    if (!args)
        return;
    if (e) {
        e->remote = *info;
        e->has_remote = true;
    }
    json_object_set_new(args, "endpoint_id", json_integer(ep));
    sp_media(c, "endpoint.remote", args, s_done);
}

void sp_media_connect(sp_call_t *c)
{
    if (c->ea.id <= 0 || c->eb.id <= 0)
        return;
    c->media_connected = true;
    json_t *args = json_pack("{s:i, s:i}", "endpoint_a", c->ea.id, "endpoint_b", c->eb.id);
    sp_media(c, "endpoint.connect", args, s_done);
}

void sp_media_play_stop(sp_call_t *c, int ep)
{
    if (ep <= 0)
        return;
    sp_media(c, "play.stop", json_pack("{s:i}", "endpoint_id", ep), s_done);
}

/* ---- restore after a mediad restart ---------------------------------------------- */

/* One side's endpoint.create arguments to take back its id and port. */
static json_t *s_restore_args(sp_call_t *c, bool caller_side)
{
    sp_endpoint_t *e = caller_side ? &c->ea : &c->eb;
    sp_endpoint_t keep = *e;
    json_t *args = s_create_args(c, caller_side, keep.dtmf, keep.has_remote ? &keep.remote : NULL);
    *e = keep;
    if (args)
        json_object_set_new(args, "restore",
                            json_pack("{s:i, s:i}", "endpoint_id", e->id, "port", e->port));
    return args;
}

static void s_restored(sp_call_t *c, bool ok)
{
    c->creates_pending--;
    if (!ok)
        c->restore_failed = true;
    if (--c->restores_pending > 0)
        return;
    sp_mediad_call_restored(c, !c->restore_failed);
    if (c->state >= SP_CALL_ENDING) { /* its delete went out after the restore */
        sp_call_try_finish(c);
        sp_call_maybe_free(c);
    }
}

static void s_on_restored(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    sp_call_t *c = arg;
    if (status != 0)
        cc_warn("call.media_restore_failed", "error=%s message=%s",
                cc_logq(s_error(status, result)),
                cc_logq(json_string_value(json_object_get(result, "message"))));
    s_restored(c, status == 0);
}

static int s_restore_one(sp_call_t *c, json_t *args)
{
    if (!args)
        return -1;
    c->creates_pending++;
    c->restores_pending++;
    if (sp_media(c, "endpoint.create", args, s_on_restored)) {
        c->creates_pending--;
        c->restores_pending--;
        return -1;
    }
    return 0;
}

int sp_media_restore(sp_call_t *c)
{
    c->restore_failed = false;
    c->restores_pending = 0;
    if (c->ea.id > 0 && c->eb.id > 0 && c->media_connected) {
        json_t *args = s_restore_args(c, true), *pair = s_restore_args(c, false);
        if (!args || !pair) {
            json_decref(args);
            json_decref(pair);
            return -1;
        }
        json_object_del(pair, "call_id");
        json_object_del(pair, "owner");
        json_object_del(pair, "owner_epoch");
        json_object_set_new(args, "pair", pair);
        return s_restore_one(c, args);
    }
    int rc = 0;
    if (c->ea.id > 0)
        rc |= s_restore_one(c, s_restore_args(c, true));
    if (c->eb.id > 0)
        rc |= s_restore_one(c, s_restore_args(c, false));
    return rc;
}

bool sp_media_srtp_caller(sp_call_t *c)
{
    const char *why = NULL;
    sp_srtp_use_t use = sp_srtp_answer(c->srtp_a, &c->offer_info, &why);
    if (use == SP_SRTP_REFUSE) {
        cc_info("call.offer_refused", "reason=%s srtp=%s", cc_logq(why),
                sp_srtp_policy_name(c->srtp_a));
        snprintf(c->reason, sizeof c->reason, "%s", why);
        sp_call_end(c, SP_END_NO_CODEC, 0);
        return false;
    }
    c->ea.srtp = use == SP_SRTP_SECURE;
    return true;
}

/* Our a=crypto lines for e's party (see sp_media_sdp): how many in out; *best_effort when
 * the party offered them on RTP/AVP (so the answer keeps RTP/AVP). */
static int s_crypto_lines(const sp_endpoint_t *e, sp_sdp_crypto_t out[2], bool *best_effort)
{
    *best_effort = false;
    if (!e->srtp || !e->srtp_key[0])
        return 0;
    bool answering = e->has_remote && e->remote.ncrypto > 0;
    *best_effort = answering && !e->remote.savp;
    return sp_srtp_lines(e->srtp_key, answering ? &e->remote.crypto[0] : NULL, out);
}

char *sp_media_sdp(const sp_endpoint_t *e, const char *in, sp_sdp_info_t *info, const char **why)
{
    sp_sdp_crypto_t lines[2];
    bool best_effort;
    int n = s_crypto_lines(e, lines, &best_effort);
    char *sdp = sp_sdp_rewrite_srtp(in, e->addr, e->port, lines, n, best_effort, info, why);
    explicit_bzero(lines, sizeof lines);
    return sdp;
}

char *sp_media_sdp_make(sp_call_t *c, const sp_endpoint_t *e, int pt, int te, sp_sdp_dir_t dir)
{
    sp_sdp_crypto_t lines[2];
    bool best_effort;
    int n = s_crypto_lines(e, lines, &best_effort);
    char *sdp =
        sp_sdp_make_srtp(e->addr, e->port, pt, te, dir, ++c->sdp_version, lines, n, best_effort);
    explicit_bzero(lines, sizeof lines);
    return sdp;
}

bool sp_media_answer_offer(sp_call_t *c, bool dtmf, void (*ready)(sp_call_t *c))
{
    const char *why = NULL;
    char *probe = c->offer ? sp_sdp_rewrite(c->offer, "0.0.0.0", 0, &c->offer_info, &why) : NULL;
    if (!probe) {
        sp_call_end(c, SP_END_NO_CODEC, 0);
        return false;
    }
    free(probe);
    if (!sp_media_srtp_caller(c))
        return false;
    c->a_codec = sp_sdp_codec(&c->offer_info);
    c->a_te = sp_sdp_te(&c->offer_info);
    sp_media_create(c, true, dtmf, &c->offer_info, ready);
    return true;
}
