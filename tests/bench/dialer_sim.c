/* dialer_sim.c - a simulated calling day through the dialer's real pacing core (dl_pace,
 * libdialer.a) or through a baseline written here after VICIdial's published adaptive
 * method, so both face the very same customers. 100 ms steps; each second the policy says
 * how many lines to dial. Customers answer with the hour's answer rate after 3-15 s of
 * ringing, else are busy (2 s) or ring out (20 s); an answered customer takes a free agent
 * at once, waits up to 2 s for one, or is abandoned. Handle times are uniform between the
 * given bounds. Prints one JSON object: per hour dials, contacts, abandons and agent busy
 * seconds. Driven by tests/bench/dialer_sim.py, which builds this file and prints the
 * figures side by side.
 *
 *   dialer_sim POLICY SEED AGENTS HANDLE_MIN_S HANDLE_MAX_S CAP RATE[,RATE...]
 *   POLICY: ours | ours-memoryless (without agents' elapsed time and lines' ring time) |
 *           baseline | baseline:MAX_LEVEL; one RATE (0-1) per simulated hour. */
#define _GNU_SOURCE
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl_pace.h"

#define STEP_MS 100
#define TICK_MS 1000
#define RING_MS 20000
#define MAX_LINES 4096
#define MAX_WAIT 1024
#define MAX_AGENTS 256
#define MAX_HOURS 24
#define WINDOW_S 1800

typedef struct {
    int64_t at_ms; /* when it answers or gives up */
    int64_t dial_ms;
    bool answers;
} s_line_t;

typedef struct {
    int dials, contacts, abandons;
    double busy_s;
} s_hour_t;

/* ---- a small deterministic random source (xorshift64*) ------------------------------- */

static uint64_t s_rng;

static double s_uniform(void)
{
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return (double)((s_rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* ---- the baseline: a dial level adjusted from idle agents and waiting calls ----------- */

typedef struct {
    double level;     /* lines per ready agent */
    double diff_sum;  /* sum over the interval's ticks of (ready - waiting) */
    int ticks, drops; /* in the interval */
    int win_contacts[WINDOW_S], win_drops[WINDOW_S]; /* per second, rolling */
} s_baseline_t;

#define BASE_INTERVAL_TICKS 15 /* adjust every 15 s */
#define BASE_MAX_LEVEL 3.0     /* VICIdial's default adaptive maximum */

static double s_base_max_level = BASE_MAX_LEVEL;

static int s_baseline_lines(s_baseline_t *b, const dl_floor_t *f, int agents, double cap)
{
    b->diff_sum += f->ready - f->waiting;
    if (++b->ticks >= BASE_INTERVAL_TICKS) {
        double diff = b->diff_sum / b->ticks; /* idle agents (+) or waiting calls (-) */
        b->level += diff / (agents > 0 ? agents : 1);
        int c = 0, d = 0;
        for (int i = 0; i < WINDOW_S; i++)
            c += b->win_contacts[i], d += b->win_drops[i];
        if (b->drops > 0 && c > 0 && (double)d / c > cap)
            b->level /= 2; /* dropped calls over the limit: halve */
        if (b->level > s_base_max_level)
            b->level = s_base_max_level;
        if (b->level < 1.0)
            b->level = 1.0;
        b->diff_sum = 0;
        b->ticks = 0;
        b->drops = 0;
    }
    int n = (int)ceil(b->level * f->ready) - f->ringing;
    return n > 0 ? n : 0;
}

/* ---- the day ------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: dialer_sim ours|baseline SEED AGENTS HANDLE_MIN_S HANDLE_MAX_S "
                        "CAP RATE[,RATE...]\n");
        return 2;
    }
    bool ours = !strncmp(argv[1], "ours", 4);
    if (!strncmp(argv[1], "baseline:", 9)) /* baseline:MAX_LEVEL, a lower cap on the level */
        s_base_max_level = atof(argv[1] + 9);
    bool use_elapsed = strcmp(argv[1], "ours-memoryless") != 0; /* to show what it gains */
    s_rng = strtoull(argv[2], NULL, 10) * 0x9E3779B97F4A7C15ULL + 1;
    int agents = atoi(argv[3]);
    double hmin = atof(argv[4]), hmax = atof(argv[5]), cap = atof(argv[6]);
    double rates[MAX_HOURS];
    int hours = 0;
    for (char *tok = strtok(argv[7], ","); tok && hours < MAX_HOURS; tok = strtok(NULL, ","))
        rates[hours++] = atof(tok);
    if (agents < 1 || agents > MAX_AGENTS || hours < 1 || hmin <= 0 || hmax < hmin) {
        fprintf(stderr, "dialer_sim: bad arguments\n");
        return 2;
    }

    dl_pace_cfg_t cfg = {
        .mode = DL_MODE_PREDICTIVE, .cap = cap, .max_ratio = 4, .window_s = WINDOW_S};
    dl_pace_t *pace = dl_pace_new(&cfg);
    static s_baseline_t base;
    base.level = 1.0;
    static s_line_t lines[MAX_LINES];
    static int64_t waiting[MAX_WAIT]; /* answer times of customers waiting for an agent */
    int64_t busy_until[MAX_AGENTS], busy_since[MAX_AGENTS];
    int nlines = 0, nwait = 0;
    s_hour_t per[MAX_HOURS];
    memset(per, 0, sizeof per);
    for (int i = 0; i < agents; i++)
        busy_until[i] = busy_since[i] = 0;

    int64_t end_ms = (int64_t)hours * 3600 * 1000;
    for (int64_t t = 0; t < end_ms; t += STEP_MS) {
        int h = (int)(t / 3600000);
        int sec = (int)((t / 1000) % WINDOW_S);
        if (t % 1000 == 0) {
            base.win_contacts[sec] = 0;
            base.win_drops[sec] = 0;
        }
        /* agents finishing */
        int ready = 0;
        for (int i = 0; i < agents; i++) {
            if (busy_until[i] && busy_until[i] <= t) {
                dl_pace_handled(pace, t, busy_until[i] - busy_since[i]);
                busy_until[i] = 0;
            }
            if (busy_until[i])
                per[h].busy_s += STEP_MS / 1000.0;
            else
                ready++;
        }
        /* lines answering or giving up */
        for (int k = 0; k < nlines;) {
            if (lines[k].at_ms > t) {
                k++;
                continue;
            }
            if (lines[k].answers) {
                dl_pace_answered(pace, t, t - lines[k].dial_ms);
                per[h].contacts++;
                base.win_contacts[sec]++;
                if (nwait < MAX_WAIT)
                    waiting[nwait++] = t;
            } else {
                dl_pace_unanswered(pace, t);
            }
            lines[k] = lines[--nlines];
        }
        /* waiting customers: an agent, or abandoned after 2 s (oldest first) */
        for (int w = 0; w < nwait;) {
            int agent = -1;
            for (int i = 0; i < agents && agent < 0; i++)
                if (!busy_until[i])
                    agent = i;
            if (agent >= 0) {
                double handle = hmin + (hmax - hmin) * s_uniform();
                busy_since[agent] = t;
                busy_until[agent] = t + (int64_t)(handle * 1000);
                ready--;
                memmove(&waiting[w], &waiting[w + 1], (size_t)(nwait - w - 1) * sizeof *waiting);
                nwait--;
            } else if (t - waiting[w] >= 2000) {
                dl_pace_abandoned(pace, t);
                per[h].abandons++;
                base.win_drops[sec]++;
                base.drops++;
                memmove(&waiting[w], &waiting[w + 1], (size_t)(nwait - w - 1) * sizeof *waiting);
                nwait--;
            } else {
                w++;
            }
        }
        if (t % TICK_MS != 0)
            continue;
        int64_t elapsed[MAX_AGENTS];
        int nbusy = 0;
        for (int i = 0; i < agents; i++)
            if (busy_until[i])
                elapsed[nbusy++] = t - busy_since[i];
        static int64_t rung[MAX_LINES];
        for (int k = 0; k < nlines; k++)
            rung[k] = t - lines[k].dial_ms;
        dl_floor_t f = {.ready = ready,
                        .busy = nbusy,
                        .ringing = nlines,
                        .waiting = nwait,
                        .busy_ms = use_elapsed ? elapsed : NULL,
                        .ringing_ms = use_elapsed ? rung : NULL};
        int n = ours ? dl_pace_lines(pace, &f, t, NULL) : s_baseline_lines(&base, &f, agents, cap);
        for (int k = 0; k < n && nlines < MAX_LINES; k++) {
            s_line_t *l = &lines[nlines++];
            l->dial_ms = t;
            l->answers = s_uniform() < rates[h];
            if (l->answers)
                l->at_ms = t + 3000 + (int64_t)(12000 * s_uniform());
            else
                l->at_ms = t + (s_uniform() < 0.15 ? 2000 : RING_MS);
            dl_pace_dialled(pace, t);
            per[h].dials++;
        }
    }
    printf("{\"policy\": \"%s\", \"hours\": [", ours ? "ours" : "baseline");
    for (int h = 0; h < hours; h++)
        printf("%s{\"rate\": %.2f, \"dials\": %d, \"contacts\": %d, \"abandons\": %d, "
               "\"occupancy\": %.4f}",
               h ? ", " : "", rates[h], per[h].dials, per[h].contacts, per[h].abandons,
               per[h].busy_s / (agents * 3600.0));
    printf("]}\n");
    dl_pace_destroy(&pace);
    return 0;
}
