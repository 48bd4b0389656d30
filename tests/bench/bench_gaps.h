/* bench_gaps.h - what the IVR media benchmarks' receivers share (ivr_media_sink.c,
 * ivr_calls_phone.c): a monotonic clock and the histogram of how far each packet's
 * arrival gap strays from 20 ms, with its percentiles. Header-only: each tool is built
 * from its one .c file by its Python driver. */
#ifndef BENCH_GAPS_H
#define BENCH_GAPS_H

#include <stdint.h>
#include <time.h>

#define BIN_US 10
#define BINS 20000 /* 10 us bins up to 200 ms */

static uint64_t s_hist[BINS + 1];
static uint64_t s_gaps, s_max_us;

static int64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One gap between two consecutive packets of a 20 ms stream, in ns. */
static void s_gap_add(int64_t gap_ns)
{
    int64_t dev = gap_ns / 1000 - 20000;
    uint64_t us = (uint64_t)(dev < 0 ? -dev : dev);
    s_hist[us / BIN_US < BINS ? us / BIN_US : BINS]++;
    s_gaps++;
    if (us > s_max_us)
        s_max_us = us;
}

/* The q-quantile of |gap - 20 ms| in us. */
static uint64_t s_pct(double q)
{
    uint64_t want = (uint64_t)(q * (double)s_gaps), seen = 0;
    for (int i = 0; i <= BINS; i++) {
        seen += s_hist[i];
        if (seen > want)
            return (uint64_t)i * BIN_US;
    }
    return (uint64_t)BINS * BIN_US;
}

#endif
