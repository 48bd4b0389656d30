/* vm_core.h - leaving a voicemail message: which greeting a caller hears, when the
 * recording starts and what ends it (#, silence, hang-up, the box's maximum length), and
 * whether the message is kept. Events in, actions out; no I/O and no clock (time passed
 * in), so every rule is unit-tested (vm_core_test.c). ivrd_vm.c turns the actions into
 * play.* / rec.* / call.hangup commands and the message's index row.
 *
 * States of a deposit:
 *   ANSWERING  waiting for call.answer's reply
 *   GREETING   the greeting and the beep play; # skips to the beep's end
 *   RECORDING  recorderd records the caller; #, silence_ms without talk, max_ms or
 *              hang-up end it
 *   CLOSING    the caller still there hears "message saved" (or "too short"), then
 *              is hung up
 *   DONE       nothing more to do */
#ifndef VM_CORE_H
#define VM_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_NAME_MAX 64
#define VM_PATH_MAX 512
#define VM_PROMPTS_MAX 24
#define VM_ACTIONS_MAX 8

typedef struct {
    char mailbox[VM_NAME_MAX];
    bool is_queue;                          /* a queue's box: no extension to read out */
    char greeting_unavailable[VM_PATH_MAX]; /* "" none */
    char greeting_busy[VM_PATH_MAX];
    char greeting_name[VM_PATH_MAX];
    int64_t max_ms;     /* longest message */
    int64_t silence_ms; /* this long without talk ends it (0: never) */
    int64_t min_ms;     /* shorter messages are discarded */
} vm_box_t;

typedef enum {
    VM_D_ANSWERING = 0,
    VM_D_GREETING,
    VM_D_RECORDING,
    VM_D_CLOSING,
    VM_D_DONE
} vm_deposit_state_t;

typedef enum {
    VM_ACT_PLAY = 0,  /* play prompts[] (id play); report vm_deposit_play_done(play) */
    VM_ACT_STOP_PLAY, /* stop what plays */
    VM_ACT_RECORD,    /* start recording the caller (and silence detection) */
    VM_ACT_STOP,      /* stop recording; keep: index it with duration_ms, else discard */
    VM_ACT_TIMER,     /* (re)arm the deposit's one timer at `at` (0 cancels) */
    VM_ACT_HANGUP     /* end the call (reason) */
} vm_act_kind_t;

typedef struct {
    vm_act_kind_t kind;
    unsigned play;
    const char *prompts[VM_PROMPTS_MAX];
    size_t nprompts;
    bool keep;
    int64_t duration_ms;
    int64_t at;
    const char *reason; /* STOP: what ended it (hash, silence, max, hangup); HANGUP */
} vm_action_t;

typedef struct {
    vm_action_t a[VM_ACTIONS_MAX];
    size_t n;
} vm_actions_t;

typedef struct {
    vm_box_t box;
    char reason[16]; /* direct, busy, noanswer, ... */
    vm_deposit_state_t state;
    unsigned play, next_play;
    int64_t started_at;  /* recording began (ms) */
    int64_t last_talk;   /* last time talk was seen, or the start */
    bool talking, heard; /* talking now; talked at all */
    char digit_prompts[VM_NAME_MAX][12];
} vm_deposit_t;

/* A deposit for box (copied) and why the caller came. */
void vm_deposit_init(vm_deposit_t *d, const vm_box_t *box, const char *reason);
/* The greeting for reason, then the beep, into prompts (names for mediad; a recorded
 * greeting is its absolute path). Returns the count. */
size_t vm_greeting(vm_deposit_t *d, const char **prompts, size_t max);

void vm_deposit_answered(vm_deposit_t *d, int64_t now, vm_actions_t *out);
void vm_deposit_play_done(vm_deposit_t *d, unsigned play, int64_t now, vm_actions_t *out);
void vm_deposit_digit(vm_deposit_t *d, char digit, int64_t now, vm_actions_t *out);
void vm_deposit_talking(vm_deposit_t *d, bool talking, int64_t now, vm_actions_t *out);
void vm_deposit_timer(vm_deposit_t *d, int64_t now, vm_actions_t *out);
/* The caller hung up (or the call failed). */
void vm_deposit_hangup(vm_deposit_t *d, int64_t now, vm_actions_t *out);

const char *vm_deposit_state_name(vm_deposit_state_t s);
/* Whether reason is one vm.deposit accepts. */
bool vm_reason_ok(const char *reason);

#endif
