/* cc_bus_net.c - the bus across hosts: which daemons are reached over TCP rather than ipc,
 * and CURVE on every TCP socket. A bus that binds TCP is a CURVE server with this host's
 * key pair and runs a ZAP handler (czmq's zauth) that admits only the public keys found in
 * the allow directory, so a process without an allowed key can neither subscribe to
 * events nor send commands. A bus that connects over TCP is a CURVE client that knows the
 * server's public key from the same directory, so it cannot be fooled by an impostor
 * either. ipc stays as it was: on one host the run directory's permissions guard it. */
#include "cc_bus_priv.h"

#include <ctype.h>
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

struct cc_bus_net {
    s_peer_t *peers;
    size_t npeers;
    char *keys_dir, *allow_dir;
    zcert_t *own;   /* this bus's key pair */
    zactor_t *auth; /* ZAP handler, while this bus binds TCP */
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
    zactor_destroy(&net->auth);
    zcert_destroy(&net->own);
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

/* The ZAP handler: admits CURVE clients whose public key is in allow_dir (re-read when
 * the directory changes, so a key added or removed takes effect without a restart). */
static int s_start_auth(cc_bus_t *self)
{
    if (self->net->auth)
        return 0;
    self->net->auth = zactor_new(zauth, NULL);
    if (!self->net->auth)
        return -1;
    if (zstr_sendx(self->net->auth, "CURVE", self->net->allow_dir, NULL) != 0 ||
        zsock_wait(self->net->auth) != 0) {
        zactor_destroy(&self->net->auth);
        return -1;
    }
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
    if (s_start_auth(self) != 0) {
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
