/* dl_pace.h - how many lines a campaign dials now. Preview: none (the agent dials).
 * Progressive: one per ready agent. Predictive: as many as keeps the expected share of
 * answered calls that would find no agent under a target, from what it measured (answer
 * rate, time to answer, handle time) and what the floor looks like now (agents ready and
 * busy, lines ringing, customers waiting); the target shrinks as the measured abandon rate
 * over a rolling window nears the cap. docs/DIALER.md explains the method. Pure: events
 * and the clock are passed in; the same code runs live in dialerd and in simulated time in
 * tests/bench/dialer_sim. */
#ifndef DL_PACE_H
#define DL_PACE_H

#include <stdint.h>

typedef enum {
    DL_MODE_PREVIEW = 0,
    DL_MODE_PROGRESSIVE,
    DL_MODE_PREDICTIVE
} dl_mode_t;

/* "preview", ... -> mode, or -1. */
int dl_mode_parse(const char *name);
const char *dl_mode_name(dl_mode_t mode);

typedef struct {
    dl_mode_t mode;
    double cap;       /* abandon-rate cap, 0.03 for 3% */
    double max_ratio; /* never more lines in flight than this many per agent logged in */
    int window_s;     /* rolling window of the measured abandon rate (1800) */
} dl_pace_cfg_t;

/* The floor now, as the caller counts it for this campaign. */
typedef struct {
    int ready;   /* agents ready for a call and not yet promised one */
    int busy;    /* agents on a call or in wrap-up */
    int ringing; /* lines dialled, not yet answered or failed */
    int waiting; /* customers answered and waiting for an agent */
    /* how long each busy agent has been on its contact (busy entries), or NULL: with it a
     * agent well into a call counts as likelier to be free soon than one just connected */
    const int64_t *busy_ms;
    /* how long each ringing line has rung (ringing entries), or NULL: a line that has rung
     * longer than most answers take is unlikely to answer now */
    const int64_t *ringing_ms;
} dl_floor_t;

/* Why the last decision came out as it did (status, logs, the simulator). */
typedef struct {
    double answer_rate;  /* measured (with a cautious prior early on) */
    double answer_s;     /* mean time from dial to answer */
    double handle_s;     /* mean agent time per contact (talk and wrap-up) */
    double abandon_rate; /* over the rolling window; 0 without contacts */
    double target;       /* the expected abandon share the decision allowed */
    double expected;     /* the expected abandon share of what is in flight after it */
    int contacts_window, abandons_window;
} dl_pace_why_t;

typedef struct dl_pace dl_pace_t;

dl_pace_t *dl_pace_new(const dl_pace_cfg_t *cfg);
void dl_pace_destroy(dl_pace_t **self_p);
/* Change mode, cap, ratio (a campaign edited live); what was measured is kept. */
void dl_pace_configure(dl_pace_t *self, const dl_pace_cfg_t *cfg);

/* What happened, as it happens. */
void dl_pace_dialled(dl_pace_t *self, int64_t now_ms);
/* The attempt ended unanswered (busy, no answer, failed) after ring_ms. */
void dl_pace_unanswered(dl_pace_t *self, int64_t now_ms);
/* A person answered after ring_ms (a machine counts as unanswered for pacing). */
void dl_pace_answered(dl_pace_t *self, int64_t now_ms, int64_t ring_ms);
/* An answered customer reached an agent, or did not within 2 s (abandoned). */
void dl_pace_abandoned(dl_pace_t *self, int64_t now_ms);
/* An agent finished a contact (talk and wrap-up) that took handle_ms. */
void dl_pace_handled(dl_pace_t *self, int64_t now_ms, int64_t handle_ms);

/* New lines to dial now (0 or more). why may be NULL. */
int dl_pace_lines(dl_pace_t *self, const dl_floor_t *floor, int64_t now_ms, dl_pace_why_t *why);

/* The abandon rate over the rolling window at now_ms, and its counts. */
double dl_pace_abandon_rate(dl_pace_t *self, int64_t now_ms, int *contacts, int *abandons);

#endif
