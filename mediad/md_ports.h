/* md_ports.h - the pool of local RTP/RTCP port pairs (an even RTP port and the RTCP port
 * above it) taken from [common] rtp_ports. Pure bookkeeping, no sockets: freed pairs go to
 * the back of a queue, so a port is reused as late as possible and stray packets of an old
 * call rarely reach a new one. */
#ifndef MD_PORTS_H
#define MD_PORTS_H

typedef struct md_ports md_ports_t;

/* Pairs are the even ports p with lo <= p and p + 1 <= hi. NULL if there are none. */
md_ports_t *md_ports_new(int lo, int hi);
void md_ports_destroy(md_ports_t **self_p);

/* Take a pair: returns its even RTP port, or -1 when the pool is exhausted. */
int md_ports_alloc(md_ports_t *self);
/* Give a pair back; a port that is not allocated (or not from the pool) is ignored. */
void md_ports_free(md_ports_t *self, int port);

int md_ports_total(const md_ports_t *self);
int md_ports_available(const md_ports_t *self);

#endif
