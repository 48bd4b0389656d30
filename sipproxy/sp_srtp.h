/* sp_srtp.h - the SRTP policy of a user or trunk and what it decides for one leg: whether
 * an offer from that party is answered with SRTP, plain RTP or refused (488), whether our
 * offer to it is SRTP, and whether its answer to our offer is acceptable. Pure: parsed SDP
 * in (sp_sdp_info_t), a decision out. */
#ifndef SP_SRTP_H
#define SP_SRTP_H

#include <stdbool.h>

#include "sp_sdp.h"

typedef enum {
    SP_SRTP_OPTIONAL = 0, /* the default: SRTP when the party offers it, plain otherwise */
    SP_SRTP_REQUIRED,     /* SRTP or no call: a plain offer gets 488, our offers are SRTP */
    SP_SRTP_OFF,          /* plain RTP only: crypto is ignored, an RTP/SAVP offer gets 488 */
} sp_srtp_policy_t;

/* "optional", "required", "off" -> policy: 0, or -1 for anything else. */
int sp_srtp_policy_parse(const char *name, sp_srtp_policy_t *out);
const char *sp_srtp_policy_name(sp_srtp_policy_t policy);

typedef enum {
    SP_SRTP_PLAIN = 0,
    SP_SRTP_SECURE, /* the leg is SRTP; the party's suite and key are info->crypto[0] */
    SP_SRTP_REFUSE, /* 488; *why says why */
} sp_srtp_use_t;

/* An offer from a party under `policy`. */
sp_srtp_use_t sp_srtp_answer(sp_srtp_policy_t policy, const sp_sdp_info_t *offer, const char **why);
/* Whether our offer to a party under `policy` is SRTP (optional offers plain RTP, which
 * every phone takes; the party may still offer SRTP itself). */
bool sp_srtp_offer(sp_srtp_policy_t policy);
/* The party's answer to our offer (SRTP or not). */
sp_srtp_use_t sp_srtp_answered(bool offered_srtp, const sp_sdp_info_t *answer, const char **why);

/* Our a=crypto lines for a leg whose own key is `key`: answering (answer_to non-NULL: the
 * party's chosen line) one line with its tag and suite; offering, one line per suite we
 * do, 80-bit tag first. Returns how many were written to out[2]. */
int sp_srtp_lines(const char *key, const sp_sdp_crypto_t *answer_to, sp_sdp_crypto_t out[2]);

#endif
