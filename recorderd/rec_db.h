/* rec_db.h - recorderd's Postgres adapter: policies, the recordings index, crash recovery
 * and the retention sweep, all as prepared statements. Blocking calls on recorderd's
 * loop (a few per call and per sweep, never per frame): recorderd has no SIP or RTP hot
 * path, and tap frames wait in the socket meanwhile. */
#ifndef REC_DB_H
#define REC_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "cc_pg.h"
#include "rec_policy.h"

typedef struct {
    const char *call_id, *caller, *callee, *agent, *queue, *trunk, *mode, *policy, *path;
    bool encrypted;
    int retention_days;
} rec_db_new_t;

int rec_db_prepare(cc_pg_t *pg);
/* All policies (malloc'd array, caller frees). 0 or -1. */
int rec_db_policies(cc_pg_t *pg, rec_policy_t **list, size_t *n);
/* LISTEN cc_config once connected; rec_db_changed polls for notifications (non-blocking). */
int rec_db_listen(cc_pg_t *pg);
bool rec_db_changed(cc_pg_t *pg);
/* New index row; its id, or -1. */
int64_t rec_db_insert(cc_pg_t *pg, const rec_db_new_t *r);
int rec_db_set_path(cc_pg_t *pg, int64_t id, const char *path);
int rec_db_set_agent(cc_pg_t *pg, int64_t id, const char *agent);
int rec_db_set_queue(cc_pg_t *pg, int64_t id, const char *queue);
int rec_db_finish(cc_pg_t *pg, int64_t id, int64_t duration_ms, uint64_t size, const char *sha256,
                  bool complete, const char *paused_json, uint64_t frames_lost,
                  const char *gaps_json);

/* Rows left open by a crash: fn(id, path, encrypted) for each. Count or -1. */
typedef void(rec_db_row_fn)(int64_t id, const char *path, bool encrypted, void *arg);
int rec_db_open_rows(cc_pg_t *pg, rec_db_row_fn *fn, void *arg);
/* Recordings whose retention ended (not held, not deleted, closed). */
int rec_db_expired(cc_pg_t *pg, rec_db_row_fn *fn, void *arg);
int rec_db_mark_deleted(cc_pg_t *pg, int64_t id);

#endif
