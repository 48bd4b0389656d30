/* acd_calls.c - the calls acdd holds and the machinery around the core: the call table,
 * requests to sipproxy and mediad with their replies routed back to the call, the step
 * (one event in, its actions carried out) and the core's timer, and applying a
 * configuration snapshot. What each action does lives with its concern: the caller's leg
 * in acd_caller.c, offers and agents in acd_offer.c, callbacks in acd_callback.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acd_calls.h"
#include "cc_log.h"

/* ---- small helpers ------------------------------------------------------------------ */

int64_t acd_now_ms(void)
{
    return (int64_t)(cc_wall_us() / 1000);
}

char *acd_iso_time(int64_t ms, char *buf, size_t len)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char head[32];
    strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", head, (int)(ms % 1000));
    return buf;
}

const acd_qmeta_t *acd_queue_meta(const acd_app_t *app, const char *name)
{
    for (size_t i = 0; name && i < app->nqueues; i++)
        if (!strcmp(app->queues[i].name, name))
            return &app->queues[i];
    return NULL;
}

double acd_call_wait_s(const acd_call_t *call)
{
    return (double)(acd_now_ms() - call->enqueued_ms) / 1000.0;
}

/* ---- the call table ------------------------------------------------------------------ */

acd_call_t *acd_call_new(acd_app_t *app, const char *call_id)
{
    acd_call_t *call = calloc(1, sizeof *call);
    if (!call)
        return NULL;
    acd_text_copy(call->id, sizeof call->id, call_id);
    if (acd_map_put(&app->calls, call->id, call) != 0) {
        free(call);
        return NULL;
    }
    app->ncalls++;
    return call;
}

acd_call_t *acd_call_find(acd_app_t *app, const char *call_id)
{
    return call_id ? acd_map_get(&app->calls, call_id) : NULL;
}

void acd_call_kill(acd_app_t *app, acd_call_t *call)
{
    (void)app;
    call->dead = true;
}

static void s_call_free(acd_app_t *app, acd_call_t *call)
{
    if (call->retry_timer > 0)
        cc_loop_timer_cancel(app->d->loop, call->retry_timer);
    free(call->retry);
    acd_cb_leg_forget(app, call);
    if (acd_map_get(&app->calls, call->id) == call)
        acd_map_del(&app->calls, call->id);
    json_decref(call->variables);
    free(call);
    app->ncalls--;
}

void acd_calls_sweep(acd_app_t *app)
{
    for (size_t i = 0; i < app->calls.cap; i++) {
        acd_call_t *call = app->calls.slots[i].key ? app->calls.slots[i].value : NULL;
        if (call && call->dead && !strcmp(app->calls.slots[i].key, call->id)) {
            s_call_free(app, call);
            i = (size_t)-1; /* the table changed under us: start over (rare) */
        }
    }
}

void acd_calls_free_all(acd_app_t *app)
{
    for (size_t i = 0; i < app->calls.cap; i++)
        if (app->calls.slots[i].key && app->calls.slots[i].value)
            ((acd_call_t *)app->calls.slots[i].value)->dead = true;
    acd_calls_sweep(app);
    acd_map_free(&app->calls);
}

/* ---- Postgres rows -------------------------------------------------------------------- */

void acd_log_queue(acd_app_t *app, const char *call_id, const char *queue, const char *event,
                   const char *agent, const char *caller, int priority, double wait_s,
                   double talk_s, int position, int in_sl, const char *detail)
{
    char ts[24], pr[16], w[32], t[32], pos[16];
    const char *p[12] = {acd_fmt_int(ts, sizeof ts, acd_now_ms()), call_id, queue, event,
                         agent && *agent ? agent : NULL, caller,
                         priority >= 0 ? acd_fmt_int(pr, sizeof pr, priority) : NULL,
                         wait_s >= 0 ? acd_fmt_num(w, sizeof w, wait_s) : NULL,
                         talk_s >= 0 ? acd_fmt_num(t, sizeof t, talk_s) : NULL,
                         position >= 0 ? acd_fmt_int(pos, sizeof pos, position) : NULL,
                         in_sl < 0 ? NULL : in_sl ? "true" : "false", detail};
    acd_db_write(app->db, ACD_DB_QLOG_INSERT, p);
}

void acd_qcall_update(acd_app_t *app, const acd_call_t *call, const char *state)
{
    char cid[24], pr[16];
    const char *p[6] = {call->id, call->queue, state,
                        call->connect_id ? acd_fmt_int(cid, sizeof cid, call->connect_id)
                                         : NULL,
                        call->agent, acd_fmt_int(pr, sizeof pr, call->priority)};
    acd_db_write(app->db, ACD_DB_QCALL_UPDATE, p);
}

void acd_qcall_delete(acd_app_t *app, const acd_call_t *call)
{
    const char *p[1] = {call->id};
    acd_db_write(app->db, ACD_DB_QCALL_DELETE, p);
}

/* ---- requests to sipproxy and mediad ------------------------------------------------ */

typedef struct {
    acd_app_t *app;
    char call_id[ACD_ID_MAX];
    acd_reply_fn on_reply;
} s_req_ctx_t;

static void s_on_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_req_ctx_t *ctx = arg;
    acd_app_t *app = ctx->app;
    acd_call_t *call = acd_call_find(app, ctx->call_id);
    if (call && call->dead)
        call = NULL;
    if (ctx->on_reply) {
        if (call)
            ctx->on_reply(app, call, status, result);
    } else if (status != 0) {
        cc_debug("acd.request_error", "call=%s status=%d", cc_logq(ctx->call_id), status);
    }
    acd_calls_sweep(app);
    free(ctx);
}

void acd_request(acd_app_t *app, const char *target, const char *cmd, json_t *args,
                 const char *call_id, acd_reply_fn on_reply)
{
    s_req_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        json_decref(args);
        return;
    }
    ctx->app = app;
    ctx->on_reply = on_reply;
    acd_text_copy(ctx->call_id, sizeof ctx->call_id, call_id);
    if (!cc_bus_request(app->bus, NULL, target, cmd, args, app->req_timeout_ms, s_on_reply, ctx)) {
        cc_warn("acd.request_failed", "call=%s cmd=%s", cc_logq(call_id), cmd);
        free(ctx);
    }
}

void acd_hangup(acd_app_t *app, const char *call_id, const char *reason)
{
    acd_request(app, "sipproxy", "call.hangup",
                json_pack("{s:s, s:s}", "call_id", call_id, "reason", reason), call_id, NULL);
}

/* ---- the step and its timer --------------------------------------------------------- */

static void s_run_actions(acd_app_t *app, const acd_actions_t *out)
{
    for (size_t i = 0; i < out->count; i++) {
        const acd_action_t *a = &out->items[i];
        switch (a->kind) {
        case ACD_ACT_OFFER: acd_act_offer(app, a); break;
        case ACD_ACT_CANCEL_OFFER: acd_act_cancel(app, a); break;
        case ACD_ACT_CONNECT: acd_act_connect(app, a); break;
        case ACD_ACT_AGENT_STATE: acd_act_agent_state(app, a); break;
        case ACD_ACT_OVERFLOW: acd_act_overflow(app, a); break;
        case ACD_ACT_ABANDONED: acd_act_abandoned(app, a); break;
        case ACD_ACT_ANNOUNCE: acd_act_announce(app, a); break;
        }
    }
}

static void s_on_timer(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    acd_app_t *app = arg;
    if (timer_id == app->timer_id) {
        app->timer_id = 0;
        app->timer_at = 0;
    }
    acd_event_t ev = {.kind = ACD_EV_TICK};
    acd_app_step(app, &ev);
    acd_calls_sweep(app);
}

static void s_arm_timer(acd_app_t *app)
{
    int64_t next = acd_core_next_timer_ms(app->core);
    if (next == app->timer_at && app->timer_id > 0)
        return;
    if (app->timer_id > 0)
        cc_loop_timer_cancel(app->d->loop, app->timer_id);
    app->timer_id = 0;
    app->timer_at = 0;
    if (next == INT64_MAX)
        return;
    int64_t delay = next - acd_now_ms();
    app->timer_id = cc_loop_timer_add(app->d->loop, (uint64_t)(delay > 0 ? delay : 0), 0,
                                      s_on_timer, app);
    app->timer_at = next;
}

int acd_app_step(acd_app_t *app, acd_event_t *ev)
{
    /* Carrying out actions may step again (a callback overflow re-enqueues): a nested
     * step gets a buffer of its own, and offers go out once the outermost step is done. */
    acd_actions_t nested, *out = &app->out;
    if (app->depth > 0) {
        acd_actions_init(&nested);
        out = &nested;
    }
    ev->now_ms = acd_now_ms();
    app->depth++;
    int rc = acd_core_step(app->core, ev, out);
    app->steps++;
    s_run_actions(app, out);
    app->depth--;
    if (out != &app->out)
        acd_actions_free(out);
    if (app->depth == 0) {
        app->out.count = 0;
        acd_offers_send(app);
        s_arm_timer(app);
    }
    return rc;
}

/* ---- configuration ------------------------------------------------------------------- */

/* The reloaded tables as sets, so that reconciling costs one lookup per item rather than a
 * scan of the tables (thousands of agents): agents by ext, memberships and skills by
 * "q<ext>/<queue>" and "s<ext>/<skill>" (an extension is digits, so no two pairs meet). */
typedef struct {
    acd_map_t agents, pairs;
    char *keys;
} s_cfg_sets_t;

#define S_PAIR_MAX (ACD_EXT_MAX + ACD_NAME_MAX + 3)

static void s_pair_key(char *out, char kind, const char *ext, const char *name)
{
    snprintf(out, S_PAIR_MAX, "%c%.*s/%.*s", kind, ACD_EXT_MAX - 1, ext, ACD_NAME_MAX - 1, name);
}

static int s_cfg_sets_init(s_cfg_sets_t *sets, const acd_db_config_t *cfg)
{
    acd_map_init(&sets->agents);
    acd_map_init(&sets->pairs);
    size_t n = cfg->nmembers + cfg->nskills;
    sets->keys = calloc(n + 1, S_PAIR_MAX);
    if (!sets->keys)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < cfg->nagents; i++)
        rc |= acd_map_put(&sets->agents, cfg->agents[i].ext, (void *)1) == -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        char *key = sets->keys + i * S_PAIR_MAX;
        if (i < cfg->nmembers)
            s_pair_key(key, 'q', cfg->members[i].ext, cfg->members[i].queue);
        else
            s_pair_key(key, 's', cfg->skills[i - cfg->nmembers].ext,
                       cfg->skills[i - cfg->nmembers].skill);
        rc |= acd_map_put(&sets->pairs, key, (void *)1) == -ENOMEM;
    }
    return rc ? -1 : 0;
}

static void s_cfg_sets_free(s_cfg_sets_t *sets)
{
    acd_map_free(&sets->agents);
    acd_map_free(&sets->pairs);
    free(sets->keys);
}

static bool s_cfg_has_pair(const s_cfg_sets_t *sets, char kind, const char *ext,
                           const char *name)
{
    char key[S_PAIR_MAX];
    s_pair_key(key, kind, ext, name);
    return acd_map_get(&sets->pairs, key) != NULL;
}

/* What the tables no longer say goes: memberships and skills removed, and agents deleted
 * (logged out -- after their call, if on one -- and hidden; the core keeps their struct,
 * so a call still ringing or talking there ends normally). Names are copied first: the
 * core's lists change under each removal. */
static void s_drop_removed(acd_app_t *app, const acd_db_config_t *cfg)
{
    s_cfg_sets_t sets;
    if (s_cfg_sets_init(&sets, cfg) != 0) { /* out of memory: removing nothing is safe */
        cc_warn("acd.reconcile_skipped", "reason=out_of_memory");
        s_cfg_sets_free(&sets);
        return;
    }
    for (size_t i = 0; i < app->agents.cap; i++) {
        acd_agent_meta_t *meta = app->agents.slots[i].key ? app->agents.slots[i].value : NULL;
        if (!meta)
            continue;
        bool keep = acd_map_get(&sets.agents, meta->ext) != NULL;
        meta->deleted = !keep;
        /* (an agent in more than 64 queues or with more than 64 skills is reconciled
         * for the first 64 only; nothing near that is configured in practice) */
        const char *names[64];
        int levels[64];
        char copy[64][ACD_NAME_MAX];
        int n = acd_core_agent_queues(app->core, meta->ext, names, 64);
        for (int k = 0; k < n && k < 64; k++)
            acd_text_copy(copy[k], sizeof copy[k], names[k]);
        for (int k = 0; k < n && k < 64; k++)
            if (!keep || !s_cfg_has_pair(&sets, 'q', meta->ext, copy[k])) {
                cc_info("acd.member_removed", "agent=%s queue=%s", meta->ext, copy[k]);
                acd_core_agent_leave(app->core, meta->ext, copy[k]);
            }
        n = acd_core_agent_skills(app->core, meta->ext, names, levels, 64);
        for (int k = 0; k < n && k < 64; k++)
            acd_text_copy(copy[k], sizeof copy[k], names[k]);
        for (int k = 0; k < n && k < 64; k++)
            if (!keep || !s_cfg_has_pair(&sets, 's', meta->ext, copy[k]))
                acd_core_agent_set_skill(app->core, meta->ext, copy[k], 0);
        acd_agent_info_t info;
        if (!keep && acd_core_agent_info(app->core, meta->ext, &info) == 0 &&
            info.state != ACD_AGENT_LOGGED_OUT) {
            cc_info("acd.agent_deleted", "agent=%s state=%s", meta->ext,
                    acd_agent_state_name(info.state));
            acd_event_t ev = {.kind = ACD_EV_AGENT_LOGOUT, .agent = meta->ext,
                              .reason = "deleted"};
            acd_app_step(app, &ev);
        }
    }
    s_cfg_sets_free(&sets);
}

void acd_app_apply_config(acd_app_t *app, const acd_db_config_t *cfg)
{
    acd_qmeta_t *queues = calloc(cfg->nqueues + 1, sizeof *queues);
    if (!queues)
        return;
    for (size_t i = 0; i < cfg->nqueues; i++) {
        const acd_db_queue_t *q = &cfg->queues[i];
        if (acd_core_queue_set(app->core, &q->cfg) != 0) {
            cc_warn("acd.bad_queue", "queue=%s", q->cfg.name);
            continue;
        }
        acd_qmeta_t *m = &queues[i];
        acd_text_copy(m->name, sizeof m->name, q->cfg.name);
        acd_text_copy(m->number, sizeof m->number, q->number);
        acd_text_copy(m->callback_key, sizeof m->callback_key, q->callback_key);
        m->sl_threshold_s = q->cfg.sl_threshold_s;
        m->strategy = q->cfg.strategy;
    }
    /* queues removed from the table stay known to the core (it has no removal); they are
     * only hidden from queue.list and refuse new calls */
    free(app->queues);
    app->queues = queues;
    app->nqueues = cfg->nqueues;
    for (size_t i = 0; i < cfg->nagents; i++) {
        const acd_db_agent_t *a = &cfg->agents[i];
        acd_agent_meta_t *meta = acd_map_get(&app->agents, a->ext);
        if (!meta) {
            meta = calloc(1, sizeof *meta);
            if (!meta)
                continue;
            acd_text_copy(meta->ext, sizeof meta->ext, a->ext);
            if (acd_map_put(&app->agents, meta->ext, meta) != 0) {
                free(meta);
                continue;
            }
        }
        acd_text_copy(meta->name, sizeof meta->name, a->name);
        acd_core_agent_add(app->core, a->ext);
    }
    for (size_t i = 0; i < cfg->nskills; i++)
        acd_core_agent_set_skill(app->core, cfg->skills[i].ext, cfg->skills[i].skill,
                                 cfg->skills[i].level);
    for (size_t i = 0; i < cfg->nmembers; i++)
        acd_core_agent_join(app->core, cfg->members[i].ext, cfg->members[i].queue);
    s_drop_removed(app, cfg);
    cc_info("acd.config_loaded", "queues=%zu agents=%zu skills=%zu members=%zu", cfg->nqueues,
            cfg->nagents, cfg->nskills, cfg->nmembers);
    /* agents made routable by the change are routed on this tick */
    acd_event_t ev = {.kind = ACD_EV_TICK};
    acd_app_step(app, &ev);
}

void acd_early_result_keep(acd_app_t *app, const char *call_id, int64_t connect_id,
                           const char *result, const char *target)
{
    unsigned i = app->early_next++ % (sizeof app->early / sizeof app->early[0]);
    acd_text_copy(app->early[i].call_id, sizeof app->early[i].call_id, call_id);
    app->early[i].connect_id = connect_id;
    acd_text_copy(app->early[i].result, sizeof app->early[i].result, result);
    acd_text_copy(app->early[i].target, sizeof app->early[i].target, target ? target : "");
}

bool acd_early_result_take(acd_app_t *app, const char *call_id, int64_t *connect_id,
                           char *result, size_t rlen, char *target, size_t tlen)
{
    for (size_t i = 0; i < sizeof app->early / sizeof app->early[0]; i++) {
        if (app->early[i].call_id[0] && !strcmp(app->early[i].call_id, call_id)) {
            *connect_id = app->early[i].connect_id;
            acd_text_copy(result, rlen, app->early[i].result);
            acd_text_copy(target, tlen, app->early[i].target);
            app->early[i].call_id[0] = '\0';
            return true;
        }
    }
    return false;
}
