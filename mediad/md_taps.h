/* md_taps.h - mediad's recording taps over the bus: tap.start / tap.stop / endpoint.find
 * (a tap follows endpoints, or a mix: then md_mixes hands it the full mix),
 * the non-blocking PUSH socket to recorderd (ipc://<run_dir>/recorderd.tap) and the batch
 * timer. A batch that cannot be queued at once is dropped and counted: the relay never
 * waits for recorderd. Adapter only: batches are built by md_tap, packets by md_rtp. */
#ifndef MD_TAPS_H
#define MD_TAPS_H

#include <jansson.h>

#include "cc_bus.h"
#include "cc_loop.h"
#include "md_core.h"
#include "md_mixes.h"
#include "md_rtp.h"

typedef struct md_taps md_taps_t;

/* Borrows bus, loop, core, rtp and mixes (which must outlive it) and hooks into rtp's and
 * mixes' tap handlers. batch_ms: how often batches go out; hwm: most batches queued. */
md_taps_t *md_taps_new(cc_bus_t *bus, cc_loop_t *loop, md_core_t *core, md_rtp_t *rtp,
                       md_mixes_t *mixes, const char *run_dir, int batch_ms, int hwm);
void md_taps_destroy(md_taps_t **self_p);
void md_taps_status(md_taps_t *self, json_t *details);

#endif
