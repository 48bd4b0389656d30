/* dl_api.c - campaign.list and campaign.set_state (see dl_api.h). A state change is written
 * to Postgres and the campaigns are read again at once, so dialling starts or stops
 * without waiting for [dialerd] reload_s. */
#include "dl_api.h"

#include <stdlib.h>
#include <string.h>

#include "cc_log.h"

typedef struct dl_api s_api_t;
struct dl_api {
    dl_db_t *db;
    dl_live_t *live;
};

static void s_list(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    (void)args;
    s_api_t *api = arg;
    PGresult *res = dl_db_campaigns(api->db);
    if (!res) {
        cc_bus_reply_error(bus, req, "internal", "reading the campaigns failed");
        return;
    }
    json_t *list = json_array();
    for (int r = 0; r < PQntuples(res); r++) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "name", PQgetvalue(res, r, 0), "mode",
                              PQgetvalue(res, r, 1), "state", PQgetvalue(res, r, 2), "queue",
                              PQgetvalue(res, r, 3), "leads_ready",
                              (json_int_t)strtoll(PQgetvalue(res, r, 4), NULL, 10));
        dl_live_campaign_figures(api->live, PQgetvalue(res, r, 0), o);
        json_array_append_new(list, o);
    }
    PQclear(res);
    cc_bus_reply(bus, req, json_pack("{s:o}", "campaigns", list));
}

static void s_set_state(cc_bus_t *bus, cc_bus_req_t *req, const char *cmd, json_t *args, void *arg)
{
    (void)cmd;
    s_api_t *api = arg;
    const char *name = json_string_value(json_object_get(args, "name"));
    const char *state = json_string_value(json_object_get(args, "state"));
    if (strcmp(state, "running") && strcmp(state, "paused") && strcmp(state, "finished")) {
        cc_bus_reply_error(bus, req, "bad_args", "state must be running, paused or finished");
        return;
    }
    PGresult *res = dl_db_set_state(api->db, name, state);
    if (!res) {
        cc_bus_reply_error(bus, req, "internal", "writing the campaign's state failed");
        return;
    }
    int rows = PQntuples(res);
    PQclear(res);
    if (rows == 0) {
        cc_bus_reply_error(bus, req, "unknown_campaign", "no campaign '%s'", name);
        return;
    }
    cc_info("dialer.campaign_state", "campaign=%s state=%s", name, state);
    dl_live_reload(api->live);
    cc_bus_reply(bus, req, json_pack("{s:s}", "state", state));
}

dl_api_t *dl_api_new(cc_daemon_t *daemon, dl_db_t *db, dl_live_t *live)
{
    dl_api_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->db = db;
    self->live = live;
    if (cc_bus_on_command(daemon->bus, "campaign.list", s_list, self) != 0 ||
        cc_bus_on_command(daemon->bus, "campaign.set_state", s_set_state, self) != 0) {
        free(self);
        return NULL;
    }
    return self;
}

void dl_api_destroy(dl_api_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}
