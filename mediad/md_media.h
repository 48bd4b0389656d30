/* md_media.h - mediad's media services over the bus: prompt playback (play.start,
 * play.stop, media.play_done), DTMF detection (dtmf.detect, media.dtmf, barge-in) and
 * prompt checks (prompt.check). Owns the prompt store, the players (md_play) and the 1 ms
 * pacing timer, which runs only while something plays. Adapter only: the logic is in
 * md_play, md_dtmf and md_prompt. */
#ifndef MD_MEDIA_H
#define MD_MEDIA_H

#include <jansson.h>

#include "cc_bus.h"
#include "cc_loop.h"
#include "md_core.h"
#include "md_rtp.h"

typedef struct md_media md_media_t;

/* prompt_dir: where prompt names resolve (see md_prompt.h). Borrows bus, loop, core and
 * rtp, which must outlive it; hooks itself into rtp (DTMF and close handlers). */
md_media_t *md_media_new(cc_bus_t *bus, cc_loop_t *loop, md_core_t *core, md_rtp_t *rtp,
                         const char *prompt_dir);
/* Stops every play (publishing nothing) and unhooks from rtp. */
void md_media_destroy(md_media_t **self_p);

void md_media_status(md_media_t *self, json_t *details);

#endif
