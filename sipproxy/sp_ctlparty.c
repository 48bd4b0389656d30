/* sp_ctlparty.c - which side of a call an extension is, and when the desktop's
 * call-control commands may act (see sp_ctlparty.h). No I/O. */
#include "sp_ctlparty.h"

#include <stdio.h>
#include <string.h>

static bool s_is_ext(const char *target, const char *ext)
{
    return target && strncmp(target, "ext:", 4) == 0 && strcmp(target + 4, ext) == 0;
}

sp_side_t sp_ctl_side(const sp_ctl_view_t *v, const char *ext)
{
    if (!ext || !ext[0])
        return SP_SIDE_NONE;
    if (s_is_ext(v->b_target, ext))
        return SP_SIDE_B;
    if (s_is_ext(v->a_target, ext))
        return SP_SIDE_A;
    /* a phone that called: leg A has no target, the caller is the user's number */
    bool invited = !v->a_target || !v->a_target[0];
    if (invited && v->caller_is_user && v->caller && strcmp(v->caller, ext) == 0)
        return SP_SIDE_A;
    return SP_SIDE_NONE;
}

static const char *s_no(char *why, size_t len, const char *code, const char *msg)
{
    snprintf(why, len, "%s", msg);
    return code;
}

const char *sp_ctl_refuse(const sp_ctl_view_t *v, sp_ctl_cmd_t cmd, const char *ext, char *why,
                          size_t len)
{
    if (!v->connected)
        return s_no(why, len, "bad_state", "the call is not connected to anyone now");
    if (sp_ctl_side(v, ext) == SP_SIDE_NONE)
        return s_no(why, len, "not_party", "that extension is not a party of this call");
    switch (cmd) {
    case SP_CTL_HOLD:
        return NULL;
    case SP_CTL_RESUME:
    case SP_CTL_TRANSFER:
    case SP_CTL_CONSULT:
        if (v->consulting)
            return s_no(why, len, "bad_state",
                        "a consultation is in progress: complete or cancel it first");
        return NULL;
    case SP_CTL_CONSULT_COMPLETE:
        if (!v->consulting)
            return s_no(why, len, "bad_state", "there is no consultation to complete");
        if (!v->consult_up)
            return s_no(why, len, "bad_state", "the consulted party has not answered yet");
        return NULL;
    case SP_CTL_CONSULT_CANCEL:
        if (!v->consulting)
            return s_no(why, len, "bad_state", "there is no consultation to cancel");
        return NULL;
    }
    return s_no(why, len, "bad_args", "unknown command");
}
