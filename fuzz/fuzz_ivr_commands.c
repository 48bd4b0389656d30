/* fuzz_ivr_commands.c - libFuzzer target: the commands that hand a call to ivrd (ivr.start,
 * conf.start, vm.deposit, vm.menu) and the conference commands (conf.kick, conf.mute,
 * conf.lock) as another process sends them, through the catalogue's check of the top level
 * (cc_events_check, what the bus does before a handler runs) and then ivrd's decoding
 * (ivrd_args). Beyond "no crash": a call id, room or mailbox accepted is not empty (but
 * *98's mailbox) and fits the buffer the handler copies it into, an endpoint id is
 * mediad's (1..INT32_MAX) and the one sent, a deposit reason is one vm_core knows, start
 * variables are ones the run takes (valid names, string values, room for callee). The
 * first byte picks the command, counted from '0' so that the seeds can start with the
 * command's digit ('0' ivr.start ... '6' conf.lock, modulo 7); the rest is its JSON
 * arguments. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_command.h"
#include "ivr_vars.h"
#include "ivrd_args.h"

static const char *const s_cmds[] = {"ivr.start", "conf.start", "vm.deposit", "vm.menu",
                                     "conf.kick", "conf.mute",  "conf.lock"};

static void s_check_handover(const char *cmd, json_t *args)
{
    ivrd_handover_t in;
    char err[256];
    if (ivrd_args_handover(cmd, args, &in, err, sizeof err) != 0)
        return;
    fuzz_check_text(in.call_id, IVRD_CALL_ID_MAX, false);
    if (!in.caller || !in.callee || in.endpoint_id < 1 ||
        json_integer_value(json_object_get(args, "endpoint_id")) != in.endpoint_id)
        abort();
    switch (in.kind) {
    case IVRD_HANDOVER_IVR:
        if (strcmp(cmd, "ivr.start") || !in.flow || !*in.flow)
            abort();
        if (in.variables) {
            if (!json_is_object(in.variables) || json_object_size(in.variables) >= IVR_VARS_MAX)
                abort();
            const char *name;
            json_t *value;
            json_object_foreach(in.variables, name, value)
            {
                if (!ivr_var_name_valid(name) || !json_is_string(value))
                    abort();
            }
        }
        break;
    case IVRD_HANDOVER_CONF:
        if (strcmp(cmd, "conf.start"))
            abort();
        fuzz_check_text(in.room, CONF_NAME_MAX, false);
        break;
    case IVRD_HANDOVER_DEPOSIT:
        if (strcmp(cmd, "vm.deposit") || !vm_reason_ok(in.reason))
            abort();
        fuzz_check_text(in.mailbox, VM_NAME_MAX, false);
        break;
    case IVRD_HANDOVER_MENU:
        if (strcmp(cmd, "vm.menu"))
            abort();
        fuzz_check_text(in.mailbox, VM_NAME_MAX, true);
        break;
    default:
        abort();
    }
}

static void s_check_conf(const char *cmd, json_t *args)
{
    ivrd_conf_cmd_t in;
    char err[256];
    if (ivrd_args_conf(cmd, args, &in, err, sizeof err) != 0)
        return;
    fuzz_check_text(in.room, CONF_NAME_MAX, false);
    if (strcmp(cmd, "conf.lock") != 0)
        fuzz_check_text(in.who, SIZE_MAX, false);
    const char *flag = !strcmp(cmd, "conf.mute") ? "muted" : "locked";
    if (in.on != json_is_true(json_object_get(args, flag)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *cmd;
    json_t *args = fuzz_command_args(data, size, s_cmds, sizeof s_cmds / sizeof s_cmds[0], &cmd);
    if (!args)
        return 0;
    if (!strncmp(cmd, "conf.", 5) && strcmp(cmd, "conf.start") != 0)
        s_check_conf(cmd, args);
    else
        s_check_handover(cmd, args);
    json_decref(args);
    return 0;
}
