/* sp_hold.c - hold and hold music. A party that puts the other on hold (re-INVITE with
 * sendonly or inactive) is answered here, never forwarded: its own endpoint is told the
 * direction and the held party's endpoint loops the holder's extension's own music
 * (sip_users.moh) or [sipproxy] hold_music until the resume,
 * which stops the music and connects the two endpoints again. The same music plays to a
 * party waiting while a blind transfer rings its target. */
#include "sp_call.h"

#include <string.h>

#include "cc_log.h"

/* The music the holder chose: its extension's own (ccctl user moh), else the default. */
static const char *s_music_of(sp_call_t *c, const struct sp_leg *holder)
{
    const char *ext = NULL;
    if (holder->is_a && strcmp(c->direction, "inbound") != 0)
        ext = c->caller; /* an extension that called */
    else if (!holder->is_a && strncmp(holder->target, "ext:", 4) == 0)
        ext = holder->target + 4;
    const char *music = ext ? sp_directory_user_music(c->proxy->dir, ext) : NULL;
    return music ? music : c->proxy->set.hold_music;
}

static void s_play_music(sp_call_t *c, int ep, const char *music)
{
    if (ep <= 0)
        return;
    json_t *args = json_pack("{s:i, s:[s], s:b}", "endpoint_id", ep, "prompts", music, "loop", 1);
    sp_media(c, "play.start", args, NULL);
}

bool sp_hold_reinvite(sp_call_t *c, struct sp_leg *from, const sp_sdp_info_t *info)
{
    bool *holding = from->is_a ? &c->hold_a : &c->hold_b;
    bool hold = info->dir != SP_DIR_SENDRECV;
    if (!hold && !*holding)
        return false;                               /* an ordinary re-INVITE: relayed */
    int held_ep = from->is_a ? c->eb.id : c->ea.id; /* faces the party put on hold */
    sp_reinvite_answer_here(c, from, info, true);
    if (hold && !*holding) {
        sp_hold_play(c, from, held_ep);
    } else if (!hold) {
        sp_media_play_stop(c, held_ep);
        sp_media_connect(c);
    }
    *holding = hold;
    cc_info(hold ? "call.hold" : "call.resume", "by=%s", from->is_a ? "caller" : "callee");
    return true;
}

void sp_hold_play(sp_call_t *c, const struct sp_leg *holder, int held_ep)
{
    s_play_music(c, held_ep, s_music_of(c, holder));
}

void sp_hold_music_of(sp_call_t *c, int ep, const char *ext)
{
    const char *music = ext && ext[0] ? sp_directory_user_music(c->proxy->dir, ext) : NULL;
    s_play_music(c, ep, music ? music : c->proxy->set.hold_music);
}

void sp_hold_music(sp_call_t *c, int ep)
{
    s_play_music(c, ep, c->proxy->set.hold_music);
}
