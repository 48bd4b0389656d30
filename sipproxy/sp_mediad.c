/* sp_mediad.c - mediad as a whole, seen from sipproxy: its events, its restarts and the
 * reconciliation of what it holds for us.
 *
 *  - Watched by ping (cc_bus_watch). When it stops answering, new calls are shed with
 *    503 until it is back. When it answers with a new epoch it restarted and lost every
 *    endpoint: each live call's endpoints are created again on their ids and ports
 *    (sp_media_restore) so the phones, which keep sending where they were told, are heard
 *    again; new calls are shed until that is done; a call that cannot be restored is
 *    ended with BYE and a CDR that says why. call.media_restored tells controllers and
 *    recorderd to start again what they played or tapped.
 *  - endpoint.sync, at start and every [sipproxy] media_sync_interval: the full list of
 *    endpoints our calls hold, so mediad frees those whose call is gone (a lost delete, or
 *    a previous sipproxy that died with its calls).
 *  - media.timeout for a call we do not know: its endpoint is deleted. */
#include "sp_call.h"

#include <stdio.h>
#include <string.h>

#include "cc_log.h"

#define S_WATCH_MS 300
/* After a restart mediad holds every port pair in quarantine before it is ready
 * ([mediad] port_quarantine_ms) and sipproxy restores its calls' endpoints: a call that
 * finds no port this soon after was turned away by the crash. */
#define S_AFTERMATH_MS 5000

bool sp_mediad_crashed(const sp_proxy_t *p)
{
    return p->media_down || p->media_restoring > 0 ||
           (p->media_back_ms && cc_mono_ms() - p->media_back_ms < S_AFTERMATH_MS);
}

/* ---- restore ------------------------------------------------------------------------- */

static void s_restore_call(sp_call_t *c, void *arg)
{
    sp_proxy_t *p = arg;
    if (c->state >= SP_CALL_ENDING || (c->ea.id <= 0 && c->eb.id <= 0))
        return;
    if (sp_media_restore(c) != 0) {
        snprintf(c->reason, sizeof c->reason, "%s",
                 "media server restarted; the call's media could not be restored");
        sp_call_end(c, SP_END_MEDIA_LOST, 0);
        return;
    }
    if (c->restores_pending > 0)
        p->media_restoring++;
}

void sp_mediad_call_restored(sp_call_t *c, bool ok)
{
    sp_proxy_t *p = c->proxy;
    if (p->media_restoring > 0)
        p->media_restoring--;
    uint64_t gap = cc_mono_ms() - p->media_lost_ms;
    if (ok) {
        p->media_restored_calls++;
        json_t *f = json_pack("{s:I}", "gap_ms", (json_int_t)gap);
        if (c->ea.id > 0)
            json_object_set_new(f, "caller_endpoint", json_integer(c->ea.id));
        if (c->eb.id > 0)
            json_object_set_new(f, "callee_endpoint", json_integer(c->eb.id));
        if (c->state < SP_CALL_ENDING)
            cc_bus_publish(p->bus, "call.media_restored", c->id, f);
        else
            json_decref(f);
        if (c->hold_a) /* music was sipproxy's own: start it again */
            sp_hold_music(c, c->eb.id);
        if (c->hold_b)
            sp_hold_music(c, c->ea.id);
        if (c->park.slot && c->state < SP_CALL_ENDING) /* parked: its music again */
            sp_hold_music_of(c, c->ea.id, c->park.parker);
        sp_monitor_media_restored(c);
    } else {
        p->media_lost_calls++;
        snprintf(c->reason, sizeof c->reason, "%s",
                 "media server restarted; the call's media could not be restored");
        sp_call_end(c, SP_END_MEDIA_LOST, 0);
    }
    if (p->media_restoring == 0) {
        cc_log_call_saved_t call; /* a line about mediad, not about this call */
        cc_log_enter_call(&call, NULL);
        cc_info("media.restore_done", "restored=%llu ended=%llu ms=%llu",
                (unsigned long long)p->media_restored_calls,
                (unsigned long long)p->media_lost_calls, (unsigned long long)gap);
        cc_log_leave_call(&call);
        p->media_lost_ms = 0;
    }
}

static void s_on_watch(cc_bus_t *bus, const char *target, uint64_t old_epoch, uint64_t new_epoch,
                       void *arg)
{
    (void)old_epoch;
    sp_proxy_t *p = arg;
    uint64_t last_seen = cc_bus_watched_seen_ms(bus, target);
    if (new_epoch == 0) { /* no answer: shed new calls until it is back */
        if (!p->media_down)
            p->media_lost_ms = last_seen ? last_seen : cc_mono_ms();
        p->media_down = true;
        return;
    }
    p->media_down = false;
    bool restarted = p->media_epoch != 0 && new_epoch != p->media_epoch;
    p->media_epoch = new_epoch;
    if (!restarted) {
        sp_mediad_sync(p); /* first contact: our previous incarnation's endpoints go */
        return;
    }
    if (!p->media_lost_ms) /* back before its pings were missed */
        p->media_lost_ms = last_seen ? last_seen : cc_mono_ms();
    p->media_back_ms = cc_mono_ms();
    p->media_restored_calls = p->media_lost_calls = 0;
    cc_warn("media.restarted", "epoch=%llu calls=%zu", (unsigned long long)new_epoch,
            sp_b2bua_count(p));
    sp_b2bua_foreach(p, s_restore_call, p);
    if (p->media_restoring == 0) {
        cc_info("media.restore_done", "restored=0 ended=%llu ms=%llu",
                (unsigned long long)p->media_lost_calls,
                (unsigned long long)(cc_mono_ms() - p->media_lost_ms));
        p->media_lost_ms = 0;
    }
}

/* ---- sync ---------------------------------------------------------------------------- */

static void s_add_ids(sp_call_t *c, void *arg)
{
    json_t *ids = arg;
    if (c->ea.id > 0)
        json_array_append_new(ids, json_integer(c->ea.id));
    if (c->eb.id > 0)
        json_array_append_new(ids, json_integer(c->eb.id));
}

static void s_on_synced(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)arg;
    long long freed = (long long)json_integer_value(json_object_get(result, "freed"));
    if (status == 0 && freed > 0)
        cc_info("media.synced", "freed=%lld kept=%lld", freed,
                (long long)json_integer_value(json_object_get(result, "kept")));
    else if (status != 0)
        cc_debug("media.sync_failed", "status=%d", status);
}

void sp_mediad_sync(sp_proxy_t *p)
{
    json_t *ids = json_array();
    sp_b2bua_foreach(p, s_add_ids, ids);
    json_t *args = json_pack("{s:s, s:I, s:o}", "owner", cc_bus_name(p->bus), "owner_epoch",
                             (json_int_t)cc_bus_epoch(p->bus), "endpoint_ids", ids);
    cc_bus_request(p->bus, &p->mediad_owner, "mediad", "endpoint.sync", args,
                   p->set.media_timeout_ms, s_on_synced, p);
}

static void s_on_sync_timer(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop, (void)timer_id;
    sp_proxy_t *p = arg;
    if (!p->media_down && p->media_restoring == 0)
        sp_mediad_sync(p);
}

/* ---- events -------------------------------------------------------------------------- */

static void s_on_media_event(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    sp_proxy_t *p = arg;
    if (!ev->call_id)
        return;
    if (sp_call_find(p, ev->call_id)) {
        sp_b2bua_media_event(p, ev->call_id, ev->type, ev->body);
        return;
    }
    json_t *ep = json_object_get(ev->body, "endpoint_id");
    if (strcmp(ev->type, "media.timeout") == 0 && json_is_integer(ep)) {
        /* a call we no longer hold (its delete was lost, or it died with a previous
         * sipproxy): its endpoint goes */
        cc_info("media.orphan_deleted", "endpoint=%lld", (long long)json_integer_value(ep));
        cc_bus_request(p->bus, &p->mediad_owner, "mediad", "endpoint.delete",
                       json_pack("{s:O}", "endpoint_id", ep), p->set.media_timeout_ms, NULL, NULL);
    }
}

int sp_mediad_attach(sp_proxy_t *p)
{
    if (cc_bus_subscribe(p->bus, "mediad", "media.", s_on_media_event, p) != 0)
        cc_warn("sip.bus_subscribe_failed", "publisher=mediad");
    if (cc_bus_watch(p->bus, "mediad", S_WATCH_MS, s_on_watch, p) != 0)
        return -1;
    uint64_t every = (uint64_t)p->set.media_sync_interval_s * 1000u;
    p->sync_timer = cc_loop_timer_add(p->daemon->loop, every, every, s_on_sync_timer, p);
    return p->sync_timer > 0 ? 0 : -1;
}

void sp_mediad_detach(sp_proxy_t *p)
{
    if (p->sync_timer > 0)
        cc_loop_timer_cancel(p->daemon->loop, p->sync_timer);
    p->sync_timer = 0;
    cc_bus_owner_cancel(p->bus, &p->mediad_owner);
}
