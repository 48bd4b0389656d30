/* conf_room.h - one conference room's rules: who may enter (PIN, moderator PIN, lock,
 * size), who waits with music for the moderator, who is muted, what keys do during the
 * call, and the console's kick / mute / lock. Events in, actions out; no I/O, no clock
 * (time passed in), so every rule is unit-tested (conf_room_test.c). ivrd_conf.c turns
 * the actions into play.* / mix.* / call.hangup commands and conf.* events.
 *
 * A participant is a member with an id (1, 2, ... for the room's life). States:
 *   PIN      answered, asked for a PIN (digits then #; 3 tries)
 *   WAITING  admitted, hears music until a moderator joins (rooms with a moderator PIN)
 *   IN       in the mix: hears every other member, heard unless muted
 *   LEAVING  refused or kicked: hears its last prompt, then is hung up
 * Keys while IN: 6 mute/unmute yourself (a * before it is ignored, so *6 works too);
 * moderators also 7 lock/unlock the room, 8 mute/unmute every other participant.
 * Once a moderator has joined, the room has started: later callers go straight in, also
 * after the moderator left (the last moderator leaving does not end the room). A room
 * nobody is in any more starts afresh: unlocked, waiting for a moderator again. */
#ifndef CONF_ROOM_H
#define CONF_ROOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_NAME_MAX 64
#define CONF_PIN_MAX 12
#define CONF_PIN_TRIES 3
#define CONF_MEMBERS_MAX 64                /* in the room at once (WAITING + IN) */
#define CONF_SLOTS (CONF_MEMBERS_MAX + 16) /* also those entering a PIN or being refused */
#define CONF_PIN_TIMEOUT_MS 8000           /* after the prompt or the last key: the entry counts */
#define CONF_REAP_MS 15000                 /* hung up but never reported gone: forget it */
#define CONF_ACTIONS_MAX (3 * CONF_SLOTS)

typedef struct {
    char name[CONF_NAME_MAX];
    char pin[CONF_PIN_MAX + 1];           /* "" none */
    char moderator_pin[CONF_PIN_MAX + 1]; /* "" none */
    int max_members;                      /* 0: CONF_MEMBERS_MAX */
    bool record;      /* recorded (by ivrd_conf.c: rec.start of the room's mix) */
    char language[8]; /* the prompt set its prompts play from (en, cmn) */
} conf_room_cfg_t;

typedef enum {
    CONF_M_PIN = 0,
    CONF_M_WAITING,
    CONF_M_IN,
    CONF_M_LEAVING
} conf_member_state_t;

typedef struct {
    int id;
    char call_id[128];
    char caller[64];
    conf_member_state_t state;
    bool moderator, muted, talking;
    bool admitted;     /* was WAITING or IN (conf.left is published for it) */
    int64_t joined_at; /* ms, when admitted */
    /* internal */
    int tries;
    char digits[CONF_PIN_MAX + 2];
    unsigned play; /* what plays to it now (0: nothing of ours) */
    int then;      /* what follows when that play is done */
    const char *leave_reason;
} conf_member_t;

typedef enum {
    CONF_ACT_PLAY = 0, /* play prompts to member (id `play`, loop, barge_in); report
                        * conf_room_prompt_done(member, play) when it ends or stops */
    CONF_ACT_STOP,     /* stop what plays to member */
    CONF_ACT_JOIN,     /* member enters the room's mix, muted or not */
    CONF_ACT_MUTE,     /* member's mix role: muted or not */
    CONF_ACT_TIMER,    /* (re)arm member's one timer at `at` (0 cancels) */
    CONF_ACT_HANGUP,   /* end member's call (reason) */
    CONF_ACT_JOINED,   /* event: member admitted (waiting or in) */
    CONF_ACT_LEFT,     /* event: an admitted member left (reason) */
    CONF_ACT_MUTED,    /* event: member muted/unmuted (by) */
    CONF_ACT_LOCKED    /* event: room locked/unlocked (by) */
} conf_act_kind_t;

typedef struct {
    conf_act_kind_t kind;
    int member;
    unsigned play;
    const char *prompts[3];
    size_t nprompts;
    bool loop, barge_in;
    bool muted;  /* JOIN, MUTE, MUTED */
    bool locked; /* LOCKED */
    int64_t at;  /* TIMER */
    const char *reason, *by;
} conf_action_t;

typedef struct {
    conf_action_t a[CONF_ACTIONS_MAX];
    size_t n;
} conf_actions_t;

typedef struct conf_room conf_room_t;

conf_room_t *conf_room_new(const conf_room_cfg_t *cfg);
void conf_room_destroy(conf_room_t **self_p);
/* New settings (the row changed); callers in the room stay. */
void conf_room_configure(conf_room_t *self, const conf_room_cfg_t *cfg);
const conf_room_cfg_t *conf_room_cfg(const conf_room_t *self);

/* Each call below starts `out` afresh. */

/* An answered call arrives: the member's id, or -1 when no slot is left (hang up). */
int conf_room_arrive(conf_room_t *self, const char *call_id, const char *caller, int64_t now,
                     conf_actions_t *out);
void conf_room_prompt_done(conf_room_t *self, int member, unsigned play, int64_t now,
                           conf_actions_t *out);
void conf_room_digit(conf_room_t *self, int member, char digit, int64_t now, conf_actions_t *out);
void conf_room_timer(conf_room_t *self, int member, int64_t now, conf_actions_t *out);
/* The member's call ended (reason for conf.left when it had no other: "hangup"). */
void conf_room_gone(conf_room_t *self, int member, const char *reason, conf_actions_t *out);
/* The console. 0, or -1: no such member (kick, mute), or nobody in the room (lock). */
int conf_room_kick(conf_room_t *self, int member, int64_t now, conf_actions_t *out);
int conf_room_mute(conf_room_t *self, int member, bool muted, const char *by, conf_actions_t *out);
int conf_room_lock(conf_room_t *self, bool locked, const char *by, conf_actions_t *out);
void conf_room_talking(conf_room_t *self, int member, bool talking);

/* "3" (member id), a caller's number or a call id -> member id, or -1. */
int conf_room_find(const conf_room_t *self, const char *who);
const conf_member_t *conf_room_member(const conf_room_t *self, int member);
size_t conf_room_slots(const conf_room_t *self); /* members in any state */
const conf_member_t *conf_room_member_at(const conf_room_t *self, size_t i);
int conf_room_count(const conf_room_t *self); /* admitted: WAITING + IN */
bool conf_room_locked(const conf_room_t *self);
const char *conf_member_state_name(conf_member_state_t state);

/* Actions as text, one per line, for tests: "play 1 [conf/enter_pin] barge", "join 2
 * muted" ... */
void conf_actions_format(const conf_actions_t *out, char *buf, size_t len);

#endif
