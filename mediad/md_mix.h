/* md_mix.h - mixing: endpoints put together in a mix hear the sum of the members they may
 * hear, never themselves. Pure logic over plain structs: packets come in through
 * md_mixer_put, time is passed in, mixed frames go out through a send callback; md_mixes.c
 * drives it from a timerfd and the bus.
 *
 * Per member: a jitter buffer (speexdsp's) that puts late and reordered packets back in
 * order, G.711 decoded once per incoming frame, a lost frame concealed by fading the last
 * one out over MD_MIX_PLC_FRAMES frames (no click, no hole), and a talk detector (frame
 * energy with hysteresis) whose changes are reported.
 *
 * Hearing: every member hears every other member by default; a member may instead hear an
 * explicit list of endpoints (a supervisor's whisper: the caller hears only the agent),
 * be muted (heard by nobody) or deaf (hears nothing, is sent silence). Each 20 ms the mix
 * sums, in 32-bit linear PCM, the frames of the members that are heard; a member that hears
 * everyone gets the total minus its own frame, the others the sum of what they hear; the
 * result saturates to 16 bits and is G.711-encoded once per distinct (heard set, payload
 * type), so ten listeners who hear the same thing cost one encode.
 *
 * The outgoing stream: a member goes on with the stream its phone was hearing (the SSRC,
 * sequence and timestamp last sent to it, ep->sent_*), so joining is not a new source to
 * the phone; an endpoint that was sent nothing yet gets a random start. The first packet
 * after joining carries the marker bit. While the endpoint plays a prompt
 * (ep->playing) it is sent the prompt, not the mix, and still heard by the others.
 *
 * Pacing: each mix sends every 20 ms on its own phase (mixes are spread over the 20 ms by
 * id); md_mixer_tick serves every mix that is due, catching up by at most MD_MIX_CATCH_UP
 * frames after a stall, and md_mixer_next_due says when to call it next. */
#ifndef MD_MIX_H
#define MD_MIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "md_core.h"

#define MD_MIX_MAX_MEMBERS 64
#define MD_MIX_FRAME 160 /* 20 ms at 8 kHz */
#define MD_MIX_PERIOD_US 20000u
#define MD_MIX_CATCH_UP 3
#define MD_MIX_PLC_FRAMES 3       /* a loss longer than this is silence */
#define MD_MIX_TALK_LEVEL 500     /* mean absolute sample value that counts as talk (-36 dBFS) */
#define MD_MIX_TALK_ON_FRAMES 3   /* talk starts after 60 ms above the level */
#define MD_MIX_TALK_OFF_FRAMES 25 /* and stops after 500 ms below it */
#define MD_MIX_MAX_PAYLOAD 480    /* 60 ms of G.711: longer packets are not mixed */

/* What a member hears and whether it is heard. */
typedef struct {
    bool muted;
    bool deaf;
    int nhears; /* -1: every other member; else hears[0..nhears) are endpoint ids */
    int hears[MD_MIX_MAX_MEMBERS];
} md_mix_role_t;

/* The default role: hears everyone, heard by everyone. */
void md_mix_role_default(md_mix_role_t *role);

/* Send one mixed RTP packet from ep to its remote; 0 if sent, -1 if not. */
typedef int(md_mix_send_fn)(md_endpoint_t *ep, const uint8_t *pkt, size_t len, void *arg);
/* A member started or stopped talking. */
typedef void(md_mix_talk_fn)(uint32_t mix_id, md_endpoint_t *ep, bool talking, void *arg);

typedef struct md_mixer md_mixer_t;

/* capacity: the core's endpoint capacity (members are indexed by endpoint slot). seed feeds
 * the SSRC generator. talk may be NULL. */
md_mixer_t *md_mixer_new(int capacity, uint64_t seed, md_mix_send_fn *send, md_mix_talk_fn *talk,
                         void *arg);
/* Every member leaves (ep->mixing cleared), every mix is freed. */
void md_mixer_destroy(md_mixer_t **self_p);

/* A new, empty mix; call_id names it in logs and events (copied, may be NULL). Returns 0
 * with *mix_id set (> 0), or -ENOMEM. */
int md_mixer_create(md_mixer_t *self, const char *call_id, uint64_t now_us, uint32_t *mix_id);
/* Every member leaves, the mix is freed. 0 or -ENOENT. */
int md_mixer_delete(md_mixer_t *self, uint32_t mix_id);
bool md_mixer_exists(const md_mixer_t *self, uint32_t mix_id);
const char *md_mixer_call_id(const md_mixer_t *self, uint32_t mix_id);

/* ep joins mix_id with `role` (NULL: the default), or changes its role if it is a member
 * already. From now on what ep receives goes to the mix, not to its peer, and ep is sent
 * the mix. Returns 0, -ENOENT (no such mix), -EBUSY (ep is in another mix), -ENOSPC (the
 * mix is full), -EINVAL (role lists more than MD_MIX_MAX_MEMBERS), -ENOMEM. */
int md_mixer_join(md_mixer_t *self, uint32_t mix_id, md_endpoint_t *ep, const md_mix_role_t *role,
                  uint64_t now_us);
/* Change a member's role. 0, or -ENOENT if ep is in no mix. */
int md_mixer_set_role(md_mixer_t *self, md_endpoint_t *ep, const md_mix_role_t *role);
/* ep leaves its mix: it relays with its peer again. 0, or -ENOENT if it was in no mix. */
int md_mixer_leave(md_mixer_t *self, md_endpoint_t *ep);
/* The mix ep is in (0: none), and its role and talk state there. */
uint32_t md_mixer_mix_of(const md_mixer_t *self, const md_endpoint_t *ep);
const md_mix_role_t *md_mixer_role(const md_mixer_t *self, const md_endpoint_t *ep);
bool md_mixer_talking(const md_mixer_t *self, const md_endpoint_t *ep);

/* Calls fn for each member of mix_id; returns how many (-ENOENT: no such mix). */
typedef void(md_mix_member_fn)(md_endpoint_t *ep, void *arg);
int md_mixer_members(md_mixer_t *self, uint32_t mix_id, md_mix_member_fn *fn, void *arg);

/* An RTP packet (len bytes, accepted by md_core) that ep, a member, received at now_us.
 * G.711 audio goes to its jitter buffer; anything else (telephone-events, comfort noise,
 * other codecs) is ignored. */
void md_mixer_put(md_mixer_t *self, md_endpoint_t *ep, const uint8_t *pkt, size_t len,
                  uint64_t now_us);

/* Recording a mix: a mix given a tap (md_mixer_set_tap) hands it, every frame it mixes, the
 * full mix (the total of every member heard: what a member who hears everyone would hear
 * if it were not heard itself) as one PCMU RTP packet with a stream of its own (SSRC,
 * sequence, timestamp; the marker on the first). `tap` is the caller's, opaque here;
 * due_us is when the frame was due. While the mix is empty nothing is handed out but the
 * timestamp runs on, so the silence keeps its length. A mix without a tap pays one pointer
 * test per frame. */
typedef void(md_mix_tap_fn)(uint32_t mix_id, void *tap, const uint8_t *pkt, size_t len,
                            uint64_t due_us, void *arg);
/* The tap handler (one, called with the mixer's arg); set it before giving a mix a tap. */
void md_mixer_on_tap(md_mixer_t *self, md_mix_tap_fn *fn);
/* tap (NULL: none) follows mix_id from its next frame. 0, -ENOENT (no such mix) or -EINVAL
 * (no handler). md_mixer_delete forgets the tap without calling anything. */
int md_mixer_set_tap(md_mixer_t *self, uint32_t mix_id, void *tap);
void *md_mixer_tap(const md_mixer_t *self, uint32_t mix_id);

/* Mix and send what is due by now_us. Returns the packets sent. */
int md_mixer_tick(md_mixer_t *self, uint64_t now_us);
/* When the next mix is due (0: no mix). */
uint64_t md_mixer_next_due(const md_mixer_t *self);

/* Mixes whose last member left at least idle_us ago (or that never had one): calls fn
 * for each, which may delete it. Returns how many. */
typedef void(md_mix_idle_fn)(uint32_t mix_id, void *arg);
int md_mixer_scan_empty(md_mixer_t *self, uint64_t now_us, uint64_t idle_us, md_mix_idle_fn *fn,
                        void *arg);

typedef struct {
    uint64_t mixes, members; /* now */
    uint64_t frames_in;      /* G.711 packets put into jitter buffers */
    uint64_t frames_late;    /* of those, dropped by the jitter buffer as too late */
    uint64_t concealed;      /* frames made up for lost ones */
    uint64_t ticks;          /* mix frames computed (one per mix per 20 ms) */
    uint64_t encodes;        /* distinct outputs encoded */
    uint64_t packets;        /* mixed packets sent */
    uint64_t tapped;         /* full-mix packets handed to taps */
    uint64_t send_failed;
    uint64_t late_1ms, late_5ms, late_max_us; /* frames mixed after their due time */
    uint64_t skipped;                         /* frames skipped after a long stall */
} md_mix_stats_t;
const md_mix_stats_t *md_mixer_stats(const md_mixer_t *self);

#endif
