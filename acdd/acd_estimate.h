/* acd_estimate.h - expected wait for a queued caller: a smoothed handle time (EWMA that
 * starts as a plain mean) and the wait formula. Pure arithmetic, no clock; the method and
 * its measured accuracy are in docs/ACD-ROUTING.md. */
#ifndef ACD_ESTIMATE_H
#define ACD_ESTIMATE_H

typedef struct {
    double handle_s;  /* current estimate of one call's handle time (talk + wrap-up) */
    double alpha;     /* EWMA weight of a new sample once warmed up */
    double default_s; /* used until the first sample */
    unsigned samples;
} acd_estimator_t;

#define ACD_ESTIMATE_ALPHA 0.02
#define ACD_ESTIMATE_DEFAULT_HANDLE_S 180.0

/* alpha <= 0 or default_s <= 0 take the defaults above. */
void acd_estimator_init(acd_estimator_t *est, double default_s, double alpha);
/* One finished call: seconds from answer to the end of wrap-up. Negative samples ignored. */
void acd_estimator_add(acd_estimator_t *est, double handle_s);
double acd_estimator_handle_s(const acd_estimator_t *est);

/* Expected seconds until a caller with `ahead` calls before it reaches an agent, when
 * `agents` agents serve the queue and all are busy: (ahead + 1) * handle_s / agents.
 * -1 when no agent serves the queue (the wait is unbounded). */
double acd_estimate_wait_s(double handle_s, unsigned ahead, unsigned agents);

#endif
