/* dl_api.h - dialerd's bus commands (common/events/dialer.def): campaign.list and
 * campaign.set_state, the JSON side of `ccctl campaign list|start|pause|finish`, and
 * preview mode's campaign.preview_next, campaign.preview_dial and campaign.preview_skip,
 * which webd's agent desktop sends for the session's own extension. */
#ifndef DL_API_H
#define DL_API_H

#include "cc_daemon.h"
#include "dl_db.h"
#include "dl_live.h"

typedef struct dl_api dl_api_t;

/* Serve the commands on the daemon's bus (db and live borrowed; destroy this after the
 * bus, which calls into it). NULL on failure. */
dl_api_t *dl_api_new(cc_daemon_t *daemon, dl_db_t *db, dl_live_t *live);
void dl_api_destroy(dl_api_t **self_p);

#endif
