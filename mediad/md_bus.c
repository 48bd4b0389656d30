/* md_bus.c - endpoint.* command handlers, endpoint ownership (owner sweeps, endpoint.sync)
 * and the media.timeout publisher (see md_bus.h). Translates JSON arguments into
 * md_core/md_rtp calls and results back into JSON; the bus has already checked the
 * declared argument types of the top level before a handler runs (nested objects are
 * checked here against the same declarations). */
#include "md_bus.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cc_events.h"
#include "md_args.h"
#include "cc_log.h"

#define MD_OWNER_MAX 64

struct md_bus {
    cc_bus_t *bus;
    cc_loop_t *loop;
    md_core_t *core;
    md_rtp_t *rtp;
    md_ports_t *ports;
    char address[64];
    uint64_t timeout_us;
    uint64_t sync_grace_us;
    int scan_timer;
    uint64_t timeouts_published;
    uint64_t freed_orphans, freed_unclaimed; /* endpoints freed without endpoint.delete */
};

json_t *md_bus_stats_json(const md_stats_t *st)
{
    return json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I}", "packets_in",
        (json_int_t)st->packets_in, "bytes_in", (json_int_t)st->bytes_in, "packets_out",
        (json_int_t)st->packets_out, "bytes_out", (json_int_t)st->bytes_out, "lost",
        (json_int_t)md_stats_lost(st), "out_of_order", (json_int_t)st->out_of_order, "jitter_ms",
        round(md_stats_jitter_ms(st) * 1000.0) / 1000.0, "max_gap_ms",
        round(md_stats_max_gap_ms(st) * 1000.0) / 1000.0, "dropped", (json_int_t)st->dropped,
        "expected", (json_int_t)md_stats_expected(st), "rtcp_in", (json_int_t)st->rtcp_in,
        "rtcp_out", (json_int_t)st->rtcp_out, "srtp_auth_failed", (json_int_t)st->srtp_auth_failed,
        "srtp_replayed", (json_int_t)st->srtp_replayed);
}

md_endpoint_t *md_bus_endpoint_arg(cc_bus_t *bus, md_core_t *core, cc_bus_req_t *req, json_t *args,
                                   const char *key)
{
    json_int_t id = json_integer_value(json_object_get(args, key));
    md_endpoint_t *ep = (id > 0 && id <= INT32_MAX) ? md_core_find(core, (int)id) : NULL;
    if (!ep)
        cc_bus_reply_error(bus, req, "unknown_endpoint", "no endpoint %lld (%s)", (long long)id,
                           key);
    else
        cc_log_set_call(ep->call_id); /* the bus clears it when the command returns */
    return ep;
}

static md_endpoint_t *s_endpoint_arg(md_bus_t *self, cc_bus_req_t *req, json_t *args,
                                     const char *key)
{
    return md_bus_endpoint_arg(self->bus, self->core, req, args, key);
}

/* Free ep (closing its sockets) and log one line with its final statistics, on ep's call;
 * returns those statistics as endpoint.delete reports them (new reference). */
static json_t *s_free(md_bus_t *self, md_endpoint_t *ep, const char *reason, cc_log_level_t level)
{
    cc_log_call_saved_t saved;
    cc_log_enter_call(&saved, ep->call_id);
    const md_stats_t *st = &ep->stats;
    if (cc_log_enabled(level))
        cc_log(level, "endpoint.deleted",
               "endpoint=%d leg=%s reason=%s packets_in=%llu packets_out=%llu lost=%llu "
               "jitter_ms=%.2f max_gap_ms=%.1f dropped=%llu",
               ep->id, cc_logq(ep->leg), reason, (unsigned long long)st->packets_in,
               (unsigned long long)st->packets_out, (unsigned long long)md_stats_lost(st),
               md_stats_jitter_ms(st), md_stats_max_gap_ms(st), (unsigned long long)st->dropped);
    json_t *stats = md_bus_stats_json(st);
    md_rtp_close(self->rtp, ep);
    cc_log_leave_call(&saved);
    return stats;
}

/* ---- endpoint.remote ---------------------------------------------------------------- */

/* The far party's SRTP key and suite, on an endpoint created for SRTP: 0, or -1 with the
 * bad_args message in err. */
static int s_remote_srtp(md_rtp_t *rtp, md_endpoint_t *ep, const md_remote_args_t *r, char *err,
                         size_t len)
{
    md_srtp_t *srtp = md_rtp_srtp_of(rtp, ep);
    if (r->srtp_suite == MD_SRTP_NONE)
        return 0;
    if (!srtp) {
        snprintf(err, len, "srtp given for an endpoint created without srtp");
        return -1;
    }
    if (md_srtp_set_remote(srtp, r->srtp_suite, r->srtp_key) < 0) {
        snprintf(err, len, "cannot use the srtp key");
        return -1;
    }
    return 0;
}

static void s_remote_apply(md_endpoint_t *ep, const md_remote_args_t *r)
{
    /* what generated audio is sent as: as told, else the first G.711 type offered */
    if (r->send_pt >= 0) {
        ep->send_pt = (uint8_t)r->send_pt;
    } else {
        for (size_t i = 0; i < r->npts; i++) {
            if (r->pts[i] == 0 || r->pts[i] == 8) {
                ep->send_pt = (uint8_t)r->pts[i];
                break;
            }
        }
    }
    if (r->te_pt >= 0)
        ep->te_pt = (uint8_t)r->te_pt;
    /* the far party sends unless its SDP says recvonly or inactive */
    bool expect = !strcmp(r->direction, "sendrecv") || !strcmp(r->direction, "sendonly");
    uint32_t addr = r->addr.s_addr;
    int port = r->port;
    /* c=0.0.0.0 or port 0 (old-style hold, rejected stream): nowhere to send */
    if (addr == INADDR_ANY || port == 0) {
        addr = INADDR_ANY;
        port = 0;
        expect = false;
    }
    md_core_set_remote(ep, addr, (uint16_t)port, r->npts ? r->pts : NULL, r->npts, expect,
                       cc_mono_us());
    char ip[INET_ADDRSTRLEN];
    cc_debug("endpoint.remote", "endpoint=%d remote=%s:%d pts=%zu direction=%s", ep->id,
             inet_ntop(AF_INET, &r->addr, ip, sizeof ip), r->port, r->npts, r->direction);
}

/* ---- endpoint.create ---------------------------------------------------------------- */

static void s_free_orphan(md_endpoint_t *ep, void *arg)
{
    md_bus_t *self = arg;
    json_decref(s_free(self, ep, "owner_restarted", CC_LOG_DEBUG));
    self->freed_orphans++;
}

/* owner and owner_epoch of a create or sync (both or neither): 0 with *owner set (NULL
 * when neither is given and !required), or -1 after replying bad_args. The epoch is noted:
 * when it is newer than any seen of that owner, the owner restarted and its older epochs'
 * endpoints are freed now (the new instance cannot claim them). */
static int s_owner_arg(md_bus_t *self, cc_bus_req_t *req, json_t *args, bool required,
                       md_owner_t **owner, uint64_t *epoch, md_epoch_t *seen)
{
    const char *name = json_string_value(json_object_get(args, "owner"));
    json_t *ep = json_object_get(args, "owner_epoch");
    *owner = NULL;
    if (!name && !md_args_given(ep) && !required)
        return 0;
    if (!name || !*name || strlen(name) >= MD_OWNER_MAX || json_integer_value(ep) <= 0) {
        cc_bus_reply_error(self->bus, req, "bad_args",
                           "owner (1-%d characters) and owner_epoch (above 0) go together",
                           MD_OWNER_MAX - 1);
        return -1;
    }
    *epoch = (uint64_t)json_integer_value(ep);
    *owner = md_core_owner(self->core, name, *epoch, seen);
    if (!*owner) {
        cc_bus_reply_error(self->bus, req, "internal", "out of memory");
        return -1;
    }
    if (*seen == MD_EPOCH_NEWER) {
        cc_log_call_saved_t saved;
        cc_log_enter_call(&saved, NULL); /* about the owner, not the call being created */
        int n = md_core_sweep_orphans(self->core, *owner, s_free_orphan, self);
        cc_info("endpoint.owner_restarted", "owner=%s epoch=%llu freed=%d", cc_logq(name),
                (unsigned long long)*epoch, n);
        cc_log_leave_call(&saved);
    }
    return 0;
}

/* Open one endpoint as leg says: 0, or -1 after replying. */
static int s_open(md_bus_t *self, cc_bus_req_t *req, const char *call_id, const md_leg_args_t *leg,
                  md_endpoint_t **out)
{
    int rc = md_rtp_open(self->rtp, call_id, leg->leg, leg->symmetric,
                         leg->has_restore ? &leg->restore : NULL, out);
    if (rc == 0 && leg->dtmf && md_rtp_dtmf(self->rtp, *out, true) < 0) {
        md_rtp_close(self->rtp, *out);
        rc = -ENOMEM;
    }
    if (rc == 0 && leg->srtp) {
        md_srtp_t *srtp = md_srtp_new(leg->srtp_local);
        if (srtp && leg->has_remote && leg->remote.srtp_suite != MD_SRTP_NONE &&
            md_srtp_set_remote(srtp, leg->remote.srtp_suite, leg->remote.srtp_key) < 0)
            md_srtp_destroy(&srtp);
        if (!srtp) {
            md_rtp_close(self->rtp, *out);
            cc_error("endpoint.srtp_failed", "leg=%s", cc_logq(leg->leg));
            cc_bus_reply_error(self->bus, req, "internal", "cannot set up SRTP");
            return -1;
        }
        md_rtp_set_srtp(self->rtp, *out, &srtp);
    }
    if (rc == 0)
        return 0;
    if (leg->has_restore && (rc == -EBUSY || rc == -ENOENT)) {
        const char *why = rc == -ENOENT ? "not an endpoint id or port of this mediad"
                                        : "its slot or port is in use";
        cc_warn("endpoint.cannot_restore", "endpoint=%d port=%d leg=%s reason=%s", leg->restore.id,
                leg->restore.port, cc_logq(leg->leg), cc_logq(why));
        cc_bus_reply_error(self->bus, req, "cannot_restore",
                           "cannot restore endpoint %d on "
                           "port %d: %s",
                           leg->restore.id, leg->restore.port, why);
    } else if (rc == -ENOSPC) {
        cc_warn("endpoint.no_ports", "endpoints=%d", md_core_count(self->core));
        cc_bus_reply_error(self->bus, req, "no_ports",
                           "no free RTP port pair (%d endpoints in use)",
                           md_core_count(self->core));
    } else {
        cc_error("endpoint.open_failed", "error=%s", cc_logq(strerror(-rc)));
        cc_bus_reply_error(self->bus, req, "internal", "cannot open the endpoint: %s",
                           strerror(-rc));
    }
    return -1;
}

/* {endpoint_id, address, port, srtp_key}: what the owner puts in its SDP. The key is the
 * endpoint's own (what it sends with); it leaves mediad here and nowhere else. */
static json_t *s_created_json(md_bus_t *self, md_endpoint_t *ep)
{
    json_t *o = json_pack("{s:i, s:s, s:i}", "endpoint_id", ep->id, "address", self->address,
                          "port", ep->port);
    md_srtp_t *srtp = md_rtp_srtp_of(self->rtp, ep);
    if (srtp) {
        char key[MD_SRTP_KEY_B64_LEN];
        md_srtp_local_key(srtp, key);
        json_object_set_new(o, "srtp_key", json_string(key));
        memset(key, 0, sizeof key);
    }
    return o;
}

static void s_on_create(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    md_bus_t *self = arg;
    const char *call_id = json_string_value(json_object_get(args, "call_id"));
    if (!call_id || !*call_id || strlen(call_id) >= MD_CALL_ID_MAX) {
        cc_bus_reply_error(bus, req, "bad_args", "call_id must be 1-%d characters",
                           MD_CALL_ID_MAX - 1);
        return;
    }
    /* everything is checked before anything is created: all or nothing */
    md_leg_args_t legs[2];
    int n = 1;
    char err[256];
    json_t *pair = json_object_get(args, "pair");
    if (md_args_leg_parse(args, &legs[0], err, sizeof err) < 0 ||
        (md_args_given(pair) && (md_args_check_nested(pair, "endpoint.create", "call_id",
                                                      json_string(call_id), err, sizeof err) < 0 ||
                                 md_args_leg_parse(pair, &legs[n++], err, sizeof err) < 0))) {
        cc_bus_reply_error(bus, req, "bad_args", "%s", err);
        return;
    }
    md_owner_t *owner;
    uint64_t epoch = 0;
    md_epoch_t seen;
    if (s_owner_arg(self, req, args, false, &owner, &epoch, &seen) < 0)
        return;
    md_endpoint_t *eps[2];
    for (int i = 0; i < n; i++) {
        if (s_open(self, req, call_id, &legs[i], &eps[i]) < 0) {
            for (int j = 0; j < i; j++)
                md_rtp_close(self->rtp, eps[j]);
            return;
        }
    }
    uint64_t now = cc_mono_us();
    for (int i = 0; i < n; i++) {
        if (owner)
            md_core_set_owner(eps[i], owner, epoch, now);
        if (legs[i].has_remote)
            s_remote_apply(eps[i], &legs[i].remote);
        cc_debug("endpoint.created", "endpoint=%d leg=%s port=%d restored=%d srtp=%d", eps[i]->id,
                 cc_logq(eps[i]->leg), eps[i]->port, legs[i].has_restore, legs[i].srtp);
    }
    json_t *result = s_created_json(self, eps[0]);
    if (n == 2) {
        md_core_connect(eps[0], eps[1]);
        json_object_set_new(result, "pair", s_created_json(self, eps[1]));
    }
    cc_bus_reply(bus, req, result);
}

/* ---- the other endpoint commands ---------------------------------------------------- */

static void s_on_remote(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    md_bus_t *self = arg;
    md_endpoint_t *ep = s_endpoint_arg(self, req, args, "endpoint_id");
    if (!ep)
        return;
    md_remote_args_t remote;
    char err[256];
    if (md_args_remote_parse(args, &remote, err, sizeof err) < 0 ||
        s_remote_srtp(self->rtp, ep, &remote, err, sizeof err) < 0) {
        cc_bus_reply_error(bus, req, "bad_args", "%s", err);
        return;
    }
    s_remote_apply(ep, &remote);
    cc_bus_reply(bus, req, NULL);
}

static void s_on_connect(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    md_bus_t *self = arg;
    md_endpoint_t *a = s_endpoint_arg(self, req, args, "endpoint_a");
    if (!a)
        return;
    md_endpoint_t *b = s_endpoint_arg(self, req, args, "endpoint_b");
    if (!b)
        return;
    if (md_core_connect(a, b) < 0) {
        cc_bus_reply_error(bus, req, "bad_args", "cannot connect an endpoint to itself");
        return;
    }
    cc_debug("endpoint.connected", "endpoint=%d peer=%d", a->id, b->id);
    cc_bus_reply(bus, req, NULL);
}

static void s_on_disconnect(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                            void *arg)
{
    (void)cmd;
    md_bus_t *self = arg;
    md_endpoint_t *ep = s_endpoint_arg(self, req, args, "endpoint_id");
    if (!ep)
        return;
    md_core_disconnect(ep);
    cc_bus_reply(bus, req, NULL);
}

static void s_on_stats(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    md_bus_t *self = arg;
    md_endpoint_t *ep = s_endpoint_arg(self, req, args, "endpoint_id");
    if (!ep)
        return;
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &ep->rtp.addr.sin_addr, ip, sizeof ip);
    cc_bus_reply(bus, req,
                 json_pack("{s:o, s:s, s:s, s:i, s:i, s:s, s:i, s:b}", "stats",
                           md_bus_stats_json(&ep->stats), "call_id", ep->call_id, "leg", ep->leg,
                           "port", ep->port, "peer_id", ep->peer ? ep->peer->id : 0,
                           "remote_address", ip, "remote_port", ntohs(ep->rtp.addr.sin_port),
                           "latched", ep->rtp.latched));
}

/* The endpoints of an array of ids in *out (NULL for unknown ids; caller frees): 0, or -1
 * after replying bad_args when an element is not an integer. */
static int s_ids_arg(md_bus_t *self, cc_bus_req_t *req, json_t *list, const char *key, int **out)
{
    size_t n = json_array_size(list);
    *out = malloc((n ? n : 1) * sizeof **out);
    if (!*out) {
        cc_bus_reply_error(self->bus, req, "internal", "out of memory");
        return -1;
    }
    json_t *v;
    size_t i;
    json_array_foreach(list, i, v)
    {
        if (!json_is_integer(v)) {
            free(*out);
            *out = NULL;
            cc_bus_reply_error(self->bus, req, "bad_args", "%s must be integers", key);
            return -1;
        }
        json_int_t id = json_integer_value(v);
        (*out)[i] = id > 0 && id <= INT32_MAX ? (int)id : 0;
    }
    return 0;
}

static void s_on_delete(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    md_bus_t *self = arg;
    json_t *list = json_object_get(args, "endpoint_ids");
    if (md_args_given(json_object_get(args, "endpoint_id")) == md_args_given(list)) {
        cc_bus_reply_error(bus, req, "bad_args", "give endpoint_id or endpoint_ids");
        return;
    }
    if (!md_args_given(list)) {
        md_endpoint_t *ep = s_endpoint_arg(self, req, args, "endpoint_id");
        if (ep)
            cc_bus_reply(bus, req,
                         json_pack("{s:o}", "stats", s_free(self, ep, "delete", CC_LOG_INFO)));
        return;
    }
    int *ids;
    if (s_ids_arg(self, req, list, "endpoint_ids", &ids) < 0)
        return;
    json_t *all = json_array();
    for (size_t i = 0; i < json_array_size(list); i++) {
        md_endpoint_t *ep = ids[i] ? md_core_find(self->core, ids[i]) : NULL;
        json_array_append_new(all, ep ? s_free(self, ep, "delete", CC_LOG_INFO) : json_null());
    }
    free(ids);
    cc_bus_reply(bus, req, json_pack("{s:o}", "all_stats", all));
}

static void s_free_unclaimed(md_endpoint_t *ep, void *arg)
{
    md_bus_t *self = arg;
    json_decref(s_free(self, ep, "unclaimed", CC_LOG_INFO));
    self->freed_unclaimed++;
}

static void s_on_sync(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    md_bus_t *self = arg;
    md_owner_t *owner;
    uint64_t epoch;
    md_epoch_t seen;
    int *ids;
    json_t *list = json_object_get(args, "endpoint_ids");
    if (s_ids_arg(self, req, list, "endpoint_ids", &ids) < 0)
        return;
    uint64_t swept = self->freed_orphans;
    if (s_owner_arg(self, req, args, true, &owner, &epoch, &seen) < 0) {
        free(ids);
        return;
    }
    /* what a newer epoch swept counts too: the owner no longer holds those either */
    int freed = (int)(self->freed_orphans - swept), kept;
    if (seen == MD_EPOCH_OLDER) { /* the list of an instance that has restarted since */
        kept = md_core_owned(self->core, owner);
        cc_warn("endpoint.sync_stale", "owner=%s epoch=%llu current_epoch=%llu",
                cc_logq(md_owner_name(owner)), (unsigned long long)epoch,
                (unsigned long long)md_owner_epoch(owner));
    } else {
        freed += md_core_sync(self->core, owner, ids, json_array_size(list), cc_mono_us(),
                              self->sync_grace_us, s_free_unclaimed, self, &kept);
    }
    free(ids);
    cc_log(freed ? CC_LOG_INFO : CC_LOG_DEBUG, "endpoint.synced",
           "owner=%s epoch=%llu listed=%zu freed=%d kept=%d", cc_logq(md_owner_name(owner)),
           (unsigned long long)epoch, json_array_size(list), freed, kept);
    cc_bus_reply(bus, req, json_pack("{s:i, s:i}", "freed", freed, "kept", kept));
}

/* ---- media timeouts ----------------------------------------------------------------- */

static void s_on_idle(md_endpoint_t *ep, uint64_t idle_us, void *arg)
{
    md_bus_t *self = arg;
    if (md_core_orphaned(ep)) { /* its owner restarted: nobody would end this call */
        json_decref(s_free(self, ep, "orphaned", CC_LOG_INFO));
        self->freed_orphans++;
        return;
    }
    cc_log_call_saved_t saved;
    cc_log_enter_call(&saved, ep->call_id);
    json_int_t idle_ms = (json_int_t)(idle_us / 1000);
    cc_info("media.timeout", "endpoint=%d leg=%s idle_ms=%lld", ep->id, cc_logq(ep->leg),
            (long long)idle_ms);
    cc_bus_publish(
        self->bus, "media.timeout", ep->call_id,
        json_pack("{s:i, s:s, s:I}", "endpoint_id", ep->id, "leg", ep->leg, "idle_ms", idle_ms));
    self->timeouts_published++;
    cc_log_leave_call(&saved);
}

static void s_on_scan(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    md_bus_t *self = arg;
    md_core_scan_idle(self->core, cc_mono_us(), self->timeout_us, s_on_idle, self);
}

/* ---- lifecycle ---------------------------------------------------------------------- */

md_bus_t *md_bus_new(cc_bus_t *bus, cc_loop_t *loop, md_core_t *core, md_rtp_t *rtp,
                     md_ports_t *ports, const md_bus_cfg_t *cfg)
{
    md_bus_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->bus = bus;
    self->loop = loop;
    self->core = core;
    self->rtp = rtp;
    self->ports = ports;
    snprintf(self->address, sizeof self->address, "%s", cfg->address);
    self->timeout_us = (uint64_t)cfg->media_timeout_s * 1000000u;
    self->sync_grace_us = (uint64_t)cfg->sync_grace_ms * 1000u;
    static const struct {
        const char *name;
        cc_bus_command_fn *fn;
    } cmds[] = {
        {"endpoint.create", s_on_create},   {"endpoint.remote", s_on_remote},
        {"endpoint.connect", s_on_connect}, {"endpoint.disconnect", s_on_disconnect},
        {"endpoint.delete", s_on_delete},   {"endpoint.stats", s_on_stats},
        {"endpoint.sync", s_on_sync},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (cc_bus_on_command(bus, cmds[i].name, cmds[i].fn, self) < 0) {
            cc_error("bus.command_failed", "command=%s", cmds[i].name);
            md_bus_destroy(&self);
            return NULL;
        }
    }
    if (cfg->media_timeout_s > 0) {
        int interval = cfg->scan_interval_ms > 0 ? cfg->scan_interval_ms : 500;
        self->scan_timer =
            cc_loop_timer_add(loop, (uint64_t)interval, (uint64_t)interval, s_on_scan, self);
        if (self->scan_timer < 0) {
            md_bus_destroy(&self);
            return NULL;
        }
    }
    return self;
}

void md_bus_destroy(md_bus_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    md_bus_t *self = *self_p;
    if (self->scan_timer > 0)
        cc_loop_timer_cancel(self->loop, self->scan_timer);
    free(self);
    *self_p = NULL;
}

void md_bus_status(md_bus_t *self, json_t *details)
{
    json_object_set_new(details, "endpoints", json_integer(md_core_count(self->core)));
    json_object_set_new(details, "endpoints_max", json_integer(md_core_capacity(self->core)));
    json_object_set_new(details, "ports_total", json_integer(md_ports_total(self->ports)));
    json_object_set_new(details, "ports_free", json_integer(md_ports_available(self->ports)));
    json_object_set_new(details, "ports_quarantined",
                        json_integer(md_ports_quarantined(self->ports, cc_mono_us())));
    json_object_set_new(details, "packets_relayed",
                        json_integer((json_int_t)md_rtp_relayed(self->rtp)));
    json_object_set_new(details, "send_errors",
                        json_integer((json_int_t)md_rtp_send_errors(self->rtp)));
    json_object_set_new(details, "media_timeouts",
                        json_integer((json_int_t)self->timeouts_published));
    json_object_set_new(details, "freed_orphans", json_integer((json_int_t)self->freed_orphans));
    json_object_set_new(details, "freed_unclaimed",
                        json_integer((json_int_t)self->freed_unclaimed));
}
