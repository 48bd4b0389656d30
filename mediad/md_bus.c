/* md_bus.c - endpoint.* command handlers and the media.timeout publisher (see md_bus.h).
 * Translates JSON arguments into md_core/md_rtp calls and results back into JSON; the
 * bus has already checked the declared argument types before a handler runs. */
#include "md_bus.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"

struct md_bus {
    cc_bus_t *bus;
    cc_loop_t *loop;
    md_core_t *core;
    md_rtp_t *rtp;
    md_ports_t *ports;
    char address[64];
    uint64_t timeout_us;
    int scan_timer;
    uint64_t timeouts_published;
};

json_t *md_bus_stats_json(const md_stats_t *st)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:I}",
                     "packets_in", (json_int_t)st->packets_in,
                     "bytes_in", (json_int_t)st->bytes_in,
                     "packets_out", (json_int_t)st->packets_out,
                     "bytes_out", (json_int_t)st->bytes_out,
                     "lost", (json_int_t)md_stats_lost(st),
                     "out_of_order", (json_int_t)st->out_of_order,
                     "jitter_ms", round(md_stats_jitter_ms(st) * 1000.0) / 1000.0,
                     "max_gap_ms", round(md_stats_max_gap_ms(st) * 1000.0) / 1000.0,
                     "dropped", (json_int_t)st->dropped,
                     "expected", (json_int_t)md_stats_expected(st),
                     "rtcp_in", (json_int_t)st->rtcp_in,
                     "rtcp_out", (json_int_t)st->rtcp_out);
}

/* The endpoint named by args[key], or NULL after replying unknown_endpoint. */
static md_endpoint_t *s_endpoint_arg(md_bus_t *self, cc_bus_req_t *req, json_t *args,
                                     const char *key)
{
    json_int_t id = json_integer_value(json_object_get(args, key));
    md_endpoint_t *ep = (id > 0 && id <= INT32_MAX) ? md_core_find(self->core, (int)id) : NULL;
    if (!ep)
        cc_bus_reply_error(self->bus, req, "unknown_endpoint", "no endpoint %lld (%s)",
                           (long long)id, key);
    return ep;
}

static void s_on_create(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                        void *arg)
{
    (void)cmd;
    md_bus_t *self = arg;
    const char *call_id = json_string_value(json_object_get(args, "call_id"));
    const char *leg = json_string_value(json_object_get(args, "leg"));
    json_t *sym = json_object_get(args, "symmetric");
    if (!call_id || !*call_id || strlen(call_id) >= MD_CALL_ID_MAX) {
        cc_bus_reply_error(bus, req, "bad_args", "call_id must be 1-%d characters",
                           MD_CALL_ID_MAX - 1);
        return;
    }
    if (!leg || !*leg || strlen(leg) >= MD_LEG_MAX) {
        cc_bus_reply_error(bus, req, "bad_args", "leg must be 1-%d characters", MD_LEG_MAX - 1);
        return;
    }
    md_endpoint_t *ep = NULL;
    int rc = md_rtp_open(self->rtp, call_id, leg, sym ? json_is_true(sym) : true, &ep);
    if (rc == -ENOSPC) {
        cc_warn("endpoint.no_ports", "call=%s endpoints=%d", cc_logq(call_id),
                md_core_count(self->core));
        cc_bus_reply_error(bus, req, "no_ports", "no free RTP port pair (%d endpoints in use)",
                           md_core_count(self->core));
        return;
    }
    if (rc < 0) {
        cc_error("endpoint.open_failed", "call=%s error=%s", cc_logq(call_id),
                 cc_logq(strerror(-rc)));
        cc_bus_reply_error(bus, req, "internal", "cannot open RTP sockets: %s", strerror(-rc));
        return;
    }
    if (json_is_true(json_object_get(args, "dtmf")) && md_rtp_dtmf(self->rtp, ep, true) < 0) {
        md_rtp_close(self->rtp, ep);
        cc_bus_reply_error(bus, req, "internal", "out of memory for the DTMF detector");
        return;
    }
    cc_debug("endpoint.created", "call=%s endpoint=%d leg=%s port=%d", cc_logq(call_id), ep->id,
             cc_logq(leg), ep->port);
    cc_bus_reply(bus, req, json_pack("{s:i, s:s, s:i}", "endpoint_id", ep->id, "address",
                                     self->address, "port", ep->port));
}

static bool s_expects_media(const char *direction)
{
    /* the far party's SDP direction: it sends unless recvonly or inactive */
    return !direction || strcmp(direction, "sendrecv") == 0 || strcmp(direction, "sendonly") == 0;
}

static void s_on_remote(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                        void *arg)
{
    (void)cmd;
    md_bus_t *self = arg;
    md_endpoint_t *ep = s_endpoint_arg(self, req, args, "endpoint_id");
    if (!ep)
        return;
    const char *address = json_string_value(json_object_get(args, "address"));
    json_int_t port = json_integer_value(json_object_get(args, "port"));
    json_t *pts = json_object_get(args, "payload_types");
    const char *direction = json_string_value(json_object_get(args, "direction"));
    struct in_addr addr;
    if (!address || inet_pton(AF_INET, address, &addr) != 1) {
        cc_bus_reply_error(bus, req, "bad_args", "address must be an IPv4 address");
        return;
    }
    if (port < 0 || port > 65534) {
        cc_bus_reply_error(bus, req, "bad_args", "port must be 0-65534");
        return;
    }
    if (direction && strcmp(direction, "sendrecv") && strcmp(direction, "sendonly")
        && strcmp(direction, "recvonly") && strcmp(direction, "inactive")) {
        cc_bus_reply_error(bus, req, "bad_args",
                           "direction must be sendrecv, sendonly, recvonly or inactive");
        return;
    }
    int list[128];
    size_t n = 0;
    if (pts) {
        if (json_array_size(pts) > 128) {
            cc_bus_reply_error(bus, req, "bad_args", "at most 128 payload types");
            return;
        }
        json_t *v;
        size_t i;
        json_array_foreach(pts, i, v) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 127) {
                cc_bus_reply_error(bus, req, "bad_args", "payload_types must be integers 0-127");
                return;
            }
            list[n++] = (int)json_integer_value(v);
        }
    }
    json_t *send_pt = json_object_get(args, "payload_type");
    json_t *te_pt = json_object_get(args, "telephone_event");
    if (send_pt && json_integer_value(send_pt) != 0 && json_integer_value(send_pt) != 8) {
        cc_bus_reply_error(bus, req, "bad_args", "payload_type must be 0 (PCMU) or 8 (PCMA)");
        return;
    }
    if (te_pt && (json_integer_value(te_pt) < 96 || json_integer_value(te_pt) > 127)) {
        cc_bus_reply_error(bus, req, "bad_args", "telephone_event must be 96-127");
        return;
    }
    /* what generated audio is sent as: as told, else the first G.711 type offered */
    if (send_pt) {
        ep->send_pt = (uint8_t)json_integer_value(send_pt);
    } else {
        for (size_t i = 0; i < n; i++) {
            if (list[i] == 0 || list[i] == 8) {
                ep->send_pt = (uint8_t)list[i];
                break;
            }
        }
    }
    if (te_pt)
        ep->te_pt = (uint8_t)json_integer_value(te_pt);
    bool expect = s_expects_media(direction);
    /* c=0.0.0.0 or port 0 (old-style hold, rejected stream): nowhere to send */
    if (addr.s_addr == INADDR_ANY || port == 0) {
        addr.s_addr = INADDR_ANY;
        port = 0;
        expect = false;
    }
    md_core_set_remote(ep, addr.s_addr, (uint16_t)port, n ? list : NULL, n, expect,
                       cc_mono_us());
    cc_debug("endpoint.remote", "call=%s endpoint=%d remote=%s:%d pts=%zu direction=%s",
             cc_logq(ep->call_id), ep->id, address, (int)port, n,
             direction ? direction : "sendrecv");
    cc_bus_reply(bus, req, NULL);
}

static void s_on_connect(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                         void *arg)
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
    cc_debug("endpoint.connected", "call=%s endpoint=%d peer=%d", cc_logq(a->call_id), a->id,
             b->id);
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

static void s_on_stats(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                       void *arg)
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
                           md_bus_stats_json(&ep->stats), "call_id", ep->call_id, "leg",
                           ep->leg, "port", ep->port, "peer_id", ep->peer ? ep->peer->id : 0,
                           "remote_address", ip, "remote_port", ntohs(ep->rtp.addr.sin_port),
                           "latched", ep->rtp.latched));
}

static void s_on_delete(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                        void *arg)
{
    (void)cmd;
    md_bus_t *self = arg;
    md_endpoint_t *ep = s_endpoint_arg(self, req, args, "endpoint_id");
    if (!ep)
        return;
    const md_stats_t *st = &ep->stats;
    cc_info("endpoint.deleted",
            "call=%s endpoint=%d leg=%s packets_in=%llu packets_out=%llu lost=%llu "
            "jitter_ms=%.2f max_gap_ms=%.1f dropped=%llu",
            cc_logq(ep->call_id), ep->id, cc_logq(ep->leg), (unsigned long long)st->packets_in,
            (unsigned long long)st->packets_out, (unsigned long long)md_stats_lost(st),
            md_stats_jitter_ms(st), md_stats_max_gap_ms(st), (unsigned long long)st->dropped);
    json_t *result = json_pack("{s:o}", "stats", md_bus_stats_json(st));
    md_rtp_close(self->rtp, ep);
    cc_bus_reply(bus, req, result);
}

static void s_on_idle(md_endpoint_t *ep, uint64_t idle_us, void *arg)
{
    md_bus_t *self = arg;
    json_int_t idle_ms = (json_int_t)(idle_us / 1000);
    cc_info("media.timeout", "call=%s endpoint=%d leg=%s idle_ms=%lld", cc_logq(ep->call_id),
            ep->id, cc_logq(ep->leg), (long long)idle_ms);
    cc_bus_publish(self->bus, "media.timeout", ep->call_id,
                   json_pack("{s:i, s:s, s:I}", "endpoint_id", ep->id, "leg", ep->leg,
                             "idle_ms", idle_ms));
    self->timeouts_published++;
}

static void s_on_scan(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    md_bus_t *self = arg;
    md_core_scan_idle(self->core, cc_mono_us(), self->timeout_us, s_on_idle, self);
}

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
    static const struct {
        const char *name;
        cc_bus_command_fn *fn;
    } cmds[] = {
        {"endpoint.create", s_on_create},   {"endpoint.remote", s_on_remote},
        {"endpoint.connect", s_on_connect}, {"endpoint.disconnect", s_on_disconnect},
        {"endpoint.delete", s_on_delete},   {"endpoint.stats", s_on_stats},
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
        self->scan_timer = cc_loop_timer_add(loop, (uint64_t)interval, (uint64_t)interval,
                                             s_on_scan, self);
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
    json_object_set_new(details, "packets_relayed", json_integer((json_int_t)md_rtp_relayed(self->rtp)));
    json_object_set_new(details, "send_errors", json_integer((json_int_t)md_rtp_send_errors(self->rtp)));
    json_object_set_new(details, "media_timeouts", json_integer((json_int_t)self->timeouts_published));
}
