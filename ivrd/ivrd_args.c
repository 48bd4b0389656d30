/* ivrd_args.c - decoding and checking the arguments of ivrd's hand-over and conference
 * commands (see ivrd_args.h). */
#include "ivrd_args.h"

#include <stdio.h>
#include <string.h>

#include "cc_args.h"
#include "ivr_vars.h"

/* ivr.start's variables: each a valid name with a string value, as many as a run holds
 * beside callee. Refused rather than dropped one by one when the run starts. */
static int s_start_vars(json_t *vars, char *err, size_t len)
{
    if (!vars || json_is_null(vars))
        return 0;
    if (!json_is_object(vars) || json_object_size(vars) > IVR_VARS_MAX - 1) {
        snprintf(err, len, "variables: an object of at most %d", IVR_VARS_MAX - 1);
        return -1;
    }
    const char *name;
    json_t *value;
    json_object_foreach(vars, name, value)
    {
        if (!ivr_var_name_valid(name) || !json_is_string(value)) {
            snprintf(err, len,
                     "variables: names of 1-%d letters, digits or _ (not starting with a "
                     "digit), values strings",
                     IVR_VAR_NAME_MAX - 1);
            return -1;
        }
    }
    return 0;
}

int ivrd_args_handover(const char *cmd, json_t *args, ivrd_handover_t *out, char *err, size_t len)
{
    memset(out, 0, sizeof *out);
    if (!cmd) {
        snprintf(err, len, "not a hand-over command");
        return -1;
    }
    if (!strcmp(cmd, "ivr.start")) {
        out->kind = IVRD_HANDOVER_IVR;
    } else if (!strcmp(cmd, "conf.start")) {
        out->kind = IVRD_HANDOVER_CONF;
    } else if (!strcmp(cmd, "vm.deposit")) {
        out->kind = IVRD_HANDOVER_DEPOSIT;
    } else if (!strcmp(cmd, "vm.menu")) {
        out->kind = IVRD_HANDOVER_MENU;
    } else {
        snprintf(err, len, "not a hand-over command");
        return -1;
    }
    json_int_t endpoint = 0;
    if (cc_args_text(args, "call_id", true, IVRD_CALL_ID_MAX, &out->call_id, err, len) < 0 ||
        cc_args_int(args, "endpoint_id", true, 1, INT32_MAX, &endpoint, err, len) < 0 ||
        cc_args_text(args, "caller", false, SIZE_MAX, &out->caller, err, len) < 0 ||
        cc_args_text(args, "callee", false, SIZE_MAX, &out->callee, err, len) < 0)
        return -1;
    out->endpoint_id = (int)endpoint;
    if (!out->caller)
        out->caller = "";
    if (!out->callee)
        out->callee = "";
    switch (out->kind) {
    case IVRD_HANDOVER_IVR:
        out->variables = json_object_get(args, "variables");
        if (json_is_null(out->variables))
            out->variables = NULL;
        return cc_args_text(args, "flow", true, SIZE_MAX, &out->flow, err, len) < 0 ||
                       s_start_vars(out->variables, err, len) < 0
                   ? -1
                   : 0;
    case IVRD_HANDOVER_CONF:
        return cc_args_text(args, "room", true, CONF_NAME_MAX, &out->room, err, len);
    case IVRD_HANDOVER_DEPOSIT:
        if (cc_args_text(args, "mailbox", true, VM_NAME_MAX, &out->mailbox, err, len) < 0)
            return -1;
        out->reason = json_string_value(json_object_get(args, "reason"));
        if (!vm_reason_ok(out->reason)) {
            snprintf(err, len,
                     "reason must be direct, busy, noanswer, unavailable, dnd, overflow or "
                     "closed");
            return -1;
        }
        return 0;
    case IVRD_HANDOVER_MENU:
        /* *97 names the caller's own box; *98 sends none (or "") and ivrd asks */
        if (cc_args_text(args, "mailbox", false, VM_NAME_MAX, &out->mailbox, err, len) < 0)
            return -1;
        if (!out->mailbox)
            out->mailbox = "";
        return 0;
    }
    return -1;
}

int ivrd_args_conf(const char *cmd, json_t *args, ivrd_conf_cmd_t *out, char *err, size_t len)
{
    memset(out, 0, sizeof *out);
    bool kick = cmd && !strcmp(cmd, "conf.kick"), mute = cmd && !strcmp(cmd, "conf.mute");
    bool lock = cmd && !strcmp(cmd, "conf.lock");
    if (!kick && !mute && !lock) {
        snprintf(err, len, "not a conference command");
        return -1;
    }
    if (cc_args_text(args, "room", true, CONF_NAME_MAX, &out->room, err, len) < 0)
        return -1;
    if ((kick || mute) && cc_args_text(args, "who", true, SIZE_MAX, &out->who, err, len) < 0)
        return -1;
    out->on = json_is_true(json_object_get(args, mute ? "muted" : "locked"));
    return 0;
}
