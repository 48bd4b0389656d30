/* dl_amd_test.c - unit tests of a campaign's answer to the machine detector's verdict. */
#include "cc_test.h"
#include "dl_amd.h"

CC_TEST(dl_amd_policy_names)
{
    CC_CHECK_INT(dl_amd_machine_parse("hangup"), DL_AMD_HANGUP);
    CC_CHECK_INT(dl_amd_machine_parse("message"), DL_AMD_MESSAGE);
    CC_CHECK_INT(dl_amd_machine_parse("voicemail"), -1);
    CC_CHECK_INT(dl_amd_machine_parse(""), -1);
    CC_CHECK_INT(dl_amd_machine_parse(NULL), -1);
    CC_CHECK_STR(dl_amd_machine_name(DL_AMD_HANGUP), "hangup");
    CC_CHECK_STR(dl_amd_machine_name(DL_AMD_MESSAGE), "message");
}

CC_TEST(dl_amd_person_and_doubt_go_to_agents)
{
    CC_CHECK_INT(dl_amd_action("human", DL_AMD_HANGUP), DL_AMD_TO_QUEUE);
    CC_CHECK_INT(dl_amd_action("unsure", DL_AMD_HANGUP), DL_AMD_TO_QUEUE);
    CC_CHECK_INT(dl_amd_action("human", DL_AMD_MESSAGE), DL_AMD_TO_QUEUE);
    CC_CHECK_INT(dl_amd_action(NULL, DL_AMD_HANGUP), DL_AMD_TO_QUEUE);
    CC_CHECK_INT(dl_amd_action("Machine", DL_AMD_HANGUP), DL_AMD_TO_QUEUE);
}

CC_TEST(dl_amd_machines_per_policy)
{
    CC_CHECK_INT(dl_amd_action("machine", DL_AMD_HANGUP), DL_AMD_END);
    CC_CHECK_INT(dl_amd_action("machine", DL_AMD_MESSAGE), DL_AMD_PLAY_THEN_END);
}
