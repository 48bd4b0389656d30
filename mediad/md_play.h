/* md_play.h - prompt playback: which endpoints play what, and when each sends its next
 * packet. Pure logic over plain structs (time is passed in; packets go out through a send
 * callback), so the pacing is tested without a socket; md_media.c drives it from a 1 ms
 * timerfd on the daemon's cc_loop (no thread).
 *
 * Pacing: a 20 ms cycle split into 20 one-millisecond phases. A new player joins the
 * least-loaded phase and sends one packet every 20 ms in it, so 500 players send about 25
 * packets per millisecond instead of 500 in one burst. md_play_tick(now) serves every
 * phase reached since the last tick (at most one cycle), and each player sends what is due
 * (catching up by at most MD_PLAY_CATCH_UP packets after a stall; the audio is delayed,
 * never skipped).
 *
 * The stream: an endpoint's generated RTP has its own SSRC; sequence numbers and timestamps
 * continue across prompts, loops and successive plays (the timestamp also advances over the
 * pause between plays); the first packet of each play carries the marker bit. A play ends
 * when its last frame's 20 ms are over (finished), or by md_play_stop (stopped, barged_in,
 * error); the done callback runs once per play_id. */
#ifndef MD_PLAY_H
#define MD_PLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "md_core.h"
#include "md_prompt.h"

#define MD_PLAY_PHASES 20
#define MD_PLAY_PERIOD_US 20000u
#define MD_PLAY_CATCH_UP 3
#define MD_PLAY_MAX_ITEMS 64
#define MD_PLAY_MAX_SEND_FAILS 50 /* consecutive failed sends (1 s) end a play with error */

typedef enum {
    MD_PLAY_FINISHED = 0,
    MD_PLAY_STOPPED,
    MD_PLAY_BARGED_IN,
    MD_PLAY_ERROR,
} md_play_reason_t;

const char *md_play_reason_name(md_play_reason_t reason);

/* Send one generated RTP packet from ep to its remote; 0 if sent, -1 if not. */
typedef int(md_play_send_fn)(md_endpoint_t *ep, const uint8_t *pkt, size_t len, void *arg);
/* A play ended. Runs inside md_play_tick or md_play_stop; it may start a new play. */
typedef void(md_play_done_fn)(md_endpoint_t *ep, uint32_t play_id, md_play_reason_t reason,
                              void *arg);

typedef struct md_play md_play_t;

/* capacity: the core's endpoint capacity (players are indexed by endpoint slot). seed
 * feeds the SSRC generator. */
md_play_t *md_play_new(int capacity, uint64_t seed, md_play_send_fn *send, md_play_done_fn *done,
                       void *arg);
/* Drops every player's prompts without calling done. */
void md_play_destroy(md_play_t **self_p);

/* Play prompts[0..n) on ep with payload type pt (0 PCMU, 8 PCMA). Takes over the n
 * references in prompts (also on failure). A play already running on ep ends as stopped
 * first. Returns 0 with *play_id set (> 0), or -EINVAL (n is 0 or above
 * MD_PLAY_MAX_ITEMS), -ENOMEM. */
int md_play_start(md_play_t *self, md_endpoint_t *ep, md_prompt_t **prompts, size_t n, int pt,
                  bool loop, bool barge_in, uint64_t now_us, uint32_t *play_id);
/* End ep's play with `reason` (done runs). Returns its play_id, or 0 if none was playing. */
uint32_t md_play_stop(md_play_t *self, md_endpoint_t *ep, md_play_reason_t reason);
/* A key was pressed on ep: ends its play as barged_in if the play allows it. True if so. */
bool md_play_barge_in(md_play_t *self, md_endpoint_t *ep);
/* Forget the stream state of an endpoint being deleted (stops its play first). */
void md_play_forget(md_play_t *self, md_endpoint_t *ep);

/* Serve the phases reached by now_us. Returns the packets sent. */
int md_play_tick(md_play_t *self, uint64_t now_us);

int md_play_active(const md_play_t *self);
bool md_play_is_playing(const md_play_t *self, const md_endpoint_t *ep);
/* How many players sit in phase p (tests, status). */
int md_play_phase_load(const md_play_t *self, int phase);

typedef struct {
    uint64_t packets; /* generated packets sent */
    uint64_t send_failed;
    uint64_t late_1ms; /* packets sent more than 1 ms after they were due */
    uint64_t late_5ms; /* ... more than 5 ms */
    uint64_t late_max_us;
    uint64_t plays; /* plays started */
} md_play_stats_t;
const md_play_stats_t *md_play_stats(const md_play_t *self);

#endif
