/* acd_calltable.c - the calls acdd holds: the table (by call id, and by a callback's
 * originated leg), killing and sweeping them, their rows in Postgres (queue_calls,
 * queue_log), the requests made for them to sipproxy and mediad (each call owns its own,
 * so its end cancels them), and connect results that overtook the call they are for;
 * plus the small helpers the adapter files share. The step is acd_step.c's, what each
 * action does acd_waiting.c's, acd_offer.c's and acd_callback.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acd_app.h"
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
    call->app = app;
    acd_text_copy(call->id, sizeof call->id, call_id);
    if (cc_map_insert(app->calls, call->id, call) != 0) {
        free(call);
        return NULL;
    }
    app->ncalls++;
    return call;
}

acd_call_t *acd_call_find(acd_app_t *app, const char *call_id)
{
    return call_id ? cc_map_get(app->calls, call_id) : NULL;
}

void acd_call_kill(acd_app_t *app, acd_call_t *call)
{
    if (call->dead)
        return;
    call->dead = true;
    call->next_dead = app->dead;
    app->dead = call;
    cc_bus_owner_cancel(app->bus, &call->requests);
}

static void s_call_free(acd_app_t *app, acd_call_t *call)
{
    cc_bus_owner_cancel(app->bus, &call->requests);
    if (call->retry_timer > 0)
        cc_loop_timer_cancel(app->d->loop, call->retry_timer);
    acd_cb_leg_forget(app, call);
    if (cc_map_get(app->calls, call->id) == call)
        cc_map_delete(app->calls, call->id);
    json_decref(call->variables);
    free(call);
    app->ncalls--;
}

void acd_calls_sweep(acd_app_t *app)
{
    while (app->dead) {
        acd_call_t *call = app->dead;
        app->dead = call->next_dead;
        s_call_free(app, call);
    }
}

void acd_calls_free_all(acd_app_t *app)
{
    cc_map_iter_t it = cc_map_iter(app->calls);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));)
        acd_call_kill(app, cc_map_value(e)); /* (a callback leg's entry names its call) */
    acd_calls_sweep(app);
    cc_map_destroy(&app->calls);
}

/* ---- Postgres rows -------------------------------------------------------------------- */

void acd_log_queue(acd_app_t *app, const char *call_id, const char *queue, const char *event,
                   const char *agent, const char *caller, int priority, double wait_s,
                   double talk_s, int position, int in_sl, const char *detail)
{
    char ts[24], pr[16], w[32], t[32], pos[16];
    const char *p[12] = {acd_fmt_int(ts, sizeof ts, acd_now_ms()),
                         call_id,
                         queue,
                         event,
                         agent && *agent ? agent : NULL,
                         caller,
                         priority >= 0 ? acd_fmt_int(pr, sizeof pr, priority) : NULL,
                         wait_s >= 0 ? acd_fmt_num(w, sizeof w, wait_s) : NULL,
                         talk_s >= 0 ? acd_fmt_num(t, sizeof t, talk_s) : NULL,
                         position >= 0 ? acd_fmt_int(pos, sizeof pos, position) : NULL,
                         in_sl < 0 ? NULL
                         : in_sl   ? "true"
                                   : "false",
                         detail};
    acd_db_write(app->db, ACD_DB_QLOG_INSERT, p);
}

void acd_log_entered(acd_app_t *app, const acd_call_t *call, const char *detail)
{
    acd_call_info_t info;
    bool known = acd_core_call_info(app->core, call->id, &info) == 0;
    if (!known) { /* gone in the step that placed it (a full queue): no figures */
        memset(&info, 0, sizeof info);
        info.entry_wait_s = -1;
    }
    char ts[24], pr[16], pos[16], ew[16], lv[16];
    const char *p[10] = {acd_fmt_int(ts, sizeof ts, acd_now_ms()),
                         call->id,
                         call->queue,
                         call->caller,
                         acd_fmt_int(pr, sizeof pr, call->priority),
                         known ? acd_fmt_int(pos, sizeof pos, info.entry_position) : NULL,
                         detail,
                         info.entry_wait_s >= 0 ? acd_fmt_int(ew, sizeof ew, info.entry_wait_s)
                                                : NULL,
                         info.skill,
                         info.skill[0] ? acd_fmt_int(lv, sizeof lv, info.min_level) : NULL};
    acd_db_write(app->db, ACD_DB_QLOG_ENTERED, p);
}

void acd_qcall_update(acd_app_t *app, const acd_call_t *call, const char *state)
{
    char cid[24], pr[16];
    const char *p[6] = {
        call->id,    call->queue,
        state,       call->connect_id ? acd_fmt_int(cid, sizeof cid, call->connect_id) : NULL,
        call->agent, acd_fmt_int(pr, sizeof pr, call->priority)};
    acd_db_write(app->db, ACD_DB_QCALL_UPDATE, p);
}

void acd_qcall_delete(acd_app_t *app, const acd_call_t *call)
{
    const char *p[1] = {call->id};
    acd_db_write(app->db, ACD_DB_QCALL_DELETE, p);
}

/* ---- requests to sipproxy and mediad ------------------------------------------------ */

/* Requests nobody waits for: a failure is only worth a debug line. */
static void s_on_unowned_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result, (void)arg;
    if (status != 0)
        cc_debug("acd.request_error", "status=%d", status);
}

void acd_request(acd_app_t *app, acd_call_t *call, const char *target, const char *cmd,
                 json_t *args, cc_bus_reply_fn *on_reply)
{
    /* The bus runs the reply in the log context of the send: the call's. */
    cc_log_call_saved_t handling;
    cc_log_enter_call(&handling, call ? call->id : cc_log_call());
    if (!cc_bus_request(app->bus, on_reply ? &call->requests : NULL, target, cmd, args,
                        app->req_timeout_ms, on_reply ? on_reply : s_on_unowned_reply,
                        on_reply ? call : NULL))
        cc_warn("acd.request_failed", "cmd=%s", cmd);
    cc_log_leave_call(&handling);
}

void acd_hangup(acd_app_t *app, const char *call_id, const char *reason)
{
    acd_request(app, NULL, "sipproxy", "call.hangup",
                json_pack("{s:s, s:s}", "call_id", call_id, "reason", reason), NULL);
}

/* ---- connect results that overtook their call ------------------------------------- */

void acd_early_result_keep(acd_app_t *app, const char *call_id, int64_t connect_id,
                           const char *result, const char *target)
{
    unsigned i = app->early_next++ % (sizeof app->early / sizeof app->early[0]);
    acd_text_copy(app->early[i].call_id, sizeof app->early[i].call_id, call_id);
    app->early[i].connect_id = connect_id;
    acd_text_copy(app->early[i].result, sizeof app->early[i].result, result);
    acd_text_copy(app->early[i].target, sizeof app->early[i].target, target ? target : "");
}

bool acd_early_result_take(acd_app_t *app, const char *call_id, int64_t *connect_id, char *result,
                           size_t rlen, char *target, size_t tlen)
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
