/* md_amds.h - answering-machine detection over the bus: endpoint.amd_start (with optional
 * thresholds), the media.amd_result event, and a 100 ms timer per running detection so a
 * party that sends nothing still gets a decision. Adapter only: the rule is md_amd's, the
 * packets reach it through md_rtp (only on endpoints that asked). */
#ifndef MD_AMDS_H
#define MD_AMDS_H

#include <jansson.h>

#include "cc_bus.h"
#include "cc_loop.h"
#include "md_core.h"
#include "md_rtp.h"

typedef struct md_amds md_amds_t;

/* Borrows bus, loop, core and rtp (which must outlive it); hooks into rtp's detection and
 * close handlers. NULL on failure. */
md_amds_t *md_amds_new(cc_bus_t *bus, cc_loop_t *loop, md_core_t *core, md_rtp_t *rtp);
void md_amds_destroy(md_amds_t **self_p);
void md_amds_status(md_amds_t *self, json_t *details);

#endif
