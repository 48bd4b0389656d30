/* acd_sim.c - a simulated day through acdd's real routing core, to measure the expected
 * wait it announces against the wait each caller then has. Poisson arrivals (constant or
 * following a daily curve), exponential talk times, fixed wrap-up, patient callers who
 * answer-free agents at once. Prints, per scenario, the error of the entry announcement.
 * Built and run by tests/bench/acd_bench.sh; the figures go into docs/ACD-ROUTING.md. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd_core.h"

#define DAY_S (10 * 3600) /* 08:00 - 18:00 */
#define MAX_CALLS 200000
#define MAX_AGENTS 200

typedef struct {
    const char *name;
    int agents;
    double talk_s;    /* mean, exponential */
    int wrapup_s;     /* fixed */
    double load;      /* offered load per agent (rho) */
    bool daily_curve; /* rate follows a morning/afternoon curve whose mean is `load` */
    double vip_share; /* share of calls with priority 5 */
} s_scenario_t;

typedef struct {
    int64_t enq_ms;
    int expected_s; /* at entry, -2 if no announcement (served at once) */
    int position;
    int64_t wait_ms; /* -1 until answered */
    int priority;
} s_call_t;

static s_call_t s_calls[MAX_CALLS];
static int s_ncalls;

/* Callers who waited (and were told), over all days of a scenario. */
typedef struct {
    double expected_s, actual_s, oracle_s;
    int position, priority;
} s_result_t;
#define MAX_RESULTS (MAX_CALLS * 4)
static s_result_t s_results[MAX_RESULTS];
static int s_nresults, s_total_calls, s_served_at_once;
static uint64_t s_rng;
static acd_core_t *s_core;
static acd_actions_t s_out;

/* min-heap of call ends */
typedef struct {
    int64_t at;
    int agent;
} s_end_t;
static s_end_t s_heap[MAX_AGENTS];
static int s_nheap;

static double s_uniform(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return ((double)(s_rng >> 11) + 0.5) / 9007199254740992.0;
}

static double s_exp(double mean)
{
    return -log(s_uniform()) * mean;
}

static void s_heap_push(int64_t at, int agent)
{
    int i = s_nheap++;
    while (i > 0 && s_heap[(i - 1) / 2].at > at) {
        s_heap[i] = s_heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s_heap[i] = (s_end_t){at, agent};
}

static s_end_t s_heap_pop(void)
{
    s_end_t top = s_heap[0], last = s_heap[--s_nheap];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= s_nheap)
            break;
        if (c + 1 < s_nheap && s_heap[c + 1].at < s_heap[c].at)
            c++;
        if (s_heap[c].at >= last.at)
            break;
        s_heap[i] = s_heap[c];
        i = c;
    }
    s_heap[i] = last;
    return top;
}

/* Arrival rate (per second) at time t of the day: flat, or a two-humped curve (peaks at
 * 10:00 and 15:00) scaled to the same mean. */
static double s_rate(const s_scenario_t *sc, double t)
{
    double mean = sc->load * sc->agents / (sc->talk_s + sc->wrapup_s);
    if (!sc->daily_curve)
        return mean;
    double h = t / 3600.0;
    double shape = 0.55 + 0.6 * exp(-pow(h - 2.0, 2) / 2.0) + 0.5 * exp(-pow(h - 7.0, 2) / 2.5);
    return mean * shape / 0.95; /* 0.95: the curve's mean over the 10 hours, roughly */
}

static double s_rate_max(const s_scenario_t *sc)
{
    double max = 0;
    for (double t = 0; t < DAY_S; t += 60)
        if (s_rate(sc, t) > max)
            max = s_rate(sc, t);
    return max;
}

static void s_step(acd_event_t ev, int64_t now);

/* Reads the actions of the last step: records announcements and waits, answers offers
 * at once and schedules the end of the call. */
static void s_react(int64_t now, const s_scenario_t *sc)
{
    size_t n = s_out.count;
    acd_action_t *acts = malloc((n ? n : 1) * sizeof *acts);
    memcpy(acts, s_out.items, n * sizeof *acts);
    for (size_t i = 0; i < n; i++) {
        int c = atoi(acts[i].call_id + 1);
        if (acts[i].kind == ACD_ACT_ANNOUNCE && s_calls[c].expected_s == -2) {
            s_calls[c].expected_s = acts[i].expected_wait_s;
            s_calls[c].position = acts[i].position;
        } else if (acts[i].kind == ACD_ACT_OFFER) {
            s_step((acd_event_t){.kind = ACD_EV_OFFER_ANSWERED,
                                 .call_id = acts[i].call_id,
                                 .agent = acts[i].agent},
                   now);
            s_calls[c].wait_ms = now - s_calls[c].enq_ms;
            s_heap_push(now + (int64_t)(s_exp(sc->talk_s) * 1000.0), atoi(acts[i].agent + 1));
        }
    }
    free(acts);
}

static void s_step(acd_event_t ev, int64_t now)
{
    ev.now_ms = now;
    int rc = acd_core_step(s_core, &ev, &s_out);
    if (rc != 0) {
        fprintf(stderr, "acd_sim: event %d failed: %d\n", (int)ev.kind, rc);
        exit(1);
    }
}

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void s_run(const s_scenario_t *sc, uint64_t seed)
{
    s_rng = seed;
    s_core = acd_core_new();
    acd_actions_init(&s_out);
    acd_queue_cfg_t cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.name, sizeof cfg.name, "sim");
    cfg.strategy = ACD_STRATEGY_LONGEST_IDLE;
    cfg.wrapup_s = sc->wrapup_s;
    cfg.announce = true;
    cfg.default_handle_s = 180; /* deliberately not the true mean: the EWMA must learn it */
    acd_core_queue_set(s_core, &cfg);
    int64_t start = 1700000000000LL;
    for (int a = 0; a < sc->agents; a++) {
        char ext[16];
        snprintf(ext, sizeof ext, "a%d", a);
        acd_core_agent_add(s_core, ext);
        acd_core_agent_join(s_core, ext, "sim");
        s_step((acd_event_t){.kind = ACD_EV_AGENT_LOGIN, .agent = ext}, start);
    }
    s_ncalls = 0;
    s_nheap = 0;
    double rmax = s_rate_max(sc), t_arrival = 0;
    /* Thinning: candidate arrivals at the maximum rate, kept with probability rate/max. */
    do
        t_arrival += s_exp(1.0 / rmax);
    while (s_uniform() > s_rate(sc, t_arrival) / rmax);
    for (;;) {
        int64_t next_arrival = t_arrival < DAY_S ? start + (int64_t)(t_arrival * 1000) : INT64_MAX;
        int64_t next_end = s_nheap ? s_heap[0].at : INT64_MAX;
        int64_t next_timer = acd_core_next_timer_ms(s_core);
        int64_t now = next_arrival;
        if (next_end < now)
            now = next_end;
        if (next_timer < now)
            now = next_timer;
        if (now == INT64_MAX)
            break;
        if (now == next_arrival && s_ncalls < MAX_CALLS) {
            char id[16];
            int c = s_ncalls++;
            snprintf(id, sizeof id, "c%d", c);
            s_calls[c] = (s_call_t){.enq_ms = now,
                                    .expected_s = -2,
                                    .wait_ms = -1,
                                    .priority = s_uniform() < sc->vip_share ? 5 : 0};
            s_step((acd_event_t){.kind = ACD_EV_CALL_ENQUEUED,
                                 .call_id = id,
                                 .queue = "sim",
                                 .priority = s_calls[c].priority},
                   now);
            do
                t_arrival += s_exp(1.0 / rmax);
            while (s_uniform() > s_rate(sc, t_arrival) / rmax);
        } else if (now == next_end) {
            s_end_t end = s_heap_pop();
            char ext[16];
            snprintf(ext, sizeof ext, "a%d", end.agent);
            s_step((acd_event_t){.kind = ACD_EV_CALL_ENDED, .agent = ext}, now);
        } else {
            s_step((acd_event_t){.kind = ACD_EV_TICK}, now);
        }
        s_react(now, sc);
    }

    double handle = sc->talk_s + sc->wrapup_s;
    for (int c = 0; c < s_ncalls; c++) {
        s_total_calls++;
        if (s_calls[c].expected_s == -2) {
            s_served_at_once++;
            continue;
        }
        if (s_nresults < MAX_RESULTS)
            s_results[s_nresults++] = (s_result_t){
                .expected_s = s_calls[c].expected_s,
                .actual_s = s_calls[c].wait_ms / 1000.0,
                .oracle_s = s_calls[c].position * handle / sc->agents,
                .position = s_calls[c].position,
                .priority = s_calls[c].priority,
            };
    }
    acd_core_destroy(&s_core);
    acd_actions_free(&s_out);
}

/* Error of the entry announcement over the callers who had to wait. */
static void s_report(const s_scenario_t *sc, int days)
{
    static double abs_err[MAX_RESULTS];
    int n = s_nresults, within30 = 0, within60 = 0, within_rel = 0, n_vip = 0;
    double sum_exp = 0, sum_act = 0, sum_err = 0, sum_vip_err = 0, mae = 0, omae = 0, obias = 0;
    double band_err[3] = {0}, band_act[3] = {0};
    int band_n[3] = {0};
    for (int i = 0; i < n; i++) {
        const s_result_t *r = &s_results[i];
        double err = r->expected_s - r->actual_s;
        abs_err[i] = fabs(err);
        mae += fabs(err);
        omae += fabs(r->oracle_s - r->actual_s);
        obias += r->oracle_s - r->actual_s;
        sum_exp += r->expected_s;
        sum_act += r->actual_s;
        sum_err += err;
        if (r->priority) {
            sum_vip_err += err;
            n_vip++;
        }
        within30 += fabs(err) <= 30;
        within60 += fabs(err) <= 60;
        within_rel += fabs(err) <= 0.5 * r->actual_s || fabs(err) <= 15;
        int band = r->position <= 2 ? 0 : r->position <= 10 ? 1 : 2;
        band_err[band] += fabs(err);
        band_act[band] += r->actual_s;
        band_n[band]++;
    }
    printf("%s\n  %d agents, talk %.0f s (exp), wrap-up %d s, load %.2f%s%s; %d day(s): %d "
           "calls, %d served at once, %d waited\n",
           sc->name, sc->agents, sc->talk_s, sc->wrapup_s, sc->load,
           sc->daily_curve ? " (daily curve)" : "", sc->vip_share > 0 ? ", 10% VIP" : "", days,
           s_total_calls, s_served_at_once, n);
    if (n == 0)
        return;
    qsort(abs_err, (size_t)n, sizeof *abs_err, s_cmp_double);
    printf("  mean actual wait %.0f s, mean expected %.0f s, bias (expected-actual) %+.0f s\n",
           sum_act / n, sum_exp / n, sum_err / n);
    printf("  abs error: mean %.0f s, median %.0f s, p90 %.0f s; within 30 s %.0f%%, within "
           "60 s %.0f%%, within 50%% (or 15 s) %.0f%%\n",
           mae / n, abs_err[n / 2], abs_err[(int)(n * 0.9)], 100.0 * within30 / n,
           100.0 * within60 / n, 100.0 * within_rel / n);
    printf("  same formula with the true handle time: mean abs error %.0f s, bias %+.0f s\n",
           omae / n, obias / n);
    const char *bands[] = {"position 1-2", "position 3-10", "position 11+"};
    for (int b = 0; b < 3; b++)
        if (band_n[b])
            printf("  %-13s n=%-6d mean actual %5.0f s, mean abs error %4.0f s (%.0f%%)\n",
                   bands[b], band_n[b], band_act[b] / band_n[b], band_err[b] / band_n[b],
                   100.0 * band_err[b] / (band_act[b] > 0 ? band_act[b] : 1));
    if (n_vip)
        printf("  VIP callers: bias %+.0f s; normal callers: bias %+.0f s\n", sum_vip_err / n_vip,
               (sum_err - sum_vip_err) / (n - n_vip));
}

int main(void)
{
    static const s_scenario_t scenarios[] = {
        {"S1 steady, 10 agents, busy", 10, 240, 0, 0.90, false, 0},
        {"S2 steady, 10 agents, very busy", 10, 240, 0, 0.97, false, 0},
        {"S3 steady, 50 agents, wrap-up", 50, 180, 20, 0.95, false, 0},
        {"S4 daily curve, 20 agents", 20, 240, 15, 0.85, true, 0},
        {"S5 as S1 with VIP callers", 10, 240, 0, 0.90, false, 0.10},
    };
    printf("acd_sim: one 10-hour day per scenario through the real core; entry "
           "announcement vs actual wait\n");
    for (int pass = 0; pass < 2; pass++) {
        int days = pass == 0 ? 1 : 20;
        printf("\n== %s ==\n", pass == 0 ? "one day" : "20 days (different seeds)");
        for (size_t i = 0; i < sizeof scenarios / sizeof *scenarios; i++) {
            s_nresults = s_total_calls = s_served_at_once = 0;
            for (int d = 0; d < days; d++)
                s_run(&scenarios[i], 0x9e3779b97f4a7c15ull + i * 1000 + (uint64_t)d);
            s_report(&scenarios[i], days);
        }
    }
    return 0;
}
