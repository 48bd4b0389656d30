/* md_mixes.h - mediad's mixes over the bus: mix.create / join / set / leave / delete / info,
 * the media.talking publisher, and the pacing timer (a timerfd aimed at the next mix that
 * is due, so an idle mediad never wakes for mixing). Adapter only: the mixing is md_mix. */
#ifndef MD_MIXES_H
#define MD_MIXES_H

#include <jansson.h>

#include "cc_bus.h"
#include "cc_loop.h"
#include "md_core.h"
#include "md_rtp.h"

typedef struct md_mixes md_mixes_t;

/* Borrows bus, loop, core and rtp (which must outlive it) and hooks into rtp (what members
 * receive, endpoints closing). */
md_mixes_t *md_mixes_new(cc_bus_t *bus, cc_loop_t *loop, md_core_t *core, md_rtp_t *rtp);
/* Every member leaves its mix, every mix is freed. */
void md_mixes_destroy(md_mixes_t **self_p);
void md_mixes_status(md_mixes_t *self, json_t *details);

#endif
