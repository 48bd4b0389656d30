/* md_srtp.h - SRTP and SRTCP (RFC 3711) for one endpoint, with SDES keys (RFC 4568), on
 * libsrtp2. An endpoint's own key (what it sends with) is drawn here from getrandom and
 * leaves mediad only in endpoint.create's reply; the far party's key (what it sends with)
 * comes from its SDP through endpoint.create/endpoint.remote. Keys are never logged.
 * The packet path calls unprotect on receive before anything else and protect on send
 * after everything else, so the rest of mediad sees plain RTP. No sockets here. */
#ifndef MD_SRTP_H
#define MD_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    MD_SRTP_NONE = 0,
    MD_SRTP_AES_CM_128_HMAC_SHA1_80,
    MD_SRTP_AES_CM_128_HMAC_SHA1_32,
} md_srtp_suite_t;

#define MD_SRTP_KEY_LEN 30     /* 128-bit master key + 112-bit salt */
#define MD_SRTP_KEY_B64_LEN 41 /* its base64 (40) + NUL */
#define MD_SRTP_TRAILER 148    /* room protect wants after a packet (libsrtp: max trailer + 4) */

/* What unprotect found wrong: counted per endpoint. */
typedef enum {
    MD_SRTP_OK = 0,
    MD_SRTP_AUTH_FAILED = -1, /* tag did not verify (tampered, or another key) */
    MD_SRTP_REPLAYED = -2,    /* index seen already, or too old for the replay window */
    MD_SRTP_BAD = -3,         /* not SRTP at all, no key yet, or libsrtp failed */
} md_srtp_status_t;

typedef struct md_srtp md_srtp_t;

/* libsrtp's global state, set up on the first call (later calls do nothing). 0 or -1. */
int md_srtp_init(void);

/* "AES_CM_128_HMAC_SHA1_80" -> suite; MD_SRTP_NONE when not one we do. */
md_srtp_suite_t md_srtp_suite_parse(const char *name);
const char *md_srtp_suite_name(md_srtp_suite_t suite);

/* A context with a fresh random key of its own (local_b64: restore the one an earlier
 * mediad gave this endpoint). NULL when out of memory, the random source failed or
 * local_b64 is not a key. */
md_srtp_t *md_srtp_new(const char *local_b64);
void md_srtp_destroy(md_srtp_t **self_p);

/* The endpoint's own key, base64 (for the SDP sipproxy sends its party). */
void md_srtp_local_key(const md_srtp_t *self, char out[MD_SRTP_KEY_B64_LEN]);

/* The suite both directions use and the far party's key (base64 of 30 bytes, as in
 * a=crypto's inline:). The same again changes nothing (replay state kept); a new key with
 * the same suite re-keys what we receive only; a new suite both directions. 0, or -1 when
 * the suite or key is not usable (the context keeps what it had). */
int md_srtp_set_remote(md_srtp_t *self, md_srtp_suite_t suite, const char *remote_b64);
bool md_srtp_ready(const md_srtp_t *self);

/* In place: len in, len out. rtcp: SRTCP. */
md_srtp_status_t md_srtp_unprotect(md_srtp_t *self, uint8_t *pkt, size_t *len, bool rtcp);
/* In place; pkt must have room for *len + MD_SRTP_TRAILER bytes. 0 or -1. */
int md_srtp_protect(md_srtp_t *self, uint8_t *pkt, size_t *len, bool rtcp);

/* base64 of a 30-byte key and back (pure; used by the tests too). decode: 0 or -1. */
void md_srtp_key_encode(const uint8_t key[MD_SRTP_KEY_LEN], char out[MD_SRTP_KEY_B64_LEN]);
int md_srtp_key_decode(const char *b64, uint8_t key[MD_SRTP_KEY_LEN]);

#endif
