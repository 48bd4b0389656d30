/* md_dtmf.h - DTMF detection on what an endpoint receives: RFC 4733 telephone-events
 * (events 0-9, *, #, A-D; the end bit; retransmitted end packets counted once; a lost end
 * closed when the next event starts or 300 ms after the last update) and in-band tones in
 * G.711 audio (Goertzel over blocks of 102 samples at the 8 DTMF frequencies, with energy,
 * twist, in-group dominance and tone-to-total-energy checks; a key counts after 3 good
 * blocks, ~38 ms, and is released after 2 bad ones). Each key press yields one `down`
 * event (for barge-in) and one `up` event with its duration, reported once.
 *
 * Once an endpoint has received a telephone-event, in-band detection stops for it: phones
 * that send RFC 4733 may leave the tone in the audio too, and a key must count once.
 * Pure: no clock (time is passed in), no allocation; one struct per endpoint. */
#ifndef MD_DTMF_H
#define MD_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MD_DTMF_BLOCK 102    /* samples per Goertzel block (12.75 ms) */
#define MD_DTMF_MIN_BLOCKS 3 /* good blocks before a key counts */
#define MD_DTMF_END_BLOCKS 2 /* bad blocks before it is released */
#define MD_DTMF_TE_LOST_US 300000u
#define MD_DTMF_MAX_EVENTS 4 /* most events one packet can produce */

typedef enum {
    MD_DTMF_RFC4733 = 0,
    MD_DTMF_INBAND = 1,
    MD_DTMF_INFO = 2 /* sent by the party's phone in SIP INFO, passed on by sipproxy */
} md_dtmf_method_t;

typedef struct {
    char digit; /* '0'-'9', '*', '#', 'A'-'D' */
    md_dtmf_method_t method;
    bool end;             /* false: key down (confirmed); true: key up */
    uint32_t duration_ms; /* on key up */
} md_dtmf_event_t;

/* One RFC 4733 event payload (the first 4 bytes). */
typedef struct {
    uint8_t event; /* 0-9, 10 '*', 11 '#', 12-15 A-D, others not DTMF */
    bool end;
    uint8_t volume;    /* -dBm0 */
    uint16_t duration; /* timestamp units */
} md_te_payload_t;

typedef struct {
    /* RFC 4733 */
    bool te_seen;
    bool te_active; /* a key is down (its end not seen) */
    uint8_t te_event;
    uint32_t te_ts;       /* RTP timestamp of the current event (constant through it) */
    uint32_t te_base;     /* duration of earlier segments of a long event */
    uint32_t te_duration; /* duration of the current segment, timestamp units */
    bool te_have_ended;
    uint32_t te_ended_ts; /* timestamp of the last ended event: its retransmissions are ignored */
    uint64_t te_last_us;
    /* in-band */
    float s1[8], s2[8];
    float energy;
    int block_n;     /* samples in the current block */
    uint64_t blocks; /* blocks completed */
    char cand;       /* digit seen in the last good blocks, not yet confirmed */
    int cand_blocks;
    uint64_t cand_first;
    char cur; /* confirmed digit whose key is down, or 0 */
    int cur_misses;
    uint64_t cur_first, cur_last;
} md_dtmf_t;

void md_dtmf_init(md_dtmf_t *self);

/* Parse an RFC 4733 payload: 0, or -1 if shorter than 4 bytes. */
int md_te_parse(const uint8_t *payload, size_t len, md_te_payload_t *out);
/* '0'-'9', '*', '#', 'A'-'D' for events 0-15, else 0. */
char md_dtmf_digit(int event);

/* Feed one telephone-event packet (its RTP timestamp and payload) at now_us. Returns how
 * many events were written to out (at most MD_DTMF_MAX_EVENTS). */
int md_dtmf_rfc4733(md_dtmf_t *self, uint32_t rtp_ts, const uint8_t *payload, size_t len,
                    uint64_t now_us, md_dtmf_event_t *out);
/* Feed G.711 audio (pt 0 PCMU or 8 PCMA). Returns how many events were written. */
int md_dtmf_audio(md_dtmf_t *self, const uint8_t *payload, size_t len, int pt,
                  md_dtmf_event_t *out);
/* Feed the same from 16-bit linear samples (tests, and any decoded codec). */
int md_dtmf_pcm(md_dtmf_t *self, const int16_t *pcm, size_t n, md_dtmf_event_t *out);

/* Feed a whole RTP packet accepted by the endpoint: a telephone-event when its payload
 * type is te_pt, in-band audio when it is PCMU/PCMA (until a telephone-event was seen),
 * ignored otherwise. Also closes an RFC 4733 key whose end was lost. */
int md_dtmf_packet(md_dtmf_t *self, int te_pt, const uint8_t *pkt, size_t len, uint64_t now_us,
                   md_dtmf_event_t *out);

#endif
