/* md_mixes.h - mediad's mixes over the bus: mix.create / join / set / leave / delete / info,
 * the media.talking publisher, the full mix to a recording tap, and the pacing timer (a timerfd aimed at the next mix that
 * is due, so an idle mediad never wakes for mixing). Adapter only: the mixing is md_mix. */
#ifndef MD_MIXES_H
#define MD_MIXES_H

#include <jansson.h>

#include "cc_bus.h"
#include "cc_loop.h"
#include "md_core.h"
#include "md_rtp.h"
#include "md_tap.h"

typedef struct md_mixes md_mixes_t;

/* Borrows bus, loop, core and rtp (which must outlive it) and hooks into rtp (what members
 * receive, endpoints closing). */
md_mixes_t *md_mixes_new(cc_bus_t *bus, cc_loop_t *loop, md_core_t *core, md_rtp_t *rtp);
/* Every member leaves its mix, every mix is freed. */
void md_mixes_destroy(md_mixes_t **self_p);
void md_mixes_status(md_mixes_t *self, json_t *details);

/* Recording a mix (md_taps): a tap that follows a mix is appended the full mix every frame
 * as party 0. The handler (one; set it before tapping) hears of the tap's batch being full
 * (mix_gone false: ship it now) and of its mix being deleted (mix_gone true: ship what it
 * holds; the tap follows nothing any more). */
typedef void(md_mixes_tap_fn)(md_tap_t *tap, bool mix_gone, void *arg);
void md_mixes_on_tap(md_mixes_t *self, md_mixes_tap_fn *fn, void *arg);
/* tap follows mix_id instead of the tap that did (NULL: none does). 0, -ENOENT (no such
 * mix) or -EINVAL (no handler). */
int md_mixes_tap(md_mixes_t *self, uint32_t mix_id, md_tap_t *tap);
/* The tap following mix_id (NULL: none), and the mix's call id for logs (NULL: no mix). */
md_tap_t *md_mixes_tap_of(const md_mixes_t *self, uint32_t mix_id);
const char *md_mixes_call_id(const md_mixes_t *self, uint32_t mix_id);

#endif
