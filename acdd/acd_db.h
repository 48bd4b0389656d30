/* acd_db.h - Postgres for acdd: the start-up loads (configuration, agent states, waiting
 * calls) run in the caller's thread; after that one writer thread owns a second
 * connection, writes what routing produced in batched transactions (so no routing decision
 * waits for a query) and LISTENs for cc_config to reload the configuration. */
#ifndef ACD_DB_H
#define ACD_DB_H

#include <stddef.h>
#include <stdint.h>

#include "acd_core.h"
#include "cc_pg.h"

#define ACD_NUMBER_MAX 64

typedef struct {
    acd_queue_cfg_t cfg;
    char number[32];
    char callback_key[4];
    char music[128];  /* music on hold of this queue; "" = [acdd] music */
    char language[8]; /* what it says to callers; "" = [acdd] language */
} acd_db_queue_t;

typedef struct {
    char ext[ACD_EXT_MAX];
    char name[104];
} acd_db_agent_t;

typedef struct {
    char ext[ACD_EXT_MAX];
    char skill[ACD_NAME_MAX];
    int level;
} acd_db_skill_t;

typedef struct {
    char queue[ACD_NAME_MAX];
    char ext[ACD_EXT_MAX];
} acd_db_member_t;

/* The whole ACD configuration at one moment. */
typedef struct {
    acd_db_queue_t *queues;
    size_t nqueues;
    acd_db_agent_t *agents;
    size_t nagents;
    acd_db_skill_t *skills;
    size_t nskills;
    acd_db_member_t *members; /* in join order */
    size_t nmembers;
} acd_db_config_t;

acd_db_config_t *acd_db_load_config(cc_pg_t *pg);
void acd_db_config_free(acd_db_config_t **self_p);

/* Agent states as last written: fn(ext, state, reason). 0 or -1 (logged). */
typedef void(acd_db_state_fn)(const char *ext, const char *state, const char *reason, void *arg);
int acd_db_load_states(cc_pg_t *pg, acd_db_state_fn *fn, void *arg);

/* A call acdd held when it stopped: waiting, ringing, waiting for a callback, or
 * connected to `agent`. */
typedef struct {
    const char *call_id, *queue, *skill, *caller, *variables, *state, *agent;
    int priority, skill_level, attempts;
    int64_t enqueued_ms, seq, endpoint_id, connect_id;
    bool return_to_ivr;
} acd_db_call_t;
typedef void(acd_db_call_fn)(const acd_db_call_t *call, void *arg);
/* In their original order (seq). 0 or -1 (logged). */
int acd_db_load_calls(cc_pg_t *pg, acd_db_call_fn *fn, void *arg);

/* ---- the writer thread ---------------------------------------------------------- */

typedef enum {
    ACD_DB_STATE_UPSERT = 0, /* ext, state, reason, since_ms */
    ACD_DB_HISTORY_INSERT,   /* ext, state, reason, previous, started_ms, previous_s */
    ACD_DB_QCALL_INSERT,     /* call_id, queue, priority, skill, level, enqueued_ms, seq,
                                caller, endpoint_id, variables, state */
    ACD_DB_QCALL_UPDATE,     /* call_id, queue, state, connect_id, agent, priority */
    ACD_DB_QCALL_DELETE,     /* call_id */
    ACD_DB_QLOG_INSERT,      /* ts_ms, call_id, queue, event, agent, caller, priority,
                                wait_s, talk_s, position, in_sl, detail */
    ACD_DB_CALLBACK_UPSERT,  /* call_id, queue, number, requested_ms, attempts, agent,
                                result */
    ACD_DB_QLOG_ENTERED,     /* ts_ms, call_id, queue, caller, priority, position, detail,
                                expected_wait_s, skill, skill_level: an 'entered' row */
    ACD_DB_N_STMTS
} acd_db_stmt_t;

typedef struct acd_db acd_db_t;

/* Start the writer with its own connection (retried in the thread). NULL on failure. */
acd_db_t *acd_db_start(const char *conninfo, int batch_ms);
/* Write what is queued, then stop the thread and free. */
void acd_db_stop(acd_db_t **self_p);
/* Queue one write; params are copied (NULL entries are SQL NULL). Never blocks on SQL. */
void acd_db_write(acd_db_t *self, acd_db_stmt_t stmt, const char *const *params);
/* Readable (eventfd) when a reloaded configuration waits in acd_db_take_config(). */
int acd_db_notify_fd(const acd_db_t *self);
acd_db_config_t *acd_db_take_config(acd_db_t *self);
/* Writes queued and not yet committed (for status). */
size_t acd_db_backlog(acd_db_t *self);

#endif
