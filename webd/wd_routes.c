/* wd_routes.c - THE route table of webd: every path, the roles that may use it, whether it
 * changes state (CSRF), the scope checks against the principal's queues, the fields it
 * accepts and the audit action it records. wd_http.c enforces all of it before a handler
 * runs (wd_route.h); handlers never look at roles. docs/API.md describes the same routes. */
#include "wd_app.h"

#define F_END                                                                                      \
    {                                                                                              \
        NULL, 0, false, 0, 0, 0, NULL                                                              \
    }

static const char *const s_states[] = {"ready", "pause", "logout", "login", NULL};
static const char *const s_modes[] = {"listen", "whisper", "barge", NULL};

static const wd_field_t s_login[] = {{"name", WD_F_STRING, true, 1, 64, WD_CS_USER, NULL},
                                     {"password", WD_F_STRING, true, 1, 256, WD_CS_TEXT, NULL},
                                     F_END};
static const wd_field_t s_none[] = {F_END};
/* POST /api/campaigns: types and sizes here, every rule of a campaign in dl_campaign.c */
static const wd_field_t s_campaign_add[] = {
    {"name", WD_F_STRING, true, 1, 63, WD_CS_NAME, NULL},
    {"queue", WD_F_STRING, true, 1, 63, WD_CS_NAME, NULL},
    {"caller_id", WD_F_STRING, true, 1, 31, WD_CS_TEXT, NULL},
    {"mode", WD_F_STRING, false, 1, 16, WD_CS_NAME, NULL},
    {"trunk", WD_F_STRING, false, 1, 63, WD_CS_NAME, NULL},
    {"hours", WD_F_LIST, false, 1, 63, WD_CS_TEXT, NULL},
    {"time_zone", WD_F_STRING, false, 1, 64, WD_CS_TEXT, NULL},
    {"tz_rule", WD_F_STRING, false, 1, 16, WD_CS_NAME, NULL},
    {"abandon_cap", WD_F_NUMBER, false, 0, 0, 0, NULL},
    {"ring", WD_F_NUMBER, false, 0, 0, 0, NULL},
    {"max_attempts", WD_F_NUMBER, false, 0, 0, 0, NULL},
    {"max_ratio", WD_F_NUMBER, false, 0, 0, 0, NULL},
    {"retries", WD_F_LIST, false, 1, 63, WD_CS_TEXT, NULL},
    {"dispositions", WD_F_LIST, false, 1, 159, WD_CS_TEXT, NULL},
    {"abandon_prompt", WD_F_STRING, false, 1, 100, WD_CS_TEXT, NULL},
    {"amd", WD_F_STRING, false, 1, 16, WD_CS_NAME, NULL},
    {"amd_prompt", WD_F_STRING, false, 1, 100, WD_CS_TEXT, NULL},
    F_END};
static const wd_field_t s_stream[] = {
    {"last_event_id", WD_F_STRING, false, 1, 96, WD_CS_TEXT, NULL}, F_END};
static const wd_field_t s_agent_state[] = {
    {"state", WD_F_STRING, true, 1, 16, WD_CS_NAME, s_states},
    {"reason", WD_F_STRING, false, 1, 31, WD_CS_NAME, NULL},
    F_END};
static const wd_field_t s_calls[] = {{"queue", WD_F_STRING, false, 1, 63, WD_CS_NAME, NULL}, F_END};
static const wd_field_t s_move[] = {{"queue", WD_F_STRING, false, 1, 63, WD_CS_NAME, NULL},
                                    {"priority", WD_F_INT, false, 0, 100, 0, NULL},
                                    F_END};
static const wd_field_t s_callback[] = {{"queue", WD_F_STRING, true, 1, 63, WD_CS_NAME, NULL},
                                        {"number", WD_F_STRING, true, 1, 31, WD_CS_NUMBER, NULL},
                                        F_END};
static const wd_field_t s_originate[] = {{"agent", WD_F_STRING, true, 2, 15, WD_CS_DIGITS, NULL},
                                         {"number", WD_F_STRING, true, 1, 31, WD_CS_NUMBER, NULL},
                                         F_END};
static const wd_field_t s_monitor[] = {{"mode", WD_F_STRING, true, 1, 16, WD_CS_NAME, s_modes},
                                       F_END};
static const char *const s_my_states[] = {"ready", "pause", "logout", "login", NULL};
static const wd_field_t s_me_state[] = {
    {"state", WD_F_STRING, true, 1, 16, WD_CS_NAME, s_my_states},
    {"reason", WD_F_STRING, false, 1, 31, WD_CS_NAME, NULL},
    F_END};
static const wd_field_t s_me_wrapup[] = {{"call_id", WD_F_STRING, true, 1, 63, WD_CS_TEXT, NULL},
                                         {"code", WD_F_STRING, false, 1, 31, WD_CS_NAME, NULL},
                                         {"notes", WD_F_STRING, false, 0, 2000, WD_CS_NOTES, NULL},
                                         F_END};
static const char *const s_rec_actions[] = {"pause", "resume", NULL};
static const wd_field_t s_me_recording[] = {
    {"action", WD_F_STRING, true, 1, 8, WD_CS_NAME, s_rec_actions}, F_END};
static const wd_field_t s_me_recordings[] = {{"limit", WD_F_INT, false, 1, 200, 0, NULL}, F_END};
static const wd_field_t s_audio[] = {{"download", WD_F_BOOL, false, 0, 0, 0, NULL}, F_END};
static const wd_field_t s_me_dial[] = {{"number", WD_F_STRING, true, 1, 31, WD_CS_NUMBER, NULL},
                                       F_END};
static const wd_field_t s_me_call[] = {{"call_id", WD_F_STRING, false, 1, 63, WD_CS_TEXT, NULL},
                                       F_END};
static const wd_field_t s_me_call_to[] = {{"call_id", WD_F_STRING, false, 1, 63, WD_CS_TEXT, NULL},
                                          {"target", WD_F_STRING, true, 1, 31, WD_CS_NUMBER, NULL},
                                          F_END};
static const wd_field_t s_call_to[] = {{"target", WD_F_STRING, true, 1, 31, WD_CS_NUMBER, NULL},
                                       F_END};
static const wd_field_t s_me_preview[] = {{"campaign", WD_F_STRING, false, 1, 63, WD_CS_NAME, NULL},
                                          F_END};
static const wd_field_t s_me_lead[] = {{"lead_id", WD_F_INT, true, 1, 9007199254740991L, 0, NULL},
                                       F_END};
static const wd_field_t s_figures[] = {{"day", WD_F_TIME, true, 10, 10, 0, NULL}, F_END};
static const wd_field_t s_cdrs[] = {{"from", WD_F_TIME, false, 0, 0, 0, NULL},
                                    {"to", WD_F_TIME, false, 0, 0, 0, NULL},
                                    {"number", WD_F_STRING, false, 1, 31, WD_CS_NUMBER, NULL},
                                    {"agent", WD_F_STRING, false, 2, 15, WD_CS_DIGITS, NULL},
                                    {"queue", WD_F_STRING, false, 1, 63, WD_CS_NAME, NULL},
                                    {"disposition", WD_F_STRING, false, 1, 31, WD_CS_NAME, NULL},
                                    {"limit", WD_F_INT, false, 1, 1000, 0, NULL},
                                    F_END};
static const wd_field_t s_recordings[] = {
    {"from", WD_F_TIME, false, 0, 0, 0, NULL},
    {"to", WD_F_TIME, false, 0, 0, 0, NULL},
    {"number", WD_F_STRING, false, 1, 31, WD_CS_NUMBER, NULL},
    {"agent", WD_F_STRING, false, 2, 15, WD_CS_DIGITS, NULL},
    {"queue", WD_F_STRING, false, 1, 63, WD_CS_NAME, NULL},
    {"limit", WD_F_INT, false, 1, 1000, 0, NULL},
    {"disposition", WD_F_STRING, false, 1, 31, WD_CS_NAME, NULL},
    F_END};
static const wd_field_t s_audit[] = {{"actor", WD_F_STRING, false, 1, 80, WD_CS_TEXT, NULL},
                                     {"limit", WD_F_INT, false, 1, 1000, 0, NULL},
                                     F_END};

#define STAFF WD_ROLES_STAFF
#define ANY WD_ROLES_ANY
#define ADMIN WD_ROLE_ADMIN
#define AGENT WD_ROLE_AGENT

static const wd_route_t s_routes[] = {
    /* pages */
    {"GET", "/", 0, 0, 0, s_none, NULL, wd_h_root},
    {"GET", "/login", 0, 0, 0, s_none, NULL, wd_h_page},
    {"GET", "/wallboard", STAFF, WD_R_PAGE, 0, s_none, NULL, wd_h_page},
    {"GET", "/static/*", 0, 0, 0, s_none, NULL, wd_h_static},
    {"GET", "/agent", AGENT, WD_R_PAGE, 0, s_none, NULL, wd_h_page},
    {"GET", "/recordings", STAFF, WD_R_PAGE, 0, s_none, NULL, wd_h_page},
    {"GET", "/campaigns", STAFF, WD_R_PAGE, 0, s_none, NULL, wd_h_page},
    /* sessions */
    {"GET", "/api/csrf", 0, 0, 0, s_none, NULL, wd_h_csrf},
    {"POST", "/api/login", 0, WD_R_LOGIN, 0, s_login, "login", wd_h_login},
    {"POST", "/api/logout", ANY, WD_R_CSRF, 0, s_none, "logout", wd_h_logout},
    {"GET", "/api/session", ANY, 0, 0, s_none, NULL, wd_h_session},
    /* the wallboard */
    {"GET", "/api/stream", ANY, WD_R_STREAM, 0, s_stream, NULL, wd_h_stream},
    {"GET", "/api/board", STAFF, 0, 0, s_none, NULL, wd_h_board},
    {"GET", "/api/queues", STAFF, 0, 0, s_none, NULL, wd_h_queues},
    {"GET", "/api/queues/{queue}", STAFF, 0, WD_SCOPE_QUEUE, s_none, NULL, wd_h_queue},
    {"GET", "/api/queues/{queue}/figures", STAFF, 0, WD_SCOPE_QUEUE, s_figures, NULL, wd_h_figures},
    {"GET", "/api/agents", STAFF, 0, 0, s_none, NULL, wd_h_agents},
    {"GET", "/api/calls", STAFF, 0, WD_SCOPE_BODY_QUEUE, s_calls, NULL, wd_h_calls},
    {"GET", "/api/abandoned", STAFF, 0, 0, s_none, NULL, wd_h_abandoned},
    {"GET", "/api/alerts", STAFF, 0, 0, s_none, NULL, wd_h_alerts},
    /* the console */
    {"POST", "/api/agents/{ext}/state", STAFF, WD_R_CSRF, WD_SCOPE_AGENT, s_agent_state,
     "agent.state", wd_h_agent_state},
    {"POST", "/api/calls/{call_id}/hangup", STAFF, WD_R_CSRF, WD_SCOPE_CALL, s_none, "call.hangup",
     wd_h_hangup},
    /* for the agent a call of my queues talks with (sipproxy: as that agent could) */
    {"POST", "/api/calls/{call_id}/hold", STAFF, WD_R_CSRF, WD_SCOPE_CALL, s_none, "call.hold",
     wd_h_call_hold},
    {"POST", "/api/calls/{call_id}/resume", STAFF, WD_R_CSRF, WD_SCOPE_CALL, s_none, "call.resume",
     wd_h_call_resume},
    {"POST", "/api/calls/{call_id}/transfer", STAFF, WD_R_CSRF, WD_SCOPE_CALL, s_call_to,
     "call.transfer", wd_h_call_transfer},
    {"POST", "/api/calls/{call_id}/move", STAFF, WD_R_CSRF, WD_SCOPE_CALL | WD_SCOPE_BODY_QUEUE,
     s_move, "call.move", wd_h_move},
    {"POST", "/api/callbacks", STAFF, WD_R_CSRF, WD_SCOPE_BODY_QUEUE, s_callback, "callback",
     wd_h_callback},
    {"POST", "/api/originate", STAFF, WD_R_CSRF, WD_SCOPE_BODY_AGENT, s_originate, "originate",
     wd_h_originate},
    {"POST", "/api/agents/{ext}/monitor", STAFF, WD_R_CSRF, WD_SCOPE_AGENT, s_monitor, "monitor",
     wd_h_monitor},
    /* the agent desktop: an agent acts on itself only (its extension, its own calls) */
    {"GET", "/api/me", AGENT, 0, 0, s_none, NULL, wd_h_me},
    {"POST", "/api/me/state", AGENT, WD_R_CSRF, 0, s_me_state, "me.state", wd_h_me_state},
    {"GET", "/api/me/pop", AGENT, 0, 0, s_none, NULL, wd_h_me_pop},
    {"POST", "/api/me/wrapup", AGENT, WD_R_CSRF, 0, s_me_wrapup, "me.wrapup", wd_h_me_wrapup},
    {"POST", "/api/me/hangup", AGENT, WD_R_CSRF, 0, s_me_call, "me.hangup", wd_h_me_hangup},
    {"POST", "/api/me/recording", AGENT, WD_R_CSRF, 0, s_me_recording, "me.recording",
     wd_h_me_recording},
    {"POST", "/api/me/dial", AGENT, WD_R_CSRF, 0, s_me_dial, "me.dial", wd_h_me_dial},
    /* call controls on my own call (sipproxy checks I am a party of it) */
    {"POST", "/api/me/hold", AGENT, WD_R_CSRF, 0, s_me_call, "me.hold", wd_h_me_hold},
    {"POST", "/api/me/resume", AGENT, WD_R_CSRF, 0, s_me_call, "me.resume", wd_h_me_resume},
    {"POST", "/api/me/transfer", AGENT, WD_R_CSRF, 0, s_me_call_to, "me.transfer",
     wd_h_me_transfer},
    {"POST", "/api/me/consult", AGENT, WD_R_CSRF, 0, s_me_call_to, "me.consult", wd_h_me_consult},
    {"POST", "/api/me/consult/complete", AGENT, WD_R_CSRF, 0, s_me_call, "me.consult_complete",
     wd_h_me_consult_complete},
    {"POST", "/api/me/consult/cancel", AGENT, WD_R_CSRF, 0, s_me_call, "me.consult_cancel",
     wd_h_me_consult_cancel},
    /* preview campaigns I serve: my next lead, dial it (my phone first) or skip it */
    {"GET", "/api/me/preview", AGENT, 0, 0, s_me_preview, NULL, wd_h_me_preview},
    {"POST", "/api/me/preview/dial", AGENT, WD_R_CSRF, 0, s_me_lead, "me.preview_dial",
     wd_h_me_preview_dial},
    {"POST", "/api/me/preview/skip", AGENT, WD_R_CSRF, 0, s_me_lead, "me.preview_skip",
     wd_h_me_preview_skip},
    {"GET", "/api/me/today", AGENT, 0, 0, s_none, NULL, wd_h_me_today},
    {"GET", "/api/me/recordings", AGENT, 0, 0, s_me_recordings, NULL, wd_h_me_recordings},
    /* a recording's audio: an agent its own calls', a supervisor its queues' (every fetch is
     * audited) */
    {"GET", "/api/recordings/{id}/audio", ANY, 0, 0, s_audio, "recording.listen",
     wd_h_recording_audio},
    /* outbound campaigns of my queues (dialerd) */
    {"GET", "/api/campaigns", STAFF, 0, 0, s_none, NULL, wd_h_campaigns},
    {"POST", "/api/campaigns", STAFF, WD_R_CSRF, WD_SCOPE_BODY_QUEUE, s_campaign_add,
     "campaign.add", wd_h_campaign_add},
    {"GET", "/api/campaigns/{campaign}/stats", STAFF, 0, 0, s_none, NULL, wd_h_campaign_stats},
    {"POST", "/api/campaigns/{campaign}/start", STAFF, WD_R_CSRF, 0, s_none, "campaign.start",
     wd_h_campaign_state},
    {"POST", "/api/campaigns/{campaign}/pause", STAFF, WD_R_CSRF, 0, s_none, "campaign.pause",
     wd_h_campaign_state},
    /* history */
    {"GET", "/api/cdrs", STAFF, 0, WD_SCOPE_BODY_QUEUE, s_cdrs, NULL, wd_h_cdrs},
    {"GET", "/api/recordings", STAFF, 0, WD_SCOPE_BODY_QUEUE, s_recordings, NULL, wd_h_recordings},
    {"GET", "/api/audit", ADMIN, 0, 0, s_audit, NULL, wd_h_audit},
};

const wd_route_t *wd_routes(size_t *count)
{
    *count = sizeof s_routes / sizeof s_routes[0];
    return s_routes;
}
