/* sp_db.h - sipproxy's Postgres adapter: loads the directory (users, trunks, dialplan)
 * and the saved contacts, reloads the directory when NOTIFY cc_config fires, and writes
 * contact changes behind, batched, from its own thread with its own connection, so no
 * query ever runs on the SIP path. The main thread learns of a new directory through an
 * eventfd watched by cc_loop. */
#ifndef SP_DB_H
#define SP_DB_H

#include "cc_pg.h"
#include "sp_directory.h"
#include "sp_registry.h"

typedef struct sp_db sp_db_t;

/* Load users (of `realm`), trunks and the dialplan with a blocking connection (start-up
 * only). NULL on a query failure, logged. */
sp_directory_t *sp_db_load_directory(cc_pg_t *pg, const char *realm);
/* Live contacts saved by an earlier run; fn per row. Number loaded or -1. */
int sp_db_load_contacts(cc_pg_t *pg, void (*fn)(const sp_contact_t *c, void *arg), void *arg);

/* Start the thread (connects with conninfo, LISTENs cc_config). NULL on failure. */
sp_db_t *sp_db_start(const char *conninfo, const char *realm);
void sp_db_stop(sp_db_t **self_p); /* flushes pending contact writes first */

/* The fd that becomes readable when a new directory is ready; then take it (NULL if
 * none is pending). */
int sp_db_notify_fd(sp_db_t *self);
sp_directory_t *sp_db_take_directory(sp_db_t *self);

/* Queue contact writes (never blocks on the database). */
void sp_db_contact_upsert(sp_db_t *self, const sp_contact_t *c);
void sp_db_contact_delete(sp_db_t *self, const char *ext, const char *uri); /* uri NULL: all */

/* One audited action (web_audit), written behind like the contacts. */
typedef struct {
    char actor[80];  /* the web user, else "ext:NNNN" */
    char role[16];   /* "" when not known */
    char action[40]; /* e.g. monitor.listen */
    char target[80];
    char detail[512]; /* a JSON object */
    char address[64]; /* where the request came from */
    char result[64];  /* ok, or why it was refused */
} sp_audit_t;
void sp_db_audit(sp_db_t *self, const sp_audit_t *a);

/* What the phone's feature codes change in pbx_user_settings, written behind like the
 * contacts; the NOTIFY that follows reloads the directory. target NULL/"": off. */
void sp_db_set_dnd(sp_db_t *self, const char *ext, bool on);
void sp_db_set_forward_always(sp_db_t *self, const char *ext, const char *target);

#endif
