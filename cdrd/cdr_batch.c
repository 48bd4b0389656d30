/* cdr_batch.c - pending writes between two transactions, folded per call so a call that
 * changes five times in 100 ms is written once, and one that lives and dies inside the
 * batch never touches calls_active. Memory only. */
#include "cdr_batch.h"

#include <stdlib.h>
#include <string.h>

#include "cc_map.h"

typedef struct {
    cdr_call_t state;  /* valid when has_state; its strings point into `strings` */
    char *strings;     /* the state's strings, in one allocation */
    bool has_state;    /* false: delete */
    bool maybe_stored; /* calls_active may hold the call (it existed before the batch) */
} s_entry_t;

struct cdr_batch {
    cc_map_t *calls; /* call_id -> s_entry_t (owned) */
    cc_map_iter_t call_it;
    cdr_row_t **rows; /* in the order the calls ended */
    size_t nrows, rows_cap, row_next;
    size_t events;
    uint64_t epoch, seq;
    bool uncertain; /* a write of this batch failed: it may be stored in part or whole */
};

static void s_entry_drop_state(s_entry_t *entry)
{
    free(entry->strings);
    entry->strings = NULL;
    entry->has_state = false;
}

static void s_entry_free(void *item)
{
    s_entry_t *entry = item;
    s_entry_drop_state(entry);
    free(entry);
}

/* Copy a call's state into the entry: its strings in one block (a call changes at almost
 * every event, so this is the batch's busiest allocation). 0 or -1. */
static int s_entry_set_state(s_entry_t *entry, const cdr_call_t *call)
{
    const char *const src[] = {call->call_id,      call->caller,     call->callee,
                               call->direction,    call->trunk,      call->route_kind,
                               call->route_target, call->answered_by};
    size_t len[8], total = 0;
    for (int i = 0; i < 8; i++) {
        len[i] = src[i] ? strlen(src[i]) + 1 : 0;
        total += len[i];
    }
    char *block = malloc(total ? total : 1), *p = block;
    if (!block)
        return -1;
    char *dst[8];
    for (int i = 0; i < 8; i++) {
        dst[i] = src[i] ? memcpy(p, src[i], len[i]) : NULL;
        p += len[i];
    }
    free(entry->strings);
    entry->strings = block;
    entry->state = *call;
    entry->state.call_id = dst[0];
    entry->state.caller = dst[1];
    entry->state.callee = dst[2];
    entry->state.direction = dst[3];
    entry->state.trunk = dst[4];
    entry->state.route_kind = dst[5];
    entry->state.route_target = dst[6];
    entry->state.answered_by = dst[7];
    entry->has_state = true;
    return 0;
}

cdr_batch_t *cdr_batch_new(void)
{
    cdr_batch_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->calls = cc_map_new(s_entry_free);
    if (!self->calls) {
        cdr_batch_destroy(&self);
        return NULL;
    }
    return self;
}

static void s_rows_clear(cdr_batch_t *self)
{
    for (size_t i = 0; i < self->nrows; i++)
        cdr_row_destroy(&self->rows[i]);
    self->nrows = self->row_next = 0;
}

void cdr_batch_destroy(cdr_batch_t **self_p)
{
    cdr_batch_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    cc_map_destroy(&self->calls);
    s_rows_clear(self);
    free(self->rows);
    free(self);
    *self_p = NULL;
}

static s_entry_t *s_entry(cdr_batch_t *self, const char *call_id, bool maybe_stored)
{
    s_entry_t *entry = cc_map_get(self->calls, call_id);
    if (entry)
        return entry;
    entry = calloc(1, sizeof *entry);
    if (!entry)
        return NULL;
    entry->maybe_stored = maybe_stored;
    if (cc_map_insert(self->calls, call_id, entry) != 0) {
        free(entry);
        return NULL;
    }
    return entry;
}

static int s_rows_add(cdr_batch_t *self, cdr_row_t *row)
{
    if (self->nrows == self->rows_cap) {
        size_t cap = self->rows_cap ? self->rows_cap * 2 : 64;
        cdr_row_t **rows = realloc(self->rows, cap * sizeof *rows);
        if (!rows)
            return -1;
        self->rows = rows;
        self->rows_cap = cap;
    }
    self->rows[self->nrows++] = row;
    return 0;
}

int cdr_batch_put_call(cdr_batch_t *self, const cdr_call_t *call, bool is_new)
{
    s_entry_t *entry = s_entry(self, call->call_id, !is_new);
    return entry ? s_entry_set_state(entry, call) : -1;
}

int cdr_batch_end_call(cdr_batch_t *self, cdr_row_t **row_p)
{
    cdr_row_t *row = *row_p;
    s_entry_t *entry = s_entry(self, row->call_id, true);
    if (!entry || s_rows_add(self, row) != 0)
        return -1;
    *row_p = NULL;
    if (entry->maybe_stored)
        s_entry_drop_state(entry);
    else
        cc_map_delete(self->calls, row->call_id);
    return 0;
}

void cdr_batch_advance(cdr_batch_t *self, uint64_t epoch, uint64_t seq)
{
    self->epoch = epoch;
    self->seq = seq;
    self->events++;
}

size_t cdr_batch_events(const cdr_batch_t *self)
{
    return self->events;
}

size_t cdr_batch_rows(const cdr_batch_t *self)
{
    return self->nrows;
}

size_t cdr_batch_calls(const cdr_batch_t *self)
{
    return cc_map_size(self->calls);
}

void cdr_batch_cursor(const cdr_batch_t *self, uint64_t *epoch, uint64_t *seq)
{
    *epoch = self->epoch;
    *seq = self->seq;
}

bool cdr_batch_first_call(cdr_batch_t *self, cdr_batch_call_t *out)
{
    self->call_it = cc_map_iter(self->calls);
    return cdr_batch_next_call(self, out);
}

bool cdr_batch_next_call(cdr_batch_t *self, cdr_batch_call_t *out)
{
    cc_map_entry_t *e = cc_map_next(&self->call_it);
    if (!e)
        return false;
    const s_entry_t *entry = cc_map_value(e);
    out->call_id = cc_map_key(e);
    out->state = entry->has_state ? &entry->state : NULL;
    out->maybe_stored = entry->maybe_stored;
    return true;
}

cdr_row_t *cdr_batch_first_row(cdr_batch_t *self)
{
    self->row_next = 0;
    return cdr_batch_next_row(self);
}

cdr_row_t *cdr_batch_next_row(cdr_batch_t *self)
{
    return self->row_next < self->nrows ? self->rows[self->row_next++] : NULL;
}

void cdr_batch_mark_uncertain(cdr_batch_t *self)
{
    cc_map_iter_t it = cc_map_iter(self->calls);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));)
        ((s_entry_t *)cc_map_value(e))->maybe_stored = true;
    self->uncertain = true;
}

bool cdr_batch_uncertain(const cdr_batch_t *self)
{
    return self->uncertain;
}

void cdr_batch_clear(cdr_batch_t *self)
{
    cc_map_clear(self->calls);
    s_rows_clear(self);
    self->events = 0;
    self->uncertain = false;
}

void cdr_batch_move(cdr_batch_t *dst, cdr_batch_t *src)
{
    cdr_batch_t empty = *dst; /* its map and row array, empty, are reused by src */
    *dst = *src;
    *src = empty;
    src->epoch = dst->epoch;
    src->seq = dst->seq;
    src->events = 0;
    src->nrows = src->row_next = 0;
    src->uncertain = false;
}
