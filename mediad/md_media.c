/* md_media.c - play.*, dtmf.detect and prompt.check handlers, the media.play_done and
 * media.dtmf publishers, and the pacing timer (see md_media.h). */
#include "md_media.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cc_log.h"
#include "md_bus.h"
#include "md_play.h"
#include "md_prompt.h"

struct md_media {
    cc_bus_t *bus;
    cc_loop_t *loop;
    md_core_t *core;
    md_rtp_t *rtp;
    md_prompt_store_t *store;
    md_play_t *play;
    int timer_fd;     /* the 1 ms pacing timer (a timerfd on the loop), -1 if none */
    bool timer_armed; /* it runs only while something plays */
    uint64_t digits;  /* media.dtmf published */
};

/* ---- players -> bus ----------------------------------------------------------------- */

static int s_send(md_endpoint_t *ep, const uint8_t *pkt, size_t len, void *arg)
{
    md_media_t *self = arg;
    return md_rtp_send(self->rtp, ep, pkt, len);
}

static void s_done(md_endpoint_t *ep, uint32_t play_id, md_play_reason_t reason, void *arg)
{
    md_media_t *self = arg;
    cc_log_call_saved_t saved; /* from the pacing timer, or a command about any call */
    cc_log_enter_call(&saved, ep->call_id);
    const char *why = md_play_reason_name(reason);
    cc_debug("play.done", "endpoint=%d play=%u reason=%s", ep->id, play_id, why);
    cc_bus_publish(self->bus, "media.play_done", ep->call_id,
                   json_pack("{s:i, s:s, s:I, s:s}", "endpoint_id", ep->id, "leg", ep->leg,
                             "play_id", (json_int_t)play_id, "reason", why));
    cc_log_leave_call(&saved);
}

/* The pacing timer is a timerfd watched by the loop rather than a cc_loop timer: cc_loop
 * waits in whole milliseconds (rounded up), which made ticks up to 1 ms late; a timerfd
 * wakes the loop on the microsecond, and a late tick still serves every phase it passed. */
static int s_timer_arm(md_media_t *self, bool on)
{
    struct itimerspec its = {0};
    if (on) {
        its.it_interval.tv_nsec = 1000000;
        its.it_value.tv_nsec = 1000000;
    }
    if (timerfd_settime(self->timer_fd, 0, &its, NULL) < 0)
        return -errno;
    self->timer_armed = on;
    return 0;
}

static void s_on_tick(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)events;
    md_media_t *self = arg;
    uint64_t expirations;
    if (read(fd, &expirations, sizeof expirations) < 0)
        return; /* EAGAIN: nothing expired after all */
    md_play_tick(self->play, cc_mono_us());
    if (md_play_active(self->play) == 0 && self->timer_armed)
        s_timer_arm(self, false);
}

static int s_timer_on(md_media_t *self)
{
    return self->timer_armed ? 0 : s_timer_arm(self, true);
}

/* ---- DTMF and endpoint closing from md_rtp ------------------------------------------ */

static void s_on_dtmf(md_endpoint_t *ep, const md_dtmf_event_t *ev, void *arg)
{
    md_media_t *self = arg;
    char digit[2] = {ev->digit, '\0'};
    const char *method = ev->method == MD_DTMF_RFC4733 ? "rfc4733"
                         : ev->method == MD_DTMF_INFO  ? "info"
                                                       : "inband";
    cc_log_call_saved_t saved; /* from the packet path */
    cc_log_enter_call(&saved, ep->call_id);
    if (!ev->end) {
        if (md_play_barge_in(self->play, ep))
            cc_debug("play.barged_in", "endpoint=%d digit=%s", ep->id, digit);
    } else {
        cc_info("media.dtmf", "endpoint=%d leg=%s digit=%s duration_ms=%u method=%s", ep->id,
                cc_logq(ep->leg), digit, ev->duration_ms, method);
        cc_bus_publish(self->bus, "media.dtmf", ep->call_id,
                       json_pack("{s:i, s:s, s:s, s:I, s:s}", "endpoint_id", ep->id, "leg", ep->leg,
                                 "digit", digit, "duration_ms", (json_int_t)ev->duration_ms,
                                 "method", method));
        self->digits++;
    }
    cc_log_leave_call(&saved);
}

static void s_on_close(md_endpoint_t *ep, void *arg)
{
    md_media_t *self = arg;
    md_play_forget(self->play, ep);
}

/* ---- commands ----------------------------------------------------------------------- */

static md_endpoint_t *s_endpoint_arg(md_media_t *self, cc_bus_req_t *req, json_t *args)
{
    return md_bus_endpoint_arg(self->bus, self->core, req, args, "endpoint_id");
}

static const char *s_language_arg(json_t *args)
{
    const char *language = json_string_value(json_object_get(args, "language"));
    return language && *language ? language : "en";
}

/* Load every prompt named in args.prompts into out[]; on failure reply and return -1. */
static int s_load_prompts(md_media_t *self, cc_bus_req_t *req, json_t *names, const char *language,
                          md_prompt_t **out, size_t *count)
{
    size_t n = json_array_size(names);
    *count = 0;
    if (n == 0 || n > MD_PLAY_MAX_ITEMS) {
        cc_bus_reply_error(self->bus, req, "bad_args", "prompts must list 1-%d names",
                           MD_PLAY_MAX_ITEMS);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_array_get(names, i));
        char err[4200];
        int rc = name ? md_prompt_store_get(self->store, language, name, &out[i], err, sizeof err)
                      : -EINVAL;
        if (rc < 0) {
            for (size_t j = 0; j < i; j++)
                md_prompt_unref(&out[j]);
            if (!name)
                cc_bus_reply_error(self->bus, req, "bad_args", "prompts must be strings");
            else if (rc == -ENOENT)
                cc_bus_reply_error(self->bus, req, "prompt_missing", "%s", err);
            else if (rc == -EINVAL)
                cc_bus_reply_error(self->bus, req, "bad_args", "%s", err);
            else
                cc_bus_reply_error(self->bus, req, "bad_prompt", "%s", err);
            if (rc != -EINVAL)
                cc_warn("play.prompt_failed", "reason=%s", cc_logq(err));
            return -1;
        }
    }
    *count = n;
    return 0;
}

static void s_on_play_start(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                            void *arg)
{
    (void)cmd;
    md_media_t *self = arg;
    md_endpoint_t *ep = s_endpoint_arg(self, req, args);
    if (!ep)
        return;
    const char *language = s_language_arg(args);
    bool loop = json_is_true(json_object_get(args, "loop"));
    bool barge_in = json_is_true(json_object_get(args, "barge_in"));
    md_prompt_t *prompts[MD_PLAY_MAX_ITEMS];
    size_t n;
    if (s_load_prompts(self, req, json_object_get(args, "prompts"), language, prompts, &n) < 0)
        return;
    if (barge_in && md_rtp_dtmf(self->rtp, ep, true) < 0) {
        for (size_t i = 0; i < n; i++)
            md_prompt_unref(&prompts[i]);
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    uint32_t play_id = 0;
    int rc = md_play_start(self->play, ep, prompts, n, ep->send_pt, loop, barge_in, cc_mono_us(),
                           &play_id);
    if (rc == 0)
        rc = s_timer_on(self);
    if (rc < 0) {
        md_play_stop(self->play, ep, MD_PLAY_ERROR);
        cc_bus_reply_error(bus, req, "internal", "cannot start playing: %s", strerror(-rc));
        return;
    }
    cc_debug("play.started", "endpoint=%d play=%u prompts=%zu language=%s loop=%d barge_in=%d",
             ep->id, play_id, n, cc_logq(language), loop, barge_in);
    cc_bus_reply(bus, req, json_pack("{s:I}", "play_id", (json_int_t)play_id));
}

static void s_on_play_stop(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                           void *arg)
{
    (void)cmd;
    md_media_t *self = arg;
    md_endpoint_t *ep = s_endpoint_arg(self, req, args);
    if (!ep)
        return;
    uint32_t id = md_play_stop(self->play, ep, MD_PLAY_STOPPED);
    cc_bus_reply(bus, req, json_pack("{s:I}", "play_id", (json_int_t)id));
}

static void s_on_dtmf_detect(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                             void *arg)
{
    (void)cmd;
    md_media_t *self = arg;
    md_endpoint_t *ep = s_endpoint_arg(self, req, args);
    if (!ep)
        return;
    json_t *enable = json_object_get(args, "enable");
    if (md_rtp_dtmf(self->rtp, ep, !enable || json_is_true(enable)) < 0) {
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    cc_bus_reply(bus, req, NULL);
}

/* A key the party's phone sent in SIP INFO: pressed and released here, so that it takes
 * the path of a detected key (barge-in, then media.dtmf) when detection is on for ep. */
static void s_on_dtmf_inject(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                             void *arg)
{
    (void)cmd;
    md_media_t *self = arg;
    md_endpoint_t *ep = s_endpoint_arg(self, req, args);
    if (!ep)
        return;
    const char *digit = json_string_value(json_object_get(args, "digit"));
    if (!digit || strlen(digit) != 1 || !strchr("0123456789*#ABCD", digit[0])) {
        cc_bus_reply_error(bus, req, "bad_args", "digit must be one of 0-9, *, #, A-D");
        return;
    }
    json_int_t duration = json_integer_value(json_object_get(args, "duration_ms"));
    if (duration <= 0 || duration > 10000)
        duration = 100;
    bool reported = md_rtp_dtmf_enabled(self->rtp, ep);
    if (reported) {
        md_dtmf_event_t ev = {.digit = digit[0], .method = MD_DTMF_INFO, .end = false};
        s_on_dtmf(ep, &ev, self);
        ev.end = true;
        ev.duration_ms = (uint32_t)duration;
        s_on_dtmf(ep, &ev, self);
    }
    cc_bus_reply(bus, req, json_pack("{s:b}", "reported", reported));
}

static void s_on_prompt_check(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                              void *arg)
{
    (void)cmd;
    md_media_t *self = arg;
    const char *language = s_language_arg(args);
    json_t *names = json_object_get(args, "prompts");
    json_t *missing = json_array(), *found = json_object();
    json_t *v;
    size_t i;
    json_array_foreach(names, i, v)
    {
        const char *name = json_string_value(v);
        char path[4096], err[4200];
        if (!name) {
            json_decref(missing);
            json_decref(found);
            cc_bus_reply_error(bus, req, "bad_args", "prompts must be strings");
            return;
        }
        if (md_prompt_store_find(self->store, language, name, path, sizeof path, err, sizeof err) ==
            0)
            json_object_set_new(found, name, json_string(path));
        else
            json_array_append_new(missing, json_string(err));
    }
    cc_bus_reply(bus, req,
                 json_pack("{s:o, s:o, s:s}", "missing", missing, "found", found, "prompt_dir",
                           md_prompt_store_dir(self->store)));
}

/* ---- lifecycle ---------------------------------------------------------------------- */

md_media_t *md_media_new(cc_bus_t *bus, cc_loop_t *loop, md_core_t *core, md_rtp_t *rtp,
                         const char *prompt_dir)
{
    md_media_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->bus = bus;
    self->loop = loop;
    self->core = core;
    self->rtp = rtp;
    self->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (self->timer_fd < 0 || cc_loop_fd_add(loop, self->timer_fd, EPOLLIN, s_on_tick, self) < 0) {
        cc_error("play.timer_failed", "error=%s", cc_logq(strerror(errno)));
        if (self->timer_fd >= 0)
            close(self->timer_fd);
        free(self);
        return NULL;
    }
    self->store = md_prompt_store_new(prompt_dir);
    self->play = md_play_new(md_core_capacity(core), cc_wall_us() ^ ((uint64_t)getpid() << 32),
                             s_send, s_done, self);
    if (!self->store || !self->play) {
        md_media_destroy(&self);
        return NULL;
    }
    static const struct {
        const char *name;
        cc_bus_command_fn *fn;
    } cmds[] = {
        {"play.start", s_on_play_start},     {"play.stop", s_on_play_stop},
        {"dtmf.detect", s_on_dtmf_detect},   {"dtmf.inject", s_on_dtmf_inject},
        {"prompt.check", s_on_prompt_check},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (cc_bus_on_command(bus, cmds[i].name, cmds[i].fn, self) < 0) {
            cc_error("bus.command_failed", "command=%s", cmds[i].name);
            md_media_destroy(&self);
            return NULL;
        }
    }
    md_rtp_on_dtmf(rtp, s_on_dtmf, self);
    if (md_rtp_on_close(rtp, s_on_close, self) < 0) {
        md_media_destroy(&self);
        return NULL;
    }
    return self;
}

void md_media_destroy(md_media_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    md_media_t *self = *self_p;
    cc_loop_fd_remove(self->loop, self->timer_fd);
    close(self->timer_fd);
    md_rtp_on_dtmf(self->rtp, NULL, NULL);
    md_rtp_off_close(self->rtp, s_on_close, self);
    md_play_destroy(&self->play);
    md_prompt_store_destroy(&self->store);
    free(self);
    *self_p = NULL;
}

void md_media_status(md_media_t *self, json_t *details)
{
    const md_play_stats_t *st = md_play_stats(self->play);
    json_object_set_new(details, "playing", json_integer(md_play_active(self->play)));
    json_object_set_new(details, "plays_started", json_integer((json_int_t)st->plays));
    json_object_set_new(details, "play_packets", json_integer((json_int_t)st->packets));
    json_object_set_new(details, "play_send_failed", json_integer((json_int_t)st->send_failed));
    json_object_set_new(details, "play_late_1ms", json_integer((json_int_t)st->late_1ms));
    json_object_set_new(details, "play_late_5ms", json_integer((json_int_t)st->late_5ms));
    json_object_set_new(details, "play_late_max_us", json_integer((json_int_t)st->late_max_us));
    json_object_set_new(details, "prompts_cached",
                        json_integer(md_prompt_store_count(self->store)));
    json_object_set_new(details, "prompt_bytes",
                        json_integer((json_int_t)md_prompt_store_bytes(self->store)));
    json_object_set_new(details, "prompt_dir", json_string(md_prompt_store_dir(self->store)));
    json_object_set_new(details, "dtmf_digits", json_integer((json_int_t)self->digits));
}
