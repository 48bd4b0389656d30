/* fuzz_command.h - the input of a command-decoder target (fuzz_acd_commands,
 * fuzz_ivr_commands, fuzz_rec_commands): its first byte picks one of the target's commands,
 * counted from '0' so that seeds written as text start with the command's digit; the rest
 * is the command's JSON arguments, NULs allowed (a string with one inside must not pass as
 * a shorter id). Only arguments the bus catalogue accepts (cc_events_check, what the bus
 * does before any handler runs) go on to the daemon's decoder. */
#ifndef FUZZ_COMMAND_H
#define FUZZ_COMMAND_H

#include <jansson.h>

#include "cc_events.h"
#include "fuzz_input.h"

/* The arguments (the caller decrefs them) and *cmd, or NULL when the input picks no
 * command or the catalogue refuses its arguments. */
static inline json_t *fuzz_command_args(const uint8_t *data, size_t size, const char *const *cmds,
                                        size_t ncmds, const char **cmd)
{
    if (size < 1)
        return NULL;
    *cmd = cmds[(uint8_t)(data[0] - '0') % ncmds];
    char *text = fuzz_text(data + 1, size - 1);
    if (!text)
        return NULL;
    json_t *args = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    free(text);
    char err[256];
    if (!json_is_object(args) || cc_events_check(CC_PART_ARG, *cmd, args, err, sizeof err) != 0) {
        json_decref(args);
        return NULL;
    }
    return args;
}

/* A string the handler copies into a buffer of size bytes: present, not empty (unless
 * may_be_empty) and short enough to fit whole; abort() otherwise. */
static inline void fuzz_check_text(const char *s, size_t size, bool may_be_empty)
{
    if (!s || (!may_be_empty && !*s) || strlen(s) >= size)
        abort();
}

#endif
