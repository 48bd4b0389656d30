/* acd_args.c - decoding and checking acdd's command arguments (see acd_args.h). */
#include "acd_args.h"

#include <stdio.h>
#include <string.h>

#include "cc_args.h"

int acd_args_enter(json_t *args, acd_enter_args_t *out, char *err, size_t len)
{
    memset(out, 0, sizeof *out);
    json_int_t endpoint = 0, priority = 0, level = 0;
    if (cc_args_text(args, "call_id", true, ACD_ID_MAX, &out->call_id, err, len) < 0 ||
        cc_args_text(args, "queue", true, ACD_NAME_MAX, &out->queue, err, len) < 0 ||
        cc_args_text(args, "skill", false, ACD_NAME_MAX, &out->skill, err, len) < 0 ||
        cc_args_int(args, "endpoint_id", true, 0, INT32_MAX, &endpoint, err, len) < 0 ||
        cc_args_int(args, "priority", false, 0, ACD_PRIORITY_MAX, &priority, err, len) < 0 ||
        cc_args_int(args, "skill_level", false, 0, ACD_LEVEL_MAX, &level, err, len) < 0)
        return -1;
    const char *caller = json_string_value(json_object_get(args, "caller"));
    out->caller = caller ? caller : "";
    out->endpoint_id = endpoint;
    out->priority = (int)priority;
    out->skill_level = (int)level;
    if (out->skill && !*out->skill)
        out->skill = NULL; /* no skill of its own: the queue's */
    json_t *vars = json_object_get(args, "variables");
    out->variables = json_is_object(vars) && json_object_size(vars) > 0 ? vars : NULL;
    out->answered = json_is_true(json_object_get(args, "answered"));
    out->return_to_ivr = json_is_true(json_object_get(args, "return_to_ivr"));
    return 0;
}

static int s_agent_common(json_t *args, acd_agent_args_t *out, char *err, size_t len)
{
    return cc_args_text(args, "ext", true, ACD_EXT_MAX, &out->ext, err, len);
}

int acd_args_agent(const char *cmd, json_t *args, acd_agent_args_t *out, char *err, size_t len)
{
    memset(out, 0, sizeof *out);
    if (!cmd || strncmp(cmd, "agent.", 6) != 0) {
        snprintf(err, len, "not an agent command");
        return -1;
    }
    const char *verb = cmd + 6;
    if (!strcmp(verb, "login")) {
        out->kind = ACD_EV_AGENT_LOGIN;
    } else if (!strcmp(verb, "logout")) {
        out->kind = ACD_EV_AGENT_LOGOUT;
    } else if (!strcmp(verb, "ready")) {
        out->kind = ACD_EV_AGENT_READY;
    } else if (!strcmp(verb, "pause")) {
        out->kind = ACD_EV_AGENT_PAUSE;
    } else {
        snprintf(err, len, "not an agent command");
        return -1;
    }
    if (s_agent_common(args, out, err, len) < 0)
        return -1;
    if (out->kind != ACD_EV_AGENT_READY &&
        cc_args_text(args, "reason", false, ACD_REASON_MAX, &out->reason, err, len) < 0)
        return -1;
    if (out->reason && !*out->reason)
        out->reason = NULL; /* login: ready; logout: no reason; pause: the default below */
    if (out->kind == ACD_EV_AGENT_PAUSE && !out->reason)
        out->reason = "pause";
    return 0;
}

int acd_args_feature(json_t *args, acd_agent_args_t *out, char *err, size_t len)
{
    memset(out, 0, sizeof *out);
    if (s_agent_common(args, out, err, len) < 0)
        return -1;
    const char *code = json_string_value(json_object_get(args, "code"));
    const char *digits = json_string_value(json_object_get(args, "digits"));
    if (code && code[0] == '*')
        code++;
    if (code && !strcmp(code, "45")) {
        out->kind = ACD_EV_AGENT_LOGIN;
    } else if (code && !strcmp(code, "46")) {
        out->kind = ACD_EV_AGENT_LOGOUT;
    } else if (code && !strcmp(code, "48")) {
        out->kind = ACD_EV_AGENT_READY;
    } else if (code && !strcmp(code, "47")) {
        out->kind = ACD_EV_AGENT_PAUSE;
        out->reason = "pause";
        if (digits && digits[0] >= '1' && digits[0] <= '9')
            out->pause_choice = digits[0] - '0';
    } else {
        /* the code is echoed in the message: keep it short */
        snprintf(err, len, "unknown feature code '%.16s'", code ? code : "");
        return -1;
    }
    return 0;
}

int acd_args_move(json_t *args, acd_move_args_t *out, char *err, size_t len)
{
    memset(out, 0, sizeof *out);
    json_int_t priority = -1;
    if (cc_args_text(args, "call_id", true, ACD_ID_MAX, &out->call_id, err, len) < 0 ||
        cc_args_text(args, "queue", false, ACD_NAME_MAX, &out->queue, err, len) < 0 ||
        cc_args_int(args, "priority", false, 0, ACD_PRIORITY_MAX, &priority, err, len) < 0)
        return -1;
    if (out->queue && !*out->queue) {
        snprintf(err, len, "queue must not be empty");
        return -1;
    }
    out->priority = (int)priority;
    if (!out->queue && out->priority < 0) {
        snprintf(err, len, "give queue, priority or both");
        return -1;
    }
    return 0;
}

static bool s_number_ok(const char *n)
{
    for (; *n; n++)
        if ((*n < '0' || *n > '9') && *n != '*' && *n != '#' && *n != '+')
            return false;
    return true;
}

int acd_args_callback(json_t *args, acd_callback_args_t *out, char *err, size_t len)
{
    memset(out, 0, sizeof *out);
    if (cc_args_text(args, "queue", true, ACD_NAME_MAX, &out->queue, err, len) < 0)
        return -1;
    if (cc_args_text(args, "number", true, ACD_CALLBACK_NUMBER_MAX + 1, &out->number, err, len) <
            0 ||
        !s_number_ok(out->number)) {
        snprintf(err, len, "number: 1-%d of 0-9 * # +", ACD_CALLBACK_NUMBER_MAX);
        return -1;
    }
    return 0;
}
