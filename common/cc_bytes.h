/* cc_bytes.h - little-endian integers in byte buffers, for the suite's binary formats (the
 * tap wire format, recording files). Any alignment; n is the width in bytes (1-8).
 * Not for text or network byte order. */
#ifndef CC_BYTES_H
#define CC_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* Writes the low n bytes of v at p, least significant first. */
static inline void cc_le_put(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Reads an n-byte little-endian integer at p. */
static inline uint64_t cc_le_get(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;)
        v = (v << 8) | p[i];
    return v;
}

#endif
