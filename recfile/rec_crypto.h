/* rec_crypto.h - the encryption of recordings ("CCREC1"): a fresh random 256-bit data key
 * per file, wrapped with AES-256-GCM under the master key in the file's header, then the
 * audio in chunks, each sealed on its own with AES-256-GCM under the data key:
 *   header (76 bytes): "CCREC1\0\0" | key id (8: SHA-256(master)[0..8]) | wrap nonce (12)
 *                      | wrapped data key (32) | wrap tag (16)
 *   chunk i:           u32 LE n (bit 31: the final chunk) | ciphertext (n & 0x7fffffff)
 *                      | tag (16); nonce = 0x00000000 || u64 LE i; AAD = header || u64 LE i
 *                      || u8 final
 * Reordered, removed, altered or swapped-in chunks fail their tag. Pure: buffers in,
 * buffers out (and OpenSSL's random generator). What the chunks hold and how a whole file
 * is read is rec_format.h's. */
#ifndef REC_CRYPTO_H
#define REC_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REC_KEY_LEN 32
#define REC_ENC_MAGIC "CCREC1\0\0"
#define REC_ENC_HDR 76
#define REC_CHUNK_OVERHEAD 20 /* length word + tag */
#define REC_CHUNK_MAX (1u << 24)

/* The master key from its file text: 64 hex digits (whitespace around ignored). 0 or -1. */
int rec_key_parse_hex(const char *text, uint8_t key[REC_KEY_LEN]);
void rec_key_id(const uint8_t master[REC_KEY_LEN], uint8_t id[8]);

/* A new header with a fresh data key (returned in data_key) wrapped by master. 0 or -1. */
int rec_enc_header_new(const uint8_t master[REC_KEY_LEN], uint8_t hdr[REC_ENC_HDR],
                       uint8_t data_key[REC_KEY_LEN]);
/* Unwrap the data key: 0; -1 not this format; -2 another master key; -3 the header was
 * altered (wrap tag fails). */
int rec_enc_header_open(const uint8_t master[REC_KEY_LEN], const uint8_t *hdr, size_t len,
                        uint8_t data_key[REC_KEY_LEN]);

/* Seal chunk `index` of n plaintext bytes into out (n + REC_CHUNK_OVERHEAD bytes). Returns
 * the bytes written or -1. */
long rec_enc_chunk_seal(const uint8_t key[REC_KEY_LEN], const uint8_t hdr[REC_ENC_HDR],
                        uint64_t index, bool final, const uint8_t *pt, size_t n, uint8_t *out);
/* Open the chunk at the start of buf (avail bytes): plaintext into pt (room for
 * REC_CHUNK_MAX), *n its length, *used the bytes consumed, *final its flag. 0 ok; 1 the
 * chunk is cut short (the file ends inside it); -1 it fails authentication. */
int rec_enc_chunk_open(const uint8_t key[REC_KEY_LEN], const uint8_t hdr[REC_ENC_HDR],
                       uint64_t index, const uint8_t *buf, size_t avail, uint8_t *pt, size_t *n,
                       size_t *used, bool *final);

/* Lower-case hex SHA-256 of buf into out[65]. */
void rec_sha256_hex(const uint8_t *buf, size_t len, char out[65]);

#endif
