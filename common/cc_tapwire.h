/* cc_tapwire.h - the tap wire format, defined once: the binary batches mediad pushes to
 * recorderd, one ZeroMQ message per batch (what a tap is: common/events/media.def,
 * tap.start). mediad writes them (mediad/md_tap.c), recorderd reads them. Pure: bytes in,
 * bytes out. Little-endian:
 *   batch header (24): u32 magic 0x50415452 ("RTAP"), u8 version 1, u8 flags (1: the tap's
 *                      last batch), u16 frames, u64 tap_id, u32 batch_seq (from 1 per tap),
 *                      u32 frames dropped so far by this tap
 *   frame (22 + n):    u8 party (0 caller endpoint, 1 callee endpoint), u8 payload type,
 *                      u16 RTP sequence, u32 RTP timestamp, u32 SSRC, u64 arrival (mediad's
 *                      CLOCK_MONOTONIC, microseconds), u16 payload length n, payload */
#ifndef CC_TAPWIRE_H
#define CC_TAPWIRE_H

#include <stddef.h>
#include <stdint.h>

#define CC_TAP_MAGIC 0x50415452u /* "RTAP" read as a little-endian u32 */
#define CC_TAP_VERSION 1
#define CC_TAP_HDR 24       /* batch header bytes */
#define CC_TAP_FRAME_HDR 22 /* frame header bytes before the payload */
#define CC_TAP_FLAG_LAST 1

/* A batch header (magic and version are implied). */
typedef struct {
    uint8_t flags;
    uint16_t nframes;
    uint64_t tap_id;
    uint32_t batch_seq;
    uint32_t dropped; /* frames mediad dropped so far on this tap */
} cc_tap_batch_t;

/* One frame; payload is borrowed (from the packet when writing, the batch when reading). */
typedef struct {
    int party, pt;
    uint16_t seq;
    uint32_t ts, ssrc;
    uint64_t arrival_us;
    const uint8_t *payload;
    size_t len;
} cc_tap_frame_t;

/* Writes the batch header (with magic and version) into out. */
void cc_tap_batch_put(uint8_t out[CC_TAP_HDR], const cc_tap_batch_t *b);
/* Writes the frame, header and f->len payload bytes (at most UINT16_MAX), at out, which has
 * room for CC_TAP_FRAME_HDR + f->len. Returns the bytes written. */
size_t cc_tap_frame_put(uint8_t *out, const cc_tap_frame_t *f);

/* 0, or -1 if buf is not a batch of a version this build reads. *off is set past the
 * header for cc_tap_batch_next. */
int cc_tap_batch_parse(const uint8_t *buf, size_t len, cc_tap_batch_t *out, size_t *off);
/* Next frame at *off: 1 (f set, *off advanced), 0 at the end, -1 malformed. */
int cc_tap_batch_next(const uint8_t *buf, size_t len, size_t *off, cc_tap_frame_t *f);

#endif
