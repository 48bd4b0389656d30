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
#define S_MIN_CONTACTS 20 /* below this the measured rate is noise: half the margin */

typedef struct { /* a mean whose old observations fade */
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
    s_bucket_t *buckets;
    size_t nbuckets;
    /* scratch of the decision: distributions of free agents and of answers */
    double pmf[S_MAX_LINES + 1], excess[S_MAX_LINES + 1], answers_pmf[S_MAX_LINES + 1];
};

static void s_fade(s_fading_t *f, int64_t now_ms)
{
    if (now_ms > f->last_ms && f->weight > 0) {
        double k = exp(-(double)(now_ms - f->last_ms) / S_FORGET_MS);
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

void dl_pace_answered(dl_pace_t *self, int64_t now_ms, int64_t ring_ms)
{
    s_observe(&self->answers, now_ms, 1);
    s_observe(&self->answer_ms, now_ms, (double)(ring_ms > 0 ? ring_ms : 0));
    s_bucket(self, now_ms)->contacts++;
}

void dl_pace_abandoned(dl_pace_t *self, int64_t now_ms)
{
    s_bucket(self, now_ms)->abandons++;
}

void dl_pace_handled(dl_pace_t *self, int64_t now_ms, int64_t handle_ms)
{
    s_observe(&self->handle_ms, now_ms, (double)(handle_ms > 0 ? handle_ms : 0));
}

/* ---- the decision --------------------------------------------------------------------- */

/* The expected abandon share the next decision may allow. */
static double s_target(const dl_pace_t *self, int contacts, int abandons)
{
    double cap = self->cfg.cap;
    if (contacts < S_MIN_CONTACTS)
        return cap * S_MODEL_MARGIN * 0.5;
    double rate = (double)abandons / contacts;
    double gain = 1.25 - rate / cap; /* 1 up to a quarter of the cap, 0.25 at the cap */
    gain = gain > 1.0 ? 1.0 : gain < 0.1 ? 0.1 : gain;
    return cap * S_MODEL_MARGIN * gain;
}

/* g[x] = E[max(0, x - free)] with free = free_now + Binomial(busy, q), floored at 0:
 * the abandoned answers among x answers arriving within the horizon. */
static void s_excess(double *pmf, double *g, int xmax, int free_now, int busy, double q)
{
    int nb = busy > S_MAX_LINES ? S_MAX_LINES : busy;
    memset(pmf, 0, (S_MAX_LINES + 1) * sizeof *pmf);
    pmf[0] = 1.0;
    for (int k = 1; k <= nb; k++) /* Binomial(k, q) from Binomial(k - 1, q) */
        for (int j = k; j >= 0; j--)
            pmf[j] = pmf[j] * (1 - q) + (j > 0 ? pmf[j - 1] * q : 0);
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
    double q = handle > 0 ? 1 - exp(-horizon / handle) : 1;
    double target = s_target(self, why->contacts_window, why->abandons_window);
    why->target = target;
    double *g = self->excess, *x = self->answers_pmf;
    int xmax = f->ringing + limit;
    s_excess(self->pmf, g, xmax, f->ready - f->waiting, f->busy, q);
    memset(x, 0, (S_MAX_LINES + 1) * sizeof *x);
    x[0] = 1.0;
    for (int k = 1; k <= f->ringing; k++) /* answers of the lines already ringing */
        for (int j = k; j >= 0; j--)
            x[j] = x[j] * (1 - p) + (j > 0 ? x[j - 1] * p : 0);
    int best = 0;
    why->expected = 0;
    for (int n = 0; n <= limit; n++) {
        int m = f->ringing + n;
        if (n > 0)
            for (int j = m; j >= 0; j--)
                x[j] = x[j] * (1 - p) + (j > 0 ? x[j - 1] * p : 0);
        double answers = m * p, abandons = 0;
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
