/* cdr_batch.c - pending writes between two transactions, folded per call so a call that
 * changes five times in 100 ms is written once, and one that lives and dies inside the
 * batch never touches calls_active. Memory only. */
#include "cdr_batch.h"

#include <stdlib.h>
#include <string.h>

#include "cc_map.h"

typedef struct {
    cdr_call_t *state; /* NULL: delete */
    bool maybe_stored; /* calls_active may hold the call (it existed before the batch) */
} s_entry_t;

struct cdr_batch {
    cc_map_t *calls; /* call_id -> s_entry_t (owned) */
    cc_map_iter_t call_it;
    cdr_row_t **rows; /* in the order the calls ended */
    size_t nrows, rows_cap, row_next;
    size_t events;
    uint64_t epoch, seq;
};

static void s_entry_free(void *item)
{
    s_entry_t *entry = item;
    cdr_call_destroy(&entry->state);
    free(entry);
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
    cdr_call_t *copy = cdr_call_dup(call);
    s_entry_t *entry = copy ? s_entry(self, call->call_id, !is_new) : NULL;
    if (!entry) {
        cdr_call_destroy(&copy);
        return -1;
    }
    cdr_call_destroy(&entry->state);
    entry->state = copy;
    return 0;
}

int cdr_batch_end_call(cdr_batch_t *self, cdr_row_t **row_p)
{
    cdr_row_t *row = *row_p;
    s_entry_t *entry = s_entry(self, row->call_id, true);
    if (!entry || s_rows_add(self, row) != 0)
        return -1;
    *row_p = NULL;
    if (entry->maybe_stored)
        cdr_call_destroy(&entry->state);
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
    out->call_id = cc_map_key(e);
    out->state = ((s_entry_t *)cc_map_value(e))->state;
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
}

void cdr_batch_clear(cdr_batch_t *self)
{
    cc_map_clear(self->calls);
    s_rows_clear(self);
    self->events = 0;
}
