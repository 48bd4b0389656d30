/* dl_live.h - live dialling: the running campaigns (read again every reload), a tick that
 * asks acdd how many of each campaign's agents are ready, lets the pacing core (dialer/
 * dl_pace) say how many lines and the lead core (dl_pick) which leads, and places them
 * with sipproxy's call.originate; then follows each attempt on the bus (answered, result,
 * ended) and hands answered customers to the campaign's queue in acdd (queue.enter), whose
 * agents take them; in a campaign with answering-machine detection, only once mediad's
 * verdict (media.amd_result) says a person or unsure (dialer/dl_amd). Every attempt and
 * outcome is written through dl_db. */
#ifndef DL_LIVE_H
#define DL_LIVE_H

#include <jansson.h>

#include "cc_daemon.h"
#include "dl_db.h"

typedef struct dl_live dl_live_t;

typedef struct {
    int tick_ms;
    int window_s;
    int min_ring_s;
} dl_live_cfg_t;

/* Subscribe to sipproxy's and acdd's events and start the tick. NULL on failure. */
dl_live_t *dl_live_new(cc_daemon_t *daemon, dl_db_t *db, const dl_live_cfg_t *cfg);
/* Read the running campaigns again (their rules; pacing state is kept by name). */
void dl_live_reload(dl_live_t *self);
/* The live figures of campaign `name` into obj (ringing, waiting, talking, abandon_rate);
 * nothing for a campaign dialerd does not run. */
void dl_live_campaign_figures(dl_live_t *self, const char *name, json_t *obj);
/* Figures for `status`. */
void dl_live_status(dl_live_t *self, json_t *details);
void dl_live_destroy(dl_live_t **self_p);

#endif
