/* ivr_media_sink.c - the receiving end of tests/bench/ivr_media.py: N UDP sockets on
 * 127.0.0.1 (ephemeral ports) standing in for phones that hear prompts. It prints
 * "PORTS p1 p2 ..." once bound, waits for a line on stdin to start measuring, measures for
 * DUR seconds, then prints one JSON line: packets, lost (sequence gaps), and the inter-packet
 * gap jitter |gap - 20 ms| (p50, p90, p99, p99.9, max, in microseconds) taken from kernel
 * receive timestamps (SO_TIMESTAMPNS), so the sink's own scheduling does not count.
 * Build: cc -O2 -o sink ivr_media_sink.c    Run: sink N DUR */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_gaps.h"

typedef struct {
    int fd;
    int64_t last_ns;
    int have_seq;
    uint16_t last_seq;
} sock_t;

static uint64_t s_packets, s_lost;

static void s_read(sock_t *s, int measuring)
{
    uint8_t buf[2048];
    char ctrl[256];
    for (;;) {
        struct iovec iov = {buf, sizeof buf};
        struct msghdr msg = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl};
        ssize_t n = recvmsg(s->fd, &msg, MSG_DONTWAIT);
        if (n < 0)
            return;
        int64_t at = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                struct timespec ts;
                memcpy(&ts, CMSG_DATA(c), sizeof ts);
                at = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
            }
        }
        if (n < 12)
            continue;
        uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
        if (measuring) {
            s_packets++;
            if (s->have_seq && (uint16_t)(seq - s->last_seq) > 1 &&
                (uint16_t)(seq - s->last_seq) < 3000)
                s_lost += (uint16_t)(seq - s->last_seq) - 1u;
            if (s->last_ns && at) {
                s_gap_add(at - s->last_ns);
            }
        }
        s->last_ns = at;
        s->last_seq = seq;
        s->have_seq = 1;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s N DUR\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[1]);
    double dur = atof(argv[2]);
    sock_t *socks = calloc((size_t)n, sizeof *socks);
    int ep = epoll_create1(0);
    printf("PORTS");
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
            perror("bind");
            return 1;
        }
        socklen_t len = sizeof a;
        getsockname(fd, (struct sockaddr *)&a, &len);
        socks[i].fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &socks[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        printf(" %d", ntohs(a.sin_port));
    }
    printf("\n");
    fflush(stdout);
    /* drain (not measured) until told to start */
    struct epoll_event evs[256];
    int started = 0;
    int64_t end_ns = 0;
    struct epoll_event in = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &in);
    for (;;) {
        int k = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < k; i++) {
            if (!evs[i].data.ptr) {
                char line[64];
                if (read(0, line, sizeof line) <= 0 || started) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, 0, NULL);
                    continue;
                }
                started = 1;
                end_ns = s_now_ns() + (int64_t)(dur * 1e9);
                for (int j = 0; j < n; j++)
                    socks[j].last_ns = 0; /* gaps across the start do not count */
                continue;
            }
            s_read(evs[i].data.ptr, started);
        }
        if (started && s_now_ns() >= end_ns)
            break;
    }
    printf("{\"packets\": %llu, \"lost\": %llu, \"gaps\": %llu, \"p50_us\": %llu, "
           "\"p90_us\": %llu, \"p99_us\": %llu, \"p999_us\": %llu, \"max_us\": %llu}\n",
           (unsigned long long)s_packets, (unsigned long long)s_lost, (unsigned long long)s_gaps,
           (unsigned long long)s_pct(0.5), (unsigned long long)s_pct(0.9),
           (unsigned long long)s_pct(0.99), (unsigned long long)s_pct(0.999),
           (unsigned long long)s_max_us);
    return 0;
}
