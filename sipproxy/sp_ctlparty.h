/* sp_ctlparty.h - who is who in a call for the desktop's call-control commands
 * (call.hold, call.resume, call.transfer, call.consult*): which side of a connected call an
 * extension is, and whether a command may act on the call now. Pure: the call is described
 * by a plain view, so every rule is tested without SIP or a bus (sp_ctlparty_test.c). */
#ifndef SP_CTLPARTY_H
#define SP_CTLPARTY_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    SP_SIDE_NONE = 0,
    SP_SIDE_A, /* the call's leg A: the caller, or the first party of an originated call */
    SP_SIDE_B, /* the connected callee (the agent of a queue call) */
} sp_side_t;

typedef enum {
    SP_CTL_HOLD,
    SP_CTL_RESUME,
    SP_CTL_TRANSFER,
    SP_CTL_CONSULT,
    SP_CTL_CONSULT_COMPLETE,
    SP_CTL_CONSULT_CANCEL,
} sp_ctl_cmd_t;

typedef struct {
    bool connected;       /* answered, and a callee is connected to leg A */
    const char *a_target; /* leg A's target when it was rung ("ext:1002"), "" for an INVITE */
    const char *caller;   /* the caller's number (an INVITE's From user) */
    bool caller_is_user;  /* that INVITE came from one of our users, not through a trunk */
    const char *b_target; /* the connected callee's target ("ext:1002", "number:...") */
    bool consulting;      /* a consultation call (call.consult) exists */
    bool consult_up;      /* ... and its target answered */
} sp_ctl_view_t;

/* The side `ext` (digits) takes in the call, SP_SIDE_NONE when it is no party of it. */
sp_side_t sp_ctl_side(const sp_ctl_view_t *v, const char *ext);

/* NULL when `cmd` by `ext` may run now; else the bus error code ("not_party", "bad_state")
 * with a sentence in why. Hold and resume are idempotent, so never refused for being so. */
const char *sp_ctl_refuse(const sp_ctl_view_t *v, sp_ctl_cmd_t cmd, const char *ext, char *why,
                          size_t len);

#endif
