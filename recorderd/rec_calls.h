/* rec_calls.h - recorderd's call sessions: follows sipproxy's call.* events and mediad's
 * media.dtmf, decides by policy which calls are recorded, drives mediad's taps, receives
 * the tap batches (PULL on ipc://<run_dir>/recorderd.tap), feeds them to each recording's
 * timeline (rec_mix) and file (rec_file), indexes through rec_db, serves rec.* commands,
 * repairs files left by a crash at start (rec_recovery.c) and runs the retention sweep
 * (rec_retention.c). */
#ifndef REC_CALLS_H
#define REC_CALLS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cc_bus.h"
#include "cc_loop.h"
#include "cc_pg.h"
#include "rec_format.h"
#include "rec_policy.h"

typedef struct {
    const char *dir; /* recordings root */
    const char *run_dir;
    rec_mode_t default_mode;
    int default_retention_days;
    int retention_interval_s;
    bool encrypt;
    const uint8_t *master; /* REC_KEY_LEN bytes when encrypt */
    int flush_ms, end_grace_ms;
    bool feature_codes;
} rec_calls_cfg_t;

typedef struct rec_calls rec_calls_t;

rec_calls_t *rec_calls_new(cc_bus_t *bus, cc_loop_t *loop, cc_pg_t *pg, const rec_calls_cfg_t *cfg);
/* Close every open recording (complete: the daemon stops cleanly). */
void rec_calls_destroy(rec_calls_t **self_p);
void rec_calls_status(rec_calls_t *self, json_t *details);
/* rec_recovery.c: repair and close the recordings a crash left open. Returns how many. */
int rec_recovery_run(rec_calls_t *self);

#endif
