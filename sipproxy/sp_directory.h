/* sp_directory.h - one immutable snapshot of what sipproxy reads from Postgres: users
 * (extension -> HA1), trunks, the dialplan and who may monitor whom. Built whole by the loader, swapped in whole
 * on reload (so a half-loaded table is never seen). Pure data; no SQL here. */
#ifndef SP_DIRECTORY_H
#define SP_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "cc_dialplan.h"
#include "cc_screen.h"
#include "sp_digest.h"
#include "sp_divert.h"
#include "sp_monitor_acl.h"
#include "sp_srtp.h"
#include "sp_tls_policy.h"

typedef struct {
    char ext[16];
    char name[64];
    char ha1[40];        /* MD5(ext:realm:password) */
    char ha1_sha256[72]; /* SHA-256 of the same: RFC 8760 clients */
    int digest_nalgs;    /* challenged with these; 0: [sipproxy] digest_algorithms */
    sp_digest_alg_t digest_algs[2];
    bool enabled;
    sp_srtp_policy_t srtp;
    sp_tls_policy_t tls;
} sp_user_t;

typedef struct {
    char name[64];
    char host[64];
    int port;
    char username[64];
    char password[64];
    char transport[8];
    bool enabled;
    sp_srtp_policy_t srtp;
} sp_trunk_t;

typedef struct sp_directory sp_directory_t;

sp_directory_t *sp_directory_new(void);
void sp_directory_destroy(sp_directory_t **self_p);

int sp_directory_add_user(sp_directory_t *self, const sp_user_t *user);
int sp_directory_add_trunk(sp_directory_t *self, const sp_trunk_t *trunk);
/* Takes ownership of the dialplan. */
void sp_directory_set_dialplan(sp_directory_t *self, cc_dialplan_t **dialplan_p);

const sp_user_t *sp_directory_user(const sp_directory_t *self, const char *ext);
const sp_trunk_t *sp_directory_trunk(const sp_directory_t *self, const char *name);
/* The enabled trunk whose host and port are exactly this source, or NULL. */
const sp_trunk_t *sp_directory_trunk_at(const sp_directory_t *self, const char *ip, int port);
const cc_dialplan_t *sp_directory_dialplan(const sp_directory_t *self);
/* Who may monitor whom (empty until set; takes ownership). */
void sp_directory_set_monitor_acl(sp_directory_t *self, sp_monitor_acl_t **acl_p);
const sp_monitor_acl_t *sp_directory_monitor_acl(const sp_directory_t *self);
/* Screening rules, classes of service and caller routes (NULL until set; takes
 * ownership). */
void sp_directory_set_screen(sp_directory_t *self, cc_screen_t **screen_p);
/* An extension's own music on hold (sip_users.moh), or NULL for the default. */
int sp_directory_set_user_music(sp_directory_t *self, const char *ext, const char *music);
const char *sp_directory_user_music(const sp_directory_t *self, const char *ext);
const cc_screen_t *sp_directory_screen(const sp_directory_t *self);
/* An extension's pickup group (sip_users.pickup_group): "" for none. */
int sp_directory_set_pickup_group(sp_directory_t *self, const char *ext, const char *group);
const char *sp_directory_pickup_group(const sp_directory_t *self, const char *ext);

/* Per-extension DND/forwarding (pbx_user_settings); NULL when the extension has none. */
int sp_directory_set_divert(sp_directory_t *self, const char *ext,
                            const sp_divert_settings_t *settings);
const sp_divert_settings_t *sp_directory_divert(const sp_directory_t *self, const char *ext);
/* Ring group key ("group:NAME"): how many calls it had (then one more). The one counter a
 * snapshot keeps: hunt groups start over at member 0 after a reload. */
unsigned sp_directory_group_turn(sp_directory_t *self, const char *key);

size_t sp_directory_user_count(const sp_directory_t *self);
size_t sp_directory_trunk_count(const sp_directory_t *self);

#endif
