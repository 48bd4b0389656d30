/* md_bus.h - mediad's bus adapter: serves the endpoint.* commands (common/events/media.def)
 * by calling md_rtp and md_core, publishes media.timeout from a periodic scan, and adds
 * mediad's figures to the status reply. Knows no sockets beyond the bus. */
#ifndef MD_BUS_H
#define MD_BUS_H

#include <jansson.h>

#include "cc_bus.h"
#include "cc_loop.h"
#include "md_core.h"
#include "md_rtp.h"

typedef struct md_bus md_bus_t;

typedef struct {
    const char *address;     /* the address endpoint.create hands out for SDP */
    int media_timeout_s;     /* 0: no media timeout */
    int scan_interval_ms;    /* how often idle endpoints are looked for */
} md_bus_cfg_t;

/* Registers the command handlers and the scan timer. Borrows everything given. */
md_bus_t *md_bus_new(cc_bus_t *bus, cc_loop_t *loop, md_core_t *core, md_rtp_t *rtp,
                     md_ports_t *ports, const md_bus_cfg_t *cfg);
void md_bus_destroy(md_bus_t **self_p);

/* Fill the status reply's details object. */
void md_bus_status(md_bus_t *self, json_t *details);

/* An endpoint's statistics as the JSON object endpoint.delete returns (new reference). */
json_t *md_bus_stats_json(const md_stats_t *stats);

#endif
