/* vm_menu.h - the mailbox menu by phone (*97 own box, *98 any box): mailbox number and
 * PIN, the new/saved counts, listening (repeat, save, delete, next), recording greetings
 * and changing the PIN. Events in (keys, prompts done, timer, the adapter's answers),
 * actions out; no I/O, no clock, so it is unit-tested alone (vm_menu_test.c). ivrd_vmmenu.c
 * looks boxes up, checks PINs (throttled), loads and changes messages and records.
 *
 * Keys: main menu 1 listen, 3 greetings, 4 new PIN, * hang up. While a message plays or
 * after it: 1 repeat, 2 save, 3 delete, 6 next, * main menu. Greetings: 1 unavailable,
 * 2 busy, 3 name, * main menu; recording ends with #. Numbers (box, PIN) end with # or
 * after VM_MENU_DIGIT_MS without a key. */
#ifndef VM_MENU_H
#define VM_MENU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm_core.h"

#define VM_MENU_MSGS_MAX 50
#define VM_MENU_PIN_TRIES 3
#define VM_MENU_DIGIT_MS 5000     /* a number counts this long after its last key */
#define VM_MENU_IDLE_MS 10000     /* no key after a menu: it is said again */
#define VM_MENU_IDLE_MAX 3        /* ... this many times, then goodbye */
#define VM_MENU_GREETING_MS 60000 /* longest greeting */

typedef enum {
    VM_M_BOX = 0,   /* *98: keying the mailbox number */
    VM_M_LOOKUP,    /* waiting for vm_menu_box */
    VM_M_PIN,       /* keying the PIN */
    VM_M_CHECK,     /* waiting for vm_menu_pin_result */
    VM_M_LOADING,   /* waiting for vm_menu_loaded */
    VM_M_MAIN,      /* counts and main menu */
    VM_M_MSG,       /* a message plays (or its options) */
    VM_M_GREET,     /* greetings menu */
    VM_M_GREET_REC, /* beep played / recording a greeting */
    VM_M_NEWPIN,    /* keying a new PIN */
    VM_M_BYE        /* goodbye said (or the caller left): hang up */
} vm_menu_state_t;

typedef enum {
    VM_MA_PLAY = 0,   /* prompts (id play, barge_in): report vm_menu_play_done(play) */
    VM_MA_TIMER,      /* (re)arm the one timer at `at`; 0 cancels */
    VM_MA_LOOKUP,     /* find mailbox `box`: answer vm_menu_box */
    VM_MA_CHECK_PIN,  /* check `digits` against box's PIN (throttled): vm_menu_pin_result */
    VM_MA_LOAD,       /* the box's messages and counts: vm_menu_loaded */
    VM_MA_SAVE,       /* message `id` to saved */
    VM_MA_DELETE,     /* message `id` deleted */
    VM_MA_SET_PIN,    /* box's PIN becomes `digits` */
    VM_MA_REC_GREET,  /* start recording greeting `greeting` (unavailable, busy, name) */
    VM_MA_STOP_GREET, /* stop it and make it the box's (keep) or drop it */
    VM_MA_HANGUP
} vm_menu_act_kind_t;

typedef struct {
    vm_menu_act_kind_t kind;
    unsigned play;
    const char *prompts[VM_PROMPTS_MAX];
    size_t nprompts;
    bool barge_in, keep;
    int64_t at;
    int64_t id;
    const char *box, *digits, *greeting;
} vm_menu_action_t;

typedef struct {
    vm_menu_action_t a[8];
    size_t n;
} vm_menu_actions_t;

typedef struct {
    vm_menu_state_t state;
    bool own; /* *97 */
    char box[VM_NAME_MAX];
    char digits[16];
    int tries, idle;
    unsigned play, next_play;
    bool play_over; /* the current play ended (idle timer runs) */
    int nmsgs, cur, new_count, saved_count;
    int64_t ids[VM_MENU_MSGS_MAX];
    char paths[VM_MENU_MSGS_MAX][VM_PATH_MAX];
    char language[8]; /* how counts are read (ivr_say); set by vm_menu_language */
    const char *greeting;
} vm_menu_t;

/* own: *97 from extension box (may be "" for *98). Says what to do first. */
void vm_menu_start(vm_menu_t *m, bool own, const char *box, int64_t now, vm_menu_actions_t *out);
/* The language the box speaks (after vm_menu_start, which clears it; "" reads English). */
void vm_menu_language(vm_menu_t *m, const char *language);
void vm_menu_digit(vm_menu_t *m, char digit, int64_t now, vm_menu_actions_t *out);
void vm_menu_play_done(vm_menu_t *m, unsigned play, int64_t now, vm_menu_actions_t *out);
void vm_menu_timer(vm_menu_t *m, int64_t now, vm_menu_actions_t *out);
/* LOOKUP's answer: found; pin_needed: a PIN must be keyed (has_pin: one is set). */
void vm_menu_box(vm_menu_t *m, bool found, bool pin_needed, bool has_pin, int64_t now,
                 vm_menu_actions_t *out);
/* CHECK_PIN's answer; blocked: too many failures lately, not even checked. */
void vm_menu_pin_result(vm_menu_t *m, bool ok, bool blocked, int64_t now, vm_menu_actions_t *out);
/* LOAD's answer: messages new first (ids, playable file paths), and the counts. */
void vm_menu_loaded(vm_menu_t *m, int n, const int64_t *ids, const char *const *paths,
                    int new_count, int saved_count, int64_t now, vm_menu_actions_t *out);
void vm_menu_hangup(vm_menu_t *m, vm_menu_actions_t *out);

const char *vm_menu_state_name(vm_menu_state_t s);

#endif
