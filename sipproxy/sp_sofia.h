/* sp_sofia.h - the sofia-facing inside of sipproxy, shared by the SIP adapters
 * (sp_proxy.c: stack, loop, registrar, auth; sp_b2bua.c: calls). Declares the magic
 * types before sofia's headers so callbacks are typed. Not for the pure cores. */
#ifndef SP_SOFIA_H
#define SP_SOFIA_H

struct sp_proxy;
struct sp_leg;
#define SU_ROOT_MAGIC_T struct sp_proxy
#define SU_WAKEUP_ARG_T struct sp_proxy
#define SU_TIMER_ARG_T struct sp_call
#define NUA_MAGIC_T struct sp_proxy
#define NUA_HMAGIC_T struct sp_leg

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_wait.h>

#include "cc_map.h"
#include "sp_admission.h"
#include "sp_callstate.h"
#include "sp_dedup.h"
#include "sp_park.h"
#include "sp_proxy.h"
#include "sp_sdp.h"
#include "sp_srtp.h"

#define SP_SECRET_LEN 33

struct sp_proxy {
    cc_daemon_t *daemon;
    cc_bus_t *bus;
    sp_settings_t set;
    su_home_t home[1];
    su_root_t *root;
    nua_t *nua;
    sp_directory_t *dir;
    sp_registry_t *reg;
    cc_throttle_t *throttle;
    cc_map_t *mwi_subs;              /* message-summary subscriptions (sp_mwi.c) */
    sp_nonce_counts_t *nonce_counts; /* replays of digest credentials refused */
    uint64_t nonces_made;            /* makes each challenge's nonce unique */
    sp_db_t *db;
    char secret[SP_SECRET_LEN];
    char tls_contact[160];   /* "<sip:BIND:TLS_PORT;transport=tls>", "" without TLS */
    char plain_contact[160]; /* "<sip:BIND:SIP_PORT>", used beside it (SP_LEG_CONTACT) */
    uint64_t last_expire_s;
    int loop_wait;      /* su_root registration of cc_loop's epoll fd */
    bool loop_fd_ready; /* su_root saw that fd readable in the current step */
    /* calls */
    cc_map_t *calls; /* call id -> sp_call_t, until the call has ended */
    cc_map_t *ended; /* call id -> sp_call_t: ended, a BYE or CANCEL still unanswered */
    uint64_t call_seq;
    int connect_seq;
    uint64_t calls_total;
    sp_park_t park; /* the park lot (sp_callpark.c); no slots when park_number is "" */
    bool shutting_down;
    bool nua_shutdown_done;
    /* overload control and exactly one call per INVITE */
    int udp_fd; /* the SIP UDP socket, for its receive backlog (-1: unknown) */
    sp_admission_t admission;
    sp_admission_limits_t limits;
    sp_dedup_t *dedup;
    /* mediad as a whole (sp_mediad.c) */
    uint64_t media_epoch;              /* the mediad our endpoints live in; 0: not seen yet */
    bool media_down;                   /* it stopped answering */
    size_t media_restoring;            /* calls whose endpoints are being created again */
    uint64_t media_lost_ms;            /* when it was found down or restarted (0: it is fine) */
    uint64_t media_back_ms;            /* when it last came back with a new epoch */
    uint64_t media_exhausted_until_ms; /* it said no_ports: shed new calls until then */
    uint64_t media_restored_calls, media_lost_calls;
    cc_bus_owner_t mediad_owner; /* sync and orphan deletes in flight */
    int sync_timer;
    /* REGISTER over UDP without a transaction (sp_reg_udp.c) */
    int reg_fd;              /* its own socket on the SIP port; -1: off */
    int reg_wait;            /* su_root registration of reg_fd */
    sp_dedup_t *reg_answers; /* answers kept for retransmissions */
    uint64_t reg_tag_seq;    /* To tags of those answers: salt + sequence */
    uint32_t reg_tag_salt;
    uint64_t registers_stateless, register_retransmits, register_dropped;
    /* counters for status */
    uint64_t registers_ok, auth_failures, auth_throttled, auth_replays, invites_repeated;
    uint64_t tls_policy_refused; /* right password, wrong transport for the user's TLS policy */
};

/* Where a request came from: ip and port from the transport, and udp/tcp. */
typedef struct {
    char ip[48];
    int port;
    char transport[8];
    char hostport[64];
} sp_source_t;

void sp_source_of(nua_t *nua, sp_source_t *out);
int64_t sp_proxy_queue_delay_ms(const sp_proxy_t *self);

/* An answer decided before it is sent: through nua (sp_reply_nua) or as the text of a
 * stateless answer (sp_reg_udp.c). Zero-initialise; phrase points at static text. */
typedef struct {
    int status;
    const char *phrase;
    bool proxy_auth; /* the challenges go in Proxy-Authenticate (407), not WWW- (401) */
    int nchallenges;
    char challenge[2][320];
    char contact[SP_MAX_CONTACTS * 300]; /* a REGISTER's 200: the live bindings */
    char min_expires[16];                /* 423 */
    char unsupported[128];               /* 420 */
} sp_reply_t;

void sp_reply_set(sp_reply_t *r, int status, const char *phrase);
void sp_reply_nua(sp_proxy_t *self, nua_handle_t *nh, const sp_reply_t *r);

/* Digest check of the request's credentials (Authorization for REGISTER,
 * Proxy-Authorization otherwise). Returns 0 and the user on success; otherwise -1 with
 * the answer to give in *r (401/407 challenge, 403). */
int sp_auth_decide(sp_proxy_t *self, const sip_t *sip, const sp_source_t *src, bool proxy_auth,
                   const sp_user_t **user_out, sp_reply_t *r);
/* The same, answering through nua itself when it returns -1. */
int sp_auth_check(sp_proxy_t *self, nua_handle_t *nh, const sip_t *sip, const sp_source_t *src,
                  bool proxy_auth, const sp_user_t **user_out);

/* sp_registrar.c: a REGISTER's bindings changed and its answer decided */
void sp_registrar_decide(sp_proxy_t *self, const sip_t *sip, const sp_source_t *src, sp_reply_t *r);

/* sp_reg_udp.c: REGISTERs over UDP steered by the kernel onto a socket of their own and
 * answered without a transaction. Open after the stack is up (udp_fd known); off, with
 * a log line saying why, when the kernel refuses: then nua answers them as before. */
int sp_reg_udp_open(sp_proxy_t *self);
void sp_reg_udp_close(sp_proxy_t *self);

/* sp_b2bua.c */
void sp_b2bua_incoming(sp_proxy_t *self, nua_handle_t *nh, const sip_t *sip);
void sp_b2bua_event(sp_proxy_t *self, nua_event_t event, int status, const char *phrase,
                    nua_handle_t *nh, struct sp_leg *leg, const sip_t *sip, tagi_t tags[]);
void sp_b2bua_media_event(sp_proxy_t *self, const char *call_id, const char *type, json_t *body);
void sp_b2bua_end_all(sp_proxy_t *self);
/* fn for every live call (the log context set to it); fn may end that call. */
void sp_b2bua_foreach(sp_proxy_t *self, void (*fn)(sp_call_t *c, void *arg), void *arg);
size_t sp_b2bua_count(const sp_proxy_t *self);
/* Ended calls whose far ends have not yet confirmed the BYE or CANCEL. */
size_t sp_b2bua_ending_count(const sp_proxy_t *self);
/* At shutdown: stop waiting for mediad replies and far-end confirmations; free the calls. */
void sp_b2bua_reap_ended(sp_proxy_t *self);

/* sp_mediad.c */
int sp_mediad_attach(sp_proxy_t *self);
void sp_mediad_detach(sp_proxy_t *self);
/* Tell mediad every endpoint our calls hold; it frees our others. */
void sp_mediad_sync(sp_proxy_t *self);
/* mediad is down, being restored, or came back moments ago: what fails for want of it
 * now was cost by its crash (disposition "interrupted"). */
bool sp_mediad_crashed(const sp_proxy_t *self);

/* a handle bound to this is an INVITE we rejected before it became a call */
extern struct sp_leg sp_orphan_leg;

/* sp_mwi.c: message waiting (RFC 3842) */
extern struct sp_leg sp_mwi_leg; /* a handle bound to this is a subscription */
int sp_mwi_attach(sp_proxy_t *self);
void sp_mwi_detach(sp_proxy_t *self);
void sp_mwi_subscribe(sp_proxy_t *self, nua_handle_t *nh, const sip_t *sip);
void sp_mwi_event(sp_proxy_t *self, nua_event_t event, int status, nua_handle_t *nh,
                  const sip_t *sip, tagi_t tags[]);
/* The application/simple-message-summary body; its length, or -1 if len is too small. */
int sp_mwi_body(char *buf, size_t len, const char *account, int new_count, int old_count);

#endif
