/* mix_cpu.c - what mixing costs in CPU alone (md_mix, no sockets): rooms of 3, 10 and 50
 * with everyone talking, a room of 50 where two talk and the rest are muted listeners,
 * and 200 rooms of 5 at once. Each member puts one 20 ms G.711 packet per frame into its
 * jitter buffer, then the mixer mixes and encodes; the send callback only counts. Prints
 * CPU per mixed participant-second and per participant-frame, and encodes per frame.
 * Built and run by mix_bench.sh against the release libmediad.a. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "md_g711.h"
#include "md_mix.h"

#define FRAMES 1500 /* 30 s of media per scenario */

static uint64_t s_sent;

static int s_send(md_endpoint_t *ep, const uint8_t *pkt, size_t len, void *arg)
{
    (void)ep, (void)pkt, (void)len, (void)arg;
    s_sent++;
    return 0;
}

static double s_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One member's 20 ms packet: a tone of its own, u-law. */
static void s_packet(uint8_t *pkt, int member, int frame, uint32_t ssrc)
{
    uint16_t seq = (uint16_t)frame;
    uint32_t ts = (uint32_t)frame * MD_MIX_FRAME;
    pkt[0] = 0x80;
    pkt[1] = 0;
    pkt[2] = (uint8_t)(seq >> 8), pkt[3] = (uint8_t)seq;
    pkt[4] = (uint8_t)(ts >> 24), pkt[5] = (uint8_t)(ts >> 16);
    pkt[6] = (uint8_t)(ts >> 8), pkt[7] = (uint8_t)ts;
    pkt[8] = (uint8_t)(ssrc >> 24), pkt[9] = (uint8_t)(ssrc >> 16);
    pkt[10] = (uint8_t)(ssrc >> 8), pkt[11] = (uint8_t)ssrc;
    double f = 300.0 + 37.0 * member;
    for (int i = 0; i < MD_MIX_FRAME; i++)
        pkt[12 + i] =
            md_ulaw_encode((int16_t)(4000.0 * sin(2 * M_PI * f * (ts + (uint32_t)i) / 8000.0)));
}

static void s_run(const char *label, int rooms, int size, int talkers)
{
    int n = rooms * size;
    md_endpoint_t *eps = calloc((size_t)n, sizeof *eps);
    md_mixer_t *mx = md_mixer_new(n, 1, s_send, NULL, NULL);
    uint8_t(*pkts)[12 + MD_MIX_FRAME] = malloc((size_t)size * 50 * sizeof *pkts);
    for (int m = 0; m < size; m++) /* one second of each member's tone, reused */
        for (int f = 0; f < 50; f++)
            s_packet(pkts[m * 50 + f], m, f, 0x100u + (uint32_t)m);
    uint64_t now = 1000000;
    for (int r = 0; r < rooms; r++) {
        uint32_t id;
        md_mixer_create(mx, "bench", now, &id);
        for (int m = 0; m < size; m++) {
            md_endpoint_t *ep = &eps[r * size + m];
            ep->id = r * size + m + 1;
            ep->slot = r * size + m;
            md_mix_role_t role;
            md_mix_role_default(&role);
            role.muted = m >= talkers;
            md_mixer_join(mx, id, ep, &role, now);
        }
    }
    s_sent = 0;
    uint64_t enc0 = md_mixer_stats(mx)->encodes;
    double t0 = s_cpu_s();
    for (int f = 0; f < FRAMES; f++) {
        for (int i = 0; i < n; i++) {
            int m = i % size; /* muted listeners' phones send too: their frames are decoded */
            uint8_t *pkt = pkts[m * 50 + f % 50];
            uint16_t seq = (uint16_t)f;
            uint32_t ts = (uint32_t)f * MD_MIX_FRAME;
            pkt[2] = (uint8_t)(seq >> 8), pkt[3] = (uint8_t)seq;
            pkt[4] = (uint8_t)(ts >> 24), pkt[5] = (uint8_t)(ts >> 16);
            pkt[6] = (uint8_t)(ts >> 8), pkt[7] = (uint8_t)ts;
            md_mixer_put(mx, &eps[i], pkt, 12 + MD_MIX_FRAME, now);
        }
        now += MD_MIX_PERIOD_US;
        md_mixer_tick(mx, now + MD_MIX_PERIOD_US - 1);
    }
    double cpu = s_cpu_s() - t0;
    double member_s = (double)n * FRAMES / 50.0;
    printf("%-28s members=%-5d cpu_per_member_s=%7.1f us  per_member_frame=%6.2f us  "
           "encodes_per_room_frame=%5.1f  packets=%llu  cpu_share_of_one_core=%.2f%%\n",
           label, n, cpu / member_s * 1e6, cpu / ((double)n * FRAMES) * 1e6,
           (double)(md_mixer_stats(mx)->encodes - enc0) / ((double)rooms * FRAMES),
           (unsigned long long)s_sent, cpu / (FRAMES / 50.0) * 100.0);
    md_mixer_destroy(&mx);
    free(pkts);
    free(eps);
}

int main(void)
{
    md_g711_init();
    printf("mix_cpu: %d frames (%d s of media) per scenario; CPU of mixing alone, no sockets\n",
           FRAMES, FRAMES / 50);
    s_run("room of 3, all talk", 1, 3, 3);
    s_run("room of 10, all talk", 1, 10, 10);
    s_run("room of 50, all talk", 1, 50, 50);
    s_run("room of 50, 2 talk", 1, 50, 2);
    s_run("200 rooms of 5, all talk", 200, 5, 5);
    return 0;
}
