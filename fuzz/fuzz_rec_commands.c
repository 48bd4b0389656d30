/* fuzz_rec_commands.c - libFuzzer target: recorderd's command arguments as another process
 * sends them, through the catalogue's check of the top level (cc_events_check, what the
 * bus does before a handler runs) and then recorderd's decoding (rec_args: rec.start, and
 * the call id of rec.stop, rec.pause, rec.resume). Beyond "no crash": a call id accepted
 * is not empty and fits rec_call_t's buffer, endpoints are mediad ids (1..INT32_MAX) equal
 * to what was sent, a mix id is 1..UINT32_MAX and never comes with endpoints. The first
 * byte picks the command, the rest is its JSON arguments (fuzz_command.h). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_command.h"
#include "rec_args.h"

static const char *const s_cmds[] = {"rec.start", "rec.stop", "rec.pause", "rec.resume"};

static void s_check_call_id(const char *call_id)
{
    if (!call_id || !*call_id || strlen(call_id) >= REC_CALL_ID_MAX)
        abort();
}

/* An endpoint taken is the one sent (0: none sent, or null). */
static void s_check_endpoint(json_t *args, const char *key, int taken)
{
    json_t *v = json_object_get(args, key);
    if (taken < 0 || (taken == 0 && json_is_integer(v)) ||
        (taken > 0 && json_integer_value(v) != taken))
        abort();
}

static void s_check_start(json_t *args)
{
    rec_start_args_t in;
    char err[256];
    if (rec_args_start(args, &in, err, sizeof err) != 0)
        return;
    s_check_call_id(in.call_id);
    s_check_endpoint(args, "caller_endpoint", in.caller_ep);
    s_check_endpoint(args, "callee_endpoint", in.callee_ep);
    if (in.mix_id && (in.caller_ep || in.callee_ep))
        abort(); /* a conference is recorded from its mix alone */
    json_t *mix = json_object_get(args, "mix_id");
    if ((json_int_t)in.mix_id != (json_is_integer(mix) ? json_integer_value(mix) : 0))
        abort();
    if ((in.caller && strlen(in.caller) != json_string_length(json_object_get(args, "caller"))) ||
        (in.callee && strlen(in.callee) != json_string_length(json_object_get(args, "callee"))))
        abort(); /* a NUL inside got through */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *cmd;
    json_t *args = fuzz_command_args(data, size, s_cmds, sizeof s_cmds / sizeof s_cmds[0], &cmd);
    if (!args)
        return 0;
    char err[256];
    if (!strcmp(cmd, "rec.start")) {
        s_check_start(args);
    } else {
        const char *call_id;
        if (rec_args_call(args, &call_id, err, sizeof err) == 0)
            s_check_call_id(call_id);
    }
    json_decref(args);
    return 0;
}
