/* rec_calls_int.h - what rec_calls.c (calls, bus, lifecycle), rec_session.c (one
 * recording: start, tap input, pause, stop, close), rec_retention.c (deleting expired
 * recordings) and rec_recovery.c (repairing what a crash left open) share. Internal to
 * recorderd: nothing else includes it. */
#ifndef REC_CALLS_INT_H
#define REC_CALLS_INT_H

#include <czmq.h>

#include "cc_map.h"
#include "rec_args.h"
#include "rec_calls.h"
#include "rec_file.h"
#include "rec_mix.h"

#define TEXT_MAX 64
#define RING_MS 4000

typedef struct rec_call rec_call_t;
struct rec_call {
    rec_calls_t *owner;
    cc_bus_owner_t requests; /* endpoint.find: cancelled when the call is freed */
    char call_id[REC_CALL_ID_MAX];
    char caller[TEXT_MAX], callee[TEXT_MAX], agent[TEXT_MAX], queue[TEXT_MAX], trunk[TEXT_MAX];
    int caller_ep, callee_ep;
    uint32_t mix_id; /* a conference (rec.start with mix_id): mediad's mix is recorded, its
                      * full mix in both channels; no call.* events, rec.stop ends it */
    bool answered, ended, finding;
    rec_decision_t decision;
    rec_fc_state_t fc;
    /* the recording, while one runs */
    cc_bus_owner_t rec_requests; /* its tap.start: cancelled when the recording closes */
    int64_t rec_id;
    rec_file_t *file;
    rec_mix_t *mix;
    char path[4096];
    int64_t offset_us;       /* mediad's clock minus ours */
    uint32_t last_batch;     /* of the current tap (a restarted mediad counts anew) */
    uint64_t dropped_mediad; /* frames the current tap dropped */
    uint64_t dropped_before; /* frames earlier taps of this recording dropped */
    uint64_t batches_missing;
    bool stopping, write_failed;
    bool tap_stop_pending; /* tap.stop not answered yet: the file waits for it */
    int stop_timer;        /* the end grace; >0 while it runs */
    uint64_t stop_us;
    cc_bus_req_t *pending_start; /* rec.start waiting for endpoint.find */
};

struct rec_calls {
    cc_bus_t *bus;
    cc_loop_t *loop;
    cc_pg_t *pg;
    rec_calls_cfg_t cfg;
    char dir[4096];
    rec_policy_t *policies;
    size_t npolicies;
    cc_map_t *by_call; /* call id -> rec_call_t */
    cc_map_t *by_tap;  /* recording id (decimal) -> rec_call_t, while it records */
    int ncalls, nrecording;
    zsock_t *pull;
    int pull_fd, tick_timer, sweep_timer;
    uint64_t batches, frames, bad_batches, unknown_batches, recordings_done, deleted;
};

/* rec_calls.c */
rec_call_t *rec_calls_tap_find(rec_calls_t *self, uint64_t tap_id);
/* Index c by its recording id (c->rec_id), for the tap batches. 0 or -ENOMEM. */
int rec_calls_tap_link(rec_calls_t *self, rec_call_t *c);
void rec_calls_tap_unlink(rec_calls_t *self, rec_call_t *c);
void rec_calls_call_free(rec_calls_t *self, rec_call_t *c);

/* rec_session.c */
void rec_session_on_reply_logged(cc_bus_t *bus, int status, json_t *result, void *arg);
void rec_session_dtmf_on(rec_calls_t *self, int endpoint);
void rec_session_tap_start(rec_calls_t *self, rec_call_t *c);
/* mediad restarted and gave the call's endpoints back: tap them again. */
void rec_session_tap_restart(rec_calls_t *self, rec_call_t *c);
int rec_session_start(rec_calls_t *self, rec_call_t *c);
void rec_session_finish(rec_calls_t *self, rec_call_t *c, bool complete);
void rec_session_stop(rec_calls_t *self, rec_call_t *c);
void rec_session_pause(rec_calls_t *self, rec_call_t *c, bool pause, const char *by);
void rec_session_on_pull(cc_loop_t *loop, int fd, uint32_t events, void *arg);
bool rec_session_prepare(cc_loop_t *loop, void *arg);

/* rec_retention.c: delete what expired now; the number deleted. The timer's callback. */
int rec_retention_sweep(rec_calls_t *self);
void rec_retention_on_timer(cc_loop_t *loop, int timer_id, void *arg);

#endif
