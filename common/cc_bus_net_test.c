/* cc_bus_net_test.c - the bus across hosts over real TCP sockets on loopback: a client
 * whose public key is allowed gets replies and events through CURVE; one with a key the
 * server does not know gets neither; bad network settings are refused with a reason. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <czmq.h>

#include "cc_bus.h"
#include "cc_loop.h"
#include "cc_test.h"

static char s_base[64], s_keys[96], s_allow[96], s_other[96];

static bool s_dirs(void)
{
    snprintf(s_base, sizeof s_base, "/tmp/cc-busnet-test-XXXXXX");
    if (!mkdtemp(s_base))
        return false;
    snprintf(s_keys, sizeof s_keys, "%s/keys", s_base);
    snprintf(s_allow, sizeof s_allow, "%s/allow", s_base);
    snprintf(s_other, sizeof s_other, "%s/other", s_base);
    return mkdir(s_keys, 0700) == 0 && mkdir(s_allow, 0755) == 0 && mkdir(s_other, 0700) == 0;
}

static void s_cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_base);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s_base);
}

/* A key pair NAME.cert_secret in keys_dir; its public NAME.cert in allow_dir when given. */
static void s_keygen(const char *name, const char *keys_dir, const char *allow_dir)
{
    zcert_t *cert = zcert_new();
    char path[256];
    snprintf(path, sizeof path, "%s/%s.cert_secret", keys_dir, name);
    mode_t old = umask(077);
    zcert_save_secret(cert, path);
    umask(old);
    if (allow_dir) {
        snprintf(path, sizeof path, "%s/%s.cert", allow_dir, name);
        zcert_save_public(cert, path);
    }
    zcert_destroy(&cert);
}

/* A free TCP port P on loopback whose neighbour P+1 is free too. */
static int s_port_pair(void)
{
    for (int attempt = 0; attempt < 50; attempt++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof a;
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
            getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        int port = ntohs(a.sin_port);
        int fd2 = socket(AF_INET, SOCK_STREAM, 0);
        a.sin_port = htons((uint16_t)(port + 1));
        bool ok = port < 65534 && fd2 >= 0 && bind(fd2, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (fd2 >= 0)
            close(fd2);
        if (ok)
            return port;
    }
    return -1;
}

typedef struct {
    int calls, status;
} s_reply_t;

static void s_on_reply(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result;
    s_reply_t *r = arg;
    r->calls++;
    r->status = status;
}

static void s_on_event(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus, (void)ev;
    ++*(int *)arg;
}

static cc_bus_t *s_bus(const char *name, const char *peers, const char *keys, char *err,
                       size_t errlen)
{
    cc_bus_t *bus = cc_bus_new(name, s_base, 64);
    cc_bus_network_t net = {.peers = peers, .keys_dir = keys, .allow_dir = s_allow};
    if (bus && cc_bus_set_network(bus, &net, err, errlen) != 0)
        cc_bus_destroy(&bus);
    return bus;
}

CC_TEST(bus_over_tcp_admits_only_allowed_keys)
{
    CC_CHECK(s_dirs());
    s_keygen("tsrv", s_keys, s_allow);
    s_keygen("tcli", s_keys, s_allow);
    s_keygen("tevil", s_other, NULL); /* a key pair of its own, never allowed */
    int port = s_port_pair();
    CC_CHECK(port > 0);
    char peers[128], err[512] = "";
    snprintf(peers, sizeof peers, "tsrv=tcp://127.0.0.1:%d", port);
    cc_bus_t *srv = s_bus("tsrv", peers, s_keys, err, sizeof err);
    cc_bus_t *cli = s_bus("tcli", peers, s_keys, err, sizeof err);
    cc_bus_t *evil = s_bus("tevil", peers, s_other, err, sizeof err);
    bool made = srv && cli && evil && cc_bus_bind(srv) == 0;
    int cli_events = 0, evil_events = 0;
    s_reply_t cli_ping = {0}, evil_ping = {0};
    if (made) {
        cc_bus_subscribe(cli, "tsrv", "call.", s_on_event, &cli_events);
        cc_bus_subscribe(evil, "tsrv", "call.", s_on_event, &evil_events);
        cc_bus_request(cli, NULL, "tsrv", "ping", NULL, 3000, s_on_reply, &cli_ping);
        cc_bus_request(evil, NULL, "tsrv", "ping", NULL, 1500, s_on_reply, &evil_ping);
        uint64_t end = cc_mono_ms() + 4000;
        while (cc_mono_ms() < end && !(cli_ping.calls && evil_ping.calls && cli_events > 0)) {
            cc_bus_publish(srv, "call.ringing", "call-1", json_pack("{s:i}", "code", 180));
            cc_bus_dispatch(srv);
            cc_bus_dispatch(cli);
            cc_bus_dispatch(evil);
            usleep(5000);
        }
    }
    cc_bus_destroy(&evil);
    cc_bus_destroy(&cli);
    cc_bus_destroy(&srv);
    s_cleanup();
    if (!made)
        fprintf(stderr, "setup: %s\n", err);
    CC_CHECK(made);
    CC_CHECK_INT(cli_ping.calls, 1);
    CC_CHECK_INT(cli_ping.status, 0);
    CC_CHECK(cli_events > 0);
    CC_CHECK_INT(evil_ping.calls, 1);
    CC_CHECK_INT(evil_ping.status, -ETIMEDOUT);
    CC_CHECK_INT(evil_events, 0);
}

CC_TEST(bus_network_settings_refused_with_a_reason)
{
    CC_CHECK(s_dirs());
    s_keygen("tsrv", s_keys, s_allow);
    char err[512] = "";
    struct {
        const char *name, *peers, *keys, *says;
    } cases[] = {
        {"tsrv", "tsrv", s_keys, "'tsrv' is not NAME=tcp://HOST:PORT"},
        {"tsrv", "tsrv=udp://h:5", s_keys, "is not tcp://HOST:PORT"},
        {"tsrv", "tsrv=tcp://h:65535", s_keys, "is not 1-65534"},
        {"tsrv", "tsrv=tcp://h:x1", s_keys, "is not 1-65534"},
        {"tsrv", "a=tcp://h:7000, a=tcp://g:7002", s_keys, "a is listed twice"},
        {"tsrv", "a=tcp://h:7000", "/nonexistent", "must be directories"},
        {"tnokey", "a=tcp://h:7000", s_keys, "ccctl bus keygen tnokey"},
    };
    bool all = true;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        cc_bus_t *bus = s_bus(cases[i].name, cases[i].peers, cases[i].keys, err, sizeof err);
        if (bus || !strstr(err, cases[i].says)) {
            fprintf(stderr, "case %zu: %s\n", i, bus ? "accepted" : err);
            all = false;
        }
        cc_bus_destroy(&bus);
    }
    /* a key pair every user may read is refused, naming the fix */
    char path[256];
    snprintf(path, sizeof path, "%s/tsrv.cert_secret", s_keys);
    chmod(path, 0644);
    err[0] = '\0';
    cc_bus_t *open_key = s_bus("tsrv", "tsrv=tcp://127.0.0.1:7000", s_keys, err, sizeof err);
    bool refused = !open_key && strstr(err, "readable by every user");
    cc_bus_destroy(&open_key);
    /* no peers: ipc only, no keys needed */
    cc_bus_t *plain = s_bus("tplain", "", "", err, sizeof err);
    bool plain_ok = plain != NULL;
    cc_bus_destroy(&plain);
    s_cleanup();
    CC_CHECK(all);
    CC_CHECK(refused);
    CC_CHECK(plain_ok);
}
