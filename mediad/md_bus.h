/* md_bus.h - mediad's bus adapter: serves the endpoint.* commands (common/events/media.def)
 * by calling md_rtp and md_core, keeps endpoints tied to their owners (a restarted owner's
 * old endpoints are freed, endpoint.sync frees what an owner no longer holds), publishes
 * media.timeout from a periodic scan, and adds mediad's figures to the status reply. Knows
 * no sockets beyond the bus. */
#ifndef MD_BUS_H
#define MD_BUS_H

#include <jansson.h>

#include "cc_bus.h"
#include "cc_loop.h"
#include "md_core.h"
#include "md_rtp.h"

typedef struct md_bus md_bus_t;

typedef struct {
    const char *address;  /* the address endpoint.create hands out for SDP */
    int media_timeout_s;  /* 0: no media timeout */
    int scan_interval_ms; /* how often idle endpoints are looked for */
    int sync_grace_ms;    /* endpoint.sync leaves endpoints younger than this alone */
} md_bus_cfg_t;

/* Registers the command handlers and the scan timer. Borrows everything given. */
md_bus_t *md_bus_new(cc_bus_t *bus, cc_loop_t *loop, md_core_t *core, md_rtp_t *rtp,
                     md_ports_t *ports, const md_bus_cfg_t *cfg);
void md_bus_destroy(md_bus_t **self_p);

/* Fill the status reply's details object. */
void md_bus_status(md_bus_t *self, json_t *details);

/* For every command that names an endpoint: the endpoint of args[key], whose call becomes
 * the command's log context, or NULL after replying unknown_endpoint. */
md_endpoint_t *md_bus_endpoint_arg(cc_bus_t *bus, md_core_t *core, cc_bus_req_t *req, json_t *args,
                                   const char *key);

/* An endpoint's statistics as the JSON object endpoint.delete returns (new reference). */
json_t *md_bus_stats_json(const md_stats_t *stats);

#endif
