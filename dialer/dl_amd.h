/* dl_amd.h - what an outbound campaign does with the answering-machine detector's verdict
 * (mediad's media.amd_result): a person or an unsure verdict goes to the campaign's queue
 * as any answered call does; a machine is hung up on, or first hears the campaign's
 * message. The detection itself is mediad's (mediad/md_amd.c). Pure. */
#ifndef DL_AMD_H
#define DL_AMD_H

typedef enum {
    DL_AMD_HANGUP = 0, /* a machine is hung up on */
    DL_AMD_MESSAGE,    /* a machine hears the campaign's prompt, then the call ends */
} dl_amd_machine_t;

typedef enum {
    DL_AMD_TO_QUEUE = 0, /* a person, or unsure: an agent takes it */
    DL_AMD_END,          /* a machine: end the call now (outcome machine) */
    DL_AMD_PLAY_THEN_END /* a machine: play the message, then end (outcome machine) */
} dl_amd_action_t;

/* "hangup" or "message": the policy, else -1. */
int dl_amd_machine_parse(const char *name);
const char *dl_amd_machine_name(dl_amd_machine_t m);

/* The action for a verdict ("human", "machine", "unsure"; anything else, NULL included,
 * is treated as unsure: when in doubt, never hang up on a person). */
dl_amd_action_t dl_amd_action(const char *result, dl_amd_machine_t policy);

#endif
