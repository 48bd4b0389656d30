/* sp_hold.c - hold and hold music. A party that puts the other on hold (re-INVITE with
 * sendonly or inactive) is answered here, never forwarded: its own endpoint is told the
 * direction and the held party's endpoint loops [sipproxy] hold_music until the resume,
 * which stops the music and connects the two endpoints again. The same music plays to a
 * party waiting while a blind transfer rings its target. */
#include "sp_call.h"

#include "cc_log.h"

bool sp_hold_reinvite(sp_call_t *c, struct sp_leg *from, const sp_sdp_info_t *info)
{
    bool *holding = from->is_a ? &c->hold_a : &c->hold_b;
    bool hold = info->dir != SP_DIR_SENDRECV;
    if (!hold && !*holding)
        return false;                               /* an ordinary re-INVITE: relayed */
    int held_ep = from->is_a ? c->eb.id : c->ea.id; /* faces the party put on hold */
    sp_reinvite_answer_here(c, from, info, true);
    if (hold && !*holding) {
        sp_hold_music(c, held_ep);
    } else if (!hold) {
        sp_media_play_stop(c, held_ep);
        sp_media_connect(c);
    }
    *holding = hold;
    cc_info(hold ? "call.hold" : "call.resume", "by=%s", from->is_a ? "caller" : "callee");
    return true;
}

void sp_hold_music(sp_call_t *c, int ep)
{
    if (ep <= 0)
        return;
    json_t *args = json_pack("{s:i, s:[s], s:b}", "endpoint_id", ep, "prompts",
                             c->proxy->set.hold_music, "loop", 1);
    sp_media(c, "play.start", args, NULL);
}
