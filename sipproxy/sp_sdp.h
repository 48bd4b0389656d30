/* sp_sdp.h - SDP offer/answer filtering for a media-anchoring B2BUA. Pure text in, text
 * out: parses the parts sipproxy needs (address, port, payload types, direction) and
 * rewrites an SDP body so its media points at mediad. No sofia types, no I/O. */
#ifndef SP_SDP_H
#define SP_SDP_H

#include <stdbool.h>
#include <stddef.h>

#define SP_SDP_MAX_PT 8
#define SP_SDP_ADDR_MAX 64
#define SP_SDP_MAX_CRYPTO 4
#define SP_SDP_KEY_MAX 41 /* base64 of a 30-byte master key and salt, and NUL */

/* The SRTP crypto suites of RFC 4568 we do (AES_CM_128 keys, 80- or 32-bit tags). */
typedef enum {
    SP_SUITE_NONE = 0,
    SP_SUITE_AES_CM_128_HMAC_SHA1_80,
    SP_SUITE_AES_CM_128_HMAC_SHA1_32
} sp_sdp_suite_t;

/* One a=crypto line: tag, suite and inline key (base64, no lifetime or MKI). The key is a
 * secret: never logged. */
typedef struct {
    int tag;
    sp_sdp_suite_t suite;
    char key[SP_SDP_KEY_MAX];
} sp_sdp_crypto_t;

typedef enum {
    SP_DIR_SENDRECV = 0,
    SP_DIR_SENDONLY,
    SP_DIR_RECVONLY,
    SP_DIR_INACTIVE
} sp_sdp_dir_t;

/* What the first audio stream of an SDP body says, after codec filtering. */
typedef struct {
    char address[SP_SDP_ADDR_MAX]; /* media-level c= if present, else session-level */
    int port;                      /* 0: stream rejected or on hold by port */
    int pts[SP_SDP_MAX_PT];        /* payload types kept (PCMU, PCMA, telephone-event) */
    int npts;
    int ncodecs; /* how many of pts are audio codecs (not events) */
    sp_sdp_dir_t dir;
    bool savp; /* proto RTP/SAVP (SRTP only) */
    /* the stream's a=crypto lines we could use, in the SDP's order (suites we do, an
     * inline key of the right length, no MKI or session parameters); others are skipped */
    sp_sdp_crypto_t crypto[SP_SDP_MAX_CRYPTO];
    int ncrypto;
} sp_sdp_info_t;

/* Rewrite `in` (an SDP body, CRLF or LF lines) so its first audio stream uses
 * `addr`:`port`: o= and c= addresses, m= port, only PCMU (0), PCMA (8) and telephone-event
 * (any dynamic number, with its rtpmap/fmtp) kept, ptime/maxptime and direction kept,
 * ICE/RTCP/crypto and other attributes dropped; other streams are refused (port 0).
 * On success returns a malloc'd body (CRLF lines; caller frees) and fills *info with what
 * the ORIGINAL said about its own media (where the far party wants to receive).
 * Returns NULL when the body is unparsable or has no audio stream with a usable codec
 * (the caller answers 488); *why says which. */
char *sp_sdp_rewrite(const char *in, const char *addr, int port, sp_sdp_info_t *info,
                     const char **why);
/* The same, for a party that speaks SRTP with us when ncrypto > 0: the stream becomes
 * RTP/SAVP with our a=crypto lines (crypto[0..ncrypto)), or stays RTP/AVP with them when
 * best_effort (answering an RTP/AVP offer that carried a=crypto, as some phones offer SRTP
 * when they may fall back); with none it is RTP/AVP (an RTP/SAVP stream of `in` too: the
 * party it goes to speaks plain RTP with us). */
char *sp_sdp_rewrite_srtp(const char *in, const char *addr, int port, const sp_sdp_crypto_t *crypto,
                          int ncrypto, bool best_effort, sp_sdp_info_t *info, const char **why);

/* "AES_CM_128_HMAC_SHA1_80" -> suite (NONE for any other) and back ("" for NONE). */
sp_sdp_suite_t sp_sdp_suite_parse(const char *name, size_t len);
const char *sp_sdp_suite_name(sp_sdp_suite_t suite);

const char *sp_sdp_dir_name(sp_sdp_dir_t dir);

/* A fresh SDP body of our own (an offer to a new leg, or an answer given by sipproxy
 * itself): one audio stream at addr:port with codec `pt` (0 PCMU or 8 PCMA), plus
 * telephone-event `te_pt` when it is 96-127 (0: none), ptime 20 and direction `dir`.
 * `version` goes into o=. malloc'd, CRLF lines; NULL when out of memory. */
char *sp_sdp_make(const char *addr, int port, int pt, int te_pt, sp_sdp_dir_t dir,
                  unsigned long version);
/* The same with RTP/SAVP (RTP/AVP when best_effort) and our a=crypto lines when
 * ncrypto > 0. */
char *sp_sdp_make_srtp(const char *addr, int port, int pt, int te_pt, sp_sdp_dir_t dir,
                       unsigned long version, const sp_sdp_crypto_t *crypto, int ncrypto,
                       bool best_effort);

/* The first audio codec (0 or 8) of parsed info, and its telephone-event type (0: none). */
int sp_sdp_codec(const sp_sdp_info_t *info);
int sp_sdp_te(const sp_sdp_info_t *info);

#endif
