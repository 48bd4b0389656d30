/* rec_tapwire.h - recorderd's names for the tap wire format, which is defined once, with
 * mediad's writer, in common/cc_tapwire.h. Only aliases: kept so the session code that
 * reads batches (rec_session.c) did not have to change when the format moved; new code
 * uses the cc_tap_* names directly. */
#ifndef REC_TAPWIRE_H
#define REC_TAPWIRE_H

#include "cc_tapwire.h"

typedef cc_tap_batch_t rec_batch_t;
typedef cc_tap_frame_t rec_frame_t;

static inline int rec_batch_parse(const uint8_t *buf, size_t len, rec_batch_t *out, size_t *off)
{
    return cc_tap_batch_parse(buf, len, out, off);
}

static inline int rec_batch_next(const uint8_t *buf, size_t len, size_t *off, rec_frame_t *f)
{
    return cc_tap_batch_next(buf, len, off, f);
}

#endif
