/* sp_callstate.c - call state transitions and end-cause mapping (see sp_callstate.h). */
#include "sp_callstate.h"

int sp_call_next(sp_call_state_t state, sp_call_event_t ev)
{
    switch (ev) {
    case SP_EV_MEDIA_READY:
        return state == SP_CALL_MEDIA ? SP_CALL_CALLING : -1;
    case SP_EV_RINGING:
        return state == SP_CALL_CALLING || state == SP_CALL_RINGING ? SP_CALL_RINGING : -1;
    case SP_EV_ANSWER:
        return state == SP_CALL_CALLING || state == SP_CALL_RINGING ? SP_CALL_ANSWERED : -1;
    case SP_EV_END:
        return state < SP_CALL_ENDING ? SP_CALL_ENDING : -1;
    case SP_EV_STATS_DONE:
        return state == SP_CALL_ENDING ? SP_CALL_ENDED : -1;
    }
    return -1;
}

static sp_outcome_t s_out(const char *disp, const char *side, int code, int resp,
                          const char *reason)
{
    return (sp_outcome_t){disp, side, code, resp, reason};
}

sp_outcome_t sp_call_outcome(sp_call_state_t state, sp_end_cause_t cause, int code)
{
    bool answered = state == SP_CALL_ANSWERED;
    switch (cause) {
    case SP_END_CALLER_BYE:
        if (answered)
            return s_out("answered", "caller", 200, 0, "caller hung up");
        return s_out("cancelled", "caller", 487, 0, "caller hung up before answer");
    case SP_END_CALLEE_BYE:
        if (answered)
            return s_out("answered", "callee", 200, 0, "callee hung up");
        return s_out("failed", "callee", 500, 500, "callee ended before answer");
    case SP_END_CALLER_CANCEL:
        return s_out("cancelled", "caller", 487, 487, "caller cancelled");
    case SP_END_CALLEE_REJECT:
        if (code == 486 || code == 600)
            return s_out("busy", "callee", code, 486, "callee busy");
        if (code == 603)
            return s_out("declined", "callee", 603, 603, "callee declined");
        if (code == 480 || code == 408 || code == 404 || code == 410)
            return s_out("unavailable", "callee", code, 480, "callee unavailable");
        if (code == 488 || code == 606)
            return s_out("failed", "callee", code, 488, "callee refused the media");
        return s_out("failed", "callee", code, code >= 300 && code < 700 ? code : 500,
                     "callee failed");
    case SP_END_RING_TIMEOUT:
        return s_out("no_answer", "system", 480, 480, "ring timeout");
    case SP_END_NOT_FOUND:
        return s_out("not_found", "system", 404, 404, "no route for the number");
    case SP_END_UNAVAILABLE:
        return s_out("unavailable", "system", 480, 480, "target not registered");
    case SP_END_NO_CODEC:
        return s_out("failed", "system", 488, 488, "no common codec");
    case SP_END_MEDIA_TIMEOUT:
        return s_out(answered ? "media_timeout" : "failed", "system", answered ? 200 : 503, 503,
                     "media timeout");
    case SP_END_MEDIA_FAILED:
        return s_out("failed", "system", 503, 503, "media server unavailable");
    case SP_END_MEDIA_DOWN: /* "interrupted": a daemon's crash cost this call */
        return s_out("interrupted", "system", 503, 503, "media server down or restarting");
    case SP_END_MEDIA_LOST:
        return s_out("interrupted", "system", answered ? 200 : 503, 503,
                     "media server restarted; the call's media could not be restored");
    case SP_END_SHUTDOWN:
        return s_out(answered ? "answered" : "failed", "system", answered ? 200 : 503, 503,
                     "sipproxy shutting down");
    case SP_END_UNSUPPORTED:
        return s_out("failed", "system", 501, 501, "route kind not served yet");
    case SP_END_CONTROLLER_FAILED:
        return s_out("failed", "system", 503, 503, "controller unavailable");
    case SP_END_CONTROLLER_DOWN:
        return s_out("interrupted", "system", 503, 503, "controller did not answer");
    case SP_END_CONTROLLER_HANGUP: {
        if (answered)
            return s_out("answered", "system", 200, 0, "hung up by the controller");
        int resp = code >= 300 && code < 700 ? code : 480;
        const char *disp = resp == 486 || resp == 600   ? "busy"
                           : resp == 603                ? "declined"
                           : resp == 480 || resp == 404 ? "unavailable"
                                                        : "failed";
        return s_out(disp, "system", resp, resp, "hung up by the controller");
    }
    case SP_END_SCREENED: {
        int resp = code == 403 ? 403 : 486;
        return s_out("blocked", "system", resp, resp, "refused by screening");
    }
    }
    return s_out("failed", "system", 500, 500, "unknown");
}

const char *sp_call_state_name(sp_call_state_t state)
{
    static const char *names[] = {"media", "calling", "ringing", "answered", "ending", "ended"};
    return (unsigned)state < sizeof names / sizeof names[0] ? names[state] : "?";
}

int sp_fork_rank(int code)
{
    if (code >= 600)
        return 4;
    if (code == 486)
        return 3;
    if (code == 480 || code == 408)
        return 1;
    return 2;
}

const char *sp_connect_result(int code)
{
    switch (code) {
    case 486:
    case 600:
        return "busy";
    case 603:
        return "declined";
    case 480:
    case 410:
        return "unavailable";
    case 404:
    case 484:
        return "not_found";
    case 408:
        return "no_answer";
    case 487:
        return "cancelled";
    default:
        return code >= 200 && code < 300 ? "answered" : "failed";
    }
}
