/* sp_callstate_test.c - call state transitions and outcome mapping. */
#include "cc_test.h"
#include "sp_callstate.h"

CC_TEST(call_normal_life)
{
    int s = SP_CALL_MEDIA;
    s = sp_call_next((sp_call_state_t)s, SP_EV_MEDIA_READY);
    CC_CHECK_INT(s, SP_CALL_CALLING);
    s = sp_call_next((sp_call_state_t)s, SP_EV_RINGING);
    CC_CHECK_INT(s, SP_CALL_RINGING);
    s = sp_call_next((sp_call_state_t)s, SP_EV_RINGING);
    CC_CHECK_INT(s, SP_CALL_RINGING);
    s = sp_call_next((sp_call_state_t)s, SP_EV_ANSWER);
    CC_CHECK_INT(s, SP_CALL_ANSWERED);
    s = sp_call_next((sp_call_state_t)s, SP_EV_END);
    CC_CHECK_INT(s, SP_CALL_ENDING);
    CC_CHECK_INT(sp_call_next((sp_call_state_t)s, SP_EV_END), -1); /* ends once */
    s = sp_call_next((sp_call_state_t)s, SP_EV_STATS_DONE);
    CC_CHECK_INT(s, SP_CALL_ENDED);
}

CC_TEST(call_invalid_transitions)
{
    CC_CHECK_INT(sp_call_next(SP_CALL_MEDIA, SP_EV_ANSWER), -1);
    CC_CHECK_INT(sp_call_next(SP_CALL_ANSWERED, SP_EV_RINGING), -1);
    CC_CHECK_INT(sp_call_next(SP_CALL_ANSWERED, SP_EV_ANSWER), -1);
    CC_CHECK_INT(sp_call_next(SP_CALL_ENDED, SP_EV_END), -1);
    CC_CHECK_INT(sp_call_next(SP_CALL_CALLING, SP_EV_MEDIA_READY), -1);
    CC_CHECK_STR(sp_call_state_name(SP_CALL_RINGING), "ringing");
}

CC_TEST(call_outcomes)
{
    sp_outcome_t o = sp_call_outcome(SP_CALL_ANSWERED, SP_END_CALLER_BYE, 0);
    CC_CHECK_STR(o.disposition, "answered");
    CC_CHECK_STR(o.hangup_side, "caller");
    CC_CHECK_INT(o.sip_code, 200);
    o = sp_call_outcome(SP_CALL_ANSWERED, SP_END_CALLEE_BYE, 0);
    CC_CHECK_STR(o.hangup_side, "callee");
    o = sp_call_outcome(SP_CALL_RINGING, SP_END_CALLEE_REJECT, 486);
    CC_CHECK_STR(o.disposition, "busy");
    CC_CHECK_INT(o.caller_response, 486);
    o = sp_call_outcome(SP_CALL_RINGING, SP_END_CALLEE_REJECT, 603);
    CC_CHECK_STR(o.disposition, "declined");
    CC_CHECK_INT(o.caller_response, 603);
    o = sp_call_outcome(SP_CALL_RINGING, SP_END_RING_TIMEOUT, 0);
    CC_CHECK_STR(o.disposition, "no_answer");
    CC_CHECK_INT(o.caller_response, 480);
    CC_CHECK_STR(o.hangup_side, "system");
    o = sp_call_outcome(SP_CALL_RINGING, SP_END_CALLER_CANCEL, 0);
    CC_CHECK_STR(o.disposition, "cancelled");
    CC_CHECK_STR(o.hangup_side, "caller");
    o = sp_call_outcome(SP_CALL_MEDIA, SP_END_NOT_FOUND, 0);
    CC_CHECK_INT(o.caller_response, 404);
    CC_CHECK_STR(o.disposition, "not_found");
    o = sp_call_outcome(SP_CALL_MEDIA, SP_END_UNAVAILABLE, 0);
    CC_CHECK_INT(o.caller_response, 480);
    CC_CHECK_STR(o.disposition, "unavailable");
    o = sp_call_outcome(SP_CALL_MEDIA, SP_END_NO_CODEC, 0);
    CC_CHECK_INT(o.caller_response, 488);
    o = sp_call_outcome(SP_CALL_ANSWERED, SP_END_MEDIA_TIMEOUT, 0);
    CC_CHECK_STR(o.disposition, "media_timeout");
    o = sp_call_outcome(SP_CALL_CALLING, SP_END_CALLEE_REJECT, 408);
    CC_CHECK_STR(o.disposition, "unavailable");
    CC_CHECK_INT(o.caller_response, 480);
}

CC_TEST(fork_rank_prefers_6xx_then_busy)
{
    CC_CHECK(sp_fork_rank(603) > sp_fork_rank(486));
    CC_CHECK(sp_fork_rank(486) > sp_fork_rank(404));
    CC_CHECK(sp_fork_rank(404) > sp_fork_rank(480));
    CC_CHECK(sp_fork_rank(500) > sp_fork_rank(408));
}

CC_TEST(connect_results_and_controller_endings)
{
    CC_CHECK_STR(sp_connect_result(486), "busy");
    CC_CHECK_STR(sp_connect_result(480), "unavailable");
    CC_CHECK_STR(sp_connect_result(408), "no_answer");
    CC_CHECK_STR(sp_connect_result(487), "cancelled");
    CC_CHECK_STR(sp_connect_result(404), "not_found");
    CC_CHECK_STR(sp_connect_result(500), "failed");
    sp_outcome_t o = sp_call_outcome(SP_CALL_CALLING, SP_END_CONTROLLER_FAILED, 0);
    CC_CHECK_STR(o.disposition, "failed");
    CC_CHECK_INT(o.caller_response, 503);
    o = sp_call_outcome(SP_CALL_ANSWERED, SP_END_CONTROLLER_HANGUP, 0);
    CC_CHECK_STR(o.disposition, "answered");
    CC_CHECK_STR(o.hangup_side, "system");
    o = sp_call_outcome(SP_CALL_CALLING, SP_END_CONTROLLER_HANGUP, 486);
    CC_CHECK_STR(o.disposition, "busy");
    CC_CHECK_INT(o.caller_response, 486);
}

CC_TEST(callstate_media_lost_after_a_mediad_restart)
{
    sp_outcome_t o = sp_call_outcome(SP_CALL_ANSWERED, SP_END_MEDIA_LOST, 0);
    CC_CHECK_STR(o.disposition, "interrupted");
    CC_CHECK_STR(o.hangup_side, "system");
    CC_CHECK_INT(o.sip_code, 200);
    CC_CHECK(strstr(o.reason, "restored") != NULL);
    o = sp_call_outcome(SP_CALL_RINGING, SP_END_MEDIA_LOST, 0);
    CC_CHECK_STR(o.disposition, "interrupted");
    CC_CHECK_INT(o.caller_response, 503);
}

CC_TEST(callstate_a_daemon_down_interrupts_the_call)
{
    sp_outcome_t o = sp_call_outcome(SP_CALL_MEDIA, SP_END_MEDIA_DOWN, 0);
    CC_CHECK_STR(o.disposition, "interrupted");
    CC_CHECK_STR(o.hangup_side, "system");
    CC_CHECK_INT(o.caller_response, 503);
    o = sp_call_outcome(SP_CALL_MEDIA, SP_END_MEDIA_FAILED, 0);
    CC_CHECK_STR(o.disposition, "failed");
    o = sp_call_outcome(SP_CALL_CALLING, SP_END_CONTROLLER_DOWN, 0);
    CC_CHECK_STR(o.disposition, "interrupted");
    CC_CHECK_INT(o.caller_response, 503);
}

CC_TEST(callstate_screened_calls_end_blocked)
{
    sp_outcome_t o = sp_call_outcome(SP_CALL_MEDIA, SP_END_SCREENED, 486);
    CC_CHECK_STR(o.disposition, "blocked");
    CC_CHECK_STR(o.hangup_side, "system");
    CC_CHECK_INT(o.caller_response, 486);
    o = sp_call_outcome(SP_CALL_CALLING, SP_END_SCREENED, 403);
    CC_CHECK_STR(o.disposition, "blocked");
    CC_CHECK_INT(o.caller_response, 403);
    CC_CHECK_INT(o.sip_code, 403);
}
