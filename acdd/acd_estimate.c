/* acd_estimate.c - handle-time smoothing and the expected-wait formula of acd_estimate.h.
 * With n agents all busy, each finishing on average every handle_s seconds, one frees up
 * every handle_s / n seconds; the caller needs ahead + 1 of those. */
#include "acd_estimate.h"

void acd_estimator_init(acd_estimator_t *est, double default_s, double alpha)
{
    est->default_s = default_s > 0 ? default_s : ACD_ESTIMATE_DEFAULT_HANDLE_S;
    est->alpha = alpha > 0 && alpha <= 1 ? alpha : ACD_ESTIMATE_ALPHA;
    est->handle_s = est->default_s;
    est->samples = 0;
}

void acd_estimator_add(acd_estimator_t *est, double handle_s)
{
    if (!(handle_s >= 0))
        return;
    est->samples++;
    /* A plain running mean until 1/n falls below alpha, so early samples are not swamped
     * by the default; then an EWMA that follows changes in handle time. */
    double weight = 1.0 / est->samples;
    if (weight < est->alpha)
        weight = est->alpha;
    est->handle_s += weight * (handle_s - est->handle_s);
}

double acd_estimator_handle_s(const acd_estimator_t *est)
{
    return est->samples ? est->handle_s : est->default_s;
}

double acd_estimate_wait_s(double handle_s, unsigned ahead, unsigned agents)
{
    if (agents == 0)
        return -1;
    return ((double)ahead + 1.0) * handle_s / (double)agents;
}
