/* md_amds.c - endpoint.amd_start, media.amd_result and the detections' timers (see
 * md_amds.h). One timer slot per endpoint slot: the detection of an endpoint belongs to it
 * and is cancelled when it closes. */
#include "md_amds.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "md_amd.h"
#include "md_bus.h"

#define S_TICK_MS 100

typedef struct {
    md_amds_t *amds;
    int endpoint_id; /* 0: nothing running in this slot */
    int timer;
} s_slot_t;

struct md_amds {
    cc_bus_t *bus;
    cc_loop_t *loop;
    md_core_t *core;
    md_rtp_t *rtp;
    s_slot_t *slots; /* [core capacity] */
    uint64_t started, results[4];
};

static void s_slot_clear(md_amds_t *self, s_slot_t *sl)
{
    if (sl->timer > 0)
        cc_loop_timer_cancel(self->loop, sl->timer);
    sl->timer = 0;
    sl->endpoint_id = 0;
}

/* From md_rtp: a detection decided (on a packet or on the timer). */
static void s_on_result(md_endpoint_t *ep, const md_amd_figures_t *f, void *arg)
{
    md_amds_t *self = arg;
    s_slot_clear(self, &self->slots[ep->slot]);
    self->results[f->result & 3]++;
    const char *result = md_amd_result_name(f->result);
    cc_log_call_saved_t saved; /* from the packet path or the timer */
    cc_log_enter_call(&saved, ep->call_id);
    cc_info("media.amd_result",
            "endpoint=%d result=%s reason=%s decision_ms=%u initial_silence_ms=%u "
            "greeting_ms=%u words=%u silence_ms=%u modulation_db=%.1f",
            ep->id, result, f->reason, f->decision_ms, f->initial_silence_ms, f->greeting_ms,
            f->words, f->silence_ms, f->modulation_db);
    json_t *body = json_pack(
        "{s:i, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:f}", "endpoint_id", ep->id,
        "leg", ep->leg, "result", result, "reason", f->reason, "decision_ms", (int)f->decision_ms,
        "initial_silence_ms", (int)f->initial_silence_ms, "greeting_ms", (int)f->greeting_ms,
        "words", (int)f->words, "silence_ms", (int)f->silence_ms, "voice_ms", (int)f->voice_ms,
        "frames", (int)f->frames, "modulation_db", f->modulation_db, "peak_db", f->peak_db);
    cc_bus_publish(self->bus, "media.amd_result", ep->call_id, body);
    cc_log_leave_call(&saved);
}

static void s_on_tick(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)timer_id;
    s_slot_t *sl = arg;
    md_amds_t *self = sl->amds;
    md_endpoint_t *ep = md_core_find(self->core, sl->endpoint_id);
    if (!ep || !md_rtp_amd_running(self->rtp, ep)) {
        s_slot_clear(self, sl);
        return;
    }
    md_rtp_amd_decide(self->rtp, ep, cc_loop_now_us(loop));
}

static void s_on_close(md_endpoint_t *ep, void *arg)
{
    md_amds_t *self = arg;
    s_slot_clear(self, &self->slots[ep->slot]);
}

/* Optional integer thresholds of endpoint.amd_start, each over the default. */
static const struct {
    const char *name;
    size_t offset;
} s_args[] = {
    {"max_ms", offsetof(md_amd_cfg_t, max_ms)},
    {"initial_silence_ms", offsetof(md_amd_cfg_t, initial_silence_ms)},
    {"human_max_ms", offsetof(md_amd_cfg_t, human_max_ms)},
    {"human_silence_ms", offsetof(md_amd_cfg_t, human_silence_ms)},
    {"machine_ms", offsetof(md_amd_cfg_t, machine_ms)},
};

/* cfg from args; NULL, or the name of the first argument out of bounds. */
static const char *s_cfg(json_t *args, md_amd_cfg_t *cfg)
{
    md_amd_cfg_default(cfg);
    for (size_t i = 0; i < sizeof s_args / sizeof s_args[0]; i++) {
        json_t *v = json_object_get(args, s_args[i].name);
        if (!v)
            continue;
        json_int_t n = json_integer_value(v);
        if (n < 0 || n > 60000)
            return s_args[i].name;
        *(uint32_t *)((char *)cfg + s_args[i].offset) = (uint32_t)n;
    }
    return md_amd_cfg_check(cfg);
}

static void s_on_amd_start(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args,
                           void *arg)
{
    (void)cmd;
    md_amds_t *self = arg;
    md_amd_cfg_t cfg;
    const char *bad = s_cfg(args, &cfg);
    if (bad) {
        cc_bus_reply_error(bus, req, "bad_args",
                           "%s out of bounds (max_ms 1000-30000; initial_silence_ms 500-max_ms; "
                           "human_max_ms 200-machine_ms; human_silence_ms 200-5000; machine_ms "
                           "human_max_ms-max_ms)",
                           bad);
        return;
    }
    md_endpoint_t *ep = md_bus_endpoint_arg(bus, self->core, req, args, "endpoint_id");
    if (!ep)
        return;
    s_slot_t *sl = &self->slots[ep->slot];
    s_slot_clear(self, sl);
    uint64_t now = cc_loop_now_us(self->loop);
    if (md_rtp_amd_start(self->rtp, ep, &cfg, now) < 0) {
        cc_bus_reply_error(bus, req, "internal", "out of memory");
        return;
    }
    sl->timer = cc_loop_timer_add(self->loop, S_TICK_MS, S_TICK_MS, s_on_tick, sl);
    if (sl->timer < 0) {
        sl->timer = 0;
        md_rtp_amd_stop(self->rtp, ep);
        cc_bus_reply_error(bus, req, "internal", "cannot add a timer");
        return;
    }
    sl->endpoint_id = ep->id;
    self->started++;
    cc_debug("amd.started", "endpoint=%d max_ms=%u", ep->id, cfg.max_ms);
    cc_bus_reply(bus, req, json_pack("{s:i}", "max_ms", (int)cfg.max_ms));
}

md_amds_t *md_amds_new(cc_bus_t *bus, cc_loop_t *loop, md_core_t *core, md_rtp_t *rtp)
{
    md_amds_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->bus = bus;
    self->loop = loop;
    self->core = core;
    self->rtp = rtp;
    int cap = md_core_capacity(core);
    self->slots = calloc((size_t)cap, sizeof *self->slots);
    if (!self->slots) {
        free(self);
        return NULL;
    }
    for (int i = 0; i < cap; i++)
        self->slots[i].amds = self;
    if (cc_bus_on_command(bus, "endpoint.amd_start", s_on_amd_start, self) < 0 ||
        md_rtp_on_close(rtp, s_on_close, self) < 0) {
        free(self->slots);
        free(self);
        return NULL;
    }
    md_rtp_on_amd(rtp, s_on_result, self);
    return self;
}

void md_amds_destroy(md_amds_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    md_amds_t *self = *self_p;
    for (int i = 0; i < md_core_capacity(self->core); i++)
        s_slot_clear(self, &self->slots[i]);
    md_rtp_on_amd(self->rtp, NULL, NULL);
    md_rtp_off_close(self->rtp, s_on_close, self);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

void md_amds_status(md_amds_t *self, json_t *details)
{
    json_object_set_new(details, "amd_started", json_integer((json_int_t)self->started));
    json_object_set_new(details, "amd_human",
                        json_integer((json_int_t)self->results[MD_AMD_HUMAN]));
    json_object_set_new(details, "amd_machine",
                        json_integer((json_int_t)self->results[MD_AMD_MACHINE]));
    json_object_set_new(details, "amd_unsure",
                        json_integer((json_int_t)self->results[MD_AMD_UNSURE]));
}
