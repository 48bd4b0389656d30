/* wb_priv.h - the inside of the wallboard core, shared by its files only: wb_core.c
 * (objects, configuration, the day, the change log, snapshots), wb_apply.c (events),
 * wb_alerts.c (alerts) and wb_figures.c (derived figures). */
#ifndef WB_PRIV_H
#define WB_PRIV_H

#include "cc_map.h"
#include "wb_core.h"

/* Today's record of one call in one queue: what the reports' v_queue_calls row says. */
typedef struct {
    bool entered, answered, abandoned, overflowed;
    bool in_sl, abandoned_in_sl;
    int64_t answer_wait_ms;
} wb_day_t;

struct wb_core {
    wb_sl_formula_t formula;
    wb_rules_t default_rules;
    int64_t day_start, day_end;
    cc_map_t *queues_by_name; /* -> wb_queue_t (owned through `queues`) */
    wb_queue_t **queues;      /* by idx */
    size_t nqueues;
    cc_map_t *agents_by_ext; /* -> wb_agent_t */
    wb_agent_t **agents;
    size_t nagents, agents_cap;
    cc_map_t *calls_by_id; /* -> wb_call_t, live calls only */
    wb_call_t **calls;     /* live and (until the changes are cleared) removed */
    size_t ncalls, calls_cap;
    cc_map_t *day;       /* "call\x1fqueue" -> wb_day_t (owned) */
    cc_map_t *seen;      /* today's agent state changes and completions (markers) */
    cc_map_t *callbacks; /* pending callback call id -> queue name (owned) */
    wb_abandoned_t *abandoned;
    size_t nabandoned, abandoned_cap;
    wb_alert_t *alerts; /* active */
    size_t nalerts, alerts_cap;
    /* the change log */
    wb_changes_t ch;
    size_t ch_queues_cap, ch_agents_cap, ch_calls_cap, ch_ab_cap, ch_alerts_cap;
};

/* wb_core.c */
void wb_copy(char *dst, size_t len, const char *src);
wb_queue_t *wb_queue_get(wb_core_t *core, const char *name); /* created if new; NULL: full */
wb_agent_t *wb_agent_get(wb_core_t *core, const char *ext);  /* created if new */
wb_call_t *wb_call_get(wb_core_t *core, const char *id, bool *created);
void wb_call_remove(wb_core_t *core, wb_call_t *call);
void wb_touch_queue(wb_core_t *core, wb_queue_t *q);
void wb_touch_agent(wb_core_t *core, wb_agent_t *a);  /* and the queues it serves */
void wb_touch_call(wb_core_t *core, wb_call_t *call); /* and its queue */
void wb_touch_abandoned(wb_core_t *core, size_t index);
void wb_note_alert(wb_core_t *core, const wb_alert_t *alert);
void wb_recount(wb_core_t *core, wb_queue_t *q); /* waiting and oldest, from the calls */
bool wb_today(const wb_core_t *core, int64_t ts_us);
const wb_rules_t *wb_rules_of(const wb_core_t *core, const char *queue);
/* A marker set: true the first time `a`+`b` is seen. */
bool wb_first(wb_core_t *core, const char *a, const char *b);
/* grow an array to hold one more element; 0 or -ENOMEM */
int wb_grow(void **array, size_t *cap, size_t count, size_t size);

#endif
