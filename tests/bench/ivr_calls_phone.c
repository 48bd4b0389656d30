/* ivr_calls_phone.c - the media side of tests/bench/ivr_calls.py: N "phones", each one UDP
 * socket on 127.0.0.1 whose port goes into one sipp call's SDP offer. A phone learns the
 * far end from the first packet it receives (mediad's endpoint, as symmetric RTP would),
 * then sends from the same socket every 20 ms: G.711 u-law audio looped from a raw file,
 * and at set times an RFC 4733 key (press k, k = 0..KEYS-1, sends digit "123456789"[k % 9]
 * at KEY_FIRST + k * KEY_EVERY seconds after its first packet). It stops sending once
 * nothing has arrived for 1 s (the call is over).
 *
 * Measuring: after "go DUR" on stdin, for DUR seconds, every packet received counts; the
 * gap between two consecutive prompt packets (sequence +1 and timestamp +160, i.e. the
 * same stream with no prompt change in between) is taken from the kernel's receive
 * timestamps (SO_TIMESTAMPNS) and |gap - 20 ms| goes into a histogram; other pairs count
 * as breaks (a prompt ended and another began). One JSON line is printed at the end of the
 * window, and another (keys sent, phones heard) on "quit" or end of input.
 *
 * With TALK 0 a phone sends only its keys, no audio.
 *
 * Build: cc -O2 -o phone ivr_calls_phone.c
 * Run:   phone N ULAW.raw KEYS KEY_FIRST KEY_EVERY [TALK] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bench_gaps.h"

#define QUIET_NS 1000000000LL
#define TICK_NS 20000000LL

typedef struct {
    int fd;
    int index;
    struct sockaddr_in far;
    int latched, done;
    int64_t first_rx_ns, last_rx_mono;
    int64_t last_at; /* kernel timestamp of the last packet (measuring only) */
    int have_seq;
    uint16_t last_seq;
    uint32_t last_ts;
    /* what this phone sends */
    uint16_t seq;
    uint32_t ts, ev_ts;
    size_t audio_pos;
    int press, press_phase; /* press number; packet within it (-1: none going) */
} phone_t;

static uint64_t s_breaks, s_packets, s_lost;
static uint64_t s_keys_sent, s_audio_sent;
static const uint8_t *s_audio;
static size_t s_audio_len;
static int s_keys, s_talk = 1;
static double s_key_first, s_key_every;

static void s_read(phone_t *p, int measuring)
{
    uint8_t buf[2048];
    char ctrl[256];
    for (;;) {
        struct sockaddr_in src;
        struct iovec iov = {buf, sizeof buf};
        struct msghdr msg = {.msg_name = &src,
                             .msg_namelen = sizeof src,
                             .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = ctrl,
                             .msg_controllen = sizeof ctrl};
        ssize_t n = recvmsg(p->fd, &msg, MSG_DONTWAIT);
        if (n < 0)
            return;
        int64_t now = s_now_ns();
        if (!p->latched) {
            p->far = src;
            p->latched = 1;
            p->first_rx_ns = now;
        }
        p->last_rx_mono = now;
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
        uint32_t rts =
            (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
        if (measuring) {
            s_packets++;
            uint16_t dseq = (uint16_t)(seq - p->last_seq);
            if (p->have_seq && dseq > 1 && dseq < 3000)
                s_lost += dseq - 1u;
            if (p->have_seq && p->last_at && at) {
                if (dseq == 1 && rts - p->last_ts == 160) {
                    s_gap_add(at - p->last_at);
                } else {
                    s_breaks++;
                }
            }
            p->last_at = at;
        }
        p->last_seq = seq;
        p->last_ts = rts;
        p->have_seq = 1;
    }
}

/* One 20 ms step of one phone: an audio frame, or a packet of a key press. */
static void s_send(phone_t *p, int64_t now)
{
    uint8_t pkt[12 + 160];
    uint8_t pt = 0;
    size_t len = 12 + 160;
    if (p->press_phase < 0 && p->press < s_keys &&
        now - p->first_rx_ns >= (int64_t)((s_key_first + p->press * s_key_every) * 1e9)) {
        p->press_phase = 0;
        p->ev_ts = p->ts;
    }
    if (p->press_phase >= 0) {
        /* RFC 4733: 5 packets of a growing event, then 3 copies of its end */
        int end = p->press_phase >= 5;
        unsigned dur = end ? 800u : (unsigned)(p->press_phase + 1) * 160u;
        int digit = 1 + p->press % 9;
        pt = 101 | (p->press_phase == 0 ? 0x80 : 0);
        pkt[12] = (uint8_t)digit;
        pkt[13] = (uint8_t)((end ? 0x80 : 0) | 10);
        pkt[14] = (uint8_t)(dur >> 8);
        pkt[15] = (uint8_t)dur;
        len = 16;
    } else if (!s_talk) {
        p->ts += 160; /* silent caller (no audio packets), the clock still runs */
        return;
    } else {
        for (size_t i = 0; i < 160; i++) {
            pkt[12 + i] = s_audio[p->audio_pos];
            p->audio_pos = (p->audio_pos + 1) % s_audio_len;
        }
    }
    uint32_t ts = p->press_phase >= 0 ? p->ev_ts : p->ts;
    pkt[0] = 0x80;
    pkt[1] = pt;
    pkt[2] = (uint8_t)(p->seq >> 8);
    pkt[3] = (uint8_t)p->seq;
    pkt[4] = (uint8_t)(ts >> 24);
    pkt[5] = (uint8_t)(ts >> 16);
    pkt[6] = (uint8_t)(ts >> 8);
    pkt[7] = (uint8_t)ts;
    uint32_t ssrc = 0x1000u + (uint32_t)p->index;
    pkt[8] = (uint8_t)(ssrc >> 24);
    pkt[9] = (uint8_t)(ssrc >> 16);
    pkt[10] = (uint8_t)(ssrc >> 8);
    pkt[11] = (uint8_t)ssrc;
    sendto(p->fd, pkt, len, 0, (struct sockaddr *)&p->far, sizeof p->far);
    p->seq++;
    p->ts += 160;
    if (p->press_phase >= 0) {
        if (++p->press_phase == 8) {
            p->press_phase = -1;
            p->press++;
            s_keys_sent++;
        }
    } else {
        s_audio_sent++;
    }
}

static uint8_t *s_load(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = n > 160 ? malloc((size_t)n) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = buf ? (size_t)n : 0;
    return buf;
}

static void s_result(int final, phone_t *phones, int n)
{
    if (!final) {
        printf("{\"packets\": %llu, \"lost\": %llu, \"gaps\": %llu, \"breaks\": %llu, "
               "\"p50_us\": %llu, \"p90_us\": %llu, \"p99_us\": %llu, \"p999_us\": %llu, "
               "\"max_us\": %llu}\n",
               (unsigned long long)s_packets, (unsigned long long)s_lost,
               (unsigned long long)s_gaps, (unsigned long long)s_breaks,
               (unsigned long long)s_pct(0.5), (unsigned long long)s_pct(0.9),
               (unsigned long long)s_pct(0.99), (unsigned long long)s_pct(0.999),
               (unsigned long long)s_max_us);
    } else {
        int heard = 0;
        for (int i = 0; i < n; i++)
            heard += phones[i].latched;
        printf("{\"keys_sent\": %llu, \"audio_sent\": %llu, \"phones_heard\": %d}\n",
               (unsigned long long)s_keys_sent, (unsigned long long)s_audio_sent, heard);
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: %s N ULAW.raw KEYS KEY_FIRST_S KEY_EVERY_S [TALK]\n", argv[0]);
        return 2;
    }
    if (argc == 7)
        s_talk = atoi(argv[6]);
    int n = atoi(argv[1]);
    s_audio = s_load(argv[2], &s_audio_len);
    s_keys = atoi(argv[3]);
    s_key_first = atof(argv[4]);
    s_key_every = atof(argv[5]);
    phone_t *phones = calloc((size_t)(n > 0 ? n : 1), sizeof *phones);
    int ep = epoll_create1(0);
    if (!s_audio || !phones || ep < 0) {
        fprintf(stderr, "phone: cannot read %s\n", argv[2]);
        return 1;
    }
    printf("PORTS");
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        int one = 1, buf = 256 * 1024;
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
            perror("phone: bind");
            return 1;
        }
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
        socklen_t len = sizeof a;
        getsockname(fd, (struct sockaddr *)&a, &len);
        phones[i].fd = fd;
        phones[i].index = i;
        phones[i].press_phase = -1;
        phones[i].seq = (uint16_t)(i * 7919);
        phones[i].ts = (uint32_t)i * 104729u;
        phones[i].audio_pos = ((size_t)i * 1600) % s_audio_len;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &phones[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        printf(" %d", ntohs(a.sin_port));
    }
    printf("\n");
    fflush(stdout);

    /* a 20 ms tick for sending; stdin for commands */
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct itimerspec its = {.it_interval = {0, TICK_NS}, .it_value = {0, TICK_NS}};
    timerfd_settime(tfd, 0, &its, NULL);
    static int tick_tag, stdin_tag;
    struct epoll_event tev = {.events = EPOLLIN, .data.ptr = &tick_tag};
    struct epoll_event iev = {.events = EPOLLIN, .data.ptr = &stdin_tag};
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &iev);

    struct epoll_event evs[256];
    int measuring = 0, quit = 0;
    int64_t end_ns = 0;
    while (!quit) {
        int k = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < k; i++) {
            void *tag = evs[i].data.ptr;
            if (tag == &tick_tag) {
                uint64_t expirations;
                if (read(tfd, &expirations, sizeof expirations) < 0)
                    continue;
                int64_t now = s_now_ns();
                for (int j = 0; j < n; j++) {
                    phone_t *p = &phones[j];
                    if (!p->latched || p->done)
                        continue;
                    if (now - p->last_rx_mono > QUIET_NS)
                        p->done = 1;
                    else
                        s_send(p, now);
                }
            } else if (tag == &stdin_tag) {
                char line[128];
                ssize_t r = read(0, line, sizeof line - 1);
                if (r <= 0) {
                    quit = 1;
                    break;
                }
                line[r] = '\0';
                double dur;
                if (sscanf(line, "go %lf", &dur) == 1 && !measuring) {
                    measuring = 1;
                    end_ns = s_now_ns() + (int64_t)(dur * 1e9);
                    for (int j = 0; j < n; j++)
                        phones[j].last_at = 0; /* gaps across the start do not count */
                } else if (strncmp(line, "quit", 4) == 0) {
                    quit = 1;
                }
            } else {
                s_read(tag, measuring == 1);
            }
        }
        if (measuring == 1 && s_now_ns() >= end_ns) {
            measuring = 2;
            s_result(0, phones, n);
        }
    }
    s_result(1, phones, n);
    return 0;
}
