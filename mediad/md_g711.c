/* md_g711.c - G.711 u-law and A-law (see md_g711.h). u-law works on a 14-bit magnitude with
 * a bias of 33 (0x84 at 16-bit scale); A-law on a 13-bit magnitude without bias and with
 * even bits inverted. Both keep 3 exponent bits and 4 mantissa bits. */
#include "md_g711.h"

#include <stdbool.h>

int16_t md_ulaw_table[256];
int16_t md_alaw_table[256];

/* Index of the highest set bit of v (v > 0). */
static int s_top_bit(unsigned v)
{
    int bit = 0;
    while (v >>= 1)
        bit++;
    return bit;
}

uint8_t md_ulaw_encode(int16_t sample)
{
    int value = sample;
    uint8_t sign = 0;
    if (value < 0) {
        value = -value;
        sign = 0x80;
    }
    if (value > 32635)
        value = 32635;
    value += 0x84; /* 132: the bias, so every segment starts at 2^n */
    int exponent = s_top_bit((unsigned)value) - 7; /* bit 7 .. bit 14 -> 0 .. 7 */
    int mantissa = (value >> (exponent + 3)) & 0x0F;
    return (uint8_t) ~(sign | (exponent << 4) | mantissa);
}

int16_t md_ulaw_decode_slow(uint8_t code)
{
    code = (uint8_t)~code;
    int exponent = (code >> 4) & 7;
    int mantissa = code & 0x0F;
    int magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    return (int16_t)((code & 0x80) ? -magnitude : magnitude);
}

uint8_t md_alaw_encode(int16_t sample)
{
    int value = sample;
    uint8_t sign = 0x80; /* A-law: the sign bit is set for positive samples */
    if (value < 0) {
        value = -value - 1; /* keeps -32768 in range; one step of bias is below resolution */
        sign = 0;
    }
    int magnitude = value >> 3; /* 13-bit scale: 0 .. 4095 */
    int code;
    if (magnitude < 32) {
        code = magnitude >> 1; /* segment 0 (and 1 share the step of 2) */
    } else {
        int exponent = s_top_bit((unsigned)magnitude) - 4; /* 32..63 -> 1, 2048..4095 -> 7 */
        code = (exponent << 4) | ((magnitude >> exponent) & 0x0F);
    }
    return (uint8_t)((sign | code) ^ 0x55);
}

int16_t md_alaw_decode_slow(uint8_t code)
{
    code ^= 0x55;
    int exponent = (code >> 4) & 7;
    int mantissa = code & 0x0F;
    int magnitude =
        exponent == 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
    return (int16_t)((code & 0x80) ? magnitude : -magnitude);
}

uint8_t md_ulaw_enc_table[65536];
uint8_t md_alaw_enc_table[65536];

void md_g711_init(void)
{
    static bool done;
    if (done)
        return;
    for (int i = 0; i < 256; i++) {
        md_ulaw_table[i] = md_ulaw_decode_slow((uint8_t)i);
        md_alaw_table[i] = md_alaw_decode_slow((uint8_t)i);
    }
    for (int i = 0; i < 65536; i++) {
        md_ulaw_enc_table[i] = md_ulaw_encode((int16_t)(uint16_t)i);
        md_alaw_enc_table[i] = md_alaw_encode((int16_t)(uint16_t)i);
    }
    done = true;
}
