/* cc_bytes_test.c - little-endian integers: byte order, widths and a round trip. */
#include <stdint.h>

#include "cc_bytes.h"
#include "cc_test.h"

CC_TEST(bytes_little_endian)
{
    uint8_t b[10] = {0};
    cc_le_put(b + 1, 0x0102030405060708ull, 8);
    CC_CHECK(b[0] == 0 && b[1] == 0x08 && b[8] == 0x01 && b[9] == 0);
    CC_CHECK(cc_le_get(b + 1, 8) == 0x0102030405060708ull);
    cc_le_put(b, 0xabcd1234u, 2); /* only the low bytes */
    CC_CHECK(b[0] == 0x34 && b[1] == 0x12 && b[2] == 0x07);
    CC_CHECK_INT(cc_le_get(b, 2), 0x1234);
    CC_CHECK_INT(cc_le_get(b, 4), 0x06071234);
    cc_le_put(b, UINT32_MAX, 4);
    CC_CHECK(cc_le_get(b, 4) == UINT32_MAX);
}
