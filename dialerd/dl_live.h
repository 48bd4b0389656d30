/* dl_live.h - live dialling: the running campaigns (read again every reload), a tick that
 * asks acdd how many of each campaign's agents are ready, lets the pacing core (dialer/
 * dl_pace) say how many lines and the lead core (dl_pick) which leads, and places them
 * with sipproxy's call.originate; then follows each attempt on the bus (answered, result,
 * ended) and hands answered customers to the campaign's queue in acdd (queue.enter), whose
 * agents take them; in a campaign with answering-machine detection, only once mediad's
 * verdict (media.amd_result) says a person or unsure (dialer/dl_amd). Preview campaigns
 * are not dialled by the tick: an agent's Dial places the call (dl_live_preview_dial).
 * Every attempt and outcome is written through dl_db. */
#ifndef DL_LIVE_H
#define DL_LIVE_H

#include <jansson.h>

#include "cc_daemon.h"
#include "dl_db.h"
#include "dl_pick.h"

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
/* Preview mode. The rules of running campaign `name` and the world its leads are judged in
 * (zones, its do-not-call numbers); NULL when dialerd does not run it. Valid until the
 * next reload. */
const dl_rules_t *dl_live_rules(dl_live_t *self, const char *name, dl_world_t *world);
/* Ring agent `ext`'s phone and, once it answers, call the lead into that call (sipproxy's
 * call.originate then call.connect, as click-to-dial): an attempt of preview campaign
 * `name`. The attempt's id (> 0); 0 when the lead is no longer ready (another agent took
 * it); -1 when dialerd does not run the campaign in preview mode. */
int64_t dl_live_preview_dial(dl_live_t *self, const char *name, const dl_lead_t *lead,
                             const char *lead_name, const char *fields, const char *ext);
/* At start: close the attempts a previous run left in progress (killed mid-call) with
 * outcome interrupted and make their leads due again per dialer/dl_recover; release the
 * agents acdd still holds for that run's preview dials. 0, or -1 when Postgres failed. */
int dl_live_recover(dl_live_t *self);
/* Figures for `status`. */
void dl_live_status(dl_live_t *self, json_t *details);
void dl_live_destroy(dl_live_t **self_p);

#endif
