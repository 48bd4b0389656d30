/* cdr_bus.h - cdrd's bus adapter: the reliable subscription to sipproxy from the stored
 * cursor, call.* events decoded into the core, the core's output folded into the batch,
 * a new sipproxy epoch closing the calls the old one took with it, loss reports. */
#ifndef CDR_BUS_H
#define CDR_BUS_H

#include <jansson.h>

#include "cc_bus.h"
#include "cdr_batch.h"
#include "cdr_core.h"
#include "cdr_flush.h"

typedef struct cdr_bus cdr_bus_t;

/* Everything borrowed. `start` is the cursor loaded from Postgres. */
cdr_bus_t *cdr_bus_new(cc_bus_t *bus, const char *publisher, cc_bus_cursor_t start,
                       cdr_core_t *core, cdr_batch_t *batch, cdr_flush_t *flush);
void cdr_bus_destroy(cdr_bus_t **self_p);

/* Subscribe (reliable, from the start cursor) and watch for losses. 0 or -errno. */
int cdr_bus_start(cdr_bus_t *self);

/* Figures for `status`: calls_active, events seen, ignored, lost, the live cursor. */
void cdr_bus_status(cdr_bus_t *self, json_t *details);

#endif
