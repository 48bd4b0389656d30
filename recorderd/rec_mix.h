/* rec_mix.h - the two-channel timeline of one recording: G.711 frames from the tap are
 * decoded and placed by their RTP timestamps (party 0 left, party 1 right), so a gap is
 * silence, reordered frames land where they belong and a long call does not drift. Each
 * party's timestamps are tied to the timeline once, by the arrival time of its first frame
 * (and again only if its SSRC changes or its timestamps stray more than a second from
 * arrival time: a restarted source). Audio is held `hold` samples for late frames, then
 * handed to the sink; paused spans are emitted as silence. Pure: time is passed in
 * (microseconds of the tap's clock), no I/O; the sink writes. */
#ifndef REC_MIX_H
#define REC_MIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REC_MIX_MAX_PAUSES 64
#define REC_MIX_MAX_GAPS 64

/* stereo: frames interleaved L R samples. */
typedef void(rec_mix_sink_fn)(const int16_t *stereo, size_t frames, void *arg);

typedef struct {
    int64_t start, end; /* sample positions; end -1 while open */
} rec_span_t;

typedef struct {
    uint64_t start_us; /* timeline position 0 */
    uint32_t cap;      /* ring size in frames */
    uint32_t hold;     /* frames held for late audio */
    int16_t *ring;
    int64_t emitted; /* positions below this were handed to the sink */
    int64_t head;    /* end of the latest audio placed */
    bool anchored[2];
    int64_t anchor_pos[2];
    uint32_t anchor_ts[2], ssrc[2];
    rec_span_t pauses[REC_MIX_MAX_PAUSES];
    int npauses;
    /* audio lost on the way (rec_mix_mark_loss): from the end of the audio placed before
     * the loss to the first frame placed after it; the last span grows when full */
    rec_span_t gaps[REC_MIX_MAX_GAPS];
    int ngaps;
    bool loss_pending;
    int64_t loss_from;
    bool tail_lost;             /* rec_mix_mark_tail_lost: the end is a gap too */
    uint64_t latest_arrival_us; /* newest frame's arrival at mediad (tap clock) */
    uint64_t frames, late, reanchors;
    rec_mix_sink_fn *sink;
    void *sink_arg;
} rec_mix_t;

/* cap_ms: ring length (e.g. 4000); hold_ms (< cap_ms): delay before audio is final. */
rec_mix_t *rec_mix_new(uint64_t start_us, int cap_ms, int hold_ms, rec_mix_sink_fn *sink,
                       void *arg);
void rec_mix_destroy(rec_mix_t **self_p);

/* Timeline position (samples) of time us. */
int64_t rec_mix_pos(const rec_mix_t *self, uint64_t us);

/* One frame: party 0/1, payload type (0 PCMU, 8 PCMA; others ignored), RTP timestamp and
 * SSRC, arrival time, payload. 0 placed; 1 ignored (not G.711); 2 too late (dropped). */
int rec_mix_frame(rec_mix_t *self, int party, int pt, uint32_t ts, uint32_t ssrc,
                  uint64_t arrival_us, const uint8_t *payload, size_t len);

/* Hand the sink everything older than the hold before now (or before the newest frame's
 * arrival, if that is earlier: a backlog is held on its own clock). */
void rec_mix_advance(rec_mix_t *self, uint64_t now_us);
/* Hand the sink everything up to max(head, position of end_us). Returns the length in
 * samples. */
int64_t rec_mix_finish(rec_mix_t *self, uint64_t end_us);

/* Frames were lost before the next one that arrives (the tap reported drops, or mediad
 * restarted and a new tap begins): the span from the end of the audio placed so far to
 * where that next frame lands is a gap. A loss with no frame after it marks nothing,
 * since no audio says where it ended; unless: */
void rec_mix_mark_loss(rec_mix_t *self);
/* What the tap held when the recording ends is lost (mediad died with it): at finish the
 * span from the end of the audio placed (or from a pending loss) to the end is a gap. */
void rec_mix_mark_tail_lost(rec_mix_t *self);

/* Pause/resume at time us (idempotent). */
void rec_mix_pause(rec_mix_t *self, uint64_t us);
void rec_mix_resume(rec_mix_t *self, uint64_t us);
bool rec_mix_paused(const rec_mix_t *self);

int16_t rec_ulaw_decode(uint8_t u);
int16_t rec_alaw_decode(uint8_t a);

#endif
