/* mix_load.c - phones for the mixing benchmark: one UDP socket per member (a file of lines
 * "LOCAL_PORT MEDIAD_PORT"), each sending a 20 ms G.711 stream to its mediad endpoint
 * (members spread over the 20 ms) and receiving the mix mediad sends back. After WARM s
 * it measures for DUR s: packets each member received against the 50 a second a mix
 * sends (loss), how far arrival gaps stray from 20 ms (lateness, bench_gaps.h), and the
 * CPU mediad used (utime+stime of -p PID from /proc). One line of figures on stdout.
 * Usage: mix_load -f members.txt [-d DUR] [-w WARM] -p PID */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_gaps.h"

#define MAXM 4096

typedef struct {
    int fd;
    struct sockaddr_in to;
    uint16_t seq;
    uint32_t ts, ssrc;
    int64_t next_ns;
    int64_t last_rx_ns;
    uint64_t rx; /* packets received while measuring */
} s_member_t;

static s_member_t s_m[MAXM];
static int s_n;

static double s_proc_cpu_s(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

int main(int argc, char **argv)
{
    const char *file = NULL;
    double dur = 10, warm = 2;
    int pid = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-f"))
            file = argv[i + 1];
        else if (!strcmp(argv[i], "-d"))
            dur = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "-w"))
            warm = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "-p"))
            pid = atoi(argv[i + 1]);
    }
    FILE *f = file ? fopen(file, "r") : NULL;
    if (!f || !pid) {
        fprintf(stderr, "usage: mix_load -f members.txt [-d DUR] [-w WARM] -p PID\n");
        return 2;
    }
    int ep = epoll_create1(0);
    int lport, rport;
    while (s_n < MAXM && fscanf(f, "%d %d", &lport, &rport) == 2) {
        s_member_t *m = &s_m[s_n];
        m->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)lport)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(m->fd, (struct sockaddr *)&a, sizeof a) < 0) {
            fprintf(stderr, "mix_load: bind %d: %s\n", lport, strerror(errno));
            return 1;
        }
        m->to = a;
        m->to.sin_port = htons((uint16_t)rport);
        m->ssrc = 0x5000u + (uint32_t)s_n;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)s_n};
        epoll_ctl(ep, EPOLL_CTL_ADD, m->fd, &ev);
        s_n++;
    }
    fclose(f);
    if (s_n == 0) {
        fprintf(stderr, "mix_load: no members in %s\n", file);
        return 1;
    }
    uint8_t tone[50][160];
    for (int k = 0; k < 50; k++)
        for (int i = 0; i < 160; i++) {
            double v = 6000.0 * sin(2 * M_PI * 440.0 * (k * 160 + i) / 8000.0);
            int s = (int)v, sign = s < 0 ? 0x7f : 0xff, mag = (s < 0 ? -s : s) + 132;
            int exp = 7;
            if (mag > 32767)
                mag = 32767;
            for (int mask = 0x4000; !(mag & mask) && exp > 0; mask >>= 1)
                exp--;
            tone[k][i] = (uint8_t)(sign ^ ((exp << 4) | ((mag >> (exp + 3)) & 0x0f)));
        }
    int64_t t0 = s_now_ns();
    for (int i = 0; i < s_n; i++)
        s_m[i].next_ns = t0 + (int64_t)i * 20000000 / s_n;
    int64_t measure_from = t0 + (int64_t)(warm * 1e9),
            measure_to = measure_from + (int64_t)(dur * 1e9);
    double cpu0 = -1, cpu1 = -1;
    uint64_t sent = 0, late_send = 0;
    uint8_t pkt[172], buf[2048];
    for (;;) {
        int64_t now = s_now_ns();
        if (cpu0 < 0 && now >= measure_from)
            cpu0 = s_proc_cpu_s(pid);
        if (now >= measure_to)
            break;
        int64_t next = measure_to;
        for (int i = 0; i < s_n; i++) {
            s_member_t *m = &s_m[i];
            if (m->next_ns <= now) {
                pkt[0] = 0x80, pkt[1] = 0;
                pkt[2] = (uint8_t)(m->seq >> 8), pkt[3] = (uint8_t)m->seq;
                pkt[4] = (uint8_t)(m->ts >> 24), pkt[5] = (uint8_t)(m->ts >> 16);
                pkt[6] = (uint8_t)(m->ts >> 8), pkt[7] = (uint8_t)m->ts;
                pkt[8] = (uint8_t)(m->ssrc >> 24), pkt[9] = (uint8_t)(m->ssrc >> 16);
                pkt[10] = (uint8_t)(m->ssrc >> 8), pkt[11] = (uint8_t)m->ssrc;
                memcpy(pkt + 12, tone[m->seq % 50], 160);
                sendto(m->fd, pkt, sizeof pkt, 0, (struct sockaddr *)&m->to, sizeof m->to);
                sent++;
                late_send += now - m->next_ns > 2000000;
                m->seq++;
                m->ts += 160;
                m->next_ns += 20000000;
            }
            if (m->next_ns < next)
                next = m->next_ns;
        }
        int wait_ms = (int)((next - s_now_ns()) / 1000000);
        struct epoll_event evs[256];
        int n = epoll_wait(ep, evs, 256, wait_ms > 0 ? wait_ms : 0);
        now = s_now_ns();
        for (int k = 0; k < n; k++) {
            s_member_t *m = &s_m[evs[k].data.u32];
            while (recv(m->fd, buf, sizeof buf, 0) > 0) {
                if (now >= measure_from && now < measure_to) {
                    m->rx++;
                    if (m->last_rx_ns)
                        s_gap_add(now - m->last_rx_ns);
                    m->last_rx_ns = now;
                } else {
                    m->last_rx_ns = now >= measure_from ? 0 : now;
                }
            }
        }
    }
    cpu1 = s_proc_cpu_s(pid);
    uint64_t rx = 0, expected = (uint64_t)(dur * 50.0) * (uint64_t)s_n;
    for (int i = 0; i < s_n; i++)
        rx += s_m[i].rx;
    double loss = expected > rx ? 100.0 * (double)(expected - rx) / (double)expected : 0.0;
    double cpu = cpu1 - cpu0;
    printf("members=%d dur=%.0fs sent=%llu received=%llu expected=%llu loss=%.3f%% "
           "gap_dev_p50=%lluus p99=%lluus max=%lluus mediad_cpu=%.1f%% "
           "mediad_us_per_member_s=%.1f late_sends=%llu\n",
           s_n, dur, (unsigned long long)sent, (unsigned long long)rx, (unsigned long long)expected,
           loss, (unsigned long long)s_pct(0.5), (unsigned long long)s_pct(0.99),
           (unsigned long long)s_max_us, 100.0 * cpu / dur, cpu / (dur * s_n) * 1e6,
           (unsigned long long)late_send);
    return 0;
}
