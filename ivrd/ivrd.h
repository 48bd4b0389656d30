/* ivrd.h - the daemon around the pure IVR core: what its adapter files share.
 *   ivrd_flows.c  the live flows (Postgres ivr_flows_live, reloaded on NOTIFY)
 *   ivrd_db.c     a worker thread with its own connection: customer lookups, path and
 *                 survey writes in batches; answers come back to the loop through a pipe
 *   ivrd_call.c   calls: ivr.start, the bus events of a call, the interpreter's actions
 *                 turned into call.* / play.* / queue.enter commands
 *   ivrd_conf.c   conference rooms: conf.start, the room core's (conf_room.c) actions turned
 *                 into play.* / mix.* / call.hangup, conf.* events and commands
 *   ivrd_vm.c     voicemail: vm.deposit, the deposit core's (vm_core.c) actions turned into
 *                 play.* / mix.* / rec.* commands, the message's row and vm.message
 *   ivrd_vmmenu.c the mailbox menu by phone (vm.menu: *97, *98), vm_menu.c's actions
 *   ivrd_vmmail.c voicemail to e-mail: a worker thread sending pending messages by SMTP
 * Everything but the worker runs on the loop thread. */
#ifndef IVRD_H
#define IVRD_H

#include <stdbool.h>
#include <stdint.h>

#include "cc_daemon.h"
#include "ivr_flow.h"
#include "ivr_vars.h"

typedef struct ivrd_flows ivrd_flows_t;
typedef struct ivrd_db ivrd_db_t;
typedef struct ivrd_calls ivrd_calls_t;
typedef struct ivrd_conf ivrd_conf_t;
typedef struct ivrd_vm ivrd_vm_t;
typedef struct ivrd_vmmenu ivrd_vmmenu_t;
typedef struct ivrd_vmmail ivrd_vmmail_t;

typedef struct {
    cc_daemon_t *daemon;
    ivrd_flows_t *flows;
    ivrd_db_t *db;
    ivrd_calls_t *calls;
    ivrd_conf_t *conf;
    ivrd_vm_t *vm;
    ivrd_vmmenu_t *vmmenu;
    ivrd_vmmail_t *vmmail;
    int64_t clock_offset_ms;
} ivrd_t;

/* "Now" for flows: wall clock in ms plus [ivrd] clock_offset_s. */
int64_t ivrd_now_ms(const ivrd_t *self);

/* ---- flows ------------------------------------------------------------------------- */

/* Loads the live flows (exit-worthy failure: -1) and LISTENs for changes. */
ivrd_flows_t *ivrd_flows_new(ivrd_t *ivrd);
void ivrd_flows_destroy(ivrd_flows_t **self_p);
/* The live version of a flow: a new reference (drop with ivr_flow_destroy), or NULL. */
ivr_flow_t *ivrd_flows_get(ivrd_flows_t *self, const char *name);
/* Reads ivr_flows_live again and swaps what changed. 0 or -1 (old flows kept). */
int ivrd_flows_reload(ivrd_flows_t *self);
size_t ivrd_flows_count(const ivrd_flows_t *self);
/* [{flow, version}] of the live flows (new reference). */
json_t *ivrd_flows_list(const ivrd_flows_t *self);

/* ---- database worker --------------------------------------------------------------- */

/* A lookup's answer, on the loop thread. vars are borrowed for the call. */
typedef void(ivrd_lookup_fn)(ivrd_t *ivrd, const char *call_id, uint64_t serial,
                             unsigned request_id, bool found, const ivr_var_t *vars,
                             size_t var_count);

ivrd_db_t *ivrd_db_new(ivrd_t *ivrd, ivrd_lookup_fn *on_lookup);
/* Writes what is queued, stops the thread and frees. */
void ivrd_db_destroy(ivrd_db_t **self_p);
int ivrd_db_lookup(ivrd_db_t *self, const char *call_id, uint64_t serial, unsigned request_id,
                   const char *table, const char *key);
int ivrd_db_step(ivrd_db_t *self, const char *call_id, int seq, const char *flow, long version,
                 const char *node, const char *input, int64_t at_ms);
int ivrd_db_survey(ivrd_db_t *self, const char *call_id, const char *flow, long version,
                   const char *question, int score, const char *agent, int64_t at_ms);
/* Figures for status: rows written, rows waiting, lookups done, failures. */
void ivrd_db_stats(ivrd_db_t *self, json_t *details);

/* ---- calls ------------------------------------------------------------------------- */

ivrd_calls_t *ivrd_calls_new(ivrd_t *ivrd);
void ivrd_calls_destroy(ivrd_calls_t **self_p);
size_t ivrd_calls_count(const ivrd_calls_t *self);
/* Calls per flow version, into [{flow, version, calls}] items of list. */
void ivrd_calls_by_flow(const ivrd_calls_t *self, json_t *counts);
void ivrd_calls_lookup_result(ivrd_t *ivrd, const char *call_id, uint64_t serial,
                              unsigned request_id, bool found, const ivr_var_t *vars,
                              size_t var_count);
/* SIGTERM: hang up every call (best effort) and record the path. */
void ivrd_calls_stop(ivrd_calls_t *self);

/* ---- conference rooms -------------------------------------------------------------- */

/* Loads the rooms (NULL: the database could not be read, or no memory) and serves conf.*. */
ivrd_conf_t *ivrd_conf_new(ivrd_t *ivrd);
void ivrd_conf_destroy(ivrd_conf_t **self_p);
/* Reads `conferences` again (on NOTIFY cc_config 'conferences'). 0 or -1 (old kept). */
int ivrd_conf_reload(ivrd_conf_t *self);
void ivrd_conf_status(const ivrd_conf_t *self, json_t *details);
/* SIGTERM: hang up every participant. */
void ivrd_conf_stop(ivrd_conf_t *self);

/* ---- voicemail ----------------------------------------------------------------------- */

/* Serves vm.deposit (NULL: no memory, or the bus handlers could not be set). */
ivrd_vm_t *ivrd_vm_new(ivrd_t *ivrd);
void ivrd_vm_destroy(ivrd_vm_t **self_p);
void ivrd_vm_status(const ivrd_vm_t *self, json_t *details);
/* SIGTERM: stop recording and hang up every caller leaving a message. */
void ivrd_vm_stop(ivrd_vm_t *self);
/* What a deposit starts from: vm.deposit's arguments (caller, callee may be NULL). */
typedef struct {
    const char *call_id, *mailbox, *reason, *caller, *callee;
    long long endpoint_id;
} ivrd_vm_req_t;
/* Starts a deposit (vm.deposit from sipproxy or acdd, or an IVR's voicemail route): 0, also
 * when the call's deposit runs already; else -1 with *code ("bad_args", "unknown_mailbox",
 * "internal") and why in msg. */
int ivrd_vm_start(ivrd_vm_t *self, const ivrd_vm_req_t *r, const char **code, char *msg,
                  size_t len);
/* A mailbox's new and saved counts from Postgres. 0 or -1 (logged). */
int ivrd_vm_counts(ivrd_vm_t *self, const char *mailbox, int *new_count, int *saved_count);
/* Publishes vm.message with the box's counts and the fields of extra (taken; may be NULL). */
void ivrd_vm_publish(ivrd_vm_t *self, const char *mailbox, const char *call_id, json_t *extra);

/* The mailbox menu (vm.menu from sipproxy for *97 / *98). */
ivrd_vmmenu_t *ivrd_vmmenu_new(ivrd_t *ivrd, ivrd_vm_t *vm);
void ivrd_vmmenu_destroy(ivrd_vmmenu_t **self_p);
void ivrd_vmmenu_status(const ivrd_vmmenu_t *self, json_t *details);
void ivrd_vmmenu_stop(ivrd_vmmenu_t *self);

/* Voicemail to e-mail ([voicemail] smtp_url; off when empty). NULL: could not start. */
ivrd_vmmail_t *ivrd_vmmail_new(ivrd_t *ivrd, ivrd_vm_t *vm);
void ivrd_vmmail_destroy(ivrd_vmmail_t **self_p);
void ivrd_vmmail_status(const ivrd_vmmail_t *self, json_t *details);
/* A message was indexed: look for pending mails now (NULL-safe). */
void ivrd_vmmail_kick(ivrd_vmmail_t *self);

#endif
