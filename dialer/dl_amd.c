/* dl_amd.c - a campaign's answer to the answering-machine verdict (see dl_amd.h). */
#include "dl_amd.h"

#include <string.h>

int dl_amd_machine_parse(const char *name)
{
    if (name && !strcmp(name, "hangup"))
        return DL_AMD_HANGUP;
    if (name && !strcmp(name, "message"))
        return DL_AMD_MESSAGE;
    return -1;
}

const char *dl_amd_machine_name(dl_amd_machine_t m)
{
    return m == DL_AMD_MESSAGE ? "message" : "hangup";
}

dl_amd_action_t dl_amd_action(const char *result, dl_amd_machine_t policy)
{
    if (!result || strcmp(result, "machine") != 0)
        return DL_AMD_TO_QUEUE;
    return policy == DL_AMD_MESSAGE ? DL_AMD_PLAY_THEN_END : DL_AMD_END;
}
