/* sp_divert.h - where a call to an extension goes instead of (or after) ringing it:
 * do-not-disturb and forwarding (always, busy, no answer, unavailable). Pure: the
 * extension's settings and the call's diversion history in, the next target out; loops
 * (1001 -> 1002 -> 1001) and chains longer than SP_DIVERT_MAX_HOPS are stopped. The glue
 * that rings and re-routes is sp_forward.c. */
#ifndef SP_DIVERT_H
#define SP_DIVERT_H

#include <stdbool.h>

#define SP_DIVERT_MAX_HOPS 5
#define SP_DIVERT_TARGET_MAX 48
#define SP_DIVERT_RING_DEFAULT_S 20

typedef enum {
    SP_DIVERT_ALWAYS = 0,
    SP_DIVERT_BUSY,
    SP_DIVERT_NOANSWER,
    SP_DIVERT_UNAVAILABLE,
    SP_DIVERT_NCONDS,
} sp_divert_cond_t;

/* One extension's settings (pbx_user_settings); "" for a condition not forwarded. */
typedef struct {
    bool dnd;
    char fwd[SP_DIVERT_NCONDS][SP_DIVERT_TARGET_MAX]; /* "ext:1002", "number:555", "vm:1001" */
    int ring_time_s;
} sp_divert_settings_t;

/* What one call has been through: the extensions it rang or was diverted from. */
typedef struct {
    char seen[SP_DIVERT_MAX_HOPS + 1][16];
    int nseen;
    int hops; /* diversions made */
} sp_divert_state_t;

typedef enum {
    SP_DIVERT_RING,   /* ring the extension (for ring_s when > 0, else the default) */
    SP_DIVERT_TO,     /* go to target instead, for reason */
    SP_DIVERT_REJECT, /* refuse with code (DND without a target: 486) */
    SP_DIVERT_NONE,   /* after a failure: nothing configured or allowed; fail as it did */
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
/* The condition a final failure code means: 486/600/603 busy, 408 no answer, any other
 * unavailable. */
sp_divert_cond_t sp_divert_cond_of(int code);

#endif
