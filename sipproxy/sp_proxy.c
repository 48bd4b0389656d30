/* sp_proxy.c - sipproxy's SIP stack adapter: creates sofia's root and NUA, runs the sofia
 * loop inside cc_loop, checks digest credentials, sends the registrar's answers through nua
 * (TCP, TLS; UDP ones go through sp_reg_udp.c), and hands INVITE dialogs to sp_b2bua.c.
 * Owns the registry and the directory snapshot.
 *
 * Loop scheme: cc_loop stays the daemon's loop (signals, timers, the bus, the db eventfd).
 * A prepare hook steps sofia's su_root, which is where the process sleeps: su_root watches
 * the SIP sockets and cc_loop's own epoll fd (cc_loop_fd: signals, bus sockets, the db
 * eventfd), and waits no longer than cc_loop's next timer or the bus's next request
 * timeout. The hook returns true, so cc_loop then collects what is ready from its epoll
 * without sleeping: one wait per iteration. cc_bus_dispatch also runs before every
 * su_root wait, as the edge-triggered ZMQ_FD requires after a send. */
#include "sp_call.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>

#include "cc_log.h"
#include "sp_db.h"
#include "sp_digest.h"
#include "sp_sofia_yield.h"

static uint64_t s_now_s(void)
{
    return (uint64_t)time(NULL);
}

/* ---- sources and auth ------------------------------------------------------------ */

void sp_source_of(nua_t *nua, sp_source_t *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->transport, sizeof out->transport, "udp");
    msg_t *msg = nua_current_request(nua);
    su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;
    if (ai && ai->ai_addr) {
        if (ai->ai_addr->sa_family == AF_INET) {
            struct sockaddr_in *sin = (struct sockaddr_in *)ai->ai_addr;
            inet_ntop(AF_INET, &sin->sin_addr, out->ip, sizeof out->ip);
            out->port = ntohs(sin->sin_port);
        } else if (ai->ai_addr->sa_family == AF_INET6) {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ai->ai_addr;
            inet_ntop(AF_INET6, &sin6->sin6_addr, out->ip, sizeof out->ip);
            out->port = ntohs(sin6->sin6_port);
        }
        if (ai->ai_protocol == IPPROTO_TCP) {
            /* TCP or TLS: the topmost Via says which (the phone put it there) */
            sip_t const *sip = sip_object(msg);
            bool tls = sip && sip->sip_via && sip->sip_via->v_protocol &&
                       strcasestr(sip->sip_via->v_protocol, "TLS");
            snprintf(out->transport, sizeof out->transport, "%s", tls ? "tls" : "tcp");
        }
    }
    if (!out->ip[0])
        snprintf(out->ip, sizeof out->ip, "0.0.0.0");
    snprintf(out->hostport, sizeof out->hostport, "%s:%d", out->ip, out->port);
}

/* A challenge per digest algorithm of the user (ccctl user digest) or else of [sipproxy]
 * digest_algorithms, in that order (RFC 8760: the preferred first; a client answers the
 * first it supports), each with its own nonce. `user` is who the request says it is
 * (From), NULL if unknown. */
static void s_challenge(sp_proxy_t *self, sp_reply_t *r, const sp_user_t *user, bool proxy_auth,
                        bool stale)
{
    int nalgs = user && user->digest_nalgs ? user->digest_nalgs : self->set.digest_nalgs;
    r->nchallenges = 0;
    for (int i = 0; i < nalgs && r->nchallenges < 2; i++) {
        sp_digest_alg_t alg =
            user && user->digest_nalgs ? user->digest_algs[i] : self->set.digest_algs[i];
        char nonce[96];
        sp_nonce_make(self->secret, s_now_s(), ++self->nonces_made, nonce, sizeof nonce);
        snprintf(r->challenge[r->nchallenges++], sizeof r->challenge[0],
                 "Digest realm=\"%s\", nonce=\"%s\", qop=\"auth\", algorithm=%s%s", self->set.realm,
                 nonce, sp_digest_alg_name(alg), stale ? ", stale=true" : "");
    }
    r->proxy_auth = proxy_auth;
    if (proxy_auth)
        sp_reply_set(r, SIP_407_PROXY_AUTH_REQUIRED);
    else
        sp_reply_set(r, SIP_401_UNAUTHORIZED);
}

static void s_auth_failed(sp_proxy_t *self, sp_reply_t *r, const sp_source_t *src, const char *user,
                          const char *why)
{
    cc_throttle_fail(self->throttle, src->ip, cc_mono_ms());
    self->auth_failures++;
    cc_info("sip.auth_failed", "source=%s user=%s reason=%s", src->hostport,
            cc_logq(user ? user : ""), why);
    sp_reply_set(r, SIP_403_FORBIDDEN);
}

void sp_reply_set(sp_reply_t *r, int status, const char *phrase)
{
    r->status = status;
    r->phrase = phrase;
}

void sp_reply_nua(sp_proxy_t *self, nua_handle_t *nh, const sp_reply_t *r)
{
    if (r->nchallenges > 0 && r->proxy_auth)
        nua_respond(nh, r->status, r->phrase, NUTAG_WITH_THIS(self->nua),
                    SIPTAG_PROXY_AUTHENTICATE_STR(r->challenge[0]),
                    TAG_IF(r->nchallenges > 1, SIPTAG_PROXY_AUTHENTICATE_STR(r->challenge[1])),
                    TAG_END());
    else if (r->nchallenges > 0)
        nua_respond(nh, r->status, r->phrase, NUTAG_WITH_THIS(self->nua),
                    SIPTAG_WWW_AUTHENTICATE_STR(r->challenge[0]),
                    TAG_IF(r->nchallenges > 1, SIPTAG_WWW_AUTHENTICATE_STR(r->challenge[1])),
                    TAG_END());
    else
        nua_respond(nh, r->status, r->phrase, NUTAG_WITH_THIS(self->nua),
                    TAG_IF(r->contact[0], SIPTAG_CONTACT_STR(r->contact)),
                    TAG_IF(r->min_expires[0], SIPTAG_MIN_EXPIRES_STR(r->min_expires)),
                    TAG_IF(r->unsupported[0], SIPTAG_UNSUPPORTED_STR(r->unsupported)), TAG_END());
}

int sp_auth_decide(sp_proxy_t *self, const sip_t *sip, const sp_source_t *src, bool proxy_auth,
                   const sp_user_t **user_out, sp_reply_t *r)
{
    bool first = false;
    if (cc_throttle_blocked(self->throttle, src->ip, cc_mono_ms(), &first)) {
        self->auth_throttled++;
        if (first)
            cc_warn("sip.auth_throttled", "source=%s reason=%s", src->ip,
                    cc_logq("too many failed authentications; refusing for the window"));
        sp_reply_set(r, 403, "Too Many Failed Attempts");
        return -1;
    }
    const msg_auth_t *au = proxy_auth ? sip->sip_proxy_authorization : sip->sip_authorization;
    sp_digest_cred_t cred;
    bool have = false;
    for (; au; au = au->au_next) {
        if (!au->au_scheme || strcasecmp(au->au_scheme, "Digest") != 0)
            continue;
        if (sp_digest_parse((const char *const *)au->au_params, &cred) == 0 &&
            strcmp(cred.realm, self->set.realm) == 0) {
            have = true;
            break;
        }
    }
    if (!have) {
        const sip_from_t *from = sip->sip_from;
        const char *who = from && from->a_url->url_user ? from->a_url->url_user : "";
        s_challenge(self, r, sp_directory_user(self->dir, who), proxy_auth, false);
        return -1;
    }
    const sp_user_t *user = sp_directory_user(self->dir, cred.username);
    if (!user || !user->enabled) {
        s_auth_failed(self, r, src, cred.username, user ? "disabled" : "unknown_user");
        return -1;
    }
    const char *method = sip->sip_request ? sip->sip_request->rq_method_name : "";
    int rc = sp_digest_verify(&cred, method, self->set.realm, user->ha1, user->ha1_sha256,
                              self->secret, s_now_s(), (uint64_t)self->set.nonce_ttl_s);
    if (rc == 1) {
        s_challenge(self, r, user, proxy_auth, true);
        return -1;
    }
    if (rc < 0) {
        s_auth_failed(self, r, src, cred.username, "bad_credentials");
        return -1;
    }
    /* right credentials; a count already used under this nonce is a captured request
     * played again: a fresh challenge, which only the password's holder can answer */
    rc = sp_nonce_counts_use(self->nonce_counts, user->ext, cred.nonce, cred.nc, s_now_s(),
                             (uint64_t)self->set.nonce_ttl_s);
    if (rc < 0) {
        self->auth_replays++;
        cc_warn("sip.auth_replay", "source=%s user=%s nc=%s", src->hostport, cc_logq(user->ext),
                cc_logq(cred.nc));
    }
    if (rc != 0) {
        s_challenge(self, r, user, proxy_auth, true);
        return -1;
    }
    bool over_tls = sip->sip_via && sip->sip_via->v_protocol &&
                    strcasestr(sip->sip_via->v_protocol, "TLS") != NULL;
    const char *refusal = sp_tls_policy_refusal(user->tls, over_tls);
    if (refusal) { /* the password was right: not an attack, so not throttled */
        self->tls_policy_refused++;
        cc_info("sip.tls_policy_refused", "source=%s user=%s method=%s policy=%s over_tls=%s",
                src->hostport, cc_logq(user->ext), method, sp_tls_policy_name(user->tls),
                over_tls ? "yes" : "no");
        sp_reply_set(r, 403, refusal);
        return -1;
    }
    *user_out = user;
    return 0;
}

int sp_auth_check(sp_proxy_t *self, nua_handle_t *nh, const sip_t *sip, const sp_source_t *src,
                  bool proxy_auth, const sp_user_t **user_out)
{
    sp_reply_t r = {0};
    if (sp_auth_decide(self, sip, src, proxy_auth, user_out, &r) == 0)
        return 0;
    sp_reply_nua(self, nh, &r);
    return -1;
}

/* How long the oldest unread SIP datagram has waited (ms; -1 when none waits): a peek at
 * the head of the UDP socket's queue for its kernel arrival stamp (SO_TIMESTAMP, switched
 * on in s_tune_udp; sofia reads without ancillary data and never sees it). One syscall,
 * made only when a new INVITE must be judged. */
int64_t sp_proxy_queue_delay_ms(const sp_proxy_t *self)
{
    if (self->udp_fd < 0)
        return -1;
    char byte, ctl[CMSG_SPACE(sizeof(struct timeval))];
    struct iovec iov = {&byte, 1};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    if (recvmsg(self->udp_fd, &mh, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC) < 0)
        return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMP) {
            struct timeval tv;
            memcpy(&tv, CMSG_DATA(c), sizeof tv);
            int64_t at = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
            int64_t age = (int64_t)cc_wall_us() - at;
            return age > 0 ? age / 1000 : 0;
        }
    }
    return -1;
}

/* ---- the NUA callback ------------------------------------------------------------ */

static void s_nua_cb(nua_event_t event, int status, char const *phrase, nua_t *nua,
                     sp_proxy_t *self, nua_handle_t *nh, struct sp_leg *leg, sip_t const *sip,
                     tagi_t tags[])
{
    switch (event) {
    case nua_i_register: { /* TCP and TLS; UDP too when the fast path is off */
        sp_source_t src;
        sp_source_of(self->nua, &src);
        sp_reply_t r = {0};
        sp_registrar_decide(self, sip, &src, &r);
        sp_reply_nua(self, nh, &r);
        nua_handle_destroy(nh);
        return;
    }
    case nua_i_subscribe:
        if (!leg || leg == &sp_mwi_leg) {
            sp_mwi_subscribe(self, nh, sip);
            return;
        }
        break;
    case nua_i_options:
        if (!leg)
            nua_handle_destroy(nh);
        return;
    case nua_r_shutdown:
        if (status >= 200)
            self->nua_shutdown_done = true;
        return;
    case nua_i_invite:
        if (!leg) {
            sp_b2bua_incoming(self, nh, sip);
            cc_log_set_call(NULL); /* set once the INVITE became a call */
            return;
        }
        break;
    case nua_i_info: /* ours to answer (NUTAG_APPL_METHOD); calls take theirs (sp_info) */
        if (!leg || leg == &sp_orphan_leg) {
            nua_respond(nh, SIP_481_NO_TRANSACTION, NUTAG_WITH_THIS(nua), TAG_END());
            if (!leg)
                nua_handle_destroy(nh);
            return;
        }
        break;
    default:
        break;
    }
    if (leg == &sp_mwi_leg) {
        sp_mwi_event(self, event, status, nh, sip, tags);
        return;
    }
    if (leg == &sp_orphan_leg) {
        if (event == nua_i_state) {
            int state = nua_callstate_init;
            tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
            if (state == nua_callstate_terminated)
                nua_handle_destroy(nh);
        }
        return;
    }
    if (leg) {
        cc_log_set_call(leg->call->id); /* every line about this dialog names its call */
        sp_b2bua_event(self, event, status, phrase, nh, leg, sip, tags);
        cc_log_set_call(NULL);
        return;
    }
    /* a handle nua created for a request nobody claimed */
    if (nh && event != nua_i_error && nua_event_is_incoming_request(event) == 0 &&
        event == nua_i_state) {
        int state = nua_callstate_init;
        tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
        if (state == nua_callstate_terminated)
            nua_handle_destroy(nh);
    }
}

/* ---- loop integration ------------------------------------------------------------ */

/* cc_loop's epoll fd is readable: nothing to do here, the prepare hook returns and
 * cc_loop_run_once dispatches what is ready without sleeping again. */
/* su_root saw cc_loop's epoll readable: s_prepare lets cc_loop collect it. */
static int s_on_loop_fd(sp_proxy_t *self, su_wait_t *w, su_wakeup_arg_t *arg)
{
    (void)w, (void)arg;
    self->loop_fd_ready = true;
    return 0;
}

static void s_expire_contacts(const sp_contact_t *c, void *arg)
{
    sp_proxy_t *self = arg;
    cc_info("sip.registration_expired", "user=%s contact=%s", c->ext, cc_logq(c->uri));
    if (self->db)
        sp_db_contact_delete(self->db, c->ext, c->uri);
}

static bool s_prepare(cc_loop_t *loop, void *arg)
{
    sp_proxy_t *self = arg;
    if (cc_loop_stopping(loop))
        return false;
    uint64_t now = s_now_s();
    if (now != self->last_expire_s) {
        self->last_expire_s = now;
        sp_registry_expire(self->reg, now, s_expire_contacts, self);
    }
    if (cc_bus_needs_dispatch(self->bus)) /* a send may have consumed a ZMQ_FD edge */
        cc_bus_dispatch_sent(self->bus);
    long wait = 1000; /* the registry sweep runs once a second */
    int lt = cc_loop_next_timeout_ms(loop);
    if (lt >= 0 && lt < wait)
        wait = lt;
    int bt = cc_bus_next_timeout_ms(self->bus);
    if (bt >= 0 && bt < wait)
        wait = bt;
    self->loop_fd_ready = false;
    su_root_step(self->root, wait);
    if (!self->loop_fd_ready) /* most steps: one SIP message, nothing of cc_loop's */
        cc_loop_fds_seen_idle(loop);
    return true;
}

int sp_proxy_attach(sp_proxy_t *self)
{
    su_wait_t w[1];
    int fd = cc_loop_fd(self->daemon->loop);
    if (su_wait_create(w, fd, SU_WAIT_IN) < 0 ||
        (self->loop_wait = su_root_register(self->root, w, s_on_loop_fd, self, 0)) < 0) {
        cc_error("sip.loop_watch_failed", "fd=%d", fd);
        return -1;
    }
    if (sp_mediad_attach(self) != 0)
        return -1;
    return cc_loop_prepare_add(self->daemon->loop, s_prepare, self);
}

/* sofia sets no SO_RCVBUF: find our UDP socket on the SIP port and enlarge it. */
static void s_tune_udp(sp_proxy_t *self)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        if (fd <= 2)
            continue;
        int type = 0;
        socklen_t tl = sizeof type;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_DGRAM)
            continue;
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 || ss.ss_family != AF_INET ||
            ntohs(((struct sockaddr_in *)&ss)->sin_port) != self->set.sip_port)
            continue;
        int size = self->set.udp_rcvbuf;
        if (size > 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        int got = 0;
        socklen_t gl = sizeof got;
        getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl);
        cc_info("sip.udp_rcvbuf", "fd=%d asked=%d got=%d", fd, size, got);
        int on = 1; /* arrival stamps, for the queueing delay overload control reads */
        if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof on) == 0)
            self->udp_fd = fd;
    }
    closedir(d);
}

/* Every binding that goes (unregistered, expired, replaced) becomes reg.removed. */
static void s_on_reg_removed(const sp_contact_t *c, const char *reason, void *arg)
{
    sp_proxy_t *self = arg;
    sp_contact_t live[SP_MAX_CONTACTS];
    size_t n = sp_registry_lookup(self->reg, c->ext, s_now_s(), live, SP_MAX_CONTACTS);
    size_t remaining = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(live[i].uri, c->uri) != 0)
            remaining++;
    cc_bus_publish(self->bus, "reg.removed", NULL,
                   json_pack("{s:s, s:s, s:s, s:i}", "ext", c->ext, "contact", c->uri, "reason",
                             reason, "remaining", (int)remaining));
}

sp_proxy_t *sp_proxy_new(cc_daemon_t *daemon, const sp_settings_t *settings,
                         sp_directory_t **directory_p)
{
    sp_proxy_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->daemon = daemon;
    self->bus = daemon->bus;
    self->set = *settings;
    self->udp_fd = -1;
    self->reg_fd = self->reg_wait = -1;
    if (settings->park_number[0]) /* checked by the config's validation */
        sp_park_init(&self->park, settings->park_number, settings->park_slot_first,
                     settings->park_slots);
    self->limits.delay_target_ms = settings->overload_delay_ms;
    self->limits.media_pending_high = (size_t)settings->overload_media_pending;
    self->dedup = sp_dedup_new((uint64_t)settings->invite_memory_ms, 1u << 20);
    su_init();
    su_home_init(self->home);
    unsigned char rnd[16];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        for (size_t i = 0; i < sizeof rnd; i++)
            rnd[i] = (unsigned char)(rand() ^ (int)cc_mono_us());
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(self->secret + 2 * i, 3, "%02x", rnd[i]);
    self->reg = sp_registry_new();
    self->throttle = cc_throttle_new(settings->auth_fail_limit,
                                     (uint64_t)settings->auth_fail_window_s * 1000u, 4096);
    self->nonce_counts = sp_nonce_counts_new(1u << 16);
    if (self->reg)
        sp_registry_on_removed(self->reg, s_on_reg_removed, self);
    self->root = su_root_create(self);
    if (!self->reg || !self->throttle || !self->nonce_counts || !self->root || !self->dedup)
        goto fail;
    su_root_threading(self->root, 0);
    char url[128], sips[128];
    snprintf(url, sizeof url, "sip:%s:%d", settings->bind, settings->sip_port);
    snprintf(sips, sizeof sips, "sips:%s:%d", settings->bind, settings->tls_port);
    if (settings->tls_port) {
        snprintf(self->tls_contact, sizeof self->tls_contact, "<sip:%s:%d;transport=tls>",
                 settings->bind, settings->tls_port);
        snprintf(self->plain_contact, sizeof self->plain_contact, "<sip:%s:%d>", settings->bind,
                 settings->sip_port);
    }
    self->nua = nua_create(self->root, s_nua_cb, self, NUTAG_URL(url), NUTAG_MEDIA_ENABLE(0),
                           NUTAG_ALLOW("REGISTER, INFO"), NUTAG_APPL_METHOD("REGISTER, INFO"),
                           NUTAG_ALLOW("SUBSCRIBE"), NUTAG_APPL_METHOD("SUBSCRIBE"),
                           SIPTAG_ALLOW_EVENTS_STR("message-summary"), NUTAG_AUTOANSWER(0),
                           NUTAG_AUTOALERT(0), NUTAG_ENABLEINVITE(1), NUTAG_SESSION_TIMER(0),
                           NUTAG_EARLY_MEDIA(0), SIPTAG_SUPPORTED_STR("replaces"),
                           SIPTAG_USER_AGENT_STR("cc-sipproxy/" CC_VERSION),
                           NTATAG_SIP_T1X64((unsigned)settings->t1x64_ms), NTATAG_MAXSIZE(32768),
                           TAG_IF(settings->tls_port, NUTAG_SIPS_URL(sips)),
                           TAG_IF(settings->tls_port, TPTAG_CERTIFICATE(settings->tls_dir)),
                           TAG_IF(settings->tls_port,
                                  TPTAG_TLS_VERIFY_POLICY(
                                      settings->tls_verify ? TPTLS_VERIFY_OUT : TPTLS_VERIFY_NONE)),
                           TAG_END());
    if (!self->nua) {
        cc_error("sip.bind_failed", "url=%s reason=%s", url,
                 cc_logq("nua_create failed (port in use or address not local?)"));
        goto fail;
    }
    if (!sp_sofia_yield_replaced()) /* see sp_sofia_yield.c: calls then fail in bursts */
        cc_warn("sip.sofia_yield_kept", "reason=%s",
                cc_logq("sofia-sip's su_root_yield is not replaced: the stack's "
                        "timers can fire all at once under load"));
    s_tune_udp(self);
    sp_reg_udp_open(self); /* off with a warning when the kernel refuses; never fatal */
    self->dir = *directory_p;
    *directory_p = NULL;
    sp_callctl_attach(self);
    sp_monitor_attach(self);
    if (sp_mwi_attach(self) != 0)
        goto fail;
    if (settings->tls_port)
        cc_info("sip.listening", "url=%s transports=udp,tcp tls=%s verify=%d", url, sips,
                settings->tls_verify);
    else
        cc_info("sip.listening", "url=%s transports=udp,tcp", url);
    return self;
fail:
    sp_proxy_destroy(&self);
    return NULL;
}

void sp_proxy_destroy(sp_proxy_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sp_proxy_t *self = *self_p;
    sp_mediad_detach(self);
    sp_reg_udp_close(self); /* before the root it is registered with */
    if (self->nua)
        nua_destroy(self->nua);
    sp_mwi_detach(self); /* after nua: its handles went with it */
    if (self->root) {
        if (self->loop_wait > 0)
            su_root_deregister(self->root, self->loop_wait);
        su_root_destroy(self->root);
    }
    sp_directory_destroy(&self->dir);
    sp_registry_destroy(&self->reg);
    cc_throttle_destroy(&self->throttle);
    sp_nonce_counts_destroy(&self->nonce_counts);
    sp_dedup_destroy(&self->dedup);
    cc_map_destroy(&self->calls);
    cc_map_destroy(&self->ended);
    su_home_deinit(self->home);
    su_deinit();
    free(self);
    *self_p = NULL;
}

void sp_proxy_set_directory(sp_proxy_t *self, sp_directory_t **directory_p)
{
    if (!*directory_p)
        return;
    sp_directory_destroy(&self->dir);
    self->dir = *directory_p;
    *directory_p = NULL;
}

void sp_proxy_restore_contact(sp_proxy_t *self, const sp_contact_t *c)
{
    sp_registry_bind(self->reg, c, s_now_s());
}

void sp_proxy_set_db(sp_proxy_t *self, sp_db_t *db)
{
    self->db = db;
}

void sp_proxy_shutdown(sp_proxy_t *self)
{
    self->shutting_down = true;
    sp_b2bua_end_all(self);
    /* a moment for the far ends to confirm the BYEs and CANCELs and for mediad to free the
     * endpoints; then the dialogs still open are dropped, so that nua's shutdown (which
     * waits for every open request) finishes at its next tick, once a second */
    uint64_t until = cc_mono_ms() + 400;
    while ((sp_b2bua_count(self) > 0 || sp_b2bua_ending_count(self) > 0) && cc_mono_ms() < until) {
        cc_bus_dispatch(self->bus);
        su_root_step(self->root, 20);
    }
    size_t live = sp_b2bua_count(self), unconfirmed = sp_b2bua_ending_count(self);
    if (live > 0 || unconfirmed > 0)
        cc_warn("sip.shutdown_unconfirmed", "calls=%zu unconfirmed_ends=%zu", live, unconfirmed);
    sp_b2bua_reap_ended(self);
    nua_shutdown(self->nua);
    until = cc_mono_ms() + 2500;
    while (!self->nua_shutdown_done && cc_mono_ms() < until)
        su_root_step(self->root, 20);
    if (!self->nua_shutdown_done)
        cc_warn("sip.shutdown_incomplete", "ms=%d", 2500);
}

void sp_proxy_status(sp_proxy_t *self, json_t *details)
{
    json_object_set_new(details, "calls", json_integer((json_int_t)sp_b2bua_count(self)));
    json_object_set_new(details, "calls_total", json_integer((json_int_t)self->calls_total));
    json_object_set_new(details, "registrations",
                        json_integer((json_int_t)sp_registry_count(self->reg)));
    json_object_set_new(details, "registers_ok", json_integer((json_int_t)self->registers_ok));
    json_object_set_new(details, "register_fast_path", json_boolean(self->reg_fd >= 0));
    json_object_set_new(details, "registers_stateless",
                        json_integer((json_int_t)self->registers_stateless));
    json_object_set_new(details, "register_retransmits",
                        json_integer((json_int_t)self->register_retransmits));
    json_object_set_new(details, "auth_failures", json_integer((json_int_t)self->auth_failures));
    json_object_set_new(details, "auth_throttled", json_integer((json_int_t)self->auth_throttled));
    json_object_set_new(details, "auth_replays", json_integer((json_int_t)self->auth_replays));
    json_object_set_new(details, "tls_policy_refused",
                        json_integer((json_int_t)self->tls_policy_refused));
    json_object_set_new(details, "invites_shed",
                        json_integer((json_int_t)self->admission.shed_total));
    json_object_set_new(details, "invites_repeated",
                        json_integer((json_int_t)self->invites_repeated));
    json_object_set_new(details, "overload",
                        json_string(sp_shed_reason_name(self->admission.reason)));
    json_object_set_new(details, "media_epoch", json_integer((json_int_t)self->media_epoch));
    json_object_set_new(details, "media_restoring",
                        json_integer((json_int_t)self->media_restoring));
    json_object_set_new(details, "sip_queue_delay_ms",
                        json_integer((json_int_t)sp_proxy_queue_delay_ms(self)));
    json_object_set_new(details, "users",
                        json_integer((json_int_t)sp_directory_user_count(self->dir)));
    json_object_set_new(details, "trunks",
                        json_integer((json_int_t)sp_directory_trunk_count(self->dir)));
    json_object_set_new(
        details, "routes",
        json_integer((json_int_t)cc_dialplan_size(sp_directory_dialplan(self->dir))));
    json_object_set_new(details, "parked", sp_callpark_list(self));
}
