/* webd_streams.c - many live streams on one webd, for tests/bench/webd_bench.py: opens N
 * connections to GET /api/stream (bearer token), decodes the chunked responses with epoll,
 * and for every update ({"t":..,"v":..,"ts":MS}) measures now - ts, the time from the bus
 * event to its arrival here. Prints one line of figures: streams connected, updates
 * received, the median and p99 over all updates, and the p99 and maximum of the slowest
 * stream. A client in C so that the client, not webd, is never the bottleneck.
 *
 *   webd_streams PORT TOKEN STREAMS SECONDS */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUCKETS 20000 /* 1 ms each */

typedef struct {
    int fd;
    int state; /* 0 headers, 1 chunk size, 2 chunk data, 3 chunk end */
    size_t chunk_left;
    char line[64];
    size_t line_len;
    char tail[64]; /* the last bytes of the current line (a ring) */
    size_t tail_len;
    unsigned hist[BUCKETS];
    unsigned long count;
    long max_ms;
    int header_crlf;
} stream_t;

static unsigned g_hist[BUCKETS];
static unsigned long g_count;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void record(stream_t *s, long ms)
{
    if (ms < 0)
        ms = 0;
    long b = ms < BUCKETS ? ms : BUCKETS - 1;
    s->hist[b]++;
    g_hist[b]++;
    s->count++;
    g_count++;
    if (ms > s->max_ms)
        s->max_ms = ms;
}

/* Body bytes, line by line: an update's data line ends with "ts":MS}, so the last bytes
 * of each line (kept in a small ring) are all it takes. */
static void body(stream_t *s, const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (c != '\n') {
            s->tail[s->tail_len++ % sizeof s->tail] = c;
            continue;
        }
        size_t n = s->tail_len < sizeof s->tail ? s->tail_len : sizeof s->tail;
        char line[sizeof s->tail + 1];
        for (size_t k = 0; k < n; k++)
            line[k] = s->tail[(s->tail_len - n + k) % sizeof s->tail];
        line[n] = '\0';
        s->tail_len = 0;
        const char *p = strstr(line, "\"ts\":");
        if (p && !strstr(line, "\"now\":"))
            record(s, (long)(now_ms() - strtoll(p + 5, NULL, 10)));
    }
}

/* Chunked transfer decoding after the headers. */
static void feed(stream_t *s, const char *data, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (s->state == 0) { /* headers end with an empty line */
            char c = data[i++];
            if (c == '\n') {
                if (s->header_crlf)
                    s->state = 1;
                s->header_crlf = 1;
            } else if (c != '\r') {
                s->header_crlf = 0;
            }
        } else if (s->state == 1 || s->state == 3) {
            char c = data[i++];
            if (c == '\n') {
                s->line[s->line_len] = '\0';
                if (s->state == 1) {
                    s->chunk_left = strtoul(s->line, NULL, 16);
                    s->state = s->chunk_left ? 2 : 1;
                } else {
                    s->state = 1;
                }
                s->line_len = 0;
            } else if (c != '\r' && s->line_len < sizeof s->line - 1) {
                s->line[s->line_len++] = c;
            }
        } else {
            size_t n = len - i < s->chunk_left ? len - i : s->chunk_left;
            body(s, data + i, n);
            i += n;
            s->chunk_left -= n;
            if (s->chunk_left == 0)
                s->state = 3;
        }
    }
}

static long pct(const unsigned *hist, unsigned long count, double p)
{
    unsigned long want = (unsigned long)(p * (double)count), seen = 0;
    for (long b = 0; b < BUCKETS; b++) {
        seen += hist[b];
        if (seen > want || (seen == count && count))
            return b;
    }
    return -1;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: webd_streams PORT TOKEN STREAMS SECONDS\n");
        return 2;
    }
    int port = atoi(argv[1]), n = atoi(argv[3]), secs = atoi(argv[4]);
    const char *token = argv[2];
    stream_t *st = calloc((size_t)n, sizeof *st);
    int ep = epoll_create1(0);
    char req[512];
    int rl = snprintf(req, sizeof req,
                      "GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                      "Authorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n",
                      port, token);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int connected = 0;
    for (int i = 0; i < n; i++) {
        st[i].fd = socket(AF_INET, SOCK_STREAM, 0);
        if (st[i].fd < 0 || connect(st[i].fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
            write(st[i].fd, req, (size_t)rl) != rl) {
            fprintf(stderr, "stream %d: %s\n", i, strerror(errno));
            if (st[i].fd >= 0)
                close(st[i].fd);
            st[i].fd = -1;
            continue;
        }
        fcntl(st[i].fd, F_SETFL, O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, st[i].fd, &ev);
        connected++;
    }
    int64_t end = now_ms() + (int64_t)secs * 1000;
    static char buf[1 << 16];
    int closed = 0;
    for (int64_t t; (t = now_ms()) < end;) {
        struct epoll_event evs[256];
        int k = epoll_wait(ep, evs, 256, (int)(end - t));
        for (int e = 0; e < k; e++) {
            stream_t *s = &st[evs[e].data.u32];
            for (;;) {
                ssize_t r = read(s->fd, buf, sizeof buf);
                if (r > 0) {
                    feed(s, buf, (size_t)r);
                    continue;
                }
                if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
                    close(s->fd);
                    s->fd = -1;
                    closed++;
                }
                break;
            }
        }
    }
    long slow_p99 = -1, slow_max = -1;
    unsigned long min_count = (unsigned long)-1;
    for (int i = 0; i < n; i++) {
        if (st[i].count < min_count)
            min_count = st[i].count;
        long p = pct(st[i].hist, st[i].count, 0.99);
        if (p > slow_p99)
            slow_p99 = p;
        if (st[i].max_ms > slow_max)
            slow_max = st[i].max_ms;
        if (st[i].fd >= 0)
            close(st[i].fd);
    }
    printf("streams=%d closed_early=%d updates=%lu min_per_stream=%lu median_ms=%ld "
           "p99_ms=%ld slowest_stream_p99_ms=%ld slowest_stream_max_ms=%ld\n",
           connected, closed, g_count, min_count, pct(g_hist, g_count, 0.5),
           pct(g_hist, g_count, 0.99), slow_p99, slow_max);
    free(st);
    return connected == n && g_count > 0 ? 0 : 1;
}
