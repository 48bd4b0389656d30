/* dl_pace.c - pacing (see dl_pace.h and docs/DIALER.md). Three estimators that forget
 * with time (answer rate, time to answer, handle time), a rolling window of contacts and
 * abandons in 10-second buckets, and the predictive decision: the largest number of new
 * lines for which the expected abandoned answers, over the expected answers of every line
 * in flight, stay under a target set from the cap and from how close the window is to it. */
#include "dl_pace.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S_BUCKET_MS 10000
#define S_MAX_LINES 1024 /* lines in flight the model considers at most */
#define S_FORGET_MS (30.0 * 60 * 1000)
/* The answer rate moves fastest (a list's next hour, people home from work) and a rise
 * is what makes a predictive dialer abandon calls, so it forgets sooner. */
#ifndef S_RATE_FORGET_MS
#define S_RATE_FORGET_MS (10.0 * 60 * 1000)
#endif
/* Priors, each worth a few observations, chosen on the cautious side: a high answer rate,
 * a long handle time and a quick answer all mean fewer lines until real figures come in. */
#define S_PRIOR_ANSWER_RATE 0.5
#define S_PRIOR_ANSWER_WEIGHT 10.0
#define S_PRIOR_ANSWER_MS 8000.0
#define S_PRIOR_HANDLE_MS 300000.0
#define S_PRIOR_WEIGHT 3.0
/* The target: a share of the cap for the model's own errors, shrinking as the measured
 * rate climbs (docs/DIALER.md, "The target"). */
#define S_MODEL_MARGIN 0.7
#define S_MIN_CONTACTS 20
#define S_HIST_MIN 20.0 /* observations before a histogram replaces its prior */
#ifndef S_GAIN_MAX
#define S_GAIN_MAX 2.0
#endif
#ifndef S_SETPOINT
#define S_SETPOINT 0.5
#endif /* below this the measured rate is noise: half the margin */

#define S_ABIN_MS 1000 /* time-to-answer histogram: 1 s bins up to 2 minutes */
#define S_ABINS 120
#define S_HBIN_MS 10000 /* handle-time histogram: 10 s bins up to 20 minutes */
#define S_HBINS 120

typedef struct { /* a mean whose old observations fade */
    double forget_ms;
    double weight, sum;
    int64_t last_ms;
} s_fading_t;

typedef struct {
    int64_t index; /* now_ms / S_BUCKET_MS of what it counts; stale when older */
    int contacts, abandons;
} s_bucket_t;

struct dl_pace {
    dl_pace_cfg_t cfg;
    s_fading_t answers; /* sum: answered (1) or not (0) per resolved dial */
    s_fading_t answer_ms;
    s_fading_t handle_ms;
    double answer_hist[S_ABINS]; /* fading counts of times to answer */
    double answer_hist_weight;
    int64_t answer_hist_ms;
    double handle_hist[S_HBINS]; /* fading counts of handle times, the last bin open-ended */
    double handle_hist_weight;
    int64_t handle_hist_ms;
    s_bucket_t *buckets;
    size_t nbuckets;
    /* scratch of the decision: distributions of free agents and of answers */
    double pmf[S_MAX_LINES + 1], excess[S_MAX_LINES + 1], answers_pmf[S_MAX_LINES + 1];
    double free_q[S_MAX_LINES], ring_p[S_MAX_LINES];
};

static void s_fade(s_fading_t *f, int64_t now_ms)
{
    if (now_ms > f->last_ms && f->weight > 0) {
        double k = exp(-(double)(now_ms - f->last_ms) / f->forget_ms);
        f->weight *= k;
        f->sum *= k;
    }
    if (now_ms > f->last_ms)
        f->last_ms = now_ms;
}

static void s_observe(s_fading_t *f, int64_t now_ms, double value)
{
    s_fade(f, now_ms);
    f->weight += 1;
    f->sum += value;
}

static double s_mean(const s_fading_t *f, double prior, double prior_weight)
{
    return (f->sum + prior * prior_weight) / (f->weight + prior_weight);
}

int dl_mode_parse(const char *name)
{
    static const char *const names[] = {"preview", "progressive", "predictive"};
    for (int i = 0; i < 3; i++)
        if (name && !strcmp(name, names[i]))
            return i;
    return -1;
}

const char *dl_mode_name(dl_mode_t mode)
{
    return mode == DL_MODE_PREVIEW       ? "preview"
           : mode == DL_MODE_PROGRESSIVE ? "progressive"
                                         : "predictive";
}

dl_pace_t *dl_pace_new(const dl_pace_cfg_t *cfg)
{
    dl_pace_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    int window_s = cfg->window_s > 0 ? cfg->window_s : 1800;
    self->nbuckets = (size_t)window_s * 1000 / S_BUCKET_MS + 1;
    self->buckets = calloc(self->nbuckets, sizeof *self->buckets);
    if (!self->buckets) {
        free(self);
        return NULL;
    }
    for (size_t i = 0; i < self->nbuckets; i++)
        self->buckets[i].index = -1;
    self->answers.forget_ms = S_RATE_FORGET_MS;
    self->answer_ms.forget_ms = S_FORGET_MS;
    self->handle_ms.forget_ms = S_FORGET_MS;
    self->cfg = *cfg;
    self->cfg.window_s = window_s;
    return self;
}

void dl_pace_destroy(dl_pace_t **self_p)
{
    dl_pace_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    free(self->buckets);
    free(self);
    *self_p = NULL;
}

void dl_pace_configure(dl_pace_t *self, const dl_pace_cfg_t *cfg)
{
    int window_s = self->cfg.window_s; /* the buckets stay as they are */
    self->cfg = *cfg;
    self->cfg.window_s = window_s;
}

/* ---- the rolling window --------------------------------------------------------------- */

static s_bucket_t *s_bucket(dl_pace_t *self, int64_t now_ms)
{
    int64_t index = now_ms / S_BUCKET_MS;
    s_bucket_t *b = &self->buckets[(size_t)(index % (int64_t)self->nbuckets)];
    if (b->index != index) {
        b->index = index;
        b->contacts = b->abandons = 0;
    }
    return b;
}

double dl_pace_abandon_rate(dl_pace_t *self, int64_t now_ms, int *contacts, int *abandons)
{
    int64_t newest = now_ms / S_BUCKET_MS;
    int64_t oldest = newest - (int64_t)self->nbuckets + 1;
    int c = 0, a = 0;
    for (size_t i = 0; i < self->nbuckets; i++) {
        const s_bucket_t *b = &self->buckets[i];
        if (b->index >= oldest && b->index <= newest) {
            c += b->contacts;
            a += b->abandons;
        }
    }
    if (contacts)
        *contacts = c;
    if (abandons)
        *abandons = a;
    return c > 0 ? (double)a / c : 0.0;
}

/* ---- events --------------------------------------------------------------------------- */

void dl_pace_dialled(dl_pace_t *self, int64_t now_ms)
{
    (void)self;
    (void)now_ms; /* lines in flight are the caller's count (dl_floor_t.ringing) */
}

void dl_pace_unanswered(dl_pace_t *self, int64_t now_ms)
{
    s_observe(&self->answers, now_ms, 0);
}

/* Add one observation to a fading histogram of n bins of bin_ms (the last open-ended). */
static void s_hist_add(double *hist, int n, double *weight, int64_t *last_ms, int64_t now_ms,
                       int64_t bin_ms, int64_t value_ms)
{
    if (now_ms > *last_ms) {
        double k = exp(-(double)(now_ms - *last_ms) / S_FORGET_MS);
        for (int i = 0; i < n; i++)
            hist[i] *= k;
        *weight *= k;
        *last_ms = now_ms;
    }
    int64_t bin = (value_ms > 0 ? value_ms : 0) / bin_ms;
    hist[bin < n ? bin : n - 1] += 1;
    *weight += 1;
}

/* Share of a fading histogram below x ms (linear within a bin). */
static double s_hist_below(const double *hist, int n, double weight, int64_t bin_ms, double x)
{
    if (weight <= 0)
        return 0;
    double below = 0;
    int bin = (int)(x / (double)bin_ms);
    for (int i = 0; i < bin && i < n; i++)
        below += hist[i];
    if (bin < n - 1)
        below += hist[bin] * (x - (double)bin * (double)bin_ms) / (double)bin_ms;
    below /= weight;
    return below > 1 ? 1 : below;
}

void dl_pace_answered(dl_pace_t *self, int64_t now_ms, int64_t ring_ms)
{
    s_observe(&self->answers, now_ms, 1);
    s_observe(&self->answer_ms, now_ms, (double)(ring_ms > 0 ? ring_ms : 0));
    s_hist_add(self->answer_hist, S_ABINS, &self->answer_hist_weight, &self->answer_hist_ms, now_ms,
               S_ABIN_MS, ring_ms);
    s_bucket(self, now_ms)->contacts++;
}

/* Chance that a line ringing for elapsed_ms is still to be answered, given p overall:
 * p (1 - A(e)) / (1 - p A(e)), A the share of answers that come within e. Until some
 * answers were seen, p itself (cautious: more answers expected, fewer lines). */
static double s_still_answers(const dl_pace_t *self, double p, double elapsed_ms)
{
    if (self->answer_hist_weight < S_HIST_MIN)
        return p;
    double a =
        s_hist_below(self->answer_hist, S_ABINS, self->answer_hist_weight, S_ABIN_MS, elapsed_ms);
    double d = 1 - p * a;
    return d > 1e-9 ? p * (1 - a) / d : 0;
}

void dl_pace_abandoned(dl_pace_t *self, int64_t now_ms)
{
    s_bucket(self, now_ms)->abandons++;
}

void dl_pace_handled(dl_pace_t *self, int64_t now_ms, int64_t handle_ms)
{
    s_observe(&self->handle_ms, now_ms, (double)(handle_ms > 0 ? handle_ms : 0));
    s_hist_add(self->handle_hist, S_HBINS, &self->handle_hist_weight, &self->handle_hist_ms, now_ms,
               S_HBIN_MS, handle_ms);
}

/* Share of contacts still going after e ms: the measured histogram (linear within a bin)
 * blended with the cautious prior, an exponential of the prior mean. */
static double s_survival(const dl_pace_t *self, double e)
{
    double prior = exp(-e / S_PRIOR_HANDLE_MS), w = self->handle_hist_weight;
    if (w < S_HIST_MIN) /* a few calls that all began together say nothing of the rest */
        return prior;
    double measured = 1 - s_hist_below(self->handle_hist, S_HBINS, w, S_HBIN_MS, e);
    return (w * measured + S_PRIOR_WEIGHT * prior) / (w + S_PRIOR_WEIGHT);
}

/* Chance that an agent busy for elapsed_ms is free within horizon_ms. */
static double s_free_within(const dl_pace_t *self, double elapsed_ms, double horizon_ms,
                            double mean_handle_ms)
{
    double s0 = s_survival(self, elapsed_ms);
    if (s0 < 1e-3) /* longer than nearly every call seen: a long call, no telling */
        return 1 - exp(-horizon_ms / mean_handle_ms);
    double q = (s0 - s_survival(self, elapsed_ms + horizon_ms)) / s0;
    return q < 0 ? 0 : q > 1 ? 1 : q;
}

/* ---- the decision --------------------------------------------------------------------- */

/* The expected abandon share the next decision may allow. */
static double s_target(const dl_pace_t *self, int contacts, int abandons)
{
    double cap = self->cfg.cap;
    if (contacts < S_MIN_CONTACTS)
        return cap * S_MODEL_MARGIN * 0.5;
    double rate = (double)abandons / contacts;
    double gain = S_GAIN_MAX * (1 - rate / (cap * S_SETPOINT));
    gain = gain > S_GAIN_MAX ? S_GAIN_MAX : gain < 0.1 ? 0.1 : gain;
    return cap * S_MODEL_MARGIN * gain;
}

/* g[x] = E[max(0, x - free)] with free = free_now + the busy agents who finish within
 * the horizon (each with its own chance q[k]), floored at 0: the abandoned answers among
 * x answers arriving within the horizon. */
static void s_excess(double *pmf, double *g, int xmax, int free_now, int busy, const double *q)
{
    int nb = busy > S_MAX_LINES ? S_MAX_LINES : busy;
    memset(pmf, 0, (S_MAX_LINES + 1) * sizeof *pmf);
    pmf[0] = 1.0;
    for (int k = 1; k <= nb; k++) /* one agent more: a Poisson-binomial step */
        for (int j = k; j >= 0; j--)
            pmf[j] = pmf[j] * (1 - q[k - 1]) + (j > 0 ? pmf[j - 1] * q[k - 1] : 0);
    for (int x = 0; x <= xmax; x++) {
        double e = 0;
        for (int j = 0; j <= nb; j++) {
            int agents = free_now + j;
            if (agents < 0)
                agents = 0;
            if (x > agents)
                e += pmf[j] * (x - agents);
        }
        g[x] = e;
    }
}

static int s_predictive(dl_pace_t *self, const dl_floor_t *f, int64_t now_ms, dl_pace_why_t *why)
{
    int agents = f->ready + f->busy;
    int limit = (int)floor(self->cfg.max_ratio * agents) - f->ringing;
    if (agents <= 0 || limit <= 0)
        return 0;
    if (f->ringing + limit > S_MAX_LINES)
        limit = S_MAX_LINES - f->ringing;
    if (limit <= 0)
        return 0;
    double p = why->answer_rate, horizon = why->answer_s, handle = why->handle_s;
    int nb = f->busy < S_MAX_LINES ? f->busy : S_MAX_LINES;
    for (int k = 0; k < nb; k++)
        self->free_q[k] =
            f->busy_ms   ? s_free_within(self, (double)f->busy_ms[k], horizon * 1000, handle * 1000)
            : handle > 0 ? 1 - exp(-horizon / handle)
                         : 1;
    double target = s_target(self, why->contacts_window, why->abandons_window);
    why->target = target;
    double *g = self->excess, *x = self->answers_pmf;
    int xmax = f->ringing + limit;
    s_excess(self->pmf, g, xmax, f->ready - f->waiting, nb, self->free_q);
    memset(x, 0, (S_MAX_LINES + 1) * sizeof *x);
    x[0] = 1.0;
    for (int k = 1; k <= f->ringing; k++) { /* answers of the lines already ringing */
        double pk = f->ringing_ms ? s_still_answers(self, p, (double)f->ringing_ms[k - 1]) : p;
        for (int j = k; j >= 0; j--)
            x[j] = x[j] * (1 - pk) + (j > 0 ? x[j - 1] * pk : 0);
    }
    double answers_in_flight = 0;
    for (int k = 0; k < f->ringing; k++)
        answers_in_flight += f->ringing_ms ? s_still_answers(self, p, (double)f->ringing_ms[k]) : p;
    int best = 0;
    why->expected = 0;
    for (int n = 0; n <= limit; n++) {
        int m = f->ringing + n;
        if (n > 0)
            for (int j = m; j >= 0; j--)
                x[j] = x[j] * (1 - p) + (j > 0 ? x[j - 1] * p : 0);
        answers_in_flight += n > 0 ? p : 0;
        double answers = answers_in_flight, abandons = 0;
        for (int j = 0; j <= m; j++)
            abandons += x[j] * g[j];
        double share = answers > 0 ? abandons / answers : 0;
        if (n > 0 && share > target)
            break;
        best = n;
        why->expected = share;
    }
    (void)now_ms;
    return best;
}

int dl_pace_lines(dl_pace_t *self, const dl_floor_t *floor, int64_t now_ms, dl_pace_why_t *why)
{
    dl_pace_why_t local;
    why = why ? why : &local;
    memset(why, 0, sizeof *why);
    s_fade(&self->answers, now_ms);
    why->answer_rate = s_mean(&self->answers, S_PRIOR_ANSWER_RATE, S_PRIOR_ANSWER_WEIGHT);
    why->answer_s = s_mean(&self->answer_ms, S_PRIOR_ANSWER_MS, S_PRIOR_WEIGHT) / 1000.0;
    why->handle_s = s_mean(&self->handle_ms, S_PRIOR_HANDLE_MS, S_PRIOR_WEIGHT) / 1000.0;
    why->abandon_rate =
        dl_pace_abandon_rate(self, now_ms, &why->contacts_window, &why->abandons_window);
    switch (self->cfg.mode) {
    case DL_MODE_PREVIEW:
        return 0;
    case DL_MODE_PROGRESSIVE: {
        int n = floor->ready - floor->ringing - floor->waiting;
        return n > 0 ? n : 0;
    }
    case DL_MODE_PREDICTIVE:
    default:
        return s_predictive(self, floor, now_ms, why);
    }
}
