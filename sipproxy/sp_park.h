/* sp_park.h - the park lot: numbered slots (e.g. 701-720), each empty or holding one
 * parked call with who parked it and when. Pure: no sofia, no bus, no clock (times are
 * passed in); the glue that parks, announces, hands out and rings back is sp_callpark.c. */
#ifndef SP_PARK_H
#define SP_PARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_PARK_MAX_SLOTS 100
#define SP_PARK_ID_MAX 48
#define SP_PARK_EXT_MAX 16

typedef struct {
    int number; /* the slot's own number, dialled to take the call */
    bool used;
    char call_id[SP_PARK_ID_MAX];
    char parker[SP_PARK_EXT_MAX]; /* the extension that parked it ("" when not one) */
    uint64_t parked_ms;           /* when, on the caller's clock */
} sp_park_slot_t;

typedef struct {
    char number[SP_PARK_EXT_MAX]; /* the park number a transfer goes to ("700") */
    int first;                    /* number of the first slot */
    int count;                    /* slots: first .. first + count - 1 */
    sp_park_slot_t slots[SP_PARK_MAX_SLOTS];
} sp_park_t;

/* An empty lot of `count` slots from `first`, reached by transferring to `number`.
 * -1 (lot unchanged) when the numbers make no sense: count 1-100, first > 0, the slots
 * and the park number within 2-15 digits, the park number not one of the slots. */
int sp_park_init(sp_park_t *self, const char *number, int first, int count);
/* Is this the park number (a blind transfer to it parks)? */
bool sp_park_is_park_number(const sp_park_t *self, const char *dialled);
/* The slot number `dialled` names (in range, digits only), or -1. Empty or not. */
int sp_park_slot_number(const sp_park_t *self, const char *dialled);
/* Park call_id in the first free slot: its number, or -1 when every slot is taken or the
 * call is parked already. */
int sp_park_take(sp_park_t *self, const char *call_id, const char *parker, uint64_t now_ms);
/* The slot holding `number` if a call is parked there, else NULL. Borrowed. */
const sp_park_slot_t *sp_park_at(const sp_park_t *self, int number);
/* The slot holding call_id, else NULL. Borrowed. */
const sp_park_slot_t *sp_park_of_call(const sp_park_t *self, const char *call_id);
/* Empty the slot holding call_id: its number, or -1 when it held none. */
int sp_park_release(sp_park_t *self, const char *call_id);
/* How many calls are parked. */
int sp_park_used(const sp_park_t *self);
/* ms left before a call parked at parked_ms returns to its parker after timeout_s
 * (0 when due). */
uint64_t sp_park_left_ms(uint64_t parked_ms, int timeout_s, uint64_t now_ms);

#endif
