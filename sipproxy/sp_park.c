/* sp_park.c - the park lot's slots (see sp_park.h). */
#include "sp_park.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool s_digits(const char *s, size_t min, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

int sp_park_init(sp_park_t *self, const char *number, int first, int count)
{
    if (!s_digits(number, 2, SP_PARK_EXT_MAX - 1) || first <= 0 || count < 1 ||
        count > SP_PARK_MAX_SLOTS || first > 999999999 - count)
        return -1;
    char last[16];
    snprintf(last, sizeof last, "%d", first + count - 1);
    if (first < 10 || strlen(last) > 15)
        return -1;
    long park = strtol(number, NULL, 10);
    if (strlen(number) < 10 && park >= first && park < first + count)
        return -1; /* the park number must not also be a slot */
    memset(self, 0, sizeof *self);
    snprintf(self->number, sizeof self->number, "%s", number);
    self->first = first;
    self->count = count;
    for (int i = 0; i < count; i++)
        self->slots[i].number = first + i;
    return 0;
}

bool sp_park_is_park_number(const sp_park_t *self, const char *dialled)
{
    return self->count > 0 && dialled && strcmp(dialled, self->number) == 0;
}

int sp_park_slot_number(const sp_park_t *self, const char *dialled)
{
    if (self->count <= 0 || !s_digits(dialled, 2, 9) || dialled[0] == '0')
        return -1;
    long n = strtol(dialled, NULL, 10);
    return n >= self->first && n < self->first + self->count ? (int)n : -1;
}

int sp_park_take(sp_park_t *self, const char *call_id, const char *parker, uint64_t now_ms)
{
    if (!call_id || !call_id[0] || sp_park_of_call(self, call_id))
        return -1;
    for (int i = 0; i < self->count; i++) {
        sp_park_slot_t *s = &self->slots[i];
        if (s->used)
            continue;
        s->used = true;
        snprintf(s->call_id, sizeof s->call_id, "%s", call_id);
        snprintf(s->parker, sizeof s->parker, "%s", parker ? parker : "");
        s->parked_ms = now_ms;
        return s->number;
    }
    return -1;
}

const sp_park_slot_t *sp_park_at(const sp_park_t *self, int number)
{
    int i = number - self->first;
    if (i < 0 || i >= self->count || !self->slots[i].used)
        return NULL;
    return &self->slots[i];
}

const sp_park_slot_t *sp_park_of_call(const sp_park_t *self, const char *call_id)
{
    for (int i = 0; call_id && i < self->count; i++)
        if (self->slots[i].used && strcmp(self->slots[i].call_id, call_id) == 0)
            return &self->slots[i];
    return NULL;
}

int sp_park_release(sp_park_t *self, const char *call_id)
{
    sp_park_slot_t *s = (sp_park_slot_t *)sp_park_of_call(self, call_id);
    if (!s)
        return -1;
    int number = s->number;
    memset(s, 0, sizeof *s);
    s->number = number;
    return number;
}

int sp_park_used(const sp_park_t *self)
{
    int n = 0;
    for (int i = 0; i < self->count; i++)
        n += self->slots[i].used;
    return n;
}

uint64_t sp_park_left_ms(uint64_t parked_ms, int timeout_s, uint64_t now_ms)
{
    uint64_t due = parked_ms + (uint64_t)(timeout_s > 0 ? timeout_s : 0) * 1000u;
    return now_ms >= due ? 0 : due - now_ms;
}
