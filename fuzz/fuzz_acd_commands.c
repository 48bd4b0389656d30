/* fuzz_acd_commands.c - libFuzzer target: acdd's command arguments as another process
 * sends them, through the path the handlers take: the catalogue's check of the top level
 * (cc_events_check, what the bus does before a handler runs), then acdd's decoding
 * (acd_args: queue.enter, agent.login/logout/ready/pause, agent.feature, queue.move,
 * queue.callback). Beyond "no crash": whatever is accepted fits what the handlers rely on,
 * ids that are not empty and fit the buffers they are copied into (ACD_ID_MAX, ACD_NAME_MAX,
 * ACD_EXT_MAX, ACD_REASON_MAX), priorities 0-100, skill levels 0-10, endpoint ids an int,
 * a callback number of digits * # + only, a pause reason index within the configured
 * list. The first byte picks the command, the rest is its JSON arguments (fuzz_command.h). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acd_args.h"
#include "fuzz_command.h"

static const char *const s_cmds[] = {"queue.enter", "agent.login",   "agent.logout",
                                     "agent.ready", "agent.pause",   "agent.feature",
                                     "queue.move",  "queue.callback"};

static void s_check_enter(json_t *args)
{
    acd_enter_args_t in;
    char err[256];
    if (acd_args_enter(args, &in, err, sizeof err) != 0)
        return;
    fuzz_check_text(in.call_id, ACD_ID_MAX, false);
    fuzz_check_text(in.queue, ACD_NAME_MAX, false);
    if (!in.caller || (in.skill && (!*in.skill || strlen(in.skill) >= ACD_NAME_MAX)))
        abort();
    if (in.endpoint_id < 0 || in.endpoint_id > INT32_MAX || in.priority < 0 ||
        in.priority > ACD_PRIORITY_MAX || in.skill_level < 0 || in.skill_level > ACD_LEVEL_MAX)
        abort();
    if (in.variables && (!json_is_object(in.variables) || json_object_size(in.variables) == 0))
        abort();
    /* what was accepted is what was sent, not a value cut to fit */
    if (json_integer_value(json_object_get(args, "priority")) != in.priority ||
        json_integer_value(json_object_get(args, "endpoint_id")) != in.endpoint_id)
        abort();
}

static void s_check_agent(const acd_agent_args_t *in)
{
    fuzz_check_text(in->ext, ACD_EXT_MAX, false);
    if (in->kind != ACD_EV_AGENT_LOGIN && in->kind != ACD_EV_AGENT_LOGOUT &&
        in->kind != ACD_EV_AGENT_READY && in->kind != ACD_EV_AGENT_PAUSE)
        abort();
    if (in->reason)
        fuzz_check_text(in->reason, ACD_REASON_MAX, false);
    if (in->kind == ACD_EV_AGENT_PAUSE && !in->reason)
        abort(); /* a pause always says why */
    if (in->pause_choice < 0 || in->pause_choice > 9 ||
        (in->pause_choice && in->kind != ACD_EV_AGENT_PAUSE))
        abort();
}

static void s_check_move(json_t *args)
{
    acd_move_args_t in;
    char err[256];
    if (acd_args_move(args, &in, err, sizeof err) != 0)
        return;
    fuzz_check_text(in.call_id, ACD_ID_MAX, false);
    if (in.queue)
        fuzz_check_text(in.queue, ACD_NAME_MAX, false);
    if (in.priority < -1 || in.priority > ACD_PRIORITY_MAX || (!in.queue && in.priority < 0))
        abort();
}

static void s_check_callback(json_t *args)
{
    acd_callback_args_t in;
    char err[256];
    if (acd_args_callback(args, &in, err, sizeof err) != 0)
        return;
    fuzz_check_text(in.queue, ACD_NAME_MAX, false);
    fuzz_check_text(in.number, ACD_CALLBACK_NUMBER_MAX + 1, false);
    if (strspn(in.number, "0123456789*#+") != strlen(in.number))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *cmd;
    json_t *args = fuzz_command_args(data, size, s_cmds, sizeof s_cmds / sizeof s_cmds[0], &cmd);
    if (!args)
        return 0;
    char err[256];
    acd_agent_args_t agent;
    if (!strcmp(cmd, "queue.enter")) {
        s_check_enter(args);
    } else if (!strcmp(cmd, "agent.feature")) {
        if (acd_args_feature(args, &agent, err, sizeof err) == 0)
            s_check_agent(&agent);
    } else if (!strncmp(cmd, "agent.", 6)) {
        if (acd_args_agent(cmd, args, &agent, err, sizeof err) == 0)
            s_check_agent(&agent);
    } else if (!strcmp(cmd, "queue.move")) {
        s_check_move(args);
    } else {
        s_check_callback(args);
    }
    json_decref(args);
    return 0;
}
