/* md_mixes.c - mix.* handlers, media.talking, and the mixing timer (see md_mixes.h). */
#include "md_mixes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cc_log.h"
#include "md_bus.h"
#include "md_mix.h"

#define S_EMPTY_US 60000000ull /* a mix nobody joined for a minute is freed */
#define S_SCAN_MS 5000

struct md_mixes {
    cc_bus_t *bus;
    cc_loop_t *loop;
    md_core_t *core;
    md_rtp_t *rtp;
    md_mixer_t *mixer;
    int timer_fd;
    uint64_t armed_for; /* the due time the timerfd is set to (0: disarmed) */
    int scan_timer;
    md_mixes_tap_fn *on_tap; /* md_taps */
    void *on_tap_arg;
};

/* ---- mixer -> sockets and bus ------------------------------------------------------- */

static int s_send(md_endpoint_t *ep, const uint8_t *pkt, size_t len, void *arg)
{
    md_mixes_t *self = arg;
    return md_rtp_send(self->rtp, ep, pkt, len);
}

static void s_talk(uint32_t mix_id, md_endpoint_t *ep, bool talking, void *arg)
{
    md_mixes_t *self = arg;
    cc_log_call_saved_t saved; /* from the mixing timer */
    cc_log_enter_call(&saved, ep->call_id);
    cc_debug("mix.talking", "mix=%u endpoint=%d talking=%d", mix_id, ep->id, talking);
    cc_bus_publish(self->bus, "media.talking", ep->call_id,
                   json_pack("{s:I, s:i, s:s, s:b}", "mix_id", (json_int_t)mix_id, "endpoint_id",
                             ep->id, "leg", ep->leg, "talking", talking));
    cc_log_leave_call(&saved);
}

/* The full mix of a recorded mix's frame: into its tap's batch (a full batch is shipped
 * first). */
static void s_tap(uint32_t mix_id, void *tap, const uint8_t *pkt, size_t len, uint64_t due_us,
                  void *arg)
{
    (void)mix_id;
    md_mixes_t *self = arg;
    if (md_tap_add(tap, 0, pkt, len, due_us) < 0 && self->on_tap) {
        self->on_tap(tap, false, self->on_tap_arg);
        md_tap_add(tap, 0, pkt, len, due_us);
    }
}

/* mix_id goes: its tap ships what it holds and follows nothing. */
static void s_delete(md_mixes_t *self, uint32_t mix_id)
{
    md_tap_t *tap = md_mixer_tap(self->mixer, mix_id);
    if (tap && self->on_tap)
        self->on_tap(tap, true, self->on_tap_arg);
    md_mixer_delete(self->mixer, mix_id);
}

/* Aim the timerfd at the next mix due (absolute, on CLOCK_MONOTONIC as cc_mono_us). */
static void s_rearm(md_mixes_t *self)
{
    uint64_t due = md_mixer_next_due(self->mixer);
    if (due == self->armed_for)
        return;
    struct itimerspec its = {0};
    if (due) {
        its.it_value.tv_sec = (time_t)(due / 1000000u);
        its.it_value.tv_nsec = (long)(due % 1000000u) * 1000;
    }
    if (timerfd_settime(self->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
        self->armed_for = due;
}

static void s_on_tick(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)events;
    md_mixes_t *self = arg;
    uint64_t expirations;
    if (read(fd, &expirations, sizeof expirations) < 0)
        return; /* EAGAIN: nothing expired after all */
    self->armed_for = 0;
    md_mixer_tick(self->mixer, cc_mono_us());
    s_rearm(self);
}

static void s_on_mix(md_endpoint_t *ep, const uint8_t *pkt, size_t len, uint64_t now_us, void *arg)
{
    md_mixes_t *self = arg;
    md_mixer_put(self->mixer, ep, pkt, len, now_us);
}

static void s_on_close(md_endpoint_t *ep, void *arg)
{
    md_mixes_t *self = arg;
    md_mixer_leave(self->mixer, ep);
}

static void s_free_idle(uint32_t mix_id, void *arg)
{
    md_mixes_t *self = arg;
    cc_log_call_saved_t saved;
    cc_log_enter_call(&saved, md_mixer_call_id(self->mixer, mix_id));
    cc_info("mix.freed_idle", "mix=%u: nobody in it for %llu s", mix_id,
            (unsigned long long)(S_EMPTY_US / 1000000u));
    s_delete(self, mix_id);
    cc_log_leave_call(&saved);
}

static void s_on_scan(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    md_mixes_t *self = arg;
    if (md_mixer_scan_empty(self->mixer, cc_mono_us(), S_EMPTY_US, s_free_idle, self) > 0)
        s_rearm(self);
}

/* ---- commands ----------------------------------------------------------------------- */

static uint32_t s_mix_arg(md_mixes_t *self, cc_bus_req_t *req, json_t *args)
{
    json_int_t id = json_integer_value(json_object_get(args, "mix_id"));
    if (id <= 0 || id > UINT32_MAX || !md_mixer_exists(self->mixer, (uint32_t)id)) {
        cc_bus_reply_error(self->bus, req, "unknown_mix", "no mix %lld", (long long)id);
        return 0;
    }
    return (uint32_t)id;
}

/* Fill role from args (muted, deaf, hears, hears_all), starting from what it holds. */
static int s_role_args(md_mixes_t *self, cc_bus_req_t *req, json_t *args, md_mix_role_t *role)
{
    json_t *v;
    if ((v = json_object_get(args, "muted")))
        role->muted = json_is_true(v);
    if ((v = json_object_get(args, "deaf")))
        role->deaf = json_is_true(v);
    if (json_is_true(json_object_get(args, "hears_all")))
        role->nhears = -1;
    json_t *hears = json_object_get(args, "hears");
    if (hears) {
        if (json_array_size(hears) > MD_MIX_MAX_MEMBERS) {
            cc_bus_reply_error(self->bus, req, "bad_args", "hears lists at most %d endpoints",
                               MD_MIX_MAX_MEMBERS);
            return -1;
        }
        size_t i;
        json_t *id;
        role->nhears = 0;
        json_array_foreach(hears, i, id)
        {
            if (!json_is_integer(id) || json_integer_value(id) <= 0 ||
                json_integer_value(id) > INT32_MAX) {
                cc_bus_reply_error(self->bus, req, "bad_args",
                                   "hears must list endpoint ids (positive integers)");
                return -1;
            }
            role->hears[role->nhears++] = (int)json_integer_value(id);
        }
    }
    return 0;
}

static void s_on_create(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    md_mixes_t *self = arg;
    const char *call_id = json_string_value(json_object_get(args, "call_id"));
    if (call_id)
        cc_log_set_call(call_id);
    uint32_t id;
    if (md_mixer_create(self->mixer, call_id, cc_mono_us(), &id) < 0) {
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    cc_info("mix.created", "mix=%u", id);
    s_rearm(self);
    cc_bus_reply(bus, req, json_pack("{s:I}", "mix_id", (json_int_t)id));
}

static void s_on_join(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    md_mixes_t *self = arg;
    uint32_t mix_id = s_mix_arg(self, req, args);
    if (!mix_id)
        return;
    md_endpoint_t *ep = md_bus_endpoint_arg(bus, self->core, req, args, "endpoint_id");
    if (!ep)
        return;
    md_mix_role_t role;
    const md_mix_role_t *now = md_mixer_role(self->mixer, ep);
    if (now && md_mixer_mix_of(self->mixer, ep) == mix_id)
        role = *now; /* joining again changes only what is given */
    else
        md_mix_role_default(&role);
    if (s_role_args(self, req, args, &role) < 0)
        return;
    int rc = md_mixer_join(self->mixer, mix_id, ep, &role, cc_mono_us());
    if (rc == -EBUSY) {
        cc_bus_reply_error(bus, req, "in_other_mix", "endpoint %d is in mix %u", ep->id,
                           md_mixer_mix_of(self->mixer, ep));
        return;
    }
    if (rc == -ENOSPC) {
        cc_bus_reply_error(bus, req, "mix_full", "mix %u has %d members", mix_id,
                           MD_MIX_MAX_MEMBERS);
        return;
    }
    if (rc < 0) {
        cc_bus_reply_error(bus, req, "internal", "cannot join: %s", strerror(-rc));
        return;
    }
    cc_info("mix.joined", "mix=%u endpoint=%d leg=%s muted=%d deaf=%d hears=%d", mix_id, ep->id,
            cc_logq(ep->leg), role.muted, role.deaf, role.nhears);
    cc_bus_reply(bus, req, NULL);
}

static void s_on_set(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    md_mixes_t *self = arg;
    md_endpoint_t *ep = md_bus_endpoint_arg(bus, self->core, req, args, "endpoint_id");
    if (!ep)
        return;
    const md_mix_role_t *now = md_mixer_role(self->mixer, ep);
    if (!now) {
        cc_bus_reply_error(bus, req, "unknown_mix", "endpoint %d is in no mix", ep->id);
        return;
    }
    md_mix_role_t role = *now;
    if (s_role_args(self, req, args, &role) < 0)
        return;
    md_mixer_set_role(self->mixer, ep, &role);
    cc_info("mix.role", "mix=%u endpoint=%d muted=%d deaf=%d hears=%d",
            md_mixer_mix_of(self->mixer, ep), ep->id, role.muted, role.deaf, role.nhears);
    cc_bus_reply(bus, req, NULL);
}

static void s_on_leave(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    md_mixes_t *self = arg;
    md_endpoint_t *ep = md_bus_endpoint_arg(bus, self->core, req, args, "endpoint_id");
    if (!ep)
        return;
    uint32_t mix_id = md_mixer_mix_of(self->mixer, ep);
    if (mix_id) {
        md_mixer_leave(self->mixer, ep);
        cc_info("mix.left", "mix=%u endpoint=%d", mix_id, ep->id);
    }
    cc_bus_reply(bus, req, json_pack("{s:I}", "mix_id", (json_int_t)mix_id));
}

static void s_on_delete(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    md_mixes_t *self = arg;
    uint32_t mix_id = s_mix_arg(self, req, args);
    if (!mix_id)
        return;
    cc_log_set_call(md_mixer_call_id(self->mixer, mix_id));
    s_delete(self, mix_id);
    cc_info("mix.deleted", "mix=%u", mix_id);
    s_rearm(self);
    cc_bus_reply(bus, req, NULL);
}

typedef struct {
    md_mixes_t *self;
    json_t *members;
} s_info_t;

static void s_info_member(md_endpoint_t *ep, void *arg)
{
    s_info_t *info = arg;
    const md_mix_role_t *r = md_mixer_role(info->self->mixer, ep);
    json_t *hears = json_null();
    if (r->nhears >= 0) {
        hears = json_array();
        for (int i = 0; i < r->nhears; i++)
            json_array_append_new(hears, json_integer(r->hears[i]));
    }
    json_array_append_new(info->members,
                          json_pack("{s:i, s:s, s:s, s:b, s:b, s:o, s:b}", "endpoint_id", ep->id,
                                    "call_id", ep->call_id, "leg", ep->leg, "muted", r->muted,
                                    "deaf", r->deaf, "hears", hears, "talking",
                                    md_mixer_talking(info->self->mixer, ep)));
}

static void s_on_info(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    md_mixes_t *self = arg;
    uint32_t mix_id = s_mix_arg(self, req, args);
    if (!mix_id)
        return;
    s_info_t info = {.self = self, .members = json_array()};
    md_mixer_members(self->mixer, mix_id, s_info_member, &info);
    cc_bus_reply(bus, req,
                 json_pack("{s:s, s:o}", "call_id", md_mixer_call_id(self->mixer, mix_id),
                           "members", info.members));
}

/* ---- lifecycle ---------------------------------------------------------------------- */

md_mixes_t *md_mixes_new(cc_bus_t *bus, cc_loop_t *loop, md_core_t *core, md_rtp_t *rtp)
{
    md_mixes_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->bus = bus;
    self->loop = loop;
    self->core = core;
    self->rtp = rtp;
    self->scan_timer = -1;
    self->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (self->timer_fd < 0 || cc_loop_fd_add(loop, self->timer_fd, EPOLLIN, s_on_tick, self) < 0) {
        cc_error("mix.timer_failed", "error=%s", cc_logq(strerror(errno)));
        if (self->timer_fd >= 0)
            close(self->timer_fd);
        free(self);
        return NULL;
    }
    self->mixer = md_mixer_new(md_core_capacity(core), cc_wall_us() ^ ((uint64_t)getpid() << 16),
                               s_send, s_talk, self);
    self->scan_timer = cc_loop_timer_add(loop, S_SCAN_MS, S_SCAN_MS, s_on_scan, self);
    if (!self->mixer || self->scan_timer < 0 || md_rtp_on_close(rtp, s_on_close, self) < 0) {
        md_mixes_destroy(&self);
        return NULL;
    }
    static const struct {
        const char *name;
        cc_bus_command_fn *fn;
    } cmds[] = {
        {"mix.create", s_on_create}, {"mix.join", s_on_join},     {"mix.set", s_on_set},
        {"mix.leave", s_on_leave},   {"mix.delete", s_on_delete}, {"mix.info", s_on_info},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (cc_bus_on_command(bus, cmds[i].name, cmds[i].fn, self) < 0) {
            cc_error("bus.command_failed", "command=%s", cmds[i].name);
            md_mixes_destroy(&self);
            return NULL;
        }
    }
    md_rtp_on_mix(rtp, s_on_mix, self);
    md_mixer_on_tap(self->mixer, s_tap);
    return self;
}

void md_mixes_on_tap(md_mixes_t *self, md_mixes_tap_fn *fn, void *arg)
{
    self->on_tap = fn;
    self->on_tap_arg = arg;
}

int md_mixes_tap(md_mixes_t *self, uint32_t mix_id, md_tap_t *tap)
{
    if (tap && !self->on_tap)
        return -EINVAL;
    return md_mixer_set_tap(self->mixer, mix_id, tap);
}

md_tap_t *md_mixes_tap_of(const md_mixes_t *self, uint32_t mix_id)
{
    return md_mixer_tap(self->mixer, mix_id);
}

const char *md_mixes_call_id(const md_mixes_t *self, uint32_t mix_id)
{
    return md_mixer_call_id(self->mixer, mix_id);
}

void md_mixes_destroy(md_mixes_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    md_mixes_t *self = *self_p;
    md_rtp_on_mix(self->rtp, NULL, NULL);
    md_rtp_off_close(self->rtp, s_on_close, self);
    if (self->scan_timer >= 0)
        cc_loop_timer_cancel(self->loop, self->scan_timer);
    cc_loop_fd_remove(self->loop, self->timer_fd);
    close(self->timer_fd);
    md_mixer_destroy(&self->mixer);
    free(self);
    *self_p = NULL;
}

void md_mixes_status(md_mixes_t *self, json_t *details)
{
    const md_mix_stats_t *st = md_mixer_stats(self->mixer);
    json_object_set_new(
        details, "mix",
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "mixes",
                  (json_int_t)st->mixes, "members", (json_int_t)st->members, "frames_in",
                  (json_int_t)st->frames_in, "frames_late", (json_int_t)st->frames_late,
                  "concealed", (json_int_t)st->concealed, "ticks", (json_int_t)st->ticks, "encodes",
                  (json_int_t)st->encodes, "packets", (json_int_t)st->packets, "send_failed",
                  (json_int_t)st->send_failed, "late_1ms", (json_int_t)st->late_1ms, "late_5ms",
                  (json_int_t)st->late_5ms, "late_max_us", (json_int_t)st->late_max_us, "skipped",
                  (json_int_t)st->skipped, "tapped", (json_int_t)st->tapped));
}
