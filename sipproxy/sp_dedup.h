/* sp_dedup.h - the INVITEs that already became calls, remembered for SIP's 64*T1 (32 s),
 * so that a retransmission arriving after the stack forgot its transaction (the stack
 * keeps finished transactions much shorter, and under load forgets them sooner) never
 * becomes a second call with a second CDR. Keyed like RFC 3261's merged-request check:
 * Call-ID, From tag and CSeq number. Also the REGISTERs answered without a transaction
 * (sp_reg_udp.c), with the bytes of their answer. Pure: time is passed in, bounded memory. */
#ifndef SP_DEDUP_H
#define SP_DEDUP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sp_dedup sp_dedup_t;

/* Entries live window_ms; at most capacity at once (the oldest goes first). */
sp_dedup_t *sp_dedup_new(uint64_t window_ms, size_t capacity);
void sp_dedup_destroy(sp_dedup_t **self_p);

/* The key of an INVITE into buf ("" when call_id is missing). */
void sp_dedup_key(char *buf, size_t len, const char *call_id, const char *from_tag, uint32_t cseq);

/* Seen before (and not expired)? Returns -1 if not; otherwise the final status the first
 * INVITE got (0 while its call has none yet). */
int sp_dedup_seen(sp_dedup_t *self, const char *key, uint64_t now_ms);
/* Remember a new call's INVITE (status 0). 0, or -ENOMEM. */
int sp_dedup_add(sp_dedup_t *self, const char *key, uint64_t now_ms);
/* Remember a request answered without a transaction together with the answer's bytes, so
 * that its retransmissions get the very same answer (sp_reg_udp.c). 0, or -ENOMEM. */
int sp_dedup_add_reply(sp_dedup_t *self, const char *key, uint64_t now_ms, const char *reply,
                       size_t len);
/* The bytes remembered for key (not expired), their length in *len; NULL if none. */
const char *sp_dedup_reply(sp_dedup_t *self, const char *key, uint64_t now_ms, size_t *len);
/* The final status the INVITE got (200 for an answered call). */
void sp_dedup_final(sp_dedup_t *self, const char *key, int status);
/* Forget what is older than the window. */
void sp_dedup_expire(sp_dedup_t *self, uint64_t now_ms);
size_t sp_dedup_count(const sp_dedup_t *self);

#endif
