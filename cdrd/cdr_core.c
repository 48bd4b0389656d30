/* cdr_core.c - the CDR builder: call state per call id, a CDR row when a call ends,
 * duplicate and late events dropped against a ring of recently ended calls. Pure logic:
 * what to write and when is the adapters' business (cdr_batch.c, cdr_db.c). */
#include "cdr_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_map.h"

struct cdr_core {
    cc_map_t *calls;  /* call_id -> cdr_call_t (owned) */
    cc_map_t *recent; /* call_id -> (void *)1, ids in the ring below */
    char **ring;      /* recently ended call ids, oldest overwritten first */
    size_t ring_cap, ring_next;
};

/* What call.ended may say. cdrd itself adds "abandoned" (see cdr_core.h). */
static const char *const s_dispositions[] = {
    "answered",  "busy",   "no_answer",     "cancelled",   "declined", "unavailable",
    "not_found", "failed", "media_timeout", "interrupted", "blocked",  NULL,
};

static bool s_one_of(const char *text, const char *const *set)
{
    for (size_t i = 0; text && set[i]; i++)
        if (!strcmp(text, set[i]))
            return true;
    return false;
}

bool cdr_disposition_valid(const char *disposition)
{
    return s_one_of(disposition, s_dispositions);
}

bool cdr_direction_valid(const char *direction)
{
    static const char *const set[] = {"internal", "inbound", "outbound", NULL};
    return s_one_of(direction, set);
}

bool cdr_hangup_side_valid(const char *side)
{
    static const char *const set[] = {"caller", "callee", "system", NULL};
    return s_one_of(side, set);
}

bool cdr_answered_by_system(const char *answered_by)
{
    return answered_by && strchr(answered_by, ':') != NULL;
}

const char *cdr_leg_name(cdr_leg_t leg)
{
    return leg == CDR_LEG_CALLER ? "caller" : "callee";
}

static char *s_dup(const char *text)
{
    return text ? strdup(text) : NULL;
}

/* Replace *field with a copy of text when text is given (keeps what is known). */
static void s_set(char **field, const char *text)
{
    if (!text)
        return;
    free(*field);
    *field = strdup(text);
}

void cdr_call_destroy(cdr_call_t **call_p)
{
    cdr_call_t *call = call_p ? *call_p : NULL;
    if (!call)
        return;
    free(call->call_id);
    free(call->caller);
    free(call->callee);
    free(call->direction);
    free(call->trunk);
    free(call->route_kind);
    free(call->route_target);
    free(call->answered_by);
    free(call);
    *call_p = NULL;
}

static void s_call_free(void *item)
{
    cdr_call_t *call = item;
    cdr_call_destroy(&call);
}

void cdr_row_destroy(cdr_row_t **self_p)
{
    cdr_row_t *row = self_p ? *self_p : NULL;
    if (!row)
        return;
    free(row->call_id);
    free(row->event_id);
    free(row->caller);
    free(row->callee);
    free(row->direction);
    free(row->trunk);
    free(row->route_kind);
    free(row->route_target);
    free(row->answered_by);
    free(row->disposition);
    free(row->hangup_side);
    free(row->reason);
    free(row);
    *self_p = NULL;
}

cdr_core_t *cdr_core_new(size_t recent_capacity)
{
    cdr_core_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->ring_cap = recent_capacity ? recent_capacity : 4096;
    self->calls = cc_map_new(s_call_free);
    self->recent = cc_map_new(NULL);
    self->ring = calloc(self->ring_cap, sizeof *self->ring);
    if (!self->calls || !self->recent || !self->ring) {
        cdr_core_destroy(&self);
        return NULL;
    }
    return self;
}

void cdr_core_destroy(cdr_core_t **self_p)
{
    cdr_core_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    cc_map_destroy(&self->calls);
    cc_map_destroy(&self->recent);
    if (self->ring)
        for (size_t i = 0; i < self->ring_cap; i++)
            free(self->ring[i]);
    free(self->ring);
    free(self);
    *self_p = NULL;
}

size_t cdr_core_active(const cdr_core_t *self)
{
    return cc_map_size(self->calls);
}

const cdr_call_t *cdr_core_find(const cdr_core_t *self, const char *call_id)
{
    return cc_map_get(self->calls, call_id);
}

static void s_remember_ended(cdr_core_t *self, const char *call_id)
{
    char **slot = &self->ring[self->ring_next];
    if (*slot) {
        cc_map_delete(self->recent, *slot);
        free(*slot);
    }
    *slot = strdup(call_id);
    if (*slot && cc_map_put(self->recent, *slot, (void *)1) != 0) {
        free(*slot); /* out of memory: this id is simply not remembered */
        *slot = NULL;
    }
    self->ring_next = (self->ring_next + 1) % self->ring_cap;
}

static cdr_call_t *s_call_new(cdr_core_t *self, const char *call_id, uint64_t epoch)
{
    cdr_call_t *call = calloc(1, sizeof *call);
    if (!call)
        return NULL;
    call->call_id = strdup(call_id);
    call->created_us = call->ringing_us = call->answered_us = CDR_UNKNOWN;
    call->updated_us = CDR_UNKNOWN;
    call->epoch = epoch;
    if (!call->call_id || cc_map_insert(self->calls, call_id, call) != 0) {
        cdr_call_destroy(&call);
        return NULL;
    }
    return call;
}

/* The earliest ts known for a call whose call.created was lost. */
static int64_t s_first_known(const cdr_call_t *call, int64_t fallback)
{
    int64_t first = fallback;
    if (call->ringing_us != CDR_UNKNOWN && call->ringing_us < first)
        first = call->ringing_us;
    if (call->answered_us != CDR_UNKNOWN && call->answered_us < first)
        first = call->answered_us;
    return first;
}

static int64_t s_ms_between(int64_t from_us, int64_t to_us)
{
    if (from_us == CDR_UNKNOWN || to_us == CDR_UNKNOWN)
        return CDR_UNKNOWN;
    return to_us > from_us ? (to_us - from_us) / 1000 : 0;
}

/* Build the CDR of `call` (which may be NULL: nothing but call.ended is known). */
static cdr_row_t *s_row_build(const cdr_call_t *call, const char *call_id, int64_t ended_us,
                              const char *event_id, const char *disposition,
                              const char *hangup_side, int sip_code, const char *reason)
{
    cdr_row_t *row = calloc(1, sizeof *row);
    if (!row)
        return NULL;
    row->call_id = strdup(call_id);
    row->event_id = s_dup(event_id);
    row->disposition = s_dup(disposition);
    row->hangup_side = s_dup(hangup_side);
    row->reason = s_dup(reason);
    row->sip_code = sip_code;
    row->ended_us = ended_us;
    row->answered_us = CDR_UNKNOWN;
    row->partial = !call || !call->seen_created;
    if (call) {
        row->caller = s_dup(call->caller);
        row->callee = s_dup(call->callee);
        row->direction = s_dup(call->direction);
        row->trunk = s_dup(call->trunk);
        row->route_kind = s_dup(call->route_kind);
        row->route_target = s_dup(call->route_target);
        row->answered_by = s_dup(call->answered_by);
        row->answered_us = call->answered_us;
    }
    row->created_us = call && call->seen_created ? call->created_us
                      : call                     ? s_first_known(call, ended_us)
                                                 : ended_us;
    int64_t ring_from = row->partial ? CDR_UNKNOWN : row->created_us;
    bool answered = row->answered_us != CDR_UNKNOWN;
    bool system_only = cdr_answered_by_system(row->answered_by);
    row->ring_ms = s_ms_between(ring_from, answered ? row->answered_us : ended_us);
    if (answered && system_only)
        row->talk_ms = 0; /* nobody but the IVR, the queue or a feature code spoke */
    else if (answered)
        row->talk_ms = s_ms_between(row->answered_us, ended_us);
    else
        row->talk_ms = disposition && !strcmp(disposition, "answered") ? CDR_UNKNOWN : 0;
    if (system_only && disposition && !strcmp(disposition, "answered") && hangup_side &&
        !strcmp(hangup_side, "caller") && !strncmp(row->answered_by, "queue:", 6)) {
        free(row->disposition);
        row->disposition = strdup("abandoned");
    }
    if (!row->call_id) /* out of memory: the caller sees NULL */
        cdr_row_destroy(&row);
    return row;
}

static int s_on_created(cdr_core_t *self, const cdr_event_t *ev, cdr_call_t *call, cdr_step_t *out)
{
    if (call && call->seen_created) {
        out->kind = CDR_STEP_IGNORED;
        out->why = "duplicate call.created";
        return 0;
    }
    if (!call) {
        call = s_call_new(self, ev->call_id, ev->epoch);
        if (!call)
            return -1;
        out->is_new = true;
    } else {
        out->note = "call.created arrived after later events of the call";
    }
    call->seen_created = true;
    call->created_us = ev->ts_us;
    s_set(&call->caller, ev->caller);
    s_set(&call->callee, ev->callee);
    if (cdr_direction_valid(ev->direction))
        s_set(&call->direction, ev->direction);
    else
        out->note = "unknown direction in call.created: stored as NULL";
    s_set(&call->trunk, ev->trunk);
    s_set(&call->route_kind, ev->route_kind);
    s_set(&call->route_target, ev->route_target);
    return 0;
}

/* call.ringing / call.answered / call.connect_result answered: update, building a stub if
 * call.created was lost. */
static int s_on_progress(cdr_core_t *self, const cdr_event_t *ev, cdr_call_t *call, cdr_step_t *out)
{
    if (!call) {
        call = s_call_new(self, ev->call_id, ev->epoch);
        if (!call)
            return -1;
        out->is_new = true;
        out->note = "no call.created seen for this call (lost?): keeping what is known";
    }
    if (ev->kind == CDR_EV_RINGING) {
        if (call->ringing_us != CDR_UNKNOWN) {
            out->kind = CDR_STEP_IGNORED;
            out->why = "repeated call.ringing";
            return 0;
        }
        call->ringing_us = ev->ts_us;
    } else if (ev->kind == CDR_EV_ANSWERED) {
        if (call->answered_us != CDR_UNKNOWN) {
            out->kind = CDR_STEP_IGNORED;
            out->why = "duplicate call.answered";
            return 0;
        }
        call->answered_us = ev->ts_us;
        s_set(&call->answered_by, ev->answered_by);
    } else if (ev->answered_by &&
               (call->answered_us == CDR_UNKNOWN || cdr_answered_by_system(call->answered_by))) {
        /* The first person a controller connected (or call.answered was lost). */
        const char *colon = ev->answered_by ? strchr(ev->answered_by, ':') : NULL;
        call->answered_us = ev->ts_us;
        s_set(&call->answered_by, colon ? colon + 1 : ev->answered_by);
    }
    return 0;
}

static int s_on_ended(cdr_core_t *self, const cdr_event_t *ev, cdr_call_t *call, cdr_step_t *out)
{
    if (!call)
        out->note = "call.ended without any earlier event of the call (lost?): partial CDR";
    else if (!call->seen_created)
        out->note = "call.created was never seen: partial CDR";
    /* Values outside the documented sets would break the table's checks: store the
     * nearest honest value and say so. */
    const char *disposition = ev->disposition, *side = ev->hangup_side;
    if (!cdr_disposition_valid(disposition)) {
        disposition = "failed";
        out->note = "unknown disposition in call.ended: stored as failed";
    }
    if (!cdr_hangup_side_valid(side)) {
        side = "system";
        out->note = "unknown hangup_side in call.ended: stored as system";
    }
    cdr_row_t *row = s_row_build(call, ev->call_id, ev->ts_us, ev->event_id, disposition, side,
                                 ev->sip_code, ev->reason);
    if (!row)
        return -1;
    memcpy(row->legs, ev->legs, sizeof row->legs);
    if (call)
        cc_map_delete(self->calls, ev->call_id);
    s_remember_ended(self, ev->call_id);
    out->kind = CDR_STEP_ENDED;
    out->row = row;
    return 0;
}

int cdr_core_step(cdr_core_t *self, const cdr_event_t *ev, cdr_step_t *out)
{
    memset(out, 0, sizeof *out);
    out->kind = CDR_STEP_IGNORED;
    if (!ev->call_id || !*ev->call_id) {
        out->why = "call event without call_id";
        return -1;
    }
    if (cc_map_has(self->recent, ev->call_id)) {
        out->why = ev->kind == CDR_EV_ENDED ? "duplicate call.ended"
                                            : "event for a call that already ended";
        return 0;
    }
    cdr_call_t *call = cc_map_get(self->calls, ev->call_id);
    int rc;
    out->kind = CDR_STEP_ACTIVE;
    switch (ev->kind) {
    case CDR_EV_CREATED:
        rc = s_on_created(self, ev, call, out);
        break;
    case CDR_EV_RINGING:
    case CDR_EV_ANSWERED:
    case CDR_EV_CONNECTED:
        rc = s_on_progress(self, ev, call, out);
        break;
    case CDR_EV_ENDED:
        rc = s_on_ended(self, ev, call, out);
        break;
    default:
        out->kind = CDR_STEP_IGNORED;
        out->why = "unknown event kind";
        return -1;
    }
    if (rc != 0) {
        out->kind = CDR_STEP_IGNORED;
        out->why = "out of memory";
        return -1;
    }
    if (out->kind == CDR_STEP_ACTIVE) {
        call = cc_map_get(self->calls, ev->call_id);
        call->updated_us = ev->ts_us;
        out->call = call;
    }
    return 0;
}

static void s_call_copy_fields(cdr_call_t *call, const cdr_call_t *from)
{
    call->caller = s_dup(from->caller);
    call->callee = s_dup(from->callee);
    call->direction = s_dup(from->direction);
    call->trunk = s_dup(from->trunk);
    call->route_kind = s_dup(from->route_kind);
    call->route_target = s_dup(from->route_target);
    call->answered_by = s_dup(from->answered_by);
    call->created_us = from->created_us;
    call->ringing_us = from->ringing_us;
    call->answered_us = from->answered_us;
    call->updated_us = from->updated_us;
    call->seen_created = from->seen_created;
}

cdr_call_t *cdr_call_dup(const cdr_call_t *from)
{
    cdr_call_t *call = calloc(1, sizeof *call);
    if (!call)
        return NULL;
    call->call_id = s_dup(from->call_id);
    call->epoch = from->epoch;
    s_call_copy_fields(call, from);
    if (!call->call_id)
        cdr_call_destroy(&call);
    return call;
}

int cdr_core_restore(cdr_core_t *self, const cdr_call_t *from)
{
    if (!from->call_id || cc_map_has(self->calls, from->call_id))
        return -1;
    cdr_call_t *call = s_call_new(self, from->call_id, from->epoch);
    if (!call)
        return -1;
    s_call_copy_fields(call, from);
    return 0;
}

size_t cdr_core_end_orphans(cdr_core_t *self, uint64_t current_epoch, int64_t ts_us,
                            const char *trigger_id, cdr_row_fn *fn, void *arg)
{
    size_t ended = 0;
    cc_map_iter_t it = cc_map_iter(self->calls);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        cdr_call_t *call = cc_map_value(e);
        if (call->epoch == current_epoch)
            continue;
        char event_id[512];
        snprintf(event_id, sizeof event_id, "%s/orphan/%s", trigger_id ? trigger_id : "",
                 call->call_id);
        int64_t ended_us = ts_us;
        if (call->updated_us != CDR_UNKNOWN && ended_us < call->updated_us)
            ended_us = call->updated_us;
        cdr_row_t *row = s_row_build(call, call->call_id, ended_us, event_id, "interrupted",
                                     "system", 0, CDR_ORPHAN_REASON);
        s_remember_ended(self, call->call_id);
        cc_map_delete(self->calls, cc_map_key(e)); /* the entry just returned: allowed */
        if (row) {
            ended++;
            fn(row, arg);
        }
    }
    return ended;
}
