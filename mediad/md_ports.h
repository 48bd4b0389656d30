/* md_ports.h - the pool of RTP/RTCP port pairs (an even RTP port, RTCP above it). Free
 * pairs wait in one queue in the order they were freed, so a port is reused as late as
 * possible, and a freed pair is not handed out again before a quarantine has passed
 * (rtpengine's delete delay): a phone of the ended call may still be sending to it, and
 * that audio must not reach the next call. At start every pair counts as freed then, as
 * the phones of a previous mediad may still be sending; a restore, which names its port,
 * bypasses the quarantine. Pure: time is passed in; allocate, take and free are O(1). */
#ifndef MD_PORTS_H
#define MD_PORTS_H

#include <stdint.h>

typedef struct md_ports md_ports_t;

/* Pairs are the even ports p with lo <= p and p + 1 <= hi, all freed at now_us. NULL if
 * there are none. */
md_ports_t *md_ports_new(int lo, int hi, uint64_t quarantine_us, uint64_t now_us);
void md_ports_destroy(md_ports_t **self_p);

/* Take the pair freed longest ago, if its quarantine is over: its even RTP port, or -1
 * when no pair is free outside quarantine. */
int md_ports_alloc(md_ports_t *self, uint64_t now_us);
/* Take exactly the pair of `port` (a restore), quarantined or not: 0, -ENOENT if it is not
 * an even port of the pool, -EBUSY if it is in use. */
int md_ports_take(md_ports_t *self, int port);
/* Give a pair back at now_us; a port that is not allocated (or not from the pool) is
 * ignored. */
void md_ports_free(md_ports_t *self, int port, uint64_t now_us);

int md_ports_total(const md_ports_t *self);
int md_ports_available(const md_ports_t *self); /* free, in quarantine or not */
int md_ports_quarantined(const md_ports_t *self, uint64_t now_us);

#endif
