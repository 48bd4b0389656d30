/* sp_reg_udp.c - REGISTER over UDP answered without a transaction, the way a stateless
 * registrar does it. The kernel steers every datagram to the SIP port that starts with
 * "REGI" onto a second socket bound to that port (an SO_REUSEPORT group whose member is
 * chosen by a four-instruction classic BPF program); everything else still reaches sofia's
 * socket, so calls see no extra work. Here a REGISTER is parsed by sofia's parser, decided
 * by sp_registrar.c and answered with one sendto.
 *
 * Why: through nua a REGISTER costs an nta transaction, a nua handle, an event queued to
 * the application, a respond signal queued back and the handle's destruction. A digest
 * registration (REGISTER, 401, REGISTER, 200) cost sipproxy's thread 110 us that way and
 * costs 39 us here (8,000/s, release build). TCP and TLS REGISTERs still go through nua.
 *
 * Retransmissions: the answer's bytes are kept for the transaction linger (transaction_linger
 * ms, at most S_ANSWERS of them), keyed by Call-ID, top Via branch and CSeq, and a copy of
 * the request gets the very same bytes. It is never decided twice: the nonce count of an
 * authenticated REGISTER may be used once, so a second decision would answer a client's
 * own retransmission with a fresh challenge. */
#include "sp_call.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/sip_util.h>

#include "cc_log.h"

enum {
    S_ANSWERS = 1 << 16, /* answers kept for retransmissions: about 40 MB at most */
    /* datagrams read per wake-up: sofia reads one per wake-up, and in-dialog requests
     * (BYE, ACK) wait in its socket meanwhile, so a registration storm gets only a few
     * turns for each of theirs (32 or 8: 39-41 us per registration either way at 8,000/s) */
    S_BATCH = 8,
    S_ANSWER_MAX = 8192,
    S_REQUEST_MAX = 32768, /* as NTATAG_MAXSIZE for the stack */
};

/* reuseport group member 0 is sofia's socket (it was there first), 1 is ours: the word at
 * the start of the UDP payload is "REGI" -> 1, anything else -> 0 */
static int s_attach_steering(int fd)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x52454749u /* "REGI" */, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 1),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog);
}

/* Where the answer goes (RFC 3261 18.2.2 and RFC 3581): the source address, and the source
 * port when the client asked for rport, else the top Via's port. */
static struct sockaddr_in s_answer_to(const sip_t *sip, const struct sockaddr_in *from)
{
    struct sockaddr_in to = *from;
    const sip_via_t *v = sip->sip_via;
    if (v && !v->v_rport) {
        unsigned long p = v->v_port ? strtoul(v->v_port, NULL, 10) : 5060;
        to.sin_port = htons((uint16_t)(p > 0 && p < 65536 ? p : 5060));
    }
    return to;
}

/* The answer as text: the request's Vias (the top one marked with where it came from),
 * From, To with our tag, Call-ID and CSeq, then what the decision adds. Its length, or 0
 * when it does not fit. */
static size_t s_render(sp_proxy_t *self, msg_t *msg, sip_t *sip, const sp_reply_t *r,
                       const sp_source_t *src, char *out, size_t cap)
{
    su_home_t *home = msg_home(msg);
    sip_via_t *v = sip->sip_via;
    const char *ip = src->ip;
    /* the parameter text is kept by pointer: each from the message's home */
    if (v->v_rport || !v->v_host || strcmp(v->v_host, ip) != 0)
        msg_header_replace_param(home, v->v_common, su_sprintf(home, "received=%s", ip));
    if (v->v_rport && !v->v_rport[0])
        msg_header_replace_param(home, v->v_common, su_sprintf(home, "rport=%d", src->port));
    if (sip->sip_to && !sip->sip_to->a_tag && r->status > 100) {
        char tag[48];
        snprintf(tag, sizeof tag, "r%08x%llx", self->reg_tag_salt,
                 (unsigned long long)++self->reg_tag_seq);
        sip_to_tag(home, sip->sip_to, tag);
    }
    size_t n = 0;
#define S_ADD(...)                                                                                 \
    do {                                                                                           \
        int k_ = snprintf(out + n, cap - n, __VA_ARGS__);                                          \
        if (k_ < 0 || (size_t)k_ >= cap - n)                                                       \
            return 0;                                                                              \
        n += (size_t)k_;                                                                           \
    } while (0)
#define S_HDR(h)                                                                                   \
    do {                                                                                           \
        if (!(h))                                                                                  \
            break; /* missing in a request answered 400 */                                         \
        issize_t k_ = sip_header_e(out + n, (isize_t)(cap - n), (sip_header_t const *)(h), 0);     \
        if (k_ < 0 || (size_t)k_ >= cap - n)                                                       \
            return 0;                                                                              \
        n += (size_t)k_;                                                                           \
    } while (0)
    S_ADD("SIP/2.0 %d %s\r\n", r->status, r->phrase);
    for (; v; v = v->v_next)
        S_HDR(v);
    S_HDR(sip->sip_from);
    S_HDR(sip->sip_to);
    S_HDR(sip->sip_call_id);
    S_HDR(sip->sip_cseq);
    for (int i = 0; i < r->nchallenges; i++)
        S_ADD("%s: %s\r\n", r->proxy_auth ? "Proxy-Authenticate" : "WWW-Authenticate",
              r->challenge[i]);
    if (r->contact[0])
        S_ADD("Contact: %s\r\n", r->contact);
    if (r->min_expires[0])
        S_ADD("Min-Expires: %s\r\n", r->min_expires);
    if (r->unsupported[0])
        S_ADD("Unsupported: %s\r\n", r->unsupported);
    S_ADD("User-Agent: cc-sipproxy/%s\r\nContent-Length: 0\r\n\r\n", CC_VERSION);
#undef S_ADD
#undef S_HDR
    return n;
}

/* What the stack would refuse before the registrar sees the request: too big (413),
 * broken or missing headers (400), a URI scheme we do not serve (416), an extension we
 * lack (420). 0 if none. */
static int s_refusal(const msg_t *msg, const sip_t *sip, size_t len, sp_reply_t *r)
{
    if (len > S_REQUEST_MAX) {
        sp_reply_set(r, SIP_413_REQUEST_TOO_LARGE);
        return 413;
    }
    if ((msg_get_flags(msg, MSG_FLG_ERROR) & MSG_FLG_ERROR) || sip->sip_error ||
        sip_sanity_check(sip) < 0) {
        sp_reply_set(r, SIP_400_BAD_REQUEST);
        return 400;
    }
    if (sip->sip_request->rq_method != sip_method_register) {
        sp_reply_set(r, SIP_405_METHOD_NOT_ALLOWED); /* "REGI..." but not REGISTER */
        return 405;
    }
    enum url_type_e t = sip->sip_request->rq_url->url_type;
    if (t != url_sip && t != url_sips) {
        sp_reply_set(r, SIP_416_UNSUPPORTED_URI);
        return 416;
    }
    if (sip->sip_require) {
        size_t len = 0;
        for (const sip_require_t *q = sip->sip_require; q; q = q->k_next)
            for (size_t i = 0; q->k_items && q->k_items[i]; i++)
                if (len + strlen(q->k_items[i]) + 3 < sizeof r->unsupported)
                    len += (size_t)snprintf(r->unsupported + len, sizeof r->unsupported - len,
                                            "%s%s", len ? ", " : "", q->k_items[i]);
        if (len) {
            sp_reply_set(r, SIP_420_BAD_EXTENSION);
            return 420;
        }
    }
    return 0;
}

static void s_send(sp_proxy_t *self, const char *buf, size_t len, const struct sockaddr_in *to)
{
    if (sendto(self->reg_fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof *to) < 0)
        cc_debug("sip.register_send_failed", "errno=%d", errno);
}

static void s_on_datagram(sp_proxy_t *self, const char *buf, size_t len,
                          const struct sockaddr_in *from)
{
    msg_t *msg = msg_make(sip_default_mclass(), 0, buf, (ssize_t)len);
    sip_t *sip = msg ? sip_object(msg) : NULL;
    if (!sip || !sip->sip_request || !sip->sip_via) {
        /* nothing to answer to: a datagram that is no request (or has no Via), or one
         * steered here in the moment between bind and the program's attach (its sender
         * sends it again) */
        self->register_dropped++;
        msg_destroy(msg);
        return;
    }
    struct sockaddr_in to = s_answer_to(sip, from);
    char key[512];
    const char *branch = sip->sip_via->v_branch                  ? sip->sip_via->v_branch
                         : sip->sip_from && sip->sip_from->a_tag ? sip->sip_from->a_tag
                                                                 : "";
    if (sip->sip_call_id && sip->sip_cseq) /* else "": a 400, never kept */
        sp_dedup_key(key, sizeof key, sip->sip_call_id->i_id, branch, sip->sip_cseq->cs_seq);
    else
        key[0] = '\0';
    uint64_t now_ms = cc_mono_ms();
    size_t old_len = 0;
    const char *old = sp_dedup_reply(self->reg_answers, key, now_ms, &old_len);
    if (old) {
        self->register_retransmits++;
        s_send(self, old, old_len, &to);
        msg_destroy(msg);
        return;
    }
    sp_source_t src = {0}; /* formatted once: the registrar and the Via both use it */
    inet_ntop(AF_INET, &from->sin_addr, src.ip, sizeof src.ip);
    src.port = ntohs(from->sin_port);
    snprintf(src.transport, sizeof src.transport, "udp");
    snprintf(src.hostport, sizeof src.hostport, "%s:%d", src.ip, src.port);
    sp_reply_t r = {0};
    if (s_refusal(msg, sip, len, &r) == 0)
        sp_registrar_decide(self, sip, &src, &r);
    static char answer[S_ANSWER_MAX];
    size_t n = s_render(self, msg, sip, &r, &src, answer, sizeof answer);
    if (n == 0) { /* its Vias and addresses do not fit S_ANSWER_MAX: not answered */
        cc_warn("sip.register_answer_too_big", "source=%s status=%d", src.hostport, r.status);
        msg_destroy(msg);
        return;
    }
    self->registers_stateless++;
    s_send(self, answer, n, &to);
    sp_dedup_add_reply(self->reg_answers, key, now_ms, answer, n);
    msg_destroy(msg);
}

static int s_on_readable(sp_proxy_t *self, su_wait_t *w, su_wakeup_arg_t *arg)
{
    (void)w, (void)arg;
    static char buf[65536];
    for (int i = 0; i < S_BATCH; i++) {
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n =
            recvfrom(self->reg_fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (n <= 0 || from.sin_family != AF_INET)
            break;
        s_on_datagram(self, buf, (size_t)n, &from);
    }
    return 0;
}

static void s_off(sp_proxy_t *self, int fd, const char *why)
{
    if (fd >= 0)
        close(fd);
    self->reg_fd = -1;
    cc_warn("sip.register_fast_path_off", "reason=%s errno=%d", cc_logq(why), errno);
}

int sp_reg_udp_open(sp_proxy_t *self)
{
    self->reg_fd = -1;
    self->reg_wait = -1;
    if (!self->set.register_fast_path)
        return 0;
    /* To tags unique across restarts, and nothing to do with the nonce secret */
    if (getrandom(&self->reg_tag_salt, sizeof self->reg_tag_salt, 0) !=
        (ssize_t)sizeof self->reg_tag_salt)
        self->reg_tag_salt = (uint32_t)cc_mono_us() ^ (uint32_t)getpid();
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    if (self->udp_fd < 0 || getsockname(self->udp_fd, (struct sockaddr *)&sa, &sl) != 0 ||
        sa.sin_family != AF_INET) {
        s_off(self, -1, "no IPv4 SIP UDP socket found");
        return 0;
    }
    int one = 1;
    if (setsockopt(self->udp_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        s_off(self, -1, "SO_REUSEPORT refused on the SIP socket");
        return 0;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        s_off(self, fd, "could not bind a second socket to the SIP port");
        return 0;
    }
    if (s_attach_steering(fd) != 0) { /* without the program the kernel would share out
                                       * every datagram by address hash: close at once */
        s_off(self, fd, "the kernel refused the steering program");
        return 0;
    }
    int size = self->set.udp_rcvbuf;
    if (size > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    su_wait_t w[1];
    if (!(self->reg_answers = sp_dedup_new((uint64_t)self->set.t1x64_ms, S_ANSWERS)) ||
        su_wait_create(w, fd, SU_WAIT_IN) < 0 ||
        (self->reg_wait = su_root_register(self->root, w, s_on_readable, self, 0)) < 0) {
        sp_dedup_destroy(&self->reg_answers);
        s_off(self, fd, "could not watch the socket");
        return 0;
    }
    self->reg_fd = fd;
    cc_info("sip.register_fast_path", "fd=%d port=%d", fd, ntohs(sa.sin_port));
    return 0;
}

void sp_reg_udp_close(sp_proxy_t *self)
{
    if (self->reg_wait > 0 && self->root)
        su_root_deregister(self->root, self->reg_wait);
    self->reg_wait = -1;
    if (self->reg_fd >= 0)
        close(self->reg_fd);
    self->reg_fd = -1;
    sp_dedup_destroy(&self->reg_answers);
}
