/* acd_bench.c - benchmark of acdd's routing core alone (acd_core.h), no I/O: 2,000 agents
 * in 10 queues with 50 skills and 10,000 calls waiting. Times every step that makes a
 * routing decision (median, p99, max) and counts events per second.
 *   phase A  agents scarce: an agent frees up and picks its call among 10,000 waiting
 *   phase B  calls scarce: a call arrives and picks one of ~2,000 ready agents
 * Built and run by tests/bench/acd_bench.sh against build/release/lib/libacdd.a. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acd_core.h"

#define N_AGENTS 2000
#define N_QUEUES 10
#define N_SKILLS 50
#define N_WAITING 10000
#define SKILLS_PER_AGENT 5
#define ROUNDS 200000

static acd_core_t *s_core;
static acd_actions_t s_out;
static int64_t s_now = 1700000000000LL;
static unsigned long s_events;
static uint64_t s_rng = 88172645463325252ull;
static unsigned long s_next_call;

static uint32_t s_rand(uint32_t n)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t)(s_rng % n);
}

static double s_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int s_step(acd_event_t ev)
{
    ev.now_ms = s_now;
    s_events++;
    int rc = acd_core_step(s_core, &ev, &s_out);
    if (rc != 0) {
        fprintf(stderr, "acd_bench: step %d failed: %d\n", (int)ev.kind, rc);
        exit(1);
    }
    return rc;
}

static const char *s_queue_name(int q)
{
    static char names[N_QUEUES][16];
    snprintf(names[q], sizeof names[q], "q%d", q);
    return names[q];
}

static const char *s_ext(int a)
{
    static char ext[16];
    snprintf(ext, sizeof ext, "%d", 10000 + a);
    return ext;
}

/* A call into a random queue; 10% have priority 1-5; skills queues ask for a random
 * skill at a random minimum level 1-5. */
static void s_enqueue(void)
{
    char id[32], skill[16];
    snprintf(id, sizeof id, "call-%lu", s_next_call++);
    int q = (int)s_rand(N_QUEUES);
    snprintf(skill, sizeof skill, "skill%u", s_rand(N_SKILLS));
    s_step((acd_event_t){.kind = ACD_EV_CALL_ENQUEUED,
                         .call_id = id,
                         .queue = s_queue_name(q),
                         .priority = s_rand(10) == 0 ? 1 + (int)s_rand(5) : 0,
                         .skill = skill,
                         .min_level = 1 + (int)s_rand(5)});
}

/* Answers every offer the last step made. */
static void s_answer_offers(void)
{
    acd_actions_t offers = {0};
    size_t n = 0;
    for (size_t i = 0; i < s_out.count; i++)
        n += s_out.items[i].kind == ACD_ACT_OFFER;
    if (!n)
        return;
    offers.items = malloc(n * sizeof *offers.items);
    for (size_t i = 0; i < s_out.count; i++)
        if (s_out.items[i].kind == ACD_ACT_OFFER)
            offers.items[offers.count++] = s_out.items[i];
    for (size_t i = 0; i < offers.count; i++)
        s_step((acd_event_t){.kind = ACD_EV_OFFER_ANSWERED,
                             .call_id = offers.items[i].call_id,
                             .agent = offers.items[i].agent});
    free(offers.items);
}

static size_t s_count_offers(void)
{
    size_t n = 0;
    for (size_t i = 0; i < s_out.count; i++)
        n += s_out.items[i].kind == ACD_ACT_OFFER;
    return n;
}

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void s_report(const char *what, double *ns, size_t n, size_t decisions)
{
    qsort(ns, n, sizeof *ns, s_cmp_double);
    printf("%-44s n=%zu  median %.2f us  p99 %.2f us  max %.2f us  (%.1f%% offered)\n", what, n,
           ns[n / 2] / 1e3, ns[(size_t)((double)n * 0.99)] / 1e3, ns[n - 1] / 1e3,
           100.0 * (double)decisions / (double)n);
}

static void s_setup(void)
{
    static const acd_strategy_t strategies[N_QUEUES] = {
        ACD_STRATEGY_SKILLS,       ACD_STRATEGY_SKILLS,       ACD_STRATEGY_SKILLS,
        ACD_STRATEGY_SKILLS,       ACD_STRATEGY_LONGEST_IDLE, ACD_STRATEGY_ROUND_ROBIN,
        ACD_STRATEGY_FEWEST_CALLS, ACD_STRATEGY_SKILLS,       ACD_STRATEGY_SKILLS,
        ACD_STRATEGY_LONGEST_IDLE,
    };
    s_core = acd_core_new();
    acd_actions_init(&s_out);
    for (int q = 0; q < N_QUEUES; q++) {
        acd_queue_cfg_t cfg;
        memset(&cfg, 0, sizeof cfg);
        snprintf(cfg.name, sizeof cfg.name, "%s", s_queue_name(q));
        cfg.strategy = strategies[q];
        cfg.ring_timeout_s = 20;
        cfg.aging_rate = 0.01;
        cfg.sl_threshold_s = 20;
        if (acd_core_queue_set(s_core, &cfg) != 0)
            exit(1);
    }
    for (int a = 0; a < N_AGENTS; a++) {
        char skill[16];
        if (acd_core_agent_add(s_core, s_ext(a)) != 0 ||
            acd_core_agent_join(s_core, s_ext(a), s_queue_name(a % N_QUEUES)) != 0 ||
            acd_core_agent_join(s_core, s_ext(a), s_queue_name((a / N_QUEUES + a + 1) % N_QUEUES)))
            exit(1);
        for (int s = 0; s < SKILLS_PER_AGENT; s++) {
            snprintf(skill, sizeof skill, "skill%u", s_rand(N_SKILLS));
            acd_core_agent_set_skill(s_core, s_ext(a), skill, 1 + (int)s_rand(10));
        }
    }
}

/* All agents on a call, then 10,000 more calls waiting. */
static void s_fill(void)
{
    for (int a = 0; a < N_AGENTS; a++)
        s_step((acd_event_t){.kind = ACD_EV_AGENT_LOGIN, .agent = s_ext(a)});
    for (int guard = 0; guard < 100000; guard++) {
        acd_queue_info_t info;
        unsigned waiting = 0;
        for (int q = 0; q < N_QUEUES; q++) {
            acd_core_queue_info(s_core, s_queue_name(q), &info);
            waiting += info.waiting;
        }
        if (waiting >= N_WAITING)
            break;
        s_now += 10;
        s_enqueue();
        s_answer_offers();
    }
}

int main(void)
{
    static double decide_ns[ROUNDS], enqueue_ns[ROUNDS];
    s_setup();
    s_fill();
    unsigned busy = 0;
    for (int a = 0; a < N_AGENTS; a++) {
        acd_agent_info_t info;
        acd_core_agent_info(s_core, s_ext(a), &info);
        busy += info.state == ACD_AGENT_ON_CALL;
    }
    printf("acd_bench: %d agents (%u on a call), %d queues, %d skills, %d calls waiting\n",
           N_AGENTS, busy, N_QUEUES, N_SKILLS, N_WAITING);

    /* Phase A: an agent ends its call (wrap-up 0: ready at once, picks a call), answers,
     * and a new call arrives (no agent free: it just queues). */
    size_t offered_a = 0;
    unsigned long events0 = s_events;
    double t0 = s_clock_ns();
    for (int r = 0; r < ROUNDS; r++) {
        s_now += 5;
        int a = (int)s_rand(N_AGENTS);
        acd_agent_info_t info;
        acd_core_agent_info(s_core, s_ext(a), &info);
        double t = s_clock_ns();
        if (info.state == ACD_AGENT_ON_CALL)
            s_step((acd_event_t){.kind = ACD_EV_CALL_ENDED, .agent = s_ext(a)});
        else
            s_step((acd_event_t){.kind = ACD_EV_AGENT_READY, .agent = s_ext(a)});
        decide_ns[r] = s_clock_ns() - t;
        offered_a += s_count_offers();
        s_answer_offers();
        t = s_clock_ns();
        s_enqueue();
        enqueue_ns[r] = s_clock_ns() - t;
        s_answer_offers();
    }
    double elapsed_a = s_clock_ns() - t0;
    unsigned long events_a = s_events - events0;
    s_report("A agent frees up, picks among 10k waiting", decide_ns, ROUNDS, offered_a);
    s_report("A call arrives into 10k waiting", enqueue_ns, ROUNDS, 0);
    printf("A events/s: %.0f (%lu events in %.3f s)\n", (double)events_a / (elapsed_a / 1e9),
           events_a, elapsed_a / 1e9);

    /* Phase B: drain every queue by abandoning the waiting calls, end every call: now
     * ~2,000 agents are ready and each arriving call picks one. */
    for (unsigned long c = 0; c < s_next_call; c++) {
        char id[32];
        snprintf(id, sizeof id, "call-%lu", c);
        acd_call_info_t ci;
        if (acd_core_call_info(s_core, id, &ci) == 0 && !ci.offered)
            s_step((acd_event_t){.kind = ACD_EV_CALL_ABANDONED, .call_id = id});
    }
    for (int a = 0; a < N_AGENTS; a++) {
        acd_agent_info_t info;
        acd_core_agent_info(s_core, s_ext(a), &info);
        if (info.state == ACD_AGENT_ON_CALL)
            s_step((acd_event_t){.kind = ACD_EV_CALL_ENDED, .agent = s_ext(a)});
    }
    size_t offered_b = 0;
    events0 = s_events;
    t0 = s_clock_ns();
    for (int r = 0; r < ROUNDS; r++) {
        s_now += 5;
        double t = s_clock_ns();
        s_enqueue();
        enqueue_ns[r] = s_clock_ns() - t;
        size_t n = s_count_offers();
        offered_b += n;
        for (size_t i = 0; i < s_out.count; i++) {
            if (s_out.items[i].kind != ACD_ACT_OFFER)
                continue;
            char agent[ACD_EXT_MAX], call[ACD_ID_MAX];
            snprintf(agent, sizeof agent, "%s", s_out.items[i].agent);
            snprintf(call, sizeof call, "%s", s_out.items[i].call_id);
            s_step((acd_event_t){.kind = ACD_EV_OFFER_ANSWERED, .call_id = call, .agent = agent});
            s_step((acd_event_t){.kind = ACD_EV_CALL_ENDED, .agent = agent});
            break;
        }
        if (!n) { /* no agent has the skill at that level: let it go */
            char id[32];
            snprintf(id, sizeof id, "call-%lu", s_next_call - 1);
            s_step((acd_event_t){.kind = ACD_EV_CALL_ABANDONED, .call_id = id});
        }
    }
    double elapsed_b = s_clock_ns() - t0;
    unsigned long events_b = s_events - events0;
    s_report("B call arrives, picks among ~2k ready agents", enqueue_ns, ROUNDS, offered_b);
    printf("B events/s: %.0f (%lu events in %.3f s)\n", (double)events_b / (elapsed_b / 1e9),
           events_b, elapsed_b / 1e9);
    acd_core_destroy(&s_core);
    acd_actions_free(&s_out);
    return 0;
}
