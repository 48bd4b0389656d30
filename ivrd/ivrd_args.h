/* ivrd_args.h - the arguments of the commands that hand a call to ivrd (ivr.start,
 * conf.start, vm.deposit, vm.menu) and of the conference commands (conf.kick, conf.mute,
 * conf.lock), decoded and checked: JSON in, a plain struct or a bad_args message out. Pure
 * (no calls, no rooms, no bus), so fuzz/fuzz_ivr_commands.c and the unit tests drive
 * exactly what the handlers in ivrd_call.c, ivrd_conf.c, ivrd_vm.c and ivrd_vmmenu.c run.
 * Beyond the catalogue's types: call ids, rooms and mailboxes that are not empty and fit
 * the buffers they are copied into, endpoint ids that are mediad's (1..INT32_MAX, checked
 * as sent), a deposit reason vm_core knows, start variables the flow can hold. Whether the
 * flow, room or mailbox exists is the handler's question. */
#ifndef IVRD_ARGS_H
#define IVRD_ARGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf_room.h" /* CONF_NAME_MAX */
#include "vm_core.h"   /* VM_NAME_MAX */

#define IVRD_CALL_ID_MAX 128 /* every ivrd call, member and leg holds its id in this many */

typedef enum {
    IVRD_HANDOVER_IVR = 0, /* ivr.start */
    IVRD_HANDOVER_CONF,    /* conf.start */
    IVRD_HANDOVER_DEPOSIT, /* vm.deposit */
    IVRD_HANDOVER_MENU,    /* vm.menu */
} ivrd_handover_kind_t;

/* A call handed to ivrd. Strings borrowed from the arguments. */
typedef struct {
    ivrd_handover_kind_t kind;
    const char *call_id; /* 1..IVRD_CALL_ID_MAX-1 characters */
    const char *caller;  /* "" when absent (cut when stored: a display value) */
    const char *callee;  /* "" when absent */
    int endpoint_id;     /* 1..INT32_MAX */
    const char *flow;    /* ivr.start: not empty */
    json_t *variables;   /* ivr.start: NULL or an object of valid names -> strings, at most
                          * IVR_VARS_MAX - 1 (callee is set too); borrowed */
    const char *room;    /* conf.start: 1..CONF_NAME_MAX-1 */
    const char *mailbox; /* vm.deposit: 1..VM_NAME_MAX-1; vm.menu: "" (ask) or <VM_NAME_MAX */
    const char *reason;  /* vm.deposit: vm_reason_ok */
} ivrd_handover_t;

/* conf.kick, conf.mute, conf.lock. */
typedef struct {
    const char *room; /* 1..CONF_NAME_MAX-1 */
    const char *who;  /* kick, mute: not empty (participant id, caller or call id) */
    bool on;          /* mute: muted; lock: locked */
} ivrd_conf_cmd_t;

/* cmd: "ivr.start", "conf.start", "vm.deposit" or "vm.menu". 0, or -1 with the bad_args
 * message in err. */
int ivrd_args_handover(const char *cmd, json_t *args, ivrd_handover_t *out, char *err, size_t len);
/* cmd: "conf.kick", "conf.mute" or "conf.lock". 0, or -1 with err. */
int ivrd_args_conf(const char *cmd, json_t *args, ivrd_conf_cmd_t *out, char *err, size_t len);

#endif
