/* md_tap.h - one recording tap's batch: the frames its endpoints receive, appended packet
 * by packet into one fixed buffer and handed out as one message per batch (wire format:
 * common/cc_tapwire.h). Pure: no sockets, no clock (arrival time passed in), no allocation
 * after md_tap_new; md_taps.c ships the batches. */
#ifndef MD_TAP_H
#define MD_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cc_tapwire.h"

#define MD_TAP_BUF 16384 /* a batch; ~40 frames of 20 ms G.711 */

typedef struct md_tap md_tap_t;
struct md_tap {
    uint64_t id;
    int endpoint[2];    /* endpoint ids of party 0 and 1 (0: none) */
    uint32_t mix_id;    /* or the mix it records (party 0: the full mix); 0: none */
    uint32_t batch_seq; /* of the last batch taken */
    uint16_t nframes;
    size_t len; /* bytes in buf, header included */
    uint64_t frames, frames_dropped, batches, batches_dropped;
    md_tap_t *next; /* the adapter's list */
    uint8_t buf[MD_TAP_BUF];
};

md_tap_t *md_tap_new(uint64_t id);
void md_tap_destroy(md_tap_t **self_p);

/* Append the RTP packet pkt (len bytes, already accepted as RTP) received by `party` at
 * now_us. Returns 0, 1 if the packet carries no audio (ignored), or -1 if the batch has
 * no room for it: take the batch, then append again. */
int md_tap_add(md_tap_t *self, int party, const uint8_t *pkt, size_t len, uint64_t now_us);

/* The batch to send (header filled in, flags e.g. CC_TAP_FLAG_LAST) and its length, or
 * NULL when it holds no frame and no flag is asked for. The tap starts a new batch; call
 * md_tap_sent with whether the message could be queued. */
const uint8_t *md_tap_take(md_tap_t *self, int flags, size_t *len, uint16_t *nframes);
void md_tap_sent(md_tap_t *self, uint16_t nframes, bool ok);

#endif
