/* sp_srtp.c - SRTP policy decisions (see sp_srtp.h). No I/O, no keys kept. */
#include "sp_srtp.h"

#include <stdio.h>
#include <string.h>

static const char *const s_names[] = {"optional", "required", "off"};

int sp_srtp_policy_parse(const char *name, sp_srtp_policy_t *out)
{
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, s_names[i]) == 0) {
            *out = (sp_srtp_policy_t)i;
            return 0;
        }
    return -1;
}

const char *sp_srtp_policy_name(sp_srtp_policy_t policy)
{
    return (unsigned)policy < 3 ? s_names[policy] : "?";
}

sp_srtp_use_t sp_srtp_answer(sp_srtp_policy_t policy, const sp_sdp_info_t *offer, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    if (offer->ncrypto > 0) {
        if (policy != SP_SRTP_OFF)
            return SP_SRTP_SECURE;
        if (offer->savp) {
            *why = "SRTP offered but off for this party";
            return SP_SRTP_REFUSE;
        }
        return SP_SRTP_PLAIN; /* best-effort crypto on RTP/AVP: ignored */
    }
    if (offer->savp) {
        *why = "RTP/SAVP without a crypto suite we do";
        return SP_SRTP_REFUSE;
    }
    if (policy == SP_SRTP_REQUIRED) {
        *why = "SRTP required for this party";
        return SP_SRTP_REFUSE;
    }
    return SP_SRTP_PLAIN;
}

bool sp_srtp_offer(sp_srtp_policy_t policy)
{
    return policy == SP_SRTP_REQUIRED;
}

sp_srtp_use_t sp_srtp_answered(bool offered_srtp, const sp_sdp_info_t *answer, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    if (!offered_srtp)
        return SP_SRTP_PLAIN;
    if (answer->ncrypto > 0)
        return SP_SRTP_SECURE;
    *why = "SRTP offered, answered without a crypto line we offered";
    return SP_SRTP_REFUSE;
}

int sp_srtp_lines(const char *key, const sp_sdp_crypto_t *answer_to, sp_sdp_crypto_t out[2])
{
    if (answer_to) {
        out[0] = (sp_sdp_crypto_t){.tag = answer_to->tag, .suite = answer_to->suite};
        snprintf(out[0].key, sizeof out[0].key, "%s", key);
        return 1;
    }
    for (int i = 0; i < 2; i++) {
        out[i] = (sp_sdp_crypto_t){.tag = i + 1, .suite = (sp_sdp_suite_t)(i + 1)};
        snprintf(out[i].key, sizeof out[i].key, "%s", key);
    }
    return 2;
}
