/* sp_tls_policy.c - the per-user TLS policy (sip_users.tls): required, optional or off. */
#include "sp_tls_policy.h"

#include <stddef.h>
#include <strings.h>

static const char *const s_names[] = {"optional", "required", "off"};

int sp_tls_policy_parse(const char *name, sp_tls_policy_t *out)
{
    for (int i = 0; name && i < 3; i++)
        if (strcasecmp(name, s_names[i]) == 0) {
            *out = (sp_tls_policy_t)i;
            return 0;
        }
    return -1;
}

const char *sp_tls_policy_name(sp_tls_policy_t policy)
{
    return (unsigned)policy < 3 ? s_names[policy] : "?";
}

const char *sp_tls_policy_refusal(sp_tls_policy_t policy, bool over_tls)
{
    if (policy == SP_TLS_REQUIRED && !over_tls)
        return "TLS Required";
    if (policy == SP_TLS_OFF && over_tls)
        return "TLS Not Allowed";
    return NULL;
}

bool sp_tls_policy_contact_ok(sp_tls_policy_t policy, const char *transport)
{
    bool tls = transport && strcasecmp(transport, "tls") == 0;
    return sp_tls_policy_refusal(policy, tls) == NULL;
}
