/* sp_divert.h - where a call to an extension goes instead of (or after) ringing it:
 * do-not-disturb and forwarding (always, busy, no answer, unavailable). Pure: the
 * extension's settings and the call's diversion history in, the next target out; loops
 * (1001 -> 1002 -> 1001) and chains longer than SP_DIVERT_MAX_HOPS are stopped. The glue
 * that rings and re-routes is sp_forward.c. */
#ifndef SP_DIVERT_H
#define SP_DIVERT_H

#include <stdbool.h>
#include <stddef.h>

#define SP_DIVERT_MAX_HOPS 5
#define SP_DIVERT_TARGET_MAX 48
#define SP_DIVERT_RING_DEFAULT_S 20
#define SP_DIVERT_MAX_STEPS 8 /* follow-me targets */

typedef enum {
    SP_DIVERT_ALWAYS = 0,
    SP_DIVERT_BUSY,
    SP_DIVERT_NOANSWER,
    SP_DIVERT_UNAVAILABLE,
    SP_DIVERT_NCONDS,
} sp_divert_cond_t;

/* One follow-me step: a target rung plainly (its own settings do not apply) for ring_s. */
typedef struct {
    char target[SP_DIVERT_TARGET_MAX]; /* "ext:1002", "number:5551234" */
    int ring_s;
} sp_divert_step_t;

/* One extension's settings (pbx_user_settings); "" for a condition not forwarded. */
typedef struct {
    bool dnd;
    char fwd[SP_DIVERT_NCONDS][SP_DIVERT_TARGET_MAX]; /* "ext:1002", "number:555", "vm:1001" */
    int ring_time_s;
    sp_divert_step_t followme[SP_DIVERT_MAX_STEPS]; /* rung in order instead of the extension */
    int nfollowme;
    /* a ring group's (members as the steps, fallback as fwd[NOANSWER]): */
    bool group;
    bool all;  /* every member at once, for followme[0].ring_s */
    bool hunt; /* in turn, starting one further at each call */
} sp_divert_settings_t;

/* What one call has been through: the extensions it rang or was diverted from. */
typedef struct {
    char seen[SP_DIVERT_MAX_HOPS + 1][16];
    int nseen;
    int hops;       /* diversions made */
    bool fm_active; /* ringing the follow-me steps of fm_owner (an ext, or group:NAME) */
    char fm_owner[SP_DIVERT_TARGET_MAX];
    int fm_next;  /* steps rung so far */
    int fm_start; /* hunt groups: the member rung first */
} sp_divert_state_t;

typedef enum {
    SP_DIVERT_RING,   /* ring the extension (for ring_s when > 0, else the default) */
    SP_DIVERT_TO,     /* go to target instead, for reason */
    SP_DIVERT_REJECT, /* refuse with code (DND without a target: 486) */
    SP_DIVERT_NONE,   /* after a failure: nothing configured or allowed; fail as it did */
    SP_DIVERT_STEP,   /* ring target plainly for ring_s: a follow-me step (reason followme) */
} sp_divert_action_t;

typedef struct {
    sp_divert_action_t action;
    char target[SP_DIVERT_TARGET_MAX];
    char reason[16]; /* "always", "dnd", "busy", "noanswer", "unavailable" */
    int code;        /* SP_DIVERT_REJECT */
    int ring_s;      /* SP_DIVERT_RING: 0 for the proxy's default */
} sp_divert_t;

const char *sp_divert_cond_name(sp_divert_cond_t cond);
/* "always", "busy", "noanswer", "unavailable" -> cond; -1 for anything else. */
int sp_divert_cond_parse(const char *name);
/* Is this a forwarding target we take ("ext:DIGITS", "number:DIALLABLE", "vm:NAME")? */
bool sp_divert_target_ok(const char *target);

/* A call is about to ring ext (settings NULL: it has none). Records ext as seen. */
sp_divert_t sp_divert_before_ring(sp_divert_state_t *st, const char *ext,
                                  const sp_divert_settings_t *settings);
/* Ringing ext failed: cond from the SIP outcome (sp_divert_cond_of). */
sp_divert_t sp_divert_after_fail(sp_divert_state_t *st, const char *ext,
                                 const sp_divert_settings_t *settings, sp_divert_cond_t cond);
/* "ext:1002/15,number:5551234/20" -> steps (ring time 5-300 s each, at most
 * SP_DIVERT_MAX_STEPS). 0, or -1 with a reason in err. "" is no steps. */
int sp_divert_followme_parse(const char *text, sp_divert_step_t *steps, int *n, char *err,
                             size_t errlen);
/* The current follow-me step failed (or was never rung): the next step, then the owner's
 * no-answer target (reason noanswer), else NONE. */
sp_divert_t sp_divert_followme_next(sp_divert_state_t *st, const sp_divert_settings_t *owner);

/* A call reached ring group `key` ("group:NAME"); turn: how many calls it had before
 * (hunt groups start at member turn % n). The first step: every member at once (STEP
 * with target key) or the first member to ring; reason "group". */
sp_divert_t sp_divert_group_start(sp_divert_state_t *st, const char *key,
                                  const sp_divert_settings_t *group, unsigned turn);

/* The condition a final failure code means: 486/600/603 busy, 408 no answer, any other
 * unavailable. */
sp_divert_cond_t sp_divert_cond_of(int code);

#endif
