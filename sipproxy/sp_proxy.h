/* sp_proxy.h - the sipproxy object shared by its adapters: the sofia stack (root, nua),
 * the bus, the current directory snapshot, the registry and the live calls. Internal to
 * sipproxy; the pure cores (sp_sdp, sp_digest, cc_throttle, sp_registry, sp_directory,
 * sp_callstate) never include it. Sofia types appear only in the adapters' .c files. */
#ifndef SP_PROXY_H
#define SP_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "cc_daemon.h"
#include "sp_directory.h"
#include "sp_registry.h"
#include "sp_digest.h"
#include "cc_throttle.h"

typedef struct sp_proxy sp_proxy_t;
typedef struct sp_db sp_db_t;
typedef struct sp_call sp_call_t;

typedef struct {
    int ring_timeout_s;
    int reg_default_expires, reg_min_expires, reg_max_expires;
    int nonce_ttl_s;
    sp_digest_alg_t digest_algs[2]; /* offered in this order */
    int digest_nalgs;
    int auth_fail_limit, auth_fail_window_s;
    int media_timeout_ms;
    int controller_timeout_ms;
    int udp_rcvbuf;
    bool register_fast_path; /* REGISTER over UDP without a transaction (sp_reg_udp.c) */
    int overload_delay_ms, overload_media_pending;
    int invite_memory_ms;
    int media_sync_interval_s;
    int t1x64_ms;
    char realm[128];
    char hold_music[128];
    char feature_ok_prompt[64], feature_failed_prompt[64];
    char blocked_prompt[64], not_permitted_prompt[64]; /* sp_screen.c */
    char park_number[16];                              /* "" : no call park (sp_callpark.c) */
    int park_slot_first, park_slots, park_timeout_s;
    char bind[64];
    int sip_port;
    int tls_port;       /* 0: no TLS */
    char tls_dir[4096]; /* agent.pem (key + certificate) and cafile.pem, for sofia */
    bool tls_verify;    /* [sipproxy] tls_ca set: verify the peers' certificates */
} sp_settings_t;

/* Build the proxy: sofia root and NUA bound to bind:sip_port (UDP and TCP), the bus
 * hooks, and the first directory (taken). NULL on failure, logged. */
sp_proxy_t *sp_proxy_new(cc_daemon_t *daemon, const sp_settings_t *settings,
                         sp_directory_t **directory_p);
void sp_proxy_destroy(sp_proxy_t **self_p);

/* Hook the sofia loop into cc_loop (see main.c for the scheme). */
int sp_proxy_attach(sp_proxy_t *self);

/* Swap in a freshly loaded directory (taken). */
void sp_proxy_set_directory(sp_proxy_t *self, sp_directory_t **directory_p);
/* Bindings read from Postgres at start. */
void sp_proxy_restore_contact(sp_proxy_t *self, const sp_contact_t *c);
/* Write-behind sink for contact changes. */
void sp_proxy_set_db(sp_proxy_t *self, sp_db_t *db);

/* End every call (BYE/CANCEL/final responses), then run sofia briefly so they leave. */
void sp_proxy_shutdown(sp_proxy_t *self);

/* Figures for `status`. */
void sp_proxy_status(sp_proxy_t *self, json_t *details);

#endif
