/* md_stats.h - per-endpoint RTP statistics: counters, loss and reordering (RFC 3550 A.1/A.3),
 * interarrival jitter (A.8) and the largest gap between packets. Pure arithmetic over one
 * struct: the caller passes the parsed header and the arrival time; no clock, no I/O. */
#ifndef MD_STATS_H
#define MD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The fixed 12-byte RTP header, in host order. */
typedef struct {
    uint8_t version;
    bool marker;
    uint8_t pt;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
} md_rtp_hdr_t;

typedef struct {
    /* counters */
    uint64_t packets_in, bytes_in;   /* RTP accepted from the remote party */
    uint64_t packets_out, bytes_out; /* RTP sent to the remote party (relayed from the peer) */
    uint64_t dropped;                /* received but not relayed: not RTP, payload type not
                                        accepted, stray source, or the send failed */
    uint64_t out_of_order;           /* arrived with a sequence number not above the highest
                                        seen so far (late or duplicate) */
    uint64_t rtcp_in, rtcp_out;
    uint64_t srtp_auth_failed; /* SRTP/SRTCP whose tag did not verify (also in dropped) */
    uint64_t srtp_replayed;    /* SRTP/SRTCP refused by the replay window (also in dropped) */
    /* sequence state (RFC 3550 A.1, without probation) */
    bool seq_init;
    uint16_t max_seq;
    uint32_t cycles; /* wraps of max_seq, times 65536 */
    uint32_t base_seq;
    uint32_t bad_seq;    /* after a large jump: the sequence number that confirms a restart */
    uint64_t received;   /* packets counted into the sequence space since base_seq */
    uint64_t lost_prior; /* losses counted before the source restarted its sequence */
    /* jitter (A.8), kept in timestamp units of jitter_clock */
    int jitter_pt; /* payload type jitter is measured on; -1 before the first packet */
    uint32_t jitter_clock;
    bool have_transit;
    int64_t last_transit;
    double jitter;
    /* timing */
    uint64_t first_us, last_us, max_gap_us;
} md_stats_t;

void md_stats_init(md_stats_t *self);

/* Parse the fixed header of an RTP packet. Returns 0, or -1 if it is too short or not
 * version 2. */
int md_rtp_parse(const uint8_t *buf, size_t len, md_rtp_hdr_t *out);
/* Where an RTP packet's payload starts (after CSRCs and any header extension) and how
 * long it is (padding excluded; may be 0). -1 if the packet is malformed. */
int md_rtp_payload(const uint8_t *pkt, size_t len, size_t *off, size_t *plen);

/* True if the datagram is RTCP (payload type byte 200-207 with version 2), e.g. rtcp-mux. */
bool md_rtp_is_rtcp(const uint8_t *buf, size_t len);

/* RTP clock rate of a payload type: the static table of RFC 3551 where it is not 8 kHz,
 * else 8000 (PCMU, PCMA, G722, G729, telephone-event as negotiated with PCMx). */
uint32_t md_rtp_clock_rate(int pt);

/* Account one accepted RTP packet of `len` bytes that arrived at now_us. */
void md_stats_rtp_in(md_stats_t *self, const md_rtp_hdr_t *hdr, size_t len, uint64_t now_us);
static inline void md_stats_rtp_out(md_stats_t *self, size_t len)
{
    self->packets_out++;
    self->bytes_out += len;
}

/* Derived figures. */
uint64_t md_stats_expected(const md_stats_t *self);
uint64_t md_stats_lost(const md_stats_t *self); /* never negative (duplicates) */
double md_stats_jitter_ms(const md_stats_t *self);
double md_stats_max_gap_ms(const md_stats_t *self);

#endif
