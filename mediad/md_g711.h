/* md_g711.h - G.711 companding (ITU-T G.711): 16-bit linear <-> u-law (PCMU, payload
 * type 0) and A-law (PCMA, payload type 8). Encoding is done once per prompt at load;
 * decoding goes through 256-entry tables so the DTMF detector pays one load per sample.
 * Pure arithmetic, no state beyond the tables built by md_g711_init(). */
#ifndef MD_G711_H
#define MD_G711_H

#include <stdint.h>

#define MD_PT_PCMU 0
#define MD_PT_PCMA 8
#define MD_ULAW_SILENCE 0xFF
#define MD_ALAW_SILENCE 0xD5

uint8_t md_ulaw_encode(int16_t sample);
uint8_t md_alaw_encode(int16_t sample);
int16_t md_ulaw_decode_slow(uint8_t code);
int16_t md_alaw_decode_slow(uint8_t code);

/* Decode tables, filled by md_g711_init() (idempotent; call before using them). */
extern int16_t md_ulaw_table[256];
extern int16_t md_alaw_table[256];
/* Encode tables indexed by the sample as uint16_t (64 KiB each), for the mixer, which
 * encodes every sample it sends: one load instead of a search for the segment. */
extern uint8_t md_ulaw_enc_table[65536];
extern uint8_t md_alaw_enc_table[65536];
void md_g711_init(void);

#endif
