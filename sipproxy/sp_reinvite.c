/* sp_reinvite.c - re-INVITEs inside an answered call. Hold and resume are sp_hold.c's
 * (answered here, music to the held party). Other re-INVITEs (session refresh, codec or
 * address changes) are relayed to the connected other party with SDP re-pointed at its
 * endpoint, or answered here when there is no other party (a caller talking to an IVR
 * or waiting in a queue). */
#include "sp_call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"

static sp_sdp_dir_t s_reverse(sp_sdp_dir_t d)
{
    switch (d) {
    case SP_DIR_SENDONLY:
        return SP_DIR_RECVONLY;
    case SP_DIR_RECVONLY:
        return SP_DIR_SENDONLY;
    default:
        return d;
    }
}

/* A relayed re-INVITE on `leg` got its final answer: pass it to the side that asked. */
void sp_reinvite_answered(sp_call_t *c, struct sp_leg *leg, int status, const sip_t *sip)
{
    leg->reinvite = false;
    struct sp_leg *asker = leg->is_a ? c->winner : &c->a;
    if (!asker || !asker->nh)
        return;
    if (status >= 300) {
        nua_respond(asker->nh, status, sip_status_phrase(status), TAG_END());
        return;
    }
    bool asker_is_a = asker->is_a;
    char *body = sp_call_body(sip);
    sp_sdp_info_t info;
    char *sdp = body ? sp_media_sdp(asker_is_a ? &c->ea : &c->eb, body, &info, NULL) : NULL;
    free(body);
    if (sdp) {
        sp_media_remote(c, asker_is_a ? c->eb.id : c->ea.id, &info);
        nua_respond(asker->nh, SIP_200_OK, SP_LEG_CONTACT(asker, c->proxy),
                    SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
        free(sdp);
    } else {
        nua_respond(asker->nh, SIP_200_OK, SP_LEG_CONTACT(asker, c->proxy), TAG_END());
    }
}

void sp_reinvite_answer_here(sp_call_t *c, struct sp_leg *from, const sp_sdp_info_t *info,
                             bool have_offer)
{
    bool a = from->is_a;
    int codec = have_offer ? sp_sdp_codec(info) : c->a_codec;
    int te = have_offer ? sp_sdp_te(info) : c->a_te;
    sp_sdp_dir_t dir = have_offer ? s_reverse(info->dir) : SP_DIR_SENDRECV;
    char *sdp = sp_media_sdp_make(c, a ? &c->ea : &c->eb, codec, te, dir);
    if (!sdp) {
        nua_respond(from->nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
        return;
    }
    nua_respond(from->nh, SIP_200_OK, SP_LEG_CONTACT(from, c->proxy),
                SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
    free(sdp);
}

void sp_reinvite(sp_call_t *c, struct sp_leg *from, const sip_t *sip)
{
    struct sp_leg *to = from->is_a ? c->winner : &c->a;
    bool here = c->state == SP_CALL_ANSWERED && (!to || !to->nh);
    if (c->state != SP_CALL_ANSWERED || (!here && to->reinvite) || from->reinvite) {
        nua_respond(from->nh, 491, sip_status_phrase(491), TAG_END());
        return;
    }
    char *body = sp_call_body(sip);
    sp_sdp_info_t info;
    memset(&info, 0, sizeof info);
    char *sdp = NULL;
    if (body) {
        const sp_endpoint_t *from_ep = from->is_a ? &c->ea : &c->eb;
        sdp = sp_media_sdp(from->is_a ? &c->eb : &c->ea, body, &info, NULL);
        free(body);
        if (sdp && from_ep->srtp && info.ncrypto == 0) { /* an SRTP leg stays SRTP */
            free(sdp);
            sdp = NULL;
        }
        if (!sdp) {
            nua_respond(from->nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
            return;
        }
        /* a holding phone may send (sendonly) but most fall silent: mediad is told
         * inactive, so its media timeout pauses until the resume */
        sp_sdp_info_t told = info;
        if (told.dir == SP_DIR_SENDONLY)
            told.dir = SP_DIR_INACTIVE;
        sp_media_remote(c, from->is_a ? c->ea.id : c->eb.id, &told);
        cc_info("call.reinvite", "from=%s direction=%s", from->is_a ? "caller" : "callee",
                sp_sdp_dir_name(info.dir));
    }
    if (!here && sdp && sp_hold_reinvite(c, from, &info)) {
        free(sdp);
        return;
    }
    if (here) {
        sp_reinvite_answer_here(c, from, &info, sdp != NULL);
        free(sdp);
        return;
    }
    to->reinvite = true;
    nua_invite(to->nh, SP_LEG_CONTACT(to, c->proxy),
               TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
               TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)), TAG_END());
    free(sdp);
}
