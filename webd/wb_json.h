/* wb_json.h - the wallboard core's state as JSON, the one shape the live streams, the
 * snapshot and the JSON API all use. Pure (jansson only). Times are milliseconds since
 * 1970 (UTC); figures are numbers with one decimal, null where the reports have NULL. */
#ifndef WB_JSON_H
#define WB_JSON_H

#include <jansson.h>

#include "wb_core.h"

json_t *wb_json_queue(const wb_core_t *core, const wb_queue_t *q);
json_t *wb_json_agent(const wb_core_t *core, const wb_agent_t *a);
json_t *wb_json_call(const wb_call_t *c);
json_t *wb_json_abandoned(const wb_abandoned_t *a);
json_t *wb_json_alert(const wb_alert_t *a);

/* Who may see an item: queue indices (an agent: its queues); none_visible_to_scoped means
 * only principals who see every queue get it (an agent in no queue, an alert without one). */
wb_qset_t wb_json_agent_scope(const wb_agent_t *a);
/* The index of a queue by name, -1 if unknown. */
int wb_queue_index(const wb_core_t *core, const char *name);

/* How a document is printed: compact, figures without float noise. */
#define WB_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

#endif
