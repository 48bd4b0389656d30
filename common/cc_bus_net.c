/* cc_bus_net.c - the bus across hosts: which daemons are reached over TCP rather than ipc,
 * and CURVE on every TCP socket. A bus that binds TCP is a CURVE server with this host's
 * key pair and answers ZAP (RFC 27) itself, on its own loop: it admits only the public keys
 * found in the allow directory, so a process without an allowed key can neither subscribe
 * to events nor send commands, and it logs who was admitted or refused, from where and with
 * which key, so an operator sees a misconfigured host at once. A bus that connects over TCP is a CURVE client that knows the
 * server's public key from the same directory, so it cannot be fooled by an impostor
 * either. ipc stays as it was: on one host the run directory's permissions guard it. */
#include "cc_bus_priv.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc_errbuf.h"
#include "cc_log.h"
#include "cc_secret.h"

#define S_NAME_MAX 64
#define S_HOST_MAX 256

typedef struct {
    char name[S_NAME_MAX];
    char host[S_HOST_MAX];
    int port; /* events; commands on port + 1 */
} s_peer_t;

/* A public key from the allow directory. */
typedef struct {
    char name[S_NAME_MAX]; /* the file's name without .cert */
    uint8_t key[32];
} s_allowed_t;

#define S_REFUSALS 32 /* refused keys remembered, so a peer retrying does not flood the log */

typedef struct {
    uint8_t key[32];
    uint64_t logged_ms; /* when last logged */
    unsigned unlogged;  /* refusals since */
} s_refusal_t;

struct cc_bus_net {
    s_peer_t *peers;
    size_t npeers;
    char *keys_dir, *allow_dir;
    zcert_t *own; /* this bus's key pair */
    zsock_t *zap; /* the ZAP handler's socket, while this bus binds TCP */
    int zap_fd;
    s_allowed_t *allowed;
    size_t nallowed;
    struct timespec allow_mtime; /* of the directory when it was read */
    bool allow_read;
    s_refusal_t refusals[S_REFUSALS];
};

static const s_peer_t *s_peer(const cc_bus_net_t *net, const char *name)
{
    for (size_t i = 0; net && i < net->npeers; i++)
        if (!strcmp(net->peers[i].name, name))
            return &net->peers[i];
    return NULL;
}

static bool s_name_ok(const char *s, size_t n)
{
    if (n == 0 || n >= S_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
            return false;
    return true;
}

/* One "NAME=tcp://HOST:PORT" token into p. 0, or -1 with err. */
static int s_parse_peer(const char *tok, size_t len, s_peer_t *p, char *err, size_t errlen)
{
    const char *eq = memchr(tok, '=', len);
    if (!eq || !s_name_ok(tok, (size_t)(eq - tok))) {
        cc_errf(err, errlen, "bus_peers: '%.*s' is not NAME=tcp://HOST:PORT", (int)len, tok);
        return -1;
    }
    snprintf(p->name, sizeof p->name, "%.*s", (int)(eq - tok), tok);
    const char *url = eq + 1;
    size_t ulen = len - (size_t)(url - tok);
    const char *colon = ulen > 6 ? memrchr(url + 6, ':', ulen - 6) : NULL;
    if (ulen <= 6 || strncmp(url, "tcp://", 6) != 0 || !colon || colon == url + 6) {
        cc_errf(err, errlen, "bus_peers: %s's address '%.*s' is not tcp://HOST:PORT", p->name,
                (int)ulen, url);
        return -1;
    }
    size_t hlen = (size_t)(colon - (url + 6));
    if (hlen >= sizeof p->host) {
        cc_errf(err, errlen, "bus_peers: %s's host is too long", p->name);
        return -1;
    }
    snprintf(p->host, sizeof p->host, "%.*s", (int)hlen, url + 6);
    char digits[8];
    size_t dlen = ulen - (size_t)(colon + 1 - url);
    long port = 0;
    if (dlen == 0 || dlen >= sizeof digits) {
        port = -1;
    } else {
        memcpy(digits, colon + 1, dlen);
        digits[dlen] = '\0';
        char *end;
        port = strtol(digits, &end, 10);
        if (*end)
            port = -1;
    }
    if (port < 1 || port > 65534) {
        cc_errf(err, errlen,
                "bus_peers: %s's port '%.*s' is not 1-65534 (it takes PORT and PORT+1)", p->name,
                (int)dlen, colon + 1);
        return -1;
    }
    p->port = (int)port;
    return 0;
}

static int s_parse_peers(cc_bus_net_t *net, const char *text, char *err, size_t errlen)
{
    const char *s = text;
    while (*s) {
        while (*s == ' ' || *s == ',' || *s == '\t')
            s++;
        if (!*s)
            break;
        size_t len = strcspn(s, " ,\t");
        s_peer_t p;
        if (s_parse_peer(s, len, &p, err, errlen) != 0)
            return -1;
        if (s_peer(net, p.name)) {
            cc_errf(err, errlen, "bus_peers: %s is listed twice", p.name);
            return -1;
        }
        s_peer_t *grown = realloc(net->peers, (net->npeers + 1) * sizeof *grown);
        if (!grown) {
            cc_errf(err, errlen, "out of memory");
            return -1;
        }
        net->peers = grown;
        net->peers[net->npeers++] = p;
        s += len;
    }
    return 0;
}

static bool s_is_dir(const char *path)
{
    struct stat st;
    return path && *path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The key pair's name: the bus name up to its first '-' ("ccctl-4242" -> "ccctl"). */
static void s_key_name(const char *bus_name, char *out, size_t len)
{
    snprintf(out, len, "%.*s", (int)strcspn(bus_name, "-"), bus_name);
}

static int s_load_own(cc_bus_t *self, char *err, size_t errlen)
{
    char key[S_NAME_MAX], secret[PATH_MAX + 16], base[PATH_MAX];
    s_key_name(self->name, key, sizeof key);
    snprintf(base, sizeof base, "%s/%s.cert", self->net->keys_dir, key);
    snprintf(secret, sizeof secret, "%s_secret", base);
    if (access(secret, F_OK) != 0) {
        cc_errf(err, errlen, "no bus key pair %s: make one with `ccctl bus keygen %s`", secret,
                key);
        return -1;
    }
    if (cc_secret_file_check(secret, "bus key pair", err, errlen) != 0)
        return -1;
    self->net->own = zcert_load(base); /* reads base_secret when it exists */
    if (!self->net->own || !*zcert_secret_txt(self->net->own) ||
        !strcmp(zcert_secret_txt(self->net->own), "0000000000000000000000000000000000000000")) {
        zcert_destroy(&self->net->own);
        cc_errf(err, errlen, "%s is not a bus key pair (ccctl bus keygen makes one)", secret);
        return -1;
    }
    return 0;
}

int cc_bus_set_network(cc_bus_t *self, const cc_bus_network_t *net, char *err, size_t errlen)
{
    cc_bus_net_free(self);
    if (!net || !net->peers || !*net->peers)
        return 0;
    self->net = calloc(1, sizeof *self->net);
    if (!self->net) {
        cc_errf(err, errlen, "out of memory");
        return -1;
    }
    if (s_parse_peers(self->net, net->peers, err, errlen) != 0)
        goto fail;
    if (!s_is_dir(net->keys_dir) || !s_is_dir(net->allow_dir)) {
        cc_errf(err, errlen,
                "bus_peers is set, so bus_keys_dir and bus_allow_dir must be directories "
                "(the bus over TCP is always CURVE-encrypted): keys '%s', allow '%s'",
                net->keys_dir ? net->keys_dir : "", net->allow_dir ? net->allow_dir : "");
        goto fail;
    }
    self->net->keys_dir = strdup(net->keys_dir);
    self->net->allow_dir = strdup(net->allow_dir);
    if (!self->net->keys_dir || !self->net->allow_dir) {
        cc_errf(err, errlen, "out of memory");
        goto fail;
    }
    if (s_load_own(self, err, errlen) != 0)
        goto fail;
    return 0;
fail:
    cc_bus_net_free(self);
    return -1;
}

void cc_bus_net_free(cc_bus_t *self)
{
    cc_bus_net_t *net = self->net;
    if (!net)
        return;
    if (net->zap)
        cc_bus_socket_destroy(self, &net->zap, net->zap_fd);
    zcert_destroy(&net->own);
    free(net->allowed);
    free(net->peers);
    free(net->keys_dir);
    free(net->allow_dir);
    free(net);
    self->net = NULL;
}

static void s_tcp_endpoint(const s_peer_t *p, const char *kind, char *ep, size_t eplen)
{
    snprintf(ep, eplen, "tcp://%s:%d", p->host, p->port + (strcmp(kind, "cmd") == 0 ? 1 : 0));
}

/* ---- the ZAP handler --------------------------------------------------------------- */

/* (Re)read the allow directory when it changed since the last read: a key added or
 * removed takes effect for the next connection, without a restart. */
static void s_load_allowed(cc_bus_net_t *net)
{
    struct stat st;
    if (stat(net->allow_dir, &st) != 0) {
        cc_error("bus.allow_dir_unreadable", "dir=%s err=%s", cc_logq(net->allow_dir),
                 cc_logq(strerror(errno)));
        net->nallowed = 0;
        return;
    }
    if (net->allow_read && st.st_mtim.tv_sec == net->allow_mtime.tv_sec &&
        st.st_mtim.tv_nsec == net->allow_mtime.tv_nsec)
        return;
    net->allow_mtime = st.st_mtim;
    net->allow_read = true;
    net->nallowed = 0;
    DIR *dir = opendir(net->allow_dir);
    struct dirent *de;
    while (dir && (de = readdir(dir)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n <= 5 || strcmp(de->d_name + n - 5, ".cert") != 0 || n - 5 >= S_NAME_MAX)
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", net->allow_dir, de->d_name);
        zcert_t *cert = zcert_load(path);
        if (!cert) {
            cc_warn("bus.allow_cert_unreadable", "path=%s", cc_logq(path));
            continue;
        }
        s_allowed_t *grown = realloc(net->allowed, (net->nallowed + 1) * sizeof *grown);
        if (grown) {
            net->allowed = grown;
            s_allowed_t *a = &net->allowed[net->nallowed++];
            snprintf(a->name, sizeof a->name, "%.*s", (int)(n - 5), de->d_name);
            memcpy(a->key, zcert_public_key(cert), sizeof a->key);
        }
        zcert_destroy(&cert);
    }
    if (dir)
        closedir(dir);
    cc_info("bus.allow_list", "dir=%s keys=%zu", cc_logq(net->allow_dir), net->nallowed);
}

static const s_allowed_t *s_allowed(cc_bus_net_t *net, const uint8_t *key)
{
    s_load_allowed(net);
    for (size_t i = 0; i < net->nallowed; i++)
        if (!memcmp(net->allowed[i].key, key, 32))
            return &net->allowed[i];
    return NULL;
}

/* A refusal is logged the first time a key is refused, then at most once a minute with
 * how many refusals the log did not show. */
static void s_log_refusal(cc_bus_net_t *net, const char *address, const uint8_t *key,
                          const char *why)
{
    uint64_t now = cc_bus_now_ms();
    s_refusal_t *slot = NULL, *oldest = &net->refusals[0];
    for (size_t i = 0; i < S_REFUSALS; i++) {
        if (!memcmp(net->refusals[i].key, key, 32) && net->refusals[i].logged_ms) {
            slot = &net->refusals[i];
            break;
        }
        if (net->refusals[i].logged_ms < oldest->logged_ms)
            oldest = &net->refusals[i];
    }
    if (slot && now - slot->logged_ms < 60000) {
        slot->unlogged++;
        return;
    }
    unsigned unlogged = slot ? slot->unlogged : 0;
    if (!slot) {
        slot = oldest;
        memcpy(slot->key, key, 32);
    }
    slot->logged_ms = now ? now : 1;
    slot->unlogged = 0;
    char z85[41] = "";
    zmq_z85_encode(z85, key, 32);
    cc_warn("bus.peer_refused",
            "address=%s key=%s reason=%s refused_since_last_log=%u fix=\"put the peer's NAME.cert "
            "in %s\"",
            cc_logq(address), z85, cc_logq(why), unlogged, net->allow_dir);
}

static void s_zap_reply(zsock_t *sock, const zmq_msg_t *request_id, const char *code,
                        const char *text, const char *user)
{
    void *s = zsock_resolve(sock);
    zmq_send(s, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(s, zmq_msg_data((zmq_msg_t *)request_id), zmq_msg_size((zmq_msg_t *)request_id),
             ZMQ_SNDMORE);
    zmq_send(s, code, strlen(code), ZMQ_SNDMORE);
    zmq_send(s, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(s, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(s, "", 0, 0);
}

static bool s_frame_is(zmq_msg_t *m, const char *text)
{
    return zmq_msg_size(m) == strlen(text) && !memcmp(zmq_msg_data(m), text, strlen(text));
}

/* One ZAP request: [version][request id][domain][address][routing id][mechanism][key]. */
static void s_zap_answer(cc_bus_t *self, zmq_msg_t *f, int n)
{
    cc_bus_net_t *net = self->net;
    char address[64] = "?";
    if (n >= 4)
        snprintf(address, sizeof address, "%.*s", (int)zmq_msg_size(&f[3]),
                 (const char *)zmq_msg_data(&f[3]));
    if (n < 7 || !s_frame_is(&f[0], "1.0") || !s_frame_is(&f[5], "CURVE") ||
        zmq_msg_size(&f[6]) != 32) {
        cc_warn("bus.peer_refused", "address=%s reason=\"not a CURVE client\"", cc_logq(address));
        if (n >= 2)
            s_zap_reply(net->zap, &f[1], "400", "CURVE only", "");
        return;
    }
    const uint8_t *key = zmq_msg_data(&f[6]);
    const s_allowed_t *a = s_allowed(net, key);
    if (!a) {
        s_log_refusal(net, address, key, "key not in the allow list");
        s_zap_reply(net->zap, &f[1], "400", "key not allowed", "");
        return;
    }
    cc_info("bus.peer_admitted", "name=%s address=%s", cc_logq(a->name), cc_logq(address));
    s_zap_reply(net->zap, &f[1], "200", "OK", a->name);
}

bool cc_bus_net_drain(cc_bus_t *self)
{
    if (!self->net || !self->net->zap)
        return false;
    bool any = false;
    while (cc_bus_readable(self->net->zap)) {
        zmq_msg_t frames[8];
        int n = cc_bus_recv_frames(self->net->zap, frames, 8);
        if (n == 0)
            break;
        s_zap_answer(self, frames, n);
        cc_bus_close_frames(frames, n);
        any = true;
    }
    return any;
}

/* The ZAP handler must be there before the first CURVE socket binds: without one,
 * libzmq lets every client in. */
static int s_start_zap(cc_bus_t *self)
{
    cc_bus_net_t *net = self->net;
    if (net->zap)
        return 0;
    net->zap = cc_bus_socket_new(self, ZMQ_REP, &net->zap_fd);
    if (!net->zap)
        return -1;
    if (zsock_bind(net->zap, "inproc://zeromq.zap.01") < 0) {
        cc_bus_socket_destroy(self, &net->zap, net->zap_fd);
        return -1;
    }
    s_load_allowed(net);
    return 0;
}

int cc_bus_net_bind(cc_bus_t *self, zsock_t *sock, const char *kind, char *ep, size_t eplen)
{
    const s_peer_t *me = s_peer(self->net, self->name);
    if (!me) {
        cc_bus_endpoint(ep, eplen, self->run_dir, self->name, kind);
        return zsock_bind(sock, "%s", ep) < 0 ? -1 : 0;
    }
    s_tcp_endpoint(me, kind, ep, eplen);
    if (s_start_zap(self) != 0) {
        cc_error("bus.auth_failed", "endpoint=%s reason=\"cannot start the ZAP handler\"",
                 cc_logq(ep));
        errno = EIO;
        return -1;
    }
    zcert_apply(self->net->own, sock);
    zsock_set_curve_server(sock, 1);
    zsock_set_zap_domain(sock, "cc");
    return zsock_bind(sock, "%s", ep) < 0 ? -1 : 0;
}

int cc_bus_net_connect(cc_bus_t *self, zsock_t *sock, const char *peer, const char *kind, char *ep,
                       size_t eplen)
{
    const s_peer_t *p = s_peer(self->net, peer);
    if (!p) {
        cc_bus_endpoint(ep, eplen, self->run_dir, peer, kind);
        return zsock_connect(sock, "%s", ep) < 0 ? -1 : 0;
    }
    s_tcp_endpoint(p, kind, ep, eplen);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.cert", self->net->allow_dir, peer);
    zcert_t *theirs = zcert_load(path);
    if (!theirs) {
        cc_error("bus.no_peer_key", "peer=%s path=%s effect=\"not connecting\"", cc_logq(peer),
                 cc_logq(path));
        errno = ENOENT;
        return -1;
    }
    zcert_apply(self->net->own, sock);
    zsock_set_curve_serverkey(sock, zcert_public_txt(theirs));
    zcert_destroy(&theirs);
    return zsock_connect(sock, "%s", ep) < 0 ? -1 : 0;
}
