/* md_args.h - the arguments of endpoint.create and endpoint.remote, decoded and checked:
 * JSON in, plain structs or a bad_args message out. Pure (no sockets, no endpoints), so the
 * fuzzer (fuzz/fuzz_commands.c) and the unit tests drive exactly what the handlers in
 * md_bus.c run. The bus has checked the top level's declared types already; nested objects
 * (remote, pair) are checked here against the same declarations. */
#ifndef MD_ARGS_H
#define MD_ARGS_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "md_core.h"
#include "md_rtp.h" /* md_restore_t */
#include "md_srtp.h"

/* endpoint.remote's arguments, checked. */
typedef struct {
    struct in_addr addr;
    int port;
    int pts[128];
    size_t npts;
    const char *direction;
    int send_pt;                /* -1: not given */
    int te_pt;                  /* -1: not given */
    md_srtp_suite_t srtp_suite; /* MD_SRTP_NONE: srtp not given */
    const char *srtp_key;       /* the far party's key (borrowed from the arguments) */
} md_remote_args_t;

/* One endpoint to create: the top level of endpoint.create, or its pair. */
typedef struct {
    const char *leg;
    bool symmetric;
    bool dtmf;
    bool has_remote;
    md_remote_args_t remote;
    bool has_restore;
    md_restore_t restore;
    bool srtp;
    const char *srtp_local; /* restore: the key this endpoint had (borrowed) */
} md_leg_args_t;

/* A value given and not null. */
bool md_args_given(json_t *v);

/* Check a nested object (endpoint.create's remote or pair) against the declared args of
 * the command it stands for; `fill` (stolen) is the one required arg the nested form
 * leaves out. 0, or -1 with the message in err. */
int md_args_check_nested(json_t *obj, const char *cmd, const char *key, json_t *fill, char *err,
                         size_t len);

/* endpoint.remote's arguments (also endpoint.create's remote): 0, or -1 with err. The key
 * string in r is borrowed from args. */
int md_args_remote_parse(json_t *args, md_remote_args_t *r, char *err, size_t len);

/* One endpoint of endpoint.create (the top level or its pair): leg, symmetric, dtmf,
 * remote, restore, srtp. 0, or -1 with err. Strings borrowed from obj. */
int md_args_leg_parse(json_t *obj, md_leg_args_t *leg, char *err, size_t len);

#endif
