/* rec_tapwire.h - reading mediad's tap batches (format in common/events/media.def,
 * tap.start; written by mediad/md_tap.c). Pure: bytes in, frames out. */
#ifndef REC_TAPWIRE_H
#define REC_TAPWIRE_H

#include <stddef.h>
#include <stdint.h>

#define REC_TAP_MAGIC 0x50415452u
#define REC_TAP_HDR 24
#define REC_TAP_FRAME_HDR 22
#define REC_TAP_FLAG_LAST 1

typedef struct {
    uint8_t flags;
    uint16_t nframes;
    uint64_t tap_id;
    uint32_t batch_seq;
    uint32_t dropped; /* frames mediad dropped so far on this tap */
} rec_batch_t;

typedef struct {
    int party, pt;
    uint16_t seq;
    uint32_t ts, ssrc;
    uint64_t arrival_us;
    const uint8_t *payload;
    size_t len;
} rec_frame_t;

/* 0, or -1 if buf is not a batch of a version this build reads. *off is set past the
 * header for rec_batch_next. */
int rec_batch_parse(const uint8_t *buf, size_t len, rec_batch_t *out, size_t *off);
/* Next frame at *off: 1 (f set, *off advanced), 0 at the end, -1 malformed. */
int rec_batch_next(const uint8_t *buf, size_t len, size_t *off, rec_frame_t *f);

#endif
