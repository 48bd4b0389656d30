/* cdr_batch.c - pending writes between two transactions, folded per call so a call that
 * changes five times in 100 ms is written once, and one that lives and dies inside the
 * batch never touches calls_active. Memory only. */
#include "cdr_batch.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *call_id;
    cdr_call_t *state; /* NULL: delete */
    bool maybe_stored; /* calls_active may hold the call (it existed before the batch) */
} s_entry_t;

struct cdr_batch {
    zhashx_t *calls; /* call_id -> s_entry_t* */
    zlistx_t *rows;  /* cdr_row_t* */
    size_t events;
    uint64_t epoch, seq;
};

static void s_entry_destroy(void **item)
{
    s_entry_t *entry = *item;
    if (!entry)
        return;
    free(entry->call_id);
    cdr_call_destroy(&entry->state);
    free(entry);
    *item = NULL;
}

static void s_row_destructor(void **item)
{
    cdr_row_destroy((cdr_row_t **)item);
}

cdr_batch_t *cdr_batch_new(void)
{
    cdr_batch_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->calls = zhashx_new();
    self->rows = zlistx_new();
    if (!self->calls || !self->rows) {
        cdr_batch_destroy(&self);
        return NULL;
    }
    zhashx_set_destructor(self->calls, s_entry_destroy);
    zlistx_set_destructor(self->rows, s_row_destructor);
    return self;
}

void cdr_batch_destroy(cdr_batch_t **self_p)
{
    cdr_batch_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    zhashx_destroy(&self->calls);
    zlistx_destroy(&self->rows);
    free(self);
    *self_p = NULL;
}

static s_entry_t *s_entry(cdr_batch_t *self, const char *call_id, bool maybe_stored)
{
    s_entry_t *entry = zhashx_lookup(self->calls, call_id);
    if (entry)
        return entry;
    entry = calloc(1, sizeof *entry);
    if (!entry)
        return NULL;
    entry->call_id = strdup(call_id);
    entry->maybe_stored = maybe_stored;
    if (!entry->call_id || zhashx_insert(self->calls, call_id, entry) != 0) {
        void *item = entry;
        s_entry_destroy(&item);
        return NULL;
    }
    return entry;
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
    if (!entry || !zlistx_add_end(self->rows, row))
        return -1;
    *row_p = NULL;
    if (entry->maybe_stored)
        cdr_call_destroy(&entry->state);
    else
        zhashx_delete(self->calls, row->call_id);
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
    return zlistx_size(self->rows);
}

size_t cdr_batch_calls(const cdr_batch_t *self)
{
    return zhashx_size(self->calls);
}

void cdr_batch_cursor(const cdr_batch_t *self, uint64_t *epoch, uint64_t *seq)
{
    *epoch = self->epoch;
    *seq = self->seq;
}

static bool s_fill(s_entry_t *entry, cdr_batch_call_t *out)
{
    if (!entry)
        return false;
    out->call_id = entry->call_id;
    out->state = entry->state;
    return true;
}

bool cdr_batch_first_call(cdr_batch_t *self, cdr_batch_call_t *out)
{
    return s_fill(zhashx_first(self->calls), out);
}

bool cdr_batch_next_call(cdr_batch_t *self, cdr_batch_call_t *out)
{
    return s_fill(zhashx_next(self->calls), out);
}

cdr_row_t *cdr_batch_first_row(cdr_batch_t *self)
{
    return zlistx_first(self->rows);
}

cdr_row_t *cdr_batch_next_row(cdr_batch_t *self)
{
    return zlistx_next(self->rows);
}

void cdr_batch_mark_uncertain(cdr_batch_t *self)
{
    for (s_entry_t *entry = zhashx_first(self->calls); entry; entry = zhashx_next(self->calls))
        entry->maybe_stored = true;
}

void cdr_batch_clear(cdr_batch_t *self)
{
    zhashx_purge(self->calls);
    zlistx_purge(self->rows);
    self->events = 0;
}
