/* srtp_gen.c - rtpgen (../shared/bench-anchors/rtpgen.c) with SRTP legs, for
 * srtp_relay.py: a legs-file line may carry "TX_KEY RX_KEY SUITE" after the three fields
 * (base64 keys as in a=crypto; SUITE 80 or 32): that leg protects what it sends under
 * TX_KEY and unprotects what it receives under RX_KEY (libsrtp2). Output as rtpgen's.
 * Build: cc -O2 -Wall -I../../mediad -o srtp_gen srtp_gen.c ../../mediad/md_srtp_ossl.c
 *        -lsrtp2 -lcrypto   (mediad's OpenSSL cipher and auth for libsrtp, as mediad has)
 *
 * rtpgen's description:
 * Reads a legs file (one line per call leg: "LOCAL_PORT RELAY_IP RELAY_PORT"), binds
 * 127.0.0.1:LOCAL_PORT for each leg, and sends G.711-sized RTP (12-byte header + 160-byte
 * payload, PT 0) at one packet per PTIME ms (default 20 ms = 50 pps) to RELAY_IP:RELAY_PORT,
 * spreading legs evenly over the packet interval. Every packet carries its send time
 * (CLOCK_MONOTONIC ns) and a "measured" flag in its payload; whatever arrives on any leg
 * socket is matched by SSRC, so no pairing is needed: the relay decides where it goes.
 * After WARMUP s of unmeasured traffic it measures for DURATION s, drains 0.5 s, and prints:
 *   sent, received, loss %, one-way latency (relay transit on loopback) avg/p50/p99/max µs,
 *   RFC 3550-style interarrival jitter (avg over streams, µs), duplicates/out-of-order,
 *   its own CPU %, and the CPU % of the relay PIDs (-p pid,pid,...; all threads of each pid),
 *   and relay CPU-µs per relayed packet.
 * Usage: rtpgen -f legs.txt [-d DURATION_S] [-w WARMUP_S] [-t PTIME_MS] [-p pid,pid]
 * Build: make rtpgen   (cc -O2 -Wall -o rtpgen rtpgen.c)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <srtp2/srtp.h>

#include "md_srtp_ossl.h"

#define PAYLOAD 160
#define PKT (12 + PAYLOAD)
#define HBUCKETS 20000 /* latency histogram, 10 µs buckets up to 200 ms */

typedef struct {
    int fd;
    srtp_t tx, rx; /* NULL: plain RTP */
    uint32_t ssrc;
    uint16_t seq;
    uint32_t ts;
    /* receive side stats, per SSRC that arrives here (index = ssrc-1) */
} leg_t;

typedef struct {
    uint64_t recv;
    int have_last;
    int64_t last_transit;
    double jitter;
    uint16_t max_seq;
    int have_seq;
    uint64_t ooo;
} stream_t;

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

static long pid_ticks(int pid)
{
    char p[64], buf[2048];
    snprintf(p, sizeof p, "/proc/%d/stat", pid);
    FILE *f = fopen(p, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *s = strrchr(buf, ')');
    if (!s)
        return 0;
    long ut = 0, st = 0;
    /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &ut, &st) != 2)
        return 0;
    return ut + st;
}

static srtp_t srtp_session(const char *b64, int suite, int inbound)
{
    unsigned char key[64];
    if (strlen(b64) != 40 || EVP_DecodeBlock(key, (const unsigned char *)b64, 40) != 30) {
        fprintf(stderr, "bad key\n");
        exit(1);
    }
    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    if (suite == 32)
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
    else
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    p.key = key;
    p.window_size = 128;
    srtp_t s = NULL;
    if (srtp_create(&s, &p) != srtp_err_status_ok) {
        fprintf(stderr, "srtp_create failed\n");
        exit(1);
    }
    return s;
}

static int npids;
static int pids[64];
static long relay_ticks(void)
{
    long t = 0;
    for (int i = 0; i < npids; i++)
        t += pid_ticks(pids[i]);
    return t;
}

static double self_cpu_s(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec +
           r.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    const char *file = NULL;
    double dur = 20, warm = 2;
    int ptime = 20;
    int c;
    while ((c = getopt(argc, argv, "f:d:w:t:p:")) != -1) {
        switch (c) {
        case 'f':
            file = optarg;
            break;
        case 'd':
            dur = atof(optarg);
            break;
        case 'w':
            warm = atof(optarg);
            break;
        case 't':
            ptime = atoi(optarg);
            break;
        case 'p': {
            char *s = strdup(optarg), *tok, *sv;
            for (tok = strtok_r(s, ",", &sv); tok && npids < 64; tok = strtok_r(NULL, ",", &sv))
                pids[npids++] = atoi(tok);
            break;
        }
        default:
            fprintf(stderr,
                    "usage: %s -f legs.txt [-d dur_s] [-w warmup_s] [-t ptime_ms] [-p pid,..]\n",
                    argv[0]);
            return 2;
        }
    }
    if (!file) {
        fprintf(stderr, "need -f legs file\n");
        return 2;
    }
    FILE *f = fopen(file, "r");
    if (!f) {
        perror(file);
        return 1;
    }
    int cap = 1024, n = 0;
    leg_t *legs = calloc(cap, sizeof *legs);
    char ip[64];
    int lport, rport;
    int ep = epoll_create1(0);
    char line[512], ktx[64], krx[64];
    int suite = 0;
    srtp_init();
    if (md_srtp_ossl_register() != 0) {
        fprintf(stderr, "md_srtp_ossl_register failed\n");
        return 1;
    }
    while (fgets(line, sizeof line, f)) {
        int nf = sscanf(line, "%d %63s %d %63s %63s %d", &lport, ip, &rport, ktx, krx, &suite);
        if (nf < 3)
            continue;
        if (n == cap) {
            cap *= 2;
            legs = realloc(legs, cap * sizeof *legs);
        }
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        int one = 1, sz = 1 << 20;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(lport)};
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
            fprintf(stderr, "bind %d: %s\n", lport, strerror(errno));
            return 1;
        }
        struct sockaddr_in r = {.sin_family = AF_INET, .sin_port = htons(rport)};
        if (inet_pton(AF_INET, ip, &r.sin_addr) != 1) {
            fprintf(stderr, "bad ip %s\n", ip);
            return 1;
        }
        if (connect(fd, (struct sockaddr *)&r, sizeof r) < 0) {
            perror("connect");
            return 1;
        }
        legs[n].fd = fd;
        legs[n].tx = nf == 6 ? srtp_session(ktx, suite, 0) : NULL;
        legs[n].rx = nf == 6 ? srtp_session(krx, suite, 1) : NULL;
        legs[n].ssrc = n + 1;
        legs[n].seq = (uint16_t)(n * 7919);
        legs[n].ts = n * 1000u;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = n};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        n++;
    }
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "no legs\n");
        return 1;
    }
    stream_t *st = calloc(n, sizeof *st);
    uint64_t *hist = calloc(HBUCKETS + 1, sizeof *hist);
    uint64_t sent = 0, nrecv = 0, dup_or_old = 0, foreign = 0, send_err = 0;
    double lat_sum = 0;
    uint64_t lat_max = 0;

    const uint64_t interval = (uint64_t)ptime * 1000000ull;
    const uint64_t slot_ns = 1000000ull; /* 1 ms scheduling slots */
    const int nslots = ptime;
    uint64_t t0 = now_ns();
    uint64_t t_meas = t0 + (uint64_t)(warm * 1e9);
    uint64_t t_end = t_meas + (uint64_t)(dur * 1e9);
    uint64_t t_stop = t_end + 500000000ull; /* drain */
    long rt0 = 0, rt1 = 0;
    double sc0 = 0, sc1 = 0;
    int measuring = 0, ended = 0;
    uint64_t next_slot = t0;
    int slot = 0;
    unsigned char pkt[PKT + SRTP_MAX_TRAILER_LEN + 4], rbuf[2048];
    memset(pkt, 0xff, sizeof pkt);
    struct epoll_event evs[512];

    for (;;) {
        uint64_t t = now_ns();
        if (!measuring && t >= t_meas) {
            measuring = 1;
            rt0 = relay_ticks();
            sc0 = self_cpu_s();
            t_meas = t;
        }
        if (!ended && t >= t_end) {
            ended = 1;
            rt1 = relay_ticks();
            sc1 = self_cpu_s();
            t_end = t;
        }
        if (t >= t_stop)
            break;
        while (!ended && t >= next_slot) {
            int flag = measuring ? 1 : 0;
            for (int i = slot; i < n; i += nslots) {
                leg_t *L = &legs[i];
                pkt[0] = 0x80;
                pkt[1] = 0x00;
                uint16_t sq = htons(L->seq);
                memcpy(pkt + 2, &sq, 2);
                uint32_t ts = htonl(L->ts);
                memcpy(pkt + 4, &ts, 4);
                uint32_t ss = htonl(L->ssrc);
                memcpy(pkt + 8, &ss, 4);
                uint64_t tn = now_ns();
                memcpy(pkt + 12, &tn, 8);
                pkt[20] = flag;
                int plen = PKT;
                memset(pkt + 21, 0xff, PKT - 21);
                if (L->tx && srtp_protect(L->tx, pkt, &plen) != srtp_err_status_ok)
                    plen = 0;
                if (plen && send(L->fd, pkt, plen, 0) == plen) {
                    if (flag)
                        sent++;
                } else if (flag) {
                    send_err++;
                    sent++;
                }
                L->seq++;
                L->ts += 8 * ptime;
            }
            slot = (slot + 1) % nslots;
            next_slot += slot_ns;
            (void)interval;
        }
        int to_ms = 0;
        t = now_ns();
        uint64_t wake = ended ? t_stop : next_slot;
        if (wake > t)
            to_ms = (int)((wake - t + 999999) / 1000000);
        int k = epoll_wait(ep, evs, 512, to_ms);
        for (int e = 0; e < k; e++) {
            int fd = legs[evs[e].data.u32].fd;
            for (;;) {
                ssize_t r = recv(fd, rbuf, sizeof rbuf, 0);
                if (r < 0)
                    break;
                srtp_t rx = legs[evs[e].data.u32].rx;
                if (rx) {
                    int rl = (int)r;
                    if (srtp_unprotect(rx, rbuf, &rl) != srtp_err_status_ok) {
                        foreign++;
                        continue;
                    }
                    r = rl;
                }
                if (r < 21) {
                    foreign++;
                    continue;
                }
                uint64_t tr = now_ns(), ts;
                memcpy(&ts, rbuf + 12, 8);
                uint32_t ss;
                memcpy(&ss, rbuf + 8, 4);
                ss = ntohl(ss);
                if (ss < 1 || ss > (uint32_t)n) {
                    foreign++;
                    continue;
                }
                if (!rbuf[20])
                    continue; /* warm-up packet */
                stream_t *S = &st[ss - 1];
                uint16_t sq;
                memcpy(&sq, rbuf + 2, 2);
                sq = ntohs(sq);
                if (S->have_seq && (int16_t)(sq - S->max_seq) <= 0) {
                    S->ooo++;
                    dup_or_old++;
                } else {
                    S->max_seq = sq;
                    S->have_seq = 1;
                }
                S->recv++;
                nrecv++;
                int64_t transit = (int64_t)(tr - ts);
                if (S->have_last) {
                    int64_t d = transit - S->last_transit;
                    if (d < 0)
                        d = -d;
                    S->jitter += ((double)d - S->jitter) / 16.0;
                }
                S->last_transit = transit;
                S->have_last = 1;
                uint64_t us = transit > 0 ? (uint64_t)transit / 1000 : 0;
                lat_sum += us;
                if (us > lat_max)
                    lat_max = us;
                uint64_t b = us / 10;
                if (b > HBUCKETS)
                    b = HBUCKETS;
                hist[b]++;
            }
        }
    }
    double mdur = (t_end - t_meas) / 1e9;
    long tck = sysconf(_SC_CLK_TCK);
    double relay_cpu = npids ? 100.0 * (rt1 - rt0) / tck / mdur : -1;
    double self_cpu = 100.0 * (sc1 - sc0) / mdur;
    uint64_t p50 = 0, p99 = 0, acc = 0;
    int got50 = 0;
    for (int b = 0; b <= HBUCKETS; b++) {
        acc += hist[b];
        if (!got50 && acc * 2 >= nrecv) {
            p50 = b * 10;
            got50 = 1;
        }
        if (acc * 100 >= nrecv * 99) {
            p99 = b * 10;
            break;
        }
    }
    double jsum = 0;
    int jn = 0;
    for (int i = 0; i < n; i++)
        if (st[i].recv > 1) {
            jsum += st[i].jitter / 1000.0;
            jn++;
        }
    int silent = 0;
    for (int i = 0; i < n; i++)
        if (st[i].recv == 0)
            silent++;
    double loss = sent ? 100.0 * ((double)sent - (double)(nrecv - dup_or_old)) / sent : 0;
    if (loss < 0)
        loss = 0;
    printf("legs=%d pps_offered=%.0f sent=%llu received=%llu loss=%.3f%% dup_or_reordered=%llu "
           "silent_streams=%d foreign=%llu send_err=%llu\n",
           n, sent / mdur, (unsigned long long)sent, (unsigned long long)nrecv, loss,
           (unsigned long long)dup_or_old, silent, (unsigned long long)foreign,
           (unsigned long long)send_err);
    printf("latency_us avg=%.0f p50=%llu p99=%llu max=%llu jitter_us_avg=%.1f\n",
           nrecv ? lat_sum / nrecv : 0, (unsigned long long)p50, (unsigned long long)p99,
           (unsigned long long)lat_max, jn ? jsum / jn : 0);
    printf("cpu relay=%.1f%% generator=%.1f%% relay_us_per_pkt=%.2f measured_s=%.2f\n", relay_cpu,
           self_cpu, (npids && nrecv) ? (double)(rt1 - rt0) / tck * 1e6 / nrecv : -1, mdur);
    return 0;
}
