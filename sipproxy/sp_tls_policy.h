/* sp_tls_policy.h - whether a user may, must or must not reach us over TLS. Pure: the
 * policy and the request's transport in, the refusal (or none) out. */
#ifndef SP_TLS_POLICY_H
#define SP_TLS_POLICY_H

#include <stdbool.h>

typedef enum {
    SP_TLS_OPTIONAL = 0, /* either (the default) */
    SP_TLS_REQUIRED,     /* REGISTER and INVITE only over TLS; rung only on TLS contacts */
    SP_TLS_OFF           /* never over TLS (TLS not offered to this phone) */
} sp_tls_policy_t;

/* "required", "optional", "off" -> policy. 0, or -1 for anything else. */
int sp_tls_policy_parse(const char *name, sp_tls_policy_t *out);
const char *sp_tls_policy_name(sp_tls_policy_t policy);

/* NULL when a request over TLS (or not) is fine under the policy, else the reason phrase
 * for the 403 ("TLS Required", "TLS Not Allowed"). */
const char *sp_tls_policy_refusal(sp_tls_policy_t policy, bool over_tls);

/* Whether a contact registered over `transport` ("udp", "tcp", "tls") may be rung. */
bool sp_tls_policy_contact_ok(sp_tls_policy_t policy, const char *transport);

#endif
