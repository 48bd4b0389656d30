/* dl_db.h - dialerd's Postgres adapter: the statements it runs as cc_dialerd. So far the
 * campaign summary behind `status`; the lead and attempt statements join it as the live
 * dialling lands. Blocking calls on the loop thread: dialerd has no SIP or media hot path,
 * and every statement is one indexed read. */
#ifndef DL_DB_H
#define DL_DB_H

#include "cc_pg.h"

typedef struct dl_db dl_db_t;

typedef struct {
    int campaigns, running, paused;
    long long leads_ready; /* leads of running campaigns still to dial */
} dl_db_summary_t;

/* Prepare the statements on pg (borrowed). NULL on failure (logged). */
dl_db_t *dl_db_new(cc_pg_t *pg);
void dl_db_destroy(dl_db_t **self_p);

/* 0, or -1 (dl_db_error() says why). */
int dl_db_summary(dl_db_t *self, dl_db_summary_t *out);
const char *dl_db_error(const dl_db_t *self);

#endif
